#pragma once
// Reports over proof of play and fleet history (docs/fleet.md, "Reports"):
//   - plays per campaign per local day per zone (completed, cut short, interrupted, failed, the
//     milliseconds played, and for relays the milliseconds relayed and of filler and the
//     source's losses);
//   - planned vs delivered per campaign: planned = the entries the shared scheduler resolves
//     for every targeted device over the range (the same Resolver the devices run), counting
//     only what has ended by now (the Clock), started after the campaign's approval and after
//     the device's registration (an archived campaign plans nothing), delivered =
//     the completed plays reported that ran at least `min_completed_fraction` of their slot; a
//     campaign below `under_delivery_threshold` of its plan is flagged;
// A play's slot is its playlist item's duration, else its media's own length, in the current
// model (archived campaigns included). A play reported `completed` whose measured duration_ms
// is under min_completed_fraction of that slot (and more than protocol::completed_tolerance
// short of it) is "cut short": not completed, not delivered.
// When the slot or the duration is unknown (a row from before schema version 3, a campaign,
// playlist or media gone, a stream without a length) the outcome alone counts.
// A cut item resumed at its offset is one play: its completed rest is judged together with
// the interrupted pieces of the same item the device played just before it for the campaign,
// and planned counts its cut piece only (docs/fleet.md, "Reports").
//   - device online history and uptime from FleetHistory;
// and CSV export of each (RFC 4180 quoting, header row first; the plays report's header names
// each column in Vietnamese first, then English).
//
// Proof rows are read through ProofQuery. StoreProofQuery reads them from any Store backend
// (StoreTransaction::list_proof_of_play), so a new backend needs nothing report-specific.
// SqliteProofQuery is the SQLite daemon's choice: the same query on a second, read-only
// connection to the controller database, so a long report never waits for (or holds up) the
// store's one connection that ingest writes through (WAL lets both run). Presence history comes
// through the FleetHistory interface (fleet_history.hpp). Days are the device's local days (its
// time zone), as a person reads the schedule.
//
// Threads: any thread. Errors: those of the store, the query and the resolver (InvalidInput for
// a range with to <= from or longer than 92 days).

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/controller/fleet_history.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/sqlite/database.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bantin::controller {

class ProofQuery {
public:
    virtual ~ProofQuery() = default;
    // Plays that started in [from, to).
    virtual Result<std::vector<ProofOfPlayRow>> plays_between(TimePoint from, TimePoint to) = 0;
};

class SqliteProofQuery final : public ProofQuery {
public:
    static Result<std::unique_ptr<SqliteProofQuery>> open(const std::string& database_path);
    Result<std::vector<ProofOfPlayRow>> plays_between(TimePoint from, TimePoint to) override;

private:
    explicit SqliteProofQuery(sqlite::Database database) : m_database(std::move(database)) {}
    std::mutex m_mutex;
    sqlite::Database m_database;
};

// Any backend: one read transaction of the Store per query.
class StoreProofQuery final : public ProofQuery {
public:
    explicit StoreProofQuery(Store& store) : m_store(store) {}
    Result<std::vector<ProofOfPlayRow>> plays_between(TimePoint from, TimePoint to) override;

private:
    Store& m_store;
};

// A play that ran less than this fraction of its planned slot is not a completed play...
inline constexpr double min_completed_fraction = 0.9;
// ...unless it ran its slot less the player's start-latency tolerance
// (protocol::completed_tolerance): on a short slot (under 5 s) that is the shorter bar, and a
// row the player rightly calls completed must count as delivered.
bool ran_enough_of_slot(Duration played, Duration slot);

struct PlaysRow {
    std::string campaign;
    std::string day;  // YYYY-MM-DD, the device's local date
    std::string zone;
    std::int64_t completed = 0;
    std::int64_t interrupted = 0;
    std::int64_t failed = 0;
    std::int64_t cut_short = 0;  // reported completed, ran under min_completed_fraction of the slot
    std::int64_t played_ms = 0;  // sum of the known duration_ms of every play counted here
    std::int64_t muted = 0;      // of `completed`, shown without sound (note "audio: unavailable")
    // Relays (rows with a relay's figures, protocol::RelayFigures): the sums of the time the
    // station was heard, of the filler's time, and of the times the source stopped. A relay row
    // without figures (an older player) adds nothing here; its duration_ms is in played_ms.
    std::int64_t relayed_ms = 0;
    std::int64_t filler_ms = 0;
    std::int64_t source_losses = 0;
    bool operator==(const PlaysRow&) const = default;
};

struct DeliveryRow {
    std::string campaign;
    std::int64_t planned = 0;
    std::int64_t delivered = 0;
    double ratio = 0.0;  // delivered / planned; 1 when nothing was planned
    bool under_delivered = false;
};

struct UptimeRow {
    std::string device;
    std::string zone;
    bool online = false;
    std::optional<TimePoint> last_seen;
    Duration online_time{0};
    Duration observed_time{0};
    double uptime = 0.0;
    std::vector<PresenceChange> changes;
};

struct ReportRange {
    TimePoint from;
    TimePoint to;
};

class ReportService {
public:
    ReportService(Store& store, ProofQuery& proofs, FleetHistory* history, const Clock& clock,
                  double under_delivery_threshold = 0.9)
        : m_store(store),
          m_proofs(proofs),
          m_history(history),
          m_clock(clock),
          m_threshold(under_delivery_threshold) {}

    Result<std::vector<PlaysRow>> plays(ReportRange range);
    Result<std::vector<DeliveryRow>> delivery(ReportRange range);
    Result<std::vector<UptimeRow>> uptime(ReportRange range);

private:
    Store& m_store;
    ProofQuery& m_proofs;
    FleetHistory* m_history;
    const Clock& m_clock;
    double m_threshold;
};

Result<void> check_range(ReportRange range);

std::string to_csv(const std::vector<PlaysRow>& rows);
std::string to_csv(const std::vector<DeliveryRow>& rows);
std::string to_csv(const std::vector<UptimeRow>& rows);

}  // namespace bantin::controller
