#pragma once
// The fleet fixture with a real Mosquitto run by ManagedBroker (the daemon's own broker
// runner) and a device registry that keeps its accounts, for the broker integration tests.

#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/fleet_broker.hpp"
#include "fleet_fixture.hpp"
#include "protocol/mqtt_itest_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace bantin::testing {

struct ManagedBrokerFleet : FleetFixture {
    // Writes the broker's files for the registry's accounts (and the ingest workers' file, if
    // given) and creates the broker and the registry; the broker is not started.
    void create_managed_broker(const std::string& controller_password,
                               std::optional<std::filesystem::path> ingest_workers_file = std::nullopt,
                               std::optional<std::filesystem::path> controllers_file = std::nullopt) {
        controller::ManagedBrokerOptions options;
        options.config.directory = std::filesystem::path{directory.path()} / "broker";
        std::filesystem::create_directories(options.config.directory);
        options.config.port = test::MosquittoBroker::free_port();
        options.config.run_as_user = ::geteuid() == 0 ? "root" : "";
        options.config.log_level = protocol::BrokerLogLevel::Debug;
        options.controller_password = controller_password;
        if (ingest_workers_file)
            options.ingest_workers_file = *ingest_workers_file;
        if (controllers_file)
            options.controllers_file = *controllers_file;
        port = options.config.port;
        auto created = controller::ManagedBroker::create(options);
        REQUIRE(created);
        broker = std::move(*created);
        controller::RegistryOptions registry_options;
        registry_options.broker_port = port;
        registry_options.controller_keys = trusted();
        registry = std::make_unique<controller::DeviceRegistry>(*store, clock, *broker, registry_options);
    }

    protocol::MqttClientOptions options_for(const std::string& user, const std::string& password) const {
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

    std::uint16_t port = 0;
    std::unique_ptr<controller::ManagedBroker> broker;
    std::unique_ptr<controller::DeviceRegistry> registry;
};

}  // namespace bantin::testing
