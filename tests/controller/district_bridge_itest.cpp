// District brokers bridged to the province (docs/broker.md, "District brokers and bridges"),
// on three real Mosquitto brokers on free 127.0.0.1 ports: the province is the controller's own
// ManagedBroker with the bridges the controller recorded; the two districts run the files
// write_district_broker() generated (their bridge connection, their devices' accounts). The
// controller's own code (DeviceRegistry, Publisher, Ingest, AlertService) runs on the province;
// the devices are the fleet simulator (tests/support/fleet_sim.hpp), which speaks the wire
// protocol as a player does (verifies bundles, alerts and acks, keeps proof until acked), on
// the districts. Nothing is timed: each wait gives up after a generous limit.

#include "bantin/controller/alerts.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/district_bridge.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/sqlite/database.hpp"
#include "fleet_sim.hpp"
#include "managed_broker_fixture.hpp"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

using namespace bantin;
using namespace bantin::controller;

namespace {

constexpr int kDevicesPerDistrict = 4;
constexpr const char* kBridgeRigPassword = "controller-secret-for-the-bridges";

// A district broker started from its generated directory.
struct DistrictBrokerProcess {
    std::string district;
    std::filesystem::path directory;
    std::uint16_t port = 0;
    std::vector<fleet_sim::SimDevice> devices;
    test::ChildProcess process;

    Result<void> start() {
        auto child = test::ChildProcess::spawn(
            {test::MosquittoBroker::kExecutable, "-c", (directory / "mosquitto.conf").string()},
            directory / "stderr.log");
        if (!child)
            return std::unexpected(child.error());
        process = std::move(*child);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < deadline) {
            if (!process.running())
                return fail(Errc::Io, "district broker exited: " + log());
            if (test::MosquittoBroker::port_accepts(port))
                return {};
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return fail(Errc::Timeout, "district broker did not listen: " + log());
    }
    std::string log() const {
        return "--- " + district + " ---\n" + test::read_text_file(directory / "mosquitto.log") +
               test::read_text_file(directory / "stderr.log");
    }
    // The bridge password the generated mosquitto.conf carries.
    std::string bridge_password() const {
        std::ifstream in(directory / "mosquitto.conf");
        std::string line;
        while (std::getline(in, line))
            if (line.starts_with("remote_password "))
                return line.substr(16);
        return {};
    }
};

struct BridgeRig : bantin::testing::FleetFixture {
    BridgeRig() {
        clock.set_wall(SystemClock{}.wall());  // the devices check expiries against the real clock
        ManagedBrokerOptions options;
        options.config.directory = directory.path() / "province";
        std::filesystem::create_directories(options.config.directory);
        options.config.port = test::MosquittoBroker::free_port();
        options.config.run_as_user = ::geteuid() == 0 ? "root" : "";
        options.config.log_level = protocol::BrokerLogLevel::Debug;
        options.controller_password = kBridgeRigPassword;
        options.bridges_file = bridges_file();
        port = options.config.port;
        auto created = ManagedBroker::create(options);
        REQUIRE(created);
        broker = std::move(*created);
        RegistryOptions registry_options;
        registry_options.broker_port = port;
        registry_options.controller_keys = trusted();
        registry = std::make_unique<DeviceRegistry>(*store, clock, *broker, registry_options);

        districts.emplace("north", DistrictBrokerProcess{});
        districts.emplace("south", DistrictBrokerProcess{});
        const std::map<std::string, std::string> zone_of{{"north", "zone-1"}, {"south", "zone-2"}};
        for (auto& [name, district] : districts) {
            district.district = name;
            district.directory = directory.path() / ("district-" + name);
            district.port = test::MosquittoBroker::free_port();
            for (int i = 0; i < kDevicesPerDistrict; ++i) {
                scheduler::Device device;
                device.id = name + "-dev-" + std::to_string(i);
                device.zone = zone_of.at(name);
                auto registered = registry->register_device(operator_one, device, device.id);
                if (!registered)
                    FAIL(registered.error().message());
                district.devices.push_back({device.id, registered->provisioning.mqtt.password, device.zone});
            }
        }
        auto accounts = registry->broker_accounts();
        REQUIRE(accounts);
        for (auto& [name, district] : districts) {
            DistrictBrokerRequest request;
            request.district = name;
            request.zones = {zone_of.at(name)};
            request.directory = district.directory;
            request.province_port = port;
            request.listen_address = "127.0.0.1";
            request.listen_port = district.port;
            request.run_as_user = ::geteuid() == 0 ? "root" : "";
            request.restart_base_s = 1;  // reconnect quickly after the cut
            request.restart_cap_s = 2;
            auto written = write_district_broker(bridges_file(), request, *accounts, {"controller"});
            if (!written)
                FAIL(written.error().message());
            REQUIRE(written->devices.size() == static_cast<std::size_t>(kDevicesPerDistrict));
        }
        auto started = broker->start(*accounts);
        if (!started)
            FAIL(started.error().message());
        auto client = protocol::MqttClient::create(client_options("controller", kBridgeRigPassword));
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

    std::filesystem::path bridges_file() const { return directory.path() / "keys" / "bridges"; }

    protocol::MqttClientOptions client_options(const std::string& user, const std::string& password) const {
        protocol::MqttClientOptions options;
        options.host = "127.0.0.1";
        options.port = port;
        options.client_id = user;
        options.username = user;
        options.password = password;
        options.reconnect_min = std::chrono::milliseconds(100);
        options.reconnect_max = std::chrono::milliseconds(500);
        return options;
    }

    fleet_sim::SimOptions sim_options(std::uint16_t district_port) const {
        fleet_sim::SimOptions options;
        options.port = district_port;
        options.keys = trusted();
        options.reconnect_min = std::chrono::milliseconds(100);
        options.reconnect_max = std::chrono::milliseconds(1000);
        options.resend_interval = std::chrono::milliseconds(2000);
        return options;
    }

    bool pump_until(const std::function<bool()>& done,
                    std::chrono::seconds limit = std::chrono::seconds(90)) {
        const auto give_up = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < give_up) {
            for (auto& event : controller->poll(std::chrono::milliseconds(20)))
                if (auto* message = std::get_if<protocol::MqttMessage>(&event))
                    ingest->accept(*message);
            if (ingest->has_pending())
                (void)ingest->flush();  // fails while the province is down; retried
            if (done())
                return true;
        }
        return false;
    }

