#pragma once
// The device registry: registering a device gives its provisioning file; revoking it cuts it
// off; the broker's password file and ACL follow the registry.
//
// register_device() creates the device row with a fresh random MQTT password (24 random
// bytes, base64url: 32 characters), stores only the password's `$7$` PBKDF2 hash (the format
// Mosquitto's password file needs, so the broker files can be regenerated from the store at
// any time), audits it, commits, then regenerates the broker's files and reloads the broker
// (BrokerSync). The plain password exists only in the returned Provisioning (docs/protocol.md,
// "Provisioning"): the operator installs that file on the device. revoke() marks the device
// revoked (its history stays), audits, commits and syncs the broker, which drops the device's
// live connection at once. new_credentials() replaces a lost password.
//
// Devices fetch media with HTTP basic authentication: user = device id, password = the MQTT
// password from the provisioning file (authenticate_device()); one secret per device, revoked
// with the device.
//
// Threads: any thread; registry changes are serialised so the broker files are written in
// commit order. Errors: PermissionDenied (role), InvalidInput (id or zone), AlreadyExists
// (also for an id that is a broker account already, the controller's or an ingest worker's:
// BrokerSync::reserved_usernames()), NotFound, Conflict (already revoked); a failed broker
// sync is returned after the store commit (the next change or the start-up sync writes the
// files again).

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/controller/fleet_broker.hpp"
#include "bantin/controller/records.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/protocol/provisioning.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller {

struct RegistryOptions {
    std::string broker_host = "127.0.0.1";  // as the device reaches it
    std::uint16_t broker_port = 1883;
    std::optional<std::string> tls_ca_pem;
    protocol::TrustedKeys controller_keys;
};

struct Registration {
    DeviceRecord device;
    protocol::Provisioning provisioning;
};

class DeviceRegistry {
public:
    DeviceRegistry(Store& store, const Clock& clock, BrokerSync& broker, RegistryOptions options);

    Result<Registration> register_device(const User& actor, const scheduler::Device& device,
                                         std::string name);
    Result<DeviceRecord> revoke(const User& actor, std::string_view device_id);
    Result<Registration> new_credentials(const User& actor, std::string_view device_id);
    // Replaces what an operator sets (everything in scheduler::Device but the id, and the name);
    // keeps credentials, versions and fleet state. Syncs the broker when the zone changed (the
    // ACL lets a device read its zone's alert topic). NotFound, Conflict (revoked),
    // InvalidInput (zone).
    // `also`, when given, runs in the same transaction after the update and its audit row (a
    // confirmed setting change records its decision there): its failure undoes the update.
    using AlsoInTransaction = std::function<Result<void>(StoreTransaction&, const DeviceRecord& before)>;
    Result<DeviceRecord> update_device(const User& actor, const scheduler::Device& device, std::string name,
                                       const AlsoInTransaction& also = {});

    // Writes the broker files from the store (every device not revoked) and reloads the broker.
    Result<void> sync_broker();
    // The accounts sync_broker() writes.
    Result<std::vector<protocol::DeviceAccount>> broker_accounts();

    // Unauthenticated if unknown, revoked or the password does not match.
    Result<DeviceRecord> authenticate_device(std::string_view device_id, std::string_view password);

    // Called after every successful change (the daemon refreshes ingest's device cache).
    std::function<void()> on_changed = [] {};

private:
    Result<void> sync_broker_locked();

    Store& m_store;
    const Clock& m_clock;
    BrokerSync& m_broker;
    RegistryOptions m_options;
    std::mutex m_mutex;
};

// 24 random bytes, base64url without padding.
std::string generate_device_password();

// The device as the API and the audit log show it (no password hash).
nlohmann::ordered_json device_to_json(const DeviceRecord& device);

}  // namespace bantin::controller
