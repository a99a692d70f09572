#include "bantin/protocol/topics.hpp"

#include <array>
#include <utility>

namespace bantin::protocol {
namespace {

constexpr std::array<std::pair<DeviceChannel, std::string_view>, 5> channel_names{{
    {DeviceChannel::Bundle, "bundle"},
    {DeviceChannel::Command, "cmd"},
    {DeviceChannel::Status, "status"},
    {DeviceChannel::ProofOfPlay, "pop"},
    {DeviceChannel::Ack, "ack"},
}};

bool is_id_character(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text.substr(0, 80)) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) {
            out += '?';
        } else {
            out += c;
        }
    }
    if (text.size() > 80)
        out += "...";
    out += '"';
    return out;
}

}  // namespace

std::string_view to_string(DeviceChannel channel) {
    for (const auto& [value, name] : channel_names) {
        if (value == channel)
            return name;
    }
    return "?";
}

Result<void> validate_id(std::string_view id, std::string_view what) {
    if (id.empty())
        return fail(Errc::InvalidInput, std::string(what) + ": must not be empty");
    if (id.size() > max_id_length) {
        return fail(Errc::InvalidInput, std::string(what) + ": " + quoted(id) + " is longer than " +
                                            std::to_string(max_id_length) + " characters");
    }
    for (char c : id) {
        if (!is_id_character(c)) {
            return fail(Errc::InvalidInput, std::string(what) + ": " + quoted(id) +
                                                " may contain only A-Z a-z 0-9 . _ - (found " +
                                                quoted(std::string_view(&c, 1)) + ")");
        }
    }
    return {};
}

Result<std::string> device_topic(std::string_view device, DeviceChannel channel) {
    if (auto valid = validate_id(device, "device id"); !valid)
        return std::unexpected(valid.error());
    std::string topic(topic_root);
    topic += "/dev/";
    topic += device;
    topic += '/';
    topic += to_string(channel);
    return topic;
}

Result<std::string> alert_zone_topic(std::string_view zone) {
    if (auto valid = validate_id(zone, "zone id"); !valid)
        return std::unexpected(valid.error());
    return std::string(topic_root) + "/alert/zone/" + std::string(zone);
}

Result<std::string> live_zone_topic(std::string_view zone) {
    if (auto valid = validate_id(zone, "zone id"); !valid)
        return std::unexpected(valid.error());
    return std::string(topic_root) + "/live/zone/" + std::string(zone);
}

std::string all_devices_filter(DeviceChannel channel) {
    return std::string(topic_root) + "/dev/+/" + std::string(to_string(channel));
}

Result<ParsedTopic> parse_topic(std::string_view topic) {
    auto refuse = [&](std::string_view why) {
        return fail(Errc::InvalidInput, "topic " + quoted(topic) + ": " + std::string(why));
    };
    std::string prefix = std::string(topic_root) + "/";
    if (!topic.starts_with(prefix))
        return refuse("does not start with bantin/v1/");
    std::string_view rest = topic.substr(prefix.size());

    ParsedTopic parsed;
    if (rest == "alert/all") {
        parsed.kind = TopicKind::AlertAll;
        return parsed;
    }
    if (rest.starts_with("alert/zone/")) {
        std::string_view zone = rest.substr(std::string_view("alert/zone/").size());
        if (auto valid = validate_id(zone, "zone id"); !valid)
            return refuse(valid.error().detail);
        parsed.kind = TopicKind::AlertZone;
        parsed.zone = std::string(zone);
        return parsed;
    }
    if (rest.starts_with("live/zone/")) {
        std::string_view zone = rest.substr(std::string_view("live/zone/").size());
        if (auto valid = validate_id(zone, "zone id"); !valid)
            return refuse(valid.error().detail);
        parsed.kind = TopicKind::LiveZone;
        parsed.zone = std::string(zone);
        return parsed;
    }
    if (rest.starts_with("dev/")) {
        rest.remove_prefix(4);
        auto slash = rest.find('/');
        if (slash == std::string_view::npos)
            return refuse("missing the channel level");
        std::string_view device = rest.substr(0, slash);
        std::string_view channel = rest.substr(slash + 1);
        if (auto valid = validate_id(device, "device id"); !valid)
            return refuse(valid.error().detail);
        for (const auto& [value, name] : channel_names) {
            if (name == channel) {
                parsed.channel = value;
                parsed.device = std::string(device);
                return parsed;
            }
        }
        return refuse("unknown channel " + quoted(channel));
    }
    return refuse("not a topic of protocol v1");
}

}  // namespace bantin::protocol
