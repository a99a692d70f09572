// The HTTP server's own defences, spoken to in raw HTTP over a loopback socket (httplib::Client
// would normalise every request here): framing refusals, connection closing after refusals
// (no smuggling), the JSON depth and number limits, bytes that are not UTF-8 and exceptions.
// After each attack a normal request must still be answered.

#include "api_fixture.hpp"
#include "support/raw_http.hpp"

#include <atomic>
#include <string>

using namespace bantin;
using bantin::testing::ApiFixture;
using bantin::testing::raw_exchange;
using bantin::testing::RawConnection;

namespace {

// A request the server must never see: if it answers it, a body was taken for a request.
const std::string smuggled = "GET /api/v1/auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

// One response, status `status`, carrying Connection: close and nosniff, then the close.
void check_refused_and_closed(const testing::RawExchange& exchange, int status) {
    INFO(exchange.bytes);
    auto responses = exchange.responses();
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == status);
    CHECK(responses[0].header("Connection") == std::optional<std::string>{"close"});
    CHECK(responses[0].header("X-Content-Type-Options") == std::optional<std::string>{"nosniff"});
    CHECK(exchange.closed);
    auto body = nlohmann::json::parse(responses[0].body, nullptr, false);
    REQUIRE_FALSE(body.is_discarded());
    CHECK(body.contains("error"));
}

