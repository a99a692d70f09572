// One named test per rule of docs/scheduling.md.
#include "model_builder.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <vector>

using namespace bantin;
using namespace bantin::scheduler;
using namespace bantin::scheduler::testing;
using namespace std::chrono_literals;

namespace {

const TimelineEntry* entry_at(const std::vector<TimelineEntry>& timeline, TimePoint t) {
    for (const auto& entry : timeline) {
        if (entry.start <= t && t < entry.end) {
            return &entry;
        }
    }
    return nullptr;
}

}  // namespace

TEST_CASE("fixed-time run starts exactly at its local time and cuts the loop", "[rules][fixed]") {
    Model model = town();
    model.playlists = {playlist("p-loop", {item(image, 10), item(image, 25)}),
                       playlist("p-news", {item(video)})};
    model.campaigns = {loop("loop", "p-loop"), fixed("news", "p-news", {6 * 60})};
    const auto resolver = make_resolver(model);
    const auto timeline = resolve(resolver, screen(), hcm(5, 59), hcm(6, 2));

    const auto* news = entry_at(timeline, hcm(6, 0));
    REQUIRE(news != nullptr);
    CHECK(news->source_id == "news");
    CHECK(news->start == hcm(6, 0));
    CHECK(news->end == hcm(6, 0, 30));
    CHECK(news->reason == Reason::FixedTime);
    CHECK(news->due == hcm(6, 0));

    // 21600 s / 35 s leaves 5 s of the first loop item before 06:00: that item is cut ...
    const auto* before = entry_at(timeline, hcm(5, 59, 59));
    REQUIRE(before != nullptr);
    CHECK(before->source_id == "loop");
    CHECK(before->start == hcm(5, 59, 55));
    CHECK(before->end == hcm(6, 0));
    CHECK(before->ending == Ending::Cut);
    CHECK(before->item_index == 0);
    // ... and played again from its beginning when the loop resumes (an image has no offset).
    const auto* after = entry_at(timeline, hcm(6, 0, 30));
    REQUIRE(after != nullptr);
    CHECK(after->source_id == "loop");
    CHECK(after->item_index == 0);
    CHECK(after->media_offset == 0ms);
    CHECK(after->start == hcm(6, 0, 30));
    CHECK(after->end == hcm(6, 0, 40));
    require_no_overlap(timeline);
}

TEST_CASE("a fixed-time run plays its whole playlist once, in order", "[rules][fixed]") {
    Model model = town();
    model.playlists = {playlist("p-news", {item(image, 5), item(silent_video), item(text)})};
    model.campaigns = {fixed("news", "p-news", {6 * 60})};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(0), hcm(24));
    REQUIRE(timeline.size() == 3);
    CHECK(timeline[0].start == hcm(6, 0, 0));
    CHECK(timeline[1].start == hcm(6, 0, 5));
    CHECK(timeline[2].start == hcm(6, 0, 25));
    CHECK(timeline[2].end == hcm(6, 0, 40));
    CHECK(timeline[0].item_index == 0);
    CHECK(timeline[1].item_index == 1);
    CHECK(timeline[2].item_index == 2);
}

TEST_CASE("fixed-time runs of equal level and rank defer to the one already due", "[rules][fixed]") {
    Model model = town();
    model.playlists = {playlist("p-a", {item(video)}), playlist("p-b", {item(silent_video)})};
    model.campaigns = {fixed("a", "p-a", {6 * 60}), fixed("b", "p-b", {6 * 60})};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(0), hcm(24));
    REQUIRE(timeline.size() == 2);
    CHECK(timeline[0].source_id == "a");
    CHECK(timeline[0].start == hcm(6, 0));
    CHECK(timeline[1].source_id == "b");
    CHECK(timeline[1].start == hcm(6, 0, 30));
    CHECK(timeline[1].due == hcm(6, 0));
}

