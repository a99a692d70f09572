// Preemption and resume at the media offset (docs/scheduling.md, "Preemption and resume"):
// a cut audio or video item of a campaign plays on where it was cut.
#include "model_builder.hpp"

#include <vector>

using namespace bantin;
using namespace bantin::scheduler;
using namespace bantin::scheduler::testing;
using namespace std::chrono_literals;

namespace {

// A 10-minute spoken bulletin and a 2-minute priority notice, both audio.
const std::string bulletin = digest('1');
const std::string notice = digest('2');
const std::string long_video = digest('3');

Model commune() {
    Model model = town();
    model.media.push_back(MediaRef{bulletin, MediaType::Audio, Duration{10min}, true, false, "bulletin"});
    model.media.push_back(MediaRef{notice, MediaType::Audio, Duration{2min}, true, false, "notice"});
    model.media.push_back(MediaRef{long_video, MediaType::Video, Duration{5min}, true, true, "film"});
    model.playlists = {playlist("p-bulletin", {item(bulletin), item(audio)}),
                       playlist("p-notice", {item(notice)})};
    return model;
}

std::vector<TimelineEntry> of_source(const std::vector<TimelineEntry>& timeline, std::string_view id) {
    std::vector<TimelineEntry> out;
    for (const auto& entry : timeline) {
        if (entry.source_id == id) {
            out.push_back(entry);
        }
    }
    return out;
}

// resolve(a, c) == resolve(a, b) joined with resolve(b, c), the entry spanning b counted once.
void require_split_invariance(const Resolver& resolver, const Device& device, TimePoint from, TimePoint to,
                              TimePoint split) {
    INFO("split at " << format_utc(split));
    const auto whole = resolve(resolver, device, from, to);
    auto joined = resolve(resolver, device, from, split);
    for (const auto& entry : resolve(resolver, device, split, to)) {
        if (joined.empty() || !(joined.back() == entry)) {
            joined.push_back(entry);
        }
    }
    REQUIRE(joined == whole);
}

}  // namespace

TEST_CASE("a bulletin cut at 06:05 by a 2-minute notice resumes at 5:00 and ends at 06:12",
          "[rules][resume]") {
    Model model = commune();
    model.campaigns = {fixed("bulletin", "p-bulletin", {6 * 60}),
                       fixed("notice", "p-notice", {6 * 60 + 5}, Level::Priority)};
    const auto resolver = make_resolver(model);
    const auto timeline = resolve(resolver, speaker(), hcm(5), hcm(7));
    REQUIRE(timeline.size() == 4);

    CHECK(timeline[0].source_id == "bulletin");
    CHECK(timeline[0].item_index == 0);
    CHECK(timeline[0].start == hcm(6, 0));
    CHECK(timeline[0].end == hcm(6, 5));
    CHECK(timeline[0].media_offset == 0min);
    CHECK(timeline[0].ending == Ending::Cut);

    CHECK(timeline[1].source_id == "notice");
    CHECK(timeline[1].start == hcm(6, 5));
    CHECK(timeline[1].end == hcm(6, 7));

    // The rest of the bulletin, from 5:00 into the file: 5 minutes, not 10.
    CHECK(timeline[2].source_id == "bulletin");
    CHECK(timeline[2].item_index == 0);
    CHECK(timeline[2].media == bulletin);
    CHECK(timeline[2].media_offset == 5min);
    CHECK(timeline[2].start == hcm(6, 7));
    CHECK(timeline[2].end == hcm(6, 12));
    CHECK(timeline[2].ending == Ending::Completed);
    CHECK(timeline[2].reason == Reason::FixedTime);
    CHECK(timeline[2].due == hcm(6, 0));

    // The run goes on with its next item, from its beginning.
    CHECK(timeline[3].item_index == 1);
    CHECK(timeline[3].media_offset == 0min);
    CHECK(timeline[3].start == hcm(6, 12));
    CHECK(timeline[3].end == hcm(6, 12, 20));
}

