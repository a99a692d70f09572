#include "bantin/protocol/mqtt_client.hpp"

#include "mqtt_socket.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace bantin::protocol {

namespace {

// How long one mosquitto_loop() call may wait: the bound on how late stop() is noticed.
constexpr int kLoopTimeoutMs = 200;

MonotonicTime monotonic_now() {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

struct MosquittoDeleter {
    void operator()(mosquitto* handle) const { mosquitto_destroy(handle); }
};
struct PropertyDeleter {
    void operator()(mosquitto_property* properties) const { mosquitto_property_free_all(&properties); }
};

Error error_from_connack(int reason, const std::string& broker) {
    const std::string text = std::string(mosquitto_reason_string(reason));
    switch (reason) {
        // Mosquitto 2.0 answers a wrong or unknown password with 135, so both mean "these
        // credentials were refused".
        case MQTT_RC_BAD_USERNAME_OR_PASSWORD:
        case MQTT_RC_NOT_AUTHORIZED:
            return Error{Errc::Unauthenticated, broker + ": credentials refused (CONNACK " +
                                                    std::to_string(reason) + " " + text + ")"};
        default:
            return Error{Errc::Unsupported,
                         broker + ": CONNACK refused (" + std::to_string(reason) + "): " + text};
    }
}

}  // namespace

class MqttClient::State {
public:
    State(MqttClientOptions options, WakeupHook wakeup)
        : m_options(std::move(options)),
          m_wakeup(std::move(wakeup)),
          m_backoff(m_options.reconnect_min, m_options.reconnect_max, m_options.stable_connection),
          m_random(std::random_device{}()) {
        m_broker = m_options.host + ":" + std::to_string(m_options.port);
    }

    ~State() { stop(); }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    Result<void> initialise() {
        m_handle.reset(mosquitto_new(m_options.client_id.c_str(), m_options.clean_start, this));
        if (!m_handle) {
            return fail(Errc::Internal, "mosquitto_new failed: " + std::string(std::strerror(errno)));
        }
        mosquitto* handle = m_handle.get();
        if (int rc = mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5); rc) {
            return library_error("MQTT v5", rc);
        }
        if (int rc = mosquitto_int_option(handle, MOSQ_OPT_RECEIVE_MAXIMUM, m_options.receive_maximum); rc) {
            return library_error("receive maximum", rc);
        }
        if (int rc = mosquitto_int_option(handle, MOSQ_OPT_SEND_MAXIMUM, m_options.send_maximum); rc) {
            return library_error("send maximum", rc);
        }
        if (int rc = mosquitto_threaded_set(handle, true); rc) {
            return library_error("threaded mode", rc);
        }
        if (!m_options.username.empty()) {
            if (int rc = mosquitto_username_pw_set(
                    handle, m_options.username.c_str(),
                    m_options.password.empty() ? nullptr : m_options.password.c_str());
                rc) {
                return library_error("username", rc);
            }
        }
        if (m_options.tls) {
            const MqttTls& tls = *m_options.tls;
            const char* cert = tls.cert_file.empty() ? nullptr : tls.cert_file.c_str();
            const char* key = tls.key_file.empty() ? nullptr : tls.key_file.c_str();
            if (int rc = mosquitto_tls_set(handle, tls.ca_file.c_str(), nullptr, cert, key, nullptr); rc) {
                return fail(Errc::InvalidInput, "TLS files (ca " + tls.ca_file + ", cert " + tls.cert_file +
                                                    ", key " + tls.key_file + "): " + mosquitto_strerror(rc));
            }
        }
        if (m_options.will) {
            const MqttWill& will = *m_options.will;
            if (int rc = mosquitto_will_set_v5(
                    handle, will.topic.c_str(), static_cast<int>(will.payload.size()), will.payload.data(),
                    static_cast<int>(will.qos), will.retain == Retain::Yes, nullptr);
                rc) {
                return fail(Errc::InvalidInput, "will on '" + will.topic + "': " + mosquitto_strerror(rc));
            }
        }
        mosquitto_property* properties = nullptr;
        const auto expiry = static_cast<std::uint32_t>(std::clamp<std::int64_t>(
            m_options.session_expiry.count(), 0, std::numeric_limits<std::uint32_t>::max()));
        if (int rc = mosquitto_property_add_int32(&properties, MQTT_PROP_SESSION_EXPIRY_INTERVAL, expiry);
            rc) {
            return library_error("session expiry", rc);
        }
        m_connect_properties.reset(properties);
        // Connecting must not block the network thread (stop() would wait for a TCP
        // timeout), so every attempt uses mosquitto_connect_bind_async, which takes no
        // properties. libmosquitto 2.0 keeps the properties given to
        // mosquitto_connect_bind_v5 in the handle and sends them with every later connect,
        // async ones included; connect_bind_v5 stores them before it checks its arguments,
        // so a call with an invalid keepalive (1 s) stores them and returns MOSQ_ERR_INVAL
        // without touching the network. Checked on 2.0.11; the session itests (a session
        // present after reconnecting, QoS 1 queued across a restart) fail if it stops working.
        if (int rc = mosquitto_connect_bind_v5(handle, m_options.host.c_str(), m_options.port, 1, nullptr,
                                               m_connect_properties.get());
            rc != MOSQ_ERR_INVAL) {
            return library_error("storing the CONNECT properties (expected MOSQ_ERR_INVAL)", rc);
        }

