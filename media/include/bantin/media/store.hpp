#pragma once
// The content-addressed media store: every file is named by the SHA-256 of its bytes.
//
// Layout under the root (docs/media.md): objects/ab/cd/<64 hex> for stored files (two levels
// of fan-out from the first four hex digits), tmp/ for files being written, partial/<sha>.part
// for downloads in progress (see fetch.hpp). Paths are built only from the root and validated
// digests, never from names a person or a device supplied.
//
// Writing: `begin()` opens a PendingObject, a temporary file in tmp/ that is hashed while it is
// written. `commit()` fsyncs it, renames it atomically into objects/ (same file system, so
// a reader sees either nothing or the whole file) and fsyncs the directory. If the digest is
// already stored, the existing file is kept and the temporary one deleted (one copy). A
// PendingObject that is destroyed without commit deletes its temporary file, so a failed or
// refused put (too large, disk full, not media) leaves nothing behind.
//
// Threads: ContentStore is a small value (the root path); any number of threads may use copies
// of it at once. A PendingObject belongs to one thread.
//
// Errors: InvalidInput for a malformed digest, NotFound for an absent object, TooLarge when
// a put exceeds its byte limit, Io for file system failures ("disk full: ..." when the
// device has no space left), Crypto when a stored file no longer matches its digest.

#include "bantin/common/error.hpp"
#include "bantin/media/sha256.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::media {

struct StoredObject {
    std::string sha256;
    std::uint64_t size = 0;
    bool already_present = false;  // the digest was stored before this put
};

class ContentStore;

class PendingObject {
public:
    PendingObject(PendingObject&& other) noexcept;
    PendingObject& operator=(PendingObject&& other) noexcept;
    PendingObject(const PendingObject&) = delete;
    PendingObject& operator=(const PendingObject&) = delete;
    ~PendingObject();

    // Appends bytes. TooLarge once the limit given to begin() is passed; the object is then
    // unusable and its file already deleted.
    Result<void> write(const void* data, std::size_t size);
    Result<void> write(std::string_view data) { return write(data.data(), data.size()); }

    // Flushes and fsyncs, returns the digest. No more writes afterwards. The file stays at
    // path() so it can be inspected (probed) before commit().
    Result<std::string> finish();

    // finish() if needed, then moves the file into the store.
    Result<StoredObject> commit();

    // Deletes the temporary file now (the destructor does it too).
    void discard();

    std::uint64_t size() const { return m_size; }
    const std::filesystem::path& path() const { return m_path; }

private:
    friend class ContentStore;
    PendingObject(const ContentStore& store, std::filesystem::path path, int descriptor,
                  std::optional<std::uint64_t> max_bytes);

    std::filesystem::path m_root;
    std::filesystem::path m_path;
    int m_descriptor = -1;
    std::optional<std::uint64_t> m_max_bytes;
    std::uint64_t m_size = 0;
    std::unique_ptr<Sha256> m_hasher;
    std::string m_digest;
};

class ContentStore {
public:
    // Creates root/objects, root/tmp and root/partial if needed.
    static Result<ContentStore> open(const std::filesystem::path& root);

    const std::filesystem::path& root() const { return m_root; }

    Result<PendingObject> begin(std::optional<std::uint64_t> max_bytes = std::nullopt) const;
    Result<StoredObject> put_stream(std::istream& input,
                                    std::optional<std::uint64_t> max_bytes = std::nullopt) const;
    Result<StoredObject> put_file(const std::filesystem::path& source,
                                  std::optional<std::uint64_t> max_bytes = std::nullopt) const;
    Result<StoredObject> put_bytes(std::string_view bytes) const;

    // Moves `file` (on the same file system, e.g. a finished download in partial/) into the
    // store under `sha256`. The caller has verified the digest; the store does not rehash.
    Result<StoredObject> adopt_verified(const std::filesystem::path& file, std::string_view sha256) const;

    bool contains(std::string_view sha256) const;
    // The path of a stored object; NotFound if it is not stored.
    Result<std::filesystem::path> lookup(std::string_view sha256) const;
    Result<std::uint64_t> size_of(std::string_view sha256) const;
    // Rehashes the stored file. Crypto if it no longer matches (the file is left in place;
    // call remove()).
    Result<void> verify(std::string_view sha256) const;
    // Removes the object; removing an absent object succeeds.
    Result<void> remove(std::string_view sha256) const;
    // Deletes everything in tmp/ (files of puts interrupted by a crash). Call at start-up,
    // before any put; partial downloads in partial/ are kept so they can resume.
    Result<std::size_t> remove_temporary_files() const;
    // Every stored object (sha256 and size), for rebuilding an index.
    Result<std::vector<StoredObject>> list() const;

    // root/partial/<sha256>.part (the digest must be valid).
    Result<std::filesystem::path> partial_path(std::string_view sha256) const;
    std::filesystem::path temporary_directory() const { return m_root / "tmp"; }

private:
    explicit ContentStore(std::filesystem::path root) : m_root(std::move(root)) {}
    std::filesystem::path object_path(std::string_view valid_sha256) const;
    friend class PendingObject;

    std::filesystem::path m_root;
};

}  // namespace bantin::media
