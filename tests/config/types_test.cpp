#include "bantin/config/types.hpp"
#include "bantin/config/player_config.hpp"

#include <catch2/catch.hpp>

using namespace bantin::config;

TEST_CASE("a daily window parses to minutes after midnight", "[config][window]") {
    auto window = parse_daily_window("06:30-11:45");
    REQUIRE(window);
    CHECK(window->start_minute == 6 * 60 + 30);
    CHECK(window->end_minute == 11 * 60 + 45);
}

TEST_CASE("a daily window may cross midnight and may end at 24:00", "[config][window]") {
    auto night = parse_daily_window("22:00-05:00");
    REQUIRE(night);
    CHECK(night->start_minute == 22 * 60);
    CHECK(night->end_minute == 5 * 60);
    auto whole_day = parse_daily_window("00:00-24:00");
    REQUIRE(whole_day);
    CHECK(whole_day->end_minute == 24 * 60);
}

TEST_CASE("malformed daily windows are refused with the text", "[config][window]") {
    for (const char* text : {"6:30-11:45", "06:30-11:60", "24:00-01:00", "06:30–11:45", "06:30 11:45",
                             "06:30-06:30", "", "ab:cd-ef:gh", "06:30-24:01"}) {
        INFO(text);
        auto window = parse_daily_window(text);
        REQUIRE_FALSE(window);
        CHECK(window.error().code == bantin::Errc::InvalidInput);
        CHECK(window.error().detail.find("HH:MM-HH:MM") != std::string::npos);
    }
}

TEST_CASE("a daily window prints as it parses", "[config][window]") {
    for (const char* text : {"00:00-24:00", "22:30-05:00", "09:05-09:06"}) {
        auto window = parse_daily_window(text);
        REQUIRE(window);
        CHECK(to_string(*window) == text);
    }
}

TEST_CASE("log levels use spdlog's names", "[config][enum]") {
    CHECK(to_string(LogLevel::Warn) == "warn");
    auto level = parse_log_level("critical");
    REQUIRE(level);
    CHECK(*level == LogLevel::Critical);
    auto wrong = parse_log_level("warning");
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().detail ==
          "log level \"warning\" is not one of \"trace\", \"debug\", \"info\", \"warn\", "
          "\"error\", \"critical\", \"off\"");
}

TEST_CASE("playback modes parse and print", "[config][enum]") {
    auto mode = parse_playback_mode("speaker");
    REQUIRE(mode);
    CHECK(*mode == PlaybackMode::Speaker);
    CHECK(to_string(PlaybackMode::Headless) == "headless");
    CHECK_FALSE(parse_playback_mode("Screen"));
}

TEST_CASE("relative paths resolve against their base, absolute and empty ones stay", "[config][path]") {
    CHECK(resolve_path("/var/lib/bantin", "media") == std::filesystem::path("/var/lib/bantin/media"));
    CHECK(resolve_path("/var/lib/bantin", "/srv/media") == std::filesystem::path("/srv/media"));
    CHECK(resolve_path("/var/lib/bantin", "").empty());
}
