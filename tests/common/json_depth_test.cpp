#include "bantin/common/json_depth.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace bantin;

TEST_CASE("json depth pre-scan finds the first bracket past the limit", "[json][hostile]") {
    CHECK_FALSE(json_depth_problem(R"({"a":[1,{"b":[]}]})"));
    CHECK_FALSE(json_depth_problem(std::string(64, '[') + std::string(64, ']')));
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    auto problem = json_depth_problem(deep);
    REQUIRE(problem);
    CHECK(problem->offset == 64);
    CHECK(problem->message().find("64") != std::string::npos);
    auto objects = json_depth_problem(std::string(3, '{'), 2);
    REQUIRE(objects);
    CHECK(objects->offset == 2);
}

TEST_CASE("json depth pre-scan skips brackets inside strings and escapes", "[json][hostile]") {
    const std::string quoted = "{\"t\":\"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"}";
    CHECK_FALSE(json_depth_problem(quoted));
    // An escaped backslash ends before the quote: the string closes, the brackets count.
    const std::string after = "[\"\\\\\"" + std::string(70, '[');
    CHECK(json_depth_problem(after));
}
