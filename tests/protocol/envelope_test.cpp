#include "bantin/protocol/envelope.hpp"
#include "protocol/sample_messages.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <functional>

using namespace bantin;
using namespace bantin::protocol;
using nlohmann::json;

namespace {

TrustedKeys trusted() {
    return {trusted_key(samples::controller_key().public_key)};
}

std::string sealed_bundle(std::uint64_t version = 7) {
    return seal(samples::bundle(version), samples::controller_key().secret);
}

std::string with_envelope(const std::string& envelope, const std::function<void(json&)>& edit) {
    json document = json::parse(envelope);
    edit(document);
    return document.dump();
}

template <class T>
void check_refused(const Verified<T>& verified, Refusal reason, const std::string& detail_part) {
    REQUIRE_FALSE(verified.has_value());
    INFO(verified.error().message());
    CHECK(verified.error().reason == reason);
    CHECK_THAT(verified.error().detail, Catch::Contains(detail_part));
}

}  // namespace

TEST_CASE("a sealed bundle verifies and decodes to the same bundle", "[protocol][envelope]") {
    auto verified = verify_bundle(sealed_bundle(), trusted(), samples::device, 6, samples::now());
    REQUIRE(verified.has_value());
    CHECK(*verified == samples::bundle());
}

TEST_CASE("the envelope has v, kid, payload and base64 sig in that order", "[protocol][envelope]") {
    auto envelope = sealed_bundle();
    CHECK_THAT(envelope,
               Catch::StartsWith(R"({"v":1,"kid":")" + key_id(samples::controller_key().public_key) +
                                 R"(","payload":"{\"v\":1,\"type\":\"bundle\",)"));
    auto opened = open_envelope(envelope, envelope_limit(MessageType::Bundle));
    REQUIRE(opened.has_value());
    CHECK(opened->payload == encode(samples::bundle()));
    CHECK(opened->signature.size() == 64);
}

TEST_CASE("refusal reasons have stable names", "[protocol][envelope]") {
    CHECK(to_string(Refusal::Malformed) == "malformed");
    CHECK(to_string(Refusal::Unsigned) == "unsigned");
    CHECK(to_string(Refusal::BadSignature) == "bad-signature");
    CHECK(to_string(Refusal::UnknownKey) == "unknown-key");
    CHECK(to_string(Refusal::WrongDevice) == "wrong-device");
    CHECK(to_string(Refusal::Replay) == "replay");
    CHECK(to_string(Refusal::Expired) == "expired");
    CHECK(to_string(Refusal::TooLarge) == "too-large");
    CHECK(to_string(Refusal::UnsupportedVersion) == "unsupported-version");
}

TEST_CASE("refused: tampered payload is a bad signature", "[protocol][envelope][refusal]") {
    auto tampered = with_envelope(sealed_bundle(), [](json& j) {
        auto payload = j["payload"].get<std::string>();
        auto at = payload.find("\"version\":7");
        REQUIRE(at != std::string::npos);
        payload.replace(at, 11, "\"version\":9");
        j["payload"] = payload;
    });
    check_refused(verify_bundle(tampered, trusted(), samples::device, 6, samples::now()),
                  Refusal::BadSignature, "does not verify");
}

TEST_CASE("refused: a single flipped bit in the signature is a bad signature",
          "[protocol][envelope][refusal]") {
    auto envelope = sealed_bundle();
    auto opened = open_envelope(envelope, envelope_limit(MessageType::Bundle)).value();
    opened.signature[10] = static_cast<char>(opened.signature[10] ^ 0x01);
    auto flipped = with_envelope(envelope, [&](json& j) { j["sig"] = base64_encode(opened.signature); });
    check_refused(verify_bundle(flipped, trusted(), samples::device, 6, samples::now()),
                  Refusal::BadSignature, "envelope.sig");
}

TEST_CASE("refused: unsigned envelope, missing or empty sig", "[protocol][envelope][refusal]") {
    auto missing = with_envelope(sealed_bundle(), [](json& j) { j.erase("sig"); });
    check_refused(verify_bundle(missing, trusted(), samples::device, 6, samples::now()), Refusal::Unsigned,
                  "envelope.sig");
    auto empty = with_envelope(sealed_bundle(), [](json& j) { j["sig"] = ""; });
    check_refused(verify_bundle(empty, trusted(), samples::device, 6, samples::now()), Refusal::Unsigned,
                  "envelope.sig");
    auto null = with_envelope(sealed_bundle(), [](json& j) { j["sig"] = nullptr; });
    check_refused(verify_bundle(null, trusted(), samples::device, 6, samples::now()), Refusal::Unsigned,
                  "envelope.sig");
}

