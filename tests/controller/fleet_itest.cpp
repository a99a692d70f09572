// The fleet against a real Mosquitto (started by ManagedBroker, the daemon's own broker
// runner), real SQLite files and real HTTP: bundles checked by a third party (mosquitto_sub +
// openssl), proof of play through the broker, revocation, and the device media route.

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/alerts.hpp"
#include "bantin/controller/api_fleet.hpp"
#include "bantin/controller/delivery_repair.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/fleet_broker.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "managed_broker_fixture.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <fstream>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::TextAsSpeech;
namespace fs = std::filesystem;

namespace {

constexpr const char* controller_password = "controller-secret-for-tests";

struct BrokerFleet : bantin::testing::ManagedBrokerFleet {
    BrokerFleet() {
        create_managed_broker(controller_password);
        auto started = broker->start({});
        if (!started)
            FAIL(started.error().message());
        auto client = protocol::MqttClient::create(options_for("controller", controller_password));
        REQUIRE(client);
        controller.emplace(std::move(*client));
        sink = std::make_unique<MqttMessageSink>(*controller);
        PublisherOptions publisher_options;
        publisher_options.media_base_url = "http://127.0.0.1:1";
        publisher = std::make_unique<Publisher>(*store, clock, keys.secret, *sink, publisher_options);
        ingest = std::make_unique<Ingest>(*store, clock, keys.secret, *sink);
    }

    protocol::Provisioning register_device(const std::string& id, const std::string& zone) {
        scheduler::Device device;
        device.id = id;
        device.zone = zone;
        auto registered = registry->register_device(operator_one, device, id);
        if (!registered)
            FAIL(registered.error().message());
        return registered->provisioning;
    }

    // Drives the controller's MQTT loop like the daemon does, for `duration`.
    void pump(std::chrono::milliseconds duration) {
        const auto deadline = std::chrono::steady_clock::now() + duration;
        while (std::chrono::steady_clock::now() < deadline) {
            for (auto& event : controller->poll(std::chrono::milliseconds(20)))
                if (auto* message = std::get_if<protocol::MqttMessage>(&event))
                    ingest->accept(*message);
            if (ingest->has_pending())
                REQUIRE(ingest->flush());
        }
    }

    void connect_controller() {
        REQUIRE(controller->subscribe(proof_subscription("bantin-ingest")));
        REQUIRE(controller->start());
        test::EventWaiter waiter{*controller};
        REQUIRE(waiter.wait_for<protocol::MqttConnected>(std::chrono::seconds(5)));
    }

