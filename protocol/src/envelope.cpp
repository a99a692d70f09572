#include "bantin/protocol/envelope.hpp"

#include "json_fields.hpp"

#include <sodium.h>

#include <algorithm>
#include <cassert>

namespace bantin::protocol {
namespace {

using detail::Json;

std::unexpected<Refused> refuse(Refusal reason, std::string detail) {
    return std::unexpected(Refused{reason, std::move(detail)});
}

std::unexpected<Refused> refuse_decoding(const Error& error) {
    switch (error.code) {
        case Errc::TooLarge: return refuse(Refusal::TooLarge, error.detail);
        case Errc::Unsupported: return refuse(Refusal::UnsupportedVersion, error.detail);
        default: return refuse(Refusal::Malformed, error.detail);
    }
}

std::string sealed(std::string_view payload, const SecretKey& key) {
    auto envelope = sign_payload(payload, key);
    assert(envelope && "encode() produces valid UTF-8");
    return envelope ? std::move(*envelope) : std::string();
}

Verified<void> check_expiry(TimePoint expires_at, TimePoint now, std::string_view what) {
    if (now >= expires_at) {
        return refuse(Refusal::Expired, std::string(what) + " expired at " + format_utc(expires_at) +
                                            " (now " + format_utc(now) + ")");
    }
    return {};
}

bool covers_zone(const std::vector<std::string>& zones, bool all_zones, std::string_view zone) {
    return all_zones || std::find(zones.begin(), zones.end(), zone) != zones.end();
}

}  // namespace

std::string_view to_string(Refusal reason) {
    switch (reason) {
        case Refusal::Malformed: return "malformed";
        case Refusal::Unsigned: return "unsigned";
        case Refusal::BadSignature: return "bad-signature";
        case Refusal::UnknownKey: return "unknown-key";
        case Refusal::WrongDevice: return "wrong-device";
        case Refusal::Replay: return "replay";
        case Refusal::Expired: return "expired";
        case Refusal::TooLarge: return "too-large";
        case Refusal::UnsupportedVersion: return "unsupported-version";
    }
    return "?";
}

std::string Refused::message() const {
    return std::string(to_string(reason)) + ": " + detail;
}

TrustedKey trusted_key(const PublicKey& key) {
    return TrustedKey{key_id(key), key};
}

std::size_t envelope_limit(MessageType type) {
    return 2 * size_limit(type) + 1024;
}

Result<std::string> sign_payload(std::string_view payload, const SecretKey& key) {
    std::array<unsigned char, crypto_sign_BYTES> signature{};
    crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(payload.data()),
                         payload.size(), key.expanded().data());
    nlohmann::ordered_json envelope = nlohmann::ordered_json::object();
    envelope["v"] = envelope_version;
    envelope["kid"] = key_id(key.public_key());
    envelope["payload"] = std::string(payload);
    envelope["sig"] =
        base64_encode(std::string_view(reinterpret_cast<const char*>(signature.data()), signature.size()));
    try {
        return envelope.dump();
    } catch (const nlohmann::json::exception&) {
        return fail(Errc::InvalidInput, "payload: not valid UTF-8");
    }
}

std::string seal(const Bundle& bundle, const SecretKey& key) {
    return sealed(encode(bundle), key);
}
std::string seal(const Command& command, const SecretKey& key) {
    return sealed(encode(command), key);
}
std::string seal(const AlertMessage& alert, const SecretKey& key) {
    return sealed(encode(alert), key);
}
std::string seal(const AlertCancel& cancel, const SecretKey& key) {
    return sealed(encode(cancel), key);
}
std::string seal(const Ack& ack, const SecretKey& key) {
    return sealed(encode(ack), key);
}
std::string seal(const LiveStart& start, const SecretKey& key) {
    return sealed(encode(start), key);
}
std::string seal(const LiveEnd& end, const SecretKey& key) {
    return sealed(encode(end), key);
}

