// Fleet-scale benchmark: N devices on one real Mosquitto, against the controller's own code.
//
// The controller runs in a child process (so its memory is its own): SqliteStore, the
// DeviceRegistry writing the broker's accounts into a ManagedBroker (a real
// /usr/sbin/mosquitto on a free 127.0.0.1 port, persistence on), the Publisher (build, version,
// sign, publish retained), ApprovalService, and the status/proof Ingest with the fleet
// history, driven by the daemon's own loop (poll, accept, flush). The devices are NOT full
// players: each is a lightweight protocol::MqttClient with the player's MQTT options
// (its own account, client id = device id, clean start off and a 7-day session, Last Will =
// offline status, the player's reconnect backoff with jitter: 1 s doubling to 120 s). A device
// verifies each bundle's envelope signature with the controller's public key
// (protocol::verify_bundle, as the player does) and answers with a retained status carrying
// the applied version; on every connection it publishes its status, as the player does. It
// does not fetch or play media.
//
// Figures, read from the controller's fleet view (the devices table the fleet API serves:
// applied_version, online, last_seen), polled every 20 ms through a second read connection:
//
//   fleet_change_to_applied_{p50,p99,max}_ms_n<N>
//       all N devices connected and on bundle v1; one approved campaign change that affects
//       every device; time from the approval to the moment the fleet view shows each device
//       at the new applied version (N = 500 and N = 2000 by default).
//   fleet_reconnect_storm_s
//       with the larger fleet connected, the broker is restarted (SIGTERM, start again on the
//       same port and persistence); time until every device is online again in the fleet
//       view with a status received after the restart.
//   controller_rss_mb
//       resident memory of the controller process with the larger fleet (after the storm).
//
//   bench/fleet_bench [--small 500] [--large 2000] [--max-queued 10000]
//
// --max-queued is the broker's max_queued_messages ([broker] in controller.toml, default
// 1000). At 2000 devices the default loses statuses in the reconnect storm (see main()).
//
// The devices run in processes of 200 each (libmosquitto waits with select(), limited to
// descriptors below 1024; a client holds three). The bench raises RLIMIT_NOFILE to its hard
// limit first; Mosquitto, a child of the controller process, inherits it and needs one
// descriptor per device (its max_connections stays unlimited). Prints name=value lines last.

#include "bantin/config/controller_config.hpp"
#include "bantin/config/player_config.hpp"
#include "bantin/controller/approval.hpp"
#include "bantin/controller/auth.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/fleet_broker.hpp"
#include "bantin/controller/fleet_history.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/mqtt_client.hpp"
#include "bantin/protocol/topics.hpp"
#include "bench_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace bantin;
using namespace bantin::controller;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

const char* const bantin::bench::program_name = "fleet_bench";

namespace {

using bench::die;
using bench::free_port;
using bench::must;

std::string device_id(int n) {
    char text[32];
    std::snprintf(text, sizeof text, "dev-%05d", n);
    return text;
}

std::string device_password(int n) {
    return "fleet-bench-password-" + std::to_string(n);
}

double milliseconds_between(Steady::time_point from, Steady::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// VmRSS (or another field) of /proc/<pid>/status, in MiB.
double proc_status_mb(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0)
            return std::strtod(line.c_str() + field.size() + 1, nullptr) / 1024.0;
    return 0;
}

// ---- pipe messages between the bench and the controller process: one byte each ----
constexpr char kReady = 'S';          // controller -> bench: broker up, v1 bundles published
constexpr char kApprove = 'A';        // bench -> controller: approve the campaign that reaches everyone
constexpr char kApproved = 'a';       // controller -> bench: approved and published
constexpr char kRestartBroker = 'R';  // bench -> controller: stop and start Mosquitto
constexpr char kRestarted = 'r';      // controller -> bench
constexpr char kQuit = 'Q';

void send_byte(int fd, char byte) {
    if (::write(fd, &byte, 1) != 1)
        die("pipe write failed");
}

char receive_byte(int fd, std::chrono::seconds timeout) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(std::chrono::milliseconds(timeout).count())) <= 0)
        die("the controller process did not answer");
    char byte = 0;
    if (::read(fd, &byte, 1) != 1)
        die("the controller process exited");
    return byte;
}

struct FleetPaths {
    fs::path directory;
    fs::path database;
    std::uint16_t port = 0;
    std::uint32_t max_queued_messages = 0;
};

