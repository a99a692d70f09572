#include "bantin/media/font_coverage.hpp"

#include <SDL_ttf.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace bantin::media {

struct FontCoverage::Font {
    TTF_Font* font = nullptr;
    mutable std::mutex mutex;
    ~Font() {
        if (font != nullptr)
            TTF_CloseFont(font);
        TTF_Quit();
    }
};

namespace {

// Decodes UTF-8; a malformed sequence yields U+FFFD and resynchronises on the next byte.
std::vector<char32_t> decode(std::string_view text) {
    std::vector<char32_t> points;
    std::size_t index = 0;
    while (index < text.size()) {
        const auto lead = static_cast<unsigned char>(text[index]);
        std::size_t length = 0;
        char32_t point = 0;
        if (lead < 0x80) {
            length = 1;
            point = lead;
        } else if ((lead & 0xE0) == 0xC0 && lead >= 0xC2) {
            length = 2;
            point = lead & 0x1FU;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
            point = lead & 0x0FU;
        } else if ((lead & 0xF8) == 0xF0 && lead <= 0xF4) {
            length = 4;
            point = lead & 0x07U;
        }
        bool valid = length > 0 && index + length <= text.size();
        for (std::size_t k = 1; valid && k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[index + k]);
            valid = (next & 0xC0) == 0x80;
            point = (point << 6) | (next & 0x3FU);
        }
        if (valid &&
            ((length == 3 && point < 0x800) || (length == 4 && (point < 0x10000 || point > 0x10FFFF)) ||
             (point >= 0xD800 && point <= 0xDFFF)))
            valid = false;
        if (!valid) {
            points.push_back(U'\uFFFD');
            ++index;
            continue;
        }
        points.push_back(point);
        index += length;
    }
    return points;
}

void append_utf8(std::string& out, char32_t point) {
    if (point < 0x80) {
        out += static_cast<char>(point);
    } else if (point < 0x800) {
        out += static_cast<char>(0xC0 | (point >> 6));
        out += static_cast<char>(0x80 | (point & 0x3F));
    } else if (point < 0x10000) {
        out += static_cast<char>(0xE0 | (point >> 12));
        out += static_cast<char>(0x80 | ((point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (point >> 18));
        out += static_cast<char>(0x80 | ((point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (point & 0x3F));
    }
}

}  // namespace

Result<FontCoverage> FontCoverage::open(const std::filesystem::path& font_file) {
    if (TTF_Init() != 0)
        return fail(Errc::Internal, std::string("TTF_Init: ") + TTF_GetError());
    auto font = std::make_unique<Font>();  // from here on its destructor balances TTF_Init
    font->font = TTF_OpenFont(font_file.c_str(), 12);
    if (font->font == nullptr)
        return fail(Errc::NotFound, font_file.string() + ": cannot open font: " + TTF_GetError());
    return FontCoverage(std::move(font));
}

FontCoverage::FontCoverage(std::unique_ptr<Font> font) : m_font(std::move(font)) {}
FontCoverage::FontCoverage(FontCoverage&&) noexcept = default;
FontCoverage& FontCoverage::operator=(FontCoverage&&) noexcept = default;
FontCoverage::~FontCoverage() = default;

std::vector<char32_t> FontCoverage::missing(std::string_view text) const {
    std::vector<char32_t> missing;
    std::lock_guard lock(m_font->mutex);
    for (char32_t point : decode(text)) {
        if (point == U'\n' || point == U'\r' || point == U'\t')
            continue;
        if (std::find(missing.begin(), missing.end(), point) != missing.end())
            continue;
        if (TTF_GlyphIsProvided32(m_font->font, static_cast<Uint32>(point)) == 0)
            missing.push_back(point);
    }
    return missing;
}

std::string describe_code_points(const std::vector<char32_t>& points) {
    std::string out;
    for (char32_t point : points) {
        if (!out.empty())
            out += ", ";
        append_utf8(out, point);
        char code[16];
        std::snprintf(code, sizeof code, " (U+%04X)", static_cast<unsigned>(point));
        out += code;
    }
    return out;
}

}  // namespace bantin::media
