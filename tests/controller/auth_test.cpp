#include "bantin/controller/auth.hpp"
#include "bantin/controller/roles.hpp"

#include "store_fixture.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::StoreFixture;

namespace {

struct AuthFixture : StoreFixture {
    AuthFixture() {
        auto created = auth.create_first_admin("admin", "Quản trị", "correct horse battery");
        if (!created)
            FAIL(created.error().message());
        admin = *created;
    }
    Auth auth{*store, clock, bantin::testing::cheap_auth_policy()};
    User admin;
};

}  // namespace

TEST_CASE("passwords are stored as argon2id hashes that verify", "[controller][auth][password]") {
    PasswordHasher hasher{PasswordCost::minimum()};
    auto hash = hasher.hash("một mật khẩu dài");
    REQUIRE(hash);
    CHECK(hash->rfind("$argon2id$", 0) == 0);
    CHECK(hasher.verify(*hash, "một mật khẩu dài"));
    CHECK_FALSE(hasher.verify(*hash, "một mật khẩu dàI"));
    CHECK_FALSE(hasher.needs_rehash(*hash));
    CHECK(PasswordHasher{PasswordCost::interactive()}.needs_rehash(*hash));
}

TEST_CASE("short passwords and odd user names are refused", "[controller][auth][password]") {
    CHECK(check_password_rules("short").error().code == Errc::InvalidInput);
    CHECK(check_password_rules(std::string(2000, 'x')).error().code == Errc::InvalidInput);
    CHECK(check_password_rules("long enough!"));
    CHECK_FALSE(check_user_name(""));
    CHECK_FALSE(check_user_name("a b"));
    CHECK_FALSE(check_user_name("../root"));
    CHECK(check_user_name("lan.nguyen_2"));
}

TEST_CASE("the first admin can be created only once", "[controller][auth][first-admin]") {
    AuthFixture fixture;
    CHECK(fixture.admin.role == Role::Admin);
    auto second = fixture.auth.create_first_admin("other", "Other", "another long password");
    REQUIRE_FALSE(second);
    CHECK(second.error().code == Errc::Conflict);
    CHECK_THAT(second.error().detail, Catch::Contains("an admin already exists"));

    auto audit = fixture.store->read_value<std::vector<AuditEntry>>([](StoreTransaction& transaction) {
        return transaction.list_audit({"user", "", std::nullopt}, {});
    });
    REQUIRE(audit);
    REQUIRE(audit->size() == 1);
    CHECK(audit->at(0).action == "user.create-first-admin");
    CHECK(audit->at(0).user_name == "system");
    CHECK(audit->at(0).after.find("argon2id") == std::string::npos);  // no hash in the audit log
}

TEST_CASE("a fresh store has no user at all, so nobody can log in", "[controller][auth][first-admin]") {
    StoreFixture fixture;
    Auth auth{*fixture.store, fixture.clock, bantin::testing::cheap_auth_policy()};
    for (const char* name : {"admin", "root", "bantin"}) {
        for (const char* password : {"admin", "password", "bantin", ""}) {
            auto login = auth.login(name, password, "10.0.0.1");
            CHECK_FALSE(login);
        }
    }
}

TEST_CASE("login gives a session found by its token, stored only as a hash", "[controller][auth][session]") {
    AuthFixture fixture;
    auto login = fixture.auth.login("ADMIN", "correct horse battery", "10.0.0.1");
    REQUIRE(login);
    CHECK(login->user.id == fixture.admin.id);
    CHECK(login->token.size() >= 43);
    CHECK(login->csrf_token != login->token);
    CHECK(login->expires == fixture.clock.wall() + std::chrono::hours{12});

    auto session = fixture.auth.authenticate(login->token);
    REQUIRE(session);
    CHECK(session->user.name == "admin");
    CHECK(session->session.token_hash == Auth::hash_token(login->token));
    CHECK(session->session.token_hash != login->token);

    auto database = fixture.raw_connection();
    auto raw = database->prepare("SELECT count(*) FROM sessions WHERE token_hash = ?");
    REQUIRE(raw);
    raw->bind(1, login->token);
    REQUIRE(raw->fetch_one().value());
    CHECK(raw->column_int(0) == 0);
}

