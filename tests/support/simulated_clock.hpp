#pragma once
// A Clock for tests whose time moves only when the test calls advance() or set_wall().
//
// Wall and monotonic time start at fixed, arbitrary instants and advance together; set_wall()
// moves only wall time (an NTP step), which monotonic time never sees. Safe to read from any
// thread; advance from one thread at a time.

#include "bantin/common/clock.hpp"

#include <atomic>
#include <cstdint>

namespace bantin::testing {

class SimulatedClock final : public Clock {
public:
    // 2026-01-01T00:00:00Z by default: a fixed instant, so tests never depend on today.
    explicit SimulatedClock(TimePoint wall_start = from_unix_ms(1'767'225'600'000))
        : m_wall_ms(to_unix_ms(wall_start)) {}

    TimePoint wall() const override { return from_unix_ms(m_wall_ms.load()); }
    MonotonicTime monotonic() const override { return MonotonicTime{Duration{m_monotonic_ms.load()}}; }

    void advance(Duration step) {
        m_wall_ms += step.count();
        m_monotonic_ms += step.count();
    }
    void set_wall(TimePoint wall) { m_wall_ms = to_unix_ms(wall); }

private:
    std::atomic<std::int64_t> m_wall_ms;
    std::atomic<std::int64_t> m_monotonic_ms{1'000'000};
};

}  // namespace bantin::testing
