#include "bantin/player/notice_renderer.hpp"

#include <SDL2/SDL.h>
#include <SDL2/SDL_ttf.h>
#include <png.h>

#include <cstring>

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

}  // namespace

std::uint32_t notice_background(const NoticeLook& look, const NoticeStyle& style) {
    switch (look.kind) {
        case NoticeKind::Notice: return style.background_rgb;
        case NoticeKind::Exercise: return 0x4a4066;  // grey-violet: nothing like an alert's colours
        case NoticeKind::Alert:
            switch (look.severity) {
                case scheduler::Severity::Extreme: return 0xc62828;   // red
                case scheduler::Severity::Severe: return 0xef6c00;    // amber
                case scheduler::Severity::Moderate: return 0xfdd835;  // yellow
                case scheduler::Severity::Minor: return 0xfdd835;
            }
    }
    return style.background_rgb;
}

std::uint32_t notice_text_colour(const NoticeLook& look, const NoticeStyle& style) {
    if (look.kind == NoticeKind::Alert &&
        (look.severity == scheduler::Severity::Moderate || look.severity == scheduler::Severity::Minor))
        return 0x111111;  // dark on yellow
    return look.kind == NoticeKind::Notice ? style.text_rgb : 0xffffff;
}

namespace {

// A filled warning triangle (apex up) of `size` pixels with its lower-left corner at (x, y + size).
void fill_triangle(SDL_Surface* frame, int x, int y, int size, Uint32 colour) {
    for (int row = 0; row < size; ++row) {
        const int half = row / 2;
        SDL_Rect line{x + size / 2 - half, y + row, 2 * half + 1, 1};
        SDL_FillRect(frame, &line, colour);
    }
}

}  // namespace

struct NoticeRenderer::Font {
    TTF_Font* font = nullptr;
    Font() = default;
    Font(const Font&) = delete;
    Font& operator=(const Font&) = delete;
    ~Font() {
        if (font != nullptr)
            TTF_CloseFont(font);
        TTF_Quit();
    }
};

Result<NoticeRenderer> NoticeRenderer::create(const std::filesystem::path& font_path, NoticeStyle style) {
    if (style.width <= 0 || style.height <= 0 || style.point_size <= 0 || style.margin < 0 ||
        2 * style.margin >= std::min(style.width, style.height))
        return fail(Errc::InvalidInput,
                    "notice style: size, point size and margins must leave room for text");
    if (TTF_Init() != 0)
        return fail(Errc::Internal, std::string("TTF_Init: ") + TTF_GetError());
    auto font = std::make_unique<Font>();  // from here on its destructor balances TTF_Init
    font->font = TTF_OpenFont(font_path.c_str(), style.point_size);
    if (font->font == nullptr)
        return fail(Errc::NotFound, font_path.string() + ": cannot open font: " + TTF_GetError());
    TTF_SetFontWrappedAlign(font->font, TTF_WRAPPED_ALIGN_CENTER);
    return NoticeRenderer(std::move(font), style);
}

NoticeRenderer::NoticeRenderer(std::unique_ptr<Font> font, NoticeStyle style)
    : m_font(std::move(font)), m_style(style) {}
NoticeRenderer::NoticeRenderer(NoticeRenderer&&) noexcept = default;
NoticeRenderer& NoticeRenderer::operator=(NoticeRenderer&&) noexcept = default;
NoticeRenderer::~NoticeRenderer() = default;

std::vector<char32_t> NoticeRenderer::missing_glyphs(std::string_view text) const {
    std::vector<char32_t> missing;
    for (char32_t point : code_points(text)) {
        if (point == U'\n' || point == U'\r' || point == U'\t')
            continue;
        if (TTF_GlyphIsProvided32(m_font->font, static_cast<Uint32>(point)) == 0)
            missing.push_back(point);
    }
    return missing;
}

