#pragma once
// Internal to the content API (api_content*.cpp): the route groups register_content_routes
// is made of, and the JSON views they share.

#include "bantin/controller/http_server.hpp"
#include "bantin/controller/records.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace bantin::controller::api {

// Path pieces of the route regexes.
inline constexpr std::string_view id_pattern = "([A-Za-z0-9._-]{1,64})";
inline constexpr std::string_view sha256_pattern = "([0-9a-f]{64})";

inline std::string route(std::string_view tail) {
    return "/api/v1" + std::string{tail};
}

void register_people_routes(ApiServer& server, ApiContext& context);    // auth, users, audit
void register_media_routes(ApiServer& server, ApiContext& context);     // media, notices
void register_schedule_routes(ApiServer& server, ApiContext& context);  // playlists, campaigns,
                                                                        // zones, tags
class Routes;
void register_preview_routes(Routes& routes);  // timeline, conflicts (api_content_preview.cpp)
// A notice's slides drawn by the player's renderer (api_notice_preview.cpp).
void register_notice_preview_routes(Routes& routes);

nlohmann::ordered_json media_json(const MediaRecord& record);
nlohmann::ordered_json playlist_json(const PlaylistRecord& record);
nlohmann::ordered_json campaign_json(const CampaignRecord& record);
nlohmann::ordered_json zone_json(const ZoneRecord& zone);

// An audit row for `user` at the context's clock.
AuditEntry audit_entry(const ApiContext& context, const User& user, std::string action,
                       std::string entity_type, std::string entity_id, std::string before, std::string after);

}  // namespace bantin::controller::api