TEST_CASE("refused: a bare message without an envelope is malformed", "[protocol][envelope][refusal]") {
    // Its "v" is 1 like an envelope's, but it has message fields and no kid, payload or sig.
    auto bare = encode(samples::command());
    check_refused(verify_command(bare, trusted(), samples::device, SeenCommands{}, samples::now()),
                  Refusal::Malformed, "unknown field");
}

TEST_CASE("refused: signed with a key whose id is trusted but bytes differ (wrong key)",
          "[protocol][envelope][refusal]") {
    // The other key signs, but the envelope claims the trusted key id.
    auto forged = with_envelope(seal(samples::bundle(), samples::other_key().secret),
                                [](json& j) { j["kid"] = key_id(samples::controller_key().public_key); });
    check_refused(verify_bundle(forged, trusted(), samples::device, 6, samples::now()), Refusal::BadSignature,
                  "does not verify with key");
}

TEST_CASE("refused: unknown key id", "[protocol][envelope][refusal]") {
    auto other = seal(samples::bundle(), samples::other_key().secret);
    check_refused(verify_bundle(other, trusted(), samples::device, 6, samples::now()), Refusal::UnknownKey,
                  "is not a trusted controller key");
}

TEST_CASE("key rotation: either of two trusted keys verifies", "[protocol][envelope]") {
    TrustedKeys both{trusted_key(samples::controller_key().public_key),
                     trusted_key(samples::other_key().public_key)};
    CHECK(verify_bundle(sealed_bundle(), both, samples::device, 6, samples::now()).has_value());
    CHECK(verify_bundle(seal(samples::bundle(), samples::other_key().secret), both, samples::device, 6,
                        samples::now())
              .has_value());
}

TEST_CASE("refused: bundle for another device is wrong device", "[protocol][envelope][refusal]") {
    check_refused(verify_bundle(sealed_bundle(), trusted(), "loa-phuong-2", 6, samples::now()),
                  Refusal::WrongDevice, "bundle.device");
}

TEST_CASE("refused: command for another device is wrong device", "[protocol][envelope][refusal]") {
    auto envelope = seal(samples::command(), samples::controller_key().secret);
    check_refused(verify_command(envelope, trusted(), "loa-phuong-2", SeenCommands{}, samples::now()),
                  Refusal::WrongDevice, "command.device");
}

TEST_CASE("refused: alert for other zones is wrong device", "[protocol][envelope][refusal]") {
    auto envelope = seal(samples::alert(), samples::controller_key().secret);
    check_refused(verify_alert(envelope, trusted(), "phuong-9", {}, samples::now()), Refusal::WrongDevice,
                  "alert.alert.zones");
    auto accepted = verify_alert(envelope, trusted(), samples::zone, {}, samples::now());
    REQUIRE(accepted.has_value());
    CHECK(std::get<AlertMessage>(*accepted) == samples::alert());
}

TEST_CASE("refused: ack for another device is wrong device", "[protocol][envelope][refusal]") {
    auto envelope = seal(samples::ack(), samples::controller_key().secret);
    check_refused(verify_ack(envelope, trusted(), "loa-phuong-2"), Refusal::WrongDevice, "ack.device");
    auto accepted = verify_ack(envelope, trusted(), samples::device);
    REQUIRE(accepted.has_value());
    CHECK(*accepted == samples::ack());
}

TEST_CASE("refused: replayed bundle of an older version", "[protocol][envelope][refusal]") {
    check_refused(verify_bundle(sealed_bundle(5), trusted(), samples::device, 6, samples::now()),
                  Refusal::Replay, "bundle.version: 5 is not newer than the applied 6");
}

TEST_CASE("refused: replayed bundle of the equal version", "[protocol][envelope][refusal]") {
    check_refused(verify_bundle(sealed_bundle(7), trusted(), samples::device, 7, samples::now()),
                  Refusal::Replay, "bundle.version: 7 is not newer than the applied 7");
}

TEST_CASE("a first bundle is accepted when nothing is applied", "[protocol][envelope]") {
    CHECK(verify_bundle(sealed_bundle(1), trusted(), samples::device, 0, samples::now()).has_value());
}

