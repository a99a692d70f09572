#pragma once
// The broker's accounts kept in step with the device registry, and the Mosquitto process the
// controller runs itself when [broker] manage = true.
//
// BrokerSync is what the registry calls after every registration or revocation with the full
// list of device accounts. ManagedBroker implements it: it rewrites passwd and acl
// (protocol::write_broker_files, atomic replace) and sends SIGHUP to the broker, which
// re-reads both and drops the live connection of a device no longer in the password file
// (docs/broker.md, "Revocation"). It also runs Mosquitto in the foreground as a supervised
// child (media::SupervisedProcess): start() refuses a port someone else holds, returns once the
// pid it started listens, and the child is restarted with back-off when it dies, dies with the
// controller (parent-death signal) and is stopped with SIGTERM (stop(), or the destructor);
// health() says whether it is up. When the controller does
// not manage the broker, apply() still writes the files and signals the pid in the broker's
// pid file if there is one. apply() with the accounts the files already hold writes nothing and
// signals nobody (the other controllers of a cluster resync often). A device named like a
// system account (the controller, a peer controller, an ingest worker, a bridge) is left out of
// the files with an error in the log; two system accounts of one name fail the write. The ingest worker
// accounts of `ingest_workers_file` are added to passwd and acl on every write (after
// protocol::write_broker_files, each file replaced again atomically with the same owner and mode); a worker
// named like the controller or a device is refused (InvalidInput). The district bridges of `bridges_file`
// (district_bridge.hpp) are added the same way, each with an ACL naming its district's devices as they are at
// that write.
//
// Threads: apply() may be called from any thread (a mutex serialises writes and signals).
// Errors: Io for files and the process, Conflict when a broker port is already taken, Timeout
// when the broker does not listen within 10 s (the detail carries the tail of its log).

#include "bantin/common/error.hpp"
#include "bantin/media/supervised_process.hpp"
#include "bantin/protocol/broker_config.hpp"

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bantin::controller {

class BrokerSync {
public:
    virtual ~BrokerSync() = default;
    virtual Result<void> apply(const std::vector<protocol::DeviceAccount>& devices) = 0;
    // Broker usernames that are not devices (the controller, ingest workers). A device may not
    // take one: two accounts of one name would make every later apply() fail, revocations too.
    virtual Result<std::vector<std::string>> reserved_usernames() const { return std::vector<std::string>{}; }
};

// A further proof-of-play ingest worker and its ACL block: written with the other broker
// accounts by protocol::write_broker_files.
using protocol::ingest_worker_acl;
using protocol::IngestWorkerAccount;

// The accounts file: one "<username>:<$7$ hash>" line per worker, mode 0600, kept by the
// controller (default <storage.data_dir>/keys/ingest-workers). A missing file is no workers.
Result<std::vector<IngestWorkerAccount>> load_ingest_workers(const std::filesystem::path& file);
// Adds a worker with a fresh random password and returns that password (shown once, never
// stored). InvalidInput for a bad name, AlreadyExists for a name in the file; `taken` lists
// names already in use (the controller account, device ids), refused as AlreadyExists too.
// The file is replaced atomically.
Result<std::string> add_ingest_worker(const std::filesystem::path& file, const std::string& username,
                                      const std::vector<std::string>& taken);

// The other controllers of a cluster (docs/scale.md, "Failover"): the same file format, kept in
// <storage.data_dir>/keys/controllers; each gets the controller's ACL (readwrite bantin/#).
Result<std::vector<protocol::ControllerAccount>> load_peer_controllers(const std::filesystem::path& file);
// As add_ingest_worker, for another controller's account.
Result<std::string> add_peer_controller(const std::filesystem::path& file, const std::string& username,
                                        const std::vector<std::string>& taken);

// Replaces `path` with `text` atomically (a temporary file beside it, fsync, rename), keeping
// the owner and mode it has now; a new file is 0600. For the controller's account files.
Result<void> replace_keeping_owner(const std::filesystem::path& path, const std::string& text);

struct ManagedBrokerOptions {
    protocol::BrokerConfig config;
    std::string controller_username = "controller";
    std::string controller_password;
    std::filesystem::path mosquitto_binary = "/usr/sbin/mosquitto";
    // Re-read on every write of the broker files; empty: no further ingest workers.
    std::filesystem::path ingest_workers_file;
    // Re-read on every write too; empty: no other controllers.
    std::filesystem::path controllers_file;
    // Re-read on every write too; empty: no district bridges (district_bridge.hpp).
    std::filesystem::path bridges_file;
    // How long Mosquitto may take to listen after each start or restart. It restores its
    // persistence first (every session and retained message), which grows with the fleet: 11 s
    // for 10,000 devices on a 2-core machine (docs/performance.md), past the 10 s a supervised
    // process gets by default, so the broker of a large fleet could never come back.
    std::chrono::milliseconds start_timeout{std::chrono::minutes{2}};
};

class ManagedBroker final : public BrokerSync {
public:
    static Result<std::unique_ptr<ManagedBroker>> create(ManagedBrokerOptions options);
    ~ManagedBroker() override;
    ManagedBroker(const ManagedBroker&) = delete;
    ManagedBroker& operator=(const ManagedBroker&) = delete;

    // Writes the files for `devices`, starts Mosquitto and waits until it accepts connections.
    Result<void> start(const std::vector<protocol::DeviceAccount>& devices);
    // SIGTERM, then SIGKILL after 5 s. Idempotent.
    void stop();
    Result<void> apply(const std::vector<protocol::DeviceAccount>& devices) override;
    // The controller's username and every name in ingest_workers_file, controllers_file and
    // bridges_file (read now).
    Result<std::vector<std::string>> reserved_usernames() const override;

    pid_t pid() const { return m_process ? m_process->pid() : -1; }
    // Up or down, its pid, restarts and last exit; down (never started) when not managed.
    media::ProcessHealth health() const;
    const protocol::BrokerFiles& files() const { return m_files; }
    std::string log_tail() const;

private:
    explicit ManagedBroker(ManagedBrokerOptions options, std::string controller_hash)
        : m_options(std::move(options)), m_controller_hash(std::move(controller_hash)) {}
    // Writes the files unless they already hold exactly these accounts; true when written.
    Result<bool> write(const std::vector<protocol::DeviceAccount>& devices);

    ManagedBrokerOptions m_options;
    std::string m_controller_hash;
    protocol::BrokerFiles m_files;
    std::string m_written_signature;  // the accounts the files were last written with
    std::unique_ptr<media::SupervisedProcess> m_process;
    mutable std::mutex m_mutex;
};

}  // namespace bantin::controller
