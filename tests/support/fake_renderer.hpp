#pragma once
// A Renderer for unit tests: an in-memory model of mpv's playlist, driven by the test.
//
// load() records the request and answers with LoadAccepted (a new playlist entry id); an
// append to an idle fake makes that entry current at once (StartFile), as mpv does with
// append-play. The test then says what the media did: first_frame() (PlaybackRestart) and
// finish(reason) (EndFile for the current entry, then StartFile for the next one). Replace
// and stop() end the current entry with Stop. Every event is stamped with the test's clock
// when the engine collects it with wait(), which never blocks (with sleep_with(), a wait with
// nothing to tell moves the test's simulated clock instead).
//
// defer_stop_ends() models MpvRenderer with two decoders: the stopped entry's core reports its
// end-file when it gets to it, while the new entry already opens (and may show its first
// frame) on the other core; the held EndFile(Stop) events come with release_stopped().
//
// Threads: one, like the real one.

#include "bantin/common/clock.hpp"
#include "bantin/player/renderer.hpp"
#include "bantin/player/screen_overlay.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bantin::testing {

class FakeRenderer final : public player::Renderer {
public:
    struct LoadCall {
        player::LoadRequest request;
        player::LoadMode mode = player::LoadMode::Append;
        std::int64_t playlist_entry_id = 0;

        std::optional<std::string> option(std::string_view name) const {
            for (const auto& [key, value] : request.options)
                if (key == name)
                    return value;
            return std::nullopt;
        }
    };

    explicit FakeRenderer(const Clock& clock) : m_clock(clock) {}

    void load(const player::LoadRequest& request, player::LoadMode mode) override {
        if (m_refuse_next_load) {
            m_refuse_next_load = false;
            auto event = make(player::RendererEvent::Kind::LoadRejected);
            event.tag = request.tag;
            event.error = "loadfile: invalid parameter";
            m_pending.push_back(event);
            return;
        }
        const std::int64_t id = m_next_entry_id++;
        m_loads.push_back(LoadCall{request, mode, id});
        auto accepted = make(player::RendererEvent::Kind::LoadAccepted);
        accepted.tag = request.tag;
        accepted.playlist_entry_id = id;
        m_pending.push_back(accepted);
        if (mode == player::LoadMode::Replace) {
            m_playlist.clear();
            end_current(player::EndReason::Stop, "");
        }
        m_playlist.push_back(id);
        if (!m_current)
            advance();
    }
    void set_volume(int percent) override { m_volumes.push_back(percent); }
    // The main region's area, as a real window would report it (none: unknown). With a window
    // (set_window), the window less the header band of the overlay given last, as
    // WindowOutput::main_area() computes it.
    std::optional<player::FrameSize> main_area() const override {
        if (m_window)
            return player::FrameSize{m_window->width,
                                     m_window->height - player::bands_of(m_overlay, m_window->height).header};
        return m_main_area;
    }
    void set_main_area(std::optional<player::FrameSize> area) { m_main_area = area; }
    void set_window(std::optional<player::FrameSize> window) { m_window = window; }
    void screenshot(const std::filesystem::path& path, std::uint64_t tag) override {
        m_screenshots.push_back(path);
        auto event = make(m_current ? player::RendererEvent::Kind::ScreenshotDone
                                    : player::RendererEvent::Kind::ScreenshotFailed);
        event.tag = tag;
        if (!m_current)
            event.error = "no video";
        m_pending.push_back(event);
    }
    void stop() override {
        ++m_stops;
        m_playlist.clear();
        end_current(player::EndReason::Stop, "");
    }
    std::vector<player::RendererEvent> wait(Duration timeout) override {
        if (m_pending.empty() && m_sleeper && timeout > Duration{0} && !m_woken)
            m_sleeper(timeout);
        m_woken = false;
        std::vector<player::RendererEvent> out;
        out.swap(m_pending);
        for (auto& event : out) {
            event.wall = m_clock.wall();
            event.monotonic = m_clock.monotonic();
        }
        return out;
    }
    // Makes the next wait() return without sleeping (events wait elsewhere, e.g. MQTT).
    void wake() override { m_woken = true; }
    // The bands a screen would draw: kept as given, with how many times they changed.
    void set_overlay(const player::OverlayContent& content) override {
        if (content == m_overlay)
            return;
        m_overlay = content;
        ++m_overlay_changes;
    }
    const player::OverlayContent& overlay() const { return m_overlay; }
    std::size_t overlay_changes() const { return m_overlay_changes; }

