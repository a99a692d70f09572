#pragma once
// Runs a program as a child process: argument vector (never a shell), stdin from a file or
// /dev/null, stdout and stderr captured, a timeout after which the child is killed.
//
// Lifecycle: `run_process` blocks the calling thread until the child exits or the timeout
// passes, and always reaps the child. Any thread may call it; children inherit no Bantin file
// descriptor (every descriptor the module opens is close-on-exec). The timeout is measured on
// the OS monotonic clock because it bounds a real child, not simulated time.
//
// Errors: NotFound when the program does not exist, Timeout when it ran too long (the
// detail carries the tail of its stderr), Io when pipes or spawning fail. A program that runs
// and exits non-zero is not an error: look at `ProcessResult::exit_code`.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bantin::media {

struct ProcessRequest {
    std::vector<std::string> argv;                    // argv[0] is looked up in PATH unless it contains '/'
    std::optional<std::filesystem::path> stdin_file;  // default: /dev/null
    Duration timeout = std::chrono::seconds{30};
    std::size_t max_output_bytes = 16 * 1024 * 1024;  // per stream; the rest is dropped
};

struct ProcessResult {
    int exit_code = -1;  // valid when `signal == 0`
    int signal = 0;      // the signal that ended the child, if any
    bool output_truncated = false;
    std::string standard_output;
    std::string standard_error;

    bool succeeded() const { return signal == 0 && exit_code == 0; }
    // "exit status 1: <last line of stderr>" or "killed by signal 9"
    std::string describe() const;
};

Result<ProcessResult> run_process(const ProcessRequest& request);

}  // namespace bantin::media
