#pragma once
// The store's SQL seam (internal to controller/src): one connection to SQLite or PostgreSQL
// behind the same prepare / bind / step / typed-column calls, so the store's SQL is written
// once (store_people.cpp, store_content.cpp, ...) and runs on either backend.
//
// SQL text is written in the subset both databases accept, with SQLite's placeholders: `?`
// (numbered in order) or `?N`. The PostgreSQL connection rewrites them to `$1..$n` outside
// quoted text. Values travel as int64, double, text or NULL; booleans are stored as 0/1
// integers on both backends (the schema declares them BIGINT with CHECK (x IN (0, 1)) on
// PostgreSQL), so `WHERE succeeded = 0` reads the same everywhere.
//
// Errors: a unique violation is Errc::Conflict whose detail carries "UNIQUE constraint failed"
// (SQLite) or "SQLSTATE 23505" (PostgreSQL): store_sql.hpp's is_duplicate() knows both. Other
// constraint violations are Conflict; a lock that was not granted is Timeout; a lost
// PostgreSQL connection is Network; the rest Io.
//
// Threads: a Connection and its Statements are used by one thread at a time.

#include "bantin/common/error.hpp"
#include "bantin/sqlite/database.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bantin::controller::sql {

enum class Dialect { Sqlite, Postgresql };
enum class Step { Row, Done };

class StatementImpl {
public:
    virtual ~StatementImpl() = default;
    virtual void bind_int64(int index, std::int64_t value) = 0;
    virtual void bind_double(int index, double value) = 0;
    virtual void bind_text(int index, std::string_view value) = 0;
    virtual void bind_null(int index) = 0;
    virtual Result<Step> step() = 0;
    virtual void reset() = 0;
    virtual bool column_is_null(int column) const = 0;
    virtual std::int64_t column_int64(int column) const = 0;
    virtual double column_double(int column) const = 0;
    virtual std::string column_text(int column) const = 0;
};

// A prepared statement of either backend; the same calls as sqlite::Statement.
class Statement {
public:
    explicit Statement(std::unique_ptr<StatementImpl> impl) : m_impl(std::move(impl)) {}

    Statement& bind(int index, std::int64_t value) {
        m_impl->bind_int64(index, value);
        return *this;
    }
    Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
    Statement& bind(int index, bool value) { return bind(index, std::int64_t{value ? 1 : 0}); }
    Statement& bind(int index, double value) {
        m_impl->bind_double(index, value);
        return *this;
    }
    Statement& bind(int index, std::string_view value) {
        m_impl->bind_text(index, value);
        return *this;
    }
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view{value}); }
    Statement& bind(int index, const char* value) { return bind(index, std::string_view{value}); }
    Statement& bind_null(int index) {
        m_impl->bind_null(index);
        return *this;
    }
    template <class T>
    Statement& bind(int index, const std::optional<T>& value) {
        if (value)
            return bind(index, *value);
        return bind_null(index);
    }

    // Runs one step. Row: the column_* readers see the current row. Done: no more rows.
    Result<Step> step() { return m_impl->step(); }
    // Runs to completion, ignoring rows.
    Result<void> run() {
        for (;;) {
            auto stepped = step();
            if (!stepped)
                return std::unexpected(stepped.error());
            if (*stepped == Step::Done)
                return {};
        }
    }
    // Runs and expects zero or one row; true when a row is current.
    Result<bool> fetch_one() {
        auto stepped = step();
        if (!stepped)
            return std::unexpected(stepped.error());
        return *stepped == Step::Row;
    }
    // Ready to run again; bindings are cleared.
    void reset() { m_impl->reset(); }

    bool column_is_null(int column) const { return m_impl->column_is_null(column); }
    std::int64_t column_int64(int column) const { return m_impl->column_int64(column); }
    int column_int(int column) const { return static_cast<int>(column_int64(column)); }
    bool column_bool(int column) const { return column_int64(column) != 0; }
    double column_double(int column) const { return m_impl->column_double(column); }
    std::string column_text(int column) const { return m_impl->column_text(column); }
    std::optional<std::int64_t> column_optional_int64(int column) const {
        if (column_is_null(column))
            return std::nullopt;
        return column_int64(column);
    }
    std::optional<std::string> column_optional_text(int column) const {
        if (column_is_null(column))
            return std::nullopt;
        return column_text(column);
    }

private:
    std::unique_ptr<StatementImpl> m_impl;
};

enum class TransactionKind {
    Read,   // a read-only snapshot
    Write,  // serialised with every other writer of the database (see docs/store.md)
};

class Connection {
public:
    virtual ~Connection() = default;
    virtual Dialect dialect() const = 0;
    virtual Result<Statement> prepare(std::string_view sql) = 0;
    // One or more statements separated by ';', without parameters; rows are ignored.
    virtual Result<void> execute(std::string_view sql) = 0;
    // Rows changed by the most recent INSERT, UPDATE or DELETE run to completion.
    virtual std::int64_t changes() const = 0;
    virtual Result<void> begin(TransactionKind kind) = 0;
    virtual Result<void> commit() = 0;
    virtual void rollback() = 0;
    // True when a table of this name exists (the schema_version check of migrate()).
    virtual Result<bool> table_exists(std::string_view name) = 0;
};

// A connection over an open SQLite database, which it does not own.
std::unique_ptr<Connection> sqlite_connection(sqlite::Database& database);

// Connects to PostgreSQL with a libpq conninfo ("host=... dbname=...") or URI
// ("postgresql://..."). Errors are bilingual and never repeat a password.
Result<std::unique_ptr<Connection>> postgresql_connection(const std::string& conninfo);

// `?` and `?N` placeholders as `$1..$n`, outside quoted text and comments; the count of
// parameters in `parameters`.
std::string postgresql_placeholders(std::string_view sql, int* parameters = nullptr);

// Runs `work` in a transaction of `kind` on `connection`: committed when it succeeds, rolled
// back otherwise.
template <class Work>
Result<void> in_transaction(Connection& connection, TransactionKind kind, Work&& work) {
    if (auto begun = connection.begin(kind); !begun)
        return begun;
    Result<void> done = work();
    if (!done) {
        connection.rollback();
        return done;
    }
    if (auto committed = connection.commit(); !committed) {
        connection.rollback();
        return committed;
    }
    return {};
}

}  // namespace bantin::controller::sql
