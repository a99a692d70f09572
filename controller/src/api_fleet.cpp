// Devices (registration, settings, revocation, credentials), commands, screenshots, the fleet
// status and the device media route: docs/api.md "Fleet". Alerts and reports: api_alerts.cpp.

#include "api_content.hpp"
#include "api_fleet_routes.hpp"

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/scheduler/json.hpp"

#include <httplib.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace bantin::controller::api {
namespace {

using httplib::Request;
using httplib::Response;

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

}  // namespace

Refusal refusal(const DeviceBodyError& error) {
    return error.status == 400 ? Refusal::bad_request(error.detail) : Refusal::invalid(error.detail);
}

// The registration/update body is the schedule model's device (scheduler/json.hpp: id, kind,
// zone, tags, time_zone, on_hours, quiet_hours, default_volume, volume_schedule, has_speaker,
// layout) plus `name`; never zone_name or board_url, which the bundle builder fills in. On update the id
// comes from the path (a body id must match it).
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
    // The header's zone name and board address come from the zone and the configuration.
    for (const char* filled : {"zone_name", "board_url"}) {
        if (body.contains(filled))
            return std::unexpected(DeviceBodyError{
                400, std::string{filled} +
                         ": bộ điều khiển tự điền từ khu vực và cấu hình; the controller fills it in from "
                         "the zone and its configuration"});
    }
    auto device = scheduler::device_from_json(body);
    if (!device)
        return std::unexpected(DeviceBodyError{400, device.error().detail});
    if (auto problem = scheduler::layout_problem(device->layout); !problem.empty())
        return std::unexpected(DeviceBodyError{
            422,
            "layout: mỗi dải (đầu trang, chữ chạy) 0..500 phần nghìn chiều cao khung hình, cả hai "
            "cộng lại tối đa 600; " +
                problem});
    if (device->kind == scheduler::DeviceKind::Speaker && device->layout != scheduler::ScreenLayout{})
        return std::unexpected(DeviceBodyError{
            422, "layout: loa không có màn hình nên không có bố cục; a speaker has no screen layout"});
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

