#pragma once
// What a test needs to act as people over the HTTP API of a controller it started: ApiUser (one
// person's bearer session on a fresh httplib client), login(), eventually() (polls a condition
// with a bound), write_file() and tail(). Used by support/whole_system.hpp and by tests that run
// several controllers. Header-only; link with cpp-httplib and nlohmann-json.

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

namespace bantin::test {

inline void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode = 0644) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
}

// Polls `probe` every `step` until it returns true or `timeout` passes.
inline bool eventually(std::chrono::milliseconds timeout, const std::function<bool()>& probe,
                       std::chrono::milliseconds step = std::chrono::milliseconds(200)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (probe())
            return true;
        std::this_thread::sleep_for(step);
    }
    return probe();
}

inline std::string tail(const std::string& text, std::size_t length = 6000) {
    return text.size() <= length ? text : "..." + text.substr(text.size() - length);
}

// One person's view of the API: a bearer session on a fresh httplib client.
class ApiUser {
public:
    using Json = nlohmann::json;
    ApiUser(std::uint16_t port, std::string token) : m_client("127.0.0.1", port), m_token(std::move(token)) {
        m_client.set_read_timeout(30, 0);
        m_client.set_bearer_token_auth(m_token);
    }

    struct Answer {
        int status = 0;
        Json body;
        std::string text;
    };

    Answer get(const std::string& path) { return answer(m_client.Get(path), "GET " + path); }
    Answer post(const std::string& path, const Json& body) {
        return answer(m_client.Post(path, body.dump(), "application/json"), "POST " + path);
    }
    Answer upload(const std::string& path, const std::string& bytes) {
        return answer(m_client.Post(path, bytes, "application/octet-stream"), "POST " + path);
    }

private:
    static Answer answer(const httplib::Result& result, const std::string& what) {
        Answer out;
        if (!result) {
            out.text = what + ": " + httplib::to_string(result.error());
            return out;
        }
        out.status = result->status;
        out.text = what + " -> " + std::to_string(result->status) + " " + result->body;
        if (!result->body.empty())
            out.body = Json::parse(result->body, nullptr, false);
        return out;
    }

    httplib::Client m_client;
    std::string m_token;
};

// A bearer token for `name`, or empty when the login is refused or the server does not answer.
inline std::string login(std::uint16_t port, const std::string& name, const std::string& password) {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(30, 0);
    auto result =
        client.Post("/api/v1/auth/login", nlohmann::json{{"name", name}, {"password", password}}.dump(),
                    "application/json");
    if (!result || result->status != 200)
        return {};
    auto body = nlohmann::json::parse(result->body, nullptr, false);
    return body.is_object() && body.contains("token") ? body["token"].get<std::string>() : std::string{};
}

}  // namespace bantin::test
