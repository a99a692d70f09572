// The HTTP front against a real nginx started by HttpFront in front of the real API server:
// slow clients, request framing, body limits, uploads refused before their body, the backend
// on loopback only. Raw sockets throughout: httplib::Client would normalise these requests.

#include "api_fixture.hpp"
#include "bantin/controller/http_front.hpp"
#include "support/mosquitto_broker.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

using namespace bantin;
using namespace std::chrono_literals;

namespace {

class Socket {
public:
    explicit Socket(std::uint16_t port, const char* source = nullptr) {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (source != nullptr) {
            sockaddr_in local{};
            local.sin_family = AF_INET;
            ::inet_pton(AF_INET, source, &local.sin_addr);
            ::bind(m_fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
        }
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
        m_connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~Socket() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    bool connected() const { return m_connected; }
    bool send(std::string_view bytes) {
        return ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    // Reads until the peer closes or nothing arrives for `quiet`; `closed` tells which.
    std::string receive(std::chrono::milliseconds quiet, bool* closed = nullptr) {
        std::string text;
        char buffer[8192];
        for (;;) {
            pollfd descriptor{m_fd, POLLIN, 0};
            if (::poll(&descriptor, 1, static_cast<int>(quiet.count())) <= 0) {
                if (closed)
                    *closed = false;
                return text;
            }
            const auto got = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (got <= 0) {
                if (closed)
                    *closed = true;
                return text;
            }
            text.append(buffer, static_cast<std::size_t>(got));
        }
    }
    // Whether the peer has closed the connection (without waiting).
    bool peer_closed() {
        pollfd descriptor{m_fd, POLLIN, 0};
        if (::poll(&descriptor, 1, 0) <= 0)
            return false;
        char buffer[4096];
        const auto got = ::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT);
        return got <= 0;
    }

private:
    int m_fd = -1;
    bool m_connected = false;
};

struct FrontFixture : testing::ApiFixture {
    FrontFixture() {
        config.http.front = config::HttpFront::Nginx;
        config.http.listen_address = "127.0.0.1";
        config.http.port = test::MosquittoBroker::free_port();
        config.http.connections_per_address = 16;
        auto options = controller::front_options(config, static_cast<std::uint16_t>(server->port()));
        port = options.port;
        auto started = controller::HttpFront::start(options);
        if (!started)
            FAIL(started.error().message());
        front = std::move(*started);
    }

    // One request on a fresh connection; the whole answer (the front closes or goes quiet).
    std::string exchange(const std::string& request, bool* closed = nullptr) {
        Socket socket{port};
        REQUIRE(socket.connected());
        REQUIRE(socket.send(request));
        return socket.receive(3000ms, closed);
    }

    std::uint16_t port = 0;
    std::unique_ptr<controller::HttpFront> front;
};

std::string status_line(const std::string& response) {
    return response.substr(0, response.find("\r\n"));
}

const std::string normal_request =
    "GET /api/v1/auth/me HTTP/1.1\r\nHost: bantin\r\nConnection: close\r\n\r\n";

}  // namespace

TEST_CASE("the front answers a normal request while 8 and then 200 slow clients trickle headers",
          "[http][front][integration]") {
    FrontFixture fixture;
    for (const int count : {8, 200}) {
        INFO(count << " slow clients");
        std::vector<std::unique_ptr<Socket>> slow;
        for (int index = 0; index < count; ++index) {
            slow.push_back(std::make_unique<Socket>(fixture.port));
            REQUIRE(slow.back()->connected());
            REQUIRE(slow.back()->send("GET /api/v1/auth/me HTTP/1.1\r\nHost: bantin\r\n"));
        }
        // Two more header lines each, 2 s apart, and a normal request answered every time.
        for (int round = 0; round < 2; ++round) {
            std::this_thread::sleep_for(2s);
            for (auto& socket : slow) socket->send("X-Slow: " + std::to_string(round) + "\r\n");
            CHECK(status_line(fixture.exchange(normal_request)) == "HTTP/1.1 401 Unauthorized");
        }
        // The whole header is bounded (client_header_timeout): every slow client is dropped
        // although it never stopped sending for longer than 2 s.
        std::size_t closed = 0;
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (closed < slow.size() && std::chrono::steady_clock::now() < deadline) {
            for (auto& socket : slow) socket->send("X-Slow: more\r\n");
            std::this_thread::sleep_for(2s);
            closed = 0;
            for (auto& socket : slow) closed += socket->peer_closed() ? 1U : 0U;
        }
        CHECK(closed == slow.size());
    }
    CHECK(status_line(fixture.exchange(normal_request)) == "HTTP/1.1 401 Unauthorized");
}

TEST_CASE("the front refuses ambiguous framing with 400 and closes, and the backend never sees it",
          "[http][front][integration]") {
    FrontFixture fixture;
    const int before = fixture.requests_handled.load();
    bool closed = false;
    const std::string duplicate = fixture.exchange(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: bantin\r\nContent-Type: application/json\r\n"
        "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\n\r\n",
        &closed);
    CHECK(status_line(duplicate) == "HTTP/1.1 400 Bad Request");
    CHECK(closed);
    CHECK(duplicate.find("HTTP/1.1", 8) == std::string::npos);  // no second, smuggled answer

    const std::string both = fixture.exchange(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: bantin\r\nContent-Length: 4\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        &closed);
    CHECK(status_line(both) == "HTTP/1.1 400 Bad Request");
    CHECK(closed);

    const std::string get_body = fixture.exchange(
        "GET /api/v1/auth/me HTTP/1.1\r\nHost: bantin\r\nContent-Length: 38\r\n\r\n"
        "GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\n\r\n",
        &closed);
    CHECK(status_line(get_body) == "HTTP/1.1 400 Bad Request");
    CHECK(closed);
    CHECK(get_body.find("HTTP/1.1", 8) == std::string::npos);

    const std::string huge_get = fixture.exchange(
        "GET /api/v1/auth/me HTTP/1.1\r\nHost: bantin\r\nContent-Length: 100000000000\r\n\r\nxxxx", &closed);
    const std::string huge_status = status_line(huge_get);
    CHECK((huge_status == "HTTP/1.1 400 Bad Request" ||
           huge_status == "HTTP/1.1 413 Request Entity Too Large"));
    CHECK(closed);

    const std::string chunked_get = fixture.exchange(
        "GET /api/v1/auth/me HTTP/1.1\r\nHost: bantin\r\nTransfer-Encoding: "
        "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        &closed);
    CHECK(status_line(chunked_get) == "HTTP/1.1 400 Bad Request");
    CHECK(fixture.requests_handled.load() == before);

    // And a normal request still answers.
    CHECK(status_line(fixture.exchange(normal_request)) == "HTTP/1.1 401 Unauthorized");
}

TEST_CASE("a body over the upload limit is refused with 413 before the backend reads it",
          "[http][front][integration]") {
    FrontFixture fixture;
    const int before = fixture.requests_handled.load();
    // Only the headers are sent: the answer cannot depend on reading the body.
    bool closed = false;
    const std::string refused = fixture.exchange(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: bantin\r\nContent-Type: application/json\r\n"
        "Content-Length: 5000000\r\n\r\n",
        &closed);
    CHECK(status_line(refused) == "HTTP/1.1 413 Request Entity Too Large");
    CHECK(refused.find("\"error\":\"too-large\"") != std::string::npos);
    CHECK(closed);
    CHECK(fixture.requests_handled.load() == before);
}

TEST_CASE("an unauthenticated upload is refused with 401 before nginx reads its body",
          "[http][front][integration]") {
    FrontFixture fixture;
    bool closed = false;
    // 900 KB announced (under the 1 MB limit), none sent: nginx asks the backend about the
    // session first and answers without waiting for the body.
    const std::string refused = fixture.exchange(
        "POST /api/v1/media?name=x.png HTTP/1.1\r\nHost: bantin\r\nContent-Type: image/png\r\n"
        "Content-Length: 900000\r\n\r\n",
        &closed);
    CHECK(status_line(refused) == "HTTP/1.1 401 Unauthorized");
    CHECK(refused.find("\"error\":\"unauthenticated\"") != std::string::npos);
    CHECK(fixture.media_rows() == 0);

    // A reader may list media through the same location, but not upload.
    const std::string token = fixture.sign_in("reader", controller::Role::Operator);
    const std::string listed =
        fixture.exchange("GET /api/v1/media HTTP/1.1\r\nHost: bantin\r\nAuthorization: Bearer " + token +
                         "\r\nConnection: close\r\n\r\n");
    CHECK(status_line(listed) == "HTTP/1.1 200 OK");
    const std::string forbidden =
        fixture.exchange("POST /api/v1/media?name=x.png HTTP/1.1\r\nHost: bantin\r\nAuthorization: Bearer " +
                         token + "\r\nContent-Type: image/png\r\nContent-Length: 900000\r\n\r\n");
    CHECK(status_line(forbidden) == "HTTP/1.1 403 Forbidden");

    // An editor's upload goes through, its body buffered by nginx and handed on whole.
    const std::string editor = fixture.sign_in("writer", controller::Role::Editor);
    const std::string text = "not really a picture";
    const std::string uploaded = fixture.exchange(
        "POST /api/v1/media?name=notes.txt HTTP/1.1\r\nHost: bantin\r\nAuthorization: Bearer " + editor +
        "\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
        std::to_string(text.size()) + "\r\n\r\n" + text);
    // The backend answered (its own verdict on the file type), not the front.
    CHECK(uploaded.find("\"error\":\"unauthenticated\"") == std::string::npos);
    CHECK(uploaded.find("\"error\":\"permission-denied\"") == std::string::npos);
}

TEST_CASE("the API server behind the front listens on 127.0.0.1 only and sees the client's address",
          "[http][front][integration]") {
    FrontFixture fixture;
    const std::uint16_t backend = static_cast<std::uint16_t>(fixture.server->port());
    std::ifstream table("/proc/net/tcp");
    std::string line;
    std::getline(table, line);
    std::vector<std::string> listeners;
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        fields >> slot >> local >> remote >> state;
        const auto colon = local.rfind(':');
        if (state == "0A" && std::stoul(local.substr(colon + 1), nullptr, 16) == backend)
            listeners.push_back(local.substr(0, colon));
    }
    REQUIRE(listeners.size() == 1);
    CHECK(listeners.front() == "0100007F");  // 127.0.0.1
    CHECK(fixture.front->health().up);
    CHECK(media::process_listens_on(fixture.front->pid(), fixture.port));
}

TEST_CASE("the front limits the connections of one client address but not of 127.0.0.1",
          "[http][front][integration]") {
    FrontFixture fixture;  // connections_per_address = 16
    std::vector<std::unique_ptr<Socket>> held;
    for (int index = 0; index < 16; ++index) {
        held.push_back(std::make_unique<Socket>(fixture.port, "127.0.0.2"));
        REQUIRE(held.back()->connected());
        REQUIRE(
            held.back()->send("POST /api/v1/auth/login HTTP/1.1\r\nHost: bantin\r\n"
                              "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"));
    }
    // Each held connection is a request whose body is being read: nginx counts it (limit_conn
    // counts requests past their header; a header still arriving is bounded by
    // client_header_timeout instead). One more from the same address is refused; 127.0.0.1
    // is not limited.
    bool refused = false;
    for (int attempt = 0; attempt < 20 && !refused; ++attempt) {
        Socket extra{fixture.port, "127.0.0.2"};
        REQUIRE(extra.connected());
        REQUIRE(extra.send(normal_request));
        refused = status_line(extra.receive(3000ms)) == "HTTP/1.1 429 Too Many Requests";
    }
    CHECK(refused);
    CHECK(status_line(fixture.exchange(normal_request)) == "HTTP/1.1 401 Unauthorized");
}
