#include "bantin/player/daemon.hpp"

#include "bantin/media/alert_tone.hpp"
#include "bantin/media/cache.hpp"
#include "bantin/media/store.hpp"
#include "bantin/player/alert_intake.hpp"
#include "bantin/player/bundle_intake.hpp"
#include "bantin/player/commands.hpp"
#include "bantin/player/live_intake.hpp"
#include "bantin/player/notice_renderer.hpp"
#include "bantin/player/playback_engine.hpp"
#include "bantin/player/player_state.hpp"
#include "bantin/player/proof_uplink.hpp"
#include "bantin/player/runner.hpp"
#include "bantin/player/status.hpp"
#include "bantin/player/ticker_lane.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/topics.hpp"
#include "daemon_setup.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <set>

namespace bantin::player {

namespace {

constexpr Duration clock_jump_threshold{2000};
constexpr std::size_t max_rows_per_batch = 100;
constexpr Duration minimum_remaining{300};
// Restored alerts wait this long for the retained alert topics after their SUBACK, and at
// most alert_hold_offline after start-up (docs/player.md "Alerts after a restart").
constexpr Duration alert_hold_after_subscribe{1000};
constexpr Duration alert_hold_offline{5000};
// A live channel whose source stopped is tried again after live_retry_wait; after
// live_source_retries losses in a row the device returns to its schedule (docs/player.md).
constexpr int live_source_retries = 3;
constexpr Duration live_retry_wait{1000};

scheduler::DailyWindow to_scheduler(const config::DailyWindow& window) {
    return {window.start_minute, window.end_minute};
}

}  // namespace

struct Daemon::Impl {
    DaemonOptions options;
    const Clock& clock;
    DeviceIdentity identity;
    std::string boot_id;
    MonotonicTime started_monotonic;
    DeviceTopics topics;

    // Declared in dependency order: destroyed in reverse (the MQTT link and the downloaders'
    // threads go before the renderer their wakeups poke).
    std::unique_ptr<PlayerState> state;
    std::optional<media::ContentStore> store;
    std::unique_ptr<media::MediaCache> cache;
    std::unique_ptr<Renderer> renderer;
    std::unique_ptr<NoticeRenderer> notices;
    std::unique_ptr<PlaybackEngine> engine;
    DeviceHealth health;
    std::unique_ptr<protocol::MqttLink> mqtt;
    std::unique_ptr<ProofUplink> uplink;
    std::unique_ptr<BundleIntake> bundles;
    std::unique_ptr<AlertIntake> alerts;
    std::unique_ptr<LiveIntake> live;
    std::unique_ptr<CommandDesk> commands;

    std::optional<Plan> plan;
    EntryFeeder feeder;
    TickerLane ticker;  // the screen's Ticker region (docs/player.md "Regions, header and ticker")
    std::uint64_t next_ticker_id = 1;
    TimePoint resolved_to;
    Duration clock_offset{0};
    std::optional<int> volume_override;
    int applied_volume = -1;
    std::optional<protocol::NowPlaying> now_playing;
    StatusBoard status_board;
    std::atomic<bool> stop_requested{false};
    // The next screenshot a screen takes by itself (screenshots.interval_s; never when 0).
    std::optional<MonotonicTime> next_screenshot;

    Impl(DaemonOptions daemon_options, const Clock& daemon_clock, scheduler::DeviceKind kind)
        : options(std::move(daemon_options)),
          clock(daemon_clock),
          health(kind),
          ticker(daemon_clock),
          status_board(std::chrono::duration_cast<Duration>(options.config.status.interval)) {}

    void wake() {
        if (renderer)
            renderer->wake();
    }

    // ---- plan and feeding ---------------------------------------------------------------
    // The file on disk plays whatever the index can write: a failed "last used" update (a
    // full state disk) is logged, never a reason to skip the entry.
    std::optional<std::filesystem::path> locate(std::string_view sha256) {
        auto path = store->lookup(sha256);
        if (!path) {
            // An alert's speech the device made itself stands in for the controller's.
            if (auto ours = alerts->substitute(sha256))
                return locate(*ours);
            return std::nullopt;
        }
        if (auto touched = cache->touch(sha256); !touched)
            spdlog::debug("cache: last use of {} not recorded: {}", sha256.substr(0, 8),
                          touched.error().message());
        return *path;
    }

