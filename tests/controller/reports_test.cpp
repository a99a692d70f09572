#include "bantin/controller/reports.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/protocol/codec.hpp"
#include "fleet_fixture.hpp"

#include <algorithm>
#include <tuple>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::RecordingBroker;
using bantin::testing::RecordingSink;

namespace {

// Rows for screen-1 (zone-1) and screen-3 (zone-2): camp-1 plays at 07:00, 07:00:15 ... local.
void insert_plays(FleetFixture& fixture, const std::string& device, int count, PlayOutcome outcome,
                  TimePoint first, std::int64_t first_seq,
                  std::optional<std::int64_t> duration_ms = std::nullopt, const std::string& note = "") {
    std::vector<ProofOfPlayRow> rows;
    for (int i = 0; i < count; ++i) {
        ProofOfPlayRow row;
        row.device = device;
        row.install_epoch = 1;
        row.seq = first_seq + i;
        row.campaign = "camp-1";
        row.media = std::string(64, 'b');
        row.started = first + std::chrono::seconds{15 * i};
        row.ended = row.started + std::chrono::seconds{15};
        row.outcome = outcome;
        row.duration_ms = duration_ms;
        row.note = note;
        rows.push_back(row);
    }
    REQUIRE(fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        auto inserted = transaction.insert_proof_of_play(rows, fixture.clock.wall());
        if (!inserted)
            return std::unexpected(inserted.error());
        return {};
    }));
}

// The plays CSV's header: each column in Vietnamese, then English.
const std::string plays_header =
    "\xEF\xBB\xBF"
    "Chiến dịch / campaign,Ngày / day,Khu vực / zone,Phát trọn / completed,Bị ngắt / interrupted,"
    "Không phát được / failed,Phát thiếu / cut short,Giây đã phát / played seconds,Không có tiếng / muted,"
    "Giây tiếp sóng / relayed seconds,Giây phát bù / filler seconds,Lần mất nguồn / source losses\r\n";

TimePoint utc(const char* text) {
    auto parsed = parse_utc(text);
    REQUIRE(parsed);
    return *parsed;
}

}  // namespace

TEST_CASE("plays are counted per campaign, local day and zone", "[reports]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-3", "zone-2");
    // 23:59:30 local on the 26th (UTC+7) is 16:59:30 UTC: 2 plays that day, 3 on the 27th.
    insert_plays(fixture, "screen-1", 5, PlayOutcome::Completed, utc("2026-11-26T16:59:30Z"), 1);
    insert_plays(fixture, "screen-3", 2, PlayOutcome::Interrupted, utc("2026-11-27T01:00:00Z"), 1);
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};
    auto rows = reports.plays({utc("2026-11-26T00:00:00Z"), utc("2026-11-28T00:00:00Z")});
    REQUIRE(rows);
    REQUIRE(rows->size() == 3);
    CHECK((*rows)[0] == PlaysRow{"camp-1", "2026-11-26", "zone-1", 2, 0, 0});
    CHECK((*rows)[1] == PlaysRow{"camp-1", "2026-11-27", "zone-1", 3, 0, 0});
    CHECK((*rows)[2] == PlaysRow{"camp-1", "2026-11-27", "zone-2", 0, 2, 0});
    CHECK(to_csv(*rows) == plays_header +
                               "camp-1,2026-11-26,zone-1,2,0,0,0,0.000,0,0.000,0.000,0\r\n"
                               "camp-1,2026-11-27,zone-1,3,0,0,0,0.000,0,0.000,0.000,0\r\n"
                               "camp-1,2026-11-27,zone-2,0,2,0,0,0.000,0,0.000,0.000,0\r\n");
}

TEST_CASE("planned vs delivered flags a campaign that played less than planned", "[reports]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.approve_campaign("camp-1", {"zone-1"});  // loop 06:00-22:00 local, one 15 s item
    // One local hour, 07:00-08:00 (00:00-01:00 UTC): 240 plays planned.
    const ReportRange hour{utc("2026-11-27T00:00:00Z"), utc("2026-11-27T01:00:00Z")};
    insert_plays(fixture, "screen-1", 200, PlayOutcome::Completed, hour.from, 1);
    insert_plays(fixture, "screen-1", 10, PlayOutcome::Failed, hour.from + std::chrono::minutes{50}, 201);
    fixture.clock.set_wall(hour.to);  // the hour is over
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};
    auto rows = reports.delivery(hour);
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    CHECK((*rows)[0].campaign == "camp-1");
    CHECK((*rows)[0].planned == 240);
    CHECK((*rows)[0].delivered == 200);
    CHECK((*rows)[0].under_delivered);
    CHECK(to_csv(*rows) ==
          "\xEF\xBB\xBF"
          "Chiến dịch / campaign,Kế hoạch / planned,Đã phát / delivered,Tỉ lệ / ratio,"
          "Phát thiếu / under delivered\r\n"
          "camp-1,240,200,0.8333,có / yes\r\n");
}

