// Alerts (with CAP import) and reports with CSV export: the routes of docs/api.md "Alerts" and
// "Reports", as plain handlers of a Call (api_route.hpp).

#include "api_content.hpp"
#include "api_fleet_routes.hpp"
#include "api_route.hpp"

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/bundle_builder.hpp"
#include "bantin/controller/cap.hpp"
#include "bantin/protocol/codec.hpp"

#include <httplib.h>

#include <algorithm>
#include <map>

namespace bantin::controller::api {

namespace {

nlohmann::ordered_json alert_view(const AlertRecord& record,
                                  const std::vector<AlertConfirmation>& confirmations) {
    nlohmann::ordered_json json;
    add_alert_fields(json, record);
    json["live"] = record.alert.status == scheduler::AlertStatus::Actual;
    json["media"] =
        record.media.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(record.media);
    json["created_by"] = record.created_by;
    auto confirmed = nlohmann::ordered_json::array();
    for (const auto& confirmation : confirmations)
        confirmed.push_back({{"user", confirmation.user}, {"at", format_utc(confirmation.at)}});
    json["confirmations"] = confirmed;
    return json;
}

// Where an alert stands now: awaiting-confirmation, active, cancelled or expired.
std::string alert_outcome(const AlertRecord& record, TimePoint now) {
    if (record.state == AlertState::Cancelled)
        return "cancelled";
    if (now >= record.alert.expires)
        return "expired";
    return record.state == AlertState::AwaitingConfirmation ? "awaiting-confirmation" : "active";
}

// People's names by id, read once each.
class UserNames {
public:
    explicit UserNames(StoreTransaction& transaction) : m_transaction(transaction) {}
    nlohmann::ordered_json operator()(std::optional<UserId> id) {
        if (!id)
            return nullptr;
        auto [at, fresh] = m_names.try_emplace(*id);
        if (fresh) {
            auto user = m_transaction.user_by_id(*id);
            at->second = user ? (user->display_name.empty() ? user->name : user->display_name) : "";
        }
        return at->second.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(at->second);
    }

private:
    StoreTransaction& m_transaction;
    std::map<UserId, std::string> m_names;
};

// An alert in the history: who raised, confirmed and cancelled it and when, and how it ended.
nlohmann::ordered_json history_view(const AlertRecord& record,
                                    const std::vector<AlertConfirmation>& confirmations, UserNames& names,
                                    TimePoint now) {
    auto json = alert_view(record, confirmations);
    json["outcome"] = alert_outcome(record, now);
    json["created"] = format_utc(record.created);
    json["created_by_name"] = names(record.created_by);
    for (auto& confirmation : json["confirmations"])
        confirmation["user_name"] = names(confirmation["user"].get<UserId>());
    json["cancelled_by"] =
        record.cancelled_by ? nlohmann::ordered_json(*record.cancelled_by) : nlohmann::ordered_json(nullptr);
    json["cancelled_by_name"] = names(record.cancelled_by);
    TimePoint ended = record.alert.expires;
    if (record.alert.cancelled)
        ended = std::min(ended, *record.alert.cancelled);
    json["ended"] =
        ended <= now ? nlohmann::ordered_json(format_utc(ended)) : nlohmann::ordered_json(nullptr);
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

Result<ReportRange> parse_range(const Call& call) {
    const auto from_text = call.parameter("from");
    const auto to_text = call.parameter("to");
    if (!from_text || !to_text)
        return fail(Errc::InvalidInput,
                    "from, to: cần cả hai (giờ UTC theo RFC 3339); both are required (RFC 3339 UTC)");
    auto from = parse_utc(*from_text);
    if (!from)
        return fail(Errc::InvalidInput, "from: thời điểm không hợp lệ; " + from.error().detail);
    auto to = parse_utc(*to_text);
    if (!to)
        return fail(Errc::InvalidInput, "to: thời điểm không hợp lệ; " + to.error().detail);
    ReportRange range{*from, *to};
    if (auto valid = check_range(range); !valid)
        return std::unexpected(valid.error());
    return range;
}

// The alert a POST /alerts body asks for: every field problem at once (400), then the values
// the rules refuse (422).
std::expected<AlertRequest, Refusal> alert_from_body(const Call& call) {
    BodyFields fields = call.fields();
    AlertRequest alert;
    auto id = fields.optional_string("id");
    alert.headline = fields.required_string("headline");
    alert.text = fields.optional_string("text").value_or("");
    alert.media = fields.optional_string("media");
    alert.tone = fields.optional_string("tone");
    alert.all_zones = fields.optional_boolean("all_zones").value_or(false);
    auto expires = fields.optional_string("expires");
    const std::string severity = fields.required_string("severity");
    const std::string status = fields.required_string("status");
    auto repeat = fields.optional_integer("repeat_count");
    if (auto zones = fields.optional_strings("zones"))
        alert.zones = std::move(*zones);
    if (auto replaces = fields.optional_strings("replaces"))
        alert.replaces = std::move(*replaces);
    if (auto refused = fields.refusal())
        return std::unexpected(*refused);
    alert.id = id;
    if (status == "actual")
        alert.status = scheduler::AlertStatus::Actual;
    else if (status == "exercise")
        alert.status = scheduler::AlertStatus::Exercise;
    else
        return std::unexpected(Refusal::invalid("status: expected actual or exercise"));
    auto parsed_severity = parse_severity(severity);
    if (!parsed_severity)
        return std::unexpected(parsed_severity.error());
    alert.severity = *parsed_severity;
    if (repeat) {
        if (*repeat < 0 || *repeat > 100)
            return std::unexpected(Refusal::invalid("repeat_count: must be 0..100"));
        alert.repeat.count = static_cast<int>(*repeat);
    }
    if (expires) {
        auto at = parse_utc(*expires);
        if (!at)
            return std::unexpected(Refusal::invalid("expires: " + at.error().detail));
        alert.expires = *at;
    }
    return alert;
}

Answer list_alerts(FleetServices& fleet, Call&) {
    auto active = fleet.alerts.active();
    if (!active)
        return refuse(active.error());
    auto items = nlohmann::ordered_json::array();
    for (const auto& record : *active) items.push_back(alert_view(record, {}));
    return ok({{"items", items}});
}

// GET /alert-history?from=&to=&limit=&cursor=: every alert of [from, to) (default: the last
// 30 days), active and ended, newest first.
Answer alert_history(FleetServices&, Call& call) {
    const TimePoint now = call.context.clock.wall();
    TimePoint from = now - std::chrono::days{30};
    TimePoint to = now + std::chrono::milliseconds{1};
    for (const auto& [name, bound] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
        auto text = call.parameter(name);
        if (!text)
            continue;
        auto at = parse_utc(*text);
        if (!at)
            return refuse(Refusal::invalid(std::string{name} +
                                           ": thời điểm không hợp lệ (giờ UTC theo RFC 3339); " +
                                           "not an RFC 3339 UTC instant: " + at.error().detail));
        *bound = *at;
    }
    if (to <= from)
        return refuse(Refusal::invalid("from, to: \"to\" phải sau \"from\"; to must be after from"));
    auto page = parse_page(call);
    if (!page)
        return refuse(page.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    auto read = call.context.store.read([&](StoreTransaction& transaction) -> Result<void> {
        auto alerts = transaction.list_alerts(from, to, page_probe(*page));
        if (!alerts)
            return std::unexpected(alerts.error());
        UserNames names(transaction);
        for (const auto& record : *alerts) {
            auto confirmations = transaction.alert_confirmations(record.alert.id);
            if (!confirmations)
                return std::unexpected(confirmations.error());
            items.push_back(history_view(record, *confirmations, names, now));
        }
        return {};
    });
    if (!read)
        return refuse(read.error());
    auto body = page_json(*page, std::move(items));
    body["from"] = format_utc(from);
    body["to"] = format_utc(to);
    return ok(std::move(body));
}

// GET /alerts/{id}/devices: each device the alert covers (and any other that played it) with
// what the controller knows of it: playing it now (its status), received (proof rows while the
// alert is active), ended (played, and the alert is over), or no-report.
Answer alert_devices(FleetServices&, Call& call) {
    const TimePoint now = call.context.clock.wall();
    const std::string id = call.capture(1);
    nlohmann::ordered_json body;
    auto read = call.context.store.read([&](StoreTransaction& transaction) -> Result<void> {
        auto record = transaction.alert_by_id(id);
        if (!record) {
            if (record.error().code == Errc::NotFound)
                return fail(Errc::NotFound,
                            "không tìm thấy cảnh báo \"" + id + "\"; alert \"" + id + "\" not found");
            return std::unexpected(record.error());
        }
        auto confirmations = transaction.alert_confirmations(id);
        if (!confirmations)
            return std::unexpected(confirmations.error());
        UserNames names(transaction);
        body = history_view(*record, *confirmations, names, now);
        const bool over = !body["ended"].is_null();
        TimePoint end = record->alert.expires;
        if (record->alert.cancelled)
            end = std::min(end, *record->alert.cancelled);
        // Rows of plays that ran to the alert's end start before it; a day more covers late clocks.
        auto plays = transaction.alert_plays_by_device(id, record->created - std::chrono::hours{1},
                                                       end + std::chrono::days{1});
        if (!plays)
            return std::unexpected(plays.error());
        std::map<std::string, const AlertDevicePlays*> by_device;
        for (const auto& row : *plays) by_device.emplace(row.device, &row);
        auto devices = load_all_devices(transaction);
        if (!devices)
            return std::unexpected(devices.error());
        auto rows = nlohmann::ordered_json::array();
        for (const auto& device : *devices) {
            const auto played = by_device.find(device.device.id);
            const bool covered =
                !device.revoked &&
                (record->alert.all_zones ||
                 std::ranges::find(record->alert.zones, device.device.zone) != record->alert.zones.end());
            if (!covered && played == by_device.end())
                continue;
            bool playing = false;
            if (!over && device.online && !device.last_status.empty())
                if (auto status = protocol::decode_status(device.last_status); status && status->now_playing)
                    playing = status->now_playing->source_id == id;
            std::string state = playing                     ? "playing"
                                : played == by_device.end() ? "no-report"
                                : over                      ? "ended"
                                                            : "received";
            nlohmann::ordered_json row{{"device", device.device.id},
                                       {"name", device.name.empty() ? device.device.id : device.name},
                                       {"zone", device.device.zone},
                                       {"online", device.online},
                                       {"state", state}};
            if (played != by_device.end()) {
                row["completed"] = played->second->completed;
                row["interrupted"] = played->second->interrupted;
                row["failed"] = played->second->failed;
                row["first_played"] = format_utc(played->second->first);
                row["last_played"] = format_utc(played->second->last);
            } else {
                row["completed"] = row["interrupted"] = row["failed"] = 0;
                row["first_played"] = row["last_played"] = nullptr;
            }
            rows.push_back(std::move(row));
        }
        body["devices"] = std::move(rows);
        return {};
    });
    if (!read)
        return refuse(read.error());
    return ok(std::move(body));
}

Answer get_alert(FleetServices& fleet, Call& call) {
    auto view = fleet.alerts.get(call.capture(1));
    if (!view)
        return refuse(view.error());
    return ok(alert_view(view->record, view->confirmations));
}

Answer create_alert(FleetServices& fleet, Call& call) {
    auto alert = alert_from_body(call);
    if (!alert)
        return refuse(alert.error());
    auto created = fleet.alerts.create(call.user.user, std::move(*alert));
    if (!created)
        return refuse(created.error());
    return ok(alert_view(*created, {}), 201);
}

Answer confirm_alert(FleetServices& fleet, Call& call) {
    auto confirmed = fleet.alerts.confirm(call.user.user, call.capture(1));
    if (!confirmed)
        return refuse(confirmed.error());
    return ok(alert_view(*confirmed, {}));
}

Answer cancel(FleetServices& fleet, Call& call, const std::string& id) {
    auto cancelled = fleet.alerts.cancel(call.user.user, id);
    if (!cancelled)
        return refuse(cancelled.error());
    return ok(alert_view(*cancelled, {}));
}

Answer cancel_alert(FleetServices& fleet, Call& call) {
    return cancel(fleet, call, call.capture(1));
}

Answer import_cap(FleetServices& fleet, Call& call) {
    CapMapping mapping;
    mapping.geocodes = call.context.config.cap.geocodes;
    mapping.match_area_desc = call.context.config.cap.match_area_desc;
    auto zones = call.context.store.read_value<std::vector<ZoneRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_zones(); });
    if (!zones)
        return refuse(zones.error());
    for (const auto& zone : *zones) mapping.zones.push_back(CapZone{zone.id, zone.name});
    auto parsed = parse_cap(call.raw_body, mapping);
    if (!parsed)
        return refuse(Refusal::bad_request(parsed.error().detail));
    if (parsed->action == CapAction::Cancel) {
        auto cancelled = fleet.alerts.cancel_chain(call.user.user, parsed->cancel_alert_ids);
        if (!cancelled)
            return refuse(cancelled.error());
        // The first alert cancelled, and the ids of the others of its chain.
        auto view = alert_view(cancelled->front(), {});
        auto others = nlohmann::ordered_json::array();
        for (std::size_t i = 1; i < cancelled->size(); ++i) others.push_back((*cancelled)[i].alert.id);
        view["also_cancelled"] = others;
        return ok(view);
    }
    auto created = fleet.alerts.create(call.user.user, std::move(parsed->request));
    if (!created)
        return refuse(created.error());
    return ok(alert_view(*created, {}), 201);
}

// A report as JSON, or as CSV with ?format=csv (a UTF-8 byte order mark, Vietnamese headers
// first; reports.hpp). `make` gives the rows for the range, `csv` writes them.
template <class Make, class Csv, class Json>
void report(Call& call, httplib::Response& response, const std::string& name, Make&& make, Csv&& csv,
            Json&& to_json_row) {
    auto range = parse_range(call);
    if (!range)
        return send_error(response, range.error());
    const std::string format = call.parameter("format").value_or("json");
    if (format != "json" && format != "csv")
        return send_error(response, 422, "invalid-input",
                          "format: chỉ nhận json hoặc csv; expected json or csv");
    auto rows = make(*range);
    if (!rows)
        return send_error(response, rows.error());
    if (format == "csv") {
        response.status = 200;
        response.set_header("Content-Disposition", "attachment; filename=\"" + name + ".csv\"");
        response.set_content(csv(*rows), "text/csv; charset=utf-8");
        return;
    }
    auto items = nlohmann::ordered_json::array();
    for (const auto& row : *rows) items.push_back(to_json_row(row));
    send_json(response, 200,
              {{"from", format_utc(range->from)}, {"to", format_utc(range->to)}, {"items", items}});
}

// ?group=: a comma list of campaign, zone and day (default campaign).
Result<DeliveryGrouping> parse_grouping(const Call& call) {
    const auto text = call.parameter("group");
    if (!text)
        return DeliveryGrouping{};
    DeliveryGrouping grouping{false, false, false};
    std::string_view rest{*text};
    while (true) {
        const auto comma = rest.find(',');
        const std::string_view key = rest.substr(0, comma);
        bool* flag = key == "campaign" ? &grouping.campaign
                     : key == "zone"   ? &grouping.zone
                     : key == "day"    ? &grouping.day
                                       : nullptr;
        if (flag == nullptr || *flag)
            return fail(Errc::InvalidInput,
                        "group: chỉ nhận campaign, zone, day hoặc danh sách cách nhau bởi dấu phẩy, "
                        "mỗi khóa một lần; expected campaign, zone, day or a comma list of them, each once");
        *flag = true;
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    return grouping;
}

nlohmann::ordered_json plays_json(const PlaysRow& row) {
    return {{"campaign", row.campaign},
            {"day", row.day},
            {"zone", row.zone},
            {"completed", row.completed},
            {"interrupted", row.interrupted},
            {"failed", row.failed},
            {"cut_short", row.cut_short},
            {"played_ms", row.played_ms},
            {"muted", row.muted},
            {"relayed_ms", row.relayed_ms},
            {"filler_ms", row.filler_ms},
            {"source_losses", row.source_losses}};
}

nlohmann::ordered_json delivery_json(const DeliveryRow& row) {
    return {{"campaign", row.campaign},
            {"zone", row.zone},
            {"day", row.day},
            {"planned", row.planned},
            {"delivered", row.delivered},
            {"ratio", row.ratio},
            {"under_delivered", row.under_delivered}};
}

nlohmann::ordered_json uptime_json(const UptimeRow& row) {
    auto changes = nlohmann::ordered_json::array();
    for (const auto& change : row.changes)
        changes.push_back({{"at", format_utc(change.at)}, {"online", change.online}});
    using std::chrono::duration_cast;
    using std::chrono::seconds;
    return {{"device", row.device},
            {"zone", row.zone},
            {"online", row.online},
            {"last_seen", row.last_seen ? nlohmann::ordered_json(format_utc(*row.last_seen)) : nullptr},
            {"online_s", duration_cast<seconds>(row.online_time).count()},
            {"observed_s", duration_cast<seconds>(row.observed_time).count()},
            {"uptime", row.uptime},
            {"changes", changes}};
}

nlohmann::ordered_json alert_plays_json(const AlertPlaysRow& row) {
    return {{"alert", row.alert},
            {"headline", row.headline},
            {"severity", row.severity},
            {"status", row.status},
            {"devices", row.devices},
            {"completed", row.completed},
            {"interrupted", row.interrupted},
            {"failed", row.failed},
            {"played_ms", row.played_ms},
            {"first_played", format_utc(row.first_played)},
            {"last_played", format_utc(row.last_played)}};
}

}  // namespace

void register_alert_routes(Routes& routes, FleetServices& fleet) {
    auto with = [&fleet](Answer (*handler)(FleetServices&, Call&)) {
        return [&fleet, handler](Call& call) { return handler(fleet, call); };
    };
    const RouteRule read{Action::Read};
    const RouteRule manage{Action::ManageAlerts, BodyRule::None};
    routes.get(route("/alerts"), read, with(list_alerts));
    routes.post(
        route("/alerts"),
        {Action::ManageAlerts, BodyRule::Required, "a JSON object with severity, status and headline"},
        with(create_alert));
    routes.post(route("/alerts/cap"), {Action::ManageAlerts, BodyRule::Raw}, with(import_cap));
    routes.get(route("/alerts/" + std::string{id_pattern}), read, with(get_alert));
    routes.get(route("/alert-history"), read, with(alert_history));
    routes.get(route("/alerts/" + std::string{id_pattern} + "/devices"), read, with(alert_devices));
    routes.post(route("/alerts/" + std::string{id_pattern} + "/confirm"), manage, with(confirm_alert));
    routes.post(route("/alerts/" + std::string{id_pattern} + "/cancel"), manage, with(cancel_alert));

    routes.get_raw(route("/reports/plays"), read,
                   [&fleet](Call& call, const httplib::Request&, httplib::Response& out) {
                       report(
                           call, out, "plays", [&](ReportRange range) { return fleet.reports.plays(range); },
                           [](const auto& rows) { return to_csv(rows); }, plays_json);
                   });
    routes.get_raw(route("/reports/delivery"), read,
                   [&fleet](Call& call, const httplib::Request&, httplib::Response& out) {
                       auto grouping = parse_grouping(call);
                       if (!grouping)
                           return send_error(out, grouping.error());
                       report(
                           call, out, "delivery",
                           [&](ReportRange range) { return fleet.reports.delivery(range, *grouping); },
                           [&](const auto& rows) { return to_csv(rows, *grouping); }, delivery_json);
                   });
    routes.get_raw(route("/reports/uptime"), read,
                   [&fleet](Call& call, const httplib::Request&, httplib::Response& out) {
                       report(
                           call, out, "uptime",
                           [&](ReportRange range) { return fleet.reports.uptime(range); },
                           [](const auto& rows) { return to_csv(rows); }, uptime_json);
                   });
    routes.get_raw(route("/reports/alerts"), read,
                   [&fleet](Call& call, const httplib::Request&, httplib::Response& out) {
                       report(
                           call, out, "alerts",
                           [&](ReportRange range) { return fleet.reports.alerts(range); },
                           [](const auto& rows) { return to_csv(rows); }, alert_plays_json);
                   });
}

}  // namespace bantin::controller::api
