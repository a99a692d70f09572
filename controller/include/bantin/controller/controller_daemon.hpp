#pragma once
// The bantin-controller daemon, wired: store, keys, media store, (optionally) its own
// Mosquitto, the MQTT connection shared by publisher, ingest and alerts, the HTTP API with the
// content and fleet routes, and the reports.
//
// Lifecycle: create() opens everything that can fail early (database and migrations, signing
// key, media directory, the MQTT password) and returns one-line errors naming the file or key.
// start() starts the broker (when [broker] manage), writes its accounts from the registry,
// connects to MQTT, subscribes (pop through $share/<group>/..., status directly), starts the
// HTTP API and republishes bundles that changed or lag. run() is the MQTT loop: it drains the
// client's queue, hands messages to the ingest and flushes (commit, then ack) until
// request_stop(); stop() tears everything down in reverse order. One controller process uses
// one MQTT connection on the controller account: Mosquitto's use_username_as_clientid makes two
// connections of one account take over each other, so a second ingest worker needs its own
// account (docs/fleet.md).
//
// Threads: create/start/run/stop on the main thread; request_stop() from any thread (a signal
// handler sets an atomic flag that run() polls every 100 ms). HTTP handlers run on httplib's
// pool and call into the thread-safe services.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/config/controller_config.hpp"
#include "bantin/controller/district_bridge.hpp"
#include "bantin/controller/proof_retention.hpp"
#include "bantin/controller/reports.hpp"
#include "bantin/controller/store.hpp"

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

namespace bantin::controller {

// Creates the controller key pair: <signing_key_file> (0600) and <signing_key_file>.pub.
// AlreadyExists if the secret key exists.
Result<std::string> init_keys(const config::ControllerConfig& config);

// The store storage.backend names, migrated: the SQLite file storage.database, or the PostgreSQL
// database storage.postgresql. A bad connection string or an unreachable server is an error
// naming storage.postgresql, Vietnamese first (never a crash, never the password).
Result<std::unique_ptr<Store>> open_store(const config::ControllerConfig& config, const Clock& clock);
// The reports' proof rows on a connection of their own to the same database.
Result<std::unique_ptr<ProofQuery>> open_proof_query(const config::ControllerConfig& config);

// Creates the first admin; Conflict if an admin exists. The password comes from the caller.
Result<void> create_admin(const config::ControllerConfig& config, const std::string& name,
                          const std::string& password);

// Runs one whole proof-of-play retention pass (storage.proof_retention_days) on the database,
// beside a running controller or not (`bantin-controller --config FILE --prune-proof`).
Result<RetentionPass> prune_proof(const config::ControllerConfig& config);

// Where the ingest worker accounts are kept: <data_dir>/keys/ingest-workers.
std::filesystem::path ingest_workers_path(const config::ControllerConfig& config);

// Adds a proof-of-play ingest worker broker account (fleet_broker.hpp, IngestWorkerAccount)
// and returns its password. Refuses the controller's username and every device id. The broker
// files gain it at the controller's next start or device change.
Result<std::string> add_ingest_worker_account(const config::ControllerConfig& config,
                                              const std::string& name);

// Where the cluster's other controllers' broker accounts are kept: <data_dir>/keys/controllers.
std::filesystem::path peer_controllers_path(const config::ControllerConfig& config);

// Adds a broker account for another controller of the cluster (docs/scale.md, "Failover") and
// returns its password: that controller's [mqtt] username and password. Refuses every name the
// broker already knows. The broker files gain it at the controller's next start or device change.
Result<std::string> add_peer_controller_account(const config::ControllerConfig& config,
                                                const std::string& name);

// Where the district bridges are kept: <data_dir>/keys/bridges (district_bridge.hpp).
std::filesystem::path bridges_path(const config::ControllerConfig& config);

// Writes a district broker's files (district_bridge.hpp) for the devices in the database and
// records its bridge for the controller's broker, which takes it at its next start or device
// change. Refuses a bridge named like the controller, an ingest worker or a device.
Result<DistrictBrokerResult> write_district_broker_files(const config::ControllerConfig& config,
                                                         const DistrictBrokerRequest& request);

// The controller's MQTT password: [mqtt] password, else the first line of password_file,
// else (only when the controller manages the broker) <data_dir>/keys/mqtt-password, created
// with a random password on first use.
Result<std::string> controller_mqtt_password(const config::ControllerConfig& config);

class ControllerDaemon {
public:
    static Result<std::unique_ptr<ControllerDaemon>> create(config::ControllerConfig config,
                                                            const Clock& clock);
    ~ControllerDaemon();
    ControllerDaemon(const ControllerDaemon&) = delete;
    ControllerDaemon& operator=(const ControllerDaemon&) = delete;

    Result<void> start();
    // Returns after request_stop(); an error if the loop cannot go on.
    Result<void> run();
    void request_stop() { m_stop_requested.store(true); }
    void stop();

    int http_port() const;
    struct Impl;

private:
    explicit ControllerDaemon(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
    std::atomic<bool> m_stop_requested{false};
};

}  // namespace bantin::controller
