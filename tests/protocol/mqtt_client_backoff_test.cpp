// The reconnection delay rule of MqttClient (documented in mqtt_client.hpp).

#include "bantin/protocol/mqtt_client.hpp"

#include <catch2/catch.hpp>

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