    std::optional<protocol::MqttClient> controller;
    std::unique_ptr<MqttMessageSink> sink;
    std::unique_ptr<Publisher> publisher;
    std::unique_ptr<Ingest> ingest;
};

test::CommandResult retained(const BrokerFleet& fleet, const protocol::Provisioning& device,
                             const std::string& topic, int wait_seconds) {
    return test::run_command({"mosquitto_sub",
                              "-h",
                              "127.0.0.1",
                              "-p",
                              std::to_string(fleet.port),
                              "-V",
                              "mqttv5",
                              "-u",
                              device.mqtt.username,
                              "-P",
                              device.mqtt.password,
                              "-i",
                              device.device,
                              "-t",
                              topic,
                              "-C",
                              "1",
                              "-W",
                              std::to_string(wait_seconds),
                              "-N"},
                             fs::path{fleet.directory.path()} / ("sub-" + device.device + ".out"),
                             std::chrono::seconds(wait_seconds + 5));
}

void write_file(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

}  // namespace

TEST_CASE("an approved campaign leaves retained bundles for exactly its devices that openssl verifies",
          "[fleet][integration]") {
    BrokerFleet fleet;
    INFO(fleet.broker->log_tail());
    auto screen_1 = fleet.register_device("screen-1", "zone-1");
    auto screen_2 = fleet.register_device("screen-2", "zone-1");
    auto screen_3 = fleet.register_device("screen-3", "zone-2");
    fleet.connect_controller();
    fleet.approve_campaign("camp-1", {"zone-1"});
    auto report = fleet.publisher->on_campaigns_changed(std::vector<std::string>{"camp-1"});
    REQUIRE(report);
    CHECK(report->published == std::vector<std::string>{"screen-1", "screen-2"});
    fleet.pump(std::chrono::milliseconds(300));

    const fs::path dir = fleet.directory.path();
    write_file(dir / "controller.pem", protocol::to_pem(fleet.keys.public_key));
    for (const auto* device : {&screen_1, &screen_2}) {
        auto fetched = retained(fleet, *device, "bantin/v1/dev/" + device->device + "/bundle", 5);
        REQUIRE(fetched.exit_code == 0);
        auto envelope = nlohmann::json::parse(fetched.output);
        const std::string payload = envelope["payload"].get<std::string>();
        auto signature = protocol::base64_decode(envelope["sig"].get<std::string>());
        REQUIRE(signature);
        write_file(dir / "payload.bin", payload);
        write_file(dir / "sig.bin", *signature);
        auto verified = test::run_command(
            {"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (dir / "controller.pem").string(), "-rawin",
             "-in", (dir / "payload.bin").string(), "-sigfile", (dir / "sig.bin").string()},
            dir / "openssl.out");
        INFO(verified.output);
        CHECK(verified.exit_code == 0);
        CHECK(verified.output.find("Signature Verified Successfully") != std::string::npos);
        auto bundle = protocol::decode_bundle(payload);
        REQUIRE(bundle);
        CHECK(bundle->device == device->device);
        REQUIRE(bundle->model.campaigns.size() == 1);
        CHECK(bundle->model.campaigns[0].id == "camp-1");
        // And the tampered payload is refused.
        write_file(dir / "payload.bin", payload + " ");
        auto tampered = test::run_command(
            {"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (dir / "controller.pem").string(), "-rawin",
             "-in", (dir / "payload.bin").string(), "-sigfile", (dir / "sig.bin").string()},
            dir / "openssl.out");
        CHECK(tampered.exit_code != 0);
    }
    auto nothing = retained(fleet, screen_3, "bantin/v1/dev/screen-3/bundle", 2);
    INFO(nothing.output);
    CHECK(nothing.output.find("payload") == std::string::npos);
    CHECK(nothing.exit_code != 0);
}

TEST_CASE("proof of play through the broker is committed once and acked after the commit",
          "[fleet][integration]") {
    BrokerFleet fleet;
    INFO(fleet.broker->log_tail());
    auto screen = fleet.register_device("screen-1", "zone-1");
    fleet.connect_controller();
    auto device_client =
        protocol::MqttClient::create(fleet.options_for(screen.mqtt.username, screen.mqtt.password));
    REQUIRE(device_client);
    test::EventWaiter device{*device_client};
    device.connect_and_subscribe({"bantin/v1/dev/screen-1/ack"});

    protocol::ProofOfPlayBatch batch;
    batch.device = "screen-1";
    batch.install_epoch = "1700000000000";
    for (std::uint64_t seq = 1; seq <= 20; ++seq) {
        protocol::ProofOfPlayRow row;
        row.seq = seq;
        row.source_id = "camp-1";
        row.media = std::string(64, 'b');
        row.started_at = fleet.clock.wall();
        row.ended_at = row.started_at + std::chrono::seconds{15};
        batch.rows.push_back(row);
    }
    for (int attempt = 0; attempt < 2; ++attempt) {  // the second is a resend: nothing new
        REQUIRE(device_client->publish("bantin/v1/dev/screen-1/pop", protocol::encode(batch)));
        std::optional<protocol::MqttMessage> ack;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!ack && std::chrono::steady_clock::now() < deadline) {
            fleet.pump(std::chrono::milliseconds(50));
            ack = device.wait_for_message("bantin/v1/dev/screen-1/ack", std::chrono::milliseconds(10));
        }
        REQUIRE(ack);
        auto verified = protocol::verify_ack(ack->payload, fleet.trusted(), "screen-1");
        REQUIRE(verified);
        CHECK(verified->committed_seq == 20);
        CHECK(verified->install_epoch == "1700000000000");
    }
    CHECK(fleet.ingest->counters().rows_inserted == 20);
    CHECK(fleet.ingest->counters().rows_received == 40);
}

