// Controller benchmark, two figures:
//
//   rebuild_10k_devices_ms   10,000 registered devices; one campaign that targets all of them is
//                            approved; time for Publisher::on_campaigns_changed to build,
//                            digest, version (one write transaction) and sign every bundle and
//                            hand it to the sink. The sink only counts: this measures the
//                            controller, not the broker.
//   pop_ingest_rows_per_s    sustained proof-of-play ingest through a real Mosquitto: D device
//                            connections (their own accounts) each send batches of R rows,
//                            keeping at most W batches unacked, as a real outbox does; every
//                            10th batch is sent twice (dedupe). The controller side is the
//                            daemon's loop (shared subscription, Ingest::accept, flush = one
//                            commit per drained queue, then signed acks). rows/s = unique rows
//                            committed / time from the first publish to the last commit.
//
//   bench/controller_bench [--devices N] [--senders D] [--batches B] [--rows R] [--window W]
//
// Prints name=value lines last.

#include "bantin/controller/approval.hpp"
#include "bantin/controller/auth.hpp"
#include "bantin/controller/fleet_broker.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/mqtt_client.hpp"
#include "bench_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace bantin;
using namespace bantin::controller;
namespace fs = std::filesystem;

const char* const bantin::bench::program_name = "controller_bench";

namespace {

using bench::die;
using bench::free_port;
using bench::must;

class CountingSink final : public MessageSink {
public:
    Result<void> publish(const std::string&, const std::string& payload,
                         const protocol::PublishOptions&) override {
        ++messages;
        bytes += payload.size();
        return {};
    }
    std::atomic<std::size_t> messages{0};
    std::atomic<std::size_t> bytes{0};
};

std::string device_id(int n) {
    char text[32];
    std::snprintf(text, sizeof text, "dev-%05d", n);
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    int device_count = 10000;
    int senders = 100;
    int batches = 30;
    int rows_per_batch = 100;
    int window = 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const int value = std::atoi(argv[i + 1]);
        if (flag == "--devices")
            device_count = value;
        else if (flag == "--senders")
            senders = value;
        else if (flag == "--batches")
            batches = value;
        else if (flag == "--rows")
            rows_per_batch = value;
        else if (flag == "--window")
            window = value;
    }
    senders = std::min(senders, device_count);

    protocol::MosquittoLibrary mosquitto;
    SystemClock clock;
    std::string pattern = (fs::temp_directory_path() / "bantin-controller-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        return 1;
    const fs::path directory = pattern;
    auto store = must(SqliteStore::open((directory / "controller.db").string(), clock), "open store");
    auto keys = protocol::generate_key_pair();

    // ---- content: zones, users, media, playlist, devices ----
    const std::string media = std::string(64, 'a');
    PasswordHasher hasher{PasswordCost::minimum()};
    const std::string user_hash = must(hasher.hash("bench-password-123"), "hash");
    User editor, approver;
    std::vector<std::string> device_passwords;
    std::vector<protocol::DeviceAccount> accounts;
    for (int i = 0; i < senders; ++i) {
        device_passwords.push_back("password-of-" + device_id(i));
        accounts.push_back(
            protocol::DeviceAccount{device_id(i),
                                    must(protocol::hash_broker_password(device_passwords.back()), "hash"),
                                    {"zone-" + std::to_string(i % 12)}});
    }
    must(store->write([&](StoreTransaction& transaction) -> Result<void> {
        for (int zone = 0; zone < 12; ++zone)
            if (auto done = transaction.insert_zone({"zone-" + std::to_string(zone), "Zone"}); !done)
                return done;
        auto inserted_editor = transaction.insert_user(
            User{0, "editor", "Editor", Role::Editor, user_hash, false, clock.wall()});
        if (!inserted_editor)
            return std::unexpected(inserted_editor.error());
        editor = *inserted_editor;
        auto inserted_approver = transaction.insert_user(
            User{0, "approver", "Approver", Role::Approver, user_hash, false, clock.wall()});
        if (!inserted_approver)
            return std::unexpected(inserted_approver.error());
        approver = *inserted_approver;
        MediaRecord record;
        record.media.sha256 = media;
        record.media.type = scheduler::MediaType::Video;
        record.media.duration = Duration{15000};
        record.size = 1 << 20;
        record.created = clock.wall();
        if (auto done = transaction.insert_media(record); !done)
            return std::unexpected(done.error());
        PlaylistRecord playlist;
        playlist.playlist.id = "pl-1";
        playlist.playlist.items.push_back({media, std::nullopt, 1});
        playlist.created = playlist.updated = clock.wall();
        if (auto done = transaction.insert_playlist(playlist); !done)
            return done;
        for (int i = 0; i < device_count; ++i) {
            DeviceRecord device;
            device.device.id = device_id(i);
            device.device.zone = "zone-" + std::to_string(i % 12);
            device.device.kind = i % 3 == 0 ? scheduler::DeviceKind::Speaker : scheduler::DeviceKind::Screen;
            device.mqtt_password_hash =
                i < senders ? accounts[static_cast<std::size_t>(i)].password_hash : "$7$101$unused$unused";
            device.created = clock.wall();
            if (auto done = transaction.insert_device(device); !done)
                return done;
        }
        return {};
    }),
         "seed store");

    // ---- rebuild_10k_devices_ms ----
    CountingSink counting;
    Publisher publisher{*store, clock, keys.secret, counting, PublisherOptions{}};
    must(publisher.rebuild_all(), "first bundles");
    ApprovalService approval{*store, clock};
    scheduler::Campaign campaign;
    campaign.id = "camp-all";
    campaign.name = "Everyone";
    campaign.playlist = "pl-1";
    campaign.windows = {{6 * 60, 22 * 60}};
    auto created = must(approval.create(editor, campaign), "create campaign");
    auto submitted = must(approval.submit(editor, "camp-all", created.version), "submit");
    must(approval.approve(approver, "camp-all", submitted.version), "approve");
    const std::size_t before = counting.messages;
    const auto rebuild_start = std::chrono::steady_clock::now();
    auto rebuilt = must(publisher.on_campaigns_changed(std::vector<std::string>{"camp-all"}), "rebuild");
    const double rebuild_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - rebuild_start).count();
    std::printf("rebuild: %zu devices examined, %zu bundles published (%zu bytes total)\n", rebuilt.examined,
                counting.messages - before, counting.bytes.load());

