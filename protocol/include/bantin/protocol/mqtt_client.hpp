#pragma once
// An MQTT 5 client over libmosquitto, shared by the controller and the player daemons.
//
// What it does: one connection to one broker, with username/password or a TLS client
// certificate, a Last Will, clean start off and a session expiry (devices keep their
// session for days, so QoS 1 messages sent while they were away wait in the broker),
// automatic reconnection with exponential backoff and jitter, QoS 1 publishes whose PUBACK
// (with its v5 reason code) completes a callback, retained publishes, v5 message expiry,
// and subscriptions that survive reconnection.
//
// Lifecycle: create() builds the libmosquitto handle (nothing touches the network yet);
// start() launches the network thread, which connects and keeps reconnecting until stop()
// or destruction. subscribe() may be called before or after start(). stop() disconnects
// cleanly (the broker then discards the Last Will; publish an explicit "offline" first if
// you want one) and joins the thread. stop() is prompt (about 200 ms) whatever the network
// does: connecting is non-blocking (TCP connect, TLS handshake and CONNACK all happen in
// the interruptible loop), and an attempt without a CONNACK within connect_timeout is
// abandoned. The one blocking step left is the host name lookup (getaddrinfo) of a host
// given by name, bounded by the resolver's own timeout; give an address to avoid it. The process must hold a
// MosquittoLibrary guard for the lifetime of every client (construct it first thing in main).
//
// Threads. The network thread never runs user code. It turns libmosquitto's callbacks into
// MqttEvent values, pushes them onto a locked queue and, still holding that lock (so the hook has run before
// drain() can return the event), calls the wakeup hook, which must
// only notify (write an eventfd, push an SDL user event, notify a condition variable) and
// never call back into the client. The owner drains the queue from its own loop with
// drain() or poll(timeout); publish-completion callbacks run inside drain()/poll() on the
// owner's thread. publish(), subscribe(), unsubscribe() are safe from any thread; drain()
// and poll() belong to one owner thread.
//
// Reconnection: after a lost connection or a failed attempt the network thread waits
//   delay(n) = uniform random in [d/2, d], d = min(reconnect_max, reconnect_min * 2^n)
// then tries again, where n counts the drops and failed attempts since the last connection
// that stayed up for `stable_connection` (ReconnectBackoff). A connection that is accepted
// and then lost quickly (a cloned client id whose twin keeps taking the session over, a
// broker that drops the client right after CONNACK) therefore does not reset the delay:
// it keeps growing to reconnect_max instead of flapping at reconnect_min. A refused CONNACK
// (bad credentials, not authorised) also backs off and retries: the credentials may be
// restored by the controller. Each MqttDisconnected event carries the delay chosen.
// Subscriptions: the client remembers every filter it was asked for. On each successful
// CONNACK it re-subscribes all of them, even when the broker reports the session as present:
// Mosquitto 2.0.11 restores a persisted session after a restart without its shared
// subscriptions ($share/...) yet answers "session present", and a repeated SUBSCRIBE only
// replaces the broker's existing subscription (a retained message may then come again).
// QoS 1 messages published while disconnected are kept by libmosquitto and sent after
// reconnection; their completion comes with the eventual PUBACK.
//
// Errors: create(), publish() and subscribe() return Error for bad arguments (InvalidInput)
// and libmosquitto failures. Connection problems are never returned; they arrive as
// MqttDisconnected events whose Error is
//   Unauthenticated   credentials refused: CONNACK "bad user name or password" (134) or
//                     "not authorized" (135; Mosquitto 2.0 answers a wrong, unknown or
//                     revoked password with 135)
//   Network           broker unreachable (connection refused, no route, DNS) or the
//                     connection was lost
//   Crypto            TLS failure (bad CA, certificate rejected, handshake failed)
//   Unsupported       other CONNACK refusals
// and each detail names the broker address.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bantin::protocol {

// mosquitto_lib_init() / mosquitto_lib_cleanup(). One per process, in main (and in the
// test main); not copyable or movable.
class MosquittoLibrary {
public:
    MosquittoLibrary();
    ~MosquittoLibrary();
    MosquittoLibrary(const MosquittoLibrary&) = delete;
    MosquittoLibrary& operator=(const MosquittoLibrary&) = delete;
};

enum class Retain { No, Yes };
enum class QualityOfService { AtMostOnce = 0, AtLeastOnce = 1 };

struct MqttTls {
    std::string ca_file;
    std::string cert_file;  // empty: no client certificate
    std::string key_file;
};

struct MqttWill {
    std::string topic;
    std::string payload;
    Retain retain = Retain::Yes;
    QualityOfService qos = QualityOfService::AtLeastOnce;
};

