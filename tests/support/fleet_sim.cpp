#include "fleet_sim.hpp"

#include "bantin/common/clock.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/mqtt_client.hpp"
#include "bantin/protocol/topics.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

namespace bantin::fleet_sim {
namespace {
// Set while the simulator creates its handles (on that thread only): see socketpair() below.
thread_local bool t_refuse_socket_pairs = false;
}  // namespace
}  // namespace bantin::fleet_sim

// libmosquitto opens a socket pair for every handle (mosquitto_new), only to wake a select()
// in its own loops when another thread publishes. The simulator never uses those loops, and
// two descriptors a device would take 20,000 of them for 10,000 devices, past the hard limit
// of many machines. This definition takes the place of libc's for the calls of this process
// (symbol interposition: libmosquitto's call resolves to the executable's definition); while
// the simulator creates its handles it refuses, and libmosquitto goes on without the pair (it
// logs "Unable to open socket pair, outgoing publish commands may be delayed", which concerns
// only its threaded loop). Every other call goes to the system call unchanged, so the
// controller's protocol::MqttClient in the same process keeps its pair.
extern "C" __attribute__((visibility("default"))) int socketpair(int domain, int type, int protocol,
                                                                 int descriptors[2]) noexcept {
    if (bantin::fleet_sim::t_refuse_socket_pairs) {
        errno = EMFILE;
        return -1;
    }
    return static_cast<int>(::syscall(SYS_socketpair, domain, type, protocol, descriptors));
}

namespace bantin::fleet_sim {

namespace {

using Steady = std::chrono::steady_clock;

// How long one epoll_wait may block: the bound on how late timers (keepalive, resends,
// reconnections) and stop() are noticed.
constexpr int kWaitMs = 20;

MonotonicTime monotonic(SteadyTime at) {
    return std::chrono::time_point_cast<Duration>(at);
}

}  // namespace

struct SimDeviceState {
    SimDevice spec;
    std::size_t index = 0;
    mosquitto* handle = nullptr;
    int fd = -1;  // the descriptor registered with epoll, -1 when none
    bool want_out = false;
    bool connected = false;
    bool connecting = false;
    SteadyTime next_attempt;     // when not connected nor connecting
    SteadyTime connect_started;  // of the attempt under way
    std::optional<protocol::ReconnectBackoff> backoff;
    FleetSimulator::Loop* owner = nullptr;
    std::string topic_bundle, topic_ack, topic_cmd, topic_status, topic_pop, topic_zone;
    std::vector<std::string> cancelled;
    TimePoint started_wall;
    DeviceView view;
    std::deque<protocol::ProofOfPlayRow> outbox;
    std::uint64_t sent_seq = 0;  // rows up to this seq were sent on this connection
    SteadyTime last_send;
};

class FleetSimulator::Loop {
public:
    Loop(SimOptions options, std::vector<SimDevice> devices) : m_options(std::move(options)) {
        m_devices.resize(devices.size());
        for (std::size_t i = 0; i < devices.size(); ++i) {
            m_devices[i].spec = std::move(devices[i]);
            m_devices[i].index = i;
            m_devices[i].owner = this;
        }
    }

    ~Loop() {
        stop();
        for (auto& device : m_devices)
            if (device.handle)
                mosquitto_destroy(device.handle);
        if (m_epoll >= 0)
            ::close(m_epoll);
    }
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    Result<void> start() {
        if (m_thread.joinable())
            return fail(Errc::Conflict, "trình mô phỏng đã chạy; the simulator is already running");
        m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
        if (m_epoll < 0)
            return fail(Errc::Internal, std::string("epoll_create1: ") + std::strerror(errno));
        t_refuse_socket_pairs = true;
        for (auto& device : m_devices) {
            if (auto made = create(device); !made) {
                t_refuse_socket_pairs = false;
                return made;
            }
        }
        t_refuse_socket_pairs = false;
        // The first connections, `connect_rate` per second from now.
        const auto now = Steady::now();
        const double rate = std::max(1, m_options.connect_rate);
        for (auto& device : m_devices)
            device.next_attempt =
                now + std::chrono::duration_cast<Steady::duration>(
                          std::chrono::duration<double>(static_cast<double>(device.index) / rate));
        m_stopping = false;
        m_thread = std::thread([this] { run(); });
        return {};
    }

