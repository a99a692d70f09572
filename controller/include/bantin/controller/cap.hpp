#pragma once
// CAP 1.2 (OASIS Common Alerting Protocol) import: an XML alert from a provincial or national
// warning system becomes a Bantin alert request, or the cancel of one.
//
// Mapping: <status> Actual -> live, Exercise -> exercise (System, Test and Draft are refused:
// they are not for the public); <msgType> Alert raises an alert, Update raises one that replaces
// the alerts its <references> name, Cancel cancels them (AlertService::cancel_chain: and the
// updates that replaced them); the first <info> gives severity (Extreme,
// Severe, Moderate, Minor; Unknown -> Minor), <headline> (else <event>), <description> and
// <instruction> (the text), <expires>. Each <area>'s <geocode> values map to zones through the
// configured table; with match_area_desc an <areaDesc> equal to a zone id or name (ignoring
// case) maps too. The Bantin alert id is "cap-" + the identifier when that is a valid id,
// else "cap-" + 16 hex digits of SHA-256(sender, identifier).
//
// Parsing uses expat (no DTD, no external entities: an entity declaration is refused, so
// "billion laughs" and XXE documents cannot expand). Pure; any thread. Errors: InvalidInput
// naming the element that is missing or wrong ("cap: alert/info/expires: ...") or the XML
// error with its line; TooLarge above 256 KiB.

#include "bantin/common/error.hpp"
#include "bantin/controller/alerts.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller {

struct CapZone {
    std::string id;
    std::string name;
};

struct CapMapping {
    std::map<std::string, std::string> geocodes;  // CAP geocode value -> zone id
    bool match_area_desc = true;
    std::vector<CapZone> zones;  // for areaDesc matching
};

enum class CapAction { Raise, Cancel };

struct CapImport {
    CapAction action = CapAction::Raise;
    AlertRequest request;                       // Raise (an Update: request.replaces)
    std::vector<std::string> cancel_alert_ids;  // Cancel: every alert <references> names
    std::string identifier;                     // the CAP identifier, for the audit log
};

inline constexpr std::size_t max_cap_size = 256 * 1024;

Result<CapImport> parse_cap(std::string_view xml, const CapMapping& mapping);

// "2026-11-27T13:00:00+07:00" (CAP's dateTime: seconds, a numeric offset, or Z).
Result<TimePoint> parse_cap_time(std::string_view text);

}  // namespace bantin::controller
