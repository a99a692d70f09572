#pragma once
// A real Mosquitto broker for integration tests, and a small child-process helper for
// driving Debian's mosquitto_pub / mosquitto_sub as third-party clients.
//
// MosquittoBroker writes the configuration Bantin generates (bantin::protocol::
// write_broker_files: password_file + acl_file, persistence on) into a fresh temporary
// directory, picks a free 127.0.0.1 port, runs /usr/sbin/mosquitto in the foreground and
// waits until the port accepts connections. restart() stops and starts it on the same port
// with the same persistence directory; update_devices() rewrites passwd/acl and sends
// SIGHUP. The destructor stops the broker and removes the directory (set
// BANTIN_KEEP_BROKER_DIR=1 to keep it). log() returns the broker's log for failure
// messages: `INFO(broker.log())` before the assertions.
//
// Header-only; link the test with bantin::protocol. Not thread-safe: one test thread.
// Errors come back as bantin::Result (start() fails with the log tail in the detail).

#include "bantin/common/error.hpp"
#include "bantin/protocol/broker_config.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace bantin::test {

inline std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// A child process with stdout and stderr captured to one file. Killed in the destructor.
class ChildProcess {
public:
    ChildProcess() = default;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }
    ChildProcess& operator=(ChildProcess&& other) noexcept {
        if (this != &other) {
            kill_and_wait();
            m_pid = std::exchange(other.m_pid, -1);
            m_output_file = std::move(other.m_output_file);
            m_exit_status = other.m_exit_status;
        }
        return *this;
    }
    ~ChildProcess() { kill_and_wait(); }

    // Starts `arguments[0]` (an absolute path or a name looked up in PATH).
    static Result<ChildProcess> spawn(const std::vector<std::string>& arguments,
                                      const std::filesystem::path& output_file) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        std::vector<char*> argv;
        for (const auto& argument : arguments) {
            argv.push_back(const_cast<char*>(argument.c_str()));
        }
        argv.push_back(nullptr);
        pid_t pid = -1;
        const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            return fail(Errc::Io, "spawn " + arguments[0] + ": " + std::strerror(rc));
        }
        ChildProcess child;
        child.m_pid = pid;
        child.m_output_file = output_file;
        return child;
    }

    pid_t pid() const { return m_pid; }
    bool running() {
        if (m_pid <= 0) {
            return false;
        }
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            m_exit_status = status;
            return false;
        }
        return true;
    }
    // Exit code once exited (128 + signal when killed); nullopt on timeout.
    std::optional<int> wait_for_exit(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (running()) {
            if (std::chrono::steady_clock::now() >= deadline) {
                return std::nullopt;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (WIFSIGNALED(m_exit_status)) {
            return 128 + WTERMSIG(m_exit_status);
        }
        return WEXITSTATUS(m_exit_status);
    }
    void send_signal(int signal_number) {
        if (m_pid > 0) {
            ::kill(m_pid, signal_number);
        }
    }
    void kill_and_wait() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
            m_exit_status = status;
            m_pid = -1;
        }
    }
    std::string output() const { return read_text_file(m_output_file); }

private:
    pid_t m_pid = -1;
    std::filesystem::path m_output_file;
    int m_exit_status = 0;
};

// Runs a command to completion (killed after `timeout`); returns {exit code, output}.
struct CommandResult {
    int exit_code = -1;  // -1: timed out and killed
    std::string output;
};
inline CommandResult run_command(const std::vector<std::string>& arguments,
                                 const std::filesystem::path& output_file,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto child = ChildProcess::spawn(arguments, output_file);
    if (!child) {
        return CommandResult{-1, child.error().message()};
    }
    const auto code = child->wait_for_exit(timeout);
    child->kill_and_wait();
    return CommandResult{code.value_or(-1), child->output()};
}

// A device account of a test broker, with its plain password.
struct TestDevice {
    std::string device_id;
    std::string password;
    std::vector<std::string> zones;
};

struct MosquittoBrokerOptions {
    std::string controller_username = "controller";
    std::string controller_password = "controller-secret";
    std::vector<TestDevice> devices;
    // port 0: picked free; the fixture fills in `port` before writing the config.
    std::optional<protocol::BrokerTlsListener> tls;
    std::uint32_t max_queued_messages = 1000;
    protocol::BrokerLogLevel log_level = protocol::BrokerLogLevel::Debug;
};

