#pragma once
// A long-running child process the daemon keeps alive: the controller's Mosquitto and its
// nginx front (docs/architecture.md, "Managed children"). run_process (process.hpp) runs a
// program to its end; SupervisedProcess runs one for as long as its owner lives.
//
// Contract:
// - Ports first: before every start, each of `listens` is bind-tested; a port someone else
//   holds fails start() with Errc::Conflict and a one-line detail naming the port ("port 8080
//   on 127.0.0.1 is already in use by another process ..."). After the spawn, start() returns
//   only once every port has a LISTEN socket owned by the very pid it started (read from
//   /proc/net/tcp and /proc/<pid>/fd), so a stale process on the port is never mistaken for
//   our child.
// - Dies with its owner: the child sets PR_SET_PDEATHSIG(SIGKILL) between fork and exec (and
//   exits at once if its parent already died, the getppid() race), and runs in its own
//   process group, so a terminal's Ctrl-C does not reach it before its owner has stopped it.
//   The parent-death signal follows the forking *thread*, so every fork happens on the
//   supervisor thread, which lives until stop(). A child that forks workers of its own must
//   not leave them behind (nginx runs with master_process off for that reason).
// - Restarted: a child that exits while not stopping is logged at error and started again
//   after a back-off (restart_min doubling up to restart_max, back to restart_min once it has
//   stayed up stable_after); before_start runs before every start.
// - health() says at any moment whether it is up, its pid, how many restarts, the last exit.
// - stop(): SIGTERM to the child, SIGKILL after stop_timeout, reaps it; idempotent; the
//   destructor calls it.
//
// Threads: start/stop from one owner thread; health(), pid() and signal() from any thread.
// Errors: Conflict (port taken), NotFound (no such program), Io (fork, files), Timeout (not
// listening within ready_timeout; the detail carries the tail of the output file).

#include "bantin/common/error.hpp"

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace bantin::media {

struct ListenPort {
    std::string address;  // IPv4 dotted quad; "0.0.0.0" for every address
    std::uint16_t port = 0;
};

struct SupervisedProcessOptions {
    std::string name;                   // in logs and errors: "mosquitto", "nginx"
    std::vector<std::string> argv;      // argv[0] must be a path (no PATH lookup)
    std::filesystem::path output_file;  // stdout and stderr (truncated at the first start)
    std::vector<ListenPort> listens;    // must be free before, and ours after, every start
    std::chrono::milliseconds ready_timeout{10000};
    std::chrono::milliseconds restart_min{500};
    std::chrono::milliseconds restart_max{30000};
    std::chrono::milliseconds stable_after{60000};
    std::chrono::milliseconds stop_timeout{5000};
    bool raise_file_limit = false;  // soft RLIMIT_NOFILE = hard limit in the child
    // Runs on the supervisor thread before every start (and restart); an error aborts it.
    std::function<Result<void>()> before_start;
};

struct ProcessHealth {
    bool up = false;
    pid_t pid = -1;
    int restarts = 0;
    std::string last_exit;   // "exit status 1", "killed by signal 9", empty before any exit
    std::string last_error;  // why the last (re)start failed, empty when up
};

class SupervisedProcess {
public:
    explicit SupervisedProcess(SupervisedProcessOptions options);
    ~SupervisedProcess();
    SupervisedProcess(const SupervisedProcess&) = delete;
    SupervisedProcess& operator=(const SupervisedProcess&) = delete;

    // Starts the child and its supervisor; returns once it listens on every port.
    Result<void> start();
    void stop();
    ProcessHealth health() const;
    pid_t pid() const;
    // Sends `number` to the child (SIGHUP to reload). Io when no child runs.
    Result<void> signal(int number) const;
    // The last `bytes` bytes of the output file.
    std::string output_tail(std::size_t bytes = 2000) const;

private:
    Result<pid_t> spawn_ready();
    void supervise();

    SupervisedProcessOptions m_options;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::thread m_thread;
    bool m_stopping = false;
    bool m_started = false;
    std::optional<Result<void>> m_first_start;
    ProcessHealth m_health;
};

// Whether `port` on `address` can be bound now (SO_REUSEADDR, as servers bind).
bool port_is_free(const std::string& address, std::uint16_t port);
// Whether process `pid` owns a listening TCP socket on `port` (any local address).
bool process_listens_on(pid_t pid, std::uint16_t port);

}  // namespace bantin::media
