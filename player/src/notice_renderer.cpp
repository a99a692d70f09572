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

Result<RgbImage> NoticeRenderer::render(std::string_view text) const {
    if (text.empty())
        return fail(Errc::InvalidInput, "text notice is empty");
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
    const int text_width = m_style.width - 2 * m_style.margin;
    const int text_height = m_style.height - 2 * m_style.margin;

    // Shrink the font until the wrapped block fits the frame.
    SurfacePointer block;
    for (int size = m_style.point_size; size >= 12; size -= 4) {
        TTF_SetFontSize(m_font->font, size);
        block.reset(TTF_RenderUTF8_Blended_Wrapped(m_font->font, owned.c_str(), color_of(m_style.text_rgb),
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
    const SDL_Color background = color_of(m_style.background_rgb);
    SDL_FillRect(frame.get(), nullptr, SDL_MapRGB(frame->format, background.r, background.g, background.b));
    SDL_Rect where{(m_style.width - block->w) / 2, (m_style.height - block->h) / 2, block->w, block->h};
    SDL_SetSurfaceBlendMode(block.get(), SDL_BLENDMODE_BLEND);
    if (SDL_BlitSurface(block.get(), nullptr, frame.get(), &where) != 0)
        return fail(Errc::Internal, std::string("SDL_BlitSurface: ") + SDL_GetError());

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

Result<void> NoticeRenderer::render_to_file(std::string_view text, const std::filesystem::path& path) const {
    auto image = render(text);
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
