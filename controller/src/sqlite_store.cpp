#include "bantin/controller/sqlite_store.hpp"

#include "columns.hpp"
#include "names.hpp"

#include <map>
#include <utility>

namespace bantin::controller {

namespace {

using sqlite::Statement;
using sqlite::Step;

// ---- binding helpers ----

template <class T>
void bind_one(Statement& statement, int index, const T& value) {
    statement.bind(index, value);
}
void bind_one(Statement& statement, int index, TimePoint value) {
    statement.bind(index, to_unix_ms(value));
}
void bind_one(Statement& statement, int index, const std::optional<TimePoint>& value) {
    if (value) {
        statement.bind(index, to_unix_ms(*value));
    } else {
        statement.bind_null(index);
    }
}

template <class... Args>
void bind_all(Statement& statement, const Args&... args) {
    int index = 0;
    (bind_one(statement, ++index, args), ...);
}

TimePoint time_column(const Statement& statement, int column) {
    return from_unix_ms(statement.column_int64(column));
}
std::optional<TimePoint> optional_time_column(const Statement& statement, int column) {
    auto value = statement.column_optional_int64(column);
    if (!value)
        return std::nullopt;
    return from_unix_ms(*value);
}

std::optional<std::string> empty_as_null(const std::string& text) {
    if (text.empty())
        return std::nullopt;
    return text;
}

bool is_duplicate(const Error& error) {
    return error.code == Errc::Conflict && error.detail.find("UNIQUE constraint failed") != std::string::npos;
}

// A duplicate key becomes AlreadyExists naming the thing; other errors pass through.
Error on_duplicate(Error error, const std::string& what) {
    if (is_duplicate(error))
        return Error{Errc::AlreadyExists, what + " already exists"};
    return error;
}

Error stored_value_error(const Error& error, std::string_view table, std::string_view key) {
    return Error{Errc::Io, "table " + std::string{table} + " row " + std::string{key} + ": " + error.detail};
}

#define BANTIN_STORE_TRY(expression)                             \
    do {                                                         \
        auto bantin_store_result = (expression);                 \
        if (!bantin_store_result)                                \
            return std::unexpected(bantin_store_result.error()); \
    } while (false)

// ---- column lists and row readers ----

constexpr std::string_view user_columns = "id, name, display_name, role, password_hash, disabled, created_at";

Result<User> read_user(const Statement& row) {
    User user;
    user.id = row.column_int64(0);
    user.name = row.column_text(1);
    user.display_name = row.column_text(2);
    auto role = parse_role(row.column_text(3));
    if (!role)
        return std::unexpected(stored_value_error(role.error(), "users", user.name));
    user.role = *role;
    user.password_hash = row.column_text(4);
    user.disabled = row.column_bool(5);
    user.created = time_column(row, 6);
    return user;
}

constexpr std::string_view session_columns = "token_hash, user_id, created_at, expires_at, csrf_token";

SessionRecord read_session(const Statement& row) {
    return SessionRecord{row.column_text(0), row.column_int64(1), time_column(row, 2), time_column(row, 3),
                         row.column_text(4)};
}

constexpr std::string_view media_columns =
    "sha256, type, size, duration_ms, has_audio, has_video, name, uploaded_by, created_at, text, tts_media";

Result<MediaRecord> read_media(const Statement& row) {
    MediaRecord record;
    record.media.sha256 = row.column_text(0);
    auto type = names::media_type(row.column_text(1));
    if (!type)
        return std::unexpected(stored_value_error(type.error(), "media", record.media.sha256));
    record.media.type = *type;
    record.size = row.column_int64(2);
    if (auto duration = row.column_optional_int64(3))
        record.media.duration = Duration{*duration};
    record.media.has_audio = row.column_bool(4);
    record.media.has_video = row.column_bool(5);
    record.media.name = row.column_text(6);
    record.uploaded_by = row.column_optional_int64(7);
    record.created = time_column(row, 8);
    record.text = row.column_optional_text(9);
    record.tts_media = row.column_optional_text(10);
    return record;
}

constexpr std::string_view campaign_columns =
    "id, name, playlist_id, targets_json, valid_from, valid_to, weekdays, windows_json, mode, "
    "fixed_times_json, plays_per_hour, level, rank, weight, approval, author_id, last_editor_id, "
    "submitted_by, decided_by, decision_note, created_at, updated_at, submitted_at, decided_at, "
    "archived_at, version";

Result<CampaignRecord> read_campaign(const Statement& row) {
    CampaignRecord record;
    scheduler::Campaign& campaign = record.campaign;
    campaign.id = row.column_text(0);
    auto bad = [&](const Error& error) {
        return std::unexpected(stored_value_error(error, "campaigns", campaign.id));
    };
    campaign.name = row.column_text(1);
    campaign.playlist = row.column_text(2);
    auto targets = columns::decode_targets(row.column_text(3));
    if (!targets)
        return bad(targets.error());
    campaign.targets = std::move(*targets);
    if (auto text = row.column_optional_text(4)) {
        auto date = names::parse_date(*text);
        if (!date)
            return bad(date.error());
        campaign.valid_from = *date;
    }
    if (auto text = row.column_optional_text(5)) {
        auto date = names::parse_date(*text);
        if (!date)
            return bad(date.error());
        campaign.valid_to = *date;
    }
    campaign.weekdays = static_cast<std::uint8_t>(row.column_int(6));
    auto windows = columns::decode_windows(row.column_text(7));
    if (!windows)
        return bad(windows.error());
    campaign.windows = std::move(*windows);
    auto mode = names::mode(row.column_text(8));
    if (!mode)
        return bad(mode.error());
    campaign.mode = *mode;
    auto fixed_times = columns::decode_ints(row.column_text(9));
    if (!fixed_times)
        return bad(fixed_times.error());
    campaign.fixed_times = std::move(*fixed_times);
    campaign.plays_per_hour = row.column_int(10);
    auto level = names::level(row.column_text(11));
    if (!level)
        return bad(level.error());
    campaign.level = *level;
    campaign.rank = row.column_int(12);
    campaign.weight = row.column_int(13);
    auto approval = names::approval_state(row.column_text(14));
    if (!approval)
        return bad(approval.error());
    campaign.approval = *approval;
    record.author = row.column_int64(15);
    record.last_editor = row.column_optional_int64(16);
    record.submitted_by = row.column_optional_int64(17);
    record.decided_by = row.column_optional_int64(18);
    record.decision_note = row.column_text(19);
    record.created = time_column(row, 20);
    record.updated = time_column(row, 21);
    record.submitted = optional_time_column(row, 22);
    record.decided = optional_time_column(row, 23);
    record.archived = optional_time_column(row, 24);
    record.version = row.column_int64(25);
    return record;
}

constexpr std::string_view device_columns =
    "id, name, kind, zone_id, tags_json, time_zone, on_hours_json, quiet_hours_json, default_volume, "
    "volume_schedule_json, has_speaker, desired_version, desired_digest, applied_version, "
    "last_status_json, last_seen_at, online, revoked_at, mqtt_password_hash, created_at";

Result<DeviceRecord> read_device(const Statement& row) {
    DeviceRecord record;
    scheduler::Device& device = record.device;
    device.id = row.column_text(0);
    auto bad = [&](const Error& error) {
        return std::unexpected(stored_value_error(error, "devices", device.id));
    };
    record.name = row.column_text(1);
    auto kind = names::device_kind(row.column_text(2));
    if (!kind)
        return bad(kind.error());
    device.kind = *kind;
    device.zone = row.column_text(3);
    auto tags = columns::decode_strings(row.column_text(4));
    if (!tags)
        return bad(tags.error());
    device.tags = std::move(*tags);
    device.time_zone = row.column_text(5);
    auto on_hours = columns::decode_windows(row.column_text(6));
    if (!on_hours)
        return bad(on_hours.error());
    device.on_hours = std::move(*on_hours);
    auto quiet_hours = columns::decode_windows(row.column_text(7));
    if (!quiet_hours)
        return bad(quiet_hours.error());
    device.quiet_hours = std::move(*quiet_hours);
    device.default_volume = row.column_int(8);
    auto volume_schedule = columns::decode_volume_steps(row.column_text(9));
    if (!volume_schedule)
        return bad(volume_schedule.error());
    device.volume_schedule = std::move(*volume_schedule);
    device.has_speaker = row.column_bool(10);
    record.desired_version = row.column_int64(11);
    record.desired_digest = row.column_text(12);
    record.applied_version = row.column_int64(13);
    record.last_status = row.column_text(14);
    record.last_seen = optional_time_column(row, 15);
    record.online = row.column_bool(16);
    record.revoked = optional_time_column(row, 17);
    record.mqtt_password_hash = row.column_text(18);
    record.created = time_column(row, 19);
    return record;
}

constexpr std::string_view alert_columns =
    "id, zones_json, all_zones, severity, status, issued_at, expires_at, cancelled_at, headline, text, "
    "playlist_id, repeat_count, repeat_interval_ms, media, state, created_by, cancelled_by, created_at";

Result<AlertRecord> read_alert(const Statement& row) {
    AlertRecord record;
    scheduler::Alert& alert = record.alert;
    alert.id = row.column_text(0);
    auto bad = [&](const Error& error) {
        return std::unexpected(stored_value_error(error, "alerts", alert.id));
    };
    auto zones = columns::decode_strings(row.column_text(1));
    if (!zones)
        return bad(zones.error());
    alert.zones = std::move(*zones);
    alert.all_zones = row.column_bool(2);
    auto severity = names::severity(row.column_text(3));
    if (!severity)
        return bad(severity.error());
    alert.severity = *severity;
    auto status = names::alert_status(row.column_text(4));
    if (!status)
        return bad(status.error());
    alert.status = *status;
    alert.issued = time_column(row, 5);
    alert.expires = time_column(row, 6);
    alert.cancelled = optional_time_column(row, 7);
    alert.headline = row.column_text(8);
    alert.text = row.column_text(9);
    alert.playlist = row.column_optional_text(10).value_or("");
    alert.repeat.count = row.column_int(11);
    alert.repeat.interval = Duration{row.column_int64(12)};
    record.media = row.column_optional_text(13).value_or("");
    auto state = names::alert_state(row.column_text(14));
    if (!state)
        return bad(state.error());
    record.state = *state;
    record.created_by = row.column_int64(15);
    record.cancelled_by = row.column_optional_int64(16);
    record.created = time_column(row, 17);
    return record;
}

constexpr std::string_view audit_columns =
    "id, user_id, user_name, at, action, entity_type, entity_id, before_json, after_json";

AuditEntry read_audit(const Statement& row) {
    AuditEntry entry;
    entry.id = row.column_int64(0);
    entry.user = row.column_optional_int64(1);
    entry.user_name = row.column_text(2);
    entry.at = time_column(row, 3);
    entry.action = row.column_text(4);
    entry.entity_type = row.column_text(5);
    entry.entity_id = row.column_text(6);
    entry.before = row.column_optional_text(7).value_or("");
    entry.after = row.column_optional_text(8).value_or("");
    return entry;
}

// ---- the transaction ----

class SqliteTransaction final : public StoreTransaction {
public:
    explicit SqliteTransaction(sqlite::Database& database) : m_database(database) {}

