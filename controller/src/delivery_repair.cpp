#include "bantin/controller/delivery_repair.hpp"

#include <algorithm>

namespace bantin::controller {

DeliveryRepair::DeliveryRepair(Store& store, const Clock& clock, Publisher& publisher, AlertService* alerts,
                               Duration min_interval)
    : m_store(store),
      m_clock(clock),
      m_publisher(publisher),
      m_alerts(alerts),
      m_min_interval(min_interval) {}

bool DeliveryRepair::due(std::map<std::string, MonotonicTime, std::less<>>& last, const std::string& key,
                         MonotonicTime now) {
    auto found = last.find(key);
    if (found != last.end() && now - found->second < m_min_interval)
        return false;
    last[key] = now;
    return true;
}

Result<RepairReport> DeliveryRepair::on_statuses(const std::vector<CommittedStatus>& statuses) {
    const MonotonicTime now = m_clock.monotonic();
    RepairReport report;
    std::vector<std::string> behind;
    std::vector<std::string> repaired;
    for (const auto& committed : statuses) {
        const auto& status = committed.status;
        if (status.presence != protocol::Presence::Online)
            continue;
        const bool is_behind =
            committed.desired_version > 0 &&
            status.desired_bundle_version < static_cast<std::uint64_t>(committed.desired_version);
        const bool is_back = !committed.was_online;
        if (!is_behind && !is_back)
            continue;
        if (std::ranges::find(repaired, status.device) != repaired.end() ||
            !due(m_device_repairs, status.device, now))
            continue;
        repaired.push_back(status.device);
        if (is_behind)
            behind.push_back(status.device);
    }
    if (repaired.empty())
        return report;
    std::optional<Error> first_error;
    if (!behind.empty()) {
        auto published = m_publisher.republish_devices(behind);
        if (published)
            report.bundles = std::move(published->published);
        else
            first_error = published.error();
    }
    if (m_alerts) {
        std::vector<scheduler::Device> devices;
        auto read = m_store.read([&](StoreTransaction& transaction) -> Result<void> {
            for (const auto& id : repaired) {
                auto device = transaction.device_by_id(id);
                if (!device)
                    return std::unexpected(device.error());
                devices.push_back(device->device);
            }
            return {};
        });
        if (!read) {
            first_error = first_error.value_or(read.error());
        } else {
            auto published = m_alerts->republish_active([&](const AlertRecord& record) {
                const bool covers_one = std::ranges::any_of(devices, [&](const scheduler::Device& device) {
                    return scheduler::covers(record.alert, device);
                });
                return covers_one && due(m_alert_repairs, record.alert.id, now);
            });
            if (published)
                report.alerts = std::move(*published);
            else
                first_error = first_error.value_or(published.error());
        }
    }
    if (first_error)
        return std::unexpected(*first_error);
    return report;
}

Result<RepairReport> DeliveryRepair::on_broker_connected() {
    m_device_repairs.clear();
    m_alert_repairs.clear();
    RepairReport report;
    if (!m_alerts)
        return report;
    const MonotonicTime now = m_clock.monotonic();
    auto published = m_alerts->republish_active([&](const AlertRecord& record) {
        m_alert_repairs[record.alert.id] = now;
        return true;
    });
    if (!published)
        return std::unexpected(published.error());
    report.alerts = std::move(*published);
    return report;
}

}  // namespace bantin::controller
