#include "bantin/player/mpv_renderer.hpp"

#include <SDL2/SDL.h>
#include <mpv/client.h>
#include <mpv/render_gl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

namespace bantin::player {

namespace {

struct MpvHandleDeleter {
    void operator()(mpv_handle* handle) const { mpv_terminate_destroy(handle); }
};
struct RenderContextDeleter {
    void operator()(mpv_render_context* context) const { mpv_render_context_free(context); }
};
struct WindowDeleter {
    void operator()(SDL_Window* window) const { SDL_DestroyWindow(window); }
};

// SDL's video subsystem, reference-counted by SDL itself.
class SdlVideo {
public:
    SdlVideo() = default;
    SdlVideo(const SdlVideo&) = delete;
    SdlVideo& operator=(const SdlVideo&) = delete;
    ~SdlVideo() {
        if (m_active) SDL_QuitSubSystem(SDL_INIT_VIDEO);
    }
    Result<void> init() {
        SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
        if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
            return fail(Errc::Unsupported, std::string("SDL video: ") + SDL_GetError());
        m_active = true;
        return {};
    }

private:
    bool m_active = false;
};

class GlContext {
public:
    GlContext() = default;
    GlContext(const GlContext&) = delete;
    GlContext& operator=(const GlContext&) = delete;
    ~GlContext() {
        if (m_context != nullptr) SDL_GL_DeleteContext(m_context);
    }
    void reset(SDL_GLContext context) { m_context = context; }
    SDL_GLContext get() const { return m_context; }

private:
    SDL_GLContext m_context = nullptr;
};

std::string mpv_error_text(int code) { return mpv_error_string(code); }

std::string seconds_text(int milliseconds) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%d.%03d", milliseconds / 1000, milliseconds % 1000);
    return buffer;
}

void* get_proc_address(void*, const char* name) { return SDL_GL_GetProcAddress(name); }

enum class ReplyKind { Load, Screenshot, Other };
struct PendingReply {
    ReplyKind kind = ReplyKind::Other;
    std::uint64_t tag = 0;
    std::string what;
};

EndReason to_end_reason(mpv_end_file_reason reason) {
    switch (reason) {
        case MPV_END_FILE_REASON_EOF: return EndReason::Eof;
        case MPV_END_FILE_REASON_STOP: return EndReason::Stop;
        case MPV_END_FILE_REASON_QUIT: return EndReason::Quit;
        case MPV_END_FILE_REASON_ERROR: return EndReason::Error;
        case MPV_END_FILE_REASON_REDIRECT: return EndReason::Redirect;
    }
    return EndReason::Error;
}

// A node holding an array of strings, for mpv_command_node_async; the strings must outlive it.
class CommandNode {
public:
    explicit CommandNode(const std::vector<std::string>& words) : m_items(words.size()) {
        for (std::size_t index = 0; index < words.size(); ++index) {
            m_items[index].format = MPV_FORMAT_STRING;
            m_items[index].u.string = const_cast<char*>(words[index].c_str());
        }
        m_list.num = static_cast<int>(m_items.size());
        m_list.values = m_items.data();
        m_list.keys = nullptr;
        m_node.format = MPV_FORMAT_NODE_ARRAY;
        m_node.u.list = &m_list;
    }
    // Appends a map argument (per-file options of loadfile).
    void add_map(const std::vector<std::pair<std::string, std::string>>& entries) {
        m_map_keys.clear();
        m_map_values.resize(entries.size());
        for (std::size_t index = 0; index < entries.size(); ++index) {
            m_map_keys.push_back(const_cast<char*>(entries[index].first.c_str()));
            m_map_values[index].format = MPV_FORMAT_STRING;
            m_map_values[index].u.string = const_cast<char*>(entries[index].second.c_str());
        }
        m_map.num = static_cast<int>(entries.size());
        m_map.keys = m_map_keys.data();
        m_map.values = m_map_values.data();
        mpv_node map_node{};
        map_node.format = MPV_FORMAT_NODE_MAP;
        map_node.u.list = &m_map;
        m_items.push_back(map_node);
        m_list.num = static_cast<int>(m_items.size());
        m_list.values = m_items.data();
    }
    mpv_node* get() { return &m_node; }

private:
    std::vector<mpv_node> m_items;
    mpv_node_list m_list{};
    mpv_node m_node{};
    std::vector<char*> m_map_keys;
    std::vector<mpv_node> m_map_values;
    mpv_node_list m_map{};
};

std::int64_t entry_id_from_reply(const mpv_node& result) {
    if (result.format != MPV_FORMAT_NODE_MAP || result.u.list == nullptr) return 0;
    const mpv_node_list& map = *result.u.list;
    for (int index = 0; index < map.num; ++index) {
        if (std::strcmp(map.keys[index], "playlist_entry_id") == 0 && map.values[index].format == MPV_FORMAT_INT64)
            return map.values[index].u.int64;
    }
    return 0;
}

}  // namespace