    // The chime and the siren (media/alert_tone.hpp) live in the cache for good: an alert names
    // them by digest and finds them here with the controller unreachable. Staged at start, and
    // again whenever they are missing (a full disk at start).
    void stage_tones() {
        bool missing = false;
        for (const auto tone : media::all_alert_tones) {
            const auto& sha256 = media::alert_tone_media(tone).sha256;
            missing = missing || !store->contains(sha256) || !cache->contains(sha256);
        }
        if (!missing)
            return;
        auto staged = media::stage_alert_tones(*store);
        if (!staged) {
            health.report("alert tones: " + staged.error().message());
            return;
        }
        for (const auto& object : *staged)
            if (auto recorded = cache->record(object); !recorded)
                spdlog::warn("cache: alert tone {} not indexed: {}", object.sha256.substr(0, 8),
                             recorded.error().message());
    }

    void update_pins() {
        stage_tones();
        std::set<std::string> pins;
        for (const auto tone : media::all_alert_tones) pins.insert(media::alert_tone_media(tone).sha256);
        bundles->add_pins(pins);
        alerts->add_pins(pins);
        if (auto pinned = cache->pin(pins); !pinned)
            health.report("cache: " + pinned.error().message());
    }

    void rebuild_plan() {
        const auto channel = live->channel();
        auto built = Plan::create(bundles->active(), alerts->playing(), alerts->interlocks(), identity,
                                  channel ? &*channel : nullptr);
        if (!built) {
            health.report("schedule: " + built.error().message());
            return;
        }
        plan.emplace(std::move(*built));
        // The bands first: a notice is drawn at the size of the main region, which a header
        // band added by this bundle makes smaller.
        update_overlay();
        const TimePoint now = clock.wall();
        clock_offset = now.time_since_epoch() - clock.monotonic().time_since_epoch();
        resolved_to = now + options.horizon;
        auto entries = plan->entries(now, resolved_to);
        if (!entries) {
            health.report("schedule: " + entries.error().message());
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
                     format_utc(now), items.size(), keep, plan->bundle_version(), alerts->live().size());
        for (const auto& dropped : engine->replace_upcoming(keep, std::move(items))) feeder.forget(dropped);
        update_volume();
        rebuild_ticker(now);
    }

    // ---- the screen's bands: the Ticker region and the header -------------------------------
    std::vector<TickerSlot> ticker_slots(TimePoint from, TimePoint to) {
        auto entries = plan->ticker_entries(from, to);
        if (!entries) {
            health.report("schedule: " + entries.error().message());
            return {};
        }
        return make_ticker_slots(
            *plan, *entries, [this](std::string_view sha) { return locate(sha); }, next_ticker_id);
    }

    // A new plan: the ticker entry showing goes on if the plan still shows it now, else it is cut.
    void rebuild_ticker(TimePoint now) {
        on_ticker(ticker.replace(ticker_slots(now, resolved_to)));
        update_overlay();
    }

    void on_ticker(const std::vector<TickerEvent>& events) {
        for (const auto& event : events) {
            if (const auto* started = std::get_if<ItemStarted>(&event.event))
                uplink->started(started->entry_id, event.facts, started->wall);
            else if (const auto* ended = std::get_if<ItemEnded>(&event.event))
                uplink->ended(*ended, event.facts);
        }
    }

    // The ticker hides while an alert is on screen (its row ends interrupted), and shows again after.
    void pump_ticker() {
        const bool alert = now_playing && now_playing->source == protocol::SourceKind::Alert;
        on_ticker(ticker.hold(alert));
        on_ticker(ticker.tick());
        update_overlay();
    }

