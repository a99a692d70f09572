#include "bantin/controller/district_bridge.hpp"

#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/fleet_broker.hpp"
#include "bantin/protocol/topics.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace bantin::controller {
namespace {

std::vector<std::string> split_zones(const std::string& text) {
    std::vector<std::string> zones;
    std::string zone;
    std::istringstream in(text);
    while (std::getline(in, zone, ','))
        if (!zone.empty())
            zones.push_back(zone);
    return zones;
}

// The remote_password line of an earlier district mosquitto.conf, if any.
std::optional<std::string> existing_password(const std::filesystem::path& config_file) {
    std::ifstream in(config_file);
    std::string line;
    const std::string key = "remote_password ";
    while (std::getline(in, line))
        if (line.starts_with(key))
            return line.substr(key.size());
    return std::nullopt;
}

}  // namespace

Result<std::vector<BridgeRecord>> load_bridges(const std::filesystem::path& file) {
    std::vector<BridgeRecord> bridges;
    std::ifstream in(file);
    if (!in) {
        if (!std::filesystem::exists(file))
            return bridges;
        return fail(Errc::Io, "không đọc được " + file.string() + "; cannot read " + file.string());
    }
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty() || line.front() == '#')
            continue;
        const std::string where = file.string() + ":" + std::to_string(number);
        const auto first = line.find(':');
        const auto last = line.rfind(':');
        if (first == std::string::npos || last == first)
            return fail(Errc::InvalidInput,
                        where + ": dòng sai dạng; expected <district>:<$7$ hash>:<zone>,<zone>");
        BridgeRecord record{line.substr(0, first), line.substr(first + 1, last - first - 1),
                            split_zones(line.substr(last + 1))};
        if (auto valid = protocol::validate_id(record.district, "district"); !valid)
            return fail(Errc::InvalidInput, where + ": " + valid.error().detail);
        if (!record.password_hash.starts_with("$7$"))
            return fail(Errc::InvalidInput, where + ": cần một mã băm $7$; expected a $7$ hash");
        for (const auto& zone : record.zones)
            if (auto valid = protocol::validate_id(zone, "zone"); !valid)
                return fail(Errc::InvalidInput, where + ": " + valid.error().detail);
        bridges.push_back(std::move(record));
    }
    return bridges;
}

Result<void> save_bridges(const std::filesystem::path& file, const std::vector<BridgeRecord>& bridges) {
    std::string text =
        "# District bridges: <district>:<Mosquitto $7$ hash>:<zone>,<zone> (docs/broker.md).\n";
    for (const auto& bridge : bridges) {
        text += bridge.district + ":" + bridge.password_hash + ":";
        for (std::size_t i = 0; i < bridge.zones.size(); ++i) text += (i == 0 ? "" : ",") + bridge.zones[i];
        text += "\n";
    }
    std::error_code error;
    std::filesystem::create_directories(file.parent_path(), error);
    if (error)
        return fail(Errc::Io, file.parent_path().string() + ": cannot create: " + error.message());
    return replace_keeping_owner(file, text);
}

std::vector<protocol::BridgeAccount> bridge_accounts(const std::vector<BridgeRecord>& bridges,
                                                     const std::vector<protocol::DeviceAccount>& devices) {
    std::vector<protocol::BridgeAccount> accounts;
    for (const auto& bridge : bridges) {
        protocol::BridgeAccount account{
            protocol::bridge_username(bridge.district), bridge.password_hash, bridge.zones, {}};
        for (const auto& device : devices)
            if (std::any_of(device.zones.begin(), device.zones.end(), [&](const std::string& zone) {
                    return std::find(bridge.zones.begin(), bridge.zones.end(), zone) != bridge.zones.end();
                }))
                account.devices.push_back(device.device_id);
        accounts.push_back(std::move(account));
    }
    return accounts;
}

