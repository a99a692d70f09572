#pragma once
// A real PostgreSQL server (Debian's postgresql-15) for the store's second backend and for the
// tests of several controllers on one database.
//
// PostgresServer runs `initdb` into a fresh temporary directory (trust authentication on
// 127.0.0.1 only, one superuser `bantin`, UTF-8, no fsync: a test's data need not outlive the
// machine), starts `postgres` in the foreground on a free 127.0.0.1 port with its socket in that
// directory, and waits until it accepts queries. initdb and postgres refuse to run as root: as
// root both run as the `postgres` user the package creates, and the directory is made theirs.
// The server gets SIGINT (a fast shutdown) when the test process dies, so a killed test leaves
// no server behind (Linux ties that to the thread that started it: start it from the test's
// main thread, not from a thread that ends before the test does). stop() (and the destructor) shut it down
// and remove the directory (BANTIN_KEEP_POSTGRES_DIR=1 keeps it); log() returns its log for failure messages.
//
// shared() is the one server of a test process, started on first use: a test asks it for a
// fresh database (create_database) instead of a server of its own, so the PostgreSQL runs of a
// suite cost one initdb (about a second) and a CREATE DATABASE per test case.
//
// Header-only. Errors come back as bantin::Result with the log tail.

#include "bantin/common/error.hpp"
#include "support/mosquitto_broker.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace bantin::test {

class PostgresServer {
public:
    static constexpr const char* superuser = "bantin";

    PostgresServer() = default;
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;
    ~PostgresServer() { stop(); }