    // What the window draws around and over the main region; the renderer redraws only on a change.
    void update_overlay() {
        if (!plan || plan->device().kind != scheduler::DeviceKind::Screen)
            return;
        const scheduler::Device& device = plan->device();
        OverlayContent content;
        content.header_permille = device.layout.header_permille;
        content.ticker_permille = device.layout.ticker_permille;
        content.title = device.zone_name.empty() ? device.zone : device.zone_name;
        content.time_zone = plan->shown_time_zone();  // as the notices' dates
        content.board_url = device.board_url;
        content.ticker_text = ticker.text();
        renderer->set_overlay(content);
    }

    // The pins and the plan after a part changed what plays.
    void replan() {
        update_pins();
        rebuild_plan();
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
            health.report("schedule: " + entries.error().message());
            return;
        }
        std::vector<scheduler::TimelineEntry> fresh;
        for (const auto& entry : *entries)
            if (entry.start >= resolved_to)
                fresh.push_back(entry);
        const TimePoint from = resolved_to;
        resolved_to = to;
        auto items = feeder.make_items(*plan, fresh, [this](std::string_view sha) { return locate(sha); });
        if (!items.empty())
            engine->enqueue(std::move(items));
        ticker.append(ticker_slots(from, to));
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
        const auto& local = alerts->device_interlocks();
        const TimePoint now = clock.wall();
        int wanted = effective_volume(plan->volume_at(now), volume_override, local.max_volume);
        if (plan->live_alert_at(now))
            wanted = emergency_volume(wanted, local.emergency_volume, local.max_volume);
        if (wanted != applied_volume)
            applied_volume = engine->set_volume(wanted);
    }

    void on_bundle_change(BundleIntake::Change change) {
        if (change == BundleIntake::Change::Activated) {
            volume_override.reset();
            replan();
        } else if (change == BundleIntake::Change::Pins) {
            update_pins();
        }
    }

    void on_live_change(LiveIntake::Change change) {
        if (change == LiveIntake::Change::Replan)
            rebuild_plan();
    }

    void on_alert_change(AlertIntake::Change change) {
        if (change == AlertIntake::Change::Replan)
            replan();
        else if (change == AlertIntake::Change::Pins)
            update_pins();
    }

    // ---- playback events -> proof rows --------------------------------------------------
    void on_playback(const std::vector<PlaybackEvent>& events) {
        for (const auto& event : events) {
            if (const auto* started = std::get_if<ItemStarted>(&event)) {
                if (const EntryFacts* facts = feeder.facts(started->entry_id)) {
                    now_playing =
                        protocol::NowPlaying{facts->source, facts->source_id, facts->media, started->wall};
                    uplink->started(started->entry_id, *facts, started->wall);
                    update_volume();  // an alert's emergency volume begins and ends with its plays
                }
            } else if (const auto* ended = std::get_if<ItemEnded>(&event)) {
                on_ended(*ended);
            } else if (const auto* shot = std::get_if<ScreenshotResult>(&event)) {
                commands->screenshot_taken(shot->path, shot->tag, shot->error);
            }
        }
    }

    void on_ended(const ItemEnded& ended) {
        const EntryFacts* facts = feeder.facts(ended.entry_id);
        if (facts == nullptr) {
            uplink->forget(ended.entry_id);
            return;
        }
        // A live entry that ended by itself well before its planned end: its source stopped. The
        // play is a fragment of its slot, so its row says interrupted, not completed.
        // (The chime before a channel is the device's own file, not the source.)
        const bool source_lost = facts->source == protocol::SourceKind::Live &&
                                 facts->media != media::alert_tone_media(media::AlertTone::Chime).sha256 &&
                                 ended.outcome != Outcome::Interrupted &&
                                 ended.ended_wall + protocol::completed_tolerance < facts->planned_end;
        if (source_lost && ended.outcome == Outcome::Completed) {
            ItemEnded fragment = ended;
            fragment.outcome = Outcome::Interrupted;
            uplink->ended(fragment, *facts);
        } else {
            uplink->ended(ended, *facts);
        }
        if (ended.audio_unavailable)
            health.audio_unavailable(ended.audio_error);
        else if (ended.outcome == Outcome::Completed)
            health.audio_played();
        if (ended.outcome == Outcome::Failed && !ended.audio_unavailable)
            health.report("media " + facts->media.substr(0, 8) + " failed: " + ended.error);
        if (now_playing && now_playing->media == facts->media && now_playing->source_id == facts->source_id)
            now_playing.reset();
        const std::string live_id = facts->source_id;
        const Duration heard_for =
            ended.started_monotonic
                ? std::chrono::duration_cast<Duration>(ended.ended_monotonic - *ended.started_monotonic)
                : Duration{0};
        feeder.forget(ended.entry_id);
        if (source_lost)
            on_live_change(live->lost(live_id, heard_for));
    }

