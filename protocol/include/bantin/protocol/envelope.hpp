#pragma once
// The signed envelope of wire protocol v1 (docs/protocol.md, "Signing") and the verifiers a
// device runs on every controller -> device message.
//
//   {"v":1,"kid":"<key id>","payload":"<payload JSON as a string>","sig":"<base64>"}
//
// `sig` is the Ed25519 signature (RFC 8032, libsodium crypto_sign_detached) over the exact
// UTF-8 bytes of `payload` - the JSON string's value, not its escaped form - in standard padded
// base64. A third party verifies it with `openssl pkeyutl -verify -rawin` or Node's
// crypto.verify(null, ...).
//
// The verifiers are pure functions of (bytes, trusted keys, device, the device's remembered
// state, now): the player persists that state (applied bundle version, SeenCommands,
// cancelled alert ids) itself and updates it only after it acted on a verified message.
// Any thread. A refusal carries a reason (Refusal) and a detail sentence; they never throw.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::protocol {

inline constexpr int envelope_version = 1;

enum class Refusal {
    Malformed,           // not an envelope, or the signed payload does not decode
    Unsigned,            // no "sig", or an empty one
    BadSignature,        // the signature does not verify with the named key
    UnknownKey,          // "kid" is not one of the device's trusted keys
    WrongDevice,         // addressed to another device (or an alert for other zones)
    Replay,              // bundle version not newer than the applied one; command id seen
    Expired,             // now >= expires_at
    TooLarge,            // over the size limit of the message type
    UnsupportedVersion,  // envelope "v" or payload "v" other than 1
};

// "malformed", "unsigned", "bad-signature", "unknown-key", "wrong-device", "replay",
// "expired", "too-large", "unsupported-version".
std::string_view to_string(Refusal reason);

struct Refused {
    Refusal reason = Refusal::Malformed;
    std::string detail;
    std::string message() const;  // "replay: bundle version 7 is not newer than the applied 7"
};

template <class T>
using Verified = std::expected<T, Refused>;

struct TrustedKey {
    std::string kid;
    PublicKey key;
    bool operator==(const TrustedKey&) const = default;
};
using TrustedKeys = std::vector<TrustedKey>;

TrustedKey trusted_key(const PublicKey& key);  // kid = key_id(key)

// Largest envelope accepted for a type: twice the payload limit (JSON string escaping) plus
// 1 KiB for the other fields.
std::size_t envelope_limit(MessageType type);

// Wraps payload bytes in a signed envelope. InvalidInput if the payload is not valid UTF-8.
Result<std::string> sign_payload(std::string_view payload, const SecretKey& key);

// Encodes, then signs: what the controller publishes.
std::string seal(const Bundle& bundle, const SecretKey& key);
std::string seal(const Command& command, const SecretKey& key);
std::string seal(const AlertMessage& alert, const SecretKey& key);
std::string seal(const AlertCancel& cancel, const SecretKey& key);
std::string seal(const Ack& ack, const SecretKey& key);
std::string seal(const LiveStart& start, const SecretKey& key);
std::string seal(const LiveEnd& end, const SecretKey& key);

// The envelope's fields, unverified: for tools, docs and tests.
struct Envelope {
    std::string kid;
    std::string payload;
    std::string signature;  // 64 raw bytes
};
Verified<Envelope> open_envelope(std::string_view bytes, std::size_t limit);

// Checks size, shape, key id and signature; returns the payload bytes, not yet decoded.
Verified<std::string> verify_signature(std::string_view bytes, const TrustedKeys& keys, MessageType type);

// The command ids a device has acted on, bounded: when full, the entry issued earliest is
// forgotten and `floor` rises to its issued_at, so a command issued at or before the floor is
// refused as a possible replay rather than accepted because it was forgotten.
class SeenCommands {
public:
    static constexpr std::size_t default_capacity = 1024;
    struct Entry {
        std::string id;
        TimePoint issued_at;
        bool operator==(const Entry&) const = default;
    };

    explicit SeenCommands(std::size_t capacity = default_capacity);
    // Restores persisted state; keeps the newest `capacity` entries.
    SeenCommands(std::size_t capacity, std::vector<Entry> entries, std::optional<TimePoint> floor);

    bool contains(std::string_view id) const;
    std::optional<TimePoint> floor() const { return m_floor; }
    const std::vector<Entry>& entries() const { return m_entries; }
    std::size_t capacity() const { return m_capacity; }

    // Call after acting on a verified command.
    void remember(std::string_view id, TimePoint issued_at);

private:
    void evict_to_capacity();
    std::size_t m_capacity;
    std::vector<Entry> m_entries;
    std::optional<TimePoint> m_floor;
};

// `applied_version`: the version of the bundle the device runs now, 0 if none.
Verified<Bundle> verify_bundle(std::string_view bytes, const TrustedKeys& keys, std::string_view device,
                               std::uint64_t applied_version, TimePoint now);

Verified<Command> verify_command(std::string_view bytes, const TrustedKeys& keys, std::string_view device,
                                 const SeenCommands& seen, TimePoint now);

// An alert or cancel from bantin/v1/alert/all or .../alert/zone/{zone}. WrongDevice if it does
// not cover `zone`; Replay if it is an alert whose id the device has seen cancelled. A retained
// alert arriving again is not a replay: the player treats alert ids idempotently.
Verified<AlertTopicMessage> verify_alert(std::string_view bytes, const TrustedKeys& keys,
                                         std::string_view zone,
                                         const std::vector<std::string>& cancelled_alerts, TimePoint now);

// A live start or end from bantin/v1/live/zone/{zone}. WrongDevice if it does not name `zone`;
// Expired once now >= a start's ends_at or an end's expires_at.
Verified<LiveTopicMessage> verify_live(std::string_view bytes, const TrustedKeys& keys, std::string_view zone,
                                       TimePoint now);

// Acks carry no expiry: a late ack only confirms what was committed.
Verified<Ack> verify_ack(std::string_view bytes, const TrustedKeys& keys, std::string_view device);

}  // namespace bantin::protocol
