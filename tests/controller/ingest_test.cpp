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

namespace {

protocol::MqttMessage status_message(const std::string& device, bool online, bool playing, TimePoint at) {
    protocol::Status status;
    status.device = device;
    status.presence = online ? protocol::Presence::Online : protocol::Presence::Offline;
    status.reported_at = at;
    status.install_epoch = "1700000000000";
    status.boot_id = "boot-1";
    status.software_version = "0.1";
    if (playing)
        status.now_playing =
            protocol::NowPlaying{protocol::SourceKind::Campaign, "camp-1", std::string(64, 'b'), at};
    return protocol::MqttMessage{"bantin/v1/dev/" + device + "/status", protocol::encode(status)};
}

}  // namespace

TEST_CASE("a device online and playing with no proof committed for stall_alarm is reported once per stall",
          "[ingest][stall]") {
    using std::chrono::minutes;
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-2", "zone-1");
    fixture.add_device("screen-3", "zone-1");
    RecordingSink sink;
    ProofStallWatch stalls{minutes{10}};
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink, nullptr, &stalls};
    auto feed = [&](const protocol::MqttMessage& message) {
        REQUIRE(ingest.accept(message));
        REQUIRE(ingest.flush());
    };
    const TimePoint start = fixture.clock.wall();
    feed(status_message("screen-1", true, true, start));   // playing, will send nothing
    feed(status_message("screen-2", true, true, start));   // playing, sends proof
    feed(status_message("screen-3", true, false, start));  // online, nothing to play
    feed(pop_message("screen-2", "1700000000000", 1, 1, start));

    fixture.clock.advance(minutes{9});
    feed(status_message("screen-1", true, true, fixture.clock.wall()));  // a later status keeps the wait
    feed(pop_message("screen-2", "1700000000000", 2, 2, start));
    CHECK(stalls.newly_stalled(fixture.clock.wall()).empty());
    CHECK_FALSE(stalls.stalled_since("screen-1", fixture.clock.wall()));

    fixture.clock.advance(minutes{1});
    const TimePoint at_ten = fixture.clock.wall();
    auto first = stalls.newly_stalled(at_ten);
    REQUIRE(first.size() == 1);
    CHECK(first[0] == ProofStall{"screen-1", start});
    CHECK(stalls.stalled_since("screen-1", at_ten) == start);
    CHECK_FALSE(stalls.stalled_since("screen-2", at_ten));
    CHECK_FALSE(stalls.stalled_since("screen-3", at_ten));
    // Once per stall: still stalled, not reported again.
    fixture.clock.advance(minutes{5});
    CHECK(stalls.newly_stalled(fixture.clock.wall()).empty());
    CHECK(stalls.stalled_since("screen-1", fixture.clock.wall()) == start);

    // A repeat of rows already committed is not new proof; a new row ends the stall.
    feed(pop_message("screen-2", "1700000000000", 1, 1, start));
    feed(pop_message("screen-1", "1700000000000", 1, 1, start));
    const TimePoint proved = fixture.clock.wall();
    CHECK_FALSE(stalls.stalled_since("screen-1", proved));
    fixture.clock.advance(minutes{10});
    // screen-2's last new row was 25 minutes ago: stalled since then; screen-1 again, a new stall.
    auto second = stalls.newly_stalled(fixture.clock.wall());
    REQUIRE(second.size() == 2);
    CHECK(second[0] == ProofStall{"screen-1", proved});
    CHECK(second[1] == ProofStall{"screen-2", start + minutes{9}});

    // Offline ends the wait; coming back starts a new one from that status.
    feed(status_message("screen-1", false, false, fixture.clock.wall()));
    CHECK_FALSE(stalls.stalled_since("screen-1", fixture.clock.wall()));
    fixture.clock.advance(minutes{30});
    CHECK_FALSE(stalls.stalled_since("screen-1", fixture.clock.wall()));
    const TimePoint back = fixture.clock.wall();
    feed(status_message("screen-1", true, true, back));
    fixture.clock.advance(minutes{10});
    auto third = stalls.newly_stalled(fixture.clock.wall());
    REQUIRE(third.size() == 1);
    CHECK(third[0] == ProofStall{"screen-1", back});
    CHECK(ingest.counters().dropped == 0);
}