TEST_CASE("proof ingest resumes after the broker restarts under the controller's shared subscription",
          "[fleet][integration][broker-restart]") {
    BrokerFleet fleet;
    INFO(fleet.broker->log_tail());
    auto screen = fleet.register_device("screen-1", "zone-1");
    fleet.connect_controller();
    auto device_client =
        protocol::MqttClient::create(fleet.options_for(screen.mqtt.username, screen.mqtt.password));
    REQUIRE(device_client);
    test::EventWaiter device{*device_client};
    device.connect_and_subscribe({"bantin/v1/dev/screen-1/ack"});

    // Publishes seq and waits for the controller's ack of it.
    auto prove = [&](std::uint64_t seq) {
        protocol::ProofOfPlayBatch batch;
        batch.device = "screen-1";
        batch.install_epoch = "1700000000000";
        protocol::ProofOfPlayRow row;
        row.seq = seq;
        row.source_id = "camp-1";
        row.media = std::string(64, 'b');
        row.started_at = fleet.clock.wall();
        row.ended_at = row.started_at + std::chrono::seconds{15};
        batch.rows.push_back(row);
        REQUIRE(device_client->publish("bantin/v1/dev/screen-1/pop", protocol::encode(batch)));
        std::optional<std::uint64_t> committed;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (committed != seq && std::chrono::steady_clock::now() < deadline) {
            fleet.pump(std::chrono::milliseconds(50));
            if (auto ack =
                    device.wait_for_message("bantin/v1/dev/screen-1/ack", std::chrono::milliseconds(10))) {
                auto verified = protocol::verify_ack(ack->payload, fleet.trusted(), "screen-1");
                REQUIRE(verified);
                committed = verified->committed_seq;
            }
        }
        REQUIRE(committed == seq);
    };
    prove(1);

    // SIGTERM: Mosquitto saves the controller's session, which comes back "present" without
    // its $share/ subscription.
    fleet.broker->stop();
    auto accounts = fleet.registry->broker_accounts();
    REQUIRE(accounts);
    REQUIRE(fleet.broker->start(*accounts));
    test::EventWaiter controller_events{*fleet.controller};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::optional<protocol::MqttSubscribed> resubscribed;
    while (!resubscribed && std::chrono::steady_clock::now() < deadline)
        resubscribed = controller_events.wait_for<protocol::MqttSubscribed>(std::chrono::milliseconds(100));
    REQUIRE(resubscribed);
    CHECK(resubscribed->filters == std::vector<std::string>{proof_subscription("bantin-ingest")});
    REQUIRE(device.wait_for<protocol::MqttConnected>(std::chrono::seconds(10)));

    prove(2);
    prove(3);
    CHECK(fleet.ingest->counters().rows_inserted == 3);
    auto progress = fleet.store->read_value<ProofProgress>(
        [](StoreTransaction& transaction) { return transaction.proof_progress("screen-1", 1700000000000); });
    REQUIRE(progress);
    CHECK(progress->contiguous == 3);
    CHECK(progress->gaps.empty());
}

