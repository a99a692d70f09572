// Broker configuration text and password hashes (no broker; broker_acl_itest.cpp runs them).

#include "bantin/protocol/broker_config.hpp"

#include <catch2/catch.hpp>

#include <array>

using bantin::Errc;
using namespace bantin::protocol;

namespace {

// A line `mosquitto_passwd -b passwd dev-a secret` wrote (Mosquitto 2.0.11).
constexpr const char* kMosquittoPasswdHash =
    "$7$101$M1Q8OvxByDGpJE5E$ZTZgBDxPXE7/U+cgk0mnn8tqw70t8uXyT/mC0ot8fXqrREHusVpgndDLPuP9B9dktNO7VuSWE9PJOsolPxkGJQ==";

BrokerAccounts sample_accounts() {
    BrokerAccounts accounts;
    accounts.controller.password_hash = kMosquittoPasswdHash;
    accounts.devices = {DeviceAccount{"dev-a", kMosquittoPasswdHash, {"zone-north", "zone-east"}},
                        DeviceAccount{"dev-b", kMosquittoPasswdHash, {}}};
    return accounts;
}

}  // namespace

TEST_CASE("hash_broker_password reproduces a mosquitto_passwd hash from its salt", "[broker][password]") {
    const std::array<unsigned char, 12> salt = {0x33, 0x54, 0x3c, 0x3a, 0xfc, 0x41, 0xc8, 0x31, 0xa9, 0x24, 0x4e, 0x44};
    CHECK(hash_broker_password("secret", salt, 101) == kMosquittoPasswdHash);
}

TEST_CASE("verify_broker_password accepts the right password and refuses others", "[broker][password]") {
    auto right = verify_broker_password(kMosquittoPasswdHash, "secret");
    REQUIRE(right);
    CHECK(*right);
    auto wrong = verify_broker_password(kMosquittoPasswdHash, "Secret");
    REQUIRE(wrong);
    CHECK_FALSE(*wrong);
}

TEST_CASE("a fresh hash uses a random salt, 101 iterations and verifies", "[broker][password]") {
    auto first = hash_broker_password("correct horse");
    auto second = hash_broker_password("correct horse");
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->starts_with("$7$101$"));
    CHECK(*first != *second);
    auto verified = verify_broker_password(*first, "correct horse");
    REQUIRE(verified);
    CHECK(*verified);
}

TEST_CASE("verify_broker_password rejects hashes that are not $7$", "[broker][password]") {
    for (const char* bad : {"plain", "$6$abc$def", "$7$101$onlysalt", "$7$x$AAAA$BBBB", "$7$101$AAAA$c2hvcnQ="}) {
        auto result = verify_broker_password(bad, "secret");
        INFO(bad);
        REQUIRE_FALSE(result);
        CHECK(result.error().code == Errc::InvalidInput);
    }
}

TEST_CASE("the ACL grants devices their own topics by pattern and zones per user", "[broker][acl]") {
    auto acl = render_acl_file(sample_accounts());
    REQUIRE(acl);
    for (const char* line : {"pattern read bantin/v1/dev/%u/bundle\n", "pattern read bantin/v1/dev/%u/cmd\n",
                             "pattern read bantin/v1/dev/%u/ack\n", "pattern write bantin/v1/dev/%u/status\n",
                             "pattern write bantin/v1/dev/%u/pop\n",
                             "user controller\ntopic readwrite bantin/#\n",
                             "user dev-a\ntopic read bantin/v1/alert/all\n"
                             "topic read bantin/v1/alert/zone/zone-north\n"
                             "topic read bantin/v1/alert/zone/zone-east\n",
                             "user dev-b\ntopic read bantin/v1/alert/all\n"}) {
        INFO(line);
        CHECK_THAT(*acl, Catch::Contains(line));
    }
    CHECK_THAT(*acl, !Catch::Contains("readwrite bantin/v1/dev/%u"));
}

TEST_CASE("the password file has one line per account with a hash", "[broker][password]") {
    auto accounts = sample_accounts();
    accounts.devices.push_back(DeviceAccount{"dev-tls", "", {}});  // certificate-only
    auto text = render_password_file(accounts);
    REQUIRE(text);
    CHECK(*text == std::string("controller:") + kMosquittoPasswdHash + "\ndev-a:" + kMosquittoPasswdHash +
                       "\ndev-b:" + kMosquittoPasswdHash + "\n");
}

TEST_CASE("ids and zones that cannot be one topic level are refused, all at once", "[broker][validation]") {
    auto accounts = sample_accounts();
    accounts.devices.push_back(DeviceAccount{"dev/evil", kMosquittoPasswdHash, {"zone+"}});
    accounts.devices.push_back(DeviceAccount{"dev-a", kMosquittoPasswdHash, {}});
    accounts.devices.push_back(DeviceAccount{"controller", kMosquittoPasswdHash, {}});
    auto result = validate_accounts(accounts);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::InvalidInput);
    CHECK_THAT(result.error().detail, Catch::Contains("devices[2].device_id: 'dev/evil'"));
    CHECK_THAT(result.error().detail, Catch::Contains("devices[2].zones[0]: 'zone+'"));
    CHECK_THAT(result.error().detail, Catch::Contains("devices[3].device_id: 'dev-a' is used twice"));
    CHECK_THAT(result.error().detail, Catch::Contains("devices[4].device_id: 'controller' is used twice"));
    CHECK_FALSE(render_acl_file(accounts));
}

TEST_CASE("mosquitto.conf locks the broker down and enables the TLS listener when asked", "[broker][config]") {
    BrokerConfig config;
    config.directory = "/var/lib/bantin/broker";
    config.port = 1884;
    std::string text = render_mosquitto_conf(config);
    for (const char* line :
         {"listener 1884 127.0.0.1\n", "allow_anonymous false\n", "persistence true\n",
          "persistence_location /var/lib/bantin/broker/persistence/\n", "password_file /var/lib/bantin/broker/passwd\n",
          "acl_file /var/lib/bantin/broker/acl\n", "use_username_as_clientid true\n", "per_listener_settings false\n",
          "max_queued_messages 1000\n"}) {
        INFO(line);
        CHECK_THAT(text, Catch::Contains(line));
    }
    CHECK_THAT(text, !Catch::Contains("cafile"));

    config.tls = BrokerTlsListener{"0.0.0.0", 8883, "/etc/bantin/ca.pem", "/etc/bantin/broker.pem",
                                   "/etc/bantin/broker.key", ClientCertificate::Required};
    text = render_mosquitto_conf(config);
    for (const char* line : {"listener 8883 0.0.0.0\n", "cafile /etc/bantin/ca.pem\n", "certfile /etc/bantin/broker.pem\n",
                             "keyfile /etc/bantin/broker.key\n", "require_certificate true\n",
                             "use_identity_as_username true\n"}) {
        INFO(line);
        CHECK_THAT(text, Catch::Contains(line));
    }
}
