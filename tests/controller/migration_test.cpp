#include "bantin/controller/proof_retention.hpp"
#include "bantin/controller/sqlite_store.hpp"

#include "sql_migrate.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::SimulatedClock;
using bantin::testing::TemporaryDirectory;

namespace {

sqlite::Database open_raw(const std::string& path) {
    auto database = sqlite::Database::open(path);
    if (!database)
        FAIL(database.error().message());
    return std::move(*database);
}

std::string read_text(const std::string& path) {
    std::ifstream file{path};
    REQUIRE(file.good());
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

std::vector<std::string> table_names(sqlite::Database& database) {
    auto statement = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    REQUIRE(statement);
    std::vector<std::string> names;
    while (statement->step().value() == sqlite::Step::Row) names.push_back(statement->column_text(0));
    return names;
}

}  // namespace

TEST_CASE("migrations are numbered 1, 2, 3 ... without holes", "[controller][migration]") {
    int expected = 1;
    for (const Migration& step : migrations()) {
        CHECK(step.version == expected);
        CHECK_FALSE(step.description.empty());
        ++expected;
    }
    CHECK(current_schema_version() == expected - 1);
}

TEST_CASE("an empty database is migrated to the current schema", "[controller][migration][sqlite]") {
    TemporaryDirectory directory;
    SimulatedClock clock;
    auto store = SqliteStore::open(directory.file("c.db"), clock);
    REQUIRE(store);

    sqlite::Database database = open_raw(directory.file("c.db"));
    CHECK(schema_version(database).value() == current_schema_version());
    auto tables = table_names(database);
    for (const char* table :
         {"users", "sessions", "login_attempts", "media", "playlists", "playlist_items", "campaigns", "zones",
          "devices", "alerts", "alert_confirmations", "proof_of_play", "proof_progress", "audit_log",
          "live_channels", "device_setting_changes", "proof_of_play_daily", "proof_of_play_folded",
          "schema_version"}) {
        CAPTURE(table);
        CHECK(std::find(tables.begin(), tables.end(), table) != tables.end());
    }
    // One schema_version row per step, each stamped with the (simulated) time it ran.
    auto rows = database.prepare("SELECT count(*), min(applied_at) FROM schema_version");
    REQUIRE(rows);
    REQUIRE(rows->fetch_one().value());
    CHECK(rows->column_int(0) == current_schema_version());
    CHECK(rows->column_int64(1) == to_unix_ms(clock.wall()));
}

TEST_CASE("opening a current database again applies nothing", "[controller][migration][sqlite]") {
    TemporaryDirectory directory;
    SimulatedClock clock;
    REQUIRE(SqliteStore::open(directory.file("c.db"), clock));
    clock.advance(std::chrono::hours{1});
    REQUIRE(SqliteStore::open(directory.file("c.db"), clock));
    sqlite::Database database = open_raw(directory.file("c.db"));
    auto rows = database.prepare("SELECT max(applied_at) FROM schema_version");
    REQUIRE(rows);
    REQUIRE(rows->fetch_one().value());
    CHECK(rows->column_int64(0) == to_unix_ms(clock.wall() - std::chrono::hours{1}));
}

TEST_CASE("a database at an older schema version is migrated through every later step and keeps its data",
          "[controller][migration][sqlite]") {
    TemporaryDirectory directory;
    SimulatedClock clock;
    {
        sqlite::Database old = open_raw(directory.file("c.db"));
        REQUIRE(old.execute(read_text(BANTIN_CONTROLLER_FIXTURES "/schema_v2.sql")));
        REQUIRE(
            schema_version(old).value() ==
            2);  // steps 3 (duration_ms), 4 (note), 5 (replaces), 6 (url), 7 (relay figures), 8 (live_id),
        // 9 (live_channels)
        // An alert stored at version 2, before alerts could replace others.
        REQUIRE(old.execute(
            "INSERT INTO alerts (id, zones_json, all_zones, severity, status, issued_at, expires_at, "
            "cancelled_at, headline, text, playlist_id, repeat_count, repeat_interval_ms, media, state, "
            "created_by, cancelled_by, created_at) VALUES ('canh-bao-cu', '[\"phuong-1\"]', 0, 'severe', "
            "'actual', 1767225600000, 1767229200000, NULL, 'Bão', 'Ở trong nhà.', NULL, 3, 0, NULL, 'sent', "
            "1, NULL, 1767225600000)"));
        // Before version 8 a live broadcast's row kept its channel in alert_id; the audit log
        // knows the channel (live.open). A speaker's rows: the live broadcast, then the alert.
        REQUIRE(old.execute(
            "INSERT INTO audit_log (user_id, user_name, at, action, entity_type, entity_id, before_json, "
            "after_json) VALUES (1, 'admin', 1767225600000, 'live.open', 'live', 'live-00112233aabbccdd', "
            "NULL, '{}');"
            "INSERT INTO proof_of_play (device_id, install_epoch, seq, campaign_id, alert_id, item, media, "
            "started_at, ended_at, outcome, bundle_version, received_at) VALUES "
            "('loa-cho', 7, 1, '', 'live-00112233aabbccdd', 0, '" +
            std::string(64, 'd') +
            "', 1767225600000, 1767225660000, 'completed', 4, 1767225660000),"
            "('loa-cho', 7, 2, '', 'canh-bao-cu', 0, '" +
            std::string(64, 'd') + "', 1767225660000, 1767225670000, 'completed', 4, 1767225670000)"));
    }
    auto store = SqliteStore::open(directory.file("c.db"), clock);
    if (!store)
        FAIL(store.error().message());

    auto checked = (*store)->read([&](StoreTransaction& transaction) -> Result<void> {
        auto users = transaction.list_users({});
        REQUIRE(users);
        REQUIRE(users->size() == 3);
        CHECK(users->at(1).display_name == "Nguyễn Thị Lan");
        CHECK(users->at(2).role == Role::Approver);

        auto campaign = transaction.campaign_by_id("c-tiem-chung");
        REQUIRE(campaign);
        CHECK(campaign->campaign.approval == scheduler::ApprovalState::Approved);
        CHECK(campaign->campaign.targets.zones == std::vector<std::string>{"phuong-1"});
        CHECK(campaign->campaign.targets.kinds ==
              std::vector<scheduler::DeviceKind>{scheduler::DeviceKind::Screen});
        CHECK(campaign->campaign.windows == std::vector<scheduler::DailyWindow>{{360, 1320}});
        CHECK(campaign->campaign.valid_from == std::chrono::year_month_day{std::chrono::year{2026},
                                                                           std::chrono::January,
                                                                           std::chrono::day{1}});
        CHECK(campaign->decided_by == 3);
        CHECK(campaign->version == 3);
        CHECK(campaign->campaign.region == scheduler::Region::Main);  // version 12: stored before regions

        auto playlist = transaction.playlist_by_id("pl-tiem-chung");
        REQUIRE(playlist);
        REQUIRE(playlist->playlist.items.size() == 1);
        CHECK(playlist->playlist.items[0].weight == 2);

        auto device = transaction.device_by_id("man-hinh-cho");
        REQUIRE(device);
        CHECK(device->device.tags == std::vector<std::string>{"outdoor"});
        CHECK(device->applied_version == 4);
        CHECK(device->device.layout == scheduler::ScreenLayout{});  // version 12: no bands

        auto audit = transaction.list_audit({"campaign", "c-tiem-chung", std::nullopt}, {});
        REQUIRE(audit);
        CHECK(audit->size() == 1);

        auto alert = transaction.alert_by_id("canh-bao-cu");
        REQUIRE(alert);
        CHECK(alert->alert.headline == "Bão");
        CHECK(alert->replaces.empty());

        // Media stored before version 6 has no URL and no filler.
        auto video = transaction.media_by_sha256(std::string(64, 'a'));
        REQUIRE(video);
        CHECK(video->media.name == "tiem-chung.mp4");
        CHECK_FALSE(video->media.url);
        CHECK_FALSE(video->media.filler);
        return {};
    });
    REQUIRE(checked);

    // The tables the new version adds work on the old data.
    ProofOfPlayRow row;
    row.device = "man-hinh-cho";
    row.install_epoch = 1;
    row.seq = 2;
    row.campaign = "c-tiem-chung";
    row.media = std::string(64, 'a');
    row.duration_ms = 14'500;
    row.note = "audio: unavailable";
    row.relay = protocol::RelayFigures{13'000, 1'500, 1};
    auto progress = (*store)->write_value<std::vector<ProofProgress>>([&](StoreTransaction& transaction) {
        return transaction.insert_proof_of_play({&row, 1}, clock.wall());
    });
    REQUIRE(progress);
    CHECK(progress->at(0).contiguous == 2);
    // Version 9's table: an open live channel is kept and found again.
    LiveChannelRecord channel;
    channel.start.id = "live-00112233aabbccee";
    channel.start.zones = {"phuong-1"};
    channel.start.url = "http://icecast.test:8000/live-00112233aabbccee.opus";
    channel.start.started_at = clock.wall();
    channel.start.ends_at = clock.wall() + std::chrono::minutes{30};
    channel.mount = "/live-00112233aabbccee.opus";
    channel.opened_by = "admin";
    auto kept = (*store)->write_value<LiveChannelRecord>(
        [&](StoreTransaction& transaction) -> Result<LiveChannelRecord> {
            if (auto inserted = transaction.insert_live_channel(channel); !inserted)
                return std::unexpected(inserted.error());
            return transaction.live_channel_by_id(channel.start.id);
        });
    REQUIRE(kept);
    CHECK(*kept == channel);
    // The play stored before version 3 has no duration; the new one keeps its own.
    auto plays = (*store)->read_value<std::vector<ProofOfPlayRow>>([&](StoreTransaction& transaction) {
        return transaction.list_proof_of_play(from_unix_ms(0), from_unix_ms(std::int64_t{1} << 50));
    });
    REQUIRE(plays);
    REQUIRE(plays->size() == 4);
    const auto play = [&](const std::string& device, std::int64_t seq) -> const ProofOfPlayRow& {
        const auto found = std::find_if(plays->begin(), plays->end(), [&](const ProofOfPlayRow& candidate) {
            return candidate.device == device && candidate.seq == seq;
        });
        REQUIRE(found != plays->end());
        return *found;
    };
    const auto& old_play = play("man-hinh-cho", 1);
    const auto& new_play = play("man-hinh-cho", 2);
    CHECK(old_play.region == scheduler::Region::Main);  // version 12: rows before regions are main
    // The live broadcast's row moved to live_id; the alert's stays an alert's.
    CHECK(play("loa-cho", 1).live == "live-00112233aabbccdd");
    CHECK(play("loa-cho", 1).alert.empty());
    CHECK(play("loa-cho", 2).alert == "canh-bao-cu");
    CHECK(play("loa-cho", 2).live.empty());
    CHECK(old_play.live.empty());
    CHECK(old_play.outcome == PlayOutcome::Completed);
    CHECK_FALSE(old_play.duration_ms);
    CHECK(old_play.note.empty());
    CHECK_FALSE(old_play.relay);  // stored before version 7: no relay figures
    CHECK(new_play.duration_ms == std::int64_t{14'500});
    CHECK(new_play.note == "audio: unavailable");
    CHECK(new_play.relay == protocol::RelayFigures{13'000, 1'500, 1});
    // Version 13: the old rows, the one from before durations too, fold into day summaries.
    ProofRetention retention{**store, clock, 1};
    clock.set_wall(from_unix_ms(1'767'250'800'000) +
                   std::chrono::days{3650});  // the fixture plays 2026-01-01
    auto pass = retention.run();
    REQUIRE(pass);
    CHECK(pass->rows == 4);
    auto folded = (*store)->read_value<std::vector<ProofDaySummary>>([&](StoreTransaction& transaction) {
        return transaction.list_proof_day_summaries(from_unix_ms(0), from_unix_ms(std::int64_t{1} << 50));
    });
    REQUIRE(folded);
    std::int64_t folded_plays = 0;
    for (const auto& day : *folded) folded_plays += day.plays;
    CHECK(folded_plays == 4);
    sqlite::Database migrated = open_raw(directory.file("c.db"));
    CHECK(schema_version(migrated).value() == current_schema_version());
}

TEST_CASE("a database newer than this controller is refused with a clear message",
          "[controller][migration][sqlite]") {
    TemporaryDirectory directory;
    SimulatedClock clock;
    REQUIRE(SqliteStore::open(directory.file("c.db"), clock));
    const int newer = current_schema_version() + 2;
    {
        sqlite::Database database = open_raw(directory.file("c.db"));
        auto insert = database.prepare("INSERT INTO schema_version VALUES (?, 'from the future', 0)");
        REQUIRE(insert);
        insert->bind(1, newer);
        REQUIRE(insert->run());
    }
    auto store = SqliteStore::open(directory.file("c.db"), clock);
    REQUIRE_FALSE(store);
    CHECK(store.error().code == Errc::Unsupported);
    CHECK_THAT(
        store.error().detail,
        Catch::Contains("database schema " + std::to_string(newer) + " is newer than this controller (" +
                        std::to_string(current_schema_version()) + "); upgrade bantin-controller"));
    CHECK_THAT(store.error().detail, Catch::Contains("c.db"));
}

TEST_CASE("a failing migration step leaves the database at the previous version",
          "[controller][migration][sqlite]") {
    TemporaryDirectory directory;
    SimulatedClock clock;
    sqlite::Database database = open_raw(directory.file("c.db"));
    const Migration steps[] = {
        {1, "first", "CREATE TABLE a (x INTEGER)"},
        {2, "broken", "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1)"},
    };
    auto migrated = migrate(database, steps, clock.wall());
    REQUIRE_FALSE(migrated);
    CHECK_THAT(migrated.error().detail, Catch::Contains("migration 2 (broken) failed"));
    CHECK_THAT(migrated.error().detail, Catch::Contains("no such table: nowhere"));
    CHECK(schema_version(database).value() == 1);
    auto tables = table_names(database);
    CHECK(std::find(tables.begin(), tables.end(), "a") != tables.end());
    CHECK(std::find(tables.begin(), tables.end(), "b") == tables.end());
}

// ---- on either backend (controller_pg_tests runs these on PostgreSQL) ----

namespace {

std::span<const Migration> backend_migrations() {
    return bantin::testing::store_on_postgresql ? postgresql_migrations() : migrations();
}

std::int64_t migration_scalar(sql::Connection& database, const std::string& query) {
    auto statement = database.prepare(query);
    if (!statement)
        FAIL(statement.error().message());
    auto row = statement->fetch_one();
    if (!row)
        FAIL(row.error().message());
    REQUIRE(*row);
    return statement->column_int64(0);
}

}  // namespace

TEST_CASE("the PostgreSQL migrations have the versions and descriptions of the SQLite ones",
          "[controller][migration]") {
    REQUIRE(postgresql_migrations().size() == migrations().size());
    for (std::size_t i = 0; i < migrations().size(); ++i) {
        CAPTURE(i);
        CHECK(postgresql_migrations()[i].version == migrations()[i].version);
        CHECK(postgresql_migrations()[i].description == migrations()[i].description);
    }
}

TEST_CASE("a store's database has every table at the current schema, and migrating it again applies nothing",
          "[controller][migration]") {
    bantin::testing::StoreFixture fixture;
    auto database = fixture.raw_connection();
    CHECK(schema_version(*database).value() == current_schema_version());
    for (const char* table :
         {"users", "sessions", "login_attempts", "media", "playlists", "playlist_items", "campaigns", "zones",
          "devices", "alerts", "alert_confirmations", "proof_of_play", "proof_progress", "audit_log",
          "live_channels", "device_setting_changes", "proof_of_play_daily", "proof_of_play_folded",
          "schema_version"}) {
        CAPTURE(table);
        CHECK(database->table_exists(table).value());
    }
    CHECK(migration_scalar(*database, "SELECT count(*) FROM schema_version") == current_schema_version());
    CHECK(migration_scalar(*database, "SELECT min(applied_at) FROM schema_version") ==
          to_unix_ms(fixture.clock.wall()));

    fixture.clock.advance(std::chrono::hours{1});
    auto again = migrate(*database, backend_migrations(), fixture.clock.wall());
    REQUIRE(again);
    CHECK(*again == current_schema_version());
    CHECK(migration_scalar(*database, "SELECT max(applied_at) FROM schema_version") ==
          to_unix_ms(fixture.clock.wall() - std::chrono::hours{1}));
}

TEST_CASE("a database newer than this controller is refused on either backend", "[controller][migration]") {
    bantin::testing::StoreFixture fixture;
    auto database = fixture.raw_connection();
    const int newer = current_schema_version() + 2;
    REQUIRE(database->execute("INSERT INTO schema_version VALUES (" + std::to_string(newer) +
                              ", 'from the future', 0)"));
    auto migrated = migrate(*database, backend_migrations(), fixture.clock.wall());
    REQUIRE_FALSE(migrated);
    CHECK(migrated.error().code == Errc::Unsupported);
    CHECK_THAT(
        migrated.error().detail,
        Catch::Contains("database schema " + std::to_string(newer) + " is newer than this controller (" +
                        std::to_string(current_schema_version()) + "); upgrade bantin-controller"));
}

TEST_CASE("a failing migration step leaves either backend at the previous version",
          "[controller][migration]") {
    bantin::testing::StoreFixture fixture;
    auto database = fixture.raw_connection();
    const int current = current_schema_version();
    std::vector<Migration> steps{backend_migrations().begin(), backend_migrations().end()};
    steps.push_back(
        {current + 1, "broken", "CREATE TABLE half_done (y BIGINT); INSERT INTO nowhere VALUES (1)"});
    auto migrated = migrate(*database, steps, fixture.clock.wall());
    REQUIRE_FALSE(migrated);
    CHECK_THAT(migrated.error().detail,
               Catch::Contains("migration " + std::to_string(current + 1) + " (broken) failed"));
    CHECK_THAT(migrated.error().detail, Catch::Contains("nowhere"));
    CHECK(schema_version(*database).value() == current);
    CHECK_FALSE(database->table_exists("half_done").value());
    // The store still works at the version it had.
    fixture.add_user("after-failure", Role::Editor);
}

TEST_CASE("a database at each older schema version is migrated to the current one on either backend",
          "[controller][migration]") {
    // Every prefix of the steps, then the rest: each step applies on top of the one before it.
    for (std::size_t reached = 1; reached < backend_migrations().size(); reached += 3) {
        CAPTURE(reached);
        bantin::testing::StoreFixture fixture{bantin::testing::StoreFixture::Empty{}};
        auto database = fixture.raw_connection();
        auto older = migrate(*database, backend_migrations().first(reached), fixture.clock.wall());
        REQUIRE(older);
        CHECK(*older == static_cast<int>(reached));
        auto current = migrate(*database, backend_migrations(), fixture.clock.wall());
        if (!current)
            FAIL(current.error().message());
        CHECK(*current == current_schema_version());
    }
}
