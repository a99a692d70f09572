// Fleet-scale benchmark: N simulated devices on one real Mosquitto, against the controller's
// own code, end to end.
//
// The controller runs in a child process (so its memory and CPU time are its own): SqliteStore,
// the DeviceRegistry writing the broker's accounts into a ManagedBroker (a real
// /usr/sbin/mosquitto on a free 127.0.0.1 port, persistence on, a child of the controller
// process), the Publisher (build, version, sign, publish retained), ApprovalService,
// AlertService (speech stubbed: the text's bytes stand for its audio) and the status/proof
// Ingest with the fleet history, driven by the daemon's own loop (poll, accept, flush).
//
// The devices are the fleet simulator (tests/support/fleet_sim.hpp) in this process: every
// device a libmosquitto client with its own account (client id = username = device id), MQTT
// 5, clean start off with a 7-day session, Last Will = offline status, the player's keepalive
// and reconnect backoff, all driven by one epoll loop. Each verifies every bundle, alert,
// cancel and ack signature with the controller's public key, answers a bundle with a retained
// status carrying the applied version, and proves plays through the outbox/ack protocol.
//
// Figures, each printed for N = --small and N = --large (suffix _n<N>):
//
//   change_to_applied_{p50,p99,max}_ms
//       all N devices connected and on bundle v1; one approved campaign change that affects
//       every device; from the approval to the moment the controller's fleet view (the
//       devices table the fleet API serves, read through its own connection every
//       --view-poll-ms, or ten times as long as a read takes if that is more: at 10,000 devices
//       about 100 ms) shows each device at the new applied version.
//   change_to_verified_{p50,p99}_ms
//       the same change, to the moment each device verified and applied its new bundle.
//   publish_cpu_s, publish_wall_s
//       CPU time (user + system) of the thread that ran the publisher's rebuild for that change
//       (N bundles built, versioned, signed, queued), and its wall time. The operator's requests
//       run on a thread of their own, as the daemon's HTTP handlers do, beside the MQTT loop.
//   alert_to_received_{p50,p99}_ms
//       an exercise alert for all zones raised in the controller (AlertService::create), to the
//       moment each device verified it.
//   cancel_to_received_{p50,p99}_ms
//       its cancel (AlertService::cancel), to the moment each device verified the cancel.
//   pop_ingest_rows_per_s
//       every device plays --rows items at once (rows numbered by seq, sent in one batch); all
//       rows divided by the time until the last device holds an ack for its last row (the
//       controller committed every row and said so).
//   reconnect_storm_s, reconnect_storm_missing
//       the broker restarted (SIGTERM, started again on the same port and persistence); time
//       until every device is online again in the fleet view with a status received after the
//       restart. If some are still missing after --storm-limit-s (300), the time is nan and the
//       count of those missing is printed.
//   controller_rss_mb, broker_rss_mb
//       resident memory of the controller process and of Mosquitto after the storm.
//
// The figures of the larger run are also printed under the previous names of this benchmark
// (fleet_change_to_applied_{p50,p99,max}_ms_n<N>, fleet_reconnect_storm_s, controller_rss_mb).
//
//   bench/fleet_bench [--small 1000] [--large 10000] [--rows 20] [--max-queued 10000]
//                     [--view-poll-ms 20] [--storm-limit-s 300] [--bridged 1]
//
// --bridged 1: the devices connect to a district broker (one, holding every zone, its files
// from controller::write_district_broker) bridged by Mosquitto's own bridge to the
// controller's broker, the province (docs/scale.md). Every figure then crosses the bridge; the
// reconnect storm is left out (nan): the devices' broker is the district's, which stays up.
//
// --max-queued is the broker's max_queued_messages ([broker] in controller.toml, default
// 10000). The bench raises RLIMIT_NOFILE to its hard limit first: the simulator holds one
// socket per device, Mosquitto (which inherits the limit through the controller process) one
// per device too. Prints name=value lines last.

#include "bantin/config/controller_config.hpp"
#include "bantin/config/player_config.hpp"
#include "bantin/controller/alerts.hpp"
#include "bantin/controller/approval.hpp"
#include "bantin/controller/auth.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/district_bridge.hpp"
#include "bantin/controller/fleet_broker.hpp"
#include "bantin/controller/fleet_history.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bantin/media/sha256.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/mqtt_client.hpp"
#include "bantin/sqlite/database.hpp"
#include "bench_support.hpp"
#include "fleet_sim.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
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

