// Failover of whole controllers (docs/scale.md, "Failover of controllers on one PostgreSQL"):
// two real bantin-controller daemons on one real PostgreSQL (support/postgres_server.hpp), each
// with its own broker account (`--add-controller`), one signing key and one media directory,
// and a real Mosquitto run by the test from the files the first controller wrote. A fleet of
// simulated devices (support/fleet_sim.hpp) speaks the wire protocol to that broker.
//
// A change is made through the instance that waits for the lease, and the publishing instance
// is killed with SIGKILL while its bundles are on their way. The test then holds the issue's
// promise: every device ends on the new version, each applied it exactly once (a bundle sent
// again under the version a device has is refused as a replay, never applied twice), and proof
// of play keeps flowing through the survivor. The takeover time is printed, not asserted.

#include "bantin/protocol/mqtt_client.hpp"
#include "bantin/protocol/provisioning.hpp"
#include "fleet_sim.hpp"
#include "support/api_session.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/postgres_server.hpp"
#include "support/temporary_directory.hpp"

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

using namespace bantin;
using namespace std::chrono_literals;
using Json = nlohmann::json;

// A named namespace, not an anonymous one: the unity build compiles this file with others that
// have helpers of the same names.
namespace failover_itest {

constexpr int kDevices = 300;
constexpr const char* kZone = "phuong-uyen-hung";
const std::string controller_executable = BANTIN_CONTROLLER_CLI;

using bantin::test::ApiUser;
using bantin::test::eventually;
using bantin::test::login;
using bantin::test::tail;
using bantin::test::write_file;

// One bantin-controller instance: its data directory, config and process.
struct Instance {
    explicit Instance(std::string instance_name) : name(std::move(instance_name)) {}
    std::string name;
    std::filesystem::path data_dir;
    std::filesystem::path config;
    std::filesystem::path log;
    std::uint16_t http_port = 0;
    test::ChildProcess process;

    std::string log_text() const { return test::read_text_file(log); }
    bool publishing() const {
        return log_text().find("this controller is now the publisher") != std::string::npos;
    }
};

struct FailoverRig {
    protocol::MosquittoLibrary library;
    testing::TemporaryDirectory directory;
    test::PostgresServer* postgres = nullptr;
    std::string conninfo;
    std::uint16_t broker_port = test::MosquittoBroker::free_port();
    Instance a{"a"}, b{"b"};
    test::ChildProcess broker;
    protocol::TrustedKeys keys;
    std::vector<fleet_sim::SimDevice> devices;

    std::filesystem::path root() const { return directory.path(); }
    std::filesystem::path broker_dir() const { return root() / "broker"; }

    FailoverRig() {
        auto shared = test::PostgresServer::shared();
        if (!shared)
            FAIL(shared.error().message());
        postgres = *shared;
        auto database = postgres->create_database("bantin_failover");
        if (!database)
            FAIL(database.error().message());
        conninfo = postgres->conninfo(*database);
        std::filesystem::create_directories(root() / "media");
        std::filesystem::create_directories(root() / "keys");
        write_file(root() / "a.mqtt-password", "password-of-controller-a-for-its-broker\n", 0600);
        configure(a, "controller", root() / "a.mqtt-password", broker_dir());
    }

    // Both instances: one database, one signing key, one media directory; their own data
    // directory, HTTP port and broker account. Only `a` writes the broker's files.
    void configure(Instance& instance, const std::string& mqtt_user,
                   const std::filesystem::path& password_file,
                   const std::filesystem::path& broker_config_dir) {
        instance.data_dir = root() / ("controller-" + instance.name);
        instance.config = root() / ("controller-" + instance.name + ".toml");
        instance.log = root() / ("controller-" + instance.name + ".log");
        instance.http_port = test::MosquittoBroker::free_port();
        while (instance.http_port == broker_port || (&instance == &b && instance.http_port == a.http_port))
            instance.http_port = test::MosquittoBroker::free_port();
        std::filesystem::create_directories(instance.data_dir);
        std::ostringstream text;
        // One public address for both, as behind a load balancer: bundles name media by it, so
        // instances with addresses of their own would make every handover a new bundle version.
        text << "[http]\nlisten_address = \"127.0.0.1\"\nport = " << instance.http_port
             << "\nfront = \"none\"\n"
             << "public_base_url = \"http://bantin.tanuyen.test\"\n"
             << "[storage]\ndata_dir = \"" << instance.data_dir.string() << "\"\n"
             << "backend = \"postgresql\"\npostgresql = \"" << conninfo << "\"\n"
             << "media_dir = \"" << (root() / "media").string() << "\"\n"
             << "[keys]\nsigning_key_file = \"" << (root() / "keys" / "controller.key").string() << "\"\n"
             << "[mqtt]\nport = " << broker_port << "\nusername = \"" << mqtt_user << "\"\n"
             << "password_file = \"" << password_file.string() << "\"\n"
             << "reconnect_min_ms = 100\nreconnect_max_ms = 1000\n"
             << "[broker]\nmanage = false\nport = " << broker_port << "\nconfig_dir = \""
             << broker_config_dir.string() << "\"\n"
             << (::geteuid() == 0 ? "run_as_user = \"root\"\n" : "") << "[log]\nlevel = \"info\"\n";
        write_file(instance.config, text.str(), 0644);
    }

