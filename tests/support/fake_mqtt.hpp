#pragma once
// An MqttLink for unit tests: no broker, no thread. The test plays the broker's part:
// connect() queues a CONNACK (and a SUBACK for every filter asked so far), deliver() queues a
// message, and published() shows what the code under test sent. Publish callbacks run inside
// the next drain()/poll(), as MqttClient runs them on the PUBACK; poll() never blocks.
//
// Threads: one, like the daemon loop that drives it.

#include "bantin/protocol/mqtt_client.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace bantin::testing {

class FakeMqttLink final : public protocol::MqttLink {
public:
    struct Published {
        std::string topic;
        std::string payload;
        protocol::PublishOptions options;
    };

    // `wake`: called whenever an event waits for drain(), as MqttClient calls its wakeup hook.
    explicit FakeMqttLink(protocol::WakeupHook wake = {}) : m_wake(std::move(wake)) {}

    Result<void> start() override {
        m_started = true;
        if (m_connect_on_start)
            connect();
        return {};
    }
    void stop() override {
        m_stopped = true;
        m_connected = false;
    }
    Result<int> publish(const std::string& topic, const std::string& payload,
                        protocol::PublishOptions options = {},
                        protocol::PublishCallback on_complete = {}) override {
        const int id = m_next_id++;
        if (!m_connected && options.qos == protocol::QualityOfService::AtMostOnce)
            return id;  // lost, as QoS 0 is while disconnected
        m_published.push_back({topic, payload, options});
        if (on_complete)
            m_callbacks.emplace_back(id, std::move(on_complete));
        return id;
    }
    Result<void> subscribe(const std::string& filter, protocol::QualityOfService = {}) override {
        m_filters.push_back(filter);
        if (m_connected)
            push(protocol::MqttSubscribed{m_next_id++, {filter}, {1}});
        return {};
    }
    bool connected() const override { return m_connected; }
    std::vector<protocol::MqttEvent> drain() override {
        for (auto& [id, callback] : std::exchange(m_callbacks, {}))
            callback(protocol::MqttPublishCompleted{id, 0});
        return std::exchange(m_events, {});
    }
    std::vector<protocol::MqttEvent> poll(std::chrono::milliseconds) override { return drain(); }

    // The broker's side.
    void connect_on_start(bool connect) { m_connect_on_start = connect; }
    void connect() {
        m_connected = true;
        push(protocol::MqttConnected{false});
        if (!m_filters.empty())
            m_events.push_back(
                protocol::MqttSubscribed{m_next_id++, m_filters, std::vector<int>(m_filters.size(), 1)});
    }
    void disconnect() {
        m_connected = false;
        push(protocol::MqttDisconnected{Error{Errc::Network, "connection lost"}, {}});
    }
    void deliver(std::string topic, std::string payload) {
        protocol::MqttMessage message;
        message.topic = std::move(topic);
        message.payload = std::move(payload);
        push(std::move(message));
    }

    const std::vector<Published>& published() const { return m_published; }
    std::vector<Published> published_to(const std::string& topic) const {
        std::vector<Published> found;
        std::copy_if(m_published.begin(), m_published.end(), std::back_inserter(found),
                     [&](const Published& message) { return message.topic == topic; });
        return found;
    }
    void clear_published() { m_published.clear(); }
    const std::vector<std::string>& filters() const { return m_filters; }
    bool started() const { return m_started; }
    bool stopped() const { return m_stopped; }

private:
    // Out of line in spirit: g++ 12 warns (maybe-uninitialized) on a variant built in place from
    // a braced temporary inside push_back.
    [[gnu::noinline]] void push(protocol::MqttEvent event) {
        m_events.push_back(std::move(event));
        if (m_wake)
            m_wake();
    }

    protocol::WakeupHook m_wake;
    bool m_connect_on_start = true;
    bool m_connected = false;
    bool m_started = false;
    bool m_stopped = false;
    int m_next_id = 1;
    std::vector<std::string> m_filters;
    std::vector<protocol::MqttEvent> m_events;
    std::vector<Published> m_published;
    std::vector<std::pair<int, protocol::PublishCallback>> m_callbacks;
};

}  // namespace bantin::testing
