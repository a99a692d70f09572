#pragma once
// The player daemon (bantin-player): the loop that wires the device's parts together.
// docs/player.md ("Player daemon") describes the whole.
//
// Parts, each with one job: BundleIntake (verify, validate, store, fetch, activate),
// AlertIntake (alerts, cancels, the hold after a restart), ProofUplink (proof rows: record,
// flush, ack), CommandDesk (commands and screenshots), DeviceHealth (what the status says is
// wrong), and the PlaybackEngine fed from the Plan. The daemon owns them and moves events
// between them; it decides nothing the parts can decide alone.
//
// Injected: the renderer, the MQTT link, the clock and the random seed (DaemonParts). create()
// makes the real ones (MpvRenderer, MqttClient, SystemClock's caller, a random seed);
// assemble() takes any, so tests run the whole loop with the fake renderer, a scripted MQTT
// link and simulated time: start(), then turn() after each clock step, then finish(). The state
// database, the content store and the cache are always the real ones, under config.state.dir.
//
// Lifecycle: create()/assemble() open the state database and the cache and build the parts
// (nothing is connected yet); run() = start() (restore the active bundle, subscribe, connect),
// turn() until request_stop(), finish() (an explicit "offline" status, a clean disconnect).
// A Daemon runs once.
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
#include "bantin/player/renderer.hpp"
#include "bantin/protocol/messages.hpp"
#include "bantin/protocol/mqtt_client.hpp"
#include "bantin/protocol/provisioning.hpp"

#include <cstdint>
#include <functional>
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

// What a daemon is wired from besides its configuration.
struct DaemonParts {
    const Clock* clock = nullptr;
    std::unique_ptr<Renderer> renderer;
    // Makes the MQTT link once the daemon knows its Last Will (an "offline" status). The link
    // calls `wake` from its network side whenever events wait for drain().
    std::function<Result<std::unique_ptr<protocol::MqttLink>>(protocol::MqttWill will,
                                                              protocol::WakeupHook wake)>
        mqtt;
    std::uint64_t seed = 0;  // boot id and download back-off jitter
};

class Daemon {
public:
    // The real parts: MpvRenderer, MqttClient to the provisioned broker, a random seed.
    static Result<std::unique_ptr<Daemon>> create(DaemonOptions options, const Clock& clock);
    static Result<std::unique_ptr<Daemon>> assemble(DaemonOptions options, DaemonParts parts);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    Result<void> run();
    void request_stop();

    // run() in steps, for tests on simulated time. turn() is one pass of the loop: it waits on
    // the renderer at most `wait` (the fake renderer never blocks), then handles what came.
    Result<void> start();
    void turn(Duration wait);
    bool stopping() const;
    void finish();
    // The status as it would be published now.
    protocol::Status status() const;

    struct Impl;

private:
    explicit Daemon(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace bantin::player