// True when something accepts connections on 127.0.0.1:port (the district broker is up).
bool port_accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const bool accepted = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return accepted;
}
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
constexpr char kAlert = 'L';          // bench -> controller: raise an exercise alert for all zones
constexpr char kAlerted = 'l';        // controller -> bench
constexpr char kCancel = 'C';         // bench -> controller: cancel it
constexpr char kCancelled = 'c';      // controller -> bench
constexpr const char* kAlertId = "bench-alert";
constexpr char kQuit = 'Q';

void send_byte(int fd, char byte) {
    if (::write(fd, &byte, 1) != 1)
        die("pipe write failed");
}

// A reply that carries figures: the byte, then `count` doubles.
void send_figures(int fd, char byte, const double* values, std::size_t count) {
    send_byte(fd, byte);
    const auto size = static_cast<ssize_t>(count * sizeof(double));
    if (::write(fd, values, count * sizeof(double)) != size)
        die("pipe write failed");
}

void receive_figures(int fd, double* values, std::size_t count) {
    const auto size = static_cast<ssize_t>(count * sizeof(double));
    if (::read(fd, values, count * sizeof(double)) != size)
        die("the controller process exited");
}

// CPU seconds of the calling thread (the rebuild's own, not the ingest's beside it).
double thread_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    auto seconds = [](const timeval& value) {
        return static_cast<double>(value.tv_sec) + static_cast<double>(value.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The alert's speech, stubbed: the text's bytes stand for its audio (no espeak-ng).
class BenchSpeech final : public SpeechRenderer {
public:
    Result<MediaRecord> render(std::string_view text) override {
        MediaRecord record;
        record.media.sha256 = media::sha256_hex(text);
        record.media.type = scheduler::MediaType::Audio;
        record.media.duration = Duration{static_cast<std::int64_t>(text.size()) * 60};
        record.media.name = "speech.opus";
        record.size = static_cast<std::int64_t>(text.size());
        record.created = m_clock.wall();
        return record;
    }

private:
    SystemClock m_clock;
};

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
    // --bridged: the controller's broker is the province, with this district's bridge; the
    // devices connect to the district broker (district_port), not to `port`.
    fs::path bridges_file;
    std::uint16_t district_port = 0;
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
        for (auto [name, role] : {std::pair{"editor", Role::Editor}, std::pair{"approver", Role::Approver},
                                  std::pair{"operator", Role::Operator}})
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
    const User operator_user = must(
        store->read_value<User>([](StoreTransaction& t) { return t.user_by_name("operator"); }), "operator");

    const config::MqttClientConfig mqtt_config;  // the daemon's defaults
    ManagedBrokerOptions broker_options;
    broker_options.config.directory = paths.directory / "broker";
    fs::create_directories(broker_options.config.directory);
    broker_options.config.port = paths.port;
    broker_options.config.run_as_user = ::geteuid() == 0 ? "root" : "";
    broker_options.config.max_queued_messages = paths.max_queued_messages;
    broker_options.controller_username = mqtt_config.username;
    broker_options.controller_password = "fleet-bench-controller";
    broker_options.bridges_file = paths.bridges_file;
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
    options.clean_start = false;
    options.receive_maximum = protocol::controller_inflight_maximum;  // as the daemon's
    options.send_maximum = protocol::controller_inflight_maximum;
    auto client = must(protocol::MqttClient::create(options), "controller client");
    MqttMessageSink sink{client};
    Publisher publisher{*store, clock, keys.secret, sink, PublisherOptions{}};
    ApprovalService approval{*store, clock};
    Ingest ingest{*store, clock, keys.secret, sink, history.get()};
    BenchSpeech speech;
    AlertService alerts{*store, clock, keys.secret, sink, speech, &publisher, AlertServiceOptions{}};
    must(client.subscribe(proof_subscription(mqtt_config.ingest_share_group)), "subscribe pop");
    must(client.subscribe(status_subscription()), "subscribe status");
    must(client.start(), "controller start");
    must(publisher.rebuild_all(), "first bundles");
    send_byte(replies, kReady);

    // The operator's requests run on a thread of their own, as the daemon's HTTP handlers do,
    // while this thread runs the daemon's MQTT loop (ControllerDaemon::run): statuses and proof
    // are ingested during a rebuild.
    std::atomic<bool> stopping{false};
    std::thread operator_thread([&] {
        for (;;) {
            char command = 0;
            if (::read(commands, &command, 1) != 1 || command == kQuit)
                break;  // the bench is gone, or done
            if (command == kApprove) {
                scheduler::Campaign campaign;
                campaign.id = "camp-all";
                campaign.name = "Everyone";
                campaign.playlist = "pl-1";
                campaign.windows = {{6 * 60, 22 * 60}};
                auto created = must(approval.create(editor, campaign), "create campaign");
                auto submitted = must(approval.submit(editor, "camp-all", created.version), "submit");
                must(approval.approve(approver, "camp-all", submitted.version), "approve");
                const double cpu_before = thread_cpu_seconds();
                const auto wall_before = Steady::now();
                must(publisher.on_campaigns_changed(std::vector<std::string>{"camp-all"}), "publish change");
                const double figures[2] = {thread_cpu_seconds() - cpu_before,
                                           milliseconds_between(wall_before, Steady::now()) / 1000.0};
                send_figures(replies, kApproved, figures, 2);
            } else if (command == kAlert) {
                AlertRequest request;
                request.id = kAlertId;
                request.all_zones = true;
                request.status = scheduler::AlertStatus::Exercise;
                request.headline = "Diễn tập sơ tán";
                request.text = "Diễn tập, không phải cảnh báo thật.";
                must(alerts.create(operator_user, request), "raise alert");
                send_byte(replies, kAlerted);
            } else if (command == kCancel) {
                must(alerts.cancel(operator_user, kAlertId), "cancel alert");
                send_byte(replies, kCancelled);
            } else if (command == kRestartBroker) {
                broker->stop();
                must(broker->start(must(registry.broker_accounts(), "accounts")), "restart broker");
                send_byte(replies, kRestarted);
            }
        }
        stopping = true;
    });
    while (!stopping) {
        for (auto& event : client.poll(std::chrono::milliseconds(50)))
            if (auto* message = std::get_if<protocol::MqttMessage>(&event))
                ingest.accept(*message);
        if (ingest.has_pending())
            if (auto flushed = ingest.flush(); !flushed)
                std::fprintf(stderr, "fleet_bench controller: ingest: %s\n",
                             flushed.error().message().c_str());
    }
    operator_thread.join();
    client.stop();
    broker->stop();
    std::fflush(stderr);
    ::_exit(0);
}

// The fleet view: the columns of the devices table the fleet API shows (desired and applied
// version, online, last seen), read through a connection of its own. A lean query rather than
// Store::list_devices: at 10,000 devices the full records take tens of milliseconds a poll,
// CPU the controller and the devices would miss.
struct ViewRow {
    std::string id;
    std::int64_t desired_version = 0;
    std::int64_t applied_version = 0;
    bool online = false;
    std::optional<std::int64_t> last_seen_ms;
};

class FleetView {
public:
    explicit FleetView(const fs::path& database) {
        sqlite::OpenOptions options;
        options.mode = sqlite::OpenMode::ReadOnly;
        m_database = must(sqlite::Database::open(database.string(), options), "open the fleet view");
    }
    std::vector<ViewRow> devices() {
        auto statement =
            must(m_database.prepare("SELECT id, desired_version, applied_version, online, last_seen_at "
                                    "FROM devices ORDER BY id"),
                 "fleet view query");
        std::vector<ViewRow> rows;
        for (;;) {
            const auto step = must(statement.step(), "read the fleet view");
            if (step == sqlite::Step::Done)
                break;
            ViewRow row;
            row.id = statement.column_text(0);
            row.desired_version = statement.column_int64(1);
            row.applied_version = statement.column_int64(2);
            row.online = statement.column_bool(3);
            if (!statement.column_is_null(4))
                row.last_seen_ms = statement.column_int64(4);
            rows.push_back(std::move(row));
        }
        return rows;
    }

private:
    sqlite::Database m_database;
};

// Waits until `done` holds for every device of the fleet view; returns for each device the
// first poll time at which it did. Gives up after `limit`.
// With `missing` given, running out of time is not fatal: the devices still missing are
// counted there and their times left at the epoch.
template <class Predicate>
std::vector<Steady::time_point> wait_for_view(FleetView& view, int count, std::chrono::milliseconds interval,
                                              std::chrono::seconds limit, const std::string& what,
                                              Predicate done, int* missing = nullptr) {
    std::vector<Steady::time_point> when(static_cast<std::size_t>(count));
    std::vector<bool> seen(static_cast<std::size_t>(count), false);
    int remaining = count;
    const auto give_up = Steady::now() + limit;
    auto last_trace = Steady::now();
    while (remaining > 0) {
        const auto polled = Steady::now();
        const auto devices = view.devices();
        for (std::size_t i = 0; i < devices.size() && i < seen.size(); ++i) {
            const int index = std::atoi(devices[i].id.c_str() + 4);
            if (index < 0 || index >= count || seen[static_cast<std::size_t>(index)] || !done(devices[i]))
                continue;
            seen[static_cast<std::size_t>(index)] = true;
            when[static_cast<std::size_t>(index)] = polled;
            --remaining;
        }
        if (remaining == 0)
            break;
        if (Steady::now() - last_trace > std::chrono::seconds(5)) {
            last_trace = Steady::now();
            std::fprintf(stderr, "%s: %d of %d devices missing\n", what.c_str(), remaining, count);
        }
        if (Steady::now() > give_up && missing) {
            *missing = remaining;
            break;
        }
        if (Steady::now() > give_up)
            die(what + ": " + std::to_string(remaining) + " of " + std::to_string(count) +
                " devices missing after " + std::to_string(limit.count()) + " s");
        // A poll of 10,000 rows takes milliseconds of the CPU the controller and the devices
        // share: never more than a tenth of the time.
        std::this_thread::sleep_until(polled +
                                      std::max<Steady::duration>(interval, (Steady::now() - polled) * 10));
    }
    return when;
}

// Waits until `done` holds for every simulated device; returns their last snapshot.
template <class Predicate>
std::vector<fleet_sim::DeviceView> wait_for_devices(const fleet_sim::FleetSimulator& sim,
                                                    std::chrono::seconds limit, const std::string& what,
                                                    Predicate done) {
    const auto give_up = Steady::now() + limit;
    auto last_trace = Steady::now();
    for (;;) {
        const auto polled = Steady::now();
        auto views = sim.snapshot();
        const auto missing = std::count_if(
            views.begin(), views.end(), [&](const fleet_sim::DeviceView& device) { return !done(device); });
        if (missing == 0)
            return views;
        if (Steady::now() - last_trace > std::chrono::seconds(5)) {
            last_trace = Steady::now();
            std::fprintf(stderr, "%s: %ld of %zu devices missing\n", what.c_str(), static_cast<long>(missing),
                         views.size());
        }
        if (Steady::now() > give_up)
            die(what + ": " + std::to_string(missing) + " of " + std::to_string(views.size()) +
                " devices missing after " + std::to_string(limit.count()) + " s");
        // A snapshot holds the simulator's lock: never more than a tenth of the time.
        std::this_thread::sleep_until(
            polled + std::max<Steady::duration>(std::chrono::milliseconds(5), (Steady::now() - polled) * 10));
    }
}

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const std::size_t rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
    return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// Mosquitto's pid: the child of the controller process whose command is mosquitto.
pid_t broker_pid(pid_t controller) {
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        std::getline(stat, line);
        // pid (comm) state ppid ...
        const auto close = line.rfind(')');
        const auto open = line.find('(');
        if (close == std::string::npos || open == std::string::npos)
            continue;
        const std::string command = line.substr(open + 1, close - open - 1);
        int parent = 0;
        char state = 0;
        if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &parent) == 2 && parent == controller &&
            command == "mosquitto")
            return static_cast<pid_t>(std::atol(name.c_str()));
    }
    return 0;
}