TEST_CASE("a higher level preempts a lower one, which resumes after", "[rules][levels]") {
    Model model = town();
    model.playlists = {playlist("p-normal", {item(image, 7), item(image, 12)}),
                       playlist("p-high", {item(image, 10)})};
    Campaign high = loop("high", "p-high", Level::Priority);
    high.windows = {{10 * 60 + 0, 11 * 60}};
    model.campaigns = {loop("normal", "p-normal"), high};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(9), hcm(12));
    for (const auto& entry : timeline) {
        const bool in_window = entry.start >= hcm(10) && entry.start < hcm(11);
        CHECK(entry.source_id == (in_window ? "high" : "normal"));
    }
    const auto* cut = entry_at(timeline, hcm(9, 59, 59));
    REQUIRE(cut != nullptr);
    CHECK(cut->end == hcm(10));
    CHECK(cut->ending == Ending::Cut);
    const auto* resumed = entry_at(timeline, hcm(11));
    REQUIRE(resumed != nullptr);
    CHECK(resumed->source_id == "normal");
    CHECK(resumed->start == hcm(11));
    CHECK(resumed->item_index == cut->item_index);  // the cut image shows again, whole
    CHECK(resumed->media_offset == 0ms);
    require_no_overlap(timeline);
}

TEST_CASE("inside one level a higher rank preempts", "[rules][levels]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10)})};
    Campaign ranked = loop("ranked", "p", Level::Normal, 5);
    ranked.windows = {{12 * 60, 13 * 60}};
    model.campaigns = {loop("plain", "p"), ranked};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(11), hcm(14));
    CHECK(total_for(timeline, "ranked") == 1h);
    CHECK(total_for(timeline, "plain") == 2h);
    for (const auto& entry : timeline) {
        if (entry.start >= hcm(12) && entry.start < hcm(13)) {
            CHECK(entry.source_id == "ranked");
        }
    }
}

TEST_CASE("an emergency-level campaign outranks priority and normal", "[rules][levels]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10)})};
    model.campaigns = {loop("normal", "p", Level::Normal, 100), loop("priority", "p", Level::Priority, 100),
                       loop("emergency", "p", Level::Emergency, -100)};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(8), hcm(9));
    CHECK(total_for(timeline, "emergency") == 1h);
}

TEST_CASE("loops of equal level and rank share time by weight", "[rules][fair]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10)})};
    Campaign light = loop("light", "p");
    Campaign heavy = loop("heavy", "p");
    heavy.weight = 3;
    model.campaigns = {light, heavy};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(8), hcm(9));
    CHECK(total_for(timeline, "light") == 900s);
    CHECK(total_for(timeline, "heavy") == 2700s);
    // Evenly interleaved, not in blocks: no run of more than 3 heavy items in a row.
    int run = 0;
    for (const auto& entry : timeline) {
        run = entry.source_id == "heavy" ? run + 1 : 0;
        CHECK(run <= 3);
    }
}

TEST_CASE("a loop joining later gets its share from then on, without a catch-up burst", "[rules][fair]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10)})};
    Campaign late = loop("late", "p");
    late.windows = {{12 * 60, 24 * 60}};
    model.campaigns = {loop("early", "p"), late};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(12), hcm(13));
    CHECK(total_for(timeline, "early") == 1800s);
    CHECK(total_for(timeline, "late") == 1800s);
}

TEST_CASE("share of voice: N plays per hour, evenly spaced", "[rules][share]") {
    Model model = town();
    model.playlists = {playlist("p-ad", {item(image, 10)})};
    model.campaigns = {share("ad", "p-ad", 4)};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(0), hcm(24));
    REQUIRE(timeline.size() == 96);
    for (std::size_t i = 0; i < timeline.size(); ++i) {
        CHECK(timeline[i].start == hcm(0) + 450s + 900s * static_cast<int>(i));
        CHECK(timeline[i].reason == Reason::ShareOfVoice);
    }
}

TEST_CASE("share of voice waits for the loop item in progress at its own level", "[rules][share]") {
    Model model = town();
    model.playlists = {playlist("p-loop", {item(image, 60)}), playlist("p-ad", {item(image, 10)})};
    model.campaigns = {loop("loop", "p-loop"), share("ad", "p-ad", 4)};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(0), hcm(1));
    const auto* ad = entry_at(timeline, hcm(0, 8, 5));
    REQUIRE(ad != nullptr);
    CHECK(ad->source_id == "ad");
    CHECK(ad->start == hcm(0, 8));  // due 00:07:30, the loop item ended 00:08:00
    CHECK(ad->due == hcm(0, 7, 30));
    const auto* loop_item = entry_at(timeline, hcm(0, 7, 30));
    REQUIRE(loop_item != nullptr);
    CHECK(loop_item->ending == Ending::Completed);
}

