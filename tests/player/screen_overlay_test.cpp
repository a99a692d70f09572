// The display-free parts of the header and ticker bands: the band heights, the header's date
// and clock, the ticker's position, the text a band takes.
#include "bantin/player/screen_overlay.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::player;

TEST_CASE("band heights are thousandths of the output and capped", "[player][bands]") {
    OverlayContent content;
    CHECK(bands_of(content, 1080).header == 0);
    content.header_permille = 100;
    content.ticker_permille = 80;
    CHECK(bands_of(content, 1080).header == 108);
    CHECK(bands_of(content, 1080).ticker == 0);  // no text: no ticker band
    content.ticker_text = "Tin nhanh";
    CHECK(bands_of(content, 1080).ticker == 86);
    CHECK(bands_of(content, 256).header == 25);
    content.header_permille = 999'999;
    content.ticker_permille = -5;
    CHECK(bands_of(content, 1000).header == max_band_permille);
    CHECK(bands_of(content, 1000).ticker == 0);
    CHECK_FALSE(content.ticker());
    CHECK(bands_of(content, 0).header == 0);
}

TEST_CASE("the header shows the Vietnamese date and a 24-hour clock in the device's zone",
          "[player][bands]") {
    // 2026-12-05 07:05:59 UTC is 14:05 on a Saturday in Ho Chi Minh City.
    const TimePoint wall = from_unix_ms(1'796'454'359'000);
    const HeaderTime shown = header_time(wall, "Asia/Ho_Chi_Minh");
    CHECK(shown.date == "Thứ Bảy, 05/12/2026");
    CHECK(shown.clock == "14:05");
    // Past midnight there it is Sunday already.
    const HeaderTime late = header_time(from_unix_ms(1'796'491'800'000), "Asia/Ho_Chi_Minh");
    CHECK(late.date == "Chủ Nhật, 06/12/2026");
    CHECK(late.clock == "00:30");
    // An unknown zone reads UTC rather than failing.
    const HeaderTime utc = header_time(wall, "Not/AZone");
    CHECK(utc.clock == "07:05");
    CHECK(utc.date == "Thứ Bảy, 05/12/2026");
}

TEST_CASE("the ticker enters at the right edge and moves left with time, not frames", "[player][bands]") {
    CHECK(ticker_x(Duration{0}, 1920, 3000, 120) == 1920);
    CHECK(ticker_x(Duration{1000}, 1920, 3000, 120) == 1800);
    CHECK(ticker_x(Duration{10'000}, 1920, 3000, 120) == 720);
    // The same instant gives the same place however many frames were drawn before it.
    CHECK(ticker_x(Duration{16'667}, 1920, 3000, 120) == ticker_x(Duration{16'667}, 1920, 3000, 120));
    // Once the whole line has left (1920 + 3000 px at 120 px/s = 41 s), it enters again.
    CHECK(ticker_x(Duration{41'000}, 1920, 3000, 120) == 1920);
    CHECK(ticker_x(Duration{42'000}, 1920, 3000, 120) == 1800);
    // Nonsense in, the edge out.
    CHECK(ticker_x(Duration{-5000}, 1920, 3000, 120) == 1920);
    CHECK(ticker_x(Duration{1000}, 1920, 3000, 0) == 1920);
    CHECK(ticker_x(Duration{1000}, 0, 0, 120) == 0);
}

TEST_CASE("a band's text is one line and cut at a character", "[player][bands]") {
    CHECK(band_text("một\ndòng\ttin\r", 100) == "một dòng tin ");
    CHECK(band_text(std::string("a\0b", 3), 100) == "a b");
    // "ộ" is three bytes: a cut inside it goes back to its start.
    const std::string cut = band_text("Thông báo một", 11);
    CHECK(cut == "Thông báo…");
    const std::string inside = band_text("ộộộ", 4);
    CHECK(inside == "ộ…");
    CHECK(band_text(std::string(100'000, 'x'), 10).size() == 10 + std::string("…").size());
}