    std::vector<DeviceRecord> fleet_view() {
        auto listed = store->read_value<std::vector<DeviceRecord>>([](StoreTransaction& transaction) {
            return transaction.list_devices(Page{100, 0});
        });
        REQUIRE(listed);
        return *listed;
    }

    bool all_applied(const std::vector<fleet_sim::FleetSimulator*>& sims, std::uint64_t version) {
        for (auto* sim : sims) {
            const auto views = sim->snapshot();
            if (!std::all_of(views.begin(), views.end(), [&](const fleet_sim::DeviceView& view) {
                    return view.applied_version >= version;
                }))
                return false;
        }
        const auto records = fleet_view();
        return records.size() == 2U * kDevicesPerDistrict &&
               std::all_of(records.begin(), records.end(), [&](const DeviceRecord& record) {
                   return record.online && record.applied_version >= static_cast<std::int64_t>(version);
               });
    }

    // Proof rows in the database per device, and whether their seqs are exactly 1..n.
    std::map<std::string, std::int64_t> stored_rows(bool& contiguous) {
        auto database = sqlite::Database::open(path());
        REQUIRE(database);
        auto statement = database->prepare(
            "SELECT device_id, COUNT(*), MIN(seq), MAX(seq) FROM proof_of_play GROUP BY device_id");
        REQUIRE(statement);
        std::map<std::string, std::int64_t> rows;
        contiguous = true;
        while (true) {
            auto step = statement->step();
            REQUIRE(step);
            if (*step != sqlite::Step::Row)
                break;
            const std::string device = statement->column_text(0);
            const std::int64_t count = statement->column_int64(1);
            rows[device] = count;
            contiguous = contiguous && statement->column_int64(2) == 1 && statement->column_int64(3) == count;
        }
        return rows;
    }

