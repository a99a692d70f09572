#pragma once
// Internal to the fleet API (api_fleet.cpp: devices, commands, screenshots, fleet status, the
// device media route; api_alerts.cpp: alerts, CAP import, reports).

#include "api_route.hpp"

#include "bantin/controller/api_fleet.hpp"
#include "bantin/scheduler/model.hpp"

#include <expected>
#include <optional>
#include <string>
#include <utility>

namespace bantin::controller::api {

void register_alert_routes(Routes& routes, FleetServices& fleet);
// Device settings with the two-person rule, a device's plays per hour (api_device_settings.cpp).
void register_device_settings_routes(Routes& routes, FleetServices& fleet);

// Whether `after` changes a safety setting of `before`, which only the two-person rule may do
// (api_device_settings.cpp): quiet hours, the default volume or the volume schedule.
bool is_safety_change(const scheduler::Device& before, const scheduler::Device& after);

// A malformed body (wrong type, unknown or missing field) is 400; a well-formed value the
// rules refuse (volume 150, an unknown time zone, overlapping windows) is 422.
struct DeviceBodyError {
    int status = 400;
    std::string detail;
};

using DeviceBody = std::pair<scheduler::Device, std::optional<std::string>>;  // device, name

Refusal refusal(const DeviceBodyError& error);

// The registration/update body is the schedule model's device (scheduler/json.hpp: id, kind,
// zone, tags, time_zone, on_hours, quiet_hours, default_volume, volume_schedule, has_speaker)
// plus `name`. On update the id comes from the path (a body id must match it).
std::expected<DeviceBody, DeviceBodyError> device_from_body(nlohmann::json body,
                                                            std::optional<std::string> path_id,
                                                            const std::string& default_time_zone);

}  // namespace bantin::controller::api