    // users
    Result<User> insert_user(User user) override {
        auto ran =
            run("INSERT INTO users (name, display_name, role, password_hash, disabled, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                user.name, user.display_name, to_string(user.role), user.password_hash, user.disabled,
                user.created);
        if (!ran)
            return std::unexpected(on_duplicate(ran.error(), "user \"" + user.name + "\""));
        user.id = m_database.last_insert_rowid();
        return user;
    }

    Result<User> user_by_id(UserId id) override {
        return one<User>("SELECT " + std::string{user_columns} + " FROM users WHERE id = ?", read_user,
                         "user " + std::to_string(id), id);
    }

    Result<User> user_by_name(std::string_view name) override {
        return one<User>("SELECT " + std::string{user_columns} + " FROM users WHERE name = ?", read_user,
                         "user \"" + std::string{name} + "\"", name);
    }

    Result<std::vector<User>> list_users(Page page) override {
        return many<User>("SELECT " + std::string{user_columns} + " FROM users ORDER BY id LIMIT ? OFFSET ?",
                          read_user, page.limit, page.offset);
    }

    Result<void> update_user(const User& user) override {
        BANTIN_STORE_TRY(
            run("UPDATE users SET display_name = ?, role = ?, password_hash = ?, disabled = ? "
                "WHERE id = ?",
                user.display_name, to_string(user.role), user.password_hash, user.disabled, user.id));
        return expect_changed("user " + std::to_string(user.id));
    }

