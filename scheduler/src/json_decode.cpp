// The model's JSON, read strictly: wrong types, unknown fields and bad values are refused with
// the field's path (docs/model.md).
#include "bantin/scheduler/json.hpp"

#include "bantin/common/time.hpp"
#include "json_reader.hpp"

namespace bantin::scheduler {

using namespace detail;

// ---------- decoding ----------

Result<Device> device_from_json(const json& value, std::string_view path) {
    ObjectReader reader{value, std::string{path}};
    Device device;
    device.id = reader.string("id");
    device.kind = reader.choice("kind", device_kind_names, true, DeviceKind::Screen);
    device.zone = reader.string("zone");
    device.tags = reader.strings("tags");
    device.time_zone = reader.string("time_zone", false, std::string{default_time_zone});
    device.on_hours = reader.windows("on_hours");
    device.quiet_hours = reader.windows("quiet_hours");
    device.default_volume = reader.small_integer("default_volume", false, 80);
    if (const json* steps = reader.get("volume_schedule", false)) {
        if (!steps->is_array()) {
            reader.fail_at("volume_schedule", "expected an array, got " + type_name(*steps));
        } else {
            for (std::size_t i = 0; i < steps->size() && reader.ok(); ++i) {
                ObjectReader step{(*steps)[i],
                                  reader.field("volume_schedule") + "[" + std::to_string(i) + "]"};
                const auto text = step.string("window");
                const auto window = ObjectReader::parse_window(text);
                if (step.ok() && !window) {
                    step.fail_at("window", "expected \"HH:MM-HH:MM\", got \"" + text + "\"");
                }
                const int volume = step.small_integer("volume", true, 0);
                step.finish();
                if (!step.ok()) {
                    reader.fail_with(step.error());
                    break;
                }
                device.volume_schedule.push_back({*window, volume});
            }
        }
    }
    device.has_speaker = reader.boolean("has_speaker", device.kind == DeviceKind::Speaker);
    if (const json* layout = reader.get("layout", false)) {
        ObjectReader bands{*layout, reader.field("layout")};
        device.layout.header_permille = bands.small_integer("header_permille", false, 0);
        device.layout.ticker_permille = bands.small_integer("ticker_permille", false, 0);
        bands.finish();
        if (!bands.ok()) {
            reader.fail_with(bands.error());
        }
    }
    device.zone_name = reader.string("zone_name", false);
    device.board_url = reader.string("board_url", false);
    reader.finish();
    if (!reader.ok()) {
        return std::unexpected(reader.error());
    }
    return device;
}

Result<MediaRef> media_from_json(const json& value, std::string_view path) {
    ObjectReader reader{value, std::string{path}};
    MediaRef media;
    media.sha256 = reader.string("sha256");
    media.type = reader.choice("type", media_type_names, true, MediaType::Video);
    media.duration = reader.duration_ms("duration_ms");
    const bool default_audio = media.type != MediaType::Image;
    media.has_audio = reader.boolean("has_audio", default_audio);
    media.has_video = reader.boolean("has_video", media.type == MediaType::Video);
    media.name = reader.string("name", false);
    if (const json* speech = reader.get("speech", false); speech != nullptr) {
        if (!speech->is_string()) {
            reader.fail_at("speech", "expected the sha256 of the spoken audio, got " + type_name(*speech));
        } else if (media.type != MediaType::Text) {
            reader.fail_at("speech", "only a text notice has speech, this media is " +
                                         std::string{to_string(media.type)});
        } else {
            media.speech = speech->get<std::string>();
        }
    }
    for (const auto& [key, field, what] :
         {std::tuple{"url", &media.url, "the stream's http:// or https:// URL"},
          std::tuple{"filler", &media.filler, "the sha256 of the filler media"}}) {
        const json* found = reader.get(key, false);
        if (found == nullptr) {
            continue;
        }
        if (!found->is_string()) {
            reader.fail_at(key, std::string{"expected "} + what + ", got " + type_name(*found));
        } else if (media.type != MediaType::Stream) {
            reader.fail_at(key, std::string{"only a stream has "} + key + ", this media is " +
                                    std::string{to_string(media.type)});
        } else {
            *field = found->get<std::string>();
        }
    }
    reader.finish();
    if (!reader.ok()) {
        return std::unexpected(reader.error());
    }
    return media;
}

Result<Playlist> playlist_from_json(const json& value, std::string_view path) {
    ObjectReader reader{value, std::string{path}};
    Playlist playlist;
    playlist.id = reader.string("id");
    playlist.name = reader.string("name", false);
    auto items = read_array<PlaylistItem>(
        reader, "items", [](const json& element, const std::string& item_path) -> Result<PlaylistItem> {
            ObjectReader item_reader{element, item_path};
            PlaylistItem item;
            item.media = item_reader.string("media");
            item.duration = item_reader.duration_ms("duration_ms");
            item.weight = item_reader.small_integer("weight", false, 1);
            item_reader.finish();
            if (!item_reader.ok()) {
                return std::unexpected(item_reader.error());
            }
            return item;
        });
    if (!items) {
        return std::unexpected(items.error());
    }
    playlist.items = std::move(*items);
    reader.finish();
    if (!reader.ok()) {
        return std::unexpected(reader.error());
    }
    return playlist;
}

Result<Campaign> campaign_from_json(const json& value, std::string_view path) {
    ObjectReader reader{value, std::string{path}};
    Campaign campaign;
    campaign.id = reader.string("id");
    campaign.name = reader.string("name", false);
    campaign.playlist = reader.string("playlist");
    if (const json* selection = reader.get("targets", false)) {
        ObjectReader targets{*selection, reader.field("targets")};
        campaign.targets.zones = targets.strings("zones");
        const auto kinds = targets.strings("kinds");
        for (std::size_t i = 0; i < kinds.size(); ++i) {
            if (kinds[i] == "screen") {
                campaign.targets.kinds.push_back(DeviceKind::Screen);
            } else if (kinds[i] == "speaker") {
                campaign.targets.kinds.push_back(DeviceKind::Speaker);
            } else {
                targets.fail_at("kinds[" + std::to_string(i) + "]",
                                "expected screen | speaker, got \"" + kinds[i] + "\"");
            }
        }
        campaign.targets.tags = targets.strings("tags");
        campaign.targets.device_ids = targets.strings("device_ids");
        campaign.targets.exclude_device_ids = targets.strings("exclude_device_ids");
        targets.finish();
        if (!targets.ok()) {
            reader.fail_with(targets.error());
        }
    }
    for (const auto* key : {"valid_from", "valid_to"}) {
        const auto text = reader.string(key, false);
        if (text.empty()) {
            continue;
        }
        const auto date = parse_date(text);
        if (!date) {
            reader.fail_at(key, "expected a date \"YYYY-MM-DD\", got \"" + text + "\"");
            continue;
        }
        (std::string_view{key} == "valid_from" ? campaign.valid_from : campaign.valid_to) = *date;
    }
    if (reader.get("weekdays", false) != nullptr) {
        campaign.weekdays = 0;
        for (const auto& name : reader.strings("weekdays")) {
            const auto* found = std::find(std::begin(weekday_names), std::end(weekday_names), name);
            if (found == std::end(weekday_names)) {
                reader.fail_at("weekdays",
                               "expected mon | tue | wed | thu | fri | sat | sun, got \"" + name + "\"");
                break;
            }
            campaign.weekdays =
                static_cast<std::uint8_t>(campaign.weekdays | (1u << (found - std::begin(weekday_names))));
        }
    }
    campaign.windows = reader.windows("windows");
    campaign.mode = reader.choice("mode", mode_names, true, Mode::Loop);
    const auto times = reader.strings("fixed_times");
    for (std::size_t i = 0; i < times.size(); ++i) {
        auto minute = parse_clock(times[i]);
        if (!minute) {
            reader.fail_at("fixed_times[" + std::to_string(i) + "]", minute.error().detail);
            break;
        }
        campaign.fixed_times.push_back(*minute);
    }
    campaign.plays_per_hour = reader.small_integer("plays_per_hour", campaign.mode == Mode::ShareOfVoice, 0);
    campaign.level = reader.choice("level", level_names, false, Level::Normal);
    campaign.rank = reader.small_integer("rank", false, 0);
    campaign.weight = reader.small_integer("weight", false, 1);
    campaign.approval = reader.choice("approval", approval_state_names, false, ApprovalState::Draft);
    campaign.region = reader.choice("region", region_names, false, Region::Main);
    reader.finish();
    if (!reader.ok()) {
        return std::unexpected(reader.error());
    }
    return campaign;
}

Result<Alert> alert_from_json(const json& value, std::string_view path) {
    ObjectReader reader{value, std::string{path}};
    Alert alert;
    alert.id = reader.string("id");
    alert.zones = reader.strings("zones");
    alert.all_zones = reader.boolean("all_zones", false);
    alert.severity = reader.choice("severity", severity_names, false, Severity::Severe);
    alert.status = reader.choice("status", alert_status_names, true, AlertStatus::Actual);
    alert.issued = reader.instant("issued", true);
    alert.expires = reader.instant("expires", true);
    if (reader.get("cancelled", false) != nullptr) {
        alert.cancelled = reader.instant("cancelled", true);
    }
    alert.headline = reader.string("headline", false);
    alert.text = reader.string("text", false);
    alert.playlist = reader.string("playlist");
    if (const json* repeat = reader.get("repeat", false)) {
        ObjectReader repeat_reader{*repeat, reader.field("repeat")};
        alert.repeat.count = repeat_reader.small_integer("count", false, 1);
        alert.repeat.interval = std::chrono::seconds{repeat_reader.small_integer("interval_s", false, 0)};
        repeat_reader.finish();
        if (!repeat_reader.ok()) {
            reader.fail_with(repeat_reader.error());
        }
    }
    reader.finish();
    if (!reader.ok()) {
        return std::unexpected(reader.error());
    }
    return alert;
}

Result<Model> model_from_json(const json& value, std::string_view path) {
    ObjectReader reader{value, std::string{path}};
    Model model;
    auto devices = read_array<Device>(reader, "devices", device_from_json);
    if (!devices) {
        return std::unexpected(devices.error());
    }
    auto media = read_array<MediaRef>(reader, "media", media_from_json);
    if (!media) {
        return std::unexpected(media.error());
    }
    auto playlists = read_array<Playlist>(reader, "playlists", playlist_from_json);
    if (!playlists) {
        return std::unexpected(playlists.error());
    }
    auto campaigns = read_array<Campaign>(reader, "campaigns", campaign_from_json);
    if (!campaigns) {
        return std::unexpected(campaigns.error());
    }
    auto alerts = read_array<Alert>(reader, "alerts", alert_from_json);
    if (!alerts) {
        return std::unexpected(alerts.error());
    }
    reader.finish();
    if (!reader.ok()) {
        return std::unexpected(reader.error());
    }
    model.devices = std::move(*devices);
    model.media = std::move(*media);
    model.playlists = std::move(*playlists);
    model.campaigns = std::move(*campaigns);
    model.alerts = std::move(*alerts);
    return model;
}

Result<Model> parse_model(std::string_view text) {
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded()) {
        // Parse again with exceptions on to learn where it broke.
        try {
            const json reparsed = json::parse(text);
            (void)reparsed;
        } catch (const json::parse_error& error) {
            return fail(Errc::InvalidInput, "not valid JSON: " + std::string{error.what()});
        }
        return fail(Errc::InvalidInput, "not valid JSON");
    }
    return model_from_json(value);
}

}  // namespace bantin::scheduler