TEST_CASE("items shorter than 30 s, images, text notices and streams restart from their beginning",
          "[rules][resume]") {
    Model model = commune();
    const std::string stream = digest('4');
    MediaRef radio{stream, MediaType::Stream, Duration{10min}, true, false, "radio"};
    radio.url = "http://127.0.0.1:8000/vov1.mp3";
    model.media.push_back(radio);
    // Each tested item follows a 7 s image, in a loop that opens at 06:00: whatever the item's
    // length, it is playing at 06:01, when a priority loop opens for a minute and cuts it.
    const auto lead_in = item(image, 7);
    model.playlists.push_back(playlist("p-short", {lead_in, item(audio, 29)}));
    model.playlists.push_back(playlist("p-threshold", {lead_in, item(audio, 30)}));
    model.playlists.push_back(playlist("p-video", {lead_in, item(long_video)}));
    model.playlists.push_back(playlist("p-image", {lead_in, item(image, 120)}));
    model.playlists.push_back(playlist("p-text", {lead_in, item(text, 60)}));
    model.playlists.push_back(playlist("p-stream", {lead_in, item(stream)}));
    model.playlists.push_back(playlist("p-cut", {item(image, 10)}));
    Campaign cutter = loop("cut", "p-cut", Level::Priority);
    cutter.windows = {{6 * 60 + 1, 6 * 60 + 2}};
    // A screen with a speaker plays all of them (text is shown).
    Device device = screen();
    device.has_speaker = true;

    struct Case {
        const char* playlist;
        bool resumes;
    };
    for (const Case& c : {Case{"p-short", false}, Case{"p-threshold", true}, Case{"p-video", true},
                          Case{"p-image", false}, Case{"p-text", false}, Case{"p-stream", false}}) {
        INFO(c.playlist);
        Campaign run = loop("run", c.playlist);
        run.windows = {{6 * 60, 7 * 60}};
        model.campaigns = {run, cutter};
        const auto resolver = make_resolver(model);
        const auto runs = of_source(resolve(resolver, device, hcm(5), hcm(7)), "run");
        const TimelineEntry* cut = nullptr;
        const TimelineEntry* next = nullptr;
        for (const auto& entry : runs) {
            if (entry.end == hcm(6, 1)) {
                cut = &entry;
            }
            if (next == nullptr && entry.start >= hcm(6, 2)) {
                next = &entry;
            }
        }
        REQUIRE(cut != nullptr);
        REQUIRE(next != nullptr);
        REQUIRE(cut->ending == Ending::Cut);
        REQUIRE(cut->item_index == 1);
        CHECK(next->start == hcm(6, 2));
        CHECK(next->item_index == 1);
        if (c.resumes) {
            CHECK(next->media_offset == cut->media_offset + (cut->end - cut->start));
            CHECK(next->media_offset > 0s);
        } else {
            CHECK(next->media_offset == 0s);
        }
    }
}

TEST_CASE("an item cut twice resumes at the sum of what it played", "[rules][resume]") {
    Model model = commune();
    model.playlists.push_back(playlist("p-notice-2", {item(notice)}));
    model.campaigns = {fixed("bulletin", "p-bulletin", {6 * 60}),
                       fixed("notice", "p-notice", {6 * 60 + 5}, Level::Priority),
                       fixed("notice-2", "p-notice-2", {6 * 60 + 9}, Level::Priority)};
    const auto resolver = make_resolver(model);
    const auto bulletins = of_source(resolve(resolver, speaker(), hcm(5), hcm(7)), "bulletin");
    REQUIRE(bulletins.size() == 4);
    CHECK(bulletins[0].start == hcm(6, 0));
    CHECK(bulletins[0].end == hcm(6, 5));
    CHECK(bulletins[0].media_offset == 0min);
    CHECK(bulletins[1].start == hcm(6, 7));
    CHECK(bulletins[1].end == hcm(6, 9));
    CHECK(bulletins[1].media_offset == 5min);
    CHECK(bulletins[1].ending == Ending::Cut);
    CHECK(bulletins[2].start == hcm(6, 11));
    CHECK(bulletins[2].end == hcm(6, 14));
    CHECK(bulletins[2].media_offset == 7min);
    CHECK(bulletins[2].ending == Ending::Completed);
    CHECK(bulletins[3].item_index == 1);
    CHECK(bulletins[3].start == hcm(6, 14));
}

