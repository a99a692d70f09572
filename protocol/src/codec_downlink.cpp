// The messages the controller sends: bundles, commands, alerts and their cancels, acks (docs/protocol.md).

#include "codec_shared.hpp"

namespace bantin::protocol {

using namespace codec_detail;

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
        case MessageType::LiveStart: return "live-start";
        case MessageType::LiveEnd: return "live-end";
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

}  // namespace bantin::protocol
