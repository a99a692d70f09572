#include "bantin/controller/api_fleet.hpp"

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/cap.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/scheduler/json.hpp"

#include <httplib.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace bantin::controller {
namespace {

using httplib::Request;
using httplib::Response;

const std::string id_pattern = "([A-Za-z0-9._-]{1,64})";
const std::string sha256_pattern = "([0-9a-f]{64})";

std::string route(std::string_view tail) {
    return "/api/v1" + std::string{tail};
}

// "proof_stalled_since": when the device, online and playing, last had a row committed (or
// started playing) if that is longer ago than ingest.stall_alarm_s; null otherwise.
nlohmann::ordered_json proof_stalled_since(const ProofStallWatch* stalls, const DeviceRecord& device,
                                           TimePoint now) {
    if (!stalls)
        return nullptr;
    auto since = stalls->stalled_since(device.device.id, now);
    return since ? nlohmann::ordered_json(format_utc(*since)) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json device_view(Store& store, const DeviceRecord& device, const ProofStallWatch* stalls,
                                   TimePoint now) {
    auto json = device_to_json(device);
    json["proof_stalled_since"] = proof_stalled_since(stalls, device, now);
    json["status"] = nullptr;
    json["proof"] = nullptr;
    if (!device.last_status.empty()) {
        auto status = protocol::decode_status(device.last_status);
        if (status) {
            json["status"] = nlohmann::ordered_json::parse(device.last_status);
            const std::int64_t epoch = install_epoch_key(status->install_epoch);
            auto progress = store.read_value<ProofProgress>([&](StoreTransaction& transaction) {
                return transaction.proof_progress(device.device.id, epoch);
            });
            if (progress) {
                auto gaps = nlohmann::ordered_json::array();
                for (const auto& gap : progress->gaps) gaps.push_back({gap.first, gap.last});
                json["proof"] = {{"install_epoch", status->install_epoch},
                                 {"contiguous", progress->contiguous},
                                 {"highest", progress->highest},
                                 {"gaps", gaps}};
            }
        }
    }
    return json;
}

nlohmann::ordered_json alert_view(const AlertRecord& record,
                                  const std::vector<AlertConfirmation>& confirmations) {
    const auto& alert = record.alert;
    nlohmann::ordered_json json;
    json["id"] = alert.id;
    json["state"] = to_string(record.state);
    json["status"] = scheduler::to_string(alert.status);
    json["live"] = alert.status == scheduler::AlertStatus::Actual;
    json["severity"] = scheduler::to_string(alert.severity);
    json["all_zones"] = alert.all_zones;
    json["zones"] = alert.zones;
    json["headline"] = alert.headline;
    json["text"] = alert.text;
    json["issued"] = format_utc(alert.issued);
    json["expires"] = format_utc(alert.expires);
    json["cancelled"] = alert.cancelled ? nlohmann::ordered_json(format_utc(*alert.cancelled)) : nullptr;
    json["media"] =
        record.media.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(record.media);
    json["created_by"] = record.created_by;
    auto confirmed = nlohmann::ordered_json::array();
    for (const auto& confirmation : confirmations)
        confirmed.push_back({{"user", confirmation.user}, {"at", format_utc(confirmation.at)}});
    json["confirmations"] = confirmed;
    return json;
}

Result<scheduler::Severity> parse_severity(std::string_view text) {
    if (text == "minor")
        return scheduler::Severity::Minor;
    if (text == "moderate")
        return scheduler::Severity::Moderate;
    if (text == "severe")
        return scheduler::Severity::Severe;
    if (text == "extreme")
        return scheduler::Severity::Extreme;
    return fail(Errc::InvalidInput, "severity: expected minor, moderate, severe or extreme");
}

Result<ReportRange> parse_range(const Request& request) {
    if (!request.has_param("from") || !request.has_param("to"))
        return fail(Errc::InvalidInput, "from, to: both are required (RFC 3339 UTC)");
    auto from = parse_utc(request.get_param_value("from"));
    if (!from)
        return fail(Errc::InvalidInput, "from: " + from.error().detail);
    auto to = parse_utc(request.get_param_value("to"));
    if (!to)
        return fail(Errc::InvalidInput, "to: " + to.error().detail);
    ReportRange range{*from, *to};
    if (auto valid = check_range(range); !valid)
        return std::unexpected(valid.error());
    return range;
}

// RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string http_date(TimePoint at) {
    const std::time_t seconds =
        std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(at));
    std::tm parts{};
    ::gmtime_r(&seconds, &parts);
    static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char text[40];
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                  days[static_cast<std::size_t>(parts.tm_wday)], parts.tm_mday,
                  months[static_cast<std::size_t>(parts.tm_mon)], parts.tm_year + 1900, parts.tm_hour,
                  parts.tm_min, parts.tm_sec);
    return text;
}