class MosquittoBroker {
public:
    explicit MosquittoBroker(MosquittoBrokerOptions options = {}) : m_options(std::move(options)) {
        std::string pattern = (std::filesystem::temp_directory_path() / "bantin-broker-XXXXXX").string();
        if (::mkdtemp(pattern.data()) != nullptr) {
            m_directory = pattern;
        }
        m_port = free_port();
        if (m_options.tls && m_options.tls->port == 0) {
            m_options.tls->port = free_port();
        }
    }
    MosquittoBroker(const MosquittoBroker&) = delete;
    MosquittoBroker& operator=(const MosquittoBroker&) = delete;
    ~MosquittoBroker() {
        stop();
        const char* keep = std::getenv("BANTIN_KEEP_BROKER_DIR");
        if (!m_directory.empty() && (keep == nullptr || std::string(keep) != "1")) {
            std::error_code ignored;
            std::filesystem::remove_all(m_directory, ignored);
        }
    }

    static constexpr const char* kExecutable = "/usr/sbin/mosquitto";

    // A loopback port nobody listens on right now.
    static std::uint16_t free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        socklen_t length = sizeof address;
        std::uint16_t port = 0;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
            port = ntohs(address.sin_port);
        }
        ::close(fd);
        return port;
    }

    static bool port_accepts(std::uint16_t port) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        ::close(fd);
        return ok;
    }

    Result<void> start() {
        if (m_directory.empty() || m_port == 0) {
            return fail(Errc::Io, "test broker: no temporary directory or no free port");
        }
        if (auto written = write_files(); !written) {
            return written;
        }
        auto child = ChildProcess::spawn({kExecutable, "-c", m_files.config_file.string()},
                                         m_directory / "stderr.log");
        if (!child) {
            return std::unexpected(child.error());
        }
        m_process = std::move(*child);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            if (!m_process.running()) {
                return fail(Errc::Io, "test broker exited during start-up:\n" + log());
            }
            if (port_accepts(m_port) && (!m_options.tls || port_accepts(m_options.tls->port))) {
                return {};
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return fail(Errc::Timeout, "test broker did not accept connections on port " +
                                       std::to_string(m_port) + " within 10 s:\n" + log());
    }

    // SIGTERM (Mosquitto saves its persistence file on the way out), SIGKILL after 5 s.
    void stop() {
        if (!m_process.running()) {
            return;
        }
        m_process.send_signal(SIGTERM);
        if (!m_process.wait_for_exit(std::chrono::seconds(5))) {
            m_process.kill_and_wait();
        }
    }

    Result<void> restart() {
        stop();
        return start();
    }

    // Rewrites passwd and acl with these devices and signals the broker to reload them.
    Result<void> update_devices(std::vector<TestDevice> devices) {
        m_options.devices = std::move(devices);
        if (auto written = write_files(); !written) {
            return written;
        }
        return protocol::reload_broker(m_process.pid());
    }

    std::string host() const { return "127.0.0.1"; }
    std::uint16_t port() const { return m_port; }
    std::uint16_t tls_port() const { return m_options.tls ? m_options.tls->port : 0; }
    pid_t pid() const { return m_process.pid(); }
    bool running() { return m_process.running(); }
    const std::filesystem::path& directory() const { return m_directory; }
    const protocol::BrokerFiles& files() const { return m_files; }
    const MosquittoBrokerOptions& options() const { return m_options; }

    // The broker's log file and its stderr, for failure messages.
    std::string log() const {
        return "--- mosquitto.log (" + m_directory.string() + ") ---\n" + read_text_file(m_files.log_file) +
               "--- stderr ---\n" + read_text_file(m_directory / "stderr.log");
    }

private:
    Result<void> write_files() {
        protocol::BrokerConfig config;
        config.directory = m_directory;
        config.port = m_port;
        config.tls = m_options.tls;
        config.max_queued_messages = m_options.max_queued_messages;
        config.run_as_user = ::geteuid() == 0 ? "root" : "";
        config.log_level = m_options.log_level;
        protocol::BrokerAccounts accounts;
        accounts.controller.username = m_options.controller_username;
        auto controller_hash = protocol::hash_broker_password(m_options.controller_password);
        if (!controller_hash) {
            return std::unexpected(controller_hash.error());
        }
        accounts.controller.password_hash = *controller_hash;
        for (const TestDevice& device : m_options.devices) {
            std::string hash;
            if (!device.password.empty()) {
                auto hashed = protocol::hash_broker_password(device.password);
                if (!hashed) {
                    return std::unexpected(hashed.error());
                }
                hash = *hashed;
            }
            accounts.devices.push_back(protocol::DeviceAccount{device.device_id, hash, device.zones});
        }
        auto files = protocol::write_broker_files(config, accounts);
        if (!files) {
            return std::unexpected(files.error());
        }
        m_files = *files;
        return {};
    }

    MosquittoBrokerOptions m_options;
    std::filesystem::path m_directory;
    std::uint16_t m_port = 0;
    protocol::BrokerFiles m_files;
    ChildProcess m_process;
};

}  // namespace bantin::test
