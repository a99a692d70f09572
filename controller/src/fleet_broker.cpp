#include "bantin/controller/fleet_broker.hpp"

#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/district_bridge.hpp"
#include "bantin/protocol/topics.hpp"

#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace bantin::controller {
namespace {

std::string tail_of(const std::filesystem::path& path, std::size_t bytes) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace

// Replaces `path` with `text` through a fresh temporary file beside it, keeping the owner and
// mode the file has now (0600 for a new file): the ingest workers' accounts file.
Result<void> replace_keeping_owner(const std::filesystem::path& path, const std::string& text) {
    struct stat current {};
    const bool exists = ::stat(path.c_str(), &current) == 0;
    const mode_t mode = exists ? (current.st_mode & 07777) : 0600;
    std::string temporary = path.string() + ".XXXXXX";
    const int fd = ::mkstemp(temporary.data());
    if (fd < 0)
        return fail(Errc::Io, path.string() + ": cannot create a temporary file: " + std::strerror(errno));
    auto failed = [&](const std::string& what) -> Result<void> {
        const std::string reason = std::strerror(errno);
        ::close(fd);
        ::unlink(temporary.c_str());
        return fail(Errc::Io, path.string() + ": " + what + ": " + reason);
    };
    if (::fchmod(fd, mode) != 0)
        return failed("cannot set the mode");
    if (exists && (current.st_uid != ::geteuid() || current.st_gid != ::getegid()) &&
        ::fchown(fd, current.st_uid, current.st_gid) != 0)
        return failed("cannot keep the owner");
    std::size_t written = 0;
    while (written < text.size()) {
        const auto result = ::write(fd, text.data() + written, text.size() - written);
        if (result < 0 && errno == EINTR)
            continue;
        if (result < 0)
            return failed("cannot write");
        written += static_cast<std::size_t>(result);
    }
    if (::fsync(fd) != 0)
        return failed("cannot sync");
    ::close(fd);
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(temporary.c_str());
        return fail(Errc::Io, path.string() + ": cannot replace: " + reason);
    }
    const int directory = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
    if (directory >= 0) {
        ::fsync(directory);
        ::close(directory);
    }
    return {};
}

namespace {

// An accounts file of the controller: "<username>:<$7$ hash>" lines, '#' comments. `what`
// names an account in errors ("ingest worker name", "controller name").
Result<std::vector<std::pair<std::string, std::string>>> load_account_lines(const std::filesystem::path& file,
                                                                            const std::string& what) {
    std::vector<std::pair<std::string, std::string>> accounts;
    std::ifstream in(file);
    if (!in) {
        if (!std::filesystem::exists(file))
            return accounts;
        return fail(Errc::Io, file.string() + ": cannot read");
    }
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty() || line.front() == '#')
            continue;
        const auto colon = line.find(':');
        const std::string where = file.string() + ":" + std::to_string(number);
        if (colon == std::string::npos)
            return fail(Errc::InvalidInput, where + ": expected <username>:<$7$ hash>");
        std::pair<std::string, std::string> account{line.substr(0, colon), line.substr(colon + 1)};
        if (auto valid = protocol::validate_id(account.first, what); !valid)
            return fail(Errc::InvalidInput, where + ": " + valid.error().detail);
        if (!account.second.starts_with("$7$"))
            return fail(Errc::InvalidInput, where + ": expected a $7$ hash");
        accounts.push_back(std::move(account));
    }
    return accounts;
}

// Adds `username` with a fresh random password to the accounts file (replaced atomically, 0600)
// and returns the password. `kind` names the account in messages, `header` is the file's first line.
Result<std::string> add_account_line(const std::filesystem::path& file, const std::string& username,
                                     const std::vector<std::string>& taken, const std::string& what,
                                     const std::string& kind, const std::string& header) {
    if (auto valid = protocol::validate_id(username, what); !valid)
        return std::unexpected(valid.error());
    auto accounts = load_account_lines(file, what);
    if (!accounts)
        return std::unexpected(accounts.error());
    for (const auto& account : *accounts)
        if (account.first == username)
            return fail(Errc::AlreadyExists,
                        kind + " \"" + username + "\" already exists in " + file.string());
    if (std::find(taken.begin(), taken.end(), username) != taken.end())
        return fail(Errc::AlreadyExists, "\"" + username +
                                             "\" is already a broker account (the controller, an ingest "
                                             "worker, another controller or a device)");
    const std::string password = generate_device_password();
    auto hash = protocol::hash_broker_password(password);
    if (!hash)
        return std::unexpected(hash.error());
    accounts->emplace_back(username, *hash);
    std::string text = header + "\n";
    for (const auto& account : *accounts) text += account.first + ":" + account.second + "\n";
    std::error_code error;
    std::filesystem::create_directories(file.parent_path(), error);
    if (error)
        return fail(Errc::Io, file.parent_path().string() + ": cannot create: " + error.message());
    if (auto written = replace_keeping_owner(file, text); !written)
        return std::unexpected(written.error());
    return password;
}

}  // namespace