void send_csv(Response& response, const std::string& name, std::string body) {
    response.status = 200;
    response.set_header("Content-Disposition", "attachment; filename=\"" + name + ".csv\"");
    response.set_content(std::move(body), "text/csv; charset=utf-8");
}

// A malformed body (wrong type, unknown or missing field) is 400; a well-formed value the
// rules refuse (volume 150, an unknown time zone, overlapping windows) is 422.
struct DeviceBodyError {
    int status = 400;
    std::string detail;
};

using DeviceBody = std::pair<scheduler::Device, std::optional<std::string>>;  // device, name

void send_device_error(Response& response, const DeviceBodyError& error) {
    if (error.status == 400)
        return send_bad_request(response, error.detail);
    send_error(response, error.status, "invalid-input", error.detail);
}

// The registration/update body is the schedule model's device (scheduler/json.hpp: id, kind,
// zone, tags, time_zone, on_hours, quiet_hours, default_volume, volume_schedule, has_speaker)
// plus `name`. On update the id comes from the path (a body id must match it).
std::expected<DeviceBody, DeviceBodyError> device_from_body(nlohmann::json body,
                                                            std::optional<std::string> path_id,
                                                            const std::string& default_time_zone) {
    std::optional<std::string> name;
    if (auto found = body.find("name"); found != body.end()) {
        if (!found->is_string())
            return std::unexpected(
                DeviceBodyError{400, std::string{"name: expected a string, got "} + found->type_name()});
        name = found->get<std::string>();
        body.erase("name");
    }
    if (path_id) {
        if (auto found = body.find("id"); found != body.end() && !(found->is_string() && *found == *path_id))
            return std::unexpected(
                DeviceBodyError{400, "id: must be the device id of the path, \"" + *path_id + "\""});
        body["id"] = *path_id;
    }
    if (!body.contains("time_zone"))
        body["time_zone"] = default_time_zone;
    auto device = scheduler::device_from_json(body);
    if (!device)
        return std::unexpected(DeviceBodyError{400, device.error().detail});
    scheduler::Model model;
    model.devices.push_back(*device);
    if (auto valid = scheduler::validate(model); !valid) {
        std::string detail = valid.error().detail;
        const std::string prefix = "devices[0].";
        for (auto at = detail.find(prefix); at != std::string::npos; at = detail.find(prefix, at))
            detail.erase(at, prefix.size());
        return std::unexpected(DeviceBodyError{422, detail});
    }
    return DeviceBody{std::move(*device), std::move(name)};
}

class FleetRoutes {
public:
    FleetRoutes(ApiContext& context, FleetServices& fleet) : m_context(context), m_fleet(fleet) {}

    void list_devices(const Request& request, Response& response) {
        if (!authorize(m_context, request, response, Action::Read))
            return;
        auto page = parse_page(request);
        if (!page)
            return send_error(response, page.error());
        auto devices = m_context.store.read_value<std::vector<DeviceRecord>>(
            [&](StoreTransaction& transaction) { return transaction.list_devices(page_probe(*page)); });
        if (!devices)
            return send_error(response, devices.error());
        auto items = nlohmann::ordered_json::array();
        for (const auto& device : *devices) items.push_back(device_to_json(device));
        send_page(response, *page, std::move(items));
    }