    Result<std::int64_t> count_users_with_role(Role role) override {
        return scalar("SELECT count(*) FROM users WHERE role = ?", to_string(role));
    }

    // sessions
    Result<void> insert_session(const SessionRecord& session) override {
        auto ran =
            run("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, csrf_token) "
                "VALUES (?, ?, ?, ?, ?)",
                session.token_hash, session.user, session.created, session.expires, session.csrf_token);
        if (!ran)
            return std::unexpected(on_duplicate(ran.error(), "session"));
        return {};
    }

    Result<SessionRecord> session_by_token_hash(std::string_view token_hash) override {
        return one<SessionRecord>(
            "SELECT " + std::string{session_columns} + " FROM sessions WHERE token_hash = ?",
            [](const Statement& row) -> Result<SessionRecord> { return read_session(row); }, "session",
            token_hash);
    }

    Result<void> delete_session(std::string_view token_hash) override {
        return run("DELETE FROM sessions WHERE token_hash = ?", token_hash);
    }

    Result<std::int64_t> delete_sessions_of_user(UserId user) override {
        BANTIN_STORE_TRY(run("DELETE FROM sessions WHERE user_id = ?", user));
        return std::int64_t{m_database.changes()};
    }

    Result<std::int64_t> delete_sessions_expired_by(TimePoint now) override {
        BANTIN_STORE_TRY(run("DELETE FROM sessions WHERE expires_at <= ?", now));
        return std::int64_t{m_database.changes()};
    }

    // login attempts
    Result<void> insert_login_attempt(const LoginAttempt& attempt) override {
        return run("INSERT INTO login_attempts (user_name, source, at, succeeded) VALUES (?, ?, ?, ?)",
                   attempt.user_name, attempt.source, attempt.at, attempt.succeeded);
    }

    Result<std::vector<TimePoint>> failed_logins_for_user(std::string_view user_name,
                                                          TimePoint since) override {
        return times(
            "SELECT at FROM login_attempts WHERE user_name = ?1 AND succeeded = 0 AND at >= ?2 "
            "AND id > coalesce((SELECT max(id) FROM login_attempts "
            "                   WHERE user_name = ?1 AND succeeded = 1), 0) ORDER BY at",
            user_name, since);
    }

    Result<std::vector<TimePoint>> failed_logins_from_source(std::string_view source,
                                                             TimePoint since) override {
        return times(
            "SELECT at FROM login_attempts WHERE source = ? AND succeeded = 0 AND at >= ? ORDER BY at",
            source, since);
    }

    Result<std::int64_t> delete_login_attempts_before(TimePoint before) override {
        BANTIN_STORE_TRY(run("DELETE FROM login_attempts WHERE at < ?", before));
        return std::int64_t{m_database.changes()};
    }

    // media
    Result<bool> insert_media(const MediaRecord& record) override {
        const auto& media = record.media;
        std::optional<std::int64_t> duration;
        if (media.duration)
            duration = media.duration->count();
        BANTIN_STORE_TRY(run("INSERT OR IGNORE INTO media (" + std::string{media_columns} +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             media.sha256, names::of(media.type), record.size, duration, media.has_audio,
                             media.has_video, media.name, record.uploaded_by, record.created, record.text,
                             record.tts_media));
        return m_database.changes() > 0;
    }

    Result<MediaRecord> media_by_sha256(std::string_view sha256) override {
        return one<MediaRecord>("SELECT " + std::string{media_columns} + " FROM media WHERE sha256 = ?",
                                read_media, "media " + std::string{sha256}, sha256);
    }

    Result<std::vector<MediaRecord>> list_media(Page page) override {
        return many<MediaRecord>("SELECT " + std::string{media_columns} +
                                     " FROM media ORDER BY created_at DESC, sha256 LIMIT ? OFFSET ?",
                                 read_media, page.limit, page.offset);
    }

