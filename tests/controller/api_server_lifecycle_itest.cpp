// ApiServer's lifecycle on real sockets: httplib's stop() is lost when it comes before the
// accept loop runs, so start() returns only once it runs; stop() works in every state.

#include "bantin/controller/http_server.hpp"

#include <httplib.h>
#include <catch2/catch.hpp>

#include <atomic>

using namespace bantin;

TEST_CASE("the API server starts and stops 1000 times without losing a stop", "[http][lifecycle]") {
    std::atomic<int> answered{0};
    for (int round = 0; round < 1000; ++round) {
        controller::ApiServer server({});
        server.http().Get("/ping", [&](const httplib::Request&, httplib::Response& response) {
            ++answered;
            controller::send_json(response, 200, {{"round", round}});
        });
        auto port = server.start();
        REQUIRE(port);
        REQUIRE(server.running());
        if (round % 100 == 0) {
            httplib::Client client("127.0.0.1", *port);
            auto reply = client.Get("/ping");
            REQUIRE(reply);
            CHECK(reply->status == 200);
        }
        server.stop();
        CHECK_FALSE(server.running());
        server.stop();  // idempotent
    }
    CHECK(answered == 10);
}

TEST_CASE("stop works before start and after a failed start and twice", "[http][lifecycle]") {
    controller::ApiServer first({});
    first.stop();
    auto port = first.start();
    REQUIRE(port);
    // An address no interface here has (TEST-NET-1): bind fails.
    controller::ApiServerOptions elsewhere;
    elsewhere.address = "192.0.2.1";
    controller::ApiServer second(elsewhere);
    auto refused = second.start();
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::Network);
    second.stop();
    first.stop();
    first.stop();
    CHECK_FALSE(first.running());
}

TEST_CASE("a second API server on a port in use is refused, not sharing it", "[http][lifecycle]") {
    controller::ApiServer first({});
    first.http().Get("/who", [](const httplib::Request&, httplib::Response& response) {
        controller::send_json(response, 200, {{"server", "first"}});
    });
    auto port = first.start();
    REQUIRE(port);
    controller::ApiServerOptions same;
    same.port = *port;
    controller::ApiServer second(same);
    auto refused = second.start();
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::Network);
    CHECK(refused.error().detail == "cannot bind the API server to 127.0.0.1:" + std::to_string(*port));
    // Every connection still reaches the first server.
    for (int attempt = 0; attempt < 20; ++attempt) {
        httplib::Client client("127.0.0.1", *port);
        auto reply = client.Get("/who");
        REQUIRE(reply);
        CHECK(reply->body == R"({"server":"first"})");
    }
    first.stop();
}
