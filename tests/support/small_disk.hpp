#pragma once
// A small disk for fault tests: a tmpfs of a given size mounted on one directory, as a full SD
// card or a full data partition is, that outlives the processes run on it (so a killed and
// restarted daemon finds its files again).
//
// A holder process takes a mount namespace of its own, mounts the tmpfs and sleeps: as root, a
// plain mount namespace (every account stays itself, so nginx and Mosquitto can drop to theirs);
// otherwise as root of a user namespace (no privilege needed on Debian 12; only the caller's own
// account exists inside, see as_root_of_user_namespace()). The processes under test run inside
// that namespace through prefix() (nsenter); the test reaches the files through inside()
// (/proc/<holder>/root/...) and SQLite databases through query() (SQLite resolves the
// /proc/<pid>/root link back to this namespace, so it cannot open them there). fill() writes a
// filler file until the tmpfs answers ENOSPC; empty() removes it. The destructor kills the
// holder; the tmpfs goes when the last process in the namespace has gone.
//
// available() tells whether this machine allows it; a test that needs a small disk fails when it
// does not (a fault test that skips itself proves nothing). Header-only, one test thread.

#include "support/mosquitto_broker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace bantin::test {

class SmallDisk {
public:
    // True when a mount namespace can be made here (as root, or as root of a user namespace).
    static bool available() {
        auto command = unshare();
        command.push_back("true");
        return run_command(command, std::filesystem::temp_directory_path() / "bantin-unshare-probe.log")
                   .exit_code == 0;
    }
    // True when the namespace is a user namespace: only the caller's account is mapped (as root),
    // so a daemon that drops to another account (nginx's workers, Mosquitto) cannot run in it.
    static bool as_root_of_user_namespace() { return ::geteuid() != 0; }

    // Mounts a tmpfs of `size` (mount's syntax: "4m") on `directory` (created if missing) in a
    // namespace of its own. ok() is false when the mount did not come up within 5 s; error()
    // then has the holder's output.
    SmallDisk(std::filesystem::path directory, const std::string& size) : m_directory(std::move(directory)) {
        std::filesystem::create_directories(m_directory);
        const auto marker = m_directory.parent_path() / (m_directory.filename().string() + ".mounted");
        const auto log = m_directory.parent_path() / (m_directory.filename().string() + ".disk.log");
        std::filesystem::remove(marker);
        auto command = unshare();
        command.insert(command.end(), {"sh", "-c",
                                       "mount -t tmpfs -o size=" + size +
                                           " tmpfs \"$0\" && touch \"$1\" && exec sleep 100000",
                                       m_directory.string(), marker.string()});
        auto holder = ChildProcess::spawn(command, log);
        if (!holder) {
            m_error = holder.error().message();
            return;
        }
        m_holder = std::move(*holder);
        for (int i = 0; i < 500 && !std::filesystem::exists(marker); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        m_ok = std::filesystem::exists(marker);
        if (!m_ok)
            m_error = "the tmpfs on " + m_directory.string() + " did not come up: " + read_text_file(log);
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    bool ok() const { return m_ok; }
    const std::string& error() const { return m_error; }
    const std::filesystem::path& directory() const { return m_directory; }

    // The command a process runs under to see the small disk.
    std::vector<std::string> prefix() const {
        if (!as_root_of_user_namespace())
            return {"nsenter", "--target", std::to_string(m_holder.pid()), "--mount"};
        return {"nsenter", "--target", std::to_string(m_holder.pid()),
                "--user",  "--mount",  "--preserve-credentials"};
    }
    // Runs `sql` on the SQLite database at `database` (a path inside the namespace) with
    // Debian's sqlite3 shell, read-only. Each row is one entry, its columns in order. nullopt
    // when the database cannot be read (the shell's message in `error`, when given).
    std::optional<std::vector<std::vector<std::string>>> query(const std::filesystem::path& database,
                                                               const std::string& sql,
                                                               std::string* error = nullptr) const {
        auto command = prefix();
        command.insert(command.end(), {"sqlite3", "-readonly", "-batch", "-noheader", "-separator", "\x1f",
                                       "-newline", "\x1e", database.string(), sql});
        const auto result = run_command(
            command, m_directory.parent_path() / (m_directory.filename().string() + ".query.log"));
        if (result.exit_code != 0) {
            if (error != nullptr)
                *error = result.output;
            return std::nullopt;
        }
        std::vector<std::vector<std::string>> rows;
        std::size_t begin = 0;
        while (begin < result.output.size()) {
            const auto end = std::min(result.output.find('\x1e', begin), result.output.size());
            std::vector<std::string> columns;
            const std::string line = result.output.substr(begin, end - begin);
            std::size_t from = 0;
            while (true) {
                const auto next = line.find('\x1f', from);
                columns.push_back(
                    line.substr(from, next == std::string::npos ? std::string::npos : next - from));
                if (next == std::string::npos)
                    break;
                from = next + 1;
            }
            rows.push_back(std::move(columns));
            begin = end + 1;
        }
        return rows;
    }
    // A path as this test's process reaches it inside the namespace.
    std::filesystem::path inside(const std::filesystem::path& path) const {
        return "/proc/" + std::to_string(m_holder.pid()) + "/root" + path.string();
    }

    // Writes a filler file until the disk answers ENOSPC; returns the bytes written, 0 when the
    // disk was already full or the file could not be written (errno_seen() says which).
    std::size_t fill() {
        const int fd = ::open(inside(m_directory / "filler").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd < 0) {
            m_last_errno = errno;
            return 0;
        }
        const std::string chunk(16 * 1024, '\0');
        std::size_t written = 0;
        while (true) {
            const auto n = ::write(fd, chunk.data(), chunk.size());
            if (n <= 0)
                break;
            written += static_cast<std::size_t>(n);
        }
        m_last_errno = errno;
        ::close(fd);
        return written;
    }
    // The errno that ended the last fill(): ENOSPC when the disk is really full.
    int errno_seen() const { return m_last_errno; }
    bool empty() {
        std::error_code error;
        return std::filesystem::remove(inside(m_directory / "filler"), error);
    }

private:
    static std::vector<std::string> unshare() {
        if (!as_root_of_user_namespace())
            return {"unshare", "--mount", "--propagation", "private"};
        return {"unshare", "--user", "--map-root-user", "--mount"};
    }

    std::filesystem::path m_directory;
    ChildProcess m_holder;
    bool m_ok = false;
    std::string m_error;
    int m_last_errno = 0;
};

}  // namespace bantin::test
