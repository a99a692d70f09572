#pragma once
// The status the daemon publishes, retained, on bantin/v1/dev/{id}/status: when something a
// person watches changes, and every status interval (30 s by default) as a heartbeat. The
// Last Will is the same message with presence "offline", so the broker marks a device that
// vanished offline; a clean stop publishes "offline" itself first.
//
// StatusBoard decides when to publish: changed() compares the fields an operator reads
// (everything except reported_at and uptime_ms) with the last published status.
// Threads: the daemon's loop. No errors.

#include "bantin/common/clock.hpp"
#include "bantin/protocol/messages.hpp"
#include "bantin/scheduler/model.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bantin::player {

class StatusBoard {
public:
    explicit StatusBoard(Duration interval) : m_interval(interval) {}

    // True when `status` should go out now: it differs from the last one published, or the
    // interval has passed since then (monotonic time).
    bool due(const protocol::Status& status, MonotonicTime now) const;
    void published(const protocol::Status& status, MonotonicTime now);
    // Forces the next due() to be true (after a reconnection).
    void invalidate() { m_last.reset(); }

private:
    Duration m_interval;
    std::optional<protocol::Status> m_last;
    MonotonicTime m_last_at{};
};

// The status fields that matter for "did it change": everything but the timestamps.
bool same_report(const protocol::Status& a, const protocol::Status& b);

// What the status says is wrong with the device, kept by the daemon's parts in one place:
//   last_error     the last problem reported (a refused bundle, a failed fetch or media item);
//                  cleared when a bundle is accepted or activated cleanly;
//   state writes   a write to the state database that failed (a full or read-only disk). Its
//                  text stays in last_error until every waiting write went through;
//   audio          the audio output could not be opened: reported once and carried in every
//                  status. On a speaker it makes the device unhealthy (nobody hears its plays)
//                  and clears when an item plays through; a screen keeps it until restart;
//   replays        bundles received again with a version not newer than the one held.
// Threads: the daemon's loop. Logs what it is told (spdlog), at the level the condition needs.
class DeviceHealth {
public:
    explicit DeviceHealth(scheduler::DeviceKind kind) : m_kind(kind) {}

    void report(std::string text);
    void clear() { m_last_error.reset(); }
    const std::optional<std::string>& last_error() const { return m_last_error; }

    void state_write_failed(std::string text);
    // A state write went through: once no part has a write waiting (waiting_writes()), the
    // error the failed writes left goes from last_error.
    void state_write_succeeded();
    // A part that keeps failed writes in memory says here whether any still wait.
    void waiting_writes(std::function<bool()> any_waiting) { m_waiting.push_back(std::move(any_waiting)); }

    void audio_unavailable(const std::string& detail);
    void audio_played();  // an item played through with its audio

    void bundle_replayed() { ++m_replayed_bundles; }
    std::uint64_t replayed_bundles() const { return m_replayed_bundles; }

    // Sets last_error (the audio problem wins: it is the device's state), unhealthy and
    // replayed_bundles on `status`.
    void fill(protocol::Status& status) const;

private:
    scheduler::DeviceKind m_kind;
    std::optional<std::string> m_last_error;
    std::optional<std::string> m_state_write_error;
    std::optional<std::string> m_audio_problem;
    std::uint64_t m_replayed_bundles = 0;
    std::vector<std::function<bool()>> m_waiting;
};

}  // namespace bantin::player
