#include "bantin/controller/controller_daemon.hpp"

#include "bantin/controller/alerts.hpp"
#include "bantin/controller/api_fleet.hpp"
#include "bantin/controller/approval.hpp"
#include "bantin/controller/auth.hpp"
#include "bantin/controller/cluster.hpp"
#include "bantin/controller/delivery_repair.hpp"
#include "bantin/controller/device_commands.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/fleet_broker.hpp"
#include "bantin/controller/fleet_history.hpp"
#include "bantin/controller/http_front.hpp"
#include "bantin/controller/http_server.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/controller/live.hpp"
#include "bantin/controller/postgres_lease.hpp"
#include "bantin/controller/postgres_store.hpp"
#include "bantin/controller/proof_retention.hpp"
#include "bantin/controller/public_board.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/reports.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bantin/controller/web_console.hpp"
#include "bantin/media/alert_tone.hpp"
#include "bantin/media/store.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/mqtt_client.hpp"

#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <algorithm>
#include <fstream>
#include <mutex>

namespace bantin::controller {
namespace {

std::string first_line(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

Result<void> ensure_directory(const std::filesystem::path& directory) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error)
        return fail(Errc::Io, directory.string() + ": cannot create: " + error.message());
    return {};
}

}  // namespace

Result<std::string> init_keys(const config::ControllerConfig& config) {
    const auto path = config.signing_key_path();
    if (auto made = ensure_directory(path.parent_path()); !made)
        return std::unexpected(made.error());
    auto pair = protocol::generate_key_pair();
    if (auto written = protocol::write_secret_key_file(path, pair.secret); !written)
        return std::unexpected(Error{written.error().code, path.string() + ": " + written.error().detail});
    auto public_path = path;
    public_path += ".pub";
    if (auto written =
            protocol::write_public_key_file(public_path, pair.public_key, protocol::Overwrite::Yes);
        !written)
        return std::unexpected(written.error());
    return protocol::key_id(pair.public_key);
}

Result<std::unique_ptr<Store>> open_store(const config::ControllerConfig& config, const Clock& clock) {
    if (config.storage.backend == config::StorageBackend::Postgresql) {
        auto store = PostgresStore::open(config.storage.postgresql, clock);
        if (!store)
            return fail(store.error().code, "storage.postgresql: " + store.error().detail);
        return std::unique_ptr<Store>{std::move(*store)};
    }
    auto store = SqliteStore::open(config.database_path().string(), clock);
    if (!store)
        return std::unexpected(store.error());
    return std::unique_ptr<Store>{std::move(*store)};
}

Result<std::unique_ptr<ProofQuery>> open_proof_query(const config::ControllerConfig& config) {
    if (config.storage.backend == config::StorageBackend::Postgresql) {
        auto query = PostgresProofQuery::open(config.storage.postgresql);
        if (!query)
            return fail(query.error().code, "storage.postgresql: " + query.error().detail);
        return std::unique_ptr<ProofQuery>{std::move(*query)};
    }
    auto query = SqliteProofQuery::open(config.database_path().string());
    if (!query)
        return std::unexpected(query.error());
    return std::unique_ptr<ProofQuery>{std::move(*query)};
}

Result<void> create_admin(const config::ControllerConfig& config, const std::string& name,
                          const std::string& password) {
    if (auto made = ensure_directory(config.database_path().parent_path()); !made)
        return made;
    SystemClock clock;
    auto store = open_store(config, clock);
    if (!store)
        return std::unexpected(store.error());
    Auth auth{**store, clock};
    auto admin = auth.create_first_admin(name, name, password);
    if (!admin)
        return std::unexpected(admin.error());
    return {};
}

Result<RetentionPass> prune_proof(const config::ControllerConfig& config) {
    if (config.storage.backend == config::StorageBackend::Sqlite &&
        !std::filesystem::exists(config.database_path()))
        return fail(Errc::NotFound,
                    config.database_path().string() + ": không có cơ sở dữ liệu; no database");
    SystemClock clock;
    auto store = open_store(config, clock);
    if (!store)
        return std::unexpected(store.error());
    ProofRetention retention{**store, clock, config.storage.proof_retention_days};
    return retention.run();
}

std::filesystem::path ingest_workers_path(const config::ControllerConfig& config) {
    return config.storage.data_dir / "keys" / "ingest-workers";
}