Result<RgbImage> NoticeRenderer::render(std::string_view text, const NoticeLook& look) const {
    if (text.empty())
        return fail(Errc::InvalidInput, "text notice is empty");
    std::string banner{look.kind == NoticeKind::Alert      ? alert_banner_text
                       : look.kind == NoticeKind::Exercise ? exercise_banner_text
                                                           : std::string_view{}};
    if (!banner.empty() && !missing_glyphs(banner).empty())
        banner.clear();  // a font without the band's letters: the colours alone mark the alert
    if (auto missing = missing_glyphs(text); !missing.empty()) {
        std::string list;
        for (char32_t point : missing) {
            char buffer[16];
            std::snprintf(buffer, sizeof buffer, "%sU+%04X", list.empty() ? "" : " ",
                          static_cast<unsigned>(point));
            list += buffer;
        }
        return fail(Errc::Unsupported, "the font has no glyph for " + list);
    }
    const std::string owned(text);
    // An alert's band: a ninth of the frame's height (at least 48 px), black.
    const int band = banner.empty() ? 0 : std::max(48, m_style.height / 9);
    const int text_width = m_style.width - 2 * m_style.margin;
    const int text_height = m_style.height - band - 2 * m_style.margin;
    if (text_height <= 0)
        return fail(Errc::InvalidInput,
                    "notice style: the frame is too small for an alert's band and margins");
    const std::uint32_t text_rgb = notice_text_colour(look, m_style);

    // Shrink the font until the wrapped block fits the frame.
    SurfacePointer block;
    for (int size = m_style.point_size; size >= 12; size -= 4) {
        TTF_SetFontSize(m_font->font, size);
        block.reset(TTF_RenderUTF8_Blended_Wrapped(m_font->font, owned.c_str(), color_of(text_rgb),
                                                   static_cast<Uint32>(text_width)));
        if (!block)
            return fail(Errc::Internal, std::string("TTF_RenderUTF8_Blended_Wrapped: ") + TTF_GetError());
        if (block->h <= text_height)
            break;
    }
    TTF_SetFontSize(m_font->font, m_style.point_size);

    SurfacePointer frame(
        SDL_CreateRGBSurfaceWithFormat(0, m_style.width, m_style.height, 24, SDL_PIXELFORMAT_RGB24));
    if (!frame)
        return fail(Errc::Internal, std::string("SDL_CreateRGBSurface: ") + SDL_GetError());
    const SDL_Color background = color_of(notice_background(look, m_style));
    SDL_FillRect(frame.get(), nullptr, SDL_MapRGB(frame->format, background.r, background.g, background.b));
    SDL_Rect where{(m_style.width - block->w) / 2, band + (m_style.height - band - block->h) / 2, block->w,
                   block->h};
    SDL_SetSurfaceBlendMode(block.get(), SDL_BLENDMODE_BLEND);
    if (SDL_BlitSurface(block.get(), nullptr, frame.get(), &where) != 0)
        return fail(Errc::Internal, std::string("SDL_BlitSurface: ") + SDL_GetError());
    if (band > 0) {
        SDL_Rect strip{0, 0, m_style.width, band};
        SDL_FillRect(frame.get(), &strip, SDL_MapRGB(frame->format, 0, 0, 0));
        // The band's words in bold capitals, as large as the band allows; in the alert's colour.
        TTF_SetFontStyle(m_font->font, TTF_STYLE_BOLD);
        const SDL_Color accent =
            color_of(look.kind == NoticeKind::Alert ? notice_background(look, m_style) : 0xffffff);
        const int icon = look.kind == NoticeKind::Alert ? band * 3 / 4 : 0;
        const int gap = icon > 0 ? band / 4 : 0;
        // As large as the band allows, smaller until the words fit the width (a portrait screen).
        SurfacePointer words;
        for (int size = std::max(12, band * 3 / 5); size >= 8; size -= 2) {
            TTF_SetFontSize(m_font->font, size);
            words.reset(TTF_RenderUTF8_Blended(m_font->font, banner.c_str(), accent));
            if (!words || words->w <= m_style.width - 2 * m_style.margin - icon - gap)
                break;
        }
        TTF_SetFontStyle(m_font->font, TTF_STYLE_NORMAL);
        TTF_SetFontSize(m_font->font, m_style.point_size);
        if (!words)
            return fail(Errc::Internal, std::string("TTF_RenderUTF8_Blended: ") + TTF_GetError());
        const int total = icon + gap + std::min(words->w, m_style.width - 2 * m_style.margin - icon - gap);
        const int left = std::max(0, (m_style.width - total) / 2);
        if (icon > 0) {
            fill_triangle(frame.get(), left, (band - icon) / 2, icon,
                          SDL_MapRGB(frame->format, accent.r, accent.g, accent.b));
            // The "!" in the triangle: a bar and a dot, black.
            const Uint32 black = SDL_MapRGB(frame->format, 0, 0, 0);
            const int bar = std::max(2, icon / 10);
            SDL_Rect stem{left + icon / 2 - bar / 2, (band - icon) / 2 + icon * 3 / 8, bar, icon * 3 / 10};
            SDL_Rect dot{left + icon / 2 - bar / 2, (band - icon) / 2 + icon * 3 / 4, bar, bar};
            SDL_FillRect(frame.get(), &stem, black);
            SDL_FillRect(frame.get(), &dot, black);
        }
        SDL_Rect clip{0, 0, std::min(words->w, m_style.width - left - icon - gap), words->h};
        SDL_Rect at{left + icon + gap, (band - words->h) / 2, clip.w, clip.h};
        SDL_SetSurfaceBlendMode(words.get(), SDL_BLENDMODE_BLEND);
        if (SDL_BlitSurface(words.get(), &clip, frame.get(), &at) != 0)
            return fail(Errc::Internal, std::string("SDL_BlitSurface: ") + SDL_GetError());
    }

    RgbImage image;
    image.width = m_style.width;
    image.height = m_style.height;
    const auto row_bytes = static_cast<std::size_t>(m_style.width) * 3;
    image.pixels.resize(row_bytes * static_cast<std::size_t>(m_style.height));
    const auto* source = static_cast<const std::uint8_t*>(frame->pixels);
    for (int row = 0; row < m_style.height; ++row)
        std::memcpy(image.pixels.data() + row_bytes * static_cast<std::size_t>(row),
                    source + static_cast<std::size_t>(frame->pitch) * static_cast<std::size_t>(row),
                    row_bytes);
    return image;
}

Result<void> NoticeRenderer::render_to_file(std::string_view text, const std::filesystem::path& path,
                                            const NoticeLook& look) const {
    auto image = render(text, look);
    if (!image)
        return std::unexpected(image.error());
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    png.width = static_cast<png_uint_32>(image->width);
    png.height = static_cast<png_uint_32>(image->height);
    png.format = PNG_FORMAT_RGB;
    // Written beside the target and renamed, so mpv never reads a half-written file.
    const std::filesystem::path partial = path.string() + ".partial";
    std::error_code error;
    if (png_image_write_to_file(&png, partial.c_str(), 0, image->pixels.data(), image->width * 3, nullptr) ==
        0) {
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

}  // namespace bantin::player