    void stop() {
        if (!m_thread.joinable())
            return;
        m_stopping = true;
        m_thread.join();
    }

    std::size_t size() const { return m_devices.size(); }

    std::vector<DeviceView> snapshot() const {
        std::lock_guard lock(m_mutex);
        std::vector<DeviceView> views;
        views.reserve(m_devices.size());
        for (const auto& device : m_devices) {
            views.push_back(device.view);
            views.back().outbox_rows = device.outbox.size();
        }
        return views;
    }

    SimCounters counters() const {
        std::lock_guard lock(m_mutex);
        return m_counters;
    }

    void play(std::size_t rows) {
        std::lock_guard lock(m_mutex);
        const TimePoint ended = m_clock.wall();
        for (auto& device : m_devices) {
            for (std::size_t i = 0; i < rows; ++i) {
                protocol::ProofOfPlayRow row;
                row.seq = ++device.view.last_seq;
                row.source = scheduler::SourceKind::Campaign;
                row.source_id = "fleet-sim";
                row.item_index = 0;
                row.media = std::string(64, 'a');
                row.started_at = ended - std::chrono::seconds(15);
                row.ended_at = ended;
                row.duration_ms = 15000;
                row.outcome = protocol::Outcome::Completed;
                row.bundle_version = device.view.applied_version;
                device.outbox.push_back(std::move(row));
            }
            send_fresh(device);
            update_interest(device);
        }
    }

private:
    Result<void> create(SimDeviceState& device) {
        const SimDevice& spec = device.spec;
        auto topic = [&](protocol::DeviceChannel channel) -> Result<std::string> {
            return protocol::device_topic(spec.id, channel);
        };
        auto bundle = topic(protocol::DeviceChannel::Bundle);
        auto ack = topic(protocol::DeviceChannel::Ack);
        auto cmd = topic(protocol::DeviceChannel::Command);
        auto status = topic(protocol::DeviceChannel::Status);
        auto pop = topic(protocol::DeviceChannel::ProofOfPlay);
        auto zone = protocol::alert_zone_topic(spec.zone);
        for (const auto* made : {&bundle, &ack, &cmd, &status, &pop, &zone})
            if (!*made)
                return std::unexpected(made->error());
        device.topic_bundle = *bundle;
        device.topic_ack = *ack;
        device.topic_cmd = *cmd;
        device.topic_status = *status;
        device.topic_pop = *pop;
        device.topic_zone = *zone;
        device.view.id = spec.id;
        device.started_wall = m_clock.wall();
        device.backoff.emplace(m_options.reconnect_min, m_options.reconnect_max, std::chrono::seconds(30));

        device.handle = mosquitto_new(spec.id.c_str(), false, &device);
        if (device.handle == nullptr)
            return fail(Errc::Internal, spec.id + ": mosquitto_new: " + std::strerror(errno));
        mosquitto* handle = device.handle;
        auto library = [&](const char* what, int rc) -> Result<void> {
            if (rc == MOSQ_ERR_SUCCESS)
                return {};
            return fail(Errc::Internal, spec.id + ": " + what + ": " + mosquitto_strerror(rc));
        };
        if (auto done =
                library("MQTT v5", mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5));
            !done)
            return done;
        if (auto done = library("username",
                                mosquitto_username_pw_set(handle, spec.id.c_str(), spec.password.c_str()));
            !done)
            return done;
        const std::string will = protocol::encode(status_of(device, protocol::Presence::Offline));
        if (auto done = library(
                "will", mosquitto_will_set_v5(handle, device.topic_status.c_str(),
                                              static_cast<int>(will.size()), will.data(), 1, true, nullptr));
            !done)
            return done;
        // As in protocol::MqttClient: the CONNECT properties (the session expiry) are stored in
        // the handle by a connect call that is refused for its keepalive before it touches the
        // network, and go out with every later asynchronous connect.
        mosquitto_property* properties = nullptr;
        const auto expiry = static_cast<std::uint32_t>(std::clamp<std::int64_t>(
            m_options.session_expiry.count(), 0, std::numeric_limits<std::uint32_t>::max()));
        if (auto done =
                library("session expiry",
                        mosquitto_property_add_int32(&properties, MQTT_PROP_SESSION_EXPIRY_INTERVAL, expiry));
            !done)
            return done;
        const int stored =
            mosquitto_connect_bind_v5(handle, m_options.host.c_str(), m_options.port, 1, nullptr, properties);
        mosquitto_property_free_all(&properties);
        if (stored != MOSQ_ERR_INVAL)
            return fail(Errc::Internal,
                        spec.id + ": storing the CONNECT properties: " + mosquitto_strerror(stored));
        mosquitto_connect_v5_callback_set(handle, &Loop::on_connect);
        mosquitto_message_v5_callback_set(handle, &Loop::on_message);
        return {};
    }

