#pragma once
// The player's size-bounded media cache, on top of a ContentStore.
//
// An index in SQLite (table `media_cache`, WAL mode) records each cached object's size and
// when it was last used. The index can live in the player's own state database (pass its
// path; this opens a second connection, and SQLite's locking keeps them consistent) or in a
// file of its own. `open()` reconciles the index with the files on disk: rows whose file is
// gone are dropped, files without a row are added as least recently used.
//
// Policy (docs/media.md): the pinned set, the media the active and the pending bundle need, is
// never evicted. To make room for an incoming object, `reserve()` evicts unpinned objects,
// least recently used first, until the total (with the bytes other downloads have reserved)
// fits `max_bytes`. If the pinned objects alone
// leave no room, it evicts nothing and returns TooLarge saying how many bytes are pinned and
// how many are needed. The disk's free space is a second bound: with min_free_bytes set, a
// reservation also evicts until the disk keeps that much free after the download (the player's
// state database lives on the same disk), or refuses with TooLarge ("disk nearly full"). A full disk (ENOSPC
// while storing) comes back from the store as Io "disk full: ..."; the failed put leaves no file behind and
// cached objects are untouched.
//
// Threads: every method may be called from any thread; calls are serialised by a mutex (the
// fetcher's workers share one cache). Time for "last used" comes from the injected Clock's
// wall time.
//
// Errors: Io for SQLite and file system failures (with the SQLite message), TooLarge as
// above, InvalidInput for malformed digests, NotFound for lookups of absent objects.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/media/store.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::media {

struct CacheOptions {
    std::filesystem::path database;  // SQLite file holding the `media_cache` table
    std::uint64_t max_bytes = 0;     // must be > 0
    // Bytes the disk under the store keeps free (cache.min_free_disk_mb): reserve() evicts
    // unpinned objects to keep them, or refuses. 0: no floor.
    std::uint64_t min_free_bytes = 0;
    // The disk's free bytes; empty: statvfs on the store's root. (Tests give a fake disk.)
    std::function<std::optional<std::uint64_t>()> free_bytes{};
};

struct CacheUsage {
    std::uint64_t used_bytes = 0;
    std::uint64_t max_bytes = 0;
    std::uint64_t pinned_bytes = 0;  // of pinned objects that are present
    std::size_t items = 0;
    std::size_t pinned_items = 0;    // present pinned objects
    std::size_t missing_pinned = 0;  // pinned digests not yet cached
};

class MediaCache {
public:
    static Result<std::unique_ptr<MediaCache>> open(const ContentStore& store, const CacheOptions& options,
                                                    const Clock& clock);
    ~MediaCache();
    MediaCache(const MediaCache&) = delete;
    MediaCache& operator=(const MediaCache&) = delete;

    const ContentStore& store() const { return m_store; }

    // Replaces the pinned set. InvalidInput for a malformed digest. TooLarge if the pinned
    // objects already present exceed max_bytes (the pins are still applied, so nothing they
    // name is evicted).
    Result<void> pin(const std::set<std::string>& sha256s);
    bool is_pinned(std::string_view sha256) const;

    // Makes room for `incoming_bytes` more, evicting least-recently-used unpinned objects,
    // and counts those bytes as in flight until release(). Returns the digests evicted.
    // TooLarge when pinned objects (plus other downloads in flight) leave too little room;
    // then nothing is evicted and nothing is reserved.
    Result<std::vector<std::string>> reserve(std::uint64_t incoming_bytes);
    // Ends a reservation (after the object was recorded, or the download failed).
    void release(std::uint64_t reserved_bytes);

    // Records an object just put into the store (used now).
    Result<void> record(const StoredObject& object);

    // The stored file's path, marking the object used now; NotFound if it is not cached.
    Result<std::filesystem::path> lookup(std::string_view sha256);
    // Marks an object used now (no-op for objects not in the index).
    Result<void> touch(std::string_view sha256);
    // Removes an object from the store and the index.
    Result<void> remove(std::string_view sha256);

    bool contains(std::string_view sha256) const;
    Result<CacheUsage> usage() const;
    // Digests from least to most recently used.
    Result<std::vector<std::string>> by_age() const;

private:
    struct Database;
    MediaCache(const ContentStore& store, const CacheOptions& options, const Clock& clock,
               std::unique_ptr<Database> database);
    Result<void> reconcile();
    Result<std::uint64_t> used_bytes_locked() const;
    Result<std::uint64_t> pinned_present_bytes_locked() const;

    ContentStore m_store;
    std::uint64_t m_max_bytes;
    std::uint64_t m_min_free_bytes;
    std::function<std::optional<std::uint64_t>()> m_free_bytes;
    const Clock& m_clock;
    std::unique_ptr<Database> m_database;
    std::set<std::string, std::less<>> m_pinned;
    std::uint64_t m_in_flight_bytes = 0;  // reserved by downloads not yet recorded
    mutable std::mutex m_mutex;
};

}  // namespace bantin::media
