#pragma once
// Raw HTTP/1.1 over a loopback socket, for hostile-input tests: the bytes go out exactly as
// written (httplib::Client would normalise them: one Content-Length, no body on GET...), and
// everything the server answers is read until it closes the connection.
//
// RawExchange::responses() parses the answer as consecutive HTTP responses (status line,
// headers, Content-Length body): a request smuggled inside a refused body shows up as a second
// response. The receive timeout only guards against a hung server; no assertion depends on it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::testing {

struct RawResponse {
    int status = 0;
    std::string head;  // status line and headers
    std::string body;

    // The value of header `name` (case-insensitive), or nullopt.
    std::optional<std::string> header(std::string_view name) const {
        std::size_t at = head.find("\r\n");
        while (at != std::string::npos && at + 2 < head.size()) {
            const std::size_t start = at + 2;
            const std::size_t end = head.find("\r\n", start);
            const std::string line =
                head.substr(start, end == std::string::npos ? std::string::npos : end - start);
            const std::size_t colon = line.find(':');
            if (colon != std::string::npos && colon == name.size()) {
                bool same = true;
                for (std::size_t i = 0; i < colon; ++i)
                    same = same && std::tolower(static_cast<unsigned char>(line[i])) ==
                                       std::tolower(static_cast<unsigned char>(name[i]));
                if (same) {
                    std::size_t value = colon + 1;
                    while (value < line.size() && line[value] == ' ') ++value;
                    return line.substr(value);
                }
            }
            at = end;
        }
        return std::nullopt;
    }
};

struct RawExchange {
    std::string bytes;    // everything the server sent
    bool closed = false;  // the server closed the connection (EOF or reset)

    std::vector<RawResponse> responses() const {
        std::vector<RawResponse> found;
        std::size_t at = 0;
        while (at < bytes.size()) {
            const std::size_t head_end = bytes.find("\r\n\r\n", at);
            if (head_end == std::string::npos || bytes.compare(at, 5, "HTTP/") != 0)
                break;
            RawResponse response;
            response.head = bytes.substr(at, head_end + 2 - at);
            response.status = std::atoi(bytes.c_str() + at + 9);
            std::size_t length = 0;
            if (auto value = response.header("Content-Length"))
                length = static_cast<std::size_t>(std::strtoull(value->c_str(), nullptr, 10));
            response.body = bytes.substr(head_end + 4, length);
            found.push_back(std::move(response));
            at = head_end + 4 + length;
        }
        return found;
    }
};

class RawConnection {
public:
    explicit RawConnection(int port, int guard_seconds = 30) {
        m_socket = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval timeout{guard_seconds, 0};
        ::setsockopt(m_socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(m_socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected = ::connect(m_socket, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~RawConnection() {
        if (m_socket >= 0)
            ::close(m_socket);
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool connected() const { return m_connected; }

    // Sends what it can; a server that closed early makes the rest fail, which is no error here.
    void send(std::string_view bytes) {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            const ssize_t got = ::send(m_socket, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (got <= 0)
                return;
            sent += static_cast<std::size_t>(got);
        }
    }

    // Reads until `responses` complete responses arrived or the server closed.
    RawExchange read_until(std::size_t responses) {
        char buffer[8192];
        while (m_exchange.responses().size() < responses) {
            if (!receive(buffer, sizeof buffer))
                break;
        }
        return m_exchange;
    }

    // Reads until the server closes the connection (or the guard timeout passes).
    RawExchange read_to_close() {
        char buffer[8192];
        while (receive(buffer, sizeof buffer)) {
        }
        return m_exchange;
    }

private:
    bool receive(char* buffer, std::size_t size) {
        const ssize_t got = ::recv(m_socket, buffer, size, 0);
        if (got > 0) {
            m_exchange.bytes.append(buffer, static_cast<std::size_t>(got));
            return true;
        }
        if (got == 0 || errno == ECONNRESET || errno == EPIPE)
            m_exchange.closed = true;
        return false;
    }

    int m_socket = -1;
    bool m_connected = false;
    RawExchange m_exchange;
};

// One request on a new connection, read to the server's close.
inline RawExchange raw_exchange(int port, std::string_view request) {
    RawConnection connection(port);
    if (!connection.connected())
        return {};
    connection.send(request);
    return connection.read_to_close();
}

}  // namespace bantin::testing
