// Routes that preview the schedule: a device's timeline for one local day, as the player would
// resolve it, and the conflicts of a campaign over the next days (docs/api.md "Preview").
#include "api_content.hpp"
#include "api_route.hpp"

#include "bantin/common/time.hpp"
#include "bantin/config/controller_config.hpp"
#include "bantin/controller/model_builder.hpp"
#include "bantin/scheduler/conflicts.hpp"
#include "bantin/scheduler/resolver.hpp"

#include <date/tz.h>

#include <charconv>

namespace bantin::controller::api {

namespace {

constexpr int max_conflict_days = 62;

Result<std::chrono::year_month_day> parse_day(std::string_view text, std::string_view field) {
    auto day = parse_date(text);
    if (!day)
        return fail(Errc::InvalidInput, std::string{field} + ": " + day.error().detail);
    return *day;
}

// [local midnight of day, local midnight of the next day) in `time_zone`, as UTC instants.
Result<std::pair<TimePoint, TimePoint>> local_day_range(std::string_view time_zone,
                                                        std::chrono::year_month_day day) {
    try {
        const date::time_zone* zone = date::locate_zone(time_zone);
        const date::year_month_day date_day{date::year{static_cast<int>(day.year())},
                                            date::month{static_cast<unsigned>(day.month())},
                                            date::day{static_cast<unsigned>(day.day())}};
        const auto local = date::local_days{date_day};
        const auto from = zone->to_sys(local, date::choose::earliest);
        const auto to = zone->to_sys(local + date::days{1}, date::choose::earliest);
        return std::pair{TimePoint{std::chrono::duration_cast<Duration>(from.time_since_epoch())},
                         TimePoint{std::chrono::duration_cast<Duration>(to.time_since_epoch())}};
    } catch (const std::exception& error) {
        return fail(Errc::InvalidInput, "time zone \"" + std::string{time_zone} + "\": " + error.what());
    }
}

Result<std::chrono::year_month_day> today_in(std::string_view time_zone, TimePoint now) {
    try {
        const date::time_zone* zone = date::locate_zone(time_zone);
        const auto local = zone->to_local(now);
        const date::year_month_day day{date::floor<date::days>(local)};
        return std::chrono::year_month_day{std::chrono::year{static_cast<int>(day.year())},
                                           std::chrono::month{static_cast<unsigned>(day.month())},
                                           std::chrono::day{static_cast<unsigned>(day.day())}};
    } catch (const std::exception& error) {
        return fail(Errc::InvalidInput, "time zone \"" + std::string{time_zone} + "\": " + error.what());
    }
}

nlohmann::ordered_json entry_json(const scheduler::TimelineEntry& entry) {
    return nlohmann::ordered_json{{"start", format_utc(entry.start)},
                                  {"end", format_utc(entry.end)},
                                  {"source_kind", std::string{scheduler::to_string(entry.source_kind)}},
                                  {"source", std::string{entry.source_id}},
                                  {"item", entry.item_index},
                                  {"media", std::string{entry.media}},
                                  {"reason", std::string{scheduler::to_string(entry.reason)}},
                                  {"ending", std::string{scheduler::to_string(entry.ending)}},
                                  {"due", format_utc(entry.due)},
                                  {"media_offset_ms", entry.media_offset.count()}};
}

bool may_see_drafts(const User& user) {
    return allowed(user.role, Action::EditContent) || allowed(user.role, Action::DecideContent);
}

Answer device_timeline(Call& call) {
    ApiContext& context = call.context;
    const std::string id = call.capture(1);
    auto device = context.store.read_value<DeviceRecord>(
        [&](StoreTransaction& transaction) { return transaction.device_by_id(id); });
    if (!device)
        return refuse(device.error());

    std::chrono::year_month_day day{};
    if (auto day_text = call.parameter("day")) {
        auto parsed = parse_day(*day_text, "day");
        if (!parsed)
            return refuse(parsed.error());
        day = *parsed;
    } else {
        auto today = today_in(device->device.time_zone, context.clock.wall());
        if (!today)
            return refuse(today.error());
        day = *today;
    }
    bool drafts = may_see_drafts(call.user.user);
    if (auto value = call.parameter("drafts")) {
        if (*value != "0" && *value != "1")
            return refuse(Refusal::invalid("drafts: expected 0 or 1"));
        drafts = drafts && *value == "1";
    }
    auto range = local_day_range(device->device.time_zone, day);
    if (!range)
        return refuse(range.error());
    scheduler::Region region = scheduler::Region::Main;
    if (auto value = call.parameter("region")) {
        auto named = scheduler::value_in(scheduler::region_names, *value);
        if (!named)
            return refuse(Refusal::invalid("region: vùng phát là main hoặc ticker; expected main or ticker"));
        region = *named;
    }

    ModelOptions options;
    options.campaigns = drafts ? CampaignSelection::NotArchived : CampaignSelection::Approved;
    options.active_alerts_at = context.clock.wall();
    auto model = build_model(context.store, options);
    if (!model)
        return refuse(model.error());
    auto resolver = scheduler::Resolver::create(std::move(*model), scheduler::ResolveOptions{drafts});
    if (!resolver)
        return refuse(Refusal(409, "model-invalid",
                              "the stored schedule does not validate: " + resolver.error().detail));
    auto entries = resolver->resolve(device->device, range->first, range->second, region);
    if (!entries)
        return refuse(entries.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& entry : *entries) items.push_back(entry_json(entry));
    return ok(nlohmann::ordered_json{{"device", id},
                                     {"day", format_date(day)},
                                     {"time_zone", device->device.time_zone},
                                     {"from", format_utc(range->first)},
                                     {"to", format_utc(range->second)},
                                     {"drafts_included", drafts},
                                     {"region", scheduler::to_string(region)},
                                     {"entries", std::move(items)}});
}

Answer campaign_conflicts(Call& call) {
    ApiContext& context = call.context;
    const std::string id = call.capture(1);
    auto campaign = context.store.read_value<CampaignRecord>(
        [&](StoreTransaction& transaction) { return transaction.campaign_by_id(id); });
    if (!campaign)
        return refuse(campaign.error());
    std::chrono::year_month_day first_day{};
    if (auto day_text = call.parameter("day")) {
        auto parsed = parse_day(*day_text, "day");
        if (!parsed)
            return refuse(parsed.error());
        first_day = *parsed;
    } else {
        auto today = today_in(context.config.devices.default_time_zone, context.clock.wall());
        if (!today)
            return refuse(today.error());
        first_day = *today;
    }
    int days = 14;
    if (auto days_text = call.parameter("days")) {
        const std::string& text = *days_text;
        int parsed = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        if (error != std::errc{} || end != text.data() + text.size() || parsed < 1 ||
            parsed > max_conflict_days)
            return refuse(
                Refusal::invalid("days: expected an integer from 1 to " + std::to_string(max_conflict_days)));
        days = parsed;
    }
    ModelOptions options;
    options.campaigns = CampaignSelection::NotArchived;
    auto model = build_model(context.store, options);
    if (!model)
        return refuse(model.error());
    // An archived campaign is not in the model; checking it means checking it as it was.
    if (campaign->campaign.approval == scheduler::ApprovalState::Archived)
        model->campaigns.push_back(campaign->campaign);
    auto resolver = scheduler::Resolver::create(std::move(*model), scheduler::ResolveOptions{true});
    if (!resolver)
        return refuse(Refusal(409, "model-invalid",
                              "the stored schedule does not validate: " + resolver.error().detail));
    auto conflicts = scheduler::find_conflicts(*resolver, id, first_day, days);
    if (!conflicts)
        return refuse(conflicts.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& conflict : *conflicts) {
        items.push_back(nlohmann::ordered_json{
            {"kind", std::string{scheduler::to_string(conflict.kind)}},
            {"severity", std::string{scheduler::to_string(conflict.severity)}},
            {"campaign", conflict.campaign},
            {"other_campaign", conflict.other_campaign.empty()
                                   ? nlohmann::ordered_json(nullptr)
                                   : nlohmann::ordered_json(conflict.other_campaign)},
            {"device", conflict.device.empty() ? nlohmann::ordered_json(nullptr)
                                               : nlohmann::ordered_json(conflict.device)},
            {"at", conflict.at ? nlohmann::ordered_json(format_utc(*conflict.at))
                               : nlohmann::ordered_json(nullptr)},
            {"message", conflict.message}});
    }
    return ok(nlohmann::ordered_json{{"campaign", id},
                                     {"first_day", format_date(first_day)},
                                     {"days", days},
                                     {"conflicts", std::move(items)}});
}

}  // namespace

void register_preview_routes(Routes& routes) {
    const std::string id{id_pattern};
    routes.get(route("/campaigns/") + id + "/conflicts", {Action::Read}, campaign_conflicts);
    routes.get(route("/devices/") + id + "/timeline", {Action::Read}, device_timeline);
}

}  // namespace bantin::controller::api
