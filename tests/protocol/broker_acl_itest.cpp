// The generated broker configuration, probed with Debian's mosquitto_pub and mosquitto_sub
// as third-party clients holding a device's credentials. Controller-side observation uses
// MqttClient subscribed to bantin/#.

#include "mqtt_itest_support.hpp"

#include <algorithm>

using namespace std::chrono_literals;
using bantin::Errc;
using bantin::protocol::MqttClient;
using bantin::protocol::MqttDisconnected;
using bantin::protocol::MqttMessage;
using bantin::protocol::PublishOptions;
using bantin::protocol::QualityOfService;
using bantin::protocol::Retain;
using bantin::test::CommandResult;
using bantin::test::EventWaiter;
using bantin::test::MosquittoBroker;
using bantin::test::MosquittoBrokerOptions;
using bantin::test::TestDevice;

namespace {

MosquittoBrokerOptions fleet() {
    MosquittoBrokerOptions options;
    options.devices = {TestDevice{"dev-a", "password-a", {"zone-north"}},
                       TestDevice{"dev-b", "password-b", {"zone-south"}}};
    return options;
}

int g_command_number = 0;

std::vector<std::string> credentials(const std::string& username, const std::string& password) {
    std::vector<std::string> arguments;
    if (!username.empty()) {
        arguments.insert(arguments.end(), {"-u", username});
    }
    if (!password.empty()) {
        arguments.insert(arguments.end(), {"-P", password});
    }
    return arguments;
}

std::filesystem::path next_output(const MosquittoBroker& broker) {
    return broker.directory() / ("client-" + std::to_string(++g_command_number) + ".log");
}

// mosquitto_pub -V mqttv5 -q 1: prints "Publish 1 failed: Not authorized" on a v5 PUBACK refusal.
CommandResult mosquitto_pub(const MosquittoBroker& broker, const std::string& username,
                            const std::string& password, const std::string& topic, const std::string& payload,
                            std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"mosquitto_pub",
                                          "-h",
                                          broker.host(),
                                          "-p",
                                          std::to_string(broker.port()),
                                          "-V",
                                          "mqttv5",
                                          "-q",
                                          "1",
                                          "-t",
                                          topic,
                                          "-m",
                                          payload};
    auto login = credentials(username, password);
    arguments.insert(arguments.end(), login.begin(), login.end());
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return bantin::test::run_command(arguments, next_output(broker));
}

// Subscribes for `seconds` and returns what arrived ("topic payload" lines).
CommandResult mosquitto_sub(const MosquittoBroker& broker, const std::string& username,
                            const std::string& password, const std::vector<std::string>& topics,
                            int seconds = 2) {
    std::vector<std::string> arguments = {"mosquitto_sub",
                                          "-h",
                                          broker.host(),
                                          "-p",
                                          std::to_string(broker.port()),
                                          "-V",
                                          "mqttv5",
                                          "-q",
                                          "1",
                                          "-v",
                                          "-W",
                                          std::to_string(seconds)};
    for (const auto& topic : topics) {
        arguments.insert(arguments.end(), {"-t", topic});
    }
    auto login = credentials(username, password);
    arguments.insert(arguments.end(), login.begin(), login.end());
    return bantin::test::run_command(arguments, next_output(broker), std::chrono::seconds(seconds + 5));
}

// The controller publishes retained messages on each topic ("retained:<topic>").
void publish_retained(const MosquittoBroker& broker, const std::vector<std::string>& topics) {
    auto controller = MqttClient::create(bantin::test::controller_options(broker));
    REQUIRE(controller);
    EventWaiter events(*controller);
    events.connect_and_subscribe({});
    for (const auto& topic : topics) {
        REQUIRE(
            controller->publish(topic, "retained:" + topic,
                                PublishOptions{QualityOfService::AtLeastOnce, Retain::Yes, std::nullopt}));
    }
    for (std::size_t i = 0; i < topics.size(); ++i) {
        auto done = events.wait_for<bantin::protocol::MqttPublishCompleted>(5s);
        REQUIRE(done);
        REQUIRE(done->succeeded());
    }
}

}  // namespace

