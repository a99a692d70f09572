// The SQL seam over SQLite (sql_connection.hpp): a thin forwarder to bantin::sqlite.

#include "sql_connection.hpp"

#include <optional>
#include <utility>

namespace bantin::controller::sql {

namespace {

class SqliteStatement final : public StatementImpl {
public:
    explicit SqliteStatement(sqlite::Statement statement) : m_statement(std::move(statement)) {}

    void bind_int64(int index, std::int64_t value) override { m_statement.bind(index, value); }
    void bind_double(int index, double value) override { m_statement.bind(index, value); }
    void bind_text(int index, std::string_view value) override { m_statement.bind(index, value); }
    void bind_null(int index) override { m_statement.bind_null(index); }
    Result<Step> step() override {
        auto stepped = m_statement.step();
        if (!stepped)
            return std::unexpected(stepped.error());
        return *stepped == sqlite::Step::Row ? Step::Row : Step::Done;
    }
    void reset() override { m_statement.reset(); }
    bool column_is_null(int column) const override { return m_statement.column_is_null(column); }
    std::int64_t column_int64(int column) const override { return m_statement.column_int64(column); }
    double column_double(int column) const override { return m_statement.column_double(column); }
    std::string column_text(int column) const override { return m_statement.column_text(column); }

private:
    sqlite::Statement m_statement;
};

class SqliteConnection final : public Connection {
public:
    explicit SqliteConnection(sqlite::Database& database) : m_database(database) {}
    ~SqliteConnection() override { rollback(); }
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    Dialect dialect() const override { return Dialect::Sqlite; }

    Result<Statement> prepare(std::string_view sql) override {
        auto statement = m_database.prepare(sql);
        if (!statement)
            return std::unexpected(statement.error());
        return Statement{std::make_unique<SqliteStatement>(std::move(*statement))};
    }

    Result<void> execute(std::string_view sql) override { return m_database.execute(sql); }

    std::int64_t changes() const override { return m_database.changes(); }

    // A read is a deferred transaction with query_only on, so a write inside it fails; a write
    // takes the database's write lock at once (BEGIN IMMEDIATE).
    Result<void> begin(TransactionKind kind) override {
        if (kind == TransactionKind::Read) {
            if (!m_database.execute("PRAGMA query_only = ON"))
                return fail(Errc::Io, "sqlite: cannot make the read transaction read-only");
            m_query_only = true;
        }
        auto transaction = sqlite::Transaction::begin(m_database, kind == TransactionKind::Read
                                                                      ? sqlite::TransactionMode::Deferred
                                                                      : sqlite::TransactionMode::Immediate);
        if (!transaction) {
            end_query_only();
            return std::unexpected(transaction.error());
        }
        m_transaction.emplace(std::move(*transaction));
        return {};
    }

    Result<void> commit() override {
        if (!m_transaction)
            return {};
        auto committed = m_transaction->commit();
        m_transaction.reset();
        end_query_only();
        return committed;
    }

    void rollback() override {
        m_transaction.reset();  // rolls back unless committed
        end_query_only();
    }

    Result<bool> table_exists(std::string_view name) override {
        auto statement = m_database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
        if (!statement)
            return std::unexpected(statement.error());
        statement->bind(1, name);
        return statement->fetch_one();
    }

private:
    void end_query_only() {
        if (m_query_only)
            (void)m_database.execute("PRAGMA query_only = OFF");
        m_query_only = false;
    }

    sqlite::Database& m_database;
    std::optional<sqlite::Transaction> m_transaction;
    bool m_query_only = false;
};

}  // namespace

std::unique_ptr<Connection> sqlite_connection(sqlite::Database& database) {
    return std::make_unique<SqliteConnection>(database);
}

}  // namespace bantin::controller::sql
