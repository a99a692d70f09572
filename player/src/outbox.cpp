#include "bantin/player/outbox.hpp"

#include "bantin/protocol/codec.hpp"

#include <algorithm>

namespace bantin::player {

namespace {

// The source column as to_string(SourceKind) wrote it.
scheduler::SourceKind source_kind_of(std::string_view text) {
    if (text == "alert")
        return scheduler::SourceKind::Alert;
    if (text == "live")
        return scheduler::SourceKind::Live;
    return scheduler::SourceKind::Campaign;
}

constexpr std::string_view outbox_schema = R"sql(
CREATE TABLE IF NOT EXISTS proof_outbox (
  seq INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  source_id TEXT NOT NULL,
  item_index INTEGER NOT NULL,
  media TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  ended_at_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  bundle_version INTEGER NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  relayed_ms INTEGER,
  filler_ms INTEGER,
  source_losses INTEGER);
CREATE TABLE IF NOT EXISTS proof_counter (id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER NOT NULL);
INSERT OR IGNORE INTO proof_counter (id, last_seq) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS command_replies (command_id TEXT PRIMARY KEY, reply TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS proof_started (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  source_id TEXT NOT NULL,
  item_index INTEGER NOT NULL,
  media TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  planned_end_ms INTEGER NOT NULL,
  alive_at_ms INTEGER NOT NULL,
  bundle_version INTEGER NOT NULL);
)sql";

scheduler::Region region_of(std::string_view text) {
    return text == "ticker" ? scheduler::Region::Ticker : scheduler::Region::Main;
}

// Adds a column to a table unless it has it (an outbox made by an earlier version).
Result<void> add_missing_column(sqlite::Database& database, std::string_view name, std::string_view type,
                                std::string_view table = "proof_outbox") {
    auto columns = database.prepare("SELECT count(*) FROM pragma_table_info('" + std::string{table} +
                                    "') WHERE name = ?1");
    if (!columns)
        return std::unexpected(columns.error());
    columns->bind(1, name);
    auto counted = columns->fetch_one();
    if (!counted)
        return std::unexpected(counted.error());
    if (*counted && columns->column_int64(0) != 0)
        return {};
    return database.execute("ALTER TABLE " + std::string{table} + " ADD COLUMN " + std::string{name} + " " +
                            std::string{type});
}

}  // namespace

RowRelayFigures relay_row_figures(Duration relayed, Duration filler, int source_losses,
                                  std::uint64_t duration_ms) {
    RowRelayFigures row;
    const auto millis = [](Duration time) {
        return static_cast<std::uint64_t>(std::max(time.count(), std::int64_t{0}));
    };
    const std::uint64_t relayed_ms = millis(relayed);
    const std::uint64_t filler_ms = millis(filler);
    const auto losses = static_cast<std::uint32_t>(std::max(source_losses, 0));
    const std::uint64_t bound = std::min(duration_ms, protocol::max_relay_figure_ms);
    row.figures.relayed_ms = std::min(relayed_ms, bound);
    row.figures.filler_ms = std::min(filler_ms, bound - row.figures.relayed_ms);
    row.figures.source_losses = std::min(losses, protocol::max_source_losses);
    row.clamped = row.figures.relayed_ms != relayed_ms || row.figures.filler_ms != filler_ms ||
                  row.figures.source_losses != losses || relayed.count() < 0 || filler.count() < 0 ||
                  source_losses < 0;
    return row;
}

Outcome proof_outcome(Outcome engine_outcome, Duration played, Duration planned_slot) {
    if (engine_outcome != Outcome::Completed)
        return engine_outcome;
    return played + completed_tolerance >= planned_slot ? Outcome::Completed : Outcome::Interrupted;
}

Result<ProofOutbox> ProofOutbox::open(sqlite::Database& database, std::size_t memory_capacity) {
    if (auto created = database.execute(outbox_schema); !created)
        return std::unexpected(created.error());
    // An outbox made before rows carried a note, or a relay's figures, gets the columns (its
    // rows: no note, no figures).
    for (const auto& [name, type] :
         {std::pair<std::string_view, std::string_view>{"note", "TEXT NOT NULL DEFAULT ''"},
          {"relayed_ms", "INTEGER"},
          {"filler_ms", "INTEGER"},
          {"source_losses", "INTEGER"},
          {"region", "TEXT NOT NULL DEFAULT 'main'"}}) {
        if (auto added = add_missing_column(database, name, type); !added)
            return std::unexpected(added.error());
    }
    // A started mark keeps its region too (a ticker line cut by a crash is a ticker row).
    if (auto added = add_missing_column(database, "region", "TEXT NOT NULL DEFAULT 'main'", "proof_started");
        !added)
        return std::unexpected(added.error());
    ProofOutbox outbox(database, std::max<std::size_t>(1, memory_capacity), 0);
    auto last = outbox.stored_last_seq();
    if (!last)
        return std::unexpected(last.error());
    outbox.m_last_assigned = *last;
    return outbox;
}

Result<std::uint64_t> ProofOutbox::stored_last_seq() {
    auto statement = m_database->prepare("SELECT last_seq FROM proof_counter WHERE id = 1");
    if (!statement)
        return std::unexpected(statement.error());
    auto row = statement->fetch_one();
    if (!row)
        return std::unexpected(row.error());
    return *row ? static_cast<std::uint64_t>(statement->column_int64(0)) : 0;
}

Result<std::uint64_t> ProofOutbox::last_seq() {
    return stored_last_seq();
}

AppendResult ProofOutbox::append(protocol::ProofOfPlayRow row, std::optional<std::int64_t> mark) {
    AppendResult result;
    if (m_waiting_rows >= m_memory_capacity) {
        // Full: the play is counted in a gap marker (the last one waiting, or a new one).
        ++m_lost_rows;
        if (m_unwritten.empty() || !m_unwritten.back().gap) {
            Waiting gap;
            gap.gap = true;
            gap.row.seq = ++m_last_assigned;
            gap.row.source = protocol::SourceKind::Campaign;
            gap.row.source_id = std::string(proof_gap_source_id);
            gap.row.item_index = 0;
            gap.row.media = std::string(64, '0');
            gap.row.started_at = row.started_at;
            gap.row.ended_at = row.ended_at;
            gap.row.duration_ms = 0;
            gap.row.outcome = protocol::Outcome::Failed;
            gap.row.bundle_version = row.bundle_version;
            m_unwritten.push_back(std::move(gap));
        }
        Waiting& gap = m_unwritten.back();
        ++gap.row.item_index;
        gap.row.started_at = std::min(gap.row.started_at, row.started_at);
        gap.row.ended_at = std::max(gap.row.ended_at, row.ended_at);
        if (mark)
            gap.marks.push_back(*mark);
        result.row = gap.row;
    } else {
        row.seq = ++m_last_assigned;
        Waiting waiting{row, {}, false};
        if (mark)
            waiting.marks.push_back(*mark);
        m_unwritten.push_back(std::move(waiting));
        ++m_waiting_rows;
        result.row = std::move(row);
    }
    auto written = write_unwritten();
    result.durable = written.has_value();
    if (!written)
        result.error = written.error();
    return result;
}

Result<std::size_t> ProofOutbox::write_unwritten() {
    if (m_unwritten.empty())
        return std::size_t{0};
    auto transaction = sqlite::Transaction::begin(*m_database, sqlite::TransactionMode::Immediate);
    if (!transaction)
        return std::unexpected(transaction.error());
    auto insert = m_database->prepare(
        "INSERT INTO proof_outbox (seq, source, source_id, item_index, media, started_at_ms, ended_at_ms, "
        "duration_ms, outcome, bundle_version, note, relayed_ms, filler_ms, source_losses, region) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    if (!insert)
        return std::unexpected(insert.error());
    auto unmark = m_database->prepare("DELETE FROM proof_started WHERE id = ?1");
    if (!unmark)
        return std::unexpected(unmark.error());
    for (const auto& waiting : m_unwritten) {
        const auto& row = waiting.row;
        insert->reset();
        insert->bind(1, static_cast<std::int64_t>(row.seq))
            .bind(2, scheduler::to_string(row.source))
            .bind(3, row.source_id)
            .bind(4, static_cast<std::int64_t>(row.item_index))
            .bind(5, row.media)
            .bind(6, to_unix_ms(row.started_at))
            .bind(7, to_unix_ms(row.ended_at))
            .bind(8, static_cast<std::int64_t>(row.duration_ms))
            .bind(9, protocol::to_string(row.outcome))
            .bind(10, static_cast<std::int64_t>(row.bundle_version))
            .bind(11, row.note)
            .bind(15, scheduler::to_string(row.region));
        if (row.relay)
            insert->bind(12, static_cast<std::int64_t>(row.relay->relayed_ms))
                .bind(13, static_cast<std::int64_t>(row.relay->filler_ms))
                .bind(14, static_cast<std::int64_t>(row.relay->source_losses));
        else
            insert->bind_null(12).bind_null(13).bind_null(14);
        if (auto ran = insert->run(); !ran)
            return std::unexpected(ran.error());
        for (const auto mark : waiting.marks) {
            unmark->reset();
            unmark->bind(1, mark);
            if (auto ran = unmark->run(); !ran)
                return std::unexpected(ran.error());
        }
    }
    auto counter = m_database->prepare("UPDATE proof_counter SET last_seq = ?1 WHERE id = 1");
    if (!counter)
        return std::unexpected(counter.error());
    counter->bind(1, static_cast<std::int64_t>(m_unwritten.back().row.seq));
    if (auto ran = counter->run(); !ran)
        return std::unexpected(ran.error());
    if (auto committed = transaction->commit(); !committed)
        return std::unexpected(committed.error());
    const std::size_t written = m_unwritten.size();
    m_unwritten.clear();
    m_waiting_rows = 0;
    return written;
}

Result<std::int64_t> ProofOutbox::mark_started(const protocol::ProofOfPlayRow& row, TimePoint planned_end) {
    auto insert = m_database->prepare(
        "INSERT INTO proof_started (source, source_id, item_index, media, started_at_ms, planned_end_ms, "
        "alive_at_ms, bundle_version, region) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?7, ?8)");
    if (!insert)
        return std::unexpected(insert.error());
    insert->bind(1, scheduler::to_string(row.source))
        .bind(2, row.source_id)
        .bind(3, static_cast<std::int64_t>(row.item_index))
        .bind(4, row.media)
        .bind(5, to_unix_ms(row.started_at))
        .bind(6, to_unix_ms(std::max(planned_end, row.started_at)))
        .bind(7, static_cast<std::int64_t>(row.bundle_version))
        .bind(8, scheduler::to_string(row.region));
    if (auto ran = insert->run(); !ran)
        return std::unexpected(ran.error());
    return m_database->last_insert_rowid();
}

Result<void> ProofOutbox::mark_alive(TimePoint now) {
    auto update = m_database->prepare("UPDATE proof_started SET alive_at_ms = max(alive_at_ms, ?1)");
    if (!update)
        return std::unexpected(update.error());
    update->bind(1, to_unix_ms(now));
    return update->run();
}

Result<std::size_t> ProofOutbox::started_marks() {
    auto statement = m_database->prepare("SELECT count(*) FROM proof_started");
    if (!statement)
        return std::unexpected(statement.error());
    auto row = statement->fetch_one();
    if (!row)
        return std::unexpected(row.error());
    return static_cast<std::size_t>(statement->column_int64(0));
}

Result<std::size_t> ProofOutbox::recover_started() {
    auto statement = m_database->prepare(
        "SELECT id, source, source_id, item_index, media, started_at_ms, planned_end_ms, alive_at_ms, "
        "bundle_version, region "
        "FROM proof_started ORDER BY started_at_ms, id");
    if (!statement)
        return std::unexpected(statement.error());
    std::vector<std::pair<std::int64_t, protocol::ProofOfPlayRow>> found;
    while (true) {
        auto step = statement->step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == sqlite::Step::Done)
            break;
        protocol::ProofOfPlayRow row;
        row.source = source_kind_of(statement->column_text(1));
        row.source_id = statement->column_text(2);
        row.item_index = static_cast<std::uint32_t>(statement->column_int64(3));
        row.media = statement->column_text(4);
        const std::int64_t started = statement->column_int64(5);
        const std::int64_t planned_end = std::max(started, statement->column_int64(6));
        const std::int64_t ended = std::clamp(statement->column_int64(7), started, planned_end);
        row.started_at = from_unix_ms(started);
        row.ended_at = from_unix_ms(ended);
        row.duration_ms = static_cast<std::uint64_t>(ended - started);
        row.outcome = protocol::Outcome::Interrupted;
        row.bundle_version = static_cast<std::uint64_t>(statement->column_int64(8));
        row.region = region_of(statement->column_text(9));
        found.emplace_back(statement->column_int64(0), std::move(row));
    }
    statement->reset();
    for (auto& [mark, row] : found) (void)append(std::move(row), mark);
    return found.size();
}

Result<std::vector<protocol::ProofOfPlayRow>> ProofOutbox::pending(std::size_t limit) {
    auto statement = m_database->prepare(
        "SELECT seq, source, source_id, item_index, media, started_at_ms, ended_at_ms, duration_ms, outcome, "
        "bundle_version, note, relayed_ms, filler_ms, source_losses, region FROM proof_outbox ORDER BY seq "
        "LIMIT ?1");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, static_cast<std::int64_t>(limit));
    std::vector<protocol::ProofOfPlayRow> rows;
    while (true) {
        auto step = statement->step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == sqlite::Step::Done)
            break;
        protocol::ProofOfPlayRow row;
        row.seq = static_cast<std::uint64_t>(statement->column_int64(0));
        row.source = source_kind_of(statement->column_text(1));
        row.source_id = statement->column_text(2);
        row.item_index = static_cast<std::uint32_t>(statement->column_int64(3));
        row.media = statement->column_text(4);
        row.started_at = from_unix_ms(statement->column_int64(5));
        row.ended_at = from_unix_ms(statement->column_int64(6));
        row.duration_ms = static_cast<std::uint64_t>(statement->column_int64(7));
        row.outcome = protocol::parse_outcome(statement->column_text(8)).value_or(Outcome::Failed);
        row.bundle_version = static_cast<std::uint64_t>(statement->column_int64(9));
        row.note = statement->column_text(10);
        row.region = region_of(statement->column_text(14));
        // A row written before the figures existed has NULLs there: no figures, as it was made.
        if (!statement->column_is_null(11) && !statement->column_is_null(12) &&
            !statement->column_is_null(13)) {
            protocol::RelayFigures relay;
            relay.relayed_ms =
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, statement->column_int64(11)));
            relay.filler_ms =
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, statement->column_int64(12)));
            relay.source_losses = static_cast<std::uint32_t>(
                std::clamp<std::int64_t>(statement->column_int64(13), 0, UINT32_MAX));
            row.relay = relay;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