    std::uint16_t port = 0;
    std::unique_ptr<ManagedBroker> broker;
    std::unique_ptr<DeviceRegistry> registry;
    std::map<std::string, DistrictBrokerProcess> districts;
    std::optional<protocol::MqttClient> controller;
    std::unique_ptr<MqttMessageSink> sink;
    std::unique_ptr<Publisher> publisher;
    std::unique_ptr<Ingest> ingest;
};

std::string bridge_rig_logs(BridgeRig& rig) {
    std::string text = rig.broker->log_tail();
    for (auto& [name, district] : rig.districts) text += district.log().substr(0, 6000);
    return text;
}

}  // namespace

TEST_CASE(
    "two district brokers bridged to the province carry changes, alerts and acks down and proof up, "
    "through a cut of the province broker",
    "[bridge][integration][e2e]") {
    BridgeRig rig;
    for (auto& [name, district] : rig.districts) {
        auto started = district.start();
        if (!started)
            FAIL(started.error().message());
    }
    rig.approve_campaign("camp-bridge-1", {"zone-1", "zone-2"});
    REQUIRE(rig.publisher->rebuild_all());

    fleet_sim::FleetSimulator north{rig.sim_options(rig.districts.at("north").port),
                                    rig.districts.at("north").devices};
    fleet_sim::FleetSimulator south{rig.sim_options(rig.districts.at("south").port),
                                    rig.districts.at("south").devices};
    REQUIRE(north.start());
    REQUIRE(south.start());
    const std::vector<fleet_sim::FleetSimulator*> sims{&north, &south};
    INFO("waiting for v1 through the bridges");
    const bool first = rig.pump_until([&] { return rig.all_applied(sims, 1); });
    if (!first)
        FAIL(bridge_rig_logs(rig));

    // A change reaches both districts; each device applies it and its status comes up.
    const std::int64_t desired = rig.fleet_view().front().desired_version;
    rig.approve_campaign("camp-bridge-2", {"zone-1", "zone-2"});
    auto change = rig.publisher->on_campaigns_changed(std::vector<std::string>{"camp-bridge-2"});
    REQUIRE(change);
    CHECK(change->published.size() == 2U * kDevicesPerDistrict);
    REQUIRE(rig.pump_until([&] { return rig.all_applied(sims, static_cast<std::uint64_t>(desired) + 1); }));

    // An alert for all zones goes down to every device.
    bantin::testing::TextAsSpeech speech{rig.clock};
    AlertService alerts{*rig.store, rig.clock,           rig.keys.secret,      *rig.sink,
                        speech,     rig.publisher.get(), AlertServiceOptions{}};
    AlertRequest request;
    request.all_zones = true;
    request.status = scheduler::AlertStatus::Exercise;
    request.headline = "Diễn tập qua cầu nối";
    request.text = "Diễn tập, không phải cảnh báo thật.";
    auto alert = alerts.create(rig.operator_one, request);
    REQUIRE(alert);
    const std::string alert_id = alert->alert.id;
    REQUIRE(rig.pump_until([&] {
        return std::all_of(sims.begin(), sims.end(), [&](fleet_sim::FleetSimulator* sim) {
            const auto views = sim->snapshot();
            return std::all_of(views.begin(), views.end(),
                               [&](const fleet_sim::DeviceView& view) { return view.alert_id == alert_id; });
        });
    }));

    // Proof comes up and the acks come down.
    auto all_acked = [&](std::uint64_t seq) {
        return std::all_of(sims.begin(), sims.end(), [&](fleet_sim::FleetSimulator* sim) {
            const auto views = sim->snapshot();
            return std::all_of(views.begin(), views.end(), [&](const fleet_sim::DeviceView& view) {
                return view.acked_seq == seq && view.outbox_rows == 0;
            });
        });
    };
    north.play(3);
    south.play(3);
    REQUIRE(rig.pump_until([&] { return all_acked(3); }));
    CHECK(rig.ingest->counters().rows_inserted == 2U * kDevicesPerDistrict * 3);

    // The cut: the province broker goes down. The districts stay up; their devices keep
    // playing and keep their proof.
    rig.broker->stop();
    north.play(5);
    south.play(5);
    rig.pump_until([] { return false; }, std::chrono::seconds(3));
    for (auto* sim : sims)
        for (const auto& view : sim->snapshot()) {
            INFO(view.id);
            CHECK(view.connected);
            CHECK(view.last_seq == 8);
            CHECK(view.acked_seq == 3);
            CHECK(view.outbox_rows == 5);
        }
    CHECK(rig.ingest->counters().rows_inserted == 2U * kDevicesPerDistrict * 3);

    // The restore: every row arrives once, nothing lost, nothing doubled.
    auto accounts = rig.registry->broker_accounts();
    REQUIRE(accounts);
    REQUIRE(rig.broker->start(*accounts));
    const bool caught_up = rig.pump_until([&] { return all_acked(8); });
    if (!caught_up)
        FAIL(bridge_rig_logs(rig));
    CHECK(rig.ingest->counters().rows_inserted == 2U * kDevicesPerDistrict * 8);
    CHECK(rig.ingest->counters().rows_received >= rig.ingest->counters().rows_inserted);
    bool contiguous = false;
    const auto rows = rig.stored_rows(contiguous);
    CHECK(rows.size() == 2U * kDevicesPerDistrict);
    for (const auto& [device, count] : rows) {
        INFO(device);
        CHECK(count == 8);
    }
    CHECK(contiguous);

    // The province's Mosquitto killed with SIGKILL (no save): the supervisor restarts it, the
    // bridges reconnect, and the plays of the meantime arrive once.
    const pid_t province = rig.broker->pid();
    REQUIRE(province > 0);
    ::kill(province, SIGKILL);
    north.play(2);
    south.play(2);
    const bool after_kill = rig.pump_until([&] { return all_acked(10); });
    if (!after_kill)
        FAIL(bridge_rig_logs(rig));
    CHECK(rig.broker->pid() != province);

    // A district broker killed with SIGKILL and started again: its devices reconnect to it and
    // their proof of the meantime comes up once.
    auto& north_broker = rig.districts.at("north");
    north_broker.process.kill_and_wait();
    north.play(2);
    south.play(2);
    REQUIRE(north_broker.start());
    const bool after_district = rig.pump_until([&] { return all_acked(12); });
    if (!after_district)
        FAIL(bridge_rig_logs(rig));
    CHECK(rig.ingest->counters().rows_inserted == 2U * kDevicesPerDistrict * 12);
    const auto final_rows = rig.stored_rows(contiguous);
    for (const auto& [device, count] : final_rows) {
        INFO(device);
        CHECK(count == 12);
    }
    CHECK(contiguous);

    // And the bridges still carry changes after the restore.
    const std::int64_t after = rig.fleet_view().front().desired_version;
    rig.approve_campaign("camp-bridge-3", {"zone-1", "zone-2"});
    REQUIRE(rig.publisher->on_campaigns_changed(std::vector<std::string>{"camp-bridge-3"}));
    REQUIRE(rig.pump_until([&] { return rig.all_applied(sims, static_cast<std::uint64_t>(after) + 1); }));

    north.stop();
    south.stop();
    CHECK(north.counters().refused == 0);
    CHECK(south.counters().refused == 0);
}

