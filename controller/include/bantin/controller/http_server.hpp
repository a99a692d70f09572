#pragma once
// The controller's JSON HTTP API server (docs/api.md) and the helpers every route file uses.
//
// ApiServer owns an httplib::Server. Route files add their routes before start() through a
// `register_..._routes(ApiServer&, ApiContext&)` function (register_content_routes here;
// the fleet, alerts and reports files add theirs the same way), using the httplib::Server
// from http() and the helpers below, so that every route answers errors, sessions, CSRF,
// roles, JSON bodies and pagination the same way.
//
// Lifecycle: construct, register routes, start() (binds; port 0 picks a free port, which
// start() returns and port() reports), stop() (or the destructor). Routes must not be added
// after start(). ApiContext and everything it refers to must outlive the server.
//
// Threads: start() spawns one listener thread (accept loop); httplib runs each connection on
// its own worker pool (CPPHTTPLIB_THREAD_POOL_COUNT threads, at least 8), so handlers run
// concurrently on pool threads and may block (argon2id, ffprobe, espeak-ng). Everything a
// handler touches must be thread-safe: the Store, Auth and ContentStore are.
//
// Bodies: a POST/PUT/PATCH/DELETE without Content-Length or Transfer-Encoding has an empty body
// (RFC 9112), so routes that take no body accept `curl -X POST` with no data.
//
// Errors: start() returns Network when the address cannot be bound. Handlers answer errors as
// JSON `{"error": code, "detail": text}` with the status of http_status(Errc) (send_error).
//
// This header does not include httplib.h (so that linking the controller library does not
// force cpp-httplib's compile definitions on everyone); route files include <httplib.h>.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/controller/approval.hpp"
#include "bantin/controller/auth.hpp"
#include "bantin/controller/records.hpp"
#include "bantin/controller/roles.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/media/store.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bantin::config {
struct ControllerConfig;
}

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace bantin::controller {

// What the routes work on. Every reference must outlive the ApiServer.
struct ApiContext {
    Store& store;
    Auth& auth;
    ApprovalService& approval;
    const Clock& clock;
    const config::ControllerConfig& config;
    const media::ContentStore& media;
    // Called (on the handler's thread, after the change is committed) with the ids of the
    // campaigns that were approved or archived: the publisher rebuilds the affected bundles.
    std::function<void(std::vector<std::string> campaign_ids)> on_campaigns_changed =
        [](std::vector<std::string>) {};
    // Called the same way after a zone is renamed: screens with a header show the zone's name
    // (docs/scheduling.md, "Regions"), so their bundles are rebuilt.
    std::function<void(const std::string& zone_id)> on_zone_renamed = [](const std::string&) {};
};

struct ApiServerOptions {
    std::string address = "127.0.0.1";
    int port = 0;  // 0: pick a free port
    // The largest request body httplib accepts at all (the media upload limit plus room for
    // multipart headers). Non-upload routes are limited further by max_json_body_bytes.
    std::uint64_t max_body_bytes = 512ULL * 1024 * 1024 + 64 * 1024;
    std::uint64_t max_json_body_bytes = 1024 * 1024;
};

// Options from the [http] and [storage] sections of the controller config.
ApiServerOptions server_options(const config::ControllerConfig& config);

class ApiServer {
public:
    explicit ApiServer(ApiServerOptions options);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    httplib::Server& http();
    const ApiServerOptions& options() const { return m_options; }

    // Binds and starts serving on a listener thread; returns the bound port once the accept
    // loop runs, so that a stop() right after it is never lost.
    Result<int> start();
    // Stops accepting, waits for the listener thread (and httplib's workers). Idempotent; a
    // no-op before start() or after a failed start().
    void stop();
    int port() const { return m_port; }
    bool running() const;

private:
    ApiServerOptions m_options;
    std::unique_ptr<httplib::Server> m_server;
    std::thread m_listener;
    int m_port = 0;
    // The listening socket, as httplib's socket-options hook saw it (see start()).
    std::atomic<int> m_listen_socket{-1};
    std::mutex m_ready_mutex;
    std::condition_variable m_ready;
    bool m_listening = false;      // the accept loop runs: httplib's stop() is heard
    bool m_listener_done = false;  // listen_after_bind() returned
};

// ---- responses ----

// Errc -> HTTP status: InvalidInput 422, NotFound 404, AlreadyExists 409, Unauthenticated 401,
// PermissionDenied 403, Conflict 409, TooLarge 413, Unsupported 415, Timeout 503, others 500.
int http_status(Errc code);

// {"error": code, "detail": detail} with `status`.
void send_error(httplib::Response& response, int status, std::string_view code, std::string_view detail);
// The same, status and code from the error (code = to_string(error.code), e.g. "not-found").
void send_error(httplib::Response& response, const Error& error);
// A malformed request (syntax, wrong JSON type, missing or unknown field): 400 "bad-request".
void send_bad_request(httplib::Response& response, std::string_view detail);
void send_json(httplib::Response& response, int status, const nlohmann::ordered_json& body);

// ---- authentication ----

inline constexpr std::string_view session_cookie_name = "bantin_session";
inline constexpr std::string_view csrf_header_name = "X-CSRF-Token";

enum class AuthMethod { Bearer, Cookie };

struct RequestUser {
    User user;
    SessionRecord session;
    AuthMethod method = AuthMethod::Bearer;
    std::string token;
};

// The session token a request carries: `Authorization: Bearer <token>` first, else the
// session cookie.
std::optional<std::pair<std::string, AuthMethod>> request_token(const httplib::Request& request);

// Authenticates the request and checks that the user may do `action`. A cookie session must
// carry X-CSRF-Token on every unsafe method (POST, PUT, PATCH, DELETE); bearer tokens need no
// CSRF token. On failure the error (401 or 403) has been sent and nullopt is returned.
std::optional<RequestUser> authorize(ApiContext& context, const httplib::Request& request,
                                     httplib::Response& response, Action action);

// ---- request bodies and parameters ----

// Parses the body as a JSON object. On failure sends 400 naming the problem (and its byte
// offset) and returns nullopt; an empty body is refused naming what the route `needs`
// ("a JSON object with id, zone and kind").
std::optional<nlohmann::json> parse_json_body(const httplib::Request& request, httplib::Response& response,
                                              std::string_view needs = {});
// For routes whose body is optional (campaign steps, logout, alert confirm): an empty body (or
// only whitespace) is the empty object; anything else must be a JSON object.
std::optional<nlohmann::json> parse_optional_json_body(const httplib::Request& request,
                                                       httplib::Response& response);

// Reads a string field of a parsed body (sign-in; the session routes use api::BodyFields);
// errors are InvalidInput naming the field. A `required` field that is absent fails too.
Result<std::optional<std::string>> optional_string(const nlohmann::json& body, std::string_view field);
Result<std::string> required_string(const nlohmann::json& body, std::string_view field);

// Path capture `index` (1-based) of the route's regex.
std::string path_match(const httplib::Request& request, std::size_t index);

// ---- pagination ----
// `?limit=N` (1..500, default 100) and `?cursor=C`, where C is the opaque next_cursor of the
// previous page (today the offset in decimal); `?offset=N` is accepted as well. A list answers
// {"items": [...], "next_cursor": "..." | null}; null means this was the last page.
inline constexpr int default_page_limit = 100;
inline constexpr int max_page_limit = 500;

// Fetch page.limit + 1 rows with the Page from page_probe(): the extra row only tells whether
// there is a next page (api::parse_page and api::page_json in controller/src/api_route.hpp read
// the parameters and make the answer).
Page page_probe(Page page);

// ---- files ----

// Serves a file with its length, `Accept-Ranges: bytes` and single-range support
// (`Range: bytes=a-b`, `a-`, `-n` -> 206 with Content-Range; unsatisfiable -> 416 with
// `Content-Range: bytes */size`). The file is streamed, not read into memory. Missing file ->
// 404. For the people's media route here and the device route of the fleet API.
void serve_media_file(const httplib::Request& request, httplib::Response& response,
                      const std::filesystem::path& path, std::string_view content_type);

// ---- routes ----

// Everything in docs/api.md under "content and people": auth, users, media, notices,
// playlists, campaigns and their approval, zones, tags, preview, conflicts, audit.
void register_content_routes(ApiServer& server, ApiContext& context);

}  // namespace bantin::controller
