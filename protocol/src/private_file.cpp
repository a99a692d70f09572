#include "private_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bantin::protocol::detail {
namespace {

class FileDescriptor {
public:
    explicit FileDescriptor(int descriptor) : m_descriptor(descriptor) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (m_descriptor >= 0) ::close(m_descriptor);
    }
    int get() const { return m_descriptor; }
    int release() {
        int descriptor = m_descriptor;
        m_descriptor = -1;
        return descriptor;
    }

private:
    int m_descriptor;
};

Error io_error(const std::filesystem::path& path, std::string_view doing, int error_number) {
    return Error{Errc::Io, path.string() + ": " + std::string(doing) + ": " + std::strerror(error_number)};
}

}  // namespace

Result<void> write_file(const std::filesystem::path& path, std::string_view content, FileAccess access,
                        bool replace) {
    mode_t mode = access == FileAccess::OwnerOnly ? 0600 : 0644;
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (replace ? O_TRUNC : O_EXCL);
    FileDescriptor file(::open(path.c_str(), flags, mode));
    if (file.get() < 0) {
        int error_number = errno;
        if (error_number == EEXIST) {
            return fail(Errc::AlreadyExists, path.string() + ": already exists (refusing to overwrite)");
        }
        return std::unexpected(io_error(path, "cannot create", error_number));
    }
    if (::fchmod(file.get(), mode) != 0) return std::unexpected(io_error(path, "cannot set mode", errno));
    std::size_t written = 0;
    while (written < content.size()) {
        ssize_t result = ::write(file.get(), content.data() + written, content.size() - written);
        if (result < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(io_error(path, "cannot write", errno));
        }
        written += static_cast<std::size_t>(result);
    }
    if (::fsync(file.get()) != 0) return std::unexpected(io_error(path, "cannot sync", errno));
    if (::close(file.release()) != 0) return std::unexpected(io_error(path, "cannot close", errno));
    return {};
}

Result<std::string> read_file(const std::filesystem::path& path, FileAccess access, std::size_t limit) {
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) {
        int error_number = errno;
        if (error_number == ENOENT) return fail(Errc::NotFound, path.string() + ": no such file");
        return std::unexpected(io_error(path, "cannot open", error_number));
    }
    struct stat info {};
    if (::fstat(file.get(), &info) != 0) return std::unexpected(io_error(path, "cannot stat", errno));
    if (!S_ISREG(info.st_mode)) return fail(Errc::InvalidInput, path.string() + ": not a regular file");
    if (access == FileAccess::OwnerOnly && (info.st_mode & 077) != 0) {
        char mode_text[8];
        std::snprintf(mode_text, sizeof mode_text, "%04o", info.st_mode & 07777);
        return fail(Errc::PermissionDenied, path.string() + ": mode " + mode_text +
                                                " lets others read a secret; run: chmod 600 " + path.string());
    }
    if (static_cast<std::uint64_t>(info.st_size) > limit) {
        return fail(Errc::TooLarge, path.string() + ": larger than " + std::to_string(limit) + " bytes");
    }
    std::string content;
    char buffer[4096];
    while (true) {
        ssize_t result = ::read(file.get(), buffer, sizeof buffer);
        if (result < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(io_error(path, "cannot read", errno));
        }
        if (result == 0) break;
        content.append(buffer, static_cast<std::size_t>(result));
        if (content.size() > limit) {
            return fail(Errc::TooLarge, path.string() + ": larger than " + std::to_string(limit) + " bytes");
        }
    }
    return content;
}

}  // namespace bantin::protocol::detail
