#include "bantin/media/process.hpp"

#include "bantin/common/file_descriptor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include <algorithm>
#include <utility>

extern char** environ;

namespace bantin::media {

namespace {

class SpawnActions {
public:
    SpawnActions() { posix_spawn_file_actions_init(&m_actions); }
    ~SpawnActions() { posix_spawn_file_actions_destroy(&m_actions); }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
    posix_spawn_file_actions_t* get() { return &m_actions; }

private:
    posix_spawn_file_actions_t m_actions;
};

class SpawnAttributes {
public:
    SpawnAttributes() { posix_spawnattr_init(&m_attributes); }
    ~SpawnAttributes() { posix_spawnattr_destroy(&m_attributes); }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
    posix_spawnattr_t* get() { return &m_attributes; }

private:
    posix_spawnattr_t m_attributes;
};

std::string last_line(const std::string& text) {
    std::string_view view{text};
    while (!view.empty() && (view.back() == '\n' || view.back() == '\r' || view.back() == ' ')) {
        view.remove_suffix(1);
    }
    const auto newline = view.rfind('\n');
    if (newline != std::string_view::npos) {
        view.remove_prefix(newline + 1);
    }
    if (view.size() > 300) {
        view = view.substr(view.size() - 300);
    }
    return std::string{view};
}

void reap(pid_t pid, int* status) {
    while (::waitpid(pid, status, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace

std::string ProcessResult::describe() const {
    std::string text;
    if (signal != 0) {
        text = "killed by signal " + std::to_string(signal);
    } else {
        text = "exit status " + std::to_string(exit_code);
    }
    const std::string tail = last_line(standard_error);
    if (!tail.empty()) {
        text += ": " + tail;
    }
    return text;
}

Result<ProcessResult> run_process(const ProcessRequest& request) {
    if (request.argv.empty() || request.argv.front().empty()) {
        return fail(Errc::InvalidInput, "run_process: empty argument vector");
    }
    const std::string& program = request.argv.front();

    int output_pipe[2];
    int error_pipe[2];
    if (::pipe2(output_pipe, O_CLOEXEC) != 0) {
        return fail(Errc::Io, std::string{"pipe: "} + std::strerror(errno));
    }
    FileDescriptor output_read{output_pipe[0]};
    FileDescriptor output_write{output_pipe[1]};
    if (::pipe2(error_pipe, O_CLOEXEC) != 0) {
        return fail(Errc::Io, std::string{"pipe: "} + std::strerror(errno));
    }
    FileDescriptor error_read{error_pipe[0]};
    FileDescriptor error_write{error_pipe[1]};

    const std::string input_path = request.stdin_file ? request.stdin_file->string() : "/dev/null";
    if (::access(input_path.c_str(), R_OK) != 0) {
        return fail(Errc::Io, "cannot read stdin file " + input_path + ": " + std::strerror(errno));
    }

    SpawnActions actions;
    posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, input_path.c_str(), O_RDONLY, 0);
    // dup2 clears close-on-exec on the child's copy; the originals close at exec.
    posix_spawn_file_actions_adddup2(actions.get(), output_write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(actions.get(), error_write.get(), STDERR_FILENO);

    // The child starts with default signal dispositions and an empty mask, whatever the
    // daemon has blocked or ignored (SIGPIPE, SIGTERM handlers).
    SpawnAttributes attributes;
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGHUP);
    sigaddset(&defaults, SIGCHLD);
    sigset_t empty_mask;
    sigemptyset(&empty_mask);
    posix_spawnattr_setsigdefault(attributes.get(), &defaults);
    posix_spawnattr_setsigmask(attributes.get(), &empty_mask);
    posix_spawnattr_setflags(attributes.get(),
                             static_cast<short>(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));

    std::vector<char*> arguments;
    arguments.reserve(request.argv.size() + 1);
    for (const std::string& argument : request.argv) {
        arguments.push_back(const_cast<char*>(argument.c_str()));
    }
    arguments.push_back(nullptr);

    pid_t pid = 0;
    const int spawn_error =
        ::posix_spawnp(&pid, program.c_str(), actions.get(), attributes.get(), arguments.data(), environ);
    if (spawn_error != 0) {
        return fail(spawn_error == ENOENT ? Errc::NotFound : Errc::Io,
                    "cannot run " + program + ": " + std::strerror(spawn_error));
    }
    output_write.close();
    error_write.close();

    ProcessResult result;
    const auto deadline = std::chrono::steady_clock::now() + request.timeout;
    bool output_open = true;
    bool error_open = true;
    bool timed_out = false;
    char buffer[16 * 1024];

    while (output_open || error_open) {
        const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (remaining.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd descriptors[2];
        nfds_t count = 0;
        if (output_open) {
            descriptors[count++] = pollfd{output_read.get(), POLLIN, 0};
        }
        if (error_open) {
            descriptors[count++] = pollfd{error_read.get(), POLLIN, 0};
        }
        const int ready =
            ::poll(descriptors, count, static_cast<int>(std::min<long long>(remaining.count(), 1000)));
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (nfds_t index = 0; index < count; ++index) {
            if ((descriptors[index].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            const bool is_output = descriptors[index].fd == output_read.get();
            const ssize_t got = ::read(descriptors[index].fd, buffer, sizeof buffer);
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got <= 0) {
                (is_output ? output_open : error_open) = false;
                continue;
            }
            std::string& sink = is_output ? result.standard_output : result.standard_error;
            const std::size_t room =
                sink.size() < request.max_output_bytes ? request.max_output_bytes - sink.size() : 0;
            const std::size_t take = std::min(room, static_cast<std::size_t>(got));
            sink.append(buffer, take);
            if (take < static_cast<std::size_t>(got)) {
                result.output_truncated = true;
            }
        }
    }

    int status = 0;
    if (timed_out) {
        ::kill(pid, SIGKILL);
        reap(pid, &status);
        std::string detail = program + " did not finish within " + std::to_string(request.timeout.count()) +
                             " ms and was killed";
        const std::string tail = last_line(result.standard_error);
        if (!tail.empty()) {
            detail += " (last stderr: " + tail + ")";
        }
        return fail(Errc::Timeout, std::move(detail));
    }
    // Both pipes are closed: the child has exited or closed them; wait for it, but still
    // within the deadline in case it closed its output and kept running.
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            break;
        }
        if (done < 0 && errno != EINTR) {
            return fail(Errc::Io, std::string{"waitpid: "} + std::strerror(errno));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            reap(pid, &status);
            return fail(Errc::Timeout, program + " did not exit within " +
                                           std::to_string(request.timeout.count()) + " ms and was killed");
        }
        ::usleep(2000);
    }
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
    return result;
}

}  // namespace bantin::media
