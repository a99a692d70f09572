#pragma once
// Internal to MpvRenderer (mpv_renderer.hpp): the mpv holders and node helpers, one mpv core
// (Deck), the SDL/GL window output, the shared state of the renderer (MpvRenderer::Impl), and
// the interface of its two deck strategies:
//
//   SingleDeck (single_deck.cpp)  one core with mpv's own playlist; played entries are trimmed
//   DualDeck (dual_deck.cpp)      two cores, the next entry preloaded paused in the idle one
//
// Impl owns the cores, the window, the queue of events for the next wait() and the replies
// mpv still owes; it sends commands and turns mpv's generic events and replies into
// RendererEvents. The strategy decides what a load, a stop and a remove do, and reads the
// playback events (start-file, playback-restart, end-file) and its own replies.
// Threads: the owner loop, except Impl::signal() (mpv's callback threads).

#include "bantin/player/mpv_renderer.hpp"

#include <SDL2/SDL.h>
#include <mpv/client.h>
#include <mpv/render_gl.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bantin::player {

// ---- mpv holders and helpers (mpv_core.cpp) ------------------------------------------------

struct MpvHandleDeleter {
    void operator()(mpv_handle* handle) const { mpv_terminate_destroy(handle); }
};
struct RenderContextDeleter {
    void operator()(mpv_render_context* context) const { mpv_render_context_free(context); }
};

std::string mpv_error_text(int code);
// "2.500" for 2500.
std::string seconds_text(int milliseconds);
EndReason to_end_reason(mpv_end_file_reason reason);
Result<void> set_option(mpv_handle* handle, const char* name, const std::string& value);

// A node holding an array of strings, for mpv_command_node_async; the strings must outlive it.
class CommandNode {
public:
    explicit CommandNode(const std::vector<std::string>& words);
    // Appends a map argument (per-file options of loadfile).
    void add_map(const std::vector<std::pair<std::string, std::string>>& entries);
    mpv_node* get() { return &m_node; }

private:
    std::vector<mpv_node> m_items;
    mpv_node_list m_list{};
    mpv_node m_node{};
    std::vector<char*> m_map_keys;
    std::vector<mpv_node> m_map_values;
    mpv_node_list m_map{};
};

// loadfile's reply: mpv's playlist_entry_id of the new entry (0 if absent).
std::int64_t entry_id_from_reply(const mpv_node& result);
// The position of the entry with mpv's id `id` in a `playlist` property node, if it is there.
std::optional<int> playlist_position(const mpv_node& playlist, std::int64_t id);

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
PendingReply make_reply(ReplyKind kind, std::uint64_t tag = 0);

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

// ---- the window output (mpv_window.cpp) ----------------------------------------------------

class OverlayPainter;
struct GlApi;

// Screen mode's SDL2 window with one OpenGL context that every core renders through (only the
// current one reaches the window). Destroyed in reverse: painter, GL objects, GL context, window,
// SDL video.
//
// Without bands (OverlayContent::any() false) mpv renders straight into the window (FBO 0) and
// the window swaps when mpv has a new frame. With bands, mpv renders the main region into a
// texture of the main region's size (the drawable less the header band), and present() composes
// the frame: the main texture under the header band, the ticker band over its bottom, then swaps.
// A moving ticker makes the window draw every frame at the display's refresh rate
// (frame_due()); otherwise drawing stays event-driven (mpv's frames, the header's minute).
class WindowOutput {
public:
    WindowOutput();
    WindowOutput(const WindowOutput&) = delete;
    WindowOutput& operator=(const WindowOutput&) = delete;
    ~WindowOutput();

    // SDL video, the window and its GL context, and two user event types (wake-up, redraw).
    Result<void> open(const RendererConfig& config, const Clock& clock);
    // The core's render context on the window's GL context; its updates come as redraw events.
    Result<void> attach(Deck& deck);
    // Renders the deck's current frame: into the window (and swaps), or, for a deck that is
    // not on screen, only consumes it (MPV_RENDER_PARAM_SKIP_RENDERING), so that its video
    // output goes on to its first frame instead of waiting for a render that never comes.
    // True when a frame reached the window (with a moving ticker the picture waits in the main
    // texture for the next paced frame).
    bool draw(Deck& deck, bool visible);
    // Composes and swaps the last main picture with the bands (with nothing on screen: the
    // window as it is). True when a frame reached the window.
    bool present();
    // Any thread: makes the loop's wait return.
    void wake() const;

    // False when the content is what is drawn already.
    bool set_overlay(const OverlayContent& content);
    bool composed() const;  // bands on: mpv draws into the main texture
    FrameSize main_area() const;
    // When the next frame is due (steady clock) while something moves; nothing otherwise.
    std::optional<std::chrono::steady_clock::time_point> frame_due() const;
    // When the header's clock shows another minute (wall clock), if there is a header.
    std::optional<TimePoint> header_due() const;
    bool header_stale() const;

    // The next drawn frame is also written to `path` as PNG; its result comes from captured().
    void capture(const std::filesystem::path& path, std::uint64_t tag);
    struct Captured {
        std::uint64_t tag = 0;
        std::string error;  // empty: written
    };
    std::vector<Captured> captured();
    bool capture_waiting() const { return !m_captures.empty(); }
    void fail_captures(const std::string& error);

