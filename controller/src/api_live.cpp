// Live channels: the routes of docs/api.md "Live channels", as plain handlers of a Call
// (api_route.hpp). Operators (the role that manages alerts) open and close them.

#include "api_content.hpp"
#include "api_route.hpp"

#include "bantin/controller/live.hpp"

namespace bantin::controller {

namespace {

using api::Answer;
using api::Call;
using api::Refusal;

nlohmann::ordered_json live_view(const LiveRecord& record, bool with_source) {
    nlohmann::ordered_json json;
    json["id"] = record.start.id;
    json["zones"] = record.start.zones;
    json["level"] = scheduler::to_string(record.start.level);
    json["url"] = record.start.url;
    json["mount"] = record.mount;
    if (with_source)
        json["source_url"] = record.source_url;
    json["started_at"] = format_utc(record.start.started_at);
    json["ends_at"] = format_utc(record.start.ends_at);
    json["opened_by"] = record.opened_by;
    return json;
}

Answer refuse_live(const Error& error) {
    if (error.code == Errc::Unsupported)
        return api::refuse(Refusal(503, "unavailable", error.detail));
    if (error.code == Errc::InvalidInput)
        return api::refuse(Refusal::invalid(error.detail));
    return api::refuse(error);
}

Answer open_live(LiveService& live, Call& call) {
    api::BodyFields fields = call.fields();
    LiveRequest request;
    if (auto zones = fields.optional_strings("zones"))
        request.zones = std::move(*zones);
    const std::string level = fields.optional_string("level").value_or("priority");
    auto duration = fields.optional_integer("duration_s");
    if (auto refused = fields.refusal())
        return api::refuse(*refused);
    auto parsed = scheduler::value_in(scheduler::level_names, level);
    if (!parsed)
        return api::refuse(Refusal::invalid("level: expected normal, priority or emergency"));
    request.level = *parsed;
    if (duration) {
        if (*duration < 1 || *duration > 12 * 3600)
            return api::refuse(Refusal::invalid("duration_s: must be 1..43200"));
        request.duration = std::chrono::seconds{*duration};
    }
    auto opened = live.open(call.user.user, std::move(request));
    if (!opened)
        return refuse_live(opened.error());
    return api::ok(live_view(*opened, true), 201);
}

Answer list_live(LiveService& live, Call&) {
    auto channels = live.open_channels();
    if (!channels)
        return api::refuse(channels.error());
    auto items = nlohmann::ordered_json::array();
    for (const auto& record : *channels) items.push_back(live_view(record, false));
    return api::ok({{"items", items}});
}

Answer close_live(LiveService& live, Call& call) {
    auto closed = live.close(call.user.user, call.capture(1));
    if (!closed)
        return refuse_live(closed.error());
    return api::ok(live_view(*closed, false));
}

}  // namespace

void register_live_routes(ApiServer& server, ApiContext& context, LiveService& live) {
    api::Routes routes(server, context);
    auto with = [&live](Answer (*handler)(LiveService&, Call&)) {
        return [&live, handler](Call& call) { return handler(live, call); };
    };
    routes.get(api::route("/live"), {Action::Read}, with(list_live));
    routes.post(
        api::route("/live"),
        {Action::ManageAlerts, api::BodyRule::Required, "a JSON object with zones, level and duration_s"},
        with(open_live));
    routes.post(api::route("/live/" + std::string{api::id_pattern} + "/close"),
                {Action::ManageAlerts, api::BodyRule::None}, with(close_live));
}

}  // namespace bantin::controller
