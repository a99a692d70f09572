// The guarded HTTP front of the controller's API: httplib's per-connection loop replaced by one
// that caps and screens every request, and the handlers every route shares (refusals before
// routing, the generic 500, error bodies, nosniff and closing after refusals). http_guard.hpp.

#include "http_guard.hpp"

#include "bantin/controller/http_compression.hpp"

#include "bantin/controller/http_server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

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
#include <cstdio>

namespace bantin::controller {

bool is_unsafe_method(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
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

namespace {

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

// Compression is done here, not by httplib (http_compression.hpp): the pre-routing handler
// moves Accept-Encoding out of httplib's sight (the Request is httplib's own non-const local,
// as above), so httplib never compresses; the post-routing handler, which runs after httplib
// set Content-Length and before it writes the head, compresses the body with the coding the
// client accepts.
constexpr const char* hidden_accept_encoding = "X-Bantin-Accept-Encoding";

void hide_accept_encoding(const httplib::Request& request) {
    auto& headers = const_cast<httplib::Request&>(request).headers;
    headers.erase(hidden_accept_encoding);  // a client's own copy counts for nothing
    std::string accepted;
    for (auto [at, end] = headers.equal_range("Accept-Encoding"); at != end; ++at)
        accepted += (accepted.empty() ? "" : ", ") + at->second;
    headers.erase("Accept-Encoding");
    if (!accepted.empty())
        headers.emplace(hidden_accept_encoding, std::move(accepted));
}

void compress_answer(const httplib::Request& request, httplib::Response& response) {
    const std::string type = response.get_header_value("Content-Type");
    if (!compressible_type(type) || response.has_header("Content-Encoding"))
        return;
    if (!response.has_header("Vary"))
        response.set_header("Vary", "Accept-Encoding");
    if (response.body.size() < min_compressed_bytes || response.status == 206 ||
        response.has_header("Content-Range") || !request.has_header(hidden_accept_encoding))
        return;
    const ContentCoding coding = choose_coding(request.get_header_value(hidden_accept_encoding));
    if (coding == ContentCoding::Identity)
        return;
    auto compressed = compress_body(response.body, coding);
    if (!compressed || compressed->size() >= response.body.size())
        return;
    response.body = std::move(*compressed);
    response.headers.erase("Content-Length");
    response.set_header("Content-Length", std::to_string(response.body.size()));
    response.set_header("Content-Encoding", std::string{coding_name(coding)});
}

}  // namespace

std::unique_ptr<httplib::Server> make_guarded_server(std::uint64_t json_limit, std::uint64_t upload_limit) {
    return std::make_unique<GuardedServer>(json_limit, upload_limit);
}

void install_guard_handlers(httplib::Server& server, std::uint64_t json_limit, std::uint64_t upload_limit) {
    // JSON routes read their whole body into memory; refuse big ones before reading them.
    // Routes that stream (uploads) are registered with a content reader and check their own
    // limit while streaming.
    server.set_pre_routing_handler([json_limit, upload_limit](const httplib::Request& request,
                                                              httplib::Response& response) {
        hide_accept_encoding(request);
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
    server.set_exception_handler([](const httplib::Request& request, httplib::Response& response,
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
    server.set_error_handler([](const httplib::Request& request, httplib::Response& response) noexcept {
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
                               "không có đường dẫn " + request.method + " " + request.path +
                                   "; no route for " + request.method + " " + request.path);
                    break;
                case 413:
                    send_error(response, 413, "too-large",
                               "nội dung gửi lên quá giới hạn; request body is over the limit");
                    break;
                case 414:
                    send_error(response, 414, "uri-too-long",
                               "địa chỉ yêu cầu dài quá 8192 byte; request target is over 8192 bytes");
                    break;
                case 416:
                    send_error(
                        response, 416, "range-not-satisfiable",
                        "Range: không phải đoạn byte máy chủ đọc được; not a byte range this server reads");
                    break;
                case 400:
                    send_error(response, 400, "bad-request", "yêu cầu HTTP sai dạng; malformed HTTP request");
                    break;
                default:
                    if (response.status >= 400)
                        send_error(response, response.status, "http-error",
                                   "mã trạng thái HTTP " + std::to_string(response.status) +
                                       "; HTTP status " + std::to_string(response.status));
                    break;
            }
        } catch (...) {
            response.body.clear();
        }
    });
    server.set_post_routing_handler(
        [](const httplib::Request& request, httplib::Response& response) noexcept {
            try {
                compress_answer(request, response);
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

}  // namespace bantin::controller
