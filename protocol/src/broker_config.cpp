#include "bantin/protocol/broker_config.hpp"

#include "private_file.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

namespace bantin::protocol {

namespace {

constexpr unsigned kDefaultIterations = 101;  // mosquitto_passwd 2.0's default
constexpr std::size_t kSaltBytes = 12;
constexpr std::size_t kHashBytes = crypto_auth_hmacsha512_BYTES;  // 64
constexpr std::size_t kMaxLevelBytes = 64;

bool is_topic_level_safe(std::string_view text) {
    if (text.empty() || text.size() > kMaxLevelBytes) {
        return false;
    }
    for (char c : text) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// PBKDF2 (RFC 8018) with HMAC-SHA512 for a single 64-byte block, which is all Mosquitto uses.
std::array<unsigned char, kHashBytes> pbkdf2_sha512(std::string_view password,
                                                    std::span<const unsigned char> salt,
                                                    unsigned iterations) {
    const auto* key = reinterpret_cast<const unsigned char*>(password.data());
    std::array<unsigned char, kHashBytes> block{};
    std::array<unsigned char, kHashBytes> result{};
    crypto_auth_hmacsha512_state state;
    crypto_auth_hmacsha512_init(&state, key, password.size());
    crypto_auth_hmacsha512_update(&state, salt.data(), salt.size());
    const unsigned char block_index[4] = {0, 0, 0, 1};
    crypto_auth_hmacsha512_update(&state, block_index, sizeof block_index);
    crypto_auth_hmacsha512_final(&state, block.data());
    result = block;
    for (unsigned round = 1; round < iterations; ++round) {
        crypto_auth_hmacsha512_init(&state, key, password.size());
        crypto_auth_hmacsha512_update(&state, block.data(), block.size());
        crypto_auth_hmacsha512_final(&state, block.data());
        for (std::size_t i = 0; i < kHashBytes; ++i) {
            result[i] ^= block[i];
        }
    }
    sodium_memzero(&state, sizeof state);
    return result;
}

std::string to_base64(std::span<const unsigned char> bytes) {
    std::string text(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    text.resize(std::strlen(text.c_str()));
    return text;
}

std::optional<std::vector<unsigned char>> from_base64(std::string_view text) {
    std::vector<unsigned char> bytes(text.size());
    std::size_t length = 0;
    if (sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &length, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        return std::nullopt;
    }
    bytes.resize(length);
    return bytes;
}

// Mosquitto started as root drops to its `user` (default "mosquitto"; "root" keeps root)
// before it reads passwd and acl, and re-reads them as that user on SIGHUP (checked on
// 2.0.11). So when we are root those files, 0600, belong to that account; otherwise
// Mosquitto runs as whoever started it, which is us, and the files stay ours.
Result<std::optional<detail::FileOwner>> broker_file_owner(const BrokerConfig& config) {
    if (::geteuid() != 0) {
        return std::optional<detail::FileOwner>{};
    }
    const std::string user = config.run_as_user.empty() ? "mosquitto" : config.run_as_user;
    if (user == "root") {
        return std::optional<detail::FileOwner>{};
    }
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    const int rc = ::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc != 0 || found == nullptr) {
        return fail(Errc::InvalidInput,
                    "broker run_as_user '" + user +
                        "': no such account (Mosquitto started as root drops to it and reads "
                        "passwd and acl as it); create it or set run_as_user");
    }
    return std::optional<detail::FileOwner>{detail::FileOwner{found->pw_uid, found->pw_gid}};
}

Result<void> hand_directory_to(const std::filesystem::path& directory, const detail::FileOwner& owner) {
    const int descriptor = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (descriptor < 0) {
        return fail(Errc::Io, directory.string() + ": cannot open: " + std::strerror(errno));
    }
    const int rc = ::fchown(descriptor, owner.user, owner.group);
    const int error = errno;
    ::close(descriptor);
    if (rc != 0) {
        return fail(Errc::Io, directory.string() + ": cannot hand to uid " + std::to_string(owner.user) +
                                  ": " + std::strerror(error));
    }
    return {};
}

}  // namespace

BrokerFiles broker_file_paths(const BrokerConfig& config) {
    return BrokerFiles{
        .config_file = config.directory / "mosquitto.conf",
        .password_file = config.directory / "passwd",
        .acl_file = config.directory / "acl",
        // Inside persistence/: a broker started by root writes it after dropping to its own
        // account, which owns persistence/ but not the directory above.
        .pid_file = config.directory / "persistence" / "mosquitto.pid",
        .log_file = config.directory / "mosquitto.log",
        .persistence_directory = config.directory / "persistence",
    };
}

std::uint32_t effective_max_queued_messages(const BrokerConfig& config, std::size_t devices) {
    const std::uint64_t floor = std::uint64_t{queued_messages_per_device} * devices;
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(std::max<std::uint64_t>(config.max_queued_messages, floor),
                                std::numeric_limits<std::uint32_t>::max()));
}

std::string render_mosquitto_conf(const BrokerConfig& config) {
    const BrokerFiles files = broker_file_paths(config);
    std::ostringstream out;
    out << "# Generated by Bantin (bantin::protocol::write_broker_files); regenerate, do not edit.\n";
    if (!config.run_as_user.empty()) {
        out << "user " << config.run_as_user << "\n";
    }
    out << "pid_file " << files.pid_file.string() << "\n"
        << "per_listener_settings false\n"
        << "allow_anonymous false\n"
        << "password_file " << files.password_file.string() << "\n"
        << "acl_file " << files.acl_file.string() << "\n"
        << "persistence true\n"
        << "persistence_location " << files.persistence_directory.string() << "/\n"
        << "autosave_interval 60\n"
        << "max_queued_messages " << config.max_queued_messages << "\n";
    if (config.max_queued_bytes > 0) {
        out << "max_queued_bytes " << config.max_queued_bytes << "\n";
    }
    out << "message_size_limit " << config.message_size_limit << "\n"
        << "connection_messages true\n";
    if (config.log_to_file) {
        out << "log_dest file " << files.log_file.string() << "\n";
    } else {
        out << "log_dest stderr\n";
    }
    if (config.log_level == BrokerLogLevel::Debug) {
        out << "log_type all\n";
    } else {
        out << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
    }
    out << "\n# Plain listener: device id = username = client id.\n"
        << "listener " << config.port << " " << config.bind_address << "\n"
        << "protocol mqtt\n"
        << "use_username_as_clientid true\n";
    if (config.tls) {
        const BrokerTlsListener& tls = *config.tls;
        out << "\n# TLS listener.\n"
            << "listener " << tls.port << " " << tls.bind_address << "\n"
            << "protocol mqtt\n"
            << "cafile " << tls.ca_file.string() << "\n"
            << "certfile " << tls.cert_file.string() << "\n"
            << "keyfile " << tls.key_file.string() << "\n";
        if (tls.client_certificate == ClientCertificate::Required) {
            out << "require_certificate true\n"
                << "use_identity_as_username true\n";
        } else {
            out << "require_certificate false\n";
        }
        out << "use_username_as_clientid true\n";
    }
    if (config.bridge) {
        // write_broker_files() refuses a connection that does not render.
        out << render_bridge_connection(*config.bridge).value_or("");
    }
    return out.str();
}

Result<void> validate_accounts(const BrokerAccounts& accounts) {
    std::vector<std::string> problems;
    std::set<std::string> seen;
    // A district broker has no controller account: an empty username and hash.
    const bool has_controller =
        !accounts.controller.username.empty() || !accounts.controller.password_hash.empty();
    if (has_controller && !is_topic_level_safe(accounts.controller.username)) {
        problems.push_back("controller.username: '" + accounts.controller.username +
                           "' is not 1-64 characters of [A-Za-z0-9._-]");
    }
    if (has_controller) {
        seen.insert(accounts.controller.username);
    }
    for (std::size_t i = 0; i < accounts.peer_controllers.size(); ++i) {
        const ControllerAccount& peer = accounts.peer_controllers[i];
        const std::string where = "peer_controllers[" + std::to_string(i) + "]";
        if (!is_topic_level_safe(peer.username)) {
            problems.push_back(where + ".username: '" + peer.username +
                               "' is not 1-64 characters of [A-Za-z0-9._-]");
        } else if (!seen.insert(peer.username).second) {
            problems.push_back(where + ".username: '" + peer.username + "' is used twice");
        }
        if (!peer.password_hash.starts_with("$7$")) {
            problems.push_back(where + ".password_hash: not a $7$ hash");
        }
    }
    for (std::size_t i = 0; i < accounts.devices.size(); ++i) {
        const DeviceAccount& device = accounts.devices[i];
        const std::string where = "devices[" + std::to_string(i) + "]";
        if (!is_topic_level_safe(device.device_id)) {
            problems.push_back(where + ".device_id: '" + device.device_id +
                               "' is not 1-64 characters of [A-Za-z0-9._-]");
        } else if (!seen.insert(device.device_id).second) {
            problems.push_back(where + ".device_id: '" + device.device_id + "' is used twice");
        }
        for (std::size_t z = 0; z < device.zones.size(); ++z) {
            if (!is_topic_level_safe(device.zones[z])) {
                problems.push_back(where + ".zones[" + std::to_string(z) + "]: '" + device.zones[z] +
                                   "' is not 1-64 characters of [A-Za-z0-9._-]");
            }
        }
        if (!device.password_hash.empty() && !device.password_hash.starts_with("$7$")) {
            problems.push_back(where + ".password_hash: not a $7$ hash");
        }
    }
    for (std::size_t i = 0; i < accounts.bridges.size(); ++i) {
        const BridgeAccount& bridge = accounts.bridges[i];
        const std::string where = "bridges[" + std::to_string(i) + "]";
        if (!is_topic_level_safe(bridge.username)) {
            problems.push_back(where + ".username: '" + bridge.username +
                               "' is not 1-64 characters of [A-Za-z0-9._-]");
        } else if (!seen.insert(bridge.username).second) {
            problems.push_back(where + ".username: '" + bridge.username + "' is used twice");
        }
        if (!bridge.password_hash.starts_with("$7$")) {
            problems.push_back(where + ".password_hash: not a $7$ hash");
        }
        for (const std::string& zone : bridge.zones) {
            if (!is_topic_level_safe(zone)) {
                problems.push_back(where + ".zones: '" + zone + "' is not 1-64 characters of [A-Za-z0-9._-]");
            }
        }
        for (const std::string& device : bridge.devices) {
            if (!is_topic_level_safe(device)) {
                problems.push_back(where + ".devices: '" + device +
                                   "' is not 1-64 characters of [A-Za-z0-9._-]");
            }
        }
    }
    if (has_controller && !accounts.controller.password_hash.starts_with("$7$")) {
        problems.push_back("controller.password_hash: not a $7$ hash");
    }
    if (problems.empty()) {
        return {};
    }
    std::string detail;
    for (const auto& problem : problems) {
        detail += (detail.empty() ? "" : "; ") + problem;
    }
    return fail(Errc::InvalidInput, detail);
}

Result<std::string> render_password_file(const BrokerAccounts& accounts) {
    if (auto valid = validate_accounts(accounts); !valid) {
        return std::unexpected(valid.error());
    }
    std::string text;
    if (!accounts.controller.username.empty()) {
        text = accounts.controller.username + ":" + accounts.controller.password_hash + "\n";
    }
    for (const ControllerAccount& peer : accounts.peer_controllers)
        text += peer.username + ":" + peer.password_hash + "\n";
    for (const DeviceAccount& device : accounts.devices) {
        if (!device.password_hash.empty()) {
            text += device.device_id + ":" + device.password_hash + "\n";
        }
    }
    for (const IngestWorkerAccount& worker : accounts.ingest_workers)
        text += worker.username + ":" + worker.password_hash + "\n";
    for (const BridgeAccount& bridge : accounts.bridges)
        text += bridge.username + ":" + bridge.password_hash + "\n";
    return text;
}

std::string ingest_worker_acl(const IngestWorkerAccount& worker) {
    return "\n# A proof-of-play ingest worker: the shared pop subscription and the acks, nothing else.\n"
           "user " +
           worker.username +
           "\n"
           "topic read bantin/v1/dev/+/pop\n"
           "topic write bantin/v1/dev/+/ack\n";
}

Result<std::string> render_acl_file(const BrokerAccounts& accounts) {
    if (auto valid = validate_accounts(accounts); !valid) {
        return std::unexpected(valid.error());
    }
    std::ostringstream out;
    out << "# Generated by Bantin (bantin::protocol::write_broker_files); regenerate, do not edit.\n"
        << "# %u is the username, which is the device id (and, by use_username_as_clientid, the\n"
        << "# client id). Anything not granted here is denied.\n"
        << "pattern read bantin/v1/dev/%u/bundle\n"
        << "pattern read bantin/v1/dev/%u/cmd\n"
        << "pattern read bantin/v1/dev/%u/ack\n"
        << "pattern write bantin/v1/dev/%u/status\n"
        << "pattern write bantin/v1/dev/%u/pop\n";
    if (!accounts.controller.username.empty()) {
        out << "\nuser " << accounts.controller.username << "\n"
            << "topic readwrite bantin/#\n";
    }
    for (const ControllerAccount& peer : accounts.peer_controllers)
        out << "\n# Another controller of the cluster.\nuser " << peer.username << "\n"
            << "topic readwrite bantin/#\n";
    for (const DeviceAccount& device : accounts.devices) {
        out << "\nuser " << device.device_id << "\n"
            << "topic read bantin/v1/alert/all\n";
        for (const std::string& zone : device.zones) {
            out << "topic read bantin/v1/alert/zone/" << zone << "\n"
                << "topic read bantin/v1/live/zone/" << zone << "\n";
        }
    }
    for (const IngestWorkerAccount& worker : accounts.ingest_workers) out << ingest_worker_acl(worker);
    for (const BridgeAccount& bridge : accounts.bridges) out << bridge_account_acl(bridge);
    return out.str();
}

Result<BrokerFiles> write_broker_files(const BrokerConfig& config, const BrokerAccounts& accounts) {
    auto passwords = render_password_file(accounts);
    if (!passwords) {
        return std::unexpected(passwords.error());
    }
    auto acl = render_acl_file(accounts);
    if (!acl) {
        return std::unexpected(acl.error());
    }
    if (config.bridge) {
        if (auto bridge = render_bridge_connection(*config.bridge); !bridge) {
            return std::unexpected(bridge.error());
        }
    }
    auto owner = broker_file_owner(config);
    if (!owner) {
        return std::unexpected(owner.error());
    }
    const BrokerFiles files = broker_file_paths(config);
    std::error_code error;
    std::filesystem::create_directories(files.persistence_directory, error);
    if (error) {
        return fail(Errc::Io, files.persistence_directory.string() + ": " + error.message());
    }
    if (*owner) {
        if (auto r = hand_directory_to(files.persistence_directory, **owner); !r) {
            return std::unexpected(r.error());
        }
    }
    using detail::FileAccess;
    if (auto r = detail::replace_file(files.password_file, *passwords, FileAccess::OwnerOnly, *owner); !r) {
        return std::unexpected(r.error());
    }
    if (auto r = detail::replace_file(files.acl_file, *acl, FileAccess::OwnerOnly, *owner); !r) {
        return std::unexpected(r.error());
    }
    BrokerConfig effective = config;
    effective.max_queued_messages = effective_max_queued_messages(config, accounts.devices.size());
    // A district's mosquitto.conf holds the bridge's password: 0600 (Mosquitto reads it before
    // dropping privileges).
    const FileAccess config_access = config.bridge ? FileAccess::OwnerOnly : FileAccess::Public;
    if (auto r = detail::replace_file(files.config_file, render_mosquitto_conf(effective), config_access);
        !r) {
        return std::unexpected(r.error());
    }
    return files;
}

std::string hash_broker_password(std::string_view password, std::span<const unsigned char> salt,
                                 unsigned iterations) {
    const auto hash = pbkdf2_sha512(password, salt, iterations);
    return "$7$" + std::to_string(iterations) + "$" + to_base64(salt) + "$" + to_base64(hash);
}

Result<std::string> hash_broker_password(std::string_view password) {
    if (sodium_init() < 0) {
        return fail(Errc::Crypto, "libsodium failed to initialise");
    }
    std::array<unsigned char, kSaltBytes> salt{};
    randombytes_buf(salt.data(), salt.size());
    return hash_broker_password(password, salt, kDefaultIterations);
}

Result<bool> verify_broker_password(std::string_view hash, std::string_view password) {
    // $7$<iterations>$<salt>$<hash>
    if (!hash.starts_with("$7$")) {
        return fail(Errc::InvalidInput, "password hash: expected a $7$ (PBKDF2-SHA512) hash");
    }
    std::string_view rest = hash.substr(3);
    const auto first = rest.find('$');
    const auto second = first == std::string_view::npos ? first : rest.find('$', first + 1);
    if (second == std::string_view::npos) {
        return fail(Errc::InvalidInput, "password hash: expected $7$<iterations>$<salt>$<hash>");
    }
    unsigned iterations = 0;
    for (char c : rest.substr(0, first)) {
        if (c < '0' || c > '9' || iterations > 10'000'000) {
            return fail(Errc::InvalidInput, "password hash: iterations is not a number");
        }
        iterations = iterations * 10 + static_cast<unsigned>(c - '0');
    }
    auto salt = from_base64(rest.substr(first + 1, second - first - 1));
    auto expected = from_base64(rest.substr(second + 1));
    if (iterations == 0 || !salt || !expected || expected->size() != kHashBytes) {
        return fail(Errc::InvalidInput, "password hash: bad iterations, salt or hash");
    }
    const auto actual = pbkdf2_sha512(password, *salt, iterations);
    return sodium_memcmp(actual.data(), expected->data(), kHashBytes) == 0;
}

Result<pid_t> read_broker_pid(const std::filesystem::path& pid_file) {
    std::ifstream in(pid_file);
    if (!in) {
        return fail(Errc::NotFound, pid_file.string() + ": cannot open");
    }
    long pid = 0;
    if (!(in >> pid) || pid <= 0) {
        return fail(Errc::InvalidInput, pid_file.string() + ": no pid");
    }
    return static_cast<pid_t>(pid);
}

Result<void> reload_broker(pid_t pid) {
    if (::kill(pid, SIGHUP) != 0) {
        const int error = errno;
        return fail(error == ESRCH ? Errc::NotFound : Errc::Io,
                    "SIGHUP to broker pid " + std::to_string(pid) + ": " + std::strerror(error));
    }
    return {};
}

}  // namespace bantin::protocol