    std::vector<FrameTiming> take_frame_timings() { return std::exchange(m_timings, {}); }
    double refresh_hz() const { return m_refresh_hz; }

    std::uint32_t wakeup_event_type() const { return m_wakeup_event_type; }
    std::uint32_t redraw_event_type() const { return m_redraw_event_type; }

private:
    struct WindowDeleter {
        void operator()(SDL_Window* window) const { SDL_DestroyWindow(window); }
    };
    void drawable_size(int& width, int& height) const;
    bool ensure_main_target(int width, int height);
    void swap(std::chrono::steady_clock::time_point started);
    void write_captures(int width, int height, bool front);

    const Clock* m_clock = nullptr;
    bool m_sdl_active = false;
    std::unique_ptr<SDL_Window, WindowDeleter> m_window;
    SDL_GLContext m_gl = nullptr;
    std::uint32_t m_wakeup_event_type = 0;
    std::uint32_t m_redraw_event_type = 0;

    std::unique_ptr<GlApi> m_api;
    std::unique_ptr<OverlayPainter> m_painter;
    std::string m_painter_error;
    bool m_painter_warned = false;
    // The main region's texture and its framebuffer (bands on).
    unsigned m_main_fbo = 0;
    unsigned m_main_texture = 0;
    int m_main_width = 0;
    int m_main_height = 0;
    std::int64_t m_shown_minute = -1;

    // Pacing: the display's refresh period; the next frame's instant on that grid, or (when the
    // swap waits for the vertical blank) half a period after the last swap.
    double m_refresh_hz = 60;
    std::chrono::steady_clock::duration m_period{};
    std::chrono::steady_clock::time_point m_next_due{};
    bool m_swap_interval = false;  // SDL accepted vsync
    double m_swap_wait_ms = 0;     // how long a swap takes, smoothed
    bool m_record_timings = false;
    std::vector<FrameTiming> m_timings;

    struct Capture {
        std::filesystem::path path;
        std::uint64_t tag = 0;
    };
    std::vector<Capture> m_captures;
    std::vector<Captured> m_captured;
};

// ---- the deck strategies -------------------------------------------------------------------

class DeckStrategy {
public:
    virtual ~DeckStrategy() = default;
    virtual void load(const LoadRequest& request, LoadMode mode) = 0;
    virtual void stop() = 0;
    virtual bool remove(std::uint64_t tag) = 0;
    // The deck whose picture is on screen (-1: none).
    virtual int on_screen() const = 0;
    // start-file, playback-restart and end-file of core `index`.
    virtual void on_event(int index, const mpv_event& event) = 0;
    // The strategy's own replies (DeckLoad, Unpause, Playlist).
    virtual void on_reply(const PendingReply& reply, const mpv_event& event) = 0;
};

std::unique_ptr<DeckStrategy> make_single_deck(MpvRenderer::Impl& renderer);
std::unique_ptr<DeckStrategy> make_dual_deck(MpvRenderer::Impl& renderer);

// ---- the shared state (mpv_renderer.cpp) ---------------------------------------------------

struct MpvRenderer::Impl {
    RendererConfig config;
    const Clock& clock;

    // Declared first so they outlive mpv (its callbacks touch them until mpv is destroyed).
    std::mutex mutex;
    std::condition_variable signalled_condition;
    bool signalled = false;

    // Destroyed in reverse: the strategy, the decks (render contexts, then mpv), then the window.
    std::optional<WindowOutput> window;  // Screen mode
    std::vector<Deck> decks;             // 1 (mpv's playlist) or 2 (preload in the idle one)
    std::unique_ptr<DeckStrategy> strategy;

    std::vector<RendererEvent> pending;  // events for the next wait()
    std::map<std::uint64_t, PendingReply> replies;
    std::uint64_t next_reply_id = 1;
    std::uint64_t frames_drawn = 0;
    bool shut_down = false;

    Impl(RendererConfig configuration, const Clock& injected_clock)
        : config(std::move(configuration)), clock(injected_clock) {}

    bool screen() const { return config.mode == OutputMode::Screen; }
    void signal();  // any thread (mpv's): only wakes the owner loop
    RendererEvent stamped(RendererEvent::Kind kind) const;
    void refuse(ReplyKind kind, std::uint64_t tag, std::string error);
    // Returns false when mpv refused the command outright.
    bool command(int deck, std::vector<std::string> words, PendingReply reply,
                 const std::vector<std::pair<std::string, std::string>>* options = nullptr);
    void set_flag(int deck, const char* name, bool value, PendingReply reply);
    void draw(int index, bool visible);
    // Screen: the frame again with the bands (the ticker moved, the minute changed, a capture).
    void present();
    void collect_captures();
    void log(Deck& deck, const mpv_event_log_message& message);
    RendererEvent end_event(Deck& deck, const mpv_event_end_file& end);
    void reply(const mpv_event& event);
    void drain();
    void handle_sdl(const SDL_Event& event, bool& redraw);
};

}  // namespace bantin::player