    void get_device(const Request& request, Response& response) {
        if (!authorize(m_context, request, response, Action::Read))
            return;
        const std::string id = path_match(request, 1);
        auto device = m_context.store.read_value<DeviceRecord>(
            [&](StoreTransaction& transaction) { return transaction.device_by_id(id); });
        if (!device)
            return send_error(response, device.error());
        send_json(response, 200,
                  device_view(m_context.store, *device, m_fleet.stalls, m_context.clock.wall()));
    }

    void register_device(const Request& request, Response& response) {
        auto caller = authorize(m_context, request, response, Action::ManageDevices);
        if (!caller)
            return;
        auto body = parse_json_body(request, response, "a JSON object with id, kind and zone");
        if (!body)
            return;
        auto parsed = device_from_body(*body, std::nullopt, m_context.config.devices.default_time_zone);
        if (!parsed)
            return send_device_error(response, parsed.error());
        auto& [device, name] = *parsed;
        auto registered = m_fleet.registry.register_device(caller->user, device, name.value_or(device.id));
        if (!registered)
            return send_error(response, registered.error());
        if (m_fleet.publisher) {
            const std::vector<std::string> ids{device.id};
            (void)m_fleet.publisher->rebuild_devices(ids);
        }
        nlohmann::ordered_json json;
        json["device"] = device_to_json(registered->device);
        json["provisioning"] = nlohmann::ordered_json::parse(protocol::encode(registered->provisioning));
        send_json(response, 201, json);
    }

    // PUT replaces every setting: what the body leaves out gets its default, as at registration.
    void update_device(const Request& request, Response& response) {
        auto caller = authorize(m_context, request, response, Action::ManageDevices);
        if (!caller)
            return;
        auto body = parse_json_body(request, response, "a JSON object with kind and zone");
        if (!body)
            return;
        const std::string id = path_match(request, 1);
        auto parsed = device_from_body(*body, id, m_context.config.devices.default_time_zone);
        if (!parsed)
            return send_device_error(response, parsed.error());
        auto& [device, name] = *parsed;
        auto current = m_context.store.read_value<DeviceRecord>(
            [&](StoreTransaction& transaction) { return transaction.device_by_id(id); });
        if (!current)
            return send_error(response, current.error());
        auto updated = m_fleet.registry.update_device(caller->user, device, name.value_or(current->name));
        if (!updated)
            return send_error(response, updated.error());
        if (m_fleet.publisher) {
            const std::vector<std::string> ids{id};
            if (auto rebuilt = m_fleet.publisher->rebuild_devices(ids); rebuilt)
                if (auto reread = m_context.store.read_value<DeviceRecord>(
                        [&](StoreTransaction& transaction) { return transaction.device_by_id(id); });
                    reread)
                    *updated = std::move(*reread);
        }
        send_json(response, 200, device_to_json(*updated));
    }

    void revoke_device(const Request& request, Response& response) {
        auto caller = authorize(m_context, request, response, Action::ManageDevices);
        if (!caller)
            return;
        auto revoked = m_fleet.registry.revoke(caller->user, path_match(request, 1));
        if (!revoked)
            return send_error(response, revoked.error());
        send_json(response, 200, device_to_json(*revoked));
    }

    void new_credentials(const Request& request, Response& response) {
        auto caller = authorize(m_context, request, response, Action::ManageDevices);
        if (!caller)
            return;
        auto issued = m_fleet.registry.new_credentials(caller->user, path_match(request, 1));
        if (!issued)
            return send_error(response, issued.error());
        nlohmann::ordered_json json;
        json["device"] = device_to_json(issued->device);
        json["provisioning"] = nlohmann::ordered_json::parse(protocol::encode(issued->provisioning));
        send_json(response, 200, json);
    }

