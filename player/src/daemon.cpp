#include "bantin/player/daemon.hpp"

#include "bantin/media/cache.hpp"
#include "bantin/media/store.hpp"
#include "bantin/player/alert_book.hpp"
#include "bantin/player/bundle_intake.hpp"
#include "bantin/player/commands.hpp"
#include "bantin/player/mpv_renderer.hpp"
#include "bantin/player/notice_renderer.hpp"
#include "bantin/player/outbox.hpp"
#include "bantin/player/playback_engine.hpp"
#include "bantin/player/player_state.hpp"
#include "bantin/player/runner.hpp"
#include "bantin/player/screenshot_upload.hpp"
#include "bantin/player/status.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/mqtt_client.hpp"
#include "bantin/protocol/topics.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace bantin::player {

namespace {

constexpr Duration clock_jump_threshold{2000};
constexpr std::size_t max_rows_per_batch = 100;
constexpr Duration minimum_remaining{300};
// How often the started marks of the items playing record that the player is alive (the
// end an `interrupted` row gets after a crash is at most this much before the real end).
constexpr Duration alive_mark_interval{5000};
// Restored alerts wait this long for the retained alert topics after their SUBACK, and at
// most alert_hold_offline after start-up (docs/player.md "Alerts after a restart").
constexpr Duration alert_hold_after_subscribe{1000};
constexpr Duration alert_hold_offline{5000};

scheduler::DailyWindow to_scheduler(const config::DailyWindow& window) {
    return {window.start_minute, window.end_minute};
}

template <class T>
std::optional<T> decode_stored(const std::string& envelope, const protocol::TrustedKeys& keys,
                               protocol::MessageType type, Result<T> (*decode)(std::string_view)) {
    auto payload = protocol::verify_signature(envelope, keys, type);
    if (!payload)
        return std::nullopt;
    auto decoded = decode(*payload);
    if (!decoded)
        return std::nullopt;
    return std::move(*decoded);
}

std::string random_boot_id() {
    return new_install_epoch().substr(3);
}

}  // namespace

struct Daemon::Impl {
    DaemonOptions options;
    const Clock& clock;
    DeviceIdentity identity;
    LocalInterlocks interlocks;
    std::string boot_id = random_boot_id();
    MonotonicTime started_monotonic;

    std::unique_ptr<PlayerState> state;
    std::optional<ProofOutbox> outbox;
    std::optional<media::ContentStore> store;
    std::unique_ptr<media::MediaCache> cache;
    std::unique_ptr<MpvRenderer> renderer;
    std::unique_ptr<NoticeRenderer> notices;
    std::unique_ptr<PlaybackEngine> engine;
    std::optional<protocol::MqttClient> mqtt;
    std::unique_ptr<MediaDownloader> bundle_downloader;
    std::unique_ptr<MediaDownloader> alert_downloader;

    std::string topic_status, topic_pop, topic_bundle, topic_command, topic_ack, topic_zone;

    std::optional<protocol::Bundle> active;
    std::optional<protocol::Bundle> desired;
    // The alerts that play, those held after a restart, and every cancel (saved or not).
    std::unique_ptr<AlertBook> alert_book;
    std::optional<Plan> plan;
    EntryFeeder feeder;
    TimePoint resolved_to;
    MonotonicTime next_download_attempt{};
    enum class DownloadRound { None, Activation, Remainder };
    DownloadRound download_round = DownloadRound::None;
    // Every item of the active bundle's manifest is on disk (nothing left to fetch for it).
    bool active_complete = false;
    // Rounds in a row that left media missing: the wait before the next one grows with it.
    int failed_rounds = 0;
    std::mt19937 round_random{std::random_device{}()};

    std::optional<int> volume_override;
    int applied_volume = -1;
    std::optional<protocol::NowPlaying> now_playing;
    std::optional<std::string> last_error;
    // The audio output could not be opened (reported once, kept in every status: it is the
    // device's state, not one item's; on a speaker it makes the device unhealthy). A speaker
    // clears it when an item plays through again; a screen keeps it until restart.
    std::optional<std::string> audio_problem;
    // Bundles received again with a version not newer than the one held (retained copies,
    // replays): logged and counted, nothing else.
    std::uint64_t replayed_bundles = 0;
    Duration clock_offset{0};

    StatusBoard status_board;
    // Started marks of the items playing (entry id -> mark id), the last alive mark, and the
    // state write that failed last (retry_state_writes()).
    std::map<std::string, std::int64_t> started_marks;
    MonotonicTime last_alive_mark{};
    std::optional<std::string> state_write_error;
    MonotonicTime last_proof_send{};
    std::uint64_t last_sent_seq = 0;
    std::map<std::uint64_t, protocol::Command> screenshots;
    std::uint64_t next_screenshot_tag = 1;

    // Screenshot uploads run on threads of their own; results come back through `uploaded`.
    struct UploadDone {
        protocol::Command command;
        std::filesystem::path path;
        std::uint64_t size = 0;
        Result<void> result;
    };
    UploadCredentials upload_credentials;
    std::vector<std::thread> upload_threads;
    std::mutex upload_mutex;
    std::vector<UploadDone> uploaded;
    std::atomic<bool> cancel_uploads{false};
    std::atomic<int> uploads_running{0};

    std::atomic<bool> stop_requested{false};

    Impl(DaemonOptions daemon_options, const Clock& daemon_clock)
        : options(std::move(daemon_options)),
          clock(daemon_clock),
          status_board(Duration{std::chrono::duration_cast<Duration>(options.config.status.interval)}) {}

    void wake() {
        if (renderer)
            renderer->wake();
    }

    void report_error(std::string text) {
        spdlog::warn("{}", text);
        last_error = std::move(text);
    }

    // ---- plan and feeding ---------------------------------------------------------------
    // The file on disk plays whatever the index can write: a failed "last used" update (a
    // full state disk) is logged, never a reason to skip the entry.
    std::optional<std::filesystem::path> locate(std::string_view sha256) {
        auto path = store->lookup(sha256);
        if (!path)
            return std::nullopt;
        if (auto touched = cache->touch(sha256); !touched)
            spdlog::debug("cache: last use of {} not recorded: {}", sha256.substr(0, 8),
                          touched.error().message());
        return *path;
    }

