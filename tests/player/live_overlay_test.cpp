// The live overlay (player::overlay_live, docs/scheduling.md "Live channels"): which entries a
// live channel cuts, where it plays, and that the rest of the timeline is left as it was.

#include "bantin/player/runner.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace std::chrono_literals;
using scheduler::Level;
using scheduler::SourceKind;
using scheduler::TimelineEntry;

namespace {

const TimePoint t0 = from_unix_ms(1'780'000'000'000);

TimelineEntry entry(SourceKind kind, std::string_view id, Duration from, Duration to) {
    TimelineEntry made;
    made.start = t0 + from;
    made.end = t0 + to;
    made.source_kind = kind;
    made.source_id = id;
    made.media = id;
    made.reason = kind == SourceKind::Alert ? scheduler::Reason::Alert : scheduler::Reason::Loop;
    made.due = made.start;
    return made;
}

player::LiveChannel channel(Level level, Duration from, Duration to) {
    return {"live-1", level,      "http://icecast.test:8000/live-1.mp3", "live-media", t0 + from, t0 + to,
            {},       Duration{0}};
}

Level level_of(std::string_view campaign) {
    if (campaign == "cp-normal")
        return Level::Normal;
    if (campaign == "cp-priority")
        return Level::Priority;
    return Level::Emergency;
}

bool exercise(std::string_view alert) {
    return alert == "al-drill";
}

std::vector<TimelineEntry> laid(const std::vector<TimelineEntry>& timeline, const player::LiveChannel& live) {
    return player::overlay_live(timeline, live, level_of, exercise);
}

}  // namespace

TEST_CASE("live overlay: a priority channel replaces normal and priority items and fills the gaps",
          "[player][live]") {
    const auto live = channel(Level::Priority, 10s, 40s);
    const auto out = laid({entry(SourceKind::Campaign, "cp-normal", 0s, 15s),
                           entry(SourceKind::Campaign, "cp-priority", 15s, 25s),
                           entry(SourceKind::Campaign, "cp-normal", 30s, 50s)},
                          live);
    REQUIRE(out.size() == 3);
    CHECK(out[0].source_id == "cp-normal");
    CHECK(out[0].end == t0 + 10s);
    CHECK(out[0].ending == scheduler::Ending::Cut);
    CHECK(out[1].source_kind == SourceKind::Live);
    CHECK(out[1].start == t0 + 10s);
    CHECK(out[1].end == t0 + 40s);
    CHECK(out[1].media == "live-media");
    CHECK(out[1].ending == scheduler::Ending::Completed);
    CHECK(out[2].source_id == "cp-normal");
    CHECK(out[2].start == t0 + 40s);  // the schedule goes on where it would be
    CHECK(out[2].end == t0 + 50s);
}

TEST_CASE("live overlay: a higher level and a live alert keep their time, the channel plays around them",
          "[player][live]") {
    const auto live = channel(Level::Priority, 0s, 60s);
    const auto out =
        laid({entry(SourceKind::Campaign, "cp-emergency", 10s, 20s),
              entry(SourceKind::Alert, "al-flood", 30s, 35s), entry(SourceKind::Alert, "al-drill", 40s, 45s)},
             live);
    std::vector<std::pair<std::string, std::pair<Duration, Duration>>> seen;
    for (const auto& e : out) seen.push_back({std::string(e.source_id), {e.start - t0, e.end - t0}});
    const std::vector<std::pair<std::string, std::pair<Duration, Duration>>> expected{
        {"live-1", {0s, 10s}},    {"cp-emergency", {10s, 20s}}, {"live-1", {20s, 30s}},
        {"al-flood", {30s, 35s}}, {"live-1", {35s, 40s}},       {"al-drill", {40s, 45s}},
        {"live-1", {45s, 60s}}};
    CHECK(seen == expected);
    CHECK(out[0].ending == scheduler::Ending::Cut);
    CHECK(out.back().ending == scheduler::Ending::Completed);
}

