#pragma once
// Text notices on screens: renders a notice's text to full-screen images with SDL2_ttf, which
// the engine then plays like any still image (through mpv's playlist, so a notice is gapless,
// gets the same start/end events and shows up in screenshots).
//
// The signage design (docs/player.md, "Notice design"): a header band with the commune or
// ward's name and the date, a bold headline and a body, all sized from the frame's shorter
// side (never fixed points), inside safe margins. The body never shrinks below a legible
// minimum: text that does not fit at the minimum is split into pages at word boundaries, each
// page marked "1/3" and so on. A frame wider than four times its height (an LED strip) gets a
// narrow label at its left instead of a header band and one or two lines of large text.
//
// Headline rule: when the text has a newline, everything before the first newline is the
// headline (bold) and the rest is the body; without a newline the whole text is body. An
// alert's notice is "headline\n\ntext" (protocol::alert_notice_text), so its headline is the
// alert's headline.
//
// The fonts must cover every character of the text: render() refuses (Unsupported, naming the
// missing code points) rather than drawing empty boxes. The default face is Noto Sans from
// Debian's fonts-noto-core (regular and bold), made for Vietnamese with all its diacritics;
// when it is missing, DejaVu Sans (fonts-dejavu-core) is used instead.
//
// Lifecycle: create() opens the fonts (TTF_Init is reference-counted by SDL_ttf); the object
// owns them until destroyed. Threads: one thread at a time (SDL_ttf is not thread-safe).
// Needs no display.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/player/renderer.hpp"
#include "bantin/scheduler/model.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::player {

inline constexpr std::string_view default_font_path = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf";
inline constexpr std::string_view default_bold_font_path = "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf";
inline constexpr std::string_view fallback_font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
inline constexpr std::string_view fallback_bold_font_path =
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

struct NoticeFonts {
    std::filesystem::path regular{default_font_path};
    // Empty: the regular face drawn in SDL_ttf's synthetic bold.
    std::filesystem::path bold{default_bold_font_path};
};

struct NoticeStyle {
    // The frame used when render() is given none (the configured window).
    int width = 1280;
    int height = 720;
    // Sizes, as fractions of the frame's shorter side (docs/player.md, "Notice design").
    double body_fraction = 0.10;              // the body's preferred size
    double minimum_fraction = 0.075;          // the legible minimum: text never shrinks below it
    int minimum_px = 24;                      // and never below this many pixels, whatever the frame
    double margin_fraction = 0.05;            // safe margin on each side, of that side's length
    std::uint32_t background_rgb = 0x0b3d91;  // dark blue
    std::uint32_t text_rgb = 0xffffff;
};

// How a notice is drawn: a plain notice, or an alert that cannot be taken for one. A live alert
// fills the frame in its severity's colour (extreme red, severe amber, moderate and minor
// yellow; dark text on amber and yellow) under a black band that reads "⚠ CẢNH BÁO KHẨN CẤP"
// beside a warning triangle; an exercise is drawn grey-violet under a band that reads "DIỄN TẬP
// — KHÔNG PHẢI CẢNH BÁO THẬT" (a drill, not a real alert), so neither looks like a routine
// blue notice.
enum class NoticeKind { Notice, Alert, Exercise };
struct NoticeLook {
    NoticeKind kind = NoticeKind::Notice;
    scheduler::Severity severity = scheduler::Severity::Severe;
    bool operator==(const NoticeLook&) const = default;
};
inline constexpr std::string_view alert_banner_text = "CẢNH BÁO KHẨN CẤP";
inline constexpr std::string_view exercise_banner_text = "DIỄN TẬP — KHÔNG PHẢI CẢNH BÁO THẬT";

// Every colour of a look (packed RGB). Each text colour is at least 4.5:1 against the colour it
// is drawn on (WCAG AA): text on background, header_text on header, accent on header.
struct NoticePalette {
    std::uint32_t background = 0;
    std::uint32_t text = 0;
    std::uint32_t header = 0;       // the header band (and an alert's band)
    std::uint32_t header_text = 0;  // the place and date
    std::uint32_t accent = 0;       // an alert's or exercise's band words and triangle
};
NoticePalette notice_palette(const NoticeLook& look, const NoticeStyle& style);
// The frame's colour for a look, and its text's.
std::uint32_t notice_background(const NoticeLook& look, const NoticeStyle& style);
std::uint32_t notice_text_colour(const NoticeLook& look, const NoticeStyle& style);
// WCAG 2 contrast ratio of two colours (1 to 21).
double contrast_ratio(std::uint32_t first_rgb, std::uint32_t second_rgb);

