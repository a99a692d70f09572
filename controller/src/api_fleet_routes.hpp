#pragma once
// Internal to the fleet API (api_fleet.cpp: devices, commands, screenshots, fleet status, the
// device media route; api_alerts.cpp: alerts, CAP import, reports).

#include "api_route.hpp"

#include "bantin/controller/api_fleet.hpp"

namespace bantin::controller::api {

void register_alert_routes(Routes& routes, FleetServices& fleet);

}  // namespace bantin::controller::api
