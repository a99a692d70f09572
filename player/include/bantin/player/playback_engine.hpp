#pragma once
// The playback engine: turns "play this item from T1 to T2" into playback on a Renderer and
// reports when each item really started and ended (the raw material of proof of play).
//
// Lifecycle: construct with a Renderer, a Clock and options; give it items with enqueue()
// (upcoming, in order), interrupt() (an alert: drops everything and plays these now) or
// replace_upcoming() (a recomputed timeline: the playing item runs on, what follows changes); the
// owner loop calls renderer.wait(engine.time_until_next_action()) and hands what it returns to
// handle(), which returns the PlaybackEvents for the proof outbox and the status. See
// docs/player.md for the gapless strategy and the exact timestamp rules.
//
// Gapless: the engine keeps the current entry and the next one in the renderer's playlist
// (the next is appended before the current one ends) so the renderer can open it ahead (with
// two decoders it is preloaded paused on its first frame and switched to on the current
// one's end-file), without a new process or a new window. Images hold for their planned
// duration through the per-file `image-display-duration`; video, audio and streams are cut
// at the planned end with the per-file `length`. Each length is computed from the previous
// item's estimated real end, so a late or early start is absorbed instead of accumulating.
// An item resumed after a cut starts at its media offset with the per-file `start` (mpv counts
// `length` from there); one that plays on from its position (PlayItem::plays_on) and starts
// later than the tolerance (a start-up mid-item) starts that much further in.
//
// Timestamps (RendererEvent stamps, from the injected Clock):
//   started = the first PlaybackRestart after the entry's StartFile (first frame/audio out
//             and playing; for a preloaded entry, when it is unpaused and shown);
//             A restart is the entry's whose StartFile came last: never an entry cut by
//             interrupt() whose own end-file is still on its way (with two decoders the cut
//             core reports its stop whenever it gets to it, while the new entry opens).
//   ended   = its EndFile, matched by playlist entry id.
//   EndFile Eof -> Completed; Stop/Quit after interrupt() or stop() -> Interrupted;
//   Error (or an entry that ended before any frame) -> Failed with the backend's error text.
//
// Threads: one thread, the renderer's owner loop, calls every member function.
// Errors: nothing here throws; bad items come back as Failed events, and playback goes on.

#include "bantin/common/clock.hpp"
#include "bantin/player/notice_renderer.hpp"
#include "bantin/player/renderer.hpp"
#include "bantin/protocol/messages.hpp"
#include "bantin/scheduler/model.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bantin::player {

class NoticeRenderer;

struct PlayItem {
    std::string entry_id;  // opaque to the engine; comes back on every event about this item
    scheduler::MediaType type = scheduler::MediaType::Video;
    // Local path or stream URL. For a text notice on a screen it may be empty: the engine
    // renders `text` to an image (NoticeRenderer). On a speaker it is the TTS audio file.
    std::string location;
    std::string text;
    // A text notice on a screen with a speaker: its speech, played under the slide.
    std::string audio_location;
    // How a text notice on a screen is drawn: an alert's colours and band (NoticeLook).
    NoticeLook look;
    // A text notice's header band: the commune or ward and the day it shows (NoticeHeader).
    NoticeHeader header;
    TimePoint planned_start;
    TimePoint planned_end;
    // A scheduled relay (a campaign's stream): when its source stops or cannot be reached
    // before planned_end, the engine plays `filler_location` (of `filler_type`; empty: silence)
    // and tries the source again after relay_first_retry (doubling up to relay_retry_ceiling),
    // until planned_end. Nothing is appended after a relay in the renderer's playlist, so the
    // next entry never starts early when the source stops. The entry is reported once
    // (ItemEnded::relayed says how much of it was the station).
    bool relay = false;
    std::string filler_location;
    scheduler::MediaType filler_type = scheduler::MediaType::Audio;
    // Set by the engine on the parts of a relay it plays after a loss; never by its owner.
    bool relay_filler = false;
    bool relay_continuation = false;
    // An operator's live channel: opened with live_stream_options, so a listener hears the
    // operator within a tenth of a second of the stream (bench/live_latency_bench).
    bool live = false;
    // Where in the media the item starts at planned_start (TimelineEntry::media_offset): an
    // item resumed after a cut plays on from there. Audio and video only.
    Duration media_offset{0};
    // Audio or video that plays on from its position (scheduler::resumes_at_offset: a campaign
    // loop's or fixed-time run's item of 30 s or more): started later than planned_start by more
    // than EngineOptions::contiguous_tolerance, it starts that much further into the media, so
    // what plays is what the timeline has at that instant and the media ends at its planned end.
    // Otherwise a late item plays its head, cut at the planned end.
    bool plays_on = false;
};