TEST_CASE(
    "ACL: a device reads its own bundle, cmd and ack, alert/all and its zones, nothing of another device",
    "[acl][read]") {
    MosquittoBroker broker(fleet());
    REQUIRE(broker.start());
    INFO(broker.log());
    publish_retained(
        broker, {"bantin/v1/dev/dev-a/bundle", "bantin/v1/dev/dev-a/cmd", "bantin/v1/dev/dev-a/ack",
                 "bantin/v1/dev/dev-b/bundle", "bantin/v1/dev/dev-b/cmd", "bantin/v1/dev/dev-b/ack",
                 "bantin/v1/alert/all", "bantin/v1/alert/zone/zone-north", "bantin/v1/alert/zone/zone-south",
                 "bantin/v1/dev/dev-b/status"});

    auto own =
        mosquitto_sub(broker, "dev-a", "password-a",
                      {"bantin/v1/dev/dev-a/bundle", "bantin/v1/dev/dev-a/cmd", "bantin/v1/dev/dev-a/ack",
                       "bantin/v1/alert/all", "bantin/v1/alert/zone/zone-north"});
    INFO(own.output);
    CHECK_THAT(own.output, Catch::Contains("bantin/v1/dev/dev-a/bundle retained:bantin/v1/dev/dev-a/bundle"));
    CHECK_THAT(own.output, Catch::Contains("bantin/v1/dev/dev-a/cmd retained:bantin/v1/dev/dev-a/cmd"));
    CHECK_THAT(own.output, Catch::Contains("bantin/v1/dev/dev-a/ack retained:bantin/v1/dev/dev-a/ack"));
    CHECK_THAT(own.output, Catch::Contains("bantin/v1/alert/all retained:bantin/v1/alert/all"));
    CHECK_THAT(own.output,
               Catch::Contains("bantin/v1/alert/zone/zone-north retained:bantin/v1/alert/zone/zone-north"));

    for (const std::string topic :
         {"bantin/v1/dev/dev-b/bundle", "bantin/v1/dev/dev-b/cmd", "bantin/v1/dev/dev-b/ack",
          "bantin/v1/alert/zone/zone-south", "bantin/v1/dev/dev-b/status"}) {
        auto other = mosquitto_sub(broker, "dev-a", "password-a", {topic}, 1);
        INFO(topic << ": " << other.output);
        CHECK_THAT(other.output, !Catch::Contains("retained:"));
    }
    // Wildcards do not widen access either.
    auto wildcard = mosquitto_sub(broker, "dev-a", "password-a", {"bantin/#", "bantin/v1/dev/+/bundle"}, 1);
    INFO(wildcard.output);
    CHECK_THAT(wildcard.output, !Catch::Contains("dev-b"));
    CHECK_THAT(wildcard.output, !Catch::Contains("zone-south"));
}

TEST_CASE("ACL: a device publishes only its own status and pop", "[acl][write]") {
    MosquittoBroker broker(fleet());
    REQUIRE(broker.start());
    INFO(broker.log());
    auto controller = MqttClient::create(bantin::test::controller_options(broker));
    REQUIRE(controller);
    EventWaiter observed(*controller);
    observed.connect_and_subscribe({"bantin/#"});

    for (const std::string topic : {"bantin/v1/dev/dev-a/status", "bantin/v1/dev/dev-a/pop"}) {
        auto allowed = mosquitto_pub(broker, "dev-a", "password-a", topic, "from-a");
        INFO(topic << ": " << allowed.output);
        CHECK(allowed.exit_code == 0);
        CHECK_THAT(allowed.output, !Catch::Contains("failed"));
        auto arrived = observed.wait_for_message(topic, 5s);
        REQUIRE(arrived);
        CHECK(arrived->payload == "from-a");
    }

    const std::vector<std::string> forbidden = {
        "bantin/v1/dev/dev-b/status", "bantin/v1/dev/dev-b/pop", "bantin/v1/dev/dev-a/bundle",
        "bantin/v1/dev/dev-b/bundle", "bantin/v1/dev/dev-a/cmd", "bantin/v1/dev/dev-b/cmd",
        "bantin/v1/dev/dev-a/ack",    "bantin/v1/alert/all",     "bantin/v1/alert/zone/zone-north",
        "bantin/v1/dev/dev-a/other",  "somewhere/else"};
    for (const auto& topic : forbidden) {
        auto denied = mosquitto_pub(broker, "dev-a", "password-a", topic, "forged-by-a");
        INFO(topic << ": " << denied.output);
        CHECK_THAT(denied.output, Catch::Contains("Publish 1 failed: Not authorized"));
    }
    // Nothing forged reached the controller's bantin/# subscription.
    bool forged_seen = false;
    const auto deadline = std::chrono::steady_clock::now() + 1s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto message = observed.wait_for<MqttMessage>(200ms);
        if (message && message->payload == "forged-by-a") {
            forged_seen = true;
        }
    }
    CHECK_FALSE(forged_seen);
}