    // State writes that failed (a full or read-only state disk) are retried on every pass; the
    // first pass they all succeed clears the error they put in last_error.
    void retry_state_writes() {
        const auto rows = uplink->retry_writes();
        const auto cancels = alerts->retry_saves();
        if (!rows.failed && !cancels.failed && (rows.wrote || cancels.wrote))
            health.state_write_succeeded();
    }

    // ---- MQTT -------------------------------------------------------------------------
    void on_mqtt(std::vector<protocol::MqttEvent> events) {
        for (auto& event : events) {
            if (std::holds_alternative<protocol::MqttConnected>(event)) {
                spdlog::info("mqtt: connected");
                status_board.invalidate();
                uplink->connected();
            } else if (const auto* lost = std::get_if<protocol::MqttDisconnected>(&event)) {
                spdlog::warn("mqtt: {}", lost->error.message());
            } else if (const auto* subscribed = std::get_if<protocol::MqttSubscribed>(&event)) {
                const bool alert_topics = std::any_of(
                    subscribed->filters.begin(), subscribed->filters.end(), [&](const std::string& filter) {
                        return filter == topics.zone || filter == protocol::alert_all_topic;
                    });
                if (alert_topics)
                    alerts->subscribed();
            } else if (auto* message = std::get_if<protocol::MqttMessage>(&event)) {
                on_message(*message);
            }
        }
    }

    void on_message(const protocol::MqttMessage& message) {
        if (message.topic == topics.bundle) {
            on_bundle_change(bundles->receive(message.payload, alerts->interlocks()));
        } else if (message.topic == topics.command) {
            if (auto command = commands->receive(message.payload))
                on_command(*command);
        } else if (message.topic == topics.ack) {
            auto verified =
                protocol::verify_ack(message.payload, options.provisioning.controller_keys, identity.id);
            if (verified)
                uplink->acked(*verified);
            else
                spdlog::warn("ack refused: {}", verified.error().message());
        } else if (message.topic == protocol::alert_all_topic || message.topic == topics.zone) {
            on_alert_change(alerts->receive(message.payload));
        } else if (message.topic == topics.live) {
            on_live_change(live->receive(message.payload));
        }
    }

    void on_command(const protocol::Command& command) {
        const int cap = alerts->device_interlocks().max_volume;
        switch (command.kind) {
            case protocol::CommandKind::Ping: {
                std::string detail = "pong; " + describe_volume(applied_volume, applied_volume, cap);
                if (now_playing)
                    detail += "; playing " + now_playing->source_id + " " + now_playing->media.substr(0, 8);
                commands->reply(command, protocol::ReplyResult::Ok, detail);
                break;
            }
            case protocol::CommandKind::SetVolume: {
                const int asked = command.volume.value_or(applied_volume);
                volume_override = asked;
                update_volume();
                commands->reply(command, protocol::ReplyResult::Ok,
                                describe_volume(applied_volume, asked, cap));
                break;
            }
            case protocol::CommandKind::Reload: {
                volume_override.reset();
                rebuild_plan();
                commands->reply(command, protocol::ReplyResult::Ok,
                                "reloaded; bundle " + std::to_string(bundles->applied_version()));
                break;
            }
            case protocol::CommandKind::Screenshot: {
                const auto shot = commands->screenshot(command);
                engine->screenshot(shot.path, shot.tag);
                break;
            }
        }
    }