TEST_CASE("refused: repeated command id", "[protocol][envelope][refusal]") {
    auto envelope = seal(samples::command(), samples::controller_key().secret);
    SeenCommands seen;
    auto first = verify_command(envelope, trusted(), samples::device, seen, samples::now());
    REQUIRE(first.has_value());
    CHECK(*first == samples::command());
    seen.remember(first->id, first->issued_at);
    check_refused(verify_command(envelope, trusted(), samples::device, seen, samples::now()), Refusal::Replay,
                  "command.id: \"cmd-000123\" was already carried out");
}

TEST_CASE("refused: command issued before the forgotten ids of a full memory",
          "[protocol][envelope][refusal]") {
    SeenCommands seen(2);
    seen.remember("cmd-a", samples::at("2026-11-27T05:50:00Z"));
    seen.remember("cmd-b", samples::at("2026-11-27T05:55:00Z"));
    seen.remember("cmd-c", samples::at("2026-11-27T05:56:00Z"));
    CHECK(seen.entries().size() == 2);
    CHECK_FALSE(seen.contains("cmd-a"));
    REQUIRE(seen.floor().has_value());
    CHECK(*seen.floor() == samples::at("2026-11-27T05:50:00Z"));

    auto old = samples::command("cmd-a");
    old.issued_at = samples::at("2026-11-27T05:50:00Z");
    auto envelope = seal(old, samples::controller_key().secret);
    check_refused(verify_command(envelope, trusted(), samples::device, seen, samples::now()), Refusal::Replay,
                  "command.issued_at");
    // A new command issued after the floor still passes.
    auto fresh = seal(samples::command("cmd-d"), samples::controller_key().secret);
    CHECK(verify_command(fresh, trusted(), samples::device, seen, samples::now()).has_value());
}

TEST_CASE("seen command memory restores from persisted entries", "[protocol][envelope]") {
    std::vector<SeenCommands::Entry> entries{{"cmd-1", samples::at("2026-11-27T05:00:00Z")},
                                             {"cmd-2", samples::at("2026-11-27T05:01:00Z")},
                                             {"cmd-3", samples::at("2026-11-27T05:02:00Z")}};
    SeenCommands restored(2, entries, std::nullopt);
    CHECK(restored.entries().size() == 2);
    CHECK(restored.contains("cmd-3"));
    CHECK_FALSE(restored.contains("cmd-1"));
    CHECK(restored.floor() == samples::at("2026-11-27T05:00:00Z"));
}

TEST_CASE("refused: alert that was cancelled is a replay", "[protocol][envelope][refusal]") {
    auto envelope = seal(samples::alert(), samples::controller_key().secret);
    check_refused(verify_alert(envelope, trusted(), samples::zone, {"canh-bao-bao-so-9"}, samples::now()),
                  Refusal::Replay, "was cancelled");
}

TEST_CASE("refused: expired bundle", "[protocol][envelope][refusal]") {
    check_refused(
        verify_bundle(sealed_bundle(), trusted(), samples::device, 6, samples::at("2026-12-04T05:00:00Z")),
        Refusal::Expired, "bundle expired at 2026-12-04T05:00:00.000Z");
}

TEST_CASE("refused: expired command", "[protocol][envelope][refusal]") {
    auto envelope = seal(samples::command(), samples::controller_key().secret);
    check_refused(verify_command(envelope, trusted(), samples::device, SeenCommands{},
                                 samples::at("2026-11-27T06:09:00.001Z")),
                  Refusal::Expired, "command expired");
}

TEST_CASE("refused: expired alert and alert cancel", "[protocol][envelope][refusal]") {
    auto later = samples::at("2026-11-27T12:00:00Z");
    check_refused(verify_alert(seal(samples::alert(), samples::controller_key().secret), trusted(),
                               samples::zone, {}, later),
                  Refusal::Expired, "alert expired");
    check_refused(verify_alert(seal(samples::alert_cancel(), samples::controller_key().secret), trusted(),
                               samples::zone, {}, later),
                  Refusal::Expired, "alert-cancel expired");
}

TEST_CASE("refused: oversized envelope", "[protocol][envelope][refusal]") {
    std::string huge(envelope_limit(MessageType::Command) + 1, ' ');
    check_refused(verify_command(huge, trusted(), samples::device, SeenCommands{}, samples::now()),
                  Refusal::TooLarge, "over the limit");
}