    Result<std::vector<std::string>> playlists_using_media(std::string_view sha256) override {
        return many<std::string>(
            "SELECT DISTINCT playlist_id FROM playlist_items WHERE media = ? ORDER BY playlist_id",
            [](Statement& row) -> Result<std::string> { return row.column_text(0); }, sha256);
    }

    Result<void> delete_media(std::string_view sha256) override {
        auto ran = run("DELETE FROM media WHERE sha256 = ?", sha256);
        if (!ran && ran.error().detail.find("FOREIGN KEY") != std::string::npos) {
            return fail(Errc::Conflict, "media " + std::string{sha256} +
                                            " is still used by a playlist, an alert or a notice");
        }
        if (!ran)
            return std::unexpected(ran.error());
        return expect_changed("media " + std::string{sha256});
    }

    // playlists
    Result<void> insert_playlist(const PlaylistRecord& record) override {
        auto ran =
            run("INSERT INTO playlists (id, name, created_by, created_at, updated_at, version) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                record.playlist.id, record.playlist.name, record.created_by, record.created, record.updated,
                record.version);
        if (!ran)
            return std::unexpected(on_duplicate(ran.error(), "playlist \"" + record.playlist.id + "\""));
        return insert_playlist_items(record.playlist);
    }

    Result<PlaylistRecord> playlist_by_id(std::string_view id) override {
        auto record = one<PlaylistRecord>(
            "SELECT id, name, created_by, created_at, updated_at, version FROM playlists WHERE id = ?",
            read_playlist_row, "playlist \"" + std::string{id} + "\"", id);
        if (!record)
            return record;
        BANTIN_STORE_TRY(load_items(*record));
        return record;
    }

    Result<std::vector<PlaylistRecord>> list_playlists(Page page) override {
        auto records = many<PlaylistRecord>(
            "SELECT id, name, created_by, created_at, updated_at, version FROM playlists ORDER BY id "
            "LIMIT ? OFFSET ?",
            read_playlist_row, page.limit, page.offset);
        if (!records)
            return records;
        for (auto& record : *records) BANTIN_STORE_TRY(load_items(record));
        return records;
    }

    Result<PlaylistRecord> update_playlist(PlaylistRecord record, std::int64_t expected_version) override {
        record.version = expected_version + 1;
        BANTIN_STORE_TRY(
            run("UPDATE playlists SET name = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?",
                record.playlist.name, record.updated, record.version, record.playlist.id, expected_version));
        BANTIN_STORE_TRY(
            expect_version_matched("playlists", "playlist", record.playlist.id, expected_version));
        BANTIN_STORE_TRY(run("DELETE FROM playlist_items WHERE playlist_id = ?", record.playlist.id));
        BANTIN_STORE_TRY(insert_playlist_items(record.playlist));
        return record;
    }

    // campaigns
    Result<void> insert_campaign(const CampaignRecord& record) override {
        auto ran =
            run_campaign("INSERT INTO campaigns (" + std::string{campaign_columns} +
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                             "?, ?, ?)",
                         record, std::nullopt);
        if (!ran)
            return std::unexpected(on_duplicate(ran.error(), "campaign \"" + record.campaign.id + "\""));
        return {};
    }

    Result<CampaignRecord> campaign_by_id(std::string_view id) override {
        return one<CampaignRecord>("SELECT " + std::string{campaign_columns} + " FROM campaigns WHERE id = ?",
                                   read_campaign, "campaign \"" + std::string{id} + "\"", id);
    }

    Result<std::vector<CampaignRecord>> list_campaigns(const CampaignFilter& filter, Page page) override {
        std::optional<std::string> approval;
        if (filter.approval)
            approval = std::string{names::of(*filter.approval)};
        return many<CampaignRecord>("SELECT " + std::string{campaign_columns} +
                                        " FROM campaigns WHERE (?1 IS NULL OR approval = ?1) "
                                        "AND (?2 IS NULL OR author_id = ?2) ORDER BY created_at, id "
                                        "LIMIT ?3 OFFSET ?4",
                                    read_campaign, approval, filter.author, page.limit, page.offset);
    }

    Result<CampaignRecord> update_campaign(CampaignRecord record, std::int64_t expected_version) override {
        record.version = expected_version + 1;
        // The id is bound first and the expected version last, around the same 26 values as insert.
        BANTIN_STORE_TRY(run_campaign(
            "UPDATE campaigns SET id = ?1, name = ?2, playlist_id = ?3, targets_json = ?4, valid_from = ?5, "
            "valid_to = ?6, weekdays = ?7, windows_json = ?8, mode = ?9, fixed_times_json = ?10, "
            "plays_per_hour = ?11, level = ?12, rank = ?13, weight = ?14, approval = ?15, author_id = ?16, "
            "last_editor_id = ?17, submitted_by = ?18, decided_by = ?19, decision_note = ?20, "
            "created_at = ?21, updated_at = ?22, submitted_at = ?23, decided_at = ?24, archived_at = ?25, "
            "version = ?26 WHERE id = ?1 AND version = ?27",
            record, expected_version));
        BANTIN_STORE_TRY(
            expect_version_matched("campaigns", "campaign", record.campaign.id, expected_version));
        return record;
    }

    // zones
    Result<void> insert_zone(const ZoneRecord& zone) override {
        auto ran = run("INSERT INTO zones (id, name) VALUES (?, ?)", zone.id, zone.name);
        if (!ran)
            return std::unexpected(on_duplicate(ran.error(), "zone \"" + zone.id + "\""));
        return {};
    }

    Result<ZoneRecord> zone_by_id(std::string_view id) override {
        return one<ZoneRecord>("SELECT id, name FROM zones WHERE id = ?", read_zone,
                               "zone \"" + std::string{id} + "\"", id);
    }