    // The interlocks with every alert cancel this device knows of (saved, or applied and not
    // saved), and with the restored alerts still held: the active bundle's copy of a held alert
    // waits with it for a retained cancel (a cancel not saved before a power cut).
    LocalInterlocks with_cancels() const { return alert_book->interlocks(interlocks); }

    void rebuild_plan() {
        auto built = Plan::create(active ? &*active : nullptr, alert_book->live(), with_cancels(), identity);
        if (!built) {
            report_error("schedule: " + built.error().message());
            return;
        }
        plan.emplace(std::move(*built));
        const TimePoint now = clock.wall();
        clock_offset = now.time_since_epoch() - clock.monotonic().time_since_epoch();
        resolved_to = now + options.horizon;
        auto entries = plan->entries(now, resolved_to);
        if (!entries) {
            report_error("schedule: " + entries.error().message());
            return;
        }
        // Continuity: what the engine already holds (the playing item, the preloaded next)
        // and the new timeline still plays now plays on; only what follows is replaced.
        std::vector<const EntryFacts*> held;
        for (const auto& loaded : engine->loaded_entries()) held.push_back(feeder.facts(loaded.entry_id));
        const auto [keep, rest_from] =
            match_held_entries(held, *entries, now, EngineOptions{}.contiguous_tolerance);
        std::vector<scheduler::TimelineEntry> rest;
        for (std::size_t i = rest_from; i < entries->size(); ++i) {
            // An entry about to end is not started for a few milliseconds (the engine would
            // report it as missed); the next one follows on time.
            if ((*entries)[i].end - now >= minimum_remaining)
                rest.push_back((*entries)[i]);
        }
        std::vector<std::string> missing;
        auto items = feeder.make_items(
            *plan, rest, [this](std::string_view sha) { return locate(sha); }, &missing);
        for (const auto& sha : missing)
            spdlog::warn("runner: media {} is not on disk; its entry is skipped", sha);
        spdlog::info("runner: timeline from {} ({} entries, {} playing on, bundle {}, {} alerts)",
                     format_utc(now), items.size(), keep, plan->bundle_version(), alert_book->live().size());
        for (const auto& dropped : engine->replace_upcoming(keep, std::move(items))) feeder.forget(dropped);
        update_volume();
    }

    void refill() {
        if (!plan)
            return;
        const TimePoint now = clock.wall();
        if (now + options.horizon / 2 < resolved_to)
            return;
        const TimePoint to = now + options.horizon;
        auto entries = plan->entries(resolved_to, to);
        if (!entries) {
            report_error("schedule: " + entries.error().message());
            return;
        }
        std::vector<scheduler::TimelineEntry> fresh;
        for (const auto& entry : *entries)
            if (entry.start >= resolved_to)
                fresh.push_back(entry);
        resolved_to = to;
        auto items = feeder.make_items(*plan, fresh, [this](std::string_view sha) { return locate(sha); });
        if (!items.empty())
            engine->enqueue(std::move(items));
    }

    void check_clock_jump() {
        const Duration offset = clock.wall().time_since_epoch() - clock.monotonic().time_since_epoch();
        const Duration drift = offset - clock_offset;
        if (drift > clock_jump_threshold || drift < -clock_jump_threshold) {
            spdlog::warn("runner: the wall clock jumped by {} ms; recomputing the timeline", drift.count());
            rebuild_plan();
        }
    }

    void update_volume() {
        if (!plan)
            return;
        const int wanted =
            effective_volume(plan->volume_at(clock.wall()), volume_override, interlocks.max_volume);
        if (wanted != applied_volume)
            applied_volume = engine->set_volume(wanted);
    }

    // ---- playback events -> proof rows --------------------------------------------------
    void on_playback(const std::vector<PlaybackEvent>& events) {
        for (const auto& event : events) {
            if (const auto* started = std::get_if<ItemStarted>(&event)) {
                if (const EntryFacts* facts = feeder.facts(started->entry_id)) {
                    now_playing =
                        protocol::NowPlaying{facts->source, facts->source_id, facts->media, started->wall};
                    mark_started(started->entry_id, *facts, started->wall);
                }
            } else if (const auto* ended = std::get_if<ItemEnded>(&event)) {
                record_proof(*ended);
            } else if (const auto* shot = std::get_if<ScreenshotResult>(&event)) {
                finish_screenshot(*shot);
            }
        }
    }

    // A durable "started" mark (ProofOutbox::mark_started): a crash or power cut from here on
    // leaves an `interrupted` row instead of nothing. A failed write never holds playback.
    void mark_started(const std::string& entry_id, const EntryFacts& facts, TimePoint wall) {
        protocol::ProofOfPlayRow row;
        row.source = facts.source;
        row.source_id = facts.source_id;
        row.item_index = facts.item_index;
        row.media = facts.media;
        row.started_at = wall;
        row.bundle_version = facts.bundle_version;
        auto mark = outbox->mark_started(row, facts.planned_end);
        if (!mark) {
            state_write_failed("proof outbox: started mark: " + mark.error().message());
            return;
        }
        started_marks[entry_id] = *mark;
        if (started_marks.size() == 1)
            last_alive_mark = clock.monotonic();
        state_write_succeeded();
    }

    // State writes that failed (a full or read-only state disk) are retried on every loop
    // pass; the first pass they all succeed clears the error they put in last_error.
    void state_write_failed(std::string text) {
        if (state_write_error != text)
            report_error(text);
        else
            last_error = text;
        state_write_error = std::move(text);
    }

    // A write succeeded: once nothing waits any more, the error it left goes from last_error.
    void state_write_succeeded() {
        if (!state_write_error || outbox->unwritten() > 0 || alert_book->has_unsaved())
            return;
        spdlog::info("state: writes succeed again");
        if (last_error == state_write_error)
            last_error.reset();
        state_write_error.reset();
    }