Result<DistrictBrokerResult> write_district_broker(const std::filesystem::path& bridges_file,
                                                   const DistrictBrokerRequest& request,
                                                   const std::vector<protocol::DeviceAccount>& devices,
                                                   const std::vector<std::string>& taken) {
    if (auto valid = protocol::validate_id(request.district, "district"); !valid)
        return fail(Errc::InvalidInput,
                    "tên quận/huyện không hợp lệ; invalid district name: " + valid.error().detail);
    if (request.zones.empty())
        return fail(Errc::InvalidInput, "cần ít nhất một khu vực; a district needs at least one zone");
    std::set<std::string> zones;
    for (const auto& zone : request.zones) {
        if (auto valid = protocol::validate_id(zone, "zone"); !valid)
            return fail(Errc::InvalidInput, "khu vực không hợp lệ; invalid zone: " + valid.error().detail);
        if (!zones.insert(zone).second)
            return fail(Errc::InvalidInput,
                        "khu vực \"" + zone + "\" bị lặp; zone \"" + zone + "\" is given twice");
    }
    if (request.listen_port == 0 || request.province_port == 0 || (request.tls && request.tls->port == 0))
        return fail(Errc::InvalidInput, "cổng là 0; a port is 0");
    const std::string username = protocol::bridge_username(request.district);
    if (std::find(taken.begin(), taken.end(), username) != taken.end())
        return fail(Errc::AlreadyExists, "\"" + username + "\" đã là một tài khoản của máy chủ MQTT; \"" +
                                             username + "\" is already a broker account");
    auto bridges = load_bridges(bridges_file);
    if (!bridges)
        return std::unexpected(bridges.error());
    for (const auto& other : *bridges) {
        if (other.district == request.district)
            continue;
        for (const auto& zone : other.zones)
            if (zones.contains(zone))
                return fail(Errc::InvalidInput, "khu vực \"" + zone + "\" đã thuộc quận/huyện \"" +
                                                    other.district + "\"; zone \"" + zone +
                                                    "\" already belongs to district \"" + other.district +
                                                    "\"");
    }

    // The password: the one the district already uses if the controller still knows it.
    protocol::BrokerConfig where;
    where.directory = request.directory;
    const protocol::BrokerFiles paths = protocol::broker_file_paths(where);
    auto record = std::find_if(bridges->begin(), bridges->end(), [&](const BridgeRecord& bridge) {
        return bridge.district == request.district;
    });
    std::string password;
    if (record != bridges->end()) {
        if (auto old = existing_password(paths.config_file); old) {
            auto matches = protocol::verify_broker_password(record->password_hash, *old);
            if (matches && *matches)
                password = *old;
        }
    }
    DistrictBrokerResult result;
    std::string hash;
    if (password.empty()) {
        password = generate_device_password();
        auto hashed = protocol::hash_broker_password(password);
        if (!hashed)
            return std::unexpected(hashed.error());
        hash = *hashed;
        result.new_password = true;
    } else {
        hash = record->password_hash;
    }
    BridgeRecord updated{request.district, hash, request.zones};
    if (record != bridges->end())
        *record = updated;
    else
        bridges->push_back(updated);

    protocol::BrokerAccounts accounts;
    accounts.controller.username.clear();
    for (const auto& device : devices)
        if (std::any_of(device.zones.begin(), device.zones.end(),
                        [&](const std::string& zone) { return zones.contains(zone); })) {
            accounts.devices.push_back(device);
            result.devices.push_back(device.device_id);
        }

    protocol::BrokerConfig config;
    config.directory = request.directory;
    config.bind_address = request.listen_address;
    config.port = request.listen_port;
    config.run_as_user = request.run_as_user;
    config.tls = request.tls;
    config.max_queued_messages = protocol::district_max_queued_messages(accounts.devices.size());
    config.max_queued_bytes = protocol::district_max_queued_bytes;
    protocol::BridgeConnection bridge;
    bridge.district = request.district;
    bridge.remote_host = request.province_host;
    bridge.remote_port = request.province_port;
    bridge.remote_password = password;
    bridge.tls = request.province_tls;
    bridge.restart_base_s = request.restart_base_s;
    bridge.restart_cap_s = request.restart_cap_s;
    config.bridge = bridge;
    std::error_code error;
    std::filesystem::create_directories(request.directory, error);
    if (error)
        return fail(Errc::Io, "không tạo được thư mục " + request.directory.string() + "; cannot create " +
                                  request.directory.string() + ": " + error.message());
    auto files = protocol::write_broker_files(config, accounts);
    if (!files)
        return std::unexpected(files.error());
    // The province learns the bridge last: a failed district write leaves the controller's file alone.
    if (auto saved = save_bridges(bridges_file, *bridges); !saved)
        return std::unexpected(saved.error());
    result.files = *files;
    return result;
}

}  // namespace bantin::controller