Result<std::size_t> ProofOutbox::prune(std::uint64_t committed_seq) {
    auto statement = m_database->prepare("DELETE FROM proof_outbox WHERE seq <= ?1");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, static_cast<std::int64_t>(committed_seq));
    if (auto ran = statement->run(); !ran)
        return std::unexpected(ran.error());
    return static_cast<std::size_t>(m_database->changes());
}

Result<std::size_t> ProofOutbox::size() {
    auto statement = m_database->prepare("SELECT count(*) FROM proof_outbox");
    if (!statement)
        return std::unexpected(statement.error());
    auto row = statement->fetch_one();
    if (!row)
        return std::unexpected(row.error());
    return static_cast<std::size_t>(statement->column_int64(0));
}

Result<void> ProofOutbox::add_reply(const protocol::CommandReply& reply) {
    auto statement = m_database->prepare(
        "INSERT INTO command_replies (command_id, reply) VALUES (?1, ?2) "
        "ON CONFLICT(command_id) DO UPDATE SET reply = excluded.reply");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, reply.command_id).bind(2, protocol::encode(reply));
    return statement->run();
}

Result<std::vector<protocol::CommandReply>> ProofOutbox::pending_replies() {
    auto statement = m_database->prepare("SELECT reply FROM command_replies ORDER BY rowid");
    if (!statement)
        return std::unexpected(statement.error());
    std::vector<protocol::CommandReply> replies;
    while (true) {
        auto step = statement->step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == sqlite::Step::Done)
            break;
        auto decoded = protocol::decode_command_reply(statement->column_text(0));
        if (decoded)
            replies.push_back(std::move(*decoded));
    }
    return replies;
}

Result<void> ProofOutbox::drop_replies(const std::vector<std::string>& command_ids) {
    auto statement = m_database->prepare("DELETE FROM command_replies WHERE command_id = ?1");
    if (!statement)
        return std::unexpected(statement.error());
    for (const auto& id : command_ids) {
        statement->reset();
        statement->bind(1, id);
        if (auto ran = statement->run(); !ran)
            return ran;
    }
    return {};
}

}  // namespace bantin::player
