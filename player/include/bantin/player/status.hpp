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

#include <optional>

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

}  // namespace bantin::player
