#include "bantin/media/store.hpp"
#include "bantin/media/sha256.hpp"
#include "media_test_support.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace bantin;
using namespace bantin::media;
using bantin::media::testing::count_files;
using bantin::media::testing::read_file;
using bantin::media::testing::TemporaryDirectory;
using bantin::media::testing::write_file;

namespace {
// sha256("abc"), FIPS 180-2 test vector.
constexpr std::string_view abc_digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
}  // namespace

TEST_CASE("sha256 matches the FIPS 180-2 test vectors", "[media][sha256]") {
    CHECK(sha256_hex("abc") == abc_digest);
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sha256 hashed in pieces equals sha256 hashed at once", "[media][sha256]") {
    const std::string text(100'000, 'x');
    Sha256 hasher;
    for (std::size_t offset = 0; offset < text.size(); offset += 7'777) {
        hasher.update(std::string_view{text}.substr(offset, 7'777));
    }
    CHECK(hasher.finish_hex() == sha256_hex(text));
}

TEST_CASE("only 64 lowercase hex digits are a digest", "[media][sha256]") {
    CHECK(is_sha256_hex(abc_digest));
    CHECK_FALSE(is_sha256_hex(std::string{abc_digest}.substr(1)));
    CHECK_FALSE(is_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    CHECK_FALSE(is_sha256_hex("../../../../etc/passwd"));
    CHECK_FALSE(is_sha256_hex(std::string(63, 'a') + "/"));
    auto checked = check_sha256_hex("nope", "items[3].sha256");
    REQUIRE_FALSE(checked);
    CHECK(checked.error().code == Errc::InvalidInput);
    CHECK(checked.error().detail.find("items[3].sha256") != std::string::npos);
}

TEST_CASE("a put stores the bytes under their digest with two-level fan-out", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    auto stored = store->put_bytes("abc");
    REQUIRE(stored);
    CHECK(stored->sha256 == abc_digest);
    CHECK(stored->size == 3);
    CHECK_FALSE(stored->already_present);
    auto path = store->lookup(abc_digest);
    REQUIRE(path);
    CHECK(*path == directory.path() / "objects" / "ba" / "78" / std::string{abc_digest});
    CHECK(read_file(*path) == "abc");
    CHECK(store->contains(abc_digest));
}

TEST_CASE("putting the same bytes twice keeps one copy", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    REQUIRE(store->put_bytes("same content"));
    std::istringstream stream{"same content"};
    auto second = store->put_stream(stream);
    REQUIRE(second);
    CHECK(second->already_present);
    CHECK(count_files(directory.path() / "objects") == 1);
    CHECK(count_files(directory.path() / "tmp") == 0);
}

TEST_CASE("put_file and put_stream store large content in chunks", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path() / "store");
    REQUIRE(store);
    std::string content;
    for (int index = 0; index < 300'000; ++index) {
        content += static_cast<char>(index * 31 % 251);
    }
    write_file(directory.path() / "source.bin", content);
    auto stored = store->put_file(directory.path() / "source.bin");
    REQUIRE(stored);
    CHECK(stored->sha256 == sha256_hex(content));
    CHECK(stored->size == content.size());
    CHECK(read_file(*store->lookup(stored->sha256)) == content);
}

TEST_CASE("a put over its size limit fails and leaves no file behind", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    std::istringstream stream{std::string(10'000, 'z')};
    auto stored = store->put_stream(stream, 4'096);
    REQUIRE_FALSE(stored);
    CHECK(stored.error().code == Errc::TooLarge);
    CHECK(count_files(directory.path()) == 0);
}

TEST_CASE("a pending object dropped before commit leaves no file behind", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    std::filesystem::path temporary;
    {
        auto pending = store->begin();
        REQUIRE(pending);
        REQUIRE(pending->write("half of an upload"));
        temporary = pending->path();
        CHECK(std::filesystem::exists(temporary));
        CHECK(temporary.parent_path() == directory.path() / "tmp");
    }
    CHECK_FALSE(std::filesystem::exists(temporary));
    CHECK(count_files(directory.path()) == 0);
}

TEST_CASE("a finished pending object can be inspected before it is committed", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    auto pending = store->begin();
    REQUIRE(pending);
    REQUIRE(pending->write("ab"));
    REQUIRE(pending->write("c"));
    auto digest = pending->finish();
    REQUIRE(digest);
    CHECK(*digest == abc_digest);
    CHECK(read_file(pending->path()) == "abc");
    CHECK_FALSE(store->contains(abc_digest));
    auto stored = pending->commit();
    REQUIRE(stored);
    CHECK(store->contains(abc_digest));
    CHECK(count_files(directory.path() / "tmp") == 0);
}

TEST_CASE("verify detects a stored file that was altered", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    auto stored = store->put_bytes("original");
    REQUIRE(stored);
    CHECK(store->verify(stored->sha256));
    write_file(*store->lookup(stored->sha256), "tampered");
    auto verified = store->verify(stored->sha256);
    REQUIRE_FALSE(verified);
    CHECK(verified.error().code == Errc::Crypto);
}

TEST_CASE("remove deletes an object and tolerates an absent one", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    auto stored = store->put_bytes("to remove");
    REQUIRE(stored);
    REQUIRE(store->remove(stored->sha256));
    CHECK_FALSE(store->contains(stored->sha256));
    CHECK(store->remove(stored->sha256));
    auto missing = store->lookup(stored->sha256);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::NotFound);
}

TEST_CASE("a path-like digest is refused before any path is built", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    for (std::string_view bad : {"../objects", "/etc/passwd", ""}) {
        auto looked_up = store->lookup(bad);
        REQUIRE_FALSE(looked_up);
        CHECK(looked_up.error().code == Errc::InvalidInput);
        CHECK_FALSE(store->remove(bad));
        CHECK_FALSE(store->partial_path(bad));
    }
}

TEST_CASE("list returns every stored object with its size", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    REQUIRE(store->put_bytes("one"));
    REQUIRE(store->put_bytes("three"));
    auto listed = store->list();
    REQUIRE(listed);
    REQUIRE(listed->size() == 2);
    std::uint64_t total = 0;
    for (const auto& object : *listed) {
        total += object.size;
    }
    CHECK(total == 8);
}

TEST_CASE("start-up clean-up removes temporary files of an interrupted put", "[media][store]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    write_file(directory.path() / "tmp" / "put-crashed.tmp", "left by a crash");
    write_file(directory.path() / "partial" / (std::string(64, 'a') + ".part"), "resumable");
    auto removed = store->remove_temporary_files();
    REQUIRE(removed);
    CHECK(*removed == 1);
    CHECK(count_files(directory.path() / "tmp") == 0);
    CHECK(count_files(directory.path() / "partial") == 1);
}
