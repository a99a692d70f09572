// A second proof-of-play ingest worker against a real Mosquitto run by ManagedBroker: its own
// account from the ingest workers file, the shared subscription split between it and the
// controller, acks allowed, everything else denied.

#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/fleet_broker.hpp"
#include "bantin/controller/ingest.hpp"
#include "managed_broker_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::ManagedBrokerFleet;
namespace fs = std::filesystem;

namespace {

constexpr const char* controller_password = "controller-secret-for-worker-tests";

struct WorkerBroker : ManagedBrokerFleet {
    explicit WorkerBroker(const std::string& worker_name = "ingest-2") {
        workers_file = fs::path{directory.path()} / "keys" / "ingest-workers";
        auto added = add_ingest_worker(workers_file, worker_name, {"controller"});
        if (!added)
            FAIL(added.error().message());
        worker_password = *added;
        create_managed_broker(controller_password, workers_file);
    }

    protocol::Provisioning register_device(const std::string& id) {
        scheduler::Device device;
        device.id = id;
        device.zone = "zone-1";
        auto registered = registry->register_device(operator_one, device, id);
        if (!registered)
            FAIL(registered.error().message());
        return registered->provisioning;
    }

    protocol::MqttClient client(const std::string& user, const std::string& password) const {
        auto made = protocol::MqttClient::create(options_for(user, password));
        REQUIRE(made);
        return std::move(*made);
    }