inline constexpr Duration relay_first_retry{5'000};
inline constexpr Duration relay_retry_ceiling{30'000};

// Per-file options of a live channel's stream: no cache and no read-ahead (mpv otherwise reads
// seconds ahead before it plays), the smallest probe, and FFmpeg's input buffering off.
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 6> live_stream_options{{
    {"cache", "no"},
    {"demuxer-readahead-secs", "0"},
    {"demuxer-max-bytes", "65536"},
    {"demuxer-lavf-probesize", "2048"},
    {"demuxer-lavf-analyzeduration", "0.1"},
    {"demuxer-lavf-o", "fflags=+nobuffer"},
}};

using Outcome = protocol::Outcome;

// The proof-row note of a play shown without sound, and the words of a play that failed for
// want of an audio output (Vietnamese first, as officers read it).
inline constexpr std::string_view audio_unavailable_note = protocol::audio_unavailable_note;
inline constexpr std::string_view audio_unavailable_error =
    "không mở được đầu ra âm thanh / audio output unavailable";

struct ItemStarted {
    std::string entry_id;
    TimePoint wall;
    MonotonicTime monotonic;
};

struct ItemEnded {
    std::string entry_id;
    Outcome outcome = Outcome::Completed;
    // When its first frame/audio was out; absent if it never got that far (Failed).
    std::optional<TimePoint> started_wall;
    std::optional<MonotonicTime> started_monotonic;
    TimePoint ended_wall;
    MonotonicTime ended_monotonic;
    std::string error;  // Failed: what went wrong, for status and logs
    // The audio output could not be opened: a screen's item whose pictures were shown is
    // Completed with note "audio: unavailable"; a speaker's is Failed (nobody heard it).
    bool audio_unavailable = false;
    std::string note;         // for the proof row, e.g. "audio: unavailable"
    std::string audio_error;  // audio_unavailable: the backend's words
    // A relay: the time the station was heard, the filler's, and how often the source stopped.
    std::optional<Duration> relayed;
    Duration filler{0};
    int source_losses = 0;
};

struct ScreenshotResult {
    std::uint64_t tag = 0;
    std::filesystem::path path;
    std::string error;  // empty: the PNG is at `path`
};

using PlaybackEvent = std::variant<ItemStarted, ItemEnded, ScreenshotResult>;

struct EngineOptions {
    scheduler::DeviceKind device_kind = scheduler::DeviceKind::Screen;
    int max_volume = 100;  // device-local cap (percent); set_volume never goes above it
    // An item whose planned start is further than this after the previous item's estimated
    // end is not appended early: the engine waits for its planned start (a gap in the
    // timeline is a gap on screen too).
    Duration contiguous_tolerance{500};
    // Entries kept in the renderer's playlist after the current one. One is enough for
    // gapless playback in real time; more helps faster-than-real-time outputs (ao=pcm).
    std::size_t lookahead = 1;
    // Items whose remaining time is shorter than this are skipped as missed.
    Duration minimum_length{100};
    // Where rendered text notices are written (screen mode); created if missing.
    std::filesystem::path notice_directory;
    // Where a notice is written when notice_directory cannot take it (a full state disk): an
    // alert's text must still show. Empty: no second try.
    std::filesystem::path notice_fallback_directory;
};

class PlaybackEngine {
public:
    // `notices` may be null on speakers (or when no text items on screens are expected).
    PlaybackEngine(Renderer& renderer, const Clock& clock, EngineOptions options,
                   NoticeRenderer* notices = nullptr);

    // Appends upcoming items, in timeline order, after whatever is queued.
    void enqueue(std::vector<PlayItem> items);
    // Preemption: drops every queued item, stops the current one (reported Interrupted) and
    // starts `items` at once. Returns the entry ids dropped before they ever started.
    std::vector<std::string> interrupt(std::vector<PlayItem> items);
    // Stops everything (current item Interrupted) and empties the queue.
    std::vector<std::string> stop();

    // An entry handed to the renderer that is neither ended nor on its way out after an
    // interrupt, in playlist order: the first is the current (or next to become current) one.
    struct LoadedEntry {
        std::string entry_id;
        bool started = false;
    };
    std::vector<LoadedEntry> loaded_entries() const;
    // A recomputed timeline without an interruption: the first `keep` of loaded_entries() play
    // on untouched (the owner checked they are still what the timeline wants), every other item
    // not yet started is dropped, and `items` follow the kept ones. A dropped item already in
    // the renderer's playlist (preloaded) is taken out with Renderer::remove(); if the
    // renderer cannot do that, the first new item replaces that playlist the moment the kept
    // ones have ended. keep == 0 is interrupt(items). Returns the entry ids dropped before
    // they ever started.
    std::vector<std::string> replace_upcoming(std::size_t keep, std::vector<PlayItem> items);

    // Clamps to [0, max_volume], applies, and returns the applied value.
    int set_volume(int percent);
    void screenshot(const std::filesystem::path& path, std::uint64_t tag);

    // Feeds the renderer's events in; returns what happened to the items.
    std::vector<PlaybackEvent> handle(const std::vector<RendererEvent>& events);
    // Time-driven work (an item waiting for its planned start, items whose time passed).
    std::vector<PlaybackEvent> tick();
    // How long the owner loop may wait before calling tick(); capped at `ceiling`.
    Duration time_until_next_action(Duration ceiling = Duration{1000}) const;

    // The entry currently playing (first frame out), if any.
    std::optional<std::string> now_playing() const;
    // Items not yet started, including those already handed to the renderer.
    std::size_t queued() const;
    bool idle() const;

private:
    struct Loaded;  // an item handed to the renderer, not yet ended
    void refill();
    std::optional<LoadRequest> prepare(const PlayItem& item, Duration length, Duration media_start);
    void fail_item(const PlayItem& item, std::string error);
    // The rendered pages of a text notice (one PNG a page): in notice_directory, else in
    // notice_fallback_directory; at the renderer's main_area(), else the configured window size.
    Result<std::vector<std::filesystem::path>> notice_files(const PlayItem& item) const;
    // One mpv location that shows `pages` one after another (mf://).
    std::string page_list_location(const std::vector<std::filesystem::path>& pages) const;
    TimePoint estimated_free_at() const;
    Loaded* find_by_tag(std::uint64_t tag);
    std::vector<std::string> drop_all_unstarted();
    void handle_one(const RendererEvent& event);
    void end_item(Loaded loaded, const RendererEvent& event);
    // A relay segment ended: true when its entry goes on (filler and a retry are queued).
    bool continue_relay(const Loaded& loaded, const RendererEvent& event);
    // Continuation segments dropped by a preemption end their entry if nothing of it remains.
    void end_dropped_relays(const std::vector<PlayItem>& dropped);
    bool waits_for_kept() const;

    struct Loaded {
        PlayItem item;
        std::uint64_t tag = 0;
        std::int64_t playlist_entry_id = 0;  // 0 until LoadAccepted
        Duration length{0};
        TimePoint estimated_start;
        bool opened = false;   // StartFile seen
        bool started = false;  // PlaybackRestart seen
        bool preempted = false;
        TimePoint started_wall;
        MonotonicTime started_monotonic;
        std::string last_error;
    };

    Renderer& m_renderer;
    const Clock& m_clock;
    EngineOptions m_options;
    NoticeRenderer* m_notices;
    std::deque<PlayItem> m_queue;         // not yet handed to the renderer
    std::deque<Loaded> m_loaded;          // handed to the renderer, not yet ended, in order
    std::vector<Loaded> m_orphans;        // dropped by interrupt() before they started
    std::vector<PlaybackEvent> m_outbox;  // returned by the next handle() or tick()
    std::map<std::uint64_t, std::filesystem::path> m_screenshots;
    struct RelayRun {
        TimePoint end;
        Duration relayed{0};
        Duration filler{0};
        int losses = 0;
        Duration next_retry = relay_first_retry;
        std::optional<TimePoint> started_wall;
        std::optional<MonotonicTime> started_monotonic;
        std::string last_error;
    };
    std::map<std::string, RelayRun> m_relays;  // by entry id, while a relay runs
    std::uint64_t m_next_tag = 1;
    LoadMode m_next_mode = LoadMode::Append;
    // replace_upcoming() dropped an entry the renderer holds: the next load replaces the
    // renderer's playlist, once the kept entries have ended.
    bool m_replace_after_kept = false;
    // The entry whose StartFile came last (its tag; 0: none): the only one a PlaybackRestart
    // (which names no entry) can be about. See handle_one().
    std::uint64_t m_open_tag = 0;
};

}  // namespace bantin::player
