#include "bantin/controller/proof_retention.hpp"

#include "bantin/controller/bundle_builder.hpp"
#include "bantin/controller/reports.hpp"
#include "report_rules.hpp"

#include <map>
#include <optional>
#include <tuple>

namespace bantin::controller {

namespace {

using SummaryKey =
    std::tuple<std::string, std::string, std::string, std::string, std::string, scheduler::Region>;

std::vector<ProofDaySummary> summarise(const report_rules::SlotLengths& slots,
                                       const std::vector<ProofOfPlayRow>& rows,
                                       const std::string& time_zone) {
    const std::vector<Duration> earlier = report_rules::earlier_pieces(rows);
    std::map<SummaryKey, ProofDaySummary> by_key;
    for (std::size_t index = 0; index < rows.size(); ++index) {
        const ProofOfPlayRow& row = rows[index];
        const std::string day = report_rules::local_day(row.started, time_zone);
        auto [found, added] =
            by_key.try_emplace(SummaryKey{day, row.campaign, row.alert, row.live, row.media, row.region});
        ProofDaySummary& summary = found->second;
        if (added) {
            summary.day = day;
            summary.device = row.device;
            summary.campaign = row.campaign;
            summary.alert = row.alert;
            summary.live = row.live;
            summary.media = row.media;
            summary.region = row.region;
            summary.first_started = summary.last_started = row.started;
            summary.last_ended = row.ended;
        }
        ++summary.plays;
        summary.first_started = std::min(summary.first_started, row.started);
        summary.last_started = std::max(summary.last_started, row.started);
        summary.last_ended = std::max(summary.last_ended, row.ended);
        if (row.duration_ms)
            summary.played_ms += *row.duration_ms;
        if (row.relay) {
            summary.relayed_ms += static_cast<std::int64_t>(row.relay->relayed_ms);
            summary.filler_ms += static_cast<std::int64_t>(row.relay->filler_ms);
            summary.source_losses += row.relay->source_losses;
        }
        switch (row.outcome) {
            case PlayOutcome::Completed:
                if (slots.ran_enough(row, earlier[index])) {
                    ++summary.completed;
                    if (row.note == protocol::audio_unavailable_note)
                        ++summary.muted;
                } else
                    ++summary.cut_short;
                break;
            case PlayOutcome::Interrupted: ++summary.interrupted; break;
            case PlayOutcome::Failed: ++summary.failed; break;
        }
    }
    std::vector<ProofDaySummary> result;
    result.reserve(by_key.size());
    for (auto& [key, summary] : by_key) result.push_back(std::move(summary));
    return result;
}

}  // namespace

Result<std::vector<ProofDaySummary>> summarise_proof_days(Store& store,
                                                          const std::vector<ProofOfPlayRow>& rows,
                                                          const std::string& time_zone) {
    auto slots = report_rules::SlotLengths::load(store);
    if (!slots)
        return std::unexpected(slots.error());
    return summarise(*slots, rows, time_zone);
}

struct ProofRetention::Pending {
    TimePoint horizon;
    std::vector<std::string> devices;
    std::size_t next = 0;  // the device the pass goes on with
    std::map<std::string, std::string, std::less<>> time_zone_of;
    report_rules::SlotLengths slots;
};

Result<RetentionPass> ProofRetention::run(std::size_t max_batches) {
    RetentionPass pass;
    if (m_days <= 0)
        return pass;
    if (!m_pending) {
        auto pending = std::make_shared<Pending>();
        pending->horizon = m_clock.wall() - std::chrono::days{m_days};
        auto listed = m_store.read([&](StoreTransaction& transaction) -> Result<void> {
            auto found = transaction.proof_devices_before(pending->horizon);
            if (!found)
                return std::unexpected(found.error());
            pending->devices = std::move(*found);
            auto records = load_all_devices(transaction);
            if (!records)
                return std::unexpected(records.error());
            for (const auto& record : *records)
                pending->time_zone_of.emplace(record.device.id, record.device.time_zone);
            return {};
        });
        if (!listed)
            return std::unexpected(listed.error());
        if (pending->devices.empty())
            return pass;
        // The slots as the reports judge them today: a summarised day keeps that judgement.
        auto slots = report_rules::SlotLengths::load(m_store);
        if (!slots)
            return std::unexpected(slots.error());
        pending->slots = std::move(*slots);
        m_pending = std::move(pending);
    }
    Pending& state = *m_pending;
    const TimePoint horizon = state.horizon;
    const auto& slots = state.slots;
    for (; state.next < state.devices.size(); ++state.next) {
        const std::string& device = state.devices[state.next];
        const auto zone = state.time_zone_of.find(device);
        // A device no longer registered: the reports' default zone, as they use for its rows.
        const std::string time_zone =
            zone != state.time_zone_of.end() ? zone->second : std::string{scheduler::default_time_zone};
        // Only whole local days: the rows before the start of the day that holds the horizon.
        const TimePoint limit = report_rules::local_day_start(horizon, time_zone);
        for (;;) {
            if (max_batches != 0 && static_cast<std::size_t>(pass.transactions) >= max_batches) {
                pass.done = false;
                return pass;
            }
            std::int64_t folded_rows = 0;
            std::int64_t folded_days = 0;
            std::int64_t folded_summaries = 0;
            bool device_done = false;
            // One transaction: this device's oldest local days, whole, until rows_per_transaction.
            auto folded = m_store.write([&](StoreTransaction& transaction) -> Result<void> {
                while (folded_rows <
                       static_cast<std::int64_t>(std::max<std::size_t>(m_rows_per_transaction, 1))) {
                    auto oldest = transaction.oldest_proof_of_play(device, limit);
                    if (!oldest)
                        return std::unexpected(oldest.error());
                    if (!*oldest) {
                        device_done = true;
                        return {};
                    }
                    // The oldest row's local day, up to the next local midnight (never past limit).
                    const TimePoint day_end = std::min(
                        limit,
                        report_rules::local_day_start(
                            report_rules::local_day_start(**oldest, time_zone) + std::chrono::hours{26},
                            time_zone));
                    auto rows = transaction.list_device_proof_of_play(device, **oldest, day_end);
                    if (!rows)
                        return std::unexpected(rows.error());
                    if (rows->empty())
                        return fail(Errc::Internal,
                                    "proof retention: no row of " + device + " at its oldest start");
                    const std::vector<ProofDaySummary> summaries = summarise(slots, *rows, time_zone);
                    if (auto added = transaction.add_proof_day_summaries(summaries); !added)
                        return std::unexpected(added.error());
                    if (between_summarise_and_delete)
                        if (auto hooked = between_summarise_and_delete(); !hooked)
                            return std::unexpected(hooked.error());
                    std::vector<ProofKey> keys;
                    keys.reserve(rows->size());
                    for (const ProofOfPlayRow& row : *rows)
                        keys.push_back(ProofKey{row.device, row.install_epoch, row.seq});
                    if (auto deleted = transaction.fold_proof_of_play(keys); !deleted)
                        return std::unexpected(deleted.error());
                    folded_rows += static_cast<std::int64_t>(rows->size());
                    folded_summaries += static_cast<std::int64_t>(summaries.size());
                    ++folded_days;
                }
                return {};
            });
            if (!folded) {
                m_pending.reset();  // the next call starts a new pass
                return std::unexpected(folded.error());
            }
            pass.rows += folded_rows;
            pass.summaries += folded_summaries;
            pass.days += folded_days;
            if (folded_days > 0)
                ++pass.transactions;
            if (device_done)
                break;
        }
    }
    m_pending.reset();
    return pass;
}

}  // namespace bantin::controller
