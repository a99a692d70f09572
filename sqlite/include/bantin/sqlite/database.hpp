#pragma once
// A thin RAII layer over the SQLite C API, shared by the controller's store and the player's
// local state and proof-of-play outbox.
//
// Lifecycle: Database::open() opens (or creates) a file, switches it to WAL, sets a busy
// timeout, turns foreign keys on and picks the synchronous level; the Database closes the
// file when destroyed. prepare() compiles a Statement that belongs to that Database and must
// not outlive it. A Transaction begins on construction and rolls back when destroyed unless
// commit() succeeded.
//
// Threads: a Database and its Statements are used by one thread at a time (the connection is
// opened without SQLite's own mutex). Open one Database per thread, or guard one with a
// mutex; other processes and connections may read the same file while one writes (WAL).
//
// Errors: every failing call returns bantin::Error whose detail names the SQL text and
// SQLite's own message ("sqlite: INSERT INTO users ...: UNIQUE constraint failed: users.name").
// Constraint violations are Errc::Conflict, a database still locked after the busy timeout is
// Errc::Timeout, everything else is Errc::Io. A failing bind() is remembered and reported by
// the next step(), so binds can be chained.

#include "bantin/common/error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace bantin::sqlite {

enum class OpenMode { ReadWriteCreate, ReadWrite, ReadOnly };
// FULL syncs the WAL on every commit: a commit that returned survives a power cut, which the
// proof-of-play ack relies on. NORMAL may lose the last commits on power loss (never corrupts).
enum class Synchronous { Full, Normal };

struct OpenOptions {
    // ReadWriteCreate creates a missing file 0600 (its -wal and -shm take the same mode);
    // an existing file keeps its mode.
    OpenMode mode = OpenMode::ReadWriteCreate;
    Synchronous synchronous = Synchronous::Full;
    int busy_timeout_ms = 5000;
};

class Database;

enum class Step { Row, Done };

class Statement {
public:
    Statement() = default;
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT).
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
    Statement& bind(int index, bool value) { return bind(index, std::int64_t{value ? 1 : 0}); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view{value}); }
    Statement& bind(int index, const char* value) { return bind(index, std::string_view{value}); }
    Statement& bind_blob(int index, std::span<const std::byte> value);
    Statement& bind_null(int index);
    template <class T>
    Statement& bind(int index, const std::optional<T>& value) {
        if (value)
            return bind(index, *value);
        return bind_null(index);
    }

    // Runs one step. Row: the column_* readers see the current row. Done: no more rows.
    Result<Step> step();
    // Runs a statement that returns no rows (or whose rows are ignored) to completion.
    Result<void> run();
    // Runs and expects exactly zero or one row; true when a row is current.
    Result<bool> fetch_one();
    // Makes the statement ready to run again; bindings are cleared.
    void reset();

    int column_count() const;
    bool column_is_null(int column) const;
    std::int64_t column_int64(int column) const;
    int column_int(int column) const;
    bool column_bool(int column) const { return column_int64(column) != 0; }
    double column_double(int column) const;
    std::string column_text(int column) const;
    std::vector<std::byte> column_blob(int column) const;
    std::optional<std::int64_t> column_optional_int64(int column) const;
    std::optional<std::string> column_optional_text(int column) const;

    std::string_view sql() const;

private:
    friend class Database;
    Statement(sqlite3_stmt* statement, sqlite3* database);
    Statement& record_bind(int code, int index);

    sqlite3_stmt* m_statement = nullptr;
    sqlite3* m_database = nullptr;
    std::optional<Error> m_bind_error;
};

class Database {
public:
    static Result<Database> open(const std::string& path, const OpenOptions& options = {});

    Database() = default;
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    Result<Statement> prepare(std::string_view sql);
    // Runs one or more statements separated by ';' (no parameters, rows ignored).
    Result<void> execute(std::string_view sql);

    std::int64_t last_insert_rowid() const;
    // Rows changed by the most recent INSERT, UPDATE or DELETE.
    int changes() const;
    bool in_transaction() const;
    const std::string& path() const { return m_path; }

    sqlite3* handle() const { return m_database; }

private:
    explicit Database(sqlite3* database, std::string path);
    sqlite3* m_database = nullptr;
    std::string m_path;
};

enum class TransactionMode {
    Deferred,   // BEGIN: takes the write lock at the first write (reads)
    Immediate,  // BEGIN IMMEDIATE: takes the write lock now, so a writer never fails half way
};

class Transaction {
public:
    static Result<Transaction> begin(Database& database, TransactionMode mode = TransactionMode::Deferred);

    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    // Rolls back unless commit() succeeded.
    ~Transaction();

    Result<void> commit();
    // Explicit rollback; the destructor does the same.
    void rollback();

private:
    explicit Transaction(Database& database) : m_database(&database) {}
    Database* m_database = nullptr;
    bool m_open = false;
};

// Maps an SQLite result code to an Error naming the SQL text and SQLite's message.
Error make_error(sqlite3* database, int code, std::string_view sql);

}  // namespace bantin::sqlite
