#include "bantin/player/playback_engine.hpp"

#include "bantin/player/notice_renderer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <system_error>

namespace bantin::player {

namespace {

std::string seconds_text(Duration length) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%lld.%03lld", static_cast<long long>(length.count() / 1000),
                  static_cast<long long>(length.count() % 1000));
    return buffer;
}

bool shows_as_image(const PlayItem& item, scheduler::DeviceKind kind) {
    return item.type == scheduler::MediaType::Image ||
           (item.type == scheduler::MediaType::Text && kind == scheduler::DeviceKind::Screen);
}

}  // namespace

namespace {

std::string relay_note(Duration relayed, Duration filler, int losses) {
    char text[200];
    std::snprintf(
        text, sizeof text,
        "tiếp sóng %.1f s, nguồn mất %d lần, phát bù %.1f s / relayed %.1f s, source lost %d times, "
        "filler %.1f s",
        static_cast<double>(relayed.count()) / 1000.0, losses, static_cast<double>(filler.count()) / 1000.0,
        static_cast<double>(relayed.count()) / 1000.0, losses, static_cast<double>(filler.count()) / 1000.0);
    return text;
}

// A relay part ended by a stop, a preemption or a redirect, not by its source: the relay ends.
bool stopped_from_outside(bool preempted, const RendererEvent& event) {
    return preempted || event.end_reason == EndReason::Stop || event.end_reason == EndReason::Quit ||
           event.end_reason == EndReason::Redirect;
}

}  // namespace

PlaybackEngine::PlaybackEngine(Renderer& renderer, const Clock& clock, EngineOptions options,
                               NoticeRenderer* notices)
    : m_renderer(renderer), m_clock(clock), m_options(std::move(options)), m_notices(notices) {}

void PlaybackEngine::enqueue(std::vector<PlayItem> items) {
    for (auto& item : items) m_queue.push_back(std::move(item));
    refill();
}

std::vector<std::string> PlaybackEngine::drop_all_unstarted() {
    std::vector<std::string> dropped;
    std::vector<PlayItem> continuations;
    for (auto& item : m_queue) {
        if (item.relay_continuation)
            continuations.push_back(std::move(item));
        else
            dropped.push_back(item.entry_id);
    }
    m_queue.clear();
    std::deque<Loaded> kept;
    for (auto& loaded : m_loaded) {
        if (loaded.opened) {
            loaded.preempted = true;
            kept.push_back(std::move(loaded));
        } else {
            dropped.push_back(loaded.item.entry_id);
            // Kept aside: if the renderer had already moved on to it, its events still come.
            m_orphans.push_back(std::move(loaded));
        }
    }
    m_loaded = std::move(kept);
    end_dropped_relays(continuations);
    return dropped;
}

std::vector<std::string> PlaybackEngine::interrupt(std::vector<PlayItem> items) {
    std::vector<std::string> dropped = drop_all_unstarted();
    m_replace_after_kept = false;
    if (items.empty()) {
        m_renderer.stop();
        return dropped;
    }
    for (auto& item : items) m_queue.push_back(std::move(item));
    // The first new entry replaces mpv's whole playlist, which stops the current one at once.
    m_next_mode = LoadMode::Replace;
    refill();
    return dropped;
}

std::vector<PlaybackEngine::LoadedEntry> PlaybackEngine::loaded_entries() const {
    std::vector<LoadedEntry> entries;
    for (const auto& loaded : m_loaded)
        if (!loaded.preempted)
            entries.push_back({loaded.item.entry_id, loaded.started});
    return entries;
}

std::vector<std::string> PlaybackEngine::replace_upcoming(std::size_t keep, std::vector<PlayItem> items) {
    if (keep == 0)
        return interrupt(std::move(items));
    std::vector<std::string> dropped;
    std::vector<PlayItem> continuations;
    for (auto& item : m_queue) {
        if (item.relay_continuation)
            continuations.push_back(std::move(item));
        else
            dropped.push_back(item.entry_id);
    }
    m_queue.clear();
    std::deque<Loaded> kept;
    std::size_t live = 0;
    for (auto& loaded : m_loaded) {
        if (loaded.preempted || live < keep) {
            if (!loaded.preempted)
                ++live;
            kept.push_back(std::move(loaded));
            continue;
        }
        // Only the first live entry can be open, and it is kept (keep >= 1): this one waits in
        // the renderer's playlist. Taken out of it, it is never shown; if the renderer cannot
        // do that, it stays an orphan (if the renderer moves on to it, its events still come)
        // and the next load replaces the renderer's playlist once the kept entries have ended.
        dropped.push_back(loaded.item.entry_id);
        if (m_renderer.remove(loaded.tag))
            continue;
        m_orphans.push_back(std::move(loaded));
        m_replace_after_kept = true;
    }
    m_loaded = std::move(kept);
    end_dropped_relays(continuations);
    for (auto& item : items) m_queue.push_back(std::move(item));
    refill();
    return dropped;
}

