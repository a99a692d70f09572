#pragma once
// Shared by the fuzz targets: the fixed controller key that signed the seed corpus (the test
// key of docs/protocol.md, seed bytes 0x01..0x20), and a crash that libFuzzer reports.

#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/keys.hpp"

#include <cstdio>
#include <cstdlib>

namespace bantin::fuzz {

inline const protocol::KeyPair& controller_key() {
    static const protocol::KeyPair pair = [] {
        std::array<std::uint8_t, 32> seed{};
        for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i + 1);
        return protocol::key_pair_from_seed(seed);
    }();
    return pair;
}

inline const protocol::TrustedKeys& trusted_keys() {
    static const protocol::TrustedKeys keys{protocol::trusted_key(controller_key().public_key)};
    return keys;
}

// An invariant the decoders promise was broken: abort so libFuzzer saves the input.
[[noreturn]] inline void broken(const char* what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
}

}  // namespace bantin::fuzz
