// MpvRenderer: the cores, the events and replies they share, and the public calls. The window
// output is mpv_window.cpp, the mpv holders mpv_core.cpp, the two deck strategies
// single_deck.cpp and dual_deck.cpp (mpv_core.hpp describes how they fit).

#include "bantin/player/mpv_renderer.hpp"

#include "mpv_core.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace bantin::player {

void MpvRenderer::Impl::signal() {
    if (screen()) {
        window->wake();
        return;
    }
    {
        std::lock_guard lock(mutex);
        signalled = true;
    }
    signalled_condition.notify_one();
}

RendererEvent MpvRenderer::Impl::stamped(RendererEvent::Kind kind) const {
    RendererEvent event;
    event.kind = kind;
    event.wall = clock.wall();
    event.monotonic = clock.monotonic();
    return event;
}

void MpvRenderer::Impl::refuse(ReplyKind kind, std::uint64_t tag, std::string error) {
    RendererEvent event = stamped(kind == ReplyKind::Load ? RendererEvent::Kind::LoadRejected
                                                          : RendererEvent::Kind::ScreenshotFailed);
    event.tag = tag;
    event.error = std::move(error);
    pending.push_back(std::move(event));
}

bool MpvRenderer::Impl::command(int deck, std::vector<std::string> words, PendingReply reply,
                                const std::vector<std::pair<std::string, std::string>>* options) {
    CommandNode node(words);
    if (options != nullptr && !options->empty())
        node.add_map(*options);
    const std::uint64_t reply_id = next_reply_id++;
    const int status =
        mpv_command_node_async(decks[static_cast<std::size_t>(deck)].mpv.get(), reply_id, node.get());
    reply.what = words.front();
    reply.deck = deck;
    if (status < 0) {
        if (reply.kind == ReplyKind::Load || reply.kind == ReplyKind::Screenshot)
            refuse(reply.kind, reply.tag, words.front() + ": " + mpv_error_text(status));
        else
            spdlog::warn("mpv: {} refused: {}", words.front(), mpv_error_text(status));
        return false;
    }
    replies[reply_id] = std::move(reply);
    return true;
}

void MpvRenderer::Impl::set_flag(int deck, const char* name, bool value, PendingReply reply) {
    int flag = value ? 1 : 0;
    const std::uint64_t reply_id = next_reply_id++;
    reply.what = std::string("set ") + name;
    reply.deck = deck;
    replies[reply_id] = reply;
    if (const int status = mpv_set_property_async(decks[static_cast<std::size_t>(deck)].mpv.get(), reply_id,
                                                  name, MPV_FORMAT_FLAG, &flag);
        status < 0) {
        replies.erase(reply_id);
        spdlog::warn("mpv: set {} refused: {}", name, mpv_error_text(status));
    }
}

void MpvRenderer::Impl::draw(int index, bool visible) {
    if (window && window->draw(decks[static_cast<std::size_t>(index)], visible))
        ++frames_drawn;
    collect_captures();
}

void MpvRenderer::Impl::present() {
    if (!window)
        return;
    const int index = strategy->on_screen();
    if (!window->composed() && index >= 0) {
        draw(index, true);  // mpv draws straight into the window
        return;
    }
    if (window->present())
        ++frames_drawn;
    collect_captures();
}

void MpvRenderer::Impl::collect_captures() {
    for (auto& done : window->captured()) {
        RendererEvent event = stamped(done.error.empty() ? RendererEvent::Kind::ScreenshotDone
                                                         : RendererEvent::Kind::ScreenshotFailed);
        event.tag = done.tag;
        event.error = std::move(done.error);
        pending.push_back(std::move(event));
    }
}

void MpvRenderer::Impl::log(Deck& deck, const mpv_event_log_message& message) {
    std::string text = message.text != nullptr ? message.text : "";
    while (!text.empty() && text.back() == '\n') text.pop_back();
    switch (message.log_level) {
        case MPV_LOG_LEVEL_FATAL:
        case MPV_LOG_LEVEL_ERROR:
            deck.last_error_message = text;
            spdlog::error("mpv[{}]: {}", message.prefix, text);
            break;
        case MPV_LOG_LEVEL_WARN: spdlog::warn("mpv[{}]: {}", message.prefix, text); break;
        case MPV_LOG_LEVEL_INFO: spdlog::info("mpv[{}]: {}", message.prefix, text); break;
        default: spdlog::debug("mpv[{}]: {}", message.prefix, text); break;
    }
}

