#include "bantin/player/mpv_renderer.hpp"

#include <SDL2/SDL.h>
#include <malloc.h>
#include <mpv/client.h>
#include <mpv/render_gl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

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
        if (m_active)
            SDL_QuitSubSystem(SDL_INIT_VIDEO);
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
        if (m_context != nullptr)
            SDL_GL_DeleteContext(m_context);
    }
    void reset(SDL_GLContext context) { m_context = context; }
    SDL_GLContext get() const { return m_context; }

private:
    SDL_GLContext m_context = nullptr;
};

std::string mpv_error_text(int code) {
    return mpv_error_string(code);
}

std::string seconds_text(int milliseconds) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%d.%03d", milliseconds / 1000, milliseconds % 1000);
    return buffer;
}

void* get_proc_address(void*, const char* name) {
    return SDL_GL_GetProcAddress(name);
}

// Load and Screenshot answer the engine; DeckLoad and Unpause are the two-decoder mode's own;
// Playlist is the one-decoder mode's snapshot of mpv's playlist, to remove played entries.
enum class ReplyKind { Load, Screenshot, DeckLoad, Unpause, Playlist, Other };
struct PendingReply {
    ReplyKind kind = ReplyKind::Other;
    std::uint64_t tag = 0;
    std::string what;
    int deck = 0;
    std::int64_t entry = 0;        // the renderer's entry id (two-decoder mode); mpv's (Playlist)
    std::uint64_t generation = 0;  // Playlist: the playlist generation when it was asked for
};

PendingReply make_reply(ReplyKind kind, std::uint64_t tag = 0) {
    PendingReply reply;
    reply.kind = kind;
    reply.tag = tag;
    return reply;
}

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
    if (result.format != MPV_FORMAT_NODE_MAP || result.u.list == nullptr)
        return 0;
    const mpv_node_list& map = *result.u.list;
    for (int index = 0; index < map.num; ++index) {
        if (std::strcmp(map.keys[index], "playlist_entry_id") == 0 &&
            map.values[index].format == MPV_FORMAT_INT64)
            return map.values[index].u.int64;
    }
    return 0;
}

// The position of the entry with mpv's id `id` in a `playlist` property node, if it is there.
std::optional<int> playlist_position(const mpv_node& playlist, std::int64_t id) {
    if (playlist.format != MPV_FORMAT_NODE_ARRAY || playlist.u.list == nullptr)
        return std::nullopt;
    const mpv_node_list& entries = *playlist.u.list;
    for (int index = 0; index < entries.num; ++index) {
        const mpv_node& entry = entries.values[index];
        if (entry.format != MPV_FORMAT_NODE_MAP || entry.u.list == nullptr)
            continue;
        const mpv_node_list& fields = *entry.u.list;
        for (int field = 0; field < fields.num; ++field)
            if (std::strcmp(fields.keys[field], "id") == 0 &&
                fields.values[field].format == MPV_FORMAT_INT64 && fields.values[field].u.int64 == id)
                return index;
    }
    return std::nullopt;
}

}  // namespace

// One mpv core and, in Screen mode, its render context.
struct Deck {
    // Destroyed in reverse: the render context before its mpv handle.
    std::unique_ptr<mpv_handle, MpvHandleDeleter> mpv;
    std::unique_ptr<mpv_render_context, RenderContextDeleter> render;
    std::string last_error_message;  // the last error-level mpv log line, for EndFile errors
    int index = 0;
    std::uint32_t redraw_event_type = 0;

    // Two-decoder mode: the entry on this deck (preloading, playing or being stopped).
    struct Entry {
        std::int64_t id = 0;  // the renderer's playlist entry id, as the engine knows it
        LoadRequest request;
    };
    std::optional<Entry> entry;
    std::int64_t mpv_entry_id = 0;  // mpv's own id of the entry's file on this core
    std::int64_t mpv_id_alloc = 0;  // mpv numbers entries 1, 2, 3… per core
    bool opened = false;            // mpv's start-file seen
    bool ready = false;      // mpv's playback-restart seen: the first frame is out (paused if preloaded)
    bool unpaused = false;   // loaded playing, or the unpause reply seen
    bool announced = false;  // StartFile given to the engine
    bool reported = false;   // PlaybackRestart given to the engine
    bool stopping = false;   // stopped; its end-file is the last event about it
    std::optional<RendererEvent> held_end;  // ended while preloading; told when its turn comes