Result<std::vector<IngestWorkerAccount>> load_ingest_workers(const std::filesystem::path& file) {
    auto lines = load_account_lines(file, "ingest worker name");
    if (!lines)
        return std::unexpected(lines.error());
    std::vector<IngestWorkerAccount> workers;
    for (auto& [username, hash] : *lines) workers.push_back(IngestWorkerAccount{username, hash});
    return workers;
}

Result<std::string> add_ingest_worker(const std::filesystem::path& file, const std::string& username,
                                      const std::vector<std::string>& taken) {
    return add_account_line(file, username, taken, "ingest worker name", "ingest worker",
                            "# Proof-of-play ingest worker accounts: <username>:<Mosquitto $7$ hash>.");
}

Result<std::vector<protocol::ControllerAccount>> load_peer_controllers(const std::filesystem::path& file) {
    auto lines = load_account_lines(file, "controller name");
    if (!lines)
        return std::unexpected(lines.error());
    std::vector<protocol::ControllerAccount> peers;
    for (auto& [username, hash] : *lines) peers.push_back(protocol::ControllerAccount{username, hash});
    return peers;
}

Result<std::string> add_peer_controller(const std::filesystem::path& file, const std::string& username,
                                        const std::vector<std::string>& taken) {
    return add_account_line(
        file, username, taken, "controller name", "controller",
        "# The cluster's other controllers' broker accounts: <username>:<Mosquitto $7$ hash>.");
}

namespace {

// The broker accounts that are not devices, each from its file (a file not configured: none).
struct SystemAccounts {
    std::vector<IngestWorkerAccount> workers;
    std::vector<protocol::ControllerAccount> peers;
    std::vector<BridgeRecord> bridges;
};

Result<SystemAccounts> load_system_accounts(const ManagedBrokerOptions& options) {
    SystemAccounts accounts;
    if (!options.ingest_workers_file.empty()) {
        auto workers = load_ingest_workers(options.ingest_workers_file);
        if (!workers)
            return std::unexpected(workers.error());
        accounts.workers = std::move(*workers);
    }
    if (!options.controllers_file.empty()) {
        auto peers = load_peer_controllers(options.controllers_file);
        if (!peers)
            return std::unexpected(peers.error());
        accounts.peers = std::move(*peers);
    }
    if (!options.bridges_file.empty()) {
        auto bridges = load_bridges(options.bridges_file);
        if (!bridges)
            return std::unexpected(bridges.error());
        accounts.bridges = std::move(*bridges);
    }
    return accounts;
}

}  // namespace

Result<std::vector<std::string>> ManagedBroker::reserved_usernames() const {
    auto system = load_system_accounts(m_options);
    if (!system)
        return std::unexpected(system.error());
    std::vector<std::string> names{m_options.controller_username};
    for (const auto& worker : system->workers) names.push_back(worker.username);
    for (const auto& peer : system->peers) names.push_back(peer.username);
    for (const auto& bridge : system->bridges) names.push_back(protocol::bridge_username(bridge.district));
    return names;
}

Result<std::unique_ptr<ManagedBroker>> ManagedBroker::create(ManagedBrokerOptions options) {
    auto hash = protocol::hash_broker_password(options.controller_password);
    if (!hash)
        return std::unexpected(hash.error());
    auto broker = std::unique_ptr<ManagedBroker>(new ManagedBroker(std::move(options), std::move(*hash)));
    broker->m_files = protocol::broker_file_paths(broker->m_options.config);
    return broker;
}

ManagedBroker::~ManagedBroker() {
    stop();
}

namespace {

// Everything the files are made of, in one string: equal accounts write equal files.
std::string accounts_signature(const protocol::BrokerAccounts& accounts) {
    std::string text = accounts.controller.username + ":" + accounts.controller.password_hash + "\n";
    for (const auto& peer : accounts.peer_controllers)
        text += "p " + peer.username + ":" + peer.password_hash + "\n";
    for (const auto& worker : accounts.ingest_workers)
        text += "w " + worker.username + ":" + worker.password_hash + "\n";
    for (const auto& device : accounts.devices) {
        text += "d " + device.device_id + ":" + device.password_hash;
        for (const auto& zone : device.zones) text += " " + zone;
        text += "\n";
    }
    for (const auto& bridge : accounts.bridges) {
        text += "b " + bridge.username + ":" + bridge.password_hash;
        for (const auto& zone : bridge.zones) text += " z" + zone;
        for (const auto& device : bridge.devices) text += " d" + device;
        text += "\n";
    }
    return text;
}

}  // namespace

