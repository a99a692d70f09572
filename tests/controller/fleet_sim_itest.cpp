// The fleet simulator (tests/support/fleet_sim.hpp) checked against the controller's own code
// and a real Mosquitto: 100 simulated devices with the accounts the DeviceRegistry made for
// them apply an approved change, prove plays through the outbox/ack protocol until the
// controller has committed and acked every row, and verify an alert for all zones and its
// cancel. Nothing here is timed: each wait gives up after a generous limit.

#include "bantin/controller/alerts.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/controller/publisher.hpp"
#include "fleet_sim.hpp"
#include "managed_broker_fixture.hpp"

#include <algorithm>
#include <functional>
#include <thread>

using namespace bantin;
using namespace bantin::controller;

namespace {

constexpr int kSimDevices = 100;
constexpr const char* kSimControllerPassword = "controller-secret-for-the-simulator";

struct SimConformanceRig : bantin::testing::ManagedBrokerFleet {
    SimConformanceRig() {
        clock.set_wall(SystemClock{}.wall());  // the devices check expiries against the real clock
        create_managed_broker(kSimControllerPassword);
        for (int i = 0; i < kSimDevices; ++i) {
            scheduler::Device device;
            device.id = "sim-" + std::to_string(i);
            device.zone = "zone-" + std::to_string(1 + i % 3);
            auto registered = registry->register_device(operator_one, device, device.id);
            if (!registered)
                FAIL(registered.error().message());
            devices.push_back({device.id, registered->provisioning.mqtt.password, device.zone});
        }
        auto accounts = registry->broker_accounts();
        REQUIRE(accounts);
        auto started = broker->start(*accounts);
        if (!started)
            FAIL(started.error().message());
        auto client = protocol::MqttClient::create(options_for("controller", kSimControllerPassword));
        REQUIRE(client);
        controller.emplace(std::move(*client));
        sink = std::make_unique<MqttMessageSink>(*controller);
        PublisherOptions publisher_options;
        publisher_options.media_base_url = "http://127.0.0.1:1";
        publisher = std::make_unique<Publisher>(*store, clock, keys.secret, *sink, publisher_options);
        ingest = std::make_unique<Ingest>(*store, clock, keys.secret, *sink);
        REQUIRE(controller->subscribe(proof_subscription("bantin-ingest")));
        REQUIRE(controller->subscribe(status_subscription()));
        REQUIRE(controller->start());
    }

    fleet_sim::SimOptions sim_options() const {
        fleet_sim::SimOptions options;
        options.port = port;
        options.keys = trusted();
        options.reconnect_min = std::chrono::milliseconds(100);
        options.reconnect_max = std::chrono::milliseconds(1000);
        return options;
    }

    // Runs the controller's MQTT loop as the daemon does until `done` holds; false after
    // `limit` (a generous bound, not a measurement).
    bool pump_until(const std::function<bool()>& done,
                    std::chrono::seconds limit = std::chrono::seconds(60)) {
        const auto give_up = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < give_up) {
            for (auto& event : controller->poll(std::chrono::milliseconds(20)))
                if (auto* message = std::get_if<protocol::MqttMessage>(&event))
                    ingest->accept(*message);
            if (ingest->has_pending())
                REQUIRE(ingest->flush());
            if (done())
                return true;
        }
        return false;
    }

    std::vector<DeviceRecord> fleet_view() {
        auto listed = store->read_value<std::vector<DeviceRecord>>([](StoreTransaction& transaction) {
            return transaction.list_devices(Page{kSimDevices + 10, 0});
        });
        REQUIRE(listed);
        return *listed;
    }

    // Every device applied `version` (as it says) and the controller's view shows it.
    bool all_applied(const fleet_sim::FleetSimulator& sim, std::uint64_t version) {
        const auto views = sim.snapshot();
        if (!std::all_of(views.begin(), views.end(),
                         [&](const fleet_sim::DeviceView& view) { return view.applied_version >= version; }))
            return false;
        const auto records = fleet_view();
        return records.size() == static_cast<std::size_t>(kSimDevices) &&
               std::all_of(records.begin(), records.end(), [&](const DeviceRecord& record) {
                   return record.online && record.applied_version >= static_cast<std::int64_t>(version);
               });
    }