TEST_CASE("share of voice at a higher level cuts in on time", "[rules][share]") {
    Model model = town();
    model.playlists = {playlist("p-loop", {item(image, 60)}), playlist("p-ad", {item(image, 10)})};
    model.campaigns = {loop("loop", "p-loop"), share("ad", "p-ad", 4, Level::Priority)};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(0), hcm(1));
    const auto* ad = entry_at(timeline, hcm(0, 7, 30));
    REQUIRE(ad != nullptr);
    CHECK(ad->source_id == "ad");
    CHECK(ad->start == hcm(0, 7, 30));
}

TEST_CASE("share of voice never exceeds N in an hour, even when plays are late", "[rules][share]") {
    Model model = town();
    model.playlists = {playlist("p-long", {item(image, 20 * 60)})};
    model.campaigns = {share("long", "p-long", 4)};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(0), hcm(24));
    std::map<long, int> per_hour;
    for (const auto& entry : timeline) {
        per_hour[std::chrono::floor<std::chrono::hours>(entry.start - hcm(0)).count()] += 1;
    }
    for (const auto& [hour, count] : per_hour) {
        CHECK(count <= 4);
    }
    require_no_overlap(timeline);
}

TEST_CASE("share of voice: a play counts in the hour it starts and a cut play is not resumed",
          "[rules][share]") {
    Model model = town();
    model.playlists = {playlist("p-ad", {item(image, 10 * 60), item(image, 60)}),
                       playlist("p-news", {item(image, 30 * 60)})};
    // One play an hour, due at hh:30; a priority bulletin at 10:35 runs until 11:05.
    model.campaigns = {share("ad", "p-ad", 1), fixed("news", "p-news", {10 * 60 + 35}, Level::Priority)};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(10), hcm(12));

    std::vector<TimelineEntry> ads;
    std::copy_if(timeline.begin(), timeline.end(), std::back_inserter(ads),
                 [](const TimelineEntry& entry) { return entry.source_id == "ad"; });
    REQUIRE(ads.size() == 2);
    // The 10:30 play is cut by the bulletin: it counts as the 10:00 hour's play, interrupted.
    CHECK(ads[0].start == hcm(10, 30));
    CHECK(ads[0].end == hcm(10, 35));
    CHECK(ads[0].ending == Ending::Cut);
    // It is not replayed after the bulletin (that would be a second play heard in the 11:00
    // hour); the 11:30 play starts with the item that was cut.
    CHECK(ads[1].start == hcm(11, 30));
    CHECK(ads[1].due == hcm(11, 30));
    CHECK(ads[1].item_index == 0);
    CHECK(ads[1].ending == Ending::Completed);
    require_no_overlap(timeline);
}

TEST_CASE("share of voice counts only slots inside its window", "[rules][share]") {
    Model model = town();
    model.playlists = {playlist("p-ad", {item(image, 10)})};
    Campaign ad = share("ad", "p-ad", 4);
    ad.windows = {{6 * 60 + 30, 8 * 60}};
    model.campaigns = {ad};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(0), hcm(24));
    REQUIRE(timeline.size() == 6);  // 06:37:30, 06:52:30, then four in the 07:00 hour
    CHECK(timeline.front().start == hcm(6, 37, 30));
    CHECK(timeline.back().start == hcm(7, 52, 30));
}

TEST_CASE("nothing plays outside on-hours", "[rules][hours]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 7)})};
    model.campaigns = {loop("loop", "p")};
    Device device = screen();
    device.on_hours = {{6 * 60, 22 * 60}};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, device, hcm(0), hcm(24));
    REQUIRE_FALSE(timeline.empty());
    CHECK(timeline.front().start == hcm(6));
    CHECK(timeline.back().end == hcm(22));
    CHECK(timeline.back().ending == Ending::Cut);
    CHECK(total_for(timeline, "loop") == 16h);
}

TEST_CASE("quiet hours block campaigns, including fixed-time ones", "[rules][hours]") {
    Model model = town();
    model.playlists = {playlist("p", {item(audio)})};
    model.campaigns = {loop("music", "p"), fixed("early", "p", {5 * 60 + 30})};
    Device device = speaker();
    device.quiet_hours = {{21 * 60, 6 * 60}};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, device, hcm(0), hcm(24));
    CHECK(total_for(timeline, "early") == 0s);
    CHECK(total_for(timeline, "music") == 15h);
    for (const auto& entry : timeline) {
        CHECK(entry.start >= hcm(6));
        CHECK(entry.end <= hcm(21));
    }
}

