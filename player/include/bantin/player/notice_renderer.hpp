#pragma once
// Text notices on screens: renders a notice's text to a full-screen image with SDL2_ttf, which
// the engine then plays like any still image (through mpv's playlist, so a notice is gapless,
// gets the same start/end events and shows up in screenshots).
//
// The font must cover every character of the text: render() refuses (Unsupported, naming the
// missing code points) rather than drawing empty boxes. The default font is DejaVu Sans from
// Debian's fonts-dejavu-core, which covers Vietnamese with all its diacritics.
//
// Lifecycle: create() opens the font (TTF_Init is reference-counted by SDL_ttf); the object
// owns it until destroyed. Threads: one thread at a time (SDL_ttf is not thread-safe).
// Needs no display.

#include "bantin/common/error.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::player {

inline constexpr std::string_view default_font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

struct NoticeStyle {
    int width = 1280;
    int height = 720;
    int point_size = 48;
    std::uint32_t background_rgb = 0x0b3d91;  // dark blue
    std::uint32_t text_rgb = 0xffffff;
    int margin = 64;  // pixels around the text block
};

// Packed 8-bit RGB, row after row, no padding.
struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;
};

class NoticeRenderer {
public:
    static Result<NoticeRenderer> create(const std::filesystem::path& font_path = default_font_path,
                                         NoticeStyle style = {});
    NoticeRenderer(NoticeRenderer&&) noexcept;
    NoticeRenderer& operator=(NoticeRenderer&&) noexcept;
    ~NoticeRenderer();

    // The text (UTF-8), word-wrapped and centred on the background.
    Result<RgbImage> render(std::string_view text) const;
    // render() written as a PNG (lossless, with libpng: a full-HD notice is tens of KB where a
    // BMP was 6 MB, which alone could fill a small state disk). Written beside `path` and
    // renamed; a failed write leaves no partial file behind.
    Result<void> render_to_file(std::string_view text, const std::filesystem::path& path) const;
    // Code points of `text` the font has no glyph for.
    std::vector<char32_t> missing_glyphs(std::string_view text) const;

    const NoticeStyle& style() const { return m_style; }

private:
    struct Font;
    NoticeRenderer(std::unique_ptr<Font> font, NoticeStyle style);
    std::unique_ptr<Font> m_font;
    NoticeStyle m_style;
};

}  // namespace bantin::player
