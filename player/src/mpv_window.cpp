#include "mpv_core.hpp"
#include "overlay_painter.hpp"

#include <png.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace bantin::player {

namespace {

using Steady = std::chrono::steady_clock;

void* get_proc_address(void*, const char* name) {
    return SDL_GL_GetProcAddress(name);
}

// The render-update callback's context is the deck (the decks never move once created).
void on_render_update(void* context) {
    const auto* deck = static_cast<Deck*>(context);
    SDL_Event event{};
    event.type = deck->redraw_event_type;
    event.user.code = deck->index;
    SDL_PushEvent(&event);
}

// RGB rows, top first, as a PNG beside `path` then renamed (no partial file left behind).
std::string write_png(const std::filesystem::path& path, int width, int height,
                      const std::vector<std::uint8_t>& rgb) {
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    png.width = static_cast<png_uint_32>(width);
    png.height = static_cast<png_uint_32>(height);
    png.format = PNG_FORMAT_RGB;
    const auto partial = path.string() + ".partial";
    if (png_image_write_to_file(&png, partial.c_str(), 0, rgb.data(), width * 3, nullptr) == 0) {
        std::string error = png.message;
        png_image_free(&png);
        std::error_code ignored;
        std::filesystem::remove(partial, ignored);
        return "không ghi được ảnh chụp màn hình; screenshot not written: " + error;
    }
    std::error_code renamed;
    std::filesystem::rename(partial, path, renamed);
    if (renamed) {
        std::error_code ignored;
        std::filesystem::remove(partial, ignored);
        return "không ghi được ảnh chụp màn hình; screenshot not written: " + renamed.message();
    }
    return {};
}

std::int64_t minute_of(TimePoint wall) {
    return std::chrono::floor<std::chrono::minutes>(wall.time_since_epoch()).count();
}

}  // namespace

WindowOutput::WindowOutput() = default;

WindowOutput::~WindowOutput() {
    if (m_gl != nullptr) {
        SDL_GL_MakeCurrent(m_window.get(), m_gl);
        m_painter.reset();
        if (m_api && m_main_fbo != 0)
            m_api->delete_framebuffers(1, &m_main_fbo);
        if (m_api && m_main_texture != 0)
            m_api->delete_textures(1, &m_main_texture);
        SDL_GL_DeleteContext(m_gl);
    }
    m_window.reset();
    if (m_sdl_active)
        SDL_QuitSubSystem(SDL_INIT_VIDEO);  // reference-counted by SDL itself
}

Result<void> WindowOutput::open(const RendererConfig& config, const Clock& clock) {
    m_clock = &clock;
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
        return fail(Errc::Unsupported, std::string("SDL video: ") + SDL_GetError());
    m_sdl_active = true;
    std::uint32_t flags = SDL_WINDOW_OPENGL | SDL_WINDOW_SHOWN;
    if (config.fullscreen)
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    m_window.reset(SDL_CreateWindow(config.window_title.c_str(), SDL_WINDOWPOS_CENTERED,
                                    SDL_WINDOWPOS_CENTERED, config.window_width, config.window_height,
                                    flags));
    if (!m_window)
        return fail(Errc::Unsupported, std::string("SDL window: ") + SDL_GetError());
    m_gl = SDL_GL_CreateContext(m_window.get());
    if (m_gl == nullptr)
        return fail(Errc::Unsupported, std::string("SDL GL context: ") + SDL_GetError());
    SDL_ShowCursor(SDL_DISABLE);
    const std::uint32_t first = SDL_RegisterEvents(2);
    if (first == static_cast<std::uint32_t>(-1))
        return fail(Errc::Internal, "SDL_RegisterEvents failed");
    m_wakeup_event_type = first;
    m_redraw_event_type = first + 1;

    SDL_DisplayMode mode{};
    if (SDL_GetWindowDisplayMode(m_window.get(), &mode) == 0 && mode.refresh_rate > 0)
        m_refresh_hz = mode.refresh_rate;
    m_period =
        std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(1.0 / m_refresh_hz));
    m_swap_interval = config.vsync && SDL_GL_SetSwapInterval(1) == 0;
    if (!config.vsync)
        SDL_GL_SetSwapInterval(0);
    m_record_timings = config.record_frame_timings;

    // The bands: without them the screen still plays (mpv into the window, as before).
    if (auto api = GlApi::load(); api) {
        m_api = std::make_unique<GlApi>(*api);
        auto painter = OverlayPainter::create(*m_api, {config.band_font, config.ticker_speed});
        if (painter)
            m_painter = std::move(*painter);
        else
            m_painter_error = painter.error().message();
    } else {
        m_painter_error = api.error().message();
    }
    if (!m_painter)
        spdlog::warn("screen: no header or ticker bands: {}", m_painter_error);
    return {};
}