TEST_CASE("a remainder under a second is not played: the cut item counts as over", "[rules][resume]") {
    Model model = commune();
    PlaylistItem almost = item(bulletin);
    almost.duration = 5min + 500ms;
    model.playlists = {playlist("p-bulletin", {almost, item(audio)}), playlist("p-notice", {item(notice)})};
    model.campaigns = {fixed("bulletin", "p-bulletin", {6 * 60}),
                       fixed("notice", "p-notice", {6 * 60 + 5}, Level::Priority)};
    const auto resolver = make_resolver(model);
    const auto bulletins = of_source(resolve(resolver, speaker(), hcm(5), hcm(7)), "bulletin");
    REQUIRE(bulletins.size() == 2);
    CHECK(bulletins[0].end == hcm(6, 5));
    CHECK(bulletins[0].ending == Ending::Cut);
    // Half a second of it was left: the run goes on with its next item.
    CHECK(bulletins[1].item_index == 1);
    CHECK(bulletins[1].start == hcm(6, 7));
    CHECK(bulletins[1].media_offset == 0s);

    // At one second exactly, the second is played.
    almost.duration = 5min + 1s;
    model.playlists = {playlist("p-bulletin", {almost, item(audio)}), playlist("p-notice", {item(notice)})};
    const auto whole_second = make_resolver(model);
    const auto again = of_source(resolve(whole_second, speaker(), hcm(5), hcm(7)), "bulletin");
    REQUIRE(again.size() == 3);
    CHECK(again[1].item_index == 0);
    CHECK(again[1].media_offset == 5min);
    CHECK(again[1].end - again[1].start == 1s);
}

TEST_CASE("a fixed-time run cut by an alert resumes at the offset", "[rules][resume][alerts]") {
    Model model = commune();
    model.campaigns = {fixed("bulletin", "p-bulletin", {6 * 60})};
    model.alerts = {alert("storm", "p-notice", hcm(6, 3), hcm(6, 4))};
    const auto resolver = make_resolver(model);
    const auto timeline = resolve(resolver, speaker(), hcm(5), hcm(7));
    REQUIRE(timeline.size() == 4);
    CHECK(timeline[0].end == hcm(6, 3));
    CHECK(timeline[1].source_id == "storm");
    CHECK(timeline[1].end == hcm(6, 4));
    CHECK(timeline[1].ending == Ending::Cut);
    CHECK(timeline[2].source_id == "bulletin");
    CHECK(timeline[2].media_offset == 3min);
    CHECK(timeline[2].start == hcm(6, 4));
    CHECK(timeline[2].end == hcm(6, 11));
    CHECK(timeline[3].item_index == 1);
}

TEST_CASE("an alert's items restart from their beginning when a newer alert cuts them",
          "[rules][resume][alerts]") {
    Model model = commune();
    model.playlists.push_back(playlist("p-alert", {item(bulletin)}));
    Alert older = alert("older", "p-alert", hcm(14), hcm(14, 30));
    older.repeat = RepeatPolicy{1, 0s};
    model.alerts = {older, alert("newer", "p-notice", hcm(14, 4), hcm(14, 6))};
    const auto resolver = make_resolver(model);
    const auto olders = of_source(resolve(resolver, speaker(), hcm(13), hcm(15)), "older");
    REQUIRE(olders.size() == 2);
    CHECK(olders[0].end == hcm(14, 4));
    CHECK(olders[0].ending == Ending::Cut);
    CHECK(olders[1].start == hcm(14, 6));
    CHECK(olders[1].media_offset == 0s);
    CHECK(olders[1].end == hcm(14, 16));  // the whole warning again
}

TEST_CASE("a share-of-voice play cut short is not resumed at an offset either", "[rules][resume][share]") {
    Model model = commune();
    model.playlists.push_back(playlist("p-ad", {item(long_video)}));
    // One play an hour, due at hh:30; a priority notice at 10:32 cuts it.
    model.campaigns = {share("ad", "p-ad", 1), fixed("notice", "p-notice", {10 * 60 + 32}, Level::Priority)};
    const auto resolver = make_resolver(model);
    Device device = screen();
    device.has_speaker = true;
    const auto ads = of_source(resolve(resolver, device, hcm(10), hcm(12)), "ad");
    REQUIRE(ads.size() == 2);
    CHECK(ads[0].end == hcm(10, 32));
    CHECK(ads[0].ending == Ending::Cut);
    CHECK(ads[1].start == hcm(11, 30));
    CHECK(ads[1].item_index == 0);
    CHECK(ads[1].media_offset == 0s);
    CHECK(ads[1].end == hcm(11, 35));
}

