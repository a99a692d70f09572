#pragma once
// JSON views of stored records, as written into the audit log's before/after columns (and
// usable by the HTTP API). Secrets never appear: no password or broker-password hashes.
// Deterministic field order. Pure functions; any thread.

#include "bantin/controller/records.hpp"

#include <nlohmann/json.hpp>

namespace bantin::controller {

nlohmann::ordered_json to_json(const User& user);
nlohmann::ordered_json to_json(const CampaignRecord& record);

// The stored campaign's own fields (author, editors, decision, times, version) added to `json`:
// the audit view above and the API's campaign view share them.
void add_record_fields(nlohmann::ordered_json& json, const CampaignRecord& record);
// null, or the time (RFC 3339 UTC) / the user id.
nlohmann::ordered_json optional_time(const std::optional<TimePoint>& time);
nlohmann::ordered_json optional_user(const std::optional<UserId>& user);

}  // namespace bantin::controller
