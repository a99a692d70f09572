#include "mpv_core.hpp"

namespace bantin::player {

namespace {

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

}  // namespace

WindowOutput::~WindowOutput() {
    if (m_gl != nullptr)
        SDL_GL_DeleteContext(m_gl);
    m_window.reset();
    if (m_sdl_active)
        SDL_QuitSubSystem(SDL_INIT_VIDEO);  // reference-counted by SDL itself
}

Result<void> WindowOutput::open(const RendererConfig& config) {
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

bool WindowOutput::draw(Deck& deck, bool visible) {
    if (!deck.render)
        return false;
    int width = 0;
    int height = 0;
    SDL_GL_GetDrawableSize(m_window.get(), &width, &height);
    mpv_opengl_fbo fbo{0, width, height, 0};
    int flip_y = 1;
    int skip = visible ? 0 : 1;
    mpv_render_param params[] = {{MPV_RENDER_PARAM_OPENGL_FBO, &fbo},
                                 {MPV_RENDER_PARAM_FLIP_Y, &flip_y},
                                 {MPV_RENDER_PARAM_SKIP_RENDERING, &skip},
                                 {MPV_RENDER_PARAM_INVALID, nullptr}};
    mpv_render_context_render(deck.render.get(), params);
    if (!visible)
        return false;
    SDL_GL_SwapWindow(m_window.get());
    return true;
}

void WindowOutput::wake() const {
    SDL_Event event{};
    event.type = m_wakeup_event_type;
    SDL_PushEvent(&event);
}

}  // namespace bantin::player
