#include "bantin/config/startup.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <sstream>

using namespace bantin::config;

namespace {

// A file in a fresh temporary directory, removed with the object.
class TemporaryFile {
public:
    explicit TemporaryFile(std::string_view text) {
        std::random_device seed;
        m_dir = std::filesystem::temp_directory_path() / ("bantin-config-test-" + std::to_string(seed()));
        std::filesystem::create_directories(m_dir);
        m_path = m_dir / "test.toml";
        std::ofstream(m_path) << text;
    }
    ~TemporaryFile() {
        std::error_code ignored;
        std::filesystem::remove_all(m_dir, ignored);
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_dir;
    std::filesystem::path m_path;
};

}  // namespace

TEST_CASE("check-config of a valid file prints ok and returns 0", "[config][startup]") {
    TemporaryFile file("provisioning_file = \"/etc/p.json\"\n");
    std::ostringstream out;
    std::ostringstream err;
    CHECK(check_config_file(ConfigKind::Player, file.path(), out, err) == 0);
    CHECK(out.str() == file.path().string() + ": ok\n");
    CHECK(err.str().empty());
}

TEST_CASE("check-config of a bad file prints every error with its path and returns 1", "[config][startup]") {
    TemporaryFile file("[http]\nport = 0\n[log]\nlevel = \"x\"\n");
    std::ostringstream out;
    std::ostringstream err;
    CHECK(check_config_file(ConfigKind::Controller, file.path(), out, err) == 1);
    CHECK(out.str().empty());
    const std::string name = file.path().string();
    CHECK(err.str() ==
          name + ":2: http.port: must be a port number between 1 and 65535, got 0\n" + name +
              ":4: log.level: expected one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", "
              "\"critical\", \"off\", got \"x\"\n");
}

TEST_CASE("check-config of a missing file says so and returns 1", "[config][startup]") {
    std::ostringstream out;
    std::ostringstream err;
    const std::filesystem::path missing =
        std::filesystem::temp_directory_path() / "bantin-no-such-config.toml";
    CHECK(check_config_file(ConfigKind::Player, missing, out, err) == 1);
    CHECK(err.str() == missing.string() + ": cannot open: No such file or directory\n");
}

TEST_CASE("loading a missing file is NotFound", "[config][startup]") {
    auto config = load_controller_config("/nonexistent/bantin/controller.toml");
    REQUIRE_FALSE(config);
    CHECK(config.error().code == bantin::Errc::NotFound);
}

TEST_CASE("loading a directory is an Io error", "[config][startup]") {
    auto config = load_player_config(std::filesystem::temp_directory_path());
    REQUIRE_FALSE(config);
    CHECK(config.error().code == bantin::Errc::Io);
    CHECK(config.error().detail.ends_with(": cannot read: is a directory"));
}

TEST_CASE("start-up loading returns the config or the printable error", "[config][startup]") {
    TemporaryFile good("[http]\nport = 8181\n");
    auto config = load_controller_config_for_startup(good.path());
    REQUIRE(config);
    CHECK(config->http.port == 8181);

    TemporaryFile bad("[state]\n");
    auto player = load_player_config_for_startup(bad.path());
    REQUIRE_FALSE(player);
    CHECK(player.error() == bad.path().string() + ":1: provisioning_file: required key is missing");
}

TEST_CASE("the default config text is the rendered defaults", "[config][startup]") {
    CHECK(default_config_text(ConfigKind::Controller) == render_controller_config(ControllerConfig{}));
    CHECK(default_config_text(ConfigKind::Player) == render_player_config(PlayerConfig{}));
}
