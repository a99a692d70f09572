// The district bridge's connection block and the province-side bridge account (no broker;
// tests/controller/district_bridge_itest.cpp runs them on three real brokers).

#include "bantin/protocol/broker_config.hpp"
#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

using bantin::Errc;
using namespace bantin::protocol;

namespace {

constexpr const char* kBridgeTestHash =
    "$7$101$M1Q8OvxByDGpJE5E$ZTZgBDxPXE7/U+cgk0mnn8tqw70t8uXyT/"
    "mC0ot8fXqrREHusVpgndDLPuP9B9dktNO7VuSWE9PJOsolPxkGJQ==";

BridgeConnection north_connection() {
    BridgeConnection connection;
    connection.district = "huyen-bac";
    connection.remote_host = "127.0.0.1";
    connection.remote_port = 18830;
    connection.remote_password = "s3cret-bridge";
    return connection;
}

std::string whole_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

TEST_CASE("a district bridge block carries the topics down and up with QoS 1 and a stable session",
          "[broker][bridge]") {
    auto text = render_bridge_connection(north_connection());
    REQUIRE(text);
    for (const char* line :
         {"connection bridge-huyen-bac\n", "address 127.0.0.1:18830\n", "bridge_protocol_version mqttv50\n",
          "try_private true\n", "cleansession false\n", "local_cleansession false\n",
          "remote_clientid bridge-huyen-bac\n", "local_clientid bantin:bridge:huyen-bac\n",
          "remote_username bridge-huyen-bac\n", "remote_password s3cret-bridge\n", "restart_timeout 5 60\n",
          "notifications_local_only true\n", "topic bantin/v1/dev/+/bundle in 1\n",
          "topic bantin/v1/dev/+/cmd in 1\n", "topic bantin/v1/dev/+/ack in 1\n",
          "topic bantin/v1/alert/# in 1\n", "topic bantin/v1/live/# in 1\n",
          "topic bantin/v1/dev/+/status out 1\n", "topic bantin/v1/dev/+/pop out 1\n"}) {
        INFO(line);
        CHECK(text->find(line) != std::string::npos);
    }
    CHECK(text->find("bridge_cafile") == std::string::npos);
    // Nothing flows both ways: no topic is both in and out, so nothing loops.
    CHECK(text->find(" both 1\n") == std::string::npos);

    auto tls = north_connection();
    tls.tls =
        BridgeTls{"/etc/bantin/province-ca.pem", "/etc/bantin/district.pem", "/etc/bantin/district.key"};
    auto with_tls = render_bridge_connection(tls);
    REQUIRE(with_tls);
    CHECK(with_tls->find(
              "bridge_cafile /etc/bantin/province-ca.pem\nbridge_insecure false\n"
              "bridge_certfile /etc/bantin/district.pem\nbridge_keyfile /etc/bantin/district.key\n") !=
          std::string::npos);
}

TEST_CASE("a district bridge block refuses a name, host, password or timeout that would break the file",
          "[broker][bridge][hostile]") {
    for (const char* district : {"", "huyen/bac", "huyen+bac", "#", "huyen bac", "huyen\nconnection x"}) {
        auto connection = north_connection();
        connection.district = district;
        auto text = render_bridge_connection(connection);
        REQUIRE_FALSE(text);
        CHECK(text.error().code == Errc::InvalidInput);
    }
    auto bad_host = north_connection();
    bad_host.remote_host = "127.0.0.1\ntopic # both 2";
    CHECK_FALSE(render_bridge_connection(bad_host));
    bad_host.remote_host = "";
    CHECK_FALSE(render_bridge_connection(bad_host));
    auto bad_password = north_connection();
    bad_password.remote_password = "x\ntopic # both 2";
    auto refused = render_bridge_connection(bad_password);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().detail.find("mật khẩu") == 0);
    bad_password.remote_password = "";
    CHECK_FALSE(render_bridge_connection(bad_password));
    auto bad_port = north_connection();
    bad_port.remote_port = 0;
    CHECK_FALSE(render_bridge_connection(bad_port));
    auto bad_timeout = north_connection();
    bad_timeout.restart_base_s = 90;
    CHECK_FALSE(render_bridge_connection(bad_timeout));
}

