#include "bantin/controller/sqlite_store.hpp"

#include "sqlite_transaction.hpp"

#include <utility>

namespace bantin::controller {

namespace {

// Keeps a read transaction read-only: SQLite refuses writes while query_only is on.
class QueryOnlyGuard {
public:
    explicit QueryOnlyGuard(sqlite::Database& database) : m_database(database) {
        m_ok = m_database.execute("PRAGMA query_only = ON").has_value();
    }
    ~QueryOnlyGuard() { (void)m_database.execute("PRAGMA query_only = OFF"); }
    QueryOnlyGuard(const QueryOnlyGuard&) = delete;
    QueryOnlyGuard& operator=(const QueryOnlyGuard&) = delete;
    bool ok() const { return m_ok; }

private:
    sqlite::Database& m_database;
    bool m_ok = false;
};

// `work` in one transaction of `mode`, committed when it succeeds (rolled back otherwise).
Result<void> run_in_transaction(sqlite::Database& database, sqlite::TransactionMode mode,
                                const Store::Work& work) {
    auto transaction = sqlite::Transaction::begin(database, mode);
    if (!transaction)
        return std::unexpected(transaction.error());
    SqliteTransaction store_transaction{database};
    auto done = work(store_transaction);
    if (!done)
        return done;
    return transaction->commit();
}

}  // namespace

Result<void> SqliteTransaction::expect_changed(const std::string& what) {
    if (m_database.changes() == 0)
        return fail(Errc::NotFound, what + " not found");
    return {};
}

// After an UPDATE ... WHERE version = expected: tells a missing row from a stale version.
Result<void> SqliteTransaction::expect_version_matched(std::string_view table, std::string_view what,
                                                       const std::string& id, std::int64_t expected_version) {
    if (m_database.changes() > 0)
        return {};
    auto stored = scalar("SELECT version FROM " + std::string{table} + " WHERE id = ?", id);
    if (!stored)
        return std::unexpected(stored.error());
    std::string name = std::string{what} + " \"" + id + "\"";
    if (*stored == 0)
        return fail(Errc::NotFound, name + " not found");
    return fail(Errc::Conflict, name + " was changed meanwhile (version " + std::to_string(*stored) +
                                    ", edited version " + std::to_string(expected_version) + ")");
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, const Clock& clock,
                                                       const sqlite::OpenOptions& options) {
    auto database = sqlite::Database::open(path, options);
    if (!database)
        return std::unexpected(database.error());
    auto migrated = migrate(*database, migrations(), clock.wall());
    if (!migrated) {
        Error error = migrated.error();
        error.detail = path + ": " + error.detail;
        return std::unexpected(std::move(error));
    }
    return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*database)));
}

Result<void> SqliteStore::read(const Work& work) {
    std::lock_guard lock{m_mutex};
    QueryOnlyGuard guard{m_database};
    if (!guard.ok())
        return fail(Errc::Io, "sqlite: cannot make the read transaction read-only");
    return run_in_transaction(m_database, sqlite::TransactionMode::Deferred, work);
}

Result<void> SqliteStore::write(const Work& work) {
    std::lock_guard lock{m_mutex};
    return run_in_transaction(m_database, sqlite::TransactionMode::Immediate, work);
}

}  // namespace bantin::controller
