#pragma once
// A real Icecast server (Debian's icecast2) for stream relay and live broadcast tests, and a
// source that feeds one of its mounts with ffmpeg.
//
// IcecastServer writes a configuration into a fresh temporary directory, picks a free
// 127.0.0.1 port, runs `icecast2 -c` in the foreground and waits until the port accepts
// connections. It is tuned for latency: no burst on connect, a small queue, a source timeout
// of a few seconds, so that a listener hears what the source sends now. icecast2 refuses to
// run as root: as root it changes owner to `nobody` (<changeowner>) and its directory is
// made writable for that user. The destructor stops it and removes the directory
// (BANTIN_KEEP_ICECAST_DIR=1 keeps it); log() returns its error log for failure messages.
//
// IcecastSource runs `ffmpeg -re` from a lavfi source (a sine tone by default) to
// icecast://source:<password>@127.0.0.1:<port>/<mount> as MP3; kill() makes "the source dies
// mid-programme"; the destructor kills it.
//
// Header-only; one test thread. Errors come back as bantin::Result with the log tail.

#include "bantin/common/error.hpp"
#include "support/mosquitto_broker.hpp"

#include <pwd.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace bantin::test {

class IcecastServer {
public:
    static constexpr const char* source_password = "nguon-thu-nghiem";

    IcecastServer() = default;
    IcecastServer(const IcecastServer&) = delete;
    IcecastServer& operator=(const IcecastServer&) = delete;
    ~IcecastServer() { stop(); }

    static bool installed() { return std::filesystem::exists("/usr/bin/icecast2"); }

    Result<void> start() {
        std::string pattern = (std::filesystem::temp_directory_path() / "bantin-icecast-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            return fail(Errc::Io, "mkdtemp for icecast failed");
        m_directory = pattern;
        m_port = MosquittoBroker::free_port();
        const bool as_root = ::geteuid() == 0;
        std::filesystem::create_directories(m_directory / "log");
        if (as_root) {
            // icecast2 drops to `nobody` after reading its configuration; its logs are opened after.
            ::chmod(m_directory.c_str(), 0755);
            ::chmod((m_directory / "log").c_str(), 0777);
        }
        std::ofstream config(m_directory / "icecast.xml");
        config << "<icecast>\n"
               << "  <location>loopback</location><admin>test@localhost</admin>\n"
               << "  <hostname>127.0.0.1</hostname>\n"
               << "  <limits><clients>200</clients><sources>20</sources><queue-size>131072</queue-size>"
               << "<client-timeout>10</client-timeout><header-timeout>5</header-timeout>"
               << "<source-timeout>3</source-timeout><burst-on-connect>0</burst-on-connect>"
               << "<burst-size>0</burst-size></limits>\n"
               << "  <authentication><source-password>" << source_password << "</source-password>"
               << "<relay-password>relay-unused</relay-password><admin-user>admin</admin-user>"
               << "<admin-password>admin-unused</admin-password></authentication>\n"
               << "  <listen-socket><port>" << m_port
               << "</port><bind-address>127.0.0.1</bind-address></listen-socket>\n"
               << "  <fileserve>0</fileserve>\n"
               << "  <paths><basedir>" << m_directory.string() << "</basedir><logdir>"
               << (m_directory / "log").string() << "</logdir><webroot>/usr/share/icecast2/web</webroot>"
               << "<adminroot>/usr/share/icecast2/admin</adminroot></paths>\n"
               << "  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog>"
               << "<loglevel>3</loglevel></logging>\n"
               << "  <security><chroot>0</chroot>"
               << (as_root ? "<changeowner><user>nobody</user><group>nogroup</group></changeowner>" : "")
               << "</security>\n"
               << "</icecast>\n";
        config.close();
        auto process = ChildProcess::spawn(
            {"/usr/bin/icecast2", "-c", (m_directory / "icecast.xml").string()}, m_directory / "icecast.out");
        if (!process)
            return std::unexpected(process.error());
        m_process = std::move(*process);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!MosquittoBroker::port_accepts(m_port)) {
            if (!m_process.running() || std::chrono::steady_clock::now() > deadline)
                return fail(Errc::Io, "icecast2 did not start: " + m_process.output() + log());
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return {};
    }

    void stop() {
        m_process.kill_and_wait();
        if (!m_directory.empty()) {
            const char* keep = std::getenv("BANTIN_KEEP_ICECAST_DIR");
            std::error_code ignored;
            if (keep == nullptr || *keep == '\0')
                std::filesystem::remove_all(m_directory, ignored);
            m_directory.clear();
        }
    }

    std::uint16_t port() const { return m_port; }
    // What a listener opens.
    std::string url(const std::string& mount) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + "/" + mount;
    }
    // What a source publishes to (ffmpeg's icecast protocol).
    std::string source_url(const std::string& mount) const {
        return "icecast://source:" + std::string{source_password} + "@127.0.0.1:" + std::to_string(m_port) +
               "/" + mount;
    }
    std::string log() const { return read_text_file(m_directory / "log" / "error.log"); }

    // Whether a listener of `mount` gets audio bytes now (a GET that answers 200 and a body).
    bool mount_live(const std::string& mount) const {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(m_port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        timeval timeout{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        bool live = false;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
            const std::string request = "GET /" + mount + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
            ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
            std::string answer;
            char buffer[4096];
            while (answer.size() < 8192) {
                const auto got = ::recv(fd, buffer, sizeof buffer, 0);
                if (got <= 0)
                    break;
                answer.append(buffer, static_cast<std::size_t>(got));
            }
            const auto head_end = answer.find("\r\n\r\n");
            live = answer.starts_with("HTTP/1.0 200") && head_end != std::string::npos &&
                   answer.size() > head_end + 4 + 1024;
        }
        ::close(fd);
        return live;
    }

    // Waits until the mount plays (true) or `timeout` passes (false).
    bool wait_for_mount(const std::string& mount, std::chrono::milliseconds timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (mount_live(mount))
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

private:
    std::filesystem::path m_directory;
    std::uint16_t m_port = 0;
    ChildProcess m_process;
};

// ffmpeg feeding a mount in real time from a lavfi source.
class IcecastSource {
public:
    static Result<IcecastSource> start(const IcecastServer& server, const std::string& mount,
                                       const std::filesystem::path& log_file,
                                       const std::string& lavfi = "sine=frequency=440:sample_rate=44100") {
        auto process = ChildProcess::spawn({"ffmpeg",     "-nostdin", "-loglevel", "warning",
                                            "-re",        "-f",       "lavfi",     "-i",
                                            lavfi,        "-ac",      "1",         "-c:a",
                                            "libmp3lame", "-b:a",     "64k",       "-content_type",
                                            "audio/mpeg", "-f",       "mp3",       server.source_url(mount)},
                                           log_file);
        if (!process)
            return std::unexpected(process.error());
        IcecastSource source;
        source.m_process = std::move(*process);
        return source;
    }
    bool running() { return m_process.running(); }
    // The source dies (as a station's encoder does): no goodbye to the server.
    void kill() { m_process.kill_and_wait(); }
    std::string output() const { return m_process.output(); }

private:
    ChildProcess m_process;
};

}  // namespace bantin::test