        mosquitto_connect_v5_callback_set(handle, &State::on_connect);
        mosquitto_disconnect_v5_callback_set(handle, &State::on_disconnect);
        mosquitto_message_v5_callback_set(handle, &State::on_message);
        mosquitto_publish_v5_callback_set(handle, &State::on_publish);
        mosquitto_subscribe_v5_callback_set(handle, &State::on_subscribe);
        mosquitto_log_callback_set(handle, &State::on_log);
        return {};
    }

    Result<void> start() {
        if (m_thread.joinable()) {
            return fail(Errc::Conflict, "MQTT client " + m_options.client_id + " already started");
        }
        m_stopping = false;
        m_thread = std::thread([this] { run(); });
        return {};
    }

    void stop() {
        if (!m_thread.joinable()) {
            return;
        }
        {
            std::lock_guard lock(m_stop_mutex);
            m_stopping = true;
        }
        m_stop_signal.notify_all();
        m_thread.join();
    }

    Result<int> publish(const std::string& topic, const std::string& payload, const PublishOptions& options,
                        PublishCallback on_complete) {
        mosquitto_property* raw = nullptr;
        if (options.message_expiry) {
            const auto seconds = static_cast<std::uint32_t>(std::clamp<std::int64_t>(
                options.message_expiry->count(), 0, std::numeric_limits<std::uint32_t>::max()));
            if (int rc = mosquitto_property_add_int32(&raw, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, seconds); rc) {
                return library_error("message expiry", rc);
            }
        }
        std::unique_ptr<mosquitto_property, PropertyDeleter> properties(raw);
        std::lock_guard lock(m_publish_mutex);
        int message_id = 0;
        const int qos = static_cast<int>(options.qos);
        const int rc =
            mosquitto_publish_v5(m_handle.get(), &message_id, topic.c_str(), static_cast<int>(payload.size()),
                                 payload.data(), qos, options.retain == Retain::Yes, properties.get());
        // A QoS 1 message published while disconnected is queued by libmosquitto, which
        // still answers NO_CONN; it is sent after reconnection.
        const bool queued = rc == MOSQ_ERR_NO_CONN && options.qos == QualityOfService::AtLeastOnce;
        if (rc != MOSQ_ERR_SUCCESS && !queued) {
            const Errc code =
                rc == MOSQ_ERR_NO_CONN ? Errc::Network
                : (rc == MOSQ_ERR_INVAL || rc == MOSQ_ERR_PAYLOAD_SIZE || rc == MOSQ_ERR_MALFORMED_UTF8)
                    ? Errc::InvalidInput
                    : Errc::Internal;
            return fail(code, "publish to '" + topic + "': " + mosquitto_strerror(rc));
        }
        if (on_complete && options.qos == QualityOfService::AtLeastOnce) {
            m_publish_callbacks[message_id] = std::move(on_complete);
        }
        return message_id;
    }