    test::CommandResult command(const Instance& instance, const std::vector<std::string>& extra,
                                const std::string& input = {}) {
        const auto stdin_file = root() / "stdin.txt";
        write_file(stdin_file, input, 0600);
        std::string line = "exec '" + controller_executable + "' --config '" + instance.config.string() + "'";
        for (const auto& word : extra) line += " '" + word + "'";
        line += " < '" + stdin_file.string() + "'";
        auto result = test::run_command({"/bin/sh", "-c", line}, root() / "command.log", 60s);
        std::filesystem::remove(stdin_file);
        return result;
    }

    void start(Instance& instance) {
        std::string line = "exec '" + controller_executable + "' --config '" + instance.config.string() +
                           "' >> '" + instance.log.string() + "' 2>&1";
        auto child = test::ChildProcess::spawn({"/bin/sh", "-c", line}, instance.log.string() + ".shell");
        if (!child)
            FAIL(child.error().message());
        instance.process = std::move(*child);
        const bool up = eventually(60s, [&] {
            return !instance.process.running() || test::MosquittoBroker::port_accepts(instance.http_port);
        });
        if (!up || !instance.process.running())
            FAIL("controller " << instance.name << " did not start:\n" << tail(instance.log_text()));
    }

    // Mosquitto from the files `a` wrote (and rewrites, with SIGHUP, at every registration).
    void start_broker() {
        auto child = test::ChildProcess::spawn(
            {test::MosquittoBroker::kExecutable, "-c", (broker_dir() / "mosquitto.conf").string()},
            root() / "mosquitto.out");
        if (!child)
            FAIL(child.error().message());
        broker = std::move(*child);
        if (!eventually(20s, [&] { return test::MosquittoBroker::port_accepts(broker_port); }))
            FAIL("the broker did not listen:\n" << test::read_text_file(root() / "mosquitto.out"));
    }