TEST_CASE("live overlay: an emergency channel cuts an exercise alert but never a live alert",
          "[player][live]") {
    const auto live = channel(Level::Emergency, 0s, 60s);
    const auto out =
        laid({entry(SourceKind::Campaign, "cp-emergency", 5s, 10s),
              entry(SourceKind::Alert, "al-drill", 10s, 20s), entry(SourceKind::Alert, "al-flood", 20s, 30s)},
             live);
    REQUIRE(out.size() == 3);
    CHECK(out[0].source_kind == SourceKind::Live);
    CHECK(out[0].end == t0 + 20s);
    CHECK(out[1].source_id == "al-flood");
    CHECK(out[2].source_kind == SourceKind::Live);
    CHECK(out[2].start == t0 + 30s);
}

TEST_CASE(
    "live overlay: a normal channel does not cut a priority campaign, and entries outside it stay whole",
    "[player][live]") {
    const auto live = channel(Level::Normal, 10s, 20s);
    const std::vector<TimelineEntry> timeline{entry(SourceKind::Campaign, "cp-normal", 0s, 5s),
                                              entry(SourceKind::Campaign, "cp-priority", 5s, 30s)};
    const auto out = laid(timeline, live);
    CHECK(out == timeline);
}

TEST_CASE("live overlay: the chime rings at the channel's start, then the voice", "[player][live]") {
    auto live = channel(Level::Priority, 10s, 40s);
    live.chime = "chime-media";
    live.chime_length = 1600ms;
    const auto out = laid({entry(SourceKind::Campaign, "cp-normal", 0s, 50s)}, live);
    REQUIRE(out.size() == 4);
    CHECK(out[0].end == t0 + 10s);
    CHECK(out[1].source_kind == SourceKind::Live);
    CHECK(out[1].source_id == "live-1");
    CHECK(out[1].media == "chime-media");
    CHECK(out[1].item_index == 1);
    CHECK(out[1].start == t0 + 10s);
    CHECK(out[1].end == t0 + 11600ms);
    CHECK(out[2].media == "live-media");
    CHECK(out[2].item_index == 0);
    CHECK(out[2].start == t0 + 11600ms);
    CHECK(out[2].end == t0 + 40s);
    CHECK(out[3].start == t0 + 40s);

    SECTION("a live alert holding the channel's start has its own tone: no chime after it") {
        const auto held = laid({entry(SourceKind::Alert, "al-flood", 5s, 20s)}, live);
        REQUIRE(held.size() == 2);
        CHECK(held[0].source_id == "al-flood");
        CHECK(held[1].media == "live-media");
        CHECK(held[1].start == t0 + 20s);
    }
    SECTION("a channel shorter than its chime is only the voice") {
        auto brief = channel(Level::Priority, 10s, 11s);
        brief.chime = "chime-media";
        brief.chime_length = 1600ms;
        const auto only = laid({}, brief);
        REQUIRE(only.size() == 1);
        CHECK(only[0].media == "live-media");
    }
}

TEST_CASE("live overlay: quiet hours take a live entry out and leave the rest", "[player][live]") {
    auto live_entry = entry(SourceKind::Live, "live-1", 10s, 40s);
    const auto campaign = entry(SourceKind::Campaign, "cp-normal", 40s, 50s);
    const auto out =
        player::silence_live({live_entry, campaign}, {{t0 + 15s, t0 + 20s}, {t0 + 30s, t0 + 45s}});
    REQUIRE(out.size() == 3);
    CHECK(out[0].start == t0 + 10s);
    CHECK(out[0].end == t0 + 15s);
    CHECK(out[0].ending == scheduler::Ending::Cut);
    CHECK(out[1].start == t0 + 20s);
    CHECK(out[1].end == t0 + 30s);
    CHECK(out[1].ending == scheduler::Ending::Cut);
    CHECK(out[2].source_id == "cp-normal");  // quiet hours are the resolver's business for campaigns
    CHECK(out[2].start == t0 + 40s);
    const auto whole_night = player::silence_live({live_entry}, {{t0, t0 + 1h}});
    CHECK(whole_night.empty());
    const auto untouched = player::silence_live({live_entry}, {});
    REQUIRE(untouched.size() == 1);
    CHECK(untouched[0] == live_entry);
}
