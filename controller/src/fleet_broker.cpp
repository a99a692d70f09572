#include "bantin/controller/fleet_broker.hpp"

#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/district_bridge.hpp"
#include "bantin/protocol/topics.hpp"

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

Result<std::vector<IngestWorkerAccount>> load_ingest_workers(const std::filesystem::path& file) {
    std::vector<IngestWorkerAccount> workers;
    std::ifstream in(file);
    if (!in) {
        if (!std::filesystem::exists(file))
            return workers;
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
        IngestWorkerAccount worker{line.substr(0, colon), line.substr(colon + 1)};
        if (auto valid = protocol::validate_id(worker.username, "ingest worker name"); !valid)
            return fail(Errc::InvalidInput, where + ": " + valid.error().detail);
        if (!worker.password_hash.starts_with("$7$"))
            return fail(Errc::InvalidInput, where + ": expected a $7$ hash");
        workers.push_back(std::move(worker));
    }
    return workers;
}

Result<std::string> add_ingest_worker(const std::filesystem::path& file, const std::string& username,
                                      const std::vector<std::string>& taken) {
    if (auto valid = protocol::validate_id(username, "ingest worker name"); !valid)
        return std::unexpected(valid.error());
    auto workers = load_ingest_workers(file);
    if (!workers)
        return std::unexpected(workers.error());
    for (const auto& worker : *workers)
        if (worker.username == username)
            return fail(Errc::AlreadyExists,
                        "ingest worker \"" + username + "\" already exists in " + file.string());
    if (std::find(taken.begin(), taken.end(), username) != taken.end())
        return fail(Errc::AlreadyExists,
                    "\"" + username + "\" is already a broker account (the controller or a device)");
    const std::string password = generate_device_password();
    auto hash = protocol::hash_broker_password(password);
    if (!hash)
        return std::unexpected(hash.error());
    std::string text = "# Proof-of-play ingest worker accounts: <username>:<Mosquitto $7$ hash>.\n";
    workers->push_back(IngestWorkerAccount{username, *hash});
    for (const auto& worker : *workers) text += worker.username + ":" + worker.password_hash + "\n";
    std::error_code error;
    std::filesystem::create_directories(file.parent_path(), error);
    if (error)
        return fail(Errc::Io, file.parent_path().string() + ": cannot create: " + error.message());
    if (auto written = replace_keeping_owner(file, text); !written)
        return std::unexpected(written.error());
    return password;
}

Result<std::vector<std::string>> ManagedBroker::reserved_usernames() const {
    std::vector<std::string> names{m_options.controller_username};
    auto workers = m_options.ingest_workers_file.empty() ? Result<std::vector<IngestWorkerAccount>>{}
                                                         : load_ingest_workers(m_options.ingest_workers_file);
    if (!workers)
        return std::unexpected(workers.error());
    for (const auto& worker : *workers) names.push_back(worker.username);
    if (m_options.bridges_file.empty())
        return names;
    auto bridges = load_bridges(m_options.bridges_file);
    if (!bridges)
        return std::unexpected(bridges.error());
    for (const auto& bridge : *bridges) names.push_back(protocol::bridge_username(bridge.district));
    return names;
}

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
    if (!m_options.ingest_workers_file.empty()) {
        auto loaded = load_ingest_workers(m_options.ingest_workers_file);
        if (!loaded)
            return std::unexpected(loaded.error());
        accounts.ingest_workers = std::move(*loaded);
        std::set<std::string> names{accounts.controller.username};
        for (const auto& device : devices) names.insert(device.device_id);
        for (const auto& worker : accounts.ingest_workers)
            if (!names.insert(worker.username).second)
                return fail(Errc::InvalidInput, m_options.ingest_workers_file.string() +
                                                    ": ingest worker \"" + worker.username +
                                                    "\" has the name of another broker account");
    }
    if (!m_options.bridges_file.empty()) {
        auto bridges = load_bridges(m_options.bridges_file);
        if (!bridges)
            return std::unexpected(bridges.error());
        accounts.bridges = bridge_accounts(*bridges, devices);
        // validate_accounts refuses a bridge named like another account.
    }
    auto files = protocol::write_broker_files(m_options.config, accounts);
    if (!files)
        return std::unexpected(files.error());
    m_files = *files;
    return {};
}

Result<void> ManagedBroker::start(const std::vector<protocol::DeviceAccount>& devices) {
    std::lock_guard lock{m_mutex};
    if (m_process)
        return fail(Errc::Conflict, "broker already started (pid " + std::to_string(m_process->pid()) + ")");
    // The files come first: the broker reads them at its start, and a restart reads them again.
    if (auto written = write(devices); !written)
        return written;
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
    if (auto written = write(devices); !written)
        return written;
    if (m_process) {
        if (const pid_t pid = m_process->pid(); pid > 0)
            return protocol::reload_broker(pid);
        return {};  // down and being restarted: it reads the new files at its start
    }
    auto pid = protocol::read_broker_pid(m_files.pid_file);
    if (!pid)
        return {};  // a broker we do not run and that wrote no pid file: it reads the files at its start
    return protocol::reload_broker(*pid);
}

std::string ManagedBroker::log_tail() const {
    return tail_of(m_options.config.directory / "mosquitto.stderr", 1000) + tail_of(m_files.log_file, 2000);
}

}  // namespace bantin::controller