    std::string logs() const {
        return "--- controller a ---\n" + tail(a.log_text()) + "\n--- controller b ---\n" +
               tail(b.log_text()) + "\n--- broker ---\n" +
               tail(test::read_text_file(broker_dir() / "mosquitto.log"), 2000);
    }
};

TEST_CASE(
    "kill -9 of the publishing controller during a change: the survivor delivers it to every device once",
    "[postgres][failover]") {
    FailoverRig rig;
    INFO("under " << rig.root().string());

    // --- the cluster's accounts: keys, the first admin, a broker account for the second instance ---
    auto keys = rig.command(rig.a, {"--init-keys"});
    INFO(keys.output);
    REQUIRE(keys.exit_code == 0);
    auto admin = rig.command(rig.a, {"--create-admin", "admin"}, "admin-failover-password\n");
    INFO(admin.output);
    REQUIRE(admin.exit_code == 0);
    auto added = rig.command(rig.a, {"--add-controller", "controller-b"});
    INFO(added.output);
    REQUIRE(added.exit_code == 0);
    const auto marker = added.output.find("mqtt password: ");
    REQUIRE(marker != std::string::npos);
    const std::string b_password =
        added.output.substr(marker + 15, added.output.find('\n', marker) - marker - 15);
    write_file(rig.root() / "b.mqtt-password", b_password + "\n", 0600);
    rig.configure(rig.b, "controller-b", rig.root() / "b.mqtt-password", rig.root() / "controller-b-broker");
    // A second account of one name is refused, and so is the first controller's name.
    CHECK(rig.command(rig.a, {"--add-controller", "controller-b"}).exit_code == 1);
    CHECK(rig.command(rig.a, {"--add-controller", "controller"}).exit_code == 1);

    // --- a holds the lease and writes the broker's files; b waits ---
    rig.start(rig.a);
    rig.start_broker();
    REQUIRE(eventually(20s, [&] { return rig.a.publishing(); }));
    rig.start(rig.b);
    {
        const auto passwd = test::read_text_file(rig.broker_dir() / "passwd");
        CHECK(passwd.find("controller-b:$7$") != std::string::npos);
    }

    // --- people, a zone, a notice and two campaigns (through a) ---
    ApiUser admin_a(rig.a.http_port, login(rig.a.http_port, "admin", "admin-failover-password"));
    for (const auto& [user, role] : std::vector<std::pair<std::string, std::string>>{
             {"bien-tap", "editor"}, {"duyet", "approver"}, {"van-hanh", "operator"}}) {
        auto created = admin_a.post("/api/v1/users", {{"name", user},
                                                      {"display_name", user},
                                                      {"role", role},
                                                      {"password", user + "-failover-password"}});
        INFO(created.body.dump());
        REQUIRE(created.status == 201);
    }
    ApiUser operator_a(rig.a.http_port, login(rig.a.http_port, "van-hanh", "van-hanh-failover-password"));
    ApiUser editor_a(rig.a.http_port, login(rig.a.http_port, "bien-tap", "bien-tap-failover-password"));
    ApiUser approver_a(rig.a.http_port, login(rig.a.http_port, "duyet", "duyet-failover-password"));
    REQUIRE(operator_a.post("/api/v1/zones", {{"id", kZone}, {"name", "Uyên Hưng"}}).status == 201);
    auto notice =
        editor_a.post("/api/v1/notices",
                      {{"text", "Thông báo: sáng mai cắt điện từ 7 giờ đến 9 giờ."}, {"name", "cat-dien"}});
    INFO(notice.body.dump());
    REQUIRE(notice.status == 201);
    const std::string notice_sha = notice.body["sha256"];
    std::map<std::string, Json> submitted_version;
    for (const std::string id : {"tin-1", "tin-2"}) {
        REQUIRE(editor_a
                    .post("/api/v1/playlists",
                          {{"id", "pl-" + id}, {"name", id}, {"items", {{{"media", notice_sha}}}}})
                    .status == 201);
        auto campaign = editor_a.post("/api/v1/campaigns", {{"id", id},
                                                            {"name", "Tin " + id},
                                                            {"playlist", "pl-" + id},
                                                            {"targets", {{"zones", {kZone}}}},
                                                            {"mode", "loop"}});
        INFO(campaign.body.dump());
        REQUIRE(campaign.status == 201);
        auto submitted = editor_a.post("/api/v1/campaigns/" + id + "/submit", {{"version", 1}});
        INFO(submitted.body.dump());
        REQUIRE(submitted.status == 200);
        submitted_version[id] = submitted.body["version"];
    }

    // --- the fleet: registered through a (its files reach the broker), on the simulator ---
    for (int i = 0; i < kDevices; ++i) {
        const std::string id = "loa-" + std::to_string(i);
        auto registered =
            operator_a.post("/api/v1/devices", {{"id", id}, {"kind", "speaker"}, {"zone", kZone}});
        if (registered.status != 201)
            FAIL("register " << id << ": " << registered.body.dump());
        auto provisioning = protocol::decode_provisioning(registered.body["provisioning"].dump());
        REQUIRE(provisioning);
        rig.keys = provisioning->controller_keys;
        rig.devices.push_back({id, provisioning->mqtt.password, kZone});
    }
    // One registered through b: a, which writes the broker's files, hears of it and writes them.
    {
        ApiUser operator_b(rig.b.http_port, login(rig.b.http_port, "van-hanh", "van-hanh-failover-password"));
        auto registered =
            operator_b.post("/api/v1/devices", {{"id", "loa-b"}, {"kind", "speaker"}, {"zone", kZone}});
        INFO(registered.body.dump());
        REQUIRE(registered.status == 201);
        auto provisioning = protocol::decode_provisioning(registered.body["provisioning"].dump());
        REQUIRE(provisioning);
        rig.devices.push_back({"loa-b", provisioning->mqtt.password, kZone});
        const bool written = eventually(20s, [&] {
            return test::read_text_file(rig.broker_dir() / "passwd").find("\nloa-b:$7$") != std::string::npos;
        });
        if (!written)
            FAIL("a did not write the account of a device registered through b\n" << rig.logs());
    }
    fleet_sim::SimOptions sim_options;
    sim_options.port = rig.broker_port;
    sim_options.keys = rig.keys;
    sim_options.reconnect_min = 200ms;
    sim_options.reconnect_max = 2000ms;
    sim_options.resend_interval = 2000ms;
    // The first campaign, approved through a, the publisher, before the fleet connects.
    auto first =
        approver_a.post("/api/v1/campaigns/tin-1/approve", {{"version", submitted_version["tin-1"]}});
    INFO(first.body.dump());
    REQUIRE(first.status == 200);
    fleet_sim::FleetSimulator sim{sim_options, rig.devices};
    REQUIRE(sim.start());
    const int fleet_size = static_cast<int>(rig.devices.size());
    Json fleet;
    const bool settled = eventually(
        90s,
        [&] {
            auto status = operator_a.get("/api/v1/fleet/status");
            fleet = status.body;
            return status.status == 200 && fleet.value("online", 0) == fleet_size &&
                   fleet["delivery"].value("applied", 0) == fleet_size;
        },
        500ms);
    if (!settled)
        FAIL("the fleet did not settle on the first campaign: " << fleet.dump().substr(0, 2000) << "\n"
                                                                << rig.logs());
    std::map<std::string, fleet_sim::DeviceView> before;
    for (auto& view : sim.snapshot()) before[view.id] = view;
    auto on_new = [&](const fleet_sim::DeviceView& view) {
        return view.applied_version > before[view.id].applied_version;
    };

    // --- the change, made through b (which waits for the lease): a publishes it and dies mid-way ---
    ApiUser approver_b(rig.b.http_port, login(rig.b.http_port, "duyet", "duyet-failover-password"));
    auto second =
        approver_b.post("/api/v1/campaigns/tin-2/approve", {{"version", submitted_version["tin-2"]}});
    INFO(second.body.dump());
    REQUIRE(second.status == 200);
    std::size_t on_new_at_kill = 0;
    const auto change_seen = eventually(
        20s,
        [&] {
            const auto views = sim.snapshot();
            on_new_at_kill = static_cast<std::size_t>(std::count_if(views.begin(), views.end(), on_new));
            return on_new_at_kill > 0;
        },
        1ms);
    rig.a.process.kill_and_wait();  // SIGKILL
    const auto killed_at = std::chrono::steady_clock::now();
    if (!change_seen)
        FAIL("a never published the change\n" << rig.logs());
    WARN("devices on the new version when a was killed: " << on_new_at_kill << " of " << fleet_size);
    if (on_new_at_kill == static_cast<std::size_t>(fleet_size))
        WARN("a finished publishing before it was killed: this run did not test a takeover mid-change");

    const bool delivered = eventually(60s, [&] {
        const auto views = sim.snapshot();
        return std::all_of(views.begin(), views.end(), on_new);
    });
    const auto views = sim.snapshot();
    if (!delivered)
        FAIL("the change did not reach every device after the takeover\n" << rig.logs());
    CHECK(rig.b.publishing());
    auto last = std::max_element(views.begin(), views.end(),
                                 [](const auto& x, const auto& y) { return x.applied_at < y.applied_at; });
    WARN("kill -9 of the publisher to the last device on the new version: "
         << std::chrono::duration_cast<std::chrono::milliseconds>(last->applied_at - killed_at).count()
         << " ms (lease_interval_ms + lease_ttl_ms = 4000 ms by default)");

    // Once: each device applied one bundle for the change, and refused nothing but replays.
    for (const auto& view : views) {
        INFO(view.id);
        CHECK(view.bundles_applied == before[view.id].bundles_applied + 1);
        CHECK(view.refused == 0);
    }

    // The survivor's view agrees with the devices', and proof of play now goes through it.
    ApiUser operator_b(rig.b.http_port, login(rig.b.http_port, "van-hanh", "van-hanh-failover-password"));
    std::map<std::string, std::uint64_t> applied;
    for (const auto& view : views) applied[view.id] = view.applied_version;
    const bool agreed = eventually(
        30s,
        [&] {
            auto status = operator_b.get("/api/v1/fleet/status");
            if (status.status != 200 || !status.body.contains("devices"))
                return false;
            fleet = status.body;
            int matching = 0;
            for (const auto& device : fleet["devices"])
                if (device.value("desired_version", std::uint64_t{0}) == applied[device.value("id", "")] &&
                    device.value("applied_version", std::uint64_t{0}) == applied[device.value("id", "")])
                    ++matching;
            return matching == fleet_size;
        },
        500ms);
    if (!agreed)
        FAIL("b's fleet view does not match the devices: " << fleet.dump().substr(0, 2000));
    sim.play(2);
    const bool acked = eventually(60s, [&] {
        const auto now = sim.snapshot();
        return std::all_of(now.begin(), now.end(), [](const auto& view) { return view.acked_seq >= 2; });
    });
    if (!acked)
        FAIL("proof of play was not acknowledged by the survivor\n" << rig.logs());
}

}  // namespace failover_itest
