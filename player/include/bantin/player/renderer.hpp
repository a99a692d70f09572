#pragma once
// The renderer: the playback engine's side-effect boundary (the thing that decodes and shows
// or sounds media). The real one is MpvRenderer (libmpv, mpv_renderer.hpp); tests use
// tests/support/fake_renderer.hpp.
//
// Model: the renderer holds an ordered playlist. load() appends an entry (or replaces the
// whole playlist) and never blocks: whether the entry was accepted, when it starts, when its
// first frame or sample is out and how it ends all come back later as RendererEvents from
// wait(). Every event carries the wall and monotonic instants at which the renderer took it
// from the media backend, read from the Clock it was given.
//
// A renderer may open entries ahead of their turn (MpvRenderer with two decoders opens the
// next one paused on its first frame); it keeps such an entry's events to itself until the
// entry becomes current, so the engine always sees StartFile when an entry becomes current
// and PlaybackRestart when its first frame or sample is out *and playing* (for a preloaded
// entry: when it is unpaused with its frame shown), never when it was merely loaded. The
// previous entry's EndFile always comes before the next entry's StartFile.
//
// Threads: a renderer belongs to one thread, its owner loop, which created it and alone calls
// load(), set_volume(), screenshot(), stop() and wait(). wake() may be called from any thread
// and makes a wait() in progress (or the next one) return early.
//
// Errors: problems with one entry (undecodable file, unreachable URL) are events
// (LoadRejected, EndFile with EndReason::Error), never exceptions; creating a renderer
// returns a Result.

#include "bantin/common/clock.hpp"
#include "bantin/common/time.hpp"
#include "bantin/player/screen_overlay.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bantin::player {

// A request to play one file or URL. `tag` is chosen by the caller and comes back on the
// events about this request until the backend assigns its playlist entry id.
struct LoadRequest {
    std::uint64_t tag = 0;
    std::string location;  // a local path or a stream URL
    // Per-file backend options, e.g. {"image-display-duration", "3.000"} or {"length", "2.5"}.
    std::vector<std::pair<std::string, std::string>> options;
    // May the renderer open it ahead of its turn (paused)? Not for live streams: a stream
    // opened early and held paused would play late by as long as it was held.
    bool preload = true;
};

enum class LoadMode {
    Append,   // after the last entry; starts playing at once if the renderer is idle
    Replace,  // drops every entry, stops the current one (EndFile with Stop), plays this
};

// A size in pixels (of a window's area, of a rendered notice).
struct FrameSize {
    int width = 0;
    int height = 0;
    bool operator==(const FrameSize&) const = default;
};

// Why an entry ended, as mpv says it (mpv_end_file_reason).
enum class EndReason { Eof, Stop, Quit, Error, Redirect };

struct RendererEvent {
    enum class Kind {
        LoadAccepted,     // tag -> playlist_entry_id
        LoadRejected,     // tag, error: the request itself was refused
        StartFile,        // playlist_entry_id: the entry became current and is being opened
        PlaybackRestart,  // the current entry's first frame/audio is out and playing (no id: the current one)
        EndFile,          // playlist_entry_id, end_reason, error (for Error)
        ScreenshotDone,   // tag
        ScreenshotFailed,  // tag, error
        Shutdown,          // the backend is gone (window closed, mpv quit)
    };
    Kind kind = Kind::StartFile;
    std::uint64_t tag = 0;
    std::int64_t playlist_entry_id = 0;
    EndReason end_reason = EndReason::Eof;
    std::string error;
    // EndFile: the audio output could not be opened for this entry (mpv: "audio output
    // initialization failed"); its pictures, if any, were shown without sound.
    bool audio_unavailable = false;
    TimePoint wall{};
    MonotonicTime monotonic{};
};

class Renderer {
public:
    virtual ~Renderer() = default;

    virtual void load(const LoadRequest& request, LoadMode mode) = 0;
    // 0..100 (the engine applies the device's cap before calling this).
    virtual void set_volume(int percent) = 0;
    // Writes a PNG of the current frame to `path`; ScreenshotDone/ScreenshotFailed follow.
    virtual void screenshot(const std::filesystem::path& path, std::uint64_t tag) = 0;
    // Stops the current entry (EndFile with Stop) and clears the playlist.
    virtual void stop() = 0;
    // Takes the entry loaded with `tag` out of the playlist before it becomes current, so that
    // nothing of it is shown or heard and no further event about it comes (a LoadAccepted
    // already on its way may). Returns false when the renderer cannot promise that (the entry
    // is current already, or this renderer cannot remove entries): the caller must then treat
    // it as still in the playlist. The default removes nothing.
    virtual bool remove(std::uint64_t tag) {
        (void)tag;
        return false;
    }
    // The pixel size of the area where the main region's pictures show (the drawable minus any
    // band the renderer draws itself, e.g. a live header), when the renderer knows it; text
    // notices are rendered at this size. The default: unknown (the engine uses its configured
    // window size).
    virtual std::optional<FrameSize> main_area() const { return std::nullopt; }
    // Waits up to `timeout` for events, then returns all that are ready (possibly none).
    virtual std::vector<RendererEvent> wait(Duration timeout) = 0;
    // Any thread: makes wait() return soon.
    virtual void wake() = 0;
    // What a screen draws around and over the main region (screen_overlay.hpp); others ignore it.
    virtual void set_overlay(const OverlayContent& content) { (void)content; }
};

std::string_view to_string(EndReason reason);

}  // namespace bantin::player
