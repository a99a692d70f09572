#include "bantin/sqlite/database.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <utility>

namespace bantin::sqlite {

namespace {

// SQL in error messages is cut so a multi-statement migration does not flood a log line.
std::string shorten(std::string_view sql) {
    constexpr std::size_t limit = 160;
    std::string text;
    text.reserve(std::min(sql.size(), limit + 3));
    bool space = false;
    for (char c : sql) {
        if (c == '\n' || c == '\t' || c == ' ' || c == '\r') {
            space = !text.empty();
            continue;
        }
        if (space)
            text += ' ';
        space = false;
        text += c;
        if (text.size() >= limit) {
            text += "...";
            break;
        }
    }
    return text;
}

Errc classify(int code) {
    switch (code & 0xff) {
        case SQLITE_CONSTRAINT: return Errc::Conflict;
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return Errc::Timeout;
        case SQLITE_TOOBIG: return Errc::TooLarge;
        case SQLITE_RANGE:
        case SQLITE_MISUSE: return Errc::Internal;
        default: return Errc::Io;
    }
}

}  // namespace

Error make_error(sqlite3* database, int code, std::string_view sql) {
    std::string message = database != nullptr ? sqlite3_errmsg(database) : sqlite3_errstr(code);
    return Error{classify(code), "sqlite: " + shorten(sql) + ": " + message};
}

// ---- Statement ----

Statement::Statement(sqlite3_stmt* statement, sqlite3* database)
    : m_statement(statement), m_database(database) {}

Statement::Statement(Statement&& other) noexcept
    : m_statement(std::exchange(other.m_statement, nullptr)),
      m_database(std::exchange(other.m_database, nullptr)),
      m_bind_error(std::move(other.m_bind_error)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(m_statement);
        m_statement = std::exchange(other.m_statement, nullptr);
        m_database = std::exchange(other.m_database, nullptr);
        m_bind_error = std::move(other.m_bind_error);
    }
    return *this;
}

Statement::~Statement() {
    sqlite3_finalize(m_statement);
}

std::string_view Statement::sql() const {
    return m_statement != nullptr ? std::string_view{sqlite3_sql(m_statement)} : std::string_view{};
}

Statement& Statement::record_bind(int code, int index) {
    if (code != SQLITE_OK && !m_bind_error) {
        Error error = make_error(m_database, code, sql());
        error.detail += " (parameter " + std::to_string(index) + ")";
        m_bind_error = std::move(error);
    }
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    assert(m_statement != nullptr);
    return record_bind(sqlite3_bind_int64(m_statement, index, value), index);
}

Statement& Statement::bind(int index, double value) {
    assert(m_statement != nullptr);
    return record_bind(sqlite3_bind_double(m_statement, index, value), index);
}

