// The sample files in config/ and docs/config.md stay true to the schema.

#include "bantin/config/controller_config.hpp"
#include "bantin/config/player_config.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace bantin::config;

namespace {

const std::filesystem::path source_dir = BANTIN_SOURCE_DIR;

std::string read_text(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("the sample controller.toml loads cleanly", "[config][samples]") {
    auto config = load_controller_config(source_dir / "config/controller.toml");
    INFO((config ? std::string() : config.error().detail));
    REQUIRE(config);
    CHECK(config->broker.tls.enabled);
    CHECK(config->cap.geocodes.size() == 3);
    CHECK(config->tts.voice == "vi-vn-x-south");
}

TEST_CASE("the sample player.toml loads cleanly", "[config][samples]") {
    auto config = load_player_config(source_dir / "config/player.toml");
    INFO((config ? std::string() : config.error().detail));
    REQUIRE(config);
    CHECK(config->provisioning_file == std::filesystem::path("/etc/bantin/provisioning.json"));
    CHECK(config->safety.quiet_hours.size() == 1);
}

TEST_CASE("docs/config.md describes every controller and player key", "[config][docs]") {
    const std::string docs = read_text(source_dir / "docs/config.md");
    REQUIRE_FALSE(docs.empty());
    for (const auto& key : controller_config_keys()) {
        INFO("controller key " << key);
        CHECK(docs.find("`" + key + "`") != std::string::npos);
    }
    for (const auto& key : player_config_keys()) {
        INFO("player key " << key);
        CHECK(docs.find("`" + key + "`") != std::string::npos);
    }
}
