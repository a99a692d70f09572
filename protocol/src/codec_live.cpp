// The live channel messages the controller sends on bantin/v1/live/zone/{zone}: a live start
// and the end that replaces it (docs/protocol.md, "Live channels").

#include "codec_shared.hpp"

namespace bantin::protocol {

using namespace codec_detail;

namespace {

Result<std::vector<std::string>> live_zones(const ObjectReader& reader) {
    auto zones = identifiers_from(reader, "zones");
    if (!zones)
        return std::unexpected(zones.error());
    if (zones->empty())
        return fail(Errc::InvalidInput, reader.path("zones") + ": empty (a live channel names its zones)");
    return zones;
}

}  // namespace

std::string encode(const LiveStart& start) {
    Ordered json = header(MessageType::LiveStart);
    json["id"] = start.id;
    json["zones"] = start.zones;
    json["level"] = scheduler::to_string(start.level);
    json["url"] = start.url;
    json["started_at"] = format_utc(start.started_at);
    json["ends_at"] = format_utc(start.ends_at);
    return dump(json);
}

Result<LiveStart> decode_live_start(std::string_view text) {
    auto json = open_payload(text, MessageType::LiveStart);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(*json, "live-start",
                                     {"v", "type", "id", "zones", "level", "url", "started_at", "ends_at"});
    if (!reader)
        return std::unexpected(reader.error());
    LiveStart start;
    auto id = reader->identifier("id");
    if (!id)
        return std::unexpected(id.error());
    start.id = *id;
    auto zones = live_zones(*reader);
    if (!zones)
        return std::unexpected(zones.error());
    start.zones = std::move(*zones);
    auto level_text = reader->string("level");
    if (!level_text)
        return std::unexpected(level_text.error());
    auto level = scheduler::value_in(scheduler::level_names, *level_text);
    if (!level)
        return fail(Errc::InvalidInput,
                    reader->path("level") + ": expected one of normal, priority, emergency");
    start.level = *level;
    auto url = reader->string("url");
    if (!url)
        return std::unexpected(url.error());
    if (auto problem = scheduler::stream_url_problem(*url); !problem.empty())
        return fail(Errc::InvalidInput, reader->path("url") + ": " + problem);
    start.url = *url;
    auto started = reader->utc("started_at");
    if (!started)
        return std::unexpected(started.error());
    start.started_at = *started;
    auto ends = reader->utc("ends_at");
    if (!ends)
        return std::unexpected(ends.error());
    start.ends_at = *ends;
    if (auto order = check_order(*started, *ends, *reader, "ends_at", "started_at"); !order)
        return std::unexpected(order.error());
    if (*ends - *started > max_live_duration) {
        return fail(Errc::InvalidInput, reader->path("ends_at") + ": more than " +
                                            std::to_string(max_live_duration.count()) +
                                            " hours after started_at");
    }
    return start;
}

std::string encode(const LiveEnd& end) {
    Ordered json = header(MessageType::LiveEnd);
    json["live_id"] = end.live_id;
    json["zones"] = end.zones;
    json["issued_at"] = format_utc(end.issued_at);
    json["expires_at"] = format_utc(end.expires_at);
    return dump(json);
}

Result<LiveEnd> decode_live_end(std::string_view text) {
    auto json = open_payload(text, MessageType::LiveEnd);
    if (!json)
        return std::unexpected(json.error());
    auto reader =
        ObjectReader::open(*json, "live-end", {"v", "type", "live_id", "zones", "issued_at", "expires_at"});
    if (!reader)
        return std::unexpected(reader.error());
    LiveEnd end;
    auto id = reader->identifier("live_id");
    if (!id)
        return std::unexpected(id.error());
    end.live_id = *id;
    auto zones = live_zones(*reader);
    if (!zones)
        return std::unexpected(zones.error());
    end.zones = std::move(*zones);
    auto issued = reader->utc("issued_at");
    if (!issued)
        return std::unexpected(issued.error());
    end.issued_at = *issued;
    auto expires = reader->utc("expires_at");
    if (!expires)
        return std::unexpected(expires.error());
    end.expires_at = *expires;
    if (auto order = check_order(*issued, *expires, *reader, "expires_at", "issued_at"); !order)
        return std::unexpected(order.error());
    return end;
}

Result<LiveTopicMessage> decode_live_topic(std::string_view text) {
    auto type = peek_type(text);
    if (!type)
        return std::unexpected(type.error());
    if (*type == MessageType::LiveStart) {
        auto start = decode_live_start(text);
        if (!start)
            return std::unexpected(start.error());
        return LiveTopicMessage(std::move(*start));
    }
    if (*type == MessageType::LiveEnd) {
        auto end = decode_live_end(text);
        if (!end)
            return std::unexpected(end.error());
        return LiveTopicMessage(std::move(*end));
    }
    return fail(Errc::InvalidInput, "message.type: expected \"live-start\" or \"live-end\" on a live topic");
}

}  // namespace bantin::protocol
