#include "api_content.hpp"

#include "bantin/controller/record_json.hpp"

#include "bantin/scheduler/json.hpp"

namespace bantin::controller {

void register_content_routes(ApiServer& server, ApiContext& context) {
    api::register_people_routes(server, context);
    api::register_media_routes(server, context);
    api::register_schedule_routes(server, context);
}

namespace api {

nlohmann::ordered_json media_json(const MediaRecord& record) {
    const scheduler::MediaRef& media = record.media;
    nlohmann::ordered_json json;
    json["sha256"] = media.sha256;
    json["type"] = std::string{scheduler::to_string(media.type)};
    json["duration_ms"] = media.duration ? nlohmann::ordered_json(media.duration->count()) : nullptr;
    json["has_audio"] = media.has_audio;
    json["has_video"] = media.has_video;
    json["name"] = media.name;
    json["size"] = record.size;
    json["uploaded_by"] = optional_user(record.uploaded_by);
    json["created"] = format_utc(record.created);
    json["text"] = record.text ? nlohmann::ordered_json(*record.text) : nullptr;
    json["tts_media"] = record.tts_media ? nlohmann::ordered_json(*record.tts_media) : nullptr;
    json["url"] = media.url ? nlohmann::ordered_json(*media.url) : nullptr;
    json["filler"] = media.filler ? nlohmann::ordered_json(*media.filler) : nullptr;
    // A stream has no file here: devices play it from its URL.
    json["content_url"] = media.type == scheduler::MediaType::Stream
                              ? nlohmann::ordered_json(nullptr)
                              : nlohmann::ordered_json("/api/v1/media/" + media.sha256 + "/content");
    // A picture for people choosing and approving content (docs/api.md "Thumbnails").
    const bool has_picture = media.type == scheduler::MediaType::Image ||
                             (media.type == scheduler::MediaType::Video && media.has_video);
    json["thumbnail_url"] = has_picture
                                ? nlohmann::ordered_json("/api/v1/media/" + media.sha256 + "/thumbnail")
                                : nlohmann::ordered_json(nullptr);
    return json;
}

nlohmann::ordered_json playlist_json(const PlaylistRecord& record) {
    nlohmann::ordered_json json = scheduler::to_json(record.playlist);
    json["version"] = record.version;
    json["created_by"] = optional_user(record.created_by);
    json["created"] = format_utc(record.created);
    json["updated"] = format_utc(record.updated);
    return json;
}

nlohmann::ordered_json campaign_json(const CampaignRecord& record) {
    nlohmann::ordered_json json = scheduler::to_json(record.campaign);
    json["region"] = scheduler::to_string(record.campaign.region);  // always shown, "main" included
    json["version"] = record.version;
    add_record_fields(json, record);
    return json;
}

nlohmann::ordered_json zone_json(const ZoneRecord& zone) {
    return nlohmann::ordered_json{{"id", zone.id}, {"name", zone.name}};
}

AuditEntry audit_entry(const ApiContext& context, const User& user, std::string action,
                       std::string entity_type, std::string entity_id, std::string before,
                       std::string after) {
    AuditEntry entry;
    entry.user = user.id;
    entry.user_name = user.name;
    entry.at = context.clock.wall();
    entry.action = std::move(action);
    entry.entity_type = std::move(entity_type);
    entry.entity_id = std::move(entity_id);
    entry.before = std::move(before);
    entry.after = std::move(after);
    return entry;
}

}  // namespace api

}  // namespace bantin::controller
