#pragma once
// The PostgreSQL backend of the Store (docs/store.md, "PostgreSQL"): the same StoreTransaction
// code and SQL as SqliteStore, over libpq, with the same migration versions written in
// PostgreSQL's dialect.
//
// Lifecycle: PostgresStore::open() connects with a libpq conninfo ("host=127.0.0.1 port=5432
// dbname=bantin user=bantin") or URI ("postgresql://bantin@127.0.0.1/bantin"), applies every
// migration the database lacks (each in its own transaction with its schema_version row) and
// refuses a database whose schema is newer than this build. The store owns one connection and
// closes it when destroyed; a connection lost between transactions is re-established by the
// next one.
//
// Transactions: write() runs READ COMMITTED after taking one transaction-scoped advisory lock
// that every writer of the database takes first, so writers (of this controller or another)
// run one at a time as SQLite's do; read() runs REPEATABLE READ READ ONLY: a snapshot in which
// writes fail.
//
// Threads: any thread; one mutex serialises transactions on the connection.
//
// Errors: open() returns InvalidInput for a malformed connection string, Network for a server
// that cannot be reached or refuses the login, Unsupported for a too-new schema and Io for a
// failing migration; messages are Vietnamese first, then English, and never repeat a password.

#include "bantin/common/clock.hpp"
#include "bantin/controller/reports.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bantin/controller/store.hpp"

#include <memory>
#include <mutex>
#include <span>
#include <string>

namespace bantin::controller {

// migrations() in PostgreSQL's dialect: the same versions and descriptions.
std::span<const Migration> postgresql_migrations();

class PostgresStore final : public Store {
public:
    static Result<std::unique_ptr<PostgresStore>> open(const std::string& conninfo, const Clock& clock);
    // Tests: migrates with `steps` (a prefix of postgresql_migrations()) only.
    static Result<std::unique_ptr<PostgresStore>> open(const std::string& conninfo, const Clock& clock,
                                                       std::span<const Migration> steps);

    ~PostgresStore() override;
    PostgresStore(const PostgresStore&) = delete;
    PostgresStore& operator=(const PostgresStore&) = delete;

    Result<void> read(const Work& work) override;
    Result<void> write(const Work& work) override;

private:
    explicit PostgresStore(std::unique_ptr<sql::Connection> connection);

    std::mutex m_mutex;
    std::unique_ptr<sql::Connection> m_connection;
};

// The reports' proof rows on a second connection of their own, in read-only snapshots, so a
// long report does not hold the store's connection (SqliteProofQuery's PostgreSQL twin).
class PostgresProofQuery final : public ProofQuery {
public:
    static Result<std::unique_ptr<PostgresProofQuery>> open(const std::string& conninfo);
    ~PostgresProofQuery() override;
    PostgresProofQuery(const PostgresProofQuery&) = delete;
    PostgresProofQuery& operator=(const PostgresProofQuery&) = delete;

    // The rows and the folded days, from one read-only snapshot.
    Result<ProofPlays> proofs_between(TimePoint from, TimePoint to) override;

private:
    explicit PostgresProofQuery(std::unique_ptr<sql::Connection> connection);
    std::mutex m_mutex;
    std::unique_ptr<sql::Connection> m_connection;
};

}  // namespace bantin::controller
