#include "bantin/scheduler/json.hpp"

#include "bantin/common/time.hpp"

#include <charconv>
#include <cstdio>
#include <set>

namespace bantin::scheduler {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// ---------- text forms ----------

std::string two_digits(int value) {
    return std::string{static_cast<char>('0' + value / 10 % 10), static_cast<char>('0' + value % 10)};
}

std::string format_window(const DailyWindow& window) {
    return format_clock(window.start_minute) + "-" + format_clock(window.end_minute);
}

std::optional<int> parse_number(std::string_view text) {
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

constexpr std::string_view weekday_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// ---------- strict reading with field paths ----------

std::string type_name(const json& value) {
    return value.type_name();
}

// Reads one JSON object; remembers which keys were read so finish() can refuse the rest.
class ObjectReader {
public:
    ObjectReader(const json& value, std::string path) : m_value(value), m_path(std::move(path)) {
        if (!value.is_object()) {
            m_error = Error{Errc::InvalidInput, where() + ": expected an object, got " + type_name(value)};
        }
    }

    bool ok() const { return !m_error; }
    const Error& error() const { return *m_error; }
    std::string field(std::string_view key) const {
        return m_path.empty() ? std::string{key} : m_path + "." + std::string{key};
    }

    const json* get(std::string_view key, bool required) {
        if (m_error) {
            return nullptr;
        }
        m_read.insert(std::string{key});
        const auto it = m_value.find(key);
        if (it == m_value.end() || it->is_null()) {
            if (required) {
                fail_at(key, "is required");
            }
            return nullptr;
        }
        return &*it;
    }

    void fail_at(std::string_view key, std::string message) {
        if (!m_error) {
            m_error = Error{Errc::InvalidInput, field(key) + ": " + std::move(message)};
        }
    }
    void fail_with(Error error) {
        if (!m_error) {
            m_error = std::move(error);
        }
    }

    std::string string(std::string_view key, bool required = true, std::string fallback = {}) {
        const json* value = get(key, required);
        if (value == nullptr) {
            return fallback;
        }
        if (!value->is_string()) {
            fail_at(key, "expected a string, got " + type_name(*value));
            return fallback;
        }
        return value->get<std::string>();
    }

    std::int64_t integer(std::string_view key, bool required, std::int64_t fallback) {
        const json* value = get(key, required);
        if (value == nullptr) {
            return fallback;
        }
        if (!value->is_number_integer()) {
            fail_at(key, "expected an integer, got " + type_name(*value));
            return fallback;
        }
        return value->get<std::int64_t>();
    }

    int small_integer(std::string_view key, bool required, int fallback) {
        const std::int64_t value = integer(key, required, fallback);
        if (value < -1'000'000 || value > 1'000'000'000) {
            fail_at(key, "out of range");
            return fallback;
        }
        return static_cast<int>(value);
    }

    bool boolean(std::string_view key, bool fallback) {
        const json* value = get(key, false);
        if (value == nullptr) {
            return fallback;
        }
        if (!value->is_boolean()) {
            fail_at(key, "expected true or false, got " + type_name(*value));
            return fallback;
        }
        return value->get<bool>();
    }

    std::optional<Duration> duration_ms(std::string_view key) {
        const json* value = get(key, false);
        if (value == nullptr) {
            return std::nullopt;
        }
        if (!value->is_number_integer()) {
            fail_at(key, "expected an integer of milliseconds, got " + type_name(*value));
            return std::nullopt;
        }
        return Duration{value->get<std::int64_t>()};
    }

    std::vector<std::string> strings(std::string_view key) {
        std::vector<std::string> out;
        const json* value = get(key, false);
        if (value == nullptr) {
            return out;
        }
        if (!value->is_array()) {
            fail_at(key, "expected an array of strings, got " + type_name(*value));
            return out;
        }
        for (std::size_t i = 0; i < value->size(); ++i) {
            const auto& element = (*value)[i];
            if (!element.is_string()) {
                fail_at(std::string{key} + "[" + std::to_string(i) + "]",
                        "expected a string, got " + type_name(element));
                return out;
            }
            out.push_back(element.get<std::string>());
        }
        return out;
    }

    template <class Enum, std::size_t N>
    Enum choice(std::string_view key, const NameTable<Enum, N>& options, bool required, Enum fallback) {
        const json* value = get(key, required);
        if (value == nullptr) {
            return fallback;
        }
        if (value->is_string()) {
            if (auto found = value_in(options, value->get<std::string>())) {
                return *found;
            }
        }
        std::string expected;
        for (const auto& entry : options) {
            expected += (expected.empty() ? "" : " | ") + std::string{entry.second};
        }
        fail_at(key, "expected one of " + expected + ", got " + value->dump());
        return fallback;
    }

    TimePoint instant(std::string_view key, bool required) {
        const json* value = get(key, required);
        if (value == nullptr) {
            return TimePoint{};
        }
        if (!value->is_string()) {
            fail_at(key, "expected a UTC time string, got " + type_name(*value));
            return TimePoint{};
        }
        auto parsed = parse_utc(value->get<std::string>());
        if (!parsed) {
            fail_at(key, parsed.error().detail);
            return TimePoint{};
        }
        return *parsed;
    }

    std::vector<DailyWindow> windows(std::string_view key) {
        std::vector<DailyWindow> out;
        const auto texts = strings(key);
        for (std::size_t i = 0; i < texts.size(); ++i) {
            auto window = parse_window(texts[i]);
            if (!window) {
                fail_at(std::string{key} + "[" + std::to_string(i) + "]",
                        "expected \"HH:MM-HH:MM\", got \"" + texts[i] + "\"");
                return out;
            }
            out.push_back(*window);
        }
        return out;
    }

    // Refuses keys that were never read: a typo must not pass silently.
    void finish() {
        if (m_error) {
            return;
        }
        for (const auto& [key, value] : m_value.items()) {
            if (!m_read.contains(key)) {
                fail_at(key, "unknown field");
                return;
            }
        }
    }

    static std::optional<DailyWindow> parse_window(std::string_view text) {
        const auto dash = text.find('-');
        if (dash == std::string_view::npos) {
            return std::nullopt;
        }
        auto start = parse_clock(text.substr(0, dash));
        auto end = parse_clock(text.substr(dash + 1));
        if (!start || !end || *start >= 24 * 60) {
            return std::nullopt;
        }
        return DailyWindow{*start, *end};
    }

private:
    std::string where() const { return m_path.empty() ? std::string{"(top level)"} : m_path; }

    const json& m_value;
    std::string m_path;
    std::set<std::string, std::less<>> m_read;
    std::optional<Error> m_error;
};

template <class T, class Decode>
Result<std::vector<T>> read_array(ObjectReader& reader, std::string_view key, Decode decode) {
    std::vector<T> out;
    const json* value = reader.get(key, false);
    if (!reader.ok()) {
        return std::unexpected(reader.error());
    }
    if (value == nullptr) {
        return out;
    }
    if (!value->is_array()) {
        return fail(Errc::InvalidInput, reader.field(key) + ": expected an array, got " + type_name(*value));
    }
    out.reserve(value->size());
    for (std::size_t i = 0; i < value->size(); ++i) {
        auto element = decode((*value)[i], reader.field(key) + "[" + std::to_string(i) + "]");
        if (!element) {
            return std::unexpected(element.error());
        }
        out.push_back(std::move(*element));
    }
    return out;
}

ordered_json windows_json(const std::vector<DailyWindow>& windows) {
    ordered_json out = ordered_json::array();
    for (const auto& window : windows) {
        out.push_back(format_window(window));
    }
    return out;
}

ordered_json strings_json(const std::vector<std::string>& values) {
    ordered_json out = ordered_json::array();
    for (const auto& value : values) {
        out.push_back(value);
    }
    return out;
}

}  // namespace

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
