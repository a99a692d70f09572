#include "private_file.hpp"

#include "bantin/common/file_descriptor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

namespace bantin::protocol::detail {
namespace {

Error io_error(const std::filesystem::path& path, std::string_view doing, int error_number) {
    return Error{Errc::Io, path.string() + ": " + std::string(doing) + ": " + std::strerror(error_number)};
}

Result<void> write_all(int descriptor, const std::filesystem::path& path, std::string_view content) {
    std::size_t written = 0;
    while (written < content.size()) {
        ssize_t result = ::write(descriptor, content.data() + written, content.size() - written);
        if (result < 0) {
            if (errno == EINTR)
                continue;
            return std::unexpected(io_error(path, "cannot write", errno));
        }
        written += static_cast<std::size_t>(result);
    }
    return {};
}

mode_t mode_for(FileAccess access) {
    return access == FileAccess::OwnerOnly ? 0600 : 0644;
}

std::string random_temporary_name(const std::filesystem::path& path) {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(generator()));
    return "." + path.filename().string() + "." + suffix + ".tmp";
}

// Removes the temporary file unless release() was called (after the rename).
class TemporaryFile {
public:
    explicit TemporaryFile(std::filesystem::path path) : m_path(std::move(path)) {}
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    ~TemporaryFile() {
        if (!m_path.empty())
            ::unlink(m_path.c_str());
    }
    void release() { m_path.clear(); }

private:
    std::filesystem::path m_path;
};

constexpr unsigned kTemporaryNameAttempts = 16;

}  // namespace

Result<void> replace_file(const std::filesystem::path& path, std::string_view content, FileAccess access,
                          std::optional<FileOwner> owner, const TemporaryName& temporary_name) {
    const mode_t mode = mode_for(access);
    const std::filesystem::path directory =
        path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::filesystem::path temporary;
    int descriptor = -1;
    for (unsigned attempt = 0; attempt < kTemporaryNameAttempts && descriptor < 0; ++attempt) {
        temporary = directory / (temporary_name ? temporary_name(attempt) : random_temporary_name(path));
        // O_EXCL also refuses a symlink (even a dangling one) at the name; O_NOFOLLOW says so twice.
        descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (descriptor < 0 && errno != EEXIST) {
            return std::unexpected(io_error(temporary, "cannot create", errno));
        }
    }
    if (descriptor < 0) {
        return fail(Errc::Io, path.string() + ": no free temporary name beside it after " +
                                  std::to_string(kTemporaryNameAttempts) + " tries (last " +
                                  temporary.string() + ")");
    }
    FileDescriptor file(descriptor);
    TemporaryFile cleanup(temporary);
    // The umask may have taken bits away from `mode`; the file is ours and new, so set it exactly.
    if (::fchmod(file.get(), mode) != 0)
        return std::unexpected(io_error(temporary, "cannot set mode", errno));
    if (auto written = write_all(file.get(), temporary, content); !written)
        return written;
    if (owner && ::fchown(file.get(), owner->user, owner->group) != 0) {
        return std::unexpected(
            io_error(temporary, "cannot hand to uid " + std::to_string(owner->user), errno));
    }
    if (::fsync(file.get()) != 0)
        return std::unexpected(io_error(temporary, "cannot sync", errno));
    if (file.close() != 0)
        return std::unexpected(io_error(temporary, "cannot close", errno));
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        return std::unexpected(io_error(path, "cannot replace", errno));
    }
    cleanup.release();
    FileDescriptor directory_file(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (directory_file.get() < 0 || ::fsync(directory_file.get()) != 0) {
        return std::unexpected(io_error(directory, "cannot sync directory", errno));
    }
    return {};
}

Result<void> write_file(const std::filesystem::path& path, std::string_view content, FileAccess access,
                        bool replace) {
    mode_t mode = mode_for(access);
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (replace ? O_TRUNC : O_EXCL);
    FileDescriptor file(::open(path.c_str(), flags, mode));
    if (file.get() < 0) {
        int error_number = errno;
        if (error_number == EEXIST) {
            return fail(Errc::AlreadyExists, path.string() + ": already exists (refusing to overwrite)");
        }
        return std::unexpected(io_error(path, "cannot create", error_number));
    }
    if (::fchmod(file.get(), mode) != 0)
        return std::unexpected(io_error(path, "cannot set mode", errno));
    if (auto written = write_all(file.get(), path, content); !written)
        return written;
    if (::fsync(file.get()) != 0)
        return std::unexpected(io_error(path, "cannot sync", errno));
    if (file.close() != 0)
        return std::unexpected(io_error(path, "cannot close", errno));
    return {};
}

Result<std::string> read_file(const std::filesystem::path& path, FileAccess access, std::size_t limit) {
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) {
        int error_number = errno;
        if (error_number == ENOENT)
            return fail(Errc::NotFound, path.string() + ": no such file");
        return std::unexpected(io_error(path, "cannot open", error_number));
    }
    struct stat info {};
    if (::fstat(file.get(), &info) != 0)
        return std::unexpected(io_error(path, "cannot stat", errno));
    if (!S_ISREG(info.st_mode))
        return fail(Errc::InvalidInput, path.string() + ": not a regular file");
    if (access == FileAccess::OwnerOnly && (info.st_mode & 077) != 0) {
        char mode_text[8];
        std::snprintf(mode_text, sizeof mode_text, "%04o", info.st_mode & 07777);
        return fail(Errc::PermissionDenied, path.string() + ": mode " + mode_text +
                                                " lets others read a secret; run: chmod 600 " +
                                                path.string());
    }
    if (static_cast<std::uint64_t>(info.st_size) > limit) {
        return fail(Errc::TooLarge, path.string() + ": larger than " + std::to_string(limit) + " bytes");
    }
    std::string content;
    char buffer[4096];
    while (true) {
        ssize_t result = ::read(file.get(), buffer, sizeof buffer);
        if (result < 0) {
            if (errno == EINTR)
                continue;
            return std::unexpected(io_error(path, "cannot read", errno));
        }
        if (result == 0)
            break;
        content.append(buffer, static_cast<std::size_t>(result));
        if (content.size() > limit) {
            return fail(Errc::TooLarge, path.string() + ": larger than " + std::to_string(limit) + " bytes");
        }
    }
    return content;
}

}  // namespace bantin::protocol::detail
