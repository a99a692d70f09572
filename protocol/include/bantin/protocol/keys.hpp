#pragma once
// Ed25519 keys of the controller (docs/protocol.md, "Keys"): generation, key ids, key files,
// and the PEM forms OpenSSL and Node read.
//
// Key id ("kid") = the first 16 hex digits of SHA-256 over the 32 raw public-key bytes.
// Key files are PEM: the secret key is PKCS#8 "PRIVATE KEY" (the 32-byte seed), the public
// key SubjectPublicKeyInfo "PUBLIC KEY"; `openssl pkey` reads both. A secret key file is
// written with mode 0600 and refused on load when its group or others have any access.
//
// Pure values and blocking file I/O; any thread. sodium_init() is called on first use.
// Errors: Io (file), PermissionDenied (file mode), InvalidInput (not a key), AlreadyExists.

#include "bantin/common/error.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace bantin::protocol {

struct PublicKey {
    std::array<std::uint8_t, 32> bytes{};
    bool operator==(const PublicKey&) const = default;
};

// Move-only; the bytes are wiped on destruction.
class SecretKey {
public:
    SecretKey() = default;
    explicit SecretKey(const std::array<std::uint8_t, 32>& seed);
    SecretKey(const SecretKey&) = delete;
    SecretKey& operator=(const SecretKey&) = delete;
    SecretKey(SecretKey&& other) noexcept;
    SecretKey& operator=(SecretKey&& other) noexcept;
    ~SecretKey();

    const std::array<std::uint8_t, 32>& seed() const { return m_seed; }
    // libsodium's 64-byte form: seed followed by the public key.
    const std::array<std::uint8_t, 64>& expanded() const { return m_expanded; }
    PublicKey public_key() const;

private:
    std::array<std::uint8_t, 32> m_seed{};
    std::array<std::uint8_t, 64> m_expanded{};
};

struct KeyPair {
    SecretKey secret;
    PublicKey public_key;
};

// Fresh randomness from the operating system.
KeyPair generate_key_pair();
KeyPair key_pair_from_seed(const std::array<std::uint8_t, 32>& seed);

// 16 lowercase hex digits.
std::string key_id(const PublicKey& key);

// Raw 32 bytes as standard base64 (with padding) and back; used in provisioning files.
std::string to_base64(const PublicKey& key);
Result<PublicKey> public_key_from_base64(std::string_view text);

std::string to_pem(const PublicKey& key);  // "-----BEGIN PUBLIC KEY-----..."
std::string to_pem(const SecretKey& key);  // "-----BEGIN PRIVATE KEY-----..."
Result<PublicKey> public_key_from_pem(std::string_view pem);
Result<SecretKey> secret_key_from_pem(std::string_view pem);

enum class Overwrite { No, Yes };

// Writes with mode 0600 (whatever the umask). Overwrite::No fails with AlreadyExists.
Result<void> write_secret_key_file(const std::filesystem::path& path, const SecretKey& key,
                                   Overwrite overwrite = Overwrite::No);
Result<void> write_public_key_file(const std::filesystem::path& path, const PublicKey& key,
                                   Overwrite overwrite = Overwrite::No);
Result<SecretKey> load_secret_key_file(const std::filesystem::path& path);
Result<PublicKey> load_public_key_file(const std::filesystem::path& path);

// Base64 helpers (standard alphabet, padded), shared with the envelope.
std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);

}  // namespace bantin::protocol
