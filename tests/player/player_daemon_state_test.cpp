#include "bantin/player/bundle_intake.hpp"
#include "bantin/player/daemon.hpp"
#include "bantin/player/outbox.hpp"
#include "bantin/player/player_state.hpp"
#include "bantin/player/runner.hpp"
#include "bantin/protocol/codec.hpp"
#include "support/simulated_clock.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

using namespace bantin;

namespace {

std::filesystem::path temporary_database() {
    return std::filesystem::temp_directory_path() /
           ("bantin-state-" + std::to_string(std::random_device{}()) + "/player.sqlite3");
}

protocol::ProofOfPlayRow row(std::string source_id) {
    protocol::ProofOfPlayRow result;
    result.source_id = std::move(source_id);
    result.media = std::string(64, 'a');
    result.started_at = from_unix_ms(1000);
    result.ended_at = from_unix_ms(3000);
    result.duration_ms = 2000;
    result.bundle_version = 1;
    return result;
}

}  // namespace

TEST_CASE("outbox seqs are contiguous across reopening and rows go only when acked",
          "[player][daemon][outbox]") {
    const auto path = temporary_database();
    std::string epoch;
    {
        auto state = player::PlayerState::open(path);
        REQUIRE(state);
        epoch = state->install_epoch();
        auto outbox = player::ProofOutbox::open(state->database());
        REQUIRE(outbox);
        CHECK(outbox->append(row("a")).row.seq == 1);
        CHECK(outbox->append(row("b")).row.seq == 2);
    }
    auto state = player::PlayerState::open(path);
    REQUIRE(state);
    CHECK(state->install_epoch() == epoch);
    auto outbox = player::ProofOutbox::open(state->database());
    REQUIRE(outbox);
    CHECK(outbox->append(row("c")).row.seq == 3);
    CHECK(*outbox->prune(2) == 2);
    auto pending = outbox->pending(10);
    REQUIRE(pending);
    REQUIRE(pending->size() == 1);
    CHECK(pending->front().seq == 3);
    CHECK(pending->front().source_id == "c");
    CHECK(outbox->append(row("d")).row.seq == 4);  // pruning never reuses a seq
    std::filesystem::remove_all(path.parent_path());
}

