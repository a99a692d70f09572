#pragma once
// Which characters of a text a font cannot draw.
//
// A text notice is drawn by the player with one TrueType font (DejaVu Sans from
// fonts-dejavu-core by default, display.font_file). A notice holding a character that font
// lacks (an emoji, CJK) would be accepted and then fail on every screen; the controller asks
// FontCoverage at creation instead and refuses it naming the characters. Both sides ask the same
// library the player draws with (SDL2_ttf, TTF_GlyphIsProvided32), so they agree.
//
// Lifecycle: open() loads the font (TTF_Init is reference-counted by SDL_ttf); the object
// owns it. Threads: missing() may be called from any thread (a mutex guards the font).
// Errors: open() returns NotFound when the font file cannot be opened.

#include "bantin/common/error.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::media {

inline constexpr std::string_view default_notice_font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

class FontCoverage {
public:
    static Result<FontCoverage> open(const std::filesystem::path& font_file);
    FontCoverage(FontCoverage&&) noexcept;
    FontCoverage& operator=(FontCoverage&&) noexcept;
    ~FontCoverage();

    // The distinct code points of UTF-8 `text` the font has no glyph for, in order of first
    // appearance. Line breaks and tabs are layout, not glyphs. Bytes that are not UTF-8 count
    // as U+FFFD.
    std::vector<char32_t> missing(std::string_view text) const;

private:
    struct Font;
    explicit FontCoverage(std::unique_ptr<Font> font);
    std::unique_ptr<Font> m_font;
};

// "😀 (U+1F600), 中 (U+4E2D)": each code point as itself and as U+XXXX.
std::string describe_code_points(const std::vector<char32_t>& points);

}  // namespace bantin::media
