#include "bantin/media/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <istream>
#include <random>
#include <utility>

namespace bantin::media {

namespace fs = std::filesystem;

namespace {

Error io_error(std::string_view action, const fs::path& path, int error) {
    std::string detail;
    if (error == ENOSPC || error == EDQUOT) {
        detail = "disk full: ";
    }
    detail += std::string{action} + " " + path.string() + ": " + std::strerror(error);
    return Error{Errc::Io, std::move(detail)};
}

Result<void> fsync_directory(const fs::path& directory) {
    const int descriptor = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (descriptor < 0) {
        return std::unexpected(io_error("cannot open directory", directory, errno));
    }
    const int result = ::fsync(descriptor);
    const int error = errno;
    ::close(descriptor);
    if (result != 0) {
        return std::unexpected(io_error("cannot fsync directory", directory, error));
    }
    return {};
}

Result<void> make_directories(const fs::path& directory) {
    std::error_code error;
    fs::create_directories(directory, error);
    if (error) {
        return fail(Errc::Io, "cannot create directory " + directory.string() + ": " + error.message());
    }
    return {};
}

// A name for a temporary file that no other thread or process picks at the same time.
std::string unique_temporary_name() {
    static std::atomic<std::uint64_t> counter{0};
    thread_local std::mt19937_64 random{std::random_device{}()};
    return "put-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-" +
           std::to_string(random() & 0xffffffu) + ".tmp";
}

}  // namespace

// ---------------------------------------------------------------------------- PendingObject

PendingObject::PendingObject(const ContentStore& store, fs::path path, int descriptor,
                             std::optional<std::uint64_t> max_bytes)
    : m_root(store.root()),
      m_path(std::move(path)),
      m_descriptor(descriptor),
      m_max_bytes(max_bytes),
      m_hasher(std::make_unique<Sha256>()) {}

PendingObject::PendingObject(PendingObject&& other) noexcept
    : m_root(std::move(other.m_root)),
      m_path(std::move(other.m_path)),
      m_descriptor(std::exchange(other.m_descriptor, -1)),
      m_max_bytes(other.m_max_bytes),
      m_size(other.m_size),
      m_hasher(std::move(other.m_hasher)),
      m_digest(std::move(other.m_digest)) {
    other.m_path.clear();
}

PendingObject& PendingObject::operator=(PendingObject&& other) noexcept {
    if (this != &other) {
        discard();
        m_root = std::move(other.m_root);
        m_path = std::move(other.m_path);
        m_descriptor = std::exchange(other.m_descriptor, -1);
        m_max_bytes = other.m_max_bytes;
        m_size = other.m_size;
        m_hasher = std::move(other.m_hasher);
        m_digest = std::move(other.m_digest);
        other.m_path.clear();
    }
    return *this;
}

PendingObject::~PendingObject() {
    discard();
}

void PendingObject::discard() {
    if (m_descriptor >= 0) {
        ::close(m_descriptor);
        m_descriptor = -1;
    }
    if (!m_path.empty()) {
        ::unlink(m_path.c_str());
        m_path.clear();
    }
}

Result<void> PendingObject::write(const void* data, std::size_t size) {
    if (m_path.empty() || m_descriptor < 0) {
        return fail(Errc::Internal, "write to a finished or discarded pending object");
    }
    if (m_max_bytes && m_size + size > *m_max_bytes) {
        discard();
        return fail(Errc::TooLarge, "larger than the limit of " + std::to_string(*m_max_bytes) + " bytes");
    }
    const char* bytes = static_cast<const char*>(data);
    std::size_t left = size;
    while (left > 0) {
        const ssize_t written = ::write(m_descriptor, bytes, left);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            Error error = io_error("cannot write", m_path, errno);
            discard();
            return std::unexpected(std::move(error));
        }
        bytes += written;
        left -= static_cast<std::size_t>(written);
    }
    m_hasher->update(data, size);
    m_size += size;
    return {};
}

Result<std::string> PendingObject::finish() {
    if (!m_digest.empty()) {
        return m_digest;
    }
    if (m_path.empty() || m_descriptor < 0) {
        return fail(Errc::Internal, "finish of a discarded pending object");
    }
    if (::fsync(m_descriptor) != 0) {
        Error error = io_error("cannot fsync", m_path, errno);
        discard();
        return std::unexpected(std::move(error));
    }
    const int close_result = ::close(m_descriptor);
    m_descriptor = -1;
    if (close_result != 0) {
        Error error = io_error("cannot close", m_path, errno);
        discard();
        return std::unexpected(std::move(error));
    }
    m_digest = m_hasher->finish_hex();
    return m_digest;
}

