// The store's fleet: zones, devices, alerts and their confirmations, open live channels.

#include "sql_transaction.hpp"

#include "columns.hpp"
#include "names.hpp"

#include <utility>

namespace bantin::controller {

using namespace store_detail;

namespace {

constexpr std::string_view device_columns =
    "id, name, kind, zone_id, tags_json, time_zone, on_hours_json, quiet_hours_json, default_volume, "
    "volume_schedule_json, has_speaker, desired_version, desired_digest, applied_version, "
    "last_status_json, last_seen_at, online, revoked_at, mqtt_password_hash, created_at, header_permille, "
    "ticker_permille";

Result<DeviceRecord> read_device(const Statement& row) {
    Row column{row};
    DeviceRecord record;
    scheduler::Device& device = record.device;
    device.id = column.text();
    auto bad = [&](const Error& error) {
        return std::unexpected(stored_value_error(error, "devices", device.id));
    };
    record.name = column.text();
    auto kind = names::device_kind(column.text());
    if (!kind)
        return bad(kind.error());
    device.kind = *kind;
    device.zone = column.text();
    auto tags = columns::decode_strings(column.text());
    if (!tags)
        return bad(tags.error());
    device.tags = std::move(*tags);
    device.time_zone = column.text();
    auto on_hours = columns::decode_windows(column.text());
    if (!on_hours)
        return bad(on_hours.error());
    device.on_hours = std::move(*on_hours);
    auto quiet_hours = columns::decode_windows(column.text());
    if (!quiet_hours)
        return bad(quiet_hours.error());
    device.quiet_hours = std::move(*quiet_hours);
    device.default_volume = column.integer();
    auto volume_schedule = columns::decode_volume_steps(column.text());
    if (!volume_schedule)
        return bad(volume_schedule.error());
    device.volume_schedule = std::move(*volume_schedule);
    device.has_speaker = column.boolean();
    record.desired_version = column.int64();
    record.desired_digest = column.text();
    record.applied_version = column.int64();
    record.last_status = column.text();
    record.last_seen = column.optional_time();
    record.online = column.boolean();
    record.revoked = column.optional_time();
    record.mqtt_password_hash = column.text();
    record.created = column.time();
    device.layout.header_permille = column.integer();
    device.layout.ticker_permille = column.integer();
    return record;
}

constexpr std::string_view alert_columns =
    "id, zones_json, all_zones, severity, status, issued_at, expires_at, cancelled_at, headline, text, "
    "playlist_id, repeat_count, repeat_interval_ms, media, state, created_by, cancelled_by, created_at, "
    "replaces_json";

Result<AlertRecord> read_alert(const Statement& row) {
    Row column{row};
    AlertRecord record;
    scheduler::Alert& alert = record.alert;
    alert.id = column.text();
    auto bad = [&](const Error& error) {
        return std::unexpected(stored_value_error(error, "alerts", alert.id));
    };
    auto zones = columns::decode_strings(column.text());
    if (!zones)
        return bad(zones.error());
    alert.zones = std::move(*zones);
    alert.all_zones = column.boolean();
    auto severity = names::severity(column.text());
    if (!severity)
        return bad(severity.error());
    alert.severity = *severity;
    auto status = names::alert_status(column.text());
    if (!status)
        return bad(status.error());
    alert.status = *status;
    alert.issued = column.time();
    alert.expires = column.time();
    alert.cancelled = column.optional_time();
    alert.headline = column.text();
    alert.text = column.text();
    alert.playlist = column.optional_text().value_or("");
    alert.repeat.count = column.integer();
    alert.repeat.interval = Duration{column.int64()};
    record.media = column.optional_text().value_or("");
    auto state = names::alert_state(column.text());
    if (!state)
        return bad(state.error());
    record.state = *state;
    record.created_by = column.int64();
    record.cancelled_by = column.optional_int64();
    record.created = column.time();
    auto replaces = columns::decode_strings(column.text());
    if (!replaces)
        return bad(replaces.error());
    record.replaces = std::move(*replaces);
    return record;
}

constexpr std::string_view live_channel_columns =
    "id, zones_json, level, url, mount, started_at, ends_at, opened_by";

Result<LiveChannelRecord> read_live_channel(const Statement& row) {
    Row column{row};
    LiveChannelRecord record;
    protocol::LiveStart& start = record.start;
    start.id = column.text();
    auto bad = [&](const Error& error) {
        return std::unexpected(stored_value_error(error, "live_channels", start.id));
    };
    auto zones = columns::decode_strings(column.text());
    if (!zones)
        return bad(zones.error());
    start.zones = std::move(*zones);
    auto level = names::level(column.text());
    if (!level)
        return bad(level.error());
    start.level = *level;
    start.url = column.text();
    record.mount = column.text();
    start.started_at = column.time();
    start.ends_at = column.time();
    record.opened_by = column.text();
    return record;
}

constexpr std::string_view setting_change_columns =
    "id, device, settings_json, state, proposed_by, proposed_at, decided_by, decided_at";

Result<DeviceSettingChange> read_setting_change(const Statement& row) {
    Row column{row};
    DeviceSettingChange change;
    change.id = column.text();
    change.device = column.text();
    change.settings_json = column.text();
    auto state = names::setting_change_state(column.text());
    if (!state)
        return std::unexpected(stored_value_error(state.error(), "device_setting_changes", change.id));
    change.state = *state;
    change.proposed_by = column.int64();
    change.proposed_at = column.time();
    change.decided_by = column.optional_int64();
    change.decided_at = column.optional_time();
    return change;
}

}  // namespace

Result<void> SqlTransaction::insert_zone(const ZoneRecord& zone) {
    auto ran = run("INSERT INTO zones (id, name) VALUES (?, ?)", zone.id, zone.name);
    if (!ran)
        return std::unexpected(on_duplicate(ran.error(), "zone \"" + zone.id + "\""));
    return {};
}

Result<ZoneRecord> SqlTransaction::zone_by_id(std::string_view id) {
    return one<ZoneRecord>("SELECT id, name FROM zones WHERE id = ?", read_zone,
                           "zone \"" + std::string{id} + "\"", id);
}

Result<std::vector<ZoneRecord>> SqlTransaction::list_zones() {
    return many<ZoneRecord>("SELECT id, name FROM zones ORDER BY id", read_zone);
}

Result<void> SqlTransaction::update_zone(const ZoneRecord& zone) {
    BANTIN_STORE_TRY(run("UPDATE zones SET name = ? WHERE id = ?", zone.name, zone.id));
    return expect_changed("zone \"" + zone.id + "\"");
}

Result<void> SqlTransaction::insert_device(const DeviceRecord& record) {
    auto ran = run_device("INSERT INTO devices (" + std::string{device_columns} +
                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          record);
    if (!ran)
        return std::unexpected(on_duplicate(ran.error(), "device \"" + record.device.id + "\""));
    return {};
}

Result<DeviceRecord> SqlTransaction::device_by_id(std::string_view id) {
    return one<DeviceRecord>("SELECT " + std::string{device_columns} + " FROM devices WHERE id = ?",
                             read_device, "device \"" + std::string{id} + "\"", id);
}

Result<std::vector<DeviceRecord>> SqlTransaction::list_devices(Page page) {
    return many<DeviceRecord>(
        "SELECT " + std::string{device_columns} + " FROM devices ORDER BY id LIMIT ? OFFSET ?", read_device,
        page.limit, page.offset);
}

Result<void> SqlTransaction::update_device(const DeviceRecord& record) {
    BANTIN_STORE_TRY(run_device(
        "UPDATE devices SET name = ?2, kind = ?3, zone_id = ?4, tags_json = ?5, time_zone = ?6, "
        "on_hours_json = ?7, quiet_hours_json = ?8, default_volume = ?9, volume_schedule_json = ?10, "
        "has_speaker = ?11, desired_version = ?12, desired_digest = ?13, applied_version = ?14, "
        "last_status_json = ?15, last_seen_at = ?16, online = ?17, revoked_at = ?18, "
        "mqtt_password_hash = ?19, created_at = ?20, header_permille = ?21, ticker_permille = ?22 "
        "WHERE id = ?1",
        record));
    return expect_changed("device \"" + record.device.id + "\"");
}

Result<void> SqlTransaction::insert_alert(const AlertRecord& record) {
    auto ran = run_alert("INSERT INTO alerts (" + std::string{alert_columns} +
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         record);
    if (!ran)
        return std::unexpected(on_duplicate(ran.error(), "alert \"" + record.alert.id + "\""));
    return {};
}

Result<AlertRecord> SqlTransaction::alert_by_id(std::string_view id) {
    return one<AlertRecord>("SELECT " + std::string{alert_columns} + " FROM alerts WHERE id = ?", read_alert,
                            "alert \"" + std::string{id} + "\"", id);
}

Result<void> SqlTransaction::update_alert(const AlertRecord& record) {
    BANTIN_STORE_TRY(run_alert(
        "UPDATE alerts SET zones_json = ?2, all_zones = ?3, severity = ?4, status = ?5, issued_at = ?6, "
        "expires_at = ?7, cancelled_at = ?8, headline = ?9, text = ?10, playlist_id = ?11, "
        "repeat_count = ?12, repeat_interval_ms = ?13, media = ?14, state = ?15, created_by = ?16, "
        "cancelled_by = ?17, created_at = ?18, replaces_json = ?19 WHERE id = ?1",
        record));
    return expect_changed("alert \"" + record.alert.id + "\"");
}

Result<std::vector<AlertRecord>> SqlTransaction::list_active_alerts(TimePoint now) {
    return many<AlertRecord>("SELECT " + std::string{alert_columns} +
                                 " FROM alerts WHERE state <> 'cancelled' AND expires_at > ? "
                                 "ORDER BY issued_at, id",
                             read_alert, now);
}

Result<std::vector<AlertRecord>> SqlTransaction::list_alerts(TimePoint from, TimePoint to, Page page) {
    return many<AlertRecord>(
        "SELECT " + std::string{alert_columns} +
            " FROM alerts WHERE created_at < ?1 "
            "AND (CASE WHEN cancelled_at < expires_at THEN cancelled_at ELSE expires_at END) > ?2 "
            "ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4",
        read_alert, to, from, page.limit, page.offset);
}

Result<void> SqlTransaction::insert_alert_confirmation(const AlertConfirmation& confirmation) {
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

Result<std::vector<AlertConfirmation>> SqlTransaction::alert_confirmations(std::string_view alert) {
    return many<AlertConfirmation>(
        "SELECT alert_id, user_id, at FROM alert_confirmations WHERE alert_id = ? ORDER BY at, user_id",
        [](const Statement& row) -> Result<AlertConfirmation> {
            Row column{row};
            return AlertConfirmation{column.text(), column.int64(), column.time()};
        },
        alert);
}

Result<void> SqlTransaction::insert_live_channel(const LiveChannelRecord& channel) {
    const protocol::LiveStart& start = channel.start;
    auto ran = run("INSERT INTO live_channels (" + std::string{live_channel_columns} +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   start.id, columns::encode(start.zones), names::of(start.level), start.url, channel.mount,
                   start.started_at, start.ends_at, channel.opened_by);
    if (!ran)
        return std::unexpected(on_duplicate(ran.error(), "live channel \"" + start.id + "\""));
    return {};
}

Result<LiveChannelRecord> SqlTransaction::live_channel_by_id(std::string_view id) {
    return one<LiveChannelRecord>(
        "SELECT " + std::string{live_channel_columns} + " FROM live_channels WHERE id = ?", read_live_channel,
        "live channel \"" + std::string{id} + "\"", id);
}

Result<std::vector<LiveChannelRecord>> SqlTransaction::list_live_channels(TimePoint now) {
    return many<LiveChannelRecord>("SELECT " + std::string{live_channel_columns} +
                                       " FROM live_channels WHERE ends_at > ? ORDER BY started_at, id",
                                   read_live_channel, now);
}

Result<void> SqlTransaction::delete_live_channel(std::string_view id) {
    BANTIN_STORE_TRY(run("DELETE FROM live_channels WHERE id = ?", id));
    return expect_changed("live channel \"" + std::string{id} + "\"");
}

Result<std::int64_t> SqlTransaction::delete_live_channels_ended_by(TimePoint now) {
    BANTIN_STORE_TRY(run("DELETE FROM live_channels WHERE ends_at <= ?", now));
    return m_database.changes();
}

Result<void> SqlTransaction::insert_setting_change(const DeviceSettingChange& change) {
    auto ran = run("INSERT INTO device_setting_changes (" + std::string{setting_change_columns} +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   change.id, change.device, change.settings_json, to_string(change.state),
                   change.proposed_by, change.proposed_at, change.decided_by, change.decided_at);
    if (!ran)
        return std::unexpected(on_duplicate(ran.error(), "setting change \"" + change.id + "\""));
    return {};
}

Result<DeviceSettingChange> SqlTransaction::setting_change_by_id(std::string_view id) {
    return one<DeviceSettingChange>(
        "SELECT " + std::string{setting_change_columns} + " FROM device_setting_changes WHERE id = ?",
        read_setting_change, "setting change \"" + std::string{id} + "\"", id);
}

Result<std::vector<DeviceSettingChange>> SqlTransaction::list_setting_changes(std::string_view device,
                                                                              int limit) {
    return many<DeviceSettingChange>("SELECT " + std::string{setting_change_columns} +
                                         " FROM device_setting_changes WHERE device = ?"
                                         " ORDER BY proposed_at DESC, id LIMIT ?",
                                     read_setting_change, device, limit);
}

Result<void> SqlTransaction::update_setting_change(const DeviceSettingChange& change) {
    BANTIN_STORE_TRY(
        run("UPDATE device_setting_changes SET state = ?, decided_by = ?, decided_at = ?"
            " WHERE id = ?",
            to_string(change.state), change.decided_by, change.decided_at, change.id));
    return expect_changed("setting change \"" + change.id + "\"");
}

Result<ZoneRecord> SqlTransaction::read_zone(const Statement& row) {
    Row column{row};
    return ZoneRecord{column.text(), column.text()};
}

Result<void> SqlTransaction::run_device(std::string_view sql, const DeviceRecord& record) {
    const scheduler::Device& device = record.device;
    auto ran =
        run(sql, device.id, record.name, names::of(device.kind), device.zone, columns::encode(device.tags),
            device.time_zone, columns::encode(device.on_hours), columns::encode(device.quiet_hours),
            device.default_volume, columns::encode(device.volume_schedule), device.has_speaker,
            record.desired_version, record.desired_digest, record.applied_version, record.last_status,
            record.last_seen, record.online, record.revoked, record.mqtt_password_hash, record.created,
            device.layout.header_permille, device.layout.ticker_permille);
    if (!ran && is_foreign_key_violation(ran.error())) {
        return fail(Errc::Conflict, "device \"" + device.id + "\": zone \"" + device.zone + "\" not found");
    }
    return ran;
}

Result<void> SqlTransaction::run_alert(std::string_view sql, const AlertRecord& record) {
    const scheduler::Alert& alert = record.alert;
    auto ran = run(sql, alert.id, columns::encode(alert.zones), alert.all_zones, names::of(alert.severity),
                   names::of(alert.status), alert.issued, alert.expires, alert.cancelled, alert.headline,
                   alert.text, empty_as_null(alert.playlist), alert.repeat.count,
                   alert.repeat.interval.count(), empty_as_null(record.media), to_string(record.state),
                   record.created_by, record.cancelled_by, record.created, columns::encode(record.replaces));
    if (!ran && is_foreign_key_violation(ran.error())) {
        return fail(Errc::Conflict, "alert \"" + alert.id + "\": playlist, media or user not found");
    }
    return ran;
}

}  // namespace bantin::controller
