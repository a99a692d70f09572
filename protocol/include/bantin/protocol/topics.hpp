#pragma once
// MQTT topic names of wire protocol v1 (docs/protocol.md, "Topics"): builders that refuse
// ids which would break a topic (or widen a subscription), and a parser for incoming topics.
//
// Identifiers (device ids, zone ids) are 1..64 characters of [A-Za-z0-9._-]; this excludes
// the MQTT wildcards '+' and '#', the level separator '/', and empty levels. Pure functions;
// any thread. Errors are InvalidInput naming the id and what is wrong with it.

#include "bantin/common/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace bantin::protocol {

inline constexpr std::size_t max_id_length = 64;
inline constexpr std::string_view topic_root = "bantin/v1";
inline constexpr std::string_view alert_all_topic = "bantin/v1/alert/all";

// The per-device topics, bantin/v1/dev/{device}/<channel>.
enum class DeviceChannel { Bundle, Command, Status, ProofOfPlay, Ack };

// "bundle", "cmd", "status", "pop", "ack": the last topic level.
std::string_view to_string(DeviceChannel channel);

// `what` names the id in the error ("device id", "zone id", "provisioning.device").
Result<void> validate_id(std::string_view id, std::string_view what = "id");

// bantin/v1/dev/{device}/{bundle|cmd|status|pop|ack}
Result<std::string> device_topic(std::string_view device, DeviceChannel channel);
// bantin/v1/alert/zone/{zone}
Result<std::string> alert_zone_topic(std::string_view zone);

// bantin/v1/live/zone/{zone}: live channels (LiveStart, LiveEnd), retained. A topic of its own:
// a live start retained on an alert topic would replace the alert retained there.
Result<std::string> live_zone_topic(std::string_view zone);

// Subscription filters for the controller: bantin/v1/dev/+/status and so on.
std::string all_devices_filter(DeviceChannel channel);

enum class TopicKind { Device, AlertAll, AlertZone, LiveZone };

struct ParsedTopic {
    TopicKind kind = TopicKind::Device;
    DeviceChannel channel = DeviceChannel::Bundle;  // meaningful when kind == Device
    std::string device;                             // kind == Device
    std::string zone;                               // kind == AlertZone or LiveZone
    bool operator==(const ParsedTopic&) const = default;
};

// Parses a concrete topic (no wildcards); anything outside the table is InvalidInput.
Result<ParsedTopic> parse_topic(std::string_view topic);

}  // namespace bantin::protocol