std::string post(const std::string& target, const std::string& extra_headers, const std::string& body) {
    return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
           extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("a path holding bytes that are not UTF-8 gets a JSON 404 and the server lives", "[http][hostile]") {
    ApiFixture api;
    for (const std::string target : {"/%ff", "/api/v1/%ff%fe%c3", "/api/v1/media/%ed%a0%80"}) {
        auto exchange =
            raw_exchange(api.server->port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled);
        auto responses = exchange.responses();
        INFO(exchange.bytes);
        REQUIRE_FALSE(responses.empty());
        CHECK(responses[0].status == 404);
        auto body = nlohmann::json::parse(responses[0].body, nullptr, false);
        REQUIRE_FALSE(body.is_discarded());
        CHECK(body["error"] == "not-found");
        CHECK(responses[0].header("X-Content-Type-Options") == std::optional<std::string>{"nosniff"});
        CHECK(responses.size() == 1);  // the connection closed after the 404
        require_alive(api);
    }
}

TEST_CASE("100000-level nested JSON is refused naming the depth limit before it is parsed",
          "[http][hostile]") {
    ApiFixture api;
    const std::string token = api.sign_in("admin", controller::Role::Admin);
    const std::string arrays = std::string(100'000, '[') + std::string(100'000, ']');
    const std::string objects = [] {
        std::string text;
        for (int i = 0; i < 100'000; ++i) text += "{\"a\":";
        text += "1";
        text += std::string(100'000, '}');
        return text;
    }();
    for (const auto& body : {arrays, objects, "{\"id\":" + arrays + "}"}) {
        for (const std::string& target : {std::string{"/api/v1/auth/login"}, std::string{"/api/v1/zones"}}) {
            auto exchange = raw_exchange(api.server->port(),
                                         post(target, "Authorization: Bearer " + token + "\r\n", body));
            check_refused_and_closed(exchange, 400);
            const std::string detail = nlohmann::json::parse(exchange.responses()[0].body)["detail"];
            CHECK_THAT(detail, Catch::Contains("limit of 64 levels"));
            require_alive(api);
        }
    }
}

TEST_CASE("numbers out of range are refused naming the offset or the field, never 500", "[http][hostile]") {
    ApiFixture api;
    auto overflow = raw_exchange(api.server->port(), post("/api/v1/auth/login", "", R"({"name":1e400})"));
    check_refused_and_closed(overflow, 400);
    const std::string detail = nlohmann::json::parse(overflow.responses()[0].body)["detail"];
    CHECK_THAT(detail, Catch::Contains("number out of range at byte 8"));
    CHECK_THAT(detail, Catch::Contains("1e400"));
    CHECK(detail.find("json.exception") == std::string::npos);

    auto huge = raw_exchange(api.server->port(), post("/api/v1/auth/login", "",
                                                      R"({"name":99999999999999999999999,"password":"x"})"));
    auto responses = huge.responses();
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status >= 400);
    CHECK(responses[0].status < 500);
    CHECK_THAT(responses[0].body, Catch::Contains("name"));
    require_alive(api);
}

TEST_CASE("malformed or repeated Content-Length is refused before any body byte is read", "[http][hostile]") {
    ApiFixture api;
    const std::string body = smuggled;  // the body, if read as a request, would be answered
    for (const std::string length :
         {"+5", "-1", "0x10", "5, 5", "5 5", "1e3", "abc", "99999999999999999999999"}) {
        DYNAMIC_SECTION("Content-Length: " << length) {
            auto exchange =
                raw_exchange(api.server->port(),
                             "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: " + length +
                                 "\r\n\r\n" + body);
            check_refused_and_closed(exchange, 400);
            CHECK_THAT(exchange.responses()[0].body, Catch::Contains("Content-Length"));
            require_alive(api);
        }
    }
    SECTION("two Content-Length headers") {
        auto exchange = raw_exchange(api.server->port(),
                                     "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                                     "Content-Length: " +
                                         std::to_string(body.size()) + "\r\n\r\n" + body);
        check_refused_and_closed(exchange, 400);
        CHECK_THAT(exchange.responses()[0].body, Catch::Contains("sent 2 times"));
        require_alive(api);
    }
}

TEST_CASE("Content-Length with Transfer-Encoding, unknown codings and GET bodies are refused and closed",
          "[http][hostile]") {
    ApiFixture api;
    const int port = api.server->port();
    SECTION("Content-Length and Transfer-Encoding together") {
        auto exchange = raw_exchange(port,
                                     "POST /api/v1/media HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
                                         smuggled);
        check_refused_and_closed(exchange, 400);
    }
    SECTION("a coding other than chunked") {
        auto exchange = raw_exchange(port,
                                     "POST /api/v1/media HTTP/1.1\r\nHost: x\r\n"
                                     "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" +
                                         smuggled);
        check_refused_and_closed(exchange, 400);
    }
    SECTION("a GET with a Content-Length body") {
        auto exchange = raw_exchange(port, "GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                               std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
        check_refused_and_closed(exchange, 400);
    }
    SECTION("a HEAD with a chunked body") {
        auto exchange = raw_exchange(
            port, "HEAD /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                      std::string{"5\r\nhello\r\n0\r\n\r\n"} + smuggled);
        INFO(exchange.bytes);
        CHECK(exchange.bytes.rfind("HTTP/1.1 400", 0) == 0);
        CHECK(exchange.bytes.find("HTTP/1.1", 1) == std::string::npos);
        CHECK(exchange.closed);
    }
    SECTION("a chunked JSON body") {
        auto exchange = raw_exchange(
            port, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                      std::string{"5\r\n{}{}{\r\n0\r\n\r\n"} + smuggled);
        check_refused_and_closed(exchange, 411);
    }
    SECTION("a request head over 64 KiB") {
        std::string head = "GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\n";
        for (int i = 0; i < 12; ++i)
            head += "X-Padding-" + std::to_string(i) + ": " + std::string(6000, 'a') + "\r\n";
        auto exchange = raw_exchange(port, head + "\r\n");
        check_refused_and_closed(exchange, 400);
    }
    require_alive(api);
}

TEST_CASE("refusals close the connection so an unread body is never the next request", "[http][hostile]") {
    ApiFixture api;
    const int port = api.server->port();
    SECTION("413 on a JSON route") {
        const std::string body = smuggled + std::string(2 * 1024 * 1024 - smuggled.size(), ' ');
        RawConnection connection(port);
        connection.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + smuggled);
        check_refused_and_closed(connection.read_to_close(), 413);
    }
    SECTION("401 on an upload, before its body is read") {
        RawConnection connection(port);
        connection.send(
            "POST /api/v1/media HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\n"
            "Content-Length: 500000\r\n\r\n" +
            smuggled);
        check_refused_and_closed(connection.read_to_close(), 401);
    }
    SECTION("a second request on a refused connection is not answered") {
        RawConnection connection(port);
        connection.send(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n");
        auto first = connection.read_until(1);
        REQUIRE(first.responses().size() == 1);
        connection.send(smuggled);
        auto all = connection.read_to_close();
        CHECK(all.responses().size() == 1);
        CHECK(all.closed);
    }
    SECTION("an upload over the limit with a Content-Length answers 413") {
        const std::string token = api.sign_in("editor", controller::Role::Editor);
        RawConnection connection(port);
        connection.send("POST /api/v1/media?name=big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                        "\r\nContent-Type: video/mp4\r\nContent-Length: 50000000\r\n\r\n" + smuggled);
        auto exchange = connection.read_to_close();
        check_refused_and_closed(exchange, 413);
        CHECK(api.media_rows() == 0);
    }
    require_alive(api);
}

TEST_CASE("every answer says nosniff, including 404s and errors", "[http][hostile]") {
    ApiFixture api;
    auto missing = api.client->Get("/nowhere");
    REQUIRE(missing);
    CHECK(missing->status == 404);
    CHECK(missing->get_header_value("X-Content-Type-Options") == "nosniff");
    auto refused = api.client->Get("/api/v1/media");
    REQUIRE(refused);
    CHECK(refused->status == 401);
    CHECK(refused->get_header_value("X-Content-Type-Options") == "nosniff");
    const std::string token = api.sign_in("editor", controller::Role::Editor);
    auto listed = api.get("/api/v1/media", token);
    REQUIRE(listed);
    CHECK(listed->status == 200);
    CHECK(listed->get_header_value("X-Content-Type-Options") == "nosniff");
}

TEST_CASE("an exception in a handler answers a generic 500 with an incident id, never its text",
          "[http][hostile]") {
    controller::ApiServer server({});
    server.http().Get("/boom", [](const httplib::Request&, httplib::Response&) {
        throw std::runtime_error("secret: /var/lib/bantin/controller.db is locked");
    });
    server.http().Get("/fine", [](const httplib::Request&, httplib::Response& response) {
        controller::send_json(response, 200, {{"ok", true}});
    });
    auto port = server.start();
    REQUIRE(port);
    httplib::Client client("127.0.0.1", *port);
    for (int round = 0; round < 3; ++round) {
        auto boom = client.Get("/boom");
        REQUIRE(boom);
        CHECK(boom->status == 500);
        CHECK(boom->body.find("secret") == std::string::npos);
        CHECK_THAT(boom->body, Catch::Contains("Lỗi nội bộ"));
        CHECK_THAT(boom->body, Catch::Contains("incident"));
        auto fine = client.Get("/fine");
        REQUIRE(fine);
        CHECK(fine->status == 200);
    }
}
