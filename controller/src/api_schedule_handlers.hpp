#pragma once
// Internal to the content API: the handlers of playlists, campaigns, zones and tags
// (api_content_schedule.cpp), named so tests run them on a Call without an HTTP server. What each
// answers is docs/api.md's; the route rules (who may call it, what body it takes) are in
// register_schedule_routes(), which has checked them before a handler runs.

#include "api_route.hpp"

namespace bantin::controller::api::schedule {

Answer list_playlists(Call& call);
Answer get_playlist(Call& call);
Answer create_playlist(Call& call);
Answer update_playlist(Call& call);

Answer list_campaigns(Call& call);
Answer get_campaign(Call& call);
Answer create_campaign(Call& call);
Answer update_campaign(Call& call);

enum class Step { Submit, Approve, Reject, Archive };
// One approval step on campaign capture(1). {"version": n} refuses (409) a campaign changed since
// version n; approve and reject must name it (an approver signs off what they reviewed).
// Approve takes a "note", reject a "reason". Approve and archive call on_campaigns_changed.
Answer campaign_step(Call& call, Step step);

Answer list_zones(Call& call);
Answer get_zone(Call& call);
Answer create_zone(Call& call);
Answer update_zone(Call& call);

// The tags in use, with how many devices carry each and how many live campaigns target it.
Answer list_tags(Call& call);

}  // namespace bantin::controller::api::schedule