    // ---- pop_ingest_rows_per_s ----
    ManagedBrokerOptions broker_options;
    broker_options.config.directory = directory / "broker";
    fs::create_directories(broker_options.config.directory);
    broker_options.config.port = free_port();
    broker_options.config.run_as_user = ::geteuid() == 0 ? "root" : "";
    broker_options.config.max_queued_messages = 10000;
    broker_options.controller_password = "bench-controller";
    auto broker = must(ManagedBroker::create(broker_options), "broker");
    must(broker->start(accounts), "start broker");
    const std::uint16_t port = broker_options.config.port;

    auto client_options = [&](const std::string& user, const std::string& password) {
        protocol::MqttClientOptions options;
        options.port = port;
        options.client_id = user;
        options.username = user;
        options.password = password;
        options.reconnect_min = std::chrono::milliseconds(100);
        options.reconnect_max = std::chrono::milliseconds(1000);
        return options;
    };
    auto controller_client = must(
        protocol::MqttClient::create(client_options("controller", "bench-controller")), "controller client");
    MqttMessageSink sink{controller_client};
    Ingest ingest{*store, clock, keys.secret, sink};
    must(controller_client.subscribe(proof_subscription("bantin-ingest")), "subscribe");
    must(controller_client.start(), "controller start");

    const std::uint64_t unique_rows = static_cast<std::uint64_t>(senders) *
                                      static_cast<std::uint64_t>(batches) *
                                      static_cast<std::uint64_t>(rows_per_batch);
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> last_commit_ns{0};
    std::thread controller_loop([&] {
        while (!stop.load()) {
            for (auto& event : controller_client.poll(std::chrono::milliseconds(50)))
                if (auto* message = std::get_if<protocol::MqttMessage>(&event))
                    ingest.accept(*message);
            if (ingest.has_pending()) {
                must(ingest.flush(), "flush");
                last_commit_ns = std::chrono::steady_clock::now().time_since_epoch().count();
            }
        }
    });

    struct Sender {
        std::optional<protocol::MqttClient> client;
        std::string topic;
        std::uint64_t next_seq = 1;
        std::uint64_t acked = 0;
        int sent_batches = 0;
    };
    std::vector<Sender> devices(static_cast<std::size_t>(senders));
    const protocol::TrustedKeys trusted{protocol::trusted_key(keys.public_key)};
    for (int i = 0; i < senders; ++i) {
        auto& device = devices[static_cast<std::size_t>(i)];
        device.client.emplace(must(protocol::MqttClient::create(client_options(
                                       device_id(i), device_passwords[static_cast<std::size_t>(i)])),
                                   "device client"));
        device.topic = "bantin/v1/dev/" + device_id(i) + "/pop";
        must(device.client->subscribe("bantin/v1/dev/" + device_id(i) + "/ack"), "device subscribe");
        must(device.client->start(), "device start");
    }
    // Wait for every connection (and the subscriptions) before the clock starts.
    for (auto& device : devices) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        bool subscribed = false;
        while (!subscribed && std::chrono::steady_clock::now() < deadline)
            for (auto& event : device.client->poll(std::chrono::milliseconds(50)))
                if (std::holds_alternative<protocol::MqttSubscribed>(event))
                    subscribed = true;
        if (!subscribed) {
            std::fprintf(stderr, "controller_bench: a device did not connect\n%s\n",
                         broker->log_tail().c_str());
            return 1;
        }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

