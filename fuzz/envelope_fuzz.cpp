// libFuzzer target: the envelope verifiers on arbitrary bytes, twice per input.
// 1. The input as an envelope, as it would arrive from the broker.
// 2. The input as a payload, signed with the trusted key first, so the decoders behind a
//    valid signature are reached too.
// Invariants: no crash, no sanitizer report; a refusal always has a known reason; a message
// that passed verification meets the checks its verifier promises.

#include "bantin/protocol/envelope.hpp"
#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace bantin;
using namespace bantin::protocol;

constexpr std::string_view device = "loa-phuong-1-cong-uy-ban";
constexpr std::string_view zone = "phuong-1";

void verify_all(std::string_view bytes) {
    const TimePoint now = from_unix_ms(1'795'759'200'000);  // 2026-11-27T06:00:00Z
    const TrustedKeys& keys = fuzz::trusted_keys();

    auto bundle = verify_bundle(bytes, keys, device, 6, now);
    if (bundle && (bundle->device != device || bundle->version <= 6 || bundle->expires_at <= now)) {
        fuzz::broken("verify_bundle accepted what it must refuse");
    }
    if (!bundle && to_string(bundle.error().reason) == "?")
        fuzz::broken("unknown refusal");

    SeenCommands seen(4);
    seen.remember("cmd-000001", from_unix_ms(1'795'759'000'000));
    auto command = verify_command(bytes, keys, device, seen, now);
    if (command && (command->device != device || command->id == "cmd-000001" || command->expires_at <= now)) {
        fuzz::broken("verify_command accepted what it must refuse");
    }

    (void)verify_alert(bytes, keys, zone, {"canh-bao-cu"}, now);
    (void)verify_live(bytes, keys, zone, now);
    auto ack = verify_ack(bytes, keys, device);
    if (ack && ack->device != device)
        fuzz::broken("verify_ack accepted another device's ack");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    verify_all(bytes);
    auto signed_envelope = sign_payload(bytes, fuzz::controller_key().secret);
    if (signed_envelope)
        verify_all(*signed_envelope);
    return 0;
}
