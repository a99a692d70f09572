#pragma once
// Proof-of-play retention (docs/store.md, "Proof-of-play retention"): rows whose play started
// on a local day (the device's day, as the reports bucket it) wholly older than
// storage.proof_retention_days are summed into per-day summaries (proof_of_play_daily) and
// deleted. A write transaction adds the summaries of one device's oldest whole days and deletes
// their rows, so a pass killed at any point loses nothing and counts nothing twice: the next pass
// starts again from the oldest row left. The reports read the summaries beside the rows and
// give the figures the rows gave (reports.hpp, ProofPlays).
//
// Threads: any thread; one pass at a time per store is the caller's business (the daemon runs
// it on its loop). Errors: those of the store.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/controller/store.hpp"

#include <cstdint>
#include <functional>
#include <memory>

namespace bantin::controller {

struct RetentionPass {
    std::int64_t rows = 0;          // rows folded and deleted
    std::int64_t days = 0;          // device-days folded
    std::int64_t transactions = 0;  // write transactions committed that folded something
    std::int64_t summaries = 0;     // summary rows added to or created
    bool done = true;               // false: stopped at max_batches with older rows left
};

class ProofRetention {
public:
    // retention_days 0: keep every row (a pass does nothing).
    // Each transaction folds one device's oldest whole local days until it holds
    // rows_per_transaction rows (at least one day; 1: one day per transaction).
    ProofRetention(Store& store, const Clock& clock, std::int64_t retention_days,
                   std::size_t rows_per_transaction = 20'000)
        : m_store(store),
          m_clock(clock),
          m_days(retention_days),
          m_rows_per_transaction(rows_per_transaction) {}

    // Folds every device-day that ended before now - retention_days, oldest first per device;
    // stops after max_batches transactions (0: no limit) with done = false, and the next call
    // goes on with the same pass (its horizon, devices and slot lengths) where it stopped.
    Result<RetentionPass> run(std::size_t max_batches = 0);

    // Runs inside the transaction after each device-day's summaries are added and before its
    // rows are deleted; an error rolls the transaction back (fault tests).
    std::function<Result<void>()> between_summarise_and_delete;

private:
    struct Pending;  // a pass stopped at max_batches: its devices, their zones, the slots
    Store& m_store;
    const Clock& m_clock;
    std::int64_t m_days;
    std::size_t m_rows_per_transaction;
    std::shared_ptr<Pending> m_pending;
};

// Sums rows of one device into day summaries as the reports judge them (slot lengths from the
// current model, cut pieces of resumed plays); used by the pass and by the tests.
Result<std::vector<ProofDaySummary>> summarise_proof_days(Store& store,
                                                          const std::vector<ProofOfPlayRow>& rows,
                                                          const std::string& time_zone);

}  // namespace bantin::controller