    Result<void> subscribe(const std::string& filter, QualityOfService qos) {
        if (mosquitto_sub_topic_check(filter.c_str()) != MOSQ_ERR_SUCCESS) {
            return fail(Errc::InvalidInput, "subscription filter '" + filter + "' is not valid");
        }
        std::lock_guard lock(m_subscription_mutex);
        m_subscriptions[filter] = Subscription{static_cast<int>(qos)};
        if (m_connected) {
            send_subscribe_locked(filter, static_cast<int>(qos));
        }
        return {};
    }

    Result<void> unsubscribe(const std::string& filter) {
        std::lock_guard lock(m_subscription_mutex);
        if (m_subscriptions.erase(filter) == 0) {
            return fail(Errc::NotFound, "not subscribed to '" + filter + "'");
        }
        if (m_connected) {
            mosquitto_unsubscribe_v5(m_handle.get(), nullptr, filter.c_str(), nullptr);
        }
        return {};
    }

    bool connected() const { return m_connected; }

    std::vector<MqttEvent> drain() {
        std::deque<MqttEvent> taken;
        {
            std::lock_guard lock(m_event_mutex);
            taken.swap(m_events);
        }
        std::vector<MqttEvent> events;
        events.reserve(taken.size());
        for (auto& event : taken) {
            if (const auto* completed = std::get_if<MqttPublishCompleted>(&event)) {
                PublishCallback callback;
                {
                    std::lock_guard lock(m_publish_mutex);
                    if (auto found = m_publish_callbacks.find(completed->message_id);
                        found != m_publish_callbacks.end()) {
                        callback = std::move(found->second);
                        m_publish_callbacks.erase(found);
                    }
                }
                if (callback) {
                    callback(*completed);
                }
            }
            events.push_back(std::move(event));
        }
        return events;
    }

    std::vector<MqttEvent> poll(std::chrono::milliseconds timeout) {
        {
            std::unique_lock lock(m_event_mutex);
            m_event_signal.wait_for(lock, timeout, [this] { return !m_events.empty(); });
        }
        return drain();
    }

private:
    struct Subscription {
        int qos = 1;
    };

    std::unexpected<Error> library_error(const std::string& what, int rc) const {
        return fail(Errc::Internal, m_options.client_id + ": " + what + ": " + mosquitto_strerror(rc));
    }

    void push(MqttEvent event) {
        {
            std::lock_guard lock(m_event_mutex);
            m_events.push_back(std::move(event));
            // Under the lock, so the hook has run for an event before any drain() can take
            // it (the hook only notifies and never calls back into the client).
            if (m_wakeup) {
                m_wakeup();
            }
        }
        m_event_signal.notify_all();
    }

    // Called with m_subscription_mutex held, so a SUBACK cannot be handled before its
    // message id is recorded.
    void send_subscribe_locked(const std::string& filter, int qos) {
        int message_id = 0;
        if (mosquitto_subscribe_v5(m_handle.get(), &message_id, filter.c_str(), qos, 0, nullptr) ==
            MOSQ_ERR_SUCCESS) {
            m_pending_subacks[message_id] = {filter};
        }
    }