TEST_CASE("a zero stall_alarm never reports a stall", "[ingest][stall]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    RecordingSink sink;
    ProofStallWatch stalls{Duration{0}};
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink, nullptr, &stalls};
    REQUIRE(ingest.accept(status_message("screen-1", true, true, fixture.clock.wall())));
    REQUIRE(ingest.flush());
    fixture.clock.advance(std::chrono::hours{24});
    CHECK(stalls.newly_stalled(fixture.clock.wall()).empty());
    CHECK_FALSE(stalls.stalled_since("screen-1", fixture.clock.wall()));
}

TEST_CASE("an interrupted row, every row's duration_ms and its note are stored as sent",
          "[ingest][duration]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    RecordingSink sink;
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink};
    protocol::ProofOfPlayBatch batch;
    batch.device = "screen-1";
    batch.install_epoch = "1700000000000";
    protocol::ProofOfPlayRow cut;  // cut by a crash, reported after the restart
    cut.seq = 1;
    cut.source_id = "camp-1";
    cut.media = std::string(64, 'b');
    cut.started_at = fixture.clock.wall();
    cut.ended_at = cut.started_at + std::chrono::milliseconds{360};
    cut.duration_ms = 360;
    cut.outcome = protocol::Outcome::Interrupted;
    protocol::ProofOfPlayRow replay = cut;
    replay.seq = 2;
    replay.started_at = cut.started_at + std::chrono::seconds{5};
    replay.ended_at = replay.started_at + std::chrono::seconds{2};
    replay.duration_ms = 2004;
    replay.outcome = protocol::Outcome::Completed;
    replay.note = std::string{protocol::audio_unavailable_note};  // shown without sound
    batch.rows = {cut, replay};
    REQUIRE(ingest.accept(protocol::MqttMessage{"bantin/v1/dev/screen-1/pop", protocol::encode(batch)}));
    REQUIRE(ingest.flush());
    CHECK(last_ack(sink, "screen-1", fixture.trusted()) == 2);
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    auto rows = (*query)->plays_between(from_unix_ms(0), from_unix_ms(std::int64_t{1} << 50));
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].outcome == PlayOutcome::Interrupted);
    CHECK((*rows)[0].duration_ms == std::int64_t{360});
    CHECK((*rows)[1].outcome == PlayOutcome::Completed);
    CHECK((*rows)[1].duration_ms == std::int64_t{2004});
    // The device's note is kept with the row.
    CHECK((*rows)[0].note.empty());
    CHECK((*rows)[1].note == "audio: unavailable");
}

