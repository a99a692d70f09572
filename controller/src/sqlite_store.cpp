#include "bantin/controller/sqlite_store.hpp"

#include "sql_migrate.hpp"
#include "sql_transaction.hpp"

#include <utility>

namespace bantin::controller {

Result<void> SqlTransaction::expect_changed(const std::string& what) {
    if (m_database.changes() == 0)
        return fail(Errc::NotFound, what + " not found");
    return {};
}

// After an UPDATE ... WHERE version = expected: tells a missing row from a stale version.
Result<void> SqlTransaction::expect_version_matched(std::string_view table, std::string_view what,
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

Result<void> run_store_transaction(sql::Connection& connection, sql::TransactionKind kind,
                                   const Store::Work& work) {
    return sql::in_transaction(connection, kind, [&] {
        SqlTransaction transaction{connection};
        return work(transaction);
    });
}

SqliteStore::SqliteStore(sqlite::Database database)
    : m_database(std::move(database)), m_connection(sql::sqlite_connection(m_database)) {}

SqliteStore::~SqliteStore() = default;

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
    return run_store_transaction(*m_connection, sql::TransactionKind::Read, work);
}

Result<void> SqliteStore::write(const Work& work) {
    std::lock_guard lock{m_mutex};
    return run_store_transaction(*m_connection, sql::TransactionKind::Write, work);
}

}  // namespace bantin::controller