TEST_CASE("refused: oversized payload inside a small-enough envelope", "[protocol][envelope][refusal]") {
    // A signed command payload padded past 64 KiB with whitespace the signature covers.
    std::string payload = encode(samples::command());
    payload.insert(1, max_message_size, ' ');
    auto envelope = sign_payload(payload, samples::controller_key().secret).value();
    check_refused(verify_command(envelope, trusted(), samples::device, SeenCommands{}, samples::now()),
                  Refusal::TooLarge, "envelope.payload");
}

TEST_CASE("refused: malformed envelopes", "[protocol][envelope][refusal]") {
    auto check = [](const std::string& bytes, const std::string& detail) {
        INFO("bytes: " << bytes.substr(0, 80));
        check_refused(verify_bundle(bytes, trusted(), samples::device, 0, samples::now()), Refusal::Malformed,
                      detail);
    };
    check("", "not JSON");
    check("not json", "not JSON");
    check("[1,2]", "envelope: expected an object");
    check(R"({"kid":"a","payload":"{}","sig":"AA=="})", "envelope.v: missing");
    check(with_envelope(sealed_bundle(), [](json& j) { j.erase("payload"); }), "envelope.payload: missing");
    check(with_envelope(sealed_bundle(), [](json& j) { j["payload"] = json::object(); }), "envelope.payload");
    check(with_envelope(sealed_bundle(), [](json& j) { j["kid"] = 5; }), "envelope.kid");
    check(with_envelope(sealed_bundle(), [](json& j) { j["extra"] = true; }),
          "envelope.extra: unknown field");
    check(with_envelope(sealed_bundle(), [](json& j) { j["sig"] = 12; }), "envelope.sig");
}

TEST_CASE("refused: signed payload that does not decode is malformed and names its field",
          "[protocol][envelope][refusal]") {
    json payload = json::parse(encode(samples::bundle()));
    payload["manifest"][0]["sha256"] = "not-a-hash";
    auto envelope = sign_payload(payload.dump(), samples::controller_key().secret).value();
    check_refused(verify_bundle(envelope, trusted(), samples::device, 0, samples::now()), Refusal::Malformed,
                  "bundle.manifest[0].sha256");
}

TEST_CASE("refused: a command signed and sent on the bundle topic is malformed",
          "[protocol][envelope][refusal]") {
    auto envelope = seal(samples::command(), samples::controller_key().secret);
    check_refused(verify_bundle(envelope, trusted(), samples::device, 0, samples::now()), Refusal::Malformed,
                  "bundle.type");
}

TEST_CASE("refused: unsupported envelope version", "[protocol][envelope][refusal]") {
    auto v2 = with_envelope(sealed_bundle(), [](json& j) { j["v"] = 2; });
    check_refused(verify_bundle(v2, trusted(), samples::device, 6, samples::now()),
                  Refusal::UnsupportedVersion, "envelope.v: version 2");
}

TEST_CASE("refused: unsupported payload version inside a valid signature", "[protocol][envelope][refusal]") {
    json payload = json::parse(encode(samples::command()));
    payload["v"] = 2;
    auto envelope = sign_payload(payload.dump(), samples::controller_key().secret).value();
    check_refused(verify_command(envelope, trusted(), samples::device, SeenCommands{}, samples::now()),
                  Refusal::UnsupportedVersion, "command.v: version 2");
}

TEST_CASE("sign_payload refuses bytes that are not UTF-8", "[protocol][envelope]") {
    auto signed_bytes = sign_payload("{\"a\":\"\xff\"}", samples::controller_key().secret);
    REQUIRE_FALSE(signed_bytes.has_value());
    CHECK(signed_bytes.error().code == Errc::InvalidInput);
}

TEST_CASE("the signature covers the exact payload bytes, escapes included", "[protocol][envelope]") {
    // Non-ASCII text and quotes survive the string escaping of the envelope unchanged.
    auto alert = samples::alert();
    alert.alert.text = "Cảnh báo \"khẩn\" \\ cấp\n";
    auto envelope = seal(alert, samples::controller_key().secret);
    auto opened = open_envelope(envelope, envelope_limit(MessageType::Alert));
    REQUIRE(opened.has_value());
    CHECK(opened->payload == encode(alert));
    auto verified = verify_alert(envelope, trusted(), samples::zone, {}, samples::now());
    REQUIRE(verified.has_value());
    CHECK(std::get<AlertMessage>(*verified).alert.text == alert.alert.text);
}
