#include "bantin/controller/record_json.hpp"

#include "bantin/scheduler/json.hpp"
#include "names.hpp"

namespace bantin::controller {

namespace {

using nlohmann::ordered_json;

ordered_json windows_json(const std::vector<scheduler::DailyWindow>& windows) {
    ordered_json array = ordered_json::array();
    for (const auto& window : windows) {
        array.push_back(
            ordered_json{{"start_minute", window.start_minute}, {"end_minute", window.end_minute}});
    }
    return array;
}

}  // namespace

ordered_json to_json(const User& user) {
    return ordered_json{{"id", user.id},
                        {"name", user.name},
                        {"display_name", user.display_name},
                        {"role", std::string{to_string(user.role)}},
                        {"disabled", user.disabled},
                        {"created", format_utc(user.created)}};
}

ordered_json to_json(const CampaignRecord& record) {
    const scheduler::Campaign& campaign = record.campaign;
    ordered_json kinds = ordered_json::array();
    for (auto kind : campaign.targets.kinds) kinds.push_back(std::string{names::of(kind)});
    ordered_json targets{{"zones", campaign.targets.zones},
                         {"kinds", kinds},
                         {"tags", campaign.targets.tags},
                         {"device_ids", campaign.targets.device_ids},
                         {"exclude_device_ids", campaign.targets.exclude_device_ids}};
    ordered_json json;
    json["id"] = campaign.id;
    json["name"] = campaign.name;
    json["playlist"] = campaign.playlist;
    json["targets"] = targets;
    json["valid_from"] =
        campaign.valid_from ? ordered_json(names::format_date(*campaign.valid_from)) : nullptr;
    json["valid_to"] = campaign.valid_to ? ordered_json(names::format_date(*campaign.valid_to)) : nullptr;
    json["weekdays"] = campaign.weekdays;
    json["windows"] = windows_json(campaign.windows);
    json["mode"] = std::string{names::of(campaign.mode)};
    json["fixed_times"] = campaign.fixed_times;
    json["plays_per_hour"] = campaign.plays_per_hour;
    json["level"] = std::string{names::of(campaign.level)};
    json["rank"] = campaign.rank;
    json["weight"] = campaign.weight;
    json["approval"] = std::string{names::of(campaign.approval)};
    json["region"] = std::string{names::of(campaign.region)};
    add_record_fields(json, record);
    json["version"] = record.version;
    return json;
}

void add_record_fields(ordered_json& json, const CampaignRecord& record) {
    json["author"] = record.author;
    json["last_editor"] = optional_user(record.last_editor);
    json["submitted_by"] = optional_user(record.submitted_by);
    json["decided_by"] = optional_user(record.decided_by);
    json["decision_note"] = record.decision_note;
    json["created"] = format_utc(record.created);
    json["updated"] = format_utc(record.updated);
    json["submitted"] = optional_time(record.submitted);
    json["decided"] = optional_time(record.decided);
    json["archived"] = optional_time(record.archived);
    // The approved version that plays while this newer one awaits approval (null: this one
    // plays, or nothing does).
    if (record.approved) {
        ordered_json approved = scheduler::to_json(record.approved->campaign);
        approved["version"] = record.approved->version;
        approved["decided_by"] = optional_user(record.approved->decided_by);
        approved["decided"] = optional_time(record.approved->decided);
        approved["decision_note"] = record.approved->decision_note;
        json["approved"] = std::move(approved);
    } else {
        json["approved"] = nullptr;
    }
}

ordered_json optional_time(const std::optional<TimePoint>& time) {
    if (!time)
        return nullptr;
    return format_utc(*time);
}

ordered_json optional_user(const std::optional<UserId>& user) {
    if (!user)
        return nullptr;
    return *user;
}

}  // namespace bantin::controller
