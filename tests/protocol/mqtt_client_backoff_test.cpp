// The reconnection delay rule of MqttClient (documented in mqtt_client.hpp).

#include "bantin/protocol/mqtt_client.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace std::chrono_literals;
using bantin::protocol::reconnect_delay;

TEST_CASE("the reconnect delay doubles from the minimum per failed attempt", "[mqtt][backoff]") {
    // unit = 1 gives the top of the jitter range, the ceiling itself.
    CHECK(reconnect_delay(0, 500ms, 60s, 1.0) == 500ms);
    CHECK(reconnect_delay(1, 500ms, 60s, 1.0) == 1000ms);
    CHECK(reconnect_delay(2, 500ms, 60s, 1.0) == 2000ms);
    CHECK(reconnect_delay(6, 500ms, 60s, 1.0) == 32000ms);
}

TEST_CASE("the reconnect delay never exceeds the configured maximum", "[mqtt][backoff]") {
    CHECK(reconnect_delay(7, 500ms, 60s, 1.0) == 60s);
    CHECK(reconnect_delay(64, 500ms, 60s, 1.0) == 60s);
    CHECK(reconnect_delay(1000, 500ms, 60s, 0.999) <= 60s);
}

TEST_CASE("jitter spreads the delay over the upper half of the ceiling", "[mqtt][backoff]") {
    CHECK(reconnect_delay(3, 500ms, 60s, 0.0) == 2000ms);
    CHECK(reconnect_delay(3, 500ms, 60s, 0.5) == 3000ms);
    CHECK(reconnect_delay(3, 500ms, 60s, 1.0) == 4000ms);
    CHECK(reconnect_delay(20, 500ms, 60s, 0.0) == 30s);
}

// ReconnectBackoff: when the failure count restarts. Times are explicit monotonic points.

namespace {

using bantin::MonotonicTime;
using bantin::protocol::ReconnectBackoff;

MonotonicTime at(std::chrono::milliseconds offset) {
    return MonotonicTime{} + offset;
}

}  // namespace

TEST_CASE("repeated short-lived connections keep growing the delay up to the cap", "[mqtt][backoff]") {
    // A cloned client id: every connection is taken over by its twin half a second later.
    ReconnectBackoff backoff(500ms, 8s, 30s);
    std::chrono::milliseconds now{0};
    std::vector<std::chrono::milliseconds> delays;
    for (int round = 0; round < 8; ++round) {
        backoff.connected(at(now));
        now += 500ms;
        const auto delay = backoff.next_delay(at(now), 1.0);
        delays.push_back(delay);
        now += delay;
    }
    CHECK(delays == std::vector<std::chrono::milliseconds>{500ms, 1s, 2s, 4s, 8s, 8s, 8s, 8s});
    CHECK(backoff.failed_attempts() == 8);
}

TEST_CASE("regression: a CONNACK alone no longer resets the delay to the minimum", "[mqtt][backoff]") {
    // It used to: a client dropped right after every CONNACK retried every 0.5 s forever.
    ReconnectBackoff backoff(500ms, 60s, 30s);
    CHECK(backoff.next_delay(at(0ms), 1.0) == 500ms);  // failed attempt
    CHECK(backoff.next_delay(at(1s), 1.0) == 1s);      // failed attempt
    backoff.connected(at(2s));
    CHECK(backoff.next_delay(at(2s + 10ms), 1.0) == 2s);  // accepted, then dropped at once
    backoff.connected(at(5s));
    CHECK(backoff.next_delay(at(5s + 29'999ms), 0.0) == 2s);  // [2 s, 4 s]: still growing
}

TEST_CASE("a connection that stayed up past the stable period resets the delay", "[mqtt][backoff]") {
    ReconnectBackoff backoff(500ms, 60s, 30s);
    for (int i = 0; i < 6; ++i) {
        backoff.next_delay(at(std::chrono::seconds(i)), 1.0);
    }
    REQUIRE(backoff.failed_attempts() == 6);
    backoff.connected(at(10s));
    CHECK(backoff.next_delay(at(40s), 1.0) == 500ms);  // exactly the stable period
    CHECK(backoff.failed_attempts() == 1);
    CHECK(backoff.next_delay(at(41s), 1.0) == 1s);  // the next failure grows again
}

TEST_CASE("failed attempts without any connection grow the delay, jitter stays in the upper half",
          "[mqtt][backoff]") {
    ReconnectBackoff backoff(100ms, 1600ms, 30s);
    const std::vector<std::chrono::milliseconds> ceilings = {100ms, 200ms, 400ms, 800ms, 1600ms, 1600ms};
    for (std::size_t i = 0; i < ceilings.size(); ++i) {
        const auto delay = backoff.next_delay(at(std::chrono::seconds(i)), 0.25);
        INFO("attempt " << i);
        CHECK(delay >= ceilings[i] / 2);
        CHECK(delay <= ceilings[i]);
    }
}

TEST_CASE("with a zero stable period any CONNACK resets the delay (the old behaviour, on request)",
          "[mqtt][backoff]") {
    ReconnectBackoff backoff(500ms, 60s, 0ms);
    backoff.next_delay(at(0ms), 1.0);
    backoff.next_delay(at(1s), 1.0);
    backoff.connected(at(3s));
    CHECK(backoff.next_delay(at(3s), 1.0) == 500ms);
}
