#include "bantin/player/bundle_intake.hpp"

#include "bantin/protocol/envelope.hpp"

#include <spdlog/spdlog.h>

namespace bantin::player {

MediaDownloader::MediaDownloader(media::ContentStore store, media::FetchOptions options,
                                 media::MediaCache* cache, std::function<void()> wake)
    : m_store(std::move(store)), m_options(std::move(options)), m_cache(cache), m_wake(std::move(wake)) {}

MediaDownloader::~MediaDownloader() {
    m_cancel.cancel();
    join();
}

void MediaDownloader::join() {
    if (m_thread.joinable())
        m_thread.join();
}

bool MediaDownloader::busy() const {
    return m_busy.load();
}

void MediaDownloader::start(std::vector<media::FetchRequest> requests) {
    if (m_busy.load())
        return;
    join();
    m_busy = true;
    {
        std::lock_guard lock(m_mutex);
        m_finished.reset();
        m_progress = {};
        m_progress.files_total = requests.size();
        for (const auto& request : requests) m_progress.bytes_total += request.size;
    }
    m_thread = std::thread([this, requests = std::move(requests)] {
        media::Fetcher fetcher(m_store, m_options, m_sleeper, m_cache);
        auto outcomes = fetcher.fetch_all(requests, m_cancel, [this](const media::FetchProgress& progress) {
            std::lock_guard lock(m_mutex);
            m_progress.files_done = progress.items_done;
            m_progress.files_total = progress.items_total;
            m_progress.bytes_done = progress.bytes_done;
            m_progress.bytes_total = progress.bytes_total;
        });
        {
            std::lock_guard lock(m_mutex);
            m_finished = std::move(outcomes);
        }
        m_busy = false;
        if (m_wake)
            m_wake();
    });
}

std::optional<std::vector<media::FetchOutcome>> MediaDownloader::take_finished() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_finished, std::nullopt);
}

protocol::DownloadProgress MediaDownloader::progress() const {
    std::lock_guard lock(m_mutex);
    return m_progress;
}

std::vector<media::FetchRequest> fetch_requests(const std::vector<protocol::MediaEntry>& manifest) {
    std::vector<media::FetchRequest> requests;
    for (const auto& entry : manifest) requests.push_back({entry.url, entry.sha256, entry.size});
    return requests;
}

std::set<std::string> missing_media(const std::set<std::string>& needed, const media::MediaCache& cache) {
    std::set<std::string> missing;
    for (const auto& sha256 : needed)
        if (!cache.contains(sha256))
            missing.insert(sha256);
    return missing;
}

std::string describe_failures(const std::vector<media::FetchOutcome>& outcomes) {
    std::string text;
    for (const auto& outcome : outcomes) {
        if (outcome.result)
            continue;
        if (!text.empty())
            text += "; ";
        text += "media " + outcome.request.sha256.substr(0, 8) + ": " + outcome.result.error().message();
    }
    return text;
}

Duration download_round_wait(Duration first_wait, int failed_rounds, double unit_random) {
    media::RetryPolicy policy;
    policy.initial_delay = first_wait;
    policy.max_delay = std::max(first_wait, Duration{std::chrono::minutes{15}});
    policy.multiplier = 2.0;
    policy.jitter = 0.2;
    return media::retry_delay(policy, std::max(1, failed_rounds), unit_random);
}

BundleIntake::BundleIntake(PlayerState& state, media::MediaCache& cache,
                           std::unique_ptr<MediaDownloader> downloader, const Clock& clock,
                           DeviceHealth& health, Options options)
    : m_state(state),
      m_cache(cache),
      m_downloader(std::move(downloader)),
      m_clock(clock),
      m_health(health),
      m_options(std::move(options)),
      m_random(m_options.seed) {}

