#include "bantin/controller/device_registry.hpp"

#include "bantin/controller/publisher.hpp"
#include "bantin/controller/roles.hpp"
#include "bantin/protocol/topics.hpp"
#include "bantin/scheduler/json.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace bantin::controller {
namespace {

AuditEntry device_audit(const User& actor, std::string action, const std::optional<DeviceRecord>& before,
                        const std::optional<DeviceRecord>& after, TimePoint now) {
    AuditEntry entry;
    entry.user = actor.id;
    entry.user_name = actor.name;
    entry.at = now;
    entry.action = std::move(action);
    entry.entity_type = "device";
    entry.entity_id = after ? after->device.id : (before ? before->device.id : "");
    entry.before =
        before ? device_to_json(*before).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : "";
    entry.after =
        after ? device_to_json(*after).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : "";
    return entry;
}

}  // namespace

std::string generate_device_password() {
    if (sodium_init() < 0)
        std::abort();  // libsodium cannot start: nothing here can be made safe
    std::array<unsigned char, 24> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    std::string text(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    text.resize(std::strlen(text.c_str()));
    sodium_memzero(bytes.data(), bytes.size());
    return text;
}

nlohmann::ordered_json device_to_json(const DeviceRecord& record) {
    const auto& device = record.device;
    nlohmann::ordered_json json;
    json["id"] = device.id;
    json["name"] = record.name;
    json["kind"] = scheduler::to_string(device.kind);
    json["zone"] = device.zone;
    json["tags"] = device.tags;
    json["time_zone"] = device.time_zone;
    // The schedule model's shapes ("05:00-21:00", {"window", "volume"}), as the API takes them.
    const auto model = scheduler::to_json(device);
    json["on_hours"] = model["on_hours"];
    json["quiet_hours"] = model["quiet_hours"];
    json["default_volume"] = device.default_volume;
    json["volume_schedule"] = model["volume_schedule"];
    json["has_speaker"] = device.has_speaker;
    json["layout"] = {{"header_permille", device.layout.header_permille},
                      {"ticker_permille", device.layout.ticker_permille}};
    json["desired_version"] = record.desired_version;
    json["applied_version"] = record.applied_version;
    json["delivery"] = to_string(delivery_state(record));
    json["online"] = record.online;
    json["last_seen"] = record.last_seen ? nlohmann::ordered_json(format_utc(*record.last_seen)) : nullptr;
    json["revoked"] = record.revoked ? nlohmann::ordered_json(format_utc(*record.revoked)) : nullptr;
    json["created"] = format_utc(record.created);
    return json;
}

namespace {

// A provisioning file names the broker as the device reaches it; a listener's wildcard address
// would give every device a file it cannot connect with.
Result<void> reachable_broker_host(std::string_view host) {
    if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]")
        return fail(Errc::Conflict, "the broker address for devices is \"" + std::string(host) +
                                        "\", which no device can connect to: set broker.public_host "
                                        "to this server's name or address as devices reach it");
    return {};
}

}  // namespace

DeviceRegistry::DeviceRegistry(Store& store, const Clock& clock, BrokerSync& broker, RegistryOptions options)
    : m_store(store), m_clock(clock), m_broker(broker), m_options(std::move(options)) {}

