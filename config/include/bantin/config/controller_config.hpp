#pragma once
// The controller's configuration (controller.toml): schema, defaults, loading, validation
// and rendering back to TOML. docs/config.md lists every key.
//
// Lifecycle: load once at start-up (or for `--check-config`), then pass the plain struct
// (or its sections) to whoever needs it; nothing here keeps state. Any thread may call these
// functions.
//
// Errors: a file that cannot be read is Errc::NotFound or Errc::Io. A file that does not
// parse, has a key of the wrong type, a value out of range, a missing required key or an
// unknown key (a typo must not silently fall back to a default) is Errc::InvalidInput whose
// detail lists every problem, one per line, in file order:
//   controller.toml:12: http.port: must be a port number between 1 and 65535
//   controller.toml:20: mqtt.keepalive: unknown key (did you mean "keepalive_s"?)
// Keys carry their unit in their name (_s, _ms, _min, _h, _days, _mb).

#include "bantin/common/error.hpp"
#include "bantin/config/types.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::config {

// Who faces the network on http.listen_address:http.port: nginx run by the controller, in
// front of the API server on 127.0.0.1:backend_port (docs/api.md, "The HTTP front"), or the
// API server itself (none: only for tests and a controller behind a proxy you run yourself).
enum class HttpFront { Nginx, None };

std::string_view to_string(HttpFront front);

struct HttpConfig {
    std::string listen_address = "127.0.0.1";
    int port = 8080;
    HttpFront front = HttpFront::Nginx;
    std::filesystem::path nginx_binary = "/usr/sbin/nginx";
    // The API server's loopback port behind the front; 0: a free port picked at each start.
    int backend_port = 0;
    // Connections one client address may hold open through the front (nginx limit_conn);
    // 127.0.0.1 is not limited (a proxy on the same host).
    int connections_per_address = 256;
    // Base URL devices use for media links in bundles; empty: http://<listen_address>:<port>.
    std::string public_base_url;
    // The web console's files (index.html, *.js, *.css), served under `/`. Empty: the installed
    // <prefix>/share/bantin/web, or the source tree's web/, found from the executable's path.
    std::filesystem::path web_root;
    // The public notice board (/cong-khai): requests one client address may make, on average per
    // second and in a burst, before it is answered 429.
    int public_requests_per_s = 10;
    int public_burst = 40;
    std::string base_url() const;
    bool operator==(const HttpConfig&) const = default;
};

struct AuthConfig {
    std::chrono::hours session_ttl{12};
    int login_max_attempts = 5;
    std::chrono::seconds login_window{300};
    bool operator==(const AuthConfig&) const = default;
};

// Where the store keeps its tables (docs/store.md): an SQLite file in data_dir (embedded, the
// default), or a PostgreSQL database (a province's controllers sharing one server).
enum class StorageBackend { Sqlite, Postgresql };
std::string_view to_string(StorageBackend backend);

struct StorageConfig {
    StorageBackend backend = StorageBackend::Sqlite;
    // libpq connection string or URI (backend = "postgresql"); may hold a password.
    std::string postgresql;
    std::filesystem::path data_dir = "/var/lib/bantin";
    std::filesystem::path database = "bantin.sqlite3";  // relative to data_dir
    std::filesystem::path media_dir = "media";          // relative to data_dir
    std::int64_t max_upload_mb = 512;
    // Proof-of-play rows are kept whole this many days, then folded into per-day summaries;
    // 0 keeps every row (docs/store.md, "Proof-of-play retention").
    std::int64_t proof_retention_days = 400;
    bool operator==(const StorageConfig&) const = default;
};

// The controller's own MQTT connection (publisher, ingest).
struct MqttClientConfig {
    std::string host = "127.0.0.1";
    int port = 1883;
    std::string username = "controller";
    std::filesystem::path password_file;  // first line is the password; or use `password`
    std::string password;
    std::string client_id = "controller";
    std::chrono::seconds keepalive{30};
    Backoff reconnect;
    // Proof-of-play and status ingest use the shared subscription $share/<group>/...
    std::string ingest_share_group = "bantin-ingest";
    ClientTls tls;
    bool operator==(const MqttClientConfig&) const = default;
};

// Required: a device logs in with a client certificate whose CN is its device id
// (Mosquitto's require_certificate + use_identity_as_username); Optional: with its password.
enum class ClientCertificate { Optional, Required };

std::string_view to_string(ClientCertificate mode);

struct BrokerTlsConfig {
    bool enabled = false;
    std::string listen_address = "0.0.0.0";
    int port = 8883;
    std::filesystem::path ca_file;
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    ClientCertificate client_certificate = ClientCertificate::Optional;
    bool operator==(const BrokerTlsConfig&) const = default;
};

enum class BrokerLogLevel { Normal, Debug };

std::string_view to_string(BrokerLogLevel level);

// The Mosquitto the controller generates a configuration for and, when `manage`, runs.
// Maps onto bantin::protocol::BrokerConfig, which names the files inside config_dir
// (mosquitto.conf, passwd, acl, persistence/).
struct BrokerConfig {
    bool manage = true;
    std::filesystem::path mosquitto_binary = "/usr/sbin/mosquitto";
    std::filesystem::path config_dir = "broker";  // relative to storage.data_dir
    std::string listen_address = "127.0.0.1";
    int port = 1883;
    int max_queued_messages = 10000;  // per client; the controller's session must hold a status per device
    std::string run_as_user;          // Mosquitto's `user`; empty: its default
    BrokerLogLevel log_level = BrokerLogLevel::Normal;
    BrokerTlsConfig tls;
    // The broker's host as devices reach it, written into provisioning files. Empty: the
    // address of the listener devices use (the TLS one when TLS is on).
    std::string public_host;
    std::string device_host() const {
        if (!public_host.empty())
            return public_host;
        return tls.enabled ? tls.listen_address : listen_address;
    }
    bool operator==(const BrokerConfig&) const = default;
};