Result<StoredObject> PendingObject::commit() {
    auto digest = finish();
    if (!digest) {
        return std::unexpected(digest.error());
    }
    const ContentStore store{m_root};
    auto stored = store.adopt_verified(m_path, *digest);
    if (!stored) {
        discard();
        return std::unexpected(stored.error());
    }
    // The file now lives in the store (or was a duplicate and is gone): nothing to clean up.
    m_path.clear();
    stored->size = m_size;
    return stored;
}

// ---------------------------------------------------------------------------- ContentStore

Result<ContentStore> ContentStore::open(const fs::path& root) {
    if (root.empty()) {
        return fail(Errc::InvalidInput, "media store root is empty");
    }
    const fs::path absolute = fs::absolute(root).lexically_normal();
    for (const char* sub : {"objects", "tmp", "partial"}) {
        auto created = make_directories(absolute / sub);
        if (!created) {
            return std::unexpected(created.error());
        }
    }
    return ContentStore{absolute};
}

fs::path ContentStore::object_path(std::string_view valid_sha256) const {
    const std::string digest{valid_sha256};
    return m_root / "objects" / digest.substr(0, 2) / digest.substr(2, 2) / digest;
}

Result<fs::path> ContentStore::partial_path(std::string_view sha256) const {
    auto valid = check_sha256_hex(sha256);
    if (!valid) {
        return std::unexpected(valid.error());
    }
    return m_root / "partial" / (std::string{sha256} + ".part");
}

Result<PendingObject> ContentStore::begin(std::optional<std::uint64_t> max_bytes) const {
    const fs::path path = temporary_directory() / unique_temporary_name();
    const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (descriptor < 0) {
        return std::unexpected(io_error("cannot create", path, errno));
    }
    return PendingObject{*this, path, descriptor, max_bytes};
}

Result<StoredObject> ContentStore::put_stream(std::istream& input,
                                              std::optional<std::uint64_t> max_bytes) const {
    auto pending = begin(max_bytes);
    if (!pending) {
        return std::unexpected(pending.error());
    }
    std::array<char, 64 * 1024> buffer{};
    while (input) {
        input.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const auto count = input.gcount();
        if (count <= 0) {
            break;
        }
        auto written = pending->write(buffer.data(), static_cast<std::size_t>(count));
        if (!written) {
            return std::unexpected(written.error());
        }
    }
    if (input.bad()) {
        return fail(Errc::Io, "reading the input stream failed");
    }
    return pending->commit();
}

Result<StoredObject> ContentStore::put_file(const fs::path& source,
                                            std::optional<std::uint64_t> max_bytes) const {
    const int descriptor = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (descriptor < 0) {
        const int error = errno;
        return fail(error == ENOENT ? Errc::NotFound : Errc::Io,
                    "cannot open " + source.string() + ": " + std::strerror(error));
    }
    auto pending = begin(max_bytes);
    if (!pending) {
        ::close(descriptor);
        return std::unexpected(pending.error());
    }
    std::array<char, 64 * 1024> buffer{};
    for (;;) {
        const ssize_t count = ::read(descriptor, buffer.data(), buffer.size());
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0) {
            const int error = errno;
            ::close(descriptor);
            return fail(Errc::Io, "cannot read " + source.string() + ": " + std::strerror(error));
        }
        if (count == 0) {
            break;
        }
        auto written = pending->write(buffer.data(), static_cast<std::size_t>(count));
        if (!written) {
            ::close(descriptor);
            return std::unexpected(written.error());
        }
    }
    ::close(descriptor);
    return pending->commit();
}

Result<StoredObject> ContentStore::put_bytes(std::string_view bytes) const {
    auto pending = begin();
    if (!pending) {
        return std::unexpected(pending.error());
    }
    auto written = pending->write(bytes);
    if (!written) {
        return std::unexpected(written.error());
    }
    return pending->commit();
}