Result<Registration> DeviceRegistry::register_device(const User& actor, const scheduler::Device& device,
                                                     std::string name) {
    if (auto allowed_to = require(actor, Action::ManageDevices); !allowed_to)
        return std::unexpected(allowed_to.error());
    if (auto reachable = reachable_broker_host(m_options.broker_host); !reachable)
        return std::unexpected(reachable.error());
    if (auto valid = protocol::validate_id(device.id, "device id"); !valid)
        return std::unexpected(valid.error());
    if (auto valid = protocol::validate_id(device.zone, "zone id"); !valid)
        return std::unexpected(valid.error());
    if (m_options.controller_keys.empty())
        return fail(Errc::Internal, "no controller key to put in the provisioning file");
    auto reserved = m_broker.reserved_usernames();
    if (!reserved)
        return std::unexpected(reserved.error());
    if (std::find(reserved->begin(), reserved->end(), device.id) != reserved->end())
        return fail(Errc::AlreadyExists,
                    "device id: \"" + device.id +
                        "\" is already a broker account (a controller, an ingest worker or a bridge)");
    std::lock_guard lock{m_mutex};
    const std::string password = generate_device_password();
    auto hash = protocol::hash_broker_password(password);
    if (!hash)
        return std::unexpected(hash.error());
    const TimePoint now = m_clock.wall();
    DeviceRecord record;
    record.device = device;
    record.name = std::move(name);
    record.mqtt_password_hash = *hash;
    record.created = now;
    auto stored = m_store.write([&](StoreTransaction& transaction) -> Result<void> {
        if (auto zone = transaction.zone_by_id(device.zone); !zone)
            return fail(zone.error().code == Errc::NotFound ? Errc::InvalidInput : zone.error().code,
                        "zone: \"" + device.zone + "\" does not exist");
        if (auto inserted = transaction.insert_device(record); !inserted)
            return inserted;
        auto audited =
            transaction.append_audit(device_audit(actor, "device.register", std::nullopt, record, now));
        if (!audited)
            return std::unexpected(audited.error());
        return {};
    });
    if (!stored)
        return std::unexpected(stored.error());
    Registration registration;
    registration.device = record;
    registration.provisioning.device = device.id;
    registration.provisioning.zone = device.zone;
    registration.provisioning.mqtt = protocol::MqttEndpoint{m_options.broker_host, m_options.broker_port,
                                                            device.id, password, m_options.tls_ca_pem};
    registration.provisioning.controller_keys = m_options.controller_keys;
    auto synced = sync_broker_locked();
    on_changed();
    if (!synced)
        return std::unexpected(synced.error());
    return registration;
}

Result<DeviceRecord> DeviceRegistry::update_device(const User& actor, const scheduler::Device& device,
                                                   std::string name, const AlsoInTransaction& also) {
    if (auto allowed_to = require(actor, Action::ManageDevices); !allowed_to)
        return std::unexpected(allowed_to.error());
    if (auto valid = protocol::validate_id(device.zone, "zone id"); !valid)
        return std::unexpected(valid.error());
    std::lock_guard lock{m_mutex};
    const TimePoint now = m_clock.wall();
    bool zone_changed = false;
    auto updated =
        m_store.write_value<DeviceRecord>([&](StoreTransaction& transaction) -> Result<DeviceRecord> {
            auto before = transaction.device_by_id(device.id);
            if (!before)
                return std::unexpected(before.error());
            if (before->revoked)
                return fail(Errc::Conflict, "device \"" + device.id + "\" is revoked");
            if (auto zone = transaction.zone_by_id(device.zone); !zone)
                return fail(zone.error().code == Errc::NotFound ? Errc::InvalidInput : zone.error().code,
                            "zone: \"" + device.zone + "\" does not exist");
            DeviceRecord after = *before;
            after.device = device;
            after.name = std::move(name);
            zone_changed = before->device.zone != after.device.zone;
            if (auto stored = transaction.update_device(after); !stored)
                return std::unexpected(stored.error());
            auto audited =
                transaction.append_audit(device_audit(actor, "device.update", *before, after, now));
            if (!audited)
                return std::unexpected(audited.error());
            if (also)
                if (auto done = also(transaction, *before); !done)
                    return std::unexpected(done.error());
            return after;
        });
    if (!updated)
        return std::unexpected(updated.error());
    on_changed();
    if (zone_changed)
        if (auto synced = sync_broker_locked(); !synced)
            return std::unexpected(synced.error());
    return updated;
}

