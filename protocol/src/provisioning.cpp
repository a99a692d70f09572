#include "bantin/protocol/provisioning.hpp"

#include "json_fields.hpp"
#include "private_file.hpp"

#include <sodium.h>

namespace bantin::protocol {
namespace {

using detail::element_path;
using detail::ObjectReader;

constexpr std::size_t max_provisioning_size = 256 * 1024;

}  // namespace

std::string encode(const Provisioning& provisioning) {
    nlohmann::ordered_json json = nlohmann::ordered_json::object();
    json["v"] = provisioning_version;
    json["device"] = provisioning.device;
    json["zone"] = provisioning.zone;
    nlohmann::ordered_json mqtt = nlohmann::ordered_json::object();
    mqtt["host"] = provisioning.mqtt.host;
    mqtt["port"] = provisioning.mqtt.port;
    mqtt["username"] = provisioning.mqtt.username;
    mqtt["password"] = provisioning.mqtt.password;
    if (provisioning.mqtt.tls_ca_pem)
        mqtt["tls_ca_pem"] = *provisioning.mqtt.tls_ca_pem;
    json["mqtt"] = std::move(mqtt);
    nlohmann::ordered_json keys = nlohmann::ordered_json::array();
    for (const auto& key : provisioning.controller_keys) {
        nlohmann::ordered_json entry = nlohmann::ordered_json::object();
        entry["kid"] = key.kid;
        entry["public_key"] = to_base64(key.key);
        keys.push_back(std::move(entry));
    }
    json["controller_keys"] = std::move(keys);
    return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<Provisioning> decode_provisioning(std::string_view text) {
    auto json = detail::parse_document(text, "provisioning", max_provisioning_size);
    if (!json)
        return std::unexpected(json.error());
    auto reader =
        ObjectReader::open(*json, "provisioning", {"v", "device", "zone", "mqtt", "controller_keys"});
    if (!reader)
        return std::unexpected(reader.error());
    auto version = reader->integer("v", 0, INT32_MAX);
    if (!version)
        return std::unexpected(version.error());
    if (*version != provisioning_version) {
        return fail(Errc::Unsupported,
                    "provisioning.v: version " + std::to_string(*version) + " is not supported");
    }
    Provisioning provisioning;
    auto device = reader->identifier("device");
    if (!device)
        return std::unexpected(device.error());
    provisioning.device = *device;
    auto zone = reader->identifier("zone");
    if (!zone)
        return std::unexpected(zone.error());
    provisioning.zone = *zone;

    auto mqtt_json = reader->required("mqtt");
    if (!mqtt_json)
        return std::unexpected(mqtt_json.error());
    auto mqtt = ObjectReader::open(**mqtt_json, "provisioning.mqtt",
                                   {"host", "port", "username", "password", "tls_ca_pem"});
    if (!mqtt)
        return std::unexpected(mqtt.error());
    auto host = mqtt->string("host");
    if (!host)
        return std::unexpected(host.error());
    if (host->empty())
        return fail(Errc::InvalidInput, "provisioning.mqtt.host: must not be empty");
    provisioning.mqtt.host = *host;
    auto port = mqtt->integer("port", 1, 65535);
    if (!port)
        return std::unexpected(port.error());
    provisioning.mqtt.port = static_cast<std::uint16_t>(*port);
    auto username = mqtt->identifier("username");
    if (!username)
        return std::unexpected(username.error());
    provisioning.mqtt.username = *username;
    auto password = mqtt->string("password");
    if (!password)
        return std::unexpected(password.error());
    if (password->empty())
        return fail(Errc::InvalidInput, "provisioning.mqtt.password: must not be empty");
    provisioning.mqtt.password = *password;
    auto ca = mqtt->optional_string("tls_ca_pem");
    if (!ca)
        return std::unexpected(ca.error());
    if (*ca && (*ca)->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return fail(Errc::InvalidInput, "provisioning.mqtt.tls_ca_pem: expected a PEM certificate");
    }
    provisioning.mqtt.tls_ca_pem = *ca;

    auto keys_json = reader->required("controller_keys");
    if (!keys_json)
        return std::unexpected(keys_json.error());
    if (!(*keys_json)->is_array() || (*keys_json)->empty()) {
        return fail(Errc::InvalidInput, "provisioning.controller_keys: expected a non-empty array");
    }
    for (std::size_t i = 0; i < (*keys_json)->size(); ++i) {
        std::string path = element_path("provisioning.controller_keys", i);
        auto entry = ObjectReader::open((**keys_json)[i], path, {"kid", "public_key"});
        if (!entry)
            return std::unexpected(entry.error());
        auto kid = entry->string("kid");
        if (!kid)
            return std::unexpected(kid.error());
        auto encoded = entry->string("public_key");
        if (!encoded)
            return std::unexpected(encoded.error());
        auto key = public_key_from_base64(*encoded);
        if (!key)
            return fail(Errc::InvalidInput, path + ".public_key: " + key.error().detail);
        if (key_id(*key) != *kid) {
            return fail(Errc::InvalidInput, path + ".kid: \"" + kid->substr(0, 32) +
                                                "\" is not the key id of " + path + ".public_key (" +
                                                key_id(*key) + ")");
        }
        provisioning.controller_keys.push_back(TrustedKey{*kid, *key});
    }
    return provisioning;
}

Result<void> write_provisioning_file(const std::filesystem::path& path, const Provisioning& provisioning,
                                     Overwrite overwrite) {
    std::string text = encode(provisioning);
    auto written = detail::write_file(path, text, detail::FileAccess::OwnerOnly, overwrite == Overwrite::Yes);
    sodium_memzero(text.data(), text.size());
    return written;
}

Result<Provisioning> load_provisioning_file(const std::filesystem::path& path) {
    auto text = detail::read_file(path, detail::FileAccess::OwnerOnly, max_provisioning_size);
    if (!text)
        return std::unexpected(text.error());
    auto provisioning = decode_provisioning(*text);
    sodium_memzero(text->data(), text->size());
    if (!provisioning)
        return fail(provisioning.error().code, path.string() + ": " + provisioning.error().detail);
    return provisioning;
}

}  // namespace bantin::protocol
