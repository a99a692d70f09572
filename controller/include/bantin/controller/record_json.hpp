#pragma once
// JSON views of stored records, as written into the audit log's before/after columns (and
// usable by the HTTP API). Secrets never appear: no password or broker-password hashes.
// Deterministic field order. Pure functions; any thread.

#include "bantin/controller/records.hpp"

#include <nlohmann/json.hpp>

namespace bantin::controller {

nlohmann::ordered_json to_json(const User& user);
nlohmann::ordered_json to_json(const CampaignRecord& record);

}  // namespace bantin::controller