TEST_CASE("local quiet hours hold in the device's own zone whatever zone the bundle gives it",
          "[rules][hours][safety]") {
    Model model = town();
    model.playlists = {playlist("p", {item(audio)})};
    model.campaigns = {loop("music", "p"), fixed("night", "p", {20 * 60})};  // 20:00 "UTC" is 03:00 here
    model.alerts = {alert("flood", "p", hcm(3, 10), hcm(3, 20))};
    Device device = speaker();
    device.time_zone = "UTC";  // a hostile or mis-set bundle
    device.local_time_zone = "Asia/Ho_Chi_Minh";
    device.local_quiet_hours = {{22 * 60 + 30, 5 * 60}};
    model.devices = {device};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, device, hcm(0), hcm(24));
    for (const auto& entry : timeline) {
        if (entry.source_id == "flood")
            continue;
        INFO(entry.source_id << " at " << format_utc(entry.start));
        CHECK((entry.end <= hcm(22, 30) && entry.start >= hcm(5)));
    }
    CHECK(total_for(timeline, "night") == 0s);
    CHECK(total_for(timeline, "music") == 17h + 30min);
    CHECK(total_for(timeline, "flood") == 10min);  // a live alert still sounds

    // The same windows read in the bundle's zone (what a device did before) would have let the
    // 03:00 programme play: 22:30-05:00 UTC is 05:30-12:00 here.
    Device naive = device;
    naive.local_time_zone = "UTC";
    const auto shifted = resolve(timeline_resolver, naive, hcm(0), hcm(24));
    CHECK(total_for(shifted, "night") > 0s);
}

TEST_CASE("a device-local time zone the tz database does not know is refused", "[rules][hours][safety]") {
    Model model = town();
    model.devices[1].local_time_zone = "Asia/Tan_Uyen";
    model.devices[1].local_quiet_hours = {{22 * 60, 5 * 60}};
    const auto resolver = Resolver::create(model);
    REQUIRE_FALSE(resolver);
    CHECK(resolver.error().detail.find("local_time_zone") != std::string::npos);
}

TEST_CASE("quiet hours pass live alerts but not exercises", "[rules][hours][alerts]") {
    Model model = town();
    model.playlists = {playlist("p-alert", {item(audio)})};
    Alert live = alert("live", "p-alert", hcm(23), hcm(23, 10));
    Alert drill = alert("drill", "p-alert", hcm(23, 20), hcm(23, 30));
    drill.status = AlertStatus::Exercise;
    model.alerts = {live, drill};
    Device device = speaker();
    device.quiet_hours = {{22 * 60, 6 * 60}};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, device, hcm(0), hcm(24));
    CHECK(total_for(timeline, "live") == 10min);
    CHECK(total_for(timeline, "drill") == 0s);
}

TEST_CASE("live alerts pass off-hours too", "[rules][hours][alerts]") {
    Model model = town();
    model.playlists = {playlist("p-alert", {item(video)})};
    model.alerts = {alert("flood", "p-alert", hcm(3), hcm(3, 5))};
    Device device = screen();
    device.on_hours = {{6 * 60, 22 * 60}};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, device, hcm(0), hcm(6));
    CHECK(total_for(timeline, "flood") == 5min);
}

TEST_CASE("speakers never get visual-only items", "[rules][capability]") {
    Model model = town();
    model.playlists = {
        playlist("p", {item(image, 10), item(video), item(silent_video), item(audio), item(text)})};
    model.campaigns = {loop("mix", "p")};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, speaker(), hcm(8), hcm(9));
    REQUIRE_FALSE(timeline.empty());
    for (const auto& entry : timeline) {
        CHECK((entry.item_index == 1 || entry.item_index == 3 || entry.item_index == 4));
    }
}

TEST_CASE("screens get audio-only items only when they have a speaker", "[rules][capability]") {
    Model model = town();
    model.playlists = {
        playlist("p", {item(image, 10), item(video), item(silent_video), item(audio), item(text)})};
    model.campaigns = {loop("mix", "p")};
    const auto resolver = make_resolver(model);
    for (const auto& entry : resolve(resolver, screen(), hcm(8), hcm(9))) {
        CHECK(entry.item_index != 3);
    }
    Device loud = screen("scr-loud");
    loud.has_speaker = true;
    bool audio_played = false;
    for (const auto& entry : resolve(resolver, loud, hcm(8), hcm(9))) {
        audio_played = audio_played || entry.item_index == 3;
    }
    CHECK(audio_played);
}

