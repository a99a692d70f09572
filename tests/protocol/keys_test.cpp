#include "bantin/protocol/keys.hpp"
#include "protocol/sample_messages.hpp"
#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>

using namespace bantin;
using namespace bantin::protocol;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temp dir, removed at scope exit.
using bantin::testing::TemporaryDirectory;

unsigned mode_of(const fs::path& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

}  // namespace

TEST_CASE("key id is the first 16 hex digits of sha256 over the raw public key", "[protocol][keys]") {
    // sha256 of the 32 public-key bytes of seed 01..20, computed independently with
    // `openssl pkey -pubin -outform DER | tail -c 32 | sha256sum`.
    auto key = samples::controller_key().public_key;
    auto id = key_id(key);
    CHECK(id.size() == 16);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(key_id(samples::other_key().public_key) != id);
}

TEST_CASE("the RFC 8032 test key derives the published public key", "[protocol][keys]") {
    // RFC 8032 section 7.1, TEST 1.
    std::array<std::uint8_t, 32> seed{0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
                                      0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
                                      0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
    auto pair = key_pair_from_seed(seed);
    CHECK(to_base64(pair.public_key) == "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
}

TEST_CASE("generated key pairs differ and agree with their secret", "[protocol][keys]") {
    auto first = generate_key_pair();
    auto second = generate_key_pair();
    CHECK_FALSE(first.public_key == second.public_key);
    CHECK(first.secret.public_key() == first.public_key);
}

TEST_CASE("public key PEM is SubjectPublicKeyInfo and round trips", "[protocol][keys]") {
    auto key = samples::controller_key().public_key;
    auto pem = to_pem(key);
    CHECK_THAT(pem, Catch::StartsWith("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));
    CHECK_THAT(pem, Catch::EndsWith("-----END PUBLIC KEY-----\n"));
    auto parsed = public_key_from_pem(pem);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == key);
}

TEST_CASE("secret key PEM is PKCS#8 and round trips", "[protocol][keys]") {
    auto pair = samples::controller_key();
    auto pem = to_pem(pair.secret);
    CHECK_THAT(pem, Catch::StartsWith("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"));
    auto parsed = secret_key_from_pem(pem);
    REQUIRE(parsed.has_value());
    CHECK(parsed->seed() == pair.secret.seed());
    CHECK(parsed->public_key() == pair.public_key);
}

TEST_CASE("PEM that is not an Ed25519 key is refused", "[protocol][keys]") {
    auto rsa_like =
        "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n"
        "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END PUBLIC KEY-----\n";
    auto parsed = public_key_from_pem(rsa_like);
    REQUIRE_FALSE(parsed.has_value());
    CHECK_THAT(parsed.error().detail, Catch::Contains("not an Ed25519 public key"));
    CHECK_FALSE(public_key_from_pem("hello").has_value());
    CHECK_FALSE(secret_key_from_pem(to_pem(samples::controller_key().public_key)).has_value());
}

TEST_CASE("public key base64 must be 32 bytes", "[protocol][keys]") {
    CHECK(public_key_from_base64(to_base64(samples::controller_key().public_key)).has_value());
    auto short_key = public_key_from_base64("AAAA");
    REQUIRE_FALSE(short_key.has_value());
    CHECK_THAT(short_key.error().detail, Catch::Contains("expected 32 bytes"));
    CHECK_FALSE(public_key_from_base64("not base64!").has_value());
}

TEST_CASE("secret key file is written with mode 0600 whatever the umask", "[protocol][keys][files]") {
    TemporaryDirectory directory;
    auto path = directory.path() / "controller.key";
    mode_t previous = ::umask(0);
    auto written = write_secret_key_file(path, samples::controller_key().secret);
    ::umask(previous);
    REQUIRE(written.has_value());
    CHECK(mode_of(path) == 0600);
    auto loaded = load_secret_key_file(path);
    REQUIRE(loaded.has_value());
    CHECK(loaded->public_key() == samples::controller_key().public_key);
}

TEST_CASE("secret key file is not overwritten unless asked", "[protocol][keys][files]") {
    TemporaryDirectory directory;
    auto path = directory.path() / "controller.key";
    REQUIRE(write_secret_key_file(path, samples::controller_key().secret).has_value());
    auto again = write_secret_key_file(path, samples::other_key().secret);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == Errc::AlreadyExists);
    REQUIRE(write_secret_key_file(path, samples::other_key().secret, Overwrite::Yes).has_value());
    CHECK(load_secret_key_file(path)->public_key() == samples::other_key().public_key);
}

TEST_CASE("a world-readable secret key file is refused with a clear error", "[protocol][keys][files]") {
    TemporaryDirectory directory;
    auto path = directory.path() / "controller.key";
    REQUIRE(write_secret_key_file(path, samples::controller_key().secret).has_value());
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
    auto loaded = load_secret_key_file(path);
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().code == Errc::PermissionDenied);
    CHECK_THAT(loaded.error().detail, Catch::Contains("mode 0604"));
    CHECK_THAT(loaded.error().detail, Catch::Contains("chmod 600"));
}

TEST_CASE("a group-readable secret key file is refused too", "[protocol][keys][files]") {
    TemporaryDirectory directory;
    auto path = directory.path() / "controller.key";
    REQUIRE(write_secret_key_file(path, samples::controller_key().secret).has_value());
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    auto loaded = load_secret_key_file(path);
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().code == Errc::PermissionDenied);
}

TEST_CASE("public key file is readable by all and loads back", "[protocol][keys][files]") {
    TemporaryDirectory directory;
    auto path = directory.path() / "controller.pem";
    mode_t previous = ::umask(022);
    REQUIRE(write_public_key_file(path, samples::controller_key().public_key).has_value());
    ::umask(previous);
    CHECK(mode_of(path) == 0644);
    auto loaded = load_public_key_file(path);
    REQUIRE(loaded.has_value());
    CHECK(*loaded == samples::controller_key().public_key);
}

TEST_CASE("loading a missing key file says which file", "[protocol][keys][files]") {
    auto loaded = load_public_key_file("/nonexistent/bantin/controller.pem");
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().code == Errc::NotFound);
    CHECK_THAT(loaded.error().detail, Catch::Contains("/nonexistent/bantin/controller.pem"));
}

TEST_CASE("a key file holding garbage is refused naming the file", "[protocol][keys][files]") {
    TemporaryDirectory directory;
    auto path = directory.path() / "controller.key";
    {
        std::ofstream out(path);
        out << "not a key\n";
    }
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    auto loaded = load_secret_key_file(path);
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().code == Errc::InvalidInput);
    CHECK_THAT(loaded.error().detail, Catch::StartsWith(path.string()));
}