    void fleet_status(const Request& request, Response& response) {
        if (!authorize(m_context, request, response, Action::Read))
            return;
        auto devices = m_context.store.read_value<std::vector<DeviceRecord>>(
            [&](StoreTransaction& transaction) { return load_all_devices(transaction); });
        if (!devices)
            return send_error(response, devices.error());
        std::map<std::string, int> delivery;
        int online = 0, offline = 0, revoked = 0, proof_stalled = 0;
        const TimePoint now = m_context.clock.wall();
        auto items = nlohmann::ordered_json::array();
        for (const auto& device : *devices) {
            if (device.revoked) {
                ++revoked;
                continue;
            }
            device.online ? ++online : ++offline;
            ++delivery[std::string{to_string(delivery_state(device))}];
            auto row = device_to_json(device);
            row["proof_stalled_since"] = proof_stalled_since(m_fleet.stalls, device, now);
            if (!device.last_status.empty())
                if (auto status = protocol::decode_status(device.last_status); status) {
                    row["now_playing"] =
                        status->now_playing
                            ? nlohmann::ordered_json{{"source", status->now_playing->source_id},
                                                     {"media", status->now_playing->media}}
                            : nlohmann::ordered_json(nullptr);
                    row["last_error"] = status->last_error ? nlohmann::ordered_json(*status->last_error)
                                                           : nlohmann::ordered_json(nullptr);
                }
            if (!row["proof_stalled_since"].is_null())
                ++proof_stalled;
            items.push_back(std::move(row));
        }
        nlohmann::ordered_json json;
        json["online"] = online;
        json["offline"] = offline;
        json["revoked"] = revoked;
        json["proof_stalled"] = proof_stalled;
        json["delivery"] = delivery;
        auto services = nlohmann::ordered_json::array();
        if (m_fleet.services_health)
            for (const auto& service : m_fleet.services_health())
                services.push_back({{"name", service.name},
                                    {"up", service.health.up},
                                    {"pid", service.health.up ? nlohmann::ordered_json(service.health.pid)
                                                              : nlohmann::ordered_json(nullptr)},
                                    {"restarts", service.health.restarts},
                                    {"last_exit", service.health.last_exit},
                                    {"last_error", service.health.last_error}});
        json["services"] = std::move(services);
        json["devices"] = std::move(items);
        send_json(response, 200, json);
    }

    // Devices authenticate with HTTP basic: device id and the MQTT password of their
    // provisioning file. On failure the 401 has been sent.
    std::optional<DeviceRecord> authenticate_device(const Request& request, Response& response) {
        const std::string header = request.get_header_value("Authorization");
        const std::string prefix = "Basic ";
        if (header.compare(0, prefix.size(), prefix) != 0) {
            response.set_header("WWW-Authenticate", "Basic realm=\"bantin-devices\"");
            send_error(response, 401, "unauthenticated", "device credentials required (HTTP basic)");
            return std::nullopt;
        }
        auto decoded = protocol::base64_decode(header.substr(prefix.size()));
        const auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (!decoded || colon == std::string::npos) {
            response.set_header("WWW-Authenticate", "Basic realm=\"bantin-devices\"");
            send_error(response, 401, "unauthenticated", "malformed basic credentials");
            return std::nullopt;
        }
        auto device =
            m_fleet.registry.authenticate_device(decoded->substr(0, colon), decoded->substr(colon + 1));
        if (!device) {
            response.set_header("WWW-Authenticate", "Basic realm=\"bantin-devices\"");
            send_error(response, device.error());
            return std::nullopt;
        }
        return std::move(*device);
    }

    void device_media(const Request& request, Response& response) {
        if (!authenticate_device(request, response))
            return;
        const std::string sha256 = path_match(request, 1);
        auto path = m_context.media.lookup(sha256);
        if (!path)
            return send_error(response, path.error());
        serve_media_file(request, response, *path, "application/octet-stream");
    }