// Zones, users, media, playlist and N registered devices with their `$7$` password hashes,
// written straight into the store (registering thousands one by one through the API would
// rewrite the broker files each time: a different measurement).
void seed(const FleetPaths& paths, int device_count) {
    SystemClock clock;
    auto store = must(SqliteStore::open(paths.database.string(), clock), "open store");
    PasswordHasher hasher{PasswordCost::minimum()};
    const std::string user_hash = must(hasher.hash("bench-password-123"), "hash");
    must(store->write([&](StoreTransaction& transaction) -> Result<void> {
        for (int zone = 0; zone < 12; ++zone)
            if (auto done = transaction.insert_zone({"zone-" + std::to_string(zone), "Zone"}); !done)
                return done;
        for (auto [name, role] : {std::pair{"editor", Role::Editor}, std::pair{"approver", Role::Approver}})
            if (auto inserted =
                    transaction.insert_user(User{0, name, name, role, user_hash, false, clock.wall()});
                !inserted)
                return std::unexpected(inserted.error());
        MediaRecord record;
        record.media.sha256 = std::string(64, 'a');
        record.media.type = scheduler::MediaType::Video;
        record.media.duration = Duration{15000};
        record.size = 1 << 20;
        record.created = clock.wall();
        if (auto done = transaction.insert_media(record); !done)
            return std::unexpected(done.error());
        PlaylistRecord playlist;
        playlist.playlist.id = "pl-1";
        playlist.playlist.items.push_back({record.media.sha256, std::nullopt, 1});
        playlist.created = playlist.updated = clock.wall();
        if (auto done = transaction.insert_playlist(playlist); !done)
            return done;
        for (int i = 0; i < device_count; ++i) {
            DeviceRecord device;
            device.device.id = device_id(i);
            device.device.zone = "zone-" + std::to_string(i % 12);
            device.device.kind = i % 3 == 0 ? scheduler::DeviceKind::Speaker : scheduler::DeviceKind::Screen;
            device.name = device.device.id;
            auto hash = protocol::hash_broker_password(device_password(i));
            if (!hash)
                return std::unexpected(hash.error());
            device.mqtt_password_hash = *hash;
            device.created = clock.wall();
            if (auto done = transaction.insert_device(device); !done)
                return done;
        }
        return {};
    }),
         "seed store");
}

