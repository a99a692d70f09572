#pragma once
// The broker's accounts kept in step with the device registry, and the Mosquitto process the
// controller runs itself when [broker] manage = true.
//
// BrokerSync is what the registry calls after every registration or revocation with the full
// list of device accounts. ManagedBroker implements it: it rewrites passwd and acl
// (protocol::write_broker_files, atomic replace) and sends SIGHUP to the broker, which
// re-reads both and drops the live connection of a device no longer in the password file
// (docs/broker.md, "Revocation"). It also starts Mosquitto in the foreground as a child
// (start()) and stops it with SIGTERM (stop(), or the destructor). When the controller does
// not manage the broker, apply() still writes the files and signals the pid in the broker's
// pid file if there is one.
//
// Threads: apply() may be called from any thread (a mutex serialises writes and signals).
// Errors: Io for files and the process, Timeout when the broker does not listen within 10 s
// (the detail carries the tail of its log).

#include "bantin/common/error.hpp"
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
};

struct ManagedBrokerOptions {
    protocol::BrokerConfig config;
    std::string controller_username = "controller";
    std::string controller_password;
    std::filesystem::path mosquitto_binary = "/usr/sbin/mosquitto";
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

    pid_t pid() const { return m_pid; }
    const protocol::BrokerFiles& files() const { return m_files; }
    std::string log_tail() const;

private:
    explicit ManagedBroker(ManagedBrokerOptions options, std::string controller_hash)
        : m_options(std::move(options)), m_controller_hash(std::move(controller_hash)) {}
    Result<void> write(const std::vector<protocol::DeviceAccount>& devices);

    ManagedBrokerOptions m_options;
    std::string m_controller_hash;
    protocol::BrokerFiles m_files;
    pid_t m_pid = -1;
    std::mutex m_mutex;
};

}  // namespace bantin::controller
