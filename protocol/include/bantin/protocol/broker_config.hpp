#pragma once
// The Mosquitto 2.0 configuration the controller runs its broker with.
//
// Bantin's broker is locked down with a `password_file` (PBKDF2-SHA512 `$7$` hashes, the
// format `mosquitto_passwd` writes) and an `acl_file` whose `pattern` lines substitute the
// username (`%u`) so one line covers every device; docs/broker.md says why not the
// dynamic-security plugin. A device's id is its username and, through
// `use_username_as_clientid`, its client id: whatever client id a device sends, the broker
// uses its username, so a device can never take over another device's session.
//
// Lifecycle: build a BrokerConfig and BrokerAccounts, call write_broker_files() (atomic
// replace of each file), start `mosquitto -c <config_file>`; after a change to the accounts
// (a device added, re-zoned or revoked) write the files again and call reload_broker(pid):
// on SIGHUP Mosquitto 2.0.11 re-reads both files and drops the live connection of a user
// that is no longer in the password file.
//
// Threads: everything here is a pure function or a file write; call from any thread.
// Errors: InvalidInput for an id or zone that cannot be a single topic level, for a
// malformed hash or (when run as root) an unknown run_as_user, Io for a file that cannot be written, Crypto
// when the random source or the hash fails, NotFound/Io from reload_broker.

#include "bantin/common/error.hpp"
#include "bantin/protocol/broker_bridge.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::protocol {

enum class ClientCertificate { Optional, Required };

// A second listener speaking MQTT over TLS. With ClientCertificate::Required the broker
// also sets `use_identity_as_username`: the certificate's CN becomes the username (no
// password), so the same `%u` ACL patterns apply to certificate-authenticated devices.
struct BrokerTlsListener {
    std::string bind_address = "127.0.0.1";
    std::uint16_t port = 8883;
    std::filesystem::path ca_file;
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    ClientCertificate client_certificate = ClientCertificate::Required;
};

enum class BrokerLogLevel { Normal, Debug };

// 16 MiB: twice the largest signed bundle envelope (codec.hpp max_bundle_size 4 MiB, an
// envelope at most 2 x that + 1 KiB), so no legitimate message comes near it.
inline constexpr std::uint32_t broker_message_size_limit = 16U * 1024 * 1024;

struct BrokerConfig {
    // Receives mosquitto.conf, passwd, acl, mosquitto.log and persistence/ (which holds mosquitto.pid).
    // The broker's user must be able to enter it (docs/broker.md, "File permissions").
    std::filesystem::path directory;
    std::string bind_address = "127.0.0.1";
    std::uint16_t port = 1883;
    std::optional<BrokerTlsListener> tls;
    // Mosquitto's per-client queue above the in-flight window; beyond it QoS 1 messages
    // are dropped silently (docs/broker.md).
    std::uint32_t max_queued_messages = 1000;
    // Mosquitto's message_size_limit: a larger PUBLISH is refused by the broker. Above the
    // largest legitimate message, a bundle envelope (envelope_limit(Bundle), 8 MiB + 1 KiB).
    std::uint32_t message_size_limit = broker_message_size_limit;
    // `user` option: the account Mosquitto drops to when started as root. "root" keeps
    // root (for test brokers started by root); empty keeps Mosquitto's default.
    std::string run_as_user;
    // Normal logs connections and errors; Debug adds every packet and ACL denial.
    BrokerLogLevel log_level = BrokerLogLevel::Normal;
    // Log to <directory>/mosquitto.log (true) or to stderr (false).
    bool log_to_file = true;
    // Mosquitto's max_queued_bytes (0: not written, no limit): a district broker caps its
    // bridge's queue in bytes as well as in messages (broker_bridge.hpp).
    std::uint64_t max_queued_bytes = 0;
    // A district broker: its bridge to the province (broker_bridge.hpp). mosquitto.conf then
    // holds the bridge's password and is written 0600.
    std::optional<BridgeConnection> bridge;
};

// The controller's account: readwrite on bantin/#. A district broker has none: an empty
// username and hash leave it out of passwd and acl.
struct ControllerAccount {
    std::string username = "controller";
    std::string password_hash;  // "$7$..." from hash_broker_password()
};

// A device: username = client id = device id; reads alert/zone/<zone> for each zone.
struct DeviceAccount {
    std::string device_id;
    std::string password_hash;  // empty: certificate-only device (TLS listener)
    std::vector<std::string> zones;
};