struct MpvRenderer::Impl {
    RendererConfig config;
    const Clock& clock;

    // Declared first so they outlive mpv (its callbacks touch them until mpv is destroyed).
    std::mutex mutex;
    std::condition_variable signalled_condition;
    bool signalled = false;
    std::uint32_t wakeup_event_type = 0;
    std::uint32_t redraw_event_type = 0;

    // Destroyed in reverse: render context, then mpv, then GL context, window and SDL.
    SdlVideo sdl;
    std::unique_ptr<SDL_Window, WindowDeleter> window;
    GlContext gl;
    std::unique_ptr<mpv_handle, MpvHandleDeleter> mpv;
    std::unique_ptr<mpv_render_context, RenderContextDeleter> render;

    std::vector<RendererEvent> pending;  // events made on the loop thread (refused requests)
    std::map<std::uint64_t, PendingReply> replies;
    std::uint64_t next_reply_id = 1;
    std::string last_error_message;  // the last error-level mpv log line, for EndFile errors
    std::uint64_t frames_drawn = 0;

    Impl(RendererConfig configuration, const Clock& injected_clock)
        : config(std::move(configuration)), clock(injected_clock) {}

    bool screen() const { return config.mode == OutputMode::Screen; }

    // Any thread (mpv's). Only signals the owner loop.
    void signal() {
        if (screen()) {
            SDL_Event event{};
            event.type = wakeup_event_type;
            SDL_PushEvent(&event);
            return;
        }
        {
            std::lock_guard lock(mutex);
            signalled = true;
        }
        signalled_condition.notify_one();
    }

    RendererEvent stamped(RendererEvent::Kind kind) const {
        RendererEvent event;
        event.kind = kind;
        event.wall = clock.wall();
        event.monotonic = clock.monotonic();
        return event;
    }

    void refuse(ReplyKind kind, std::uint64_t tag, std::string error) {
        RendererEvent event = stamped(kind == ReplyKind::Load ? RendererEvent::Kind::LoadRejected
                                                              : RendererEvent::Kind::ScreenshotFailed);
        event.tag = tag;
        event.error = std::move(error);
        pending.push_back(std::move(event));
    }

    void command(std::vector<std::string> words, ReplyKind kind, std::uint64_t tag,
                 const std::vector<std::pair<std::string, std::string>>* options = nullptr) {
        CommandNode node(words);
        if (options != nullptr && !options->empty()) node.add_map(*options);
        const std::uint64_t reply_id = next_reply_id++;
        const int status = mpv_command_node_async(mpv.get(), reply_id, node.get());
        if (status < 0) {
            if (kind == ReplyKind::Other)
                spdlog::warn("mpv: {} refused: {}", words.front(), mpv_error_text(status));
            else
                refuse(kind, tag, words.front() + ": " + mpv_error_text(status));
            return;
        }
        replies[reply_id] = PendingReply{kind, tag, words.front()};
    }

    void draw() {
        int width = 0;
        int height = 0;
        SDL_GL_GetDrawableSize(window.get(), &width, &height);
        mpv_opengl_fbo fbo{0, width, height, 0};
        int flip_y = 1;
        mpv_render_param params[] = {{MPV_RENDER_PARAM_OPENGL_FBO, &fbo},
                                     {MPV_RENDER_PARAM_FLIP_Y, &flip_y},
                                     {MPV_RENDER_PARAM_INVALID, nullptr}};
        mpv_render_context_render(render.get(), params);
        SDL_GL_SwapWindow(window.get());
        ++frames_drawn;
    }

