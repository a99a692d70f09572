#include "bantin/protocol/codec.hpp"

#include "bantin/scheduler/json.hpp"
#include "json_fields.hpp"

#include <algorithm>
#include <array>
#include <chrono>

namespace bantin::protocol {
namespace {

using detail::check_identifier;
using detail::check_sha256;
using detail::element_path;
using detail::Json;
using detail::ObjectReader;
using Ordered = nlohmann::ordered_json;

constexpr std::chrono::hours max_command_lifetime{24};
constexpr std::size_t max_text_length = 1024;

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

constexpr std::array command_kinds{CommandKind::Ping, CommandKind::SetVolume, CommandKind::Reload,
                                   CommandKind::Screenshot};
constexpr std::array presences{Presence::Online, Presence::Offline};
constexpr std::array source_kinds{SourceKind::Campaign, SourceKind::Alert};
constexpr std::array outcomes{Outcome::Completed, Outcome::Interrupted, Outcome::Failed};
constexpr std::array reply_results{ReplyResult::Ok, ReplyResult::Error};
constexpr std::array media_types{scheduler::MediaType::Video, scheduler::MediaType::Image,
                                 scheduler::MediaType::Audio, scheduler::MediaType::Text,
                                 scheduler::MediaType::Stream};

// The same names the schedule model uses (docs/model.md).
std::string_view media_type_name(scheduler::MediaType type) {
    return scheduler::to_string(type);
}

std::string_view command_kind_name(CommandKind value) {
    return to_string(value);
}
std::string_view presence_name(Presence value) {
    return to_string(value);
}
std::string_view source_kind_name(SourceKind value) {
    return to_string(value);
}
std::string_view outcome_name(Outcome value) {
    return to_string(value);
}
std::string_view reply_result_name(ReplyResult value) {
    return to_string(value);
}

// ---- small values ------------------------------------------------------------------------

// Windows are written as the schedule model writes them: "06:00-22:00" (docs/model.md).
std::string window_text(const scheduler::DailyWindow& window) {
    return scheduler::format_clock(window.start_minute) + "-" + scheduler::format_clock(window.end_minute);
}

Result<scheduler::DailyWindow> window_from(const Json& json, const std::string& path) {
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

Result<std::vector<scheduler::DailyWindow>> windows_from(const ObjectReader& parent, std::string_view key) {
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

Result<const Json*> array_field(const ObjectReader& reader, std::string_view key) {
    auto array = reader.required(key);
    if (!array)
        return std::unexpected(array.error());
    if (!(*array)->is_array())
        return fail(Errc::InvalidInput, reader.path(key) + ": expected an array");
    return array;
}

Result<std::vector<std::string>> identifiers_from(const ObjectReader& reader, std::string_view key) {
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

Result<std::string> bounded_text(const ObjectReader& reader, std::string_view key, bool required) {
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

Result<void> check_order(TimePoint first, TimePoint second, const ObjectReader& reader,
                         std::string_view second_key, std::string_view first_key) {
    if (second <= first) {
        return fail(Errc::InvalidInput,
                    reader.path(second_key) + ": must be after " + std::string(first_key));
    }
    return {};
}

// ---- envelope of every payload: {"v":1,"type":...} ---------------------------------------

Result<Json> open_payload(std::string_view text, MessageType type) {
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

Ordered header(MessageType type) {
    Ordered json = Ordered::object();
    json["v"] = message_version;
    json["type"] = to_string(type);
    return json;
}

std::string dump(const Ordered& json) {
    return json.dump(-1, ' ', false, Ordered::error_handler_t::replace);
}

// ---- media manifest ----------------------------------------------------------------------

Ordered manifest_json(const std::vector<MediaEntry>& manifest) {
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

Result<std::vector<MediaEntry>> manifest_from(const ObjectReader& parent, std::string_view key) {
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

Ordered settings_json(const Settings& settings) {
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

Result<Settings> settings_from(const ObjectReader& parent, std::string_view key) {
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

}  // namespace

std::string_view to_string(MessageType type) {
    switch (type) {
        case MessageType::Bundle: return "bundle";
        case MessageType::Command: return "command";
        case MessageType::Alert: return "alert";
        case MessageType::AlertCancel: return "alert-cancel";
        case MessageType::Status: return "status";
        case MessageType::ProofOfPlay: return "pop";
        case MessageType::CommandReply: return "command-reply";
        case MessageType::Ack: return "ack";
    }
    return "?";
}

std::size_t size_limit(MessageType type) {
    return type == MessageType::Bundle ? max_bundle_size : max_message_size;
}

std::string encode(const Bundle& bundle) {
    Ordered json = header(MessageType::Bundle);
    json["device"] = bundle.device;
    json["version"] = bundle.version;
    json["issued_at"] = format_utc(bundle.issued_at);
    json["expires_at"] = format_utc(bundle.expires_at);
    json["settings"] = settings_json(bundle.settings);
    json["manifest"] = manifest_json(bundle.manifest);
    json["model"] = scheduler::to_json(bundle.model);
    return dump(json);
}

Result<Bundle> decode_bundle(std::string_view text) {
    auto json = open_payload(text, MessageType::Bundle);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(
        *json, "bundle",
        {"v", "type", "device", "version", "issued_at", "expires_at", "settings", "manifest", "model"});
    if (!reader)
        return std::unexpected(reader.error());
    Bundle bundle;
    auto device = reader->identifier("device");
    if (!device)
        return std::unexpected(device.error());
    bundle.device = *device;
    auto version = reader->unsigned_integer("version");
    if (!version)
        return std::unexpected(version.error());
    if (*version == 0)
        return fail(Errc::InvalidInput, "bundle.version: must be at least 1");
    bundle.version = *version;
    auto issued = reader->utc("issued_at");
    if (!issued)
        return std::unexpected(issued.error());
    bundle.issued_at = *issued;
    auto expires = reader->utc("expires_at");
    if (!expires)
        return std::unexpected(expires.error());
    bundle.expires_at = *expires;
    if (auto order = check_order(*issued, *expires, *reader, "expires_at", "issued_at"); !order) {
        return std::unexpected(order.error());
    }
    auto settings = settings_from(*reader, "settings");
    if (!settings)
        return std::unexpected(settings.error());
    bundle.settings = std::move(*settings);
    auto manifest = manifest_from(*reader, "manifest");
    if (!manifest)
        return std::unexpected(manifest.error());
    bundle.manifest = std::move(*manifest);
    auto model_json = reader->required("model");
    if (!model_json)
        return std::unexpected(model_json.error());
    auto model =
        catching("bundle.model", [&] { return scheduler::model_from_json(**model_json, "bundle.model"); });
    if (!model)
        return std::unexpected(model.error());
    if (!*model)
        return std::unexpected(model->error());
    bundle.model = std::move(**model);
    if (bundle.model.devices.size() != 1 || bundle.model.devices.front().id != bundle.device) {
        return fail(Errc::InvalidInput,
                    "bundle.model.devices: must hold exactly the bundle's device \"" + bundle.device + "\"");
    }
    return bundle;
}

namespace {

// An upload URL is pasted into an HTTP request line by the device: a scheme, a host, and
// nothing a request line cannot carry.
Result<void> check_upload_url(std::string_view url, const std::string& path) {
    if (url.size() > max_upload_url_bytes) {
        return fail(Errc::InvalidInput, path + ": " + std::to_string(url.size()) + " bytes, at most " +
                                            std::to_string(max_upload_url_bytes));
    }
    std::string_view rest;
    if (url.starts_with("http://")) {
        rest = url.substr(7);
    } else if (url.starts_with("https://")) {
        rest = url.substr(8);
    } else {
        return fail(Errc::InvalidInput, path + ": expected an http:// or https:// URL");
    }
    if (rest.empty() || rest.front() == '/')
        return fail(Errc::InvalidInput, path + ": the URL has no host");
    for (char c : url) {
        auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7f) {
            return fail(Errc::InvalidInput, path + ": spaces and control characters are not allowed");
        }
    }
    return {};
}

}  // namespace

std::string encode(const Command& command) {
    Ordered json = header(MessageType::Command);
    json["id"] = command.id;
    json["device"] = command.device;
    json["kind"] = to_string(command.kind);
    Ordered args = Ordered::object();
    if (command.volume)
        args["volume"] = *command.volume;
    if (command.upload_url)
        args["upload_url"] = *command.upload_url;
    json["args"] = std::move(args);
    json["issued_at"] = format_utc(command.issued_at);
    json["expires_at"] = format_utc(command.expires_at);
    return dump(json);
}

Result<Command> decode_command(std::string_view text) {
    auto json = open_payload(text, MessageType::Command);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(
        *json, "command", {"v", "type", "id", "device", "kind", "args", "issued_at", "expires_at"});
    if (!reader)
        return std::unexpected(reader.error());
    Command command;
    auto id = reader->identifier("id");
    if (!id)
        return std::unexpected(id.error());
    command.id = *id;
    auto device = reader->identifier("device");
    if (!device)
        return std::unexpected(device.error());
    command.device = *device;
    auto kind = parse_enum(*reader, "kind", command_kinds, &command_kind_name);
    if (!kind)
        return std::unexpected(kind.error());
    command.kind = *kind;
    auto args_json = reader->required("args");
    if (!args_json)
        return std::unexpected(args_json.error());
    if (command.kind == CommandKind::SetVolume) {
        auto args = ObjectReader::open(**args_json, "command.args", {"volume"});
        if (!args)
            return std::unexpected(args.error());
        auto volume = args->integer("volume", 0, 100);
        if (!volume)
            return std::unexpected(volume.error());
        command.volume = static_cast<int>(*volume);
    } else if (command.kind == CommandKind::Screenshot) {
        auto args = ObjectReader::open(**args_json, "command.args", {"upload_url"});
        if (!args)
            return std::unexpected(args.error());
        auto url = args->optional_string("upload_url");
        if (!url)
            return std::unexpected(url.error());
        if (*url) {
            if (auto checked = check_upload_url(**url, args->path("upload_url")); !checked) {
                return std::unexpected(checked.error());
            }
            command.upload_url = std::move(**url);
        }
    } else {
        auto args = ObjectReader::open(**args_json, "command.args", {});
        if (!args)
            return std::unexpected(args.error());
    }
    auto issued = reader->utc("issued_at");
    if (!issued)
        return std::unexpected(issued.error());
    command.issued_at = *issued;
    auto expires = reader->utc("expires_at");
    if (!expires)
        return std::unexpected(expires.error());
    command.expires_at = *expires;
    if (auto order = check_order(*issued, *expires, *reader, "expires_at", "issued_at"); !order) {
        return std::unexpected(order.error());
    }
    if (*expires - *issued > max_command_lifetime) {
        return fail(Errc::InvalidInput, "command.expires_at: more than 24 hours after issued_at");
    }
    return command;
}

std::string encode(const AlertMessage& alert) {
    Ordered json = header(MessageType::Alert);
    json["alert"] = scheduler::to_json(alert.alert);
    json["playlist"] = scheduler::to_json(alert.playlist);
    Ordered media = Ordered::array();
    for (const auto& ref : alert.media) media.push_back(scheduler::to_json(ref));
    json["media"] = std::move(media);
    json["manifest"] = manifest_json(alert.manifest);
    return dump(json);
}

Result<AlertMessage> decode_alert(std::string_view text) {
    auto json = open_payload(text, MessageType::Alert);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(*json, "alert", {"v", "type", "alert", "playlist", "media", "manifest"});
    if (!reader)
        return std::unexpected(reader.error());
    AlertMessage message;
    auto alert_json = reader->required("alert");
    if (!alert_json)
        return std::unexpected(alert_json.error());
    auto alert =
        catching("alert.alert", [&] { return scheduler::alert_from_json(**alert_json, "alert.alert"); });
    if (!alert)
        return std::unexpected(alert.error());
    if (!*alert)
        return std::unexpected(alert->error());
    message.alert = std::move(**alert);
    if (message.alert.expires <= message.alert.issued) {
        return fail(Errc::InvalidInput, "alert.alert.expires: must be after issued");
    }
    auto playlist_json = reader->required("playlist");
    if (!playlist_json)
        return std::unexpected(playlist_json.error());
    auto playlist = catching(
        "alert.playlist", [&] { return scheduler::playlist_from_json(**playlist_json, "alert.playlist"); });
    if (!playlist)
        return std::unexpected(playlist.error());
    if (!*playlist)
        return std::unexpected(playlist->error());
    message.playlist = std::move(**playlist);
    if (message.playlist.id != message.alert.playlist) {
        return fail(Errc::InvalidInput, "alert.playlist.id: must equal alert.alert.playlist");
    }
    auto media = array_field(*reader, "media");
    if (!media)
        return std::unexpected(media.error());
    for (std::size_t i = 0; i < (*media)->size(); ++i) {
        std::string path = element_path("alert.media", i);
        auto ref = catching(path, [&] { return scheduler::media_from_json((**media)[i], path); });
        if (!ref)
            return std::unexpected(ref.error());
        if (!*ref)
            return std::unexpected(ref->error());
        message.media.push_back(std::move(**ref));
    }
    for (std::size_t i = 0; i < message.playlist.items.size(); ++i) {
        const auto& item = message.playlist.items[i];
        bool known = std::any_of(message.media.begin(), message.media.end(),
                                 [&](const scheduler::MediaRef& ref) { return ref.sha256 == item.media; });
        if (!known) {
            return fail(Errc::InvalidInput,
                        element_path("alert.playlist.items", i) + ".media: not listed in alert.media");
        }
    }
    auto manifest = manifest_from(*reader, "manifest");
    if (!manifest)
        return std::unexpected(manifest.error());
    message.manifest = std::move(*manifest);
    return message;
}

std::string encode(const AlertCancel& cancel) {
    Ordered json = header(MessageType::AlertCancel);
    json["alert_id"] = cancel.alert_id;
    json["zones"] = cancel.zones;
    json["all_zones"] = cancel.all_zones;
    json["issued_at"] = format_utc(cancel.issued_at);
    json["expires_at"] = format_utc(cancel.expires_at);
    return dump(json);
}

Result<AlertCancel> decode_alert_cancel(std::string_view text) {
    auto json = open_payload(text, MessageType::AlertCancel);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(
        *json, "alert-cancel", {"v", "type", "alert_id", "zones", "all_zones", "issued_at", "expires_at"});
    if (!reader)
        return std::unexpected(reader.error());
    AlertCancel cancel;
    auto id = reader->identifier("alert_id");
    if (!id)
        return std::unexpected(id.error());
    cancel.alert_id = *id;
    auto zones = identifiers_from(*reader, "zones");
    if (!zones)
        return std::unexpected(zones.error());
    cancel.zones = std::move(*zones);
    auto all = reader->boolean("all_zones");
    if (!all)
        return std::unexpected(all.error());
    cancel.all_zones = *all;
    if (cancel.zones.empty() && !cancel.all_zones) {
        return fail(Errc::InvalidInput, "alert-cancel.zones: empty while all_zones is false");
    }
    auto issued = reader->utc("issued_at");
    if (!issued)
        return std::unexpected(issued.error());
    cancel.issued_at = *issued;
    auto expires = reader->utc("expires_at");
    if (!expires)
        return std::unexpected(expires.error());
    cancel.expires_at = *expires;
    if (auto order = check_order(*issued, *expires, *reader, "expires_at", "issued_at"); !order) {
        return std::unexpected(order.error());
    }
    return cancel;
}

std::string encode(const Status& status) {
    Ordered json = header(MessageType::Status);
    json["device"] = status.device;
    json["presence"] = to_string(status.presence);
    json["reported_at"] = format_utc(status.reported_at);
    json["install_epoch"] = status.install_epoch;
    json["boot_id"] = status.boot_id;
    json["software_version"] = status.software_version;
    json["uptime_ms"] = status.uptime_ms;
    json["desired_bundle_version"] = status.desired_bundle_version;
    json["applied_bundle_version"] = status.applied_bundle_version;
    if (status.now_playing) {
        Ordered playing = Ordered::object();
        playing["source"] = to_string(status.now_playing->source);
        playing["source_id"] = status.now_playing->source_id;
        playing["media"] = status.now_playing->media;
        playing["started_at"] = format_utc(status.now_playing->started_at);
        json["now_playing"] = std::move(playing);
    }
    if (status.download) {
        Ordered download = Ordered::object();
        download["files_done"] = status.download->files_done;
        download["files_total"] = status.download->files_total;
        download["bytes_done"] = status.download->bytes_done;
        download["bytes_total"] = status.download->bytes_total;
        json["download"] = std::move(download);
    }
    json["cache_used_bytes"] = status.cache_used_bytes;
    json["cache_capacity_bytes"] = status.cache_capacity_bytes;
    if (status.last_error)
        json["last_error"] = *status.last_error;
    if (status.replayed_bundles != 0)
        json["replayed_bundles"] = status.replayed_bundles;
    if (status.unhealthy)
        json["unhealthy"] = *status.unhealthy;
    return dump(json);
}

Result<Status> decode_status(std::string_view text) {
    auto json = open_payload(text, MessageType::Status);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(
        *json, "status",
        {"v", "type", "device", "presence", "reported_at", "install_epoch", "boot_id", "software_version",
         "uptime_ms", "desired_bundle_version", "applied_bundle_version", "now_playing", "download",
         "cache_used_bytes", "cache_capacity_bytes", "last_error", "replayed_bundles", "unhealthy"});
    if (!reader)
        return std::unexpected(reader.error());
    Status status;
    auto device = reader->identifier("device");
    if (!device)
        return std::unexpected(device.error());
    status.device = *device;
    auto presence = parse_enum(*reader, "presence", presences, &presence_name);
    if (!presence)
        return std::unexpected(presence.error());
    status.presence = *presence;
    auto reported = reader->utc("reported_at");
    if (!reported)
        return std::unexpected(reported.error());
    status.reported_at = *reported;
    auto epoch = reader->identifier("install_epoch");
    if (!epoch)
        return std::unexpected(epoch.error());
    status.install_epoch = *epoch;
    auto boot = reader->identifier("boot_id");
    if (!boot)
        return std::unexpected(boot.error());
    status.boot_id = *boot;
    auto software = bounded_text(*reader, "software_version", true);
    if (!software)
        return std::unexpected(software.error());
    status.software_version = *software;
    for (auto [key, field] : {std::pair{"uptime_ms", &Status::uptime_ms},
                              std::pair{"desired_bundle_version", &Status::desired_bundle_version},
                              std::pair{"applied_bundle_version", &Status::applied_bundle_version},
                              std::pair{"cache_used_bytes", &Status::cache_used_bytes},
                              std::pair{"cache_capacity_bytes", &Status::cache_capacity_bytes}}) {
        auto number = reader->unsigned_integer(key);
        if (!number)
            return std::unexpected(number.error());
        status.*field = *number;
    }
    if (reader->has("now_playing")) {
        auto playing = ObjectReader::open(**reader->required("now_playing"), "status.now_playing",
                                          {"source", "source_id", "media", "started_at"});
        if (!playing)
            return std::unexpected(playing.error());
        NowPlaying now;
        auto source = parse_enum(*playing, "source", source_kinds, &source_kind_name);
        if (!source)
            return std::unexpected(source.error());
        now.source = *source;
        auto source_id = playing->identifier("source_id");
        if (!source_id)
            return std::unexpected(source_id.error());
        now.source_id = *source_id;
        auto media = playing->sha256("media");
        if (!media)
            return std::unexpected(media.error());
        now.media = *media;
        auto started = playing->utc("started_at");
        if (!started)
            return std::unexpected(started.error());
        now.started_at = *started;
        status.now_playing = std::move(now);
    }
    if (reader->has("download")) {
        auto download_reader = ObjectReader::open(**reader->required("download"), "status.download",
                                                  {"files_done", "files_total", "bytes_done", "bytes_total"});
        if (!download_reader)
            return std::unexpected(download_reader.error());
        DownloadProgress download;
        for (auto [key, field] : {std::pair{"files_done", &DownloadProgress::files_done},
                                  std::pair{"files_total", &DownloadProgress::files_total},
                                  std::pair{"bytes_done", &DownloadProgress::bytes_done},
                                  std::pair{"bytes_total", &DownloadProgress::bytes_total}}) {
            auto number = download_reader->unsigned_integer(key);
            if (!number)
                return std::unexpected(number.error());
            download.*field = *number;
        }
        status.download = download;
    }
    if (reader->has("last_error")) {
        auto error = bounded_text(*reader, "last_error", true);
        if (!error)
            return std::unexpected(error.error());
        status.last_error = *error;
    }
    if (reader->has("replayed_bundles")) {
        auto replayed = reader->unsigned_integer("replayed_bundles");
        if (!replayed)
            return std::unexpected(replayed.error());
        status.replayed_bundles = *replayed;
    }
    if (reader->has("unhealthy")) {
        auto why = bounded_text(*reader, "unhealthy", false);
        if (!why)
            return std::unexpected(why.error());
        status.unhealthy = *why;
    }
    return status;
}

std::string encode(const ProofOfPlayBatch& batch) {
    Ordered json = header(MessageType::ProofOfPlay);
    json["device"] = batch.device;
    json["install_epoch"] = batch.install_epoch;
    Ordered rows = Ordered::array();
    for (const auto& row : batch.rows) {
        Ordered item = Ordered::object();
        item["seq"] = row.seq;
        item["source"] = to_string(row.source);
        item["source_id"] = row.source_id;
        item["item_index"] = row.item_index;
        item["media"] = row.media;
        item["started_at_ms"] = to_unix_ms(row.started_at);
        item["ended_at_ms"] = to_unix_ms(row.ended_at);
        item["duration_ms"] = row.duration_ms;
        item["outcome"] = to_string(row.outcome);
        item["bundle_version"] = row.bundle_version;
        if (!row.note.empty())
            item["note"] = row.note;
        rows.push_back(std::move(item));
    }
    json["rows"] = std::move(rows);
    return dump(json);
}

Result<ProofOfPlayBatch> decode_proof_of_play(std::string_view text) {
    auto json = open_payload(text, MessageType::ProofOfPlay);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(*json, "pop", {"v", "type", "device", "install_epoch", "rows"});
    if (!reader)
        return std::unexpected(reader.error());
    ProofOfPlayBatch batch;
    auto device = reader->identifier("device");
    if (!device)
        return std::unexpected(device.error());
    batch.device = *device;
    auto epoch = reader->identifier("install_epoch");
    if (!epoch)
        return std::unexpected(epoch.error());
    batch.install_epoch = *epoch;
    auto rows = array_field(*reader, "rows");
    if (!rows)
        return std::unexpected(rows.error());
    if ((*rows)->empty())
        return fail(Errc::InvalidInput, "pop.rows: must not be empty");
    for (std::size_t i = 0; i < (*rows)->size(); ++i) {
        std::string path = element_path("pop.rows", i);
        auto row_reader =
            ObjectReader::open((**rows)[i], path,
                               {"seq", "source", "source_id", "item_index", "media", "started_at_ms",
                                "ended_at_ms", "duration_ms", "outcome", "bundle_version", "note"});
        if (!row_reader)
            return std::unexpected(row_reader.error());
        ProofOfPlayRow row;
        auto seq = row_reader->unsigned_integer("seq");
        if (!seq)
            return std::unexpected(seq.error());
        if (*seq == 0)
            return fail(Errc::InvalidInput, path + ".seq: must be at least 1");
        if (!batch.rows.empty() && *seq <= batch.rows.back().seq) {
            return fail(Errc::InvalidInput, path + ".seq: must be greater than the previous row's");
        }
        row.seq = *seq;
        auto source = parse_enum(*row_reader, "source", source_kinds, &source_kind_name);
        if (!source)
            return std::unexpected(source.error());
        row.source = *source;
        auto source_id = row_reader->identifier("source_id");
        if (!source_id)
            return std::unexpected(source_id.error());
        row.source_id = *source_id;
        auto index = row_reader->unsigned_integer("item_index", UINT32_MAX);
        if (!index)
            return std::unexpected(index.error());
        row.item_index = static_cast<std::uint32_t>(*index);
        auto media = row_reader->sha256("media");
        if (!media)
            return std::unexpected(media.error());
        row.media = *media;
        auto started = row_reader->integer("started_at_ms", 0, INT64_MAX);
        if (!started)
            return std::unexpected(started.error());
        row.started_at = from_unix_ms(*started);
        auto ended = row_reader->integer("ended_at_ms", 0, INT64_MAX);
        if (!ended)
            return std::unexpected(ended.error());
        if (*ended < *started)
            return fail(Errc::InvalidInput, path + ".ended_at_ms: before started_at_ms");
        row.ended_at = from_unix_ms(*ended);
        auto duration = row_reader->unsigned_integer("duration_ms");
        if (!duration)
            return std::unexpected(duration.error());
        row.duration_ms = *duration;
        auto outcome = parse_enum(*row_reader, "outcome", outcomes, &outcome_name);
        if (!outcome)
            return std::unexpected(outcome.error());
        row.outcome = *outcome;
        auto version = row_reader->unsigned_integer("bundle_version");
        if (!version)
            return std::unexpected(version.error());
        row.bundle_version = *version;
        if (row_reader->has("note")) {
            auto note = bounded_text(*row_reader, "note", false);
            if (!note)
                return std::unexpected(note.error());
            row.note = *note;
        }
        batch.rows.push_back(std::move(row));
    }
    return batch;
}

std::string encode(const CommandReply& reply) {
    Ordered json = header(MessageType::CommandReply);
    json["device"] = reply.device;
    json["command_id"] = reply.command_id;
    json["result"] = to_string(reply.result);
    json["detail"] = reply.detail;
    if (reply.payload)
        json["payload"] = *reply.payload;
    json["replied_at"] = format_utc(reply.replied_at);
    return dump(json);
}

Result<CommandReply> decode_command_reply(std::string_view text) {
    auto json = open_payload(text, MessageType::CommandReply);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(
        *json, "command-reply",
        {"v", "type", "device", "command_id", "result", "detail", "payload", "replied_at"});
    if (!reader)
        return std::unexpected(reader.error());
    CommandReply reply;
    auto device = reader->identifier("device");
    if (!device)
        return std::unexpected(device.error());
    reply.device = *device;
    auto id = reader->identifier("command_id");
    if (!id)
        return std::unexpected(id.error());
    reply.command_id = *id;
    auto result = parse_enum(*reader, "result", reply_results, &reply_result_name);
    if (!result)
        return std::unexpected(result.error());
    reply.result = *result;
    auto detail_text = bounded_text(*reader, "detail", true);
    if (!detail_text)
        return std::unexpected(detail_text.error());
    reply.detail = *detail_text;
    if (reader->has("payload")) {
        auto payload = bounded_text(*reader, "payload", true);
        if (!payload)
            return std::unexpected(payload.error());
        reply.payload = *payload;
    }
    auto replied = reader->utc("replied_at");
    if (!replied)
        return std::unexpected(replied.error());
    reply.replied_at = *replied;
    return reply;
}

std::string encode(const Ack& ack) {
    Ordered json = header(MessageType::Ack);
    json["device"] = ack.device;
    json["install_epoch"] = ack.install_epoch;
    json["committed_seq"] = ack.committed_seq;
    json["replied_commands"] = ack.replied_commands;
    json["issued_at"] = format_utc(ack.issued_at);
    return dump(json);
}

Result<Ack> decode_ack(std::string_view text) {
    auto json = open_payload(text, MessageType::Ack);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(
        *json, "ack",
        {"v", "type", "device", "install_epoch", "committed_seq", "replied_commands", "issued_at"});
    if (!reader)
        return std::unexpected(reader.error());
    Ack ack;
    auto device = reader->identifier("device");
    if (!device)
        return std::unexpected(device.error());
    ack.device = *device;
    auto epoch = reader->identifier("install_epoch");
    if (!epoch)
        return std::unexpected(epoch.error());
    ack.install_epoch = *epoch;
    auto seq = reader->unsigned_integer("committed_seq");
    if (!seq)
        return std::unexpected(seq.error());
    ack.committed_seq = *seq;
    auto replied = identifiers_from(*reader, "replied_commands");
    if (!replied)
        return std::unexpected(replied.error());
    ack.replied_commands = std::move(*replied);
    auto issued = reader->utc("issued_at");
    if (!issued)
        return std::unexpected(issued.error());
    ack.issued_at = *issued;
    return ack;
}

Result<MessageType> peek_type(std::string_view text) {
    auto json = detail::parse_document(text, "message", max_bundle_size);
    if (!json)
        return std::unexpected(json.error());
    if (!json->is_object())
        return fail(Errc::InvalidInput, "message: expected an object");
    auto type = json->find("type");
    if (type == json->end())
        return fail(Errc::InvalidInput, "message.type: missing");
    if (!type->is_string())
        return fail(Errc::InvalidInput, "message.type: expected a string");
    for (MessageType candidate :
         {MessageType::Bundle, MessageType::Command, MessageType::Alert, MessageType::AlertCancel,
          MessageType::Status, MessageType::ProofOfPlay, MessageType::CommandReply, MessageType::Ack}) {
        if (to_string(candidate) == type->get<std::string>())
            return candidate;
    }
    return fail(Errc::InvalidInput, "message.type: unknown type " + type->dump());
}

Result<AlertTopicMessage> decode_alert_topic(std::string_view text) {
    auto type = peek_type(text);
    if (!type)
        return std::unexpected(type.error());
    if (*type == MessageType::Alert) {
        auto alert = decode_alert(text);
        if (!alert)
            return std::unexpected(alert.error());
        return AlertTopicMessage(std::move(*alert));
    }
    if (*type == MessageType::AlertCancel) {
        auto cancel = decode_alert_cancel(text);
        if (!cancel)
            return std::unexpected(cancel.error());
        return AlertTopicMessage(std::move(*cancel));
    }
    return fail(Errc::InvalidInput, "message.type: expected \"alert\" or \"alert-cancel\" on an alert topic");
}

Result<UplinkMessage> decode_uplink(std::string_view text) {
    auto type = peek_type(text);
    if (!type)
        return std::unexpected(type.error());
    if (*type == MessageType::ProofOfPlay) {
        auto batch = decode_proof_of_play(text);
        if (!batch)
            return std::unexpected(batch.error());
        return UplinkMessage(std::move(*batch));
    }
    if (*type == MessageType::CommandReply) {
        auto reply = decode_command_reply(text);
        if (!reply)
            return std::unexpected(reply.error());
        return UplinkMessage(std::move(*reply));
    }
    return fail(Errc::InvalidInput, "message.type: expected \"pop\" or \"command-reply\" on a pop topic");
}

}  // namespace bantin::protocol