TEST_CASE("an alert preempts everything in its zones until it expires", "[rules][alerts]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 12)}), playlist("p-alert", {item(video)})};
    model.campaigns = {loop("loop", "p", Level::Emergency, 1000)};
    model.alerts = {alert("storm", "p-alert", hcm(14, 0, 5), hcm(14, 10))};
    const auto resolver = make_resolver(model);
    const auto timeline = resolve(resolver, screen(), hcm(13), hcm(15));
    for (const auto& entry : timeline) {
        const bool during = entry.start >= hcm(14, 0, 5) && entry.start < hcm(14, 10);
        CHECK(entry.source_id == (during ? "storm" : "loop"));
    }
    CHECK(total_for(timeline, "storm") == 10min - 5s);
    const auto* cut = entry_at(timeline, hcm(14, 0, 4));
    REQUIRE(cut != nullptr);
    CHECK(cut->end == hcm(14, 0, 5));
    CHECK(cut->ending == Ending::Cut);
    const auto* resumed = entry_at(timeline, hcm(14, 10));
    REQUIRE(resumed != nullptr);
    CHECK(resumed->source_id == "loop");
    CHECK(resumed->item_index == cut->item_index);

    // Another zone does not hear it.
    const auto elsewhere = resolve(resolver, screen("scr-2", "z2"), hcm(13), hcm(15));
    CHECK(total_for(elsewhere, "storm") == 0s);
}

TEST_CASE("a cancelled alert stops at the cancel", "[rules][alerts]") {
    Model model = town();
    model.playlists = {playlist("p-alert", {item(video)})};
    Alert storm = alert("storm", "p-alert", hcm(14), hcm(15));
    storm.cancelled = hcm(14, 3, 10);
    model.alerts = {storm};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(13), hcm(16));
    CHECK(total_for(timeline, "storm") == 3min + 10s);
    CHECK(timeline.back().ending == Ending::Cut);
}

TEST_CASE("alert repeat policy: N runs at an interval from the issue time", "[rules][alerts]") {
    Model model = town();
    model.playlists = {playlist("p-alert", {item(video), item(text)})};
    Alert storm = alert("storm", "p-alert", hcm(14), hcm(16));
    storm.repeat = RepeatPolicy{3, 10min};
    model.alerts = {storm};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(13), hcm(17));
    REQUIRE(timeline.size() == 6);
    CHECK(timeline[0].start == hcm(14));
    CHECK(timeline[2].start == hcm(14, 10));
    CHECK(timeline[4].start == hcm(14, 20));
    CHECK(timeline[5].end == hcm(14, 20, 45));
}

TEST_CASE(
    "alert passes longer than the interval: each starts at max(due, previous end), none overlap or pile up",
    "[rules][alerts]") {
    Model model = town();
    // A pass is 90 s (two 45 s items); the policy asks for one every minute.
    model.playlists = {playlist("p-alert", {item(image, 45), item(image, 45)}),
                       playlist("p-loop", {item(image, 10)})};
    model.campaigns = {loop("loop", "p-loop")};
    const auto passes_of = [](const std::vector<TimelineEntry>& timeline) {
        std::vector<TimelineEntry> firsts;
        for (const auto& entry : timeline) {
            if (entry.source_id == "storm" && entry.item_index == 0) {
                firsts.push_back(entry);
            }
        }
        return firsts;
    };

    SECTION("count 3: three whole passes back to back, each with its own due time") {
        Alert storm = alert("storm", "p-alert", hcm(14), hcm(15));
        storm.repeat = RepeatPolicy{3, 1min};
        model.alerts = {storm};
        const auto timeline_resolver = make_resolver(model);
        const auto timeline = resolve(timeline_resolver, screen(), hcm(13, 59), hcm(14, 10));
        require_no_overlap(timeline);
        const auto passes = passes_of(timeline);
        REQUIRE(passes.size() == 3);
        CHECK(passes[0].start == hcm(14));
        CHECK(passes[0].due == hcm(14));
        CHECK(passes[1].start == hcm(14, 1, 30));
        CHECK(passes[1].due == hcm(14, 1));
        CHECK(passes[2].start == hcm(14, 3));
        CHECK(passes[2].due == hcm(14, 2));
        CHECK(total_for(timeline, "storm") == 270s);
        const auto* after = entry_at(timeline, hcm(14, 4, 30));
        REQUIRE(after != nullptr);
        CHECK(after->source_id == "loop");
    }
    SECTION("until it ends: passes back to back; those that cannot start before expiry are dropped") {
        Alert storm = alert("storm", "p-alert", hcm(14), hcm(14, 10));
        storm.repeat = RepeatPolicy{0, 1min};
        model.alerts = {storm};
        const auto timeline_resolver = make_resolver(model);
        const auto timeline = resolve(timeline_resolver, screen(), hcm(13, 59), hcm(14, 20));
        require_no_overlap(timeline);
        const auto passes = passes_of(timeline);
        // 14:00, 14:01:30, ... 14:09:00: seven passes; those due 14:07 to 14:09 never start.
        REQUIRE(passes.size() == 7);
        for (std::size_t k = 0; k < passes.size(); ++k) {
            CHECK(passes[k].start == hcm(14) + 90s * static_cast<int>(k));
            CHECK(passes[k].due == hcm(14) + 1min * static_cast<int>(k));
        }
        CHECK(entry_at(timeline, hcm(14, 9, 59))->source_id == "storm");
        CHECK(entry_at(timeline, hcm(14, 10))->source_id == "loop");
    }
    SECTION("a one-second interval does not queue a pass per second: only passes that can start are made") {
        Alert storm = alert("storm", "p-alert", hcm(0), hcm(0) + 72h);
        storm.repeat = RepeatPolicy{0, 1s};
        model.alerts = {storm};
        const auto timeline_resolver = make_resolver(model);
        const auto timeline = resolve(timeline_resolver, screen(), hcm(0), hcm(0) + 72h);
        require_no_overlap(timeline);
        CHECK(passes_of(timeline).size() == 3 * 960);  // 86,400 s / 90 s a day
        CHECK(total_for(timeline, "storm") == 72h);
        // Queueing all 259,200 grid passes took seconds here; only the 2,880 that can start are
        // made now. Not timed in a test (shared, noisy machines): the passes are counted.
    }
}

