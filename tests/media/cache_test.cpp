#include "bantin/media/cache.hpp"
#include "bantin/media/sha256.hpp"
#include "media_test_support.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::media;
using bantin::media::testing::SettableClock;
using bantin::media::testing::TemporaryDirectory;
using bantin::media::testing::write_file;

namespace {

struct CacheFixture {
    TemporaryDirectory directory;
    SettableClock clock;
    ContentStore store = *ContentStore::open(directory.path() / "media");
    std::unique_ptr<MediaCache> cache;

    explicit CacheFixture(std::uint64_t max_bytes) {
        auto opened = MediaCache::open(store, {directory.path() / "state.sqlite", max_bytes}, clock);
        REQUIRE(opened);
        cache = std::move(*opened);
    }
    // A cache on a fake disk of `disk_bytes` that holds only the store's files.
    CacheFixture(std::uint64_t max_bytes, std::uint64_t disk_bytes, std::uint64_t min_free_bytes) {
        CacheOptions options{directory.path() / "state.sqlite", max_bytes};
        options.min_free_bytes = min_free_bytes;
        options.free_bytes = [this, disk_bytes]() -> std::optional<std::uint64_t> {
            ++free_space_asked;
            std::uint64_t stored = 0;
            for (const auto& entry : std::filesystem::recursive_directory_iterator(store.root()))
                if (entry.is_regular_file())
                    stored += entry.file_size();
            return stored < disk_bytes ? disk_bytes - stored : 0;
        };
        auto opened = MediaCache::open(store, options, clock);
        REQUIRE(opened);
        cache = std::move(*opened);
    }
    int free_space_asked = 0;

    // Stores `size` bytes derived from `seed` through the cache, then moves time on.
    std::string add(char seed, std::size_t size) {
        auto reserved = cache->reserve(size);
        REQUIRE(reserved);
        auto stored = store.put_bytes(std::string(size, seed));
        REQUIRE(stored);
        REQUIRE(cache->record(*stored));
        cache->release(size);
        clock.advance(std::chrono::seconds{1});
        return stored->sha256;
    }
};

}  // namespace

TEST_CASE("cache evicts the least recently used objects first", "[media][cache]") {
    CacheFixture fixture{300};
    const std::string first = fixture.add('a', 100);
    const std::string second = fixture.add('b', 100);
    const std::string third = fixture.add('c', 100);
    REQUIRE(fixture.cache->lookup(first));  // used now: second is the oldest
    fixture.clock.advance(std::chrono::seconds{1});

    auto evicted = fixture.cache->reserve(150);
    REQUIRE(evicted);
    CHECK(*evicted == std::vector<std::string>{second, third});
    CHECK(fixture.store.contains(first));
    CHECK_FALSE(fixture.store.contains(second));
    CHECK_FALSE(fixture.store.contains(third));
}

TEST_CASE("cache evicts nothing while the incoming object fits", "[media][cache]") {
    CacheFixture fixture{300};
    fixture.add('a', 100);
    auto evicted = fixture.cache->reserve(200);
    REQUIRE(evicted);
    CHECK(evicted->empty());
}

TEST_CASE("pinned objects are never evicted", "[media][cache]") {
    CacheFixture fixture{300};
    const std::string oldest = fixture.add('a', 100);
    const std::string middle = fixture.add('b', 100);
    const std::string newest = fixture.add('c', 100);
    REQUIRE(fixture.cache->pin({oldest}));
    CHECK(fixture.cache->is_pinned(oldest));

    auto evicted = fixture.cache->reserve(100);
    REQUIRE(evicted);
    CHECK(*evicted == std::vector<std::string>{middle});
    CHECK(fixture.store.contains(oldest));
    CHECK(fixture.store.contains(newest));
}

TEST_CASE("reserve fails clearly and evicts nothing when pinned objects leave no room", "[media][cache]") {
    CacheFixture fixture{300};
    const std::string first = fixture.add('a', 100);
    const std::string second = fixture.add('b', 100);
    const std::string unpinned = fixture.add('c', 50);
    REQUIRE(fixture.cache->pin({first, second}));

    auto reserved = fixture.cache->reserve(150);
    REQUIRE_FALSE(reserved);
    CHECK(reserved.error().code == Errc::TooLarge);
    CHECK(reserved.error().detail.find("pinned media take 200 bytes") != std::string::npos);
    CHECK(fixture.store.contains(unpinned));  // nothing was evicted for a reserve that cannot succeed
}

