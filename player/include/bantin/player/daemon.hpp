#pragma once
// The player daemon (bantin-player): wires the provisioning file, the player config, the
// local state, the media cache and fetcher, the MQTT client, the timeline runner and the
// playback engine into one foreground loop. docs/player.md ("Player daemon") describes the whole.
//
// Lifecycle: create() opens the state database and the cache, builds the renderer and the
// MQTT client (nothing is connected yet); run() connects, restores the active bundle, plays
// and returns when request_stop() was called, after publishing an explicit "offline" status
// and disconnecting cleanly. A Daemon runs once.
//
// Threads: create() and run() on the thread that may own the renderer (main() for a screen).
// request_stop() may be called from any thread (a signal-waiting thread, a test): it sets a
// flag and wakes the loop. The loop owns everything else; MQTT's network thread, the media
// download threads and mpv's threads only push events and wake it.
//
// Errors: create() returns the first start-up failure (state database, cache directory,
// renderer, MQTT client options); run() returns an error only if the loop cannot go on
// (the renderer shut down). Everything the outside world does wrong later (bad bundles,
// unreachable broker or media server, undecodable media, a full disk) is logged, reported
// in the status and survived.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/config/player_config.hpp"
#include "bantin/protocol/provisioning.hpp"

#include <memory>
#include <string>

namespace bantin::player {

struct DaemonOptions {
    config::PlayerConfig config;
    protocol::Provisioning provisioning;
    std::string software_version = "0.1.0";
    // How far ahead the runner hands timeline entries to the engine.
    Duration horizon = std::chrono::minutes{2};
    // How long unacknowledged proof rows wait before they are sent again.
    Duration resend_interval = std::chrono::seconds{10};
    // How long to wait after a download round that left media missing before the next one;
    // doubled after every further such round (download_round_wait), reset by a round that
    // fetched everything or by a new bundle.
    Duration download_retry = std::chrono::seconds{30};
};

// The wait before the next download round after `failed_rounds` (>= 1) rounds in a row left
// media missing: first_wait * 2^(failed_rounds - 1), capped at 15 minutes (or first_wait if
// longer), scaled down by up to 20 % with `unit_random` in [0, 1) so that a fleet that failed
// together does not retry together. Each round retries every item with its own backoff first.
Duration download_round_wait(Duration first_wait, int failed_rounds, double unit_random);

class Daemon {
public:
    static Result<std::unique_ptr<Daemon>> create(DaemonOptions options, const Clock& clock);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    Result<void> run();
    void request_stop();

    struct Impl;

private:
    explicit Daemon(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace bantin::player
