// The HTTP front (nginx run by HttpFront) in front of the real API server, on loopback:
//
//   direct_slow8_probes_answered    8 slow clients held on the API server itself (no front), a
//                                   header line every 2 s each; how many of 3 normal requests
//                                   answer within 3 s each (the reason for the front).
//   slow0_probe_p50_ms / _p99_ms    latency of a normal request (GET /api/v1/auth/me, 401, on a
//                                   new connection) through the front, no slow client open.
//   slow_clients_probe_p50_ms / slow_clients_probe_p99_ms
//                                   the same while --slow (1,000) slow connections are open
//                                   through the front, each sending a header line every 2 s
//                                   (one closed by client_header_timeout is opened again).
//   slow_clients_open               slow connections open when the probes ended.
//   api_requests_per_s_front / api_requests_per_s_direct
//                                   an authenticated GET /api/v1/auth/me (bearer token), 4
//                                   keep-alive clients, through the front vs to the API server.
//
//   bench/http_front_bench [--slow N] [--probes P] [--requests R]
//
// Prints name=value lines last.

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/approval.hpp"
#include "bantin/controller/auth.hpp"
#include "bantin/controller/http_front.hpp"
#include "bantin/controller/http_server.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bantin/media/store.hpp"
#include "bench_support.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace bantin;
using namespace bantin::controller;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

const char* const bantin::bench::program_name = "http_front_bench";