    auto make_batch = [&](const std::string& device, std::uint64_t first) {
        protocol::ProofOfPlayBatch batch;
        batch.device = device;
        batch.install_epoch = "1700000000000";
        const TimePoint now = clock.wall();
        for (int r = 0; r < rows_per_batch; ++r) {
            protocol::ProofOfPlayRow row;
            row.seq = first + static_cast<std::uint64_t>(r);
            row.source_id = "camp-all";
            row.item_index = 0;
            row.media = media;
            row.started_at = now - std::chrono::seconds{15 * (rows_per_batch - r)};
            row.ended_at = row.started_at + std::chrono::seconds{15};
            row.duration_ms = 15000;
            row.bundle_version = 2;
            batch.rows.push_back(row);
        }
        return protocol::encode(batch);
    };

    const auto start = std::chrono::steady_clock::now();
    std::uint64_t duplicates_sent = 0;
    const auto give_up = start + std::chrono::seconds(300);
    for (;;) {
        bool all_done = true;
        for (int i = 0; i < senders; ++i) {
            auto& device = devices[static_cast<std::size_t>(i)];
            for (auto& event : device.client->drain()) {
                if (auto* message = std::get_if<protocol::MqttMessage>(&event)) {
                    auto ack = protocol::verify_ack(message->payload, trusted, device_id(i));
                    if (ack)
                        device.acked = std::max(device.acked, ack->committed_seq);
                }
            }
            const std::uint64_t total =
                static_cast<std::uint64_t>(batches) * static_cast<std::uint64_t>(rows_per_batch);
            if (device.acked < total)
                all_done = false;
            const std::uint64_t in_flight =
                (device.next_seq - 1 - device.acked) / static_cast<std::uint64_t>(rows_per_batch);
            if (device.sent_batches < batches && in_flight < static_cast<std::uint64_t>(window)) {
                const std::string payload = make_batch(device_id(i), device.next_seq);
                must(device.client->publish(device.topic, payload), "publish");
                if (device.sent_batches % 10 == 9) {  // a resend, as after a lost ack
                    must(device.client->publish(device.topic, payload), "publish duplicate");
                    ++duplicates_sent;
                }
                device.next_seq += static_cast<std::uint64_t>(rows_per_batch);
                ++device.sent_batches;
            }
            // A device resends its unacked rows when no ack came for a while (lost to a full queue).
        }
        if (all_done)
            break;
        if (std::chrono::steady_clock::now() > give_up) {
            std::fprintf(stderr, "controller_bench: ingest did not finish in 300 s (%llu rows inserted)\n",
                         static_cast<unsigned long long>(ingest.counters().rows_inserted));
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const auto end =
        std::chrono::steady_clock::time_point{std::chrono::steady_clock::duration{last_commit_ns.load()}};
    const double seconds = std::chrono::duration<double>(end - start).count();
    stop = true;
    controller_loop.join();
    const auto counters = ingest.counters();
    for (auto& device : devices) device.client->stop();
    controller_client.stop();
    broker->stop();
    std::error_code ignored;
    fs::remove_all(directory, ignored);

    std::printf(
        "ingest: %d devices x %d batches x %d rows, window %d; %llu rows received (%llu duplicate batches), "
        "%llu inserted, %llu flushes, %llu acks, %.2f s\n",
        senders, batches, rows_per_batch, window, static_cast<unsigned long long>(counters.rows_received),
        static_cast<unsigned long long>(duplicates_sent),
        static_cast<unsigned long long>(counters.rows_inserted),
        static_cast<unsigned long long>(counters.flushes), static_cast<unsigned long long>(counters.acks),
        seconds);
    if (counters.rows_inserted != unique_rows) {
        std::fprintf(stderr, "controller_bench: %llu rows inserted, expected %llu\n",
                     static_cast<unsigned long long>(counters.rows_inserted),
                     static_cast<unsigned long long>(unique_rows));
        return 1;
    }
    std::printf("rebuild_10k_devices_ms=%.1f\n", rebuild_ms);
    std::printf("rebuild_devices=%zu\n", rebuilt.published.size());
    std::printf("pop_ingest_rows_per_s=%.0f\n", static_cast<double>(unique_rows) / seconds);
    return 0;
}
