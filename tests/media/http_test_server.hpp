#pragma once
// A cpp-httplib server on a free 127.0.0.1 port, run on its own thread for one test.
// Handlers run on the server's worker threads.

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

namespace bantin::media::testing {

class HttpTestServer {
public:
    HttpTestServer() = default;
    HttpTestServer(const HttpTestServer&) = delete;
    HttpTestServer& operator=(const HttpTestServer&) = delete;
    ~HttpTestServer() { stop(); }

    httplib::Server& routes() { return m_server; }

    // Call after the routes are set.
    void start() {
        m_port = m_server.bind_to_any_port("127.0.0.1");
        m_thread = std::thread([this] { m_server.listen_after_bind(); });
        while (!m_server.is_running()) {
            std::this_thread::sleep_for(std::chrono::milliseconds{2});
        }
    }
    void stop() {
        if (m_thread.joinable()) {
            m_server.stop();
            m_thread.join();
        }
    }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + path;
    }

private:
    httplib::Server m_server;
    std::thread m_thread;
    int m_port = 0;
};

}  // namespace bantin::media::testing