Statement& Statement::bind(int index, std::string_view value) {
    assert(m_statement != nullptr);
    // A null data pointer would bind NULL; an empty string must stay an empty string.
    const char* data = value.data() != nullptr ? value.data() : "";
    return record_bind(
        sqlite3_bind_text64(m_statement, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
}

Statement& Statement::bind_blob(int index, std::span<const std::byte> value) {
    assert(m_statement != nullptr);
    static const std::byte empty{};
    const void* data = value.data() != nullptr ? static_cast<const void*>(value.data()) : &empty;
    return record_bind(sqlite3_bind_blob64(m_statement, index, data, value.size(), SQLITE_TRANSIENT), index);
}

Statement& Statement::bind_null(int index) {
    assert(m_statement != nullptr);
    return record_bind(sqlite3_bind_null(m_statement, index), index);
}

Result<Step> Statement::step() {
    assert(m_statement != nullptr);
    if (m_bind_error)
        return std::unexpected(*m_bind_error);
    int code = sqlite3_step(m_statement);
    if (code == SQLITE_ROW)
        return Step::Row;
    if (code == SQLITE_DONE)
        return Step::Done;
    Error error = make_error(m_database, code, sql());
    sqlite3_reset(m_statement);
    return std::unexpected(std::move(error));
}

Result<void> Statement::run() {
    for (;;) {
        auto stepped = step();
        if (!stepped)
            return std::unexpected(stepped.error());
        if (*stepped == Step::Done)
            return {};
    }
}

Result<bool> Statement::fetch_one() {
    auto stepped = step();
    if (!stepped)
        return std::unexpected(stepped.error());
    return *stepped == Step::Row;
}

void Statement::reset() {
    assert(m_statement != nullptr);
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
    m_bind_error.reset();
}

int Statement::column_count() const {
    return sqlite3_column_count(m_statement);
}

bool Statement::column_is_null(int column) const {
    return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const {
    return sqlite3_column_int64(m_statement, column);
}

int Statement::column_int(int column) const {
    return sqlite3_column_int(m_statement, column);
}

double Statement::column_double(int column) const {
    return sqlite3_column_double(m_statement, column);
}

std::string Statement::column_text(int column) const {
    const unsigned char* text = sqlite3_column_text(m_statement, column);
    int size = sqlite3_column_bytes(m_statement, column);
    if (text == nullptr)
        return {};
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::vector<std::byte> Statement::column_blob(int column) const {
    const void* data = sqlite3_column_blob(m_statement, column);
    int size = sqlite3_column_bytes(m_statement, column);
    if (data == nullptr)
        return {};
    const auto* bytes = static_cast<const std::byte*>(data);
    return std::vector<std::byte>(bytes, bytes + size);
}

std::optional<std::int64_t> Statement::column_optional_int64(int column) const {
    if (column_is_null(column))
        return std::nullopt;
    return column_int64(column);
}

std::optional<std::string> Statement::column_optional_text(int column) const {
    if (column_is_null(column))
        return std::nullopt;
    return column_text(column);
}

// ---- Database ----

Database::Database(sqlite3* database, std::string path) : m_database(database), m_path(std::move(path)) {}

Database::Database(Database&& other) noexcept
    : m_database(std::exchange(other.m_database, nullptr)), m_path(std::move(other.m_path)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(m_database);
        m_database = std::exchange(other.m_database, nullptr);
        m_path = std::move(other.m_path);
    }
    return *this;
}

Database::~Database() {
    sqlite3_close_v2(m_database);
}

Result<Database> Database::open(const std::string& path, const OpenOptions& options) {
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (options.mode) {
        case OpenMode::ReadWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
        case OpenMode::ReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
        case OpenMode::ReadOnly: flags |= SQLITE_OPEN_READONLY; break;
    }
    // SQLite creates files 0644 (less the umask) and gives the -wal and -shm files the mode
    // of the database file: create it 0600 first, so all three are private to this account.
    if (options.mode == OpenMode::ReadWriteCreate && !path.empty() && path != ":memory:" &&
        !path.starts_with("file:")) {
        const int created = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (created < 0)
            return fail(Errc::Io, "sqlite: cannot open " + path + ": " + std::strerror(errno));
        ::close(created);
    }
    sqlite3* handle = nullptr;
    int code = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
    // sqlite3_open_v2 may hand back a handle even on failure; the Database owns it from here.
    Database database{handle, path};
    if (code != SQLITE_OK) {
        std::string message = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(code);
        return fail(Errc::Io, "sqlite: cannot open " + path + ": " + message);
    }
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(handle, options.busy_timeout_ms);

    if (auto r = database.execute("PRAGMA foreign_keys = ON"); !r)
        return std::unexpected(r.error());
    if (options.mode != OpenMode::ReadOnly) {
        auto statement = database.prepare("PRAGMA journal_mode = WAL");
        if (!statement)
            return std::unexpected(statement.error());
        auto row = statement->fetch_one();
        if (!row)
            return std::unexpected(row.error());
        std::string journal = *row ? statement->column_text(0) : std::string{};
        // An in-memory database answers "memory"; anything else must really be WAL.
        if (journal != "wal" && journal != "memory") {
            return fail(Errc::Io,
                        "sqlite: " + path + ": cannot switch to WAL (journal mode is " + journal + ")");
        }
    }
    const char* synchronous = options.synchronous == Synchronous::Full ? "PRAGMA synchronous = FULL"
                                                                       : "PRAGMA synchronous = NORMAL";
    if (auto r = database.execute(synchronous); !r)
        return std::unexpected(r.error());
    return database;
}

Result<Statement> Database::prepare(std::string_view sql) {
    assert(m_database != nullptr);
    sqlite3_stmt* statement = nullptr;
    int code = sqlite3_prepare_v2(m_database, sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
    if (code != SQLITE_OK) {
        sqlite3_finalize(statement);
        return std::unexpected(make_error(m_database, code, sql));
    }
    if (statement == nullptr)
        return fail(Errc::Internal, "sqlite: empty statement: " + shorten(sql));
    return Statement{statement, m_database};
}

Result<void> Database::execute(std::string_view sql) {
    assert(m_database != nullptr);
    std::string text{sql};
    char* message = nullptr;
    int code = sqlite3_exec(m_database, text.c_str(), nullptr, nullptr, &message);
    if (code != SQLITE_OK) {
        std::string detail = message != nullptr ? message : sqlite3_errstr(code);
        sqlite3_free(message);
        return std::unexpected(Error{classify(code), "sqlite: " + shorten(sql) + ": " + detail});
    }
    return {};
}

std::int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(m_database);
}

int Database::changes() const {
    return sqlite3_changes(m_database);
}

bool Database::in_transaction() const {
    return sqlite3_get_autocommit(m_database) == 0;
}

// ---- Transaction ----

Result<Transaction> Transaction::begin(Database& database, TransactionMode mode) {
    Transaction transaction{database};
    auto begun = database.execute(mode == TransactionMode::Immediate ? "BEGIN IMMEDIATE" : "BEGIN");
    if (!begun)
        return std::unexpected(begun.error());
    transaction.m_open = true;
    return transaction;
}

Transaction::Transaction(Transaction&& other) noexcept
    : m_database(other.m_database), m_open(std::exchange(other.m_open, false)) {}

Transaction::~Transaction() {
    rollback();
}

Result<void> Transaction::commit() {
    assert(m_open && "commit() on a finished transaction");
    auto committed = m_database->execute("COMMIT");
    if (!committed) {
        // A failed COMMIT (e.g. SQLITE_BUSY) leaves the transaction open; roll it back so the
        // connection is usable and nothing half-done stays visible to this connection.
        rollback();
        return std::unexpected(committed.error());
    }
    m_open = false;
    return {};
}

void Transaction::rollback() {
    if (!m_open)
        return;
    m_open = false;
    // ROLLBACK fails only when no transaction is open (SQLite already rolled back after an
    // I/O error or a full disk); either way nothing is left open.
    if (m_database->in_transaction())
        (void)m_database->execute("ROLLBACK");
}

}  // namespace bantin::sqlite