    void retry_state_writes() {
        bool failed = false;
        bool wrote = false;
        if (outbox->unwritten() > 0) {
            const std::size_t waiting = outbox->unwritten();
            if (auto written = outbox->write_unwritten(); written) {
                spdlog::info("proof outbox: {} rows that waited in memory are written (up to seq {})",
                             *written, outbox->last_seq().value_or(0));
                wrote = true;
            } else {
                state_write_failed("proof outbox: " + written.error().message() + "; " +
                                   std::to_string(waiting) + " rows wait in memory");
                failed = true;
            }
        }
        if (alert_book->has_unsaved()) {
            if (auto saved = alert_book->retry_saves(); saved) {
                wrote = wrote || *saved > 0;
            } else {
                state_write_failed("state: " + saved.error().detail);
                failed = true;
            }
        }
        const MonotonicTime now = clock.monotonic();
        if (!started_marks.empty() && now - last_alive_mark >= alive_mark_interval) {
            last_alive_mark = now;
            if (auto alive = outbox->mark_alive(clock.wall()); !alive) {
                state_write_failed("proof outbox: alive mark: " + alive.error().message());
                failed = true;
            } else {
                wrote = true;
            }
        }
        if (!failed && wrote)
            state_write_succeeded();
    }

    void record_proof(const ItemEnded& ended) {
        const EntryFacts* facts = feeder.facts(ended.entry_id);
        std::optional<std::int64_t> mark;
        if (auto found = started_marks.find(ended.entry_id); found != started_marks.end()) {
            mark = found->second;
            started_marks.erase(found);
        }
        if (facts == nullptr)
            return;
        protocol::ProofOfPlayRow row;
        row.source = facts->source;
        row.source_id = facts->source_id;
        row.item_index = facts->item_index;
        row.media = facts->media;
        row.started_at = ended.started_wall.value_or(ended.ended_wall);
        row.ended_at = std::max(ended.ended_wall, row.started_at);
        if (ended.started_monotonic) {
            row.duration_ms = static_cast<std::uint64_t>(
                std::max<std::int64_t>(0, (ended.ended_monotonic - *ended.started_monotonic).count()));
        }
        // Completed only when it played its whole slot: a fragment (joined in progress after a
        // start-up or a restart) is interrupted, with its real duration.
        row.outcome = proof_outcome(ended.outcome, Duration{static_cast<std::int64_t>(row.duration_ms)},
                                    facts->planned_end - facts->planned_start);
        row.bundle_version = facts->bundle_version;
        row.note = ended.note;
        const auto stored = outbox->append(row, mark);
        if (stored.row.source_id == proof_gap_source_id) {
            spdlog::error(
                "proof outbox: the memory queue is full; this play is counted in gap row {} ({} plays)",
                stored.row.seq, stored.row.item_index);
        } else {
            spdlog::info("proof {}: {} {} item {} {} {}..{}{}{}{}", stored.row.seq,
                         protocol::to_string(row.source), row.source_id, row.item_index,
                         protocol::to_string(row.outcome), format_utc(row.started_at),
                         format_utc(row.ended_at), row.note.empty() ? "" : " ", row.note,
                         stored.durable ? "" : " (waits in memory)");
        }
        if (stored.error) {
            state_write_failed("proof outbox: " + stored.error->message() + "; " +
                               std::to_string(outbox->unwritten()) + " rows wait in memory");
        } else {
            state_write_succeeded();
        }
        if (ended.audio_unavailable) {
            note_audio_problem(ended.audio_error);
        } else if (ended.outcome == Outcome::Completed && identity.kind == scheduler::DeviceKind::Speaker &&
                   audio_problem) {
            spdlog::info("audio output works again");
            audio_problem.reset();
        }
        if (ended.outcome == Outcome::Failed && !ended.audio_unavailable) {
            report_error("media " + facts->media.substr(0, 8) + " failed: " + ended.error);
        }
        if (now_playing && now_playing->media == facts->media && now_playing->source_id == facts->source_id) {
            now_playing.reset();
        }
        feeder.forget(ended.entry_id);
    }

    // Once per condition, not per item: the status carries it from now on.
    void note_audio_problem(const std::string& detail) {
        if (audio_problem)
            return;
        audio_problem = std::string(audio_unavailable_error) + ": " + detail;
        if (identity.kind == scheduler::DeviceKind::Speaker)
            spdlog::error("{}; this speaker plays nothing anyone hears", *audio_problem);
        else
            spdlog::warn("{}; pictures go on, without sound", *audio_problem);
    }

    // ---- MQTT -------------------------------------------------------------------------
    void on_mqtt(std::vector<protocol::MqttEvent> events) {
        for (auto& event : events) {
            if (std::holds_alternative<protocol::MqttConnected>(event)) {
                spdlog::info("mqtt: connected");
                status_board.invalidate();
                last_proof_send = MonotonicTime{};
                last_sent_seq = 0;
            } else if (const auto* lost = std::get_if<protocol::MqttDisconnected>(&event)) {
                spdlog::warn("mqtt: {}", lost->error.message());
            } else if (const auto* subscribed = std::get_if<protocol::MqttSubscribed>(&event)) {
                const bool alert_topics = std::any_of(
                    subscribed->filters.begin(), subscribed->filters.end(), [&](const std::string& filter) {
                        return filter == topic_zone || filter == protocol::alert_all_topic;
                    });
                if (alert_topics)
                    alert_book->subscribed(clock.monotonic());
            } else if (auto* message = std::get_if<protocol::MqttMessage>(&event)) {
                on_message(*message);
            }
        }
    }

    void on_message(const protocol::MqttMessage& message) {
        if (message.topic == topic_bundle)
            on_bundle(message.payload);
        else if (message.topic == topic_command)
            on_command(message.payload);
        else if (message.topic == topic_ack)
            on_ack(message.payload);
        else if (message.topic == protocol::alert_all_topic || message.topic == topic_zone)
            on_alert(message.payload);
    }

    std::uint64_t applied_version() const { return active ? active->version : 0; }

    void on_bundle(const std::string& payload) {
        auto verified = protocol::verify_bundle(payload, options.provisioning.controller_keys, identity.id,
                                                applied_version(), clock.wall());
        if (!verified) {
            if (verified.error().reason == protocol::Refusal::Replay) {
                ++replayed_bundles;
                spdlog::info("bundle: {} (ignored; {} so far)", verified.error().message(), replayed_bundles);
                return;
            }
            report_error("bundle refused: " + verified.error().message());
            return;
        }
        if (desired && desired->version >= verified->version) {
            ++replayed_bundles;
            spdlog::info("bundle: version {} again, version {} is already on its way (ignored; {} so far)",
                         verified->version, desired->version, replayed_bundles);
            return;
        }
        spdlog::info("bundle: version {} accepted ({} media items in its manifest)", verified->version,
                     verified->manifest.size());
        if (auto stored = state->set_desired({verified->version, payload}); !stored) {
            report_error("state: " + stored.error().message());
            return;
        }
        desired = std::move(*verified);
        last_error.reset();
        next_download_attempt = MonotonicTime{};
        failed_rounds = 0;
        update_pins();
        start_bundle_download();
    }

