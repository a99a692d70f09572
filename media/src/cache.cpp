#include "bantin/media/cache.hpp"

#include "bantin/sqlite/database.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace bantin::media {

struct MediaCache::Database {
    sqlite::Database connection;
};

namespace {

constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS media_cache (
    sha256       TEXT PRIMARY KEY NOT NULL,
    size         INTEGER NOT NULL,
    last_used_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS media_cache_by_last_use ON media_cache (last_used_ms);
)sql";

std::string format_bytes(std::uint64_t bytes) {
    return std::to_string(bytes) + " bytes";
}

// Bytes an unprivileged process may still write on the file system holding `path`.
std::optional<std::uint64_t> disk_free_bytes(const std::filesystem::path& path) {
    struct statvfs info {};
    if (::statvfs(path.c_str(), &info) != 0) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(info.f_bavail) * static_cast<std::uint64_t>(info.f_frsize);
}

}  // namespace

MediaCache::MediaCache(const ContentStore& store, const CacheOptions& options, const Clock& clock,
                       std::unique_ptr<Database> database)
    : m_store(store),
      m_max_bytes(options.max_bytes),
      m_min_free_bytes(options.min_free_bytes),
      m_free_bytes(options.free_bytes),
      m_clock(clock),
      m_database(std::move(database)) {}

MediaCache::~MediaCache() = default;

Result<std::unique_ptr<MediaCache>> MediaCache::open(const ContentStore& store, const CacheOptions& options,
                                                     const Clock& clock) {
    if (options.max_bytes == 0) {
        return fail(Errc::InvalidInput, "media cache: max_bytes must be > 0");
    }
    // WAL (set by sqlite::Database::open): the player's other connection to the same file keeps
    // reading while this one writes. NORMAL: the index is rebuilt from the files if it is lost.
    sqlite::OpenOptions open_options;
    open_options.synchronous = sqlite::Synchronous::Normal;
    auto connection = sqlite::Database::open(options.database.string(), open_options);
    if (!connection) {
        return std::unexpected(connection.error());
    }
    auto created = connection->execute(std::string{schema});
    if (!created) {
        return std::unexpected(created.error());
    }
    auto database = std::make_unique<Database>(Database{std::move(*connection)});
    std::unique_ptr<MediaCache> cache{new MediaCache(store, options, clock, std::move(database))};
    auto reconciled = cache->reconcile();
    if (!reconciled) {
        return std::unexpected(reconciled.error());
    }
    return cache;
}

Result<void> MediaCache::reconcile() {
    std::lock_guard lock{m_mutex};
    auto objects = m_store.list();
    if (!objects) {
        return std::unexpected(objects.error());
    }
    std::unordered_map<std::string, std::uint64_t> on_disk;
    for (const StoredObject& object : *objects) {
        on_disk.emplace(object.sha256, object.size);
    }
    auto& db = m_database->connection;
    auto begin = db.execute("BEGIN IMMEDIATE;");
    if (!begin) {
        return std::unexpected(begin.error());
    }
    auto rollback_on_error = [&](const Error& error) -> Result<void> {
        (void)db.execute("ROLLBACK;");
        return std::unexpected(error);
    };

    std::unordered_map<std::string, std::uint64_t> indexed;
    {
        auto select = db.prepare("SELECT sha256, size FROM media_cache;");
        if (!select) {
            return rollback_on_error(select.error());
        }
        for (;;) {
            auto row = select->step();
            if (!row) {
                return rollback_on_error(row.error());
            }
            if (*row == sqlite::Step::Done) {
                break;
            }
            indexed.emplace(select->column_text(0), static_cast<std::uint64_t>(select->column_int64(1)));
        }
    }
    for (const auto& [sha256, size] : indexed) {
        const auto found = on_disk.find(sha256);
        if (found == on_disk.end()) {
            auto erase = db.prepare("DELETE FROM media_cache WHERE sha256 = ?1;");
            if (!erase) {
                return rollback_on_error(erase.error());
            }
            auto done = erase->bind(1, sha256).run();
            if (!done) {
                return rollback_on_error(done.error());
            }
        } else if (found->second != size) {
            auto update = db.prepare("UPDATE media_cache SET size = ?2 WHERE sha256 = ?1;");
            if (!update) {
                return rollback_on_error(update.error());
            }
            auto done = update->bind(1, sha256).bind(2, static_cast<std::int64_t>(found->second)).run();
            if (!done) {
                return rollback_on_error(done.error());
            }
        }
    }
    for (const auto& [sha256, size] : on_disk) {
        if (indexed.contains(sha256)) {
            continue;
        }
        // A file without a row (its row was lost, or it was stored outside the cache) counts
        // as the least recently used.
        auto insert = db.prepare("INSERT INTO media_cache (sha256, size, last_used_ms) VALUES (?1, ?2, 0);");
        if (!insert) {
            return rollback_on_error(insert.error());
        }
        auto done = insert->bind(1, sha256).bind(2, static_cast<std::int64_t>(size)).run();
        if (!done) {
            return rollback_on_error(done.error());
        }
    }
    return db.execute("COMMIT;");
}