TEST_CASE("pinning more than the limit is reported and still protects the pinned objects", "[media][cache]") {
    CacheFixture fixture{150};
    const std::string first = fixture.add('a', 100);
    // Recorded without a reserve, as after the limit was lowered in the config.
    auto over = fixture.store.put_bytes(std::string(100, 'b'));
    REQUIRE(over);
    REQUIRE(fixture.cache->record(*over));
    const std::string second = over->sha256;
    auto pinned = fixture.cache->pin({first, second});
    REQUIRE_FALSE(pinned);
    CHECK(pinned.error().code == Errc::TooLarge);
    CHECK(fixture.cache->is_pinned(first));
    CHECK_FALSE(fixture.cache->reserve(10));
    CHECK(fixture.store.contains(first));
    CHECK(fixture.store.contains(second));
}

TEST_CASE("pin refuses a malformed digest", "[media][cache]") {
    CacheFixture fixture{100};
    auto pinned = fixture.cache->pin({"../x"});
    REQUIRE_FALSE(pinned);
    CHECK(pinned.error().code == Errc::InvalidInput);
}

TEST_CASE("usage counts used, pinned and missing pinned objects", "[media][cache]") {
    CacheFixture fixture{1000};
    const std::string first = fixture.add('a', 100);
    fixture.add('b', 30);
    REQUIRE(fixture.cache->pin({first, std::string(64, 'f')}));
    auto usage = fixture.cache->usage();
    REQUIRE(usage);
    CHECK(usage->used_bytes == 130);
    CHECK(usage->max_bytes == 1000);
    CHECK(usage->items == 2);
    CHECK(usage->pinned_bytes == 100);
    CHECK(usage->pinned_items == 1);
    CHECK(usage->missing_pinned == 1);
}

TEST_CASE("reopening the cache keeps last-use order and drops rows of deleted files", "[media][cache]") {
    TemporaryDirectory directory;
    SettableClock clock;
    auto store = ContentStore::open(directory.path() / "media");
    REQUIRE(store);
    const CacheOptions options{directory.path() / "state.sqlite", 1000};
    std::string first;
    std::string second;
    std::string third;
    {
        auto cache = MediaCache::open(*store, options, clock);
        REQUIRE(cache);
        for (auto [seed, digest] :
             {std::pair{'a', &first}, std::pair{'b', &second}, std::pair{'c', &third}}) {
            auto stored = store->put_bytes(std::string(10, seed));
            REQUIRE(stored);
            REQUIRE((*cache)->record(*stored));
            *digest = stored->sha256;
            clock.advance(std::chrono::seconds{1});
        }
    }
    REQUIRE(store->remove(second));  // deleted behind the cache's back
    auto stray = store->put_bytes("stored without the cache");
    REQUIRE(stray);

    auto reopened = MediaCache::open(*store, options, clock);
    REQUIRE(reopened);
    auto order = (*reopened)->by_age();
    REQUIRE(order);
    CHECK(*order == std::vector<std::string>{stray->sha256, first, third});
}

TEST_CASE("the cache index can share a database file with other tables", "[media][cache]") {
    TemporaryDirectory directory;
    SettableClock clock;
    auto store = ContentStore::open(directory.path() / "media");
    REQUIRE(store);
    const auto database = directory.path() / "player.sqlite";
    auto cache = MediaCache::open(*store, {database, 100}, clock);
    REQUIRE(cache);
    auto again = MediaCache::open(*store, {database, 100}, clock);
    REQUIRE(again);
    auto stored = store->put_bytes("shared");
    REQUIRE(stored);
    REQUIRE((*cache)->record(*stored));
    auto usage = (*again)->usage();
    REQUIRE(usage);
    CHECK(usage->items == 1);
}

