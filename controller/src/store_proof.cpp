// The store's proof of play: rows, their idempotent insert, and each device's progress.

#include "sql_transaction.hpp"

#include "names.hpp"

#include <map>
#include <utility>

namespace bantin::controller {

using namespace store_detail;

Result<std::vector<ProofOfPlayRow>> SqlTransaction::list_proof_of_play(TimePoint from, TimePoint to) {
    return proof_of_play_between(m_database, from, to);
}

Result<std::vector<AlertDevicePlays>> SqlTransaction::alert_plays_by_device(std::string_view alert,
                                                                            TimePoint from, TimePoint to) {
    // Alert rows have no campaign: the campaign index finds them by time.
    return many<AlertDevicePlays>(
        "SELECT device_id, SUM(CASE WHEN outcome = 'completed' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN outcome = 'interrupted' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END), MIN(started_at), MAX(ended_at) "
        "FROM proof_of_play "
        "WHERE campaign_id = '' AND started_at >= ?2 AND started_at < ?3 AND alert_id = ?1 "
        "GROUP BY device_id ORDER BY device_id",
        [](const Statement& row) -> Result<AlertDevicePlays> {
            Row column{row};
            AlertDevicePlays plays;
            plays.device = column.text();
            plays.completed = column.int64();
            plays.interrupted = column.int64();
            plays.failed = column.int64();
            plays.first = column.time();
            plays.last = column.time();
            return plays;
        },
        alert, from, to);
}

Result<std::vector<ProofProgress>> SqlTransaction::insert_proof_of_play(std::span<const ProofOfPlayRow> rows,
                                                                        TimePoint received) {
    std::vector<ProofProgress> progress;
    std::map<std::pair<std::string, std::int64_t>, std::size_t> index_of;
    auto insert = m_database.prepare(
        "INSERT INTO proof_of_play (device_id, install_epoch, seq, campaign_id, alert_id, "
        "item, "
        "media, started_at, ended_at, outcome, bundle_version, received_at, duration_ms, note, relayed_ms, "
        "filler_ms, source_losses, live_id, region) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (device_id, install_epoch, seq) DO NOTHING");
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
        std::optional<std::int64_t> relayed_ms, filler_ms, source_losses;  // NULL: not a relay's row
        if (row.relay) {
            relayed_ms = static_cast<std::int64_t>(row.relay->relayed_ms);
            filler_ms = static_cast<std::int64_t>(row.relay->filler_ms);
            source_losses = static_cast<std::int64_t>(row.relay->source_losses);
        }
        bind_all(*insert, row.device, row.install_epoch, row.seq, row.campaign, row.alert, row.item,
                 row.media, row.started, row.ended, to_string(row.outcome), row.bundle_version, received,
                 row.duration_ms, row.note, relayed_ms, filler_ms, source_losses, row.live,
                 names::of(row.region));
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
                "SET contiguous = ?3, "
                "highest = CASE WHEN proof_progress.highest > ?4 THEN proof_progress.highest ELSE ?4 END",
                entry.device, entry.install_epoch, entry.contiguous, entry.highest));
    }
    return progress;
}

Result<ProofProgress> SqlTransaction::proof_progress(std::string_view device, std::int64_t install_epoch) {
    return compute_progress(std::string{device}, install_epoch);
}

// Walks the stored seqs above the recorded contiguous mark once: the run that continues the
// mark extends it, every hole after it is a gap.
Result<ProofProgress> SqlTransaction::compute_progress(const std::string& device,
                                                       std::int64_t install_epoch) {
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

Result<std::vector<ProofOfPlayRow>> sqlite_proof_of_play_between(sqlite::Database& database, TimePoint from,
                                                                 TimePoint to) {
    return proof_of_play_between(*sql::sqlite_connection(database), from, to);
}

Result<std::vector<ProofOfPlayRow>> proof_of_play_between(sql::Connection& database, TimePoint from,
                                                          TimePoint to) {
    auto query = database.prepare(
        "SELECT device_id, install_epoch, seq, campaign_id, alert_id, item, media, started_at, ended_at, "
        "outcome, "
        "bundle_version, duration_ms, note, relayed_ms, filler_ms, source_losses, live_id, region "
        "FROM proof_of_play "
        "WHERE started_at >= ? AND started_at < ? "
        "ORDER BY started_at, device_id, install_epoch, seq");
    if (!query)
        return std::unexpected(query.error());
    query->bind(1, to_unix_ms(from)).bind(2, to_unix_ms(to));
    std::vector<ProofOfPlayRow> rows;
    for (;;) {
        auto step = query->step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == Step::Done)
            break;
        Row column{*query};
        ProofOfPlayRow row;
        row.device = column.text();
        row.install_epoch = column.int64();
        row.seq = column.int64();
        row.campaign = column.text();
        row.alert = column.text();
        row.item = column.integer();
        row.media = column.text();
        row.started = column.time();
        row.ended = column.time();
        row.outcome = protocol::parse_outcome(column.text()).value_or(PlayOutcome::Failed);
        row.bundle_version = column.int64();
        row.duration_ms = column.optional_int64();
        row.note = column.text();
        const auto relayed = column.optional_int64();
        const auto filler = column.optional_int64();
        const auto losses = column.optional_int64();
        if (relayed && filler && losses)
            row.relay = protocol::RelayFigures{static_cast<std::uint64_t>(*relayed),
                                               static_cast<std::uint64_t>(*filler),
                                               static_cast<std::uint32_t>(*losses)};
        row.live = column.text();
        row.region = names::region(column.text()).value_or(scheduler::Region::Main);
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace bantin::controller