TEST_CASE("a newer alert of equal severity preempts an older one, which resumes", "[rules][alerts]") {
    Model model = town();
    model.playlists = {playlist("p-a", {item(video)}), playlist("p-b", {item(silent_video)})};
    Alert older = alert("older", "p-a", hcm(14), hcm(14, 10));
    Alert newer = alert("newer", "p-b", hcm(14, 2), hcm(14, 3));
    model.alerts = {older, newer};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(14), hcm(14, 10));
    for (const auto& entry : timeline) {
        const bool newer_window = entry.start >= hcm(14, 2) && entry.start < hcm(14, 3);
        CHECK(entry.source_id == (newer_window ? "newer" : "older"));
    }
}

TEST_CASE("a fixed-time run preempted by an alert resumes with the cut item", "[rules][alerts][fixed]") {
    Model model = town();
    model.playlists = {playlist("p-news", {item(image, 30), item(image, 30), item(image, 30)}),
                       playlist("p-alert", {item(image, 20)})};
    model.campaigns = {fixed("news", "p-news", {6 * 60})};
    model.alerts = {alert("storm", "p-alert", hcm(6, 0, 40), hcm(6, 1))};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(5), hcm(7));
    REQUIRE(timeline.size() == 5);
    CHECK(timeline[1].item_index == 1);
    CHECK(timeline[1].ending == Ending::Cut);
    CHECK(timeline[2].source_id == "storm");
    CHECK(timeline[3].source_id == "news");
    CHECK(timeline[3].item_index == 1);
    CHECK(timeline[3].start == hcm(6, 1));
    CHECK(timeline[3].end == hcm(6, 1, 30));
    CHECK(timeline[4].item_index == 2);
    CHECK(timeline[4].end == hcm(6, 2));
}

TEST_CASE("windows are local time: a window may cross midnight", "[rules][time]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10)})};
    Campaign night = loop("night", "p");
    night.windows = {{22 * 60, 2 * 60}};
    model.campaigns = {night};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(0), hcm(24));
    CHECK(total_for(timeline, "night") == 4h);  // 00:00-02:00 (from Sunday's window) and 22:00-24:00
    CHECK(timeline.front().start == hcm(0));
    CHECK(timeline.back().end == hcm(24));
}

TEST_CASE("validity dates and weekdays are local dates", "[rules][time]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10)})};
    Campaign weekly = loop("mondays", "p");
    weekly.weekdays = 0x01;  // Monday
    Campaign dated = loop("dated", "p");
    dated.valid_from =
        std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::November, std::chrono::day{24}};
    dated.valid_to = dated.valid_from;
    model.campaigns = {weekly, dated};
    const auto resolver = make_resolver(model);
    const auto monday = resolve(resolver, screen(), hcm(0), hcm(24));
    CHECK(total_for(monday, "mondays") == 24h);
    CHECK(total_for(monday, "dated") == 0s);
    const auto tuesday = resolve(resolver, screen(), hcm(24), hcm(48));
    CHECK(total_for(tuesday, "mondays") == 0s);
    CHECK(total_for(tuesday, "dated") == 24h);
}