    Result<std::vector<ZoneRecord>> list_zones() override {
        return many<ZoneRecord>("SELECT id, name FROM zones ORDER BY id", read_zone);
    }

    Result<void> update_zone(const ZoneRecord& zone) override {
        BANTIN_STORE_TRY(run("UPDATE zones SET name = ? WHERE id = ?", zone.name, zone.id));
        return expect_changed("zone \"" + zone.id + "\"");
    }

    // devices
    Result<void> insert_device(const DeviceRecord& record) override {
        auto ran = run_device("INSERT INTO devices (" + std::string{device_columns} +
                                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              record);
        if (!ran)
            return std::unexpected(on_duplicate(ran.error(), "device \"" + record.device.id + "\""));
        return {};
    }

    Result<DeviceRecord> device_by_id(std::string_view id) override {
        return one<DeviceRecord>("SELECT " + std::string{device_columns} + " FROM devices WHERE id = ?",
                                 read_device, "device \"" + std::string{id} + "\"", id);
    }

    Result<std::vector<DeviceRecord>> list_devices(Page page) override {
        return many<DeviceRecord>(
            "SELECT " + std::string{device_columns} + " FROM devices ORDER BY id LIMIT ? OFFSET ?",
            read_device, page.limit, page.offset);
    }

    Result<void> update_device(const DeviceRecord& record) override {
        BANTIN_STORE_TRY(run_device(
            "UPDATE devices SET name = ?2, kind = ?3, zone_id = ?4, tags_json = ?5, time_zone = ?6, "
            "on_hours_json = ?7, quiet_hours_json = ?8, default_volume = ?9, volume_schedule_json = ?10, "
            "has_speaker = ?11, desired_version = ?12, desired_digest = ?13, applied_version = ?14, "
            "last_status_json = ?15, last_seen_at = ?16, online = ?17, revoked_at = ?18, "
            "mqtt_password_hash = ?19, created_at = ?20 WHERE id = ?1",
            record));
        return expect_changed("device \"" + record.device.id + "\"");
    }

    // alerts
    Result<void> insert_alert(const AlertRecord& record) override {
        auto ran = run_alert("INSERT INTO alerts (" + std::string{alert_columns} +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             record);
        if (!ran)
            return std::unexpected(on_duplicate(ran.error(), "alert \"" + record.alert.id + "\""));
        return {};
    }

    Result<AlertRecord> alert_by_id(std::string_view id) override {
        return one<AlertRecord>("SELECT " + std::string{alert_columns} + " FROM alerts WHERE id = ?",
                                read_alert, "alert \"" + std::string{id} + "\"", id);
    }

    Result<void> update_alert(const AlertRecord& record) override {
        BANTIN_STORE_TRY(run_alert(
            "UPDATE alerts SET zones_json = ?2, all_zones = ?3, severity = ?4, status = ?5, issued_at = ?6, "
            "expires_at = ?7, cancelled_at = ?8, headline = ?9, text = ?10, playlist_id = ?11, "
            "repeat_count = ?12, repeat_interval_ms = ?13, media = ?14, state = ?15, created_by = ?16, "
            "cancelled_by = ?17, created_at = ?18 WHERE id = ?1",
            record));
        return expect_changed("alert \"" + record.alert.id + "\"");
    }

    Result<std::vector<AlertRecord>> list_active_alerts(TimePoint now) override {
        return many<AlertRecord>("SELECT " + std::string{alert_columns} +
                                     " FROM alerts WHERE state <> 'cancelled' AND expires_at > ? "
                                     "ORDER BY issued_at, id",
                                 read_alert, now);
    }

    Result<void> insert_alert_confirmation(const AlertConfirmation& confirmation) override {
        auto ran = run("INSERT INTO alert_confirmations (alert_id, user_id, at) VALUES (?, ?, ?)",
                       confirmation.alert, confirmation.user, confirmation.at);
        if (!ran) {
            Error error = ran.error();
            if (error.detail.find("cannot confirm") != std::string::npos) {
                return fail(Errc::PermissionDenied,
                            "the author of alert \"" + confirmation.alert + "\" cannot confirm it");
            }
            return std::unexpected(on_duplicate(std::move(error), "confirmation of alert \"" +
                                                                      confirmation.alert + "\" by user " +
                                                                      std::to_string(confirmation.user)));
        }
        return {};
    }

    Result<std::vector<AlertConfirmation>> alert_confirmations(std::string_view alert) override {
        return many<AlertConfirmation>(
            "SELECT alert_id, user_id, at FROM alert_confirmations WHERE alert_id = ? ORDER BY at, user_id",
            [](const Statement& row) -> Result<AlertConfirmation> {
                return AlertConfirmation{row.column_text(0), row.column_int64(1), time_column(row, 2)};
            },
            alert);
    }

    // proof of play
    Result<std::vector<ProofOfPlayRow>> list_proof_of_play(TimePoint from, TimePoint to) override {
        return sqlite_proof_of_play_between(m_database, from, to);
    }