    // A device uploads its own screenshot: body image/png, at most max_screenshot_bytes.
    // Anything refused before the body is read closes the connection, so the unread body is
    // not taken for the next request.
    void put_screenshot(const Request& request, Response& response, const httplib::ContentReader& reader) {
        auto refuse = [&](int status, std::string_view code, std::string_view detail) {
            response.set_header("Connection", "close");
            send_error(response, status, code, detail);
        };
        auto device = authenticate_device(request, response);
        if (!device) {
            response.set_header("Connection", "close");
            return;
        }
        const std::string id = path_match(request, 1);
        if (device->device.id != id)
            return refuse(403, "permission-denied",
                          "device \"" + device->device.id + "\" may upload only its own screenshot");
        if (!m_fleet.screenshots)
            return refuse(503, "unavailable", "this controller keeps no screenshots");
        std::string_view type = request.get_header_value("Content-Type");
        type = type.substr(0, type.find(';'));
        while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
        if (type != "image/png")
            return refuse(415, "unsupported-media",
                          "Content-Type: expected image/png, got \"" + std::string{type} + "\"");
        if (request.has_header("Content-Length")) {
            const std::string length_text = request.get_header_value("Content-Length");
            std::uint64_t length = 0;
            auto [end, error] =
                std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
            if (error != std::errc{} || end != length_text.data() + length_text.size())
                return refuse(400, "bad-request", "Content-Length: not a number");
            // A little over the limit is read and dropped below, so that a client still sending
            // gets the 413 instead of a reset; far over it is not worth reading.
            if (length > 2 * max_screenshot_bytes)
                return refuse(413, "too-large",
                              "screenshot of " + std::to_string(length) + " bytes is over the limit of " +
                                  std::to_string(max_screenshot_bytes) + " bytes");
        }
        std::string png;
        bool too_large = false;
        std::uint64_t received = 0;
        reader([&](const char* data, std::size_t length) {
            received += length;
            if (too_large || png.size() + length > max_screenshot_bytes) {
                too_large = true;
                png.clear();
                // Drained up to twice the limit so a sender still writing gets the 413; past
                // that the connection is dropped (an endless chunked body would hold a thread).
                return received <= 2 * max_screenshot_bytes;
            }
            png.append(data, length);
            return true;
        });
        if (too_large)
            return refuse(
                413, "too-large",
                "screenshot is over the limit of " + std::to_string(max_screenshot_bytes) + " bytes");
        if (png.empty())
            return refuse(400, "bad-request", "body: empty; send the PNG");
        auto stored = m_fleet.screenshots->put(id, png);
        if (!stored && stored.error().code == Errc::Unsupported)
            return send_error(response, 415, "unsupported-media", stored.error().detail);
        if (!stored)
            return send_error(response, stored.error());
        send_json(response, 201,
                  {{"device", id},
                   {"received", format_utc(stored->received)},
                   {"sha256", stored->sha256},
                   {"size", stored->png.size()}});
    }

    void get_screenshot(const Request& request, Response& response) {
        if (!authorize(m_context, request, response, Action::ManageDevices))
            return;
        if (!m_fleet.screenshots)
            return send_error(response, 404, "not-found", "this controller keeps no screenshots");
        const std::string id = path_match(request, 1);
        auto device = m_context.store.read_value<DeviceRecord>(
            [&](StoreTransaction& transaction) { return transaction.device_by_id(id); });
        if (!device)
            return send_error(response, device.error());
        auto shot = m_fleet.screenshots->latest(id);
        if (!shot)
            return send_error(response, shot.error());
        response.status = 200;
        response.set_header("Cache-Control", "no-store");
        response.set_header("X-Screenshot-Received", format_utc(shot->received));
        response.set_header("Last-Modified", http_date(shot->received));
        response.set_header("ETag", "\"" + shot->sha256 + "\"");
        response.set_content(std::move(shot->png), "image/png");
    }