// ---- the controller process ----
[[noreturn]] void controller_main(const FleetPaths& paths, const protocol::KeyPair& keys, int commands,
                                  int replies) {
    protocol::MosquittoLibrary mosquitto;
    SystemClock clock;
    auto store = must(SqliteStore::open(paths.database.string(), clock), "controller store");
    auto history = must(SqliteFleetHistory::open(paths.database.string() + ".fleet"), "fleet history");
    const User editor =
        must(store->read_value<User>([](StoreTransaction& t) { return t.user_by_name("editor"); }), "editor");
    const User approver = must(
        store->read_value<User>([](StoreTransaction& t) { return t.user_by_name("approver"); }), "approver");

    const config::MqttClientConfig mqtt_config;  // the daemon's defaults
    ManagedBrokerOptions broker_options;
    broker_options.config.directory = paths.directory / "broker";
    fs::create_directories(broker_options.config.directory);
    broker_options.config.port = paths.port;
    broker_options.config.run_as_user = ::geteuid() == 0 ? "root" : "";
    broker_options.config.max_queued_messages = paths.max_queued_messages;
    broker_options.controller_username = mqtt_config.username;
    broker_options.controller_password = "fleet-bench-controller";
    auto broker = must(ManagedBroker::create(broker_options), "broker");
    RegistryOptions registry_options;
    registry_options.broker_port = paths.port;
    registry_options.controller_keys = protocol::TrustedKeys{protocol::trusted_key(keys.public_key)};
    DeviceRegistry registry{*store, clock, *broker, registry_options};
    must(broker->start(must(registry.broker_accounts(), "accounts")), "start broker");

    protocol::MqttClientOptions options;
    options.port = paths.port;
    options.client_id = mqtt_config.client_id;
    options.username = mqtt_config.username;
    options.password = broker_options.controller_password;
    options.keepalive = mqtt_config.keepalive;
    options.reconnect_min = mqtt_config.reconnect.minimum;
    options.reconnect_max = mqtt_config.reconnect.maximum;
    auto client = must(protocol::MqttClient::create(options), "controller client");
    MqttMessageSink sink{client};
    Publisher publisher{*store, clock, keys.secret, sink, PublisherOptions{}};
    ApprovalService approval{*store, clock};
    Ingest ingest{*store, clock, keys.secret, sink, history.get()};
    must(client.subscribe(proof_subscription(mqtt_config.ingest_share_group)), "subscribe pop");
    must(client.subscribe(status_subscription()), "subscribe status");
    must(client.start(), "controller start");
    must(publisher.rebuild_all(), "first bundles");
    send_byte(replies, kReady);

    const int flags = ::fcntl(commands, F_GETFL);
    ::fcntl(commands, F_SETFL, flags | O_NONBLOCK);
    for (;;) {
        // The daemon's loop (ControllerDaemon::run), with the bench's commands read in between.
        for (auto& event : client.poll(std::chrono::milliseconds(50)))
            if (auto* message = std::get_if<protocol::MqttMessage>(&event))
                ingest.accept(*message);
        if (ingest.has_pending())
            if (auto flushed = ingest.flush(); !flushed)
                std::fprintf(stderr, "fleet_bench controller: ingest: %s\n",
                             flushed.error().message().c_str());
        char command = 0;
        const ssize_t got = ::read(commands, &command, 1);
        if (got == 0)
            break;  // the bench is gone: stop the broker and leave
        if (got != 1)
            continue;
        if (command == kApprove) {
            scheduler::Campaign campaign;
            campaign.id = "camp-all";
            campaign.name = "Everyone";
            campaign.playlist = "pl-1";
            campaign.windows = {{6 * 60, 22 * 60}};
            auto created = must(approval.create(editor, campaign), "create campaign");
            auto submitted = must(approval.submit(editor, "camp-all", created.version), "submit");
            must(approval.approve(approver, "camp-all", submitted.version), "approve");
            must(publisher.on_campaigns_changed(std::vector<std::string>{"camp-all"}), "publish change");
            send_byte(replies, kApproved);
        } else if (command == kRestartBroker) {
            broker->stop();
            must(broker->start(must(registry.broker_accounts(), "accounts")), "restart broker");
            send_byte(replies, kRestarted);
        } else if (command == kQuit) {
            break;
        }
    }
    client.stop();
    broker->stop();
    std::fflush(stderr);
    ::_exit(0);
}

// ---- the devices ----
struct Device {
    std::string id;
    std::string topic_status;
    std::string topic_bundle;
    std::optional<protocol::MqttClient> client;
    std::uint64_t applied = 0;
    TimePoint started;
    std::atomic<bool> queued{false};
    std::uint64_t verify_failures = 0;
};

class DeviceFleet {
public:
    DeviceFleet(int first, int count, std::uint16_t port, const protocol::PublicKey& controller_key)
        : m_devices(static_cast<std::size_t>(count)), m_keys{protocol::trusted_key(controller_key)} {
        const config::PlayerMqttConfig player;  // the player's defaults
        for (int i = 0; i < count; ++i) {
            Device& device = m_devices[static_cast<std::size_t>(i)];
            device.id = device_id(first + i);
            device.topic_status =
                must(protocol::device_topic(device.id, protocol::DeviceChannel::Status), "topic");
            device.topic_bundle =
                must(protocol::device_topic(device.id, protocol::DeviceChannel::Bundle), "topic");
            device.started = m_clock.wall();
            protocol::MqttClientOptions options;
            options.port = port;
            options.client_id = device.id;
            options.username = device.id;
            options.password = device_password(first + i);
            options.will = protocol::MqttWill{
                device.topic_status, protocol::encode(status_of(device, protocol::Presence::Offline)),
                protocol::Retain::Yes, protocol::QualityOfService::AtLeastOnce};
            options.session_expiry = std::chrono::duration_cast<std::chrono::seconds>(player.session_expiry);
            options.keepalive = player.keepalive;
            options.reconnect_min = player.reconnect.minimum;
            options.reconnect_max = player.reconnect.maximum;
            const std::size_t index = static_cast<std::size_t>(i);
            device.client.emplace(
                must(protocol::MqttClient::create(options, [this, index] { wake(index); }), "device client"));
            must(device.client->subscribe(device.topic_bundle), "device subscribe");
        }
        m_worker = std::thread([this] { work(); });
    }

