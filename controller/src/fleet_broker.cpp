#include "bantin/controller/fleet_broker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace bantin::controller {
namespace {

bool port_accepts(const std::string& host, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    const std::string target = host == "0.0.0.0" ? "127.0.0.1" : host;
    ::inet_pton(AF_INET, target.c_str(), &address.sin_addr);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

std::string tail_of(const std::filesystem::path& path, std::size_t bytes) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace

Result<std::unique_ptr<ManagedBroker>> ManagedBroker::create(ManagedBrokerOptions options) {
    auto hash = protocol::hash_broker_password(options.controller_password);
    if (!hash)
        return std::unexpected(hash.error());
    return std::unique_ptr<ManagedBroker>(new ManagedBroker(std::move(options), std::move(*hash)));
}

ManagedBroker::~ManagedBroker() {
    stop();
}

Result<void> ManagedBroker::write(const std::vector<protocol::DeviceAccount>& devices) {
    protocol::BrokerAccounts accounts;
    accounts.controller.username = m_options.controller_username;
    accounts.controller.password_hash = m_controller_hash;
    accounts.devices = devices;
    auto files = protocol::write_broker_files(m_options.config, accounts);
    if (!files)
        return std::unexpected(files.error());
    m_files = *files;
    return {};
}

Result<void> ManagedBroker::start(const std::vector<protocol::DeviceAccount>& devices) {
    std::lock_guard lock{m_mutex};
    if (m_pid > 0)
        return fail(Errc::Conflict, "broker already started (pid " + std::to_string(m_pid) + ")");
    if (auto written = write(devices); !written)
        return written;
    const std::filesystem::path output = m_options.config.directory / "mosquitto.stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0640);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string binary = m_options.mosquitto_binary.string();
    std::string flag = "-c";
    std::string config = m_files.config_file.string();
    char* argv[] = {binary.data(), flag.data(), config.data(), nullptr};
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0)
        return fail(Errc::Io, "cannot start " + binary + ": " + std::strerror(spawned));
    m_pid = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            return fail(Errc::Io, binary + " exited during start-up: " + log_tail());
        }
        if (port_accepts(m_options.config.bind_address, m_options.config.port))
            return {};
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return fail(Errc::Timeout, binary + " did not listen on port " + std::to_string(m_options.config.port) +
                                   " within 10 s: " + log_tail());
}

void ManagedBroker::stop() {
    std::lock_guard lock{m_mutex};
    if (m_pid <= 0)
        return;
    ::kill(m_pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(m_pid, &status, WNOHANG) != m_pid) {
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    m_pid = -1;
}

Result<void> ManagedBroker::apply(const std::vector<protocol::DeviceAccount>& devices) {
    std::lock_guard lock{m_mutex};
    if (auto written = write(devices); !written)
        return written;
    if (m_pid > 0)
        return protocol::reload_broker(m_pid);
    auto pid = protocol::read_broker_pid(m_files.pid_file);
    if (!pid)
        return {};  // a broker we do not run and that wrote no pid file: it reads the files at its start
    return protocol::reload_broker(*pid);
}

std::string ManagedBroker::log_tail() const {
    return tail_of(m_options.config.directory / "mosquitto.stderr", 1000) + tail_of(m_files.log_file, 2000);
}

}  // namespace bantin::controller
