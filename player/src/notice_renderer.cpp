#include "bantin/player/notice_renderer.hpp"

#include <SDL2/SDL.h>
#include <SDL2/SDL_ttf.h>
#include <date/tz.h>
#include <png.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <unordered_map>

namespace bantin::player {

namespace {

struct SurfaceDeleter {
    void operator()(SDL_Surface* surface) const { SDL_FreeSurface(surface); }
};
using SurfacePointer = std::unique_ptr<SDL_Surface, SurfaceDeleter>;

// Decodes UTF-8; a malformed byte becomes U+FFFD so it is reported, not skipped.
std::vector<char32_t> code_points(std::string_view text) {
    std::vector<char32_t> points;
    std::size_t index = 0;
    while (index < text.size()) {
        const auto lead = static_cast<unsigned char>(text[index]);
        int extra = 0;
        char32_t point = 0;
        if (lead < 0x80) {
            point = lead;
        } else if ((lead & 0xe0) == 0xc0) {
            point = lead & 0x1fu;
            extra = 1;
        } else if ((lead & 0xf0) == 0xe0) {
            point = lead & 0x0fu;
            extra = 2;
        } else if ((lead & 0xf8) == 0xf0) {
            point = lead & 0x07u;
            extra = 3;
        } else {
            points.push_back(0xfffd);
            ++index;
            continue;
        }
        if (index + static_cast<std::size_t>(extra) >= text.size()) {
            points.push_back(0xfffd);
            break;
        }
        bool valid = true;
        for (int offset = 1; offset <= extra; ++offset) {
            const auto next = static_cast<unsigned char>(text[index + static_cast<std::size_t>(offset)]);
            if ((next & 0xc0) != 0x80)
                valid = false;
            point = (point << 6) | (next & 0x3fu);
        }
        points.push_back(valid ? point : 0xfffd);
        index += static_cast<std::size_t>(extra) + 1;
    }
    return points;
}

SDL_Color color_of(std::uint32_t rgb) {
    return SDL_Color{static_cast<Uint8>((rgb >> 16) & 0xff), static_cast<Uint8>((rgb >> 8) & 0xff),
                     static_cast<Uint8>(rgb & 0xff), 255};
}

void append_utf8(std::string& out, char32_t point) {
    if (point < 0x80) {
        out += static_cast<char>(point);
    } else if (point < 0x800) {
        out += static_cast<char>(0xc0 | (point >> 6));
        out += static_cast<char>(0x80 | (point & 0x3f));
    } else if (point < 0x10000) {
        out += static_cast<char>(0xe0 | (point >> 12));
        out += static_cast<char>(0x80 | ((point >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (point & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (point >> 18));
        out += static_cast<char>(0x80 | ((point >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((point >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (point & 0x3f));
    }
}

char32_t upper_of(char32_t point) {
    if (point >= U'a' && point <= U'z')
        return point - 0x20;
    if (point >= 0xe0 && point <= 0xfe && point != 0xf7)  // Latin-1: à..þ
        return point - 0x20;
    if (point >= 0x1ea0 && point <= 0x1ef9)  // Latin Extended Additional: ạ..ỹ in pairs
        return point & ~char32_t{1};
    switch (point) {
        case 0x103: return 0x102;  // ă
        case 0x111: return 0x110;  // đ
        case 0x129: return 0x128;  // ĩ
        case 0x169: return 0x168;  // ũ
        case 0x1a1: return 0x1a0;  // ơ
        case 0x1b0: return 0x1af;  // ư
        default: return point;
    }
}

double channel_luminance(std::uint32_t value) {
    const double c = static_cast<double>(value & 0xff) / 255.0;
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

double relative_luminance(std::uint32_t rgb) {
    return 0.2126 * channel_luminance(rgb >> 16) + 0.7152 * channel_luminance(rgb >> 8) +
           0.0722 * channel_luminance(rgb);
}

int round_to_int(double value) {
    return static_cast<int>(std::lround(value));
}

// Decoding and encoding again gives the same bytes (no malformed, overlong or cut sequence).
bool valid_utf8(std::string_view text) {
    std::string again;
    again.reserve(text.size());
    for (char32_t point : code_points(text)) {
        if (point >= 0xd800 && point <= 0xdfff)
            return false;
        append_utf8(again, point);
    }
    return again == text;
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

}  // namespace

NoticePalette notice_palette(const NoticeLook& look, const NoticeStyle& style) {
    NoticePalette palette;
    switch (look.kind) {
        case NoticeKind::Notice:
            palette.background = style.background_rgb;
            palette.text = style.text_rgb;
            palette.header = 0x06214f;  // a deeper blue band
            palette.header_text = 0xffffff;
            palette.accent = 0xffffff;
            return palette;
        case NoticeKind::Exercise:
            palette.background = 0x4a4066;  // grey-violet: nothing like an alert's colours
            palette.text = 0xffffff;
            palette.header = 0x000000;
            palette.header_text = 0xffffff;
            palette.accent = 0xffffff;
            return palette;
        case NoticeKind::Alert: break;
    }
    palette.header = 0x000000;
    palette.header_text = 0xffffff;
    switch (look.severity) {
        case scheduler::Severity::Extreme:
            palette.background = 0xc62828;  // red, white text
            palette.text = 0xffffff;
            palette.accent = 0xff6b6b;  // a lighter red: the band's words on black pass 4.5:1
            break;
        case scheduler::Severity::Severe:
            palette.background = 0xef6c00;  // amber: white on it is only 3:1, so dark text
            palette.text = 0x111111;
            palette.accent = 0xef6c00;
            break;
        case scheduler::Severity::Moderate:
        case scheduler::Severity::Minor:
            palette.background = 0xfdd835;  // yellow, dark text
            palette.text = 0x111111;
            palette.accent = 0xfdd835;
            break;
    }
    return palette;
}

std::uint32_t notice_background(const NoticeLook& look, const NoticeStyle& style) {
    return notice_palette(look, style).background;
}

std::uint32_t notice_text_colour(const NoticeLook& look, const NoticeStyle& style) {
    return notice_palette(look, style).text;
}

double contrast_ratio(std::uint32_t first_rgb, std::uint32_t second_rgb) {
    const double first = relative_luminance(first_rgb);
    const double second = relative_luminance(second_rgb);
    return (std::max(first, second) + 0.05) / (std::min(first, second) + 0.05);
}

std::string vietnamese_date(TimePoint when, std::string_view time_zone) {
    static constexpr std::array<std::string_view, 7> weekdays = {"Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư",
                                                                 "Thứ Năm",  "Thứ Sáu", "Thứ Bảy"};
    std::chrono::local_days day{};
    try {
        const auto* zone = date::locate_zone(time_zone);
        const auto local = zone->to_local(std::chrono::floor<std::chrono::seconds>(when));
        day = std::chrono::local_days{std::chrono::floor<std::chrono::days>(local).time_since_epoch()};
    } catch (const std::exception&) {
        day = std::chrono::local_days{std::chrono::floor<std::chrono::days>(when).time_since_epoch()};
    }
    const std::chrono::year_month_day ymd{day};
    const std::chrono::weekday weekday{day};
    char digits[16];
    std::snprintf(digits, sizeof digits, "%02u/%02u/%04d", static_cast<unsigned>(ymd.day()),
                  static_cast<unsigned>(ymd.month()), static_cast<int>(ymd.year()));
    return std::string(weekdays[weekday.c_encoding()]) + ", " + digits;
}

std::string vietnamese_upper(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t point : code_points(text)) append_utf8(out, upper_of(point));
    return out;
}

NoticeParts split_notice(std::string_view text) {
    const auto newline = text.find('\n');
    if (newline == std::string_view::npos)
        return {{}, trimmed(text)};
    NoticeParts parts{trimmed(text.substr(0, newline)), trimmed(text.substr(newline + 1))};
    if (parts.body.empty() || parts.headline.empty())  // "headline\n" or "\nbody": all of it is body
        return {{}, parts.headline.empty() ? parts.body : parts.headline};
    return parts;
}

NoticeLayout notice_layout(FrameSize frame, const NoticeStyle& style, double line_skip_ratio) {
    NoticeLayout layout;
    layout.frame = frame;
    layout.strip = frame.width > 4 * frame.height;
    layout.margin_x = round_to_int(style.margin_fraction * frame.width);
    layout.margin_y = round_to_int(style.margin_fraction * frame.height);
    const double shorter = std::min(frame.width, frame.height);
    const int floor = std::max(1, style.minimum_px);
    if (layout.strip) {
        // One line of large text, else two lines at the minimum; the label has three lines.
        const int inner = frame.height - 2 * layout.margin_y;
        layout.body_size = std::max(floor, static_cast<int>(inner / line_skip_ratio));
        layout.minimum_size = std::max(floor, static_cast<int>(inner / (2 * line_skip_ratio)));
        layout.header_size =
            std::max(std::min(floor, layout.minimum_size), static_cast<int>(inner / (3 * line_skip_ratio)));
        layout.headline_scale = 1.0;
        return layout;
    }
    layout.minimum_size = std::max(floor, round_to_int(style.minimum_fraction * shorter));
    layout.body_size = std::max(layout.minimum_size, round_to_int(style.body_fraction * shorter));
    layout.header_size = std::max(std::min(floor, layout.minimum_size), round_to_int(0.045 * shorter));
    layout.header = round_to_int(layout.header_size * (line_skip_ratio + 0.3));
    return layout;
}

struct NoticeRenderer::Font {
    TTF_Font* regular = nullptr;
    TTF_Font* bold = nullptr;  // null: the regular face in synthetic bold
    NoticeFonts files;
    double line_skip_ratio = 1.2;
    Font() = default;
    Font(const Font&) = delete;
    Font& operator=(const Font&) = delete;
    ~Font() {
        if (bold != nullptr)
            TTF_CloseFont(bold);
        if (regular != nullptr)
            TTF_CloseFont(regular);
        TTF_Quit();
    }
    // The face of a weight at a size, ready to measure or draw.
    TTF_Font* at(bool heavy, int size) const {
        TTF_Font* face = heavy && bold != nullptr ? bold : regular;
        TTF_SetFontSize(face, size);
        TTF_SetFontStyle(face, heavy && bold == nullptr ? TTF_STYLE_BOLD : TTF_STYLE_NORMAL);
        return face;
    }
    int width(bool heavy, int size, const std::string& text) const {
        int w = 0;
        int h = 0;
        if (text.empty() || TTF_SizeUTF8(at(heavy, size), text.c_str(), &w, &h) != 0)
            return 0;
        return w;
    }
    int line_skip(int size) const { return std::max(size, round_to_int(size * line_skip_ratio)); }
};

Result<NoticeRenderer> NoticeRenderer::create(const NoticeFonts& fonts, NoticeStyle style) {
    if (style.width <= 0 || style.height <= 0 || style.minimum_px <= 0 || !(style.margin_fraction >= 0) ||
        style.margin_fraction >= 0.25 || !(style.body_fraction > 0) || !(style.minimum_fraction > 0))
        return fail(Errc::InvalidInput, "notice style: sizes and margins must leave room for text");
    if (TTF_Init() != 0)
        return fail(Errc::Internal, std::string("TTF_Init: ") + TTF_GetError());
    auto font = std::make_unique<Font>();  // from here on its destructor balances TTF_Init
    constexpr int reference_size = 100;
    font->regular = TTF_OpenFont(fonts.regular.c_str(), reference_size);
    font->files = fonts;
    std::string why;
    if (font->regular == nullptr) {
        why = fonts.regular.string() + ": cannot open font: " + TTF_GetError();
        // Noto missing (fonts-noto-core not installed): DejaVu, which also covers Vietnamese.
        if (fonts.regular == std::filesystem::path(default_font_path)) {
            font->regular = TTF_OpenFont(std::string(fallback_font_path).c_str(), reference_size);
            font->files = {std::filesystem::path(fallback_font_path),
                           std::filesystem::path(fallback_bold_font_path)};
        }
        if (font->regular == nullptr)
            return fail(Errc::NotFound, why);
    }
    if (!font->files.bold.empty())
        font->bold = TTF_OpenFont(font->files.bold.c_str(), reference_size);  // null: synthetic bold
    if (font->bold == nullptr)
        font->files.bold.clear();
    font->line_skip_ratio = std::max(
        1.0, static_cast<double>(TTF_FontLineSkip(font->regular)) / static_cast<double>(reference_size));
    return NoticeRenderer(std::move(font), style);
}

NoticeRenderer::NoticeRenderer(std::unique_ptr<Font> font, NoticeStyle style)
    : m_font(std::move(font)), m_style(style) {}
NoticeRenderer::NoticeRenderer(NoticeRenderer&&) noexcept = default;
NoticeRenderer& NoticeRenderer::operator=(NoticeRenderer&&) noexcept = default;
NoticeRenderer::~NoticeRenderer() = default;

const NoticeFonts& NoticeRenderer::fonts() const {
    return m_font->files;
}

std::vector<char32_t> NoticeRenderer::missing_glyphs(std::string_view text) const {
    std::vector<char32_t> missing;
    for (char32_t point : code_points(text)) {
        if (point == U'\n' || point == U'\r' || point == U'\t')
            continue;
        const auto glyph = static_cast<Uint32>(point);
        if (TTF_GlyphIsProvided32(m_font->regular, glyph) == 0 ||
            (m_font->bold != nullptr && TTF_GlyphIsProvided32(m_font->bold, glyph) == 0))
            missing.push_back(point);
    }
    return missing;
}

namespace {

// One laid-out line of text (or a paragraph gap when text is empty).
struct TextLine {
    std::string text;
    bool bold = false;
    int size = 0;
    int height = 0;
};

// A filled warning triangle (apex up) of `size` pixels with its top-left corner at (x, y).
void fill_triangle(SDL_Surface* frame, int x, int y, int size, Uint32 colour) {
    for (int row = 0; row < size; ++row) {
        const int half = row / 2;
        SDL_Rect line{x + size / 2 - half, y + row, 2 * half + 1, 1};
        SDL_FillRect(frame, &line, colour);
    }
}

}  // namespace

// Everything about one text on one frame: its lines, pages and the places of its parts.
struct NoticePlan {
    NoticePagination pagination;
    std::vector<std::vector<TextLine>> pages;
    SDL_Rect area{};  // where the headline and body go
    // A strip's label at the left: its lines and size (empty: no label).
    std::vector<TextLine> label;
    int label_width = 0;  // from the frame's left edge, background included
    bool label_icon = false;
    int marker_size = 0;  // "1/3"
    std::string banner;   // an alert's or exercise's band words ("" when none or the font lacks them)
};

namespace {

// Words of `paragraph` in lines no wider than `width`; a word wider than the line is cut
// between characters.
std::vector<std::string> wrap(const NoticeRenderer::Font& font, bool bold, int size,
                              const std::string& paragraph, int width) {
    std::vector<std::string> lines;
    std::string line;
    std::size_t at = 0;
    while (at < paragraph.size()) {
        const auto space = paragraph.find(' ', at);
        const auto end = space == std::string::npos ? paragraph.size() : space;
        std::string word = paragraph.substr(at, end - at);
        at = end + 1;
        if (word.empty())
            continue;
        std::string candidate = line.empty() ? word : line + " " + word;
        if (font.width(bold, size, candidate) <= width) {
            line = std::move(candidate);
            continue;
        }
        if (!line.empty())
            lines.push_back(std::move(line));
        line.clear();
        if (font.width(bold, size, word) <= width) {
            line = std::move(word);
            continue;
        }
        for (char32_t point : code_points(word)) {  // longer than a line: cut it
            std::string longer = line;
            append_utf8(longer, point);
            if (!line.empty() && font.width(bold, size, longer) > width) {
                lines.push_back(std::move(line));
                line.clear();
                append_utf8(line, point);
            } else {
                line = std::move(longer);
            }
        }
    }
    if (!line.empty())
        lines.push_back(std::move(line));
    return lines;
}

// The headline's and body's lines; `gaps`: half a line of space after the headline and for an
// empty line (not on a strip, whose two lines have no room for it).
std::vector<TextLine> lay_out(const NoticeRenderer::Font& font, const NoticeParts& parts, int body_size,
                              int headline_size, int width, bool gaps) {
    const int gap = gaps ? body_size / 2 : 0;
    std::vector<TextLine> lines;
    if (!parts.headline.empty()) {
        for (auto& text : wrap(font, true, headline_size, parts.headline, width))
            lines.push_back({std::move(text), true, headline_size, font.line_skip(headline_size)});
        lines.push_back({"", false, body_size, gap});
    }
    std::size_t at = 0;
    while (at <= parts.body.size()) {
        const auto newline = parts.body.find('\n', at);
        const auto end = newline == std::string::npos ? parts.body.size() : newline;
        std::string paragraph = trimmed(std::string_view(parts.body).substr(at, end - at));
        std::replace(paragraph.begin(), paragraph.end(), '\t', ' ');
        if (paragraph.empty()) {
            if (!lines.empty() && !lines.back().text.empty())
                lines.push_back({"", false, body_size, gap});
        } else {
            for (auto& text : wrap(font, false, body_size, paragraph, width))
                lines.push_back({std::move(text), false, body_size, font.line_skip(body_size)});
        }
        if (newline == std::string::npos)
            break;
        at = newline + 1;
    }
    while (!lines.empty() && lines.back().text.empty()) lines.pop_back();
    return lines;
}

int height_of(const std::vector<TextLine>& lines) {
    int total = 0;
    for (const auto& line : lines) total += line.height;
    return total;
}

// Lines packed into pages of `height`; a page never starts with a gap, and a line taller than
// a page gets a page of its own.
std::vector<std::vector<TextLine>> pack(const std::vector<TextLine>& lines, int height) {
    std::vector<std::vector<TextLine>> pages(1);
    int used = 0;
    for (const auto& line : lines) {
        if (line.text.empty() && pages.back().empty())
            continue;
        if (!pages.back().empty() && used + line.height > height) {
            while (!pages.back().empty() && pages.back().back().text.empty()) pages.back().pop_back();
            pages.emplace_back();
            used = 0;
            if (line.text.empty())
                continue;
        }
        pages.back().push_back(line);
        used += line.height;
    }
    return pages;
}

std::string page_marker(std::size_t page, std::size_t pages) {
    return std::to_string(page + 1) + "/" + std::to_string(pages);
}

}  // namespace

namespace {

Result<NoticePlan> make_plan(const NoticeRenderer::Font& font, const NoticeStyle& style,
                             std::string_view text, const NoticeLook& look, const NoticeHeader& header,
                             FrameSize frame, const std::vector<char32_t>& missing, bool banner_drawable) {
    if (trimmed(text).empty())
        return fail(Errc::InvalidInput, "text notice is empty");
    if (!valid_utf8(text))
        return fail(Errc::InvalidInput, "text notice is not valid UTF-8");
    if (frame.width < 16 || frame.height < 16 || frame.width > 16384 || frame.height > 16384)
        return fail(Errc::InvalidInput, "notice frame " + std::to_string(frame.width) + "x" +
                                            std::to_string(frame.height) + " is not a screen's size");
    if (!missing.empty()) {
        std::string list;
        for (char32_t point : missing) {
            char buffer[16];
            std::snprintf(buffer, sizeof buffer, "%sU+%04X", list.empty() ? "" : " ",
                          static_cast<unsigned>(point));
            list += buffer;
        }
        return fail(Errc::Unsupported, "the font has no glyph for " + list);
    }
    NoticePlan plan;
    const NoticeParts parts = split_notice(text);
    NoticeLayout layout = notice_layout(frame, style, font.line_skip_ratio);
    // No place and no date: the screen draws its own live header band above the notice (a
    // layout with a header region), and the notice leaves its own out.
    if (header.place.empty() && header.date.empty())
        layout.header = 0;
    if (banner_drawable)
        plan.banner = std::string(look.kind == NoticeKind::Alert      ? alert_banner_text
                                  : look.kind == NoticeKind::Exercise ? exercise_banner_text
                                                                      : std::string_view{});
    plan.marker_size = layout.header_size;
    const int inner_height = frame.height - 2 * layout.margin_y;
    int left = layout.margin_x;
    if (layout.strip) {
        // The label: the band's words for an alert or exercise (with the triangle for an alert),
        // else the place, the weekday and the date, each on a line; as large as three lines
        // allow, smaller to fit a fifth of the width; dropped when even the least size is wider.
        std::vector<std::string> words;
        bool bold_first = true;
        if (!plan.banner.empty()) {
            words = {plan.banner};
            plan.label_icon = look.kind == NoticeKind::Alert;
        } else {
            if (!header.place.empty())
                words.push_back(vietnamese_upper(header.place));
            else
                bold_first = false;
            const auto comma = header.date.find(", ");
            if (comma != std::string::npos) {
                words.push_back(header.date.substr(0, comma));
                words.push_back(header.date.substr(comma + 2));
            } else if (!header.date.empty()) {
                words.push_back(header.date);
            }
        }
        const int cap = frame.width / 5;
        for (int size = layout.header_size;
             size >= std::min(style.minimum_px, layout.header_size) && !words.empty();
             size -= std::max(1, size / 12)) {
            const int icon = plan.label_icon ? size * 2 : 0;
            std::vector<TextLine> lines;
            int widest = 0;
            bool fits = true;
            for (std::size_t index = 0; index < words.size(); ++index) {
                const bool bold = plan.banner.empty() ? (index == 0 && bold_first) : true;
                for (auto& line : wrap(font, bold, size, words[index], cap - icon)) {
                    const int w = font.width(bold, size, line);
                    fits = fits && w <= cap - icon;
                    widest = std::max(widest, w);
                    lines.push_back({std::move(line), bold, size, font.line_skip(size)});
                }
            }
            if (fits && height_of(lines) <= inner_height) {
                plan.label = std::move(lines);
                plan.label_width =
                    layout.margin_x + icon + (icon > 0 ? size / 2 : 0) + widest + layout.margin_x / 2;
                plan.marker_size = size;
                break;
            }
        }
        left = plan.label.empty() ? layout.margin_x : plan.label_width + layout.margin_x / 2;
        plan.area = SDL_Rect{left, layout.margin_y, frame.width - layout.margin_x - left, inner_height};
    } else {
        layout.band = plan.banner.empty() ? 0 : round_to_int(0.1 * std::min(frame.width, frame.height));
        const int top = layout.margin_y + layout.band + layout.header + layout.minimum_size / 2;
        plan.area =
            SDL_Rect{left, top, frame.width - 2 * layout.margin_x, frame.height - layout.margin_y - top};
    }
    if (plan.area.w < layout.minimum_size || plan.area.h < std::min(layout.minimum_size, inner_height))
        return fail(Errc::InvalidInput, "notice frame " + std::to_string(frame.width) + "x" +
                                            std::to_string(frame.height) + " leaves no room for text");
    plan.pagination.layout = layout;
    // The largest size from the preferred down to the minimum at which it all fits one page.
    for (int size = layout.body_size;; size -= std::max(1, size / 20)) {
        size = std::max(size, layout.minimum_size);
        const int headline = round_to_int(size * layout.headline_scale);
        auto lines = lay_out(font, parts, size, headline, plan.area.w, !layout.strip);
        plan.pagination.body_size = size;
        plan.pagination.headline_size = headline;
        if (height_of(lines) <= plan.area.h) {
            plan.pages = {std::move(lines)};
            plan.pagination.pages = 1;
            return plan;
        }
        if (size == layout.minimum_size)
            break;
    }
    // Pages at the minimum: room is kept for "1/3" (below the text; on a strip at its right).
    const int size = layout.minimum_size;
    const int headline = round_to_int(size * layout.headline_scale);
    SDL_Rect area = plan.area;
    if (layout.strip)
        area.w -= font.width(false, plan.marker_size, "00/00") + layout.margin_x / 2;
    else
        area.h -= font.line_skip(plan.marker_size);
    area.w = std::max(area.w, size);
    area.h = std::max(area.h, 1);
    plan.area = area;
    plan.pages = pack(lay_out(font, parts, size, headline, area.w, !layout.strip), area.h);
    plan.pagination.pages = static_cast<int>(plan.pages.size());
    return plan;
}

// Draws `text` with its top-left corner at (x, y), no wider than `max_width`.
Result<void> draw_text(const NoticeRenderer::Font& font, SDL_Surface* frame, const std::string& text,
                       bool bold, int size, std::uint32_t rgb, int x, int y, int max_width) {
    if (text.empty())
        return {};
    SurfacePointer words(TTF_RenderUTF8_Blended(font.at(bold, size), text.c_str(), color_of(rgb)));
    if (!words)
        return fail(Errc::Internal, std::string("TTF_RenderUTF8_Blended: ") + TTF_GetError());
    SDL_Rect clip{0, 0, std::min(words->w, std::max(0, max_width)), words->h};
    SDL_Rect at{x, y, clip.w, clip.h};
    SDL_SetSurfaceBlendMode(words.get(), SDL_BLENDMODE_BLEND);
    if (SDL_BlitSurface(words.get(), &clip, frame, &at) != 0)
        return fail(Errc::Internal, std::string("SDL_BlitSurface: ") + SDL_GetError());
    return {};
}

Uint32 mapped(SDL_Surface* frame, std::uint32_t rgb) {
    const SDL_Color colour = color_of(rgb);
    return SDL_MapRGB(frame->format, colour.r, colour.g, colour.b);
}

// The triangle with its "!" (in black) of `size` pixels at (x, y).
void draw_warning(SDL_Surface* frame, int x, int y, int size, std::uint32_t rgb) {
    fill_triangle(frame, x, y, size, mapped(frame, rgb));
    const Uint32 black = mapped(frame, 0x000000);
    const int bar = std::max(2, size / 10);
    SDL_Rect stem{x + size / 2 - bar / 2, y + size * 3 / 8, bar, size * 3 / 10};
    SDL_Rect dot{x + size / 2 - bar / 2, y + size * 3 / 4, bar, bar};
    SDL_FillRect(frame, &stem, black);
    SDL_FillRect(frame, &dot, black);
}

Result<RgbImage> draw_page(const NoticeRenderer::Font& font, const NoticeStyle& style, const NoticePlan& plan,
                           const NoticeLook& look, const NoticeHeader& header, std::size_t page) {
    const NoticeLayout& layout = plan.pagination.layout;
    const FrameSize frame_size = layout.frame;
    const NoticePalette palette = notice_palette(look, style);
    SurfacePointer frame(
        SDL_CreateRGBSurfaceWithFormat(0, frame_size.width, frame_size.height, 24, SDL_PIXELFORMAT_RGB24));
    if (!frame)
        return fail(Errc::Internal, std::string("SDL_CreateRGBSurface: ") + SDL_GetError());
    SDL_FillRect(frame.get(), nullptr, mapped(frame.get(), palette.background));
    const int pages = static_cast<int>(plan.pages.size());

    if (layout.strip) {
        if (!plan.label.empty()) {
            SDL_Rect strip{0, 0, plan.label_width, frame_size.height};
            SDL_FillRect(frame.get(), &strip, mapped(frame.get(), palette.header));
            const int size = plan.label.front().size;
            int x = layout.margin_x;
            int y = (frame_size.height - height_of(plan.label)) / 2;
            if (plan.label_icon) {
                draw_warning(frame.get(), x, (frame_size.height - size * 2) / 2, size * 2, palette.accent);
                x += size * 2 + size / 2;
            }
            const std::uint32_t colour = plan.banner.empty() ? palette.header_text : palette.accent;
            for (const auto& line : plan.label) {
                if (auto drawn = draw_text(font, frame.get(), line.text, line.bold, line.size, colour, x, y,
                                           plan.label_width - x);
                    !drawn)
                    return std::unexpected(drawn.error());
                y += line.height;
            }
        }
    } else {
        const int top_block = layout.margin_y + layout.band + layout.header;
        SDL_Rect band{0, 0, frame_size.width, top_block};
        if (layout.band > 0 || layout.header > 0)
            SDL_FillRect(frame.get(), &band, mapped(frame.get(), palette.header));
        const int width = frame_size.width - 2 * layout.margin_x;
        if (layout.band > 0) {
            // The band's words in bold capitals, as large as the band allows, smaller until they
            // fit the width (a portrait screen); in the alert's colour beside its triangle.
            const int icon = look.kind == NoticeKind::Alert ? layout.band * 3 / 4 : 0;
            const int gap = icon > 0 ? layout.band / 4 : 0;
            int size = std::max(8, layout.band * 3 / 5);
            while (size > 8 && font.width(true, size, plan.banner) > width - icon - gap) size -= 2;
            const int words = std::min(font.width(true, size, plan.banner), width - icon - gap);
            const int left = std::max(0, (frame_size.width - icon - gap - words) / 2);
            if (icon > 0)
                draw_warning(frame.get(), left, layout.margin_y + (layout.band - icon) / 2, icon,
                             palette.accent);
            const int text_top = layout.margin_y + (layout.band - font.line_skip(size)) / 2;
            if (auto drawn = draw_text(font, frame.get(), plan.banner, true, size, palette.accent,
                                       left + icon + gap, text_top, words);
                !drawn)
                return std::unexpected(drawn.error());
        }
        // The header: "PLACE · date", the place in bold; smaller until it fits the width.
        const std::string place = vietnamese_upper(header.place);
        const std::string date = (place.empty() || header.date.empty() ? "" : " · ") + header.date;
        int size = layout.header_size;
        while (size > std::min(style.minimum_px, layout.header_size) &&
               font.width(true, size, place) + font.width(false, size, date) > width)
            size -= std::max(1, size / 12);
        const int y = layout.margin_y + layout.band + (layout.header - font.line_skip(size)) / 2;
        const int place_width = font.width(true, size, place);
        if (auto drawn = draw_text(font, frame.get(), place, true, size, palette.header_text, layout.margin_x,
                                   y, width);
            !drawn)
            return std::unexpected(drawn.error());
        if (auto drawn = draw_text(font, frame.get(), date, false, size, palette.header_text,
                                   layout.margin_x + place_width, y, width - place_width);
            !drawn)
            return std::unexpected(drawn.error());
    }

    // The page's lines: on a single page centred in the area's height, on pages from its top.
    const auto& lines = plan.pages[page];
    int y = plan.area.y + (pages == 1 ? std::max(0, (plan.area.h - height_of(lines)) / 2) : 0);
    if (layout.strip && pages > 1)
        y = plan.area.y + std::max(0, (plan.area.h - height_of(lines)) / 2);
    for (const auto& line : lines) {
        if (auto drawn = draw_text(font, frame.get(), line.text, line.bold, line.size, palette.text,
                                   plan.area.x, y, plan.area.w);
            !drawn)
            return std::unexpected(drawn.error());
        y += line.height;
    }
    if (pages > 1) {
        const std::string marker = page_marker(page, plan.pages.size());
        const int w = font.width(false, plan.marker_size, marker);
        const int x = frame_size.width - layout.margin_x - w;
        const int marker_y = layout.strip
                                 ? (frame_size.height - font.line_skip(plan.marker_size)) / 2
                                 : frame_size.height - layout.margin_y - font.line_skip(plan.marker_size);
        if (auto drawn =
                draw_text(font, frame.get(), marker, false, plan.marker_size, palette.text, x, marker_y, w);
            !drawn)
            return std::unexpected(drawn.error());
    }

    RgbImage image;
    image.width = frame_size.width;
    image.height = frame_size.height;
    const auto row_bytes = static_cast<std::size_t>(frame_size.width) * 3;
    image.pixels.resize(row_bytes * static_cast<std::size_t>(frame_size.height));
    const auto* source = static_cast<const std::uint8_t*>(frame->pixels);
    for (int row = 0; row < frame_size.height; ++row)
        std::memcpy(image.pixels.data() + row_bytes * static_cast<std::size_t>(row),
                    source + static_cast<std::size_t>(frame->pitch) * static_cast<std::size_t>(row),
                    row_bytes);
    return image;
}

bool banner_drawable(const NoticeRenderer& renderer, const NoticeLook& look) {
    if (look.kind == NoticeKind::Notice)
        return false;
    // A font without the band's letters: the colours alone mark the alert.
    return renderer.missing_glyphs(look.kind == NoticeKind::Alert ? alert_banner_text : exercise_banner_text)
        .empty();
}

}  // namespace

Result<NoticePagination> NoticeRenderer::paginate(std::string_view text, const NoticeLook& look,
                                                  const NoticeHeader& header, FrameSize frame) const {
    auto plan = make_plan(*m_font, m_style, text, look, header, frame, missing_glyphs(text),
                          banner_drawable(*this, look));
    if (!plan)
        return std::unexpected(plan.error());
    return plan->pagination;
}

Result<std::vector<RgbImage>> NoticeRenderer::render_pages(std::string_view text, const NoticeLook& look,
                                                           const NoticeHeader& header,
                                                           FrameSize frame) const {
    // The header's own words must be drawable too; a place the font lacks is left out.
    NoticeHeader shown = header;
    if (!missing_glyphs(shown.place).empty())
        shown.place.clear();
    if (!missing_glyphs(shown.date).empty())
        shown.date.clear();
    auto plan = make_plan(*m_font, m_style, text, look, shown, frame, missing_glyphs(text),
                          banner_drawable(*this, look));
    if (!plan)
        return std::unexpected(plan.error());
    std::vector<RgbImage> pages;
    for (std::size_t page = 0; page < plan->pages.size(); ++page) {
        auto image = draw_page(*m_font, m_style, *plan, look, shown, page);
        if (!image)
            return std::unexpected(image.error());
        pages.push_back(std::move(*image));
    }
    return pages;
}

Result<RgbImage> NoticeRenderer::render(std::string_view text, const NoticeLook& look,
                                        const NoticeHeader& header) const {
    auto pages = render_pages(text, look, header, FrameSize{m_style.width, m_style.height});
    if (!pages)
        return std::unexpected(pages.error());
    return std::move(pages->front());
}

namespace {

// An image ready for libpng's simplified writer: paletted when it has pixels.
struct PngPlan {
    png_image png{};
    std::vector<std::uint8_t> colormap;
    std::vector<std::uint8_t> indices;
    bool paletted = false;
};

PngPlan plan_png(const RgbImage& image) {
    PngPlan plan;
    png_image& png = plan.png;
    std::vector<std::uint8_t>& colormap = plan.colormap;
    std::vector<std::uint8_t>& indices = plan.indices;
    png.version = PNG_IMAGE_VERSION;
    png.width = static_cast<png_uint_32>(image.width);
    png.height = static_cast<png_uint_32>(image.height);
    png.format = PNG_FORMAT_RGB;
    // A notice has few colours (its backgrounds, its text and the anti-aliased edges between
    // them), so it is written with a palette: a third of the size or less. Beyond 256 colours
    // the rarest (edge pixels) take the nearest of the 256 most frequent ones, a difference no
    // one sees on a screen.
    {
        auto rgb_at = [&](std::size_t at) {
            return (std::uint32_t{image.pixels[at]} << 16) | (std::uint32_t{image.pixels[at + 1]} << 8) |
                   image.pixels[at + 2];
        };
        std::unordered_map<std::uint32_t, std::size_t> counts;
        for (std::size_t at = 0; at + 2 < image.pixels.size(); at += 3) ++counts[rgb_at(at)];
        std::vector<std::pair<std::size_t, std::uint32_t>> by_count;
        for (const auto& [rgb, count] : counts) by_count.emplace_back(count, rgb);
        std::sort(by_count.begin(), by_count.end(), std::greater<>{});
        if (by_count.size() > 256)
            by_count.resize(256);
        std::unordered_map<std::uint32_t, std::uint8_t> index_of;
        for (const auto& [count, rgb] : by_count) {
            index_of.emplace(rgb, static_cast<std::uint8_t>(index_of.size()));
            colormap.insert(colormap.end(),
                            {static_cast<std::uint8_t>(rgb >> 16), static_cast<std::uint8_t>(rgb >> 8),
                             static_cast<std::uint8_t>(rgb)});
        }
        auto nearest = [&](std::uint32_t rgb) {
            std::uint8_t best = 0;
            long best_distance = -1;
            for (std::size_t entry = 0; entry < colormap.size() / 3; ++entry) {
                long distance = 0;
                for (std::size_t channel = 0; channel < 3; ++channel) {
                    const long delta =
                        long{colormap[entry * 3 + channel]} - long{(rgb >> (16 - 8 * channel)) & 0xff};
                    distance += delta * delta;
                }
                if (best_distance < 0 || distance < best_distance) {
                    best_distance = distance;
                    best = static_cast<std::uint8_t>(entry);
                }
            }
            return best;
        };
        indices.reserve(image.pixels.size() / 3);
        for (std::size_t at = 0; at + 2 < image.pixels.size(); at += 3) {
            const std::uint32_t rgb = rgb_at(at);
            auto found = index_of.find(rgb);
            if (found == index_of.end())
                found = index_of.emplace(rgb, nearest(rgb)).first;
            indices.push_back(found->second);
        }
    }
    plan.paletted = !indices.empty();
    if (plan.paletted) {
        png.format = PNG_FORMAT_RGB_COLORMAP;
        png.colormap_entries = static_cast<png_uint_32>(colormap.size() / 3);
    }
    return plan;
}

}  // namespace

Result<std::string> encode_png(const RgbImage& image) {
    PngPlan plan = plan_png(image);
    const void* pixels = plan.paletted ? static_cast<const void*>(plan.indices.data())
                                       : static_cast<const void*>(image.pixels.data());
    const int stride = plan.paletted ? image.width : image.width * 3;
    const void* colormap = plan.paletted ? plan.colormap.data() : nullptr;
    png_alloc_size_t size = 0;
    if (png_image_write_to_memory(&plan.png, nullptr, &size, 0, pixels, stride, colormap) == 0) {
        const std::string reason = plan.png.message;
        png_image_free(&plan.png);
        return fail(Errc::Io, "png: " + reason);
    }
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (png_image_write_to_memory(&plan.png, bytes.data(), &size, 0, pixels, stride, colormap) == 0) {
        const std::string reason = plan.png.message;
        png_image_free(&plan.png);
        return fail(Errc::Io, "png: " + reason);
    }
    bytes.resize(static_cast<std::size_t>(size));
    return bytes;
}

Result<void> write_png(const RgbImage& image, const std::filesystem::path& path) {
    PngPlan plan = plan_png(image);
    png_image& png = plan.png;
    const bool paletted = plan.paletted;
    const std::vector<std::uint8_t>& colormap = plan.colormap;
    const std::vector<std::uint8_t>& indices = plan.indices;
    // Written beside the target and renamed, so mpv never reads a half-written file.
    const std::filesystem::path partial = path.string() + ".partial";
    std::error_code error;
    const int written = paletted ? png_image_write_to_file(&png, partial.c_str(), 0, indices.data(),
                                                           image.width, colormap.data())
                                 : png_image_write_to_file(&png, partial.c_str(), 0, image.pixels.data(),
                                                           image.width * 3, nullptr);
    if (written == 0) {
        const std::string reason = png.message;
        png_image_free(&png);
        std::filesystem::remove(partial, error);
        return fail(Errc::Io, partial.string() + ": " + reason);
    }
    std::filesystem::rename(partial, path, error);
    if (error) {
        std::filesystem::remove(partial, error);
        return fail(Errc::Io, path.string() + ": " + error.message());
    }
    return {};
}

Result<RgbImage> read_png(const std::filesystem::path& path) {
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    if (png_image_begin_read_from_file(&png, path.c_str()) == 0) {
        const std::string reason = png.message;
        png_image_free(&png);
        return fail(Errc::Io, path.string() + ": " + reason);
    }
    png.format = PNG_FORMAT_RGB;
    RgbImage image;
    image.width = static_cast<int>(png.width);
    image.height = static_cast<int>(png.height);
    image.pixels.resize(PNG_IMAGE_SIZE(png));
    if (png_image_finish_read(&png, nullptr, image.pixels.data(), 0, nullptr) == 0) {
        const std::string reason = png.message;
        png_image_free(&png);
        return fail(Errc::Io, path.string() + ": " + reason);
    }
    return image;
}

Result<void> NoticeRenderer::render_to_files(std::string_view text, const NoticeLook& look,
                                             const NoticeHeader& header, FrameSize frame,
                                             const std::vector<std::filesystem::path>& paths) const {
    auto pages = render_pages(text, look, header, frame);
    if (!pages)
        return std::unexpected(pages.error());
    if (pages->size() != paths.size())
        return fail(Errc::InvalidInput, "the notice has " + std::to_string(pages->size()) + " pages, not " +
                                            std::to_string(paths.size()));
    for (std::size_t page = 0; page < paths.size(); ++page)
        if (auto written = write_png((*pages)[page], paths[page]); !written)
            return written;
    return {};
}

}  // namespace bantin::player