TEST_CASE(
    "a relay row's figures are stored as sent, and an older player's relay row without them is stored too",
    "[ingest][relay]") {
    FleetFixture fixture;
    fixture.add_device("loa-1", "zone-1");
    RecordingSink sink;
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink};
    protocol::ProofOfPlayBatch batch;
    batch.device = "loa-1";
    batch.install_epoch = "1700000000000";
    protocol::ProofOfPlayRow relay;
    relay.seq = 1;
    relay.source_id = "tiep-song-vov1";
    relay.media = std::string(64, 'e');
    relay.started_at = fixture.clock.wall();
    relay.ended_at = relay.started_at + std::chrono::seconds{60};
    relay.duration_ms = 60'000;
    relay.outcome = protocol::Outcome::Interrupted;
    relay.note =
        "tiếp sóng 55.0 s, nguồn mất 1 lần, phát bù 5.0 s / relayed 55.0 s, source lost 1 times, "
        "filler 5.0 s";
    relay.relay = protocol::RelayFigures{55'000, 5'000, 1};
    protocol::ProofOfPlayRow old_player = relay;  // the same play from a player made before the figures
    old_player.seq = 2;
    old_player.started_at = relay.ended_at;
    old_player.ended_at = old_player.started_at + std::chrono::seconds{60};
    old_player.relay.reset();
    batch.rows = {relay, old_player};
    REQUIRE(ingest.accept(protocol::MqttMessage{"bantin/v1/dev/loa-1/pop", protocol::encode(batch)}));
    REQUIRE(ingest.flush());
    CHECK(last_ack(sink, "loa-1", fixture.trusted()) == 2);
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    auto rows = (*query)->plays_between(from_unix_ms(0), from_unix_ms(std::int64_t{1} << 50));
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].relay == protocol::RelayFigures{55'000, 5'000, 1});
    CHECK((*rows)[0].note == relay.note);  // kept for a person; nothing reads the figures from it
    CHECK_FALSE((*rows)[1].relay);
    CHECK((*rows)[1].duration_ms == std::int64_t{60'000});
}

TEST_CASE("a batch with hostile relay figures is dropped whole and not acked", "[ingest][relay]") {
    FleetFixture fixture;
    fixture.add_device("loa-1", "zone-1");
    RecordingSink sink;
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink};
    protocol::ProofOfPlayBatch batch;
    batch.device = "loa-1";
    batch.install_epoch = "1700000000000";
    protocol::ProofOfPlayRow row;
    row.seq = 1;
    row.source_id = "tiep-song-vov1";
    row.media = std::string(64, 'e');
    row.started_at = fixture.clock.wall();
    row.ended_at = row.started_at + std::chrono::seconds{60};
    row.duration_ms = 60'000;
    row.relay = protocol::RelayFigures{60'000, 1, 0};  // more than the play itself
    batch.rows = {row};
    CHECK_FALSE(ingest.accept(protocol::MqttMessage{"bantin/v1/dev/loa-1/pop", protocol::encode(batch)}));
    REQUIRE(ingest.flush());
    CHECK(sink.on("bantin/v1/dev/loa-1/ack").empty());
    CHECK(stored_rows(fixture.path()) == 0);
}

TEST_CASE("a live broadcast's rows are filed under their channel, not as an alert's", "[ingest][live]") {
    FleetFixture fixture;
    fixture.add_device("loa-1", "zone-1");
    RecordingSink sink;
    Ingest ingest{*fixture.store, fixture.clock, fixture.keys.secret, sink};
    protocol::ProofOfPlayBatch batch;
    batch.device = "loa-1";
    batch.install_epoch = "1700000000000";
    protocol::ProofOfPlayRow live;
    live.seq = 1;
    live.source = protocol::SourceKind::Live;
    live.source_id = "live-00112233aabbccdd";
    live.media = std::string(64, 'f');
    live.started_at = fixture.clock.wall();
    live.ended_at = live.started_at + std::chrono::seconds{90};
    live.duration_ms = 90'000;
    protocol::ProofOfPlayRow alert = live;
    alert.seq = 2;
    alert.source = protocol::SourceKind::Alert;
    alert.source_id = "canh-bao-bao";
    protocol::ProofOfPlayRow campaign = live;
    campaign.seq = 3;
    campaign.source = protocol::SourceKind::Campaign;
    campaign.source_id = "camp-1";
    batch.rows = {live, alert, campaign};
    REQUIRE(ingest.accept(protocol::MqttMessage{"bantin/v1/dev/loa-1/pop", protocol::encode(batch)}));
    REQUIRE(ingest.flush());
    CHECK(last_ack(sink, "loa-1", fixture.trusted()) == 3);
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    auto rows = (*query)->plays_between(from_unix_ms(0), from_unix_ms(std::int64_t{1} << 50));
    REQUIRE(rows);
    REQUIRE(rows->size() == 3);
    CHECK((*rows)[0].live == "live-00112233aabbccdd");
    CHECK((*rows)[0].alert.empty());
    CHECK((*rows)[0].campaign.empty());
    CHECK((*rows)[1].alert == "canh-bao-bao");
    CHECK((*rows)[1].live.empty());
    CHECK((*rows)[2].campaign == "camp-1");
    CHECK((*rows)[2].live.empty());
}