    // With a sleeper, a wait() with nothing to tell lets `sleeper` pass its timeout (a simulated
    // clock advancing: the timers of the loop that waits fire as time moves, not in real time).
    void sleep_with(std::function<void(Duration)> sleeper) { m_sleeper = std::move(sleeper); }

    // The test's side: what the current entry does.
    void first_frame() { m_pending.push_back(make(player::RendererEvent::Kind::PlaybackRestart)); }
    void finish(player::EndReason reason = player::EndReason::Eof, std::string error = "") {
        end_current(reason, std::move(error));
        advance();
    }
    // The current entry ends as mpv ends one whose audio output could not open: an error end
    // with mpv's "audio output initialization failed" (after its pictures, if it had any).
    void finish_without_audio_output() {
        end_current(player::EndReason::Error, "audio output initialization failed", true);
        advance();
    }
    void refuse_next_load() { m_refuse_next_load = true; }
    void defer_stop_ends(bool defer = true) { m_defer_stop_ends = defer; }
    // Tells the oldest `count` held EndFile(Stop) events (all by default).
    void release_stopped(std::size_t count = SIZE_MAX) {
        const auto end = m_stopped.begin() + static_cast<std::ptrdiff_t>(std::min(count, m_stopped.size()));
        m_pending.insert(m_pending.end(), m_stopped.begin(), end);
        m_stopped.erase(m_stopped.begin(), end);
    }

    const std::vector<LoadCall>& loads() const { return m_loads; }
    const std::vector<int>& volumes() const { return m_volumes; }
    const std::vector<std::filesystem::path>& screenshots() const { return m_screenshots; }
    int stops() const { return m_stops; }
    std::optional<std::int64_t> current() const { return m_current; }
    std::size_t playlist_size() const { return m_playlist.size(); }

private:
    std::optional<player::FrameSize> m_main_area;
    std::optional<player::FrameSize> m_window;
    player::OverlayContent m_overlay;
    std::size_t m_overlay_changes = 0;
    player::RendererEvent make(player::RendererEvent::Kind kind) const {
        player::RendererEvent event;
        event.kind = kind;
        return event;
    }
    void end_current(player::EndReason reason, std::string error, bool audio_unavailable = false) {
        if (!m_current)
            return;
        auto event = make(player::RendererEvent::Kind::EndFile);
        event.playlist_entry_id = *m_current;
        event.end_reason = reason;
        event.error = std::move(error);
        event.audio_unavailable = audio_unavailable;
        if (m_defer_stop_ends && reason == player::EndReason::Stop)
            m_stopped.push_back(event);
        else
            m_pending.push_back(event);
        m_current.reset();
    }
    void advance() {
        if (m_current || m_playlist.empty())
            return;
        m_current = m_playlist.front();
        m_playlist.pop_front();
        auto event = make(player::RendererEvent::Kind::StartFile);
        event.playlist_entry_id = *m_current;
        m_pending.push_back(event);
    }

    const Clock& m_clock;
    std::vector<player::RendererEvent> m_pending;
    std::vector<player::RendererEvent> m_stopped;  // defer_stop_ends(): EndFile(Stop) not told yet
    std::vector<LoadCall> m_loads;
    std::vector<int> m_volumes;
    std::vector<std::filesystem::path> m_screenshots;
    std::deque<std::int64_t> m_playlist;  // after the current entry
    std::optional<std::int64_t> m_current;
    std::int64_t m_next_entry_id = 1;
    std::function<void(Duration)> m_sleeper;
    bool m_woken = false;
    int m_stops = 0;
    bool m_refuse_next_load = false;
    bool m_defer_stop_ends = false;
};

}  // namespace bantin::testing