namespace {

// The names of the broker's system accounts: the controller, the ingest workers, the other
// controllers and, with `with_bridges`, the district bridges.
Result<std::vector<std::string>> system_account_names(const config::ControllerConfig& config,
                                                      bool with_bridges) {
    std::vector<std::string> names{config.mqtt.username};
    auto workers = load_ingest_workers(ingest_workers_path(config));
    if (!workers)
        return std::unexpected(workers.error());
    for (const auto& worker : *workers) names.push_back(worker.username);
    auto peers = load_peer_controllers(peer_controllers_path(config));
    if (!peers)
        return std::unexpected(peers.error());
    for (const auto& peer : *peers) names.push_back(peer.username);
    if (with_bridges) {
        auto bridges = load_bridges(bridges_path(config));
        if (!bridges)
            return std::unexpected(bridges.error());
        for (const auto& bridge : *bridges) names.push_back(protocol::bridge_username(bridge.district));
    }
    return names;
}

// Every device in the database, revoked ones too (their names stay theirs); none before the
// database exists.
Result<std::vector<DeviceRecord>> stored_devices(const config::ControllerConfig& config) {
    if (config.storage.backend != config::StorageBackend::Postgresql &&
        !std::filesystem::exists(config.database_path()))
        return std::vector<DeviceRecord>{};
    SystemClock clock;
    auto store = open_store(config, clock);
    if (!store)
        return std::unexpected(store.error());
    return (*store)->read_value<std::vector<DeviceRecord>>(
        [](StoreTransaction& transaction) { return load_all_devices(transaction); });
}

// Every broker account name taken now: the system accounts and every device.
Result<std::vector<std::string>> taken_broker_names(const config::ControllerConfig& config) {
    auto taken = system_account_names(config, true);
    if (!taken)
        return std::unexpected(taken.error());
    auto devices = stored_devices(config);
    if (!devices)
        return std::unexpected(devices.error());
    for (const auto& device : *devices) taken->push_back(device.device.id);
    return taken;
}

}  // namespace

Result<std::string> add_ingest_worker_account(const config::ControllerConfig& config,
                                              const std::string& name) {
    auto taken = taken_broker_names(config);
    if (!taken)
        return std::unexpected(taken.error());
    return add_ingest_worker(ingest_workers_path(config), name, *taken);
}

std::filesystem::path peer_controllers_path(const config::ControllerConfig& config) {
    return config.storage.data_dir / "keys" / "controllers";
}

Result<std::string> add_peer_controller_account(const config::ControllerConfig& config,
                                                const std::string& name) {
    auto taken = taken_broker_names(config);
    if (!taken)
        return std::unexpected(taken.error());
    return add_peer_controller(peer_controllers_path(config), name, *taken);
}

std::filesystem::path bridges_path(const config::ControllerConfig& config) {
    return config.storage.data_dir / "keys" / "bridges";
}

Result<DistrictBrokerResult> write_district_broker_files(const config::ControllerConfig& config,
                                                         const DistrictBrokerRequest& request) {
    // The bridges are left out: write_district_broker knows them, and this district's own name.
    auto taken = system_account_names(config, false);
    if (!taken)
        return std::unexpected(taken.error());
    auto devices = stored_devices(config);
    if (!devices)
        return std::unexpected(devices.error());
    std::vector<protocol::DeviceAccount> accounts;
    for (const auto& device : *devices) {
        taken->push_back(device.device.id);
        if (!device.revoked)
            accounts.push_back(
                protocol::DeviceAccount{device.device.id, device.mqtt_password_hash, {device.device.zone}});
    }
    return write_district_broker(bridges_path(config), request, accounts, *taken);
}

Result<std::string> controller_mqtt_password(const config::ControllerConfig& config) {
    if (!config.mqtt.password.empty())
        return config.mqtt.password;
    if (!config.mqtt.password_file.empty()) {
        if (!std::filesystem::exists(config.mqtt.password_file))
            return fail(Errc::NotFound,
                        config.mqtt.password_file.string() + ": mqtt.password_file does not exist");
        std::string password = first_line(config.mqtt.password_file);
        if (password.empty())
            return fail(Errc::InvalidInput, config.mqtt.password_file.string() + ": the first line is empty");
        return password;
    }
    if (!config.broker.manage)
        return fail(Errc::InvalidInput,
                    "mqtt.password or mqtt.password_file is required when broker.manage is false");
    const auto path = config.storage.data_dir / "keys" / "mqtt-password";
    if (std::filesystem::exists(path))
        return first_line(path);
    if (auto made = ensure_directory(path.parent_path()); !made)
        return std::unexpected(made.error());
    std::string password = generate_device_password();
    {
        std::ofstream out(path, std::ios::trunc);
        out << password << '\n';
        if (!out)
            return fail(Errc::Io, path.string() + ": cannot write");
    }
    ::chmod(path.c_str(), 0600);
    return password;
}

