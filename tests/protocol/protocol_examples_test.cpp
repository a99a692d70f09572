// The examples in docs/protocol.md are these bytes. The test fails when the code and the page
// disagree; run it with BANTIN_PRINT_PROTOCOL_EXAMPLES=1 to print the current blocks.

#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/provisioning.hpp"
#include "protocol/sample_messages.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace bantin::protocol;

namespace {

struct Example {
    std::string name;
    std::string language;  // of the fenced block
    std::string bytes;
};

std::vector<Example> examples() {
    auto key = samples::controller_key();
    Provisioning provisioning;
    provisioning.device = samples::device;
    provisioning.zone = samples::zone;
    provisioning.mqtt.host = "mqtt.bantin.example";
    provisioning.mqtt.port = 8883;
    provisioning.mqtt.username = samples::device;
    provisioning.mqtt.password = "Xq7-example-password";
    provisioning.controller_keys = {trusted_key(key.public_key)};
    auto provisioning_text = encode(provisioning);
    provisioning_text.pop_back();  // the fence supplies the final newline
    auto pem = to_pem(key.public_key);
    pem.pop_back();
    return {
        {"controller public key", "text", pem},
        {"key id", "text", key_id(key.public_key)},
        {"bundle payload", "json", encode(samples::bundle())},
        {"bundle envelope", "json", seal(samples::bundle(), key.secret)},
        {"command payload", "json", encode(samples::command())},
        {"command envelope", "json", seal(samples::command(), key.secret)},
        {"alert payload", "json", encode(samples::alert())},
        {"alert cancel payload", "json", encode(samples::alert_cancel())},
        {"live start payload", "json", encode(samples::live_start())},
        {"live end payload", "json", encode(samples::live_end())},
        {"ack payload", "json", encode(samples::ack())},
        {"status payload", "json", encode(samples::status())},
        {"proof-of-play payload", "json", encode(samples::proof_of_play())},
        {"command reply payload", "json", encode(samples::command_reply())},
        {"provisioning file", "json", provisioning_text},
    };
}

std::string fenced(const Example& example) {
    return "```" + example.language + "\n" + example.bytes + "\n```";
}

std::string read_protocol_page() {
    auto page = std::filesystem::path(BANTIN_SOURCE_DIR) / "docs" / "protocol.md";
    std::ifstream in(page);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("docs/protocol.md shows every example message byte for byte", "[protocol][docs]") {
    if (std::getenv("BANTIN_PRINT_PROTOCOL_EXAMPLES") != nullptr) {
        for (const auto& example : examples())
            std::cout << "<!-- " << example.name << " -->\n" << fenced(example) << "\n\n";
    }
    auto page = read_protocol_page();
    REQUIRE_FALSE(page.empty());
    for (const auto& example : examples()) {
        INFO("example: " << example.name << "\n" << fenced(example));
        CHECK(page.find(fenced(example)) != std::string::npos);
    }
}

TEST_CASE("the documented examples decode and verify", "[protocol][docs]") {
    TrustedKeys keys{trusted_key(samples::controller_key().public_key)};
    auto bundle = verify_bundle(seal(samples::bundle(), samples::controller_key().secret), keys,
                                samples::device, 0, samples::now());
    REQUIRE(bundle.has_value());
    auto command = verify_command(seal(samples::command(), samples::controller_key().secret), keys,
                                  samples::device, SeenCommands{}, samples::now());
    REQUIRE(command.has_value());
}