TEST_CASE(
    "planned counts only time that has passed since the campaign's approval and the device's registration",
    "[reports][planned]") {
    FleetFixture fixture;
    const TimePoint morning = utc("2026-11-27T00:00:00Z");  // 07:00 local
    fixture.clock.set_wall(morning);
    fixture.add_device("screen-1", "zone-1");
    scheduler::Campaign advert = FleetFixture::campaign("camp-1");
    advert.mode = scheduler::Mode::ShareOfVoice;
    advert.plays_per_hour = 60;
    advert.windows = {};  // all day
    fixture.approve_campaign(advert);
    const ReportRange day{utc("2026-11-26T17:00:00Z"), utc("2026-11-27T17:00:00Z")};  // the local day
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};

    // Approved this instant: nothing has been due yet, whatever the range says.
    auto at_approval = reports.delivery(day);
    REQUIRE(at_approval);
    REQUIRE(at_approval->size() == 1);
    CHECK((*at_approval)[0].planned == 0);
    CHECK_FALSE((*at_approval)[0].under_delivered);

    // An hour later: the hour's 60 plays, not the day's 1,440.
    fixture.clock.set_wall(morning + std::chrono::hours{1});
    auto an_hour_on = reports.delivery(day);
    REQUIRE(an_hour_on);
    CHECK((*an_hour_on)[0].planned == 60);

    // A second device registered half an hour in plans only its own half hour.
    fixture.clock.set_wall(morning + std::chrono::minutes{30});
    fixture.add_device("screen-2", "zone-1");
    fixture.clock.set_wall(morning + std::chrono::hours{1});
    auto two_devices = reports.delivery(day);
    REQUIRE(two_devices);
    CHECK((*two_devices)[0].planned == 60 + 30);
}

TEST_CASE("planned counts only a device's on-hours", "[reports][planned]") {
    FleetFixture fixture;
    const TimePoint morning = utc("2026-11-27T03:00:00Z");  // 10:00 local
    fixture.clock.set_wall(morning);
    controller::DeviceRecord record = fixture.add_device("screen-1", "zone-1");
    record.device.on_hours = {{10 * 60, 10 * 60 + 30}};  // on 10:00-10:30 local only
    REQUIRE(fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.update_device(record); }));
    scheduler::Campaign advert = FleetFixture::campaign("camp-1");
    advert.mode = scheduler::Mode::ShareOfVoice;
    advert.plays_per_hour = 60;
    advert.windows = {};
    fixture.approve_campaign(advert);
    fixture.clock.set_wall(morning + std::chrono::hours{1});
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};
    auto rows = reports.delivery({utc("2026-11-26T17:00:00Z"), utc("2026-11-27T17:00:00Z")});
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    CHECK((*rows)[0].planned == 30);
}