TEST_CASE(
    "a district bridge account reads only its own devices and zones and cannot write another "
    "district's proof",
    "[bridge][integration][hostile]") {
    BridgeRig rig;  // the district brokers are not started: the test uses the north bridge's account itself
    rig.approve_campaign("camp-bridge-h", {"zone-1", "zone-2"});
    REQUIRE(rig.publisher->rebuild_all());
    // A zone alert for the south only.
    bantin::testing::TextAsSpeech speech{rig.clock};
    AlertService alerts{*rig.store, rig.clock,           rig.keys.secret,      *rig.sink,
                        speech,     rig.publisher.get(), AlertServiceOptions{}};
    AlertRequest request;
    request.zones = {"zone-2"};
    request.status = scheduler::AlertStatus::Exercise;
    request.headline = "Chỉ phía nam";
    request.text = "Diễn tập.";
    REQUIRE(alerts.create(rig.operator_one, request));
    rig.pump_until([] { return false; }, std::chrono::seconds(1));

    const std::string password = rig.districts.at("north").bridge_password();
    REQUIRE_FALSE(password.empty());
    auto client = protocol::MqttClient::create(rig.client_options("bridge-north", password));
    REQUIRE(client);
    REQUIRE(client->subscribe("bantin/#"));
    REQUIRE(client->start());
    std::set<std::string> topics;
    auto collect = [&](std::chrono::seconds limit) {
        const auto give_up = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < give_up) {
            for (auto& event : client->poll(std::chrono::milliseconds(50)))
                if (auto* message = std::get_if<protocol::MqttMessage>(&event))
                    topics.insert(message->topic);
            if (topics.size() >= static_cast<std::size_t>(kDevicesPerDistrict))
                return;
        }
    };
    collect(std::chrono::seconds(30));
    rig.pump_until([] { return false; }, std::chrono::seconds(2));
    for (auto& event : client->poll(std::chrono::milliseconds(200)))
        if (auto* message = std::get_if<protocol::MqttMessage>(&event))
            topics.insert(message->topic);
    for (int i = 0; i < kDevicesPerDistrict; ++i)
        CHECK(topics.contains("bantin/v1/dev/north-dev-" + std::to_string(i) + "/bundle"));
    for (const auto& topic : topics) {
        INFO(topic);
        CHECK(topic.find("south") == std::string::npos);
        CHECK(topic != "bantin/v1/alert/zone/zone-2");
    }

    // Writing: a south device's proof and status are refused; a north device's status is carried.
    const auto before = rig.ingest->counters();
    const std::string forged_pop =
        R"({"v":1,"type":"pop","device":"south-dev-0","install_epoch":"1700000000000","rows":[]})";
    REQUIRE(client->publish("bantin/v1/dev/south-dev-0/pop", forged_pop));
    REQUIRE(client->publish("bantin/v1/dev/south-dev-0/status", "forged"));
    REQUIRE(client->publish("bantin/v1/dev/north-dev-0/status", "not a status"));
    REQUIRE(rig.pump_until([&] {
        client->drain();
        return rig.ingest->counters().dropped > before.dropped;
    }));
    rig.pump_until([] { return false; }, std::chrono::seconds(1));
    // Only the north status reached the controller (and was dropped as undecodable there).
    CHECK(rig.ingest->counters().dropped == before.dropped + 1);
    CHECK(rig.ingest->counters().batches == before.batches);
    client->stop();
}