Result<void> WindowOutput::attach(Deck& deck) {
    mpv_opengl_init_params gl_init{get_proc_address, nullptr};
    int advanced_control = 1;
    char api_type[] = MPV_RENDER_API_TYPE_OPENGL;
    mpv_render_param params[] = {{MPV_RENDER_PARAM_API_TYPE, api_type},
                                 {MPV_RENDER_PARAM_OPENGL_INIT_PARAMS, &gl_init},
                                 {MPV_RENDER_PARAM_ADVANCED_CONTROL, &advanced_control},
                                 {MPV_RENDER_PARAM_INVALID, nullptr}};
    mpv_render_context* render = nullptr;
    if (const int status = mpv_render_context_create(&render, deck.mpv.get(), params); status < 0)
        return fail(Errc::Unsupported, std::string("mpv render context: ") + mpv_error_text(status));
    deck.render.reset(render);
    deck.redraw_event_type = m_redraw_event_type;
    mpv_render_context_set_update_callback(deck.render.get(), on_render_update, &deck);
    return {};
}

void WindowOutput::drawable_size(int& width, int& height) const {
    SDL_GL_GetDrawableSize(m_window.get(), &width, &height);
}

bool WindowOutput::composed() const {
    return m_painter && m_painter->content().any();
}

FrameSize WindowOutput::main_area() const {
    int width = 0;
    int height = 0;
    drawable_size(width, height);
    if (!composed())
        return {width, height};
    return {width, height - bands_of(m_painter->content(), height).header};
}

bool WindowOutput::set_overlay(const OverlayContent& content) {
    if (!m_painter) {
        if (content.any() && !m_painter_warned)
            spdlog::warn("screen: bands asked for but not drawn: {}", m_painter_error);
        m_painter_warned = m_painter_warned || content.any();
        return false;
    }
    if (content == m_painter->content())
        return false;
    const bool was_moving = m_painter->content().ticker();
    m_painter->set_content(content, m_clock->monotonic());
    if (m_painter->content().ticker() && !was_moving)
        m_next_due = Steady::now();
    return true;
}

