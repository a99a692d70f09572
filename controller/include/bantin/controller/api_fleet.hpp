#pragma once
// The fleet part of the HTTP API (docs/api.md, "Fleet, alerts and reports"): devices and
// their provisioning and settings, commands to one device, screenshots (uploaded by the device,
// read by operators), fleet status, the device media route, alerts (with CAP import) and
// reports with CSV export. Registered like the content routes, before ApiServer::start().
//
// Threads: handlers run on httplib's pool; every service here is thread-safe.

#include "bantin/controller/alerts.hpp"
#include "bantin/controller/device_commands.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/http_server.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/reports.hpp"
#include "bantin/media/supervised_process.hpp"

#include <functional>
#include <string>
#include <vector>

namespace bantin::controller {

// A child process the controller runs (its Mosquitto, its nginx front) as the fleet status
// reports it: "services": [{"name", "up", "pid", "restarts", "last_exit", "last_error"}].
struct ServiceHealth {
    std::string name;
    media::ProcessHealth health;
};

struct FleetServices {
    DeviceRegistry& registry;
    AlertService& alerts;
    ReportService& reports;
    Publisher* publisher = nullptr;                // rebuilds a device's bundle after registration
    DeviceCommands* commands = nullptr;            // POST /devices/{id}/commands; absent: 503
    const ScreenshotStore* screenshots = nullptr;  // PUT/GET /devices/{id}/screenshot
    const ProofStallWatch* stalls = nullptr;       // "proof_stalled_since" of each device; absent: null
    // GET /fleet/status "services"; absent: an empty list.
    std::function<std::vector<ServiceHealth>()> services_health;
};

void register_fleet_routes(ApiServer& server, ApiContext& context, FleetServices& fleet);

}  // namespace bantin::controller