TEST_CASE("a play that ran under min_completed_fraction of its slot is cut short, not delivered",
          "[reports][duration]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.approve_campaign("camp-1", {"zone-1"});  // one 15 s item: 13.5 s is 0.9 of the slot
    const ReportRange hour{utc("2026-11-27T00:00:00Z"), utc("2026-11-27T01:00:00Z")};
    insert_plays(fixture, "screen-1", 2, PlayOutcome::Completed, hour.from, 1, 15'000);
    insert_plays(fixture, "screen-1", 1, PlayOutcome::Completed, hour.from + std::chrono::minutes{1}, 3,
                 13'500);
    insert_plays(fixture, "screen-1", 1, PlayOutcome::Completed, hour.from + std::chrono::minutes{2}, 4,
                 13'499);
    insert_plays(fixture, "screen-1", 1, PlayOutcome::Completed, hour.from + std::chrono::minutes{3}, 5, 360);
    // Stored before durations were kept: the outcome alone counts.
    insert_plays(fixture, "screen-1", 1, PlayOutcome::Completed, hour.from + std::chrono::minutes{4}, 6);
    insert_plays(fixture, "screen-1", 1, PlayOutcome::Interrupted, hour.from + std::chrono::minutes{5}, 7,
                 700);
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};

    auto plays = reports.plays(hour);
    REQUIRE(plays);
    REQUIRE(plays->size() == 1);
    CHECK((*plays)[0] == PlaysRow{"camp-1", "2026-11-27", "zone-1", 4, 1, 0, 2, 58'059});
    CHECK(to_csv(*plays) == plays_header + "camp-1,2026-11-27,zone-1,4,1,0,2,58.059,0,0.000,0.000,0\r\n");

    auto delivery = reports.delivery(hour);
    REQUIRE(delivery);
    REQUIRE(delivery->size() == 1);
    CHECK((*delivery)[0].delivered == 4);

    // The durations come back from the store as sent.
    auto rows = (*query)->plays_between(hour.from, hour.to);
    REQUIRE(rows);
    REQUIRE(rows->size() == 7);
    CHECK((*rows)[4].duration_ms == std::int64_t{360});
    CHECK_FALSE((*rows)[5].duration_ms);
}

TEST_CASE("a cut item resumed at its offset is one play: its pieces and its rest count together",
          "[reports][duration][resume]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-3", "zone-1");
    fixture.approve_campaign("camp-1", {"zone-1"});  // one 15 s item
    const ReportRange hour{utc("2026-11-27T00:00:00Z"), utc("2026-11-27T01:00:00Z")};
    // screen-1: cut after 5 s, resumed for 4 s, cut again, the last 6 s completed: one play.
    insert_plays(fixture, "screen-1", 1, PlayOutcome::Interrupted, hour.from, 1, 5'000);
    insert_plays(fixture, "screen-1", 1, PlayOutcome::Interrupted, hour.from + std::chrono::seconds{60}, 2,
                 4'000);
    insert_plays(fixture, "screen-1", 1, PlayOutcome::Completed, hour.from + std::chrono::seconds{120}, 3,
                 6'000);
    // screen-3: a completed 6 s rest whose cut piece is another device's: cut short.
    insert_plays(fixture, "screen-3", 1, PlayOutcome::Completed, hour.from + std::chrono::seconds{130}, 1,
                 6'000);
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};
    auto plays = reports.plays(hour);
    REQUIRE(plays);
    REQUIRE(plays->size() == 1);
    CHECK((*plays)[0].completed == 1);
    CHECK((*plays)[0].interrupted == 2);
    CHECK((*plays)[0].cut_short == 1);
    auto delivery = reports.delivery(hour);
    REQUIRE(delivery);
    REQUIRE(delivery->size() == 1);
    CHECK((*delivery)[0].delivered == 1);
}

TEST_CASE("planned counts a cut bulletin once, not its resumed rest again", "[reports][resume]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");  // a screen with a speaker
    const std::string bulletin_sha = bantin::testing::media_sha('1');
    const std::string notice_sha = bantin::testing::media_sha('2');
    REQUIRE(fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        for (const auto& [sha, length, list] : {std::tuple{bulletin_sha, 600'000, "pl-bulletin"},
                                                std::tuple{notice_sha, 120'000, "pl-notice"}}) {
            MediaRecord media;
            media.media.sha256 = sha;
            media.media.type = scheduler::MediaType::Audio;
            media.media.duration = Duration{length};
            media.media.name = sha.substr(0, 1) + ".opus";
            media.size = 1000;
            media.created = fixture.clock.wall();
            if (auto inserted = transaction.insert_media(media); !inserted)
                return std::unexpected(inserted.error());
            PlaylistRecord playlist;
            playlist.playlist.id = list;
            playlist.playlist.name = "Playlist";
            playlist.playlist.items.push_back({sha, std::nullopt, 1});
            playlist.created = playlist.updated = fixture.clock.wall();
            if (auto inserted = transaction.insert_playlist(playlist); !inserted)
                return inserted;
        }
        return {};
    }));
    ApprovalService approval{*fixture.store, fixture.clock};
    // The bulletin at 06:00 local (23:00 UTC), cut at 06:05 by a priority notice, resumed
    // 06:07-06:12 from 5:00.
    for (auto [id, playlist, minute, level] :
         {std::tuple{"bulletin", "pl-bulletin", 6 * 60, scheduler::Level::Normal},
          std::tuple{"notice", "pl-notice", 6 * 60 + 5, scheduler::Level::Priority}}) {
        scheduler::Campaign campaign = FleetFixture::campaign(id, playlist);
        campaign.windows.clear();
        campaign.mode = scheduler::Mode::FixedTime;
        campaign.fixed_times = {minute};
        campaign.level = level;
        auto created = approval.create(fixture.editor, campaign);
        REQUIRE(created);
        auto submitted = approval.submit(fixture.editor, id, created->version);
        REQUIRE(submitted);
        REQUIRE(approval.approve(fixture.approver, id, submitted->version));
    }
    const ReportRange morning{utc("2026-11-26T23:00:00Z"), utc("2026-11-27T00:00:00Z")};
    std::vector<ProofOfPlayRow> rows;
    for (const auto& [seq, from, minutes, outcome] :
         {std::tuple{1, "2026-11-26T23:00:00Z", 5, PlayOutcome::Interrupted},
          std::tuple{3, "2026-11-26T23:07:00Z", 5, PlayOutcome::Completed}}) {
        ProofOfPlayRow row;
        row.device = "screen-1";
        row.install_epoch = 1;
        row.seq = seq;
        row.campaign = "bulletin";
        row.media = bulletin_sha;
        row.started = utc(from);
        row.ended = row.started + std::chrono::minutes{minutes};
        row.outcome = outcome;
        row.duration_ms = minutes * 60'000;
        rows.push_back(row);
    }
    REQUIRE(fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        auto inserted = transaction.insert_proof_of_play(rows, fixture.clock.wall());
        if (!inserted)
            return std::unexpected(inserted.error());
        return {};
    }));
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    fixture.clock.set_wall(morning.to);  // the morning is over
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};
    auto delivery = reports.delivery(morning);
    REQUIRE(delivery);
    const auto found = std::find_if(delivery->begin(), delivery->end(),
                                    [](const DeliveryRow& row) { return row.campaign == "bulletin"; });
    REQUIRE(found != delivery->end());
    CHECK(found->planned == 1);
    CHECK(found->delivered == 1);
    CHECK_FALSE(found->under_delivered);
}

TEST_CASE("reports through the Store interface equal reports through the second connection",
          "[reports][store]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-3", "zone-2");
    fixture.approve_campaign("camp-1", {"zone-1", "zone-2"});
    insert_plays(fixture, "screen-1", 120, PlayOutcome::Completed, utc("2026-11-26T16:30:00Z"), 1);
    insert_plays(fixture, "screen-1", 7, PlayOutcome::Failed, utc("2026-11-27T00:10:00Z"), 121);
    insert_plays(fixture, "screen-3", 30, PlayOutcome::Interrupted, utc("2026-11-27T01:00:00Z"), 1);
    const ReportRange range{utc("2026-11-26T00:00:00Z"), utc("2026-11-28T00:00:00Z")};
    fixture.clock.set_wall(range.to);

    auto connection = SqliteProofQuery::open(fixture.path());
    REQUIRE(connection);
    StoreProofQuery through_store{*fixture.store};
    ReportService by_connection{*fixture.store, **connection, nullptr, fixture.clock};
    ReportService by_store{*fixture.store, through_store, nullptr, fixture.clock};

    auto rows_connection = (*connection)->plays_between(range.from, range.to);
    auto rows_store = through_store.plays_between(range.from, range.to);
    REQUIRE(rows_connection);
    REQUIRE(rows_store);
    CHECK(rows_store->size() == 157);
    CHECK(*rows_store == *rows_connection);
    for (std::size_t i = 1; i < rows_store->size(); ++i)
        CHECK((*rows_store)[i - 1].started <= (*rows_store)[i].started);

    auto plays_connection = by_connection.plays(range);
    auto plays_store = by_store.plays(range);
    REQUIRE(plays_connection);
    REQUIRE(plays_store);
    CHECK(*plays_store == *plays_connection);
    CHECK(to_csv(*plays_store) == to_csv(*plays_connection));
    auto delivery_connection = by_connection.delivery(range);
    auto delivery_store = by_store.delivery(range);
    REQUIRE(delivery_connection);
    REQUIRE(delivery_store);
    CHECK(to_csv(*delivery_store) == to_csv(*delivery_connection));
}

TEST_CASE("list_proof_of_play takes plays started from `from` up to but not at `to`", "[reports][store]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    insert_plays(fixture, "screen-1", 4, PlayOutcome::Completed, utc("2026-11-27T00:00:00Z"), 1);
    // Starts at 00:00:00, :15, :30, :45: [00:00:15, 00:00:45) holds two.
    auto rows = fixture.store->read_value<std::vector<ProofOfPlayRow>>([&](StoreTransaction& transaction) {
        return transaction.list_proof_of_play(utc("2026-11-27T00:00:15Z"), utc("2026-11-27T00:00:45Z"));
    });
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].seq == 2);
    CHECK((*rows)[1].seq == 3);
    CHECK((*rows)[0].campaign == "camp-1");
    CHECK((*rows)[0].ended - (*rows)[0].started == std::chrono::seconds{15});
}

