#pragma once
// Strict JSON codec for the schedule model (docs/model.md). Decoding refuses unknown fields,
// wrong types and out-of-range values; the error names the field by its path
// ("campaigns[2].windows[0].start: expected \"HH:MM\""). Encoding is deterministic (fixed
// field order), so equal models encode to equal bytes: bundles are compared and signed by
// their bytes. Pure functions; any thread.

#include "bantin/common/error.hpp"
#include "bantin/scheduler/model.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace bantin::scheduler {

nlohmann::ordered_json to_json(const Model& model);
nlohmann::ordered_json to_json(const Device& device);
nlohmann::ordered_json to_json(const MediaRef& media);
nlohmann::ordered_json to_json(const Playlist& playlist);
nlohmann::ordered_json to_json(const Campaign& campaign);
nlohmann::ordered_json to_json(const Alert& alert);

// `path` prefixes error messages, so a model nested in a bundle reports "bundle.model.campaigns[0]...".
Result<Model> model_from_json(const nlohmann::json& json, std::string_view path = "");
Result<Device> device_from_json(const nlohmann::json& json, std::string_view path = "");
Result<MediaRef> media_from_json(const nlohmann::json& json, std::string_view path = "");
Result<Playlist> playlist_from_json(const nlohmann::json& json, std::string_view path = "");
Result<Campaign> campaign_from_json(const nlohmann::json& json, std::string_view path = "");
Result<Alert> alert_from_json(const nlohmann::json& json, std::string_view path = "");

// Parses text, then model_from_json; a syntax error gives its byte offset.
Result<Model> parse_model(std::string_view text);

// "06:00" <-> 360; "24:00" is accepted as the end of a day.
std::string format_clock(int minute_of_day);
Result<int> parse_clock(std::string_view text);

}  // namespace bantin::scheduler
