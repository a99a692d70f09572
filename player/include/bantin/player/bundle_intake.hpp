#pragma once
// Bundle intake: what the daemon does between "a signed bundle arrived" and "it plays".
//
//   1. verify (protocol::verify_bundle: signature by a trusted key, this device, a version
//      newer than the active one, not expired). A refusal is logged and reported as the
//      status's last_error; a replay (a retained copy, a version not newer than the one held)
//      is logged at info and counted. The active bundle keeps playing either way;
//   2. validate: its plan must resolve (Plan::create) before anything is stored. The plan is
//      kept: it answers "which media does it need soon" until the bundle is activated;
//   3. store it as the desired bundle (PlayerState);
//   4. fetch (MediaDownloader: media::Fetcher on a worker thread, resume, sha256 check, retries
//      with backoff, bounded concurrency, progress) what its timeline plays in the activation
//      horizon (24 h by default);
//   5. activate it once all of that is verified on disk; until then the active one, the last
//      good bundle, keeps playing. A round that left media missing is retried after
//      download_round_wait(). Once active, the rest of its manifest is fetched in the background.
//
// Threads: BundleIntake and MediaDownloader::start()/take_finished()/progress() on the daemon's
// loop; the transfers run on the downloader's own thread, which calls `wake` when a round ends.

#include "bantin/common/error.hpp"
#include "bantin/media/cache.hpp"
#include "bantin/media/fetch.hpp"
#include "bantin/player/player_state.hpp"
#include "bantin/player/runner.hpp"
#include "bantin/player/status.hpp"
#include "bantin/protocol/messages.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace bantin::player {

class MediaDownloader {
public:
    MediaDownloader(media::ContentStore store, media::FetchOptions options, media::MediaCache* cache,
                    std::function<void()> wake);
    ~MediaDownloader();  // cancels a round in progress and joins
    MediaDownloader(const MediaDownloader&) = delete;
    MediaDownloader& operator=(const MediaDownloader&) = delete;

    bool busy() const;
    // Starts a round (only when not busy). Items already in the store are not downloaded.
    void start(std::vector<media::FetchRequest> requests);
    // The outcomes of the round that ended, once.
    std::optional<std::vector<media::FetchOutcome>> take_finished();
    protocol::DownloadProgress progress() const;

private:
    void join();
    media::ContentStore m_store;
    media::FetchOptions m_options;
    media::MediaCache* m_cache;
    std::function<void()> m_wake;
    media::RealSleeper m_sleeper;
    media::CancelToken m_cancel;
    std::thread m_thread;
    std::atomic<bool> m_busy{false};
    mutable std::mutex m_mutex;
    std::optional<std::vector<media::FetchOutcome>> m_finished;
    protocol::DownloadProgress m_progress;
};

std::vector<media::FetchRequest> fetch_requests(const std::vector<protocol::MediaEntry>& manifest);

// The digests of `needed` that are not verified in the cache.
std::set<std::string> missing_media(const std::set<std::string>& needed, const media::MediaCache& cache);

// One line per failed outcome, for logs and the status ("media 60303ae2: crypto: ...").
std::string describe_failures(const std::vector<media::FetchOutcome>& outcomes);

// The wait before the next download round after `failed_rounds` (>= 1) rounds in a row left
// media missing: first_wait * 2^(failed_rounds - 1), capped at 15 minutes (or first_wait if
// longer), scaled down by up to 20 % with `unit_random` in [0, 1) so that a fleet that failed
// together does not retry together. Each round retries every item with its own backoff first.
Duration download_round_wait(Duration first_wait, int failed_rounds, double unit_random);

class BundleIntake {
public:
    struct Options {
        protocol::TrustedKeys keys;
        DeviceIdentity identity;
        // The wait after a round that left media missing (doubled per further such round).
        Duration download_retry{30000};
        Duration activation_horizon{std::chrono::hours{24}};
        std::uint64_t seed = 0;  // the jitter of the round waits
    };
    BundleIntake(PlayerState& state, media::MediaCache& cache, std::unique_ptr<MediaDownloader> downloader,
                 const Clock& clock, DeviceHealth& health, Options options);

    // What changed for the daemon: the cache pins (a desired bundle came or went), or the
    // active bundle (activated: the plan must be rebuilt and the pins updated).
    enum class Change { None, Pins, Activated };

    // Start-up: the active and desired bundles from the state database, verified again.
    Change restore(const LocalInterlocks& interlocks);
    // A payload from the device's bundle topic.
    Change receive(const std::string& payload, const LocalInterlocks& interlocks);
    // Every loop pass: takes the round that ended, starts the next one when it is due.
    Change pump();

    const protocol::Bundle* active() const { return m_active ? &*m_active : nullptr; }
    const protocol::Bundle* desired() const { return m_desired ? &*m_desired : nullptr; }
    std::uint64_t applied_version() const { return m_active ? m_active->version : 0; }
    // The media of the active and the desired bundle (never evicted from the cache).
    void add_pins(std::set<std::string>& pins) const;
    // While a bundle waits or a round runs.
    std::optional<protocol::DownloadProgress> progress() const;

private:
    enum class Round { None, Activation, Remainder };
    std::optional<std::set<std::string>> activation_media();
    Change start_round();
    Change round_ended(const std::vector<media::FetchOutcome>& outcomes);
    Change activate(const std::string& failures);
    std::string back_off();

    PlayerState& m_state;
    media::MediaCache& m_cache;
    std::unique_ptr<MediaDownloader> m_downloader;
    const Clock& m_clock;
    DeviceHealth& m_health;
    Options m_options;
    std::optional<protocol::Bundle> m_active;
    std::optional<protocol::Bundle> m_desired;
    std::optional<Plan> m_desired_plan;  // built once, when the desired bundle was validated
    MonotonicTime m_next_round{};
    Round m_round = Round::None;
    // Every item of the active bundle's manifest is on disk (nothing left to fetch for it).
    bool m_active_complete = false;
    // Rounds in a row that left media missing: the wait before the next one grows with it.
    int m_failed_rounds = 0;
    std::mt19937_64 m_random;
};

}  // namespace bantin::player
