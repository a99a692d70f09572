#include "bantin/controller/http_server.hpp"

#include "bantin/config/controller_config.hpp"

#include "bantin/protocol/json_text.hpp"
#include "http_guard.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <system_error>

namespace bantin::controller {

namespace {

constexpr int listen_backlog = 1024;

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

std::optional<std::string> cookie_value(const httplib::Request& request, std::string_view name) {
    const auto count = request.get_header_value_count("Cookie");
    for (std::size_t index = 0; index < count; ++index) {
        const std::string value = request.get_header_value("Cookie", index);
        std::string_view header = value;
        while (!header.empty()) {
            auto end = header.find(';');
            std::string_view pair = trim(header.substr(0, end));
            header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
            auto equals = pair.find('=');
            if (equals == std::string_view::npos)
                continue;
            if (trim(pair.substr(0, equals)) == name)
                return std::string{trim(pair.substr(equals + 1))};
        }
    }
    return std::nullopt;
}

std::string field_name(std::string_view field) {
    return std::string{field};
}

}  // namespace

ApiServerOptions server_options(const config::ControllerConfig& config) {
    ApiServerOptions options;
    options.address = config.http.listen_address;
    options.port = config.http.port;
    options.max_body_bytes =
        static_cast<std::uint64_t>(config.storage.max_upload_mb) * 1024 * 1024 + 64 * 1024;
    return options;
}

ApiServer::ApiServer(ApiServerOptions options)
    : m_options(std::move(options)),
      m_server(make_guarded_server(m_options.max_json_body_bytes, m_options.max_body_bytes)) {
    m_server->set_payload_max_length(static_cast<std::size_t>(m_options.max_body_bytes));
    // httplib's default sets SO_REUSEPORT on Linux, which lets a second process bind the same
    // port and take half the connections silently (a stale backend, a second controller).
    // SO_REUSEADDR alone still allows a restart over connections in TIME_WAIT.
    m_server->set_socket_options([this](socket_t socket) {
        int yes = 1;
        ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        m_listen_socket.store(socket);
    });
    // listen_after_bind() sets is_running and then makes its task queue: from then on
    // httplib's stop() is heard. start() waits for this.
    auto make_queue = m_server->new_task_queue;
    m_server->new_task_queue = [this, make_queue] {
        httplib::TaskQueue* queue = make_queue();
        {
            std::lock_guard lock(m_ready_mutex);
            m_listening = true;
        }
        m_ready.notify_all();
        return queue;
    };
    install_guard_handlers(*m_server, m_options.max_json_body_bytes, m_options.max_body_bytes);
}

ApiServer::~ApiServer() {
    stop();
}

httplib::Server& ApiServer::http() {
    return *m_server;
}

Result<int> ApiServer::start() {
    if (m_listener.joinable())
        return fail(Errc::Conflict, "the API server is already running");
    int port = m_options.port;
    if (port == 0) {
        port = m_server->bind_to_any_port(m_options.address);
        if (port <= 0)
            return fail(Errc::Network, "cannot bind the API server to " + m_options.address + " on any port");
    } else if (!m_server->bind_to_port(m_options.address, port)) {
        return fail(Errc::Network,
                    "cannot bind the API server to " + m_options.address + ":" + std::to_string(port));
    }
    m_port = port;
    // Debian's libcpp-httplib listens with a backlog of 5 (compiled in). Behind the HTTP front,
    // which opens a backend connection per request, a crowd overflowed it: the kernel dropped
    // SYNs and each one cost the client's 1 s retransmit (a public board page took 1,000 ms at
    // p99 under 100 clients, some 5 s). listen() again on the bound socket sets a real backlog
    // (the kernel caps it at net.core.somaxconn).
    if (const int socket = m_listen_socket.load(); socket >= 0 && ::listen(socket, listen_backlog) != 0)
        spdlog::warn("api server: cannot raise the listen backlog to {}: {}", listen_backlog,
                     std::strerror(errno));
    {
        std::lock_guard lock(m_ready_mutex);
        m_listening = false;
        m_listener_done = false;
    }
    m_listener = std::thread([this] {
        m_server->listen_after_bind();
        {
            std::lock_guard lock(m_ready_mutex);
            m_listener_done = true;
        }
        m_ready.notify_all();
    });
    // httplib's stop() does nothing until listen_after_bind() has set is_running: a stop that
    // came before it was lost and the accept loop ran forever. Return only once it is heard.
    std::unique_lock lock(m_ready_mutex);
    m_ready.wait(lock, [this] { return m_listening || m_listener_done; });
    if (!m_listening) {
        lock.unlock();
        m_listener.join();
        return fail(Errc::Network, "the API server on " + m_options.address + ":" + std::to_string(port) +
                                       " stopped before accepting");
    }
    return port;
}

void ApiServer::stop() {
    if (!m_listener.joinable())
        return;
    // start() returned only once the accept loop runs (or has ended): this stop is heard.
    m_server->stop();
    m_listener.join();
}

bool ApiServer::running() const {
    return m_server->is_running();
}

// ---- responses ----

int http_status(Errc code) {
    switch (code) {
        case Errc::InvalidInput: return 422;
        case Errc::NotFound: return 404;
        case Errc::AlreadyExists: return 409;
        case Errc::Unauthenticated: return 401;
        case Errc::PermissionDenied: return 403;
        case Errc::Conflict: return 409;
        case Errc::TooLarge: return 413;
        case Errc::Unsupported: return 415;
        case Errc::Timeout: return 503;
        case Errc::Io:
        case Errc::Network:
        case Errc::Crypto:
        case Errc::Internal: return 500;
    }
    return 500;
}

void send_json(httplib::Response& response, int status, const nlohmann::ordered_json& body) {
    response.status = status;
    response.set_header("Cache-Control", "no-store");
    // Replace, not throw: text from the request (a path holding %ff) may not be UTF-8.
    response.set_content(body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                         "application/json");
}

void send_error(httplib::Response& response, int status, std::string_view code, std::string_view detail) {
    send_json(response, status, nlohmann::ordered_json{{"error", code}, {"detail", detail}});
}

void send_error(httplib::Response& response, const Error& error) {
    send_error(response, http_status(error.code), to_string(error.code), error.detail);
}

void send_bad_request(httplib::Response& response, std::string_view detail) {
    send_error(response, 400, "bad-request", detail);
}

// ---- authentication ----

std::optional<std::pair<std::string, AuthMethod>> request_token(const httplib::Request& request) {
    if (request.has_header("Authorization")) {
        const std::string value = request.get_header_value("Authorization");
        const std::string_view header = trim(value);
        constexpr std::string_view prefix = "Bearer ";
        if (header.size() > prefix.size() && header.substr(0, prefix.size()) == prefix)
            return std::pair{std::string{trim(header.substr(prefix.size()))}, AuthMethod::Bearer};
        return std::nullopt;
    }
    if (auto cookie = cookie_value(request, session_cookie_name); cookie && !cookie->empty())
        return std::pair{std::move(*cookie), AuthMethod::Cookie};
    return std::nullopt;
}

std::optional<RequestUser> authorize(ApiContext& context, const httplib::Request& request,
                                     httplib::Response& response, Action action) {
    auto token = request_token(request);
    if (!token) {
        send_error(
            response, 401, "unauthenticated",
            "hãy đăng nhập trước; sign in first: send `Authorization: Bearer <token>` or the session cookie");
        return std::nullopt;
    }
    auto authenticated = context.auth.authenticate(token->first);
    if (!authenticated) {
        send_error(response, 401, "unauthenticated", authenticated.error().detail);
        return std::nullopt;
    }
    if (token->second == AuthMethod::Cookie && is_unsafe_method(request.method)) {
        auto checked =
            context.auth.check_csrf(authenticated->session, request.get_header_value("X-CSRF-Token"));
        if (!checked) {
            send_error(response, 403, "csrf",
                       "phiên làm việc thiếu mã CSRF, hãy tải lại trang; a cookie session must send its CSRF "
                       "token in the "
                       "X-CSRF-Token header");
            return std::nullopt;
        }
    }
    if (auto allowed_action = require(authenticated->user, action); !allowed_action) {
        send_error(response, allowed_action.error());
        return std::nullopt;
    }
    return RequestUser{std::move(authenticated->user), std::move(authenticated->session), token->second,
                       std::move(token->first)};
}

// ---- bodies and parameters ----

std::optional<nlohmann::json> parse_json_body(const httplib::Request& request, httplib::Response& response,
                                              std::string_view needs) {
    if (request.body.empty()) {
        std::string detail =
            "body: cần một đối tượng JSON, nhận được nội dung rỗng; expected a JSON object, got an empty "
            "body";
        if (!needs.empty())
            detail += " (this route needs " + std::string{needs} + ")";
        send_bad_request(response, detail);
        return std::nullopt;
    }
    auto parsed = protocol::parse_json_text(request.body, "body");
    if (!parsed) {
        send_bad_request(response, parsed.error().detail);
        return std::nullopt;
    }
    nlohmann::json body = std::move(*parsed);
    if (!body.is_object()) {
        send_bad_request(response, std::string{"body: cần một đối tượng JSON; expected a JSON object, got "} +
                                       body.type_name());
        return std::nullopt;
    }
    return body;
}

std::optional<nlohmann::json> parse_optional_json_body(const httplib::Request& request,
                                                       httplib::Response& response) {
    if (request.body.find_first_not_of(" \t\r\n") == std::string::npos)
        return nlohmann::json::object();
    return parse_json_body(request, response);
}

Result<std::optional<std::string>> optional_string(const nlohmann::json& body, std::string_view field) {
    auto found = body.find(field);
    if (found == body.end() || found->is_null())
        return std::optional<std::string>{};
    if (!found->is_string())
        return fail(Errc::InvalidInput, field_name(field) + ": expected a string, got " + found->type_name());
    return std::optional<std::string>{found->get<std::string>()};
}

Result<std::string> required_string(const nlohmann::json& body, std::string_view field) {
    auto value = optional_string(body, field);
    if (!value)
        return std::unexpected(value.error());
    if (!*value)
        return fail(Errc::InvalidInput, field_name(field) + ": required");
    return std::move(**value);
}

std::string path_match(const httplib::Request& request, std::size_t index) {
    if (index >= request.matches.size())
        return {};
    return request.matches[index].str();
}

// ---- pagination ----

Page page_probe(Page page) {
    return Page{page.limit + 1, page.offset};
}

// ---- files ----

void serve_media_file(const httplib::Request& request, httplib::Response& response,
                      const std::filesystem::path& path, std::string_view content_type) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (error) {
        send_error(response, 404, "not-found",
                   "không có tệp đã lưu của nội dung này; no stored file for this media");
        return;
    }
    response.set_header("Accept-Ranges", "bytes");
    response.set_header("Cache-Control", "private, max-age=31536000, immutable");

