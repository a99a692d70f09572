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
    // Days folded by retention count by their first play's start, as in the reports.
    return many<AlertDevicePlays>(
        "SELECT device_id, SUM(completed), SUM(interrupted), SUM(failed), MIN(first), MAX(last) FROM ("
        "SELECT device_id, CASE WHEN outcome = 'completed' THEN 1 ELSE 0 END AS completed, "
        "CASE WHEN outcome = 'interrupted' THEN 1 ELSE 0 END AS interrupted, "
        "CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END AS failed, started_at AS first, ended_at AS last "
        "FROM proof_of_play "
        "WHERE campaign_id = '' AND started_at >= ?2 AND started_at < ?3 AND alert_id = ?1 "
        "UNION ALL SELECT device_id, completed + cut_short, interrupted, failed, first_started, last_ended "
        "FROM proof_of_play_daily "
        "WHERE campaign_id = '' AND first_started >= ?2 AND first_started < ?3 AND alert_id = ?1) AS plays "
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
    std::map<std::pair<std::string, std::int64_t>, std::int64_t> mark_of;  // contiguous before the batch
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
        if (added) {
            progress.push_back(ProofProgress{row.device, row.install_epoch, 0, 0, {}, 0});
            auto mark =
                scalar("SELECT contiguous FROM proof_progress WHERE device_id = ? AND install_epoch = ?",
                       row.device, row.install_epoch);
            if (!mark)
                return std::unexpected(mark.error());
            mark_of.emplace(key, *mark);
        }
        {
            ProofProgress& entry = progress[position->second];
            entry.highest = std::max(entry.highest, row.seq);
        }
        // Every seq up to the mark was stored once, and may since have been folded into a day
        // summary (retention): a late copy is not stored again. So is a folded key above it.
        if (row.seq <= mark_of[key])
            continue;
        auto folded = scalar(
            "SELECT count(*) FROM proof_of_play_folded WHERE device_id = ? AND install_epoch = ? AND seq = ?",
            row.device, row.install_epoch, row.seq);
        if (!folded)
            return std::unexpected(folded.error());
        if (*folded > 0)
            continue;
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
        progress[position->second].inserted += m_database.changes();
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
        // Folded keys the mark has passed are covered by it now.
        BANTIN_STORE_TRY(
            run("DELETE FROM proof_of_play_folded WHERE device_id = ? AND install_epoch = ? AND seq <= ?",
                entry.device, entry.install_epoch, entry.contiguous));
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
        "SELECT seq FROM proof_of_play WHERE device_id = ?1 AND install_epoch = ?2 AND seq > ?3 "
        "UNION SELECT seq FROM proof_of_play_folded WHERE device_id = ?1 AND install_epoch = ?2 AND seq > ?3 "
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
    return read_proof_rows(*query);
}

namespace {

constexpr std::string_view summary_columns =
    "day, device_id, campaign_id, alert_id, live_id, media, region, plays, completed, cut_short, muted, "
    "interrupted, failed, played_ms, relayed_ms, filler_ms, source_losses, first_started, last_started, "
    "last_ended";

ProofDaySummary read_summary(const Statement& statement) {
    Row column{statement};
    ProofDaySummary summary;
    summary.day = column.text();
    summary.device = column.text();
    summary.campaign = column.text();
    summary.alert = column.text();
    summary.live = column.text();
    summary.media = column.text();
    summary.region = names::region(column.text()).value_or(scheduler::Region::Main);
    summary.plays = column.int64();
    summary.completed = column.int64();
    summary.cut_short = column.int64();
    summary.muted = column.int64();
    summary.interrupted = column.int64();
    summary.failed = column.int64();
    summary.played_ms = column.int64();
    summary.relayed_ms = column.int64();
    summary.filler_ms = column.int64();
    summary.source_losses = column.int64();
    summary.first_started = column.time();
    summary.last_started = column.time();
    summary.last_ended = column.time();
    return summary;
}

}  // namespace

Result<std::vector<ProofDaySummary>> sqlite_proof_day_summaries_between(sqlite::Database& database,
                                                                        TimePoint from, TimePoint to) {
    return proof_day_summaries_between(*sql::sqlite_connection(database), from, to);
}

Result<std::vector<ProofDaySummary>> proof_day_summaries_between(sql::Connection& database, TimePoint from,
                                                                 TimePoint to) {
    auto query = database.prepare("SELECT " + std::string{summary_columns} +
                                  " FROM proof_of_play_daily WHERE first_started >= ? AND first_started < ? "
                                  "ORDER BY day, device_id, campaign_id, alert_id, live_id, media, region");
    if (!query)
        return std::unexpected(query.error());
    query->bind(1, to_unix_ms(from)).bind(2, to_unix_ms(to));
    std::vector<ProofDaySummary> summaries;
    for (;;) {
        auto step = query->step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == Step::Done)
            return summaries;
        summaries.push_back(read_summary(*query));
    }
}

Result<std::vector<ProofDaySummary>> SqlTransaction::list_proof_day_summaries(TimePoint from, TimePoint to) {
    return proof_day_summaries_between(m_database, from, to);
}

Result<std::vector<std::string>> SqlTransaction::proof_devices_before(TimePoint before) {
    // Device by device along the key, then one probe of the (device, start) index each: the
    // cost grows with the devices, not with the rows (a DISTINCT over started_at would read
    // every row's index entry).
    std::vector<std::string> devices;
    std::string after;
    for (;;) {
        auto next = query(
            "SELECT device_id FROM proof_of_play WHERE device_id > ? ORDER BY device_id LIMIT 1", after);
        if (!next)
            return std::unexpected(next.error());
        auto found = next->fetch_one();
        if (!found)
            return std::unexpected(found.error());
        if (!*found)
            return devices;
        after = next->column_text(0);
        auto old = scalar(
            "SELECT count(*) FROM (SELECT 1 FROM proof_of_play WHERE device_id = ? AND started_at < ? LIMIT "
            "1) AS probe",
            after, before);
        if (!old)
            return std::unexpected(old.error());
        if (*old > 0)
            devices.push_back(after);
    }
}

