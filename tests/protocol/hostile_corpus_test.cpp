// The device-side decoders against the hostile-input corpus (tests/hostile/,
// docs/hostile-input.md):
// - envelope/: bytes as they would arrive from the broker, verified as the manifest's message;
// - payload/: payload JSON signed first with the test key of docs/protocol.md (seed bytes
//   0x01..0x20, the key that signed fuzz/corpus/), so the decoders behind a valid signature
//   are reached.
// - uplink/: what a device sends on its pop topic, decoded as the controller's ingest does
//   (decode_uplink); the entry names the Errc ("accepted": taken as it is) and a detail.
// Each must be refused with the reason (and detail) its manifest entry names. The clock, the
// device, its zone and remembered state are those of the fuzz targets.

#include "support/hostile_corpus.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/keys.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::protocol;

namespace {

constexpr std::string_view device = "loa-phuong-1-cong-uy-ban";
constexpr std::string_view zone = "phuong-1";

const KeyPair& test_key() {
    static const KeyPair pair = [] {
        std::array<std::uint8_t, 32> seed{};
        for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i + 1);
        return key_pair_from_seed(seed);
    }();
    return pair;
}

// "accepted", or the refusal reason and its detail.
std::pair<std::string, std::string> verify(const std::string& message, std::string_view bytes) {
    const TimePoint now = from_unix_ms(1'795'759'200'000);  // 2026-11-27T06:00:00Z
    const TrustedKeys keys{trusted_key(test_key().public_key)};
    auto outcome = [](const auto& verified) -> std::pair<std::string, std::string> {
        if (verified)
            return {"accepted", ""};
        return {std::string{to_string(verified.error().reason)}, verified.error().detail};
    };
    if (message == "bundle")
        return outcome(verify_bundle(bytes, keys, device, 6, now));
    if (message == "command") {
        SeenCommands seen(4);
        seen.remember("cmd-000001", from_unix_ms(1'795'758'600'000));  // 05:50
        return outcome(verify_command(bytes, keys, device, seen, now));
    }
    if (message == "alert")
        return outcome(verify_alert(bytes, keys, zone, {"canh-bao-cu"}, now));
    FAIL("manifest: unknown message " << message);
    return {};
}

void check(const nlohmann::json& entry, const std::pair<std::string, std::string>& got) {
    INFO(got.first << ": " << got.second);
    CHECK(got.first == entry.at("reason").get<std::string>());
    if (entry.contains("detail"))
        CHECK_THAT(got.second, Catch::Contains(entry.at("detail").get<std::string>()));
}

}  // namespace

TEST_CASE("hostile corpus: envelopes from the broker are refused as listed", "[protocol][hostile][corpus]") {
    for (const auto& entry : testing::hostile_manifest().at("envelopes")) {
        const std::string file = entry.at("file");
        DYNAMIC_SECTION(file) {
            check(entry, verify(entry.at("message"), testing::hostile_content(entry)));
        }
    }
}

TEST_CASE("hostile corpus: signed payloads are refused as listed", "[protocol][hostile][corpus]") {
    for (const auto& entry : testing::hostile_manifest().at("payloads")) {
        const std::string file = entry.at("file");
        DYNAMIC_SECTION(file) {
            auto sealed = sign_payload(testing::hostile_content(entry), test_key().secret);
            if (!sealed) {
                // Only a payload that is not UTF-8 cannot be signed; the manifest says so.
                CHECK(entry.at("reason").get<std::string>() == "unsignable");
                continue;
            }
            check(entry, verify(entry.at("message"), *sealed));
        }
    }
}

TEST_CASE("hostile corpus: proof uplinks are refused as listed", "[protocol][hostile][corpus]") {
    for (const auto& entry : testing::hostile_manifest().at("uplinks")) {
        const std::string file = entry.at("file");
        DYNAMIC_SECTION(file) {
            auto decoded = decode_uplink(testing::hostile_content(entry));
            const std::string got = decoded ? "accepted" : std::string{to_string(decoded.error().code)};
            INFO(got << ": " << (decoded ? std::string{} : decoded.error().detail));
            CHECK(got == entry.at("error").get<std::string>());
            if (!decoded && entry.contains("detail"))
                CHECK_THAT(decoded.error().detail, Catch::Contains(entry.at("detail").get<std::string>()));
        }
    }
}