    void send_command(const Request& request, Response& response) {
        auto caller = authorize(m_context, request, response, Action::ManageDevices);
        if (!caller)
            return;
        auto body = parse_json_body(request, response,
                                    "a JSON object with kind: ping, set-volume, reload or screenshot");
        if (!body)
            return;
        for (const auto& [key, value] : body->items())
            if (key != "kind" && key != "volume")
                return send_bad_request(response, key + ": unknown field (kind and volume are accepted)");
        auto kind_text = required_string(*body, "kind");
        if (!kind_text)
            return send_bad_request(response, kind_text.error().detail);
        auto volume = optional_integer(*body, "volume");
        if (!volume)
            return send_bad_request(response, volume.error().detail);
        CommandRequest command;
        if (*kind_text == "ping")
            command.kind = protocol::CommandKind::Ping;
        else if (*kind_text == "set-volume")
            command.kind = protocol::CommandKind::SetVolume;
        else if (*kind_text == "reload")
            command.kind = protocol::CommandKind::Reload;
        else if (*kind_text == "screenshot")
            command.kind = protocol::CommandKind::Screenshot;
        else
            return send_error(
                response, 422, "invalid-input",
                "kind: expected ping, set-volume, reload or screenshot, got \"" + *kind_text + "\"");
        if (*volume) {
            if (**volume < 0 || **volume > 100)
                return send_error(response, 422, "invalid-input", "volume: must be 0..100");
            command.volume = static_cast<int>(**volume);
        }
        if (!m_fleet.commands)
            return send_error(response, 503, "unavailable", "this controller sends no commands");
        auto issued = m_fleet.commands->issue(caller->user, path_match(request, 1), command);
        if (!issued)
            return send_error(response, issued.error());
        nlohmann::ordered_json json;
        json["id"] = issued->id;
        json["device"] = issued->device;
        json["kind"] = protocol::to_string(issued->kind);
        json["volume"] = issued->volume ? nlohmann::ordered_json(*issued->volume) : nullptr;
        json["upload_url"] = issued->upload_url ? nlohmann::ordered_json(*issued->upload_url) : nullptr;
        json["issued_at"] = format_utc(issued->issued_at);
        json["expires_at"] = format_utc(issued->expires_at);
        send_json(response, 202, json);
    }

    void list_alerts(const Request& request, Response& response) {
        if (!authorize(m_context, request, response, Action::Read))
            return;
        auto active = m_fleet.alerts.active();
        if (!active)
            return send_error(response, active.error());
        auto items = nlohmann::ordered_json::array();
        for (const auto& record : *active) items.push_back(alert_view(record, {}));
        send_json(response, 200, {{"items", items}});
    }

    void get_alert(const Request& request, Response& response) {
        if (!authorize(m_context, request, response, Action::Read))
            return;
        auto view = m_fleet.alerts.get(path_match(request, 1));
        if (!view)
            return send_error(response, view.error());
        send_json(response, 200, alert_view(view->record, view->confirmations));
    }

    void create_alert(const Request& request, Response& response) {
        auto caller = authorize(m_context, request, response, Action::ManageAlerts);
        if (!caller)
            return;
        auto body = parse_json_body(request, response, "a JSON object with severity, status and headline");
        if (!body)
            return;
        static const std::set<std::string> known{"id",      "zones",       "all_zones", "severity",
                                                 "status",  "headline",    "text",      "media",
                                                 "expires", "repeat_count"};
        for (const auto& [key, value] : body->items())
            if (!known.contains(key))
                return send_bad_request(response, key + ": unknown field");
        AlertRequest alert;
        auto id = optional_string(*body, "id");
        auto headline = required_string(*body, "headline");
        auto text = optional_string(*body, "text");
        auto media = optional_string(*body, "media");
        auto all_zones = optional_boolean(*body, "all_zones");
        auto expires = optional_string(*body, "expires");
        auto severity = required_string(*body, "severity");
        auto status = required_string(*body, "status");
        auto repeat = optional_integer(*body, "repeat_count");
        for (const auto* failed : {&id, &text, &media, &expires})
            if (!*failed)
                return send_bad_request(response, failed->error().detail);
        if (!headline)
            return send_bad_request(response, headline.error().detail);
        if (!all_zones)
            return send_bad_request(response, all_zones.error().detail);
        if (!severity)
            return send_bad_request(response, severity.error().detail);
        if (!status)
            return send_bad_request(response, status.error().detail);
        if (!repeat)
            return send_bad_request(response, repeat.error().detail);
        if (*status == "actual")
            alert.status = scheduler::AlertStatus::Actual;
        else if (*status == "exercise")
            alert.status = scheduler::AlertStatus::Exercise;
        else
            return send_error(response, 422, "invalid-input", "status: expected actual or exercise");
        auto parsed_severity = parse_severity(*severity);
        if (!parsed_severity)
            return send_error(response, parsed_severity.error());
        alert.severity = *parsed_severity;
        alert.id = *id;
        alert.headline = *headline;
        alert.text = text->value_or("");
        alert.media = *media;
        alert.all_zones = all_zones->value_or(false);
        if (*repeat) {
            if (**repeat < 0 || **repeat > 100)
                return send_error(response, 422, "invalid-input", "repeat_count: must be 0..100");
            alert.repeat.count = static_cast<int>(**repeat);
        }
        if (*expires) {
            auto at = parse_utc(**expires);
            if (!at)
                return send_error(response, 422, "invalid-input", "expires: " + at.error().detail);
            alert.expires = *at;
        }
        if (body->contains("zones")) {
            const auto& zones = (*body)["zones"];
            if (!zones.is_array())
                return send_bad_request(response, "zones: expected an array of zone ids");
            for (const auto& zone : zones) {
                if (!zone.is_string())
                    return send_bad_request(response, "zones: expected an array of zone ids");
                alert.zones.push_back(zone.get<std::string>());
            }
        }
        auto created = m_fleet.alerts.create(caller->user, std::move(alert));
        if (!created)
            return send_error(response, created.error());
        send_json(response, 201, alert_view(*created, {}));
    }

