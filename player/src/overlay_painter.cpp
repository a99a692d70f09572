#include "overlay_painter.hpp"

#include <SDL2/SDL.h>
#include <SDL2/SDL_ttf.h>
#include <date/tz.h>
#include <qrencode.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cmath>

namespace bantin::player {

namespace {

template <class Function>
bool load_one(Function*& slot, const char* name) {
    slot = reinterpret_cast<Function*>(SDL_GL_GetProcAddress(name));
    return slot != nullptr;
}

constexpr std::size_t max_title_bytes = 512;
constexpr std::size_t max_ticker_bytes = 8192;

const std::array<const char*, 7> weekday_names = {"Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư",
                                                  "Thứ Năm",  "Thứ Sáu", "Thứ Bảy"};

std::filesystem::path overlay_font(const std::filesystem::path& configured) {
    for (const auto& candidate :
         {configured, std::filesystem::path("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
          std::filesystem::path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
          std::filesystem::path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")}) {
        std::error_code error;
        if (!candidate.empty() && std::filesystem::is_regular_file(candidate, error))
            return candidate;
    }
    return {};
}

}  // namespace

Result<GlApi> GlApi::load() {
    GlApi gl;
    bool ok =
        load_one(gl.gen_textures, "glGenTextures") && load_one(gl.delete_textures, "glDeleteTextures") &&
        load_one(gl.bind_texture, "glBindTexture") && load_one(gl.tex_image_2d, "glTexImage2D") &&
        load_one(gl.tex_parameteri, "glTexParameteri") && load_one(gl.tex_env_i, "glTexEnvi") &&
        load_one(gl.enable, "glEnable") && load_one(gl.disable, "glDisable") &&
        load_one(gl.blend_func, "glBlendFunc") && load_one(gl.viewport, "glViewport") &&
        load_one(gl.matrix_mode, "glMatrixMode") && load_one(gl.load_identity, "glLoadIdentity") &&
        load_one(gl.ortho, "glOrtho") && load_one(gl.color4f, "glColor4f") && load_one(gl.begin, "glBegin") &&
        load_one(gl.end, "glEnd") && load_one(gl.tex_coord2f, "glTexCoord2f") &&
        load_one(gl.vertex2f, "glVertex2f") && load_one(gl.clear_color, "glClearColor") &&
        load_one(gl.clear, "glClear") && load_one(gl.pixel_storei, "glPixelStorei") &&
        load_one(gl.read_pixels, "glReadPixels") && load_one(gl.read_buffer, "glReadBuffer") &&
        load_one(gl.get_integerv, "glGetIntegerv") && load_one(gl.gen_framebuffers, "glGenFramebuffers") &&
        load_one(gl.delete_framebuffers, "glDeleteFramebuffers") &&
        load_one(gl.bind_framebuffer, "glBindFramebuffer") &&
        load_one(gl.framebuffer_texture_2d, "glFramebufferTexture2D") &&
        load_one(gl.check_framebuffer_status, "glCheckFramebufferStatus") &&
        load_one(gl.use_program, "glUseProgram") && load_one(gl.bind_buffer, "glBindBuffer") &&
        load_one(gl.active_texture, "glActiveTexture");
    if (!ok)
        return fail(Errc::Unsupported, "OpenGL: a function the screen's bands need is missing");
    (void)load_one(gl.bind_vertex_array, "glBindVertexArray");
    return gl;
}

Bands bands_of(const OverlayContent& content, int height) {
    Bands bands;
    if (height <= 0)
        return bands;
    auto rows = [&](int permille) {
        return static_cast<int>(static_cast<long long>(height) * std::clamp(permille, 0, max_band_permille) /
                                1000);
    };
    if (content.header())
        bands.header = rows(content.header_permille);
    if (content.ticker())
        bands.ticker = rows(content.ticker_permille);
    return bands;
}

HeaderTime header_time(TimePoint wall, const std::string& zone) {
    const date::time_zone* found = nullptr;
    try {
        found = date::locate_zone(zone);
    } catch (const std::exception&) {
        found = nullptr;
    }
    const auto minute = std::chrono::floor<std::chrono::minutes>(wall);
    date::local_time<std::chrono::minutes> local;
    if (found != nullptr)
        local = std::chrono::floor<std::chrono::minutes>(date::make_zoned(found, minute).get_local_time());
    else
        local = date::local_time<std::chrono::minutes>{minute.time_since_epoch()};
    const auto day = std::chrono::floor<date::days>(local);
    const date::year_month_day ymd{day};
    const date::weekday weekday{day};
    const auto time_of_day = local - day;
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(time_of_day).count();
    const auto minutes = (time_of_day - std::chrono::hours{hours}).count();
    HeaderTime result;
    result.date = fmt::format("{}, {:02}/{:02}/{:04}", weekday_names[weekday.c_encoding()],
                              static_cast<unsigned>(ymd.day()), static_cast<unsigned>(ymd.month()),
                              static_cast<int>(ymd.year()));
    result.clock = fmt::format("{:02}:{:02}", hours, minutes);
    return result;
}

int ticker_x(Duration elapsed, int width, int text_width, double pixels_per_second) {
    const double cycle = static_cast<double>(width) + static_cast<double>(std::max(0, text_width));
    if (cycle <= 0 || pixels_per_second <= 0)
        return width;
    const double seconds = static_cast<double>(std::max<std::int64_t>(0, elapsed.count())) / 1000.0;
    const double travelled = std::fmod(seconds * pixels_per_second, cycle);
    return width - static_cast<int>(std::lround(travelled));
}

std::string band_text(std::string_view text, std::size_t max_bytes) {
    std::string out;
    out.reserve(std::min(text.size(), max_bytes));
    for (std::size_t index = 0; index < text.size(); ++index) {
        const auto byte = static_cast<unsigned char>(text[index]);
        if (byte < 0x20 || byte == 0x7f)
            out.push_back(' ');
        else
            out.push_back(text[index]);
    }
    if (out.size() > max_bytes) {
        std::size_t cut = max_bytes;
        // Back to the start of a character (never inside a UTF-8 sequence).
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
        out += "…";
    }
    return out;
}

// ---- the painter ---------------------------------------------------------------------------

struct OverlayPainter::Fonts {
    std::filesystem::path file;
    std::map<int, TTF_Font*> by_size;
    bool ttf_active = false;

    ~Fonts() {
        for (auto& [size, font] : by_size)
            if (font != nullptr)
                TTF_CloseFont(font);
        if (ttf_active)
            TTF_Quit();  // reference-counted by SDL_ttf
    }

    TTF_Font* at(int pixels) {
        pixels = std::clamp(pixels, 6, 400);
        auto found = by_size.find(pixels);
        if (found != by_size.end())
            return found->second;
        TTF_Font* font = TTF_OpenFont(file.c_str(), pixels);
        if (font == nullptr)
            spdlog::warn("screen bands: font {}: {}", file.string(), TTF_GetError());
        by_size[pixels] = font;
        return font;
    }
};

Result<std::unique_ptr<OverlayPainter>> OverlayPainter::create(const GlApi& gl, Options options) {
    auto fonts = std::make_unique<Fonts>();
    fonts->file = overlay_font(options.font_file);
    if (fonts->file.empty())
        return fail(Errc::NotFound,
                    "phông chữ cho dải tin không có; no font for the screen's bands "
                    "(fonts-noto-core or fonts-dejavu-core)");
    if (TTF_Init() != 0)
        return fail(Errc::Unsupported, std::string("SDL_ttf: ") + TTF_GetError());
    fonts->ttf_active = true;
    return std::unique_ptr<OverlayPainter>(new OverlayPainter(gl, std::move(options), std::move(fonts)));
}

OverlayPainter::OverlayPainter(const GlApi& gl, Options options, std::unique_ptr<Fonts> fonts)
    : m_gl(gl), m_options(std::move(options)), m_fonts(std::move(fonts)) {
    GLint limit = 0;
    m_gl.get_integerv(GL_MAX_TEXTURE_SIZE, &limit);
    m_max_texture = std::clamp(static_cast<int>(limit), 256, 4096);
}

OverlayPainter::~OverlayPainter() {
    for (auto& [key, entry] : m_texts)
        for (const auto& piece : entry.second.pieces) m_gl.delete_textures(1, &piece.texture);
    if (m_qr != 0)
        m_gl.delete_textures(1, &m_qr);
}

void OverlayPainter::set_content(const OverlayContent& content, MonotonicTime now) {
    if (content.ticker_text != m_content.ticker_text || !m_content.ticker())
        m_ticker_since = now;
    m_content = content;
}

void OverlayPainter::begin(int width, int height) const {
    // mpv's renderer leaves its program, buffers and vertex array bound.
    m_gl.use_program(0);
    if (m_gl.bind_vertex_array != nullptr)
        m_gl.bind_vertex_array(0);
    m_gl.bind_buffer(GL_ARRAY_BUFFER, 0);
    m_gl.bind_buffer(GL_PIXEL_UNPACK_BUFFER, 0);
    m_gl.bind_buffer(GL_PIXEL_PACK_BUFFER, 0);
    m_gl.active_texture(GL_TEXTURE0);
    m_gl.bind_framebuffer(GL_FRAMEBUFFER, 0);
    m_gl.disable(GL_SCISSOR_TEST);
    m_gl.disable(GL_DEPTH_TEST);
    m_gl.disable(GL_CULL_FACE);
    m_gl.disable(GL_FRAMEBUFFER_SRGB);
    m_gl.viewport(0, 0, width, height);
    m_gl.matrix_mode(GL_PROJECTION);
    m_gl.load_identity();
    m_gl.ortho(0, width, height, 0, -1, 1);
    m_gl.matrix_mode(GL_MODELVIEW);
    m_gl.load_identity();
    m_gl.tex_env_i(GL_TEXTURE_ENV, GL_TEXTURE_ENV_MODE, GL_MODULATE);
    m_gl.enable(GL_BLEND);
    m_gl.blend_func(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
}

void OverlayPainter::end() const {
    m_gl.disable(GL_BLEND);
    m_gl.disable(GL_TEXTURE_2D);
    m_gl.bind_texture(GL_TEXTURE_2D, 0);
    m_gl.color4f(1, 1, 1, 1);
    m_gl.matrix_mode(GL_PROJECTION);
    m_gl.load_identity();
    m_gl.matrix_mode(GL_MODELVIEW);
    m_gl.load_identity();
}

void OverlayPainter::draw_texture(GLuint texture, float x, float y, float width, float height) const {
    m_gl.enable(GL_TEXTURE_2D);
    m_gl.bind_texture(GL_TEXTURE_2D, texture);
    m_gl.color4f(1, 1, 1, 1);
    m_gl.begin(GL_QUADS);
    m_gl.tex_coord2f(0, 0);
    m_gl.vertex2f(x, y);
    m_gl.tex_coord2f(1, 0);
    m_gl.vertex2f(x + width, y);
    m_gl.tex_coord2f(1, 1);
    m_gl.vertex2f(x + width, y + height);
    m_gl.tex_coord2f(0, 1);
    m_gl.vertex2f(x, y + height);
    m_gl.end();
    m_gl.disable(GL_TEXTURE_2D);
}

void OverlayPainter::fill(float x, float y, float width, float height, float r, float g, float b,
                          float a) const {
    m_gl.disable(GL_TEXTURE_2D);
    m_gl.color4f(r, g, b, a);
    m_gl.begin(GL_QUADS);
    m_gl.vertex2f(x, y);
    m_gl.vertex2f(x + width, y);
    m_gl.vertex2f(x + width, y + height);
    m_gl.vertex2f(x, y + height);
    m_gl.end();
    m_gl.color4f(1, 1, 1, 1);
}

void OverlayPainter::forget_text(const std::string& key) {
    auto found = m_texts.find(key);
    if (found == m_texts.end())
        return;
    for (const auto& piece : found->second.second.pieces) m_gl.delete_textures(1, &piece.texture);
    m_texts.erase(found);
}

const TextImage& OverlayPainter::text(const std::string& key, const std::string& content, int pixels) {
    const std::string what = std::to_string(pixels) + "\n" + content;
    if (auto found = m_texts.find(key); found != m_texts.end() && found->second.first == what)
        return found->second.second;
    forget_text(key);
    auto& entry = m_texts[key];
    entry.first = what;
    TextImage& image = entry.second;
    TTF_Font* font = m_fonts->at(pixels);
    if (font == nullptr || content.empty())
        return image;
    SDL_Surface* rendered = TTF_RenderUTF8_Blended(font, content.c_str(), SDL_Color{255, 255, 255, 255});
    if (rendered == nullptr) {
        spdlog::warn("screen bands: text not drawn: {}", TTF_GetError());
        return image;
    }
    // RGBA bytes in memory order, as glTexImage2D reads them.
    SDL_Surface* rgba = SDL_ConvertSurfaceFormat(rendered, SDL_PIXELFORMAT_ABGR8888, 0);
    SDL_FreeSurface(rendered);
    if (rgba == nullptr)
        return image;
    image.width = rgba->w;
    image.height = rgba->h;
    m_gl.bind_buffer(GL_PIXEL_UNPACK_BUFFER, 0);
    m_gl.pixel_storei(GL_UNPACK_ALIGNMENT, 4);
    m_gl.pixel_storei(GL_UNPACK_ROW_LENGTH, rgba->pitch / 4);
    for (int x = 0; x < rgba->w; x += m_max_texture) {
        TextImage::Piece piece;
        piece.x = x;
        piece.width = std::min(m_max_texture, rgba->w - x);
        m_gl.gen_textures(1, &piece.texture);
        m_gl.bind_texture(GL_TEXTURE_2D, piece.texture);
        m_gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        m_gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        m_gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        m_gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        const auto* first = static_cast<const std::uint8_t*>(rgba->pixels) + static_cast<std::size_t>(x) * 4;
        m_gl.tex_image_2d(GL_TEXTURE_2D, 0, GL_RGBA8, piece.width, rgba->h, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                          first);
        image.pieces.push_back(piece);
    }
    m_gl.pixel_storei(GL_UNPACK_ROW_LENGTH, 0);
    m_gl.bind_texture(GL_TEXTURE_2D, 0);
    SDL_FreeSurface(rgba);
    return image;
}

void OverlayPainter::draw_text(const TextImage& image, float x, float y, float scale) const {
    for (const auto& piece : image.pieces)
        draw_texture(piece.texture, x + static_cast<float>(piece.x) * scale, y,
                     static_cast<float>(piece.width) * scale, static_cast<float>(image.height) * scale);
}

GLuint OverlayPainter::qr_texture(int& modules) {
    if (m_qr_url == m_content.board_url) {
        modules = m_qr_modules;
        return m_qr;
    }
    if (m_qr != 0)
        m_gl.delete_textures(1, &m_qr);
    m_qr = 0;
    m_qr_modules = 0;
    m_qr_url = m_content.board_url;
    modules = 0;
    if (m_qr_url.empty())
        return 0;
    QRcode* code = QRcode_encodeString8bit(m_qr_url.c_str(), 0, QR_ECLEVEL_M);
    if (code == nullptr) {
        spdlog::warn("screen bands: no QR code for the board's address ({} bytes)", m_qr_url.size());
        return 0;
    }
    // A light quiet zone of two modules around the dark modules.
    constexpr int quiet = 2;
    const int side = code->width + 2 * quiet;
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(side) * static_cast<std::size_t>(side) * 4,
                                     255);
    for (int row = 0; row < code->width; ++row)
        for (int column = 0; column < code->width; ++column) {
            if ((code->data[row * code->width + column] & 1) == 0)
                continue;
            const auto at = (static_cast<std::size_t>(row + quiet) * static_cast<std::size_t>(side) +
                             static_cast<std::size_t>(column + quiet)) *
                            4;
            pixels[at] = pixels[at + 1] = pixels[at + 2] = 0;
        }
    QRcode_free(code);
    m_gl.bind_buffer(GL_PIXEL_UNPACK_BUFFER, 0);
    m_gl.pixel_storei(GL_UNPACK_ALIGNMENT, 4);
    m_gl.gen_textures(1, &m_qr);
    m_gl.bind_texture(GL_TEXTURE_2D, m_qr);
    m_gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    m_gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    m_gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    m_gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    m_gl.tex_image_2d(GL_TEXTURE_2D, 0, GL_RGBA8, side, side, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    m_gl.bind_texture(GL_TEXTURE_2D, 0);
    m_qr_modules = side;
    modules = side;
    return m_qr;
}

void OverlayPainter::paint(int width, int height, TimePoint wall, MonotonicTime now) {
    m_gl.enable(GL_BLEND);
    m_gl.blend_func(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    const Bands bands = bands_of(m_content, height);
    if (bands.header > 0)
        paint_header(width, bands.header, wall);
    if (bands.ticker > 0)
        paint_ticker(width, height, bands.ticker, now);
}

void OverlayPainter::paint_header(int width, int rows, TimePoint wall) {
    const float w = static_cast<float>(width);
    const float h = static_cast<float>(rows);
    m_gl.disable(GL_BLEND);                                                                     // opaque
    fill(0, 0, w, h, 0.04f, 0.15f, 0.36f, 1.0f);                                                // dark blue
    fill(0, h - std::max(1.0f, h / 40), w, std::max(1.0f, h / 40), 0.99f, 0.85f, 0.21f, 1.0f);  // gold rule
    m_gl.enable(GL_BLEND);
    // Text sizes follow the band's height, but no more than a narrow (portrait) screen's width
    // leaves room for: the name, the date and the clock share one line.
    const int base = std::min(rows, width / 12);
    const int pad = std::max(2, base / 8);
    float right = w - static_cast<float>(pad);
    // The QR code at the right end, whole modules only (a scaled module blurs the code).
    int modules = 0;
    if (const GLuint qr = qr_texture(modules); qr != 0 && modules > 0) {
        const int module_pixels = std::min(rows - pad, width / 7) / modules;
        if (module_pixels >= 1) {
            const float side = static_cast<float>(module_pixels * modules);
            draw_texture(qr, right - side, (h - side) / 2, side, side);
            right -= side + static_cast<float>(pad);
        }
    }
    const HeaderTime time = header_time(wall, m_content.time_zone);
    const TextImage& clock = text("clock", time.clock, base * 46 / 100);
    const TextImage& date = text("date", time.date, base * 30 / 100);
    if (!clock.pieces.empty()) {
        right -= static_cast<float>(clock.width);
        draw_text(clock, right, (h - static_cast<float>(clock.height)) / 2, 1.0f);
        right -= static_cast<float>(pad);
    }
    if (!date.pieces.empty()) {
        right -= static_cast<float>(date.width);
        draw_text(date, right, (h - static_cast<float>(date.height)) / 2, 1.0f);
        right -= static_cast<float>(pad) * 2;
    }
    const TextImage& title = text("title", band_text(m_content.title, max_title_bytes), base * 44 / 100);
    if (!title.pieces.empty()) {
        const float room = right - static_cast<float>(pad);
        if (room > 0) {
            const float scale = std::min(1.0f, room / static_cast<float>(title.width));
            draw_text(title, static_cast<float>(pad), (h - static_cast<float>(title.height) * scale) / 2,
                      scale);
        }
    }
}

void OverlayPainter::paint_ticker(int width, int height, int rows, MonotonicTime now) {
    const float top = static_cast<float>(height - rows);
    fill(0, top, static_cast<float>(width), static_cast<float>(rows), 0.0f, 0.0f, 0.0f, 0.62f);
    const TextImage& line =
        text("ticker", band_text(m_content.ticker_text, max_ticker_bytes), rows * 60 / 100);
    if (line.pieces.empty())
        return;
    const double speed = m_options.ticker_speed * static_cast<double>(height) / 1080.0;
    const int x = ticker_x(now - m_ticker_since, width, line.width, speed);
    draw_text(line, static_cast<float>(x), top + static_cast<float>(rows - line.height) / 2, 1.0f);
}

}  // namespace bantin::player