    void log(const mpv_event_log_message& message) {
        std::string text = message.text != nullptr ? message.text : "";
        while (!text.empty() && text.back() == '\n') text.pop_back();
        switch (message.log_level) {
            case MPV_LOG_LEVEL_FATAL:
            case MPV_LOG_LEVEL_ERROR:
                last_error_message = text;
                spdlog::error("mpv[{}]: {}", message.prefix, text);
                break;
            case MPV_LOG_LEVEL_WARN: spdlog::warn("mpv[{}]: {}", message.prefix, text); break;
            case MPV_LOG_LEVEL_INFO: spdlog::info("mpv[{}]: {}", message.prefix, text); break;
            default: spdlog::debug("mpv[{}]: {}", message.prefix, text); break;
        }
    }

    void drain(std::vector<RendererEvent>& out) {
        for (;;) {
            mpv_event* event = mpv_wait_event(mpv.get(), 0);
            if (event->event_id == MPV_EVENT_NONE) break;
            switch (event->event_id) {
                case MPV_EVENT_COMMAND_REPLY:
                case MPV_EVENT_SET_PROPERTY_REPLY: {
                    auto found = replies.find(event->reply_userdata);
                    if (found == replies.end()) break;
                    PendingReply reply = found->second;
                    replies.erase(found);
                    if (reply.kind == ReplyKind::Other) {
                        if (event->error < 0)
                            spdlog::warn("mpv: {} failed: {}", reply.what, mpv_error_text(event->error));
                        break;
                    }
                    if (event->error < 0) {
                        RendererEvent failed = stamped(reply.kind == ReplyKind::Load
                                                           ? RendererEvent::Kind::LoadRejected
                                                           : RendererEvent::Kind::ScreenshotFailed);
                        failed.tag = reply.tag;
                        failed.error = reply.what + ": " + mpv_error_text(event->error);
                        if (!last_error_message.empty()) failed.error += " (" + last_error_message + ")";
                        out.push_back(std::move(failed));
                        break;
                    }
                    RendererEvent done = stamped(reply.kind == ReplyKind::Load ? RendererEvent::Kind::LoadAccepted
                                                                               : RendererEvent::Kind::ScreenshotDone);
                    done.tag = reply.tag;
                    if (reply.kind == ReplyKind::Load) {
                        const auto* command_reply = static_cast<mpv_event_command*>(event->data);
                        done.playlist_entry_id = entry_id_from_reply(command_reply->result);
                    }
                    out.push_back(std::move(done));
                    break;
                }
                case MPV_EVENT_START_FILE: {
                    RendererEvent started = stamped(RendererEvent::Kind::StartFile);
                    started.playlist_entry_id = static_cast<mpv_event_start_file*>(event->data)->playlist_entry_id;
                    last_error_message.clear();
                    out.push_back(std::move(started));
                    break;
                }
                case MPV_EVENT_PLAYBACK_RESTART: out.push_back(stamped(RendererEvent::Kind::PlaybackRestart)); break;
                case MPV_EVENT_END_FILE: {
                    const auto* end = static_cast<mpv_event_end_file*>(event->data);
                    RendererEvent ended = stamped(RendererEvent::Kind::EndFile);
                    ended.playlist_entry_id = end->playlist_entry_id;
                    ended.end_reason = to_end_reason(end->reason);
                    if (end->reason == MPV_END_FILE_REASON_ERROR) {
                        ended.error = mpv_error_text(end->error);
                        if (!last_error_message.empty()) ended.error += ": " + last_error_message;
                    }
                    out.push_back(std::move(ended));
                    break;
                }
                case MPV_EVENT_LOG_MESSAGE: log(*static_cast<mpv_event_log_message*>(event->data)); break;
                case MPV_EVENT_SHUTDOWN: out.push_back(stamped(RendererEvent::Kind::Shutdown)); break;
                default: break;
            }
        }
    }