    void update_pins() {
        std::set<std::string> pins;
        if (active)
            for (const auto& entry : active->manifest) pins.insert(entry.sha256);
        if (desired)
            for (const auto& entry : desired->manifest) pins.insert(entry.sha256);
        for (const auto& sha256 : alert_book->media()) pins.insert(sha256);
        if (auto pinned = cache->pin(pins); !pinned)
            report_error("cache: " + pinned.error().message());
    }

    // The media the desired bundle must have verified on disk before it may play: what its own
    // timeline plays in the activation horizon (24 h by default). Resolved without the live
    // alerts: an alert that hides campaign items now must not let the bundle in without them
    // once the alert ends. Alert media come with the alert and are fetched on their own.
    std::optional<std::set<std::string>> activation_media() {
        auto desired_plan = Plan::create(&*desired, {}, with_cancels(), identity);
        if (!desired_plan) {
            report_error("bundle " + std::to_string(desired->version) +
                         " refused: " + desired_plan.error().message());
            (void)state->clear_desired();
            desired.reset();
            update_pins();
            return std::nullopt;
        }
        const TimePoint now = clock.wall();
        auto needed = desired_plan->needed_media(
            now, now + std::chrono::duration_cast<Duration>(options.config.fetch.activation_horizon));
        if (!needed) {
            report_error("bundle: " + needed.error().message());
            return std::nullopt;
        }
        return std::move(*needed);
    }

    // Download rounds: for a desired bundle, first only what it needs to be activated; once it
    // is active, the rest of its manifest (media for later than the activation horizon).
    void start_bundle_download() {
        if (bundle_downloader->busy() || clock.monotonic() < next_download_attempt)
            return;
        std::vector<protocol::MediaEntry> wanted;
        if (desired) {
            auto needed = activation_media();
            if (!needed)
                return;
            const auto missing = missing_media(*needed, *cache);
            if (missing.empty()) {
                activate_desired("");
                return;
            }
            for (const auto& entry : desired->manifest)
                if (missing.contains(entry.sha256))
                    wanted.push_back(entry);
            download_round = DownloadRound::Activation;
        } else if (active && !active_complete) {
            for (const auto& entry : active->manifest)
                if (!cache->contains(entry.sha256))
                    wanted.push_back(entry);
            if (wanted.empty()) {
                active_complete = true;
                return;
            }
            download_round = DownloadRound::Remainder;
        } else {
            return;
        }
        spdlog::info("bundle: fetching {} media items ({})", wanted.size(),
                     download_round == DownloadRound::Activation ? "needed to activate" : "needed later");
        bundle_downloader->start(fetch_requests(wanted));
        next_download_attempt = clock.monotonic() + options.download_retry;
    }

    // A round left media missing: the next one waits longer each time (download_round_wait).
    // Returns what status says about it.
    std::string back_off() {
        ++failed_rounds;
        const Duration wait =
            download_round_wait(options.download_retry, failed_rounds,
                                std::uniform_real_distribution<double>(0.0, 1.0)(round_random));
        next_download_attempt = clock.monotonic() + wait;
        return "; next try in " + std::to_string(std::max<std::int64_t>(1, wait.count() / 1000)) + " s";
    }

    void on_bundle_round(const std::vector<media::FetchOutcome>& outcomes) {
        const DownloadRound round = std::exchange(download_round, DownloadRound::None);
        const std::string failures = describe_failures(outcomes);
        if (round == DownloadRound::Remainder) {
            if (desired) {
                next_download_attempt = MonotonicTime{};  // a newer bundle waits: fetch for it now
                failed_rounds = 0;
                return;
            }
            if (!failures.empty()) {
                report_error("bundle " + std::to_string(applied_version()) +
                             " plays; media for later not fetched yet: " + failures + back_off());
            } else {
                failed_rounds = 0;
            }
            return;
        }
        if (!desired)
            return;
        auto needed = activation_media();
        if (!needed)
            return;
        const auto missing = missing_media(*needed, *cache);
        if (!missing.empty()) {
            report_error("bundle " + std::to_string(desired->version) + " waits for " +
                         std::to_string(missing.size()) + " media items: " +
                         (failures.empty() ? std::string("not yet fetched") : failures) + back_off());
            return;
        }
        failed_rounds = 0;
        activate_desired(failures);
    }

    // Every item the desired bundle needs soon is verified on disk: it plays from now on.
    void activate_desired(const std::string& failures) {
        if (auto activated = state->activate_desired(); !activated) {
            report_error("state: " + activated.error().message());
            return;
        }
        spdlog::info("bundle: version {} activated", desired->version);
        active = std::move(desired);
        desired.reset();
        if (failures.empty())
            last_error.reset();
        else
            report_error(failures);
        volume_override.reset();
        active_complete = false;
        failed_rounds = 0;
        next_download_attempt = MonotonicTime{};  // the rest of its manifest, at once
        update_pins();
        rebuild_plan();
    }

    void on_command(const std::string& payload) {
        auto seen = state->seen_commands();
        if (!seen) {
            report_error("state: " + seen.error().message());
            return;
        }
        auto verified = protocol::verify_command(payload, options.provisioning.controller_keys, identity.id,
                                                 *seen, clock.wall());
        if (!verified) {
            spdlog::warn("command refused: {}", verified.error().message());
            return;
        }
        const protocol::Command& command = *verified;
        if (auto remembered = state->remember_command(command.id, command.issued_at); !remembered) {
            report_error("state: " + remembered.error().message());
        }
        spdlog::info("command {}: {}", command.id, protocol::to_string(command.kind));
        switch (command.kind) {
            case protocol::CommandKind::Ping: {
                std::string detail =
                    "pong; " + describe_volume(applied_volume, applied_volume, interlocks.max_volume);
                if (now_playing)
                    detail += "; playing " + now_playing->source_id + " " + now_playing->media.substr(0, 8);
                reply(command, protocol::ReplyResult::Ok, detail);
                break;
            }
            case protocol::CommandKind::SetVolume: {
                const int asked = command.volume.value_or(applied_volume);
                volume_override = asked;
                update_volume();
                reply(command, protocol::ReplyResult::Ok,
                      describe_volume(applied_volume, asked, interlocks.max_volume));
                break;
            }
            case protocol::CommandKind::Reload: {
                volume_override.reset();
                rebuild_plan();
                reply(command, protocol::ReplyResult::Ok,
                      "reloaded; bundle " + std::to_string(applied_version()));
                break;
            }
            case protocol::CommandKind::Screenshot: {
                const std::uint64_t tag = next_screenshot_tag++;
                screenshots.emplace(tag, command);
                const auto path = options.config.state.dir / ("screenshot-" + std::to_string(tag) + ".png");
                engine->screenshot(path, tag);
                break;
            }
        }
    }