TEST_CASE("a loop item cut by its window's end or by midnight restarts from its beginning",
          "[rules][resume][windows]") {
    Model model = commune();
    model.playlists = {playlist("p-films", {item(long_video)}), playlist("p-notice", {item(notice)})};
    Campaign films = loop("films", "p-films");
    // The window is open 06:00-06:06, 17:00-17:10 and 23:58-24:00 (cut there by the day's end).
    films.windows = {{6 * 60, 6 * 60 + 6}, {17 * 60, 17 * 60 + 10}, {23 * 60 + 58, 24 * 60}};
    // A notice at 06:02 cuts the film; the film resumes at 06:04 at 2:00 and is cut again at
    // 06:06 by the window's end, 4:00 into the file: at 17:00 it starts from the beginning.
    model.campaigns = {films, fixed("notice", "p-notice", {6 * 60 + 2}, Level::Priority)};
    const auto resolver = make_resolver(model);
    Device device = screen();
    device.has_speaker = true;  // to hear the notice
    const auto timeline = resolve(resolver, device, hcm(5), hcm(24) + 10min);
    const auto played = of_source(timeline, "films");
    REQUIRE(played.size() >= 5);
    CHECK(played[0].start == hcm(6, 0));
    CHECK(played[0].end == hcm(6, 2));
    CHECK(played[1].start == hcm(6, 4));
    CHECK(played[1].media_offset == 2min);
    CHECK(played[1].end == hcm(6, 6));
    CHECK(played[1].ending == Ending::Cut);
    CHECK(played[2].start == hcm(17, 0));
    CHECK(played[2].item_index == 0);
    CHECK(played[2].media_offset == 0s);
    CHECK(played[2].end == hcm(17, 5));
    // 17:05-17:10 the next play is cut by the window: 23:58 starts it again from 0.
    CHECK(played[3].start == hcm(17, 5));
    CHECK(played[3].end == hcm(17, 10));
    CHECK(played[4].start == hcm(23, 58));
    CHECK(played[4].media_offset == 0s);
    CHECK(played[4].end == hcm(24));
    CHECK(played[4].ending == Ending::Cut);
    // Nothing of the day before carries over midnight (the window does not reopen after it).
    for (const auto& entry : played) {
        if (entry.start >= hcm(24)) {
            CHECK(entry.media_offset == 0s);
        }
    }
}

TEST_CASE("split invariance across a cut and its resume at an offset", "[rules][resume][split]") {
    Model model = commune();
    model.playlists.push_back(playlist("p-notice-2", {item(notice)}));
    model.campaigns = {loop("loop", "p-bulletin"), fixed("bulletin", "p-bulletin", {6 * 60}),
                       fixed("notice", "p-notice", {6 * 60 + 5}, Level::Priority),
                       fixed("notice-2", "p-notice-2", {6 * 60 + 9}, Level::Priority)};
    const auto resolver = make_resolver(model);
    const Device device = speaker();
    const TimePoint from = hcm(5);
    const TimePoint to = hcm(8);
    // Inside the first piece, at the cut, inside the notice, at the resume, inside the resumed
    // piece, at the second cut, inside the second resume, at the end of the bulletin.
    for (const TimePoint split :
         {hcm(6, 2), hcm(6, 5), hcm(6, 6), hcm(6, 7), hcm(6, 8, 30), hcm(6, 9), hcm(6, 12, 1), hcm(6, 14)}) {
        require_split_invariance(resolver, device, from, to, split);
    }
    // A restart at 06:08:30 lands on the resumed piece, offset and all.
    const auto later = resolve(resolver, device, hcm(6, 8, 30), to);
    REQUIRE_FALSE(later.empty());
    CHECK(later.front().source_id == "bulletin");
    CHECK(later.front().start == hcm(6, 7));
    CHECK(later.front().media_offset == 5min);
}
