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
#include "bantin/scheduler/model.hpp"

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

// How a notice is drawn: a plain notice, or an alert that cannot be taken for one. A live alert
// fills the frame in its severity's colour (extreme red, severe amber, moderate and minor yellow
// with dark text) under a black band that reads "⚠ CẢNH BÁO KHẨN CẤP" beside a warning
// triangle; an exercise is drawn grey-violet under a band that reads "DIỄN TẬP — KHÔNG PHẢI
// CẢNH BÁO THẬT" (a drill, not a real alert), so neither looks like a routine blue notice.
enum class NoticeKind { Notice, Alert, Exercise };
struct NoticeLook {
    NoticeKind kind = NoticeKind::Notice;
    scheduler::Severity severity = scheduler::Severity::Severe;
    bool operator==(const NoticeLook&) const = default;
};
inline constexpr std::string_view alert_banner_text = "CẢNH BÁO KHẨN CẤP";
inline constexpr std::string_view exercise_banner_text = "DIỄN TẬP — KHÔNG PHẢI CẢNH BÁO THẬT";
// The frame's colour for a look (packed RGB), and its text's.
std::uint32_t notice_background(const NoticeLook& look, const NoticeStyle& style);
std::uint32_t notice_text_colour(const NoticeLook& look, const NoticeStyle& style);

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

    // The text (UTF-8), word-wrapped and centred on the background (under the band of an alert).
    Result<RgbImage> render(std::string_view text, const NoticeLook& look = {}) const;
    // render() written as a PNG (lossless, with libpng: a full-HD notice is tens of KB where a
    // BMP was 6 MB, which alone could fill a small state disk). Written beside `path` and
    // renamed; a failed write leaves no partial file behind.
    Result<void> render_to_file(std::string_view text, const std::filesystem::path& path,
                                const NoticeLook& look = {}) const;
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
