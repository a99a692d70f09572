#pragma once
// Desired state that survives a broker losing its retained store (docs/fleet.md, "Delivery
// repair"). Retained bundles and alerts live in the broker; a broker killed before its autosave
// comes back without those published since, and a device that was offline then never gets them.
// DeliveryRepair hears every status the ingest commits (Ingest::on_statuses) and, for a device
// that is online and
//   - behind: its status' desired_bundle_version (the newest bundle it received) is below the
//     controller's desired version: its bundle is published again (Publisher::
//     republish_devices: same version when unchanged) and every sent alert covering it;
//   - back: its previous status said offline: every sent alert covering it is published again
//     (and its bundle too when it is also behind),
// at most once per device per `min_interval` (monotonic), so a device stuck on a bundle it
// cannot take is not flooded; an alert goes out at most once per `min_interval` whatever the
// number of devices asking. on_broker_connected() (the controller's own CONNACK, after a start
// or a broker restart) publishes every sent alert again and forgets the rate limits.
//
// Threads: the ingest thread (one owner). Errors: those of the publisher and the alert service,
// returned after every device of the call was tried.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/controller/alerts.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/controller/publisher.hpp"

#include <map>
#include <string>
#include <vector>

namespace bantin::controller {

struct RepairReport {
    std::vector<std::string> bundles;  // devices whose bundle was published again, in order
    std::vector<std::string> alerts;   // alert ids published again, in order
};

class DeliveryRepair {
public:
    DeliveryRepair(Store& store, const Clock& clock, Publisher& publisher, AlertService* alerts,
                   Duration min_interval = std::chrono::seconds{30});

    Result<RepairReport> on_statuses(const std::vector<CommittedStatus>& statuses);
    Result<RepairReport> on_broker_connected();

private:
    bool due(std::map<std::string, MonotonicTime, std::less<>>& last, const std::string& key,
             MonotonicTime now);

    Store& m_store;
    const Clock& m_clock;
    Publisher& m_publisher;
    AlertService* m_alerts;
    Duration m_min_interval;
    std::map<std::string, MonotonicTime, std::less<>> m_device_repairs;
    std::map<std::string, MonotonicTime, std::less<>> m_alert_repairs;
};

}  // namespace bantin::controller