struct ControllerDaemon::Impl {
    config::ControllerConfig config;
    const Clock& clock;
    std::unique_ptr<Store> store;
    std::unique_ptr<SqliteFleetHistory> history;
    std::unique_ptr<ProofQuery> proofs;
    protocol::SecretKey key;
    std::optional<media::ContentStore> media;
    std::string mqtt_password;
    std::unique_ptr<ManagedBroker> broker;
    std::optional<protocol::MqttClient> client;
    std::unique_ptr<MqttMessageSink> sink;
    // Several controllers (cluster.hpp): only the lease holder publishes; `guarded` is the sink
    // of the publishing services, `sink` (unguarded) the ingest's acks.
    ClusterParts cluster;
    std::unique_ptr<LeaseGuardedSink> guarded;
    std::atomic<bool> takeover_pending{false};
    std::mutex notices_mutex;
    std::vector<ChangeNotice> notices;
    std::unique_ptr<Publisher> publisher;
    std::unique_ptr<DeviceCommands> commands;
    std::optional<ScreenshotStore> screenshots;
    std::unique_ptr<ProofStallWatch> stalls;
    std::unique_ptr<Ingest> ingest;
    std::unique_ptr<DeviceRegistry> registry;
    std::unique_ptr<EspeakSpeechRenderer> speech;
    std::unique_ptr<AlertService> alerts;
    std::unique_ptr<LiveService> live;
    std::unique_ptr<DeliveryRepair> repair;
    std::unique_ptr<ReportService> reports;
    std::unique_ptr<ProofRetention> retention;
    TimePoint next_retention{};  // the first pass runs on the loop's first turn
    MonotonicTime next_accounts_resync{};
    MonotonicTime next_accounts_sync{};
    std::unique_ptr<Auth> auth;
    std::unique_ptr<ApprovalService> approval;
    std::unique_ptr<ApiContext> context;
    std::unique_ptr<FleetServices> fleet;
    std::unique_ptr<ApiServer> server;
    std::unique_ptr<HttpFront> front;
    std::atomic<bool> devices_changed{false};
    // Another controller of the cluster registered or revoked a device: this one rewrites its
    // broker files too (the broker may read this instance's), on the loop.
    std::atomic<bool> accounts_changed{false};

    explicit Impl(config::ControllerConfig loaded, const Clock& wall)
        : config(std::move(loaded)), clock(wall) {}
};