// User + system CPU seconds of a process so far (every thread), from /proc/<pid>/stat.
double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(in, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos)
        return 0;
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14 || index == 15)
            ticks += std::strtod(field.c_str(), nullptr);
        if (index == 15)
            break;
    }
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The CPU each process spent in one phase of a run: where the time went.
class CpuMeter {
public:
    CpuMeter(pid_t controller) : m_controller(controller) { restart(); }
    void restart() {
        m_broker = broker_pid(m_controller);
        m_start = {cpu_seconds(m_controller), m_broker > 0 ? cpu_seconds(m_broker) : 0.0,
                   cpu_seconds(::getpid())};
        m_wall = Steady::now();
    }
    void print(int count, const char* phase) const {
        // A broker restarted in the phase: all of the new one's CPU.
        const pid_t broker = broker_pid(m_controller);
        const double broker_cpu = broker <= 0          ? 0.0
                                  : broker == m_broker ? cpu_seconds(broker) - m_start[1]
                                                       : cpu_seconds(broker);
        std::printf(
            "n=%d: %s used CPU: controller %.2f s, broker %.2f s, simulator and bench %.2f s, in %.2f s\n",
            count, phase, cpu_seconds(m_controller) - m_start[0], broker_cpu,
            cpu_seconds(::getpid()) - m_start[2], milliseconds_between(m_wall, Steady::now()) / 1000.0);
    }

private:
    pid_t m_controller;
    pid_t m_broker = 0;
    std::array<double, 3> m_start{};
    Steady::time_point m_wall;
};