TEST_CASE("report ranges must be ordered and at most 92 days", "[reports]") {
    CHECK_FALSE(check_range({utc("2026-11-27T00:00:00Z"), utc("2026-11-27T00:00:00Z")}));
    CHECK_FALSE(check_range({utc("2026-01-01T00:00:00Z"), utc("2026-06-01T00:00:00Z")}));
    CHECK(check_range({utc("2026-11-01T00:00:00Z"), utc("2026-11-27T00:00:00Z")}));
}

TEST_CASE("registering a device stores only a broker hash and syncs the broker accounts", "[registry]") {
    FleetFixture fixture;
    RecordingBroker broker;
    RegistryOptions options;
    options.broker_host = "broker.test";
    options.broker_port = 8883;
    options.controller_keys = fixture.trusted();
    DeviceRegistry registry{*fixture.store, fixture.clock, broker, options};
    scheduler::Device device;
    device.id = "speaker-7";
    device.kind = scheduler::DeviceKind::Speaker;
    device.zone = "zone-2";
    auto registered = registry.register_device(fixture.operator_one, device, "Loa chợ");
    REQUIRE(registered);
    const auto& provisioning = registered->provisioning;
    CHECK(provisioning.device == "speaker-7");
    CHECK(provisioning.mqtt.username == "speaker-7");
    CHECK(provisioning.mqtt.host == "broker.test");
    CHECK(provisioning.mqtt.password.size() == 32);
    CHECK(provisioning.controller_keys == fixture.trusted());
    auto stored = fixture.device("speaker-7");
    CHECK(stored.mqtt_password_hash.starts_with("$7$"));
    CHECK(stored.mqtt_password_hash.find(provisioning.mqtt.password) == std::string::npos);
    REQUIRE(broker.accounts.size() == 1);
    CHECK(broker.accounts[0].zones == std::vector<std::string>{"zone-2"});
    CHECK(registry.authenticate_device("speaker-7", provisioning.mqtt.password));
    CHECK_FALSE(registry.authenticate_device("speaker-7", "wrong"));

    REQUIRE(registry.revoke(fixture.operator_one, "speaker-7"));
    CHECK(broker.accounts.empty());
    CHECK(broker.applied == 2);
    auto refused = registry.authenticate_device("speaker-7", provisioning.mqtt.password);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::Unauthenticated);
}