bool PlaybackEngine::waits_for_kept() const {
    return m_replace_after_kept && std::any_of(m_loaded.begin(), m_loaded.end(),
                                               [](const Loaded& loaded) { return !loaded.preempted; });
}

std::vector<std::string> PlaybackEngine::stop() {
    std::vector<std::string> dropped = drop_all_unstarted();
    m_replace_after_kept = false;
    m_renderer.stop();
    return dropped;
}

int PlaybackEngine::set_volume(int percent) {
    const int applied = std::clamp(percent, 0, std::clamp(m_options.max_volume, 0, 100));
    m_renderer.set_volume(applied);
    return applied;
}

void PlaybackEngine::screenshot(const std::filesystem::path& path, std::uint64_t tag) {
    m_screenshots[tag] = path;
    m_renderer.screenshot(path, tag);
}

TimePoint PlaybackEngine::estimated_free_at() const {
    // Walks the renderer's playlist: an entry that has started ends `length` after its first
    // frame; one that has not starts when the one before it ends (or now).
    const TimePoint now = m_clock.wall();
    TimePoint cursor = now;
    for (const auto& loaded : m_loaded) {
        if (loaded.preempted)
            continue;
        const TimePoint start = loaded.started ? loaded.started_wall : cursor;
        cursor = std::max(start + loaded.length, now);
    }
    return cursor;
}

std::optional<LoadRequest> PlaybackEngine::prepare(const PlayItem& item, Duration length,
                                                   Duration media_start) {
    LoadRequest request;
    request.tag = m_next_tag++;
    request.location = item.location;
    bool sound_alone = false;  // a notice that could not be drawn: its sound track still plays
    std::size_t pages = 1;     // a notice's pages, shown one after another in its slot
    if (item.type == scheduler::MediaType::Text && m_options.device_kind == scheduler::DeviceKind::Screen &&
        request.location.empty()) {
        auto rendered =
            m_notices == nullptr
                ? Result<std::vector<std::filesystem::path>>{fail(
                      Errc::Unsupported, "text notice on a screen, but no notice renderer was given")}
                : notice_files(item);
        if (!rendered && item.audio_location.empty()) {
            fail_item(item, rendered.error().message());
            return std::nullopt;
        }
        if (rendered) {
            pages = rendered->size();
            if (pages > 1)
                rendered->push_back(rendered->back());  // see the mf:// options below
            request.location = pages == 1 ? rendered->front().string() : page_list_location(*rendered);
        } else {
            // An alert's tone (or a notice's speech) must not go silent with its picture.
            spdlog::warn("playback: {}: the notice could not be drawn ({}); its sound plays alone",
                         item.entry_id, rendered.error().message());
            request.location = item.audio_location;
            sound_alone = true;
        }
    }
    if (request.location.empty()) {
        fail_item(item, "no file or URL to play");
        return std::nullopt;
    }
    request.preload = item.type != scheduler::MediaType::Stream;
    if (item.live)
        for (const auto& [name, value] : live_stream_options) request.options.emplace_back(name, value);
    if (pages > 1) {
        // A paged notice is one entry, so proof and gapless playback do not change: mpv's mf://
        // plays the pages as a video of `pages` frames, each shown for an equal share of the slot.
        // mpv ends a video at its last frame's start (it does not hold the last frame) and, with
        // `length`, as soon as a frame lies at or past the end: so the last page is listed twice
        // (its second copy starts at the slot's end) and `length` is 10 ms past the slot, which
        // lets that copy in. The speech, if any, is cut there too (checked under Xvfb).
        char fps[32];
        std::snprintf(fps, sizeof fps, "%.6f",
                      static_cast<double>(pages) * 1000.0 /
                          static_cast<double>(std::max<long long>(1, length.count())));
        request.options.emplace_back("mf-fps", fps);
        if (!item.audio_location.empty())
            request.options.emplace_back("audio-files-append", item.audio_location);
        request.options.emplace_back("length", seconds_text(length + Duration{10}));
    } else if (shows_as_image(item, m_options.device_kind) && !sound_alone) {
        request.options.emplace_back("image-display-duration", seconds_text(length));
        if (!item.audio_location.empty()) {
            request.options.emplace_back("audio-files-append", item.audio_location);
            // The entry lasts as long as its longest track: without `length`, speech longer than
            // the slide's time (a notice joined late, after an alert's cancel) kept the slide up
            // past its planned end, the next item started late and the one after was missed.
            request.options.emplace_back("length", seconds_text(length));
        }
    } else {
        // mpv counts `length` from `start`: the item plays [media_start, media_start + length).
        if (media_start > Duration{0})
            request.options.emplace_back("start", "+" + seconds_text(media_start));
        request.options.emplace_back("length", seconds_text(length));
    }
    return request;
}

