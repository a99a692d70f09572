#include "bantin/media/supervised_process.hpp"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace bantin::media {
namespace {

std::string describe_status(int status) {
    if (WIFEXITED(status))
        return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

void reap(pid_t pid, int* status) {
    while (::waitpid(pid, status, 0) < 0 && errno == EINTR) {
    }
}

std::string tail_of(const std::filesystem::path& path, std::size_t bytes) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    if (all.size() > bytes)
        all = all.substr(all.size() - bytes);
    std::replace(all.begin(), all.end(), '\n', ' ');
    while (!all.empty() && all.back() == ' ') all.pop_back();
    return all;
}

// Inodes of the LISTEN sockets on `port` in /proc/net/tcp and tcp6.
std::set<unsigned long> listening_inodes(std::uint16_t port) {
    std::set<unsigned long> inodes;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
            unsigned long inode = 0;
            if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
                  timeout >> inode))
                continue;
            if (state != "0A")
                continue;
            const auto colon = local.rfind(':');
            if (colon == std::string::npos)
                continue;
            if (std::stoul(local.substr(colon + 1), nullptr, 16) == port)
                inodes.insert(inode);
        }
    }
    return inodes;
}

}  // namespace

bool port_is_free(const std::string& address, std::uint16_t port) {
    sockaddr_in socket_address{};
    socket_address.sin_family = AF_INET;
    socket_address.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &socket_address.sin_addr) != 1)
        return true;  // not an IPv4 address: the listening check after the start still applies
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true;
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    const bool free =
        ::bind(fd, reinterpret_cast<const sockaddr*>(&socket_address), sizeof socket_address) == 0;
    ::close(fd);
    return free;
}

bool process_listens_on(pid_t pid, std::uint16_t port) {
    const auto inodes = listening_inodes(port);
    if (inodes.empty())
        return false;
    const std::string directory = "/proc/" + std::to_string(pid) + "/fd";
    DIR* fds = ::opendir(directory.c_str());
    if (fds == nullptr)
        return false;
    bool found = false;
    while (const dirent* entry = ::readdir(fds)) {
        if (entry->d_name[0] == '.')
            continue;
        char target[64] = {};
        const std::string link = directory + "/" + entry->d_name;
        const auto length = ::readlink(link.c_str(), target, sizeof target - 1);
        if (length <= 0)
            continue;
        const std::string_view text(target, static_cast<std::size_t>(length));
        if (!text.starts_with("socket:[") || !text.ends_with("]"))
            continue;
        const std::string number(text.substr(8, text.size() - 9));
        if (inodes.contains(std::stoul(number))) {
            found = true;
            break;
        }
    }
    ::closedir(fds);
    return found;
}

SupervisedProcess::SupervisedProcess(SupervisedProcessOptions options) : m_options(std::move(options)) {}

SupervisedProcess::~SupervisedProcess() {
    stop();
}

Result<void> SupervisedProcess::start() {
    std::unique_lock lock{m_mutex};
    if (m_started)
        return fail(Errc::Conflict, m_options.name + " already started");
    if (m_options.argv.empty() || m_options.argv.front().find('/') == std::string::npos)
        return fail(Errc::InvalidInput, m_options.name + ": argv[0] must be a path");
    m_started = true;
    m_stopping = false;
    m_first_start.reset();
    m_health = ProcessHealth{};
    m_thread = std::thread([this] { supervise(); });
    m_wake.wait(lock, [this] { return m_first_start.has_value(); });
    if (*m_first_start)
        return {};
    Error error = m_first_start->error();
    lock.unlock();
    m_thread.join();
    lock.lock();
    m_started = false;
    return std::unexpected(std::move(error));
}

void SupervisedProcess::stop() {
    std::unique_lock lock{m_mutex};
    if (!m_started)
        return;
    m_stopping = true;
    const pid_t pid = m_health.pid;
    m_wake.notify_all();
    if (pid > 0)
        ::kill(-pid, SIGTERM);
    const bool exited = m_wake.wait_for(lock, m_options.stop_timeout, [this] { return m_health.pid <= 0; });
    if (!exited && m_health.pid > 0) {
        spdlog::warn("{}: did not stop within {} ms, killing it", m_options.name,
                     m_options.stop_timeout.count());
        ::kill(-m_health.pid, SIGKILL);
    }
    lock.unlock();
    if (m_thread.joinable())
        m_thread.join();
    lock.lock();
    m_started = false;
}

ProcessHealth SupervisedProcess::health() const {
    std::lock_guard lock{m_mutex};
    return m_health;
}

pid_t SupervisedProcess::pid() const {
    std::lock_guard lock{m_mutex};
    return m_health.up ? m_health.pid : -1;
}

Result<void> SupervisedProcess::signal(int number) const {
    std::lock_guard lock{m_mutex};
    if (!m_health.up || m_health.pid <= 0)
        return fail(Errc::Io, m_options.name + " is not running");
    if (::kill(m_health.pid, number) != 0)
        return fail(Errc::Io, m_options.name + ": cannot signal pid " + std::to_string(m_health.pid) + ": " +
                                  std::strerror(errno));
    return {};
}

std::string SupervisedProcess::output_tail(std::size_t bytes) const {
    return tail_of(m_options.output_file, bytes);
}