    ~DeviceFleet() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        m_worker.join();
        for (auto& device : m_devices) device.client->stop();
    }

    // Starts the connections, a few at a time, as a fleet switched on over a minute would not
    // all come at the same millisecond either.
    void start() {
        for (std::size_t i = 0; i < m_devices.size(); ++i) {
            must(m_devices[i].client->start(), "device start");
            if (i % 50 == 49)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    std::uint64_t verify_failures() const {
        std::uint64_t total = 0;
        for (const auto& device : m_devices) total += device.verify_failures;
        return total;
    }

private:
    protocol::Status status_of(const Device& device, protocol::Presence presence) const {
        protocol::Status status;
        status.device = device.id;
        status.presence = presence;
        status.reported_at = m_clock.wall();
        status.install_epoch = "1700000000000";
        status.boot_id = "fleet-bench";
        status.software_version = "fleet-bench";
        status.uptime_ms = static_cast<std::uint64_t>((m_clock.wall() - device.started).count());
        status.desired_bundle_version = device.applied;
        status.applied_bundle_version = device.applied;
        return status;
    }

    // Runs on a client's network thread: only queues the device for the worker.
    void wake(std::size_t index) {
        if (m_devices[index].queued.exchange(true))
            return;
        {
            std::lock_guard lock(m_mutex);
            m_ready.push_back(index);
        }
        m_wake.notify_one();
    }

    void publish_status(Device& device) {
        protocol::PublishOptions retained;
        retained.retain = protocol::Retain::Yes;
        (void)device.client->publish(
            device.topic_status, protocol::encode(status_of(device, protocol::Presence::Online)), retained);
    }

    void work() {
        for (;;) {
            std::size_t index = 0;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return m_stop || !m_ready.empty(); });
                if (m_stop)
                    return;
                index = m_ready.front();
                m_ready.pop_front();
            }
            Device& device = m_devices[index];
            device.queued = false;
            for (auto& event : device.client->drain()) {
                if (std::holds_alternative<protocol::MqttConnected>(event)) {
                    publish_status(device);
                } else if (auto* message = std::get_if<protocol::MqttMessage>(&event)) {
                    if (message->topic != device.topic_bundle)
                        continue;
                    auto bundle = protocol::verify_bundle(message->payload, m_keys, device.id, device.applied,
                                                          m_clock.wall());
                    if (!bundle) {
                        if (bundle.error().reason != protocol::Refusal::Replay)
                            ++device.verify_failures;
                        continue;
                    }
                    device.applied = bundle->version;
                    publish_status(device);
                }
            }
        }
    }

    SystemClock m_clock;
    std::vector<Device> m_devices;
    protocol::TrustedKeys m_keys;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::size_t> m_ready;
    bool m_stop = false;
    std::thread m_worker;
};

// One process of devices. libmosquitto's loop waits with select(), which takes no descriptor
// above 1023, and each client holds three (its socket and the two ends of its wake-up pipe):
// a process therefore carries at most kDevicesPerProcess devices and the fleet is split.
constexpr int kDevicesPerProcess = 200;

[[noreturn]] void device_shard_main(int first, int count, std::uint16_t port, const protocol::PublicKey& key,
                                    int quit) {
    int failures = 0;
    {
        protocol::MosquittoLibrary mosquitto;
        DeviceFleet fleet{first, count, port, key};
        fleet.start();
        char byte = 0;
        (void)::read(quit, &byte, 1);  // a byte or the bench's end
        failures = fleet.verify_failures() > 0 ? 3 : 0;
    }
    std::fflush(stderr);
    ::_exit(failures);
}

// The fleet view: the devices table as the fleet API reads it, through its own connection.
class FleetView {
public:
    explicit FleetView(const fs::path& database)
        : m_store(must(SqliteStore::open(database.string(), m_clock), "view")) {}
    std::vector<DeviceRecord> devices(int count) {
        return must(m_store->read_value<std::vector<DeviceRecord>>([&](StoreTransaction& transaction) {
            return transaction.list_devices(Page{count + 10, 0});
        }),
                    "read fleet view");
    }

private:
    SystemClock m_clock;
    std::unique_ptr<SqliteStore> m_store;
};

constexpr auto kPollInterval = std::chrono::milliseconds(20);

