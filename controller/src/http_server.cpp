#include "bantin/controller/http_server.hpp"

#include "bantin/config/controller_config.hpp"

#include "bantin/protocol/json_text.hpp"

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
#include <fstream>
#include <memory>
#include <mutex>
#include <system_error>

namespace bantin::controller {

namespace {

bool is_unsafe_method(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

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

std::optional<std::int64_t> parse_decimal(std::string_view text) {
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

// Routes registered with a content reader check their own limit while reading.
bool streams_its_body(const httplib::Request& request) {
    if (request.method == "POST" && request.path == "/api/v1/media")
        return true;
    constexpr std::string_view devices = "/api/v1/devices/";
    constexpr std::string_view screenshot = "/screenshot";
    return request.method == "PUT" && request.path.starts_with(devices) &&
           request.path.ends_with(screenshot) && request.path.size() > devices.size() + screenshot.size();
}

std::string field_name(std::string_view field) {
    return std::string{field};
}

// ---- the guarded connection loop ----
//
// cpp-httplib 0.11.4 keeps a connection open after any response unless the *request* said
// `Connection: close`: a `Connection: close` the server put on a refusal is only a header, and
// a body it refused without reading was then parsed as the next request (request smuggling).
// It also reads the request line and headers with no total limit, takes `Content-Length:
// +5`, ` 5`, `0x10`, `-1` or two Content-Length headers at face value (strtoull of the first),
// and reads bodies of GET requests never, so they too became the next request.
//
// GuardedServer replaces httplib's per-connection loop (process_and_close_socket, a virtual
// of httplib::Server) with one that
// - reads through ConnectionStream, which caps the request head at max_head_bytes and the
//   body at a budget set per request (the JSON cap, or the upload cap), whatever the headers
//   say;
// - screens every request's framing before routing (screen()): one decimal Content-Length at
//   most, Transfer-Encoding only `chunked` and never with Content-Length, no body on methods
//   httplib does not read one for; a refusal is answered by the pre-routing handler without
//   reading anything;
// - closes the connection after every answer of status 400 or more (and after any answer
//   carrying `Connection: close`), with a short lingering close so the client still reads the
//   answer rather than a reset;
// - catches whatever escapes httplib's processing of one request: it never reaches the
//   thread (std::terminate).

constexpr std::size_t max_head_bytes = 64 * 1024;
// Enough to swallow a refused body of a few MiB (an over-limit JSON body a client sends
// whole before it reads the answer: at 256 KiB the close reset such a client, which then never
// saw its 413); the time bounds what a refused client can hold a thread for.
constexpr std::size_t linger_drain_bytes = 16 * 1024 * 1024;
constexpr auto linger_time = std::chrono::milliseconds(2000);

struct Refusal {
    int status = 400;
    std::string code;
    std::string detail;
};

// What the loop, the screen and the handlers of one request share (same thread).
struct RequestGuard {
    std::optional<Refusal> refusal;
    std::uint64_t body_limit = 0;
    bool body_over_limit = false;
    bool close_after = false;
};

thread_local RequestGuard* t_guard = nullptr;

class ConnectionStream final : public httplib::Stream {
public:
    ConnectionStream(int socket, int read_timeout_ms, int write_timeout_ms)
        : m_socket(socket), m_read_timeout_ms(read_timeout_ms), m_write_timeout_ms(write_timeout_ms) {}

    // A new request starts: its head may take max_head_bytes.
    void begin_head() {
        m_in_body = false;
        m_handed = 0;
    }
    // The head was read; the body may take `limit` bytes (chunk framing included).
    void begin_body(std::uint64_t limit) {
        m_in_body = true;
        m_handed = 0;
        m_body_limit = limit;
    }
    bool over_limit() const { return m_over_limit; }
    bool has_buffered() const { return m_begin < m_end; }

    bool is_readable() const override { return has_buffered() || wait(POLLIN, m_read_timeout_ms); }
    bool is_writable() const override { return wait(POLLOUT, m_write_timeout_ms); }

    ssize_t read(char* data, size_t size) override {
        const std::uint64_t limit = m_in_body ? m_body_limit : max_head_bytes;
        if (m_handed >= limit) {
            m_over_limit = true;
            if (m_in_body && t_guard)
                t_guard->body_over_limit = true;
            return -1;
        }
        size = static_cast<size_t>(std::min<std::uint64_t>(size, limit - m_handed));
        if (!has_buffered()) {
            if (!wait(POLLIN, m_read_timeout_ms))
                return -1;
            ssize_t got = 0;
            do {
                got = ::recv(m_socket, m_buffer, sizeof m_buffer, 0);
            } while (got < 0 && errno == EINTR);
            if (got <= 0)
                return got;
            m_begin = 0;
            m_end = static_cast<std::size_t>(got);
        }
        const std::size_t count = std::min(size, m_end - m_begin);
        std::copy_n(m_buffer + m_begin, count, data);
        m_begin += count;
        m_handed += count;
        return static_cast<ssize_t>(count);
    }

    ssize_t write(const char* data, size_t size) override {
        if (!wait(POLLOUT, m_write_timeout_ms))
            return -1;
        ssize_t sent = 0;
        do {
            sent = ::send(m_socket, data, size, MSG_NOSIGNAL);
        } while (sent < 0 && errno == EINTR);
        return sent;
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        if (::getpeername(m_socket, reinterpret_cast<sockaddr*>(&address), &length) == 0)
            describe(address, ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        if (::getsockname(m_socket, reinterpret_cast<sockaddr*>(&address), &length) == 0)
            describe(address, ip, port);
    }
    socket_t socket() const override { return m_socket; }

    // Waits for the next request; false when the client is gone, `timeout_ms` passed or
    // `stopping` says the server stops (looked at every 50 ms).
    template <class Stopping>
    bool wait_for_request(int timeout_ms, Stopping stopping) const {
        if (has_buffered())
            return true;
        for (int waited = 0; waited < timeout_ms && !stopping(); waited += 50) {
            pollfd descriptor{m_socket, POLLIN, 0};
            const int ready = ::poll(&descriptor, 1, std::min(50, timeout_ms - waited));
            if (ready > 0)
                return true;
            if (ready < 0 && errno != EINTR)
                return false;
        }
        return false;
    }

private:
    bool wait(short events, int timeout_ms) const {
        pollfd descriptor{m_socket, events, 0};
        int ready = 0;
        do {
            ready = ::poll(&descriptor, 1, timeout_ms);
        } while (ready < 0 && errno == EINTR);
        return ready > 0 && (descriptor.revents & (events | POLLHUP | POLLERR)) != 0;
    }

    static void describe(const sockaddr_storage& address, std::string& ip, int& port) {
        char text[INET6_ADDRSTRLEN] = {};
        if (address.ss_family == AF_INET) {
            const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
            ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
            port = ntohs(v4->sin_port);
        } else if (address.ss_family == AF_INET6) {
            const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
            ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
            port = ntohs(v6->sin6_port);
        }
        ip = text;
    }

    int m_socket;
    int m_read_timeout_ms;
    int m_write_timeout_ms;
    char m_buffer[4096];
    std::size_t m_begin = 0;
    std::size_t m_end = 0;
    bool m_in_body = false;
    std::uint64_t m_handed = 0;
    std::uint64_t m_body_limit = 0;
    bool m_over_limit = false;
};

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Header values are quoted in refusals cut short (they are the client's bytes).
std::string shown_value(std::string_view value) {
    constexpr std::size_t shown = 40;
    return "\"" + std::string{value.substr(0, shown)} + (value.size() > shown ? "...\"" : "\"");
}

// Methods httplib reads a body for (its detail::expect_content).
bool reads_a_body(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

class GuardedServer final : public httplib::Server {
public:
    GuardedServer(std::uint64_t json_limit, std::uint64_t upload_limit)
        : m_json_limit(json_limit), m_upload_limit(upload_limit) {}

private:
    static int milliseconds(time_t seconds, time_t microseconds) {
        return static_cast<int>(seconds * 1000 + microseconds / 1000);
    }

    // Framing checks on the request head, before routing and before any body byte is read.
    void screen(httplib::Request& request, RequestGuard& guard, ConnectionStream& stream) const {
        auto refuse = [&](std::string detail) {
            guard.refusal = Refusal{400, "bad-request", std::move(detail)};
        };
        const std::size_t lengths = request.get_header_value_count("Content-Length");
        const std::size_t encodings = request.get_header_value_count("Transfer-Encoding");
        const std::string length = lengths > 0 ? request.get_header_value("Content-Length") : std::string{};
        const std::string encoding =
            encodings > 0 ? request.get_header_value("Transfer-Encoding") : std::string{};
        if (lengths > 1)
            refuse("Content-Length: sent " + std::to_string(lengths) + " times; send it once");
        else if (lengths == 1 && (!all_digits(length) || length.size() > 18))
            refuse("Content-Length: " + shown_value(length) + " is not a decimal number of bytes");
        else if (encodings > 1)
            refuse("Transfer-Encoding: sent " + std::to_string(encodings) + " times; send it once");
        else if (encodings == 1 && ::strcasecmp(encoding.c_str(), "chunked") != 0)
            refuse("Transfer-Encoding: " + shown_value(encoding) + " is not supported; only chunked is");
        else if (lengths == 1 && encodings == 1)
            refuse("Content-Length and Transfer-Encoding together: send one of them");
        else if (!reads_a_body(request.method) &&
                 (encodings == 1 || (lengths == 1 && length.find_first_not_of('0') != std::string::npos)))
            refuse(request.method + " requests carry no body: drop Content-Length and Transfer-Encoding");
        if (guard.refusal) {
            guard.body_limit = 0;
        } else if (streams_its_body(request)) {
            // Uploads check their own limit while streaming; this bounds what is read at all
            // (chunk framing included) if a route's own check were ever missing.
            guard.body_limit = 2 * m_upload_limit + 64 * 1024;
        } else {
            guard.body_limit = m_json_limit;
        }
        stream.begin_body(guard.body_limit);
    }

    bool process_and_close_socket(socket_t socket) override {
        ConnectionStream stream(socket, milliseconds(read_timeout_sec_, read_timeout_usec_),
                                milliseconds(write_timeout_sec_, write_timeout_usec_));
        const int keep_alive_ms = static_cast<int>(keep_alive_timeout_sec_ * 1000);
        auto stopping = [this] { return svr_sock_ == INVALID_SOCKET; };
        bool result = false;
        bool linger = false;
        for (std::size_t left = keep_alive_max_count_; left > 0 && !stopping(); --left) {
            if (!stream.wait_for_request(keep_alive_ms, stopping))
                break;
            RequestGuard guard;
            t_guard = &guard;
            stream.begin_head();
            bool connection_closed = false;
            try {
                result = process_request(stream, left == 1, connection_closed,
                                         [&](httplib::Request& request) { screen(request, guard, stream); });
            } catch (const std::exception& caught) {
                spdlog::error("http: request processing failed: {}", caught.what());
                result = false;
            } catch (...) {
                spdlog::error("http: request processing failed");
                result = false;
            }
            t_guard = nullptr;
            if (guard.close_after || stream.over_limit())
                linger = true;
            if (!result || connection_closed || linger)
                break;
        }
        if (linger)
            lingering_close(socket);
        ::shutdown(socket, SHUT_RDWR);
        ::close(socket);
        return result;
    }

    // After a refusal the client may still be sending the body: stop writing, read and drop
    // a bounded amount for a bounded time, so that closing does not reset the connection
    // before the client has read the answer.
    static void lingering_close(int socket) {
        ::shutdown(socket, SHUT_WR);
        const auto deadline = std::chrono::steady_clock::now() + linger_time;
        char buffer[4096];
        std::size_t drained = 0;
        while (drained < linger_drain_bytes) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                break;
            pollfd descriptor{socket, POLLIN, 0};
            if (::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0)
                break;
            const ssize_t got = ::recv(socket, buffer, sizeof buffer, 0);
            if (got <= 0)
                break;
            drained += static_cast<std::size_t>(got);
        }
    }

    std::uint64_t m_json_limit;
    std::uint64_t m_upload_limit;
};

// Short ids that tie a generic 500 answer to its log line.
std::string incident_id() {
    static std::atomic<std::uint64_t> counter{
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())};
    const std::uint64_t value = counter.fetch_add(0x9E3779B97F4A7C15ULL);
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
    return std::string{text, 10};
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
      m_server(std::make_unique<GuardedServer>(m_options.max_json_body_bytes, m_options.max_body_bytes)) {
    m_server->set_payload_max_length(static_cast<std::size_t>(m_options.max_body_bytes));
    // httplib's default sets SO_REUSEPORT on Linux, which lets a second process bind the same
    // port and take half the connections silently (a stale backend, a second controller).
    // SO_REUSEADDR alone still allows a restart over connections in TIME_WAIT.
    m_server->set_socket_options([](socket_t socket) {
        int yes = 1;
        ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
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
    // JSON routes read their whole body into memory; refuse big ones before reading them.
    // Routes that stream (uploads) are registered with a content reader and check their own
    // limit while streaming.
    const std::uint64_t json_limit = m_options.max_json_body_bytes;
    const std::uint64_t upload_limit = m_options.max_body_bytes;
    m_server->set_pre_routing_handler([json_limit, upload_limit](const httplib::Request& request,
                                                                 httplib::Response& response) {
        if (t_guard && t_guard->refusal) {
            // The framing screen refused the head (GuardedServer::screen); nothing was read.
            send_error(response, t_guard->refusal->status, t_guard->refusal->code, t_guard->refusal->detail);
            return httplib::Server::HandlerResponse::Handled;
        }
        if (!is_unsafe_method(request.method))
            return httplib::Server::HandlerResponse::Unhandled;
        if (!request.has_header("Content-Length") && !request.has_header("Transfer-Encoding")) {
            // HTTP/1.1 (RFC 9112, 6.3): a request with neither header has an empty body.
            // httplib instead reads such a POST until the connection closes, times out and
            // answers 400, so `curl -X POST` with no data failed. Say the length outright.
            // The Request is httplib's own non-const local, handed here by const
            // reference; the body is read only after this handler returns.
            const_cast<httplib::Request&>(request).set_header("Content-Length", "0");
            return httplib::Server::HandlerResponse::Unhandled;
        }
        const bool streams = streams_its_body(request);
        if (!streams && request.has_header("Transfer-Encoding")) {
            // httplib reads a chunked body whole into memory before any handler could
            // check who sent it. JSON routes take only bodies whose length is said up front.
            send_error(response, 411, "length-required",
                       "Transfer-Encoding: this route takes a body with Content-Length (at most " +
                           std::to_string(json_limit) + " bytes), not a chunked one");
            return httplib::Server::HandlerResponse::Handled;
        }
        // The screen accepted at most one all-digit Content-Length.
        auto length = parse_decimal(request.get_header_value("Content-Length"));
        const std::uint64_t limit = streams ? upload_limit : json_limit;
        if (length && static_cast<std::uint64_t>(*length) > limit) {
            send_error(response, 413, "too-large",
                       "request body of " + std::to_string(*length) + " bytes is over the limit of " +
                           std::to_string(limit) + " bytes for this route");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    m_server->set_exception_handler([](const httplib::Request& request, httplib::Response& response,
                                       std::exception_ptr exception) noexcept {
        // The exception's text is for the log only: it can hold anything (paths, SQL,
        // bytes of the request) and is no answer to a stranger.
        try {
            std::string what = "not a std::exception";
            try {
                if (exception)
                    std::rethrow_exception(exception);
            } catch (const std::exception& caught) {
                what = caught.what();
            } catch (...) {
            }
            const std::string id = incident_id();
            spdlog::error("http: {} {} failed with an exception (incident {}): {}", request.method,
                          request.path.substr(0, 200), id, what);
            send_error(response, 500, "internal",
                       "Lỗi nội bộ của máy chủ (mã sự cố " + id +
                           "), chi tiết có trong nhật ký của máy chủ. "
                           "Internal server error (incident " +
                           id + "); the controller's log has the details");
        } catch (...) {
            response.status = 500;
            response.body.clear();
        }
    });
    m_server->set_error_handler([](const httplib::Request& request, httplib::Response& response) noexcept {
        try {
            if (t_guard && t_guard->body_over_limit && response.status == 400 && response.body.empty()) {
                // The body was cut at its limit while httplib read it (ConnectionStream),
                // whatever its headers announced; httplib only says 400.
                send_error(response, 413, "too-large",
                           "request body is over the limit of " + std::to_string(t_guard->body_limit) +
                               " bytes for this route");
                return;
            }
            // Only fill in bodies httplib left empty (unknown route, its own 413 and 400).
            if (!response.body.empty())
                return;
            switch (response.status) {
                case 404:
                    send_error(response, 404, "not-found",
                               "no route for " + request.method + " " + request.path);
                    break;
                case 413: send_error(response, 413, "too-large", "request body is over the limit"); break;
                case 414:
                    send_error(response, 414, "uri-too-long", "request target is over 8192 bytes");
                    break;
                case 416:
                    send_error(response, 416, "range-not-satisfiable",
                               "Range: not a byte range this server reads");
                    break;
                case 400: send_error(response, 400, "bad-request", "malformed HTTP request"); break;
                default:
                    if (response.status >= 400)
                        send_error(response, response.status, "http-error",
                                   "HTTP status " + std::to_string(response.status));
                    break;
            }
        } catch (...) {
            response.body.clear();
        }
    });
    m_server->set_post_routing_handler([](const httplib::Request&, httplib::Response& response) noexcept {
        try {
            if (!response.has_header("X-Content-Type-Options"))  // the console sets its own
                response.set_header("X-Content-Type-Options", "nosniff");
            // After any refusal the connection closes (GuardedServer): a body left unread must
            // never be taken for the next request.
            if (response.status >= 400 || response.get_header_value("Connection") == "close") {
                if (response.get_header_value("Connection") != "close")
                    response.set_header("Connection", "close");
                if (t_guard)
                    t_guard->close_after = true;
            }
        } catch (...) {
            if (t_guard)
                t_guard->close_after = true;
        }
    });
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
        send_error(response, 401, "unauthenticated",
                   "sign in first: send `Authorization: Bearer <token>` or the session cookie");
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
                       "a cookie session must send its CSRF token in the X-CSRF-Token header");
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
        std::string detail = "body: expected a JSON object, got an empty body";
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
        send_bad_request(response, std::string{"body: expected a JSON object, got "} + body.type_name());
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

Result<std::optional<std::int64_t>> optional_integer(const nlohmann::json& body, std::string_view field) {
    auto found = body.find(field);
    if (found == body.end() || found->is_null())
        return std::optional<std::int64_t>{};
    if (!found->is_number_integer())
        return fail(Errc::InvalidInput,
                    field_name(field) + ": expected an integer, got " + found->type_name());
    return std::optional<std::int64_t>{found->get<std::int64_t>()};
}

Result<std::int64_t> required_integer(const nlohmann::json& body, std::string_view field) {
    auto value = optional_integer(body, field);
    if (!value)
        return std::unexpected(value.error());
    if (!*value)
        return fail(Errc::InvalidInput, field_name(field) + ": required");
    return **value;
}

Result<std::optional<bool>> optional_boolean(const nlohmann::json& body, std::string_view field) {
    auto found = body.find(field);
    if (found == body.end() || found->is_null())
        return std::optional<bool>{};
    if (!found->is_boolean())
        return fail(Errc::InvalidInput,
                    field_name(field) + ": expected true or false, got " + found->type_name());
    return std::optional<bool>{found->get<bool>()};
}

std::string path_match(const httplib::Request& request, std::size_t index) {
    if (index >= request.matches.size())
        return {};
    return request.matches[index].str();
}

// ---- pagination ----

Result<Page> parse_page(const httplib::Request& request) {
    Page page;
    page.limit = default_page_limit;
    if (request.has_param("limit")) {
        auto limit = parse_decimal(request.get_param_value("limit"));
        if (!limit || *limit < 1 || *limit > max_page_limit)
            return fail(Errc::InvalidInput,
                        "limit: expected an integer from 1 to " + std::to_string(max_page_limit));
        page.limit = static_cast<int>(*limit);
    }
    const char* offset_name = request.has_param("cursor") ? "cursor" : "offset";
    if (request.has_param(offset_name)) {
        auto offset = parse_decimal(request.get_param_value(offset_name));
        if (!offset || *offset < 0 || *offset > 1'000'000'000)
            return fail(Errc::InvalidInput, std::string{offset_name} + ": not a cursor this server gave out");
        page.offset = static_cast<int>(*offset);
    }
    return page;
}

Page page_probe(Page page) {
    return Page{page.limit + 1, page.offset};
}

void send_page(httplib::Response& response, Page page, nlohmann::ordered_json items) {
    nlohmann::ordered_json next = nullptr;
    if (items.is_array() && items.size() > static_cast<std::size_t>(page.limit)) {
        items.erase(items.begin() + page.limit, items.end());
        next = std::to_string(page.offset + page.limit);
    }
    send_json(response, 200, nlohmann::ordered_json{{"items", std::move(items)}, {"next_cursor", next}});
}

// ---- files ----

void serve_media_file(const httplib::Request& request, httplib::Response& response,
                      const std::filesystem::path& path, std::string_view content_type) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (error) {
        send_error(response, 404, "not-found", "no stored file for this media");
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
                                       {"detail", "the file has " + std::to_string(size) + " bytes"}}
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
        send_error(response, 404, "not-found", "no stored file for this media");
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