RendererEvent MpvRenderer::Impl::end_event(Deck& deck, const mpv_event_end_file& end) {
    RendererEvent ended = stamped(RendererEvent::Kind::EndFile);
    ended.playlist_entry_id = end.playlist_entry_id;
    ended.end_reason = to_end_reason(end.reason);
    if (end.reason == MPV_END_FILE_REASON_ERROR) {
        // mpv goes on without sound when the audio output cannot open (video=playing,
        // audio=eof) and says so only at the end: an error end whose code is this one.
        ended.audio_unavailable = end.error == MPV_ERROR_AO_INIT_FAILED;
        ended.error = mpv_error_text(end.error);
        if (!deck.last_error_message.empty())
            ended.error += ": " + deck.last_error_message;
    }
    return ended;
}

void MpvRenderer::Impl::reply(const mpv_event& event) {
    auto found = replies.find(event.reply_userdata);
    if (found == replies.end())
        return;
    PendingReply reply = found->second;
    replies.erase(found);
    switch (reply.kind) {
        case ReplyKind::Playlist:
        case ReplyKind::DeckLoad:
        case ReplyKind::Unpause: strategy->on_reply(reply, event); return;
        case ReplyKind::Other:
            if (event.error < 0)
                spdlog::warn("mpv: {} failed: {}", reply.what, mpv_error_text(event.error));
            return;
        case ReplyKind::Load:
        case ReplyKind::Screenshot: break;
    }
    const Deck& deck = decks[static_cast<std::size_t>(reply.deck)];
    if (event.error < 0) {
        RendererEvent failed = stamped(reply.kind == ReplyKind::Load ? RendererEvent::Kind::LoadRejected
                                                                     : RendererEvent::Kind::ScreenshotFailed);
        failed.tag = reply.tag;
        failed.error = reply.what + ": " + mpv_error_text(event.error);
        if (!deck.last_error_message.empty())
            failed.error += " (" + deck.last_error_message + ")";
        pending.push_back(std::move(failed));
        return;
    }
    RendererEvent done = stamped(reply.kind == ReplyKind::Load ? RendererEvent::Kind::LoadAccepted
                                                               : RendererEvent::Kind::ScreenshotDone);
    done.tag = reply.tag;
    if (reply.kind == ReplyKind::Load) {
        const auto* command_reply = static_cast<mpv_event_command*>(event.data);
        done.playlist_entry_id = entry_id_from_reply(command_reply->result);
    }
    pending.push_back(std::move(done));
}

void MpvRenderer::Impl::drain() {
    for (std::size_t index = 0; index < decks.size(); ++index) {
        Deck& deck = decks[index];
        for (;;) {
            mpv_event* event = mpv_wait_event(deck.mpv.get(), 0);
            if (event->event_id == MPV_EVENT_NONE)
                break;
            switch (event->event_id) {
                case MPV_EVENT_COMMAND_REPLY:
                case MPV_EVENT_SET_PROPERTY_REPLY:
                case MPV_EVENT_GET_PROPERTY_REPLY: reply(*event); break;
                case MPV_EVENT_LOG_MESSAGE:
                    log(deck, *static_cast<mpv_event_log_message*>(event->data));
                    break;
                case MPV_EVENT_SHUTDOWN:
                    if (!shut_down)
                        pending.push_back(stamped(RendererEvent::Kind::Shutdown));
                    shut_down = true;
                    break;
                default: strategy->on_event(static_cast<int>(index), *event); break;
            }
        }
    }
}