    // The directory of the newest installed PostgreSQL's programs ("" when none is installed).
    static std::filesystem::path binaries() {
        std::filesystem::path best;
        int best_version = 0;
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
            const auto name = entry.path().filename().string();
            const int version = std::atoi(name.c_str());
            if (version > best_version && std::filesystem::exists(entry.path() / "bin" / "initdb")) {
                best_version = version;
                best = entry.path() / "bin";
            }
        }
        return best;
    }
    static bool installed() { return !binaries().empty(); }

    // The server of this test process, started on first use (an error when it cannot start).
    static Result<PostgresServer*> shared() {
        static std::mutex mutex;
        static std::optional<PostgresServer> server;
        static std::optional<Error> failure;
        std::lock_guard lock{mutex};
        if (failure)
            return std::unexpected(*failure);
        if (!server) {
            server.emplace();
            if (auto started = server->start(); !started) {
                failure = started.error();
                server.reset();
                return std::unexpected(*failure);
            }
        }
        return &*server;
    }

    Result<void> start() {
        m_bin = binaries();
        if (m_bin.empty())
            return fail(Errc::Io, "PostgreSQL is not installed (apt install postgresql-15)");
        std::string pattern = (std::filesystem::temp_directory_path() / "bantin-pg-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            return fail(Errc::Io, "mkdtemp for postgres failed");
        m_directory = pattern;
        if (::geteuid() == 0) {
            const passwd* account = ::getpwnam("postgres");
            if (account == nullptr)
                return fail(Errc::Io, "running as root and there is no `postgres` user to run PostgreSQL as");
            m_uid = account->pw_uid;
            m_gid = account->pw_gid;
            if (::chown(m_directory.c_str(), m_uid, m_gid) != 0)
                return fail(Errc::Io, "chown " + m_directory.string() + " to postgres failed");
        }
        const auto data = (m_directory / "data").string();
        auto initdb = run_and_wait({(m_bin / "initdb").string(), "-D", data, "-U", superuser, "--auth=trust",
                                    "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                                   m_directory / "initdb.log", std::chrono::seconds(60));
        if (!initdb)
            return std::unexpected(initdb.error());
        if (*initdb != 0)
            return fail(Errc::Io, "initdb failed (" + std::to_string(*initdb) +
                                      "): " + read_text_file(m_directory / "initdb.log"));
        m_port = MosquittoBroker::free_port();
        auto started = spawn({(m_bin / "postgres").string(),
                              "-D",
                              data,
                              "-p",
                              std::to_string(m_port),
                              "-k",
                              m_directory.string(),
                              "-c",
                              "listen_addresses=127.0.0.1",
                              "-c",
                              "fsync=off",
                              "-c",
                              "synchronous_commit=off",
                              "-c",
                              "full_page_writes=off",
                              "-c",
                              "max_connections=300",
                              "-c",
                              "shared_buffers=32MB",
                              "-c",
                              "log_min_messages=warning"},
                             m_directory / "postgres.log");
        if (!started)
            return std::unexpected(started.error());
        m_pid = *started;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        for (;;) {
            auto ready = run_and_wait({(m_bin / "pg_isready").string(), "-q", "-h", "127.0.0.1", "-p",
                                       std::to_string(m_port), "-U", superuser, "-d", "postgres"},
                                      m_directory / "isready.log", std::chrono::seconds(10), false);
            if (ready && *ready == 0)
                return {};
            if (!running() || std::chrono::steady_clock::now() > deadline)
                return fail(Errc::Io, "postgres did not start: " + log());
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    // A fast shutdown (SIGINT: sessions are ended, the data is kept), then SIGKILL after 15 s.
    void stop() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGINT);
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
            while (running() && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (m_pid > 0) {
                ::kill(m_pid, SIGKILL);
                int status = 0;
                ::waitpid(m_pid, &status, 0);
                m_pid = -1;
            }
        }
        if (!m_directory.empty()) {
            const char* keep = std::getenv("BANTIN_KEEP_POSTGRES_DIR");
            std::error_code ignored;
            if (keep == nullptr || *keep == '\0')
                std::filesystem::remove_all(m_directory, ignored);
            m_directory.clear();
        }
    }

    bool running() {
        if (m_pid <= 0)
            return false;
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            return false;
        }
        return true;
    }

    std::uint16_t port() const { return m_port; }
    pid_t pid() const { return m_pid; }
    // A libpq connection string for `database` as the superuser.
    std::string conninfo(const std::string& database) const {
        return "host=127.0.0.1 port=" + std::to_string(m_port) + " dbname=" + database +
               " user=" + superuser + " connect_timeout=10";
    }
    std::string log() const { return read_text_file(m_directory / "postgres.log"); }

    // A fresh empty database with a name no other caller of this server got; returns the name.
    Result<std::string> create_database(const std::string& prefix = "bantin_test") {
        static std::atomic<int> counter{0};
        const auto name = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
        auto created = psql("postgres", "CREATE DATABASE " + name);
        if (!created)
            return std::unexpected(created.error());
        return name;
    }

    // Runs SQL with psql against `database`; returns its unaligned, tuples-only output.
    Result<std::string> psql(const std::string& database, const std::string& sql) {
        static std::atomic<int> counter{0};
        const auto output = m_directory / ("psql-" + std::to_string(++counter) + ".out");
        auto exit_code = run_and_wait(
            {(m_bin / "psql").string(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", std::to_string(m_port), "-U", superuser, "-d", database, "-c", sql},
            output, std::chrono::seconds(60), false);
        if (!exit_code)
            return std::unexpected(exit_code.error());
        auto text = read_text_file(output);
        std::error_code ignored;
        std::filesystem::remove(output, ignored);
        if (*exit_code != 0)
            return fail(Errc::Io, "psql failed (" + std::to_string(*exit_code) + "): " + sql + ": " + text);
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        return text;
    }

private:
    // Starts a program with its output in `output_file`; as root with the postgres user's ids
    // when `as_server_user`. The child gets SIGINT when this process dies.
    Result<pid_t> spawn(const std::vector<std::string>& arguments, const std::filesystem::path& output_file,
                        bool as_server_user = true) {
        std::vector<char*> argv;
        for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
        argv.push_back(nullptr);
        const bool switch_user = as_server_user && m_uid != 0;
        const uid_t uid = m_uid;
        const gid_t gid = m_gid;
        const pid_t parent = ::getpid();
        const std::string output = output_file.string();
        const pid_t pid = ::fork();
        if (pid < 0)
            return fail(Errc::Io, "fork failed");
        if (pid == 0) {
            // Only async-signal-safe calls until exec.
            const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (out < 0 || in < 0)
                ::_exit(126);
            if (switch_user && (::fchown(out, uid, gid) != 0 || ::setgroups(0, nullptr) != 0 ||
                                ::setgid(gid) != 0 || ::setuid(uid) != 0))
                ::_exit(126);
            ::dup2(in, 0);
            ::dup2(out, 1);
            ::dup2(out, 2);
            ::prctl(PR_SET_PDEATHSIG, SIGINT);
            if (::getppid() != parent)
                ::_exit(125);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        return pid;
    }

    Result<int> run_and_wait(const std::vector<std::string>& arguments,
                             const std::filesystem::path& output_file, std::chrono::seconds timeout,
                             bool as_server_user = true) {
        auto pid = spawn(arguments, output_file, as_server_user);
        if (!pid)
            return std::unexpected(pid.error());
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int status = 0;
            const pid_t done = ::waitpid(*pid, &status, WNOHANG);
            if (done == *pid)
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(*pid, SIGKILL);
                ::waitpid(*pid, &status, 0);
                return fail(Errc::Timeout, arguments[0] + " did not finish in time");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    std::filesystem::path m_bin;
    std::filesystem::path m_directory;
    std::uint16_t m_port = 0;
    pid_t m_pid = -1;
    uid_t m_uid = 0;
    gid_t m_gid = 0;
};

}  // namespace bantin::test
