#include "bantin/config/controller_config.hpp"

#include "enums.hpp"
#include "schema.hpp"
#include "tts_keys.hpp"

#include <date/tz.h>
#include <algorithm>

#include <exception>

namespace bantin::config {

namespace {

using detail::at_least;
using detail::between;
using detail::not_empty;
using detail::port_number;

auto http_url_or_empty() {
    return [](const std::string& value) -> std::optional<std::string> {
        if (value.empty() || value.starts_with("http://") || value.starts_with("https://"))
            return std::nullopt;
        return "must start with http:// or https://, got " + detail::quote(value);
    };
}

// The public board's base URL: empty, or http(s) without spaces and short enough that a zone's
// board address (base + "/cong-khai/" + zone id) stays within a device's 512 bytes.
auto board_base_url() {
    return [](const std::string& value) -> std::optional<std::string> {
        if (auto scheme = http_url_or_empty()(value))
            return scheme;
        if (value.size() > 400)
            return "must be at most 400 bytes, got " + std::to_string(value.size());
        if (std::ranges::any_of(value, [](char c) { return static_cast<unsigned char>(c) <= 0x20; }))
            return "must not contain spaces or control characters, got " + detail::quote(value);
        return std::nullopt;
    };
}

auto absolute_or_empty() {
    return [](const std::filesystem::path& value) -> std::optional<std::string> {
        if (value.empty() || value.is_absolute())
            return std::nullopt;
        return "must be an absolute path, got " + detail::quote(value.string());
    };
}

auto no_spaces() {
    return [](const std::string& value) -> std::optional<std::string> {
        if (value.find_first_of(" \t\r\n") != std::string::npos)
            return std::string("must not contain spaces");
        return std::nullopt;
    };
}

// The one description of controller.toml: loading, rendering and the key list all walk it.
template <class Visitor, class Config>
void describe_controller(Visitor& v, Config& c) {
    v.table("http", "HTTP API, web UI and media downloads for devices.", [&] {
        v.key("listen_address", c.http.listen_address, "Address the HTTP server binds to.", not_empty());
        v.key("port", c.http.port, "TCP port of the HTTP server.", port_number());
        v.key("front", c.http.front,
              "nginx: the controller runs nginx on listen_address:port in front of its API server, which "
              "then listens on 127.0.0.1:backend_port only (slow clients, request framing, body limits); "
              "none: the API server binds listen_address:port itself (tests, or your own proxy).");
        v.key("nginx_binary", c.http.nginx_binary, "nginx executable (front = \"nginx\").", not_empty());
        v.key("backend_port", c.http.backend_port,
              "Loopback port of the API server behind the front; 0: a free port picked at each start.",
              between(0, 65535));
        v.key("connections_per_address", c.http.connections_per_address,
              "Connections one client address may hold open through the front (nginx limit_conn); "
              "127.0.0.1 is not limited.",
              between(1, 100000));
        v.key("public_base_url", c.http.public_base_url,
              "Base URL devices use for media links in bundles (http:// or https://). Empty: "
              "http://<listen_address>:<port>.",
              http_url_or_empty());
        v.key("web_root", c.http.web_root,
              "Directory of the web console's files, served under /. Empty: <prefix>/share/bantin/web or "
              "the source tree's web/, found from the executable's path.",
              absolute_or_empty());
        v.key("public_requests_per_s", c.http.public_requests_per_s,
              "Requests one client address may make to the public notice board per second on average.",
              between(1, 1000000));
        v.key("public_burst", c.http.public_burst,
              "Requests one client address may make to the public notice board at once.",
              between(1, 1000000));
    });
    v.table("auth", "Sessions and login limits.", [&] {
        v.key("session_ttl_h", c.auth.session_ttl, "Hours a login session stays valid.", between(1, 24 * 30));
        v.key("login_max_attempts", c.auth.login_max_attempts,
              "Failed logins allowed per user and address within login_window_s before further attempts "
              "are refused.",
              between(1, 1000));
        v.key("login_window_s", c.auth.login_window, "Window, in seconds, for counting failed logins.",
              between(1, 86400));
    });
    v.table("storage", "Where the controller keeps its database and media.", [&] {
        v.key("data_dir", c.storage.data_dir,
              "Data directory; relative paths elsewhere in this file are relative to it.", not_empty());
        v.key("backend", c.storage.backend,
              "sqlite: the store is the database file below (embedded, the default); postgresql: the "
              "store is the PostgreSQL database named by postgresql.");
        v.key("postgresql", c.storage.postgresql,
              "libpq connection string (\"host=127.0.0.1 port=5432 dbname=bantin user=bantin\") or URI "
              "(\"postgresql://bantin@127.0.0.1/bantin\") of the store when backend = \"postgresql\".");
        v.key("database", c.storage.database,
              "SQLite database file (relative to data_dir); with backend = \"postgresql\" only the fleet "
              "history (<database>.fleet) stays in SQLite.",
              not_empty());
        v.key("media_dir", c.storage.media_dir, "Content-addressed media store (relative to data_dir).",
              not_empty());
        v.key("max_upload_mb", c.storage.max_upload_mb, "Largest accepted upload, in MB.",
              between(1, 1024 * 1024));
        v.key("proof_retention_days", c.storage.proof_retention_days,
              "Days proof-of-play rows are kept whole before they are folded into per-day summaries "
              "(0 = keep every row).",
              between(0, 36500));
    });
    v.table("mqtt", "The controller's own connection to the MQTT broker.", [&] {
        v.key("host", c.mqtt.host, "Broker host name or address.", not_empty());
        v.key("port", c.mqtt.port, "Broker port (8883 is usual with TLS).", port_number());
        v.key("username", c.mqtt.username, "MQTT user name of the controller.", not_empty());
        v.key("password_file", c.mqtt.password_file,
              "File whose first line is the MQTT password. Set this or password, not both.");
        v.key("password", c.mqtt.password, "MQTT password inline; prefer password_file.");
        v.key("client_id", c.mqtt.client_id, "MQTT client id.", not_empty(), no_spaces());
        v.key("keepalive_s", c.mqtt.keepalive, "MQTT keepalive, in seconds.", between(5, 3600));
        v.key("reconnect_min_ms", c.mqtt.reconnect.minimum, "First reconnect delay, in milliseconds.",
              between(10, 3600000));
        v.key("reconnect_max_ms", c.mqtt.reconnect.maximum,
              "Longest reconnect delay, in milliseconds; the delay doubles up to it.", between(10, 3600000));
        v.key("ingest_share_group", c.mqtt.ingest_share_group,
              "Shared-subscription group for proof-of-play and status ingest ($share/<group>/...).",
              not_empty(), no_spaces());
        v.table("tls", "TLS to the broker: on when ca_file is set.", [&] {
            v.key("ca_file", c.mqtt.tls.ca_file,
                  "CA certificate (PEM) that signed the broker's certificate.");
            v.key("cert_file", c.mqtt.tls.cert_file, "Client certificate (PEM); needs key_file.");
            v.key("key_file", c.mqtt.tls.key_file, "Private key (PEM) of cert_file.");
        });
    });
    v.table(
        "broker",
        "The Mosquitto the controller configures: mosquitto.conf, passwd and acl in config_dir are generated "
        "from the device registry.",
        [&] {
            v.key("manage", c.broker.manage,
                  "Run Mosquitto as a child process (true) or only write its files for a broker run "
                  "elsewhere (false).");
            v.key("mosquitto_binary", c.broker.mosquitto_binary, "Mosquitto executable.", not_empty());
            v.key("config_dir", c.broker.config_dir,
                  "Directory of the generated mosquitto.conf, passwd, acl and the broker's persistence "
                  "(relative to storage.data_dir).",
                  not_empty());
            v.key("listen_address", c.broker.listen_address, "Address of the plain MQTT listener.",
                  not_empty());
            v.key("port", c.broker.port, "Port of the plain MQTT listener.", port_number());
            v.key("public_host", c.broker.public_host,
                  "Broker host name or address as devices reach it, written into their provisioning files. "
                  "Empty: the address of the listener devices use (the TLS one when TLS is on); a wildcard "
                  "address there (0.0.0.0) needs this set before devices can be registered.",
                  no_spaces());
            v.key("max_queued_messages", c.broker.max_queued_messages,
                  "Mosquitto's per-client queue limit; past it QoS 1 messages are dropped silently.",
                  between(1, 1000000));
            v.key("run_as_user", c.broker.run_as_user,
                  "Account Mosquitto drops to when started as root; empty: Mosquitto's default.",
                  no_spaces());
            v.key("log_level", c.broker.log_level,
                  "normal (connections and errors) or debug (also every packet and ACL denial).");
            v.table("tls", "Optional TLS listener for devices.", [&] {
                v.key("enabled", c.broker.tls.enabled, "Open the TLS listener.");
                v.key("listen_address", c.broker.tls.listen_address, "Address of the TLS listener.",
                      not_empty());
                v.key("port", c.broker.tls.port, "Port of the TLS listener.", port_number());
                v.key("ca_file", c.broker.tls.ca_file,
                      "CA certificate (PEM); also checks client certificates.");
                v.key("cert_file", c.broker.tls.cert_file, "Server certificate (PEM).");
                v.key("key_file", c.broker.tls.key_file, "Private key (PEM) of cert_file.");
                v.key("client_certificate", c.broker.tls.client_certificate,
                      "optional: devices log in with their password; required: with a client certificate "
                      "signed by ca_file whose CN is the device id, and no password.");
            });
        });
    v.table("keys", "The Ed25519 key that signs everything sent to devices.", [&] {
        v.key("signing_key_file", c.keys.signing_key_file,
              "Secret key file (relative to storage.data_dir), readable only by the controller.",
              not_empty());
        v.key("key_id", c.keys.key_id,
              "Key id carried in signed envelopes. Empty: derived from the public key.", no_spaces());
    });
    v.table("alerts", "Emergency alerts.", [&] {
        v.key("one_person_live_alerts", c.alerts.one_person_live_alerts,
              "Allow one operator to send a live alert without a second operator's confirmation. Exercises "
              "and cancels never need one.");
        v.key("default_expiry_min", c.alerts.default_expiry,
              "Expiry of an alert that does not give one, in minutes.", between(1, 7 * 24 * 60));
        v.key("confirm_timeout_min", c.alerts.confirm_timeout,
              "Minutes a live alert waits for its confirmation before it lapses.", between(1, 24 * 60));
    });
    v.table("live", "Live channels: an operator speaks to chosen zones through an Icecast server.", [&] {
        v.key("icecast_url", c.live.icecast_url,
              "Icecast server as devices reach it, \"http://host:port\"; empty: live channels are off.",
              no_spaces());
        v.key("source_user", c.live.source_user, "Icecast source user name.", not_empty(), no_spaces());
        v.key("source_password_file", c.live.source_password_file,
              "File whose first line is Icecast's source password (relative to storage.data_dir).");
        v.key("max_duration_min", c.live.max_duration,
              "Minutes after which a channel nobody closed ends by itself.", between(1, 12 * 60));
    });
    v.table("tts",
            "Text-to-speech for notices and alerts: espeak-ng, or a command or HTTP service that espeak-ng "
            "stands in for when it fails.",
            [&] {
                v.key("voice", c.tts.voice,
                      "Voice: an espeak-ng voice, or the name a command or http engine is given ({voice}; "
                      "ASCII letters, digits and ._+-).",
                      not_empty(), no_spaces());
                v.key("espeak_binary", c.tts.espeak_binary, "espeak-ng executable.", not_empty());
                v.key("words_per_minute", c.tts.words_per_minute, "Speaking rate of espeak-ng.",
                      between(80, 450));
                detail::describe_tts_engine(v, c.tts.engine);
            });
    v.table("streams", "Streams added by URL (relays of a station), probed once by the controller.", [&] {
        v.key(
            "allow_local_sources", c.streams.allow_local_sources,
            "Allow sources on the controller's own machine (loopback). Link-local, multicast and unspecified "
            "addresses are refused whatever this says.");
        v.key("probe_timeout_s", c.streams.probe_timeout, "Seconds the probe of a new stream may take.",
              between(2, 60));
    });
    v.table("cap", "Import of CAP 1.2 alerts.", [&] {
        v.key("match_area_desc", c.cap.match_area_desc,
              "Also map an <area> to zones by its areaDesc when it equals a zone's name.");
        v.key("geocodes", c.cap.geocodes, "CAP <geocode> value -> Bantin zone id.");
    });
    v.table("devices", "Defaults and limits for devices and what is sent to them.", [&] {
        v.key("default_time_zone", c.devices.default_time_zone,
              "IANA time zone of devices registered without one.", detail::known_time_zone(false));
        v.key("bundle_validity_days", c.devices.bundle_validity,
              "Days a published bundle stays valid; a device offline longer stops playing it.",
              between(1, 365));
        v.key("command_expiry_s", c.devices.command_expiry, "Seconds a device command stays valid.",
              between(5, 86400));
        v.key("delivery_repair_interval_s", c.devices.delivery_repair_interval,
              "Seconds between two republications of a lagging device's bundle and alerts (delivery repair).",
              between(1, 3600));
    });
    v.table("ingest", "Proof-of-play ingest.", [&] {
        v.key("stall_alarm_s", c.ingest.stall_alarm,
              "Seconds a device may be online and playing with no proof-of-play row committed before the "
              "controller logs an error and the fleet view marks it (proof_stalled_since); 0: never.",
              between(0, 7 * 86400));
    });
    v.table("public", "The public notice board as residents reach it.", [&] {
        v.key("board_base_url", c.public_board.board_base_url,
              "Base URL of the public board for people (http:// or https://, at most 400 bytes); screens "
              "whose layout has a header show a QR code of <base>/cong-khai/<zone>. Empty: no QR code.",
              board_base_url());
    });
    v.table("cluster", "Several controllers on one PostgreSQL: the publisher lease (unused on SQLite).", [&] {
        v.key("lease_interval_ms", c.cluster.lease_interval,
              "Milliseconds between two attempts to take the publisher lease, or two checks of the held one.",
              between(100, 60000));
        v.key("lease_ttl_ms", c.cluster.lease_ttl,
              "Milliseconds a holder keeps publishing after its last answered check was sent, and a new "
              "holder waits before it publishes; at least 3 x lease_interval_ms. Takeover after a crash "
              "takes at most lease_interval_ms + lease_ttl_ms.",
              between(300, 600000));
    });
    v.table("log", "Logging.",
            [&] { v.key("level", c.log.level, "One of trace, debug, info, warn, error, critical, off."); });
}

void cross_check_controller(const ControllerConfig& c, detail::Loader& loader) {
    if (c.storage.backend == StorageBackend::Postgresql && c.storage.postgresql.empty())
        loader.cross_issue("storage.postgresql",
                           "bắt buộc khi storage.backend là \"postgresql\"; required when storage.backend is "
                           "\"postgresql\"",
                           {"storage.backend"});
    detail::cross_check_tts_engine(c.tts.engine, loader, "tts");
    if (c.tts.engine.engine != TtsEngine::Espeak && !detail::plain_engine_voice(c.tts.voice)) {
        loader.cross_issue(
            "tts.voice",
            "giọng đọc của engine command hoặc http chỉ gồm chữ cái, chữ số và ._+- (không bắt đầu "
            "bằng -); a command or http engine's voice is ASCII letters, digits and ._+- (not "
            "starting with -)",
            {"tts.engine"});
    }
    if (c.cluster.lease_ttl < 3 * c.cluster.lease_interval) {
        loader.cross_issue("cluster.lease_ttl_ms",
                           "phải ít nhất gấp 3 lần cluster.lease_interval_ms; must be at least 3 x "
                           "cluster.lease_interval_ms",
                           {"cluster.lease_interval_ms"});
    }
    if (!c.mqtt.password.empty() && !c.mqtt.password_file.empty()) {
        loader.cross_issue("mqtt.password", "set either password or password_file, not both",
                           {"mqtt.password_file"});
    }
    if (!c.live.icecast_url.empty() && c.live.source_password_file.empty()) {
        loader.cross_issue("live.source_password_file", "required when live.icecast_url is set",
                           {"live.icecast_url"});
    }
    if (!c.live.icecast_url.empty() && !c.live.icecast_url.starts_with("http://") &&
        !c.live.icecast_url.starts_with("https://")) {
        loader.cross_issue("live.icecast_url", "must start with http:// or https://");
    }
    if (c.mqtt.reconnect.minimum > c.mqtt.reconnect.maximum) {
        loader.cross_issue("mqtt.reconnect_min_ms", "must not exceed reconnect_max_ms",
                           {"mqtt.reconnect_max_ms"});
    }
    if (!c.mqtt.tls.cert_file.empty() && c.mqtt.tls.key_file.empty()) {
        loader.cross_issue("mqtt.tls.cert_file", "needs mqtt.tls.key_file as well", {"mqtt.tls.key_file"});
    }
    if (!c.mqtt.tls.key_file.empty() && c.mqtt.tls.cert_file.empty()) {
        loader.cross_issue("mqtt.tls.key_file", "needs mqtt.tls.cert_file as well", {"mqtt.tls.cert_file"});
    }
    if (!c.mqtt.tls.cert_file.empty() && c.mqtt.tls.ca_file.empty()) {
        loader.cross_issue("mqtt.tls.cert_file", "needs mqtt.tls.ca_file (TLS is on only with a CA)",
                           {"mqtt.tls.ca_file"});
    }
    if (c.http.front == HttpFront::Nginx && c.http.backend_port != 0 && c.http.backend_port == c.http.port &&
        (c.http.listen_address == "127.0.0.1" || c.http.listen_address == "0.0.0.0")) {
        loader.cross_issue("http.backend_port", "must differ from http.port", {"http.port"});
    }
    const BrokerTlsConfig& tls = c.broker.tls;
    if (tls.enabled) {
        // Mosquitto needs a CA for any certificate-based listener.
        if (tls.ca_file.empty())
            loader.cross_issue("broker.tls.ca_file", "required when broker.tls.enabled");
        if (tls.cert_file.empty())
            loader.cross_issue("broker.tls.cert_file", "required when broker.tls.enabled");
        if (tls.key_file.empty())
            loader.cross_issue("broker.tls.key_file", "required when broker.tls.enabled");
        if (tls.port == c.broker.port) {
            loader.cross_issue("broker.tls.port", "must differ from broker.port", {"broker.port"});
        }
    }
    if (c.broker.manage) {
        const bool plain = c.mqtt.port == c.broker.port;
        const bool secure = tls.enabled && c.mqtt.port == tls.port;
        if (!plain && !secure) {
            std::string message = "must equal broker.port (" + std::to_string(c.broker.port) + ")";
            if (tls.enabled)
                message += " or broker.tls.port (" + std::to_string(tls.port) + ")";
            loader.cross_issue("mqtt.port", message + " while broker.manage is true",
                               {"broker.port", "broker.tls.port"});
        }
    }
}

}  // namespace

std::string HttpConfig::base_url() const {
    if (!public_base_url.empty())
        return public_base_url;
    return "http://" + listen_address + ":" + std::to_string(port);
}

std::filesystem::path ControllerConfig::database_path() const {
    return resolve_path(storage.data_dir, storage.database);
}
std::filesystem::path ControllerConfig::media_path() const {
    return resolve_path(storage.data_dir, storage.media_dir);
}
std::filesystem::path ControllerConfig::signing_key_path() const {
    return resolve_path(storage.data_dir, keys.signing_key_file);
}
std::filesystem::path ControllerConfig::broker_config_path() const {
    return resolve_path(storage.data_dir, broker.config_dir);
}
std::filesystem::path ControllerConfig::live_source_password_path() const {
    return resolve_path(storage.data_dir, live.source_password_file);
}

Result<ControllerConfig> load_controller_config_from_string(std::string_view text,
                                                            std::string_view source_name) {
    return detail::load_from_string<ControllerConfig>(
        text, source_name, [](auto& visitor, auto& config) { describe_controller(visitor, config); },
        cross_check_controller);
}

Result<ControllerConfig> load_controller_config(const std::filesystem::path& path) {
    auto text = detail::read_file(path);
    if (!text)
        return std::unexpected(text.error());
    return load_controller_config_from_string(*text, path.string());
}

std::string render_controller_config(const ControllerConfig& config) {
    detail::Renderer renderer(
        "Bantin controller configuration. Every key is optional; a missing key takes the value shown "
        "here. Check a file with: bantin-controller --check-config FILE");
    describe_controller(renderer, config);
    return renderer.text();
}

std::vector<std::string> controller_config_keys() {
    detail::KeyLister lister;
    const ControllerConfig config;
    describe_controller(lister, config);
    return std::move(lister).keys();
}

}  // namespace bantin::config
