// Where the web console is served from, and which files it serves with which type
// (docs/web.md). The HTTP side (headers, traversal attempts) is tests/web/console.test.mjs.
#include "bantin/controller/web_console.hpp"

#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::TemporaryDirectory;

namespace {

void make_console(const std::filesystem::path& directory) {
    std::filesystem::create_directories(directory);
    std::ofstream(directory / "index.html") << "<!doctype html>";
}

}  // namespace

TEST_CASE("web root: the configured web_root wins when it holds index.html", "[web]") {
    TemporaryDirectory temporary;
    make_console(temporary.path() / "console");
    config::ControllerConfig config;
    config.http.web_root = temporary.path() / "console";
    auto root = find_web_root(config, temporary.path() / "bin" / "bantin-controller");
    REQUIRE(root);
    CHECK(*root == temporary.path() / "console");
}

TEST_CASE("web root: a configured web_root without index.html is not served", "[web]") {
    TemporaryDirectory temporary;
    std::filesystem::create_directories(temporary.path() / "empty");
    make_console(temporary.path() / "web");  // would be found by the search, but the setting wins
    config::ControllerConfig config;
    config.http.web_root = temporary.path() / "empty";
    CHECK_FALSE(find_web_root(config, temporary.path() / "build" / "bantin-controller"));
}

TEST_CASE("web root: an installed prefix's share/bantin/web is found from bin/", "[web]") {
    TemporaryDirectory temporary;
    make_console(temporary.path() / "usr" / "share" / "bantin" / "web");
    auto root =
        find_web_root(config::ControllerConfig{}, temporary.path() / "usr" / "bin" / "bantin-controller");
    REQUIRE(root);
    CHECK(*root == temporary.path() / "usr" / "share" / "bantin" / "web");
}

TEST_CASE("web root: the source tree's web/ is found from a build directory below it", "[web]") {
    TemporaryDirectory temporary;
    make_console(temporary.path() / "web");
    auto root = find_web_root(config::ControllerConfig{},
                              temporary.path() / "build" / "release" / "apps" / "bantin-controller");
    REQUIRE(root);
    CHECK(*root == temporary.path() / "web");
}

TEST_CASE("web root: nothing is found without an index.html nearby", "[web]") {
    TemporaryDirectory temporary;
    std::filesystem::create_directories(temporary.path() / "web");  // no index.html
    CHECK_FALSE(find_web_root(config::ControllerConfig{}, temporary.path() / "apps" / "bantin-controller"));
    CHECK_FALSE(find_web_root(config::ControllerConfig{}, std::filesystem::path{}));
}

TEST_CASE("web content types: console files get UTF-8 text types, others none", "[web]") {
    CHECK(web_content_type("index.html") == "text/html; charset=utf-8");
    CHECK(web_content_type("app.js") == "text/javascript; charset=utf-8");
    CHECK(web_content_type("pages/fleet.mjs") == "text/javascript; charset=utf-8");
    CHECK(web_content_type("style.css") == "text/css; charset=utf-8");
    CHECK(web_content_type("logo.svg") == "image/svg+xml");
    CHECK(web_content_type("controller.toml").empty());
    CHECK(web_content_type("bantin.sqlite3").empty());
    CHECK(web_content_type(".js").empty());
    CHECK(web_content_type("index.html.bak").empty());
}
