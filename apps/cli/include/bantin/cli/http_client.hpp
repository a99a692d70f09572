#pragma once
// The `bantin` CLI's client of the controller's JSON HTTP API (docs/api.md).
//
// An ApiClient talks to one server URL (`http://host:port[/prefix]`, or https) and sends
// `Authorization: Bearer <token>` once a token is set. Every call returns the server's status
// and body, or a CommandError when no answer came (connection refused, timeout, bad URL).
// `expect_success` turns a non-2xx answer into the one-line error the CLI prints: the server's
// `{ "error", "detail" }` as `403 permission-denied: <detail>`.
//
// Exit statuses (docs/cli.md): 0 done, 1 the server refused, 2 usage (bad flags or local input),
// 3 network or authentication (no answer, no token, 401).
//
// Lifecycle and threads: one client per command run, used from the main thread only.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace bantin::cli {

enum class ExitStatus : int {
    Done = 0,
    Refused = 1,
    Usage = 2,
    Unreachable = 3,
};

// What ends a command: its exit status and one line for a person (without the command name).
struct CommandError {
    ExitStatus status = ExitStatus::Refused;
    std::string line;
};

template <class T>
using Outcome = std::expected<T, CommandError>;

inline std::unexpected<CommandError> refuse(ExitStatus status, std::string line) {
    return std::unexpected(CommandError{status, std::move(line)});
}

struct Reply {
    int status = 0;
    std::string body;
    std::string content_type;
    std::string screenshot_received;  // X-Screenshot-Received of a screenshot, else ""
};

using Query = std::multimap<std::string, std::string>;

class ApiClient {
public:
    // Checks the URL's shape; does not connect.
    static Outcome<ApiClient> create(const std::string& server_url);

    ApiClient(ApiClient&&) noexcept;
    ApiClient& operator=(ApiClient&&) noexcept;
    ~ApiClient();

    void set_token(std::string token) { m_token = std::move(token); }
    const std::string& server_url() const { return m_server_url; }

    // `path` is below /api/v1, e.g. "/campaigns/c-news/approve".
    Outcome<Reply> get(const std::string& path, const Query& query = {});
    Outcome<Reply> post(const std::string& path, const nlohmann::json& body);
    Outcome<Reply> put(const std::string& path, const nlohmann::json& body);
    // Streams the file as the request body (never read whole into memory).
    Outcome<Reply> post_file(const std::string& path, const Query& query, const std::filesystem::path& file);

private:
    struct Connection;
    ApiClient(std::string server_url, std::string prefix, std::unique_ptr<Connection> connection);
    std::string target(const std::string& path, const Query& query) const;

    std::string m_server_url;
    std::string m_prefix;
    std::string m_token;
    std::unique_ptr<Connection> m_connection;
};

// Parses a JSON reply body; a body that is not JSON is a Refused error naming the status.
Outcome<nlohmann::json> json_body(const Reply& reply);

// 2xx → the parsed body (null for an empty body). Otherwise one line from the server's error
// object: 401 → Unreachable (authentication), everything else → Refused.
Outcome<nlohmann::json> expect_success(const Reply& reply);

}  // namespace bantin::cli