#ifdef BANTIN_CONTROLLER_CLI

namespace {

test::CommandResult district_cli(const std::vector<std::string>& arguments,
                                 const std::filesystem::path& directory) {
    std::vector<std::string> command{BANTIN_CONTROLLER_CLI};
    command.insert(command.end(), arguments.begin(), arguments.end());
    return test::run_command(command, directory / "district-cli.out", std::chrono::seconds(20));
}

}  // namespace

TEST_CASE(
    "bantin-controller --district-broker writes a district's files and refuses bad arguments with one line",
    "[bridge][cli][integration][hostile]") {
    bantin::testing::TemporaryDirectory directory;
    const std::filesystem::path root = directory.path();
    const std::string config = (root / "controller.toml").string();
    std::ofstream(config) << "[storage]\ndata_dir = \"" << root.string()
                          << "/data\"\n[broker]\nrun_as_user = \"" << (::geteuid() == 0 ? "root" : "")
                          << "\"\n";
    const std::string out = (root / "north").string();
    auto written = district_cli({"--config",
                                 config,
                                 "--district-broker",
                                 "north",
                                 "--zones",
                                 "zone-1,zone-2",
                                 "--province",
                                 "127.0.0.1:18850",
                                 "--out",
                                 out,
                                 "--listen",
                                 "127.0.0.1:18851",
                                 "--tls-listen",
                                 "127.0.0.1:18852",
                                 "--tls-cafile",
                                 "/etc/ca.pem",
                                 "--tls-certfile",
                                 "/etc/d.pem",
                                 "--tls-keyfile",
                                 "/etc/d.key"},
                                root);
    INFO(written.output);
    REQUIRE(written.exit_code == 0);
    CHECK(written.output.find("quận/huyện \"north\": 0 thiết bị") == 0);
    CHECK(written.output.find("Mật khẩu cầu nối mới") != std::string::npos);
    const std::string conf = test::read_text_file(root / "north" / "mosquitto.conf");
    CHECK(conf.find("listener 18851 127.0.0.1\n") != std::string::npos);
    CHECK(conf.find("listener 18852 127.0.0.1\n") != std::string::npos);
    CHECK(conf.find("address 127.0.0.1:18850\n") != std::string::npos);
    CHECK(test::read_text_file(root / "data" / "keys" / "bridges").starts_with("# District bridges"));

    // Again into the same directory: the password is kept, nothing new to say.
    auto again = district_cli({"--config",
                               config,
                               "--district-broker",
                               "north",
                               "--zones",
                               "zone-1,zone-2",
                               "--province",
                               "127.0.0.1:18850",
                               "--out",
                               out,
                               "--listen",
                               "127.0.0.1:18851",
                               "--tls-listen",
                               "127.0.0.1:18852",
                               "--tls-cafile",
                               "/etc/ca.pem",
                               "--tls-certfile",
                               "/etc/d.pem",
                               "--tls-keyfile",
                               "/etc/d.key"},
                              root);
    REQUIRE(again.exit_code == 0);
    CHECK(again.output.find("Mật khẩu cầu nối mới") == std::string::npos);
    CHECK(test::read_text_file(root / "north" / "mosquitto.conf") == conf);

    // The "north" bridge's account name is taken: neither another controller nor a worker gets it.
    for (const std::string option : {"--add-controller", "--add-ingest-worker"}) {
        auto taken = district_cli({"--config", config, option, "bridge-north"}, root);
        INFO(taken.output);
        CHECK(taken.exit_code == 1);
        CHECK(taken.output.find("\"bridge-north\" is already a broker account") != std::string::npos);
    }
    REQUIRE(district_cli({"--config", config, "--add-controller", "controller-2"}, root).exit_code == 0);

    // An ingest worker holds the name the "west" bridge would have.
    REQUIRE(district_cli({"--config", config, "--add-ingest-worker", "bridge-west"}, root).exit_code == 0);
    const std::string south = (root / "south").string();
    for (const std::vector<std::string>& arguments : std::vector<std::vector<std::string>>{
             {"--district-broker", "south", "--province", "127.0.0.1:18850", "--out", south},
             {"--district-broker", "south", "--zones", "zone-3", "--province", "127.0.0.1:0", "--out", south},
             {"--district-broker", "south", "--zones", "zone-3", "--province", "127.0.0.1", "--out", south},
             {"--district-broker", "south", "--zones", "zone-3", "--province", "127.0.0.1:99999", "--out",
              south},
             {"--district-broker", "south", "--zones", "zone-3", "--province", "127.0.0.1:1883"},
             {"--district-broker", "south", "--zones", "zone-3", "--province", "127.0.0.1:1883", "--out",
              south, "--tls-listen", "0.0.0.0:8883"},
             {"--district-broker", "south", "--zones", "zone-3", "--province", "127.0.0.1:1883", "--out",
              south, "--province-certfile", "c.pem"}}) {
        std::vector<std::string> command{"--config", config};
        command.insert(command.end(), arguments.begin(), arguments.end());
        auto refused = district_cli(command, root);
        INFO(refused.output);
        CHECK(refused.exit_code == 2);
        CHECK(refused.output.starts_with("bantin-controller: --district-broker cần"));
    }
    for (const std::vector<std::string>& arguments :
         std::vector<std::vector<std::string>>{{"--district-broker", "south", "--zones", "zone-2",
                                                "--province", "127.0.0.1:1883", "--out", south},
                                               {"--district-broker", "so/uth", "--zones", "zone-3",
                                                "--province", "127.0.0.1:1883", "--out", south},
                                               {"--district-broker", "south", "--zones", "zone-3,zone/#",
                                                "--province", "127.0.0.1:1883", "--out", south},
                                               {"--district-broker", "west", "--zones", "zone-3",
                                                "--province", "127.0.0.1:1883", "--out", south}}) {
        std::vector<std::string> command{"--config", config};
        command.insert(command.end(), arguments.begin(), arguments.end());
        auto refused = district_cli(command, root);
        INFO(refused.output);
        CHECK(refused.exit_code == 1);
        CHECK(refused.output.find('\n') == refused.output.size() - 1);  // one line
        CHECK_FALSE(std::filesystem::exists(root / "south"));
    }
}

#endif