    Result<std::vector<ProofProgress>> insert_proof_of_play(std::span<const ProofOfPlayRow> rows,
                                                            TimePoint received) override {
        std::vector<ProofProgress> progress;
        std::map<std::pair<std::string, std::int64_t>, std::size_t> index_of;
        auto insert = m_database.prepare(
            "INSERT OR IGNORE INTO proof_of_play (device_id, install_epoch, seq, campaign_id, alert_id, "
            "item, "
            "media, started_at, ended_at, outcome, bundle_version, received_at, duration_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        if (!insert)
            return std::unexpected(insert.error());
        for (const ProofOfPlayRow& row : rows) {
            if (row.seq < 1) {
                return fail(Errc::InvalidInput, "proof of play from device \"" + row.device + "\" epoch " +
                                                    std::to_string(row.install_epoch) + ": seq " +
                                                    std::to_string(row.seq) + " is not positive");
            }
            auto key = std::make_pair(row.device, row.install_epoch);
            auto [position, added] = index_of.try_emplace(key, progress.size());
            if (added)
                progress.push_back(ProofProgress{row.device, row.install_epoch, 0, 0, {}, 0});
            insert->reset();
            bind_all(*insert, row.device, row.install_epoch, row.seq, row.campaign, row.alert, row.item,
                     row.media, row.started, row.ended, to_string(row.outcome), row.bundle_version, received,
                     row.duration_ms);
            BANTIN_STORE_TRY(insert->run());
            ProofProgress& entry = progress[position->second];
            entry.inserted += m_database.changes();
            entry.highest = std::max(entry.highest, row.seq);
        }
        for (ProofProgress& entry : progress) {
            std::int64_t inserted = entry.inserted;
            std::int64_t batch_highest = entry.highest;
            auto computed = compute_progress(entry.device, entry.install_epoch);
            if (!computed)
                return std::unexpected(computed.error());
            entry = std::move(*computed);
            entry.inserted = inserted;
            entry.highest = std::max(entry.highest, batch_highest);
            BANTIN_STORE_TRY(
                run("INSERT INTO proof_progress (device_id, install_epoch, contiguous, highest) "
                    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (device_id, install_epoch) DO UPDATE "
                    "SET contiguous = ?3, highest = max(highest, ?4)",
                    entry.device, entry.install_epoch, entry.contiguous, entry.highest));
        }
        return progress;
    }

    Result<ProofProgress> proof_progress(std::string_view device, std::int64_t install_epoch) override {
        return compute_progress(std::string{device}, install_epoch);
    }

    // audit
    Result<AuditEntry> append_audit(AuditEntry entry) override {
        BANTIN_STORE_TRY(
            run("INSERT INTO audit_log (user_id, user_name, at, action, entity_type, entity_id, "
                "before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                entry.user, entry.user_name, entry.at, entry.action, entry.entity_type, entry.entity_id,
                empty_as_null(entry.before), empty_as_null(entry.after)));
        entry.id = m_database.last_insert_rowid();
        return entry;
    }

    Result<std::vector<AuditEntry>> list_audit(const AuditFilter& filter, Page page) override {
        return many<AuditEntry>(
            "SELECT " + std::string{audit_columns} +
                " FROM audit_log WHERE (?1 = '' OR entity_type = ?1) "
                "AND (?2 = '' OR entity_id = ?2) AND (?3 IS NULL OR user_id = ?3) "
                "ORDER BY id DESC LIMIT ?4 OFFSET ?5",
            [](const Statement& row) -> Result<AuditEntry> { return read_audit(row); }, filter.entity_type,
            filter.entity_id, filter.user, page.limit, page.offset);
    }

private:
    template <class... Args>
    Result<Statement> query(std::string_view sql, const Args&... args) {
        auto statement = m_database.prepare(sql);
        if (!statement)
            return std::unexpected(statement.error());
        bind_all(*statement, args...);
        return statement;
    }

    template <class... Args>
    Result<void> run(std::string_view sql, const Args&... args) {
        auto statement = query(sql, args...);
        if (!statement)
            return std::unexpected(statement.error());
        return statement->run();
    }

    template <class T, class Reader, class... Args>
    Result<T> one(std::string_view sql, Reader&& reader, const std::string& what, const Args&... args) {
        auto statement = query(sql, args...);
        if (!statement)
            return std::unexpected(statement.error());
        auto found = statement->fetch_one();
        if (!found)
            return std::unexpected(found.error());
        if (!*found)
            return fail(Errc::NotFound, what + " not found");
        return reader(*statement);
    }

    template <class T, class Reader, class... Args>
    Result<std::vector<T>> many(std::string_view sql, Reader&& reader, const Args&... args) {
        auto statement = query(sql, args...);
        if (!statement)
            return std::unexpected(statement.error());
        std::vector<T> rows;
        for (;;) {
            auto stepped = statement->step();
            if (!stepped)
                return std::unexpected(stepped.error());
            if (*stepped == Step::Done)
                return rows;
            auto row = reader(*statement);
            if (!row)
                return std::unexpected(row.error());
            rows.push_back(std::move(*row));
        }
    }

    template <class... Args>
    Result<std::int64_t> scalar(std::string_view sql, const Args&... args) {
        auto statement = query(sql, args...);
        if (!statement)
            return std::unexpected(statement.error());
        auto found = statement->fetch_one();
        if (!found)
            return std::unexpected(found.error());
        return *found ? statement->column_int64(0) : 0;
    }

    template <class... Args>
    Result<std::vector<TimePoint>> times(std::string_view sql, const Args&... args) {
        return many<TimePoint>(
            sql, [](const Statement& row) -> Result<TimePoint> { return time_column(row, 0); }, args...);
    }

    Result<void> expect_changed(const std::string& what) {
        if (m_database.changes() == 0)
            return fail(Errc::NotFound, what + " not found");
        return {};
    }

    // After an UPDATE ... WHERE version = expected: tells a missing row from a stale version.
    Result<void> expect_version_matched(std::string_view table, std::string_view what, const std::string& id,
                                        std::int64_t expected_version) {
        if (m_database.changes() > 0)
            return {};
        auto stored = scalar("SELECT version FROM " + std::string{table} + " WHERE id = ?", id);
        if (!stored)
            return std::unexpected(stored.error());
        std::string name = std::string{what} + " \"" + id + "\"";
        if (*stored == 0)
            return fail(Errc::NotFound, name + " not found");
        return fail(Errc::Conflict, name + " was changed meanwhile (version " + std::to_string(*stored) +
                                        ", edited version " + std::to_string(expected_version) + ")");
    }

    static Result<PlaylistRecord> read_playlist_row(const Statement& row) {
        PlaylistRecord record;
        record.playlist.id = row.column_text(0);
        record.playlist.name = row.column_text(1);
        record.created_by = row.column_optional_int64(2);
        record.created = time_column(row, 3);
        record.updated = time_column(row, 4);
        record.version = row.column_int64(5);
        return record;
    }

    static Result<ZoneRecord> read_zone(const Statement& row) {
        return ZoneRecord{row.column_text(0), row.column_text(1)};
    }

    Result<void> load_items(PlaylistRecord& record) {
        auto items = many<scheduler::PlaylistItem>(
            "SELECT media, duration_ms, weight FROM playlist_items WHERE playlist_id = ? ORDER BY position",
            [](const Statement& row) -> Result<scheduler::PlaylistItem> {
                scheduler::PlaylistItem item;
                item.media = row.column_text(0);
                if (auto duration = row.column_optional_int64(1))
                    item.duration = Duration{*duration};
                item.weight = row.column_int(2);
                return item;
            },
            record.playlist.id);
        if (!items)
            return std::unexpected(items.error());
        record.playlist.items = std::move(*items);
        return {};
    }

    Result<void> insert_playlist_items(const scheduler::Playlist& playlist) {
        auto insert = m_database.prepare(
            "INSERT INTO playlist_items (playlist_id, position, media, duration_ms, weight) VALUES (?, ?, ?, "
            "?, ?)");
        if (!insert)
            return std::unexpected(insert.error());
        int position = 0;
        for (const auto& item : playlist.items) {
            std::optional<std::int64_t> duration;
            if (item.duration)
                duration = item.duration->count();
            insert->reset();
            bind_all(*insert, playlist.id, position, item.media, duration, item.weight);
            auto ran = insert->run();
            if (!ran) {
                Error error = ran.error();
                if (error.detail.find("FOREIGN KEY") != std::string::npos) {
                    return fail(Errc::Conflict, "playlist \"" + playlist.id + "\" items[" +
                                                    std::to_string(position) + "]: media " + item.media +
                                                    " not found");
                }
                return std::unexpected(std::move(error));
            }
            ++position;
        }
        return {};
    }

    Result<void> run_campaign(std::string_view sql, const CampaignRecord& record,
                              std::optional<std::int64_t> expected_version) {
        const scheduler::Campaign& campaign = record.campaign;
        std::optional<std::string> valid_from;
        std::optional<std::string> valid_to;
        if (campaign.valid_from)
            valid_from = names::format_date(*campaign.valid_from);
        if (campaign.valid_to)
            valid_to = names::format_date(*campaign.valid_to);
        auto statement = query(
            sql, campaign.id, campaign.name, campaign.playlist, columns::encode(campaign.targets), valid_from,
            valid_to, int{campaign.weekdays}, columns::encode(campaign.windows), names::of(campaign.mode),
            columns::encode(campaign.fixed_times), campaign.plays_per_hour, names::of(campaign.level),
            campaign.rank, campaign.weight, names::of(campaign.approval), record.author, record.last_editor,
            record.submitted_by, record.decided_by, record.decision_note, record.created, record.updated,
            record.submitted, record.decided, record.archived, record.version);
        if (!statement)
            return std::unexpected(statement.error());
        if (expected_version)
            statement->bind(27, *expected_version);
        auto ran = statement->run();
        if (!ran && ran.error().detail.find("FOREIGN KEY") != std::string::npos) {
            return fail(Errc::Conflict, "campaign \"" + campaign.id + "\": playlist \"" + campaign.playlist +
                                            "\" or a referenced user not found");
        }
        if (!ran && ran.error().detail.find("CHECK constraint failed") != std::string::npos &&
            ran.error().detail.find("decided_by") != std::string::npos) {
            return fail(
                Errc::PermissionDenied,
                "campaign \"" + campaign.id + "\": its author, editor or submitter cannot decide on it");
        }
        return ran;
    }

    Result<void> run_device(std::string_view sql, const DeviceRecord& record) {
        const scheduler::Device& device = record.device;
        auto ran = run(sql, device.id, record.name, names::of(device.kind), device.zone,
                       columns::encode(device.tags), device.time_zone, columns::encode(device.on_hours),
                       columns::encode(device.quiet_hours), device.default_volume,
                       columns::encode(device.volume_schedule), device.has_speaker, record.desired_version,
                       record.desired_digest, record.applied_version, record.last_status, record.last_seen,
                       record.online, record.revoked, record.mqtt_password_hash, record.created);
        if (!ran && ran.error().detail.find("FOREIGN KEY") != std::string::npos) {
            return fail(Errc::Conflict,
                        "device \"" + device.id + "\": zone \"" + device.zone + "\" not found");
        }
        return ran;
    }

    Result<void> run_alert(std::string_view sql, const AlertRecord& record) {
        const scheduler::Alert& alert = record.alert;
        auto ran = run(sql, alert.id, columns::encode(alert.zones), alert.all_zones,
                       names::of(alert.severity), names::of(alert.status), alert.issued, alert.expires,
                       alert.cancelled, alert.headline, alert.text, empty_as_null(alert.playlist),
                       alert.repeat.count, alert.repeat.interval.count(), empty_as_null(record.media),
                       to_string(record.state), record.created_by, record.cancelled_by, record.created);
        if (!ran && ran.error().detail.find("FOREIGN KEY") != std::string::npos) {
            return fail(Errc::Conflict, "alert \"" + alert.id + "\": playlist, media or user not found");
        }
        return ran;
    }

    // Walks the stored seqs above the recorded contiguous mark once: the run that continues the
    // mark extends it, every hole after it is a gap.
    Result<ProofProgress> compute_progress(const std::string& device, std::int64_t install_epoch) {
        ProofProgress progress{device, install_epoch, 0, 0, {}, 0};
        auto mark =
            query("SELECT contiguous, highest FROM proof_progress WHERE device_id = ? AND install_epoch = ?",
                  device, install_epoch);
        if (!mark)
            return std::unexpected(mark.error());
        auto found = mark->fetch_one();
        if (!found)
            return std::unexpected(found.error());
        if (*found) {
            progress.contiguous = mark->column_int64(0);
            progress.highest = mark->column_int64(1);
        }
        auto above = query(
            "SELECT seq FROM proof_of_play WHERE device_id = ? AND install_epoch = ? AND seq > ? "
            "ORDER BY seq",
            device, install_epoch, progress.contiguous);
        if (!above)
            return std::unexpected(above.error());
        std::int64_t expected = progress.contiguous + 1;
        bool contiguous_run = true;
        for (;;) {
            auto stepped = above->step();
            if (!stepped)
                return std::unexpected(stepped.error());
            if (*stepped == Step::Done)
                break;
            std::int64_t seq = above->column_int64(0);
            if (seq != expected) {
                contiguous_run = false;
                progress.gaps.push_back(SeqRange{expected, seq - 1});
            }
            if (contiguous_run)
                progress.contiguous = seq;
            progress.highest = std::max(progress.highest, seq);
            expected = seq + 1;
        }
        return progress;
    }

    sqlite::Database& m_database;
};

#undef BANTIN_STORE_TRY

// Keeps a read transaction read-only: SQLite refuses writes while query_only is on.
class QueryOnlyGuard {
public:
    explicit QueryOnlyGuard(sqlite::Database& database) : m_database(database) {
        m_ok = m_database.execute("PRAGMA query_only = ON").has_value();
    }
    ~QueryOnlyGuard() { (void)m_database.execute("PRAGMA query_only = OFF"); }
    QueryOnlyGuard(const QueryOnlyGuard&) = delete;
    QueryOnlyGuard& operator=(const QueryOnlyGuard&) = delete;
    bool ok() const { return m_ok; }

private:
    sqlite::Database& m_database;
    bool m_ok = false;
};

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, const Clock& clock,
                                                       const sqlite::OpenOptions& options) {
    auto database = sqlite::Database::open(path, options);
    if (!database)
        return std::unexpected(database.error());
    auto migrated = migrate(*database, migrations(), clock.wall());
    if (!migrated) {
        Error error = migrated.error();
        error.detail = path + ": " + error.detail;
        return std::unexpected(std::move(error));
    }
    return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*database)));
}

