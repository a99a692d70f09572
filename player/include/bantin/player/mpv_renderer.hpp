#pragma once
// The real Renderer, on libmpv, in one of three output modes:
//   Screen   - an SDL2 window (fullscreen by config) drawn through mpv's render API with
//              OpenGL, wired exactly as mpv-examples' libmpv/sdl/main.c: vo=libmpv; mpv's
//              wakeup and render-update callbacks only push SDL events; wait() runs
//              SDL_WaitEventTimeout, redraws on update events and drains mpv events; every
//              mpv call from the loop is asynchronous (MPV_RENDER_PARAM_ADVANCED_CONTROL).
//   Speaker  - audio only: vo=null, no video track, no window.
//   Headless - vo=null, and ao=null or ao=pcm writing to `pcm_output` (tests, servers).
// Decoders (RendererConfig::decoders; docs/player.md "gapless strategy"):
//   2 - two mpv cores (Screen and Headless by default): while one plays, the next entry is
//       opened in the other, paused on its first frame; when the current entry's end-file
//       comes, the preloaded one is unpaused and (Screen) drawn at once. The engine still sees
//       one playlist: entry ids are the renderer's own, StartFile comes when an entry becomes
//       current, and a preloaded entry's PlaybackRestart comes with mpv's reply to its unpause
//       (its first frame was out already, and in Screen mode has just been drawn).
//   1 - one core with mpv's own playlist (Speaker and ao=pcm capture by default): gapless-audio
//       joins the items sample-exactly, and each entry's events are mpv's own. Entries before
//       the playing one are removed from mpv's playlist as each entry starts (asynchronously,
//       by index; see request_playlist_trim()), so it does not grow with every item played.
// Every core runs with gapless-audio=yes, a fixed audio-samplerate and idle=yes.
//
// Lifecycle: create() builds and initialises everything or returns the first failure
// (Unsupported for a mode the machine cannot do, e.g. no display). The destructor frees the
// render context before destroying mpv, then the GL context and the window.
//
// Threads: the creating thread is the owner loop (for Screen it must be the thread that may
// use SDL video, normally main()); see renderer.hpp. mpv's callbacks run on mpv's threads and
// only signal the loop (a condition variable, or SDL_PushEvent in Screen mode).

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/player/renderer.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bantin::player {

enum class OutputMode { Screen, Speaker, Headless };

struct RendererConfig {
    OutputMode mode = OutputMode::Headless;
    bool fullscreen = false;
    int window_width = 1280;
    int window_height = 720;
    std::string window_title = "Bantin";
    // Headless only: write the audio output to this WAV file (ao=pcm) instead of ao=null.
    std::optional<std::filesystem::path> pcm_output;
    int audio_samplerate = 48000;
    // mpv's audio output buffer. With gapless audio, end-file (and the next entry's
    // playback-restart) comes when the decoder has handed the last samples to this buffer, so
    // audio proof timestamps are early by up to this much: keep it small (mpv's default, 200 ms
    // plus the null output's own 200 ms, made a 1 s tone "end" after 0.6 s).
    int audio_buffer_ms = 50;
    int initial_volume = 80;
    // 1 or 2 mpv cores (see above); 0 chooses: 1 for Speaker and for ao=pcm capture, else 2.
    int decoders = 0;
    // Process-wide: fix glibc's mmap threshold at 256 KiB (mallopt M_MMAP_THRESHOLD) when the
    // renderer is created. By default glibc raises the threshold to the size of the last
    // freed mmapped block, so decoded video frames (MBs each) then come from per-thread malloc
    // arenas and stay resident after they are freed; RSS then grows in steps of several MB
    // (measured 2-22 MB over 1,000 items with two decoders; with the fixed threshold about
    // half the resident size and flat).
    bool fixed_mmap_threshold = true;
    // More mpv options, set on every core after the renderer's own (tuning and experiments,
    // e.g. {"vd-lavc-threads", "1"}); a name mpv does not know makes create() fail.
    std::vector<std::pair<std::string, std::string>> extra_options;
    // mpv messages at this level and above go to spdlog ("error", "warn", "info", "v").
    std::string log_level = "warn";
    // Screen: the ticker's speed in pixels per second on a 1080-row output, scaled to the
    // output's height (docs/player.md "Regions, header and ticker").
    double ticker_speed = 120;
    // Screen: the bands' font; empty: Noto Sans Bold, else DejaVu Sans Bold.
    std::filesystem::path band_font;
    // Screen: swap on the vertical blank when the driver can (the loop paces itself either way).
    bool vsync = true;
    // Screen: keep each frame's timing for take_frame_timings() (benchmarks).
    bool record_frame_timings = false;
};

// When a frame was begun and when its swap returned (steady clock).
struct FrameTiming {
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point swapped;
};

class MpvRenderer final : public Renderer {
public:
    static Result<std::unique_ptr<MpvRenderer>> create(const RendererConfig& config, const Clock& clock);
    ~MpvRenderer() override;
    MpvRenderer(const MpvRenderer&) = delete;
    MpvRenderer& operator=(const MpvRenderer&) = delete;

    void load(const LoadRequest& request, LoadMode mode) override;
    void set_volume(int percent) override;
    void screenshot(const std::filesystem::path& path, std::uint64_t tag) override;
    void stop() override;
    // Two decoders: removes a waiting or preloaded entry (the freed decoder preloads the next
    // one). One decoder (mpv's own playlist): not supported, returns false.
    bool remove(std::uint64_t tag) override;
    std::vector<RendererEvent> wait(Duration timeout) override;
    void wake() override;
    // Screen: the drawable less the header band; otherwise nothing.
    std::optional<FrameSize> main_area() const override;
    void set_overlay(const OverlayContent& content) override;
    // Screen with record_frame_timings: the frames drawn since the last call.
    std::vector<FrameTiming> take_frame_timings();
    // Screen: the display's refresh rate the window paces a moving ticker at (Hz).
    double refresh_hz() const;

    // Frames drawn into the window so far (Screen mode; 0 otherwise).
    std::uint64_t frames_drawn() const;
    // How many mpv cores this renderer runs (1 or 2).
    int decoders() const;
    // Diagnostics and tests: the entries in mpv's playlists, summed over the cores (mpv's
    // `playlist-count`, read synchronously: a round trip to each core, so not for the loop's
    // hot path). Stays small however many items have played: one decoder keeps the playing
    // entry and the ones appended after it, two decoders one entry per core.
    std::int64_t playlist_count() const;

    struct Impl;

private:
    explicit MpvRenderer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

std::string_view to_string(OutputMode mode);

}  // namespace bantin::player