struct MqttClientOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 1883;
    std::string client_id;  // required; a device uses its device id
    std::string username;
    std::string password;
    std::optional<MqttTls> tls;
    std::optional<MqttWill> will;
    bool clean_start = false;
    std::chrono::seconds session_expiry{std::chrono::days{7}};
    std::chrono::seconds keepalive{30};
    std::chrono::milliseconds reconnect_min{500};
    std::chrono::milliseconds reconnect_max{60'000};
    // A connection must stay up this long before the reconnect delay starts again from
    // reconnect_min (see "Reconnection" above).
    std::chrono::milliseconds stable_connection{30'000};
    // An attempt (TCP connect, TLS handshake, CONNACK) that takes longer is abandoned and
    // counts as failed.
    std::chrono::milliseconds connect_timeout{15'000};
    // QoS 1 messages in flight at once, 1..65535 (libmosquitto's default is 20 each way).
    // receive_maximum: how many the broker may send this client before it has acknowledged
    // them (the MQTT 5 Receive Maximum of the CONNECT); send_maximum: how many this client sends
    // before it waits for a PUBACK (lowered further by the broker's own Receive Maximum). The
    // controller, which hears every device's status and proof and publishes every device's
    // bundle, raises both (controller_daemon.cpp); 20 at a time cannot keep up with a large
    // fleet, and the broker then drops what waits beyond max_queued_messages.
    std::uint16_t receive_maximum = 20;
    std::uint16_t send_maximum = 20;
};

// The receive and send maximum of the controller's session (and of ingest workers): QoS 1
// messages in flight at once between it and the broker.
inline constexpr std::uint16_t controller_inflight_maximum = 1000;

// Network-thread events, delivered in order by drain()/poll().
struct MqttConnected {
    bool session_present = false;
};
struct MqttDisconnected {
    Error error;                                   // see the header comment for the codes
    std::chrono::milliseconds reconnect_delay{0};  // how long the client waits before its next attempt
};
struct MqttMessage {
    std::string topic;
    std::string payload;
    Retain retained = Retain::No;
    QualityOfService qos = QualityOfService::AtMostOnce;
};
struct MqttPublishCompleted {
    int message_id = 0;
    int reason_code = 0;  // v5 PUBACK reason: 0 success, 16 no matching subscribers, >= 128 failure
    bool succeeded() const { return reason_code < 128; }
};
struct MqttSubscribed {
    int message_id = 0;
    std::vector<std::string> filters;
    std::vector<int> granted;  // per filter: granted QoS, or a v5 reason >= 128 (refused)
};
using MqttEvent =
    std::variant<MqttConnected, MqttDisconnected, MqttMessage, MqttPublishCompleted, MqttSubscribed>;

struct PublishOptions {
    QualityOfService qos = QualityOfService::AtLeastOnce;
    Retain retain = Retain::No;
    std::optional<std::chrono::seconds> message_expiry;  // v5 message expiry interval
};

// Runs on the owner's thread inside drain()/poll() when the PUBACK arrives.
using PublishCallback = std::function<void(const MqttPublishCompleted&)>;
// Runs on the network thread; must only notify (see the header comment).
using WakeupHook = std::function<void()>;

// The reconnection delay rule described above, separate so it can be tested; `unit` is a
// uniform random number in [0, 1).
std::chrono::milliseconds reconnect_delay(unsigned failed_attempts, std::chrono::milliseconds minimum,
                                          std::chrono::milliseconds maximum, double unit);

// The reconnection policy of one client: when the failure count goes back to zero. Pure (the
// caller passes monotonic times), used by the network thread only.
class ReconnectBackoff {
public:
    ReconnectBackoff(std::chrono::milliseconds minimum, std::chrono::milliseconds maximum,
                     std::chrono::milliseconds stable_period);
    // A CONNACK accepted at `now`.
    void connected(MonotonicTime now);
    // The connection was lost, or an attempt failed, at `now`: returns the wait before the
    // next attempt (`unit` uniform in [0, 1)). The count restarts from zero only if the
    // connection had been up for at least the stable period.
    std::chrono::milliseconds next_delay(MonotonicTime now, double unit);
    // Drops and failed attempts since the last stable connection.
    unsigned failed_attempts() const { return m_failed_attempts; }

private:
    std::chrono::milliseconds m_minimum;
    std::chrono::milliseconds m_maximum;
    std::chrono::milliseconds m_stable_period;
    unsigned m_failed_attempts = 0;
    std::optional<MonotonicTime> m_connected_since;
};

// What a daemon's loop does with its MQTT connection: MqttClient below over a real broker, a
// scripted fake in tests (tests/support/fake_mqtt.hpp), so the loop runs under simulated time.
// The contract is MqttClient's (see the header comment): publish() and subscribe() from any
// thread, drain() and poll() from the owner's.
class MqttLink {
public:
    virtual ~MqttLink() = default;
    virtual Result<void> start() = 0;
    virtual void stop() = 0;
    virtual Result<int> publish(const std::string& topic, const std::string& payload,
                                PublishOptions options = {}, PublishCallback on_complete = {}) = 0;
    virtual Result<void> subscribe(const std::string& filter,
                                   QualityOfService qos = QualityOfService::AtLeastOnce) = 0;
    virtual bool connected() const = 0;
    virtual std::vector<MqttEvent> drain() = 0;
    virtual std::vector<MqttEvent> poll(std::chrono::milliseconds timeout) = 0;
};

class MqttClient final : public MqttLink {
public:
    static Result<MqttClient> create(MqttClientOptions options, WakeupHook wakeup = {});

    MqttClient(MqttClient&&) noexcept;
    MqttClient& operator=(MqttClient&&) noexcept;
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;
    ~MqttClient();  // stop()

    // Starts the network thread (connects in the background). Conflict if already started.
    Result<void> start() override;
    // Disconnects and joins the network thread; idempotent.
    void stop() override;

    // Queues a publish; returns its message id. For QoS 1 `on_complete` runs on PUBACK.
    Result<int> publish(const std::string& topic, const std::string& payload, PublishOptions options = {},
                        PublishCallback on_complete = {}) override;
    // Adds a subscription (kept across reconnections); sent now if connected.
    Result<void> subscribe(const std::string& filter,
                           QualityOfService qos = QualityOfService::AtLeastOnce) override;
    Result<void> unsubscribe(const std::string& filter);

    bool connected() const override;

    // Takes every queued event without waiting (runs publish callbacks first).
    std::vector<MqttEvent> drain() override;
    // Waits up to `timeout` for at least one event, then drains.
    std::vector<MqttEvent> poll(std::chrono::milliseconds timeout) override;

    class State;  // shared with the network thread; defined in mqtt_client.cpp

private:
    explicit MqttClient(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

}  // namespace bantin::protocol