struct RunFigures {
    int count = 0;
    double connect_s = 0;
    double p50_ms = 0, p99_ms = 0, max_ms = 0;
    double verified_p50_ms = 0, verified_p99_ms = 0;
    double publish_cpu_s = 0, publish_wall_s = 0;
    double alert_p50_ms = 0, alert_p99_ms = 0;
    double cancel_p50_ms = 0, cancel_p99_ms = 0;
    double ingest_rows_per_s = 0;
    double storm_s = 0;
    int storm_missing = 0;
    double rss_mb = 0, peak_rss_mb = 0, broker_rss_mb = 0;
};

struct RunSettings {
    bool bridged = false;
    int rows = 20;
    std::uint32_t max_queued_messages = 10000;
    std::chrono::milliseconds view_poll{20};
    std::chrono::seconds storm_limit{300};
};

std::vector<double> since(Steady::time_point from, const std::vector<fleet_sim::DeviceView>& views,
                          Steady::time_point fleet_sim::DeviceView::*member) {
    std::vector<double> latencies;
    latencies.reserve(views.size());
    for (const auto& view : views) latencies.push_back(milliseconds_between(from, view.*member));
    return latencies;
}

RunFigures run_fleet(int count, const RunSettings& settings) {
    FleetPaths paths;
    std::string pattern = (fs::temp_directory_path() / "bantin-fleet-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        die("mkdtemp");
    paths.directory = pattern;
    paths.database = paths.directory / "controller.db";
    paths.port = free_port();
    paths.max_queued_messages = settings.max_queued_messages;
    const auto keys = protocol::generate_key_pair();
    const auto seed_start = Steady::now();
    seed(paths, count);
    std::printf("n=%d: store seeded in %.1f s\n", count,
                milliseconds_between(seed_start, Steady::now()) / 1000.0);
    // --bridged: one district broker holding every zone, bridged to the controller's broker.
    const fs::path district_directory = paths.directory / "district";
    if (settings.bridged) {
        paths.bridges_file = paths.directory / "bridges";
        paths.district_port = free_port();
        std::vector<protocol::DeviceAccount> accounts;
        for (int i = 0; i < count; ++i)
            accounts.push_back({device_id(i),
                                must(protocol::hash_broker_password(device_password(i)), "hash"),
                                {"zone-" + std::to_string(i % 12)}});
        DistrictBrokerRequest request;
        request.district = "bench";
        for (int zone = 0; zone < 12; ++zone) request.zones.push_back("zone-" + std::to_string(zone));
        request.directory = district_directory;
        request.province_port = paths.port;
        request.listen_address = "127.0.0.1";
        request.listen_port = paths.district_port;
        request.run_as_user = ::geteuid() == 0 ? "root" : "";
        request.restart_base_s = 1;
        request.restart_cap_s = 5;
        must(write_district_broker(paths.bridges_file, request, accounts, {"controller"}), "district files");
    }

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
    if (receive_byte(replies, std::chrono::seconds(300)) != kReady)
        die("the controller did not start");
    pid_t district = -1;
    if (settings.bridged) {
        std::fflush(stdout);
        district = ::fork();
        if (district == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a bench that dies takes the district broker with it
            const std::string config = (district_directory / "mosquitto.conf").string();
            ::execl("/usr/sbin/mosquitto", "mosquitto", "-c", config.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        const auto deadline = Steady::now() + std::chrono::seconds(300);
        while (!port_accepts(paths.district_port)) {
            if (Steady::now() > deadline)
                die("the district broker did not listen");
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::printf("n=%d: district broker on port %u, bridged to the province on port %u\n", count,
                    paths.district_port, paths.port);
    }

    RunFigures figures;
    figures.count = count;
    {
        FleetView view{paths.database};
        std::vector<fleet_sim::SimDevice> devices;
        for (int i = 0; i < count; ++i)
            devices.push_back({device_id(i), device_password(i), "zone-" + std::to_string(i % 12)});
        const config::PlayerMqttConfig player;  // the player's defaults
        fleet_sim::SimOptions options;
        options.port = settings.bridged ? paths.district_port : paths.port;
        options.keys = protocol::TrustedKeys{protocol::trusted_key(keys.public_key)};
        options.keepalive = player.keepalive;
        options.session_expiry = std::chrono::duration_cast<std::chrono::seconds>(player.session_expiry);
        options.reconnect_min = player.reconnect.minimum;
        options.reconnect_max = player.reconnect.maximum;
        options.batch_rows = static_cast<std::size_t>(std::max(settings.rows, 1));
        fleet_sim::FleetSimulator sim{options, std::move(devices)};

        CpuMeter meter{controller};
        const auto connect_start = Steady::now();
        must(sim.start(), "start the simulated devices");
        wait_for_view(view, count, settings.view_poll, std::chrono::seconds(300), "first bundle applied",
                      [](const ViewRow& d) {
                          return d.online && d.desired_version > 0 && d.applied_version >= d.desired_version;
                      });
        figures.connect_s = milliseconds_between(connect_start, Steady::now()) / 1000.0;
        std::printf("n=%d: all devices connected, on bundle v1 in %.1f s\n", count, figures.connect_s);
        meter.print(count, "connecting");
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // let the fleet settle
        const std::int64_t before = view.devices().front().desired_version;

        // One approved change for everyone.
        meter.restart();
        const auto change = Steady::now();
        send_byte(commands, kApprove);
        std::vector<Steady::time_point> applied =
            wait_for_view(view, count, settings.view_poll, std::chrono::seconds(300), "change applied",
                          [&](const ViewRow& d) { return d.applied_version > before; });
        if (receive_byte(replies, std::chrono::seconds(60)) != kApproved)
            die("approval failed");
        double publish[2] = {0, 0};
        receive_figures(replies, publish, 2);
        figures.publish_cpu_s = publish[0];
        figures.publish_wall_s = publish[1];
        std::vector<double> latencies;
        for (const auto& when : applied) latencies.push_back(milliseconds_between(change, when));
        figures.p50_ms = percentile(latencies, 50);
        figures.p99_ms = percentile(latencies, 99);
        figures.max_ms = percentile(latencies, 100);
        const auto verified = since(change, sim.snapshot(), &fleet_sim::DeviceView::applied_at);
        figures.verified_p50_ms = percentile(verified, 50);
        figures.verified_p99_ms = percentile(verified, 99);
        std::printf(
            "n=%d: change to applied p50 %.0f ms, p99 %.0f ms, max %.0f ms (devices verified it: p50 %.0f "
            "ms, p99 %.0f ms); the rebuild took %.2f s CPU, %.2f s wall\n",
            count, figures.p50_ms, figures.p99_ms, figures.max_ms, figures.verified_p50_ms,
            figures.verified_p99_ms, figures.publish_cpu_s, figures.publish_wall_s);
        meter.print(count, "the change");
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));

        // An alert for all zones, then its cancel.
        meter.restart();
        const auto alert = Steady::now();
        send_byte(commands, kAlert);
        auto alerted =
            wait_for_devices(sim, std::chrono::seconds(300), "alert received",
                             [](const fleet_sim::DeviceView& d) { return d.alert_id == kAlertId; });
        if (receive_byte(replies, std::chrono::seconds(60)) != kAlerted)
            die("the alert failed");
        meter.print(count, "the alert");
        const auto alert_latencies = since(alert, alerted, &fleet_sim::DeviceView::alert_at);
        figures.alert_p50_ms = percentile(alert_latencies, 50);
        figures.alert_p99_ms = percentile(alert_latencies, 99);
        // The alert rebuilt every device's bundle: let that settle before the cancel.
        wait_for_view(view, count, settings.view_poll, std::chrono::seconds(300), "alert bundle applied",
                      [](const ViewRow& d) { return d.applied_version >= d.desired_version; });
        const auto cancel = Steady::now();
        send_byte(commands, kCancel);
        auto cancelled =
            wait_for_devices(sim, std::chrono::seconds(300), "cancel received",
                             [](const fleet_sim::DeviceView& d) { return d.cancelled_id == kAlertId; });
        if (receive_byte(replies, std::chrono::seconds(60)) != kCancelled)
            die("the cancel failed");
        const auto cancel_latencies = since(cancel, cancelled, &fleet_sim::DeviceView::cancelled_at);
        figures.cancel_p50_ms = percentile(cancel_latencies, 50);
        figures.cancel_p99_ms = percentile(cancel_latencies, 99);
        std::printf("n=%d: alert to received p50 %.0f ms, p99 %.0f ms; cancel p50 %.0f ms, p99 %.0f ms\n",
                    count, figures.alert_p50_ms, figures.alert_p99_ms, figures.cancel_p50_ms,
                    figures.cancel_p99_ms);
        wait_for_view(view, count, settings.view_poll, std::chrono::seconds(300), "cancel bundle applied",
                      [](const ViewRow& d) { return d.applied_version >= d.desired_version; });

        // Every device proves --rows plays at once.
        meter.restart();
        const auto played = Steady::now();
        sim.play(static_cast<std::size_t>(settings.rows));
        auto acked = wait_for_devices(
            sim, std::chrono::seconds(300), "proof acked",
            [](const fleet_sim::DeviceView& d) { return d.acked_seq == d.last_seq && d.outbox_rows == 0; });
        Steady::time_point last_ack = played;
        for (const auto& device : acked) last_ack = std::max(last_ack, device.acked_at);
        const double rows = static_cast<double>(count) * settings.rows;
        figures.ingest_rows_per_s = rows / (milliseconds_between(played, last_ack) / 1000.0);
        std::printf("n=%d: %.0f proof rows committed and acked in %.2f s: %.0f rows/s\n", count, rows,
                    milliseconds_between(played, last_ack) / 1000.0, figures.ingest_rows_per_s);
        meter.print(count, "the proof");

        // The broker restarts under the whole fleet (not bridged: the devices' broker is the
        // district's, which stays up while the province restarts).
        if (settings.bridged) {
            figures.storm_s = std::nan("");
        } else {
            SystemClock clock;
            const std::int64_t restart_ms = to_unix_ms(clock.wall());
            meter.restart();
            const auto restart = Steady::now();
            send_byte(commands, kRestartBroker);
            const auto back = wait_for_view(
                view, count, settings.view_poll, std::chrono::seconds(300), "reconnect storm",
                [&](const ViewRow& d) { return d.online && d.last_seen_ms && *d.last_seen_ms > restart_ms; });
            if (receive_byte(replies, std::chrono::seconds(60)) != kRestarted)
                die("broker restart failed");
            figures.storm_s =
                milliseconds_between(restart, *std::max_element(back.begin(), back.end())) / 1000.0;
            std::printf("n=%d: broker restart, all devices online again after %.1f s\n", count,
                        figures.storm_s);
            meter.print(count, "the storm");
        }

        figures.rss_mb = proc_status_mb(controller, "VmRSS");
        figures.peak_rss_mb = proc_status_mb(controller, "VmHWM");
        if (const pid_t broker = broker_pid(controller); broker > 0)
            figures.broker_rss_mb = proc_status_mb(broker, "VmRSS");
        std::printf("n=%d: controller process RSS %.1f MB (peak %.1f MB), broker RSS %.1f MB\n", count,
                    figures.rss_mb, figures.peak_rss_mb, figures.broker_rss_mb);
        const auto counters = sim.counters();
        std::printf(
            "n=%d: simulator: %llu connections, %llu bundles, %llu alerts, %llu cancels, %llu acks, %llu "
            "refused\n",
            count, static_cast<unsigned long long>(counters.connects),
            static_cast<unsigned long long>(counters.bundles),
            static_cast<unsigned long long>(counters.alerts),
            static_cast<unsigned long long>(counters.cancels), static_cast<unsigned long long>(counters.acks),
            static_cast<unsigned long long>(counters.refused));
        send_byte(commands, kQuit);
        sim.stop();
        if (counters.refused > 0)
            die("a simulated device refused a message from the controller (a bad signature?)");
    }
    int status = 0;
    ::waitpid(controller, &status, 0);
    if (district > 0) {
        ::kill(district, SIGTERM);
        ::waitpid(district, &status, 0);
    }
    ::close(commands);
    ::close(replies);
    std::error_code ignored;
    fs::remove_all(paths.directory, ignored);
    return figures;
}

void print_figures(const RunFigures& run) {
    const std::string n = "_n" + std::to_string(run.count);
    auto line = [&](const char* name, double value, const char* format) {
        std::printf("%s%s=", name, n.c_str());
        std::printf(format, value);
        std::printf("\n");
    };
    line("change_to_applied_p50_ms", run.p50_ms, "%.0f");
    line("change_to_applied_p99_ms", run.p99_ms, "%.0f");
    line("change_to_applied_max_ms", run.max_ms, "%.0f");
    line("change_to_verified_p50_ms", run.verified_p50_ms, "%.0f");
    line("change_to_verified_p99_ms", run.verified_p99_ms, "%.0f");
    line("publish_cpu_s", run.publish_cpu_s, "%.2f");
    line("publish_wall_s", run.publish_wall_s, "%.2f");
    line("alert_to_received_p50_ms", run.alert_p50_ms, "%.0f");
    line("alert_to_received_p99_ms", run.alert_p99_ms, "%.0f");
    line("cancel_to_received_p50_ms", run.cancel_p50_ms, "%.0f");
    line("cancel_to_received_p99_ms", run.cancel_p99_ms, "%.0f");
    line("pop_ingest_rows_per_s", run.ingest_rows_per_s, "%.0f");
    line("reconnect_storm_s", run.storm_s, "%.1f");
    line("reconnect_storm_missing", run.storm_missing, "%.0f");
    line("controller_rss_mb", run.rss_mb, "%.1f");
    line("broker_rss_mb", run.broker_rss_mb, "%.1f");
}

}  // namespace

int main(int argc, char** argv) {
    int small = 1000;
    int large = 10000;
    RunSettings settings;
    settings.max_queued_messages = static_cast<std::uint32_t>(config::BrokerConfig{}.max_queued_messages);
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const int value = std::atoi(argv[i + 1]);
        if (flag == "--small")
            small = value;
        else if (flag == "--large")
            large = value;
        else if (flag == "--rows")
            settings.rows = value;
        else if (flag == "--max-queued")
            settings.max_queued_messages = static_cast<std::uint32_t>(value);
        else if (flag == "--view-poll-ms")
            settings.view_poll = std::chrono::milliseconds(value);
        else if (flag == "--bridged")
            settings.bridged = value != 0;
        else if (flag == "--storm-limit-s")
            settings.storm_limit = std::chrono::seconds(value);
        else
            die("không hiểu tham số " + flag + "; unknown option " + flag);
    }
    if (small <= 0 || large <= 0 || settings.rows <= 0 || settings.view_poll.count() <= 0)
        die("--small, --large, --rows and --view-poll-ms must be positive");
    // A simulated device holds one descriptor in this process (its socket: the simulator keeps
    // libmosquitto from opening its socket pair, fleet_sim.cpp) and one in Mosquitto (a child of
    // the controller process, which inherits this limit). Raise the limit to what the larger
    // run needs, past the hard limit if this process may, else as far as the hard limit goes.
    const rlim_t needed = static_cast<rlim_t>(std::max(small, large)) + 1000;
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    rlimit raised{std::max(limit.rlim_max, needed), std::max(limit.rlim_max, needed)};
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
        raised = rlimit{limit.rlim_max, limit.rlim_max};
        ::setrlimit(RLIMIT_NOFILE, &raised);
    }
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < needed)
        die("giới hạn tệp mở (RLIMIT_NOFILE) " + std::to_string(limit.rlim_cur) + " quá thấp cho " +
            std::to_string(std::max(small, large)) + " thiết bị, cần " + std::to_string(needed) +
            "; open file limit too low for " + std::to_string(std::max(small, large)) + " devices, need " +
            std::to_string(needed) + " (ulimit -n)");
    ::signal(SIGPIPE, SIG_IGN);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);

    const RunFigures small_run = run_fleet(small, settings);
    std::optional<RunFigures> large_run;
    if (large != small)
        large_run = run_fleet(large, settings);

    print_figures(small_run);
    if (large_run)
        print_figures(*large_run);
    const RunFigures& last = large_run ? *large_run : small_run;
    const std::string n = "_n" + std::to_string(last.count);
    std::printf("fleet_change_to_applied_p50_ms%s=%.0f\n", n.c_str(), last.p50_ms);
    std::printf("fleet_change_to_applied_p99_ms%s=%.0f\n", n.c_str(), last.p99_ms);
    std::printf("fleet_change_to_applied_max_ms%s=%.0f\n", n.c_str(), last.max_ms);
    std::printf("fleet_reconnect_storm_s=%.1f\n", last.storm_s);
    std::printf("controller_rss_mb=%.1f\n", last.rss_mb);
    return 0;
}
