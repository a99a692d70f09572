// A cut bulletin resumed at its offset, from the bundle to the renderer's loadfile options:
// the runner's Plan and EntryFeeder turn the timeline entry into a PlayItem that carries the
// offset, and the engine starts mpv there (docs/scheduling.md, "Preemption and resume").

#include "bantin/player/playback_engine.hpp"
#include "bantin/player/runner.hpp"
#include "support/fake_renderer.hpp"
#include "support/simulated_clock.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::player;
using namespace std::chrono_literals;

namespace {

const std::string bulletin_sha = std::string(64, '1');
const std::string notice_sha = std::string(64, '2');
const std::string jingle_sha = std::string(64, '3');

// 06:00 local time (UTC+7) on Monday 23 November 2026, and minutes after it.
TimePoint six(int minutes = 0, int seconds = 0) {
    return *parse_utc("2026-11-22T23:00:00Z") + std::chrono::minutes{minutes} + std::chrono::seconds{seconds};
}

scheduler::MediaRef audio(const std::string& sha, Duration length) {
    scheduler::MediaRef media;
    media.sha256 = sha;
    media.type = scheduler::MediaType::Audio;
    media.duration = length;
    return media;
}

scheduler::Campaign fixed(std::string id, std::string playlist, int minute, scheduler::Level level) {
    scheduler::Campaign campaign;
    campaign.id = std::move(id);
    campaign.playlist = std::move(playlist);
    campaign.mode = scheduler::Mode::FixedTime;
    campaign.fixed_times = {minute};
    campaign.level = level;
    campaign.approval = scheduler::ApprovalState::Approved;
    return campaign;
}

// A speaker: a 10-minute bulletin at 06:00, a 2-minute priority notice at 06:05, a 20 s jingle
// at 06:20.
protocol::Bundle commune_bundle() {
    protocol::Bundle bundle;
    bundle.device = "loa-1";
    bundle.version = 7;
    scheduler::Device device;
    device.id = "loa-1";
    device.kind = scheduler::DeviceKind::Speaker;
    device.zone = "xa-1";
    device.has_speaker = true;
    auto& model = bundle.model;
    model.devices = {device};
    model.media = {audio(bulletin_sha, 10min), audio(notice_sha, 2min), audio(jingle_sha, 20s)};
    model.playlists = {scheduler::Playlist{"p-bulletin", "", {{bulletin_sha, std::nullopt, 1}}},
                       scheduler::Playlist{"p-notice", "", {{notice_sha, std::nullopt, 1}}},
                       scheduler::Playlist{"p-jingle", "", {{jingle_sha, std::nullopt, 1}}}};
    model.campaigns = {fixed("bulletin", "p-bulletin", 6 * 60, scheduler::Level::Normal),
                       fixed("notice", "p-notice", 6 * 60 + 5, scheduler::Level::Priority),
                       fixed("jingle", "p-jingle", 6 * 60 + 20, scheduler::Level::Normal)};
    return bundle;
}

Plan make_plan(const protocol::Bundle& bundle) {
    auto plan = Plan::create(&bundle, {}, LocalInterlocks{},
                             DeviceIdentity{"loa-1", "xa-1", scheduler::DeviceKind::Speaker});
    if (!plan)
        FAIL(plan.error().message());
    return std::move(*plan);
}

std::optional<std::filesystem::path> anywhere(std::string_view sha256) {
    return std::filesystem::path{"/media"} / std::string(sha256);
}

}  // namespace

TEST_CASE("the resumed bulletin's PlayItem carries its offset and plays on from its position",
          "[player][runner][resume]") {
    const auto bundle = commune_bundle();
    const Plan plan = make_plan(bundle);
    auto entries = plan.entries(six(), six(30));
    REQUIRE(entries);
    REQUIRE(entries->size() >= 3);
    const auto& resumed = (*entries)[2];
    REQUIRE(resumed.source_id == "bulletin");
    REQUIRE(resumed.start == six(7));
    REQUIRE(resumed.end == six(12));
    REQUIRE(resumed.media_offset == 5min);

    EntryFeeder feeder;
    const auto items = feeder.make_items(plan, *entries, anywhere);
    REQUIRE(items.size() == entries->size());
    CHECK(items[0].media_offset == 0s);
    CHECK(items[0].plays_on);
    CHECK(items[1].plays_on);  // the notice: 2 minutes of audio
    CHECK(items[2].media_offset == 5min);
    CHECK(items[2].plays_on);
    CHECK(items[2].planned_start == six(7));
    CHECK(items[2].planned_end == six(12));
    const EntryFacts* facts = feeder.facts(items[2].entry_id);
    REQUIRE(facts != nullptr);
    CHECK(facts->media_offset == 5min);
    // The jingle (20 s) does not play on from its position: late, it plays its head.
    REQUIRE(entries->size() == 4);
    for (std::size_t i = 0; i < entries->size(); ++i) {
        if ((*entries)[i].source_id == "jingle") {
            CHECK_FALSE(items[i].plays_on);
            CHECK(items[i].media_offset == 0s);
        }
    }
}

TEST_CASE("a start-up at 06:08:30 seeks the resumed bulletin to 6:30 and stops it at 06:12",
          "[player][runner][resume]") {
    const auto bundle = commune_bundle();
    const Plan plan = make_plan(bundle);
    testing::SimulatedClock clock{six(8, 30)};
    testing::FakeRenderer renderer{clock};
    PlaybackEngine engine{renderer, clock, EngineOptions{}};
    auto entries = plan.entries(clock.wall(), clock.wall() + 1h);
    REQUIRE(entries);
    REQUIRE_FALSE(entries->empty());
    REQUIRE(entries->front().start == six(7));
    EntryFeeder feeder;
    engine.enqueue(feeder.make_items(plan, *entries, anywhere));
    REQUIRE_FALSE(renderer.loads().empty());
    const auto& load = renderer.loads().front();
    CHECK(load.request.location == "/media/" + bulletin_sha);
    // 5:00 where it was cut, plus 1:30 since the resumed entry began.
    CHECK(load.option("start") == "+390.000");
    CHECK(load.option("length") == "210.000");
}

TEST_CASE("continuity: a held entry whose media offset changed does not play on",
          "[player][runner][continuity][resume]") {
    const auto bundle = commune_bundle();
    const Plan plan = make_plan(bundle);
    auto entries = plan.entries(six(7), six(30));
    REQUIRE(entries);
    EntryFeeder feeder;
    const auto items = feeder.make_items(plan, *entries, anywhere);
    EntryFacts held = *feeder.facts(items.front().entry_id);
    CHECK(match_held_entries({&held}, *entries, six(8), Duration{500}).keep == 1);
    held.media_offset = 0s;
    CHECK(match_held_entries({&held}, *entries, six(8), Duration{500}).keep == 0);
}