namespace {

Answer list_devices(FleetServices&, Call& call) {
    return list_page<DeviceRecord>(
        call, [](StoreTransaction& transaction, Page page) { return transaction.list_devices(page); },
        [](const DeviceRecord& device) { return device_to_json(device); });
}

Answer get_device(FleetServices& fleet, Call& call) {
    return show_one<DeviceRecord>(
        call, [&](StoreTransaction& transaction) { return transaction.device_by_id(call.capture(1)); },
        [&](const DeviceRecord& device) {
            return device_view(call.context.store, device, fleet.stalls, call.context.clock.wall());
        });
}

nlohmann::ordered_json provisioned_json(const DeviceRecord& device,
                                        const protocol::Provisioning& provisioning) {
    return {{"device", device_to_json(device)},
            {"provisioning", nlohmann::ordered_json::parse(protocol::encode(provisioning))}};
}

Answer register_device(FleetServices& fleet, Call& call) {
    auto parsed = device_from_body(call.body, std::nullopt, call.context.config.devices.default_time_zone);
    if (!parsed)
        return refuse(refusal(parsed.error()));
    auto& [device, name] = *parsed;
    auto registered = fleet.registry.register_device(call.user.user, device, name.value_or(device.id));
    if (!registered)
        return refuse(registered.error());
    if (fleet.publisher) {
        const std::vector<std::string> ids{device.id};
        (void)fleet.publisher->rebuild_devices(ids);
    }
    return ok(provisioned_json(registered->device, registered->provisioning), 201);
}

// PUT replaces every setting: what the body leaves out gets its default, as at registration.
Answer update_device(FleetServices& fleet, Call& call) {
    const std::string id = call.capture(1);
    auto parsed = device_from_body(call.body, id, call.context.config.devices.default_time_zone);
    if (!parsed)
        return refuse(refusal(parsed.error()));
    auto& [device, name] = *parsed;
    auto read_device = [&] {
        return call.context.store.read_value<DeviceRecord>(
            [&](StoreTransaction& transaction) { return transaction.device_by_id(id); });
    };
    auto current = read_device();
    if (!current)
        return refuse(current.error());
    if (is_safety_change(current->device, device))
        return refuse(Refusal(403, "permission-denied",
                              "giờ yên lặng và âm lượng chỉ đổi được qua PUT /devices/" + id +
                                  "/settings và người vận hành thứ hai xác nhận; quiet hours and volumes "
                                  "change through PUT /devices/" +
                                  id + "/settings and a second operator's confirmation (two-person rule)"));
    auto updated = fleet.registry.update_device(call.user.user, device, name.value_or(current->name));
    if (!updated)
        return refuse(updated.error());
    if (fleet.publisher) {
        const std::vector<std::string> ids{id};
        if (auto rebuilt = fleet.publisher->rebuild_devices(ids); rebuilt)
            if (auto reread = read_device(); reread)
                *updated = std::move(*reread);
    }
    return ok(device_to_json(*updated));
}

Answer revoke_device(FleetServices& fleet, Call& call) {
    auto revoked = fleet.registry.revoke(call.user.user, call.capture(1));
    if (!revoked)
        return refuse(revoked.error());
    return ok(device_to_json(*revoked));
}

Answer new_credentials(FleetServices& fleet, Call& call) {
    auto issued = fleet.registry.new_credentials(call.user.user, call.capture(1));
    if (!issued)
        return refuse(issued.error());
    return ok(provisioned_json(issued->device, issued->provisioning));
}

Answer fleet_status(FleetServices& fleet, Call& call) {
    auto devices = call.context.store.read_value<std::vector<DeviceRecord>>(
        [&](StoreTransaction& transaction) { return load_all_devices(transaction); });
    if (!devices)
        return refuse(devices.error());
    std::map<std::string, int> delivery;
    int online = 0, offline = 0, revoked = 0, proof_stalled = 0;
    const TimePoint now = call.context.clock.wall();
    auto items = nlohmann::ordered_json::array();
    for (const auto& device : *devices) {
        if (device.revoked) {
            ++revoked;
            continue;
        }
        device.online ? ++online : ++offline;
        ++delivery[std::string{to_string(delivery_state(device))}];
        auto row = device_to_json(device);
        row["proof_stalled_since"] = proof_stalled_since(fleet.stalls, device, now);
        if (!device.last_status.empty())
            if (auto status = protocol::decode_status(device.last_status); status) {
                row["now_playing"] = status->now_playing
                                         ? nlohmann::ordered_json{{"source", status->now_playing->source_id},
                                                                  {"media", status->now_playing->media}}
                                         : nlohmann::ordered_json(nullptr);
                row["last_error"] = status->last_error ? nlohmann::ordered_json(*status->last_error)
                                                       : nlohmann::ordered_json(nullptr);
            }
        const auto shot = fleet.screenshots ? fleet.screenshots->received(device.device.id) : std::nullopt;
        row["screenshot_received"] = shot ? nlohmann::ordered_json(format_utc(*shot)) : nullptr;
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
    if (fleet.services_health)
        for (const auto& service : fleet.services_health())
            services.push_back({{"name", service.name},
                                {"up", service.health.up},
                                {"pid", service.health.up ? nlohmann::ordered_json(service.health.pid)
                                                          : nlohmann::ordered_json(nullptr)},
                                {"restarts", service.health.restarts},
                                {"last_exit", service.health.last_exit},
                                {"last_error", service.health.last_error}});
    json["services"] = std::move(services);
    json["devices"] = std::move(items);
    return ok(json);
}

Answer send_command(FleetServices& fleet, Call& call) {
    BodyFields fields = call.fields();
    const std::string kind = fields.required_string("kind");
    const auto volume = fields.optional_integer("volume");
    if (auto refused = fields.refusal())
        return refuse(*refused);
    CommandRequest command;
    if (kind == "ping")
        command.kind = protocol::CommandKind::Ping;
    else if (kind == "set-volume")
        command.kind = protocol::CommandKind::SetVolume;
    else if (kind == "reload")
        command.kind = protocol::CommandKind::Reload;
    else if (kind == "screenshot")
        command.kind = protocol::CommandKind::Screenshot;
    else
        return refuse(
            Refusal::invalid("kind: expected ping, set-volume, reload or screenshot, got \"" + kind + "\""));
    if (volume) {
        if (*volume < 0 || *volume > 100)
            return refuse(Refusal::invalid("volume: must be 0..100"));
        command.volume = static_cast<int>(*volume);
    }
    if (!fleet.commands)
        return refuse(Refusal(503, "unavailable", "this controller sends no commands"));
    auto issued = fleet.commands->issue(call.user.user, call.capture(1), command);
    if (!issued)
        return refuse(issued.error());
    nlohmann::ordered_json json;
    json["id"] = issued->id;
    json["device"] = issued->device;
    json["kind"] = protocol::to_string(issued->kind);
    json["volume"] = issued->volume ? nlohmann::ordered_json(*issued->volume) : nullptr;
    json["upload_url"] = issued->upload_url ? nlohmann::ordered_json(*issued->upload_url) : nullptr;
    json["issued_at"] = format_utc(issued->issued_at);
    json["expires_at"] = format_utc(issued->expires_at);
    return ok(json, 202);
}

void get_screenshot(FleetServices& fleet, Call& call, Response& response) {
    if (!fleet.screenshots)
        return send_error(response, 404, "not-found", "this controller keeps no screenshots");
    const std::string id = call.capture(1);
    auto device = call.context.store.read_value<DeviceRecord>(
        [&](StoreTransaction& transaction) { return transaction.device_by_id(id); });
    if (!device)
        return send_error(response, device.error());
    auto shot = fleet.screenshots->latest(id);
    if (!shot)
        return send_error(response, shot.error());
    response.status = 200;
    response.set_header("Cache-Control", "no-store");
    response.set_header("X-Screenshot-Received", format_utc(shot->received));
    response.set_header("Last-Modified", http_date(shot->received));
    response.set_header("ETag", "\"" + shot->sha256 + "\"");
    response.set_content(std::move(shot->png), "image/png");
}

// Devices authenticate with HTTP basic: device id and the MQTT password of their
// provisioning file. On failure the 401 has been sent.
std::optional<DeviceRecord> authenticate_device(FleetServices& fleet, const Request& request,
                                                Response& response) {
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
    auto device = fleet.registry.authenticate_device(decoded->substr(0, colon), decoded->substr(colon + 1));
    if (!device) {
        response.set_header("WWW-Authenticate", "Basic realm=\"bantin-devices\"");
        send_error(response, device.error());
        return std::nullopt;
    }
    return std::move(*device);
}

void device_media(ApiContext& context, FleetServices& fleet, const Request& request, Response& response) {
    if (!authenticate_device(fleet, request, response))
        return;
    const std::string sha256 = path_match(request, 1);
    auto path = context.media.lookup(sha256);
    if (!path)
        return send_error(response, path.error());
    serve_media_file(request, response, *path, "application/octet-stream");
}

// A device uploads its own screenshot: body image/png, at most max_screenshot_bytes.
// Anything refused before the body is read closes the connection, so the unread body is
// not taken for the next request.
void put_screenshot(FleetServices& fleet, const Request& request, Response& response,
                    const httplib::ContentReader& reader) {
    auto refuse = [&](int status, std::string_view code, std::string_view detail) {
        response.set_header("Connection", "close");
        send_error(response, status, code, detail);
    };
    auto device = authenticate_device(fleet, request, response);
    if (!device) {
        response.set_header("Connection", "close");
        return;
    }
    const std::string id = path_match(request, 1);
    if (device->device.id != id)
        return refuse(403, "permission-denied",
                      "device \"" + device->device.id + "\" may upload only its own screenshot");
    if (!fleet.screenshots)
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
        return refuse(413, "too-large",
                      "screenshot is over the limit of " + std::to_string(max_screenshot_bytes) + " bytes");
    if (png.empty())
        return refuse(400, "bad-request", "body: empty; send the PNG");
    auto stored = fleet.screenshots->put(id, png);
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

}  // namespace

}  // namespace bantin::controller::api

namespace bantin::controller {

void register_fleet_routes(ApiServer& server, ApiContext& context, FleetServices& fleet) {
    using namespace api;
    Routes routes(server, context);
    auto with = [&fleet](Answer (*handler)(FleetServices&, Call&)) {
        return [&fleet, handler](Call& call) { return handler(fleet, call); };
    };
    const std::string device = route("/devices/" + std::string{id_pattern});
    const RouteRule read{Action::Read};
    const RouteRule manage{Action::ManageDevices};
    const RouteRule device_body{Action::ManageDevices, BodyRule::Required,
                                "a JSON object with id, kind and zone"};
    routes.get(route("/devices"), read, with(list_devices));
    routes.post(route("/devices"), device_body, with(register_device));
    routes.get(device, read, with(get_device));
    routes.put(device, {Action::ManageDevices, BodyRule::Required, "a JSON object with kind and zone"},
               with(update_device));
    routes.post(device + "/revoke", manage, with(revoke_device));
    routes.post(device + "/credentials", manage, with(new_credentials));
    routes.post(device + "/commands",
                {Action::ManageDevices, BodyRule::Required,
                 "a JSON object with kind: ping, set-volume, reload or screenshot"},
                with(send_command));
    routes.get_raw(device + "/screenshot", manage, [&fleet](Call& call, const Request&, Response& response) {
        get_screenshot(fleet, call, response);
    });
    routes.get(route("/fleet/status"), read, with(fleet_status));
    register_device_settings_routes(routes, fleet);
    register_alert_routes(routes, fleet);

    // The device's own routes: HTTP basic with its provisioning credentials, not a session.
    auto& http = server.http();
    http.Put(device + "/screenshot",
             [&fleet](const Request& request, Response& response, const httplib::ContentReader& reader) {
                 put_screenshot(fleet, request, response, reader);
             });
    http.Get(route("/device-media/" + std::string{sha256_pattern}),
             [&context, &fleet](const Request& request, Response& response) {
                 device_media(context, fleet, request, response);
             });
}

}  // namespace bantin::controller
