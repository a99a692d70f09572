#pragma once
// Internal to bantin::media: move-only owners of sqlite3 and sqlite3_stmt that turn return
// codes into Error. Only what the cache index needs.

#include "bantin/common/error.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

namespace bantin::media::sqlite {

class Statement {
public:
    Statement() = default;
    Statement(sqlite3* database, sqlite3_stmt* statement) : m_database(database), m_statement(statement) {}
    Statement(Statement&& other) noexcept
        : m_database(other.m_database), m_statement(std::exchange(other.m_statement, nullptr)) {}
    Statement& operator=(Statement&& other) noexcept {
        if (this != &other) {
            sqlite3_finalize(m_statement);
            m_database = other.m_database;
            m_statement = std::exchange(other.m_statement, nullptr);
        }
        return *this;
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() { sqlite3_finalize(m_statement); }

    Statement& bind(int index, std::string_view text) {
        sqlite3_bind_text(m_statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind(int index, std::int64_t value) {
        sqlite3_bind_int64(m_statement, index, value);
        return *this;
    }

    // true: a row is available; false: done.
    Result<bool> step() {
        const int code = sqlite3_step(m_statement);
        if (code == SQLITE_ROW) {
            return true;
        }
        if (code == SQLITE_DONE) {
            return false;
        }
        return fail(Errc::Io, std::string{"sqlite: "} + sqlite3_errmsg(m_database));
    }
    Result<void> run() {
        auto stepped = step();
        if (!stepped) {
            return std::unexpected(stepped.error());
        }
        return {};
    }
    std::int64_t column_int(int index) const { return sqlite3_column_int64(m_statement, index); }
    std::string column_text(int index) const {
        const auto* text = sqlite3_column_text(m_statement, index);
        return text ? std::string{reinterpret_cast<const char*>(text)} : std::string{};
    }

private:
    sqlite3* m_database = nullptr;
    sqlite3_stmt* m_statement = nullptr;
};

class Database {
public:
    static Result<Database> open(const std::filesystem::path& path) {
        sqlite3* handle = nullptr;
        const int code = sqlite3_open_v2(
            path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        Database database{handle};
        if (code != SQLITE_OK) {
            return fail(Errc::Io, "cannot open " + path.string() + ": " +
                                      (handle ? sqlite3_errmsg(handle) : sqlite3_errstr(code)));
        }
        sqlite3_busy_timeout(handle, 5000);
        return database;
    }
    Database(Database&& other) noexcept : m_handle(std::exchange(other.m_handle, nullptr)) {}
    Database& operator=(Database&& other) noexcept {
        if (this != &other) {
            sqlite3_close_v2(m_handle);
            m_handle = std::exchange(other.m_handle, nullptr);
        }
        return *this;
    }
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database() { sqlite3_close_v2(m_handle); }

    Result<void> execute(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(m_handle, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            std::string detail = std::string{"sqlite: "} + (message ? message : "unknown error");
            sqlite3_free(message);
            return fail(Errc::Io, std::move(detail));
        }
        return {};
    }
    Result<Statement> prepare(std::string_view sql) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(m_handle, sql.data(), static_cast<int>(sql.size()), &statement, nullptr) !=
            SQLITE_OK) {
            return fail(Errc::Io, std::string{"sqlite: "} + sqlite3_errmsg(m_handle));
        }
        return Statement{m_handle, statement};
    }

private:
    explicit Database(sqlite3* handle) : m_handle(handle) {}
    sqlite3* m_handle = nullptr;
};

}  // namespace bantin::media::sqlite
