// Verifies Bantin's signed envelopes with the real OpenSSL 3 command line, as a third party
// would (docs/protocol.md, "Verifying a message without Bantin").

#include "bantin/protocol/envelope.hpp"
#include "protocol/sample_messages.hpp"
#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace bantin;
using namespace bantin::protocol;
namespace fs = std::filesystem;

namespace {

using bantin::testing::TemporaryDirectory;

void write_bytes(const fs::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

struct CommandResult {
    int exit_code = -1;
    std::string output;
};

// Runs a shell command line with stdout and stderr captured to a file.
CommandResult run(const std::string& command_line, const TemporaryDirectory& directory) {
    auto output = directory / "output.txt";
    int status = std::system((command_line + " >'" + output.string() + "' 2>&1").c_str());
    REQUIRE(status != -1);
    return CommandResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_bytes(output)};
}

std::string verify_command_line(const TemporaryDirectory& directory) {
    return "openssl pkeyutl -verify -pubin -inkey '" + (directory / "controller.pem").string() +
           "' -rawin -in '" + (directory / "payload.bin").string() + "' -sigfile '" +
           (directory / "sig.bin").string() + "'";
}

// Writes what a third party extracts from an envelope: the payload bytes and the raw signature.
void extract(const std::string& envelope, const TemporaryDirectory& directory) {
    auto opened = open_envelope(envelope, envelope_limit(MessageType::Bundle));
    REQUIRE(opened.has_value());
    write_bytes(directory / "payload.bin", opened->payload);
    write_bytes(directory / "sig.bin", opened->signature);
    write_bytes(directory / "controller.pem", to_pem(samples::controller_key().public_key));
}

}  // namespace

TEST_CASE("openssl pkeyutl -verify -rawin accepts a signed bundle", "[protocol][openssl][integration]") {
    TemporaryDirectory directory;
    extract(seal(samples::bundle(), samples::controller_key().secret), directory);
    auto result = run(verify_command_line(directory), directory);
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.output, Catch::Contains("Signature Verified Successfully"));
}

TEST_CASE("openssl pkeyutl -verify -rawin rejects a tampered payload", "[protocol][openssl][integration]") {
    TemporaryDirectory directory;
    extract(seal(samples::bundle(), samples::controller_key().secret), directory);
    auto payload = read_bytes(directory / "payload.bin");
    auto at = payload.find("\"version\":7");
    REQUIRE(at != std::string::npos);
    payload[at + 10] = '8';
    write_bytes(directory / "payload.bin", payload);
    auto result = run(verify_command_line(directory), directory);
    INFO(result.output);
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Catch::Contains("Signature Verification Failure"));
}

TEST_CASE("openssl verifies a command signed for a device too", "[protocol][openssl][integration]") {
    TemporaryDirectory directory;
    extract(seal(samples::command(), samples::controller_key().secret), directory);
    auto result = run(verify_command_line(directory), directory);
    INFO(result.output);
    CHECK(result.exit_code == 0);
}

TEST_CASE("openssl reads the PKCS#8 secret key and makes the same signature",
          "[protocol][openssl][integration]") {
    // Ed25519 is deterministic: the same key and bytes give the same signature, so this proves
    // the key file is the key OpenSSL understands, not merely a file it parses.
    TemporaryDirectory directory;
    auto envelope = seal(samples::bundle(), samples::controller_key().secret);
    extract(envelope, directory);
    write_bytes(directory / "controller.key", to_pem(samples::controller_key().secret));
    auto result = run("openssl pkeyutl -sign -inkey '" + (directory / "controller.key").string() +
                          "' -rawin -in '" + (directory / "payload.bin").string() + "' -out '" +
                          (directory / "openssl-sig.bin").string() + "'",
                      directory);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    CHECK(read_bytes(directory / "openssl-sig.bin") == read_bytes(directory / "sig.bin"));
}

TEST_CASE("openssl derives the same public key and key id from the key files",
          "[protocol][openssl][integration]") {
    TemporaryDirectory directory;
    write_bytes(directory / "controller.key", to_pem(samples::controller_key().secret));
    auto result =
        run("openssl pkey -in '" + (directory / "controller.key").string() + "' -pubout", directory);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    CHECK(result.output == to_pem(samples::controller_key().public_key));

    write_bytes(directory / "controller.pem", to_pem(samples::controller_key().public_key));
    auto digest = run("openssl pkey -pubin -in '" + (directory / "controller.pem").string() +
                          "' -outform DER | tail -c 32 | openssl dgst -sha256 -r | cut -c1-16",
                      directory);
    REQUIRE(digest.exit_code == 0);
    CHECK(digest.output == key_id(samples::controller_key().public_key) + "\n");
}
