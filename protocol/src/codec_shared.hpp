#pragma once
// What the protocol codec's files share (internal to protocol/src): the enum tables, the small
// values (windows, identifiers, bounded text), the payload envelope, the media manifest and the
// bundle settings. codec_downlink.cpp holds the messages the controller sends (bundle, command,
// alert, alert cancel, ack), codec_uplink.cpp those devices send (status, proof of play,
// command reply) and the type dispatch of uplink topics.

#include "bantin/protocol/codec.hpp"

#include "bantin/scheduler/json.hpp"
#include "json_fields.hpp"

#include <algorithm>
#include <array>
#include <chrono>

namespace bantin::protocol::codec_detail {

using detail::check_identifier;
using detail::check_sha256;
using detail::element_path;
using detail::Json;
using detail::ObjectReader;
using Ordered = nlohmann::ordered_json;

inline constexpr std::chrono::hours max_command_lifetime{24};
inline constexpr std::size_t max_text_length = 1024;

// ---- enums -------------------------------------------------------------------------------

template <class Enum, std::size_t N>
Result<Enum> parse_enum(const ObjectReader& reader, std::string_view key, const std::array<Enum, N>& values,
                        std::string_view (*name)(Enum)) {
    auto text = reader.string(key);
    if (!text)
        return std::unexpected(text.error());
    std::string expected;
    for (Enum value : values) {
        if (name(value) == *text)
            return value;
        if (!expected.empty())
            expected += ", ";
        expected += name(value);
    }
    return fail(Errc::InvalidInput, reader.path(key) + ": expected one of " + expected);
}

inline constexpr std::array command_kinds{CommandKind::Ping, CommandKind::SetVolume, CommandKind::Reload,
                                          CommandKind::Screenshot};
inline constexpr std::array presences{Presence::Online, Presence::Offline};
inline constexpr std::array source_kinds{SourceKind::Campaign, SourceKind::Alert, SourceKind::Live};
inline constexpr std::array regions{scheduler::Region::Main, scheduler::Region::Ticker};
inline constexpr std::array outcomes{Outcome::Completed, Outcome::Interrupted, Outcome::Failed};
inline constexpr std::array reply_results{ReplyResult::Ok, ReplyResult::Error};
inline constexpr std::array media_types{scheduler::MediaType::Video, scheduler::MediaType::Image,
                                        scheduler::MediaType::Audio, scheduler::MediaType::Text,
                                        scheduler::MediaType::Stream};

// The same names the schedule model uses (docs/model.md).
inline std::string_view media_type_name(scheduler::MediaType type) {
    return scheduler::to_string(type);
}

inline std::string_view command_kind_name(CommandKind value) {
    return to_string(value);
}
inline std::string_view presence_name(Presence value) {
    return to_string(value);
}
inline std::string_view source_kind_name(SourceKind value) {
    return scheduler::to_string(value);
}
inline std::string_view region_name(scheduler::Region value) {
    return scheduler::to_string(value);
}
inline std::string_view outcome_name(Outcome value) {
    return to_string(value);
}
inline std::string_view reply_result_name(ReplyResult value) {
    return to_string(value);
}

// ---- small values ------------------------------------------------------------------------

// Windows are written as the schedule model writes them: "06:00-22:00" (docs/model.md).
inline std::string window_text(const scheduler::DailyWindow& window) {
    return scheduler::format_clock(window.start_minute) + "-" + scheduler::format_clock(window.end_minute);
}

inline Result<scheduler::DailyWindow> window_from(const Json& json, const std::string& path) {
    if (!json.is_string())
        return fail(Errc::InvalidInput, path + ": expected \"HH:MM-HH:MM\"");
    auto text = json.get<std::string>();
    auto dash = text.find('-');
    if (dash == std::string::npos)
        return fail(Errc::InvalidInput, path + ": expected \"HH:MM-HH:MM\"");
    auto start = scheduler::parse_clock(std::string_view(text).substr(0, dash));
    auto end = scheduler::parse_clock(std::string_view(text).substr(dash + 1));
    if (!start || !end)
        return fail(Errc::InvalidInput, path + ": expected \"HH:MM-HH:MM\"");
    return scheduler::DailyWindow{*start, *end};
}

inline Result<std::vector<scheduler::DailyWindow>> windows_from(const ObjectReader& parent,
                                                                std::string_view key) {
    auto array = parent.required(key);
    if (!array)
        return std::unexpected(array.error());
    std::string path = parent.path(key);
    if (!(*array)->is_array())
        return fail(Errc::InvalidInput, path + ": expected an array");
    std::vector<scheduler::DailyWindow> windows;
    for (std::size_t i = 0; i < (*array)->size(); ++i) {
        auto window = window_from((**array)[i], element_path(path, i));
        if (!window)
            return std::unexpected(window.error());
        windows.push_back(*window);
    }
    return windows;
}

inline Result<const Json*> array_field(const ObjectReader& reader, std::string_view key) {
    auto array = reader.required(key);
    if (!array)
        return std::unexpected(array.error());
    if (!(*array)->is_array())
        return fail(Errc::InvalidInput, reader.path(key) + ": expected an array");
    return array;
}

inline Result<std::vector<std::string>> identifiers_from(const ObjectReader& reader, std::string_view key) {
    auto array = array_field(reader, key);
    if (!array)
        return std::unexpected(array.error());
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < (*array)->size(); ++i) {
        const Json& element = (**array)[i];
        std::string path = element_path(reader.path(key), i);
        if (!element.is_string())
            return fail(Errc::InvalidInput, path + ": expected a string");
        auto id = element.get<std::string>();
        if (auto valid = check_identifier(id, path); !valid)
            return std::unexpected(valid.error());
        ids.push_back(std::move(id));
    }
    return ids;
}