TEST_CASE("a wrong password or unknown user gets the same answer", "[controller][auth]") {
    AuthFixture fixture;
    auto wrong_password = fixture.auth.login("admin", "wrong password!", "10.0.0.1");
    auto unknown_user = fixture.auth.login("nobody", "correct horse battery", "10.0.0.1");
    REQUIRE_FALSE(wrong_password);
    REQUIRE_FALSE(unknown_user);
    CHECK(wrong_password.error().error.code == Errc::Unauthenticated);
    CHECK(wrong_password.error().error.detail == unknown_user.error().error.detail);
    CHECK_FALSE(wrong_password.error().retry_after.has_value());
}

TEST_CASE("sessions expire and end at logout", "[controller][auth][session]") {
    AuthFixture fixture;
    auto first = fixture.auth.login("admin", "correct horse battery", "10.0.0.1");
    auto second = fixture.auth.login("admin", "correct horse battery", "10.0.0.1");
    REQUIRE(first);
    REQUIRE(second);
    REQUIRE(fixture.auth.logout(first->token));
    CHECK(fixture.auth.authenticate(first->token).error().code == Errc::Unauthenticated);
    CHECK(fixture.auth.authenticate(second->token));

    fixture.clock.advance(std::chrono::hours{12});
    auto expired = fixture.auth.authenticate(second->token);
    REQUIRE_FALSE(expired);
    CHECK(expired.error().code == Errc::Unauthenticated);
    CHECK_THAT(expired.error().detail, Catch::Contains("expired"));
    CHECK(fixture.auth.prune().value() >= 1);
}

TEST_CASE("the CSRF token must match the session's", "[controller][auth][csrf]") {
    AuthFixture fixture;
    auto login = fixture.auth.login("admin", "correct horse battery", "10.0.0.1");
    REQUIRE(login);
    auto session = fixture.auth.authenticate(login->token);
    REQUIRE(session);
    CHECK(fixture.auth.check_csrf(session->session, login->csrf_token));
    CHECK(fixture.auth.check_csrf(session->session, "").error().code == Errc::PermissionDenied);
    std::string tampered = login->csrf_token;
    tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
    CHECK_FALSE(fixture.auth.check_csrf(session->session, tampered));
}

TEST_CASE("too many failures for a user are refused with a retry-after", "[controller][auth][rate-limit]") {
    AuthFixture fixture;
    for (int attempt = 0; attempt < 5; ++attempt) {
        // Different sources: the per-user limit must catch a distributed guess.
        CHECK_FALSE(fixture.auth.login("admin", "guess " + std::to_string(attempt),
                                       "10.0.0." + std::to_string(attempt)));
        fixture.clock.advance(std::chrono::seconds{10});
    }
    auto refused = fixture.auth.login("admin", "correct horse battery", "10.0.1.1");
    REQUIRE_FALSE(refused);
    REQUIRE(refused.error().retry_after.has_value());
    // The first failure leaves the 15-minute window 15 min after it; 50 s have passed since.
    CHECK(*refused.error().retry_after == std::chrono::minutes{15} - std::chrono::seconds{50});
    CHECK_THAT(refused.error().error.detail, Catch::Contains("too many failed logins"));

    fixture.clock.advance(*refused.error().retry_after);
    CHECK(fixture.auth.login("admin", "correct horse battery", "10.0.1.1"));
}

TEST_CASE("too many failures from one address are refused for every user", "[controller][auth][rate-limit]") {
    AuthFixture fixture;
    for (int attempt = 0; attempt < 20; ++attempt) {
        CHECK_FALSE(fixture.auth.login("user" + std::to_string(attempt), "guess guess", "203.0.113.9"));
    }
    auto refused = fixture.auth.login("admin", "correct horse battery", "203.0.113.9");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().retry_after.has_value());
    CHECK(fixture.auth.login("admin", "correct horse battery", "198.51.100.1"));
}

