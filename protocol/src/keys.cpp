#include "bantin/protocol/keys.hpp"

#include "private_file.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace bantin::protocol {
namespace {

// DER prefixes of RFC 8410: SubjectPublicKeyInfo and PKCS#8 PrivateKeyInfo for Ed25519,
// each followed by the 32 key bytes.
constexpr std::array<std::uint8_t, 12> spki_prefix{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                   0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
constexpr std::array<std::uint8_t, 16> pkcs8_prefix{0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                                    0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
constexpr std::size_t max_key_file_size = 4096;

void ensure_sodium() {
    static const int initialised = sodium_init();
    if (initialised < 0)
        std::abort();  // no usable randomness: nothing can be signed safely
}

std::string_view as_chars(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

std::string pem(std::string_view label, std::string_view der) {
    std::string body = base64_encode(der);
    std::string out = "-----BEGIN " + std::string(label) + "-----\n";
    for (std::size_t at = 0; at < body.size(); at += 64) {
        out += body.substr(at, 64);
        out += '\n';
    }
    out += "-----END " + std::string(label) + "-----\n";
    return out;
}

Result<std::string> pem_body(std::string_view text, std::string_view label) {
    std::string begin = "-----BEGIN " + std::string(label) + "-----";
    std::string end = "-----END " + std::string(label) + "-----";
    auto first = text.find(begin);
    if (first == std::string_view::npos) {
        return fail(Errc::InvalidInput, "expected a PEM block \"" + begin + "\"");
    }
    auto last = text.find(end, first);
    if (last == std::string_view::npos)
        return fail(Errc::InvalidInput, "missing \"" + end + "\"");
    std::string body;
    for (char c : text.substr(first + begin.size(), last - first - begin.size())) {
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t')
            body += c;
    }
    auto der = base64_decode(body);
    if (!der)
        return fail(Errc::InvalidInput, "the PEM body is not base64");
    return der;
}

template <std::size_t N>
Result<std::array<std::uint8_t, 32>> key_after_prefix(std::string_view der,
                                                      const std::array<std::uint8_t, N>& prefix,
                                                      std::string_view what) {
    if (der.size() != N + 32 || std::memcmp(der.data(), prefix.data(), N) != 0) {
        return fail(Errc::InvalidInput, "not an Ed25519 " + std::string(what));
    }
    std::array<std::uint8_t, 32> key{};
    std::memcpy(key.data(), der.data() + N, 32);
    return key;
}

}  // namespace

SecretKey::SecretKey(const std::array<std::uint8_t, 32>& seed) : m_seed(seed) {
    ensure_sodium();
    std::array<std::uint8_t, 32> public_bytes{};
    crypto_sign_seed_keypair(public_bytes.data(), m_expanded.data(), m_seed.data());
}

SecretKey::SecretKey(SecretKey&& other) noexcept : m_seed(other.m_seed), m_expanded(other.m_expanded) {
    sodium_memzero(other.m_seed.data(), other.m_seed.size());
    sodium_memzero(other.m_expanded.data(), other.m_expanded.size());
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
    if (this != &other) {
        m_seed = other.m_seed;
        m_expanded = other.m_expanded;
        sodium_memzero(other.m_seed.data(), other.m_seed.size());
        sodium_memzero(other.m_expanded.data(), other.m_expanded.size());
    }
    return *this;
}

SecretKey::~SecretKey() {
    sodium_memzero(m_seed.data(), m_seed.size());
    sodium_memzero(m_expanded.data(), m_expanded.size());
}

PublicKey SecretKey::public_key() const {
    PublicKey key;
    std::copy(m_expanded.begin() + 32, m_expanded.end(), key.bytes.begin());
    return key;
}

KeyPair generate_key_pair() {
    ensure_sodium();
    std::array<std::uint8_t, 32> seed{};
    randombytes_buf(seed.data(), seed.size());
    KeyPair pair = key_pair_from_seed(seed);
    sodium_memzero(seed.data(), seed.size());
    return pair;
}

KeyPair key_pair_from_seed(const std::array<std::uint8_t, 32>& seed) {
    SecretKey secret(seed);
    PublicKey public_key = secret.public_key();
    return KeyPair{std::move(secret), public_key};
}

std::string key_id(const PublicKey& key) {
    ensure_sodium();
    std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), key.bytes.data(), key.bytes.size());
    std::array<char, 17> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), 8);
    return std::string(hex.data(), 16);
}