Result<void> MediaCache::pin(const std::set<std::string>& sha256s) {
    for (const std::string& sha256 : sha256s) {
        auto valid = check_sha256_hex(sha256, "pinned media");
        if (!valid) {
            return valid;
        }
    }
    std::lock_guard lock{m_mutex};
    m_pinned = std::set<std::string, std::less<>>{sha256s.begin(), sha256s.end()};
    auto pinned = pinned_present_bytes_locked();
    if (!pinned) {
        return std::unexpected(pinned.error());
    }
    if (*pinned > m_max_bytes) {
        return fail(Errc::TooLarge, "media cache: the pinned media take " + format_bytes(*pinned) +
                                        ", more than the cache limit of " + format_bytes(m_max_bytes));
    }
    return {};
}

bool MediaCache::is_pinned(std::string_view sha256) const {
    std::lock_guard lock{m_mutex};
    return m_pinned.find(sha256) != m_pinned.end();
}

Result<std::uint64_t> MediaCache::used_bytes_locked() const {
    auto select = m_database->connection.prepare("SELECT COALESCE(SUM(size), 0) FROM media_cache;");
    if (!select) {
        return std::unexpected(select.error());
    }
    auto row = select->step();
    if (!row) {
        return std::unexpected(row.error());
    }
    return static_cast<std::uint64_t>(select->column_int64(0));
}

Result<std::uint64_t> MediaCache::pinned_present_bytes_locked() const {
    std::uint64_t total = 0;
    for (const std::string& sha256 : m_pinned) {
        auto statement = m_database->connection.prepare("SELECT size FROM media_cache WHERE sha256 = ?1;");
        if (!statement) {
            return std::unexpected(statement.error());
        }
        statement->bind(1, sha256);
        auto row = statement->step();
        if (!row) {
            return std::unexpected(row.error());
        }
        if (*row == sqlite::Step::Row) {
            total += static_cast<std::uint64_t>(statement->column_int64(0));
        }
    }
    return total;
}

void MediaCache::release(std::uint64_t reserved_bytes) {
    std::lock_guard lock{m_mutex};
    m_in_flight_bytes -= std::min(m_in_flight_bytes, reserved_bytes);
}

Result<std::vector<std::string>> MediaCache::reserve(std::uint64_t requested_bytes) {
    std::lock_guard lock{m_mutex};
    auto used = used_bytes_locked();
    if (!used) {
        return std::unexpected(used.error());
    }
    // Other downloads in flight will land in the cache too: make room for them as well.
    const std::uint64_t incoming_bytes = requested_bytes + m_in_flight_bytes;
    const std::uint64_t over_cache =
        *used + incoming_bytes > m_max_bytes ? *used + incoming_bytes - m_max_bytes : 0;
    // The disk keeps min_free_bytes free whatever the cache limit says: the state database
    // beside the cache must always be able to write (a downloaded file alone filled the disk).
    std::uint64_t over_disk = 0;
    std::optional<std::uint64_t> free;
    if (m_min_free_bytes > 0) {
        free = m_free_bytes ? m_free_bytes() : disk_free_bytes(m_store.root());
        if (free && *free < incoming_bytes + m_min_free_bytes) {
            over_disk = incoming_bytes + m_min_free_bytes - *free;
        }
    }
    const std::uint64_t to_evict = std::max(over_cache, over_disk);
    if (to_evict == 0) {
        m_in_flight_bytes += requested_bytes;
        return std::vector<std::string>{};
    }
    auto pinned = pinned_present_bytes_locked();
    if (!pinned) {
        return std::unexpected(pinned.error());
    }
    const std::uint64_t evictable = *used > *pinned ? *used - *pinned : 0;
    if (to_evict > evictable) {
        std::string in_flight;
        if (m_in_flight_bytes > 0) {
            in_flight = " (plus " + format_bytes(m_in_flight_bytes) + " for downloads in progress)";
        }
        if (over_cache > evictable) {
            return fail(Errc::TooLarge, "media cache full: pinned media take " + format_bytes(*pinned) +
                                            " and " + format_bytes(requested_bytes) + " more are needed" +
                                            in_flight + ", over the limit of " + format_bytes(m_max_bytes));
        }
        return fail(Errc::TooLarge, "đĩa sắp đầy / disk nearly full: " + format_bytes(*free) + " free, " +
                                        format_bytes(requested_bytes) + " more are needed" + in_flight +
                                        " and " + format_bytes(m_min_free_bytes) +
                                        " stay free (cache.min_free_disk_mb); evicting every unpinned "
                                        "object would free only " +
                                        format_bytes(evictable));
    }

    auto select = m_database->connection.prepare(
        "SELECT sha256, size FROM media_cache ORDER BY last_used_ms ASC, sha256 ASC;");
    if (!select) {
        return std::unexpected(select.error());
    }
    std::vector<std::pair<std::string, std::uint64_t>> candidates;
    for (;;) {
        auto row = select->step();
        if (!row) {
            return std::unexpected(row.error());
        }
        if (*row == sqlite::Step::Done) {
            break;
        }
        std::string sha256 = select->column_text(0);
        if (m_pinned.find(sha256) == m_pinned.end()) {
            candidates.emplace_back(std::move(sha256), static_cast<std::uint64_t>(select->column_int64(1)));
        }
    }

    std::vector<std::string> evicted;
    std::uint64_t freed = 0;
    for (const auto& [sha256, size] : candidates) {
        if (freed >= to_evict) {
            break;
        }
        // The file goes first: a row without a file is repaired by reconcile(), a file
        // without a row would be counted twice if the row came back.
        auto removed = m_store.remove(sha256);
        if (!removed) {
            return std::unexpected(removed.error());
        }
        auto erase = m_database->connection.prepare("DELETE FROM media_cache WHERE sha256 = ?1;");
        if (!erase) {
            return std::unexpected(erase.error());
        }
        auto done = erase->bind(1, sha256).run();
        if (!done) {
            return std::unexpected(done.error());
        }
        freed += size;
        evicted.push_back(sha256);
    }
    m_in_flight_bytes += requested_bytes;
    return evicted;
}

