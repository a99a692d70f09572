#include "bantin/controller/ingest.hpp"
#include "bantin/controller/reports.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "fleet_fixture.hpp"

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::RecordingSink;

namespace {

protocol::MqttMessage pop_message(const std::string& device, const std::string& epoch, std::uint64_t first,
                                  std::uint64_t last, TimePoint start) {
    protocol::ProofOfPlayBatch batch;
    batch.device = device;
    batch.install_epoch = epoch;
    for (std::uint64_t seq = first; seq <= last; ++seq) {
        protocol::ProofOfPlayRow row;
        row.seq = seq;
        row.source_id = "camp-1";
        row.media = std::string(64, 'b');
        row.started_at = start + std::chrono::seconds{15 * static_cast<std::int64_t>(seq)};
        row.ended_at = row.started_at + std::chrono::seconds{15};
        row.duration_ms = 15000;
        row.bundle_version = 1;
        batch.rows.push_back(row);
    }
    return protocol::MqttMessage{"bantin/v1/dev/" + device + "/pop", protocol::encode(batch)};
}

std::uint64_t last_ack(const RecordingSink& sink, const std::string& device,
                       const protocol::TrustedKeys& keys) {
    auto acks = sink.on("bantin/v1/dev/" + device + "/ack");
    REQUIRE_FALSE(acks.empty());
    auto ack = protocol::verify_ack(acks.back().payload, keys, device);
    REQUIRE(ack);
    return ack->committed_seq;
}

std::size_t stored_rows(const std::string& database) {
    auto query = SqliteProofQuery::open(database);
    REQUIRE(query);
    auto rows = (*query)->plays_between(from_unix_ms(0), from_unix_ms(std::int64_t{1} << 50));
    REQUIRE(rows);
    return rows->size();
}

}  // namespace

TEST_CASE("a repeated batch inserts nothing and is acked again", "[ingest]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    RecordingSink sink;
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink};
    const auto message = pop_message("screen-1", "1700000000000", 1, 100, fixture.clock.wall());
    REQUIRE(ingest.accept(message));
    REQUIRE(ingest.flush());
    REQUIRE(ingest.accept(message));
    REQUIRE(ingest.flush());
    CHECK(ingest.counters().rows_received == 200);
    CHECK(ingest.counters().rows_inserted == 100);
    CHECK(stored_rows(fixture.path()) == 100);
    CHECK(sink.on("bantin/v1/dev/screen-1/ack").size() == 2);
    CHECK(last_ack(sink, "screen-1", fixture.trusted()) == 100);
}

TEST_CASE("out-of-order batches leave a visible gap and ack only the contiguous run", "[ingest]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    RecordingSink sink;
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink};
    REQUIRE(ingest.accept(pop_message("screen-1", "7", 1, 10, fixture.clock.wall())));
    REQUIRE(ingest.flush());
    REQUIRE(ingest.accept(pop_message("screen-1", "7", 21, 30, fixture.clock.wall())));
    REQUIRE(ingest.flush());
    CHECK(last_ack(sink, "screen-1", fixture.trusted()) == 10);
    auto gaps = ingest.gaps();
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].gaps == std::vector<SeqRange>{{11, 20}});
    REQUIRE(ingest.accept(pop_message("screen-1", "7", 11, 20, fixture.clock.wall())));
    REQUIRE(ingest.flush());
    CHECK(last_ack(sink, "screen-1", fixture.trusted()) == 30);
    CHECK(ingest.gaps().empty());
    CHECK(stored_rows(fixture.path()) == 30);
}

TEST_CASE("a crash between commit and ack loses only the ack: the resend is acked without a second row",
          "[ingest]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    const auto message = pop_message("screen-1", "42", 1, 50, fixture.clock.wall());
    {
        RecordingSink lost;  // the process dies before these acks reach the broker
        Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, lost};
        REQUIRE(ingest.accept(message));
        REQUIRE(ingest.flush());
    }
    fixture.store.reset();  // restart: reopen the database file
    auto reopened = SqliteStore::open(fixture.path(), fixture.clock);
    REQUIRE(reopened);
    fixture.store = std::move(*reopened);
    RecordingSink sink;
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink};
    REQUIRE(ingest.accept(message));  // the device resends: it never saw an ack
    REQUIRE(ingest.flush());
    CHECK(ingest.counters().rows_inserted == 0);
    CHECK(stored_rows(fixture.path()) == 50);
    CHECK(last_ack(sink, "screen-1", fixture.trusted()) == 50);
}

