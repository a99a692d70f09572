#include "bantin/controller/auth.hpp"

#include "bantin/controller/record_json.hpp"
#include "bantin/controller/roles.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdlib>

namespace bantin::controller {

namespace {

constexpr std::string_view wrong_credentials = "wrong user name or password";

std::string random_token() {
    std::array<unsigned char, 32> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    std::array<char, 64> text{};
    sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return std::string{text.data()};
}

std::string seconds_text(Duration duration) {
    auto seconds = std::chrono::ceil<std::chrono::seconds>(duration).count();
    return std::to_string(seconds) + " s";
}

AuditEntry audit_user_change(const std::optional<User>& actor, std::string action,
                             const std::optional<User>& before, const User& after, TimePoint at) {
    AuditEntry entry;
    if (actor) {
        entry.user = actor->id;
        entry.user_name = actor->name;
    } else {
        entry.user_name = "system";
    }
    entry.at = at;
    entry.action = std::move(action);
    entry.entity_type = "user";
    entry.entity_id = std::to_string(after.id);
    if (before)
        entry.before = to_json(*before).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    entry.after = to_json(after).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return entry;
}

}  // namespace

// ---- passwords ----

PasswordCost PasswordCost::interactive() {
    return PasswordCost{crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordCost PasswordCost::minimum() {
    return PasswordCost{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

PasswordHasher::PasswordHasher(PasswordCost cost) : m_cost(cost) {
    // sodium_init is idempotent and thread-safe; it fails only without a source of randomness.
    if (sodium_init() < 0)
        std::abort();
}

Result<std::string> PasswordHasher::hash(std::string_view password) const {
    std::array<char, crypto_pwhash_STRBYTES> text{};
    if (crypto_pwhash_str_alg(text.data(), password.data(), password.size(), m_cost.operations,
                              m_cost.memory_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return fail(Errc::Crypto, "password hashing ran out of memory");
    }
    return std::string{text.data()};
}

bool PasswordHasher::verify(std::string_view hash, std::string_view password) const {
    std::string text{hash};  // crypto_pwhash_str_verify needs a terminated string
    return crypto_pwhash_str_verify(text.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHasher::needs_rehash(std::string_view hash) const {
    std::string text{hash};
    return crypto_pwhash_str_needs_rehash(text.c_str(), m_cost.operations, m_cost.memory_bytes) != 0;
}

Result<void> check_password_rules(std::string_view password) {
    if (password.size() < 10)
        return fail(Errc::InvalidInput, "password: at least 10 characters are needed");
    if (password.size() > 1024)
        return fail(Errc::InvalidInput, "password: at most 1024 bytes");
    return {};
}

Result<void> check_user_name(std::string_view name) {
    if (name.empty() || name.size() > 64)
        return fail(Errc::InvalidInput, "user name: 1 to 64 characters");
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok)
            return fail(Errc::InvalidInput,
                        "user name \"" + std::string{name} + "\": only letters, digits, . _ -");
    }
    return {};
}

// ---- Auth ----

Auth::Auth(Store& store, const Clock& clock, AuthPolicy policy)
    : m_store(store), m_clock(clock), m_policy(policy), m_hasher(policy.cost) {
    auto dummy = m_hasher.hash(random_token());
    assert(dummy && "hashing a random password cannot fail with sane costs");
    m_dummy_hash = dummy ? *dummy : std::string{};
}

std::string Auth::hash_token(std::string_view token) {
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(token.data()), token.size());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string{hex.data()};
}

std::expected<LoginSuccess, LoginError> Auth::login(std::string_view user_name, std::string_view password,
                                                    std::string_view source) {
    const TimePoint now = m_clock.wall();
    const TimePoint since = now - m_policy.failure_window;

    // 1. Refuse early while rate limited, before spending a hash on it.
    struct Counts {
        std::vector<TimePoint> user;
        std::vector<TimePoint> source;
    };
    auto counts = m_store.read_value<Counts>([&](StoreTransaction& transaction) -> Result<Counts> {
        auto by_user = transaction.failed_logins_for_user(user_name, since);
        if (!by_user)
            return std::unexpected(by_user.error());
        auto by_source = transaction.failed_logins_from_source(source, since);
        if (!by_source)
            return std::unexpected(by_source.error());
        return Counts{std::move(*by_user), std::move(*by_source)};
    });
    if (!counts)
        return std::unexpected(LoginError{counts.error(), std::nullopt});
    auto limited_until = [&](const std::vector<TimePoint>& failures, int limit) -> std::optional<TimePoint> {
        if (limit <= 0 || static_cast<int>(failures.size()) < limit)
            return std::nullopt;
        // The attempt that must leave the window before one more is allowed.
        return failures[failures.size() - static_cast<std::size_t>(limit)] + m_policy.failure_window;
    };
    std::optional<TimePoint> until = limited_until(counts->user, m_policy.max_failures_per_user);
    if (auto source_until = limited_until(counts->source, m_policy.max_failures_per_source)) {
        until = until ? std::max(*until, *source_until) : *source_until;
    }
    if (until && *until > now) {
        Duration retry = *until - now;
        return std::unexpected(LoginError{
            Error{Errc::Unauthenticated, "too many failed logins; try again in " + seconds_text(retry)},
            retry});
    }

    // 2. Check the password; unknown users cost the same hash as known ones.
    auto user = m_store.read_value<User>(
        [&](StoreTransaction& transaction) { return transaction.user_by_name(user_name); });
    if (!user && user.error().code != Errc::NotFound)
        return std::unexpected(LoginError{user.error(), std::nullopt});
    bool verified = m_hasher.verify(user ? user->password_hash : m_dummy_hash, password);
    bool succeeded = user && verified && !user->disabled;

    // 3. Record the attempt; on success open the session (and upgrade an old hash) in the same transaction.
    LoginSuccess success;
    std::optional<std::string> rehashed;
    if (succeeded && m_hasher.needs_rehash(user->password_hash)) {
        if (auto fresh = m_hasher.hash(password))
            rehashed = *fresh;
    }
    auto recorded = m_store.write([&](StoreTransaction& transaction) -> Result<void> {
        auto attempt = transaction.insert_login_attempt(
            LoginAttempt{std::string{user_name}, std::string{source}, now, succeeded});
        if (!attempt)
            return attempt;
        if (!succeeded)
            return {};
        if (rehashed) {
            User updated = *user;
            updated.password_hash = *rehashed;
            if (auto stored = transaction.update_user(updated); !stored)
                return stored;
        }
        success.user = *user;
        success.token = random_token();
        success.csrf_token = random_token();
        success.expires = now + m_policy.session_lifetime;
        return transaction.insert_session(
            SessionRecord{hash_token(success.token), user->id, now, success.expires, success.csrf_token});
    });
    if (!recorded)
        return std::unexpected(LoginError{recorded.error(), std::nullopt});
    if (!succeeded)
        return std::unexpected(
            LoginError{Error{Errc::Unauthenticated, std::string{wrong_credentials}}, std::nullopt});
    return success;
}

Result<Authenticated> Auth::authenticate(std::string_view token) {
    const TimePoint now = m_clock.wall();
    auto found =
        m_store.read_value<Authenticated>([&](StoreTransaction& transaction) -> Result<Authenticated> {
            auto session = transaction.session_by_token_hash(hash_token(token));
            if (!session)
                return std::unexpected(session.error());
            auto user = transaction.user_by_id(session->user);
            if (!user)
                return std::unexpected(user.error());
            return Authenticated{std::move(*user), std::move(*session)};
        });
    if (!found) {
        if (found.error().code == Errc::NotFound)
            return fail(Errc::Unauthenticated, "no such session");
        return std::unexpected(found.error());
    }
    if (found->session.expires <= now)
        return fail(Errc::Unauthenticated, "the session has expired");
    if (found->user.disabled)
        return fail(Errc::Unauthenticated, "the user is disabled");
    return found;
}

Result<void> Auth::check_csrf(const SessionRecord& session, std::string_view presented) const {
    const std::string& expected = session.csrf_token;
    if (presented.size() != expected.size() || expected.empty() ||
        sodium_memcmp(presented.data(), expected.data(), expected.size()) != 0) {
        return fail(Errc::PermissionDenied, "missing or wrong CSRF token");
    }
    return {};
}

Result<void> Auth::logout(std::string_view token) {
    return m_store.write(
        [&](StoreTransaction& transaction) { return transaction.delete_session(hash_token(token)); });
}

Result<std::int64_t> Auth::prune() {
    const TimePoint now = m_clock.wall();
    return m_store.write_value<std::int64_t>([&](StoreTransaction& transaction) -> Result<std::int64_t> {
        auto sessions = transaction.delete_sessions_expired_by(now);
        if (!sessions)
            return sessions;
        auto attempts = transaction.delete_login_attempts_before(
            now - std::max<Duration>(m_policy.failure_window, std::chrono::hours{24}));
        if (!attempts)
            return attempts;
        return *sessions + *attempts;
    });
}

Result<User> Auth::create_first_admin(std::string_view name, std::string_view display_name,
                                      std::string_view password) {
    if (auto ok = check_user_name(name); !ok)
        return std::unexpected(ok.error());
    if (auto ok = check_password_rules(password); !ok)
        return std::unexpected(ok.error());
    auto hash = m_hasher.hash(password);
    if (!hash)
        return std::unexpected(hash.error());
    const TimePoint now = m_clock.wall();
    return m_store.write_value<User>([&](StoreTransaction& transaction) -> Result<User> {
        auto admins = transaction.count_users_with_role(Role::Admin);
        if (!admins)
            return std::unexpected(admins.error());
        if (*admins > 0)
            return fail(Errc::Conflict, "an admin already exists; sign in as an admin to add users");
        auto user = transaction.insert_user(
            User{0, std::string{name}, std::string{display_name}, Role::Admin, *hash, false, now});
        if (!user)
            return user;
        auto audited = transaction.append_audit(
            audit_user_change(std::nullopt, "user.create-first-admin", std::nullopt, *user, now));
        if (!audited)
            return std::unexpected(audited.error());
        return user;
    });
}

Result<User> Auth::create_user(const User& actor, std::string_view name, std::string_view display_name,
                               Role role, std::string_view password) {
    if (auto ok = require(actor, Action::ManageUsers); !ok)
        return std::unexpected(ok.error());
    if (auto ok = check_user_name(name); !ok)
        return std::unexpected(ok.error());
    if (auto ok = check_password_rules(password); !ok)
        return std::unexpected(ok.error());
    auto hash = m_hasher.hash(password);
    if (!hash)
        return std::unexpected(hash.error());
    const TimePoint now = m_clock.wall();
    return m_store.write_value<User>([&](StoreTransaction& transaction) -> Result<User> {
        auto user = transaction.insert_user(
            User{0, std::string{name}, std::string{display_name}, role, *hash, false, now});
        if (!user)
            return user;
        auto audited =
            transaction.append_audit(audit_user_change(actor, "user.create", std::nullopt, *user, now));
        if (!audited)
            return std::unexpected(audited.error());
        return user;
    });
}

Result<User> Auth::set_role(const User& actor, UserId id, Role role) {
    if (auto ok = require(actor, Action::ManageUsers); !ok)
        return std::unexpected(ok.error());
    const TimePoint now = m_clock.wall();
    return m_store.write_value<User>([&](StoreTransaction& transaction) -> Result<User> {
        auto before = transaction.user_by_id(id);
        if (!before)
            return before;
        if (before->role == Role::Admin && role != Role::Admin) {
            auto admins = transaction.count_users_with_role(Role::Admin);
            if (!admins)
                return std::unexpected(admins.error());
            if (*admins <= 1)
                return fail(Errc::Conflict, "user \"" + before->name + "\" is the last admin");
        }
        User after = *before;
        after.role = role;
        if (auto stored = transaction.update_user(after); !stored)
            return std::unexpected(stored.error());
        auto audited =
            transaction.append_audit(audit_user_change(actor, "user.set-role", *before, after, now));
        if (!audited)
            return std::unexpected(audited.error());
        return after;
    });
}

Result<User> Auth::set_disabled(const User& actor, UserId id, Disabled disabled) {
    if (auto ok = require(actor, Action::ManageUsers); !ok)
        return std::unexpected(ok.error());
    if (actor.id == id && disabled == Disabled::Yes) {
        return fail(Errc::Conflict, "an admin cannot disable their own account");
    }
    const TimePoint now = m_clock.wall();
    return m_store.write_value<User>([&](StoreTransaction& transaction) -> Result<User> {
        auto before = transaction.user_by_id(id);
        if (!before)
            return before;
        User after = *before;
        after.disabled = disabled == Disabled::Yes;
        if (auto stored = transaction.update_user(after); !stored)
            return std::unexpected(stored.error());
        if (after.disabled) {
            if (auto ended = transaction.delete_sessions_of_user(id); !ended)
                return std::unexpected(ended.error());
        }
        auto audited = transaction.append_audit(
            audit_user_change(actor, after.disabled ? "user.disable" : "user.enable", *before, after, now));
        if (!audited)
            return std::unexpected(audited.error());
        return after;
    });
}

Result<void> Auth::change_password(const User& actor, UserId id, std::string_view current_password,
                                   std::string_view new_password) {
    const bool own = actor.id == id;
    if (!own) {
        if (auto ok = require(actor, Action::ManageUsers); !ok)
            return ok;
    } else if (actor.disabled) {
        return fail(Errc::PermissionDenied, "user \"" + actor.name + "\" is disabled");
    }
    if (auto ok = check_password_rules(new_password); !ok)
        return ok;
    auto stored_user =
        m_store.read_value<User>([&](StoreTransaction& transaction) { return transaction.user_by_id(id); });
    if (!stored_user)
        return std::unexpected(stored_user.error());
    if (own && !m_hasher.verify(stored_user->password_hash, current_password)) {
        return fail(Errc::Unauthenticated, "the current password is wrong");
    }
    auto hash = m_hasher.hash(new_password);
    if (!hash)
        return std::unexpected(hash.error());
    const TimePoint now = m_clock.wall();
    return m_store.write([&](StoreTransaction& transaction) -> Result<void> {
        auto before = transaction.user_by_id(id);
        if (!before)
            return std::unexpected(before.error());
        User after = *before;
        after.password_hash = *hash;
        if (auto updated = transaction.update_user(after); !updated)
            return updated;
        if (auto ended = transaction.delete_sessions_of_user(id); !ended)
            return std::unexpected(ended.error());
        // The audit row shows that the password changed, never a hash.
        auto audited =
            transaction.append_audit(audit_user_change(actor, "user.change-password", *before, after, now));
        if (!audited)
            return std::unexpected(audited.error());
        return {};
    });
}

}  // namespace bantin::controller