namespace {

// The injected failure: a real SQLite connection that refuses every write (SQLITE_READONLY),
// as a full or read-only state disk does, until allowed again.
void refuse_writes(player::PlayerState& state, bool refuse) {
    REQUIRE(state.database().execute(refuse ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF"));
}

std::vector<std::uint64_t> pending_seqs(player::ProofOutbox& outbox) {
    auto pending = outbox.pending(1000);
    REQUIRE(pending);
    std::vector<std::uint64_t> seqs;
    for (const auto& stored : *pending) seqs.push_back(stored.seq);
    return seqs;
}

}  // namespace

TEST_CASE("rows the database cannot write keep their seq in memory and are written in order once it can",
          "[player][daemon][outbox][disk-full]") {
    const auto path = temporary_database();
    auto state = player::PlayerState::open(path);
    REQUIRE(state);
    auto outbox = player::ProofOutbox::open(state->database());
    REQUIRE(outbox);
    CHECK(outbox->append(row("a")).durable);
    refuse_writes(*state, true);
    for (const char* id : {"b", "c", "d"}) {
        const auto appended = outbox->append(row(id));
        CHECK_FALSE(appended.durable);
        REQUIRE(appended.error);
        CHECK(appended.row.source_id == id);
    }
    CHECK(outbox->unwritten() == 3);
    CHECK_FALSE(outbox->write_unwritten());                         // retried on a loop pass: still refused
    CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{1});  // only durable rows are published
    CHECK(*outbox->last_seq() == 1);
    refuse_writes(*state, false);
    // The next row writes everything before it, in order, with the seqs they were given.
    const auto appended = outbox->append(row("e"));
    CHECK(appended.durable);
    CHECK(appended.row.seq == 5);
    CHECK(outbox->unwritten() == 0);
    CHECK(outbox->lost_rows() == 0);
    CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
    auto pending = outbox->pending(10);
    REQUIRE(pending);
    CHECK((*pending)[1].source_id == "b");
    CHECK((*pending)[3].source_id == "d");
    // And the counter moved with them: a reopened outbox goes on at 6.
    auto reopened = player::ProofOutbox::open(state->database());
    REQUIRE(reopened);
    CHECK(reopened->append(row("f")).row.seq == 6);
    std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("rows beyond the memory queue are counted in one gap marker and seqs stay contiguous",
          "[player][daemon][outbox][disk-full]") {
    const auto path = temporary_database();
    auto state = player::PlayerState::open(path);
    REQUIRE(state);
    auto outbox = player::ProofOutbox::open(state->database(), 3);
    REQUIRE(outbox);
    refuse_writes(*state, true);
    for (int i = 0; i < 3; ++i)
        CHECK(outbox->append(row("r" + std::to_string(i))).row.seq == std::uint64_t(i + 1));
    auto lost = row("lost1");
    lost.started_at = from_unix_ms(10'000);
    lost.ended_at = from_unix_ms(12'000);
    CHECK(outbox->append(lost).row.seq == 4);
    lost.started_at = from_unix_ms(12'000);
    lost.ended_at = from_unix_ms(14'000);
    const auto merged = outbox->append(lost);
    CHECK(merged.row.seq == 4);  // the same marker
    CHECK(merged.row.source_id == player::proof_gap_source_id);
    CHECK(outbox->lost_rows() == 2);
    CHECK(outbox->unwritten() == 4);
    refuse_writes(*state, false);
    REQUIRE(outbox->write_unwritten() == std::size_t{4});
    CHECK(outbox->append(row("after")).row.seq == 5);
    CHECK(pending_seqs(*outbox) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
    auto pending = outbox->pending(10);
    REQUIRE(pending);
    const auto& gap = (*pending)[3];
    CHECK(gap.source_id == player::proof_gap_source_id);
    CHECK(gap.item_index == 2);  // plays it stands for
    CHECK(gap.outcome == protocol::Outcome::Failed);
    CHECK(gap.media == std::string(64, '0'));
    CHECK(gap.started_at == from_unix_ms(10'000));
    CHECK(gap.ended_at == from_unix_ms(14'000));
    CHECK(gap.duration_ms == 0);
    // It is a valid row on the wire (an older controller stores it as a failed play).
    const protocol::ProofOfPlayBatch batch{"dev-1", state->install_epoch(), *pending};
    auto decoded = protocol::decode_uplink(protocol::encode(batch));
    REQUIRE(decoded);
    CHECK(std::get<protocol::ProofOfPlayBatch>(*decoded) == batch);
    std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("started marks left by a crash become interrupted rows ending when the player was last known alive",
          "[player][daemon][outbox][crash]") {
    const auto path = temporary_database();
    testing::SimulatedClock clock;
    {
        auto state = player::PlayerState::open(path);
        REQUIRE(state);
        auto outbox = player::ProofOutbox::open(state->database());
        REQUIRE(outbox);
        // An item that ends normally: its row deletes its mark in the same transaction.
        auto first = row("cp-ended");
        first.started_at = clock.wall();
        auto mark = outbox->mark_started(first, clock.wall() + Duration{10'000});
        REQUIRE(mark);
        clock.advance(Duration{10'000});
        first.ended_at = clock.wall();
        first.duration_ms = 10'000;
        CHECK(outbox->append(first, *mark).durable);
        // A 60 s item, alive marks every 5 s, cut by a kill after 12 s.
        auto cut = row("cp-cut");
        cut.started_at = clock.wall();
        REQUIRE(outbox->mark_started(cut, clock.wall() + Duration{60'000}));
        for (int i = 0; i < 2; ++i) {
            clock.advance(Duration{5000});
            REQUIRE(outbox->mark_alive(clock.wall()));
        }
        clock.advance(Duration{2000});
        // A 3 s item whose row had not been written when the power went: an alive mark
        // written after its planned end does not stretch it.
        auto short_item = row("cp-short");
        short_item.started_at = clock.wall() - Duration{4000};
        REQUIRE(outbox->mark_started(short_item, short_item.started_at + Duration{3000}));
        REQUIRE(outbox->mark_alive(clock.wall()));
        CHECK(*outbox->started_marks() == 2);
    }  // the process dies here: nothing more is written
    auto state = player::PlayerState::open(path);
    REQUIRE(state);
    auto outbox = player::ProofOutbox::open(state->database());
    REQUIRE(outbox);
    CHECK(*outbox->recover_started() == 2);
    CHECK(*outbox->started_marks() == 0);
    CHECK(*outbox->recover_started() == 0);  // each mark becomes one row, once
    auto pending = outbox->pending(10);
    REQUIRE(pending);
    REQUIRE(pending->size() == 3);
    CHECK((*pending)[0].source_id == "cp-ended");
    CHECK((*pending)[0].outcome == protocol::Outcome::Completed);
    const auto& cut_row = (*pending)[1];  // ordered by start
    CHECK(cut_row.source_id == "cp-cut");
    CHECK(cut_row.outcome == protocol::Outcome::Interrupted);
    CHECK(cut_row.seq == 2);
    CHECK(cut_row.duration_ms == 12'000);  // the last alive mark, not its planned 60 s
    const auto& short_row = (*pending)[2];
    CHECK(short_row.source_id == "cp-short");
    CHECK(short_row.seq == 3);
    CHECK(short_row.outcome == protocol::Outcome::Interrupted);
    CHECK(short_row.duration_ms == 3000);
    CHECK(short_row.ended_at == short_row.started_at + Duration{3000});
    CHECK(cut_row.ended_at == cut_row.started_at + Duration{12'000});
    std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("a play is completed only when it ran its whole slot", "[player][daemon][outbox]") {
    using player::Outcome;
    const Duration slot{2000};
    CHECK(player::proof_outcome(Outcome::Completed, Duration{2000}, slot) == protocol::Outcome::Completed);
    CHECK(player::proof_outcome(Outcome::Completed, Duration{1600}, slot) == protocol::Outcome::Completed);
    // A replay after a restart that ran 0.36 s of its 2 s slot.
    CHECK(player::proof_outcome(Outcome::Completed, Duration{360}, slot) == protocol::Outcome::Interrupted);
    CHECK(player::proof_outcome(Outcome::Completed, Duration{1400}, slot) == protocol::Outcome::Interrupted);
    CHECK(player::proof_outcome(Outcome::Interrupted, Duration{2000}, slot) ==
          protocol::Outcome::Interrupted);
    CHECK(player::proof_outcome(Outcome::Failed, Duration{0}, slot) == protocol::Outcome::Failed);
}

TEST_CASE("an alert cancel the state cannot save is refused, and saved once writes succeed",
          "[player][daemon][state][disk-full]") {
    const auto path = temporary_database();
    auto state = player::PlayerState::open(path);
    REQUIRE(state);
    REQUIRE(state->store_alert({"al-storm", "envelope"}));
    refuse_writes(*state, true);
    CHECK_FALSE(state->cancel_alert("al-storm"));
    CHECK(state->alerts()->size() == 1);  // the daemon keeps the cancel in memory meanwhile
    refuse_writes(*state, false);
    REQUIRE(state->cancel_alert("al-storm"));
    CHECK(state->alerts()->empty());
    CHECK(*state->cancelled_alerts() == std::vector<std::string>{"al-storm"});
    std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("outbox rows keep their note, also in an outbox made before rows had one",
          "[player][daemon][outbox]") {
    const auto path = temporary_database();
    auto state = player::PlayerState::open(path);
    REQUIRE(state);
    // The table as earlier versions created it, with a row waiting in it.
    REQUIRE(state->database().execute(
        "CREATE TABLE proof_outbox (seq INTEGER PRIMARY KEY, source TEXT NOT NULL, source_id TEXT NOT NULL, "
        "item_index INTEGER NOT NULL, media TEXT NOT NULL, started_at_ms INTEGER NOT NULL, ended_at_ms "
        "INTEGER "
        "NOT NULL, duration_ms INTEGER NOT NULL, outcome TEXT NOT NULL, bundle_version INTEGER NOT NULL);"
        "INSERT INTO proof_outbox VALUES (1, 'campaign', 'old', 0, '" +
        std::string(64, 'a') +
        "', 1000, 3000, 2000, 'completed', 1);"
        "CREATE TABLE proof_counter (id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER NOT NULL);"
        "INSERT INTO proof_counter VALUES (1, 1);"));
    auto outbox = player::ProofOutbox::open(state->database());
    REQUIRE(outbox);
    auto muted = row("muted");
    muted.note = "audio: unavailable";
    REQUIRE(outbox->append(muted).durable);
    auto reopened = player::ProofOutbox::open(state->database());  // the column is added once
    REQUIRE(reopened);
    auto pending = reopened->pending(10);
    REQUIRE(pending);
    REQUIRE(pending->size() == 2);
    CHECK(pending->at(0).source_id == "old");
    CHECK(pending->at(0).note.empty());
    CHECK(pending->at(1).source_id == "muted");
    CHECK(pending->at(1).note == "audio: unavailable");
    std::filesystem::remove_all(path.parent_path());
}

TEST_CASE(
    "a relay row keeps its figures, and rows an outbox wrote before figures existed read back without them",
    "[player][daemon][outbox][relay]") {
    const auto path = temporary_database();
    auto state = player::PlayerState::open(path);
    REQUIRE(state);
    // The table as the version before relay figures created it (with notes), a relay's row
    // waiting in it: its figures are only in its note.
    REQUIRE(state->database().execute(
        "CREATE TABLE proof_outbox (seq INTEGER PRIMARY KEY, source TEXT NOT NULL, source_id TEXT NOT NULL, "
        "item_index INTEGER NOT NULL, media TEXT NOT NULL, started_at_ms INTEGER NOT NULL, ended_at_ms "
        "INTEGER NOT NULL, duration_ms INTEGER NOT NULL, outcome TEXT NOT NULL, bundle_version INTEGER NOT "
        "NULL, "
        "note TEXT NOT NULL DEFAULT '');"
        "INSERT INTO proof_outbox VALUES (1, 'campaign', 'old-relay', 0, '" +
        std::string(64, 'a') +
        "', 1000, 61000, 60000, 'interrupted', 1, 'tiếp sóng 55.0 s, nguồn mất 1 lần, phát bù 5.0 s / "
        "relayed "
        "55.0 s, source lost 1 times, filler 5.0 s');"
        "CREATE TABLE proof_counter (id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER NOT NULL);"
        "INSERT INTO proof_counter VALUES (1, 1);"));
    auto outbox = player::ProofOutbox::open(state->database());
    REQUIRE(outbox);
    auto relay = row("relay");
    relay.relay = protocol::RelayFigures{1'500, 400, 2};
    auto failed = row("failed-relay");  // the source never came: nothing relayed, still figures
    failed.duration_ms = 0;
    failed.outcome = protocol::Outcome::Failed;
    failed.relay = protocol::RelayFigures{0, 0, 3};
    REQUIRE(outbox->append(relay).durable);
    REQUIRE(outbox->append(failed).durable);
    REQUIRE(outbox->append(row("plain")).durable);
    auto reopened = player::ProofOutbox::open(state->database());  // the columns are added once
    REQUIRE(reopened);
    auto pending = reopened->pending(10);
    REQUIRE(pending);
    REQUIRE(pending->size() == 4);
    CHECK(pending->at(0).source_id == "old-relay");
    CHECK_FALSE(pending->at(0).relay);
    CHECK(pending->at(0).note.starts_with("tiếp sóng 55.0 s"));
    CHECK(pending->at(1).relay == protocol::RelayFigures{1'500, 400, 2});
    CHECK(pending->at(2).relay == protocol::RelayFigures{0, 0, 3});
    CHECK_FALSE(pending->at(3).relay);
    // What goes on the wire decodes as stored: the old row without figures, the new with them.
    auto sent = protocol::decode_proof_of_play(
        protocol::encode(protocol::ProofOfPlayBatch{"loa-1", state->install_epoch(), *pending}));
    REQUIRE(sent);
    CHECK(sent->rows == *pending);
    std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("a relay's figures are kept within the play's own length before they are stored",
          "[player][daemon][outbox][relay]") {
    using std::chrono::milliseconds;
    // The engine's figures: kept as they are.
    auto kept = player::relay_row_figures(milliseconds{55'000}, milliseconds{5'000}, 1, 60'000);
    CHECK(kept.figures == protocol::RelayFigures{55'000, 5'000, 1});
    CHECK_FALSE(kept.clamped);
    CHECK_FALSE(player::relay_row_figures(milliseconds{0}, milliseconds{0}, 4, 0).clamped);
    // More than the row's duration (relayed first, then the filler), negatives, too many losses.
    auto over = player::relay_row_figures(milliseconds{58'000}, milliseconds{5'000}, 1, 60'000);
    CHECK(over.figures == protocol::RelayFigures{58'000, 2'000, 1});
    CHECK(over.clamped);
    auto negative = player::relay_row_figures(milliseconds{-5}, milliseconds{-1}, -2, 60'000);
    CHECK(negative.figures == protocol::RelayFigures{0, 0, 0});
    CHECK(negative.clamped);
    auto losses = player::relay_row_figures(milliseconds{1}, milliseconds{0}, 2'000'000, 60'000);
    CHECK(losses.figures.source_losses == protocol::max_source_losses);
    CHECK(losses.clamped);
    const auto week_ms = static_cast<std::int64_t>(protocol::max_relay_figure_ms);
    auto week = player::relay_row_figures(milliseconds{week_ms + 1000}, milliseconds{0}, 0,
                                          protocol::max_relay_figure_ms + 5000);
    CHECK(week.figures.relayed_ms == protocol::max_relay_figure_ms);
    CHECK(week.clamped);
}

TEST_CASE("the volume never exceeds the local cap, whatever is asked", "[player][daemon][runner]") {
    CHECK(player::effective_volume(100, std::nullopt, 30) == 30);
    CHECK(player::effective_volume(20, std::nullopt, 30) == 20);
    CHECK(player::effective_volume(20, 90, 30) == 30);
    CHECK(player::effective_volume(20, 10, 30) == 10);
}

TEST_CASE("local quiet hours silence a campaign the bundle plays all day", "[player][daemon][runner]") {
    protocol::Bundle bundle;
    bundle.device = "dev-1";
    bundle.version = 3;
    scheduler::Device device;
    device.id = "dev-1";
    device.zone = "z";
    device.time_zone = "UTC";
    device.has_speaker = true;
    bundle.model.devices = {device};
    scheduler::MediaRef image;
    image.sha256 = std::string(64, 'b');
    image.type = scheduler::MediaType::Image;
    image.duration = Duration{10000};
    image.has_audio = false;
    bundle.model.media = {image};
    bundle.model.playlists = {{"pl", "", {{image.sha256, std::nullopt, 1}}}};
    scheduler::Campaign campaign;
    campaign.id = "cp";
    campaign.playlist = "pl";
    campaign.approval = scheduler::ApprovalState::Approved;
    bundle.model.campaigns = {campaign};
    const TimePoint midnight = from_unix_ms(1'767'225'600'000);  // 2026-01-01T00:00Z
    player::LocalInterlocks interlocks;
    interlocks.quiet_hours = {{0, 60}};  // 00:00-01:00 on the device's own clock
    interlocks.time_zone = "UTC";        // which here is UTC
    auto plan = player::Plan::create(&bundle, {}, interlocks, {"dev-1", "z", scheduler::DeviceKind::Screen});
    REQUIRE(plan);
    auto quiet = plan->entries(midnight, midnight + std::chrono::minutes{60});
    REQUIRE(quiet);
    CHECK(quiet->empty());
    auto after = plan->entries(midnight + std::chrono::minutes{60}, midnight + std::chrono::minutes{61});
    REQUIRE(after);
    REQUIRE(!after->empty());
    CHECK(after->front().source_id == "cp");
    CHECK(plan->bundle_version() == 3);
}

TEST_CASE("download rounds that leave media missing back off, from the first wait to a cap",
          "[player][daemon][fetch]") {
    using std::chrono::minutes;
    using std::chrono::seconds;
    const Duration first = seconds{30};
    // Without jitter (unit_random 0 is the top of the range): 30 s, 60 s, 120 s, ... 15 min.
    CHECK(player::download_round_wait(first, 1, 0.0) == seconds{30});
    CHECK(player::download_round_wait(first, 2, 0.0) == seconds{60});
    CHECK(player::download_round_wait(first, 3, 0.0) == seconds{120});
    CHECK(player::download_round_wait(first, 6, 0.0) == minutes{15});
    CHECK(player::download_round_wait(first, 40, 0.0) == minutes{15});
    // Jitter spreads a fleet that failed together, never below 80 % of the wait.
    const Duration spread = player::download_round_wait(first, 3, 0.999);
    CHECK(spread >= seconds{96});
    CHECK(spread <= seconds{120});
    // A first wait longer than the cap is kept as it is.
    CHECK(player::download_round_wait(minutes{20}, 3, 0.0) == minutes{20});
}

TEST_CASE("a ticker row keeps its region in the outbox, and so does a ticker line cut by a crash",
          "[player][daemon][outbox][ticker]") {
    const auto path = temporary_database();
    {
        auto state = player::PlayerState::open(path);
        REQUIRE(state);
        // An outbox made before rows had a region: its tables get the column, its rows read main.
        REQUIRE(player::ProofOutbox::open(state->database()));
        REQUIRE(state->database().execute("ALTER TABLE proof_outbox DROP COLUMN region"));
        REQUIRE(state->database().execute("ALTER TABLE proof_started DROP COLUMN region"));
        REQUIRE(state->database().execute(
            "INSERT INTO proof_outbox (seq, source, source_id, item_index, media, started_at_ms, "
            "ended_at_ms, "
            "duration_ms, outcome, bundle_version) VALUES (1, 'campaign', 'cp-old', 0, 'aa', 0, 1, 1, "
            "'completed', 1)"));
        REQUIRE(state->database().execute("UPDATE proof_counter SET last_seq = 1"));
    }
    {
        auto state = player::PlayerState::open(path);
        REQUIRE(state);
        auto outbox = player::ProofOutbox::open(state->database());
        REQUIRE(outbox);
        auto line = row("cp-ticker");
        line.region = scheduler::Region::Ticker;
        CHECK(outbox->append(line).durable);
        auto cut = row("cp-ticker-cut");
        cut.region = scheduler::Region::Ticker;
        REQUIRE(outbox->mark_started(cut, cut.started_at + Duration{5000}));
    }  // a crash: the cut line's mark is left
    auto state = player::PlayerState::open(path);
    REQUIRE(state);
    auto outbox = player::ProofOutbox::open(state->database());
    REQUIRE(outbox);
    CHECK(*outbox->recover_started() == 1);
    auto pending = outbox->pending(10);
    REQUIRE(pending);
    REQUIRE(pending->size() == 3);
    CHECK((*pending)[0].source_id == "cp-old");
    CHECK((*pending)[0].region == scheduler::Region::Main);
    CHECK((*pending)[1].source_id == "cp-ticker");
    CHECK((*pending)[1].region == scheduler::Region::Ticker);
    CHECK((*pending)[2].source_id == "cp-ticker-cut");
    CHECK((*pending)[2].region == scheduler::Region::Ticker);
    CHECK((*pending)[2].outcome == protocol::Outcome::Interrupted);
    std::filesystem::remove_all(path.parent_path());
}