TEST_CASE(
    "a broker killed before its autosave loses retained bundles and alerts, and a device behind gets both "
    "back from its status",
    "[fleet][integration][broker-restart]") {
    BrokerFleet fleet;
    INFO(fleet.broker->log_tail());
    auto screen = fleet.register_device("screen-1", "zone-1");
    REQUIRE(fleet.controller->subscribe(status_subscription()));
    fleet.connect_controller();
    TextAsSpeech speech{fleet.clock};
    AlertServiceOptions alert_options;
    AlertService alerts{*fleet.store, fleet.clock,           fleet.keys.secret, *fleet.sink,
                        speech,       fleet.publisher.get(), alert_options};
    DeliveryRepair repair{*fleet.store, fleet.clock, *fleet.publisher, &alerts};
    std::vector<RepairReport> repairs;
    fleet.ingest->on_statuses = [&](const std::vector<CommittedStatus>& statuses) {
        auto repaired = repair.on_statuses(statuses);
        REQUIRE(repaired);
        repairs.push_back(*repaired);
    };

    // Published while the device is offline: a bundle, then an exercise alert for its zone
    // (which rebuilds the bundle once more).
    fleet.approve_campaign("camp-1", {"zone-1"});
    REQUIRE(fleet.publisher->rebuild_all());
    AlertRequest request;
    request.zones = {"zone-1"};
    request.status = scheduler::AlertStatus::Exercise;
    request.headline = "Lũ quét";
    request.text = "Di chuyển lên vùng cao ngay.";
    request.expires = fleet.clock.wall() + std::chrono::hours{2};
    auto alert = alerts.create(fleet.operator_one, request);
    REQUIRE(alert);
    REQUIRE(alert->state == AlertState::Sent);
    const std::int64_t desired = fleet.device("screen-1").desired_version;
    REQUIRE(desired > 0);
    // The broker holds both, retained.
    REQUIRE(retained(fleet, screen, "bantin/v1/dev/screen-1/bundle", 5).exit_code == 0);
    REQUIRE(retained(fleet, screen, "bantin/v1/alert/zone/zone-1", 5).exit_code == 0);

    // SIGKILL before the first autosave (60 s): the broker saved nothing and comes back empty.
    const fs::path saved = fleet.broker->files().persistence_directory / "mosquitto.db";
    REQUIRE(::kill(fleet.broker->pid(), SIGKILL) == 0);
    fleet.broker->stop();
    REQUIRE_FALSE(fs::exists(saved));
    auto accounts = fleet.registry->broker_accounts();
    REQUIRE(accounts);
    REQUIRE(fleet.broker->start(*accounts));

    // The device comes back, finds nothing retained, and reports that it has seen no bundle.
    auto device_options = fleet.options_for(screen.mqtt.username, screen.mqtt.password);
    device_options.clean_start = true;
    device_options.session_expiry = std::chrono::seconds{0};
    auto device_client = protocol::MqttClient::create(device_options);
    REQUIRE(device_client);
    test::EventWaiter device{*device_client};
    device.connect_and_subscribe({"bantin/v1/dev/screen-1/bundle", "bantin/v1/alert/zone/zone-1"});
    protocol::Status status;
    status.device = "screen-1";
    status.reported_at = fleet.clock.wall();
    status.install_epoch = "1700000000000";
    status.boot_id = "boot-2";
    status.software_version = "0.1";
    protocol::PublishOptions retain;
    retain.retain = protocol::Retain::Yes;
    REQUIRE(device_client->publish("bantin/v1/dev/screen-1/status", protocol::encode(status), retain));

    std::optional<protocol::MqttMessage> bundle;
    std::optional<protocol::MqttMessage> alert_message;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while ((!bundle || !alert_message) && std::chrono::steady_clock::now() < deadline) {
        fleet.pump(std::chrono::milliseconds(50));
        if (!bundle)
            bundle = device.wait_for_message("bantin/v1/dev/screen-1/bundle", std::chrono::milliseconds(10));
        if (!alert_message)
            alert_message =
                device.wait_for_message("bantin/v1/alert/zone/zone-1", std::chrono::milliseconds(10));
    }
    REQUIRE(bundle);
    REQUIRE(alert_message);
    auto verified =
        protocol::verify_bundle(bundle->payload, fleet.trusted(), "screen-1", 0, fleet.clock.wall());
    REQUIRE(verified);
    CHECK(verified->version == static_cast<std::uint64_t>(desired));  // the same version, not a new one
    CHECK(fleet.device("screen-1").desired_version == desired);
    auto verified_alert =
        protocol::verify_alert(alert_message->payload, fleet.trusted(), "zone-1", {}, fleet.clock.wall());
    REQUIRE(verified_alert);
    REQUIRE(std::holds_alternative<protocol::AlertMessage>(*verified_alert));
    CHECK(std::get<protocol::AlertMessage>(*verified_alert).alert.id == alert->alert.id);
    // One repair: a status seen again (a retained copy) within 30 s publishes nothing more.
    std::erase_if(repairs,
                  [](const RepairReport& report) { return report.bundles.empty() && report.alerts.empty(); });
    REQUIRE(repairs.size() == 1);
    CHECK(repairs[0].bundles == std::vector<std::string>{"screen-1"});
    CHECK(repairs[0].alerts == std::vector<std::string>{alert->alert.id});
}