    // The error a failed connect call or a returning mosquitto_loop stands for.
    Error classify(int rc, int saved_errno) {
        if (m_connack_error) {
            return *m_connack_error;
        }
        std::string last_log;
        {
            std::lock_guard lock(m_log_mutex);
            last_log = m_last_error_log;
        }
        switch (rc) {
            case MOSQ_ERR_TLS:
            case MOSQ_ERR_TLS_HANDSHAKE:
                return Error{Errc::Crypto,
                             m_broker + ": TLS failure" + (last_log.empty() ? "" : ": " + last_log)};
            case MOSQ_ERR_ERRNO:
                // Under TLS 1.3 the broker refuses a client certificate after the client thinks
                // the handshake is done; libmosquitto then reports OpenSSL's failure as EPROTO.
                if (m_options.tls && saved_errno == EPROTO)
                    return Error{Errc::Crypto, m_broker + ": TLS failure: " + std::strerror(saved_errno) +
                                                   (last_log.empty() ? "" : ": " + last_log)};
                return Error{Errc::Network,
                             m_broker + ": cannot reach broker: " + std::strerror(saved_errno)};
            case MOSQ_ERR_EAI:
            case MOSQ_ERR_UNKNOWN: return Error{Errc::Network, m_broker + ": cannot resolve broker address"};
            default: break;
        }
        std::string detail = m_broker + ": connection lost (" + mosquitto_strerror(rc) + ")";
        // Set by on_disconnect only from a DISCONNECT the broker sent (0x80 and up); when the
        // connection just dropped, libmosquitto passes its own error number (< 0x80) instead.
        if (m_disconnect_reason >= 0x80) {
            detail +=
                "; broker sent DISCONNECT: " + std::string(mosquitto_reason_string(m_disconnect_reason));
        }
        if (m_options.tls && !last_log.empty()) {
            return Error{Errc::Crypto, detail + ": " + last_log};
        }
        return Error{Errc::Network, detail};
    }

