// The hostile-input corpus (tests/hostile/, docs/hostile-input.md) against a real API server:
// raw HTTP requests, API bodies and uploads, each with the refusal its manifest entry names.
// Every raw request is followed on the same connection by a request that must never be
// answered (the connection closes after a refusal), and after every entry a normal request
// must still be answered.

#include "api_fixture.hpp"
#include "support/hostile_corpus.hpp"
#include "support/raw_http.hpp"

#include <string>

using namespace bantin;
using bantin::testing::ApiFixture;

namespace {

const std::string follow_up = "GET /api/v1/auth/me HTTP/1.1\r\nHost: bantin\r\n\r\n";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// LF -> CRLF, the token, and {LENGTH}: the bytes after the blank line.
std::string wire_request(const std::string& file, const std::string& token) {
    std::string request = replace_all(replace_all(file, "\n", "\r\n"), "{TOKEN}", token);
    const auto blank = request.find("\r\n\r\n");
    const std::size_t body = blank == std::string::npos ? 0 : request.size() - (blank + 4);
    return replace_all(request, "{LENGTH}", std::to_string(body));
}

void check_answer(const nlohmann::json& entry, int status, const std::string& body) {
    INFO(body.substr(0, 2000));
    CHECK(status == entry.at("status").get<int>());
    if (entry.contains("error")) {
        auto parsed = nlohmann::json::parse(body, nullptr, false);
        REQUIRE_FALSE(parsed.is_discarded());
        CHECK(parsed.value("error", std::string{}) == entry.at("error").get<std::string>());
    }
    if (entry.contains("detail"))
        CHECK_THAT(body, Catch::Contains(entry.at("detail").get<std::string>()));
}

}  // namespace

TEST_CASE("hostile corpus: raw HTTP requests are refused as listed and the connection closes",
          "[http][hostile][corpus]") {
    ApiFixture api;
    const std::string token = api.sign_in("editor", controller::Role::Editor);
    for (const auto& entry : testing::hostile_manifest().at("http")) {
        const std::string file = entry.at("file");
        DYNAMIC_SECTION(file) {
            auto exchange = testing::raw_exchange(
                api.server->port(), wire_request(testing::hostile_content(entry), token) + follow_up);
            INFO(exchange.bytes.substr(0, 2000));
            auto responses = exchange.responses();
            REQUIRE(responses.size() == 1);
            check_answer(entry, responses[0].status, responses[0].body);
            CHECK(responses[0].header("Connection") == std::optional<std::string>{"close"});
            CHECK(responses[0].header("X-Content-Type-Options") == std::optional<std::string>{"nosniff"});
            CHECK(exchange.closed);
            require_alive(api);
        }
    }
}

TEST_CASE("hostile corpus: API bodies get the listed answer and the server goes on",
          "[http][hostile][corpus]") {
    ApiFixture api;
    const std::string editor = api.sign_in("editor", controller::Role::Editor);
    const std::string admin = api.sign_in("admin", controller::Role::Admin);
    for (const auto& entry : testing::hostile_manifest().at("api")) {
        const std::string file = entry.at("file");
        DYNAMIC_SECTION(file) {
            const std::string role = entry.value("role", std::string{"none"});
            httplib::Headers headers;
            if (role == "editor")
                headers = ApiFixture::bearer(editor);
            else if (role == "admin")
                headers = ApiFixture::bearer(admin);
            const std::string target = entry.at("target");
            auto answer = api.client->Post(target.c_str(), headers, testing::hostile_content(entry),
                                           "application/json");
            REQUIRE(answer);
            check_answer(entry, answer->status, answer->body);
            CHECK(answer->get_header_value("X-Content-Type-Options") == "nosniff");
            require_alive(api);
        }
    }
}

TEST_CASE("hostile corpus: uploads get the listed answer and nothing is stored", "[http][hostile][corpus]") {
    ApiFixture api;
    const std::string editor = api.sign_in("editor", controller::Role::Editor);
    for (const auto& entry : testing::hostile_manifest().at("uploads")) {
        const std::string file = entry.at("file");
        DYNAMIC_SECTION(file) {
            auto answer = api.upload(entry.at("name"), editor, testing::hostile_content(entry),
                                     entry.value("content_type", std::string{"application/octet-stream"}));
            REQUIRE(answer);
            check_answer(entry, answer->status, answer->body);
            CHECK(api.media_rows() == 0);
            require_alive(api);
        }
    }
}
