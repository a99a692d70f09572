#pragma once
// A fleet simulator: thousands of devices speaking only the documented wire protocol
// (docs/protocol.md) to a real broker, many per thread. It is the fleet benchmark's device
// side and a conformance client of the protocol.
//
// Each simulated device is one libmosquitto handle with its own account (username = client id
// = device id, the password the DeviceRegistry made for it), MQTT 5, clean start off with a
// session expiry, a Last Will that is its offline status, and the player's reconnect backoff
// (protocol::ReconnectBackoff: 1 s doubling to 120 s with jitter by default). It subscribes to
// its bundle, ack and command topics and to bantin/v1/alert/all and its zone's alert topic,
// and it
//   - verifies every bundle (protocol::verify_bundle), applies it (remembers its version) and
//     answers with a retained status carrying the applied version; a status also goes out on
//     every connection, as the player's does;
//   - verifies alerts and alert cancels (protocol::verify_alert) and records when;
//   - keeps proof-of-play rows in an outbox, numbered by seq from 1 for its install epoch,
//     sends fresh rows at once in batches of `batch_rows` on its pop topic, sends everything
//     unacknowledged again every `resend_interval` and after each reconnection, and deletes
//     rows only when a verified ack (protocol::verify_ack) for its install epoch names a
//     committed_seq at or above them;
//   - counts every message it refuses (a bad signature, a malformed payload).
// It does not fetch or play media; what it "plays" is what play() tells it to.
//
// The devices run on one thread of the simulator's own: an epoll loop over every device's
// socket (mosquitto_socket, mosquitto_loop_read/_write/_misc, mosquitto_want_write), so there
// is no select() and no descriptor limit but RLIMIT_NOFILE; libmosquitto's threaded loop is
// not used. Connections are opened `connect_rate` per second at the start (a fleet switched on
// over a minute does not arrive in one millisecond); reconnections follow the backoff.
//
// Threads: start(), stop(), snapshot(), counters() and play() may be called from any thread
// (one mutex is held while the loop handles a round of events). The process must hold a
// protocol::MosquittoLibrary.

#include "bantin/common/error.hpp"
#include "bantin/protocol/envelope.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bantin::fleet_sim {

using SteadyTime = std::chrono::steady_clock::time_point;

struct SimDevice {
    std::string id;
    std::string password;
    std::string zone;
};

struct SimOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 1883;
    protocol::TrustedKeys keys;
    std::chrono::seconds keepalive{60};
    std::chrono::seconds session_expiry{std::chrono::days{7}};
    std::chrono::milliseconds reconnect_min{1000};
    std::chrono::milliseconds reconnect_max{120'000};
    std::chrono::milliseconds resend_interval{10'000};
    std::size_t batch_rows = 100;
    int connect_rate = 2000;  // first connections per second
    std::string install_epoch = "1700000000000";
};

// What one device knows, copied out by snapshot(). Times are steady_clock; default (epoch)
// when it never happened.
struct DeviceView {
    std::string id;
    bool connected = false;
    std::uint32_t connections = 0;  // CONNACKs accepted
    SteadyTime connected_at;        // the latest
    std::uint64_t applied_version = 0;
    SteadyTime applied_at;              // when the latest bundle was verified and applied
    std::uint32_t bundles_applied = 0;  // bundles verified and applied (a replay is not one)
    std::uint32_t bundle_replays = 0;   // bundles refused as not newer than the applied one
    std::string alert_id;               // the latest verified alert
    SteadyTime alert_at;
    std::string cancelled_id;  // the latest verified cancel
    SteadyTime cancelled_at;
    std::uint64_t last_seq = 0;   // rows made so far
    std::uint64_t acked_seq = 0;  // highest committed_seq acked
    SteadyTime acked_at;
    std::uint64_t outbox_rows = 0;  // rows kept, not yet acked
    std::uint64_t refused = 0;      // messages refused (not counting replays)
};

struct SimCounters {
    std::uint64_t connects = 0;
    std::uint64_t disconnects = 0;
    std::uint64_t bundles = 0;
    std::uint64_t alerts = 0;
    std::uint64_t cancels = 0;
    std::uint64_t acks = 0;
    std::uint64_t batches_sent = 0;
    std::uint64_t refused = 0;
    std::uint64_t replays = 0;
};

class FleetSimulator {
public:
    FleetSimulator(SimOptions options, std::vector<SimDevice> devices);
    ~FleetSimulator();  // stop()
    FleetSimulator(const FleetSimulator&) = delete;
    FleetSimulator& operator=(const FleetSimulator&) = delete;

    // Creates every device's handle and starts the loop thread, which connects them.
    Result<void> start();
    // Disconnects every device cleanly and joins the loop thread; idempotent.
    void stop();

    std::size_t size() const;
    std::vector<DeviceView> snapshot() const;
    SimCounters counters() const;

    // Every device plays `rows` items now: each appends `rows` proof rows to its outbox and
    // sends the fresh ones (if connected; otherwise on its next connection).
    void play(std::size_t rows);

    class Loop;

private:
    std::unique_ptr<Loop> m_loop;
};

}  // namespace bantin::fleet_sim
