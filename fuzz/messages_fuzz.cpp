// libFuzzer target: every message decoder of wire protocol v1 on arbitrary bytes.
// Invariants: no crash, no sanitizer report, no exception; and whatever decodes re-encodes to
// bytes that decode to the same value (the codecs are each other's inverse).

#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/provisioning.hpp"
#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

template <class Decode>
void round_trip(std::string_view text, Decode decode, const char* what) {
    auto decoded = decode(text);
    if (!decoded)
        return;
    auto again = decode(bantin::protocol::encode(*decoded));
    if (!again || !(*again == *decoded))
        bantin::fuzz::broken(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace bantin::protocol;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    round_trip(text, decode_bundle, "bundle round trip");
    round_trip(text, decode_command, "command round trip");
    round_trip(text, decode_alert, "alert round trip");
    round_trip(text, decode_alert_cancel, "alert-cancel round trip");
    round_trip(text, decode_status, "status round trip");
    round_trip(text, decode_proof_of_play, "pop round trip");
    round_trip(text, decode_command_reply, "command-reply round trip");
    round_trip(text, decode_ack, "ack round trip");
    round_trip(text, decode_live_start, "live-start round trip");
    round_trip(text, decode_live_end, "live-end round trip");
    round_trip(text, decode_provisioning, "provisioning round trip");
    (void)decode_alert_topic(text);
    (void)decode_live_topic(text);
    (void)decode_uplink(text);
    (void)peek_type(text);
    return 0;
}