TEST_CASE("revoking a device cuts its live connection and its credentials stop working",
          "[fleet][integration]") {
    BrokerFleet fleet;
    INFO(fleet.broker->log_tail());
    auto screen = fleet.register_device("screen-1", "zone-1");
    auto other = fleet.register_device("screen-2", "zone-1");
    auto device_client =
        protocol::MqttClient::create(fleet.options_for(screen.mqtt.username, screen.mqtt.password));
    REQUIRE(device_client);
    test::EventWaiter device{*device_client};
    device.connect_and_subscribe({"bantin/v1/dev/screen-1/bundle"});
    REQUIRE(fleet.registry->revoke(fleet.operator_one, "screen-1"));
    auto dropped = device.wait_for<protocol::MqttDisconnected>(std::chrono::seconds(5));
    REQUIRE(dropped);
    auto refused = device.wait_for<protocol::MqttDisconnected>(
        std::chrono::seconds(5),
        [](const protocol::MqttDisconnected& event) { return event.error.code == Errc::Unauthenticated; });
    CHECK(refused);
    CHECK_FALSE(device_client->connected());
    // The other device is not disturbed and can still log in.
    auto still = retained(fleet, other, "bantin/v1/dev/screen-2/bundle", 1);
    CHECK(still.output.find("not authorised") == std::string::npos);
    CHECK(still.output.find("Connection Refused") == std::string::npos);
}

TEST_CASE("devices fetch media over HTTP with their own credentials and Range requests",
          "[fleet][integration][http]") {
    BrokerFleet fleet;
    auto screen = fleet.register_device("screen-1", "zone-1");
    auto media = media::ContentStore::open(fs::path{fleet.directory.path()} / "media");
    REQUIRE(media);
    auto stored = media->put_bytes("0123456789abcdef");
    REQUIRE(stored);
    config::ControllerConfig config;
    Auth auth{*fleet.store, fleet.clock, testing::cheap_auth_policy()};
    ApprovalService approval{*fleet.store, fleet.clock};
    ApiContext context{*fleet.store, auth, approval, fleet.clock, config, *media};
    TextAsSpeech speech{fleet.clock};
    testing::RecordingSink sink;
    AlertService alerts{*fleet.store, fleet.clock, fleet.keys.secret, sink, speech, nullptr, {}};
    auto proofs = SqliteProofQuery::open(fleet.path());
    REQUIRE(proofs);
    ReportService reports{*fleet.store, **proofs, nullptr, fleet.clock};
    FleetServices services{*fleet.registry, alerts, reports, nullptr, nullptr, nullptr, nullptr, {}};
    ApiServer server{ApiServerOptions{}};
    register_fleet_routes(server, context, services);
    auto port = server.start();
    REQUIRE(port);
    httplib::Client http("127.0.0.1", *port);
    const std::string path = "/api/v1/device-media/" + stored->sha256;

    auto anonymous = http.Get(path);
    REQUIRE(anonymous);
    CHECK(anonymous->status == 401);

    http.set_basic_auth("screen-1", screen.mqtt.password);
    auto whole = http.Get(path);
    REQUIRE(whole);
    CHECK(whole->status == 200);
    CHECK(whole->body == "0123456789abcdef");
    auto part = http.Get(path, httplib::Headers{{"Range", "bytes=4-7"}});
    REQUIRE(part);
    CHECK(part->status == 206);
    CHECK(part->body == "4567");
    auto missing = http.Get("/api/v1/device-media/" + std::string(64, 'c'));
    REQUIRE(missing);
    CHECK(missing->status == 404);

    http.set_basic_auth("screen-1", "not-the-password");
    auto wrong = http.Get(path);
    REQUIRE(wrong);
    CHECK(wrong->status == 401);

    REQUIRE(fleet.registry->revoke(fleet.operator_one, "screen-1"));
    http.set_basic_auth("screen-1", screen.mqtt.password);
    auto revoked = http.Get(path);
    REQUIRE(revoked);
    CHECK(revoked->status == 401);
    server.stop();
}
