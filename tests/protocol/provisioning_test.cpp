#include "bantin/protocol/provisioning.hpp"
#include "protocol/sample_messages.hpp"
#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <filesystem>
#include <functional>

using namespace bantin;
using namespace bantin::protocol;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Provisioning sample() {
    Provisioning provisioning;
    provisioning.device = samples::device;
    provisioning.zone = samples::zone;
    provisioning.mqtt.host = "mqtt.bantin.example";
    provisioning.mqtt.port = 8883;
    provisioning.mqtt.username = samples::device;
    provisioning.mqtt.password = "s3cret-Pa55";
    provisioning.mqtt.tls_ca_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    provisioning.controller_keys = {trusted_key(samples::controller_key().public_key),
                                    trusted_key(samples::other_key().public_key)};
    return provisioning;
}

using bantin::testing::TemporaryDirectory;

}  // namespace

TEST_CASE("provisioning round trips through its JSON form", "[protocol][provisioning]") {
    auto decoded = decode_provisioning(encode(sample()));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == sample());
}

TEST_CASE("provisioning without TLS round trips", "[protocol][provisioning]") {
    auto plain = sample();
    plain.mqtt.tls_ca_pem.reset();
    plain.mqtt.port = 1883;
    auto decoded = decode_provisioning(encode(plain));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == plain);
}

TEST_CASE("provisioning file is written 0600 and loads back", "[protocol][provisioning][files]") {
    TemporaryDirectory directory;
    auto path = directory.path() / "provisioning.json";
    mode_t previous = ::umask(0);
    REQUIRE(write_provisioning_file(path, sample()).has_value());
    ::umask(previous);
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 07777) == 0600);
    auto loaded = load_provisioning_file(path);
    REQUIRE(loaded.has_value());
    CHECK(*loaded == sample());
}

TEST_CASE("a provisioning file others can read is refused", "[protocol][provisioning][files]") {
    TemporaryDirectory directory;
    auto path = directory.path() / "provisioning.json";
    REQUIRE(write_provisioning_file(path, sample()).has_value());
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
    auto loaded = load_provisioning_file(path);
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().code == Errc::PermissionDenied);
    CHECK_THAT(loaded.error().detail, Catch::Contains("chmod 600"));
}

TEST_CASE("every provisioning error names its field", "[protocol][provisioning]") {
    auto base = encode(sample());
    std::vector<std::pair<std::function<void(json&)>, std::string>> cases{
        {[](json& j) { j["v"] = 2; }, "provisioning.v"},
        {[](json& j) { j["device"] = "a/b"; }, "provisioning.device"},
        {[](json& j) { j.erase("zone"); }, "provisioning.zone: missing"},
        {[](json& j) { j["mqtt"]["host"] = ""; }, "provisioning.mqtt.host"},
        {[](json& j) { j["mqtt"]["port"] = 70000; }, "provisioning.mqtt.port"},
        {[](json& j) { j["mqtt"]["username"] = "has space"; }, "provisioning.mqtt.username"},
        {[](json& j) { j["mqtt"]["password"] = ""; }, "provisioning.mqtt.password"},
        {[](json& j) { j["mqtt"]["tls_ca_pem"] = "hello"; }, "provisioning.mqtt.tls_ca_pem"},
        {[](json& j) { j["controller_keys"] = json::array(); }, "provisioning.controller_keys"},
        {[](json& j) { j["controller_keys"][1]["kid"] = "0000000000000000"; },
         "provisioning.controller_keys[1].kid"},
        {[](json& j) { j["controller_keys"][0]["public_key"] = "AAAA"; },
         "provisioning.controller_keys[0].public_key"},
        {[](json& j) { j["mqtt"]["keepalive"] = 60; }, "provisioning.mqtt.keepalive: unknown field"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << ", expected " << cases[i].second);
        json document = json::parse(base);
        cases[i].first(document);
        auto decoded = decode_provisioning(document.dump());
        REQUIRE_FALSE(decoded.has_value());
        CHECK_THAT(decoded.error().detail, Catch::StartsWith(cases[i].second));
    }
}
