#pragma once
// District brokers bridged to the controller's broker (the province): the bridges the
// controller knows, and the generated files of a district broker (docs/broker.md, "District
// brokers and bridges"; docs/scale.md; protocol/broker_bridge.hpp for the topics).
//
// The controller keeps one line per district in its bridges file (<data_dir>/keys/bridges,
// 0600): "<district>:<$7$ hash of the bridge password>:<zone>,<zone>...". A zone belongs to at
// most one district. On every write of its broker files, ManagedBroker turns each line into a
// BridgeAccount whose ACL names the district's devices as they are now (the devices whose
// zone is one of the district's), so registering or re-zoning a device updates what the
// bridge may carry at the next SIGHUP, with no change on the district's side but its device
// accounts.
//
// write_district_broker() writes the district broker's directory: mosquitto.conf (0600: it
// carries the bridge password) with its listener, queue limits and the bridge `connection`
// block; passwd and acl with the district's devices only (no controller account); persistence/.
// Run again into the same directory it keeps the bridge password it finds there (when it still
// matches the controller's hash), so regenerating after a device change does not cut the
// bridge; into a new directory, or when the old password no longer matches, it makes a new
// password and the province takes it at its next reload.
//
// Threads: file functions, call from one thread at a time. Errors: InvalidInput (a bad name,
// zone, port or a zone already in another district, with a Vietnamese-first message), Io.

#include "bantin/common/error.hpp"
#include "bantin/protocol/broker_config.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bantin::controller {

struct BridgeRecord {
    std::string district;
    std::string password_hash;
    std::vector<std::string> zones;
    bool operator==(const BridgeRecord&) const = default;
};

// A missing file is no bridges. InvalidInput names the line of a malformed one.
Result<std::vector<BridgeRecord>> load_bridges(const std::filesystem::path& file);
// Writes every record (atomic replace, 0600, keeping the owner).
Result<void> save_bridges(const std::filesystem::path& file, const std::vector<BridgeRecord>& bridges);

// The province's bridge accounts for these records and the current device accounts.
std::vector<protocol::BridgeAccount> bridge_accounts(const std::vector<BridgeRecord>& bridges,
                                                     const std::vector<protocol::DeviceAccount>& devices);

struct DistrictBrokerRequest {
    std::string district;
    std::vector<std::string> zones;
    std::filesystem::path directory;  // the district broker's directory (created)
    std::string province_host = "127.0.0.1";
    std::uint16_t province_port = 1883;
    std::optional<protocol::BridgeTls> province_tls;
    std::string listen_address = "0.0.0.0";  // where the district's devices connect
    std::uint16_t listen_port = 1883;
    // A TLS listener for the district's devices too (players that have tls_ca_pem in their
    // provisioning file connect over TLS, authenticated by their password).
    std::optional<protocol::BrokerTlsListener> tls;
    std::string run_as_user;  // as BrokerConfig::run_as_user
    std::uint32_t restart_base_s = 5;
    std::uint32_t restart_cap_s = 60;
};

struct DistrictBrokerResult {
    protocol::BrokerFiles files;
    std::vector<std::string> devices;  // the district's device ids
    bool new_password = false;         // the province must reload before the bridge can log in
};

// `taken`: usernames the bridge account may not have (the controller, ingest workers, devices).
Result<DistrictBrokerResult> write_district_broker(const std::filesystem::path& bridges_file,
                                                   const DistrictBrokerRequest& request,
                                                   const std::vector<protocol::DeviceAccount>& devices,
                                                   const std::vector<std::string>& taken);

}  // namespace bantin::controller
