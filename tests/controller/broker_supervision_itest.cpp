// The managed Mosquitto under supervision (media::SupervisedProcess through ManagedBroker): a
// broker killed with SIGKILL is restarted and the controller's client reconnects; a port held
// by someone else is refused at start, naming the port.

#include "managed_broker_fixture.hpp"
#include "protocol/mqtt_itest_support.hpp"
#include "support/process_probes.hpp"
#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <thread>

using namespace bantin;
using namespace std::chrono_literals;

namespace {

using test::ForeignListener;

constexpr const char* controller_password = "controller-secret-for-tests";

}  // namespace

TEST_CASE("a managed broker killed with SIGKILL is restarted and the controller's client reconnects",
          "[broker][supervision][integration]") {
    testing::ManagedBrokerFleet fleet;
    fleet.create_managed_broker(controller_password);
    REQUIRE(fleet.broker->start({}));
    const pid_t first = fleet.broker->pid();
    REQUIRE(first > 0);
    CHECK(media::process_listens_on(first, fleet.port));

    auto client = protocol::MqttClient::create(fleet.options_for("controller", controller_password));
    REQUIRE(client);
    REQUIRE(client->start());
    test::EventWaiter waiter{*client};
    REQUIRE(waiter.wait_for<protocol::MqttConnected>(5s));

    REQUIRE(::kill(first, SIGKILL) == 0);
    REQUIRE(waiter.wait_for<protocol::MqttDisconnected>(10s));
    // The supervisor restarts it (0.5 s back-off) and the client's reconnect finds it.
    REQUIRE(waiter.wait_for<protocol::MqttConnected>(30s));
    // The client can connect to the new broker before the supervisor's readiness poll (every
    // 20 ms) has seen it listen and marked it up: wait for the supervisor's view, not a sleep.
    auto health = fleet.broker->health();
    for (const auto deadline = std::chrono::steady_clock::now() + 10s;
         !(health.up && health.restarts >= 1) && std::chrono::steady_clock::now() < deadline;
         health = fleet.broker->health())
        std::this_thread::sleep_for(10ms);
    CHECK(health.up);
    CHECK(health.restarts == 1);
    CHECK(health.last_exit == "killed by signal 9");
    CHECK(health.pid != first);
    CHECK(media::process_listens_on(health.pid, fleet.port));
    client->stop();
    fleet.broker->stop();
    CHECK_FALSE(fleet.broker->health().up);
}

TEST_CASE("a managed broker refuses to start on a port another process listens on, naming the port",
          "[broker][supervision][integration]") {
    testing::ManagedBrokerFleet fleet;
    fleet.create_managed_broker(controller_password);
    ForeignListener squatter{fleet.port};
    REQUIRE(squatter.listening);
    auto started = fleet.broker->start({});
    REQUIRE_FALSE(started);
    CHECK(started.error().code == Errc::Conflict);
    CHECK_THAT(started.error().detail,
               Catch::Contains("port " + std::to_string(fleet.port) + " on 127.0.0.1 is already in use"));
    CHECK(started.error().detail.find('\n') == std::string::npos);
    CHECK(fleet.broker->pid() == -1);
    // The broker files were written before the start was attempted.
    CHECK(std::filesystem::exists(fleet.broker->files().config_file));
}

// A Mosquitto that takes a while to listen (a large fleet's persistence being restored) is
// waited for, up to start_timeout.
TEST_CASE("a managed broker that is slow to listen is waited for up to its start timeout",
          "[broker][supervision][integration]") {
    testing::ManagedBrokerFleet fleet;
    const auto slow = std::filesystem::path{fleet.directory.path()} / "slow-mosquitto.sh";
    {
        std::ofstream script(slow);
        script << "#!/bin/sh\nsleep 2\nexec /usr/sbin/mosquitto \"$@\"\n";
    }
    std::filesystem::permissions(slow, std::filesystem::perms::owner_all);
    auto broker_for = [&](std::chrono::milliseconds timeout, const std::string& name) {
        controller::ManagedBrokerOptions options;
        options.config.directory = std::filesystem::path{fleet.directory.path()} / name;
        std::filesystem::create_directories(options.config.directory);
        options.config.port = test::MosquittoBroker::free_port();
        options.config.run_as_user = ::geteuid() == 0 ? "root" : "";
        options.controller_password = controller_password;
        options.mosquitto_binary = slow;
        options.start_timeout = timeout;
        auto created = controller::ManagedBroker::create(options);
        REQUIRE(created);
        return std::move(*created);
    };

    auto impatient = broker_for(500ms, "impatient");
    auto refused = impatient->start({});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::Timeout);
    impatient->stop();

    auto patient = broker_for(controller::ManagedBrokerOptions{}.start_timeout, "patient");
    REQUIRE(patient->start({}));
    CHECK(patient->health().up);
    patient->stop();
}

TEST_CASE("a supervised child that cannot listen fails the start with its own output",
          "[broker][supervision][integration]") {
    testing::TemporaryDirectory directory;
    media::SupervisedProcessOptions options;
    options.name = "false";
    options.argv = {"/bin/sh", "-c", "echo 'cannot bind, address in use' >&2; exit 3"};
    options.output_file = directory.path() / "out.txt";
    options.listens.push_back(media::ListenPort{"127.0.0.1", test::MosquittoBroker::free_port()});
    media::SupervisedProcess process{options};
    auto started = process.start();
    REQUIRE_FALSE(started);
    CHECK_THAT(started.error().detail, Catch::Contains("exit status 3"));
    CHECK_THAT(started.error().detail, Catch::Contains("address in use"));
    CHECK_FALSE(process.health().up);
}