    std::vector<fleet_sim::SimDevice> devices;
    std::optional<protocol::MqttClient> controller;
    std::unique_ptr<MqttMessageSink> sink;
    std::unique_ptr<Publisher> publisher;
    std::unique_ptr<Ingest> ingest;
};

}  // namespace

TEST_CASE("a hundred simulated devices apply a change, get every proof row acked and verify an alert",
          "[fleet][integration]") {
    SimConformanceRig rig;
    INFO(rig.broker->log_tail());
    rig.approve_campaign("camp-sim-1", {"zone-1", "zone-2", "zone-3"});
    auto first = rig.publisher->rebuild_all();
    REQUIRE(first);
    REQUIRE(first->published.size() == static_cast<std::size_t>(kSimDevices));

    fleet_sim::FleetSimulator sim{rig.sim_options(), rig.devices};
    REQUIRE(sim.start());
    REQUIRE(rig.pump_until([&] { return rig.all_applied(sim, 1); }));

    // One approved change that reaches every device: each applies the new version.
    const auto before = rig.fleet_view();
    const std::int64_t desired = before.front().desired_version;
    rig.approve_campaign("camp-sim-2", {"zone-1", "zone-2", "zone-3"});
    auto change = rig.publisher->on_campaigns_changed(std::vector<std::string>{"camp-sim-2"});
    REQUIRE(change);
    CHECK(change->published.size() == static_cast<std::size_t>(kSimDevices));
    REQUIRE(rig.pump_until([&] { return rig.all_applied(sim, static_cast<std::uint64_t>(desired) + 1); }));

    // Three plays each: every row is committed, acked, and pruned from the device's outbox.
    sim.play(3);
    REQUIRE(rig.pump_until([&] {
        const auto views = sim.snapshot();
        return std::all_of(views.begin(), views.end(), [](const fleet_sim::DeviceView& view) {
            return view.acked_seq == 3 && view.outbox_rows == 0;
        });
    }));
    CHECK(rig.ingest->counters().rows_inserted == static_cast<std::uint64_t>(kSimDevices) * 3);

    // An exercise alert for all zones, then its cancel: every device verifies both.
    bantin::testing::TextAsSpeech speech{rig.clock};
    AlertService alerts{*rig.store, rig.clock,           rig.keys.secret,      *rig.sink,
                        speech,     rig.publisher.get(), AlertServiceOptions{}};
    AlertRequest request;
    request.all_zones = true;
    request.status = scheduler::AlertStatus::Exercise;
    request.headline = "Diễn tập sơ tán";
    request.text = "Diễn tập, không phải cảnh báo thật.";
    auto alert = alerts.create(rig.operator_one, request);
    REQUIRE(alert);
    const std::string alert_id = alert->alert.id;
    REQUIRE(rig.pump_until([&] {
        const auto views = sim.snapshot();
        return std::all_of(views.begin(), views.end(),
                           [&](const fleet_sim::DeviceView& view) { return view.alert_id == alert_id; });
    }));
    REQUIRE(alerts.cancel(rig.operator_one, alert_id));
    REQUIRE(rig.pump_until([&] {
        const auto views = sim.snapshot();
        return std::all_of(views.begin(), views.end(),
                           [&](const fleet_sim::DeviceView& view) { return view.cancelled_id == alert_id; });
    }));

    sim.stop();
    const auto counters = sim.counters();
    CHECK(counters.refused == 0);
    CHECK(counters.connects >= static_cast<std::uint64_t>(kSimDevices));
    CHECK(counters.bundles >= static_cast<std::uint64_t>(kSimDevices) * 2);
}

TEST_CASE("a simulated device with a wrong password is refused by the broker and applies nothing",
          "[fleet][integration]") {
    SimConformanceRig rig;
    rig.approve_campaign("camp-sim-1", {"zone-1"});
    REQUIRE(rig.publisher->rebuild_all());
    std::vector<fleet_sim::SimDevice> devices{rig.devices[0], rig.devices[3]};
    devices[1].password = "not-the-password";
    fleet_sim::FleetSimulator sim{rig.sim_options(), devices};
    REQUIRE(sim.start());
    REQUIRE(rig.pump_until([&] { return sim.snapshot()[0].applied_version >= 1; }));
    rig.pump_until([] { return false; }, std::chrono::seconds(1));
    const auto views = sim.snapshot();
    CHECK(views[1].connections == 0);
    CHECK(views[1].applied_version == 0);
}