    // A screen's own screenshot every screenshots.interval_s, the first one interval after the
    // start; uploaded to its bundle's controller (none until a bundle names one).
    void periodic_screenshot() {
        const auto interval = std::chrono::duration_cast<Duration>(options.config.screenshots.interval);
        if (interval <= Duration{0} || options.config.playback.mode == config::PlaybackMode::Speaker)
            return;
        const MonotonicTime now = clock.monotonic();
        if (!next_screenshot) {
            next_screenshot = now + interval;
            return;
        }
        if (now < *next_screenshot)
            return;
        next_screenshot = now + interval;
        const protocol::Bundle* bundle = bundles ? bundles->active() : nullptr;
        if (bundle == nullptr)
            return;
        const std::string url = screenshot_url_from_manifest(bundle->manifest, identity.id);
        if (url.empty())
            return;
        if (auto shot = commands->periodic_screenshot(url))
            engine->screenshot(shot->path, shot->tag);
    }

    // ---- status -------------------------------------------------------------------------
    protocol::Status make_status(protocol::Presence presence) const {
        protocol::Status status;
        status.device = identity.id;
        status.presence = presence;
        status.reported_at = clock.wall();
        status.install_epoch = state->install_epoch();
        status.boot_id = boot_id;
        status.software_version = options.software_version;
        status.uptime_ms = static_cast<std::uint64_t>((clock.monotonic() - started_monotonic).count());
        const std::uint64_t applied = bundles ? bundles->applied_version() : 0;
        const auto* desired = bundles ? bundles->desired() : nullptr;
        status.desired_bundle_version = desired ? desired->version : applied;
        status.applied_bundle_version = applied;
        status.now_playing = now_playing;
        if (bundles)
            status.download = bundles->progress();
        if (auto usage = cache->usage(); usage) {
            status.cache_used_bytes = usage->used_bytes;
            status.cache_capacity_bytes = usage->max_bytes;
        }
        health.fill(status);
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
        if (auto sent = mqtt->publish(topics.status, protocol::encode(status), retained); sent)
            status_board.published(status, now);
    }

    void publish_offline() {
        if (!mqtt->connected())
            return;
        std::atomic<bool> done{false};
        protocol::PublishOptions retained;
        retained.retain = protocol::Retain::Yes;
        auto sent = mqtt->publish(topics.status, protocol::encode(make_status(protocol::Presence::Offline)),
                                  retained, [&done](const protocol::MqttPublishCompleted&) { done = true; });
        if (!sent)
            return;
        const auto deadline = clock.monotonic() + Duration{2000};
        while (!done && clock.monotonic() < deadline) (void)mqtt->poll(std::chrono::milliseconds{50});
    }
};

Daemon::Daemon(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Daemon::~Daemon() = default;

void Daemon::request_stop() {
    m_impl->stop_requested = true;
    m_impl->wake();
}

bool Daemon::stopping() const {
    return m_impl->stop_requested;
}

protocol::Status Daemon::status() const {
    return m_impl->make_status(protocol::Presence::Online);
}

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions options, const Clock& clock) {
    auto renderer = make_renderer(options.config, clock);
    if (!renderer)
        return std::unexpected(renderer.error());
    DaemonParts parts;
    parts.clock = &clock;
    parts.renderer = std::move(*renderer);
    parts.seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    parts.mqtt = [client_options = mqtt_client_options(options.config, options.provisioning)](
                     protocol::MqttWill will,
                     protocol::WakeupHook wake) mutable -> Result<std::unique_ptr<protocol::MqttLink>> {
        client_options.will = std::move(will);
        auto client = protocol::MqttClient::create(client_options, std::move(wake));
        if (!client)
            return std::unexpected(client.error());
        return std::make_unique<protocol::MqttClient>(std::move(*client));
    };
    return assemble(std::move(options), std::move(parts));
}