// Waits until `done` holds for every device; returns for each device the first poll time at
// which it did. Gives up after `limit`.
template <class Predicate>
std::vector<Steady::time_point> wait_for_all(FleetView& view, int count, std::chrono::seconds limit,
                                             const std::string& what, Predicate done) {
    std::vector<Steady::time_point> when(static_cast<std::size_t>(count));
    std::vector<bool> seen(static_cast<std::size_t>(count), false);
    int remaining = count;
    const auto give_up = Steady::now() + limit;
    while (remaining > 0) {
        const auto polled = Steady::now();
        const auto devices = view.devices(count);
        for (std::size_t i = 0; i < devices.size() && i < seen.size(); ++i) {
            const int index = std::atoi(devices[i].device.id.c_str() + 4);
            if (index < 0 || index >= count || seen[static_cast<std::size_t>(index)] || !done(devices[i]))
                continue;
            seen[static_cast<std::size_t>(index)] = true;
            when[static_cast<std::size_t>(index)] = polled;
            --remaining;
        }
        if (remaining == 0)
            break;
        if (Steady::now() > give_up || std::getenv("BANTIN_FLEET_BENCH_TRACE"))
            std::fprintf(stderr, "%s: %d of %d devices missing\n", what.c_str(), remaining, count);
        if (Steady::now() > give_up)
            die(what + ": " + std::to_string(remaining) + " of " + std::to_string(count) +
                " devices missing after " + std::to_string(limit.count()) + " s");
        std::this_thread::sleep_until(polled + kPollInterval);
    }
    return when;
}

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const std::size_t rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
    return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

struct RunFigures {
    double p50_ms = 0, p99_ms = 0, max_ms = 0;
    double storm_s = 0;
    double rss_mb = 0, peak_rss_mb = 0;
};

RunFigures run_fleet(int count, bool storm, std::uint32_t max_queued_messages) {
    FleetPaths paths;
    std::string pattern = (fs::temp_directory_path() / "bantin-fleet-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        die("mkdtemp");
    paths.directory = pattern;
    paths.database = paths.directory / "controller.db";
    paths.port = free_port();
    paths.max_queued_messages = max_queued_messages;
    const auto keys = protocol::generate_key_pair();
    seed(paths, count);

    int to_controller[2], from_controller[2];
    if (::pipe(to_controller) != 0 || ::pipe(from_controller) != 0)
        die("pipe");
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t controller = ::fork();  // no thread exists in this process yet
    if (controller < 0)
        die("fork");
    if (controller == 0) {
        ::close(to_controller[1]);
        ::close(from_controller[0]);
        controller_main(paths, keys, to_controller[0], from_controller[1]);
    }
    ::close(to_controller[0]);
    ::close(from_controller[1]);
    const int commands = to_controller[1], replies = from_controller[0];
    if (receive_byte(replies, std::chrono::seconds(60)) != kReady)
        die("the controller did not start");

    RunFigures figures;
    {
        FleetView view{paths.database};
        const auto connect_start = Steady::now();
        int quit_shards[2];
        if (::pipe(quit_shards) != 0)
            die("pipe");
        std::vector<pid_t> shards;
        for (int first = 0; first < count; first += kDevicesPerProcess) {
            std::fflush(stdout);
            const pid_t shard = ::fork();  // this process still runs no thread
            if (shard < 0)
                die("fork");
            if (shard == 0) {
                ::close(quit_shards[1]);
                ::close(commands);
                ::close(replies);
                device_shard_main(first, std::min(kDevicesPerProcess, count - first), paths.port,
                                  keys.public_key, quit_shards[0]);
            }
            shards.push_back(shard);
        }
        ::close(quit_shards[0]);
        wait_for_all(view, count, std::chrono::seconds(120), "first bundle applied",
                     [](const DeviceRecord& d) {
                         return d.online && d.desired_version > 0 && d.applied_version >= d.desired_version;
                     });
        std::printf("n=%d: all devices connected, on bundle v1 in %.1f s\n", count,
                    milliseconds_between(connect_start, Steady::now()) / 1000.0);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the fleet settle
        const std::int64_t before = view.devices(count).front().desired_version;

        const auto change = Steady::now();
        send_byte(commands, kApprove);
        std::vector<Steady::time_point> applied =
            wait_for_all(view, count, std::chrono::seconds(120), "change applied",
                         [&](const DeviceRecord& d) { return d.applied_version > before; });
        if (receive_byte(replies, std::chrono::seconds(60)) != kApproved)
            die("approval failed");
        std::vector<double> latencies;
        for (const auto& when : applied) latencies.push_back(milliseconds_between(change, when));
        figures.p50_ms = percentile(latencies, 50);
        figures.p99_ms = percentile(latencies, 99);
        figures.max_ms = percentile(latencies, 100);
        std::printf("n=%d: change to applied p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", count, figures.p50_ms,
                    figures.p99_ms, figures.max_ms);

        if (storm) {
            SystemClock clock;
            const TimePoint restart_wall = clock.wall();
            const auto restart = Steady::now();
            send_byte(commands, kRestartBroker);
            const auto back = wait_for_all(view, count, std::chrono::seconds(150), "reconnect storm",
                                           [&](const DeviceRecord& d) {
                                               return d.online && d.last_seen && *d.last_seen > restart_wall;
                                           });
            if (receive_byte(replies, std::chrono::seconds(30)) != kRestarted)
                die("broker restart failed");
            figures.storm_s =
                milliseconds_between(restart, *std::max_element(back.begin(), back.end())) / 1000.0;
            std::printf("n=%d: broker restart, all devices online again after %.1f s\n", count,
                        figures.storm_s);
        }
        figures.rss_mb = proc_status_mb(controller, "VmRSS");
        figures.peak_rss_mb = proc_status_mb(controller, "VmHWM");
        std::printf("n=%d: controller process RSS %.1f MB (peak %.1f MB)\n", count, figures.rss_mb,
                    figures.peak_rss_mb);
        send_byte(commands, kQuit);
        ::close(quit_shards[1]);  // every device process reads end of file and stops
        for (const pid_t shard : shards) {
            int shard_status = 0;
            ::waitpid(shard, &shard_status, 0);
            if (!WIFEXITED(shard_status) || WEXITSTATUS(shard_status) != 0)
                die("a device process failed (a bundle signature was refused, or it crashed)");
        }
    }
    int status = 0;
    ::waitpid(controller, &status, 0);
    ::close(commands);
    ::close(replies);
    std::error_code ignored;
    fs::remove_all(paths.directory, ignored);
    return figures;
}

}  // namespace

