// MqttClient against a real Mosquitto started by each test on a free loopback port.

#include "mqtt_itest_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

using namespace std::chrono_literals;
using bantin::Errc;
using bantin::protocol::MqttClient;
using bantin::protocol::MqttConnected;
using bantin::protocol::MqttDisconnected;
using bantin::protocol::MqttPublishCompleted;
using bantin::protocol::PublishOptions;
using bantin::protocol::QualityOfService;
using bantin::protocol::Retain;
using bantin::test::EventWaiter;
using bantin::test::MosquittoBroker;
using bantin::test::MosquittoBrokerOptions;
using bantin::test::TestDevice;

namespace {

MosquittoBrokerOptions two_devices() {
    MosquittoBrokerOptions options;
    options.devices = {TestDevice{"dev-a", "password-a", {"zone-north"}},
                       TestDevice{"dev-b", "password-b", {"zone-south"}}};
    return options;
}

}  // namespace

TEST_CASE("a retained bundle reaches a device that subscribes after it was published", "[mqtt][retained]") {
    MosquittoBroker broker(two_devices());
    REQUIRE(broker.start());
    INFO(broker.log());

    auto controller = MqttClient::create(bantin::test::controller_options(broker));
    REQUIRE(controller);
    EventWaiter controller_events(*controller);
    controller_events.connect_and_subscribe({});

    std::optional<MqttPublishCompleted> completion;
    auto published =
        controller->publish("bantin/v1/dev/dev-a/bundle", R"({"version":7})",
                            PublishOptions{QualityOfService::AtLeastOnce, Retain::Yes, std::nullopt},
                            [&](const MqttPublishCompleted& done) { completion = done; });
    REQUIRE(published);
    auto acknowledged = controller_events.wait_for<MqttPublishCompleted>(5s);
    REQUIRE(acknowledged);
    CHECK(acknowledged->message_id == *published);
    REQUIRE(completion);  // the callback ran inside poll(), on this thread
    CHECK(completion->message_id == *published);
    CHECK(completion->succeeded());

    auto device = MqttClient::create(bantin::test::options_for(broker, "dev-a", "password-a"));
    REQUIRE(device);
    EventWaiter device_events(*device);
    device_events.connect_and_subscribe({"bantin/v1/dev/dev-a/bundle"});
    auto bundle = device_events.wait_for_message("bantin/v1/dev/dev-a/bundle", 5s);
    REQUIRE(bundle);
    CHECK(bundle->payload == R"({"version":7})");
    CHECK(bundle->retained == Retain::Yes);
    CHECK(bundle->qos == QualityOfService::AtLeastOnce);
}

TEST_CASE("the PUBACK reason code reaches the completion callback", "[mqtt][publish]") {
    MosquittoBroker broker(two_devices());
    REQUIRE(broker.start());
    INFO(broker.log());
    auto device = MqttClient::create(bantin::test::options_for(broker, "dev-a", "password-a"));
    REQUIRE(device);
    EventWaiter events(*device);
    events.connect_and_subscribe({});

    std::vector<MqttPublishCompleted> completions;
    auto record = [&](const MqttPublishCompleted& done) { completions.push_back(done); };
    REQUIRE(device->publish("bantin/v1/dev/dev-a/status", "online", {}, record));
    REQUIRE(device->publish("bantin/v1/dev/dev-b/status", "forged", {}, record));
    REQUIRE(events.wait_for<MqttPublishCompleted>(5s));
    REQUIRE(events.wait_for<MqttPublishCompleted>(5s));
    REQUIRE(completions.size() == 2);
    // Own status: accepted (16 = no matching subscribers). Another device's: 135 not authorised.
    CHECK(completions[0].reason_code == 16);
    CHECK(completions[0].succeeded());
    CHECK(completions[1].reason_code == 135);
    CHECK_FALSE(completions[1].succeeded());
}

TEST_CASE("a retained message with a v5 expiry is gone once it expires", "[mqtt][expiry]") {
    MosquittoBroker broker(two_devices());
    REQUIRE(broker.start());
    INFO(broker.log());
    auto controller = MqttClient::create(bantin::test::controller_options(broker));
    REQUIRE(controller);
    EventWaiter controller_events(*controller);
    controller_events.connect_and_subscribe({});
    REQUIRE(controller->publish("bantin/v1/alert/all", "evacuate",
                                PublishOptions{QualityOfService::AtLeastOnce, Retain::Yes, 1s}));
    REQUIRE(controller->publish("bantin/v1/alert/zone/zone-north", "stays",
                                PublishOptions{QualityOfService::AtLeastOnce, Retain::Yes, std::nullopt}));
    REQUIRE(controller_events.wait_for<MqttPublishCompleted>(5s));
    REQUIRE(controller_events.wait_for<MqttPublishCompleted>(5s));

    std::this_thread::sleep_for(2500ms);
    auto device = MqttClient::create(bantin::test::options_for(broker, "dev-a", "password-a"));
    REQUIRE(device);
    EventWaiter device_events(*device);
    device_events.connect_and_subscribe({"bantin/v1/alert/all", "bantin/v1/alert/zone/zone-north"});
    auto kept = device_events.wait_for_message("bantin/v1/alert/zone/zone-north", 3s);
    REQUIRE(kept);
    CHECK(kept->payload == "stays");
    CHECK(device_events.collect_messages("bantin/v1/alert/all", 500ms).empty());
}

