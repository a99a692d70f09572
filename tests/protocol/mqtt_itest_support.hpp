#pragma once
// Shared pieces of the MQTT integration tests: the process-wide libmosquitto guard, client
// options for a test broker, and waiting for events.

#include "bantin/protocol/mqtt_client.hpp"
#include "support/mosquitto_broker.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

namespace bantin::test {

// mosquitto_lib_init once for the test process (a daemon does this in main).
inline const protocol::MosquittoLibrary mosquitto_library;

inline protocol::MqttClientOptions options_for(const MosquittoBroker& broker, const std::string& username,
                                               const std::string& password) {
    protocol::MqttClientOptions options;
    options.host = broker.host();
    options.port = broker.port();
    options.client_id = username;
    options.username = username;
    options.password = password;
    options.keepalive = std::chrono::seconds(10);
    options.session_expiry = std::chrono::days(2);
    options.reconnect_min = std::chrono::milliseconds(100);
    options.reconnect_max = std::chrono::milliseconds(1000);
    return options;
}

inline protocol::MqttClientOptions controller_options(const MosquittoBroker& broker) {
    return options_for(broker, broker.options().controller_username, broker.options().controller_password);
}

// Wraps a client for tests: waits for an event of a given kind, keeping every event it did
// not take (in order) for later waits, so nothing is lost between two waits.
class EventWaiter {
public:
    explicit EventWaiter(protocol::MqttClient& client) : m_client(client) {}

    template <class Event>
    std::optional<Event> wait_for(std::chrono::milliseconds timeout,
                                  std::function<bool(const Event&)> accept = {}) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            for (auto it = m_backlog.begin(); it != m_backlog.end(); ++it) {
                if (const auto* typed = std::get_if<Event>(&*it); typed && (!accept || accept(*typed))) {
                    Event found = *typed;
                    m_backlog.erase(it);
                    return found;
                }
            }
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) {
                return std::nullopt;
            }
            auto events =
                m_client.poll(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
            for (auto& event : events) {
                m_backlog.push_back(std::move(event));
            }
        }
    }

    std::optional<protocol::MqttMessage> wait_for_message(const std::string& topic,
                                                          std::chrono::milliseconds timeout) {
        return wait_for<protocol::MqttMessage>(
            timeout, [&](const protocol::MqttMessage& message) { return message.topic == topic; });
    }

    // Every message on `topic` received within `duration`.
    std::vector<protocol::MqttMessage> collect_messages(const std::string& topic,
                                                        std::chrono::milliseconds duration) {
        std::vector<protocol::MqttMessage> messages;
        const auto deadline = std::chrono::steady_clock::now() + duration;
        while (true) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) {
                return messages;
            }
            auto message = wait_for_message(
                topic, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
            if (message) {
                messages.push_back(*message);
            }
        }
    }

    // Starts the client, waits for its CONNACK and for a granted SUBACK of each filter.
    void connect_and_subscribe(const std::vector<std::string>& filters) {
        for (const auto& filter : filters) {
            REQUIRE(m_client.subscribe(filter));
        }
        REQUIRE(m_client.start());
        auto connected = wait_for<protocol::MqttConnected>(std::chrono::seconds(5));
        REQUIRE(connected);
        std::size_t acknowledged = 0;
        while (acknowledged < filters.size()) {
            auto subscribed = wait_for<protocol::MqttSubscribed>(std::chrono::seconds(5));
            REQUIRE(subscribed);
            for (int granted : subscribed->granted) {
                REQUIRE(granted < 128);
            }
            acknowledged += subscribed->filters.size();
        }
    }

private:
    protocol::MqttClient& m_client;
    std::vector<protocol::MqttEvent> m_backlog;
};

}  // namespace bantin::test