Result<std::optional<TimePoint>> SqlTransaction::oldest_proof_of_play(std::string_view device,
                                                                      TimePoint before) {
    auto oldest = query("SELECT min(started_at) FROM proof_of_play WHERE device_id = ? AND started_at < ?",
                        device, before);
    if (!oldest)
        return std::unexpected(oldest.error());
    auto found = oldest->fetch_one();
    if (!found)
        return std::unexpected(found.error());
    if (!*found)
        return std::optional<TimePoint>{};
    return optional_time_column(*oldest, 0);
}

Result<std::vector<ProofOfPlayRow>> SqlTransaction::list_device_proof_of_play(std::string_view device,
                                                                              TimePoint from, TimePoint to) {
    auto rows = query(
        "SELECT device_id, install_epoch, seq, campaign_id, alert_id, item, media, started_at, ended_at, "
        "outcome, bundle_version, duration_ms, note, relayed_ms, filler_ms, source_losses, live_id, region "
        "FROM proof_of_play WHERE device_id = ? AND started_at >= ? AND started_at < ? "
        "ORDER BY started_at, install_epoch, seq",
        device, from, to);
    if (!rows)
        return std::unexpected(rows.error());
    return read_proof_rows(*rows);
}

Result<void> SqlTransaction::add_proof_day_summaries(std::span<const ProofDaySummary> summaries) {
    auto add = m_database.prepare(
        "INSERT INTO proof_of_play_daily (" + std::string{summary_columns} +
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
        "?20) "
        "ON CONFLICT (day, device_id, campaign_id, alert_id, live_id, media, region) DO UPDATE SET "
        "plays = proof_of_play_daily.plays + excluded.plays, "
        "completed = proof_of_play_daily.completed + excluded.completed, "
        "cut_short = proof_of_play_daily.cut_short + excluded.cut_short, "
        "muted = proof_of_play_daily.muted + excluded.muted, "
        "interrupted = proof_of_play_daily.interrupted + excluded.interrupted, "
        "failed = proof_of_play_daily.failed + excluded.failed, "
        "played_ms = proof_of_play_daily.played_ms + excluded.played_ms, "
        "relayed_ms = proof_of_play_daily.relayed_ms + excluded.relayed_ms, "
        "filler_ms = proof_of_play_daily.filler_ms + excluded.filler_ms, "
        "source_losses = proof_of_play_daily.source_losses + excluded.source_losses, "
        "first_started = CASE WHEN excluded.first_started < proof_of_play_daily.first_started "
        "THEN excluded.first_started ELSE proof_of_play_daily.first_started END, "
        "last_started = CASE WHEN excluded.last_started > proof_of_play_daily.last_started "
        "THEN excluded.last_started ELSE proof_of_play_daily.last_started END, "
        "last_ended = CASE WHEN excluded.last_ended > proof_of_play_daily.last_ended "
        "THEN excluded.last_ended ELSE proof_of_play_daily.last_ended END");
    if (!add)
        return std::unexpected(add.error());
    for (const ProofDaySummary& summary : summaries) {
        add->reset();
        bind_all(*add, summary.day, summary.device, summary.campaign, summary.alert, summary.live,
                 summary.media, names::of(summary.region), summary.plays, summary.completed,
                 summary.cut_short, summary.muted, summary.interrupted, summary.failed, summary.played_ms,
                 summary.relayed_ms, summary.filler_ms, summary.source_losses, summary.first_started,
                 summary.last_started, summary.last_ended);
        BANTIN_STORE_TRY(add->run());
    }
    return {};
}

Result<void> SqlTransaction::fold_proof_of_play(std::span<const ProofKey> keys) {
    auto erase =
        m_database.prepare("DELETE FROM proof_of_play WHERE device_id = ? AND install_epoch = ? AND seq = ?");
    if (!erase)
        return std::unexpected(erase.error());
    std::map<std::pair<std::string, std::int64_t>, std::int64_t> mark_of;
    for (const ProofKey& key : keys) {
        erase->reset();
        bind_all(*erase, key.device, key.install_epoch, key.seq);
        BANTIN_STORE_TRY(erase->run());
        auto pair = std::make_pair(key.device, key.install_epoch);
        auto found = mark_of.find(pair);
        if (found == mark_of.end()) {
            auto mark =
                scalar("SELECT contiguous FROM proof_progress WHERE device_id = ? AND install_epoch = ?",
                       key.device, key.install_epoch);
            if (!mark)
                return std::unexpected(mark.error());
            found = mark_of.emplace(pair, *mark).first;
        }
        if (key.seq > found->second)
            BANTIN_STORE_TRY(
                run("INSERT INTO proof_of_play_folded (device_id, install_epoch, seq) VALUES (?, ?, ?) "
                    "ON CONFLICT (device_id, install_epoch, seq) DO NOTHING",
                    key.device, key.install_epoch, key.seq));
    }
    return {};
}

Result<std::vector<ProofOfPlayRow>> read_proof_rows(Statement& query) {
    std::vector<ProofOfPlayRow> rows;
    for (;;) {
        auto step = query.step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == Step::Done)
            break;
        Row column{query};
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