TEST_CASE("ACL: anonymous, unknown and wrong-password connections are refused", "[acl][auth]") {
    MosquittoBroker broker(fleet());
    REQUIRE(broker.start());
    INFO(broker.log());
    struct Login {
        std::string name, username, password;
    };
    for (const auto& login :
         {Login{"anonymous", "", ""}, Login{"wrong password", "dev-a", "password-b"},
          Login{"unknown user", "dev-z", "password-a"}, Login{"no password", "dev-a", ""}}) {
        auto refused =
            mosquitto_pub(broker, login.username, login.password, "bantin/v1/dev/dev-a/status", "x");
        INFO(login.name << ": " << refused.output);
        CHECK(refused.exit_code != 0);
        CHECK_THAT(refused.output, Catch::Contains("Connection error: Not authorized"));
    }
    auto accepted = mosquitto_pub(broker, "dev-a", "password-a", "bantin/v1/dev/dev-a/status", "x");
    INFO(accepted.output);
    CHECK(accepted.exit_code == 0);
}

TEST_CASE("a device cannot take over another device's session by sending its client id", "[acl][client-id]") {
    MosquittoBroker broker(fleet());
    REQUIRE(broker.start());
    INFO(broker.log());
    auto victim = MqttClient::create(bantin::test::options_for(broker, "dev-b", "password-b"));
    REQUIRE(victim);
    EventWaiter victim_events(*victim);
    victim_events.connect_and_subscribe({"bantin/v1/dev/dev-b/cmd"});

    // dev-a's credentials with dev-b's client id: the broker names the session after the
    // username (use_username_as_clientid), so dev-b's connection is untouched.
    auto impostor =
        mosquitto_pub(broker, "dev-a", "password-a", "bantin/v1/dev/dev-a/status", "x", {"-i", "dev-b"});
    INFO(impostor.output);
    CHECK(impostor.exit_code == 0);
    CHECK_FALSE(victim_events.wait_for<MqttDisconnected>(1s));
    CHECK(victim->connected());
    CHECK_THAT(broker.log(), Catch::Contains("as dev-a (p5"));

    // Still the live session: a command for dev-b reaches it.
    auto controller_command =
        mosquitto_pub(broker, "controller", "controller-secret", "bantin/v1/dev/dev-b/cmd", "ping");
    CHECK(controller_command.exit_code == 0);
    auto command = victim_events.wait_for_message("bantin/v1/dev/dev-b/cmd", 5s);
    REQUIRE(command);
    CHECK(command->payload == "ping");
}

TEST_CASE("revoking a device and sending SIGHUP cuts its live connection and refuses it afterwards",
          "[acl][revocation]") {
    MosquittoBroker broker(fleet());
    REQUIRE(broker.start());
    INFO(broker.log());
    auto device = MqttClient::create(bantin::test::options_for(broker, "dev-a", "password-a"));
    REQUIRE(device);
    EventWaiter events(*device);
    events.connect_and_subscribe({"bantin/v1/dev/dev-a/cmd"});
    auto keeper = MqttClient::create(bantin::test::options_for(broker, "dev-b", "password-b"));
    REQUIRE(keeper);
    EventWaiter keeper_events(*keeper);
    keeper_events.connect_and_subscribe({"bantin/v1/dev/dev-b/cmd"});

    REQUIRE(broker.update_devices({TestDevice{"dev-b", "password-b", {"zone-south"}}}));
    auto dropped = events.wait_for<MqttDisconnected>(5s);
    REQUIRE(dropped);
    CHECK(dropped->error.code == Errc::Network);
    auto refused = events.wait_for<MqttDisconnected>(5s);
    REQUIRE(refused);
    CHECK(refused->error.code == Errc::Unauthenticated);
    // The device that stays is not disturbed.
    CHECK_FALSE(keeper_events.wait_for<MqttDisconnected>(500ms));
    CHECK(keeper->connected());
}

TEST_CASE("Bantin's password hashes log in, and Bantin verifies a hash mosquitto_passwd wrote",
          "[acl][password]") {
    // The fixture's password file holds only hashes Bantin computed.
    MosquittoBroker broker(fleet());
    REQUIRE(broker.start());
    INFO(broker.log());
    auto added = bantin::test::run_command(
        {"mosquitto_passwd", "-b", broker.files().password_file.string(), "dev-c", "password-c"},
        broker.directory() / "passwd.log");
    REQUIRE(added.exit_code == 0);
    const std::string file = bantin::test::read_text_file(broker.files().password_file);
    const auto line_start = file.find("dev-c:");
    REQUIRE(line_start != std::string::npos);
    const auto line_end = file.find('\n', line_start);
    const std::string hash = file.substr(line_start + 6, line_end - line_start - 6);
    auto verified = bantin::protocol::verify_broker_password(hash, "password-c");
    REQUIRE(verified);
    CHECK(*verified);
    auto wrong = bantin::protocol::verify_broker_password(hash, "password-x");
    REQUIRE(wrong);
    CHECK_FALSE(*wrong);

    auto bantin_hashed = mosquitto_pub(broker, "dev-b", "password-b", "bantin/v1/dev/dev-b/pop", "x");
    INFO(bantin_hashed.output);
    CHECK(bantin_hashed.exit_code == 0);
}