    if (!request.ranges.empty()) {
        // One range only: media players ask for one; multipart/byteranges is not worth it.
        const auto [range_first, range_last] = request.ranges.front();
        bool satisfiable = request.ranges.size() == 1 && size > 0;
        std::uint64_t begin = 0;
        std::uint64_t end = 0;  // inclusive
        if (satisfiable) {
            if (range_first < 0) {  // suffix: the last n bytes
                const auto suffix = static_cast<std::uint64_t>(range_last);
                satisfiable = suffix > 0;
                begin = suffix >= size ? 0 : size - suffix;
                end = size - 1;
            } else {
                begin = static_cast<std::uint64_t>(range_first);
                end = range_last < 0
                          ? size - 1
                          : std::min<std::uint64_t>(static_cast<std::uint64_t>(range_last), size - 1);
                satisfiable = begin < size && begin <= end;
            }
        }
        if (!satisfiable) {
            response.status = 416;
            response.set_header("Content-Range", "bytes */" + std::to_string(size));
            response.set_content(
                nlohmann::ordered_json{{"error", "range-not-satisfiable"},
                                       {"detail", "tệp có " + std::to_string(size) + " byte; the file has " +
                                                      std::to_string(size) + " bytes"}}
                    .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                "application/json");
            return;
        }
        // httplib cuts the range out of the provider below and writes Content-Range itself.
        response.status = 206;
    } else {
        response.status = 200;
    }

    auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
    if (!*file) {
        send_error(response, 404, "not-found",
                   "không có tệp đã lưu của nội dung này; no stored file for this media");
        return;
    }
    response.set_content_provider(static_cast<std::size_t>(size), std::string{content_type},
                                  [file](std::size_t offset, std::size_t wanted, httplib::DataSink& sink) {
                                      char buffer[64 * 1024];
                                      file->clear();
                                      file->seekg(static_cast<std::streamoff>(offset));
                                      const auto chunk = std::min(wanted, sizeof buffer);
                                      file->read(buffer, static_cast<std::streamsize>(chunk));
                                      const auto got = file->gcount();
                                      if (got <= 0)
                                          return false;
                                      return sink.write(buffer, static_cast<std::size_t>(got));
                                  });
}

}  // namespace bantin::controller