Result<std::unique_ptr<Daemon>> Daemon::assemble(DaemonOptions options, DaemonParts parts) {
    const auto kind = options.config.playback.mode == config::PlaybackMode::Speaker
                          ? scheduler::DeviceKind::Speaker
                          : scheduler::DeviceKind::Screen;
    auto impl = std::make_unique<Impl>(std::move(options), *parts.clock, kind);
    Impl& d = *impl;
    const Clock& clock = d.clock;
    const config::PlayerConfig& config = d.options.config;
    const protocol::Provisioning& provisioning = d.options.provisioning;
    d.started_monotonic = clock.monotonic();
    d.boot_id = boot_id_from(parts.seed);
    d.identity = {provisioning.device, provisioning.zone, kind};
    auto topics = device_topics(d.identity.id, d.identity.zone);
    if (!topics)
        return std::unexpected(topics.error());
    d.topics = std::move(*topics);

    auto state = PlayerState::open(config.database_path());
    if (!state)
        return std::unexpected(state.error());
    d.state = std::make_unique<PlayerState>(std::move(*state));
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

    d.renderer = std::move(parts.renderer);
    if (kind == scheduler::DeviceKind::Screen) {
        NoticeStyle style;
        style.width = config.playback.window_width;
        style.height = config.playback.window_height;
        style.minimum_px = config.playback.notice_min_px;
        if (auto notices = NoticeRenderer::create(
                NoticeFonts{config.playback.font_file, config.playback.bold_font_file}, style);
            notices) {
            if (notices->fonts().regular != config.playback.font_file)
                spdlog::warn("text notices: {} is missing; notices use {}",
                             config.playback.font_file.string(), notices->fonts().regular.string());
            d.notices = std::make_unique<NoticeRenderer>(std::move(*notices));
        } else
            spdlog::warn("text notices: {}", notices.error().message());
    }
    d.engine =
        std::make_unique<PlaybackEngine>(*d.renderer, clock, engine_options(config, kind), d.notices.get());

    Impl* raw = &d;
    auto wake = [raw] { raw->wake(); };
    auto mqtt = parts.mqtt(
        protocol::MqttWill{d.topics.status, protocol::encode(d.make_status(protocol::Presence::Offline)),
                           protocol::Retain::Yes, protocol::QualityOfService::AtLeastOnce},
        wake);
    if (!mqtt)
        return std::unexpected(mqtt.error());
    d.mqtt = std::move(*mqtt);

    auto outbox = ProofOutbox::open(d.state->database());
    if (!outbox)
        return std::unexpected(outbox.error());
    ProofUplink::Options uplink;
    uplink.device = d.identity.id;
    uplink.install_epoch = d.state->install_epoch();
    uplink.topic = d.topics.pop;
    uplink.batch_rows =
        std::min<std::size_t>(max_rows_per_batch, static_cast<std::size_t>(config.proof.batch_max_rows));
    uplink.flush_interval = std::chrono::duration_cast<Duration>(config.proof.flush_interval);
    uplink.resend_interval = d.options.resend_interval;
    d.uplink = std::make_unique<ProofUplink>(std::move(*outbox), *d.mqtt, clock, d.health, uplink);

    const auto fetch = fetch_options(config, provisioning, d.options.software_version);
    LocalInterlocks interlocks;
    interlocks.max_volume = config.safety.max_volume;
    interlocks.emergency_volume = config.safety.emergency_volume;
    for (const auto& window : config.safety.quiet_hours)
        interlocks.quiet_hours.push_back(to_scheduler(window));
    interlocks.time_zone = safety_time_zone(config.safety);
    media::FetchOptions alert_fetch = fetch;
    alert_fetch.retry.max_attempts = 3;
    alert_fetch.retry.initial_delay = Duration{200};
    d.alerts = std::make_unique<AlertIntake>(
        *d.state, *d.cache, std::make_unique<MediaDownloader>(*d.store, alert_fetch, d.cache.get(), wake),
        clock, d.health,
        alert_options(provisioning.controller_keys, d.identity, interlocks, config.safety, config.tts,
                      AlertBook::Options{alert_hold_after_subscribe, alert_hold_offline}));
    BundleIntake::Options intake;
    intake.keys = provisioning.controller_keys;
    intake.identity = d.identity;
    intake.download_retry = d.options.download_retry;
    intake.activation_horizon = std::chrono::duration_cast<Duration>(config.fetch.activation_horizon);
    intake.seed = parts.seed;
    d.bundles = std::make_unique<BundleIntake>(
        *d.state, *d.cache, std::make_unique<MediaDownloader>(*d.store, fetch, d.cache.get(), wake), clock,
        d.health, intake);
    // Screenshots go up with the device's own credentials, as media come down.
    CommandDesk::Options desk{provisioning.controller_keys, d.identity.id, config.state.dir,
                              UploadCredentials{provisioning.mqtt.username, provisioning.mqtt.password,
                                                fetch.connect_timeout, fetch.user_agent}};
    d.commands =
        std::make_unique<CommandDesk>(*d.state, *d.store, *d.cache, *d.uplink, clock, d.health, wake, desk);
    d.live = std::make_unique<LiveIntake>(clock, d.health,
                                          LiveIntake::Options{provisioning.controller_keys, d.identity.zone,
                                                              live_source_retries, live_retry_wait});
    return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Result<void> Daemon::start() {
    Impl& d = *m_impl;
    d.alerts->restore();
    // Whatever the restore changed, the pins and the plan are built just below.
    (void)d.bundles->restore(d.alerts->interlocks());
    spdlog::info("state: install epoch {}, active bundle {}, desired bundle {}, {} alerts",
                 d.state->install_epoch(), d.bundles->applied_version(),
                 d.bundles->desired() ? d.bundles->desired()->version : 0, d.alerts->held());
    d.uplink->recover();
    d.replan();
    for (const auto& filter : {d.topics.bundle, d.topics.command, d.topics.ack,
                               std::string(protocol::alert_all_topic), d.topics.zone, d.topics.live}) {
        if (auto subscribed = d.mqtt->subscribe(filter); !subscribed)
            return std::unexpected(subscribed.error());
    }
    if (auto started = d.mqtt->start(); !started)
        return std::unexpected(started.error());
    spdlog::info("bantin-player {} running as {} (zone {})", d.options.software_version, d.identity.id,
                 d.identity.zone);
    return {};
}

void Daemon::turn(Duration wait) {
    Impl& d = *m_impl;
    const Duration timeout =
        std::min({d.engine->time_until_next_action(Duration{1000}), d.live->time_until_next(Duration{1000}),
                  d.alerts->time_until_next(Duration{1000}), d.ticker.time_until_next(Duration{1000}), wait});
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
    d.commands->pump();
    d.periodic_screenshot();
    d.on_bundle_change(d.bundles->pump());
    d.on_alert_change(d.alerts->pump());
    d.on_live_change(d.live->pump());
    d.check_clock_jump();
    d.refill();
    d.pump_ticker();
    d.update_volume();
    d.retry_state_writes();
    d.uplink->flush();
    d.publish_status();
}

void Daemon::finish() {
    Impl& d = *m_impl;
    spdlog::info("stopping");
    d.commands->stop();
    d.commands->pump();
    for (const auto& dropped : d.engine->stop()) d.feeder.forget(dropped);
    d.on_ticker(d.ticker.stop());
    for (int round = 0; round < 20 && d.engine->queued() + (d.engine->now_playing() ? 1 : 0) > 0; ++round)
        d.on_playback(d.engine->handle(d.renderer->wait(Duration{50})));
    if (d.uplink->unwritten() > 0) {
        d.retry_state_writes();
        if (d.uplink->unwritten() > 0)
            spdlog::error(
                "proof outbox: {} rows could not be written before stopping; their started marks become "
                "interrupted rows at the next start",
                d.uplink->unwritten());
    }
    d.publish_offline();
    d.mqtt->stop();
}

Result<void> Daemon::run() {
    if (auto started = start(); !started)
        return started;
    while (!stopping()) turn(Duration{500});
    finish();
    return {};
}

}  // namespace bantin::player