TEST_CASE("the Last Will marks a SIGKILLed device offline, retained", "[mqtt][will]") {
    MosquittoBroker broker(two_devices());
    REQUIRE(broker.start());
    INFO(broker.log());
    const std::string status = "bantin/v1/dev/dev-a/status";

    // The device runs in a child process (forked before this process has any client thread).
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        auto options = bantin::test::options_for(broker, "dev-a", "password-a");
        options.will =
            bantin::protocol::MqttWill{status, "offline", Retain::Yes, QualityOfService::AtLeastOnce};
        auto device = MqttClient::create(options);
        if (!device || !device->start()) {
            ::_exit(2);
        }
        for (int i = 0; i < 500; ++i) {
            for (const auto& event : device->poll(100ms)) {
                if (std::holds_alternative<MqttConnected>(event)) {
                    (void)device->publish(status, "online",
                                          PublishOptions{QualityOfService::AtLeastOnce, Retain::Yes, {}});
                }
            }
        }
        ::_exit(0);
    }

    auto controller = MqttClient::create(bantin::test::controller_options(broker));
    REQUIRE(controller);
    EventWaiter events(*controller);
    events.connect_and_subscribe({status});
    auto online = events.wait_for<bantin::protocol::MqttMessage>(
        10s, [&](const auto& message) { return message.topic == status && message.payload == "online"; });
    if (!online) {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
    }
    REQUIRE(online);

    const auto killed_at = std::chrono::steady_clock::now();
    ::kill(child, SIGKILL);
    int wait_status = 0;
    ::waitpid(child, &wait_status, 0);
    REQUIRE(WIFSIGNALED(wait_status));

    auto offline = events.wait_for_message(status, 5s);
    REQUIRE(offline);
    CHECK(offline->payload == "offline");
    // The socket closes with the process, so the broker sends the will at once; the bound
    // without a closed socket is 1.5 x keepalive.
    CHECK(std::chrono::steady_clock::now() - killed_at < 3s);

    // And it is retained: a late subscriber sees the device offline.
    auto observer = MqttClient::create([&] {
        auto options = bantin::test::controller_options(broker);
        options.client_id = "controller-observer";
        options.clean_start = true;
        return options;
    }());
    REQUIRE(observer);
    EventWaiter observer_events(*observer);
    observer_events.connect_and_subscribe({status});
    auto retained = observer_events.wait_for_message(status, 5s);
    REQUIRE(retained);
    CHECK(retained->payload == "offline");
    CHECK(retained->retained == Retain::Yes);
}

TEST_CASE("after a broker restart the client reconnects and gets the QoS 1 messages queued meanwhile",
          "[mqtt][reconnect]") {
    MosquittoBroker broker(two_devices());
    REQUIRE(broker.start());
    INFO(broker.log());
    const std::string command_topic = "bantin/v1/dev/dev-a/cmd";

    auto device_options = bantin::test::options_for(broker, "dev-a", "password-a");
    // Slow to come back, so that the controller's messages reach the broker first.
    device_options.reconnect_min = 2000ms;
    device_options.reconnect_max = 4000ms;
    auto device = MqttClient::create(device_options);
    REQUIRE(device);
    EventWaiter device_events(*device);
    device_events.connect_and_subscribe({command_topic});

    auto controller = MqttClient::create(bantin::test::controller_options(broker));
    REQUIRE(controller);
    EventWaiter controller_events(*controller);
    controller_events.connect_and_subscribe({});

    broker.stop();
    auto device_lost = device_events.wait_for<MqttDisconnected>(5s);
    REQUIRE(device_lost);
    CHECK(device_lost->error.code == Errc::Network);
    REQUIRE(controller_events.wait_for<MqttDisconnected>(5s));
    CHECK_FALSE(device->connected());

    // Published while the broker is down: libmosquitto keeps them and sends them later.
    std::vector<int> reasons;
    for (int i = 1; i <= 3; ++i) {
        auto queued = controller->publish(
            command_topic, "command-" + std::to_string(i), {},
            [&](const MqttPublishCompleted& done) { reasons.push_back(done.reason_code); });
        REQUIRE(queued);
    }

    REQUIRE(broker.start());
    for (int i = 0; i < 3; ++i) {
        REQUIRE(controller_events.wait_for<MqttPublishCompleted>(10s));
    }
    // 0, not 16: the device's subscription survived the restart in its persisted session.
    CHECK(reasons == std::vector<int>{0, 0, 0});

    auto reconnected = device_events.wait_for<MqttConnected>(10s);
    REQUIRE(reconnected);
    CHECK(reconnected->session_present);
    std::vector<std::string> payloads;
    for (int i = 0; i < 3; ++i) {
        auto command = device_events.wait_for_message(command_topic, 5s);
        REQUIRE(command);
        payloads.push_back(command->payload);
    }
    CHECK(payloads == std::vector<std::string>{"command-1", "command-2", "command-3"});
}

