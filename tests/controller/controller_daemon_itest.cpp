// The whole daemon in-process: its own Mosquitto, the HTTP API, publisher and ingest, wired by
// ControllerDaemon exactly as bantin-controller runs them, stopped like SIGTERM stops it.

#include "bantin/controller/controller_daemon.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/provisioning.hpp"
#include "protocol/mqtt_itest_support.hpp"
#include "support/temporary_directory.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <thread>

using namespace bantin;
namespace fs = std::filesystem;

TEST_CASE("the daemon registers a device over HTTP, publishes its bundle and ingests its status",
          "[fleet][daemon][integration]") {
    testing::TemporaryDirectory directory;
    config::ControllerConfig config;
    config.storage.data_dir = directory.path();
    config.http.port = test::MosquittoBroker::free_port();
    config.broker.port = test::MosquittoBroker::free_port();
    config.broker.run_as_user = ::geteuid() == 0 ? "root" : "";
    config.mqtt.port = config.broker.port;
    config.mqtt.reconnect.minimum = std::chrono::milliseconds(100);
    config.mqtt.reconnect.maximum = std::chrono::milliseconds(500);

    REQUIRE(controller::init_keys(config));
    auto again = controller::init_keys(config);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::AlreadyExists);
    REQUIRE(controller::create_admin(config, "boss", "a-long-password-123"));
    auto second_admin = controller::create_admin(config, "boss2", "a-long-password-123");
    REQUIRE_FALSE(second_admin);
    CHECK(second_admin.error().code == Errc::Conflict);

    SystemClock clock;
    // Plays from 500 days ago (storage.proof_retention_days is 400): folded at start-up.
    auto side_store = controller::SqliteStore::open(config.database_path().string(), clock);
    REQUIRE(side_store);
    const TimePoint long_ago = clock.wall() - std::chrono::days{500};
    std::vector<controller::ProofOfPlayRow> old_plays;
    for (std::int64_t seq = 1; seq <= 3; ++seq) {
        controller::ProofOfPlayRow play;
        play.device = "old-screen";
        play.install_epoch = 1;
        play.seq = seq;
        play.campaign = "camp-old";
        play.media = std::string(64, 'e');
        play.started = long_ago + std::chrono::minutes{seq};
        play.ended = play.started + std::chrono::seconds{15};
        play.outcome = controller::PlayOutcome::Completed;
        old_plays.push_back(play);
    }
    REQUIRE((*side_store)->write([&](controller::StoreTransaction& transaction) -> Result<void> {
        auto inserted = transaction.insert_proof_of_play(old_plays, clock.wall());
        if (!inserted)
            return std::unexpected(inserted.error());
        return {};
    }));
    const auto stored_old_plays = [&] {
        auto rows =
            (*side_store)
                ->read_value<std::vector<controller::ProofOfPlayRow>>(
                    [&](controller::StoreTransaction& transaction) {
                        return transaction.list_proof_of_play(long_ago, long_ago + std::chrono::days{1});
                    });
        REQUIRE(rows);
        return rows->size();
    };
    REQUIRE(stored_old_plays() == 3);

    auto daemon = controller::ControllerDaemon::create(config, clock);
    REQUIRE(daemon);
    auto started = (*daemon)->start();
    if (!started)
        FAIL(started.error().message());
    std::thread loop([&] { REQUIRE((*daemon)->run()); });
    // The loop's first turns run the retention pass.
    const auto folded_by = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    while (stored_old_plays() != 0 && std::chrono::steady_clock::now() < folded_by)
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    CHECK(stored_old_plays() == 0);

    httplib::Client http("127.0.0.1", config.http.port);
    auto login = http.Post("/api/v1/auth/login", R"({"name":"boss","password":"a-long-password-123"})",
                           "application/json");
    REQUIRE(login);
    REQUIRE(login->status == 200);
    const std::string token = nlohmann::json::parse(login->body)["token"].get<std::string>();
    http.set_bearer_token_auth(token);
    // The report over the folded day still counts its three plays.
    auto old_report = http.Get("/api/v1/reports/plays?from=" + format_utc(long_ago - std::chrono::days{1}) +
                               "&to=" + format_utc(long_ago + std::chrono::days{1}));
    REQUIRE(old_report);
    INFO(old_report->body);
    REQUIRE(old_report->status == 200);
    const auto old_items = nlohmann::json::parse(old_report->body).at("items");
    REQUIRE(old_items.size() == 1);
    CHECK(old_items[0].at("campaign") == "camp-old");
    CHECK(old_items[0].at("completed") == 3);
    // The fleet view reports the controller's children: its broker and its nginx front.
    auto fleet_status = http.Get("/api/v1/fleet/status");
    REQUIRE(fleet_status);
    REQUIRE(fleet_status->status == 200);
    const auto services = nlohmann::json::parse(fleet_status->body).at("services");
    REQUIRE(services.size() == 2);
    CHECK(services[0].at("name") == "broker");
    CHECK(services[0].at("up") == true);
    CHECK(services[1].at("name") == "http_front");
    CHECK(services[1].at("up") == true);
    CHECK(services[1].at("restarts") == 0);
    auto zone = http.Post("/api/v1/zones", R"({"id":"zone-1","name":"Phường 1"})", "application/json");
    REQUIRE(zone);
    INFO(zone->body);
    REQUIRE(zone->status == 201);
    auto registered = http.Post("/api/v1/devices", R"({"id":"screen-1","kind":"screen","zone":"zone-1"})",
                                "application/json");
    REQUIRE(registered);
    INFO(registered->body);
    REQUIRE(registered->status == 201);
    auto provisioning =
        protocol::decode_provisioning(nlohmann::json::parse(registered->body)["provisioning"].dump());
    REQUIRE(provisioning);
    CHECK(provisioning->mqtt.port == config.broker.port);

    protocol::MqttClientOptions options;
    options.host = "127.0.0.1";
    options.port = provisioning->mqtt.port;
    options.client_id = provisioning->device;
    options.username = provisioning->mqtt.username;
    options.password = provisioning->mqtt.password;
    auto device_client = protocol::MqttClient::create(options);
    REQUIRE(device_client);
    test::EventWaiter device{*device_client};
    device.connect_and_subscribe({"bantin/v1/dev/screen-1/bundle"});
    auto bundle_message = device.wait_for_message("bantin/v1/dev/screen-1/bundle", std::chrono::seconds(5));
    REQUIRE(bundle_message);
    auto bundle = protocol::verify_bundle(bundle_message->payload, provisioning->controller_keys, "screen-1",
                                          0, clock.wall());
    REQUIRE(bundle);
    CHECK(bundle->version == 1);

    protocol::Status status;
    status.device = "screen-1";
    status.reported_at = clock.wall();
    status.install_epoch = "1";
    status.boot_id = "boot";
    status.software_version = "test";
    status.desired_bundle_version = 1;
    status.applied_bundle_version = 1;
    REQUIRE(device_client->publish(
        "bantin/v1/dev/screen-1/status", protocol::encode(status),
        {protocol::QualityOfService::AtLeastOnce, protocol::Retain::Yes, std::nullopt}));
    nlohmann::json view;
    for (int i = 0; i < 50; ++i) {
        auto got = http.Get("/api/v1/devices/screen-1");
        REQUIRE(got);
        view = nlohmann::json::parse(got->body);
        if (view["online"].get<bool>())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(view["online"].get<bool>());
    CHECK(view["applied_version"].get<int>() == 1);
    CHECK(view["delivery"].get<std::string>() == "applied");

    auto fleet = http.Get("/api/v1/fleet/status");
    REQUIRE(fleet);
    CHECK(nlohmann::json::parse(fleet->body)["online"].get<int>() == 1);

    device_client->stop();
    (*daemon)->request_stop();
    loop.join();
    (*daemon)->stop();
    CHECK_FALSE(test::MosquittoBroker::port_accepts(static_cast<std::uint16_t>(config.broker.port)));
    CHECK_FALSE(test::MosquittoBroker::port_accepts(static_cast<std::uint16_t>(config.http.port)));
}