TEST_CASE("daylight saving: a 23-hour and a 25-hour day", "[rules][time][dst]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10)}), playlist("p-news", {item(image, 60)})};
    model.campaigns = {loop("loop", "p"), fixed("news", "p-news", {6 * 60})};
    Device device = screen();
    device.time_zone = "America/New_York";
    const auto resolver = make_resolver(model);

    const auto spring_from = local("America/New_York", 2026, 3, 8, 0);
    const auto spring_to = local("America/New_York", 2026, 3, 9, 0);
    CHECK(spring_to - spring_from == 23h);
    const auto spring = resolve(resolver, device, spring_from, spring_to);
    CHECK(total_for(spring, "loop") + total_for(spring, "news") == 23h);
    const auto* spring_news = entry_at(spring, local("America/New_York", 2026, 3, 8, 6));
    REQUIRE(spring_news != nullptr);
    CHECK(spring_news->source_id == "news");
    CHECK(format_utc(spring_news->start) == "2026-03-08T10:00:00.000Z");  // 06:00 EDT

    const auto fall_from = local("America/New_York", 2026, 11, 1, 0);
    const auto fall_to = local("America/New_York", 2026, 11, 2, 0);
    CHECK(fall_to - fall_from == 25h);
    const auto fall = resolve(resolver, device, fall_from, fall_to);
    CHECK(total_for(fall, "loop") + total_for(fall, "news") == 25h);
    const auto* fall_news = entry_at(fall, local("America/New_York", 2026, 11, 1, 6));
    REQUIRE(fall_news != nullptr);
    CHECK(format_utc(fall_news->start) == "2026-11-01T11:00:00.000Z");  // 06:00 EST
}

TEST_CASE("share of voice in a 25-hour day has 25 hours of slots", "[rules][time][dst][share]") {
    Model model = town();
    model.playlists = {playlist("p-ad", {item(image, 10)})};
    model.campaigns = {share("ad", "p-ad", 2)};
    Device device = screen();
    device.time_zone = "America/New_York";
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, device, local("America/New_York", 2026, 11, 1, 0),
                                  local("America/New_York", 2026, 11, 2, 0));
    CHECK(timeline.size() == 50);
}

TEST_CASE("a restart at 10:37 lands on the entry an uninterrupted run plays", "[rules][split]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 13), item(silent_video), item(video)}),
                       playlist("p-ad", {item(image, 9)})};
    model.campaigns = {loop("loop", "p"), share("ad", "p-ad", 7), fixed("news", "p", {10 * 60 + 15})};
    const auto resolver = make_resolver(model);
    const auto whole = resolve(resolver, screen(), hcm(0), hcm(24));
    const auto first = resolve(resolver, screen(), hcm(0), hcm(10, 37));
    const auto second = resolve(resolver, screen(), hcm(10, 37), hcm(24));
    const auto* expected = entry_at(whole, hcm(10, 37));
    REQUIRE(expected != nullptr);
    REQUIRE_FALSE(second.empty());
    CHECK(second.front() == *expected);
    std::vector<TimelineEntry> joined = first;
    for (const auto& entry : second) {
        if (joined.empty() || !(joined.back() == entry)) {
            joined.push_back(entry);
        }
    }
    CHECK(joined == whole);
}

TEST_CASE("resolve returns whole entries that overlap the range", "[rules][split]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 40)})};
    model.campaigns = {loop("loop", "p")};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(0, 0, 50), hcm(0, 0, 51));
    REQUIRE(timeline.size() == 1);
    CHECK(timeline[0].start == hcm(0, 0, 40));
    CHECK(timeline[0].end == hcm(0, 1, 20));
}

TEST_CASE("only approved campaigns play unless previewing", "[rules][approval]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10)})};
    Campaign draft = loop("draft", "p");
    draft.approval = ApprovalState::Draft;
    Campaign rejected = loop("rejected", "p");
    rejected.approval = ApprovalState::Rejected;
    model.campaigns = {draft, rejected};
    const auto approved_only = make_resolver(model);
    CHECK(resolve(approved_only, screen(), hcm(8), hcm(9)).empty());
    const auto preview_resolver = make_resolver(model, ResolveOptions{true});
    const auto preview = resolve(preview_resolver, screen(), hcm(8), hcm(9));
    CHECK(total_for(preview, "draft") == 1h);
    CHECK(total_for(preview, "rejected") == 0s);
}