Result<bool> ManagedBroker::write(const std::vector<protocol::DeviceAccount>& devices) {
    protocol::BrokerAccounts accounts;
    accounts.controller.username = m_options.controller_username;
    accounts.controller.password_hash = m_controller_hash;
    // The accounts that are not devices, set up by an administrator on this machine. Two of them
    // with one name is a configuration error: the files are not written.
    auto system = load_system_accounts(m_options);
    if (!system)
        return std::unexpected(system.error());
    std::set<std::string> reserved{accounts.controller.username};
    auto clash = [&](const std::filesystem::path& file, const std::string& kind, const std::string& name) {
        return fail(Errc::InvalidInput,
                    file.string() + ": " + kind + " \"" + name + "\" has the name of another broker account");
    };
    for (const auto& worker : system->workers)
        if (!reserved.insert(worker.username).second)
            return clash(m_options.ingest_workers_file, "ingest worker", worker.username);
    for (const auto& peer : system->peers)
        if (!reserved.insert(peer.username).second)
            return clash(m_options.controllers_file, "controller", peer.username);
    for (const auto& bridge : system->bridges)
        if (!reserved.insert(protocol::bridge_username(bridge.district)).second)
            return clash(m_options.bridges_file, "bridge", protocol::bridge_username(bridge.district));
    accounts.ingest_workers = std::move(system->workers);
    accounts.peer_controllers = std::move(system->peers);
    // A device never takes a system account's name: one registered through another controller of
    // a cluster (which knows its own accounts only) or written by hand is left out, loudly, and
    // every other account keeps working.
    for (const auto& device : devices) {
        if (reserved.contains(device.device_id)) {
            spdlog::error(
                "broker: thiết bị \"{}\" trùng tên một tài khoản hệ thống, không được đăng nhập; "
                "device \"{}\" has the name of a system account (controller, ingest worker or bridge) "
                "and is left out of the broker files",
                device.device_id, device.device_id);
            continue;
        }
        accounts.devices.push_back(device);
    }
    accounts.bridges = bridge_accounts(system->bridges, accounts.devices);
    const std::string signature = accounts_signature(accounts);
    // Skipped only while the files are still there: one removed by hand is written again.
    std::error_code missing;
    if (signature == m_written_signature && std::filesystem::exists(m_files.password_file, missing) &&
        std::filesystem::exists(m_files.acl_file, missing) &&
        std::filesystem::exists(m_files.config_file, missing))
        return false;
    auto files = protocol::write_broker_files(m_options.config, accounts);
    if (!files)
        return std::unexpected(files.error());
    m_files = *files;
    m_written_signature = signature;
    return true;
}

Result<void> ManagedBroker::start(const std::vector<protocol::DeviceAccount>& devices) {
    std::lock_guard lock{m_mutex};
    if (m_process)
        return fail(Errc::Conflict, "broker already started (pid " + std::to_string(m_process->pid()) + ")");
    // The files come first: the broker reads them at its start, and a restart reads them again.
    if (auto written = write(devices); !written)
        return std::unexpected(written.error());
    media::SupervisedProcessOptions options;
    options.name = "mosquitto";
    options.argv = {m_options.mosquitto_binary.string(), "-c", m_files.config_file.string()};
    options.output_file = m_options.config.directory / "mosquitto.stderr";
    options.ready_timeout = m_options.start_timeout;
    options.listens.push_back(media::ListenPort{m_options.config.bind_address, m_options.config.port});
    if (m_options.config.tls)
        options.listens.push_back(
            media::ListenPort{m_options.config.tls->bind_address, m_options.config.tls->port});
    auto process = std::make_unique<media::SupervisedProcess>(std::move(options));
    if (auto started = process->start(); !started) {
        Error error = started.error();
        if (error.code != Errc::Conflict)
            error.detail += " " + tail_of(m_files.log_file, 1000);
        return std::unexpected(std::move(error));
    }
    m_process = std::move(process);
    return {};
}

void ManagedBroker::stop() {
    std::lock_guard lock{m_mutex};
    if (m_process)
        m_process->stop();
    m_process.reset();
}

media::ProcessHealth ManagedBroker::health() const {
    std::lock_guard lock{m_mutex};
    return m_process ? m_process->health() : media::ProcessHealth{};
}

Result<void> ManagedBroker::apply(const std::vector<protocol::DeviceAccount>& devices) {
    std::lock_guard lock{m_mutex};
    auto written = write(devices);
    if (!written)
        return std::unexpected(written.error());
    if (!*written)
        return {};  // the same accounts as the files have: no rewrite, no reload
    auto reloaded = [&]() -> Result<void> {
        if (m_process) {
            if (const pid_t pid = m_process->pid(); pid > 0)
                return protocol::reload_broker(pid);
            return {};  // down and being restarted: it reads the new files at its start
        }
        auto pid = protocol::read_broker_pid(m_files.pid_file);
        if (!pid)
            return {};  // a broker we do not run and that wrote no pid file: it reads the files at its start
        return protocol::reload_broker(*pid);
    }();
    if (!reloaded)
        m_written_signature.clear();  // the next apply, even with the same accounts, signals again
    return reloaded;
}

std::string ManagedBroker::log_tail() const {
    return tail_of(m_options.config.directory / "mosquitto.stderr", 1000) + tail_of(m_files.log_file, 2000);
}

}  // namespace bantin::controller