Result<pid_t> SupervisedProcess::spawn_ready() {
    if (m_options.before_start)
        if (auto prepared = m_options.before_start(); !prepared)
            return std::unexpected(prepared.error());
    for (const auto& listen : m_options.listens)
        if (!port_is_free(listen.address, listen.port))
            return fail(Errc::Conflict, "port " + std::to_string(listen.port) + " on " + listen.address +
                                            " is already in use by another process: " + m_options.name +
                                            " cannot start (cổng đã bị tiến trình khác chiếm)");
    const std::string& program = m_options.argv.front();
    if (::access(program.c_str(), X_OK) != 0)
        return fail(Errc::NotFound, "cannot run " + program + ": " + std::strerror(errno));

    std::vector<char*> arguments;
    for (auto& argument : m_options.argv) arguments.push_back(argument.data());
    arguments.push_back(nullptr);
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
                      (m_health.restarts == 0 && m_health.last_exit.empty() ? O_TRUNC : O_APPEND);
    const int output = ::open(m_options.output_file.c_str(), flags, 0640);
    if (output < 0)
        return fail(Errc::Io, m_options.output_file.string() + ": cannot open: " + std::strerror(errno));
    const int null_input = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const bool raise_limit = m_options.raise_file_limit;
    const pid_t parent = ::getpid();

    const pid_t pid = ::fork();
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(127);
        ::setpgid(0, 0);
        struct sigaction defaults {};
        defaults.sa_handler = SIG_DFL;
        for (int number = 1; number < NSIG; ++number)
            if (number != SIGKILL && number != SIGSTOP)
                ::sigaction(number, &defaults, nullptr);
        sigset_t empty;
        sigemptyset(&empty);
        ::sigprocmask(SIG_SETMASK, &empty, nullptr);
        if (null_input >= 0)
            ::dup2(null_input, STDIN_FILENO);
        ::dup2(output, STDOUT_FILENO);
        ::dup2(output, STDERR_FILENO);
        ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        if (raise_limit) {
            rlimit limit{};
            if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
                limit.rlim_cur = limit.rlim_max;
                ::setrlimit(RLIMIT_NOFILE, &limit);
            }
        }
        ::execv(arguments[0], arguments.data());
        constexpr char message[] = "exec failed\n";
        (void)!::write(STDERR_FILENO, message, sizeof message - 1);
        ::_exit(127);
    }
    const int fork_error = errno;
    ::close(output);
    if (null_input >= 0)
        ::close(null_input);
    if (pid < 0)
        return fail(Errc::Io, "cannot start " + program + ": fork: " + std::strerror(fork_error));
    {
        std::lock_guard lock{m_mutex};
        m_health.pid = pid;
    }
    const auto deadline = std::chrono::steady_clock::now() + m_options.ready_timeout;
    auto give_up = [&](Error error) -> Result<pid_t> {
        ::kill(-pid, SIGKILL);
        int status = 0;
        reap(pid, &status);
        std::lock_guard lock{m_mutex};
        m_health.pid = -1;
        m_wake.notify_all();
        return std::unexpected(std::move(error));
    };
    for (;;) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            std::lock_guard lock{m_mutex};
            m_health.pid = -1;
            m_wake.notify_all();
            return fail(Errc::Io, program + " exited during start-up (" + describe_status(status) +
                                      "): " + tail_of(m_options.output_file, 600));
        }
        const bool listening =
            std::all_of(m_options.listens.begin(), m_options.listens.end(),
                        [&](const ListenPort& listen) { return process_listens_on(pid, listen.port); });
        if (listening)
            return pid;
        {
            std::lock_guard lock{m_mutex};
            if (m_stopping)
                return give_up(Error{Errc::Io, m_options.name + ": stopped during start-up"});
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            std::string ports;
            for (const auto& listen : m_options.listens) ports += " " + std::to_string(listen.port);
            return give_up(Error{Errc::Timeout, program + " did not listen on port" + ports + " within " +
                                                    std::to_string(m_options.ready_timeout.count()) +
                                                    " ms: " + tail_of(m_options.output_file, 600)});
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void SupervisedProcess::supervise() {
    auto first = spawn_ready();
    pid_t pid = -1;
    {
        std::lock_guard lock{m_mutex};
        if (!first) {
            m_health.last_error = first.error().detail;
            m_first_start = std::unexpected(first.error());
            m_wake.notify_all();
            return;
        }
        pid = *first;
        m_health.up = true;
        m_health.pid = pid;
        m_first_start = Result<void>{};
        m_wake.notify_all();
    }
    auto backoff = m_options.restart_min;
    for (;;) {
        const auto started_at = std::chrono::steady_clock::now();
        int status = 0;
        reap(pid, &status);
        const std::string exit = describe_status(status);
        {
            std::lock_guard lock{m_mutex};
            m_health.up = false;
            m_health.pid = -1;
            m_health.last_exit = exit;
            m_wake.notify_all();
            if (m_stopping)
                return;
        }
        if (std::chrono::steady_clock::now() - started_at >= m_options.stable_after)
            backoff = m_options.restart_min;
        spdlog::error(
            "{}: pid {} exited ({}); restarting in {} ms (tiến trình con đã dừng, đang khởi động lại): {}",
            m_options.name, pid, exit, backoff.count(), tail_of(m_options.output_file, 300));
        for (;;) {
            {
                std::unique_lock lock{m_mutex};
                if (m_wake.wait_for(lock, backoff, [this] { return m_stopping; }))
                    return;
            }
            backoff = std::min(backoff * 2, m_options.restart_max);
            auto next = spawn_ready();
            std::lock_guard lock{m_mutex};
            if (next) {
                pid = *next;
                m_health.up = true;
                m_health.pid = pid;
                ++m_health.restarts;
                m_health.last_error.clear();
                spdlog::warn("{}: restarted as pid {} (restart {})", m_options.name, pid, m_health.restarts);
                break;
            }
            m_health.last_error = next.error().detail;
            if (m_stopping)
                return;
            spdlog::error("{}: restart failed: {}; next try in {} ms", m_options.name, next.error().detail,
                          backoff.count());
        }
    }
}

}  // namespace bantin::media
