#pragma once
// A controller API server on a free 127.0.0.1 port serving ApiContextFixture's context (a real
// SQLite file and a real media store in a temporary directory), with an httplib client and
// helpers to sign people in and to make media files with ffmpeg. Route tests of every API file
// can reuse it: register more routes with `register_extra` before `start()`.

#include "api_context_fixture.hpp"
#include "bantin/controller/http_front.hpp"
#include "bantin/controller/http_server.hpp"

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace bantin::testing {

class ApiFixture : public ApiContextFixture {
public:
    ApiFixture() {
        controller::ApiServerOptions options;
        options.address = "127.0.0.1";
        options.port = 0;
        options.max_body_bytes = 1024 * 1024 + 64 * 1024;
        server = std::make_unique<controller::ApiServer>(options);
        controller::register_content_routes(*server, *context);
        controller::register_front_routes(*server, *context);
        server->http().set_logger(
            [this](const httplib::Request&, const httplib::Response&) { requests_handled.fetch_add(1); });
        auto port = server->start();
        if (!port)
            FAIL(port.error().message());
        client = std::make_unique<httplib::Client>("127.0.0.1", *port);
        client->set_read_timeout(60, 0);
    }

    ~ApiFixture() { server->stop(); }

    // Requests the API server has answered (its logger counts them).
    std::atomic<int> requests_handled{0};

    // A user with password "password-of-<name>", signed in through the API: returns the token.
    std::string sign_in(const std::string& name, controller::Role role) {
        add_user(name, role);
        auto response = client->Post(
            "/api/v1/auth/login", nlohmann::json{{"name", name}, {"password", "password-of-" + name}}.dump(),
            "application/json");
        REQUIRE(response);
        REQUIRE(response->status == 200);
        return nlohmann::json::parse(response->body).at("token").get<std::string>();
    }

    static httplib::Headers bearer(const std::string& token) {
        return {{"Authorization", "Bearer " + token}};
    }

    httplib::Result get(const std::string& path, const std::string& token, httplib::Headers extra = {}) {
        auto headers = bearer(token);
        headers.insert(extra.begin(), extra.end());
        return client->Get(path.c_str(), headers);
    }
    httplib::Result post(const std::string& path, const std::string& token, const nlohmann::json& body) {
        return client->Post(path.c_str(), bearer(token), body.dump(), "application/json");
    }
    httplib::Result put(const std::string& path, const std::string& token, const nlohmann::json& body) {
        return client->Put(path.c_str(), bearer(token), body.dump(), "application/json");
    }
    httplib::Result upload(const std::string& name, const std::string& token, const std::string& bytes,
                           const std::string& content_type = "application/octet-stream") {
        const std::string path = "/api/v1/media?name=" + httplib::detail::encode_query_param(name);
        return client->Post(path.c_str(), bearer(token), bytes, content_type.c_str());
    }

    // Runs ffmpeg (quietly) with `arguments`, writing `name` in the temporary directory.
    std::string make_media(const std::string& name, const std::string& arguments) {
        const std::string path = directory.file(name);
        const std::string command =
            "ffmpeg -nostdin -hide_banner -loglevel error -y " + arguments + " '" + path + "'";
        REQUIRE(std::system(command.c_str()) == 0);
        std::ifstream input(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(input), {});
    }
    std::string make_video() {
        return make_media("clip.mp4", "-f lavfi -i testsrc=duration=2:size=160x120:rate=10 -pix_fmt yuv420p");
    }

    // Files in the media store (objects and temporary files; thumbnails are not counted).
    std::size_t stored_files() const {
        std::size_t count = 0;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(content->root()))
            count +=
                entry.is_regular_file() && entry.path().parent_path().filename() != "thumbnails" ? 1U : 0U;
        return count;
    }
    std::int64_t media_rows() {
        auto rows = store->read_value<std::vector<controller::MediaRecord>>(
            [](controller::StoreTransaction& transaction) {
                return transaction.list_media({1000, 0});
            });
        REQUIRE(rows);
        return static_cast<std::int64_t>(rows->size());
    }

    std::unique_ptr<controller::ApiServer> server;
    std::unique_ptr<httplib::Client> client;
};

inline nlohmann::json body_of(const httplib::Result& response) {
    REQUIRE(response);
    auto parsed = nlohmann::json::parse(response->body, nullptr, false);
    INFO(response->body);
    REQUIRE_FALSE(parsed.is_discarded());
    return parsed;
}

// The server still answers: an anonymous GET /api/v1/auth/me gets 401 (after a hostile request).
inline void require_alive(ApiFixture& api) {
    auto answer = api.client->Get("/api/v1/auth/me");
    REQUIRE(answer);
    CHECK(answer->status == 401);
}

}  // namespace bantin::testing