TEST_CASE("no provisioning file names a wildcard broker address", "[registry]") {
    FleetFixture fixture;
    RecordingBroker broker;
    RegistryOptions options;
    options.broker_host = "0.0.0.0";  // a TLS listener on every interface, no broker.public_host
    options.controller_keys = fixture.trusted();
    DeviceRegistry registry{*fixture.store, fixture.clock, broker, options};
    scheduler::Device device;
    device.id = "speaker-8";
    device.kind = scheduler::DeviceKind::Speaker;
    device.zone = "zone-2";
    auto refused = registry.register_device(fixture.operator_one, device, "");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::Conflict);
    CHECK(refused.error().detail.find("broker.public_host") != std::string::npos);
    CHECK(broker.accounts.empty());
    auto stored = fixture.store->read_value<DeviceRecord>(
        [](StoreTransaction& transaction) { return transaction.device_by_id("speaker-8"); });
    CHECK_FALSE(stored);
    auto renewed = registry.new_credentials(fixture.operator_one, "speaker-8");
    REQUIRE_FALSE(renewed);
    CHECK(renewed.error().code == Errc::Conflict);
}

TEST_CASE("only operators register devices, and zones must exist", "[registry]") {
    FleetFixture fixture;
    RecordingBroker broker;
    RegistryOptions options;
    options.controller_keys = fixture.trusted();
    DeviceRegistry registry{*fixture.store, fixture.clock, broker, options};
    scheduler::Device device;
    device.id = "screen-x";
    device.zone = "zone-1";
    auto refused = registry.register_device(fixture.editor, device, "");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::PermissionDenied);
    device.zone = "zone-404";
    auto unknown = registry.register_device(fixture.operator_one, device, "");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == Errc::InvalidInput);
    device.id = "bad/id";
    CHECK_FALSE(registry.register_device(fixture.operator_one, device, ""));
    CHECK(broker.applied == 0);
}