    void clear_entry() {
        entry.reset();
        opened = ready = unpaused = announced = reported = stopping = false;
        held_end.reset();
    }
};

struct MpvRenderer::Impl {
    RendererConfig config;
    const Clock& clock;

    // Declared first so they outlive mpv (its callbacks touch them until mpv is destroyed).
    std::mutex mutex;
    std::condition_variable signalled_condition;
    bool signalled = false;
    std::uint32_t wakeup_event_type = 0;
    std::uint32_t redraw_event_type = 0;

    // Destroyed in reverse: decks (render contexts, then mpv), then GL context, window and SDL.
    SdlVideo sdl;
    std::unique_ptr<SDL_Window, WindowDeleter> window;
    GlContext gl;
    std::vector<Deck> decks;  // 1 (mpv's playlist) or 2 (preload in the idle one)

    std::vector<RendererEvent> pending;  // events for the next wait()
    std::map<std::uint64_t, PendingReply> replies;
    std::uint64_t next_reply_id = 1;
    std::uint64_t frames_drawn = 0;
    bool shut_down = false;

    // One-decoder mode: bumped by every command that empties mpv's playlist (a Replace load,
    // stop), so a playlist snapshot taken before it is never used to remove entries after it.
    std::uint64_t playlist_generation = 0;

    // Two-decoder mode.
    int current = -1;                 // the deck whose entry the engine sees as current
    std::deque<Deck::Entry> waiting;  // loaded by the engine, not yet on a deck
    std::int64_t next_entry_id = 1;

    Impl(RendererConfig configuration, const Clock& injected_clock)
        : config(std::move(configuration)), clock(injected_clock) {}

    bool screen() const { return config.mode == OutputMode::Screen; }
    bool dual() const { return decks.size() == 2; }

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