std::string base64_encode(std::string_view bytes) {
    ensure_sodium();
    std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::strlen(out.c_str()));
    return out;
}

Result<std::string> base64_decode(std::string_view text) {
    ensure_sodium();
    std::string out(text.size() / 4 * 3 + 3, '\0');
    std::size_t length = 0;
    const char* end = nullptr;
    int result = sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                                   text.size(), nullptr, &length, &end, sodium_base64_VARIANT_ORIGINAL);
    if (result != 0 || end != text.data() + text.size()) {
        return fail(Errc::InvalidInput, "not standard padded base64");
    }
    out.resize(length);
    return out;
}

std::string to_base64(const PublicKey& key) {
    return base64_encode(as_chars(key.bytes.data(), key.bytes.size()));
}

Result<PublicKey> public_key_from_base64(std::string_view text) {
    auto bytes = base64_decode(text);
    if (!bytes)
        return fail(Errc::InvalidInput, "public key: not standard padded base64");
    if (bytes->size() != 32) {
        return fail(Errc::InvalidInput,
                    "public key: expected 32 bytes, found " + std::to_string(bytes->size()));
    }
    PublicKey key;
    std::memcpy(key.bytes.data(), bytes->data(), 32);
    return key;
}

std::string to_pem(const PublicKey& key) {
    std::string der(as_chars(spki_prefix.data(), spki_prefix.size()));
    der += as_chars(key.bytes.data(), key.bytes.size());
    return pem("PUBLIC KEY", der);
}

std::string to_pem(const SecretKey& key) {
    std::string der(as_chars(pkcs8_prefix.data(), pkcs8_prefix.size()));
    der += as_chars(key.seed().data(), key.seed().size());
    std::string out = pem("PRIVATE KEY", der);
    sodium_memzero(der.data(), der.size());
    return out;
}

Result<PublicKey> public_key_from_pem(std::string_view text) {
    auto der = pem_body(text, "PUBLIC KEY");
    if (!der)
        return std::unexpected(der.error());
    auto bytes = key_after_prefix(*der, spki_prefix, "public key (SubjectPublicKeyInfo)");
    if (!bytes)
        return std::unexpected(bytes.error());
    return PublicKey{*bytes};
}

Result<SecretKey> secret_key_from_pem(std::string_view text) {
    auto der = pem_body(text, "PRIVATE KEY");
    if (!der)
        return std::unexpected(der.error());
    auto seed = key_after_prefix(*der, pkcs8_prefix, "private key (PKCS#8)");
    sodium_memzero(der->data(), der->size());
    if (!seed)
        return std::unexpected(seed.error());
    SecretKey key(*seed);
    sodium_memzero(seed->data(), seed->size());
    return key;
}

Result<void> write_secret_key_file(const std::filesystem::path& path, const SecretKey& key,
                                   Overwrite overwrite) {
    std::string text = to_pem(key);
    auto written = detail::write_file(path, text, detail::FileAccess::OwnerOnly, overwrite == Overwrite::Yes);
    sodium_memzero(text.data(), text.size());
    return written;
}

Result<void> write_public_key_file(const std::filesystem::path& path, const PublicKey& key,
                                   Overwrite overwrite) {
    return detail::write_file(path, to_pem(key), detail::FileAccess::Public, overwrite == Overwrite::Yes);
}

Result<SecretKey> load_secret_key_file(const std::filesystem::path& path) {
    auto text = detail::read_file(path, detail::FileAccess::OwnerOnly, max_key_file_size);
    if (!text)
        return std::unexpected(text.error());
    auto key = secret_key_from_pem(*text);
    sodium_memzero(text->data(), text->size());
    if (!key)
        return fail(key.error().code, path.string() + ": " + key.error().detail);
    return key;
}

Result<PublicKey> load_public_key_file(const std::filesystem::path& path) {
    auto text = detail::read_file(path, detail::FileAccess::Public, max_key_file_size);
    if (!text)
        return std::unexpected(text.error());
    auto key = public_key_from_pem(*text);
    if (!key)
        return fail(key.error().code, path.string() + ": " + key.error().detail);
    return key;
}

}  // namespace bantin::protocol
