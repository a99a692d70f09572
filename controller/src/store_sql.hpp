#pragma once
// What the store's files share (internal to controller/src): binding values to a statement,
// reading a row's columns in order (Row), and turning the database's errors into the store's.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "sql_connection.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace bantin::controller::store_detail {

using sql::Statement;
using sql::Step;

template <class T>
inline void bind_one(Statement& statement, int index, const T& value) {
    statement.bind(index, value);
}
inline void bind_one(Statement& statement, int index, TimePoint value) {
    statement.bind(index, to_unix_ms(value));
}
inline void bind_one(Statement& statement, int index, const std::optional<TimePoint>& value) {
    if (value) {
        statement.bind(index, to_unix_ms(*value));
    } else {
        statement.bind_null(index);
    }
}

template <class... Args>
inline void bind_all(Statement& statement, const Args&... args) {
    int index = 0;
    (bind_one(statement, ++index, args), ...);
}

inline TimePoint time_column(const Statement& statement, int column) {
    return from_unix_ms(statement.column_int64(column));
}
inline std::optional<TimePoint> optional_time_column(const Statement& statement, int column) {
    auto value = statement.column_optional_int64(column);
    if (!value)
        return std::nullopt;
    return from_unix_ms(*value);
}

inline std::optional<std::string> empty_as_null(const std::string& text) {
    if (text.empty())
        return std::nullopt;
    return text;
}

inline bool is_duplicate(const Error& error) {
    // SQLite's message, or PostgreSQL's unique_violation state (sql_postgresql.cpp).
    return error.code == Errc::Conflict &&
           (error.detail.find("UNIQUE constraint failed") != std::string::npos ||
            error.detail.find("(SQLSTATE 23505)") != std::string::npos);
}

// A broken reference: SQLite's message, or PostgreSQL's foreign_key_violation state.
inline bool is_foreign_key_violation(const Error& error) {
    return error.code == Errc::Conflict && (error.detail.find("FOREIGN KEY") != std::string::npos ||
                                            error.detail.find("(SQLSTATE 23503)") != std::string::npos);
}

// A CHECK constraint refused the row: SQLite's message, or PostgreSQL's check_violation state.
// PostgreSQL names the constraint (e.g. campaigns_check), not its columns.
inline bool is_check_violation(const Error& error) {
    return error.code == Errc::Conflict &&
           (error.detail.find("CHECK constraint failed") != std::string::npos ||
            error.detail.find("(SQLSTATE 23514)") != std::string::npos);
}

// A duplicate key becomes AlreadyExists naming the thing; other errors pass through.
inline Error on_duplicate(Error error, const std::string& what) {
    if (is_duplicate(error))
        return Error{Errc::AlreadyExists, what + " already exists"};
    return error;
}

inline Error stored_value_error(const Error& error, std::string_view table, std::string_view key) {
    return Error{Errc::Io, "table " + std::string{table} + " row " + std::string{key} + ": " + error.detail};
}

#define BANTIN_STORE_TRY(expression)                             \
    do {                                                         \
        auto bantin_store_result = (expression);                 \
        if (!bantin_store_result)                                \
            return std::unexpected(bantin_store_result.error()); \
    } while (false)

// One row of a result, read column after column in the order of its column list: a reader
// names what it reads, never a column number, so the list is the only place the order lives.
class Row {
public:
    explicit Row(const Statement& statement) : m_statement(statement) {}

    std::string text() { return m_statement.column_text(m_next++); }
    std::optional<std::string> optional_text() { return m_statement.column_optional_text(m_next++); }
    std::int64_t int64() { return m_statement.column_int64(m_next++); }
    std::optional<std::int64_t> optional_int64() { return m_statement.column_optional_int64(m_next++); }
    int integer() { return m_statement.column_int(m_next++); }
    bool boolean() { return m_statement.column_bool(m_next++); }
    TimePoint time() { return time_column(m_statement, m_next++); }
    std::optional<TimePoint> optional_time() { return optional_time_column(m_statement, m_next++); }
    std::optional<Duration> optional_duration() {
        auto milliseconds = optional_int64();
        if (!milliseconds)
            return std::nullopt;
        return Duration{*milliseconds};
    }

private:
    const Statement& m_statement;
    int m_next = 0;
};

}  // namespace bantin::controller::store_detail