std::string PlaybackEngine::page_list_location(const std::vector<std::filesystem::path>& pages) const {
    std::string list;
    bool commas = false;
    for (const auto& page : pages) {
        commas = commas || page.string().find(',') != std::string::npos;
        list += (list.empty() ? "" : ",") + page.string();
    }
    if (!commas)
        return "mf://" + list;
    // A path with a comma in it: mf:// reads the pages from a list file, one a line, instead.
    const std::filesystem::path list_file = pages.front().string() + ".pages";
    std::string lines;
    for (const auto& page : pages) lines += page.string() + "\n";
    if (std::FILE* out = std::fopen(list_file.c_str(), "wb")) {
        const bool written = std::fwrite(lines.data(), 1, lines.size(), out) == lines.size();
        if (std::fclose(out) == 0 && written)
            return "mf://@" + list_file.string();
    }
    spdlog::warn("playback: {}: the list of a notice's pages could not be written; its first page shows",
                 list_file.string());
    return pages.front().string();
}

Result<std::vector<std::filesystem::path>> PlaybackEngine::notice_files(const PlayItem& item) const {
    // Rendered at the size of the area the renderer shows the main region in, else at the
    // configured window's.
    const FrameSize frame =
        m_renderer.main_area().value_or(FrameSize{m_notices->style().width, m_notices->style().height});
    auto pagination = m_notices->paginate(item.text, item.look, item.header, frame);
    if (!pagination)
        return std::unexpected(pagination.error());
    // The name holds everything the pictures depend on: the words, the look and the header in
    // the hash; the size, the day and the page in plain sight (a new day or a new window size is
    // a new picture).
    const std::string keyed = item.text + '\x1f' + std::to_string(static_cast<int>(item.look.kind)) + '\x1f' +
                              std::to_string(static_cast<int>(item.look.severity)) + '\x1f' +
                              item.header.place + '\x1f' + item.header.date;
    std::string day;
    for (char c : item.header.date)
        if (c >= '0' && c <= '9')
            day += c;
    if (day.empty())
        day = "0";
    std::vector<std::string> names;
    for (int page = 1; page <= pagination->pages; ++page) {
        char name[128];
        std::snprintf(name, sizeof name, "notice-%016zx-%dx%d-%s-%dof%d.png", std::hash<std::string>{}(keyed),
                      frame.width, frame.height, day.c_str(), page, pagination->pages);
        names.emplace_back(name);
    }
    std::string errors;
    for (const auto* directory : {&m_options.notice_directory, &m_options.notice_fallback_directory}) {
        if (directory->empty())
            continue;
        std::error_code ignored;
        std::filesystem::create_directories(*directory, ignored);
        std::vector<std::filesystem::path> paths;
        bool cached = true;
        for (const auto& name : names) {
            paths.push_back(*directory / name);
            cached = cached && std::filesystem::exists(paths.back(), ignored);
        }
        if (cached)
            return paths;
        auto written = m_notices->render_to_files(item.text, item.look, item.header, frame, paths);
        if (written) {
            if (directory == &m_options.notice_fallback_directory)
                spdlog::warn("playback: notice written to {} ({})", paths.front().string(), errors);
            return paths;
        }
        if (written.error().code == Errc::Unsupported || written.error().code == Errc::InvalidInput)
            return std::unexpected(written.error());
        errors += (errors.empty() ? "" : "; ") + written.error().message();
    }
    return fail(Errc::Io, "không ghi được bản tin / the notice could not be written: " + errors);
}

