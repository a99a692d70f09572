#pragma once
// An Xvfb of its own for a test or a benchmark: the first free display number from 90, with one
// screen of the size asked for; stopped (SIGTERM, then waited for) when it goes out of scope.
// display() is empty when no Xvfb could be started.

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

namespace bantin::testing {

class XvfbDisplay {
public:
    explicit XvfbDisplay(int width = 1280, int height = 720) {
        const std::string screen = std::to_string(width) + "x" + std::to_string(height) + "x24";
        for (int number = 90; number < 190; ++number) {
            const std::string lock = "/tmp/.X" + std::to_string(number) + "-lock";
            const std::string socket = "/tmp/.X11-unix/X" + std::to_string(number);
            if (std::filesystem::exists(lock) || std::filesystem::exists(socket))
                continue;
            const std::string display = ":" + std::to_string(number);
            m_pid = fork();
            if (m_pid == 0) {
                execlp("Xvfb", "Xvfb", display.c_str(), "-screen", "0", screen.c_str(), "-nolisten", "tcp",
                       static_cast<char*>(nullptr));
                _exit(127);
            }
            for (int attempt = 0; attempt < 100; ++attempt) {
                if (std::filesystem::exists(socket)) {
                    m_display = display;
                    return;
                }
                int status = 0;
                if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
                    m_pid = -1;  // lost a race for this number: try the next
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds{50});
            }
            if (m_pid > 0)
                return;
        }
    }
    XvfbDisplay(const XvfbDisplay&) = delete;
    XvfbDisplay& operator=(const XvfbDisplay&) = delete;
    ~XvfbDisplay() {
        if (m_pid > 0) {
            kill(m_pid, SIGTERM);
            int status = 0;
            waitpid(m_pid, &status, 0);
        }
    }
    const std::string& display() const { return m_display; }

private:
    pid_t m_pid = -1;
    std::string m_display;
};

}  // namespace bantin::testing
