#pragma once
// Fleet history: when each device went online and offline, for the online-history and uptime
// reports. It is high-churn telemetry that the controller's main database does not need for
// anything else, so it lives in its own SQLite file ("<database>.fleet", with its own
// versioned schema) and a backup of the main database stays small.
//
// Lifecycle: SqliteFleetHistory::open() creates or migrates the file. Threads: any thread
// (a mutex serialises the one connection). Errors: Io from SQLite, naming the statement.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/sqlite/database.hpp"

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller {

struct PresenceChange {
    std::string device;
    TimePoint at;
    bool online = false;
    bool operator==(const PresenceChange&) const = default;
};

struct UptimeSummary {
    std::string device;
    Duration online{0};
    Duration observed{0};  // the part of the range after the device was first seen
    double ratio() const {
        return observed.count() > 0
                   ? static_cast<double>(online.count()) / static_cast<double>(observed.count())
                   : 0.0;
    }
};

class FleetHistory {
public:
    virtual ~FleetHistory() = default;
    // Records changes; a change equal to the device's latest state is ignored.
    virtual Result<void> record(std::span<const PresenceChange> changes) = 0;
    // Changes in [from, to) plus the last change before `from` (the state at `from`), oldest first.
    virtual Result<std::vector<PresenceChange>> changes(std::string_view device, TimePoint from,
                                                        TimePoint to) = 0;
};

// Online time of one device in [from, to) from its changes as returned by changes().
UptimeSummary summarise_uptime(std::string_view device, const std::vector<PresenceChange>& changes,
                               TimePoint from, TimePoint to);

class SqliteFleetHistory final : public FleetHistory {
public:
    static Result<std::unique_ptr<SqliteFleetHistory>> open(const std::string& path);
    Result<void> record(std::span<const PresenceChange> changes) override;
    Result<std::vector<PresenceChange>> changes(std::string_view device, TimePoint from,
                                                TimePoint to) override;

private:
    explicit SqliteFleetHistory(sqlite::Database database) : m_database(std::move(database)) {}
    std::mutex m_mutex;
    sqlite::Database m_database;
};

}  // namespace bantin::controller