TEST_CASE("a successful login resets the per-user count", "[controller][auth][rate-limit]") {
    AuthFixture fixture;
    for (int round = 0; round < 3; ++round) {
        for (int attempt = 0; attempt < 4; ++attempt)
            CHECK_FALSE(fixture.auth.login("admin", "wrong one!", "10.0.0.1"));
        CHECK(fixture.auth.login("admin", "correct horse battery", "10.0.0.1"));
    }
}

TEST_CASE("admins manage users, others may not", "[controller][auth][users]") {
    AuthFixture fixture;
    auto editor = fixture.auth.create_user(fixture.admin, "lan", "Lan", Role::Editor, "editor password");
    REQUIRE(editor);
    auto by_editor = fixture.auth.create_user(*editor, "hoa", "Hoa", Role::Admin, "sneaky password");
    REQUIRE_FALSE(by_editor);
    CHECK(by_editor.error().code == Errc::PermissionDenied);

    auto duplicate = fixture.auth.create_user(fixture.admin, "LAN", "Lan 2", Role::Editor, "editor password");
    REQUIRE_FALSE(duplicate);
    CHECK(duplicate.error().code == Errc::AlreadyExists);

    auto approver = fixture.auth.set_role(fixture.admin, editor->id, Role::Approver);
    REQUIRE(approver);
    CHECK(approver->role == Role::Approver);

    auto last_admin = fixture.auth.set_role(fixture.admin, fixture.admin.id, Role::Editor);
    REQUIRE_FALSE(last_admin);
    CHECK(last_admin.error().code == Errc::Conflict);
}

TEST_CASE("disabling a user ends their sessions and blocks login", "[controller][auth][users]") {
    AuthFixture fixture;
    auto editor = fixture.auth.create_user(fixture.admin, "lan", "Lan", Role::Editor, "editor password");
    REQUIRE(editor);
    auto login = fixture.auth.login("lan", "editor password", "10.0.0.1");
    REQUIRE(login);
    REQUIRE(fixture.auth.set_disabled(fixture.admin, editor->id, Disabled::Yes));
    CHECK_FALSE(fixture.auth.authenticate(login->token));
    CHECK_FALSE(fixture.auth.login("lan", "editor password", "10.0.0.1"));
    CHECK(fixture.auth.set_disabled(fixture.admin, fixture.admin.id, Disabled::Yes).error().code ==
          Errc::Conflict);
}

TEST_CASE("changing a password needs the current one and ends sessions", "[controller][auth][users]") {
    AuthFixture fixture;
    auto login = fixture.auth.login("admin", "correct horse battery", "10.0.0.1");
    REQUIRE(login);
    auto wrong =
        fixture.auth.change_password(fixture.admin, fixture.admin.id, "not it at all", "a new long password");
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().code == Errc::Unauthenticated);
    REQUIRE(fixture.auth.change_password(fixture.admin, fixture.admin.id, "correct horse battery",
                                         "a new long password"));
    CHECK_FALSE(fixture.auth.authenticate(login->token));
    CHECK_FALSE(fixture.auth.login("admin", "correct horse battery", "10.0.0.1"));
    CHECK(fixture.auth.login("admin", "a new long password", "10.0.0.1"));
}

TEST_CASE("the role table", "[controller][roles]") {
    CHECK(allowed(Role::Editor, Action::EditContent));
    CHECK_FALSE(allowed(Role::Editor, Action::DecideContent));
    CHECK_FALSE(allowed(Role::Editor, Action::ManageAlerts));
    CHECK(allowed(Role::Approver, Action::DecideContent));
    CHECK_FALSE(allowed(Role::Approver, Action::EditContent));
    CHECK(allowed(Role::Operator, Action::ManageDevices));
    CHECK(allowed(Role::Operator, Action::ManageAlerts));
    CHECK_FALSE(allowed(Role::Operator, Action::EditContent));
    CHECK_FALSE(allowed(Role::Operator, Action::ManageUsers));
    for (auto action : {Action::Read, Action::EditContent, Action::DecideContent, Action::ArchiveContent,
                        Action::ManageDevices, Action::ManageAlerts, Action::ManageUsers}) {
        CHECK(allowed(Role::Admin, action));
    }
}
