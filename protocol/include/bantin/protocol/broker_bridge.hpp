#pragma once
// District brokers bridged to a provincial broker with Mosquitto's own bridge (docs/broker.md,
// "District brokers and bridges"; docs/scale.md).
//
// The controller keeps its broker (the province). A district broker runs beside a group of
// devices; the devices authenticate there, and the district's Mosquitto opens one bridge
// connection to the province:
//
//   in  (province -> district): bantin/v1/dev/+/bundle, +/cmd, +/ack, bantin/v1/alert/#,
//       bantin/v1/live/#, QoS 1;
//   out (district -> province): bantin/v1/dev/+/status, +/pop, QoS 1.
//
// Topics are the same on both sides (no prefixes): device ids are unique across the
// province, so the controller sees a bridged device exactly as a local one. What a bridge may
// carry is decided on the province by its account's ACL (BridgeAccount): read the
// bundle/cmd/ack topics and write the status/pop topics of its own district's devices, read
// alert/all and the alert and live topics of its zones. Its wildcard subscriptions are
// granted, and the province delivers only what that ACL lets it read, so a district never
// sees another district's devices.
//
// Threads: pure functions. Errors: InvalidInput for a name, zone or host that cannot be used.

#include "bantin/common/error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bantin::protocol {

// The province-side account of one district's bridge.
struct BridgeAccount {
    std::string username;       // bridge_username(district)
    std::string password_hash;  // "$7$..."
    std::vector<std::string> zones;
    std::vector<std::string> devices;  // the district's device ids (the devices of its zones)
    bool operator==(const BridgeAccount&) const = default;
};

// "bridge-<district>": the bridge's username and, by use_username_as_clientid, its client id
// on the province.
std::string bridge_username(const std::string& district);

// The ACL block of a bridge account on the province: exactly the topics it may carry.
std::string bridge_account_acl(const BridgeAccount& bridge);

struct BridgeTls {
    std::filesystem::path ca_file;    // bridge_cafile: the province's CA
    std::filesystem::path cert_file;  // optional client certificate
    std::filesystem::path key_file;
};

// The district side: the `connection` block of the district's mosquitto.conf.
struct BridgeConnection {
    std::string district;  // one topic level, [A-Za-z0-9._-]
    std::string remote_host = "127.0.0.1";
    std::uint16_t remote_port = 1883;
    std::string remote_password;  // the bridge account's password (the username is bridge_username)
    std::optional<BridgeTls> tls;
    // restart_timeout <base> <cap>: Mosquitto 2.0 backs off with jitter between them.
    std::uint32_t restart_base_s = 5;
    std::uint32_t restart_cap_s = 60;
    std::uint32_t keepalive_s = 60;
};

// The local client id of the bridge on the district broker: "bantin:bridge:<district>". A
// device id cannot contain ':', so no device can take over the bridge's local session.
std::string bridge_local_clientid(const std::string& district);

// The text of the `connection` block. InvalidInput for a district that is not one topic level,
// an empty host or port 0, or a password with a line break.
Result<std::string> render_bridge_connection(const BridgeConnection& connection);

// The district broker's queue limits (max_queued_messages, max_queued_bytes): the bridge's local
// session is one client that holds what every device of the district sends while the bridge is
// cut. The proof itself waits in each player's outbox until the controller acks it; what the
// broker queues are copies (the player resends the same unacknowledged rows every 10 s), so the
// limit is per device, not per day (docs/broker.md, "Queues while the bridge is cut").
inline constexpr std::uint32_t district_queued_messages_per_device = 64;
inline constexpr std::uint64_t district_max_queued_bytes = 256ULL * 1024 * 1024;
std::uint32_t district_max_queued_messages(std::size_t devices);

}  // namespace bantin::protocol