void PlaybackEngine::fail_item(const PlayItem& item, std::string error) {
    spdlog::warn("playback: {} not played: {}", item.entry_id, error);
    ItemEnded ended;
    ended.entry_id = item.entry_id;
    ended.outcome = Outcome::Failed;
    ended.ended_wall = m_clock.wall();
    ended.ended_monotonic = m_clock.monotonic();
    ended.error = std::move(error);
    m_outbox.emplace_back(std::move(ended));
}

void PlaybackEngine::refill() {
    while (!m_queue.empty() && m_loaded.size() < m_options.lookahead + 1) {
        if (waits_for_kept())
            break;
        // After a relay nothing is appended: if its source stops, the relay's own filler and
        // retry come next, not the next entry early.
        if (std::any_of(m_loaded.begin(), m_loaded.end(),
                        [](const Loaded& loaded) { return loaded.item.relay && !loaded.preempted; }))
            break;
        const PlayItem& head = m_queue.front();
        const TimePoint now = m_clock.wall();
        const TimePoint free_at = estimated_free_at();
        // A gap in the timeline: wait for the item's own start instead of playing it early.
        if (head.planned_start > free_at + m_options.contiguous_tolerance && now < head.planned_start)
            break;
        // It starts when the renderer is free: early (within the tolerance) or late, it is cut
        // at its planned end, so a previous item's early or late end is absorbed here.
        const TimePoint start = free_at;
        const Duration length = head.planned_end - start;
        if (length < m_options.minimum_length) {
            PlayItem missed = std::move(m_queue.front());
            m_queue.pop_front();
            std::string ahead;
            for (const auto& loaded : m_loaded)
                ahead += " " + loaded.item.entry_id + (loaded.preempted ? "(cut)" : "") +
                         (loaded.started ? "(started " + format_utc(loaded.started_wall) + ")" : "") + "[" +
                         std::to_string(loaded.length.count()) + " ms]";
            spdlog::info("playback: {} planned {}..{}, the renderer is busy until {}; ahead:{}",
                         missed.entry_id, format_utc(missed.planned_start), format_utc(missed.planned_end),
                         format_utc(free_at), ahead);
            fail_item(missed, "missed: its planned end had passed before it could start");
            continue;
        }
        PlayItem item = std::move(m_queue.front());
        m_queue.pop_front();
        // Resumed after a cut: from its offset. Playing on from its position and started late
        // (beyond the gapless jitter): that much further in, so it ends with its media.
        Duration media_start = item.media_offset;
        if (item.plays_on && start > item.planned_start + m_options.contiguous_tolerance)
            media_start += start - item.planned_start;
        std::optional<LoadRequest> request = prepare(item, length, media_start);
        if (!request)
            continue;
        Loaded loaded;
        loaded.item = std::move(item);
        loaded.tag = request->tag;
        loaded.length = length;
        loaded.estimated_start = start;
        m_loaded.push_back(std::move(loaded));
        if (m_replace_after_kept) {
            m_next_mode = LoadMode::Replace;
            m_replace_after_kept = false;
        }
        spdlog::debug("playback: load {} planned {}..{} from {} ms length {} ms{}",
                      m_loaded.back().item.entry_id, format_utc(m_loaded.back().item.planned_start),
                      format_utc(m_loaded.back().item.planned_end), media_start.count(), length.count(),
                      m_next_mode == LoadMode::Replace ? " (replace)" : "");
        m_renderer.load(*request, m_next_mode);
        m_next_mode = LoadMode::Append;
    }
}

PlaybackEngine::Loaded* PlaybackEngine::find_by_tag(std::uint64_t tag) {
    for (auto& loaded : m_loaded)
        if (loaded.tag == tag)
            return &loaded;
    return nullptr;
}