    void handle_sdl(const SDL_Event& event, bool& redraw, std::vector<RendererEvent>& out) {
        if (event.type == SDL_QUIT) {
            out.push_back(stamped(RendererEvent::Kind::Shutdown));
        } else if (event.type == SDL_WINDOWEVENT) {
            if (event.window.event == SDL_WINDOWEVENT_EXPOSED || event.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
                redraw = true;
        } else if (event.type == redraw_event_type) {
            const std::uint64_t flags = mpv_render_context_update(render.get());
            if ((flags & MPV_RENDER_UPDATE_FRAME) != 0) redraw = true;
        }
        // wakeup_event_type: nothing to do here; mpv is drained after every wait.
    }
};

namespace {

Result<void> set_option(mpv_handle* handle, const char* name, const std::string& value) {
    const int status = mpv_set_option_string(handle, name, value.c_str());
    if (status < 0)
        return fail(Errc::InvalidInput, std::string("mpv option ") + name + "=" + value + ": " + mpv_error_text(status));
    return {};
}

void on_mpv_wakeup(void* context) { static_cast<MpvRenderer::Impl*>(context)->signal(); }

void on_render_update(void* context) {
    auto* impl = static_cast<MpvRenderer::Impl*>(context);
    SDL_Event event{};
    event.type = impl->redraw_event_type;
    SDL_PushEvent(&event);
}

}  // namespace

Result<std::unique_ptr<MpvRenderer>> MpvRenderer::create(const RendererConfig& config, const Clock& clock) {
    auto impl = std::make_unique<Impl>(config, clock);
    impl->mpv.reset(mpv_create());
    if (!impl->mpv) return fail(Errc::Internal, "mpv_create failed");
    mpv_handle* handle = impl->mpv.get();

    std::vector<std::pair<const char*, std::string>> options = {
        {"config", "no"},
        {"terminal", "no"},
        {"idle", "yes"},
        {"keep-open", "no"},
        {"input-default-bindings", "no"},
        {"input-vo-keyboard", "no"},
        {"osc", "no"},
        {"audio-display", "no"},
        {"gapless-audio", "yes"},
        {"audio-samplerate", std::to_string(config.audio_samplerate)},
        {"audio-buffer", seconds_text(config.audio_buffer_ms)},
        {"volume-max", "100"},
        {"volume", std::to_string(std::clamp(config.initial_volume, 0, 100))},
        {"image-display-duration", "1"},
        {"hwdec", "no"},
        {"screenshot-format", "png"},
    };
    switch (config.mode) {
        case OutputMode::Screen: options.emplace_back("vo", "libmpv"); break;
        case OutputMode::Speaker:
            options.emplace_back("vo", "null");
            options.emplace_back("vid", "no");
            break;
        case OutputMode::Headless:
            options.emplace_back("vo", "null");
            if (config.pcm_output) {
                options.emplace_back("ao", "pcm");
                options.emplace_back("ao-pcm-file", config.pcm_output->string());
            } else {
                options.emplace_back("ao", "null");
                options.emplace_back("ao-null-buffer", seconds_text(config.audio_buffer_ms));
            }
            break;
    }
    for (const auto& [name, value] : options) {
        auto status = set_option(handle, name, value);
        if (!status) return std::unexpected(status.error());
    }
    mpv_request_log_messages(handle, config.log_level.c_str());
    if (const int status = mpv_initialize(handle); status < 0)
        return fail(Errc::Internal, std::string("mpv_initialize: ") + mpv_error_text(status));

    if (config.mode == OutputMode::Screen) {
        if (auto status = impl->sdl.init(); !status) return std::unexpected(status.error());
        std::uint32_t flags = SDL_WINDOW_OPENGL | SDL_WINDOW_SHOWN;
        if (config.fullscreen) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
        impl->window.reset(SDL_CreateWindow(config.window_title.c_str(), SDL_WINDOWPOS_CENTERED,
                                            SDL_WINDOWPOS_CENTERED, config.window_width, config.window_height,
                                            flags));
        if (!impl->window) return fail(Errc::Unsupported, std::string("SDL window: ") + SDL_GetError());
        impl->gl.reset(SDL_GL_CreateContext(impl->window.get()));
        if (impl->gl.get() == nullptr)
            return fail(Errc::Unsupported, std::string("SDL GL context: ") + SDL_GetError());
        SDL_ShowCursor(SDL_DISABLE);

        mpv_opengl_init_params gl_init{get_proc_address, nullptr};
        int advanced_control = 1;
        char api_type[] = MPV_RENDER_API_TYPE_OPENGL;
        mpv_render_param params[] = {{MPV_RENDER_PARAM_API_TYPE, api_type},
                                     {MPV_RENDER_PARAM_OPENGL_INIT_PARAMS, &gl_init},
                                     {MPV_RENDER_PARAM_ADVANCED_CONTROL, &advanced_control},
                                     {MPV_RENDER_PARAM_INVALID, nullptr}};
        mpv_render_context* render = nullptr;
        if (const int status = mpv_render_context_create(&render, handle, params); status < 0)
            return fail(Errc::Unsupported, std::string("mpv render context: ") + mpv_error_text(status));
        impl->render.reset(render);

        const std::uint32_t first = SDL_RegisterEvents(2);
        if (first == static_cast<std::uint32_t>(-1)) return fail(Errc::Internal, "SDL_RegisterEvents failed");
        impl->wakeup_event_type = first;
        impl->redraw_event_type = first + 1;
        mpv_render_context_set_update_callback(impl->render.get(), on_render_update, impl.get());
    }
    mpv_set_wakeup_callback(handle, on_mpv_wakeup, impl.get());
    spdlog::info("renderer: mpv {} in {} mode", mpv_client_api_version() >> 16, to_string(config.mode));
    return std::unique_ptr<MpvRenderer>(new MpvRenderer(std::move(impl)));
}

MpvRenderer::MpvRenderer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

MpvRenderer::~MpvRenderer() {
    if (m_impl->render) mpv_render_context_set_update_callback(m_impl->render.get(), nullptr, nullptr);
    m_impl->render.reset();  // before mpv_terminate_destroy, as render.h requires
    m_impl->mpv.reset();
}

void MpvRenderer::load(const LoadRequest& request, LoadMode mode) {
    m_impl->command({"loadfile", request.location, mode == LoadMode::Replace ? "replace" : "append-play"},
                    ReplyKind::Load, request.tag, &request.options);
}

void MpvRenderer::set_volume(int percent) {
    double volume = std::clamp(percent, 0, 100);
    const std::uint64_t reply_id = m_impl->next_reply_id++;
    m_impl->replies[reply_id] = PendingReply{ReplyKind::Other, 0, "set volume"};
    if (const int status = mpv_set_property_async(m_impl->mpv.get(), reply_id, "volume", MPV_FORMAT_DOUBLE, &volume);
        status < 0) {
        m_impl->replies.erase(reply_id);
        spdlog::warn("mpv: set volume refused: {}", mpv_error_text(status));
    }
}

void MpvRenderer::screenshot(const std::filesystem::path& path, std::uint64_t tag) {
    m_impl->command({"screenshot-to-file", path.string(), "video"}, ReplyKind::Screenshot, tag);
}

void MpvRenderer::stop() { m_impl->command({"stop"}, ReplyKind::Other, 0); }

std::vector<RendererEvent> MpvRenderer::wait(Duration timeout) {
    std::vector<RendererEvent> out = std::move(m_impl->pending);
    m_impl->pending.clear();
    if (!out.empty()) timeout = Duration{0};
    const auto milliseconds = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 0, 60'000));
    if (m_impl->screen()) {
        bool redraw = false;
        SDL_Event event{};
        const bool got = milliseconds > 0 ? SDL_WaitEventTimeout(&event, milliseconds) != 0
                                          : SDL_PollEvent(&event) != 0;
        if (got) {
            m_impl->handle_sdl(event, redraw, out);
            while (SDL_PollEvent(&event) != 0) m_impl->handle_sdl(event, redraw, out);
        }
        if (redraw) m_impl->draw();
    } else {
        std::unique_lock lock(m_impl->mutex);
        m_impl->signalled_condition.wait_for(lock, std::chrono::milliseconds(milliseconds),
                                             [this] { return m_impl->signalled; });
        m_impl->signalled = false;
    }
    m_impl->drain(out);
    return out;
}

void MpvRenderer::wake() { m_impl->signal(); }

std::uint64_t MpvRenderer::frames_drawn() const { return m_impl->frames_drawn; }

std::string_view to_string(OutputMode mode) {
    switch (mode) {
        case OutputMode::Screen: return "screen";
        case OutputMode::Speaker: return "speaker";
        case OutputMode::Headless: return "headless";
    }
    return "?";
}

std::string_view to_string(EndReason reason) {
    switch (reason) {
        case EndReason::Eof: return "eof";
        case EndReason::Stop: return "stop";
        case EndReason::Quit: return "quit";
        case EndReason::Error: return "error";
        case EndReason::Redirect: return "redirect";
    }
    return "?";
}

}  // namespace bantin::player