Result<StoredObject> ContentStore::adopt_verified(const fs::path& file, std::string_view sha256) const {
    auto valid = check_sha256_hex(sha256);
    if (!valid) {
        return std::unexpected(valid.error());
    }
    struct stat file_status {};
    if (::stat(file.c_str(), &file_status) != 0) {
        return std::unexpected(io_error("cannot stat", file, errno));
    }
    const auto size = static_cast<std::uint64_t>(file_status.st_size);
    const fs::path target = object_path(sha256);

    struct stat existing {};
    if (::stat(target.c_str(), &existing) == 0 && static_cast<std::uint64_t>(existing.st_size) == size) {
        // Already stored: keep the existing copy, drop the new one.
        ::unlink(file.c_str());
        return StoredObject{std::string{sha256}, size, true};
    }
    auto created = make_directories(target.parent_path());
    if (!created) {
        return std::unexpected(created.error());
    }
    // The data must be durable before the name is: fsync the file, rename, fsync the directory.
    {
        const int descriptor = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (descriptor < 0) {
            return std::unexpected(io_error("cannot open", file, errno));
        }
        const int result = ::fsync(descriptor);
        const int error = errno;
        ::close(descriptor);
        if (result != 0) {
            return std::unexpected(io_error("cannot fsync", file, error));
        }
    }
    if (::rename(file.c_str(), target.c_str()) != 0) {
        return std::unexpected(io_error("cannot rename into", target, errno));
    }
    auto synced = fsync_directory(target.parent_path());
    if (!synced) {
        return std::unexpected(synced.error());
    }
    return StoredObject{std::string{sha256}, size, false};
}

bool ContentStore::contains(std::string_view sha256) const {
    if (!is_sha256_hex(sha256)) {
        return false;
    }
    struct stat file_status {};
    return ::stat(object_path(sha256).c_str(), &file_status) == 0 && S_ISREG(file_status.st_mode);
}

Result<fs::path> ContentStore::lookup(std::string_view sha256) const {
    auto valid = check_sha256_hex(sha256);
    if (!valid) {
        return std::unexpected(valid.error());
    }
    if (!contains(sha256)) {
        return fail(Errc::NotFound, "media " + std::string{sha256} + " is not in the store");
    }
    return object_path(sha256);
}

Result<std::uint64_t> ContentStore::size_of(std::string_view sha256) const {
    auto path = lookup(sha256);
    if (!path) {
        return std::unexpected(path.error());
    }
    struct stat file_status {};
    if (::stat(path->c_str(), &file_status) != 0) {
        return std::unexpected(io_error("cannot stat", *path, errno));
    }
    return static_cast<std::uint64_t>(file_status.st_size);
}

Result<void> ContentStore::verify(std::string_view sha256) const {
    auto path = lookup(sha256);
    if (!path) {
        return std::unexpected(path.error());
    }
    auto actual = sha256_of_file(*path);
    if (!actual) {
        return std::unexpected(actual.error());
    }
    if (*actual != sha256) {
        return fail(Errc::Crypto,
                    "stored media " + std::string{sha256} + " is corrupt: its content hashes to " + *actual);
    }
    return {};
}

Result<void> ContentStore::remove(std::string_view sha256) const {
    auto valid = check_sha256_hex(sha256);
    if (!valid) {
        return std::unexpected(valid.error());
    }
    const fs::path path = object_path(sha256);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return std::unexpected(io_error("cannot remove", path, errno));
    }
    return {};
}

Result<std::size_t> ContentStore::remove_temporary_files() const {
    std::size_t removed = 0;
    std::error_code error;
    fs::directory_iterator iterator{temporary_directory(), error};
    if (error) {
        return fail(Errc::Io, "cannot list " + temporary_directory().string() + ": " + error.message());
    }
    for (const auto& entry : iterator) {
        if (fs::remove_all(entry.path(), error) > 0) {
            ++removed;
        }
    }
    return removed;
}

Result<std::vector<StoredObject>> ContentStore::list() const {
    std::vector<StoredObject> objects;
    std::error_code error;
    fs::recursive_directory_iterator iterator{m_root / "objects", error};
    if (error) {
        return fail(Errc::Io, "cannot list " + (m_root / "objects").string() + ": " + error.message());
    }
    for (const auto& entry : iterator) {
        const std::string name = entry.path().filename().string();
        if (!is_sha256_hex(name) || !entry.is_regular_file(error)) {
            continue;
        }
        const auto size = entry.file_size(error);
        if (error) {
            continue;
        }
        objects.push_back(StoredObject{name, size, true});
    }
    return objects;
}

}  // namespace bantin::media