int main(int argc, char** argv) {
    int small = 500;
    int large = 2000;
    // Mosquitto's per-client queue. The controller's session must hold a status from every
    // device at once when they all reconnect: with [broker] max_queued_messages at its default
    // (1000) and 2000 devices, Mosquitto drops the rest ("Outgoing messages are being dropped
    // for client controller") and those devices stay missing from the fleet view until their
    // next status. The bench runs with 10000, as a province-sized installation must.
    int max_queued = 10000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const int value = std::atoi(argv[i + 1]);
        if (flag == "--small")
            small = value;
        else if (flag == "--large")
            large = value;
        else if (flag == "--max-queued")
            max_queued = value;
    }
    // Every device holds one socket here and one in Mosquitto (a child of the controller
    // process, which inherits this limit).
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < static_cast<rlim_t>(large) + 200)
        die("RLIMIT_NOFILE hard limit " + std::to_string(limit.rlim_max) + " is too low for " +
            std::to_string(large) + " devices");
    ::signal(SIGPIPE, SIG_IGN);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);

    const RunFigures small_run = run_fleet(small, false, static_cast<std::uint32_t>(max_queued));
    const RunFigures large_run = run_fleet(large, true, static_cast<std::uint32_t>(max_queued));

    const std::string small_suffix = "_n" + std::to_string(small);
    const std::string large_suffix = "_n" + std::to_string(large);
    std::printf("fleet_change_to_applied_p50_ms%s=%.0f\n", small_suffix.c_str(), small_run.p50_ms);
    std::printf("fleet_change_to_applied_p99_ms%s=%.0f\n", small_suffix.c_str(), small_run.p99_ms);
    std::printf("fleet_change_to_applied_max_ms%s=%.0f\n", small_suffix.c_str(), small_run.max_ms);
    std::printf("fleet_change_to_applied_p50_ms%s=%.0f\n", large_suffix.c_str(), large_run.p50_ms);
    std::printf("fleet_change_to_applied_p99_ms%s=%.0f\n", large_suffix.c_str(), large_run.p99_ms);
    std::printf("fleet_change_to_applied_max_ms%s=%.0f\n", large_suffix.c_str(), large_run.max_ms);
    std::printf("fleet_reconnect_storm_s=%.1f\n", large_run.storm_s);
    std::printf("controller_rss_mb=%.1f\n", large_run.rss_mb);
    return 0;
}