namespace {

using bench::die;
using bench::must;

int connect_to(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool send_all(int fd, const std::string& text) {
    return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// One normal request on a new connection; milliseconds until the status line, or -1 when no
// answer came within `timeout`.
double probe(std::uint16_t port, std::chrono::milliseconds timeout) {
    const auto start = Steady::now();
    const int fd = connect_to(port);
    if (fd < 0)
        return -1;
    send_all(fd, "GET /api/v1/auth/me HTTP/1.1\r\nHost: bantin\r\nConnection: close\r\n\r\n");
    std::string answer;
    char buffer[4096];
    while (answer.find("\r\n") == std::string::npos) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(start + timeout - Steady::now());
        pollfd descriptor{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0)
            break;
        const auto got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0)
            break;
        answer.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
    if (!answer.starts_with("HTTP/1.1 401"))
        return -1;
    return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

// Slow clients: each sends a request line, then one header line every 2 s; a connection the
// server closed is opened again so that `count` stay open.
class SlowClients {
public:
    SlowClients(std::uint16_t port, int count) : m_port(port) {
        for (int index = 0; index < count; ++index) m_fds.push_back(open_one());
        m_thread = std::thread([this] { run(); });
    }
    ~SlowClients() {
        m_stop.store(true);
        m_thread.join();
        for (int fd : m_fds)
            if (fd >= 0)
                ::close(fd);
    }
    int open_now() const { return m_open.load(); }

private:
    int open_one() {
        const int fd = connect_to(m_port);
        if (fd >= 0 && !send_all(fd, "GET /api/v1/auth/me HTTP/1.1\r\nHost: bantin\r\n")) {
            ::close(fd);
            return -1;
        }
        return fd;
    }
    static bool closed_by_peer(int fd) {
        pollfd descriptor{fd, POLLIN, 0};
        if (::poll(&descriptor, 1, 0) <= 0)
            return false;
        char buffer[1024];
        return ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) <= 0;
    }
    void run() {
        while (!m_stop.load()) {
            int open = 0;
            for (int& fd : m_fds) {
                if (fd >= 0 && (closed_by_peer(fd) || !send_all(fd, "X-Slow: 1\r\n"))) {
                    ::close(fd);
                    fd = -1;
                }
                if (fd < 0)
                    fd = open_one();
                open += fd >= 0 ? 1 : 0;
            }
            m_open.store(open);
            for (int step = 0; step < 20 && !m_stop.load(); ++step)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    std::uint16_t m_port;
    std::vector<int> m_fds;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_open{0};
    std::thread m_thread;
};

struct Percentiles {
    double p50 = 0;
    double p99 = 0;
    int failed = 0;
};

Percentiles probe_series(std::uint16_t port, int probes) {
    std::vector<double> samples;
    Percentiles result;
    for (int index = 0; index < probes; ++index) {
        const double ms = probe(port, std::chrono::milliseconds(5000));
        if (ms < 0)
            ++result.failed;
        else
            samples.push_back(ms);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (samples.empty())
        return result;
    std::sort(samples.begin(), samples.end());
    auto at = [&](double fraction) {
        const auto index = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1) + 0.5);
        return samples[std::min(index, samples.size() - 1)];
    };
    result.p50 = at(0.50);
    result.p99 = at(0.99);
    return result;
}

double requests_per_second(std::uint16_t port, const std::string& token, int total) {
    constexpr int clients = 4;
    std::atomic<int> failures{0};
    const auto start = Steady::now();
    std::vector<std::thread> threads;
    for (int client = 0; client < clients; ++client)
        threads.emplace_back([&] {
            httplib::Client http("127.0.0.1", port);
            http.set_keep_alive(true);
            const httplib::Headers headers{{"Authorization", "Bearer " + token}};
            for (int index = 0; index < total / clients; ++index) {
                auto response = http.Get("/api/v1/auth/me", headers);
                if (!response || response->status != 200)
                    failures.fetch_add(1);
            }
        });
    for (auto& thread : threads) thread.join();
    const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
    if (failures.load() > 0)
        die("api requests: " + std::to_string(failures.load()) + " failed");
    return (total / clients * clients) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
    int slow = 1000;
    int probes = 200;
    int requests = 4000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const int value = std::atoi(argv[i + 1]);
        if (flag == "--slow")
            slow = value;
        else if (flag == "--probes")
            probes = value;
        else if (flag == "--requests")
            requests = value;
    }
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < static_cast<rlim_t>(slow) + 256)
        die("open file limit " + std::to_string(limit.rlim_cur) + " is below --slow " + std::to_string(slow));

    SystemClock clock;
    std::string pattern = (fs::temp_directory_path() / "bantin-http-front-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        return 1;
    const fs::path directory = pattern;
    config::ControllerConfig config;
    config.storage.data_dir = directory;
    config.http.front = config::HttpFront::Nginx;
    config.http.listen_address = "127.0.0.1";
    config.http.port = bench::free_port();

    auto store = must(SqliteStore::open((directory / "controller.db").string(), clock), "open store");
    AuthPolicy policy;
    policy.cost = PasswordCost::minimum();
    Auth auth{*store, clock, policy};
    must(auth.create_first_admin("admin", "Admin", "bench-password-123"), "create admin");
    ApprovalService approval{*store, clock};
    auto media = must(media::ContentStore::open(directory / "media"), "media store");
    ApiContext context{*store, auth, approval, clock, config, media};
    ApiServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    ApiServer server{options};
    register_content_routes(server, context);
    register_front_routes(server, context);
    const auto backend = static_cast<std::uint16_t>(must(server.start(), "start the API server"));
    auto front = must(HttpFront::start(front_options(config, backend)), "start nginx");
    const auto port = static_cast<std::uint16_t>(config.http.port);

    std::string token;
    {
        httplib::Client http("127.0.0.1", port);
        auto login = http.Post("/api/v1/auth/login",
                               nlohmann::json{{"name", "admin"}, {"password", "bench-password-123"}}.dump(),
                               "application/json");
        if (!login || login->status != 200)
            die("login through the front failed");
        token = nlohmann::json::parse(login->body).at("token").get<std::string>();
    }

    // Without the front: 8 slow clients on the API server itself.
    int direct_answered = 0;
    {
        SlowClients held{backend, 8};
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        for (int index = 0; index < 3; ++index)
            direct_answered += probe(backend, std::chrono::milliseconds(3000)) >= 0 ? 1 : 0;
    }

    const Percentiles quiet = probe_series(port, probes);
    Percentiles loaded;
    int open_at_end = 0;
    {
        SlowClients held{port, slow};
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // every slow client has sent a line
        loaded = probe_series(port, probes);
        open_at_end = held.open_now();
    }
    const double front_rate = requests_per_second(port, token, requests);
    const double direct_rate = requests_per_second(backend, token, requests);
    front->stop();
    server.stop();
    std::error_code ignored;
    fs::remove_all(directory, ignored);

    std::printf("direct_slow8_probes_answered=%d/3\n", direct_answered);
    std::printf("slow0_probe_p50_ms=%.2f\n", quiet.p50);
    std::printf("slow0_probe_p99_ms=%.2f\n", quiet.p99);
    std::printf("slow0_probe_failed=%d\n", quiet.failed);
    std::printf("slow_clients=%d\n", slow);
    std::printf("slow_clients_open=%d\n", open_at_end);
    std::printf("slow_clients_probe_p50_ms=%.2f\n", loaded.p50);
    std::printf("slow_clients_probe_p99_ms=%.2f\n", loaded.p99);
    std::printf("slow_clients_probe_failed=%d\n", loaded.failed);
    std::printf("api_requests_per_s_front=%.0f\n", front_rate);
    std::printf("api_requests_per_s_direct=%.0f\n", direct_rate);
    return 0;
}