    void confirm_alert(const Request& request, Response& response) {
        auto caller = authorize(m_context, request, response, Action::ManageAlerts);
        if (!caller)
            return;
        auto confirmed = m_fleet.alerts.confirm(caller->user, path_match(request, 1));
        if (!confirmed)
            return send_error(response, confirmed.error());
        send_json(response, 200, alert_view(*confirmed, {}));
    }

    void cancel_alert(const Request& request, Response& response) {
        auto caller = authorize(m_context, request, response, Action::ManageAlerts);
        if (!caller)
            return;
        auto cancelled = m_fleet.alerts.cancel(caller->user, path_match(request, 1));
        if (!cancelled)
            return send_error(response, cancelled.error());
        send_json(response, 200, alert_view(*cancelled, {}));
    }

    void import_cap(const Request& request, Response& response) {
        auto caller = authorize(m_context, request, response, Action::ManageAlerts);
        if (!caller)
            return;
        CapMapping mapping;
        mapping.geocodes = m_context.config.cap.geocodes;
        mapping.match_area_desc = m_context.config.cap.match_area_desc;
        auto zones = m_context.store.read_value<std::vector<ZoneRecord>>(
            [&](StoreTransaction& transaction) { return transaction.list_zones(); });
        if (!zones)
            return send_error(response, zones.error());
        for (const auto& zone : *zones) mapping.zones.push_back(CapZone{zone.id, zone.name});
        auto parsed = parse_cap(request.body, mapping);
        if (!parsed)
            return send_error(response, 400, "bad-request", parsed.error().detail);
        if (parsed->action == CapAction::Cancel) {
            auto cancelled = m_fleet.alerts.cancel(caller->user, parsed->cancel_alert_id);
            if (!cancelled)
                return send_error(response, cancelled.error());
            return send_json(response, 200, alert_view(*cancelled, {}));
        }
        auto created = m_fleet.alerts.create(caller->user, std::move(parsed->request));
        if (!created)
            return send_error(response, created.error());
        send_json(response, 201, alert_view(*created, {}));
    }

    template <class Rows, class Json>
    void report(const Request& request, Response& response, const std::string& name,
                Result<Rows> (ReportService::*make)(ReportRange), Json&& to_json_row) {
        if (!authorize(m_context, request, response, Action::Read))
            return;
        auto range = parse_range(request);
        if (!range)
            return send_error(response, range.error());
        auto rows = (m_fleet.reports.*make)(*range);
        if (!rows)
            return send_error(response, rows.error());
        const std::string format = request.has_param("format") ? request.get_param_value("format") : "json";
        if (format == "csv")
            return send_csv(response, name, to_csv(*rows));
        if (format != "json")
            return send_error(response, 422, "invalid-input", "format: expected json or csv");
        auto items = nlohmann::ordered_json::array();
        for (const auto& row : *rows) items.push_back(to_json_row(row));
        send_json(response, 200,
                  {{"from", format_utc(range->from)}, {"to", format_utc(range->to)}, {"items", items}});
    }

private:
    ApiContext& m_context;
    FleetServices& m_fleet;
};

}  // namespace