inline Result<std::string> bounded_text(const ObjectReader& reader, std::string_view key, bool required) {
    if (!required && !reader.has(key))
        return std::string();
    auto text = reader.string(key);
    if (!text)
        return std::unexpected(text.error());
    if (text->size() > max_text_length) {
        return fail(Errc::InvalidInput,
                    reader.path(key) + ": longer than " + std::to_string(max_text_length) + " bytes");
    }
    return text;
}

inline Result<void> check_order(TimePoint first, TimePoint second, const ObjectReader& reader,
                                std::string_view second_key, std::string_view first_key) {
    if (second <= first) {
        return fail(Errc::InvalidInput,
                    reader.path(second_key) + ": must be after " + std::string(first_key));
    }
    return {};
}

// ---- envelope of every payload: {"v":1,"type":...} ---------------------------------------

inline Result<Json> open_payload(std::string_view text, MessageType type) {
    std::string name(to_string(type));
    auto json = detail::parse_document(text, name, size_limit(type));
    if (!json)
        return std::unexpected(json.error());
    if (!json->is_object())
        return fail(Errc::InvalidInput, name + ": expected an object");
    auto version = json->find("v");
    if (version == json->end())
        return fail(Errc::InvalidInput, name + ".v: missing");
    if (!version->is_number_integer())
        return fail(Errc::InvalidInput, name + ".v: expected an integer");
    if (!version->is_number_unsigned() || version->get<std::uint64_t>() != message_version) {
        return fail(Errc::Unsupported, name + ".v: version " + version->dump() +
                                           " is not supported (this build speaks " +
                                           std::to_string(message_version) + ")");
    }
    auto kind = json->find("type");
    if (kind == json->end())
        return fail(Errc::InvalidInput, name + ".type: missing");
    if (!kind->is_string() || kind->get<std::string>() != name) {
        return fail(Errc::InvalidInput, name + ".type: expected \"" + name + "\", found " + kind->dump());
    }
    return json;
}

inline Ordered header(MessageType type) {
    Ordered json = Ordered::object();
    json["v"] = message_version;
    json["type"] = to_string(type);
    return json;
}

inline std::string dump(const Ordered& json) {
    return json.dump(-1, ' ', false, Ordered::error_handler_t::replace);
}

// ---- media manifest ----------------------------------------------------------------------

inline Ordered manifest_json(const std::vector<MediaEntry>& manifest) {
    Ordered array = Ordered::array();
    for (const auto& entry : manifest) {
        Ordered json = Ordered::object();
        json["sha256"] = entry.sha256;
        json["size"] = entry.size;
        json["type"] = media_type_name(entry.type);
        if (entry.duration)
            json["duration_ms"] = entry.duration->count();
        json["url"] = entry.url;
        array.push_back(std::move(json));
    }
    return array;
}

