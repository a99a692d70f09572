#include "bantin/controller/api_fleet.hpp"

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/cap.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/keys.hpp"

#include <httplib.h>

namespace bantin::controller {
namespace {

using httplib::Request;
using httplib::Response;

const std::string id_pattern = "([A-Za-z0-9._-]{1,64})";
const std::string sha256_pattern = "([0-9a-f]{64})";

std::string route(std::string_view tail) {
    return "/api/v1" + std::string{tail};
}

nlohmann::ordered_json device_view(Store& store, const DeviceRecord& device) {
    auto json = device_to_json(device);
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

Result<scheduler::DeviceKind> parse_kind(std::string_view text) {
    if (text == "screen")
        return scheduler::DeviceKind::Screen;
    if (text == "speaker")
        return scheduler::DeviceKind::Speaker;
    return fail(Errc::InvalidInput, "kind: expected screen or speaker, got \"" + std::string{text} + "\"");
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

void send_csv(Response& response, const std::string& name, std::string body) {
    response.status = 200;
    response.set_header("Content-Disposition", "attachment; filename=\"" + name + ".csv\"");
    response.set_content(std::move(body), "text/csv; charset=utf-8");
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
        send_json(response, 200, device_view(m_context.store, *device));
    }

    void register_device(const Request& request, Response& response) {
        auto caller = authorize(m_context, request, response, Action::ManageDevices);
        if (!caller)
            return;
        auto body = parse_json_body(request, response);
        if (!body)
            return;
        for (const auto& [key, value] : body->items()) {
            static const std::set<std::string> known{"id",   "name",      "kind",        "zone",
                                                     "tags", "time_zone", "has_speaker", "default_volume"};
            if (!known.contains(key))
                return send_bad_request(response, key + ": unknown field");
        }
        auto id = required_string(*body, "id");
        if (!id)
            return send_bad_request(response, id.error().detail);
        auto zone = required_string(*body, "zone");
        if (!zone)
            return send_bad_request(response, zone.error().detail);
        auto kind_text = required_string(*body, "kind");
        if (!kind_text)
            return send_bad_request(response, kind_text.error().detail);
        auto kind = parse_kind(*kind_text);
        if (!kind)
            return send_error(response, kind.error());
        auto name = optional_string(*body, "name");
        auto time_zone = optional_string(*body, "time_zone");
        auto has_speaker = optional_boolean(*body, "has_speaker");
        auto volume = optional_integer(*body, "default_volume");
        if (!name || !time_zone || !has_speaker || !volume)
            return send_bad_request(response, !name          ? name.error().detail
                                              : !time_zone   ? time_zone.error().detail
                                              : !has_speaker ? has_speaker.error().detail
                                                             : volume.error().detail);
        scheduler::Device device;
        device.id = *id;
        device.zone = *zone;
        device.kind = *kind;
        device.time_zone = time_zone->value_or(m_context.config.devices.default_time_zone);
        device.has_speaker = has_speaker->value_or(*kind == scheduler::DeviceKind::Speaker);
        if (*volume) {
            if (**volume < 0 || **volume > 100)
                return send_error(response, 422, "invalid-input", "default_volume: must be 0..100");
            device.default_volume = static_cast<int>(**volume);
        }
        if (body->contains("tags")) {
            const auto& tags = (*body)["tags"];
            if (!tags.is_array())
                return send_bad_request(response, "tags: expected an array of strings");
            for (const auto& tag : tags) {
                if (!tag.is_string())
                    return send_bad_request(response, "tags: expected an array of strings");
                device.tags.push_back(tag.get<std::string>());
            }
        }
        auto registered = m_fleet.registry.register_device(caller->user, device, name->value_or(*id));
        if (!registered)
            return send_error(response, registered.error());
        if (m_fleet.publisher) {
            const std::vector<std::string> ids{*id};
            (void)m_fleet.publisher->rebuild_devices(ids);
        }
        nlohmann::ordered_json json;
        json["device"] = device_to_json(registered->device);
        json["provisioning"] = nlohmann::ordered_json::parse(protocol::encode(registered->provisioning));
        send_json(response, 201, json);
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
        int online = 0, offline = 0, revoked = 0;
        auto items = nlohmann::ordered_json::array();
        for (const auto& device : *devices) {
            if (device.revoked) {
                ++revoked;
                continue;
            }
            device.online ? ++online : ++offline;
            ++delivery[std::string{to_string(delivery_state(device))}];
            auto row = device_to_json(device);
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
            items.push_back(std::move(row));
        }
        nlohmann::ordered_json json;
        json["online"] = online;
        json["offline"] = offline;
        json["revoked"] = revoked;
        json["delivery"] = delivery;
        json["devices"] = std::move(items);
        send_json(response, 200, json);
    }

    // Devices authenticate with HTTP basic: device id and the MQTT password of their
    // provisioning file.
    void device_media(const Request& request, Response& response) {
        const std::string header = request.get_header_value("Authorization");
        const std::string prefix = "Basic ";
        if (header.compare(0, prefix.size(), prefix) != 0) {
            response.set_header("WWW-Authenticate", "Basic realm=\"bantin-devices\"");
            return send_error(response, 401, "unauthenticated", "device credentials required (HTTP basic)");
        }
        auto decoded = protocol::base64_decode(header.substr(prefix.size()));
        const auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (!decoded || colon == std::string::npos) {
            response.set_header("WWW-Authenticate", "Basic realm=\"bantin-devices\"");
            return send_error(response, 401, "unauthenticated", "malformed basic credentials");
        }
        auto device =
            m_fleet.registry.authenticate_device(decoded->substr(0, colon), decoded->substr(colon + 1));
        if (!device) {
            response.set_header("WWW-Authenticate", "Basic realm=\"bantin-devices\"");
            return send_error(response, device.error());
        }
        const std::string sha256 = path_match(request, 1);
        auto path = m_context.media.lookup(sha256);
        if (!path)
            return send_error(response, path.error());
        serve_media_file(request, response, *path, "application/octet-stream");
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
        auto body = parse_json_body(request, response);
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
    http.Post(route("/devices/" + id_pattern + "/revoke"), bind(&FleetRoutes::revoke_device));
    http.Post(route("/devices/" + id_pattern + "/credentials"), bind(&FleetRoutes::new_credentials));
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
                                          {"failed", row.failed}};
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