BundleIntake::Change BundleIntake::restore(const LocalInterlocks& interlocks) {
    const auto& keys = m_options.keys;
    if (auto stored = m_state.active_bundle(); stored && *stored) {
        m_active = decode_stored<protocol::Bundle>((*stored)->envelope, keys, protocol::MessageType::Bundle,
                                                   &protocol::decode_bundle);
        if (!m_active)
            m_health.report("state: the stored active bundle no longer verifies; ignored");
    }
    if (auto stored = m_state.desired_bundle(); stored && *stored) {
        auto desired = decode_stored<protocol::Bundle>(
            (*stored)->envelope, keys, protocol::MessageType::Bundle, &protocol::decode_bundle);
        if (!desired) {
            spdlog::warn("state: the stored desired bundle no longer verifies; dropped");
            (void)m_state.clear_desired();
        } else if (auto plan = Plan::create(&*desired, {}, interlocks, m_options.identity); !plan) {
            m_health.report("bundle " + std::to_string(desired->version) +
                            " refused: " + plan.error().message());
            (void)m_state.clear_desired();
        } else {
            m_desired = std::move(desired);
            m_desired_plan.emplace(std::move(*plan));
        }
    }
    return start_round();
}

BundleIntake::Change BundleIntake::receive(const std::string& payload, const LocalInterlocks& interlocks) {
    auto verified = protocol::verify_bundle(payload, m_options.keys, m_options.identity.id, applied_version(),
                                            m_clock.wall());
    if (!verified) {
        if (verified.error().reason == protocol::Refusal::Replay) {
            m_health.bundle_replayed();
            spdlog::info("bundle: {} (ignored; {} so far)", verified.error().message(),
                         m_health.replayed_bundles());
            return Change::None;
        }
        m_health.report("bundle refused: " + verified.error().message());
        return Change::None;
    }
    if (m_desired && m_desired->version >= verified->version) {
        m_health.bundle_replayed();
        spdlog::info("bundle: version {} again, version {} is already on its way (ignored; {} so far)",
                     verified->version, m_desired->version, m_health.replayed_bundles());
        return Change::None;
    }
    // Validated before it is stored: a bundle whose timeline cannot be resolved never becomes
    // the desired one (the one on its way, if any, stays).
    auto plan = Plan::create(&*verified, {}, interlocks, m_options.identity);
    if (!plan) {
        m_health.report("bundle " + std::to_string(verified->version) +
                        " refused: " + plan.error().message());
        return Change::None;
    }
    spdlog::info("bundle: version {} accepted ({} media items in its manifest)", verified->version,
                 verified->manifest.size());
    if (auto stored = m_state.set_desired({verified->version, payload}); !stored) {
        m_health.report("state: " + stored.error().message());
        return Change::None;
    }
    m_desired = std::move(*verified);
    m_desired_plan.emplace(std::move(*plan));
    m_health.clear();
    m_next_round = MonotonicTime{};
    m_failed_rounds = 0;
    // The next pump() fetches for it (or activates it at once), after the daemon pinned its media.
    return Change::Pins;
}

BundleIntake::Change BundleIntake::pump() {
    Change change = Change::None;
    if (auto round = m_downloader->take_finished())
        change = round_ended(*round);
    if (change != Change::Activated && !m_downloader->busy()) {
        const Change started = start_round();
        if (started != Change::None)
            change = started;
    }
    return change;
}

void BundleIntake::add_pins(std::set<std::string>& pins) const {
    if (m_active)
        for (const auto& entry : m_active->manifest) pins.insert(entry.sha256);
    if (m_desired)
        for (const auto& entry : m_desired->manifest) pins.insert(entry.sha256);
}

std::optional<protocol::DownloadProgress> BundleIntake::progress() const {
    if (m_desired || m_downloader->busy())
        return m_downloader->progress();
    return std::nullopt;
}

// The media the desired bundle must have verified on disk before it may play: what its own
// timeline plays in the activation horizon. Resolved without the live alerts: an alert that
// hides campaign items now must not let the bundle in without them once the alert ends. Alert
// media come with the alert and are fetched on their own.
std::optional<std::set<std::string>> BundleIntake::activation_media() {
    const TimePoint now = m_clock.wall();
    auto needed = m_desired_plan->needed_media(now, now + m_options.activation_horizon);
    if (!needed) {
        m_health.report("bundle: " + needed.error().message());
        return std::nullopt;
    }
    return std::move(*needed);
}