inline Result<std::vector<MediaEntry>> manifest_from(const ObjectReader& parent, std::string_view key) {
    auto array = array_field(parent, key);
    if (!array)
        return std::unexpected(array.error());
    std::vector<MediaEntry> manifest;
    for (std::size_t i = 0; i < (*array)->size(); ++i) {
        std::string path = element_path(parent.path(key), i);
        auto reader =
            ObjectReader::open((**array)[i], path, {"sha256", "size", "type", "duration_ms", "url"});
        if (!reader)
            return std::unexpected(reader.error());
        MediaEntry entry;
        auto sha = reader->sha256("sha256");
        if (!sha)
            return std::unexpected(sha.error());
        entry.sha256 = *sha;
        auto size = reader->unsigned_integer("size");
        if (!size)
            return std::unexpected(size.error());
        entry.size = *size;
        auto type = parse_enum(*reader, "type", media_types, &media_type_name);
        if (!type)
            return std::unexpected(type.error());
        entry.type = *type;
        if (reader->has("duration_ms")) {
            auto duration = reader->integer("duration_ms", 0, INT64_MAX);
            if (!duration)
                return std::unexpected(duration.error());
            entry.duration = Duration{*duration};
        }
        auto url = reader->string("url");
        if (!url)
            return std::unexpected(url.error());
        if (!url->starts_with("http://") && !url->starts_with("https://")) {
            return fail(Errc::InvalidInput, reader->path("url") + ": expected an http:// or https:// URL");
        }
        entry.url = *url;
        for (const auto& earlier : manifest) {
            if (earlier.sha256 == entry.sha256) {
                return fail(Errc::InvalidInput, reader->path("sha256") + ": listed twice");
            }
        }
        manifest.push_back(std::move(entry));
    }
    return manifest;
}

// ---- bundle ------------------------------------------------------------------------------

inline Ordered settings_json(const Settings& settings) {
    Ordered json = Ordered::object();
    json["default_volume"] = settings.default_volume;
    Ordered steps = Ordered::array();
    for (const auto& step : settings.volume_schedule) {
        Ordered item = Ordered::object();
        item["window"] = window_text(step.window);
        item["volume"] = step.volume;
        steps.push_back(std::move(item));
    }
    json["volume_schedule"] = std::move(steps);
    Ordered on = Ordered::array();
    for (const auto& window : settings.on_hours) on.push_back(window_text(window));
    json["on_hours"] = std::move(on);
    Ordered quiet = Ordered::array();
    for (const auto& window : settings.quiet_hours) quiet.push_back(window_text(window));
    json["quiet_hours"] = std::move(quiet);
    return json;
}

inline Result<Settings> settings_from(const ObjectReader& parent, std::string_view key) {
    auto value = parent.required(key);
    if (!value)
        return std::unexpected(value.error());
    auto reader = ObjectReader::open(**value, parent.path(key),
                                     {"default_volume", "volume_schedule", "on_hours", "quiet_hours"});
    if (!reader)
        return std::unexpected(reader.error());
    Settings settings;
    auto volume = reader->integer("default_volume", 0, 100);
    if (!volume)
        return std::unexpected(volume.error());
    settings.default_volume = static_cast<int>(*volume);
    auto steps = array_field(*reader, "volume_schedule");
    if (!steps)
        return std::unexpected(steps.error());
    for (std::size_t i = 0; i < (*steps)->size(); ++i) {
        auto step = ObjectReader::open((**steps)[i], element_path(reader->path("volume_schedule"), i),
                                       {"window", "volume"});
        if (!step)
            return std::unexpected(step.error());
        auto window_json = step->required("window");
        if (!window_json)
            return std::unexpected(window_json.error());
        auto window = window_from(**window_json, step->path("window"));
        if (!window)
            return std::unexpected(window.error());
        auto step_volume = step->integer("volume", 0, 100);
        if (!step_volume)
            return std::unexpected(step_volume.error());
        settings.volume_schedule.push_back({*window, static_cast<int>(*step_volume)});
    }
    auto on = windows_from(*reader, "on_hours");
    if (!on)
        return std::unexpected(on.error());
    settings.on_hours = std::move(*on);
    auto quiet = windows_from(*reader, "quiet_hours");
    if (!quiet)
        return std::unexpected(quiet.error());
    settings.quiet_hours = std::move(*quiet);
    return settings;
}

// nlohmann may throw on values a scheduler codec produced (invalid UTF-8 in a name); the
// codec boundary turns that into an error rather than let it escape.
template <class Function>
auto catching(std::string_view what, Function&& function) -> Result<decltype(function())> {
    try {
        return function();
    } catch (const std::exception& error) {
        return fail(Errc::InvalidInput, std::string(what) + ": " + error.what());
    }
}

}  // namespace bantin::protocol::codec_detail