    void finish_screenshot(const ScreenshotResult& shot) {
        auto found = screenshots.find(shot.tag);
        if (found == screenshots.end())
            return;
        const protocol::Command command = found->second;
        screenshots.erase(found);
        if (!shot.error.empty()) {
            reply(command, protocol::ReplyResult::Error, "screenshot failed: " + shot.error);
            return;
        }
        if (command.upload_url) {
            start_upload(command, shot.path);
            return;
        }
        keep_screenshot(command, shot.path, protocol::ReplyResult::Ok, "screenshot taken");
    }

    // The PNG goes into the content store (under its digest) and the reply names it.
    void keep_screenshot(const protocol::Command& command, const std::filesystem::path& path,
                         protocol::ReplyResult result, const std::string& what) {
        auto stored = store->put_file(path);
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        if (!stored) {
            reply(command, protocol::ReplyResult::Error, what + "; not stored: " + stored.error().message());
            return;
        }
        (void)cache->record(*stored);
        auto answer = make_reply(identity.id, command, result,
                                 what + " (PNG, " + std::to_string(stored->size) + " bytes" +
                                     (result == protocol::ReplyResult::Ok ? ")" : ", kept on the device)"),
                                 clock.wall());
        answer.payload = "sha256:" + stored->sha256;
        queue_reply(answer);
    }

    void start_upload(const protocol::Command& command, const std::filesystem::path& path) {
        std::error_code size_error;
        const auto size = std::filesystem::file_size(path, size_error);
        spdlog::info("command {}: uploading the screenshot ({} bytes)", command.id, size_error ? 0 : size);
        ++uploads_running;
        upload_threads.emplace_back([this, command, path, size = size_error ? 0 : size] {
            UploadDone done{command, path, size,
                            put_png(*command.upload_url, path, upload_credentials, cancel_uploads)};
            {
                std::lock_guard lock(upload_mutex);
                uploaded.push_back(std::move(done));
            }
            --uploads_running;
            wake();
        });
    }

    // On the loop: answers the screenshot commands whose upload ended.
    void finish_uploads() {
        std::vector<UploadDone> done;
        {
            std::lock_guard lock(upload_mutex);
            done.swap(uploaded);
        }
        for (auto& upload : done) {
            if (upload.result) {
                std::error_code ignored;
                std::filesystem::remove(upload.path, ignored);
                reply(upload.command, protocol::ReplyResult::Ok,
                      "screenshot uploaded (PNG, " + std::to_string(upload.size) + " bytes)");
            } else {
                report_error("screenshot upload: " + upload.result.error().message());
                keep_screenshot(upload.command, upload.path, protocol::ReplyResult::Error,
                                "screenshot upload failed: " + upload.result.error().message());
            }
        }
        // Once none is running, every upload thread has handed over its result and is
        // returning: join them (uploads are rare; this keeps the bookkeeping trivial). Checked
        // on every pass, not only when a result came: the last thread may still have been
        // counted as running when its result was taken.
        if (!upload_threads.empty() && uploads_running == 0) {
            for (auto& thread : upload_threads) thread.join();
            upload_threads.clear();
        }
    }

    void stop_uploads() {
        cancel_uploads = true;
        for (auto& thread : upload_threads)
            if (thread.joinable())
                thread.join();
        upload_threads.clear();
    }

    void reply(const protocol::Command& command, protocol::ReplyResult result, std::string detail) {
        queue_reply(make_reply(identity.id, command, result, std::move(detail), clock.wall()));
    }

    void queue_reply(const protocol::CommandReply& answer) {
        if (auto added = outbox->add_reply(answer); !added)
            report_error("outbox: " + added.error().message());
        (void)mqtt->publish(topic_pop, protocol::encode(answer));
    }

    void on_ack(const std::string& payload) {
        auto verified = protocol::verify_ack(payload, options.provisioning.controller_keys, identity.id);
        if (!verified) {
            spdlog::warn("ack refused: {}", verified.error().message());
            return;
        }
        if (verified->install_epoch != state->install_epoch())
            return;
        auto pruned = outbox->prune(verified->committed_seq);
        if (!pruned)
            report_error("outbox: " + pruned.error().message());
        if (!verified->replied_commands.empty())
            (void)outbox->drop_replies(verified->replied_commands);
    }

    void on_alert(const std::string& payload) {
        auto verified = protocol::verify_alert(payload, options.provisioning.controller_keys, identity.zone,
                                               alert_book->cancelled_ids(), clock.wall());
        if (!verified) {
            if (verified.error().reason != protocol::Refusal::Replay)
                report_error("alert refused: " + verified.error().message());
            return;
        }
        if (auto* cancel = std::get_if<protocol::AlertCancel>(&*verified)) {
            spdlog::info("alert {} cancelled", cancel->alert_id);
            // It stops now whatever the state database can write; a failed save is kept in
            // memory and retried on every pass (retry_state_writes()).
            if (auto saved = alert_book->cancel(cancel->alert_id); !saved)
                state_write_failed("state: alert " + cancel->alert_id +
                                   " cancel not saved: " + saved.error().message());
            else
                state_write_succeeded();
            update_pins();
            rebuild_plan();
            return;
        }
        auto& message = std::get<protocol::AlertMessage>(*verified);
        if (!alert_book->is_new(message))
            return;  // a retained copy of what plays already
        // An alert that cannot be resolved on its own (a playlist naming media it does not
        // carry, a dangling speech link) is refused here: kept, it would fail every later plan.
        if (auto alone = Plan::create(nullptr, {message}, interlocks, identity); !alone) {
            report_error("alert " + message.alert.id + " refused: " + alone.error().message());
            return;
        }
        spdlog::info("alert {}: {}", message.alert.id, message.alert.headline);
        if (auto stored = alert_book->add(message, payload); !stored)
            spdlog::warn("state: alert {} not stored (it plays, but not again after a restart): {}",
                         message.alert.id, stored.error().message());
        update_pins();
        bool all_present = true;
        for (const auto& entry : message.manifest)
            if (!cache->contains(entry.sha256))
                all_present = false;
        if (all_present) {
            rebuild_plan();
        } else {
            std::vector<media::FetchRequest> requests;
            for (const auto& alert : alert_book->live())
                for (const auto& request : fetch_requests(alert.manifest)) requests.push_back(request);
            if (!alert_downloader->busy())
                alert_downloader->start(std::move(requests));
        }
    }