TEST_CASE("targets: zones, kinds, tags, listed and excluded devices", "[rules][targets]") {
    Device device = screen("scr-7", "z3");
    device.tags = {"market"};
    Targets selection;
    CHECK(targets(selection, device));
    selection.zones = {"z1"};
    CHECK_FALSE(targets(selection, device));
    selection.zones = {"z1", "z3"};
    CHECK(targets(selection, device));
    selection.kinds = {DeviceKind::Speaker};
    CHECK_FALSE(targets(selection, device));
    selection.device_ids = {"scr-7"};
    CHECK(targets(selection, device));
    selection.exclude_device_ids = {"scr-7"};
    CHECK_FALSE(targets(selection, device));
    Targets tagged;
    tagged.tags = {"school", "market"};
    CHECK(targets(tagged, device));
    Targets only_listed;
    only_listed.device_ids = {"scr-8"};
    CHECK_FALSE(targets(only_listed, device));
}

TEST_CASE("playlist item weights spread repeats evenly", "[rules][weights]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10, 2), item(silent_video, 10, 1)})};
    model.campaigns = {loop("loop", "p")};
    const auto timeline_resolver = make_resolver(model);
    const auto timeline = resolve(timeline_resolver, screen(), hcm(8), hcm(8, 1));
    REQUIRE(timeline.size() == 6);
    std::vector<std::size_t> order;
    for (const auto& entry : timeline) {
        order.push_back(entry.item_index);
    }
    CHECK(order == std::vector<std::size_t>{0, 1, 0, 0, 1, 0});
}

TEST_CASE("a weighted playlist shared by many campaigns is expanded once per resolver",
          "[rules][weights][performance]") {
    Model model = town();
    std::vector<PlaylistItem> items;
    for (int i = 0; i < 200; ++i) {
        items.push_back(item(i % 2 == 0 ? image : video, 5 + i % 7, 100));  // 20,000 steps a cycle
    }
    model.playlists = {playlist("p-big", std::move(items))};
    for (int c = 0; c < 100; ++c) {
        Campaign campaign = loop("c" + std::to_string(c), "p-big");
        campaign.targets.zones = {"z" + std::to_string(c)};  // one campaign plays on each zone's screen
        model.campaigns.push_back(std::move(campaign));
    }
    // Expanding 200 items of weight 100 again for each of the 100 campaigns took about a
    // second; now once per resolver (not timed in a test: shared, noisy machines).
    const auto resolver = make_resolver(model);

    // Campaigns sharing the playlist play the same cycle.
    const auto first = resolve(resolver, screen("s0", "z0"), hcm(6), hcm(7));
    const auto last = resolve(resolver, screen("s99", "z99"), hcm(6), hcm(7));
    REQUIRE(first.size() == last.size());
    REQUIRE_FALSE(first.empty());
    for (std::size_t i = 0; i < first.size(); ++i) {
        CHECK(first[i].source_id == "c0");
        CHECK(last[i].source_id == "c99");
        CHECK(first[i].item_index == last[i].item_index);
        CHECK(first[i].end == last[i].end);
    }
}

TEST_CASE("volume follows the device's volume schedule", "[rules][volume]") {
    Device device = speaker();
    device.default_volume = 70;
    device.volume_schedule = {{{5 * 60, 7 * 60}, 40}, {{21 * 60, 1 * 60}, 20}};
    CHECK(Resolver::volume_at(device, hcm(6)).value() == 40);
    CHECK(Resolver::volume_at(device, hcm(12)).value() == 70);
    CHECK(Resolver::volume_at(device, hcm(23, 30)).value() == 20);
    CHECK(Resolver::volume_at(device, hcm(0, 30)).value() == 20);
}

TEST_CASE("a device with an unknown time zone is refused", "[rules][time]") {
    Model model = town();
    Device device = screen();
    device.time_zone = "Mars/Olympus_Mons";
    const auto resolver = make_resolver(model);
    auto result = resolver.resolve(device, hcm(0), hcm(1));
    REQUIRE_FALSE(result);
    CHECK(result.error().detail.find("Mars/Olympus_Mons") != std::string::npos);
}
