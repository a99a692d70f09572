#pragma once
// Users, passwords, sessions and login rate limiting.
//
// Passwords are stored only as libsodium argon2id strings (crypto_pwhash_str); there is no
// default password and no default user: the first admin is created explicitly
// (create_first_admin, used by `bantin-controller create-admin`), which refuses once any admin
// exists. A login gives a session: a random token (for the CLI's bearer header and the web
// cookie) of which the store keeps only a SHA-256 hash, an absolute expiry, and a CSRF token
// that the web UI must echo on every state-changing request. Failed logins are counted per
// user name and per source address inside a window; past the limit, login is refused with a
// retry-after even when the password is right.
//
// Lifecycle: construct over a Store and a Clock that outlive it. Threads: any thread (the
// store serialises). Errors: Unauthenticated for bad credentials or a bad/expired session
// (never saying which part was wrong), PermissionDenied for a missing role or CSRF token,
// InvalidInput for a weak password or a bad name, Conflict for a second first admin.
// Password hashing is deliberately slow (tens of ms with the interactive cost); call from a
// worker thread, not an event loop.

#include "bantin/common/clock.hpp"
#include "bantin/controller/records.hpp"
#include "bantin/controller/store.hpp"

#include <chrono>
#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace bantin::controller {

// argon2id cost. interactive() is libsodium's interactive level (64 MiB, 2 passes);
// minimum() is for tests only.
struct PasswordCost {
    unsigned long long operations = 0;
    std::size_t memory_bytes = 0;
    static PasswordCost interactive();
    static PasswordCost minimum();
};

class PasswordHasher {
public:
    explicit PasswordHasher(PasswordCost cost);
    Result<std::string> hash(std::string_view password) const;
    bool verify(std::string_view hash, std::string_view password) const;
    // True when the hash was made with another cost or algorithm; login then rehashes.
    bool needs_rehash(std::string_view hash) const;

private:
    PasswordCost m_cost;
};

// At least 10 characters and at most 1024 bytes; InvalidInput saying which.
Result<void> check_password_rules(std::string_view password);
// 1..64 characters from [A-Za-z0-9._-]; InvalidInput otherwise.
Result<void> check_user_name(std::string_view name);

struct AuthPolicy {
    Duration session_lifetime = std::chrono::hours{12};
    int max_failures_per_user = 5;
    int max_failures_per_source = 20;
    Duration failure_window = std::chrono::minutes{15};
    PasswordCost cost = PasswordCost::interactive();
};

struct LoginSuccess {
    User user;
    std::string token;       // give to the client once; only its hash is stored
    std::string csrf_token;  // the web UI sends it back in X-CSRF-Token
    TimePoint expires;
};

struct LoginError {
    Error error;
    std::optional<Duration> retry_after;  // set when refused for too many failures (HTTP 429)
};

struct Authenticated {
    User user;
    SessionRecord session;
};

enum class Disabled { No, Yes };

class Auth {
public:
    Auth(Store& store, const Clock& clock, AuthPolicy policy = {});

    std::expected<LoginSuccess, LoginError> login(std::string_view user_name, std::string_view password,
                                                  std::string_view source);
    // The session and its user for a token; Unauthenticated if unknown, expired or the user is disabled.
    Result<Authenticated> authenticate(std::string_view token);
    // PermissionDenied unless `presented` equals the session's CSRF token (constant time).
    Result<void> check_csrf(const SessionRecord& session, std::string_view presented) const;
    Result<void> logout(std::string_view token);
    // Removes expired sessions and login attempts older than a day; returns rows removed.
    Result<std::int64_t> prune();

    // Refuses (Conflict) if any admin exists. Audited as done by the system.
    Result<User> create_first_admin(std::string_view name, std::string_view display_name,
                                    std::string_view password);
    // Admins only. Audited.
    Result<User> create_user(const User& actor, std::string_view name, std::string_view display_name,
                             Role role, std::string_view password);
    Result<User> set_role(const User& actor, UserId user, Role role);
    // Disabling also ends the user's sessions. An admin cannot disable themself.
    Result<User> set_disabled(const User& actor, UserId user, Disabled disabled);
    // A user changes their own password (current password required) or an admin sets anyone's.
    // Ends all of the user's sessions: every client logs in again with the new password.
    Result<void> change_password(const User& actor, UserId user, std::string_view current_password,
                                 std::string_view new_password);

    // SHA-256 of a token, lowercase hex: the session key in the store.
    static std::string hash_token(std::string_view token);

private:
    Store& m_store;
    const Clock& m_clock;
    AuthPolicy m_policy;
    PasswordHasher m_hasher;
    std::string m_dummy_hash;  // verified against for unknown users, so timing does not tell
};

}  // namespace bantin::controller