TEST_CASE("a bridge account on the province names only its district's devices and zones",
          "[broker][bridge]") {
    BrokerAccounts accounts;
    accounts.controller.password_hash = kBridgeTestHash;
    accounts.devices = {{"dev-n1", kBridgeTestHash, {"zone-n"}}, {"dev-s1", kBridgeTestHash, {"zone-s"}}};
    accounts.bridges = {{"bridge-north", kBridgeTestHash, {"zone-n"}, {"dev-n1"}}};
    auto acl = render_acl_file(accounts);
    REQUIRE(acl);
    const auto block = acl->substr(acl->find("user bridge-north"));
    CHECK(block ==
          "user bridge-north\n"
          "topic read bantin/v1/alert/all\n"
          "topic read bantin/v1/alert/zone/zone-n\n"
          "topic read bantin/v1/live/zone/zone-n\n"
          "topic readwrite bantin/v1/dev/dev-n1/#\n");
    CHECK(block.find("dev-s1") == std::string::npos);
    auto passwd = render_password_file(accounts);
    REQUIRE(passwd);
    CHECK(passwd->find(std::string("bridge-north:") + kBridgeTestHash + "\n") != std::string::npos);

    // A bridge may not take a device's name, nor carry a name that is not one topic level.
    accounts.bridges = {{"dev-s1", kBridgeTestHash, {"zone-n"}, {}}};
    CHECK_FALSE(render_acl_file(accounts));
    accounts.bridges = {{"bridge-x", kBridgeTestHash, {"zone/#"}, {}}};
    CHECK_FALSE(render_acl_file(accounts));
    accounts.bridges = {{"bridge-x", kBridgeTestHash, {"zone-n"}, {"dev-+"}}};
    CHECK_FALSE(render_acl_file(accounts));
    accounts.bridges = {{"bridge-x", "plain", {"zone-n"}, {}}};
    CHECK_FALSE(render_password_file(accounts));
}

TEST_CASE("a district broker has no controller account and keeps its bridge password owner-only",
          "[broker][bridge][files]") {
    bantin::testing::TemporaryDirectory directory;
    BrokerConfig config;
    config.directory = directory.path();
    config.port = 18831;
    config.max_queued_messages = district_max_queued_messages(2);
    config.max_queued_bytes = district_max_queued_bytes;
    config.bridge = north_connection();
    BrokerAccounts accounts;
    accounts.controller.username.clear();
    accounts.devices = {{"dev-n1", kBridgeTestHash, {"zone-n"}}, {"dev-n2", kBridgeTestHash, {"zone-n"}}};
    auto files = write_broker_files(config, accounts);
    REQUIRE(files);
    const std::string conf = whole_file(files->config_file);
    CHECK(conf.find("max_queued_messages 1000\n") != std::string::npos);
    CHECK(conf.find("max_queued_bytes 268435456\n") != std::string::npos);
    CHECK(conf.find("connection bridge-huyen-bac\n") != std::string::npos);
    struct stat info {};
    REQUIRE(::stat(files->config_file.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    const std::string passwd = whole_file(files->password_file);
    CHECK(passwd.find("controller") == std::string::npos);
    CHECK(passwd.find("dev-n1:") == 0);
    const std::string acl = whole_file(files->acl_file);
    CHECK(acl.find("user controller") == std::string::npos);
    CHECK(acl.find("topic readwrite") == std::string::npos);
    CHECK(district_max_queued_messages(500) == 500 * district_queued_messages_per_device);

    // A bridge that cannot be rendered writes nothing.
    config.bridge->remote_password = "two\nlines";
    bantin::testing::TemporaryDirectory other;
    config.directory = other.path();
    CHECK_FALSE(write_broker_files(config, accounts));
    CHECK_FALSE(std::filesystem::exists(other.path() / "mosquitto.conf"));
}