bool PlaybackEngine::continue_relay(const Loaded& loaded, const RendererEvent& event) {
    RelayRun& run = m_relays[loaded.item.entry_id];
    if (!loaded.item.relay_continuation)
        run.end = loaded.item.planned_end;
    const Duration played = loaded.started ? event.monotonic - loaded.started_monotonic : Duration{0};
    (loaded.item.relay_filler ? run.filler : run.relayed) += std::max(played, Duration{0});
    if (loaded.started && !run.started_wall) {
        run.started_wall = loaded.started_wall;
        run.started_monotonic = loaded.started_monotonic;
    }
    if (!event.error.empty())
        run.last_error = event.error;
    const bool stopped = stopped_from_outside(loaded.preempted, event);
    if (stopped || event.wall + m_options.contiguous_tolerance >= run.end)
        return false;
    if (loaded.item.relay_filler)
        return true;  // its time is over: the source's retry is queued behind it
    // The source stopped, or could not be reached: the filler, then the source again.
    ++run.losses;
    const TimePoint retry_at = std::min(event.wall + run.next_retry, run.end);
    spdlog::warn("playback: relay {} lost its source ({}); filler until {}, then the source again",
                 loaded.item.entry_id,
                 event.error.empty() ? std::string{to_string(event.end_reason)} : event.error,
                 format_utc(retry_at));
    run.next_retry = std::min(run.next_retry * 2, relay_retry_ceiling);
    const bool retry = retry_at + m_options.minimum_length < run.end;
    if (retry) {
        PlayItem again = loaded.item;
        again.relay_filler = false;
        again.relay_continuation = true;
        again.planned_start = retry_at;
        again.planned_end = run.end;
        m_queue.push_front(std::move(again));
    }
    const bool fill = !loaded.item.filler_location.empty() && retry_at > event.wall;
    if (fill) {
        PlayItem filler = loaded.item;
        filler.type = loaded.item.filler_type;
        filler.location = loaded.item.filler_location;
        filler.relay_filler = true;
        filler.relay_continuation = true;
        filler.planned_start = event.wall;
        filler.planned_end = retry_at;
        m_queue.push_front(std::move(filler));
    }
    return retry || fill;  // nothing left to play in its slot: it ends here
}

void PlaybackEngine::end_dropped_relays(const std::vector<PlayItem>& dropped) {
    for (const PlayItem& item : dropped) {
        auto run = m_relays.find(item.entry_id);
        if (run == m_relays.end())
            continue;
        const bool still_loaded = std::any_of(m_loaded.begin(), m_loaded.end(), [&](const Loaded& loaded) {
            return loaded.item.entry_id == item.entry_id;
        });
        if (still_loaded)
            continue;  // its playing part ends it
        ItemEnded ended;
        ended.entry_id = item.entry_id;
        ended.outcome = Outcome::Interrupted;
        ended.started_wall = run->second.started_wall;
        ended.started_monotonic = run->second.started_monotonic;
        ended.ended_wall = m_clock.wall();
        ended.ended_monotonic = m_clock.monotonic();
        ended.relayed = run->second.relayed;
        ended.filler = run->second.filler;
        ended.source_losses = run->second.losses;
        ended.note = relay_note(run->second.relayed, run->second.filler, run->second.losses);
        m_relays.erase(run);
        m_outbox.emplace_back(std::move(ended));
    }
}