TEST_CASE("a completed play counts when it ran 0.9 of its slot or its slot less the player's tolerance",
          "[reports][duration]") {
    using std::chrono::milliseconds;
    // A 15 s slot: 0.9 (13.5 s) is the lower bar.
    CHECK(ran_enough_of_slot(milliseconds{13'500}, milliseconds{15'000}));
    CHECK_FALSE(ran_enough_of_slot(milliseconds{13'499}, milliseconds{15'000}));
    // A notice's 3.977 s of speech started 476 ms late: the player rightly calls it completed
    // (slot less 0.5 s), and the report must agree.
    CHECK(ran_enough_of_slot(milliseconds{3'501}, milliseconds{3'977}));
    CHECK_FALSE(ran_enough_of_slot(milliseconds{3'476}, milliseconds{3'977}));
    // A fragment after a restart is never enough.
    CHECK_FALSE(ran_enough_of_slot(milliseconds{360}, milliseconds{2'000}));
}

TEST_CASE("a play shown without sound counts as completed and as muted", "[reports][duration]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.approve_campaign("camp-1", {"zone-1"});  // one 15 s item
    const ReportRange hour{utc("2026-11-27T00:00:00Z"), utc("2026-11-27T01:00:00Z")};
    insert_plays(fixture, "screen-1", 2, PlayOutcome::Completed, hour.from, 1, 15'000);
    insert_plays(fixture, "screen-1", 3, PlayOutcome::Completed, hour.from + std::chrono::minutes{1}, 3,
                 15'000, std::string{protocol::audio_unavailable_note});
    // A fragment shown without sound is cut short, not a muted play.
    insert_plays(fixture, "screen-1", 1, PlayOutcome::Completed, hour.from + std::chrono::minutes{2}, 6, 360,
                 std::string{protocol::audio_unavailable_note});
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};
    auto plays = reports.plays(hour);
    REQUIRE(plays);
    REQUIRE(plays->size() == 1);
    CHECK((*plays)[0].completed == 5);
    CHECK((*plays)[0].muted == 3);
    CHECK((*plays)[0].cut_short == 1);
    CHECK(to_csv(*plays) == plays_header + "camp-1,2026-11-27,zone-1,5,0,0,1,75.360,3,0.000,0.000,0\r\n");
    // Muted plays are delivered plays: the screen showed them.
    auto delivery = reports.delivery(hour);
    REQUIRE(delivery);
    REQUIRE(delivery->size() == 1);
    CHECK((*delivery)[0].delivered == 5);
}

TEST_CASE("a relay campaign's plays sum the relayed and filler time and the source's losses",
          "[reports][relay]") {
    FleetFixture fixture;
    fixture.add_device("loa-1", "zone-1");
    fixture.add_device("loa-2", "zone-1");
    const ReportRange hour{utc("2026-11-27T00:00:00Z"), utc("2026-11-27T01:00:00Z")};
    std::vector<ProofOfPlayRow> rows;
    const auto relay_row = [&](const std::string& device, std::int64_t seq, PlayOutcome outcome,
                               std::int64_t duration_ms, std::optional<protocol::RelayFigures> relay) {
        ProofOfPlayRow row;
        row.device = device;
        row.install_epoch = 1;
        row.seq = seq;
        row.campaign = "tiep-song-vov1";
        row.media = std::string(64, 'e');
        row.started = hour.from + std::chrono::minutes{10 * seq + (device == "loa-2" ? 5 : 0)};
        row.ended = row.started + std::chrono::milliseconds{duration_ms};
        row.outcome = outcome;
        row.duration_ms = duration_ms;
        row.relay = relay;
        rows.push_back(row);
    };
    // The station heard throughout; a source lost once (55 s of filler); one down all along.
    relay_row("loa-1", 1, PlayOutcome::Completed, 600'000, protocol::RelayFigures{600'000, 0, 0});
    relay_row("loa-1", 2, PlayOutcome::Interrupted, 600'000, protocol::RelayFigures{540'000, 55'000, 1});
    relay_row("loa-2", 1, PlayOutcome::Failed, 0, protocol::RelayFigures{0, 0, 4});
    // From a player made before the figures: its time counts as played, not as relayed.
    relay_row("loa-2", 2, PlayOutcome::Completed, 600'000, std::nullopt);
    REQUIRE(fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        auto inserted = transaction.insert_proof_of_play(rows, fixture.clock.wall());
        if (!inserted)
            return std::unexpected(inserted.error());
        return {};
    }));
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};
    auto plays = reports.plays(hour);
    REQUIRE(plays);
    REQUIRE(plays->size() == 1);
    const PlaysRow& relay = (*plays)[0];
    CHECK(relay.completed == 2);
    CHECK(relay.interrupted == 1);
    CHECK(relay.failed == 1);
    CHECK(relay.played_ms == 1'800'000);
    CHECK(relay.relayed_ms == 1'140'000);
    CHECK(relay.filler_ms == 55'000);
    CHECK(relay.source_losses == 5);
    CHECK(to_csv(*plays) ==
          plays_header + "tiep-song-vov1,2026-11-27,zone-1,2,1,1,0,1800.000,0,1140.000,55.000,5\r\n");
    // Both proof queries read the figures back as they were stored.
    auto stored = (*query)->plays_between(hour.from, hour.to);
    REQUIRE(stored);
    StoreProofQuery through_store{*fixture.store};
    auto same = through_store.plays_between(hour.from, hour.to);
    REQUIRE(same);
    CHECK(*stored == *same);
    REQUIRE(stored->size() == 4);
    CHECK((*stored)[1].relay == protocol::RelayFigures{0, 0, 4});
    CHECK((*stored)[2].relay == protocol::RelayFigures{540'000, 55'000, 1});
    CHECK_FALSE((*stored)[3].relay);
}

TEST_CASE("planned vs delivered breaks down by campaign, zone and the devices' local day",
          "[reports][planned][grouping]") {
    FleetFixture fixture;
    fixture.clock.set_wall(utc("2026-11-26T00:00:00Z"));
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-3", "zone-2");
    scheduler::Campaign advert = FleetFixture::campaign("camp-1");
    advert.targets.zones = {"zone-1", "zone-2"};
    advert.mode = scheduler::Mode::ShareOfVoice;
    advert.plays_per_hour = 60;
    advert.windows = {};  // all day
    fixture.approve_campaign(advert);
    // 23:00-01:00 local (UTC+7) across midnight: an hour on each local day.
    const ReportRange night{utc("2026-11-26T16:00:00Z"), utc("2026-11-26T18:00:00Z")};
    // screen-1: 23:59:30, 23:59:45 on the 26th, then 3 on the 27th; screen-3: 2 on the 27th.
    insert_plays(fixture, "screen-1", 5, PlayOutcome::Completed, utc("2026-11-26T16:59:30Z"), 1);
    insert_plays(fixture, "screen-3", 2, PlayOutcome::Completed, utc("2026-11-26T17:30:00Z"), 1);
    fixture.clock.set_wall(night.to);
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};
    const auto figures = [](const std::vector<DeliveryRow>& rows) {
        std::vector<std::tuple<std::string, std::string, std::string, std::int64_t, std::int64_t>> out;
        for (const auto& row : rows)
            out.emplace_back(row.campaign, row.zone, row.day, row.planned, row.delivered);
        return out;
    };
    using Figures =
        std::vector<std::tuple<std::string, std::string, std::string, std::int64_t, std::int64_t>>;

    auto all = reports.delivery(night, DeliveryGrouping{true, true, true});
    REQUIRE(all);
    CHECK(figures(*all) == Figures{{"camp-1", "zone-1", "2026-11-26", 60, 2},
                                   {"camp-1", "zone-1", "2026-11-27", 60, 3},
                                   {"camp-1", "zone-2", "2026-11-26", 60, 0},
                                   {"camp-1", "zone-2", "2026-11-27", 60, 2}});
    CHECK((*all)[2].under_delivered);

    auto by_zone = reports.delivery(night, DeliveryGrouping{false, true, false});
    REQUIRE(by_zone);
    CHECK(figures(*by_zone) == Figures{{"", "zone-1", "", 120, 5}, {"", "zone-2", "", 120, 2}});
    CHECK(
        to_csv(*by_zone, DeliveryGrouping{false, true, false}) ==
        "\xEF\xBB\xBF"
        "Khu vực / zone,Kế hoạch / planned,Đã phát / delivered,Tỉ lệ / ratio,Phát thiếu / under delivered\r\n"
        "zone-1,120,5,0.0417,có / yes\r\nzone-2,120,2,0.0167,có / yes\r\n");

    auto by_day = reports.delivery(night, DeliveryGrouping{false, false, true});
    REQUIRE(by_day);
    CHECK(figures(*by_day) == Figures{{"", "", "2026-11-26", 120, 2}, {"", "", "2026-11-27", 120, 5}});
    CHECK(to_csv(*by_day, DeliveryGrouping{false, false, true}) ==
          "\xEF\xBB\xBF"
          "Ngày / day,Kế hoạch / planned,Đã phát / delivered,Tỉ lệ / ratio,Phát thiếu / under delivered\r\n"
          "2026-11-26,120,2,0.0167,có / yes\r\n2026-11-27,120,5,0.0417,có / yes\r\n");

    auto by_campaign = reports.delivery(night);
    REQUIRE(by_campaign);
    CHECK(figures(*by_campaign) == Figures{{"camp-1", "", "", 240, 7}});
}

TEST_CASE("alert plays are reported per alert with its headline, severity and devices", "[reports][alerts]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-3", "zone-2");
    const ReportRange hour{utc("2026-11-27T00:00:00Z"), utc("2026-11-27T01:00:00Z")};
    for (const auto& [id, headline, severity, status] :
         {std::tuple{"lu-quet", "Lũ quét, di chuyển lên cao", scheduler::Severity::Extreme,
                     scheduler::AlertStatus::Actual},
          std::tuple{"dien-tap", "=HYPERLINK(\"http://x\")", scheduler::Severity::Minor,
                     scheduler::AlertStatus::Exercise}}) {
        AlertRecord record;
        record.alert.id = id;
        record.alert.zones = {"zone-1"};
        record.alert.severity = severity;
        record.alert.status = status;
        record.alert.issued = hour.from;
        record.alert.expires = hour.to;
        record.alert.headline = headline;
        record.created_by = fixture.operator_one.id;
        record.created = hour.from;
        REQUIRE(fixture.store->write(
            [&](StoreTransaction& transaction) { return transaction.insert_alert(record); }));
    }
    std::vector<ProofOfPlayRow> rows;
    const auto alert_row = [&](const std::string& device, std::int64_t seq, const std::string& alert,
                               int minute, PlayOutcome outcome) {
        ProofOfPlayRow row;
        row.device = device;
        row.install_epoch = 1;
        row.seq = seq;
        row.alert = alert;
        row.media = std::string(64, 'c');
        row.started = hour.from + std::chrono::minutes{minute};
        row.ended = row.started + std::chrono::seconds{20};
        row.outcome = outcome;
        row.duration_ms = outcome == PlayOutcome::Completed ? 20'000 : 5'000;
        rows.push_back(row);
    };
    alert_row("screen-1", 1, "lu-quet", 1, PlayOutcome::Completed);
    alert_row("screen-1", 2, "lu-quet", 2, PlayOutcome::Completed);
    alert_row("screen-3", 1, "lu-quet", 3, PlayOutcome::Failed);
    alert_row("screen-1", 3, "dien-tap", 10, PlayOutcome::Interrupted);
    alert_row("screen-3", 2, "gone", 20, PlayOutcome::Completed);  // no longer stored
    REQUIRE(fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        auto inserted = transaction.insert_proof_of_play(rows, fixture.clock.wall());
        if (!inserted)
            return std::unexpected(inserted.error());
        return {};
    }));
    insert_plays(fixture, "screen-1", 3, PlayOutcome::Completed, hour.from, 10);  // campaign rows: not here
    auto query = SqliteProofQuery::open(fixture.path());
    REQUIRE(query);
    ReportService reports{*fixture.store, **query, nullptr, fixture.clock};
    auto alerts = reports.alerts(hour);
    REQUIRE(alerts);
    REQUIRE(alerts->size() == 3);
    const AlertPlaysRow& flood = (*alerts)[0];
    CHECK(flood.alert == "lu-quet");
    CHECK(flood.headline == "Lũ quét, di chuyển lên cao");
    CHECK(flood.severity == "extreme");
    CHECK(flood.status == "actual");
    CHECK(flood.devices == 2);
    CHECK(flood.completed == 2);
    CHECK(flood.failed == 1);
    CHECK(flood.interrupted == 0);
    CHECK(flood.played_ms == 45'000);
    CHECK((*alerts)[1].alert == "dien-tap");
    CHECK((*alerts)[1].interrupted == 1);
    CHECK((*alerts)[2].alert == "gone");
    CHECK((*alerts)[2].headline.empty());
    CHECK(
        to_csv(*alerts) ==
        "\xEF\xBB\xBF"
        "Cảnh báo / alert,Tiêu đề / headline,Mức độ / severity,Loại / status,Số thiết bị / devices,"
        "Phát trọn / completed,Bị ngắt / interrupted,Không phát được / failed,Giây đã phát / played seconds,"
        "Lần phát đầu / first played,Lần phát cuối / last played\r\n"
        "lu-quet,\"Lũ quét, di chuyển lên cao\",cực kỳ nghiêm trọng / extreme,thật / actual,2,2,0,1,45.000,"
        "2026-11-27T00:01:00.000Z,2026-11-27T00:03:00.000Z\r\n"
        // A headline a spreadsheet would run as a formula shows as text.
        "dien-tap,\"'=HYPERLINK(\"\"http://x\"\")\",nhẹ / minor,diễn tập / exercise,1,0,1,0,5.000,"
        "2026-11-27T00:10:00.000Z,2026-11-27T00:10:00.000Z\r\n"
        "gone,,,,1,1,0,0,20.000,2026-11-27T00:20:00.000Z,2026-11-27T00:20:00.000Z\r\n");
}

TEST_CASE("every report CSV starts with a byte order mark and Vietnamese headers", "[reports][csv]") {
    const std::string bom = "\xEF\xBB\xBF";
    CHECK(to_csv(std::vector<PlaysRow>{}).starts_with(bom + "Chiến dịch / campaign,"));
    CHECK(to_csv(std::vector<DeliveryRow>{}).starts_with(bom + "Chiến dịch / campaign,Kế hoạch / planned,"));
    CHECK(
        to_csv(std::vector<UptimeRow>{}) ==
        bom +
            "Thiết bị / device,Khu vực / zone,Trực tuyến / online,Lần cuối liên lạc / last seen,"
            "Giây trực tuyến / online seconds,Giây theo dõi / observed seconds,Tỉ lệ hoạt động / uptime\r\n");
    CHECK(to_csv(std::vector<AlertPlaysRow>{}).starts_with(bom + "Cảnh báo / alert,"));
    UptimeRow row;
    row.device = "+loa-1";
    row.zone = "zone-1";
    row.online = true;
    CHECK(to_csv(std::vector<UptimeRow>{row}).ends_with("\r\n'+loa-1,zone-1,có / yes,,0,0,0.0000\r\n"));
}
