// A relay from a real Icecast server (Debian's icecast2 on loopback, fed by ffmpeg) through
// real libmpv, headless: when its source dies mid-programme the filler plays, and when the
// source is back the station is relayed again until the planned end; one proof.
#include "bantin/player/mpv_renderer.hpp"
#include "bantin/player/playback_engine.hpp"
#include "media_fixture.hpp"
#include "support/icecast_server.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::player;
using namespace bantin::testing;
using bantin::scheduler::MediaType;
using std::chrono::milliseconds;

TEST_CASE("a relay survives its Icecast source dying mid-programme: filler, then the station again",
          "[player][mpv][headless][icecast][relay]") {
    if (!test::IcecastServer::installed())
        FAIL("icecast2 is not installed (scripts/install-deps.sh installs it)");
    test::IcecastServer icecast;
    auto started = icecast.start();
    REQUIRE(started);
    TempDir dir;
    const auto filler = make_tone(dir, "filler.wav", 30.0, 660);
    auto source = test::IcecastSource::start(icecast, "vov1.mp3", dir / "source.log");
    REQUIRE(source);
    INFO(icecast.log() << source->output());
    REQUIRE(icecast.wait_for_mount("vov1.mp3", milliseconds{15'000}));

    SystemClock clock;
    RendererConfig config;
    config.mode = OutputMode::Headless;
    auto renderer = MpvRenderer::create(config, clock);
    REQUIRE(renderer);
    PlaybackEngine engine(**renderer, clock, EngineOptions{});
    PlayItem relay;
    relay.entry_id = "tiep-song";
    relay.type = MediaType::Stream;
    relay.location = icecast.url("vov1.mp3");
    relay.planned_start = clock.wall();
    relay.planned_end = relay.planned_start + milliseconds{16'000};
    relay.relay = true;
    relay.filler_location = filler.string();
    engine.enqueue({relay});

    auto events =
        run_until(**renderer, engine, milliseconds{20'000},
                  [](const std::vector<PlaybackEvent>& seen) { return !started_items(seen).empty(); });
    REQUIRE(started_items(events).size() == 1);
    source->kill();  // the station's encoder dies
    // The source comes back while the filler plays (the retry is relay_first_retry after the loss).
    auto again = test::IcecastSource::start(icecast, "vov1.mp3", dir / "source-again.log");
    REQUIRE(again);
    events = run_until(**renderer, engine, milliseconds{60'000},
                       [](const std::vector<PlaybackEvent>& seen) { return !ended_items(seen).empty(); });
    const auto ended = ended_items(events);
    REQUIRE(ended.size() == 1);
    const ItemEnded proof = ended[0];
    INFO(proof.note << " " << proof.error);
    CHECK(proof.entry_id == "tiep-song");
    CHECK(proof.outcome == Outcome::Interrupted);
    // One loss: had the retry not reached the station, each failed try would be another.
    CHECK(proof.source_losses == 1);
    CHECK(proof.filler > Duration{0});
    REQUIRE(proof.relayed);
    CHECK(*proof.relayed > Duration{0});
    CHECK(proof.note.starts_with("tiếp sóng "));
    CHECK(engine.idle());
}