TEST_CASE("batches from many devices in one flush are committed together and acked per device", "[ingest]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-2", "zone-1");
    RecordingSink sink;
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink};
    REQUIRE(ingest.accept(pop_message("screen-1", "1", 1, 5, fixture.clock.wall())));
    REQUIRE(ingest.accept(pop_message("screen-2", "1", 1, 3, fixture.clock.wall())));
    REQUIRE(ingest.flush());
    CHECK(ingest.counters().flushes == 1);
    CHECK(last_ack(sink, "screen-1", fixture.trusted()) == 5);
    CHECK(last_ack(sink, "screen-2", fixture.trusted()) == 3);
}

TEST_CASE("batches that name another device, unknown or revoked devices, or do not decode are dropped",
          "[ingest]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    auto revoked = fixture.add_device("screen-9", "zone-1");
    revoked.revoked = fixture.clock.wall();
    REQUIRE(fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.update_device(revoked); }));
    RecordingSink sink;
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink};
    auto forged = pop_message("screen-1", "1", 1, 2, fixture.clock.wall());
    forged.topic = "bantin/v1/dev/screen-2/pop";
    CHECK_FALSE(ingest.accept(forged));
    CHECK_FALSE(ingest.accept(pop_message("ghost", "1", 1, 2, fixture.clock.wall())));
    CHECK_FALSE(ingest.accept(pop_message("screen-9", "1", 1, 2, fixture.clock.wall())));
    CHECK_FALSE(ingest.accept(protocol::MqttMessage{"bantin/v1/dev/screen-1/pop", "{not json"}));
    CHECK(ingest.counters().dropped == 4);
    CHECK_FALSE(ingest.has_pending());
}

TEST_CASE("status updates online state, applied version and presence history", "[ingest][fleet]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    auto history = SqliteFleetHistory::open(fixture.directory.file("fleet.db"));
    REQUIRE(history);
    RecordingSink sink;
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink, history->get()};
    protocol::Status status;
    status.device = "screen-1";
    status.reported_at = fixture.clock.wall();
    status.install_epoch = "1";
    status.boot_id = "boot-1";
    status.software_version = "0.1";
    status.applied_bundle_version = 4;
    status.desired_bundle_version = 4;
    const TimePoint came_online = fixture.clock.wall();
    REQUIRE(ingest.accept(protocol::MqttMessage{"bantin/v1/dev/screen-1/status", protocol::encode(status)}));
    REQUIRE(ingest.flush());
    auto device = fixture.device("screen-1");
    CHECK(device.online);
    CHECK(device.applied_version == 4);
    CHECK(device.last_seen == came_online);
    fixture.clock.advance(std::chrono::hours{3});
    status.presence = protocol::Presence::Offline;
    REQUIRE(ingest.accept(protocol::MqttMessage{"bantin/v1/dev/screen-1/status", protocol::encode(status)}));
    REQUIRE(ingest.flush());
    CHECK_FALSE(fixture.device("screen-1").online);
    fixture.clock.advance(std::chrono::hours{1});
    auto changes = (*history)->changes("screen-1", came_online, fixture.clock.wall());
    REQUIRE(changes);
    REQUIRE(changes->size() == 2);
    auto summary = summarise_uptime("screen-1", *changes, came_online, fixture.clock.wall());
    CHECK(summary.online == std::chrono::hours{3});
    CHECK(summary.observed == std::chrono::hours{4});
    CHECK(summary.ratio() == Approx(0.75));
}

TEST_CASE("install epochs map to stable store keys", "[ingest]") {
    CHECK(install_epoch_key("1700000000000") == 1700000000000);
    CHECK(install_epoch_key("abc") == install_epoch_key("abc"));
    CHECK(install_epoch_key("abc") != install_epoch_key("abd"));
    CHECK(install_epoch_key("abc") >= 0);
    CHECK(proof_subscription("bantin-ingest") == "$share/bantin-ingest/bantin/v1/dev/+/pop");
}
