#include "bantin/player/daemon.hpp"
#include "bantin/player/outbox.hpp"
#include "bantin/player/player_state.hpp"
#include "bantin/player/runner.hpp"

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

TEST_CASE("outbox seqs are contiguous across reopening and rows go only when acked", "[player][daemon][outbox]") {
    const auto path = temporary_database();
    std::string epoch;
    {
        auto state = player::PlayerState::open(path);
        REQUIRE(state);
        epoch = state->install_epoch();
        auto outbox = player::ProofOutbox::open(state->database());
        REQUIRE(outbox);
        CHECK(outbox->append(row("a"))->seq == 1);
        CHECK(outbox->append(row("b"))->seq == 2);
    }
    auto state = player::PlayerState::open(path);
    REQUIRE(state);
    CHECK(state->install_epoch() == epoch);
    auto outbox = player::ProofOutbox::open(state->database());
    REQUIRE(outbox);
    CHECK(outbox->append(row("c"))->seq == 3);
    CHECK(*outbox->prune(2) == 2);
    auto pending = outbox->pending(10);
    REQUIRE(pending);
    REQUIRE(pending->size() == 1);
    CHECK(pending->front().seq == 3);
    CHECK(pending->front().source_id == "c");
    CHECK(outbox->append(row("d"))->seq == 4);  // pruning never reuses a seq
    std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("outbox rows keep their note, also in an outbox made before rows had one", "[player][daemon][outbox]") {
    const auto path = temporary_database();
    auto state = player::PlayerState::open(path);
    REQUIRE(state);
    // The table as earlier versions created it, with a row waiting in it.
    REQUIRE(state->database().execute(
        "CREATE TABLE proof_outbox (seq INTEGER PRIMARY KEY, source TEXT NOT NULL, source_id TEXT NOT NULL, "
        "item_index INTEGER NOT NULL, media TEXT NOT NULL, started_at_ms INTEGER NOT NULL, ended_at_ms INTEGER "
        "NOT NULL, duration_ms INTEGER NOT NULL, outcome TEXT NOT NULL, bundle_version INTEGER NOT NULL);"
        "INSERT INTO proof_outbox VALUES (1, 'campaign', 'old', 0, '" + std::string(64, 'a') +
        "', 1000, 3000, 2000, 'completed', 1);"
        "CREATE TABLE proof_counter (id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER NOT NULL);"
        "INSERT INTO proof_counter VALUES (1, 1);"));
    auto outbox = player::ProofOutbox::open(state->database());
    REQUIRE(outbox);
    auto muted = row("muted");
    muted.note = "audio: unavailable";
    REQUIRE(outbox->append(muted));
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
    interlocks.quiet_hours = {{0, 60}};  // 00:00-01:00 UTC
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
