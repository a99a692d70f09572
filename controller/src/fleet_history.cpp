#include "bantin/controller/fleet_history.hpp"

#include <algorithm>

namespace bantin::controller {
namespace {

constexpr int fleet_schema_version = 1;

constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE IF NOT EXISTS fleet_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS presence (
    device_id TEXT NOT NULL,
    at        INTEGER NOT NULL,
    online    INTEGER NOT NULL CHECK (online IN (0, 1))
);
CREATE INDEX IF NOT EXISTS presence_by_device_time ON presence(device_id, at);
)sql";

}  // namespace

Result<std::unique_ptr<SqliteFleetHistory>> SqliteFleetHistory::open(const std::string& path) {
    sqlite::OpenOptions options;
    options.synchronous =
        sqlite::Synchronous::Normal;  // telemetry: losing the last change on a power cut is fine
    auto database = sqlite::Database::open(path, options);
    if (!database)
        return std::unexpected(database.error());
    if (auto created = database->execute(schema_v1); !created)
        return fail(Errc::Io, path + ": " + created.error().detail);
    auto version = database->prepare("SELECT max(version) FROM fleet_schema");
    if (!version)
        return std::unexpected(version.error());
    auto row = version->fetch_one();
    if (!row)
        return std::unexpected(row.error());
    if (version->column_is_null(0)) {
        if (auto stamped = database->execute("INSERT INTO fleet_schema (version) VALUES (1)"); !stamped)
            return std::unexpected(stamped.error());
    } else if (version->column_int(0) > fleet_schema_version) {
        return fail(Errc::Unsupported,
                    path + ": fleet history schema " + std::to_string(version->column_int(0)) +
                        " is newer than this controller (" + std::to_string(fleet_schema_version) + ")");
    }
    return std::unique_ptr<SqliteFleetHistory>(new SqliteFleetHistory(std::move(*database)));
}

Result<void> SqliteFleetHistory::record(std::span<const PresenceChange> changes) {
    if (changes.empty())
        return {};
    std::lock_guard lock{m_mutex};
    auto transaction = sqlite::Transaction::begin(m_database, sqlite::TransactionMode::Immediate);
    if (!transaction)
        return std::unexpected(transaction.error());
    auto latest =
        m_database.prepare("SELECT online FROM presence WHERE device_id = ? ORDER BY at DESC LIMIT 1");
    auto insert = m_database.prepare("INSERT INTO presence (device_id, at, online) VALUES (?, ?, ?)");
    if (!latest)
        return std::unexpected(latest.error());
    if (!insert)
        return std::unexpected(insert.error());
    for (const auto& change : changes) {
        latest->reset();
        latest->bind(1, change.device);
        auto found = latest->fetch_one();
        if (!found)
            return std::unexpected(found.error());
        if (*found && latest->column_bool(0) == change.online)
            continue;
        insert->reset();
        insert->bind(1, change.device).bind(2, to_unix_ms(change.at)).bind(3, change.online);
        if (auto ran = insert->run(); !ran)
            return ran;
    }
    return transaction->commit();
}

Result<std::vector<PresenceChange>> SqliteFleetHistory::changes(std::string_view device, TimePoint from,
                                                                TimePoint to) {
    std::lock_guard lock{m_mutex};
    std::vector<PresenceChange> result;
    auto before = m_database.prepare(
        "SELECT at, online FROM presence WHERE device_id = ? AND at < ? ORDER BY at DESC LIMIT 1");
    if (!before)
        return std::unexpected(before.error());
    before->bind(1, device).bind(2, to_unix_ms(from));
    auto found = before->fetch_one();
    if (!found)
        return std::unexpected(found.error());
    if (*found)
        result.push_back(PresenceChange{std::string{device}, from_unix_ms(before->column_int64(0)),
                                        before->column_bool(1)});
    auto within = m_database.prepare(
        "SELECT at, online FROM presence WHERE device_id = ? AND at >= ? AND at < ? ORDER BY at");
    if (!within)
        return std::unexpected(within.error());
    within->bind(1, device).bind(2, to_unix_ms(from)).bind(3, to_unix_ms(to));
    for (;;) {
        auto step = within->step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == sqlite::Step::Done)
            break;
        result.push_back(PresenceChange{std::string{device}, from_unix_ms(within->column_int64(0)),
                                        within->column_bool(1)});
    }
    return result;
}

UptimeSummary summarise_uptime(std::string_view device, const std::vector<PresenceChange>& changes,
                               TimePoint from, TimePoint to) {
    UptimeSummary summary;
    summary.device = device;
    if (changes.empty() || to <= from)
        return summary;
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const TimePoint start = std::max(changes[i].at, from);
        const TimePoint end = i + 1 < changes.size() ? std::min(changes[i + 1].at, to) : to;
        if (end <= start)
            continue;
        summary.observed += end - start;
        if (changes[i].online)
            summary.online += end - start;
    }
    return summary;
}

}  // namespace bantin::controller