// Download rounds: for a desired bundle, first only what it needs to be activated; once it is
// active, the rest of its manifest (media for later than the activation horizon).
BundleIntake::Change BundleIntake::start_round() {
    if (m_downloader->busy() || m_clock.monotonic() < m_next_round)
        return Change::None;
    std::vector<protocol::MediaEntry> wanted;
    if (m_desired) {
        auto needed = activation_media();
        if (!needed)
            return Change::None;
        const auto missing = missing_media(*needed, m_cache);
        if (missing.empty())
            return activate("");
        for (const auto& entry : m_desired->manifest)
            if (missing.contains(entry.sha256))
                wanted.push_back(entry);
        m_round = Round::Activation;
    } else if (m_active && !m_active_complete) {
        for (const auto& entry : m_active->manifest)
            if (!m_cache.contains(entry.sha256))
                wanted.push_back(entry);
        if (wanted.empty()) {
            m_active_complete = true;
            return Change::None;
        }
        m_round = Round::Remainder;
    } else {
        return Change::None;
    }
    spdlog::info("bundle: fetching {} media items ({})", wanted.size(),
                 m_round == Round::Activation ? "needed to activate" : "needed later");
    m_downloader->start(fetch_requests(wanted));
    m_next_round = m_clock.monotonic() + m_options.download_retry;
    return Change::None;
}

// A round left media missing: the next one waits longer each time (download_round_wait).
// Returns what the status says about it.
std::string BundleIntake::back_off() {
    ++m_failed_rounds;
    const Duration wait = download_round_wait(m_options.download_retry, m_failed_rounds,
                                              std::uniform_real_distribution<double>(0.0, 1.0)(m_random));
    m_next_round = m_clock.monotonic() + wait;
    return "; next try in " + std::to_string(std::max<std::int64_t>(1, wait.count() / 1000)) + " s";
}

BundleIntake::Change BundleIntake::round_ended(const std::vector<media::FetchOutcome>& outcomes) {
    const Round round = std::exchange(m_round, Round::None);
    const std::string failures = describe_failures(outcomes);
    if (round == Round::Remainder) {
        if (m_desired) {
            m_next_round = MonotonicTime{};  // a newer bundle waits: fetch for it now
            m_failed_rounds = 0;
            return Change::None;
        }
        if (!failures.empty()) {
            m_health.report("bundle " + std::to_string(applied_version()) +
                            " plays; media for later not fetched yet: " + failures + back_off());
        } else {
            m_failed_rounds = 0;
        }
        return Change::None;
    }
    if (!m_desired)
        return Change::None;
    auto needed = activation_media();
    if (!needed)
        return Change::None;
    const auto missing = missing_media(*needed, m_cache);
    if (!missing.empty()) {
        m_health.report(
            "bundle " + std::to_string(m_desired->version) + " waits for " + std::to_string(missing.size()) +
            " media items: " + (failures.empty() ? std::string("not yet fetched") : failures) + back_off());
        return Change::None;
    }
    m_failed_rounds = 0;
    return activate(failures);
}

// Every item the desired bundle needs soon is verified on disk: it plays from now on.
BundleIntake::Change BundleIntake::activate(const std::string& failures) {
    if (auto activated = m_state.activate_desired(); !activated) {
        m_health.report("state: " + activated.error().message());
        return Change::None;
    }
    spdlog::info("bundle: version {} activated", m_desired->version);
    m_active = std::move(m_desired);
    m_desired.reset();
    m_desired_plan.reset();
    if (failures.empty())
        m_health.clear();
    else
        m_health.report(failures);
    m_active_complete = false;
    m_failed_rounds = 0;
    m_next_round = MonotonicTime{};  // the rest of its manifest, at once
    return Change::Activated;
}

}  // namespace bantin::player