void MpvRenderer::Impl::handle_sdl(const SDL_Event& event, bool& redraw) {
    if (event.type == SDL_QUIT) {
        if (!shut_down)
            pending.push_back(stamped(RendererEvent::Kind::Shutdown));
        shut_down = true;
    } else if (event.type == SDL_WINDOWEVENT) {
        if (event.window.event == SDL_WINDOWEVENT_EXPOSED ||
            event.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
            redraw = true;
    } else if (event.type == window->redraw_event_type()) {
        const int index = event.user.code;
        if (index < 0 || static_cast<std::size_t>(index) >= decks.size())
            return;
        const std::uint64_t flags =
            mpv_render_context_update(decks[static_cast<std::size_t>(index)].render.get());
        if ((flags & MPV_RENDER_UPDATE_FRAME) == 0)
            return;
        if (index == strategy->on_screen())
            redraw = true;
        else
            draw(index, false);
    }
    // The wake-up event: nothing to do here; mpv is drained after every wait.
}

namespace {

void on_mpv_wakeup(void* context) {
    static_cast<MpvRenderer::Impl*>(context)->signal();
}

int decoders_for(const RendererConfig& config) {
    if (config.decoders == 1 || config.decoders == 2)
        return config.decoders;
    if (config.mode == OutputMode::Speaker)
        return 1;
    if (config.mode == OutputMode::Headless && config.pcm_output)
        return 1;
    return 2;
}

}  // namespace

Result<std::unique_ptr<MpvRenderer>> MpvRenderer::create(const RendererConfig& config, const Clock& clock) {
    if (config.fixed_mmap_threshold && mallopt(M_MMAP_THRESHOLD, 256 * 1024) != 1)
        spdlog::warn("renderer: could not fix the mmap threshold; resident memory may grow in steps");
    auto impl = std::make_unique<Impl>(config, clock);
    const int decoders = decoders_for(config);
    impl->decks.resize(static_cast<std::size_t>(decoders));  // never resized again: callbacks point into it

    std::vector<std::pair<const char*, std::string>> options = {
        {"config", "no"},
        {"terminal", "no"},
        {"idle", "yes"},
        {"keep-open", "no"},
        {"input-default-bindings", "no"},
        {"input-vo-keyboard", "no"},
        {"osc", "no"},
        // Work mpv would do on every file that a signage player never needs.
        {"load-scripts", "no"},
        {"ytdl", "no"},
        {"load-stats-overlay", "no"},
        {"load-osd-console", "no"},
        {"load-auto-profiles", "no"},
        {"sub-auto", "no"},
        {"audio-file-auto", "no"},
        {"cover-art-auto", "no"},
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
    for (const auto& [name, value] : config.extra_options) options.emplace_back(name.c_str(), value);
    for (int index = 0; index < decoders; ++index) {
        Deck& deck = impl->decks[static_cast<std::size_t>(index)];
        deck.index = index;
        deck.mpv.reset(mpv_create());
        if (!deck.mpv)
            return fail(Errc::Internal, "mpv_create failed");
        for (const auto& [name, value] : options) {
            auto status = set_option(deck.mpv.get(), name, value);
            if (!status)
                return std::unexpected(status.error());
        }
        mpv_request_log_messages(deck.mpv.get(), config.log_level.c_str());
        if (const int status = mpv_initialize(deck.mpv.get()); status < 0)
            return fail(Errc::Internal, std::string("mpv_initialize: ") + mpv_error_text(status));
    }

    if (config.mode == OutputMode::Screen) {
        impl->window.emplace();
        if (auto opened = impl->window->open(config, clock); !opened)
            return std::unexpected(opened.error());
        for (auto& deck : impl->decks)
            if (auto attached = impl->window->attach(deck); !attached)
                return std::unexpected(attached.error());
    }
    impl->strategy = decoders == 2 ? make_dual_deck(*impl) : make_single_deck(*impl);
    for (auto& deck : impl->decks) mpv_set_wakeup_callback(deck.mpv.get(), on_mpv_wakeup, impl.get());
    spdlog::info("renderer: mpv {} in {} mode, {} decoder{}", mpv_client_api_version() >> 16,
                 to_string(config.mode), decoders, decoders == 1 ? "" : "s");
    return std::unique_ptr<MpvRenderer>(new MpvRenderer(std::move(impl)));
}

MpvRenderer::MpvRenderer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

MpvRenderer::~MpvRenderer() {
    m_impl->strategy.reset();
    for (auto& deck : m_impl->decks)
        if (deck.render)
            mpv_render_context_set_update_callback(deck.render.get(), nullptr, nullptr);
    for (auto& deck : m_impl->decks)
        deck.render.reset();  // before mpv_terminate_destroy, as render.h requires
    for (auto& deck : m_impl->decks) deck.mpv.reset();
}

void MpvRenderer::load(const LoadRequest& request, LoadMode mode) {
    m_impl->strategy->load(request, mode);
}

void MpvRenderer::set_volume(int percent) {
    double volume = std::clamp(percent, 0, 100);
    for (auto& deck : m_impl->decks) {
        const std::uint64_t reply_id = m_impl->next_reply_id++;
        PendingReply reply = make_reply(ReplyKind::Other);
        reply.what = "set volume";
        reply.deck = deck.index;
        m_impl->replies[reply_id] = reply;
        if (const int status =
                mpv_set_property_async(deck.mpv.get(), reply_id, "volume", MPV_FORMAT_DOUBLE, &volume);
            status < 0) {
            m_impl->replies.erase(reply_id);
            spdlog::warn("mpv: set volume refused: {}", mpv_error_text(status));
        }
    }
}

void MpvRenderer::screenshot(const std::filesystem::path& path, std::uint64_t tag) {
    if (m_impl->window) {
        // What the screen shows, bands included: the frame is drawn again and read back.
        m_impl->window->capture(path, tag);
        m_impl->present();
        if (m_impl->window->capture_waiting()) {
            m_impl->window->fail_captures("không vẽ được khung hình; the frame could not be drawn");
            m_impl->collect_captures();
        }
        return;
    }
    const int deck = std::max(0, m_impl->strategy->on_screen());
    m_impl->command(deck, {"screenshot-to-file", path.string(), "video"},
                    make_reply(ReplyKind::Screenshot, tag));
}

void MpvRenderer::stop() {
    m_impl->strategy->stop();
}

bool MpvRenderer::remove(std::uint64_t tag) {
    return m_impl->strategy->remove(tag);
}

std::vector<RendererEvent> MpvRenderer::wait(Duration timeout) {
    if (!m_impl->pending.empty())
        timeout = Duration{0};
    auto milliseconds = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 0, 60'000));
    if (m_impl->screen()) {
        using Steady = std::chrono::steady_clock;
        WindowOutput& window = *m_impl->window;
        // A moving ticker: the wait ends a little before the next frame is due (SDL waits in
        // whole milliseconds), and the last stretch is slept precisely.
        const auto frame_due = window.frame_due();
        if (frame_due) {
            const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
                *frame_due - Steady::now() - std::chrono::microseconds{1500});
            milliseconds = std::clamp(static_cast<int>(until.count()), 0, milliseconds);
        }
        if (const auto minute = window.header_due()) {
            const auto until =
                std::chrono::duration_cast<std::chrono::milliseconds>(*minute - m_impl->clock.wall());
            milliseconds = std::clamp(static_cast<int>(until.count()) + 1, 0, milliseconds);
        }
        bool redraw = false;
        SDL_Event event{};
        const bool got =
            milliseconds > 0 ? SDL_WaitEventTimeout(&event, milliseconds) != 0 : SDL_PollEvent(&event) != 0;
        if (got) {
            m_impl->handle_sdl(event, redraw);
            while (SDL_PollEvent(&event) != 0) m_impl->handle_sdl(event, redraw);
        }
        const bool moving = window.frame_due().has_value();
        if (redraw && m_impl->strategy->on_screen() >= 0) {
            // With a moving ticker this only renders mpv's picture; the paced frame shows it.
            m_impl->draw(m_impl->strategy->on_screen(), true);
            redraw = false;
        }
        if (const auto due = window.frame_due();
            due && Steady::now() + std::chrono::microseconds{1600} >= *due) {
            std::this_thread::sleep_until(*due);
            m_impl->present();
        } else if ((redraw || window.header_stale()) && !moving) {
            m_impl->present();
        }
    } else {
        std::unique_lock lock(m_impl->mutex);
        m_impl->signalled_condition.wait_for(lock, std::chrono::milliseconds(milliseconds),
                                             [this] { return m_impl->signalled; });
        m_impl->signalled = false;
    }
    m_impl->drain();
    return std::exchange(m_impl->pending, {});
}

std::optional<FrameSize> MpvRenderer::main_area() const {
    if (!m_impl->window)
        return std::nullopt;
    return m_impl->window->main_area();
}

void MpvRenderer::set_overlay(const OverlayContent& content) {
    if (!m_impl->window)
        return;
    const bool was_composed = m_impl->window->composed();
    if (!m_impl->window->set_overlay(content))
        return;  // the same as drawn
    if (was_composed || m_impl->window->composed())
        m_impl->present();
}

std::vector<FrameTiming> MpvRenderer::take_frame_timings() {
    return m_impl->window ? m_impl->window->take_frame_timings() : std::vector<FrameTiming>{};
}

double MpvRenderer::refresh_hz() const {
    return m_impl->window ? m_impl->window->refresh_hz() : 0.0;
}

void MpvRenderer::wake() {
    m_impl->signal();
}

std::uint64_t MpvRenderer::frames_drawn() const {
    return m_impl->frames_drawn;
}

int MpvRenderer::decoders() const {
    return static_cast<int>(m_impl->decks.size());
}

std::int64_t MpvRenderer::playlist_count() const {
    std::int64_t total = 0;
    for (const auto& deck : m_impl->decks) {
        std::int64_t count = 0;
        if (mpv_get_property(deck.mpv.get(), "playlist-count", MPV_FORMAT_INT64, &count) >= 0)
            total += count;
    }
    return total;
}

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