void PlaybackEngine::end_item(Loaded loaded, const RendererEvent& event) {
    if (loaded.item.relay && continue_relay(loaded, event))
        return;
    ItemEnded ended;
    ended.entry_id = loaded.item.entry_id;
    ended.ended_wall = event.wall;
    ended.ended_monotonic = event.monotonic;
    if (loaded.started) {
        ended.started_wall = loaded.started_wall;
        ended.started_monotonic = loaded.started_monotonic;
    }
    if (loaded.item.relay) {
        RelayRun run = std::move(m_relays[loaded.item.entry_id]);
        m_relays.erase(loaded.item.entry_id);
        ended.started_wall = run.started_wall;
        ended.started_monotonic = run.started_monotonic;
        ended.relayed = run.relayed;
        ended.filler = run.filler;
        ended.source_losses = run.losses;
        const bool stopped = stopped_from_outside(loaded.preempted, event);
        if (run.relayed == Duration{0} && !stopped) {
            ended.outcome = Outcome::Failed;
            ended.error = "không tiếp sóng được / the source could not be relayed" +
                          (run.last_error.empty() ? std::string{} : ": " + run.last_error);
        } else {
            ended.outcome = stopped || run.losses > 0 ? Outcome::Interrupted : Outcome::Completed;
        }
        if (run.losses > 0 || run.filler > Duration{0})
            ended.note = relay_note(run.relayed, run.filler, run.losses);
        if (ended.outcome == Outcome::Failed)
            spdlog::warn("playback: {} failed: {}", ended.entry_id, ended.error);
        m_outbox.emplace_back(std::move(ended));
        return;
    }
    switch (event.end_reason) {
        case EndReason::Eof:
            if (loaded.started) {
                ended.outcome = Outcome::Completed;
            } else {
                ended.outcome = Outcome::Failed;
                ended.error = "ended before its first frame or sample";
            }
            break;
        case EndReason::Stop:
        case EndReason::Quit: ended.outcome = Outcome::Interrupted; break;
        case EndReason::Error:
            if (event.audio_unavailable) {
                // No audio output (no sound card, nothing connected): a screen that showed the
                // item's pictures played it, without sound; a speaker's item nobody heard.
                ended.audio_unavailable = true;
                ended.audio_error = event.error;
                if (loaded.started && m_options.device_kind == scheduler::DeviceKind::Screen) {
                    ended.outcome = Outcome::Completed;
                    ended.note = std::string(audio_unavailable_note);
                    break;
                }
                ended.outcome = Outcome::Failed;
                ended.error = std::string(audio_unavailable_error) + ": " + event.error;
                break;
            }
            ended.outcome = Outcome::Failed;
            ended.error = event.error.empty() ? "playback error" : event.error;
            break;
        case EndReason::Redirect:
            ended.outcome = Outcome::Failed;
            ended.error = "playlist files are not played";
            break;
    }
    if (ended.outcome == Outcome::Failed)
        spdlog::warn("playback: {} failed: {}", ended.entry_id, ended.error);
    m_outbox.emplace_back(std::move(ended));
}