bool WindowOutput::ensure_main_target(int width, int height) {
    if (m_main_fbo != 0 && m_main_width == width && m_main_height == height)
        return true;
    const GlApi& gl = *m_api;
    if (m_main_fbo == 0)
        gl.gen_framebuffers(1, &m_main_fbo);
    if (m_main_texture == 0)
        gl.gen_textures(1, &m_main_texture);
    gl.bind_buffer(GL_PIXEL_UNPACK_BUFFER, 0);
    gl.bind_texture(GL_TEXTURE_2D, m_main_texture);
    gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    gl.tex_image_2d(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    gl.bind_texture(GL_TEXTURE_2D, 0);
    gl.bind_framebuffer(GL_FRAMEBUFFER, m_main_fbo);
    gl.framebuffer_texture_2d(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, m_main_texture, 0);
    const GLenum status = gl.check_framebuffer_status(GL_FRAMEBUFFER);
    gl.disable(GL_SCISSOR_TEST);
    gl.clear_color(0, 0, 0, 1);
    gl.clear(GL_COLOR_BUFFER_BIT);
    gl.bind_framebuffer(GL_FRAMEBUFFER, 0);
    if (status != GL_FRAMEBUFFER_COMPLETE) {
        spdlog::warn("screen: the main region's framebuffer is incomplete ({:#x})", status);
        return false;
    }
    m_main_width = width;
    m_main_height = height;
    return true;
}

bool WindowOutput::draw(Deck& deck, bool visible) {
    if (!deck.render)
        return false;
    int width = 0;
    int height = 0;
    drawable_size(width, height);
    int skip = visible ? 0 : 1;
    if (composed()) {
        const int main_height = std::max(1, height - bands_of(m_painter->content(), height).header);
        if (!ensure_main_target(width, main_height))
            return false;
        // Row 0 of the texture is the picture's top (no flip), as for every texture drawn here.
        mpv_opengl_fbo fbo{static_cast<int>(m_main_fbo), width, main_height, 0};
        int flip_y = 0;
        mpv_render_param params[] = {{MPV_RENDER_PARAM_OPENGL_FBO, &fbo},
                                     {MPV_RENDER_PARAM_FLIP_Y, &flip_y},
                                     {MPV_RENDER_PARAM_SKIP_RENDERING, &skip},
                                     {MPV_RENDER_PARAM_INVALID, nullptr}};
        mpv_render_context_render(deck.render.get(), params);
        if (!visible)
            return false;
        // While the ticker moves, the new picture goes out with the next paced frame (within a
        // refresh period), so a video under the ticker does not add swaps of its own.
        if (m_painter->content().ticker())
            return false;
        return present();
    }
    const auto started = Steady::now();
    mpv_opengl_fbo fbo{0, width, height, 0};
    int flip_y = 1;
    mpv_render_param params[] = {{MPV_RENDER_PARAM_OPENGL_FBO, &fbo},
                                 {MPV_RENDER_PARAM_FLIP_Y, &flip_y},
                                 {MPV_RENDER_PARAM_SKIP_RENDERING, &skip},
                                 {MPV_RENDER_PARAM_INVALID, nullptr}};
    mpv_render_context_render(deck.render.get(), params);
    if (!visible)
        return false;
    if (!m_captures.empty())
        write_captures(width, height, false);
    swap(started);
    return true;
}

bool WindowOutput::present() {
    int width = 0;
    int height = 0;
    drawable_size(width, height);
    if (!composed()) {
        // Nothing to compose: the window shows what it shows; a capture reads it as it is.
        if (!m_captures.empty() && m_api)
            write_captures(width, height, true);
        return false;
    }
    const auto started = Steady::now();
    const int header = bands_of(m_painter->content(), height).header;
    const int main_height = std::max(1, height - header);
    if (!ensure_main_target(width, main_height))
        return false;
    // The main texture and the header cover the whole window (mpv's own black bars are in the
    // texture): no clear, and no blending for them (a software rasteriser pays for both).
    m_painter->begin(width, height);
    m_api->disable(GL_BLEND);
    m_painter->draw_texture(m_main_texture, 0, static_cast<float>(header), static_cast<float>(width),
                            static_cast<float>(main_height));
    const TimePoint wall = m_clock->wall();
    m_painter->paint(width, height, wall, m_clock->monotonic());
    m_painter->end();
    m_shown_minute = minute_of(wall);
    if (!m_captures.empty())
        write_captures(width, height, false);
    swap(started);
    return true;
}

void WindowOutput::swap(Steady::time_point started) {
    const auto before = Steady::now();
    SDL_GL_SwapWindow(m_window.get());
    const auto swapped = Steady::now();
    const double swap_ms = std::chrono::duration<double, std::milli>(swapped - before).count();
    m_swap_wait_ms = m_swap_wait_ms == 0 ? swap_ms : m_swap_wait_ms * 0.9 + swap_ms * 0.1;
    if (m_record_timings)
        m_timings.push_back({started, swapped});
    // The next frame: while the swap waits for the vertical blank, half a period after it (the
    // blank sets the pace); otherwise the next instant on the refresh grid after now (a late
    // frame does not make the next ones late).
    const double period_ms = std::chrono::duration<double, std::milli>(m_period).count();
    if (m_swap_interval && m_swap_wait_ms > period_ms / 4) {
        m_next_due = swapped + m_period / 2;
    } else {
        if (m_next_due + m_period * 4 < swapped)
            m_next_due = swapped;  // far behind (the loop was busy): start the grid again
        while (m_next_due <= swapped) m_next_due += m_period;
    }
}

std::optional<Steady::time_point> WindowOutput::frame_due() const {
    if (!m_painter || !m_painter->content().ticker())
        return std::nullopt;
    return m_next_due;
}

std::optional<TimePoint> WindowOutput::header_due() const {
    if (!m_painter || !m_painter->content().header())
        return std::nullopt;
    const auto minute = std::chrono::floor<std::chrono::minutes>(m_clock->wall());
    return std::chrono::time_point_cast<Duration>(minute + std::chrono::minutes{1});
}

bool WindowOutput::header_stale() const {
    return m_painter && m_painter->content().header() && minute_of(m_clock->wall()) != m_shown_minute;
}

void WindowOutput::capture(const std::filesystem::path& path, std::uint64_t tag) {
    m_captures.push_back({path, tag});
}

std::vector<WindowOutput::Captured> WindowOutput::captured() {
    return std::exchange(m_captured, {});
}

void WindowOutput::fail_captures(const std::string& error) {
    for (const auto& capture : m_captures) m_captured.push_back({capture.tag, error});
    m_captures.clear();
}

void WindowOutput::write_captures(int width, int height, bool front) {
    std::vector<std::uint8_t> rgb;
    std::string error;
    if (!m_api || width <= 0 || height <= 0) {
        error = "không đọc được khung hình; the frame could not be read";
    } else {
        const GlApi& gl = *m_api;
        rgb.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
        gl.bind_framebuffer(GL_FRAMEBUFFER, 0);
        gl.bind_buffer(GL_PIXEL_PACK_BUFFER, 0);
        gl.read_buffer(front ? GL_FRONT : GL_BACK);
        gl.pixel_storei(GL_PACK_ALIGNMENT, 1);
        gl.read_pixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
        gl.pixel_storei(GL_PACK_ALIGNMENT, 4);
        // GL's rows go bottom up; a PNG's top down.
        const auto row = static_cast<std::size_t>(width) * 3;
        for (std::size_t top = 0, bottom = static_cast<std::size_t>(height) - 1; top < bottom;
             ++top, --bottom)
            std::swap_ranges(rgb.begin() + static_cast<std::ptrdiff_t>(top * row),
                             rgb.begin() + static_cast<std::ptrdiff_t>((top + 1) * row),
                             rgb.begin() + static_cast<std::ptrdiff_t>(bottom * row));
    }
    for (const auto& capture : m_captures) {
        Captured done;
        done.tag = capture.tag;
        done.error = error.empty() ? write_png(capture.path, width, height, rgb) : error;
        m_captured.push_back(std::move(done));
    }
    m_captures.clear();
}

void WindowOutput::wake() const {
    SDL_Event event{};
    event.type = m_wakeup_event_type;
    SDL_PushEvent(&event);
}

}  // namespace bantin::player