Result<std::vector<ProofOfPlayRow>> sqlite_proof_of_play_between(sqlite::Database& database, TimePoint from,
                                                                 TimePoint to) {
    auto query = database.prepare(
        "SELECT device_id, install_epoch, seq, campaign_id, alert_id, item, media, started_at, ended_at, "
        "outcome, "
        "bundle_version, duration_ms FROM proof_of_play WHERE started_at >= ? AND started_at < ? "
        "ORDER BY started_at, device_id, install_epoch, seq");
    if (!query)
        return std::unexpected(query.error());
    query->bind(1, to_unix_ms(from)).bind(2, to_unix_ms(to));
    std::vector<ProofOfPlayRow> rows;
    for (;;) {
        auto step = query->step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == sqlite::Step::Done)
            break;
        ProofOfPlayRow row;
        row.device = query->column_text(0);
        row.install_epoch = query->column_int64(1);
        row.seq = query->column_int64(2);
        row.campaign = query->column_text(3);
        row.alert = query->column_text(4);
        row.item = query->column_int(5);
        row.media = query->column_text(6);
        row.started = from_unix_ms(query->column_int64(7));
        row.ended = from_unix_ms(query->column_int64(8));
        row.outcome = protocol::parse_outcome(query->column_text(9)).value_or(PlayOutcome::Failed);
        row.bundle_version = query->column_int64(10);
        row.duration_ms = query->column_optional_int64(11);
        rows.push_back(std::move(row));
    }
    return rows;
}

Result<void> SqliteStore::read(const Work& work) {
    std::lock_guard lock{m_mutex};
    QueryOnlyGuard guard{m_database};
    if (!guard.ok())
        return fail(Errc::Io, "sqlite: cannot make the read transaction read-only");
    auto transaction = sqlite::Transaction::begin(m_database, sqlite::TransactionMode::Deferred);
    if (!transaction)
        return std::unexpected(transaction.error());
    SqliteTransaction store_transaction{m_database};
    auto done = work(store_transaction);
    if (!done)
        return done;
    return transaction->commit();
}

Result<void> SqliteStore::write(const Work& work) {
    std::lock_guard lock{m_mutex};
    auto transaction = sqlite::Transaction::begin(m_database, sqlite::TransactionMode::Immediate);
    if (!transaction)
        return std::unexpected(transaction.error());
    SqliteTransaction store_transaction{m_database};
    auto done = work(store_transaction);
    if (!done)
        return done;
    return transaction->commit();
}

}  // namespace bantin::controller
