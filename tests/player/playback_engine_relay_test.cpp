// A scheduled relay (PlayItem::relay): the station's stream plays for its planned time; when
// its source stops the filler plays and the source is tried again; one proof for the entry.
#include "bantin/player/outbox.hpp"
#include "bantin/player/playback_engine.hpp"
#include "support/fake_renderer.hpp"
#include "support/simulated_clock.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::player;
using bantin::scheduler::MediaType;
using std::chrono::milliseconds;

namespace {

struct RelayRig {
    testing::SimulatedClock clock;
    testing::FakeRenderer renderer{clock};
    PlaybackEngine engine{renderer, clock, EngineOptions{}};
    std::vector<PlaybackEvent> events;

    PlayItem relay(milliseconds length, std::string filler = "/media/filler.ogg") {
        PlayItem item;
        item.entry_id = "tiep-song";
        item.type = MediaType::Stream;
        item.location = "http://127.0.0.1:8000/vov1.mp3";
        item.planned_start = clock.wall();
        item.planned_end = item.planned_start + length;
        item.relay = true;
        item.filler_location = std::move(filler);
        return item;
    }
    PlayItem next(milliseconds from_now) {
        PlayItem item;
        item.entry_id = "ban-tin";
        item.type = MediaType::Audio;
        item.location = "/media/ban-tin.ogg";
        item.planned_start = clock.wall() + from_now;
        item.planned_end = item.planned_start + milliseconds{30'000};
        return item;
    }
    void pump() {
        auto batch = engine.handle(renderer.wait(Duration{0}));
        events.insert(events.end(), batch.begin(), batch.end());
    }
    void tick() {
        auto batch = engine.tick();
        events.insert(events.end(), batch.begin(), batch.end());
    }
    void play_for(milliseconds time) {
        renderer.first_frame();
        pump();
        clock.advance(time);
    }
    std::vector<ItemEnded> ended() const {
        std::vector<ItemEnded> out;
        for (const auto& event : events)
            if (const auto* end = std::get_if<ItemEnded>(&event))
                out.push_back(*end);
        return out;
    }
    const testing::FakeRenderer::LoadCall& last_load() const { return renderer.loads().back(); }
};

}  // namespace

TEST_CASE("a relay whose source never stops is one completed play with its relayed time",
          "[player][engine][relay]") {
    RelayRig rig;
    rig.engine.enqueue({rig.relay(milliseconds{60'000}), rig.next(milliseconds{60'000})});
    // Nothing waits behind a relay in the renderer: the next entry cannot start early.
    REQUIRE(rig.renderer.loads().size() == 1);
    CHECK(rig.last_load().request.location == "http://127.0.0.1:8000/vov1.mp3");
    rig.pump();
    rig.play_for(milliseconds{60'000});
    rig.renderer.finish();
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].outcome == Outcome::Completed);
    CHECK(rig.ended()[0].relayed == milliseconds{60'000});
    CHECK(rig.ended()[0].filler == Duration{0});
    CHECK(rig.ended()[0].source_losses == 0);
    CHECK(rig.ended()[0].note.empty());
    REQUIRE(rig.renderer.loads().size() == 2);
    CHECK(rig.last_load().request.location == "/media/ban-tin.ogg");
}

TEST_CASE("a source that dies mid-programme: the filler plays, the source is tried again, one proof",
          "[player][engine][relay]") {
    RelayRig rig;
    rig.engine.enqueue({rig.relay(milliseconds{60'000}), rig.next(milliseconds{60'000})});
    rig.pump();
    rig.play_for(milliseconds{10'000});
    rig.renderer.finish(EndReason::Eof);  // the station's encoder died: end of stream
    rig.pump();
    CHECK(rig.ended().empty());
    // The filler, for the first retry delay, played as a file.
    REQUIRE(rig.renderer.loads().size() == 2);
    CHECK(rig.last_load().request.location == "/media/filler.ogg");
    CHECK(rig.last_load().request.preload);
    CHECK(rig.last_load().option("length") == "5.000");
    rig.play_for(relay_first_retry);
    rig.renderer.finish();
    rig.pump();
    // The source again, for the rest of the slot.
    REQUIRE(rig.renderer.loads().size() == 3);
    CHECK(rig.last_load().request.location == "http://127.0.0.1:8000/vov1.mp3");
    CHECK(rig.last_load().option("length") == "45.000");
    CHECK(rig.ended().empty());
    rig.play_for(milliseconds{45'000});
    rig.renderer.finish();
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    const ItemEnded proof = rig.ended()[0];
    CHECK(proof.entry_id == "tiep-song");
    CHECK(proof.outcome == Outcome::Interrupted);
    CHECK(proof.relayed == milliseconds{55'000});
    CHECK(proof.filler == milliseconds{5'000});
    CHECK(proof.source_losses == 1);
    CHECK(proof.note ==
          "tiếp sóng 55.0 s, nguồn mất 1 lần, phát bù 5.0 s / relayed 55.0 s, source lost 1 times, filler "
          "5.0 s");
    REQUIRE(proof.started_wall);
    CHECK(proof.ended_wall - *proof.started_wall == milliseconds{60'000});
    // The proof row carries them as fields (ProofUplink::ended), as they are: they fit its length.
    REQUIRE(proof.started_monotonic);
    const auto row = relay_row_figures(
        *proof.relayed, proof.filler, proof.source_losses,
        static_cast<std::uint64_t>((proof.ended_monotonic - *proof.started_monotonic).count()));
    CHECK(row.figures == protocol::RelayFigures{55'000, 5'000, 1});
    CHECK_FALSE(row.clamped);
    // Then the schedule goes on.
    REQUIRE(rig.renderer.loads().size() == 4);
    CHECK(rig.last_load().request.location == "/media/ban-tin.ogg");
}

TEST_CASE("a source down for the whole slot is retried with growing waits and the relay fails",
          "[player][engine][relay]") {
    RelayRig rig;
    rig.engine.enqueue({rig.relay(milliseconds{40'000})});
    rig.pump();
    std::vector<std::string> fillers;
    for (int attempt = 0; attempt < 10 && rig.ended().empty(); ++attempt) {
        rig.renderer.finish(EndReason::Error, "Connection refused");  // before any sample
        rig.pump();
        if (!rig.ended().empty())
            break;
        REQUIRE(rig.last_load().request.location == "/media/filler.ogg");
        fillers.push_back(*rig.last_load().option("length"));
        rig.play_for(milliseconds{0});
        const auto length = std::stod(fillers.back());
        rig.clock.advance(milliseconds{static_cast<long>(length * 1000)});
        rig.renderer.finish();
        rig.pump();
        rig.tick();
    }
    CHECK(fillers == std::vector<std::string>{"5.000", "10.000", "20.000", "5.000"});
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].outcome == Outcome::Failed);
    CHECK(rig.ended()[0].relayed == Duration{0});
    CHECK(rig.ended()[0].filler == milliseconds{40'000});
    CHECK(rig.ended()[0].source_losses == 4);
    CHECK(rig.ended()[0].error ==
          "không tiếp sóng được / the source could not be relayed: Connection refused");
    // A failed relay still has figures for its row: nothing relayed, the filler's whole slot.
    const ItemEnded proof = rig.ended()[0];
    REQUIRE(proof.started_monotonic);
    const auto row = relay_row_figures(
        *proof.relayed, proof.filler, proof.source_losses,
        static_cast<std::uint64_t>((proof.ended_monotonic - *proof.started_monotonic).count()));
    CHECK(row.figures == protocol::RelayFigures{0, 40'000, 4});
    CHECK_FALSE(row.clamped);
}

TEST_CASE("without a filler the relay waits in silence for its retry", "[player][engine][relay]") {
    RelayRig rig;
    rig.engine.enqueue({rig.relay(milliseconds{30'000}, "")});
    rig.pump();
    rig.play_for(milliseconds{3'000});
    rig.renderer.finish(EndReason::Eof);
    rig.pump();
    CHECK(rig.renderer.loads().size() == 1);  // nothing yet: a gap until the retry
    rig.clock.advance(relay_first_retry);
    rig.tick();
    REQUIRE(rig.renderer.loads().size() == 2);
    CHECK(rig.last_load().request.location == "http://127.0.0.1:8000/vov1.mp3");
    CHECK(rig.last_load().option("length") == "22.000");
}

TEST_CASE("a relay cut by a preemption while its filler plays is one interrupted play",
          "[player][engine][relay]") {
    RelayRig rig;
    rig.engine.enqueue({rig.relay(milliseconds{60'000})});
    rig.pump();
    rig.play_for(milliseconds{10'000});
    rig.renderer.finish(EndReason::Eof);
    rig.pump();
    rig.play_for(milliseconds{2'000});  // the filler plays
    PlayItem alert;
    alert.entry_id = "canh-bao";
    alert.type = MediaType::Audio;
    alert.location = "/media/canh-bao.ogg";
    alert.planned_start = rig.clock.wall();
    alert.planned_end = alert.planned_start + milliseconds{20'000};
    const auto dropped = rig.engine.interrupt({alert});
    CHECK(dropped.empty());  // the queued retry is part of the relay, not an entry of its own
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].entry_id == "tiep-song");
    CHECK(rig.ended()[0].outcome == Outcome::Interrupted);
    CHECK(rig.ended()[0].relayed == milliseconds{10'000});
    CHECK(rig.ended()[0].filler == milliseconds{2'000});
    CHECK(rig.ended()[0].source_losses == 1);
}

TEST_CASE("a relay waiting for its retry in silence and then preempted is reported once",
          "[player][engine][relay]") {
    RelayRig rig;
    rig.engine.enqueue({rig.relay(milliseconds{60'000}, "")});
    rig.pump();
    rig.play_for(milliseconds{4'000});
    rig.renderer.finish(EndReason::Eof);
    rig.pump();
    const auto dropped = rig.engine.stop();
    CHECK(dropped.empty());
    rig.tick();
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].outcome == Outcome::Interrupted);
    CHECK(rig.ended()[0].relayed == milliseconds{4'000});
    CHECK(rig.ended()[0].filler == Duration{0});  // no filler: it waited in silence
    CHECK(rig.ended()[0].source_losses == 1);
    CHECK(rig.engine.idle());
}