Verified<Envelope> open_envelope(std::string_view bytes, std::size_t limit) {
    auto json = detail::parse_document(bytes, "envelope", limit);
    if (!json)
        return refuse_decoding(json.error());
    if (!json->is_object())
        return refuse(Refusal::Malformed, "envelope: expected an object");
    auto version = json->find("v");
    if (version == json->end())
        return refuse(Refusal::Malformed, "envelope.v: missing");
    if (!version->is_number_integer())
        return refuse(Refusal::Malformed, "envelope.v: expected an integer");
    if (!version->is_number_unsigned() || version->get<std::uint64_t>() != envelope_version) {
        return refuse(Refusal::UnsupportedVersion,
                      "envelope.v: version " + version->dump() + " is not supported (this build speaks 1)");
    }
    for (const auto& [key, value] : json->items()) {
        if (key != "v" && key != "kid" && key != "payload" && key != "sig") {
            return refuse(Refusal::Malformed, "envelope." + key + ": unknown field");
        }
    }
    Envelope envelope;
    auto kid = json->find("kid");
    if (kid == json->end())
        return refuse(Refusal::Malformed, "envelope.kid: missing");
    if (!kid->is_string())
        return refuse(Refusal::Malformed, "envelope.kid: expected a string");
    envelope.kid = kid->get<std::string>();
    auto payload = json->find("payload");
    if (payload == json->end())
        return refuse(Refusal::Malformed, "envelope.payload: missing");
    if (!payload->is_string())
        return refuse(Refusal::Malformed, "envelope.payload: expected a string");
    envelope.payload = payload->get<std::string>();
    auto signature = json->find("sig");
    if (signature == json->end() || signature->is_null() ||
        (signature->is_string() && signature->get<std::string>().empty())) {
        return refuse(Refusal::Unsigned, "envelope.sig: missing; unsigned messages are refused");
    }
    if (!signature->is_string())
        return refuse(Refusal::Malformed, "envelope.sig: expected a base64 string");
    auto raw = base64_decode(signature->get<std::string>());
    if (!raw || raw->size() != crypto_sign_BYTES) {
        return refuse(Refusal::BadSignature, "envelope.sig: not 64 bytes of standard padded base64");
    }
    envelope.signature = std::move(*raw);
    return envelope;
}

Verified<std::string> verify_signature(std::string_view bytes, const TrustedKeys& keys, MessageType type) {
    auto envelope = open_envelope(bytes, envelope_limit(type));
    if (!envelope)
        return std::unexpected(envelope.error());
    if (envelope->payload.size() > size_limit(type)) {
        return refuse(Refusal::TooLarge, "envelope.payload: " + std::to_string(envelope->payload.size()) +
                                             " bytes is over the " + std::string(to_string(type)) +
                                             " limit of " + std::to_string(size_limit(type)));
    }
    auto trusted = std::find_if(keys.begin(), keys.end(),
                                [&](const TrustedKey& key) { return key.kid == envelope->kid; });
    if (trusted == keys.end()) {
        std::string shown = envelope->kid.substr(0, 32);
        return refuse(Refusal::UnknownKey, "envelope.kid: \"" + shown + "\" is not a trusted controller key");
    }
    if (sodium_init() < 0)
        return refuse(Refusal::BadSignature, "libsodium could not start");
    int result =
        crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(envelope->signature.data()),
                                    reinterpret_cast<const unsigned char*>(envelope->payload.data()),
                                    envelope->payload.size(), trusted->key.bytes.data());
    if (result != 0) {
        return refuse(Refusal::BadSignature, "envelope.sig: does not verify with key " + trusted->kid);
    }
    return std::move(envelope->payload);
}

SeenCommands::SeenCommands(std::size_t capacity) : m_capacity(std::max<std::size_t>(capacity, 1)) {}

SeenCommands::SeenCommands(std::size_t capacity, std::vector<Entry> entries, std::optional<TimePoint> floor)
    : m_capacity(std::max<std::size_t>(capacity, 1)), m_entries(std::move(entries)), m_floor(floor) {
    evict_to_capacity();
}

bool SeenCommands::contains(std::string_view id) const {
    return std::any_of(m_entries.begin(), m_entries.end(),
                       [&](const Entry& entry) { return entry.id == id; });
}

void SeenCommands::remember(std::string_view id, TimePoint issued_at) {
    if (contains(id))
        return;
    m_entries.push_back(Entry{std::string(id), issued_at});
    evict_to_capacity();
}

void SeenCommands::evict_to_capacity() {
    while (m_entries.size() > m_capacity) {
        auto oldest =
            std::min_element(m_entries.begin(), m_entries.end(),
                             [](const Entry& a, const Entry& b) { return a.issued_at < b.issued_at; });
        if (!m_floor || oldest->issued_at > *m_floor)
            m_floor = oldest->issued_at;
        m_entries.erase(oldest);
    }
}

Verified<Bundle> verify_bundle(std::string_view bytes, const TrustedKeys& keys, std::string_view device,
                               std::uint64_t applied_version, TimePoint now) {
    auto payload = verify_signature(bytes, keys, MessageType::Bundle);
    if (!payload)
        return std::unexpected(payload.error());
    auto bundle = decode_bundle(*payload);
    if (!bundle)
        return refuse_decoding(bundle.error());
    if (bundle->device != device) {
        return refuse(Refusal::WrongDevice, "bundle.device: \"" + bundle->device +
                                                "\" is not this device \"" + std::string(device) + "\"");
    }
    if (auto fresh = check_expiry(bundle->expires_at, now, "bundle"); !fresh)
        return std::unexpected(fresh.error());
    if (bundle->version <= applied_version) {
        return refuse(Refusal::Replay, "bundle.version: " + std::to_string(bundle->version) +
                                           " is not newer than the applied " +
                                           std::to_string(applied_version));
    }
    return std::move(*bundle);
}