Result<void> MediaCache::record(const StoredObject& object) {
    auto valid = check_sha256_hex(object.sha256);
    if (!valid) {
        return valid;
    }
    std::lock_guard lock{m_mutex};
    auto insert = m_database->connection.prepare(
        "INSERT INTO media_cache (sha256, size, last_used_ms) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (sha256) DO UPDATE SET size = excluded.size, last_used_ms = excluded.last_used_ms;");
    if (!insert) {
        return std::unexpected(insert.error());
    }
    return insert->bind(1, object.sha256)
        .bind(2, static_cast<std::int64_t>(object.size))
        .bind(3, to_unix_ms(m_clock.wall()))
        .run();
}

Result<void> MediaCache::touch(std::string_view sha256) {
    auto valid = check_sha256_hex(sha256);
    if (!valid) {
        return valid;
    }
    std::lock_guard lock{m_mutex};
    auto update =
        m_database->connection.prepare("UPDATE media_cache SET last_used_ms = ?2 WHERE sha256 = ?1;");
    if (!update) {
        return std::unexpected(update.error());
    }
    return update->bind(1, sha256).bind(2, to_unix_ms(m_clock.wall())).run();
}

Result<std::filesystem::path> MediaCache::lookup(std::string_view sha256) {
    auto path = m_store.lookup(sha256);
    if (!path) {
        return std::unexpected(path.error());
    }
    auto touched = touch(sha256);
    if (!touched) {
        return std::unexpected(touched.error());
    }
    return path;
}

bool MediaCache::contains(std::string_view sha256) const {
    return m_store.contains(sha256);
}

Result<void> MediaCache::remove(std::string_view sha256) {
    auto valid = check_sha256_hex(sha256);
    if (!valid) {
        return valid;
    }
    std::lock_guard lock{m_mutex};
    auto removed = m_store.remove(sha256);
    if (!removed) {
        return removed;
    }
    auto erase = m_database->connection.prepare("DELETE FROM media_cache WHERE sha256 = ?1;");
    if (!erase) {
        return std::unexpected(erase.error());
    }
    return erase->bind(1, sha256).run();
}

Result<CacheUsage> MediaCache::usage() const {
    std::lock_guard lock{m_mutex};
    CacheUsage usage;
    usage.max_bytes = m_max_bytes;
    auto select = m_database->connection.prepare("SELECT sha256, size FROM media_cache;");
    if (!select) {
        return std::unexpected(select.error());
    }
    for (;;) {
        auto row = select->step();
        if (!row) {
            return std::unexpected(row.error());
        }
        if (*row == sqlite::Step::Done) {
            break;
        }
        const auto size = static_cast<std::uint64_t>(select->column_int64(1));
        usage.used_bytes += size;
        ++usage.items;
        if (m_pinned.find(select->column_text(0)) != m_pinned.end()) {
            usage.pinned_bytes += size;
            ++usage.pinned_items;
        }
    }
    usage.missing_pinned = m_pinned.size() - usage.pinned_items;
    return usage;
}

Result<std::vector<std::string>> MediaCache::by_age() const {
    std::lock_guard lock{m_mutex};
    auto select = m_database->connection.prepare(
        "SELECT sha256 FROM media_cache ORDER BY last_used_ms ASC, sha256 ASC;");
    if (!select) {
        return std::unexpected(select.error());
    }
    std::vector<std::string> digests;
    for (;;) {
        auto row = select->step();
        if (!row) {
            return std::unexpected(row.error());
        }
        if (*row == sqlite::Step::Done) {
            break;
        }
        digests.push_back(select->column_text(0));
    }
    return digests;
}

}  // namespace bantin::media
