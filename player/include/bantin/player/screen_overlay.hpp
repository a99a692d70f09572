#pragma once
// What a screen draws around and over the main picture (docs/player.md "Regions, header and
// ticker"): a header band on top (the commune's name, the date and a live clock, and a QR code of
// the commune's page), the main region under it (mpv's picture, at the size left), and a ticker
// band over the bottom of the main region, a line of text scrolling right to left.
//
// The daemon gives the renderer one OverlayContent whenever something in it changes; the renderer
// keeps what it drew (text textures, the QR code) until the content changes.

#include "bantin/common/time.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace bantin::player {

struct OverlayContent {
    // Heights of the bands, in thousandths of the output's height (0: no band). The header takes
    // its rows from the main region; the ticker lies over the bottom of the main region.
    int header_permille = 0;
    int ticker_permille = 0;
    // The header's name (the commune's, else the zone's id), the zone its date and clock are read
    // in (IANA), and the address its QR code links to (empty: no QR code).
    std::string title;
    std::string time_zone = "Asia/Ho_Chi_Minh";
    std::string board_url;
    // The ticker's line of text (UTF-8; line breaks become spaces). Empty: no ticker band.
    std::string ticker_text;
    bool operator==(const OverlayContent&) const = default;

    bool header() const { return header_permille > 0; }
    bool ticker() const { return ticker_permille > 0 && !ticker_text.empty(); }
    bool any() const { return header() || ticker(); }
};

// Bands are at most this share of the height each (a larger value is taken as this; the model
// refuses layouts beyond it, docs/scheduling.md "Regions").
inline constexpr int max_band_permille = 500;

// The pieces of the drawing that need no display (unit-tested).
struct Bands {
    int header = 0;  // rows at the top
    int ticker = 0;  // rows at the bottom, over the main region
};
Bands bands_of(const OverlayContent& content, int height);

// "Thứ Bảy, 05/12/2026" and "14:05" for `wall` in `zone` (UTC when the zone is unknown).
struct HeaderTime {
    std::string date;
    std::string clock;
};
HeaderTime header_time(TimePoint wall, const std::string& zone);

// The ticker's left edge at `elapsed` since its text appeared: it enters at the right edge and
// moves left at `pixels_per_second`; when it has left the screen it enters again.
int ticker_x(Duration elapsed, int width, int text_width, double pixels_per_second);

// The text a band draws: control characters as spaces, cut (at a character) to `max_bytes`.
std::string band_text(std::string_view text, std::size_t max_bytes);

}  // namespace bantin::player