Result<Registration> DeviceRegistry::new_credentials(const User& actor, std::string_view device_id) {
    if (auto allowed_to = require(actor, Action::ManageDevices); !allowed_to)
        return std::unexpected(allowed_to.error());
    if (auto reachable = reachable_broker_host(m_options.broker_host); !reachable)
        return std::unexpected(reachable.error());
    std::lock_guard lock{m_mutex};
    const std::string password = generate_device_password();
    auto hash = protocol::hash_broker_password(password);
    if (!hash)
        return std::unexpected(hash.error());
    const TimePoint now = m_clock.wall();
    auto updated =
        m_store.write_value<DeviceRecord>([&](StoreTransaction& transaction) -> Result<DeviceRecord> {
            auto before = transaction.device_by_id(device_id);
            if (!before)
                return std::unexpected(before.error());
            if (before->revoked)
                return fail(Errc::Conflict, "device \"" + std::string{device_id} + "\" is revoked");
            DeviceRecord after = *before;
            after.mqtt_password_hash = *hash;
            if (auto stored = transaction.update_device(after); !stored)
                return std::unexpected(stored.error());
            auto audited =
                transaction.append_audit(device_audit(actor, "device.credentials", *before, after, now));
            if (!audited)
                return std::unexpected(audited.error());
            return after;
        });
    if (!updated)
        return std::unexpected(updated.error());
    Registration registration;
    registration.device = *updated;
    registration.provisioning.device = updated->device.id;
    registration.provisioning.zone = updated->device.zone;
    registration.provisioning.mqtt = protocol::MqttEndpoint{
        m_options.broker_host, m_options.broker_port, updated->device.id, password, m_options.tls_ca_pem};
    registration.provisioning.controller_keys = m_options.controller_keys;
    auto synced = sync_broker_locked();
    on_changed();
    if (!synced)
        return std::unexpected(synced.error());
    return registration;
}

Result<DeviceRecord> DeviceRegistry::revoke(const User& actor, std::string_view device_id) {
    if (auto allowed_to = require(actor, Action::ManageDevices); !allowed_to)
        return std::unexpected(allowed_to.error());
    std::lock_guard lock{m_mutex};
    const TimePoint now = m_clock.wall();
    auto revoked =
        m_store.write_value<DeviceRecord>([&](StoreTransaction& transaction) -> Result<DeviceRecord> {
            auto before = transaction.device_by_id(device_id);
            if (!before)
                return std::unexpected(before.error());
            if (before->revoked)
                return fail(Errc::Conflict, "device \"" + std::string{device_id} + "\" is already revoked");
            DeviceRecord after = *before;
            after.revoked = now;
            after.online = false;
            if (auto stored = transaction.update_device(after); !stored)
                return std::unexpected(stored.error());
            auto audited =
                transaction.append_audit(device_audit(actor, "device.revoke", *before, after, now));
            if (!audited)
                return std::unexpected(audited.error());
            return after;
        });
    if (!revoked)
        return std::unexpected(revoked.error());
    auto synced = sync_broker_locked();
    on_changed();
    if (!synced)
        return std::unexpected(synced.error());
    return revoked;
}

Result<std::vector<protocol::DeviceAccount>> DeviceRegistry::broker_accounts() {
    return m_store.read_value<std::vector<protocol::DeviceAccount>>(
        [&](StoreTransaction& transaction) -> Result<std::vector<protocol::DeviceAccount>> {
            std::vector<protocol::DeviceAccount> accounts;
            for (int offset = 0;; offset += 1000) {
                auto page = transaction.list_devices(Page{1000, offset});
                if (!page)
                    return std::unexpected(page.error());
                for (const auto& device : *page) {
                    if (device.revoked)
                        continue;
                    accounts.push_back(protocol::DeviceAccount{
                        device.device.id, device.mqtt_password_hash, {device.device.zone}});
                }
                if (page->size() < 1000)
                    return accounts;
            }
        });
}

Result<void> DeviceRegistry::sync_broker() {
    std::lock_guard lock{m_mutex};
    return sync_broker_locked();
}

Result<void> DeviceRegistry::sync_broker_locked() {
    auto accounts = broker_accounts();
    if (!accounts)
        return std::unexpected(accounts.error());
    return m_broker.apply(*accounts);
}

Result<DeviceRecord> DeviceRegistry::authenticate_device(std::string_view device_id,
                                                         std::string_view password) {
    auto device = m_store.read_value<DeviceRecord>(
        [&](StoreTransaction& transaction) { return transaction.device_by_id(device_id); });
    if (!device || device->revoked)
        return fail(Errc::Unauthenticated, "unknown or revoked device");
    auto matches = protocol::verify_broker_password(device->mqtt_password_hash, password);
    if (!matches || !*matches)
        return fail(Errc::Unauthenticated, "wrong device credentials");
    return device;
}

}  // namespace bantin::controller
