#pragma once
// The SQLite backend of the Store, and the controller's schema migrations.
//
// Lifecycle: SqliteStore::open() opens the file (WAL, foreign keys, synchronous FULL), applies
// every migration the file lacks, each in its own transaction recorded in schema_version, and
// refuses a file whose schema is newer than this build. The store owns one connection and
// closes it when destroyed.
//
// Threads: any thread; one mutex serialises transactions on the connection. Readers in other
// processes (the sqlite3 shell, backups) are not blocked thanks to WAL.
//
// Errors: open() returns Unsupported for a too-new schema ("database schema 7 is newer than
// this controller (5); upgrade bantin-controller") and Io for a file that cannot be opened or
// migrated, naming the file and the failing step.

#include "bantin/common/clock.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/sqlite/database.hpp"

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace bantin::controller {

namespace sql {
class Connection;
}

struct Migration {
    int version = 0;               // 1, 2, 3, ... without holes
    std::string_view description;  // one line, stored in schema_version
    std::string_view sql;          // one or more statements
};

// Every migration this build knows, in order (SQLite's dialect; postgres_store.hpp has the
// same steps in PostgreSQL's). The last one's version is the current schema.
std::span<const Migration> migrations();
int current_schema_version();

// The version recorded in a database; 0 for an empty database.
Result<int> schema_version(sqlite::Database& database);

// Applies the migrations in `steps` whose version is above the database's, each in its own
// BEGIN IMMEDIATE transaction with its schema_version row; refuses a database newer than the
// last step. Returns the version reached. Tests pass a prefix of migrations() to build an
// older schema.
Result<int> migrate(sqlite::Database& database, std::span<const Migration> steps, TimePoint now);

// Plays that started in [from, to), ordered by start, device, install epoch and seq: the one
// query behind SqliteTransaction::list_proof_of_play and SqliteProofQuery, so the reports get
// the same rows through either.
Result<std::vector<ProofOfPlayRow>> sqlite_proof_of_play_between(sqlite::Database& database, TimePoint from,
                                                                 TimePoint to);

// Day summaries of folded proof of play whose first play started in [from, to) (retention):
// the query behind SqliteTransaction::list_proof_day_summaries and SqliteProofQuery.
Result<std::vector<ProofDaySummary>> sqlite_proof_day_summaries_between(sqlite::Database& database,
                                                                        TimePoint from, TimePoint to);

class SqliteStore final : public Store {
public:
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, const Clock& clock,
                                                     const sqlite::OpenOptions& options = {});

    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    Result<void> read(const Work& work) override;
    Result<void> write(const Work& work) override;

private:
    explicit SqliteStore(sqlite::Database database);

    std::mutex m_mutex;
    sqlite::Database m_database;
    std::unique_ptr<sql::Connection> m_connection;  // over m_database
};

}  // namespace bantin::controller
