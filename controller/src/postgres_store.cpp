#include "bantin/controller/postgres_store.hpp"

#include "sql_migrate.hpp"
#include "sql_transaction.hpp"

#include <utility>

namespace bantin::controller {

PostgresStore::PostgresStore(std::unique_ptr<sql::Connection> connection)
    : m_connection(std::move(connection)) {}

PostgresStore::~PostgresStore() = default;

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& conninfo, const Clock& clock) {
    return open(conninfo, clock, postgresql_migrations());
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& conninfo, const Clock& clock,
                                                           std::span<const Migration> steps) {
    auto connection = sql::postgresql_connection(conninfo);
    if (!connection)
        return std::unexpected(connection.error());
    auto migrated = migrate(**connection, steps, clock.wall());
    if (!migrated) {
        Error error = migrated.error();
        error.detail = "postgresql: " + error.detail;
        return std::unexpected(std::move(error));
    }
    return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(*connection)));
}

Result<void> PostgresStore::read(const Work& work) {
    std::lock_guard lock{m_mutex};
    return run_store_transaction(*m_connection, sql::TransactionKind::Read, work);
}

Result<void> PostgresStore::write(const Work& work) {
    std::lock_guard lock{m_mutex};
    return run_store_transaction(*m_connection, sql::TransactionKind::Write, work);
}

PostgresProofQuery::PostgresProofQuery(std::unique_ptr<sql::Connection> connection)
    : m_connection(std::move(connection)) {}

PostgresProofQuery::~PostgresProofQuery() = default;

Result<std::unique_ptr<PostgresProofQuery>> PostgresProofQuery::open(const std::string& conninfo) {
    auto connection = sql::postgresql_connection(conninfo);
    if (!connection)
        return std::unexpected(connection.error());
    return std::unique_ptr<PostgresProofQuery>(new PostgresProofQuery(std::move(*connection)));
}

Result<ProofPlays> PostgresProofQuery::proofs_between(TimePoint from, TimePoint to) {
    std::lock_guard lock{m_mutex};
    ProofPlays proofs;
    auto done = sql::in_transaction(*m_connection, sql::TransactionKind::Read, [&]() -> Result<void> {
        auto rows = proof_of_play_between(*m_connection, from, to);
        if (!rows)
            return std::unexpected(rows.error());
        proofs.rows = std::move(*rows);
        auto days = proof_day_summaries_between(*m_connection, from, to);
        if (!days)
            return std::unexpected(days.error());
        proofs.days = std::move(*days);
        return {};
    });
    if (!done)
        return std::unexpected(done.error());
    return proofs;
}

}  // namespace bantin::controller