    // Returns false when mpv refused the command outright.
    bool command(int deck, std::vector<std::string> words, PendingReply reply,
                 const std::vector<std::pair<std::string, std::string>>* options = nullptr) {
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

    void set_flag(int deck, const char* name, bool value, PendingReply reply) {
        int flag = value ? 1 : 0;
        const std::uint64_t reply_id = next_reply_id++;
        reply.what = std::string("set ") + name;
        reply.deck = deck;
        replies[reply_id] = reply;
        if (const int status = mpv_set_property_async(decks[static_cast<std::size_t>(deck)].mpv.get(),
                                                      reply_id, name, MPV_FORMAT_FLAG, &flag);
            status < 0) {
            replies.erase(reply_id);
            spdlog::warn("mpv: set {} refused: {}", name, mpv_error_text(status));
        }
    }

    // Renders the deck's current frame: into the window (and swaps), or, for a deck that is
    // not on screen, only consumes it (MPV_RENDER_PARAM_SKIP_RENDERING), so that its video
    // output goes on to its first frame instead of waiting for a render that never comes.
    void draw(int index, bool visible) {
        Deck& deck = decks[static_cast<std::size_t>(index)];
        if (!deck.render)
            return;
        int width = 0;
        int height = 0;
        SDL_GL_GetDrawableSize(window.get(), &width, &height);
        mpv_opengl_fbo fbo{0, width, height, 0};
        int flip_y = 1;
        int skip = visible ? 0 : 1;
        mpv_render_param params[] = {{MPV_RENDER_PARAM_OPENGL_FBO, &fbo},
                                     {MPV_RENDER_PARAM_FLIP_Y, &flip_y},
                                     {MPV_RENDER_PARAM_SKIP_RENDERING, &skip},
                                     {MPV_RENDER_PARAM_INVALID, nullptr}};
        mpv_render_context_render(deck.render.get(), params);
        if (!visible)
            return;
        SDL_GL_SwapWindow(window.get());
        ++frames_drawn;
    }

    int on_screen() const { return dual() ? current : 0; }

    void log(Deck& deck, const mpv_event_log_message& message) {
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

    RendererEvent end_event(Deck& deck, const mpv_event_end_file& end) {
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

    // ---- two-decoder mode ----------------------------------------------------------------

    // Puts an entry on a free deck: playing at once, or paused on its first frame (preload).
    void put_on_deck(int index, Deck::Entry entry, bool paused) {
        Deck& deck = decks[static_cast<std::size_t>(index)];
        deck.clear_entry();
        deck.last_error_message.clear();
        deck.unpaused = !paused;
        const std::int64_t id = entry.id;
        const LoadRequest request = entry.request;
        deck.entry = std::move(entry);
        deck.mpv_entry_id = ++deck.mpv_id_alloc;
        // Commands to one core run in order: the pause state is set before the file opens.
        set_flag(index, "pause", paused, make_reply(ReplyKind::Other));
        PendingReply reply = make_reply(ReplyKind::DeckLoad, request.tag);
        reply.entry = id;
        if (!command(index, {"loadfile", request.location, "replace"}, reply, &request.options)) {
            --deck.mpv_id_alloc;
            RendererEvent failed = stamped(RendererEvent::Kind::EndFile);
            failed.end_reason = EndReason::Error;
            failed.error = "loadfile refused";
            deck.held_end = std::move(failed);
        }
    }

    int free_deck() const {
        for (std::size_t index = 0; index < decks.size(); ++index)
            if (!decks[index].entry)
                return static_cast<int>(index);
        return -1;
    }

    void announce(Deck& deck) {
        RendererEvent started = stamped(RendererEvent::Kind::StartFile);
        started.playlist_entry_id = deck.entry->id;
        pending.push_back(std::move(started));
        deck.announced = true;
    }

    void report_restart_if_due(int index) {
        Deck& deck = decks[static_cast<std::size_t>(index)];
        if (index != current || !deck.entry || deck.reported || !deck.ready || !deck.unpaused)
            return;
        deck.reported = true;
        pending.push_back(stamped(RendererEvent::Kind::PlaybackRestart));
    }

    void finish_entry(int index, RendererEvent ended) {
        Deck& deck = decks[static_cast<std::size_t>(index)];
        ended.playlist_entry_id = deck.entry->id;
        pending.push_back(std::move(ended));
        deck.clear_entry();
        if (current == index)
            current = -1;
    }

    // The preloaded entry on `index` becomes current: unpaused, and (Screen) drawn at once.
    void promote(int index) {
        Deck& deck = decks[static_cast<std::size_t>(index)];
        current = index;
        announce(deck);
        if (deck.held_end) {
            finish_entry(index, *deck.held_end);
            return;
        }
        PendingReply reply = make_reply(ReplyKind::Unpause);
        reply.entry = deck.entry->id;
        set_flag(index, "pause", false, reply);
        if (deck.ready && screen())
            draw(index, true);
    }

    // Keeps one entry playing and the next one preloaded, as far as the entries allow.
    void advance() {
        for (int rounds = 0; rounds < 64; ++rounds) {
            if (current < 0) {
                int preloaded = -1;
                for (std::size_t index = 0; index < decks.size(); ++index)
                    if (decks[index].entry && !decks[index].stopping)
                        preloaded = static_cast<int>(index);
                if (preloaded >= 0) {
                    promote(preloaded);
                    continue;  // it may have ended already (held error)
                }
                const int free = free_deck();
                if (waiting.empty() || free < 0)
                    return;
                Deck::Entry entry = std::move(waiting.front());
                waiting.pop_front();
                current = free;
                put_on_deck(free, std::move(entry), false);
                Deck& deck = decks[static_cast<std::size_t>(free)];
                if (deck.held_end) {
                    announce(deck);
                    finish_entry(free, *deck.held_end);
                }
                continue;
            }
            const int idle = 1 - current;
            if (waiting.empty() || !waiting.front().request.preload ||
                decks[static_cast<std::size_t>(idle)].entry)
                return;  // (a stream starts cold at its turn)
            Deck::Entry entry = std::move(waiting.front());
            waiting.pop_front();
            put_on_deck(idle, std::move(entry), true);
            return;
        }
    }

    void dual_load(const LoadRequest& request, LoadMode mode) {
        if (mode == LoadMode::Replace)
            dual_stop();
        Deck::Entry entry{next_entry_id++, request};
        RendererEvent accepted = stamped(RendererEvent::Kind::LoadAccepted);
        accepted.tag = request.tag;
        accepted.playlist_entry_id = entry.id;
        pending.push_back(std::move(accepted));
        waiting.push_back(std::move(entry));
        advance();
    }

    void dual_stop() {
        waiting.clear();
        for (std::size_t index = 0; index < decks.size(); ++index) {
            Deck& deck = decks[index];
            if (!deck.entry || deck.stopping)
                continue;
            if (static_cast<int>(index) == current) {
                // Its end-file (stop) is reported when mpv sends it; the deck is busy till then.
                deck.stopping = true;
                command(static_cast<int>(index), {"stop"}, make_reply(ReplyKind::Other));
            } else {
                // A preloaded entry never started: nothing to report. mpv's later events about
                // it carry an id this deck no longer expects.
                command(static_cast<int>(index), {"stop"}, make_reply(ReplyKind::Other));
                deck.clear_entry();
            }
        }
        current = -1;
    }

    bool dual_remove(std::uint64_t tag) {
        if (auto waiting_entry =
                std::find_if(waiting.begin(), waiting.end(),
                             [&](const Deck::Entry& entry) { return entry.request.tag == tag; });
            waiting_entry != waiting.end()) {
            waiting.erase(waiting_entry);
            return true;
        }
        for (std::size_t index = 0; index < decks.size(); ++index) {
            Deck& deck = decks[index];
            if (static_cast<int>(index) == current || !deck.entry || deck.stopping ||
                deck.entry->request.tag != tag)
                continue;
            // Preloaded, never current: stopped without a word, as dual_stop() does; mpv's later
            // events about it carry an id this deck no longer expects.
            command(static_cast<int>(index), {"stop"}, make_reply(ReplyKind::Other));
            deck.clear_entry();
            advance();  // the next waiting entry (if any) is preloaded on the freed deck
            return true;
        }
        return false;
    }

    void dual_event(int index, const mpv_event& event) {
        Deck& deck = decks[static_cast<std::size_t>(index)];
        switch (event.event_id) {
            case MPV_EVENT_START_FILE: {
                const auto id = static_cast<mpv_event_start_file*>(event.data)->playlist_entry_id;
                if (!deck.entry || id != deck.mpv_entry_id)
                    break;
                deck.opened = true;
                if (index == current && !deck.announced)
                    announce(deck);
                break;
            }
            case MPV_EVENT_PLAYBACK_RESTART:
                if (!deck.entry || !deck.opened)
                    break;
                if (!deck.ready) {
                    deck.ready = true;
                    // A preloaded deck's frame was consumed off screen; show it now if its turn came.
                    if (index == current && screen() && !deck.reported)
                        draw(index, true);
                }
                report_restart_if_due(index);
                break;
            case MPV_EVENT_END_FILE: {
                const auto& end = *static_cast<mpv_event_end_file*>(event.data);
                if (!deck.entry || end.playlist_entry_id != deck.mpv_entry_id)
                    break;
                RendererEvent ended = end_event(deck, end);
                if (index == current || deck.stopping) {
                    if (!deck.announced)
                        announce(deck);
                    finish_entry(index, std::move(ended));
                    advance();
                } else {
                    deck.held_end = std::move(ended);  // a preload that failed: told at its turn
                }
                break;
            }
            default: break;
        }
    }

    // ---- replies and events --------------------------------------------------------------

    void reply(const mpv_event& event) {
        auto found = replies.find(event.reply_userdata);
        if (found == replies.end())
            return;
        PendingReply reply = found->second;
        replies.erase(found);
        Deck& deck = decks[static_cast<std::size_t>(reply.deck)];
        switch (reply.kind) {
            case ReplyKind::Playlist: trim_playlist(reply, event); return;
            case ReplyKind::Other:
                if (event.error < 0)
                    spdlog::warn("mpv: {} failed: {}", reply.what, mpv_error_text(event.error));
                return;
            case ReplyKind::DeckLoad: {
                if (!deck.entry || deck.entry->id != reply.entry)
                    return;
                if (event.error < 0) {
                    --deck.mpv_id_alloc;
                    RendererEvent failed = stamped(RendererEvent::Kind::EndFile);
                    failed.end_reason = EndReason::Error;
                    failed.error = reply.what + ": " + mpv_error_text(event.error);
                    if (!deck.last_error_message.empty())
                        failed.error += " (" + deck.last_error_message + ")";
                    if (reply.deck == current || deck.stopping) {
                        if (!deck.announced)
                            announce(deck);
                        finish_entry(reply.deck, std::move(failed));
                        advance();
                    } else {
                        deck.held_end = std::move(failed);
                    }
                    return;
                }
                const auto* command_reply = static_cast<mpv_event_command*>(event.data);
                if (const std::int64_t id = entry_id_from_reply(command_reply->result); id != 0) {
                    deck.mpv_entry_id = id;
                    deck.mpv_id_alloc = std::max(deck.mpv_id_alloc, id);
                }
                return;
            }
            case ReplyKind::Unpause:
                if (!deck.entry || deck.entry->id != reply.entry)
                    return;
                if (event.error < 0)
                    spdlog::warn("mpv: unpause failed: {}", mpv_error_text(event.error));
                deck.unpaused = true;
                report_restart_if_due(reply.deck);
                return;
            case ReplyKind::Load:
            case ReplyKind::Screenshot: break;
        }
        if (event.error < 0) {
            RendererEvent failed =
                stamped(reply.kind == ReplyKind::Load ? RendererEvent::Kind::LoadRejected
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

    // ---- one-decoder mode: played entries leave mpv's playlist -----------------------------
    //
    // mpv keeps every entry it has played (`append-play` only adds), and mpv 0.35 removes an
    // entry only by index. So on each start-file the playlist is read asynchronously, and when
    // the snapshot comes back every entry before the one that started is removed, highest index
    // first. The indices stay right because, from this client, mpv runs the requests in order
    // and between the snapshot and the removals only appends can reach the playlist (they add
    // at the end) — unless a Replace load or stop was issued meanwhile, which empties it: those
    // bump playlist_generation and a snapshot of an older generation is dropped. Commands issued
    // after the removals run after them. mpv's own changes (a redirect expanding the playing
    // entry) happen at or after the playing entry, never before it. The playing entry and those
    // after it are never touched, so gapless joins are unaffected.
    void request_playlist_trim(std::int64_t started_entry) {
        PendingReply reply = make_reply(ReplyKind::Playlist);
        reply.what = "get playlist";
        reply.entry = started_entry;
        reply.generation = playlist_generation;
        const std::uint64_t reply_id = next_reply_id++;
        replies[reply_id] = reply;
        if (const int status =
                mpv_get_property_async(decks[0].mpv.get(), reply_id, "playlist", MPV_FORMAT_NODE);
            status < 0) {
            replies.erase(reply_id);
            spdlog::warn("mpv: get playlist refused: {}", mpv_error_text(status));
        }
    }

    void trim_playlist(const PendingReply& reply, const mpv_event& event) {
        if (reply.generation != playlist_generation)
            return;  // emptied since: indices are stale
        if (event.error < 0) {
            spdlog::warn("mpv: get playlist failed: {}", mpv_error_text(event.error));
            return;
        }
        const auto* property = static_cast<const mpv_event_property*>(event.data);
        if (property == nullptr || property->format != MPV_FORMAT_NODE || property->data == nullptr)
            return;
        const auto position = playlist_position(*static_cast<const mpv_node*>(property->data), reply.entry);
        if (!position)
            return;  // already gone (replaced); nothing before it to remove
        for (int index = *position - 1; index >= 0; --index)
            command(0, {"playlist-remove", std::to_string(index)}, make_reply(ReplyKind::Other));
    }

    void single_event(Deck& deck, const mpv_event& event) {
        switch (event.event_id) {
            case MPV_EVENT_START_FILE: {
                RendererEvent started = stamped(RendererEvent::Kind::StartFile);
                started.playlist_entry_id = static_cast<mpv_event_start_file*>(event.data)->playlist_entry_id;
                deck.last_error_message.clear();
                request_playlist_trim(started.playlist_entry_id);
                pending.push_back(std::move(started));
                break;
            }
            case MPV_EVENT_PLAYBACK_RESTART:
                pending.push_back(stamped(RendererEvent::Kind::PlaybackRestart));
                break;
            case MPV_EVENT_END_FILE:
                pending.push_back(end_event(deck, *static_cast<mpv_event_end_file*>(event.data)));
                break;
            default: break;
        }
    }

    void drain() {
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
                    default:
                        if (dual())
                            dual_event(static_cast<int>(index), *event);
                        else
                            single_event(deck, *event);
                        break;
                }
            }
        }
    }

    void handle_sdl(const SDL_Event& event, bool& redraw) {
        if (event.type == SDL_QUIT) {
            if (!shut_down)
                pending.push_back(stamped(RendererEvent::Kind::Shutdown));
            shut_down = true;
        } else if (event.type == SDL_WINDOWEVENT) {
            if (event.window.event == SDL_WINDOWEVENT_EXPOSED ||
                event.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
                redraw = true;
        } else if (event.type == redraw_event_type) {
            const int index = event.user.code;
            if (index < 0 || static_cast<std::size_t>(index) >= decks.size())
                return;
            const std::uint64_t flags =
                mpv_render_context_update(decks[static_cast<std::size_t>(index)].render.get());
            if ((flags & MPV_RENDER_UPDATE_FRAME) == 0)
                return;
            if (index == on_screen())
                redraw = true;
            else
                draw(index, false);
        }
        // wakeup_event_type: nothing to do here; mpv is drained after every wait.
    }
};

namespace {

Result<void> set_option(mpv_handle* handle, const char* name, const std::string& value) {
    const int status = mpv_set_option_string(handle, name, value.c_str());
    if (status < 0)
        return fail(Errc::InvalidInput,
                    std::string("mpv option ") + name + "=" + value + ": " + mpv_error_text(status));
    return {};
}

void on_mpv_wakeup(void* context) {
    static_cast<MpvRenderer::Impl*>(context)->signal();
}

// The render-update callback's context is the deck (the decks never move once created).
void on_render_update(void* context) {
    const auto* deck = static_cast<Deck*>(context);
    SDL_Event event{};
    event.type = deck->redraw_event_type;
    event.user.code = deck->index;
    SDL_PushEvent(&event);
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
        if (auto status = impl->sdl.init(); !status)
            return std::unexpected(status.error());
        std::uint32_t flags = SDL_WINDOW_OPENGL | SDL_WINDOW_SHOWN;
        if (config.fullscreen)
            flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
        impl->window.reset(SDL_CreateWindow(config.window_title.c_str(), SDL_WINDOWPOS_CENTERED,
                                            SDL_WINDOWPOS_CENTERED, config.window_width, config.window_height,
                                            flags));
        if (!impl->window)
            return fail(Errc::Unsupported, std::string("SDL window: ") + SDL_GetError());
        impl->gl.reset(SDL_GL_CreateContext(impl->window.get()));
        if (impl->gl.get() == nullptr)
            return fail(Errc::Unsupported, std::string("SDL GL context: ") + SDL_GetError());
        SDL_ShowCursor(SDL_DISABLE);

        const std::uint32_t first = SDL_RegisterEvents(2);
        if (first == static_cast<std::uint32_t>(-1))
            return fail(Errc::Internal, "SDL_RegisterEvents failed");
        impl->wakeup_event_type = first;
        impl->redraw_event_type = first + 1;
        // Both decks render through the same GL context; only the current one reaches the window.
        for (auto& deck : impl->decks) {
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
            deck.redraw_event_type = impl->redraw_event_type;
            mpv_render_context_set_update_callback(deck.render.get(), on_render_update, &deck);
        }
    }
    for (auto& deck : impl->decks) mpv_set_wakeup_callback(deck.mpv.get(), on_mpv_wakeup, impl.get());
    spdlog::info("renderer: mpv {} in {} mode, {} decoder{}", mpv_client_api_version() >> 16,
                 to_string(config.mode), decoders, decoders == 1 ? "" : "s");
    return std::unique_ptr<MpvRenderer>(new MpvRenderer(std::move(impl)));
}

MpvRenderer::MpvRenderer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

MpvRenderer::~MpvRenderer() {
    for (auto& deck : m_impl->decks)
        if (deck.render)
            mpv_render_context_set_update_callback(deck.render.get(), nullptr, nullptr);
    for (auto& deck : m_impl->decks)
        deck.render.reset();  // before mpv_terminate_destroy, as render.h requires
    for (auto& deck : m_impl->decks) deck.mpv.reset();
}

void MpvRenderer::load(const LoadRequest& request, LoadMode mode) {
    if (m_impl->dual()) {
        m_impl->dual_load(request, mode);
        return;
    }
    if (mode == LoadMode::Replace)
        ++m_impl->playlist_generation;  // see request_playlist_trim()
    m_impl->command(0, {"loadfile", request.location, mode == LoadMode::Replace ? "replace" : "append-play"},
                    make_reply(ReplyKind::Load, request.tag), &request.options);
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
    const int deck = std::max(0, m_impl->on_screen());
    m_impl->command(deck, {"screenshot-to-file", path.string(), "video"},
                    make_reply(ReplyKind::Screenshot, tag));
}

void MpvRenderer::stop() {
    if (m_impl->dual()) {
        m_impl->dual_stop();
        return;
    }
    ++m_impl->playlist_generation;  // stop empties mpv's playlist; see request_playlist_trim()
    m_impl->command(0, {"stop"}, make_reply(ReplyKind::Other));
}

bool MpvRenderer::remove(std::uint64_t tag) {
    return m_impl->dual() && m_impl->dual_remove(tag);
}

std::vector<RendererEvent> MpvRenderer::wait(Duration timeout) {
    if (!m_impl->pending.empty())
        timeout = Duration{0};
    const auto milliseconds = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 0, 60'000));
    if (m_impl->screen()) {
        bool redraw = false;
        SDL_Event event{};
        const bool got =
            milliseconds > 0 ? SDL_WaitEventTimeout(&event, milliseconds) != 0 : SDL_PollEvent(&event) != 0;
        if (got) {
            m_impl->handle_sdl(event, redraw);
            while (SDL_PollEvent(&event) != 0) m_impl->handle_sdl(event, redraw);
        }
        if (redraw && m_impl->on_screen() >= 0)
            m_impl->draw(m_impl->on_screen(), true);
    } else {
        std::unique_lock lock(m_impl->mutex);
        m_impl->signalled_condition.wait_for(lock, std::chrono::milliseconds(milliseconds),
                                             [this] { return m_impl->signalled; });
        m_impl->signalled = false;
    }
    m_impl->drain();
    return std::exchange(m_impl->pending, {});
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
