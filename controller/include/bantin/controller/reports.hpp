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
//   - planned vs delivered broken down by any of campaign, zone and local day (DeliveryGrouping):
//     each entry and play counts in its device's zone and on its device's local day;
//   - alert plays per alert (the proof rows of source `alert`): its headline, severity and
//     status, how many devices played it, plays completed, interrupted and failed;
//   - device online history and uptime from FleetHistory;
// and CSV export of each (RFC 4180 quoting; a UTF-8 byte order mark, then the header row,
// which names each column in Vietnamese first, then English, so a spreadsheet opens it right).
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
#include <string_view>
#include <vector>

namespace bantin::controller {

// What a report reads: the rows that started in [from, to), and the day summaries of rows
// folded by retention whose first play started in [from, to) (a folded day counts whole in the
// range that holds its first play; docs/store.md, "Proof-of-play retention"). Both come from one
// snapshot, so a retention pass running meanwhile neither hides nor doubles a day.
struct ProofPlays {
    std::vector<ProofOfPlayRow> rows;
    std::vector<ProofDaySummary> days;
};

class ProofQuery {
public:
    virtual ~ProofQuery() = default;
    virtual Result<ProofPlays> proofs_between(TimePoint from, TimePoint to) = 0;
    // The rows alone: plays that started in [from, to) and are not folded yet.
    Result<std::vector<ProofOfPlayRow>> plays_between(TimePoint from, TimePoint to) {
        auto proofs = proofs_between(from, to);
        if (!proofs)
            return std::unexpected(proofs.error());
        return std::move(proofs->rows);
    }
};

class SqliteProofQuery final : public ProofQuery {
public:
    static Result<std::unique_ptr<SqliteProofQuery>> open(const std::string& database_path);
    Result<ProofPlays> proofs_between(TimePoint from, TimePoint to) override;

private:
    explicit SqliteProofQuery(sqlite::Database database) : m_database(std::move(database)) {}
    std::mutex m_mutex;
    sqlite::Database m_database;
};

// Any backend: one read transaction of the Store per query.
class StoreProofQuery final : public ProofQuery {
public:
    explicit StoreProofQuery(Store& store) : m_store(store) {}
    Result<ProofPlays> proofs_between(TimePoint from, TimePoint to) override;

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

// The keys a planned vs delivered report's rows are grouped by; a key not grouped by is "" in
// every row. The default, by campaign alone, lists every approved campaign (planned 0 too).
struct DeliveryGrouping {
    bool campaign = true;
    bool zone = false;
    bool day = false;
};

struct DeliveryRow {
    std::string campaign;
    std::int64_t planned = 0;
    std::int64_t delivered = 0;
    double ratio = 0.0;  // delivered / planned; 1 when nothing was planned
    bool under_delivered = false;
    std::string zone;  // the devices' zone, when grouped by zone
    std::string day;   // YYYY-MM-DD, the devices' local day, when grouped by day
};

// The plays of one alert in the range (proof rows of source `alert`). The alert's own fields
// come from the store; an alert no longer stored keeps its id and empty text.
struct AlertPlaysRow {
    std::string alert;
    std::string headline;
    std::string severity;      // minor, moderate, severe, extreme ("" when the alert is gone)
    std::string status;        // actual or exercise ("" when the alert is gone)
    std::int64_t devices = 0;  // distinct devices that sent a row of it
    std::int64_t completed = 0;
    std::int64_t interrupted = 0;
    std::int64_t failed = 0;
    std::int64_t played_ms = 0;
    TimePoint first_played;
    TimePoint last_played;
    bool operator==(const AlertPlaysRow&) const = default;
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
    Result<std::vector<DeliveryRow>> delivery(ReportRange range, DeliveryGrouping grouping = {});
    Result<std::vector<UptimeRow>> uptime(ReportRange range);
    // Ordered by each alert's first play in the range.
    Result<std::vector<AlertPlaysRow>> alerts(ReportRange range);

private:
    Store& m_store;
    ProofQuery& m_proofs;
    FleetHistory* m_history;
    const Clock& m_clock;
    double m_threshold;
};

Result<void> check_range(ReportRange range);

// Every report CSV starts with this (Excel reads the file as UTF-8 only with it).
inline constexpr std::string_view csv_byte_order_mark = "\xEF\xBB\xBF";

std::string to_csv(const std::vector<PlaysRow>& rows);
// Columns: the grouped keys (campaign, zone, day, in that order), then the figures.
std::string to_csv(const std::vector<DeliveryRow>& rows, DeliveryGrouping grouping = {});
std::string to_csv(const std::vector<UptimeRow>& rows);
std::string to_csv(const std::vector<AlertPlaysRow>& rows);

}  // namespace bantin::controller
