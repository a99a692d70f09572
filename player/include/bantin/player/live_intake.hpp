#pragma once
// Live intake: what the daemon does with its live topic (bantin/v1/live/zone/{zone}), from a
// signed message to the live channel its plan lays over the timeline (docs/player.md "Live
// channels").
//
//   verify   protocol::verify_live: signature, the device's zone, not past its end. A refusal is
//            reported in the status (last_error);
//   start    a channel this device has not seen end is open; a retained copy of an open one
//            changes nothing. With several open, the highest level plays, then the newest;
//   end      a LiveEnd closes the channel now; a start of a closed channel arriving again (a
//            QoS 1 redelivery) is ignored;
//   max end  a channel nobody closed ends at its ends_at (pump());
//   source   the live entry ended by itself (EOF or error: the operator's source stopped, the
//            Icecast mount is gone) before its end: after `retry_wait` the device connects
//            again; `retries` such losses in a row, each after less than `heard_enough` of
//            sound (a longer play resets the count), end the channel on this device, and it
//            returns to its schedule. While it waits to retry, the schedule plays.
//
// Nothing is stored: after a restart the retained message on the live topic says whether a
// channel is still open (the broker holds it until the channel's ends_at).
//
// Threads: the daemon's loop. Times come from the injected clock.

#include "bantin/common/clock.hpp"
#include "bantin/player/runner.hpp"
#include "bantin/player/status.hpp"
#include "bantin/protocol/envelope.hpp"

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace bantin::player {

class LiveIntake {
public:
    struct Options {
        protocol::TrustedKeys keys;
        std::string zone;
        int retries = 3;
        Duration retry_wait{1000};
        Duration heard_enough{10000};
        // The built-in chime (media/alert_tone.hpp, staged in the cache) rings before the channel.
        bool chime = true;
    };
    LiveIntake(const Clock& clock, DeviceHealth& health, Options options);

    enum class Change { None, Replan };

    // A payload from the live topic.
    Change receive(const std::string& payload);
    // Every loop pass: a channel past its end, or a retry whose wait is over.
    Change pump();
    // The live entry of `live_id` ended by itself before its planned end (not cut by the plan),
    // after `heard_for` of sound (0 if it never started).
    Change lost(const std::string& live_id, Duration heard_for);

    // The channel the plan lays over the timeline now, if any (none while a retry waits).
    std::optional<LiveChannel> channel() const;
    // How long until pump() has something to do (a channel's end, a retry); capped.
    Duration time_until_next(Duration ceiling) const;
    std::size_t open() const { return m_open.size(); }

private:
    void close(const std::string& live_id);

    struct Open {
        protocol::LiveStart start;
        int losses = 0;
        std::optional<MonotonicTime> retry_at;
    };
    const Clock& m_clock;
    DeviceHealth& m_health;
    Options m_options;
    std::map<std::string, Open> m_open;
    std::set<std::string> m_closed;  // bounded by max_closed
};

}  // namespace bantin::player