TEST_CASE("a zero-byte cache limit is refused", "[media][cache]") {
    TemporaryDirectory directory;
    SettableClock clock;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    auto cache = MediaCache::open(*store, {directory.path() / "c.sqlite", 0}, clock);
    REQUIRE_FALSE(cache);
    CHECK(cache.error().code == Errc::InvalidInput);
}

TEST_CASE("reservations of downloads in flight count against the limit", "[media][cache]") {
    CacheFixture fixture{300};
    const std::string old_object = fixture.add('a', 100);
    REQUIRE(fixture.cache->reserve(150));  // a download in flight: 250 of 300 spoken for
    auto second = fixture.cache->reserve(100);
    REQUIRE(second);
    CHECK(*second == std::vector<std::string>{old_object});  // room made for both downloads
    auto third = fixture.cache->reserve(100);
    REQUIRE_FALSE(third);  // 150 + 100 in flight already: 100 more cannot fit
    CHECK(third.error().code == Errc::TooLarge);
    fixture.cache->release(150);
    CHECK(fixture.cache->reserve(100));
}

TEST_CASE("a reservation evicts until the disk keeps its free floor, whatever room the cache limit leaves",
          "[media][cache][disk]") {
    // The cache limit is far away; the disk (1000 bytes) must keep 300 free after each download.
    CacheFixture fixture{10'000, 1000, 300};
    const std::string first = fixture.add('a', 200);
    const std::string second = fixture.add('b', 200);
    const std::string third = fixture.add('c', 200);  // 400 free: 200 + 300 would not fit
    auto evicted = fixture.cache->reserve(200);
    REQUIRE(evicted);
    CHECK(*evicted == std::vector<std::string>{first});  // least recently used, and enough
    CHECK(fixture.store.contains(second));
    CHECK(fixture.store.contains(third));
    CHECK(fixture.free_space_asked > 0);
}

TEST_CASE("a reservation the disk cannot take even after evicting is refused, naming the floor",
          "[media][cache][disk]") {
    CacheFixture fixture{10'000, 1000, 300};
    const std::string first = fixture.add('a', 200);
    const std::string second = fixture.add('b', 200);
    const std::string third = fixture.add('c', 200);
    REQUIRE(fixture.cache->pin({first, second}));
    auto reserved = fixture.cache->reserve(400);  // needs 700 free; evicting `third` leaves 600
    REQUIRE_FALSE(reserved);
    CHECK(reserved.error().code == Errc::TooLarge);
    CHECK_THAT(reserved.error().detail,
               Catch::StartsWith("đĩa sắp đầy / disk nearly full"));  // Vietnamese first
    CHECK_THAT(reserved.error().detail, Catch::Contains("cache.min_free_disk_mb"));
    CHECK_THAT(reserved.error().detail, Catch::Contains("400 bytes more are needed"));
    CHECK(fixture.store.contains(third));  // nothing evicted for a reservation that cannot succeed
    // A smaller one fits once the unpinned object goes.
    auto smaller = fixture.cache->reserve(300);
    REQUIRE(smaller);
    CHECK(*smaller == std::vector<std::string>{third});
}

TEST_CASE("without a free-space floor the disk is not asked", "[media][cache][disk]") {
    CacheFixture fixture{10'000, 1000, 0};
    fixture.add('a', 200);
    REQUIRE(fixture.cache->reserve(5000));  // the fake disk is too small, but no floor is set
    CHECK(fixture.free_space_asked == 0);
}

TEST_CASE("the free-space floor is read from the real disk by default", "[media][cache][disk]") {
    TemporaryDirectory directory;
    SettableClock clock;
    ContentStore store = *ContentStore::open(directory.path() / "media");
    CacheOptions options{directory.path() / "state.sqlite", 1000};
    options.min_free_bytes = std::uint64_t{1} << 62;  // more than any disk here has free
    auto cache = MediaCache::open(store, options, clock);
    REQUIRE(cache);
    auto reserved = (*cache)->reserve(10);
    REQUIRE_FALSE(reserved);
    CHECK_THAT(reserved.error().detail, Catch::Contains("disk nearly full"));
    options.min_free_bytes = 1;
    auto roomy = MediaCache::open(store, options, clock);
    REQUIRE(roomy);
    CHECK((*roomy)->reserve(10));
}
