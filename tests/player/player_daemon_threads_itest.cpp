// The player's worker threads against the race class of a stop that comes before the thread
// really started (seen in cpp-httplib: such a stop is lost and the join waits forever). Each
// stop here is a level (a cancelled token, a flag) that the thread reads when it gets to it,
// never a one-shot signal to a thread that must already be waiting; these tests stop threads
// at every point of their start, many times, and finish only if no stop is lost.
#include "bantin/player/bundle_intake.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

using namespace bantin;

namespace {

// A loopback port that takes connections (the kernel completes them) and never answers: a
// download from it stays in progress until it is cancelled.
class SilentListener {
public:
    SilentListener() {
        m_socket = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(m_socket >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        REQUIRE(::bind(m_socket, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(m_socket, 1024) == 0);
        socklen_t length = sizeof address;
        REQUIRE(::getsockname(m_socket, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        m_port = ntohs(address.sin_port);
    }
    ~SilentListener() { ::close(m_socket); }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    std::uint16_t port() const { return m_port; }

private:
    int m_socket = -1;
    std::uint16_t m_port = 0;
};

}  // namespace

TEST_CASE("a media download stopped at any point of its start is never lost: 100 start and stop pairs return",
          "[player][daemon][threads]") {
    const auto root = std::filesystem::temp_directory_path() /
                      ("bantin-downloader-" + std::to_string(std::random_device{}()));
    auto store = media::ContentStore::open(root);
    REQUIRE(store);
    SilentListener silent;
    media::FetchOptions options;
    // Long enough that only a cancellation can end a round within the test's time.
    options.connect_timeout = std::chrono::minutes{5};
    options.low_speed_window = std::chrono::minutes{5};
    const std::vector<media::FetchRequest> requests{
        {"http://127.0.0.1:" + std::to_string(silent.port()) + "/media/x", std::string(64, 'a'), 1000}};
    int wakes = 0;
    for (int round = 0; round < 100; ++round) {
        player::MediaDownloader downloader(*store, options, nullptr, [&wakes] { ++wakes; });
        downloader.start(requests);
        CHECK(downloader.busy());
        // Destroyed at once: the cancellation comes before, while or after the thread starts
        // (the rounds fall differently on a loaded machine); the destructor cancels and joins.
    }
    // Every round ended (by its cancellation) and said so once.
    CHECK(wakes == 100);
    std::filesystem::remove_all(root);
}