TEST_CASE("a clean-start client re-subscribes after the broker restarts", "[mqtt][reconnect]") {
    MosquittoBroker broker(two_devices());
    REQUIRE(broker.start());
    INFO(broker.log());
    const std::string bundle_topic = "bantin/v1/dev/dev-b/bundle";

    auto device_options = bantin::test::options_for(broker, "dev-b", "password-b");
    device_options.clean_start = true;
    device_options.session_expiry = 0s;
    auto device = MqttClient::create(device_options);
    REQUIRE(device);
    EventWaiter device_events(*device);
    device_events.connect_and_subscribe({bundle_topic});

    REQUIRE(broker.restart());
    REQUIRE(device_events.wait_for<MqttDisconnected>(5s));
    auto reconnected = device_events.wait_for<MqttConnected>(10s);
    REQUIRE(reconnected);
    CHECK_FALSE(reconnected->session_present);
    auto resubscribed = device_events.wait_for<bantin::protocol::MqttSubscribed>(5s);
    REQUIRE(resubscribed);
    CHECK(resubscribed->filters == std::vector<std::string>{bundle_topic});

    auto controller = MqttClient::create(bantin::test::controller_options(broker));
    REQUIRE(controller);
    EventWaiter controller_events(*controller);
    controller_events.connect_and_subscribe({});
    REQUIRE(controller->publish(bundle_topic, "after-restart"));
    auto bundle = device_events.wait_for_message(bundle_topic, 5s);
    REQUIRE(bundle);
    CHECK(bundle->payload == "after-restart");
}

TEST_CASE("a shared subscription of a persistent session is restored after the broker restarts",
          "[mqtt][reconnect][shared]") {
    // Mosquitto 2.0.11 restores the persisted session (and answers "session present") but
    // not its $share/ subscriptions: the client must subscribe again whatever the session.
    MosquittoBroker broker(two_devices());
    REQUIRE(broker.start());
    INFO(broker.log());
    const std::string shared = "$share/bantin-ingest/bantin/v1/dev/+/pop";
    const std::string pop_topic = "bantin/v1/dev/dev-a/pop";

    auto ingest = MqttClient::create(bantin::test::controller_options(broker));
    REQUIRE(ingest);
    EventWaiter ingest_events(*ingest);
    ingest_events.connect_and_subscribe({shared});

    auto device = MqttClient::create(bantin::test::options_for(broker, "dev-a", "password-a"));
    REQUIRE(device);
    EventWaiter device_events(*device);
    device_events.connect_and_subscribe({});
    REQUIRE(device->publish(pop_topic, "before"));
    auto before = ingest_events.wait_for_message(pop_topic, 5s);
    REQUIRE(before);
    CHECK(before->payload == "before");

    REQUIRE(broker.restart());
    REQUIRE(ingest_events.wait_for<MqttDisconnected>(5s));
    auto reconnected = ingest_events.wait_for<MqttConnected>(10s);
    REQUIRE(reconnected);
    // The persisted session came back: the case where the subscription used to be skipped.
    CHECK(reconnected->session_present);
    auto resubscribed = ingest_events.wait_for<bantin::protocol::MqttSubscribed>(5s);
    REQUIRE(resubscribed);
    CHECK(resubscribed->filters == std::vector<std::string>{shared});
    REQUIRE(resubscribed->granted.size() == 1);
    CHECK(resubscribed->granted[0] < 128);

    REQUIRE(device_events.wait_for<MqttConnected>(10s));
    REQUIRE(device->publish(pop_topic, "after-restart"));
    auto after = ingest_events.wait_for_message(pop_topic, 5s);
    REQUIRE(after);
    CHECK(after->payload == "after-restart");
}

