#pragma once
// The proof-of-play outbox: every played item becomes one row, committed durably (SQLite
// WAL with synchronous=FULL, so a commit that returned survives kill -9 and a power cut)
// before anything else happens with it. Rows are numbered 1, 2, 3 ... per install epoch with
// no gaps (the counter is stored with the row, in the same transaction), published in batches
// and deleted only when the controller's ack says it committed them
// (committed_seq = highest contiguous seq of this install epoch). A row is never rewritten:
// a resend after a crash carries the same seq and the same content.
//
// Command replies wait in the same file until an ack lists their command id.
//
// Lifecycle: open() on the state database (PlayerState::database()); the outbox borrows it.
// Threads: the daemon's loop only. Errors: SQLite errors as bantin::sqlite reports them.

#include "bantin/common/error.hpp"
#include "bantin/protocol/messages.hpp"
#include "bantin/sqlite/database.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace bantin::player {

class ProofOutbox {
public:
    static Result<ProofOutbox> open(sqlite::Database& database);

    // Assigns the next seq (ignoring row.seq), commits, returns the row as stored.
    Result<protocol::ProofOfPlayRow> append(protocol::ProofOfPlayRow row);
    // Unacknowledged rows, ascending seq, at most `limit`.
    Result<std::vector<protocol::ProofOfPlayRow>> pending(std::size_t limit);
    // Deletes rows with seq <= committed_seq; returns how many.
    Result<std::size_t> prune(std::uint64_t committed_seq);
    Result<std::size_t> size();
    // The seq the last appended row got (0 before the first).
    Result<std::uint64_t> last_seq();

    Result<void> add_reply(const protocol::CommandReply& reply);
    Result<std::vector<protocol::CommandReply>> pending_replies();
    Result<void> drop_replies(const std::vector<std::string>& command_ids);

private:
    explicit ProofOutbox(sqlite::Database& database) : m_database(&database) {}
    sqlite::Database* m_database;
};

}  // namespace bantin::player
