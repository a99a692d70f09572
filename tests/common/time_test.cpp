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

TEST_CASE("a calendar day round-trips as YYYY-MM-DD", "[time]") {
    using namespace std::chrono;
    CHECK(format_date(year_month_day{year{2026}, month{2}, day{3}}) == "2026-02-03");
    CHECK(format_date(year_month_day{year{999}, month{12}, day{31}}) == "0999-12-31");
    auto parsed = parse_date("2028-02-29");
    REQUIRE(parsed);
    CHECK(*parsed == year_month_day{year{2028}, month{2}, day{29}});
}

TEST_CASE("a date that is not YYYY-MM-DD or no real day is refused by name", "[time]") {
    for (const char* text :
         {"2026-2-03", "2026-02-03 ", "27/11/2026", "-202-01-01", "2026--1-01", "2026-+1-01", ""}) {
        auto parsed = parse_date(text);
        INFO(text);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code == Errc::InvalidInput);
        CHECK_THAT(parsed.error().detail, Catch::Contains("expected YYYY-MM-DD"));
    }
    auto no_day = parse_date("2026-02-30");
    REQUIRE_FALSE(no_day);
    CHECK(no_day.error().detail == "date \"2026-02-30\": no such day");
    CHECK_FALSE(parse_utc("-026-11-27T06:00:00Z"));
}