    void run() {
        mosquitto* handle = m_handle.get();
        while (!m_stopping) {
            m_connack_error.reset();
            m_disconnect_reason = 0;
            {
                std::lock_guard lock(m_log_mutex);
                m_last_error_log.clear();
            }
            // Non-blocking: the TCP connect, the TLS handshake and the CONNACK all complete
            // inside mosquitto_loop, which returns every kLoopTimeoutMs to look at m_stopping.
            const auto attempt_started = std::chrono::steady_clock::now();
            int rc = mosquitto_connect_bind_async(handle, m_options.host.c_str(), m_options.port,
                                                  static_cast<int>(m_options.keepalive.count()), nullptr);
            int saved_errno = errno;
            int connection_errno = detail::is_connection_errno(saved_errno) ? saved_errno : 0;
            bool was_connected = false;
            bool timed_out = false;
            bool closed_during_handshake = false;
            while (rc == MOSQ_ERR_SUCCESS && !m_stopping) {
                rc = mosquitto_loop(handle, kLoopTimeoutMs, 1);
                saved_errno = errno;
                if (connection_errno == 0 && detail::is_connection_errno(saved_errno)) {
                    connection_errno = saved_errno;
                }
                was_connected = was_connected || m_connected;
                if (!was_connected && rc == MOSQ_ERR_SUCCESS && m_options.tls &&
                    detail::tcp_connection_closed(handle)) {
                    // libmosquitto 2.0 takes a socket error during the non-blocking TLS
                    // handshake (SSL_ERROR_SYSCALL: refused, reset) for "try again" and
                    // would spin on the dead socket until connect_timeout.
                    closed_during_handshake = true;
                    break;
                }
                if (!was_connected && rc == MOSQ_ERR_SUCCESS &&
                    std::chrono::steady_clock::now() - attempt_started >= m_options.connect_timeout) {
                    timed_out = true;
                    break;
                }
            }
            if (m_stopping) {
                break;
            }
            m_connected = false;
            Error error =
                timed_out
                    ? Error{Errc::Network, m_broker + ": cannot reach broker: no CONNACK within " +
                                               std::to_string(m_options.connect_timeout.count()) + " ms"}
                : closed_during_handshake && !m_connack_error
                    ? Error{Errc::Network,
                            m_broker + ": cannot reach broker: " +
                                (connection_errno != 0
                                     ? std::string(std::strerror(connection_errno))
                                     : std::string("connection closed before the TLS handshake finished"))}
                    : classify(rc, saved_errno);
            double unit = 0.0;
            {
                std::uniform_real_distribution<double> distribution(0.0, 1.0);
                unit = distribution(m_random);
            }
            const auto delay = m_backoff.next_delay(monotonic_now(), unit);
            push(MqttDisconnected{std::move(error), delay});
            std::unique_lock lock(m_stop_mutex);
            m_stop_signal.wait_for(lock, delay, [this] { return m_stopping.load(); });
        }
        if (m_connected) {
            mosquitto_disconnect_v5(handle, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
            for (int i = 0; i < 10; ++i) {
                if (mosquitto_loop(handle, 50, 1) != MOSQ_ERR_SUCCESS) {
                    break;
                }
            }
        }
        m_connected = false;
    }

    static State& self(void* object) { return *static_cast<State*>(object); }

    static void on_connect(mosquitto*, void* object, int reason, int flags, const mosquitto_property*) {
        State& state = self(object);
        if (reason != 0) {
            state.m_connack_error = error_from_connack(reason, state.m_broker);
            return;
        }
        const bool session_present = (flags & 0x01) != 0;
        state.m_backoff.connected(monotonic_now());
        {
            std::lock_guard lock(state.m_subscription_mutex);
            state.m_connected = true;
            // Every filter, whatever the broker says about the session: Mosquitto 2.0.11
            // restores a persisted session and its plain subscriptions after a restart but
            // drops the shared ones ($share/...) while still answering "session present".
            // Subscribing again is idempotent at the broker (MQTT 5, 3.8.4: the existing
            // subscription is replaced; retained messages may be sent again).
            for (const auto& [filter, subscription] : state.m_subscriptions) {
                state.send_subscribe_locked(filter, subscription.qos);
            }
        }
        state.push(MqttConnected{session_present});
    }

    static void on_disconnect(mosquitto*, void* object, int reason, const mosquitto_property*) {
        // Keep a broker's DISCONNECT reason; the library's own error for the socket closing
        // right after it must not replace it.
        if (reason >= 0x80) {
            self(object).m_disconnect_reason = reason;
        }
    }

    static void on_message(mosquitto*, void* object, const mosquitto_message* message,
                           const mosquitto_property*) {
        MqttMessage copy;
        copy.topic = message->topic;
        copy.payload.assign(static_cast<const char*>(message->payload),
                            static_cast<std::size_t>(message->payloadlen));
        copy.retained = message->retain ? Retain::Yes : Retain::No;
        copy.qos = message->qos > 0 ? QualityOfService::AtLeastOnce : QualityOfService::AtMostOnce;
        self(object).push(std::move(copy));
    }

    static void on_publish(mosquitto*, void* object, int message_id, int reason, const mosquitto_property*) {
        self(object).push(MqttPublishCompleted{message_id, reason});
    }

    static void on_subscribe(mosquitto*, void* object, int message_id, int count, const int* granted,
                             const mosquitto_property*) {
        State& state = self(object);
        MqttSubscribed event;
        event.message_id = message_id;
        event.granted.assign(granted, granted + count);
        {
            std::lock_guard lock(state.m_subscription_mutex);
            if (auto found = state.m_pending_subacks.find(message_id);
                found != state.m_pending_subacks.end()) {
                event.filters = std::move(found->second);
                state.m_pending_subacks.erase(found);
            }
        }
        state.push(std::move(event));
    }

    static void on_log(mosquitto*, void* object, int level, const char* text) {
        if (level == MOSQ_LOG_ERR && text != nullptr) {
            State& state = self(object);
            std::lock_guard lock(state.m_log_mutex);
            state.m_last_error_log = text;
        }
    }

    MqttClientOptions m_options;
    WakeupHook m_wakeup;
    std::string m_broker;
    std::unique_ptr<mosquitto, MosquittoDeleter> m_handle;
    std::unique_ptr<mosquitto_property, PropertyDeleter> m_connect_properties;
    std::thread m_thread;

    std::mutex m_stop_mutex;
    std::condition_variable m_stop_signal;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_connected{false};

    // Network thread only.
    std::optional<Error> m_connack_error;
    int m_disconnect_reason = 0;
    ReconnectBackoff m_backoff;
    std::mt19937_64 m_random;

    std::mutex m_log_mutex;
    std::string m_last_error_log;

    std::mutex m_event_mutex;
    std::condition_variable m_event_signal;
    std::deque<MqttEvent> m_events;

    std::mutex m_publish_mutex;
    std::map<int, PublishCallback> m_publish_callbacks;

    std::mutex m_subscription_mutex;
    std::map<std::string, Subscription> m_subscriptions;
    std::map<int, std::vector<std::string>> m_pending_subacks;
};

Result<MqttClient> MqttClient::create(MqttClientOptions options, WakeupHook wakeup) {
    if (options.client_id.empty()) {
        return fail(Errc::InvalidInput, "MQTT client id must not be empty");
    }
    if (options.host.empty() || options.port == 0) {
        return fail(Errc::InvalidInput, "MQTT broker address must have a host and a non-zero port");
    }
    if (options.reconnect_min.count() <= 0 || options.reconnect_max < options.reconnect_min) {
        return fail(Errc::InvalidInput, "MQTT reconnect delays: need 0 < reconnect_min <= reconnect_max");
    }
    if (options.keepalive.count() < 5 || options.keepalive.count() > 65535) {
        return fail(Errc::InvalidInput, "MQTT keepalive must be 5..65535 s");
    }
    if (options.receive_maximum == 0 || options.send_maximum == 0) {
        return fail(Errc::InvalidInput, "MQTT receive_maximum and send_maximum must be 1..65535");
    }
    if (options.stable_connection.count() < 0 || options.connect_timeout.count() <= 0) {
        return fail(Errc::InvalidInput, "MQTT stable_connection must be >= 0 and connect_timeout > 0");
    }
    auto state = std::make_unique<State>(std::move(options), std::move(wakeup));
    if (auto initialised = state->initialise(); !initialised) {
        return std::unexpected(initialised.error());
    }
    return MqttClient(std::move(state));
}

MqttClient::MqttClient(std::unique_ptr<State> state) : m_state(std::move(state)) {}
MqttClient::MqttClient(MqttClient&&) noexcept = default;
MqttClient& MqttClient::operator=(MqttClient&&) noexcept = default;
MqttClient::~MqttClient() = default;

Result<void> MqttClient::start() {
    assert(m_state);
    return m_state->start();
}
void MqttClient::stop() {
    if (m_state) {
        m_state->stop();
    }
}
Result<int> MqttClient::publish(const std::string& topic, const std::string& payload, PublishOptions options,
                                PublishCallback on_complete) {
    assert(m_state);
    return m_state->publish(topic, payload, options, std::move(on_complete));
}
Result<void> MqttClient::subscribe(const std::string& filter, QualityOfService qos) {
    assert(m_state);
    return m_state->subscribe(filter, qos);
}
Result<void> MqttClient::unsubscribe(const std::string& filter) {
    assert(m_state);
    return m_state->unsubscribe(filter);
}
bool MqttClient::connected() const {
    return m_state && m_state->connected();
}
std::vector<MqttEvent> MqttClient::drain() {
    assert(m_state);
    return m_state->drain();
}
std::vector<MqttEvent> MqttClient::poll(std::chrono::milliseconds timeout) {
    assert(m_state);
    return m_state->poll(timeout);
}

}  // namespace bantin::protocol