// What the header band says: the commune or ward, and the day the notice shows.
struct NoticeHeader {
    std::string place;  // shown in capitals
    std::string date;   // e.g. "Thứ Bảy, 05/12/2026" (vietnamese_date)
    bool operator==(const NoticeHeader&) const = default;
};
// "Thứ Bảy, 05/12/2026": the local date of `when` in the IANA zone `time_zone` (the UTC date
// when the zone is unknown).
std::string vietnamese_date(TimePoint when, std::string_view time_zone);
// Vietnamese letters (and ASCII) in capitals: "Uyên Hưng" -> "UYÊN HƯNG".
std::string vietnamese_upper(std::string_view text);

// The headline rule (above): the text split into its headline and body.
struct NoticeParts {
    std::string headline;
    std::string body;
};
NoticeParts split_notice(std::string_view text);

// The sizes and places of a frame's layout, in pixels (a pure function of the frame, the style
// and the font's line height; see docs/player.md).
struct NoticeLayout {
    FrameSize frame;
    bool strip = false;  // width > 4 x height: a label at the left, no header band
    int margin_x = 0;
    int margin_y = 0;
    int band = 0;                  // an alert's or exercise's black band (not on a strip)
    int header = 0;                // the header band with place and date (not on a strip)
    int header_size = 0;           // the place and date's text size
    int body_size = 0;             // preferred
    int minimum_size = 0;          // the legible minimum
    double headline_scale = 1.25;  // headline size = body size x this (1 on a strip)
};
NoticeLayout notice_layout(FrameSize frame, const NoticeStyle& style, double line_skip_ratio);

// Packed 8-bit RGB, row after row, no padding.
struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;
};

// How a text was laid out: its body size and pages.
struct NoticePagination {
    NoticeLayout layout;
    int body_size = 0;
    int headline_size = 0;
    int pages = 1;
};

class NoticeRenderer {
public:
    static Result<NoticeRenderer> create(const NoticeFonts& fonts = {}, NoticeStyle style = {});
    NoticeRenderer(NoticeRenderer&&) noexcept;
    NoticeRenderer& operator=(NoticeRenderer&&) noexcept;
    ~NoticeRenderer();

    // How `text` is laid out on `frame` (its sizes and number of pages), without drawing it.
    Result<NoticePagination> paginate(std::string_view text, const NoticeLook& look,
                                      const NoticeHeader& header, FrameSize frame) const;
    // Every page of the text (UTF-8) on `frame`.
    Result<std::vector<RgbImage>> render_pages(std::string_view text, const NoticeLook& look,
                                               const NoticeHeader& header, FrameSize frame) const;
    // The first page, on the style's frame.
    Result<RgbImage> render(std::string_view text, const NoticeLook& look = {},
                            const NoticeHeader& header = {}) const;
    // render_pages() written as PNGs, page i (from 0) to paths[i]; `paths` must have one path
    // per page (paginate()). Lossless, with libpng: a full-HD notice is tens of KB. Each is
    // written beside its path and renamed; a failed write leaves no partial file behind.
    Result<void> render_to_files(std::string_view text, const NoticeLook& look, const NoticeHeader& header,
                                 FrameSize frame, const std::vector<std::filesystem::path>& paths) const;
    // Code points of `text` the fonts have no glyph for.
    std::vector<char32_t> missing_glyphs(std::string_view text) const;

    const NoticeStyle& style() const { return m_style; }
    // The font files in use (the fallback's when the configured ones could not be opened).
    const NoticeFonts& fonts() const;

    struct Font;  // the open faces (opaque)

private:
    NoticeRenderer(std::unique_ptr<Font> font, NoticeStyle style);
    std::unique_ptr<Font> m_font;
    NoticeStyle m_style;
};

// Writes an image as a PNG (beside `path`, then renamed).
Result<void> write_png(const RgbImage& image, const std::filesystem::path& path);
// The same PNG, in memory (the controller's notice preview).
Result<std::string> encode_png(const RgbImage& image);
// Reads a PNG as 8-bit RGB (reference images in tests).
Result<RgbImage> read_png(const std::filesystem::path& path);

}  // namespace bantin::player
