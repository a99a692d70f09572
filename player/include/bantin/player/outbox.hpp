#pragma once
// The proof-of-play outbox: every played item becomes one row, committed durably (SQLite
// WAL with synchronous=FULL, so a commit that returned survives kill -9 and a power cut)
// before anything else happens with it. Rows are numbered 1, 2, 3 ... per install epoch with
// no gaps (the counter is stored with the row, in the same transaction), published in batches
// and deleted only when the controller's ack says it committed them
// (committed_seq = highest contiguous seq of this install epoch). A row is never rewritten:
// a resend after a crash carries the same seq and the same content.
//
// When the database cannot write (a full disk, a read-only file), a row is not lost: it gets
// its seq at once and waits in memory, in order, until a write succeeds again; every append()
// and every write_unwritten() (the daemon calls it on each loop pass) tries to write the
// whole queue in one transaction. Rows in memory are not published (a seq the controller saw
// must never be given to other content after a crash). The queue holds `memory_capacity`
// rows; what comes once it is full is counted (lost_rows()) and merged into one gap marker
// row, which takes one seq so the seqs stay contiguous and acks go on: source "campaign",
// source_id protocol::proof_gap_source_id, media 64 zeros, outcome "failed", item_index =
// how many plays it stands for, started_at/ended_at = the first lost play's start and the
// last one's end, duration_ms 0. A kill while rows wait in memory loses them (their plays
// still come back as `interrupted` rows through their started marks, below).
//
// Started marks: mark_started() writes a durable "this item started" row (table
// proof_started) as an item starts; append() with the mark's id deletes it in the row's own
// transaction. mark_alive() records that the player was alive at a time (the daemon calls it
// every few seconds while something plays). After a crash or a power cut, recover_started()
// turns every mark left into an `interrupted` row: started_at = the mark's start, ended_at =
// the last time known alive, capped at the item's planned end and never before its start,
// duration_ms = ended_at - started_at.
//
// A relay's row carries its figures (protocol::RelayFigures) in three columns, NULL on every
// other row; an outbox made before them gets the columns when it is opened, and the rows
// waiting in it read back without figures, as they were made.
//
// Command replies wait in the same file until an ack lists their command id.
//
// Lifecycle: open() on the state database (PlayerState::database()); the outbox borrows it.
// Threads: the daemon's loop only. Errors: SQLite errors as bantin::sqlite reports them.

#include "bantin/common/error.hpp"
#include "bantin/player/playback_engine.hpp"
#include "bantin/protocol/messages.hpp"
#include "bantin/sqlite/database.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace bantin::player {

// The source_id of a gap marker row (see above).
inline constexpr std::string_view proof_gap_source_id = "proof-gap";

// The outcome a played item's row gets: `completed` only when the engine ran it to its
// planned end and it was out for its whole slot, less `completed_tolerance` (the start
// latency of a renderer that is on time); a fragment (an entry joined in progress at
// start-up or after a restart, a late start) is `interrupted`; a failure stays `failed`.
using protocol::completed_tolerance;
Outcome proof_outcome(Outcome engine_outcome, Duration played, Duration planned_slot);

// A relay's figures for its row (ItemEnded::relayed, filler, source_losses), within what the
// controller's decoder takes: the relayed time, then the filler's, no more than the row's
// `duration_ms` (nor protocol::max_relay_figure_ms), negatives as 0, the losses at most
// protocol::max_source_losses. `clamped` says whether anything had to be cut (the engine's
// figures never need it; a row the controller refused would hold every row after it).
struct RowRelayFigures {
    protocol::RelayFigures figures;
    bool clamped = false;
};
RowRelayFigures relay_row_figures(Duration relayed, Duration filler, int source_losses,
                                  std::uint64_t duration_ms);

struct AppendResult {
    protocol::ProofOfPlayRow row;  // as numbered (for a lost row: the gap marker's seq)
    bool durable = false;          // committed before append() returned
    std::optional<Error> error;    // why it waits in memory
};

class ProofOutbox {
public:
    static constexpr std::size_t default_memory_capacity = 1000;
    static Result<ProofOutbox> open(sqlite::Database& database,
                                    std::size_t memory_capacity = default_memory_capacity);

    // Assigns the next seq (ignoring row.seq) and commits it with every row waiting before
    // it; when that fails the row waits in memory (durable = false). `mark`: the started
    // mark this row ends, deleted in the same transaction.
    AppendResult append(protocol::ProofOfPlayRow row, std::optional<std::int64_t> mark = {});
    // Writes the rows waiting in memory, in order, in one transaction; returns how many.
    Result<std::size_t> write_unwritten();
    std::size_t unwritten() const { return m_unwritten.size(); }
    // Plays merged into gap markers since open().
    std::uint64_t lost_rows() const { return m_lost_rows; }

    // Durable unacknowledged rows, ascending seq, at most `limit`.
    Result<std::vector<protocol::ProofOfPlayRow>> pending(std::size_t limit);
    // Deletes rows with seq <= committed_seq; returns how many.
    Result<std::size_t> prune(std::uint64_t committed_seq);
    Result<std::size_t> size();
    // The seq of the last durable row (0 before the first).
    Result<std::uint64_t> last_seq();

    // A durable mark for an item that started (row.seq, ended_at, duration_ms, outcome are
    // ignored; `planned_end` caps the end recovery gives it). Returns the mark's id.
    Result<std::int64_t> mark_started(const protocol::ProofOfPlayRow& row, TimePoint planned_end);
    Result<void> mark_alive(TimePoint now);
    Result<std::size_t> started_marks();
    // Every mark left by a previous run becomes an `interrupted` row (see above); returns how
    // many rows were appended (durable or waiting in memory).
    Result<std::size_t> recover_started();

    Result<void> add_reply(const protocol::CommandReply& reply);
    Result<std::vector<protocol::CommandReply>> pending_replies();
    Result<void> drop_replies(const std::vector<std::string>& command_ids);

private:
    struct Waiting {
        protocol::ProofOfPlayRow row;
        std::vector<std::int64_t> marks;
        bool gap = false;
    };
    ProofOutbox(sqlite::Database& database, std::size_t memory_capacity, std::uint64_t last_seq)
        : m_database(&database), m_memory_capacity(memory_capacity), m_last_assigned(last_seq) {}
    Result<std::uint64_t> stored_last_seq();

    sqlite::Database* m_database;
    std::size_t m_memory_capacity;
    std::uint64_t m_last_assigned;  // the seq the last appended row got, durable or not
    std::deque<Waiting> m_unwritten;
    std::size_t m_waiting_rows = 0;  // rows in m_unwritten that are not gap markers
    std::uint64_t m_lost_rows = 0;
};

}  // namespace bantin::player
