#include "bantin/media/sha256.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <unistd.h>
#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace bantin::media {

namespace {

static_assert(sizeof(crypto_hash_sha256_state) <= 128);
static_assert(alignof(crypto_hash_sha256_state) <= 16);

void initialise_sodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        // sodium_init is safe to call more than once; a failure leaves hashing (which needs no
        // random source) working, so it is not fatal here.
        [[maybe_unused]] const int result = sodium_init();
    });
}

crypto_hash_sha256_state* state_of(unsigned char* storage) {
    return reinterpret_cast<crypto_hash_sha256_state*>(storage);
}

}  // namespace

bool is_sha256_hex(std::string_view text) {
    if (text.size() != 64) {
        return false;
    }
    for (char c : text) {
        const bool digit = c >= '0' && c <= '9';
        const bool lower_hex = c >= 'a' && c <= 'f';
        if (!digit && !lower_hex) {
            return false;
        }
    }
    return true;
}

Result<void> check_sha256_hex(std::string_view text, std::string_view what) {
    if (is_sha256_hex(text)) {
        return {};
    }
    std::string shown{text.substr(0, 80)};
    return fail(Errc::InvalidInput,
                std::string{what} + ": expected 64 lowercase hex digits, got \"" + shown + "\"");
}

Sha256::Sha256() {
    initialise_sodium();
    crypto_hash_sha256_init(state_of(m_state));
}

void Sha256::update(const void* data, std::size_t size) {
    crypto_hash_sha256_update(state_of(m_state), static_cast<const unsigned char*>(data), size);
}

std::string Sha256::finish_hex() {
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256_final(state_of(m_state), digest.data());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string{hex.data(), crypto_hash_sha256_BYTES * 2};
}

std::string sha256_hex(std::string_view data) {
    Sha256 hasher;
    hasher.update(data);
    return hasher.finish_hex();
}

Result<std::string> sha256_of_file(const std::filesystem::path& path) {
    const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (descriptor < 0) {
        const int error = errno;
        return fail(error == ENOENT ? Errc::NotFound : Errc::Io,
                    "cannot open " + path.string() + ": " + std::strerror(error));
    }
    Sha256 hasher;
    std::array<char, 64 * 1024> buffer{};
    for (;;) {
        const ssize_t count = ::read(descriptor, buffer.data(), buffer.size());
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            const int error = errno;
            ::close(descriptor);
            return fail(Errc::Io, "cannot read " + path.string() + ": " + std::strerror(error));
        }
        if (count == 0) {
            break;
        }
        hasher.update(buffer.data(), static_cast<std::size_t>(count));
    }
    ::close(descriptor);
    return hasher.finish_hex();
}

}  // namespace bantin::media
