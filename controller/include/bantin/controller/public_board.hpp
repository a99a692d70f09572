#pragma once
// The residents' public notice board (docs/public.md): what a commune's loudspeakers and screens
// say, to read and hear again on a phone, without signing in.
//
//   GET /cong-khai                       the town: its communes and wards, every active alert,
//                                        the notices in force
//   GET /cong-khai/{zone}                one commune or ward: active alerts on top, current and
//                                        recent notices with their speech, today's loudspeaker
//                                        programme (fixed-time bulletins)
//   GET /cong-khai/atom.xml              Atom feed of the town's alerts and notices
//   GET /cong-khai/{zone}/atom.xml       Atom feed of one zone
//   GET /cong-khai/am-thanh/{sha256}.ogg the speech of a notice or alert on the board, and
//                                        nothing else the controller stores
//
// What it shows: only approved campaigns and sent alerts, and of those only what a resident
// meets anyway: a notice's text and speech, an alert's headline, text and severity, a
// bulletin's title and times. Never a draft, a device, an internal id, a person. A notice
// counts for a zone when a registered device of that zone is targeted by its campaign.
//
// PublicBoard is the data, built in one read transaction (build_public_board) and rendered by
// pure functions (render_board_html, render_board_atom), so tests check them without HTTP.
// register_public_board() adds the routes: no session, no cookie, a snapshot rebuilt at most
// every few seconds, ETag/If-None-Match, `Cache-Control: public`, a strict CSP with no script,
// and a per-client token bucket (429 with Retry-After).
//
// Threads: build and render are pure apart from the store read; the routes run on httplib's
// pool and share one snapshot under a mutex.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/scheduler/model.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller {

class ApiServer;
struct ApiContext;

struct BoardZone {
    std::string id;
    std::string name;
    std::string time_zone;  // of its devices (the first registered); else the town's
};

struct BoardAlert {
    std::string headline;
    std::string text;
    scheduler::Severity severity = scheduler::Severity::Severe;
    bool exercise = false;
    TimePoint issued;
    TimePoint expires;
    std::optional<std::string> speech;  // sha256 of its spoken words
    std::vector<std::string> zones;     // ids; empty with all_zones
    bool all_zones = false;
};

struct BoardNotice {
    std::string text;
    std::optional<std::string> speech;  // sha256 of its spoken version
    TimePoint since;                    // its campaign's approval
    std::optional<std::chrono::year_month_day> valid_from;
    std::optional<std::chrono::year_month_day> valid_to;
    std::vector<std::string> zones;  // ids of the zones it plays in
};

struct BoardBulletin {
    std::string title;         // the campaign's name, as an editor wrote it for people
    std::vector<int> minutes;  // local minutes after midnight
    std::uint8_t weekdays = 0x7f;
    std::optional<std::chrono::year_month_day> valid_from;
    std::optional<std::chrono::year_month_day> valid_to;
    std::vector<std::string> zones;  // ids of the zones whose loudspeakers play it
};

struct PublicBoard {
    TimePoint built;
    std::vector<BoardZone> zones;  // by name
    std::vector<BoardAlert> alerts;
    std::vector<BoardNotice> notices;
    std::vector<BoardBulletin> bulletins;

    // Whether `sha256` is the speech of a notice or alert on the board (the audio route serves
    // nothing else).
    bool has_speech(std::string_view sha256) const;
    const BoardZone* zone(std::string_view id) const;
};

// How long a notice stays on the board as "recent" after its campaign's last day.
inline constexpr std::chrono::days recent_notice_days{7};

Result<PublicBoard> build_public_board(Store& store, TimePoint now);

// The page of one zone, or of the town when `zone` is null. Links are relative to the board's
// own paths, so no address a client sent (Host) ever goes into a page another client is served.
std::string render_board_html(const PublicBoard& board, const BoardZone* zone, TimePoint now);
// Its Atom feed (RFC 4287): tag: URIs as ids, relative links.
std::string render_board_atom(const PublicBoard& board, const BoardZone* zone, TimePoint now);

// Adds the routes above. Call before register_web_console (whose catch-all would answer them).
void register_public_board(ApiServer& server, ApiContext& context);

// Whether an If-None-Match header names `tag` (RFC 9110 13.1.2: a list, "*", weak comparison).
// A proxy or cache in between may weaken the tag (W/"..."), and the client then sends that form.
bool etag_matches(std::string_view if_none_match, std::string_view tag);

}  // namespace bantin::controller