TEST_CASE("refused credentials surface as an Unauthenticated disconnect", "[mqtt][errors]") {
    MosquittoBroker broker(two_devices());
    REQUIRE(broker.start());
    INFO(broker.log());
    auto device = MqttClient::create(bantin::test::options_for(broker, "dev-a", "wrong-password"));
    REQUIRE(device);
    EventWaiter events(*device);
    REQUIRE(device->start());
    auto refused = events.wait_for<MqttDisconnected>(5s);
    REQUIRE(refused);
    CHECK(refused->error.code == Errc::Unauthenticated);
    CHECK_THAT(refused->error.detail, Catch::Contains("credentials refused"));
    CHECK_THAT(refused->error.detail, Catch::Contains(std::to_string(broker.port())));
    CHECK_FALSE(device->connected());
    // It keeps retrying (the controller may restore the account), each time refused.
    auto again = events.wait_for<MqttDisconnected>(5s);
    REQUIRE(again);
    CHECK(again->error.code == Errc::Unauthenticated);
}

TEST_CASE("an unreachable broker surfaces as a Network disconnect", "[mqtt][errors]") {
    bantin::protocol::MqttClientOptions options;
    options.port = MosquittoBroker::free_port();
    options.client_id = "dev-a";
    options.username = "dev-a";
    options.password = "password-a";
    options.reconnect_min = 100ms;
    options.reconnect_max = 200ms;
    auto device = MqttClient::create(options);
    REQUIRE(device);
    EventWaiter events(*device);
    REQUIRE(device->start());
    auto unreachable = events.wait_for<MqttDisconnected>(5s);
    REQUIRE(unreachable);
    CHECK(unreachable->error.code == Errc::Network);
    CHECK_THAT(unreachable->error.detail, Catch::Contains("cannot reach broker"));
    CHECK_THAT(unreachable->error.detail, Catch::Contains("127.0.0.1:" + std::to_string(options.port)));
}

TEST_CASE("the wakeup hook runs for every queued event and events arrive through poll", "[mqtt][threads]") {
    MosquittoBroker broker(two_devices());
    REQUIRE(broker.start());
    INFO(broker.log());
    std::atomic<int> wakeups{0};
    auto device =
        MqttClient::create(bantin::test::options_for(broker, "dev-a", "password-a"), [&] { ++wakeups; });
    REQUIRE(device);
    EventWaiter events(*device);
    events.connect_and_subscribe({"bantin/v1/dev/dev-a/cmd"});
    CHECK(wakeups.load() >= 2);  // CONNACK and SUBACK
}

TEST_CASE("a client with the controller's in-flight maximum gets and sends every QoS 1 message",
          "[mqtt][inflight]") {
    MosquittoBroker broker(two_devices());
    REQUIRE(broker.start());
    INFO(broker.log());
    auto options = bantin::test::controller_options(broker);
    options.receive_maximum = bantin::protocol::controller_inflight_maximum;
    options.send_maximum = bantin::protocol::controller_inflight_maximum;
    auto controller = MqttClient::create(options);
    REQUIRE(controller);
    EventWaiter controller_events(*controller);
    controller_events.connect_and_subscribe({"bantin/v1/dev/+/status"});
    auto device = MqttClient::create(bantin::test::options_for(broker, "dev-a", "password-a"));
    REQUIRE(device);
    EventWaiter device_events(*device);
    device_events.connect_and_subscribe({"bantin/v1/dev/dev-a/bundle"});

    constexpr int kMessages = 500;
    for (int i = 0; i < kMessages; ++i) {
        REQUIRE(device->publish("bantin/v1/dev/dev-a/status", std::to_string(i)));
        REQUIRE(controller->publish("bantin/v1/dev/dev-a/bundle", std::to_string(i)));
    }
    int statuses = 0, bundles = 0, completed = 0;
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while ((statuses < kMessages || bundles < kMessages || completed < kMessages) &&
           std::chrono::steady_clock::now() < give_up) {
        for (auto& event : controller->poll(20ms)) {
            if (std::holds_alternative<bantin::protocol::MqttMessage>(event))
                ++statuses;
            else if (const auto* done = std::get_if<MqttPublishCompleted>(&event); done && done->succeeded())
                ++completed;
        }
        for (auto& event : device->drain())
            if (std::holds_alternative<bantin::protocol::MqttMessage>(event))
                ++bundles;
    }
    CHECK(statuses == kMessages);
    CHECK(bundles == kMessages);
    CHECK(completed == kMessages);
}

TEST_CASE("an in-flight maximum of zero is refused", "[mqtt][inflight]") {
    bantin::protocol::MqttClientOptions options;
    options.client_id = "controller";
    options.receive_maximum = 0;
    auto refused = MqttClient::create(options);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::InvalidInput);
    options.receive_maximum = 20;
    options.send_maximum = 0;
    refused = MqttClient::create(options);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::InvalidInput);
}
