#include "bantin/common/time.hpp"

#include <catch2/catch.hpp>

using namespace bantin;

TEST_CASE("UTC text round-trips with milliseconds", "[time]") {
    const TimePoint t = from_unix_ms(1'795'737'600'123);
    const std::string text = format_utc(t);
    CHECK(text == "2026-11-27T00:00:00.123Z");
    auto parsed = parse_utc(text);
    REQUIRE(parsed);
    CHECK(*parsed == t);
}

TEST_CASE("UTC text without fraction parses", "[time]") {
    auto parsed = parse_utc("2026-11-27T06:00:00Z");
    REQUIRE(parsed);
    CHECK(to_unix_ms(*parsed) == 1'795'737'600'000 + 6 * 3'600'000);
}

TEST_CASE("UTC text with an offset or garbage is refused", "[time]") {
    CHECK_FALSE(parse_utc("2026-11-27T06:00:00+07:00"));
    CHECK_FALSE(parse_utc("yesterday"));
    CHECK_FALSE(parse_utc("2026-11-27T06:00:00Zjunk"));
    auto bad = parse_utc("nope");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::InvalidInput);
}