    // ---- uplink -----------------------------------------------------------------------
    void flush_proof() {
        if (!mqtt->connected())
            return;
        auto last = outbox->last_seq();
        if (!last)
            return;
        const MonotonicTime now = clock.monotonic();
        const bool fresh_rows = *last > last_sent_seq;
        const auto flush_interval = std::chrono::duration_cast<Duration>(options.config.proof.flush_interval);
        const bool due = (fresh_rows && now - last_proof_send >= flush_interval) ||
                         now - last_proof_send >= options.resend_interval;
        if (!due)
            return;
        auto rows = outbox->pending(std::min<std::size_t>(
            max_rows_per_batch, static_cast<std::size_t>(options.config.proof.batch_max_rows)));
        if (!rows) {
            report_error("outbox: " + rows.error().message());
            return;
        }
        last_proof_send = now;
        if (!rows->empty()) {
            protocol::ProofOfPlayBatch batch{identity.id, state->install_epoch(), std::move(*rows)};
            last_sent_seq = std::max(last_sent_seq, batch.rows.back().seq);
            if (auto sent = mqtt->publish(topic_pop, protocol::encode(batch)); !sent)
                spdlog::warn("proof: {}", sent.error().message());
        } else {
            last_sent_seq = *last;
        }
        if (auto replies = outbox->pending_replies(); replies)
            for (const auto& answer : *replies) (void)mqtt->publish(topic_pop, protocol::encode(answer));
    }

    protocol::Status make_status(protocol::Presence presence) {
        protocol::Status status;
        status.device = identity.id;
        status.presence = presence;
        status.reported_at = clock.wall();
        status.install_epoch = state->install_epoch();
        status.boot_id = boot_id;
        status.software_version = options.software_version;
        status.uptime_ms = static_cast<std::uint64_t>((clock.monotonic() - started_monotonic).count());
        status.desired_bundle_version = desired ? desired->version : applied_version();
        status.applied_bundle_version = applied_version();
        status.now_playing = now_playing;
        if (bundle_downloader && (desired || bundle_downloader->busy()))
            status.download = bundle_downloader->progress();
        if (auto usage = cache->usage(); usage) {
            status.cache_used_bytes = usage->used_bytes;
            status.cache_capacity_bytes = usage->max_bytes;
        }
        if (last_error)
            status.last_error = last_error->substr(0, 1000);
        if (audio_problem) {
            status.last_error = audio_problem->substr(0, 1000);
            if (identity.kind == scheduler::DeviceKind::Speaker)
                status.unhealthy = status.last_error;
        }
        status.replayed_bundles = replayed_bundles;
        return status;
    }

    void publish_status() {
        if (!mqtt->connected())
            return;
        const auto status = make_status(protocol::Presence::Online);
        const MonotonicTime now = clock.monotonic();
        if (!status_board.due(status, now))
            return;
        protocol::PublishOptions retained;
        retained.retain = protocol::Retain::Yes;
        if (auto sent = mqtt->publish(topic_status, protocol::encode(status), retained); sent)
            status_board.published(status, now);
    }

    void publish_offline() {
        if (!mqtt->connected())
            return;
        std::atomic<bool> done{false};
        protocol::PublishOptions retained;
        retained.retain = protocol::Retain::Yes;
        auto sent = mqtt->publish(topic_status, protocol::encode(make_status(protocol::Presence::Offline)),
                                  retained, [&done](const protocol::MqttPublishCompleted&) { done = true; });
        if (!sent)
            return;
        const auto deadline = clock.monotonic() + Duration{2000};
        while (!done && clock.monotonic() < deadline) (void)mqtt->poll(std::chrono::milliseconds{50});
    }

    // ---- start-up ---------------------------------------------------------------------
    void restore() {
        const auto& keys = options.provisioning.controller_keys;
        if (auto stored = state->active_bundle(); stored && *stored) {
            active = decode_stored<protocol::Bundle>((*stored)->envelope, keys, protocol::MessageType::Bundle,
                                                     &protocol::decode_bundle);
            if (!active)
                report_error("state: the stored active bundle no longer verifies; ignored");
        }
        if (auto stored = state->desired_bundle(); stored && *stored) {
            desired = decode_stored<protocol::Bundle>(
                (*stored)->envelope, keys, protocol::MessageType::Bundle, &protocol::decode_bundle);
        }
        std::vector<protocol::AlertMessage> restored;
        if (auto stored = state->alerts(); stored) {
            for (const auto& alert : *stored) {
                auto decoded = decode_stored<protocol::AlertTopicMessage>(
                    alert.envelope, keys, protocol::MessageType::Alert, &protocol::decode_alert_topic);
                if (decoded && std::holds_alternative<protocol::AlertMessage>(*decoded)) {
                    auto& message = std::get<protocol::AlertMessage>(*decoded);
                    if (message.alert.expires > clock.wall())
                        restored.push_back(std::move(message));
                }
            }
        }
        if (auto held = alert_book->restore(std::move(restored), clock.monotonic()); !held)
            report_error("state: " + held.error().message());
        spdlog::info("state: install epoch {}, active bundle {}, desired bundle {}, {} alerts",
                     state->install_epoch(), applied_version(), desired ? desired->version : 0,
                     alert_book->held().size());
        // Plays cut by a crash or a power cut (their started marks are left) become rows.
        auto recovered = outbox->recover_started();
        if (!recovered) {
            state_write_failed("proof outbox: started marks: " + recovered.error().message());
        } else if (*recovered > 0) {
            spdlog::warn("proof: {} plays cut by a crash or a power cut are recorded as interrupted",
                         *recovered);
            if (outbox->unwritten() > 0)
                state_write_failed("proof outbox: " + std::to_string(outbox->unwritten()) +
                                   " rows wait in memory");
        }
    }

