#pragma once
// The provisioning file (docs/protocol.md, "Provisioning"): one JSON file the operator installs
// on a device, holding its identity, its MQTT credentials and the controller keys it trusts.
//
//   {"v":1,"device":"...","zone":"...","mqtt":{"host":"...","port":8883,"username":"...",
//    "password":"...","tls_ca_pem":"..."},"controller_keys":[{"kid":"...","public_key":"<base64>"}]}
//
// The writer creates the file with mode 0600; the loader refuses a file its group or others
// may access (it holds a password) and reports the first invalid field by its path. Blocking
// file I/O; any thread.

#include "bantin/common/error.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/keys.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace bantin::protocol {

inline constexpr int provisioning_version = 1;

struct MqttEndpoint {
    std::string host;
    std::uint16_t port = 1883;
    std::string username;  // the device id
    std::string password;
    std::optional<std::string> tls_ca_pem;  // present: connect with TLS, trusting this CA
    bool operator==(const MqttEndpoint&) const = default;
};

struct Provisioning {
    std::string device;
    std::string zone;
    MqttEndpoint mqtt;
    TrustedKeys controller_keys;  // at least one; several during a key rotation
    bool operator==(const Provisioning&) const = default;
};

std::string encode(const Provisioning& provisioning);
// Validates every field; errors name it ("provisioning.controller_keys[1].kid: ...").
Result<Provisioning> decode_provisioning(std::string_view text);

Result<void> write_provisioning_file(const std::filesystem::path& path, const Provisioning& provisioning,
                                     Overwrite overwrite = Overwrite::No);
Result<Provisioning> load_provisioning_file(const std::filesystem::path& path);

}  // namespace bantin::protocol
