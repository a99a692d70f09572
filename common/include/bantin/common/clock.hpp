#pragma once
// The injected clock. Daemons take a Clock& and never call std::chrono's clocks directly, so
// tests can run them on simulated time (tests/support/simulated_clock.hpp).
//
// wall(): UTC wall time, for schedules, display and proof-of-play timestamps; it can jump
// (NTP, an operator). monotonic(): never jumps, for timeouts, retry backoff and measured
// durations. Both may be called from any thread.

#include "bantin/common/time.hpp"

#include <chrono>

namespace bantin {

using MonotonicTime = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint wall() const = 0;
    virtual MonotonicTime monotonic() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint wall() const override {
        return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
    }
    MonotonicTime monotonic() const override {
        return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
    }
};

}  // namespace bantin
