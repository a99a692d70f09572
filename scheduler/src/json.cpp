#include "bantin/scheduler/json.hpp"

#include "bantin/common/time.hpp"
#include "json_reader.hpp"

#include <cstdio>

namespace bantin::scheduler {

using namespace detail;

// ---------- clock text ----------

std::string format_clock(int minute_of_day) {
    return two_digits(minute_of_day / 60) + ":" + two_digits(minute_of_day % 60);
}

Result<int> parse_clock(std::string_view text) {
    if (text.size() != 5 || text[2] != ':') {
        return fail(Errc::InvalidInput, "expected \"HH:MM\", got \"" + std::string{text} + "\"");
    }
    const auto hours = parse_number(text.substr(0, 2));
    const auto minutes = parse_number(text.substr(3, 2));
    if (!hours || !minutes || *hours < 0 || *minutes < 0 || *minutes > 59 || *hours > 24 ||
        (*hours == 24 && *minutes != 0)) {
        return fail(Errc::InvalidInput,
                    "expected \"HH:MM\" between 00:00 and 24:00, got \"" + std::string{text} + "\"");
    }
    return *hours * 60 + *minutes;
}

// ---------- encoding ----------

ordered_json to_json(const Device& device) {
    ordered_json out;
    out["id"] = device.id;
    out["kind"] = to_string(device.kind);
    out["zone"] = device.zone;
    out["tags"] = strings_json(device.tags);
    out["time_zone"] = device.time_zone;
    out["on_hours"] = windows_json(device.on_hours);
    out["quiet_hours"] = windows_json(device.quiet_hours);
    out["default_volume"] = device.default_volume;
    ordered_json steps = ordered_json::array();
    for (const auto& step : device.volume_schedule) {
        steps.push_back(ordered_json{{"window", format_window(step.window)}, {"volume", step.volume}});
    }
    out["volume_schedule"] = std::move(steps);
    out["has_speaker"] = device.has_speaker;
    // Written only when set, so a bundle without them reads as before (and an older player
    // reads every bundle of a device that has none).
    if (device.layout != ScreenLayout{}) {
        out["layout"] = ordered_json{{"header_permille", device.layout.header_permille},
                                     {"ticker_permille", device.layout.ticker_permille}};
    }
    if (!device.zone_name.empty()) {
        out["zone_name"] = device.zone_name;
    }
    if (!device.board_url.empty()) {
        out["board_url"] = device.board_url;
    }
    return out;
}

ordered_json to_json(const MediaRef& media) {
    ordered_json out;
    out["sha256"] = media.sha256;
    out["type"] = to_string(media.type);
    if (media.duration) {
        out["duration_ms"] = media.duration->count();
    }
    out["has_audio"] = media.has_audio;
    out["has_video"] = media.has_video;
    if (!media.name.empty()) {
        out["name"] = media.name;
    }
    if (media.speech) {
        out["speech"] = *media.speech;
    }
    if (media.url) {
        out["url"] = *media.url;
    }
    if (media.filler) {
        out["filler"] = *media.filler;
    }
    return out;
}

ordered_json to_json(const Playlist& playlist) {
    ordered_json out;
    out["id"] = playlist.id;
    if (!playlist.name.empty()) {
        out["name"] = playlist.name;
    }
    ordered_json items = ordered_json::array();
    for (const auto& item : playlist.items) {
        ordered_json entry;
        entry["media"] = item.media;
        if (item.duration) {
            entry["duration_ms"] = item.duration->count();
        }
        entry["weight"] = item.weight;
        items.push_back(std::move(entry));
    }
    out["items"] = std::move(items);
    return out;
}

ordered_json to_json(const Campaign& campaign) {
    ordered_json out;
    out["id"] = campaign.id;
    if (!campaign.name.empty()) {
        out["name"] = campaign.name;
    }
    out["playlist"] = campaign.playlist;
    ordered_json selection;
    selection["zones"] = strings_json(campaign.targets.zones);
    ordered_json kinds = ordered_json::array();
    for (auto kind : campaign.targets.kinds) {
        kinds.push_back(to_string(kind));
    }
    selection["kinds"] = std::move(kinds);
    selection["tags"] = strings_json(campaign.targets.tags);
    selection["device_ids"] = strings_json(campaign.targets.device_ids);
    selection["exclude_device_ids"] = strings_json(campaign.targets.exclude_device_ids);
    out["targets"] = std::move(selection);
    if (campaign.valid_from) {
        out["valid_from"] = format_date(*campaign.valid_from);
    }
    if (campaign.valid_to) {
        out["valid_to"] = format_date(*campaign.valid_to);
    }
    ordered_json days = ordered_json::array();
    for (int day = 0; day < 7; ++day) {
        if (campaign.weekdays & (1u << day)) {
            days.push_back(weekday_names[day]);
        }
    }
    out["weekdays"] = std::move(days);
    out["windows"] = windows_json(campaign.windows);
    out["mode"] = to_string(campaign.mode);
    if (campaign.mode == Mode::FixedTime) {
        ordered_json times = ordered_json::array();
        for (int minute : campaign.fixed_times) {
            times.push_back(format_clock(minute));
        }
        out["fixed_times"] = std::move(times);
    }
    if (campaign.mode == Mode::ShareOfVoice) {
        out["plays_per_hour"] = campaign.plays_per_hour;
    }
    out["level"] = to_string(campaign.level);
    out["rank"] = campaign.rank;
    out["weight"] = campaign.weight;
    out["approval"] = to_string(campaign.approval);
    if (campaign.region != Region::Main) {
        out["region"] = to_string(campaign.region);
    }
    return out;
}

ordered_json to_json(const Alert& alert) {
    ordered_json out;
    out["id"] = alert.id;
    out["zones"] = strings_json(alert.zones);
    out["all_zones"] = alert.all_zones;
    out["severity"] = to_string(alert.severity);
    out["status"] = to_string(alert.status);
    out["issued"] = format_utc(alert.issued);
    out["expires"] = format_utc(alert.expires);
    if (alert.cancelled) {
        out["cancelled"] = format_utc(*alert.cancelled);
    }
    out["headline"] = alert.headline;
    out["text"] = alert.text;
    out["playlist"] = alert.playlist;
    out["repeat"] = ordered_json{
        {"count", alert.repeat.count},
        {"interval_s", std::chrono::duration_cast<std::chrono::seconds>(alert.repeat.interval).count()}};
    return out;
}

ordered_json to_json(const Model& model) {
    ordered_json out;
    auto list = [](const auto& values) {
        ordered_json array = ordered_json::array();
        for (const auto& value : values) {
            array.push_back(to_json(value));
        }
        return array;
    };
    out["devices"] = list(model.devices);
    out["media"] = list(model.media);
    out["playlists"] = list(model.playlists);
    out["campaigns"] = list(model.campaigns);
    out["alerts"] = list(model.alerts);
    return out;
}

}  // namespace bantin::scheduler
