// The store's people: users, sessions and login attempts.

#include "sql_transaction.hpp"

#include "names.hpp"

#include <utility>

namespace bantin::controller {

using namespace store_detail;

namespace {

constexpr std::string_view user_columns = "id, name, display_name, role, password_hash, disabled, created_at";

Result<User> read_user(const Statement& row) {
    Row column{row};
    User user;
    user.id = column.int64();
    user.name = column.text();
    user.display_name = column.text();
    auto role = parse_role(column.text());
    if (!role)
        return std::unexpected(stored_value_error(role.error(), "users", user.name));
    user.role = *role;
    user.password_hash = column.text();
    user.disabled = column.boolean();
    user.created = column.time();
    return user;
}

constexpr std::string_view session_columns = "token_hash, user_id, created_at, expires_at, csrf_token";

SessionRecord read_session(const Statement& row) {
    Row column{row};
    return SessionRecord{column.text(), column.int64(), column.time(), column.time(), column.text()};
}

}  // namespace

Result<User> SqlTransaction::insert_user(User user) {
    auto id = scalar(
        "INSERT INTO users (name, display_name, role, password_hash, disabled, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        user.name, user.display_name, to_string(user.role), user.password_hash, user.disabled, user.created);
    if (!id)
        return std::unexpected(on_duplicate(id.error(), "user \"" + user.name + "\""));
    user.id = *id;
    return user;
}

Result<User> SqlTransaction::user_by_id(UserId id) {
    return one<User>("SELECT " + std::string{user_columns} + " FROM users WHERE id = ?", read_user,
                     "user " + std::to_string(id), id);
}

Result<User> SqlTransaction::user_by_name(std::string_view name) {
    return one<User>("SELECT " + std::string{user_columns} + " FROM users WHERE name = ?", read_user,
                     "user \"" + std::string{name} + "\"", name);
}

Result<std::vector<User>> SqlTransaction::list_users(Page page) {
    return many<User>("SELECT " + std::string{user_columns} + " FROM users ORDER BY id LIMIT ? OFFSET ?",
                      read_user, page.limit, page.offset);
}

Result<void> SqlTransaction::update_user(const User& user) {
    BANTIN_STORE_TRY(
        run("UPDATE users SET display_name = ?, role = ?, password_hash = ?, disabled = ? "
            "WHERE id = ?",
            user.display_name, to_string(user.role), user.password_hash, user.disabled, user.id));
    return expect_changed("user " + std::to_string(user.id));
}

Result<std::int64_t> SqlTransaction::count_users_with_role(Role role) {
    return scalar("SELECT count(*) FROM users WHERE role = ?", to_string(role));
}

Result<void> SqlTransaction::insert_session(const SessionRecord& session) {
    auto ran =
        run("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, csrf_token) "
            "VALUES (?, ?, ?, ?, ?)",
            session.token_hash, session.user, session.created, session.expires, session.csrf_token);
    if (!ran)
        return std::unexpected(on_duplicate(ran.error(), "session"));
    return {};
}

Result<SessionRecord> SqlTransaction::session_by_token_hash(std::string_view token_hash) {
    return one<SessionRecord>(
        "SELECT " + std::string{session_columns} + " FROM sessions WHERE token_hash = ?",
        [](const Statement& row) -> Result<SessionRecord> { return read_session(row); }, "session",
        token_hash);
}

Result<void> SqlTransaction::delete_session(std::string_view token_hash) {
    return run("DELETE FROM sessions WHERE token_hash = ?", token_hash);
}

Result<std::int64_t> SqlTransaction::delete_sessions_of_user(UserId user) {
    BANTIN_STORE_TRY(run("DELETE FROM sessions WHERE user_id = ?", user));
    return m_database.changes();
}

Result<std::int64_t> SqlTransaction::delete_sessions_expired_by(TimePoint now) {
    BANTIN_STORE_TRY(run("DELETE FROM sessions WHERE expires_at <= ?", now));
    return m_database.changes();
}

Result<void> SqlTransaction::insert_login_attempt(const LoginAttempt& attempt) {
    return run("INSERT INTO login_attempts (user_name, source, at, succeeded) VALUES (?, ?, ?, ?)",
               attempt.user_name, attempt.source, attempt.at, attempt.succeeded);
}

Result<std::vector<TimePoint>> SqlTransaction::failed_logins_for_user(std::string_view user_name,
                                                                      TimePoint since) {
    return times(
        "SELECT at FROM login_attempts WHERE user_name = ?1 AND succeeded = 0 AND at >= ?2 "
        "AND id > coalesce((SELECT max(id) FROM login_attempts "
        "                   WHERE user_name = ?1 AND succeeded = 1), 0) ORDER BY at",
        user_name, since);
}

Result<std::vector<TimePoint>> SqlTransaction::failed_logins_from_source(std::string_view source,
                                                                         TimePoint since) {
    return times("SELECT at FROM login_attempts WHERE source = ? AND succeeded = 0 AND at >= ? ORDER BY at",
                 source, since);
}

Result<std::int64_t> SqlTransaction::delete_login_attempts_before(TimePoint before) {
    BANTIN_STORE_TRY(run("DELETE FROM login_attempts WHERE at < ?", before));
    return m_database.changes();
}

}  // namespace bantin::controller