struct KeysConfig {
    std::filesystem::path signing_key_file = "keys/controller.key";  // relative to data_dir
    std::string key_id;                                              // empty: derived from the public key
    bool operator==(const KeysConfig&) const = default;
};

struct AlertsConfig {
    bool one_person_live_alerts = false;
    std::chrono::minutes default_expiry{60};
    std::chrono::minutes confirm_timeout{10};
    bool operator==(const AlertsConfig&) const = default;
};

// Live channels (docs/api.md "Live channels"): the Icecast server an operator's source publishes
// to and devices listen on.
struct LiveConfig {
    std::string icecast_url;  // "http://host:port", as devices reach it; empty: live channels are off
    std::string source_user = "source";
    std::filesystem::path
        source_password_file;                // first line: Icecast's source password (relative to data_dir)
    std::chrono::minutes max_duration{120};  // a channel nobody closes ends this long after it opened
    bool operator==(const LiveConfig&) const = default;
};

struct TtsConfig {
    std::string voice = "vi-vn-x-south";
    std::filesystem::path espeak_binary = "/usr/bin/espeak-ng";
    int words_per_minute = 150;
    TtsEngineConfig engine;  // engine, command, url, timeout_s
    bool operator==(const TtsConfig&) const = default;
};

// Streams an editor adds by URL (docs/api.md "Streams"): the controller reads each one's header
// once with ffprobe, behind the fence of media/stream_source.hpp.
struct StreamsConfig {
    // Loopback sources (an Icecast server on the controller's own machine) may be probed.
    bool allow_local_sources = false;
    std::chrono::seconds probe_timeout{10};  // the whole ffprobe run
    bool operator==(const StreamsConfig&) const = default;
};

struct CapConfig {
    bool match_area_desc = true;
    std::map<std::string, std::string> geocodes;  // CAP geocode value -> zone id
    bool operator==(const CapConfig&) const = default;
};

struct DevicesConfig {
    std::string default_time_zone = "Asia/Ho_Chi_Minh";
    std::chrono::days bundle_validity{30};
    std::chrono::seconds command_expiry{300};
    // A device behind its desired bundle (or back online) gets its bundle and alerts published
    // again at most once per this interval (docs/fleet.md, "Delivery repair").
    std::chrono::seconds delivery_repair_interval{30};
    bool operator==(const DevicesConfig&) const = default;
};

struct IngestConfig {
    // A device online and playing with no proof-of-play row committed for this long is
    // reported (log at error, fleet view); 0: never.
    std::chrono::seconds stall_alarm{600};
    bool operator==(const IngestConfig&) const = default;
};

// Several controllers on one PostgreSQL (docs/architecture.md, "Several controllers"): the
// publisher lease. Unused by a controller on SQLite, which always publishes.
struct ClusterConfig {
    // Every interval a controller tries to take the lease, or checks the one it holds.
    std::chrono::milliseconds lease_interval{1000};
    // A holder stops publishing this long after its last answered check was sent; a new holder
    // starts this long after it took the lease. At least 3 x lease_interval.
    std::chrono::milliseconds lease_ttl{3000};
    bool operator==(const ClusterConfig&) const = default;
};

// The public notice board as residents reach it (docs/public.md).
struct PublicConfig {
    // Base URL of the board for people, e.g. "https://bantin.tanuyen.gov.vn": a screen's header
    // shows a QR code of <base>/cong-khai/<zone>. Empty: no QR code.
    std::string board_base_url;
    bool operator==(const PublicConfig&) const = default;
};

struct ControllerConfig {
    HttpConfig http;
    AuthConfig auth;
    StorageConfig storage;
    MqttClientConfig mqtt;
    BrokerConfig broker;
    KeysConfig keys;
    AlertsConfig alerts;
    LiveConfig live;
    TtsConfig tts;
    StreamsConfig streams;
    CapConfig cap;
    DevicesConfig devices;
    IngestConfig ingest;
    PublicConfig public_board;  // [public]
    ClusterConfig cluster;
    LogConfig log;

    // Paths with their relative parts resolved (see the field comments).
    std::filesystem::path database_path() const;
    std::filesystem::path media_path() const;
    std::filesystem::path signing_key_path() const;
    std::filesystem::path broker_config_path() const;
    std::filesystem::path live_source_password_path() const;

    bool operator==(const ControllerConfig&) const = default;
};

Result<ControllerConfig> load_controller_config(const std::filesystem::path& path);
// `source_name` is what error lines start with (usually the file name).
Result<ControllerConfig> load_controller_config_from_string(std::string_view text,
                                                            std::string_view source_name);

// The configuration as commented TOML that loads back to an equal struct;
// render_controller_config(ControllerConfig{}) is `--print-default-config`.
std::string render_controller_config(const ControllerConfig& config);

// Every key as a dotted path ("mqtt.tls.ca_file"), in file order.
std::vector<std::string> controller_config_keys();

}  // namespace bantin::config