void register_fleet_routes(ApiServer& server, ApiContext& context, FleetServices& fleet) {
    auto routes = std::make_shared<FleetRoutes>(context, fleet);
    auto bind = [routes](void (FleetRoutes::*handler)(const Request&, Response&)) {
        return [routes, handler](const Request& request, Response& response) {
            ((*routes).*handler)(request, response);
        };
    };
    auto& http = server.http();
    http.Get(route("/devices"), bind(&FleetRoutes::list_devices));
    http.Post(route("/devices"), bind(&FleetRoutes::register_device));
    http.Get(route("/devices/" + id_pattern), bind(&FleetRoutes::get_device));
    http.Put(route("/devices/" + id_pattern), bind(&FleetRoutes::update_device));
    http.Post(route("/devices/" + id_pattern + "/revoke"), bind(&FleetRoutes::revoke_device));
    http.Post(route("/devices/" + id_pattern + "/credentials"), bind(&FleetRoutes::new_credentials));
    http.Post(route("/devices/" + id_pattern + "/commands"), bind(&FleetRoutes::send_command));
    http.Put(route("/devices/" + id_pattern + "/screenshot"),
             [routes](const Request& request, Response& response, const httplib::ContentReader& reader) {
                 routes->put_screenshot(request, response, reader);
             });
    http.Get(route("/devices/" + id_pattern + "/screenshot"), bind(&FleetRoutes::get_screenshot));
    http.Get(route("/fleet/status"), bind(&FleetRoutes::fleet_status));
    http.Get(route("/device-media/" + sha256_pattern), bind(&FleetRoutes::device_media));
    http.Get(route("/alerts"), bind(&FleetRoutes::list_alerts));
    http.Post(route("/alerts"), bind(&FleetRoutes::create_alert));
    http.Post(route("/alerts/cap"), bind(&FleetRoutes::import_cap));
    http.Get(route("/alerts/" + id_pattern), bind(&FleetRoutes::get_alert));
    http.Post(route("/alerts/" + id_pattern + "/confirm"), bind(&FleetRoutes::confirm_alert));
    http.Post(route("/alerts/" + id_pattern + "/cancel"), bind(&FleetRoutes::cancel_alert));
    http.Get(route("/reports/plays"), [routes](const Request& request, Response& response) {
        routes->report(request, response, "plays", &ReportService::plays, [](const PlaysRow& row) {
            return nlohmann::ordered_json{{"campaign", row.campaign},
                                          {"day", row.day},
                                          {"zone", row.zone},
                                          {"completed", row.completed},
                                          {"interrupted", row.interrupted},
                                          {"failed", row.failed},
                                          {"cut_short", row.cut_short},
                                          {"played_ms", row.played_ms},
                                          {"muted", row.muted}};
        });
    });
    http.Get(route("/reports/delivery"), [routes](const Request& request, Response& response) {
        routes->report(request, response, "delivery", &ReportService::delivery, [](const DeliveryRow& row) {
            return nlohmann::ordered_json{{"campaign", row.campaign},
                                          {"planned", row.planned},
                                          {"delivered", row.delivered},
                                          {"ratio", row.ratio},
                                          {"under_delivered", row.under_delivered}};
        });
    });
    http.Get(route("/reports/uptime"), [routes](const Request& request, Response& response) {
        routes->report(request, response, "uptime", &ReportService::uptime, [](const UptimeRow& row) {
            auto changes = nlohmann::ordered_json::array();
            for (const auto& change : row.changes)
                changes.push_back({{"at", format_utc(change.at)}, {"online", change.online}});
            return nlohmann::ordered_json{
                {"device", row.device},
                {"zone", row.zone},
                {"online", row.online},
                {"last_seen", row.last_seen ? nlohmann::ordered_json(format_utc(*row.last_seen)) : nullptr},
                {"online_s", std::chrono::duration_cast<std::chrono::seconds>(row.online_time).count()},
                {"observed_s", std::chrono::duration_cast<std::chrono::seconds>(row.observed_time).count()},
                {"uptime", row.uptime},
                {"changes", changes}};
        });
    });
}

}  // namespace bantin::controller