ControllerDaemon::ControllerDaemon(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ControllerDaemon::~ControllerDaemon() {
    stop();
}

Result<std::unique_ptr<ControllerDaemon>> ControllerDaemon::create(config::ControllerConfig loaded,
                                                                   const Clock& clock) {
    auto impl = std::make_unique<Impl>(std::move(loaded), clock);
    const auto& config = impl->config;
    if (auto made = ensure_directory(config.database_path().parent_path()); !made)
        return std::unexpected(made.error());
    auto store = open_store(config, clock);
    if (!store)
        return std::unexpected(store.error());
    impl->store = std::move(*store);
    auto history = SqliteFleetHistory::open(config.database_path().string() + ".fleet");
    if (!history)
        return std::unexpected(history.error());
    impl->history = std::move(*history);
    auto proofs = open_proof_query(config);
    if (!proofs)
        return std::unexpected(proofs.error());
    impl->proofs = std::move(*proofs);
    auto key = protocol::load_secret_key_file(config.signing_key_path());
    if (!key)
        return fail(key.error().code, key.error().detail + " (create it with bantin-controller --init-keys)");
    impl->key = std::move(*key);
    auto media = media::ContentStore::open(config.media_path());
    if (!media)
        return std::unexpected(media.error());
    impl->media = std::move(*media);
    // The chime and the siren alerts play first: devices carry them, and a device that lacks one
    // (cache wiped by hand) downloads it from here like any media.
    if (auto staged = media::stage_alert_tones(*impl->media); !staged)
        spdlog::warn("alert tones not staged in the content store: {}", staged.error().message());
    auto password = controller_mqtt_password(config);
    if (!password)
        return std::unexpected(password.error());
    impl->mqtt_password = std::move(*password);

    protocol::MqttClientOptions options;
    options.host = config.mqtt.host;
    options.port = static_cast<std::uint16_t>(config.mqtt.port);
    options.client_id = config.mqtt.client_id;
    options.username = config.mqtt.username;
    options.password = impl->mqtt_password;
    options.keepalive = config.mqtt.keepalive;
    options.reconnect_min = config.mqtt.reconnect.minimum;
    options.reconnect_max = config.mqtt.reconnect.maximum;
    options.clean_start = false;
    // Every device's status and proof comes to this one session, and every bundle leaves from
    // it: 20 QoS 1 messages in flight each way (libmosquitto's default) cannot keep up with
    // thousands of devices, and the broker drops what waits beyond max_queued_messages
    // (docs/broker.md, "The controller's session").
    options.receive_maximum = protocol::controller_inflight_maximum;
    options.send_maximum = protocol::controller_inflight_maximum;
    if (config.mqtt.tls.enabled())
        options.tls = protocol::MqttTls{config.mqtt.tls.ca_file.string(), config.mqtt.tls.cert_file.string(),
                                        config.mqtt.tls.key_file.string()};
    auto client = protocol::MqttClient::create(std::move(options));
    if (!client)
        return std::unexpected(client.error());
    impl->client.emplace(std::move(*client));
    impl->sink = std::make_unique<MqttMessageSink>(*impl->client);
    // On SQLite the single box; on PostgreSQL the controllers sharing the store's database.
    auto cluster =
        make_cluster(config.storage.backend == config::StorageBackend::Postgresql ? config.storage.postgresql
                                                                                  : std::string{},
                     config.cluster);
    if (!cluster)
        return std::unexpected(cluster.error());
    impl->cluster = std::move(*cluster);
    impl->guarded = std::make_unique<LeaseGuardedSink>(*impl->sink, *impl->cluster.lease,
                                                       *impl->cluster.signal, impl->key);

    PublisherOptions publisher_options;
    publisher_options.media_base_url = config.http.base_url();
    publisher_options.board_base_url = config.public_board.board_base_url;
    publisher_options.bundle_validity = config.devices.bundle_validity;
    impl->publisher = std::make_unique<Publisher>(*impl->store, clock, impl->key, *impl->guarded,
                                                  std::move(publisher_options));
    DeviceCommandsOptions command_options;
    command_options.public_base_url = config.http.base_url();
    command_options.lifetime = config.devices.command_expiry;
    impl->commands = std::make_unique<DeviceCommands>(*impl->store, clock, impl->key, *impl->guarded,
                                                      std::move(command_options));
    auto screenshots = ScreenshotStore::open(config.storage.data_dir / "screenshots", clock);
    if (!screenshots)
        return std::unexpected(screenshots.error());
    impl->screenshots.emplace(std::move(*screenshots));
    impl->stalls = std::make_unique<ProofStallWatch>(config.ingest.stall_alarm);
    impl->ingest = std::make_unique<Ingest>(*impl->store, clock, impl->key, *impl->sink, impl->history.get(),
                                            impl->stalls.get());

    ManagedBrokerOptions broker_options;
    broker_options.config.directory = config.broker_config_path();
    broker_options.config.bind_address = config.broker.listen_address;
    broker_options.config.port = static_cast<std::uint16_t>(config.broker.port);
    broker_options.config.max_queued_messages = static_cast<std::uint32_t>(config.broker.max_queued_messages);
    broker_options.config.run_as_user = config.broker.run_as_user;
    broker_options.config.log_level = config.broker.log_level == config::BrokerLogLevel::Debug
                                          ? protocol::BrokerLogLevel::Debug
                                          : protocol::BrokerLogLevel::Normal;
    if (config.broker.tls.enabled) {
        protocol::BrokerTlsListener tls;
        tls.bind_address = config.broker.tls.listen_address;
        tls.port = static_cast<std::uint16_t>(config.broker.tls.port);
        tls.ca_file = config.broker.tls.ca_file;
        tls.cert_file = config.broker.tls.cert_file;
        tls.key_file = config.broker.tls.key_file;
        tls.client_certificate = config.broker.tls.client_certificate == config::ClientCertificate::Required
                                     ? protocol::ClientCertificate::Required
                                     : protocol::ClientCertificate::Optional;
        broker_options.config.tls = tls;
    }
    broker_options.controller_username = config.mqtt.username;
    broker_options.controller_password = impl->mqtt_password;
    broker_options.mosquitto_binary = config.broker.mosquitto_binary;
    broker_options.ingest_workers_file = ingest_workers_path(config);
    broker_options.controllers_file = peer_controllers_path(config);
    broker_options.bridges_file = bridges_path(config);
    if (auto made = ensure_directory(broker_options.config.directory); !made)
        return std::unexpected(made.error());
    auto broker = ManagedBroker::create(std::move(broker_options));
    if (!broker)
        return std::unexpected(broker.error());
    impl->broker = std::move(*broker);

    RegistryOptions registry_options;
    registry_options.broker_host = config.broker.device_host();
    registry_options.broker_port =
        static_cast<std::uint16_t>(config.broker.tls.enabled ? config.broker.tls.port : config.broker.port);
    if (config.broker.tls.enabled) {
        std::ifstream ca(config.broker.tls.ca_file);
        std::string pem((std::istreambuf_iterator<char>(ca)), std::istreambuf_iterator<char>());
        registry_options.tls_ca_pem = pem;
    }
    registry_options.controller_keys = {protocol::trusted_key(impl->key.public_key())};
    impl->registry =
        std::make_unique<DeviceRegistry>(*impl->store, clock, *impl->broker, std::move(registry_options));
    Impl* raw = impl.get();
    impl->registry->on_changed = [raw] {
        raw->devices_changed.store(true);
        // The others forget their cached lookups and write their broker files again: a device
        // registered here must be able to log in at a broker whose files another instance writes.
        if (raw->cluster.clustered)
            if (auto sent = raw->cluster.signal->notify(ChangeNotice{"devices", {}}); !sent)
                spdlog::warn("cluster: devices changed, the other controllers not told: {}",
                             sent.error().message());
    };

    // An alert's words wait for the engine: a hung command or speech service may hold an alert
    // (a CAP import too) at most 10 s before espeak-ng speaks them, whatever tts.timeout_s says.
    media::SpeechOptions alert_speech = speech_options(config.tts);
    alert_speech.engine.timeout = std::min(alert_speech.engine.timeout, Duration{std::chrono::seconds{10}});
    impl->speech = std::make_unique<EspeakSpeechRenderer>(*impl->media, alert_speech, clock);
    AlertServiceOptions alert_options;
    alert_options.one_person_live_alerts = config.alerts.one_person_live_alerts;
    alert_options.default_expiry = config.alerts.default_expiry;
    alert_options.confirm_timeout = config.alerts.confirm_timeout;
    alert_options.media_base_url = config.http.base_url();
    impl->alerts = std::make_unique<AlertService>(*impl->store, clock, impl->key, *impl->guarded,
                                                  *impl->speech, impl->publisher.get(), alert_options);
    LiveOptions live_options;
    live_options.icecast_url = config.live.icecast_url;
    live_options.source_user = config.live.source_user;
    live_options.max_duration = config.live.max_duration;
    if (!config.live.icecast_url.empty()) {
        const auto password_path = impl->config.live_source_password_path();
        if (!std::filesystem::exists(password_path))
            return fail(Errc::NotFound,
                        password_path.string() + ": live.source_password_file does not exist");
        live_options.source_password = first_line(password_path);
        if (live_options.source_password.empty())
            return fail(Errc::InvalidInput, password_path.string() + ": the first line is empty");
    }
    impl->live = std::make_unique<LiveService>(*impl->store, clock, impl->key, *impl->guarded, live_options);
    // Channels open before a restart are still listed and closable; those that ended meanwhile go.
    if (auto still_open = impl->live->open_channels(); !still_open)
        spdlog::warn("live: the open channels could not be read: {}", still_open.error().message());
    else if (!still_open->empty())
        spdlog::info("live: {} channels still open from before this start", still_open->size());
    impl->repair = std::make_unique<DeliveryRepair>(*impl->store, clock, *impl->publisher, impl->alerts.get(),
                                                    config.devices.delivery_repair_interval);
    DeliveryRepair* repair = impl->repair.get();
    const PublishLease* lease = impl->cluster.lease.get();
    impl->ingest->on_statuses = [repair, lease](const std::vector<CommittedStatus>& statuses) {
        if (!lease->held())
            return;  // every controller sees every status: the publisher repairs
        auto repaired = repair->on_statuses(statuses);
        if (!repaired)
            spdlog::error("delivery repair: {}", repaired.error().message());
        else if (!repaired->bundles.empty() || !repaired->alerts.empty())
            spdlog::warn(
                "delivery repair: {} bundles and {} alerts published again for devices behind or back online",
                repaired->bundles.size(), repaired->alerts.size());
    };
    if (impl->cluster.clustered && impl->config.http.public_base_url.empty())
        // Bundles name media by this address: instances with addresses of their own would make
        // every handover (and every change relayed to the holder) a new bundle version.
        spdlog::warn(
            "http.public_base_url trống: mỗi bộ điều khiển trong cụm phải dùng cùng một địa chỉ "
            "công khai; http.public_base_url is empty: every controller of a cluster must carry "
            "the one address they stand behind (docs/scale.md)");
    if (impl->cluster.clustered) {
        // The holder publishes what the others stored (cluster.hpp); the work runs in run().
        impl->cluster.lease->on_acquired = [raw] { raw->takeover_pending.store(true); };
        impl->cluster.signal->on_missed = [raw] {
            if (raw->cluster.lease->held())
                raw->takeover_pending.store(true);
            // A "devices" notice may have been among the missed ones.
            raw->devices_changed.store(true);
            raw->accounts_changed.store(true);
        };
        // Kept while this instance waits for the lease too (a notice sent during a handover, in
        // the new holder's ttl wait, must not be lost); bounded: a takeover republishes every
        // lagging bundle, the active alerts and the recent cancels anyway.
        impl->cluster.signal->on_notice = [raw](const ChangeNotice& notice) {
            if (notice.kind == "devices") {  // for every instance, holder or not
                raw->devices_changed.store(true);
                raw->accounts_changed.store(true);
                return;
            }
            constexpr std::size_t kept_while_waiting = 10'000;
            std::lock_guard lock{raw->notices_mutex};
            if (!raw->cluster.lease->held() && raw->notices.size() >= kept_while_waiting)
                raw->notices.erase(raw->notices.begin());
            raw->notices.push_back(notice);
        };
    }
    impl->reports = std::make_unique<ReportService>(*impl->store, *impl->proofs, impl->history.get(), clock);
    constexpr std::size_t retention_rows_per_turn = 5'000;
    impl->retention = std::make_unique<ProofRetention>(
        *impl->store, clock, config.storage.proof_retention_days, retention_rows_per_turn);

    AuthPolicy policy;
    policy.session_lifetime = config.auth.session_ttl;
    policy.max_failures_per_user = config.auth.login_max_attempts;
    policy.failure_window = config.auth.login_window;
    impl->auth = std::make_unique<Auth>(*impl->store, clock, policy);
    impl->approval = std::make_unique<ApprovalService>(*impl->store, clock);
    impl->context = std::make_unique<ApiContext>(
        ApiContext{*impl->store, *impl->auth, *impl->approval, clock, impl->config, *impl->media});
    Publisher* publisher = impl->publisher.get();
    impl->context->on_campaigns_changed = [publisher](std::vector<std::string> campaign_ids) {
        auto rebuilt = publisher->on_campaigns_changed(campaign_ids);
        if (!rebuilt)
            spdlog::error("publisher: {}", rebuilt.error().message());
        else if (!rebuilt->published.empty())
            spdlog::info("publisher: {} bundles published", rebuilt->published.size());
    };
    impl->context->on_zone_renamed = [publisher](const std::string& zone) {
        // Only bundles whose content changed (a header's zone name) are published.
        auto rebuilt = publisher->rebuild_all(Publisher::Scope::Changed);
        if (!rebuilt)
            spdlog::error("publisher: zone {} renamed: {}", zone, rebuilt.error().message());
        else if (!rebuilt->published.empty())
            spdlog::info("publisher: zone {} renamed, {} bundles published", zone, rebuilt->published.size());
    };
    impl->fleet = std::make_unique<FleetServices>(FleetServices{*impl->registry,
                                                                *impl->alerts,
                                                                *impl->reports,
                                                                impl->publisher.get(),
                                                                impl->commands.get(),
                                                                &*impl->screenshots,
                                                                impl->stalls.get(),
                                                                {}});
    impl->fleet->services_health = [raw] {
        std::vector<ServiceHealth> services;
        if (raw->config.broker.manage)
            services.push_back(ServiceHealth{"broker", raw->broker->health()});
        if (raw->config.http.front == config::HttpFront::Nginx)
            services.push_back(
                ServiceHealth{"http_front", raw->front ? raw->front->health() : media::ProcessHealth{}});
        return services;
    };
    auto api_options = server_options(impl->config);
    if (impl->config.http.front == config::HttpFront::Nginx) {
        // Behind the front, the API server listens on loopback only.
        api_options.address = "127.0.0.1";
        api_options.port = impl->config.http.backend_port;
    }
    impl->server = std::make_unique<ApiServer>(api_options);
    register_content_routes(*impl->server, *impl->context);
    register_front_routes(*impl->server, *impl->context);
    register_fleet_routes(*impl->server, *impl->context, *impl->fleet);
    register_public_board(*impl->server, *impl->context);
    register_live_routes(*impl->server, *impl->context, *impl->live);
    register_web_console(*impl->server, impl->config);
    return std::unique_ptr<ControllerDaemon>(new ControllerDaemon(std::move(impl)));
}

Result<void> ControllerDaemon::start() {
    Impl& impl = *m_impl;
    const bool fronted = impl.config.http.front == config::HttpFront::Nginx;
    // The public port is checked before anything listens on it: a taken port fails the start
    // with one line naming it, whoever holds it.
    if (fronted && !media::port_is_free(impl.config.http.listen_address,
                                        static_cast<std::uint16_t>(impl.config.http.port)))
        return fail(Errc::Conflict,
                    "http: port " + std::to_string(impl.config.http.port) + " on " +
                        impl.config.http.listen_address +
                        " is already in use by another process (cổng đã bị tiến trình khác chiếm)");
    auto accounts = impl.registry->broker_accounts();
    if (!accounts)
        return std::unexpected(accounts.error());
    if (impl.config.broker.manage) {
        if (auto started = impl.broker->start(*accounts); !started)
            return started;
    } else if (auto synced = impl.broker->apply(*accounts); !synced) {
        return synced;
    }
    if (auto subscribed = impl.client->subscribe(proof_subscription(impl.config.mqtt.ingest_share_group));
        !subscribed)
        return subscribed;
    if (auto subscribed = impl.client->subscribe(status_subscription()); !subscribed)
        return subscribed;
    if (auto started = impl.client->start(); !started)
        return started;
    auto port = impl.server->start();
    if (!port)
        return std::unexpected(Error{port.error().code, "http " + impl.server->options().address + ":" +
                                                            std::to_string(impl.server->options().port) +
                                                            ": " + port.error().detail});
    if (fronted) {
        auto front = HttpFront::start(front_options(impl.config, static_cast<std::uint16_t>(*port)));
        if (!front)
            return std::unexpected(Error{front.error().code, "http front (nginx): " + front.error().detail});
        impl.front = std::move(*front);
        spdlog::info("bantin-controller: nginx front on {}:{} (pid {}), API server on 127.0.0.1:{}",
                     impl.config.http.listen_address, impl.config.http.port, impl.front->pid(), *port);
    }
    if (impl.cluster.clustered) {
        // The holder's first work (takeover_pending) replaces the start-up rebuild.
        if (auto started = impl.cluster.signal->start(); !started)
            return started;
        // A device registered through another instance between the broker files above and the
        // first LISTEN sent a notice no one here heard: write them again on the loop.
        impl.accounts_changed.store(true);
        if (auto started = impl.cluster.lease->start(); !started)
            return started;
    } else {
        auto rebuilt = impl.publisher->rebuild_all(Publisher::Scope::ChangedOrLagging);
        if (!rebuilt)
            spdlog::error("publisher: start-up rebuild: {}", rebuilt.error().message());
    }
    spdlog::info("bantin-controller: http on port {}, mqtt {}:{}", http_port(), impl.config.mqtt.host,
                 impl.config.mqtt.port);
    return {};
}

namespace {

// The lease holder's share of run(): after taking the lease, what is not yet acked goes out
// again (takeover_republish, then the active alerts); then what other controllers stored.
void publish_for_cluster(ControllerDaemon::Impl& impl) {
    if (!impl.cluster.clustered || !impl.cluster.lease->held())
        return;
    if (impl.takeover_pending.exchange(false)) {
        auto taken = takeover_republish(*impl.store, *impl.publisher);
        if (!taken)
            spdlog::error("lease: takeover republish: {}", taken.error().message());
        else
            spdlog::info("lease: {} lagging bundles published again, {} changed bundles published",
                         taken->republished.size(), taken->published.size());
        if (auto alerts = impl.alerts->republish_active(); !alerts)
            spdlog::error("lease: takeover alerts: {}", alerts.error().message());
        // A cancel stored by another instance while no one published (the old holder dying, the
        // new one's ttl wait) goes out now: devices would otherwise sound the alert to its expiry.
        if (auto cancels = impl.alerts->republish_recent_cancels(std::chrono::hours{1}); !cancels)
            spdlog::error("lease: takeover cancels: {}", cancels.error().message());
        else if (!cancels->empty())
            spdlog::info("lease: {} recent alert cancels published again", cancels->size());
    }
    std::vector<ChangeNotice> notices;
    {
        std::lock_guard lock{impl.notices_mutex};
        notices.swap(impl.notices);
    }
    std::vector<std::string> devices;
    std::vector<std::string> alerts;  // in the order stored, each once (one notice per topic)
    for (const auto& notice : notices) {
        if (notice.kind == "bundles")
            devices.insert(devices.end(), notice.ids.begin(), notice.ids.end());
        else if (notice.kind == "alert")
            for (const auto& id : notice.ids)
                if (std::ranges::find(alerts, id) == alerts.end())
                    alerts.push_back(id);
    }
    for (const auto& id : alerts)
        if (auto published = impl.alerts->publish_current(id); !published)
            spdlog::error("lease: alert {}: {}", id, published.error().message());
    if (!devices.empty()) {
        std::ranges::sort(devices);
        devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
        if (auto published = impl.publisher->republish_devices(devices); !published)
            spdlog::error("lease: bundles stored by another controller: {}", published.error().message());
    }
}

// Proof-of-play retention on the loop: at start-up, then every hour. One transaction of at most
// a day's rows or retention_rows_per_turn per turn, so ingest and the broker wait at most that
// one transaction; a pass with more to do goes on at the next turn.
// Of several controllers, only the lease holder folds: one pass at a time over the shared store.
void run_retention(ControllerDaemon::Impl& impl) {
    const TimePoint now = impl.clock.wall();
    if (now < impl.next_retention || !impl.cluster.lease->held())
        return;
    auto pass = impl.retention->run(1);
    if (!pass) {
        spdlog::error("lưu giữ bằng chứng phát / proof retention: {}", pass.error().message());
        impl.next_retention = now + std::chrono::hours{1};
        return;
    }
    if (pass->rows > 0)
        spdlog::debug("proof retention: {} rows of {} device-days folded into {} day summaries", pass->rows,
                      pass->days, pass->summaries);
    impl.next_retention = pass->done ? now + std::chrono::hours{1} : now;
}

}  // namespace

Result<void> ControllerDaemon::run() {
    Impl& impl = *m_impl;
    while (!m_stop_requested.load()) {
        if (impl.devices_changed.exchange(false))
            impl.ingest->forget_devices();
        // Of several controllers: the broker files again after another's registration or
        // revocation, and once a minute whatever was heard (a notice can be lost; the same accounts
        // write nothing and reload nothing).
        // At most once a second: a burst of registrations on other instances reads the devices
        // once, not once per registration.
        const MonotonicTime turn = impl.clock.monotonic();
        if (impl.cluster.clustered && turn >= impl.next_accounts_resync) {
            impl.next_accounts_resync = turn + std::chrono::minutes{1};
            impl.accounts_changed.store(true);
        }
        if (turn >= impl.next_accounts_sync && impl.accounts_changed.exchange(false)) {
            impl.next_accounts_sync = turn + std::chrono::seconds{1};
            if (auto written = impl.registry->sync_broker(); !written)
                spdlog::error("broker: tài khoản thiết bị chưa ghi được; device accounts not written: {}",
                              written.error().message());
        }
        auto events = impl.client->poll(std::chrono::milliseconds(100));
        for (auto& event : events) {
            if (auto* message = std::get_if<protocol::MqttMessage>(&event)) {
                impl.ingest->accept(*message);
            } else if (auto* disconnected = std::get_if<protocol::MqttDisconnected>(&event)) {
                spdlog::warn("mqtt: {}", disconnected->error.message());
            } else if (std::holds_alternative<protocol::MqttConnected>(event)) {
                spdlog::info("mqtt: connected");
                if (!impl.cluster.lease->held())
                    continue;
                // The broker may have restarted without the retained alerts published since
                // its last save.
                if (auto repaired = impl.repair->on_broker_connected(); !repaired)
                    spdlog::error("delivery repair: {}", repaired.error().message());
                else if (!repaired->alerts.empty())
                    spdlog::info("delivery repair: {} active alerts published again",
                                 repaired->alerts.size());
            }
        }
        publish_for_cluster(impl);
        if (impl.ingest->has_pending()) {
            if (auto flushed = impl.ingest->flush(); !flushed)
                spdlog::error("ingest: {}", flushed.error().message());
        }
        run_retention(impl);
        for (const auto& stall : impl.stalls->newly_stalled(impl.clock.wall()))
            spdlog::error(
                "ingest: {} is online and playing but no proof of play has been committed since {} "
                "(ingest.stall_alarm_s = {})",
                stall.device, format_utc(stall.since), impl.config.ingest.stall_alarm.count());
    }
    return {};
}

void ControllerDaemon::stop() {
    if (!m_impl)
        return;
    Impl& impl = *m_impl;
    if (impl.cluster.lease)
        impl.cluster.lease->stop();
    if (impl.cluster.signal)
        impl.cluster.signal->stop();
    if (impl.front)
        impl.front->stop();
    if (impl.server)
        impl.server->stop();
    if (impl.ingest && impl.ingest->has_pending())
        (void)impl.ingest->flush();
    if (impl.client)
        impl.client->stop();
    if (impl.broker)
        impl.broker->stop();
}

int ControllerDaemon::http_port() const {
    if (m_impl->front)
        return m_impl->front->options().port;
    return m_impl->server ? m_impl->server->port() : 0;
}

}  // namespace bantin::controller