void PlaybackEngine::handle_one(const RendererEvent& event) {
    using Kind = RendererEvent::Kind;
    switch (event.kind) {
        case Kind::LoadAccepted:
            if (Loaded* loaded = find_by_tag(event.tag))
                loaded->playlist_entry_id = event.playlist_entry_id;
            for (auto& orphan : m_orphans)
                if (orphan.tag == event.tag)
                    orphan.playlist_entry_id = event.playlist_entry_id;
            break;
        case Kind::LoadRejected: {
            auto found = std::find_if(m_loaded.begin(), m_loaded.end(),
                                      [&](const Loaded& loaded) { return loaded.tag == event.tag; });
            if (found == m_loaded.end())
                break;
            Loaded loaded = std::move(*found);
            m_loaded.erase(found);
            RendererEvent as_end = event;
            as_end.end_reason = EndReason::Error;
            end_item(std::move(loaded), as_end);
            break;
        }
        case Kind::StartFile: {
            auto matches = [&](const Loaded& loaded) {
                return loaded.playlist_entry_id == event.playlist_entry_id;
            };
            auto found = std::find_if(m_loaded.begin(), m_loaded.end(), matches);
            if (found == m_loaded.end()) {
                auto orphan = std::find_if(m_orphans.begin(), m_orphans.end(), matches);
                if (orphan != m_orphans.end()) {
                    // The renderer moved on to it before the interrupt reached it: it is current.
                    orphan->preempted = true;
                    m_loaded.push_front(std::move(*orphan));
                    m_orphans.erase(orphan);
                    found = m_loaded.begin();
                } else {
                    // The load reply has not arrived yet: the oldest entry without an id is it.
                    found = std::find_if(m_loaded.begin(), m_loaded.end(), [](const Loaded& loaded) {
                        return loaded.playlist_entry_id == 0 && !loaded.opened;
                    });
                    if (found == m_loaded.end())
                        break;
                    found->playlist_entry_id = event.playlist_entry_id;
                }
            } else if (!found->preempted) {
                m_orphans.clear();  // the renderer's playlist from before an interrupt is gone
            }
            found->opened = true;
            m_open_tag = found->tag;
            break;
        }
        case Kind::PlaybackRestart: {
            // A restart names no entry: it is about the entry whose StartFile came last (mpv
            // sends an entry's restart after its start-file and before the next start-file;
            // the two-decoder renderer reports it only for its current entry, the one it
            // announced last). Not about "the first open entry that has not started": an
            // entry cut by interrupt() before its first frame stays open until its own
            // end-file comes, which with two decoders may be after the new entry's first
            // frame; given that frame, the cut entry looked started and the playing one never
            // did, so its end-of-file became a failed play. A later restart (a seek) of an
            // already started entry changes nothing.
            auto found = std::find_if(m_loaded.begin(), m_loaded.end(), [&](const Loaded& loaded) {
                return loaded.tag == m_open_tag && loaded.opened && !loaded.started;
            });
            if (found == m_loaded.end())
                break;
            found->started = true;
            found->started_wall = event.wall;
            found->started_monotonic = event.monotonic;
            m_outbox.emplace_back(ItemStarted{found->item.entry_id, event.wall, event.monotonic});
            break;
        }
        case Kind::EndFile: {
            auto matches = [&](const Loaded& loaded) {
                return loaded.playlist_entry_id == event.playlist_entry_id;
            };
            auto found = std::find_if(m_loaded.begin(), m_loaded.end(), matches);
            if (found != m_loaded.end()) {
                Loaded loaded = std::move(*found);
                m_loaded.erase(found);
                end_item(std::move(loaded), event);
            } else if (auto orphan = std::find_if(m_orphans.begin(), m_orphans.end(), matches);
                       orphan != m_orphans.end()) {
                m_orphans.erase(orphan);  // dropped before it started; already reported as dropped
            } else {
                spdlog::debug("playback: end-file of unknown entry {} ({})", event.playlist_entry_id,
                              to_string(event.end_reason));
            }
            break;
        }
        case Kind::ScreenshotDone:
        case Kind::ScreenshotFailed: {
            ScreenshotResult result;
            result.tag = event.tag;
            if (auto found = m_screenshots.find(event.tag); found != m_screenshots.end()) {
                result.path = found->second;
                m_screenshots.erase(found);
            }
            if (event.kind == Kind::ScreenshotFailed)
                result.error = event.error.empty() ? "screenshot failed" : event.error;
            m_outbox.emplace_back(std::move(result));
            break;
        }
        case Kind::Shutdown: {
            while (!m_loaded.empty()) {
                Loaded loaded = std::move(m_loaded.front());
                m_loaded.pop_front();
                if (!loaded.opened) {
                    m_queue.push_front(std::move(loaded.item));
                    continue;
                }
                RendererEvent as_end = event;
                as_end.end_reason = EndReason::Quit;
                end_item(std::move(loaded), as_end);
            }
            m_orphans.clear();
            m_open_tag = 0;
            break;
        }
    }
}

std::vector<PlaybackEvent> PlaybackEngine::handle(const std::vector<RendererEvent>& events) {
    for (const auto& event : events) {
        handle_one(event);
        if (event.kind == RendererEvent::Kind::EndFile || event.kind == RendererEvent::Kind::LoadRejected ||
            event.kind == RendererEvent::Kind::PlaybackRestart)
            refill();
    }
    refill();
    return std::exchange(m_outbox, {});
}

std::vector<PlaybackEvent> PlaybackEngine::tick() {
    refill();
    return std::exchange(m_outbox, {});
}

Duration PlaybackEngine::time_until_next_action(Duration ceiling) const {
    if (!m_outbox.empty())
        return Duration{0};
    if (m_queue.empty() || m_loaded.size() >= m_options.lookahead + 1 || waits_for_kept())
        return ceiling;
    const Duration until = m_queue.front().planned_start - m_clock.wall();
    return std::clamp(until, Duration{0}, ceiling);
}

std::optional<std::string> PlaybackEngine::now_playing() const {
    for (const auto& loaded : m_loaded)
        if (loaded.started)
            return loaded.item.entry_id;
    return std::nullopt;
}

std::size_t PlaybackEngine::queued() const {
    std::size_t count = m_queue.size();
    for (const auto& loaded : m_loaded)
        if (!loaded.started)
            ++count;
    return count;
}

bool PlaybackEngine::idle() const {
    return m_queue.empty() && m_loaded.empty();
}

}  // namespace bantin::player