// A further proof-of-play ingest worker (docs/fleet.md, "More ingest workers"). Its ACL is
// exactly what ingest needs: read bantin/v1/dev/+/pop (through the shared subscription
// $share/<group>/bantin/v1/dev/+/pop) and write bantin/v1/dev/+/ack. Nothing else: no bundles,
// commands, alerts or statuses.
struct IngestWorkerAccount {
    std::string username;       // one topic level: [A-Za-z0-9._-], at most 64 bytes
    std::string password_hash;  // "$7$..." from hash_broker_password()
    bool operator==(const IngestWorkerAccount&) const = default;
};

struct BrokerAccounts {
    ControllerAccount controller;
    // The other controllers of a cluster on one PostgreSQL (docs/scale.md, "Failover"): each has
    // its own account, and the ACL of the controller (readwrite bantin/#), so that two instances
    // never share one MQTT session (use_username_as_clientid would make them take each other's).
    std::vector<ControllerAccount> peer_controllers;
    std::vector<DeviceAccount> devices;
    std::vector<IngestWorkerAccount> ingest_workers;
    std::vector<BridgeAccount> bridges;  // the province's district bridges (broker_bridge.hpp)
};

// The ACL block of one ingest worker.
std::string ingest_worker_acl(const IngestWorkerAccount& worker);

struct BrokerFiles {
    std::filesystem::path config_file;
    std::filesystem::path password_file;
    std::filesystem::path acl_file;
    std::filesystem::path pid_file;
    std::filesystem::path log_file;
    std::filesystem::path persistence_directory;
};

// Where write_broker_files() puts each file for this config (nothing is written).
BrokerFiles broker_file_paths(const BrokerConfig& config);

// The max_queued_messages write_broker_files() puts in mosquitto.conf: the configured value,
// but at least queued_messages_per_device per device. The controller's session must be able to
// hold what every device sends at once when they all connect (a status, another once the
// retained bundle is applied, a proof batch): with 10,000 devices and a limit of 10,000 the
// broker dropped statuses for the controller at start-up ("Outgoing messages are being dropped
// for client controller") and those devices stayed missing from the fleet view.
inline constexpr std::uint32_t queued_messages_per_device = 3;
std::uint32_t effective_max_queued_messages(const BrokerConfig& config, std::size_t devices);

// The text of mosquitto.conf.
std::string render_mosquitto_conf(const BrokerConfig& config);
// The text of the password file: "<user>:<hash>" lines; devices without a hash are left out.
Result<std::string> render_password_file(const BrokerAccounts& accounts);
// The text of the ACL file (patterns for every device, a block per user).
Result<std::string> render_acl_file(const BrokerAccounts& accounts);

// Checks every id and zone (one topic level: non-empty, at most 64 bytes of
// [A-Za-z0-9._-]) and that ids are unique. Reports all problems in one Error.
Result<void> validate_accounts(const BrokerAccounts& accounts);

// Writes the three files and creates persistence/. Each file is replaced atomically through
// a fresh temporary file beside it (O_CREAT|O_EXCL|O_NOFOLLOW, final mode from the start,
// fsync, rename, directory fsync), so a reader sees the old or the new file, a failed write
// leaves the old one, and nothing planted at a temporary name is followed. passwd and acl
// are 0600, mosquitto.conf 0644. Run as root, passwd, acl and persistence/ are handed to the
// account Mosquitto drops to (run_as_user, default "mosquitto"; not for "root"), which reads
// them after dropping privileges; InvalidInput if that account does not exist.
Result<BrokerFiles> write_broker_files(const BrokerConfig& config, const BrokerAccounts& accounts);

// `$7$<iterations>$<salt base64>$<hash base64>`: PBKDF2-HMAC-SHA512, 64-byte hash, the
// format and defaults (101 iterations, 12-byte salt) of mosquitto_passwd 2.0.
Result<std::string> hash_broker_password(std::string_view password);
std::string hash_broker_password(std::string_view password, std::span<const unsigned char> salt,
                                 unsigned iterations);
// True when `hash` is a `$7$` line part that `password` matches; InvalidInput when the hash
// is not in that format.
Result<bool> verify_broker_password(std::string_view hash, std::string_view password);

// Reads the pid Mosquitto wrote to its pid_file (Mosquitto 2.0 writes it only when it runs
// as a daemon, `-d`; a broker started in the foreground is signalled by its child pid).
Result<pid_t> read_broker_pid(const std::filesystem::path& pid_file);
// Sends SIGHUP: the broker re-reads passwd and acl. NotFound if no such process.
Result<void> reload_broker(pid_t pid);

}  // namespace bantin::protocol
