#pragma once
// SHA-256 digests, the content addresses of every Bantin media file.
//
// A digest travels as 64 lowercase hex digits. `is_sha256_hex` is the only gate through which
// a digest from the outside (a bundle manifest, an HTTP path) may become part of a file path.
// `Sha256` hashes a stream incrementally (libsodium's crypto_hash_sha256); an instance belongs
// to one thread at a time. `sha256_of_file` reads a file in chunks and returns Io errors for
// files that cannot be read.

#include "bantin/common/error.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace bantin::media {

// True for exactly 64 characters of [0-9a-f].
bool is_sha256_hex(std::string_view text);

// InvalidInput naming `what` unless `text` is a valid digest.
Result<void> check_sha256_hex(std::string_view text, std::string_view what = "sha256");

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // Returns the digest; the hasher must not be updated afterwards.
    std::string finish_hex();

private:
    // Opaque storage for crypto_hash_sha256_state, so this header does not pull in sodium.h.
    alignas(16) unsigned char m_state[128];
};

std::string sha256_hex(std::string_view data);
Result<std::string> sha256_of_file(const std::filesystem::path& path);

}  // namespace bantin::media