    // Restored alerts play once the retained alert topics had their moment (AlertBook).
    void release_held_alerts() {
        if (!alert_book->release(clock.monotonic(), clock.wall()))
            return;
        update_pins();
        rebuild_plan();
    }
};

Duration download_round_wait(Duration first_wait, int failed_rounds, double unit_random) {
    media::RetryPolicy policy;
    policy.initial_delay = first_wait;
    policy.max_delay = std::max(first_wait, Duration{std::chrono::minutes{15}});
    policy.multiplier = 2.0;
    policy.jitter = 0.2;
    return media::retry_delay(policy, std::max(1, failed_rounds), unit_random);
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Daemon::~Daemon() = default;

void Daemon::request_stop() {
    m_impl->stop_requested = true;
    m_impl->wake();
}

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions options, const Clock& clock) {
    auto impl = std::make_unique<Impl>(std::move(options), clock);
    Impl& d = *impl;
    const config::PlayerConfig& config = d.options.config;
    const protocol::Provisioning& provisioning = d.options.provisioning;
    d.started_monotonic = clock.monotonic();
    d.identity.id = provisioning.device;
    d.identity.zone = provisioning.zone;
    d.identity.kind = config.playback.mode == config::PlaybackMode::Speaker ? scheduler::DeviceKind::Speaker
                                                                            : scheduler::DeviceKind::Screen;
    d.interlocks.max_volume = config.safety.max_volume;
    for (const auto& window : config.safety.quiet_hours)
        d.interlocks.quiet_hours.push_back(to_scheduler(window));

    auto state = PlayerState::open(config.database_path());
    if (!state)
        return std::unexpected(state.error());
    d.state = std::make_unique<PlayerState>(std::move(*state));
    d.alert_book = std::make_unique<AlertBook>(
        *d.state, AlertBook::Options{alert_hold_after_subscribe, alert_hold_offline});
    auto outbox = ProofOutbox::open(d.state->database());
    if (!outbox)
        return std::unexpected(outbox.error());
    d.outbox.emplace(std::move(*outbox));

    auto store = media::ContentStore::open(config.cache_path());
    if (!store)
        return std::unexpected(store.error());
    (void)store->remove_temporary_files();
    d.store.emplace(std::move(*store));
    media::CacheOptions cache_options;
    cache_options.database = config.database_path();
    cache_options.max_bytes = static_cast<std::uint64_t>(config.cache.max_mb) * 1024 * 1024;
    cache_options.min_free_bytes = static_cast<std::uint64_t>(config.cache.min_free_disk_mb) * 1024 * 1024;
    auto cache = media::MediaCache::open(*d.store, cache_options, clock);
    if (!cache)
        return std::unexpected(cache.error());
    d.cache = std::move(*cache);

    RendererConfig renderer_config;
    switch (config.playback.mode) {
        case config::PlaybackMode::Screen: renderer_config.mode = OutputMode::Screen; break;
        case config::PlaybackMode::Speaker: renderer_config.mode = OutputMode::Speaker; break;
        case config::PlaybackMode::Headless: renderer_config.mode = OutputMode::Headless; break;
    }
    renderer_config.fullscreen = config.playback.fullscreen;
    renderer_config.window_width = config.playback.window_width;
    renderer_config.window_height = config.playback.window_height;
    renderer_config.audio_samplerate = config.playback.audio_samplerate;
    renderer_config.initial_volume = std::min(80, config.safety.max_volume);
    // mpv's audio-device ("driver/device"): "null/default" makes a speaker that needs no sound
    // card (tests, servers), "alsa/hw:0" picks a card.
    if (config.playback.audio_device != "auto") {
        renderer_config.extra_options.emplace_back("audio-device", config.playback.audio_device);
        // The null output buffers 200 ms of its own by default, which makes every audio
        // end-file (and so every proof end) that much early; keep it at mpv's audio-buffer,
        // as headless mode does.
        if (config.playback.audio_device.starts_with("null/")) {
            renderer_config.extra_options.emplace_back(
                "ao-null-buffer", std::to_string(renderer_config.audio_buffer_ms / 1000.0));
        }
    }
    auto renderer = MpvRenderer::create(renderer_config, clock);
    if (!renderer)
        return std::unexpected(renderer.error());
    d.renderer = std::move(*renderer);
    if (d.identity.kind == scheduler::DeviceKind::Screen) {
        NoticeStyle style;
        style.width = config.playback.window_width;
        style.height = config.playback.window_height;
        style.point_size = config.playback.font_size;
        if (auto notices = NoticeRenderer::create(config.playback.font_file, style); notices)
            d.notices = std::make_unique<NoticeRenderer>(std::move(*notices));
        else
            spdlog::warn("text notices: {}", notices.error().message());
    }
    EngineOptions engine_options;
    engine_options.device_kind = d.identity.kind;
    engine_options.max_volume = config.safety.max_volume;
    engine_options.notice_directory = config.state.dir / "notices";
    // A full state disk must not keep an alert's text off the screen: memory-backed /dev/shm
    // takes the notice then (the system's temporary directory where there is none).
    std::error_code no_shm;
    engine_options.notice_fallback_directory =
        (std::filesystem::is_directory("/dev/shm", no_shm) ? std::filesystem::path{"/dev/shm"}
                                                           : std::filesystem::temp_directory_path(no_shm)) /
        ("bantin-notices-" + std::to_string(::getuid()));
    d.engine = std::make_unique<PlaybackEngine>(*d.renderer, clock, engine_options, d.notices.get());

    auto topic = [&](protocol::DeviceChannel channel) {
        return protocol::device_topic(d.identity.id, channel);
    };
    auto status_topic = topic(protocol::DeviceChannel::Status);
    auto pop_topic = topic(protocol::DeviceChannel::ProofOfPlay);
    auto bundle_topic = topic(protocol::DeviceChannel::Bundle);
    auto command_topic = topic(protocol::DeviceChannel::Command);
    auto ack_topic = topic(protocol::DeviceChannel::Ack);
    auto zone_topic = protocol::alert_zone_topic(d.identity.zone);
    for (const auto* built :
         {&status_topic, &pop_topic, &bundle_topic, &command_topic, &ack_topic, &zone_topic})
        if (!*built)
            return std::unexpected(built->error());
    d.topic_status = *status_topic;
    d.topic_pop = *pop_topic;
    d.topic_bundle = *bundle_topic;
    d.topic_command = *command_topic;
    d.topic_ack = *ack_topic;
    d.topic_zone = *zone_topic;

    protocol::MqttClientOptions mqtt_options;
    mqtt_options.host = provisioning.mqtt.host;
    mqtt_options.port = provisioning.mqtt.port;
    mqtt_options.client_id = d.identity.id;
    mqtt_options.username = provisioning.mqtt.username;
    mqtt_options.password = provisioning.mqtt.password;
    if (provisioning.mqtt.tls_ca_pem) {
        const auto ca_file = config.state.dir / "broker-ca.pem";
        std::ofstream(ca_file) << *provisioning.mqtt.tls_ca_pem;
        mqtt_options.tls = protocol::MqttTls{ca_file.string(), "", ""};
    }
    mqtt_options.will =
        protocol::MqttWill{d.topic_status, protocol::encode(d.make_status(protocol::Presence::Offline)),
                           protocol::Retain::Yes, protocol::QualityOfService::AtLeastOnce};
    mqtt_options.session_expiry =
        std::chrono::duration_cast<std::chrono::seconds>(config.mqtt.session_expiry);
    mqtt_options.keepalive = config.mqtt.keepalive;
    mqtt_options.reconnect_min = config.mqtt.reconnect.minimum;
    mqtt_options.reconnect_max = config.mqtt.reconnect.maximum;
    Impl* raw = &d;
    auto mqtt = protocol::MqttClient::create(mqtt_options, [raw] { raw->wake(); });
    if (!mqtt)
        return std::unexpected(mqtt.error());
    d.mqtt.emplace(std::move(*mqtt));

    media::FetchOptions fetch_options;
    fetch_options.parallel_transfers = static_cast<std::size_t>(std::max(1, config.fetch.concurrency));
    fetch_options.connect_timeout = std::chrono::duration_cast<Duration>(config.fetch.connect_timeout);
    fetch_options.low_speed_window = std::chrono::duration_cast<Duration>(config.fetch.stall_timeout);
    fetch_options.retry.initial_delay = config.fetch.retry.minimum;
    fetch_options.retry.max_delay = config.fetch.retry.maximum;
    fetch_options.user_agent = "bantin-player/" + d.options.software_version;
    // The controller serves media to devices with their MQTT credentials as HTTP basic auth.
    fetch_options.auth = media::FetchAuth::basic(provisioning.mqtt.username, provisioning.mqtt.password);
    // Screenshots go up with the same credentials.
    d.upload_credentials = {provisioning.mqtt.username, provisioning.mqtt.password,
                            fetch_options.connect_timeout, fetch_options.user_agent};
    d.bundle_downloader =
        std::make_unique<MediaDownloader>(*d.store, fetch_options, d.cache.get(), [raw] { raw->wake(); });
    media::FetchOptions alert_fetch = fetch_options;
    alert_fetch.retry.max_attempts = 3;
    alert_fetch.retry.initial_delay = Duration{200};
    d.alert_downloader =
        std::make_unique<MediaDownloader>(*d.store, alert_fetch, d.cache.get(), [raw] { raw->wake(); });
    return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Result<void> Daemon::run() {
    Impl& d = *m_impl;
    d.restore();
    d.update_pins();
    d.rebuild_plan();
    d.start_bundle_download();
    for (const auto& filter : {d.topic_bundle, d.topic_command, d.topic_ack,
                               std::string(protocol::alert_all_topic), d.topic_zone}) {
        if (auto subscribed = d.mqtt->subscribe(filter); !subscribed)
            return std::unexpected(subscribed.error());
    }
    if (auto started = d.mqtt->start(); !started)
        return std::unexpected(started.error());
    spdlog::info("bantin-player {} running as {} (zone {})", d.options.software_version, d.identity.id,
                 d.identity.zone);

    while (!d.stop_requested) {
        const Duration timeout = std::min(d.engine->time_until_next_action(Duration{1000}), Duration{500});
        auto renderer_events = d.renderer->wait(timeout);
        for (const auto& event : renderer_events) {
            if (event.kind == RendererEvent::Kind::Shutdown) {
                d.stop_requested = true;
                spdlog::warn("renderer shut down; stopping");
            }
        }
        d.on_playback(d.engine->handle(renderer_events));
        d.on_playback(d.engine->tick());
        d.on_mqtt(d.mqtt->drain());
        d.finish_uploads();
        if (auto round = d.bundle_downloader->take_finished())
            d.on_bundle_round(*round);
        if (auto round = d.alert_downloader->take_finished()) {
            const std::string failures = describe_failures(*round);
            if (!failures.empty())
                d.report_error("alert " + failures);
            d.rebuild_plan();
        }
        if (!d.bundle_downloader->busy())
            d.start_bundle_download();
        d.check_clock_jump();
        d.refill();
        d.update_volume();
        d.release_held_alerts();
        d.retry_state_writes();
        d.flush_proof();
        d.publish_status();
    }

    spdlog::info("stopping");
    d.stop_uploads();
    d.finish_uploads();
    for (const auto& dropped : d.engine->stop()) d.feeder.forget(dropped);
    for (int round = 0; round < 20 && d.engine->queued() + (d.engine->now_playing() ? 1 : 0) > 0; ++round) {
        d.on_playback(d.engine->handle(d.renderer->wait(Duration{50})));
    }
    if (d.outbox->unwritten() > 0) {
        d.retry_state_writes();
        if (d.outbox->unwritten() > 0)
            spdlog::error(
                "proof outbox: {} rows could not be written before stopping; their started marks "
                "become interrupted rows at the next start",
                d.outbox->unwritten());
    }
    d.publish_offline();
    d.mqtt->stop();
    return {};
}

}  // namespace bantin::player