Verified<Command> verify_command(std::string_view bytes, const TrustedKeys& keys, std::string_view device,
                                 const SeenCommands& seen, TimePoint now) {
    auto payload = verify_signature(bytes, keys, MessageType::Command);
    if (!payload)
        return std::unexpected(payload.error());
    auto command = decode_command(*payload);
    if (!command)
        return refuse_decoding(command.error());
    if (command->device != device) {
        return refuse(Refusal::WrongDevice, "command.device: \"" + command->device +
                                                "\" is not this device \"" + std::string(device) + "\"");
    }
    if (auto fresh = check_expiry(command->expires_at, now, "command"); !fresh)
        return std::unexpected(fresh.error());
    if (seen.contains(command->id)) {
        return refuse(Refusal::Replay, "command.id: \"" + command->id + "\" was already carried out");
    }
    if (seen.floor() && command->issued_at <= *seen.floor()) {
        return refuse(Refusal::Replay, "command.issued_at: not after " + format_utc(*seen.floor()) +
                                           ", the oldest command this device still remembers");
    }
    return std::move(*command);
}

Verified<AlertTopicMessage> verify_alert(std::string_view bytes, const TrustedKeys& keys,
                                         std::string_view zone,
                                         const std::vector<std::string>& cancelled_alerts, TimePoint now) {
    // The larger of the two alert-topic limits; both are 64 KiB today.
    auto payload = verify_signature(bytes, keys, MessageType::Alert);
    if (!payload)
        return std::unexpected(payload.error());
    auto message = decode_alert_topic(*payload);
    if (!message)
        return refuse_decoding(message.error());
    if (const auto* alert = std::get_if<AlertMessage>(&*message)) {
        if (!covers_zone(alert->alert.zones, alert->alert.all_zones, zone)) {
            return refuse(Refusal::WrongDevice, "alert.alert.zones: do not include this device's zone \"" +
                                                    std::string(zone) + "\"");
        }
        if (auto fresh = check_expiry(alert->alert.expires, now, "alert"); !fresh) {
            return std::unexpected(fresh.error());
        }
        if (std::find(cancelled_alerts.begin(), cancelled_alerts.end(), alert->alert.id) !=
            cancelled_alerts.end()) {
            return refuse(Refusal::Replay, "alert.alert.id: \"" + alert->alert.id + "\" was cancelled");
        }
    } else {
        const auto& cancel = std::get<AlertCancel>(*message);
        if (!covers_zone(cancel.zones, cancel.all_zones, zone)) {
            return refuse(Refusal::WrongDevice, "alert-cancel.zones: do not include this device's zone \"" +
                                                    std::string(zone) + "\"");
        }
        if (auto fresh = check_expiry(cancel.expires_at, now, "alert-cancel"); !fresh) {
            return std::unexpected(fresh.error());
        }
    }
    return std::move(*message);
}

Verified<LiveTopicMessage> verify_live(std::string_view bytes, const TrustedKeys& keys, std::string_view zone,
                                       TimePoint now) {
    auto payload = verify_signature(bytes, keys, MessageType::LiveStart);
    if (!payload)
        return std::unexpected(payload.error());
    auto message = decode_live_topic(*payload);
    if (!message)
        return refuse_decoding(message.error());
    if (const auto* start = std::get_if<LiveStart>(&*message)) {
        if (!covers_zone(start->zones, false, zone)) {
            return refuse(Refusal::WrongDevice, "live-start.zones: do not include this device's zone \"" +
                                                    std::string(zone) + "\"");
        }
        if (auto fresh = check_expiry(start->ends_at, now, "live-start"); !fresh)
            return std::unexpected(fresh.error());
    } else {
        const auto& end = std::get<LiveEnd>(*message);
        if (!covers_zone(end.zones, false, zone)) {
            return refuse(Refusal::WrongDevice,
                          "live-end.zones: do not include this device's zone \"" + std::string(zone) + "\"");
        }
        if (auto fresh = check_expiry(end.expires_at, now, "live-end"); !fresh)
            return std::unexpected(fresh.error());
    }
    return std::move(*message);
}

Verified<Ack> verify_ack(std::string_view bytes, const TrustedKeys& keys, std::string_view device) {
    auto payload = verify_signature(bytes, keys, MessageType::Ack);
    if (!payload)
        return std::unexpected(payload.error());
    auto ack = decode_ack(*payload);
    if (!ack)
        return refuse_decoding(ack.error());
    if (ack->device != device) {
        return refuse(Refusal::WrongDevice, "ack.device: \"" + ack->device + "\" is not this device \"" +
                                                std::string(device) + "\"");
    }
    return std::move(*ack);
}

}  // namespace bantin::protocol