    fs::path workers_file;
    std::string worker_password;
};

std::string pop_payload(std::uint64_t seq) {
    protocol::ProofOfPlayBatch batch;
    batch.device = "screen-1";
    batch.install_epoch = "1700000000000";
    protocol::ProofOfPlayRow row;
    row.seq = seq;
    row.source_id = "camp-1";
    row.media = std::string(64, 'b');
    row.started_at = TimePoint{std::chrono::seconds{1'800'000'000}};
    row.ended_at = row.started_at + std::chrono::seconds{15};
    batch.rows.push_back(row);
    return protocol::encode(batch);
}

}  // namespace

TEST_CASE("an ingest worker shares the pop subscription with the controller and may ack",
          "[fleet][ingest-worker][integration]") {
    WorkerBroker fleet;
    REQUIRE(fleet.broker->start({}));
    INFO(fleet.broker->log_tail());
    auto screen = fleet.register_device("screen-1");

    auto controller_client = fleet.client("controller", controller_password);
    auto worker_client = fleet.client("ingest-2", fleet.worker_password);
    auto device_client = fleet.client(screen.mqtt.username, screen.mqtt.password);
    test::EventWaiter controller{controller_client};
    test::EventWaiter worker{worker_client};
    test::EventWaiter device{device_client};
    controller.connect_and_subscribe({proof_subscription("bantin-ingest")});
    worker.connect_and_subscribe({proof_subscription("bantin-ingest")});
    device.connect_and_subscribe({"bantin/v1/dev/screen-1/ack"});

    constexpr std::uint64_t count = 20;
    for (std::uint64_t seq = 1; seq <= count; ++seq)
        REQUIRE(device_client.publish("bantin/v1/dev/screen-1/pop", pop_payload(seq)));
    std::multiset<std::uint64_t> seen;
    std::size_t by_worker = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen.size() < count && std::chrono::steady_clock::now() < deadline) {
        for (auto& message :
             controller.collect_messages("bantin/v1/dev/screen-1/pop", std::chrono::milliseconds(50))) {
            auto batch = protocol::decode_proof_of_play(message.payload);
            REQUIRE(batch);
            seen.insert(batch->rows.at(0).seq);
        }
        for (auto& message :
             worker.collect_messages("bantin/v1/dev/screen-1/pop", std::chrono::milliseconds(50))) {
            auto batch = protocol::decode_proof_of_play(message.payload);
            REQUIRE(batch);
            seen.insert(batch->rows.at(0).seq);
            ++by_worker;
        }
    }
    // Every batch reached exactly one of the two, and the worker took its share.
    REQUIRE(seen.size() == count);
    for (std::uint64_t seq = 1; seq <= count; ++seq) CHECK(seen.count(seq) == 1);
    CHECK(by_worker > 0);
    CHECK(by_worker < count);

    REQUIRE(worker_client.publish("bantin/v1/dev/screen-1/ack", "ack-from-worker"));
    auto ack = device.wait_for_message("bantin/v1/dev/screen-1/ack", std::chrono::seconds(5));
    REQUIRE(ack);
    CHECK(ack->payload == "ack-from-worker");
}

TEST_CASE("an ingest worker reads no bundles, commands or statuses and cannot command devices",
          "[fleet][ingest-worker][integration]") {
    WorkerBroker fleet;
    REQUIRE(fleet.broker->start({}));
    INFO(fleet.broker->log_tail());
    auto screen = fleet.register_device("screen-1");
    auto controller_client = fleet.client("controller", controller_password);
    auto worker_client = fleet.client("ingest-2", fleet.worker_password);
    auto device_client = fleet.client(screen.mqtt.username, screen.mqtt.password);
    test::EventWaiter controller{controller_client};
    test::EventWaiter worker{worker_client};
    test::EventWaiter device{device_client};
    controller.connect_and_subscribe({});
    device.connect_and_subscribe({"bantin/v1/dev/screen-1/cmd"});
    // Mosquitto grants the SUBACK but delivers nothing the ACL denies.
    REQUIRE(worker_client.subscribe("bantin/v1/dev/+/bundle"));
    REQUIRE(worker_client.subscribe("bantin/v1/dev/+/cmd"));
    REQUIRE(worker_client.subscribe("bantin/v1/dev/+/status"));
    REQUIRE(worker_client.subscribe("bantin/v1/alert/all"));
    REQUIRE(worker_client.start());
    REQUIRE(worker.wait_for<protocol::MqttConnected>(std::chrono::seconds(5)));
    for (int i = 0; i < 4; ++i) REQUIRE(worker.wait_for<protocol::MqttSubscribed>(std::chrono::seconds(5)));

    REQUIRE(controller_client.publish("bantin/v1/dev/screen-1/bundle", "bundle"));
    REQUIRE(controller_client.publish("bantin/v1/dev/screen-1/cmd", "command"));
    REQUIRE(controller_client.publish("bantin/v1/alert/all", "alert"));
    REQUIRE(device_client.publish("bantin/v1/dev/screen-1/status", "status"));
    // The device gets the controller's command: the broker delivers, just not to the worker.
    REQUIRE(device.wait_for_message("bantin/v1/dev/screen-1/cmd", std::chrono::seconds(5)));
    auto leaked = worker.wait_for<protocol::MqttMessage>(std::chrono::milliseconds(1500));
    CHECK_FALSE(leaked.has_value());

    REQUIRE(worker_client.publish("bantin/v1/dev/screen-1/cmd", "forged command"));
    auto forged = device.wait_for_message("bantin/v1/dev/screen-1/cmd", std::chrono::milliseconds(1500));
    CHECK_FALSE(forged.has_value());
}

TEST_CASE("a wrong worker password is refused by the broker", "[fleet][ingest-worker][integration]") {
    WorkerBroker fleet;
    REQUIRE(fleet.broker->start({}));
    auto worker_client = fleet.client("ingest-2", "not-the-password");
    test::EventWaiter worker{worker_client};
    REQUIRE(worker_client.start());
    auto refused = worker.wait_for<protocol::MqttDisconnected>(
        std::chrono::seconds(5),
        [](const protocol::MqttDisconnected& event) { return event.error.code == Errc::Unauthenticated; });
    CHECK(refused);
}

TEST_CASE("ingest worker accounts: names are checked, duplicates refused, hashes only on disk",
          "[fleet][ingest-worker]") {
    FleetFixture fixture;
    const auto file = fs::path{fixture.directory.path()} / "keys" / "ingest-workers";
    auto none = load_ingest_workers(file);
    REQUIRE(none);
    CHECK(none->empty());
    auto password = add_ingest_worker(file, "ingest-2", {"controller", "screen-1"});
    REQUIRE(password);
    CHECK(password->size() == 32);
    auto again = add_ingest_worker(file, "ingest-2", {});
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::AlreadyExists);
    auto device_name = add_ingest_worker(file, "screen-1", {"controller", "screen-1"});
    REQUIRE_FALSE(device_name);
    CHECK(device_name.error().code == Errc::AlreadyExists);
    auto bad = add_ingest_worker(file, "ingest/2", {});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::InvalidInput);
    REQUIRE(add_ingest_worker(file, "ingest-3", {}));

    auto loaded = load_ingest_workers(file);
    REQUIRE(loaded);
    REQUIRE(loaded->size() == 2);
    CHECK((*loaded)[0].username == "ingest-2");
    CHECK((*loaded)[0].password_hash.starts_with("$7$"));
    auto verified = protocol::verify_broker_password((*loaded)[0].password_hash, *password);
    REQUIRE(verified);
    CHECK(*verified);
    CHECK((fs::status(file).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    CHECK(text.find(*password) == std::string::npos);

    CHECK(ingest_worker_acl((*loaded)[0]) ==
          "\n# A proof-of-play ingest worker: the shared pop subscription and the acks, nothing else.\n"
          "user ingest-2\ntopic read bantin/v1/dev/+/pop\ntopic write bantin/v1/dev/+/ack\n");
}

TEST_CASE("another controller's account: kept hashed in its own file, refused when its name is taken",
          "[fleet][cluster]") {
    FleetFixture fixture;
    const auto file = fs::path{fixture.directory.path()} / "keys" / "controllers";
    auto none = load_peer_controllers(file);
    REQUIRE(none);
    CHECK(none->empty());
    auto password = add_peer_controller(file, "controller-2", {"controller", "ingest-2", "screen-1"});
    REQUIRE(password);
    for (const std::string taken : {"controller", "ingest-2", "screen-1"}) {
        auto refused = add_peer_controller(file, taken, {"controller", "ingest-2", "screen-1"});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == Errc::AlreadyExists);
    }
    auto again = add_peer_controller(file, "controller-2", {});
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::AlreadyExists);
    auto bad = add_peer_controller(file, "controller 2", {});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::InvalidInput);
    auto loaded = load_peer_controllers(file);
    REQUIRE(loaded);
    REQUIRE(loaded->size() == 1);
    CHECK((*loaded)[0].username == "controller-2");
    auto verified = protocol::verify_broker_password((*loaded)[0].password_hash, *password);
    REQUIRE(verified);
    CHECK(*verified);
    CHECK((fs::status(file).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    // A hand-edited line that is not "<name>:<$7$ hash>" is an error naming the file and line.
    std::ofstream(file, std::ios::app) << "controller-3:plain-text\n";
    auto broken = load_peer_controllers(file);
    REQUIRE_FALSE(broken);
    CHECK(broken.error().code == Errc::InvalidInput);
    CHECK(broken.error().detail.find(file.string() + ":3") != std::string::npos);
}

TEST_CASE(
    "another controller's account is written to the broker files, and one named like a worker is refused",
    "[fleet][cluster][integration]") {
    WorkerBroker fleet;
    const auto peers = fs::path{fleet.directory.path()} / "keys" / "controllers";
    REQUIRE(add_peer_controller(peers, "controller-2", {}));
    fleet.create_managed_broker(controller_password, fleet.workers_file, peers);
    REQUIRE(fleet.broker->apply({}));
    std::ifstream in(fleet.broker->files().acl_file);
    std::string acl((std::istreambuf_iterator<char>(in)), {});
    CHECK(acl.find("user controller-2\ntopic readwrite bantin/#\n") != std::string::npos);
    auto reserved = fleet.broker->reserved_usernames();
    REQUIRE(reserved);
    CHECK(std::find(reserved->begin(), reserved->end(), "controller-2") != reserved->end());

    REQUIRE(add_peer_controller(peers, "ingest-2", {}));  // the file does not know the workers
    auto clash = fleet.broker->apply({});
    REQUIRE_FALSE(clash);
    CHECK(clash.error().detail.find("ingest-2") != std::string::npos);
}

TEST_CASE("a device named like a worker is left out of the broker files, and the worker keeps its account",
          "[fleet][ingest-worker][integration]") {
    // As when another controller of a cluster, which knows only its own accounts, registered it.
    WorkerBroker fleet{"screen-1"};
    REQUIRE(fleet.broker->start({protocol::DeviceAccount{"screen-1", "$7$101$c2FsdA$aGFzaA", {"zone-1"}},
                                 protocol::DeviceAccount{"screen-2", "$7$101$c2FsdA$aGFzaA", {"zone-1"}}}));
    std::ifstream in(fleet.broker->files().password_file);
    std::string passwd((std::istreambuf_iterator<char>(in)), {});
    CHECK(passwd.find("screen-1:" + fleet.worker_password) == std::string::npos);
    CHECK(passwd.find("screen-1:$7$101$c2FsdA$aGFzaA") == std::string::npos);
    CHECK(passwd.find("screen-2:$7$101$c2FsdA$aGFzaA") != std::string::npos);
    auto worker_line = passwd.find("screen-1:$7$");
    REQUIRE(worker_line != std::string::npos);
    CHECK(passwd.find("screen-1:", worker_line + 1) == std::string::npos);  // one account of that name
    // The worker logs in with its own password.
    auto worker_client = fleet.client("screen-1", fleet.worker_password);
    test::EventWaiter worker{worker_client};
    REQUIRE(worker_client.start());
    CHECK(worker.wait_for<protocol::MqttConnected>(std::chrono::seconds(5)));
}

TEST_CASE(
    "apply with the accounts the files already hold writes nothing, and a removed file is written again",
    "[fleet][integration]") {
    WorkerBroker fleet;
    const std::vector<protocol::DeviceAccount> devices{
        protocol::DeviceAccount{"screen-1", "$7$101$c2FsdA$aGFzaA", {"zone-1"}}};
    REQUIRE(fleet.broker->start(devices));
    const auto passwd = fleet.broker->files().password_file;
    const auto written = fs::last_write_time(passwd);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(fleet.broker->apply(devices));
    CHECK(fs::last_write_time(passwd) == written);
    auto more = devices;
    more.push_back(protocol::DeviceAccount{"screen-2", "$7$101$c2FsdA$aGFzaA", {"zone-1"}});
    REQUIRE(fleet.broker->apply(more));
    CHECK(test::read_text_file(passwd).find("screen-2:") != std::string::npos);
    fs::remove(fleet.broker->files().acl_file);
    REQUIRE(fleet.broker->apply(more));
    CHECK(test::read_text_file(fleet.broker->files().acl_file).find("user screen-2") != std::string::npos);
}

TEST_CASE(
    "a device named like an ingest worker or the controller is refused at registration, so revocation "
    "still reaches the broker",
    "[fleet][ingest-worker][integration]") {
    WorkerBroker fleet;
    REQUIRE(fleet.broker->start({}));
    INFO(fleet.broker->log_tail());
    for (const std::string name : {"ingest-2", "controller"}) {
        INFO(name);
        scheduler::Device device;
        device.id = name;
        device.zone = "zone-1";
        auto registered = fleet.registry->register_device(fleet.operator_one, device, name);
        REQUIRE_FALSE(registered);
        CHECK(registered.error().code == Errc::AlreadyExists);
        CHECK(registered.error().detail.find("\"" + name + "\"") != std::string::npos);
        // No row was left behind to break every later write of the broker files.
        auto row = fleet.store->read_value<DeviceRecord>(
            [&](StoreTransaction& transaction) { return transaction.device_by_id(name); });
        CHECK_FALSE(row);
    }

    // The broker files still follow the registry: a revoked device loses its connection.
    auto screen = fleet.register_device("screen-1");
    {
        auto device_client = fleet.client(screen.mqtt.username, screen.mqtt.password);
        test::EventWaiter device{device_client};
        device.connect_and_subscribe({"bantin/v1/dev/screen-1/ack"});
    }
    REQUIRE(fleet.registry->revoke(fleet.operator_one, "screen-1"));
    auto revoked_client = fleet.client(screen.mqtt.username, screen.mqtt.password);
    test::EventWaiter after{revoked_client};
    REQUIRE(revoked_client.start());
    auto refused = after.wait_for<protocol::MqttDisconnected>(
        std::chrono::seconds(5),
        [](const protocol::MqttDisconnected& event) { return event.error.code == Errc::Unauthenticated; });
    CHECK(refused);
    // The worker account is still there.
    auto worker_client = fleet.client("ingest-2", fleet.worker_password);
    test::EventWaiter worker{worker_client};
    worker.connect_and_subscribe({proof_subscription("bantin-ingest")});
}
