#include "bantin/media/fetch.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::media;
using namespace std::chrono_literals;

TEST_CASE("retry delay doubles from the initial delay up to the cap", "[media][fetch][retry]") {
    RetryPolicy policy;
    policy.initial_delay = 1s;
    policy.max_delay = 10s;
    policy.multiplier = 2.0;
    policy.jitter = 0.0;
    CHECK(retry_delay(policy, 1, 0.7) == 1s);
    CHECK(retry_delay(policy, 2, 0.7) == 2s);
    CHECK(retry_delay(policy, 3, 0.7) == 4s);
    CHECK(retry_delay(policy, 4, 0.7) == 8s);
    CHECK(retry_delay(policy, 5, 0.7) == 10s);
    CHECK(retry_delay(policy, 40, 0.7) == 10s);
}

TEST_CASE("retry jitter scales the delay down by at most the jitter fraction", "[media][fetch][retry]") {
    RetryPolicy policy;
    policy.initial_delay = 1s;
    policy.max_delay = 60s;
    policy.jitter = 0.5;
    CHECK(retry_delay(policy, 3, 0.0) == 4s);
    CHECK(retry_delay(policy, 3, 0.5) == 3s);
    CHECK(retry_delay(policy, 3, 0.999) > 2s - 10ms);
    CHECK(retry_delay(policy, 3, 0.999) >= 2s);
}

TEST_CASE("a cancel token wakes a waiter and is seen by its copies", "[media][fetch]") {
    CancelToken token;
    const CancelToken copy = token;
    CHECK_FALSE(copy.cancelled());
    token.cancel();
    CHECK(copy.cancelled());
    CHECK(copy.wait_for(std::chrono::hours{1}));  // returns at once
}