    protocol::Status status_of(const SimDeviceState& device, protocol::Presence presence) const {
        protocol::Status status;
        status.device = device.spec.id;
        status.presence = presence;
        status.reported_at = m_clock.wall();
        status.install_epoch = m_options.install_epoch;
        status.boot_id = "fleet-sim";
        status.software_version = "fleet-sim";
        status.uptime_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(m_clock.wall() - device.started_wall)
                   .count()));
        status.desired_bundle_version = device.view.applied_version;
        status.applied_bundle_version = device.view.applied_version;
        return status;
    }

    void publish(SimDeviceState& device, const std::string& topic, const std::string& payload, bool retain) {
        mosquitto_publish_v5(device.handle, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), 1, retain, nullptr);
    }

    void publish_status(SimDeviceState& device) {
        publish(device, device.topic_status, protocol::encode(status_of(device, protocol::Presence::Online)),
                true);
    }

    // Sends the rows after sent_seq, batch_rows at a time.
    void send_fresh(SimDeviceState& device) {
        if (!device.connected)
            return;
        auto first =
            std::find_if(device.outbox.begin(), device.outbox.end(),
                         [&](const protocol::ProofOfPlayRow& row) { return row.seq > device.sent_seq; });
        while (first != device.outbox.end()) {
            protocol::ProofOfPlayBatch batch;
            batch.device = device.spec.id;
            batch.install_epoch = m_options.install_epoch;
            const auto take = std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(m_options.batch_rows),
                                                       device.outbox.end() - first);
            batch.rows.assign(first, first + take);
            first += take;
            device.sent_seq = batch.rows.back().seq;
            publish(device, device.topic_pop, protocol::encode(batch), false);
            ++m_counters.batches_sent;
        }
        device.last_send = Steady::now();
    }

    // Keeps the device's socket in epoll with the events it needs: always readable, writable
    // while libmosquitto has bytes to send. Notices a socket libmosquitto closed (a lost
    // connection, a keepalive timeout): a closed descriptor has left epoll by itself.
    void update_interest(SimDeviceState& device) {
        const int socket = mosquitto_socket(device.handle);
        if (device.fd >= 0 && socket != device.fd) {
            device.fd = -1;
            device.want_out = false;
        }
        if (socket < 0) {
            lost(device);
            return;
        }
        if (!device.connected && !device.connecting)
            return;  // an abandoned socket: the next attempt closes it
        const bool want = mosquitto_want_write(device.handle);
        epoll_event event{};
        event.events = EPOLLIN | (want ? static_cast<std::uint32_t>(EPOLLOUT) : 0u);
        event.data.u64 = device.index;
        if (device.fd < 0) {
            if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, socket, &event) == 0) {
                device.fd = socket;
                device.want_out = want;
            }
        } else if (want != device.want_out && ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, socket, &event) == 0) {
            device.want_out = want;
        }
    }

    // The connection is gone (or an attempt failed): wait the backoff's delay.
    void lost(SimDeviceState& device) {
        if (!device.connected && !device.connecting)
            return;
        if (device.connected)
            ++m_counters.disconnects;
        device.connected = false;
        device.connecting = false;
        device.view.connected = false;
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        const auto now = Steady::now();
        device.next_attempt = now + device.backoff->next_delay(monotonic(now), unit(m_random));
    }

    void attempt(SimDeviceState& device) {
        device.connecting = true;
        device.connect_started = Steady::now();
        const int rc = mosquitto_connect_bind_async(device.handle, m_options.host.c_str(), m_options.port,
                                                    static_cast<int>(m_options.keepalive.count()), nullptr);
        if (rc != MOSQ_ERR_SUCCESS) {
            lost(device);
            return;
        }
        update_interest(device);
    }

    void run() {
        std::vector<epoll_event> events(1024);
        SteadyTime next_misc = Steady::now();
        while (!m_stopping) {
            const int count = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), kWaitMs);
            std::lock_guard lock(m_mutex);
            for (int i = 0; i < count; ++i) {
                const epoll_event& event = events[static_cast<std::size_t>(i)];
                SimDeviceState& device = m_devices[event.data.u64];
                if (device.fd < 0)
                    continue;
                int rc = MOSQ_ERR_SUCCESS;
                if ((event.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0)
                    rc = mosquitto_loop_read(device.handle, 1);
                if (rc == MOSQ_ERR_SUCCESS && (event.events & EPOLLOUT) != 0 &&
                    mosquitto_socket(device.handle) >= 0)
                    rc = mosquitto_loop_write(device.handle, 1);
                if (rc != MOSQ_ERR_SUCCESS && mosquitto_socket(device.handle) >= 0) {
                    // An error libmosquitto kept the socket open for: abandon it (the next
                    // attempt closes it).
                    forget(device);
                    lost(device);
                }
                update_interest(device);
            }
            const auto now = Steady::now();
            for (auto& device : m_devices) {
                if (!device.connected && !device.connecting) {
                    if (now >= device.next_attempt)
                        attempt(device);
                } else if (device.connecting && now - device.connect_started > std::chrono::seconds(15)) {
                    // No CONNACK in time: abandon the attempt, as protocol::MqttClient does
                    // (the next attempt closes its socket).
                    forget(device);
                    lost(device);
                }
            }
            if (now >= next_misc) {
                next_misc = now + std::chrono::seconds(1);
                for (auto& device : m_devices) {
                    if (device.fd < 0)
                        continue;
                    mosquitto_loop_misc(device.handle);
                    if (device.connected && !device.outbox.empty() &&
                        now - device.last_send >= m_options.resend_interval) {
                        device.sent_seq = device.view.acked_seq;  // everything unacknowledged again
                        send_fresh(device);
                    }
                    update_interest(device);
                }
            }
        }
        std::lock_guard lock(m_mutex);
        for (auto& device : m_devices) {
            if (device.fd < 0)
                continue;
            forget(device);
            mosquitto_disconnect_v5(device.handle, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
        }
    }

    // Takes the device's socket out of epoll before it is closed by us.
    void forget(SimDeviceState& device) {
        if (device.fd >= 0)
            ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, device.fd, nullptr);
        device.fd = -1;
        device.want_out = false;
    }

    static void on_connect(mosquitto*, void* object, int reason, int, const mosquitto_property*) {
        auto& device = *static_cast<SimDeviceState*>(object);
        Loop& loop = *device.owner;
        if (reason != 0)
            return;  // refused (bad credentials): the broker closes, the loop sees the socket go
        device.connecting = false;
        device.connected = true;
        device.view.connected = true;
        ++device.view.connections;
        device.view.connected_at = Steady::now();
        device.backoff->connected(monotonic(device.view.connected_at));
        ++loop.m_counters.connects;
        const std::string* topics[] = {&device.topic_bundle, &device.topic_ack, &device.topic_cmd,
                                       &device.topic_zone};
        std::vector<char*> filters;
        for (const std::string* topic : topics) filters.push_back(const_cast<char*>(topic->c_str()));
        filters.push_back(const_cast<char*>(protocol::alert_all_topic.data()));
        mosquitto_subscribe_multiple(device.handle, nullptr, static_cast<int>(filters.size()), filters.data(),
                                     1, 0, nullptr);
        loop.publish_status(device);
        device.sent_seq = device.view.acked_seq;
        loop.send_fresh(device);
    }

    static void on_message(mosquitto*, void* object, const mosquitto_message* message,
                           const mosquitto_property*) {
        auto& device = *static_cast<SimDeviceState*>(object);
        device.owner->receive(device, message->topic,
                              std::string_view(static_cast<const char*>(message->payload),
                                               static_cast<std::size_t>(message->payloadlen)));
    }

    void refused(SimDeviceState& device, const protocol::Refused& refusal) {
        if (refusal.reason == protocol::Refusal::Replay) {
            ++m_counters.replays;
            return;
        }
        ++device.view.refused;
        ++m_counters.refused;
    }

    void receive(SimDeviceState& device, std::string_view topic, std::string_view payload) {
        const TimePoint now = m_clock.wall();
        if (topic == device.topic_bundle) {
            auto bundle = protocol::verify_bundle(payload, m_options.keys, device.spec.id,
                                                  device.view.applied_version, now);
            if (!bundle) {
                if (bundle.error().reason == protocol::Refusal::Replay)
                    ++device.view.bundle_replays;
                return refused(device, bundle.error());
            }
            ++m_counters.bundles;
            ++device.view.bundles_applied;
            device.view.applied_version = bundle->version;
            device.view.applied_at = Steady::now();
            publish_status(device);
        } else if (topic == device.topic_ack) {
            auto ack = protocol::verify_ack(payload, m_options.keys, device.spec.id);
            if (!ack)
                return refused(device, ack.error());
            ++m_counters.acks;
            if (ack->install_epoch != m_options.install_epoch)
                return;
            while (!device.outbox.empty() && device.outbox.front().seq <= ack->committed_seq)
                device.outbox.pop_front();
            if (ack->committed_seq > device.view.acked_seq) {
                device.view.acked_seq = ack->committed_seq;
                device.view.acked_at = Steady::now();
            }
        } else if (topic == device.topic_zone || topic == protocol::alert_all_topic) {
            auto message =
                protocol::verify_alert(payload, m_options.keys, device.spec.zone, device.cancelled, now);
            if (!message)
                return refused(device, message.error());
            if (const auto* alert = std::get_if<protocol::AlertMessage>(&*message)) {
                ++m_counters.alerts;
                if (alert->alert.id != device.view.alert_id) {
                    device.view.alert_id = alert->alert.id;
                    device.view.alert_at = Steady::now();
                }
            } else if (const auto* cancel = std::get_if<protocol::AlertCancel>(&*message)) {
                ++m_counters.cancels;
                if (cancel->alert_id != device.view.cancelled_id) {
                    device.view.cancelled_id = cancel->alert_id;
                    device.view.cancelled_at = Steady::now();
                    device.cancelled.push_back(cancel->alert_id);
                }
            }
        }
        // Commands are not answered: the simulator plays nothing a command could change.
    }

    SimOptions m_options;
    SystemClock m_clock;
    std::vector<SimDeviceState> m_devices;
    int m_epoll = -1;
    std::thread m_thread;
    std::atomic<bool> m_stopping{false};
    mutable std::mutex m_mutex;
    SimCounters m_counters;
    std::mt19937_64 m_random{std::random_device{}()};
};

FleetSimulator::FleetSimulator(SimOptions options, std::vector<SimDevice> devices)
    : m_loop(std::make_unique<Loop>(std::move(options), std::move(devices))) {}
FleetSimulator::~FleetSimulator() = default;
Result<void> FleetSimulator::start() {
    return m_loop->start();
}
void FleetSimulator::stop() {
    m_loop->stop();
}
std::size_t FleetSimulator::size() const {
    return m_loop->size();
}
std::vector<DeviceView> FleetSimulator::snapshot() const {
    return m_loop->snapshot();
}
SimCounters FleetSimulator::counters() const {
    return m_loop->counters();
}
void FleetSimulator::play(std::size_t rows) {
    m_loop->play(rows);
}

}  // namespace bantin::fleet_sim
