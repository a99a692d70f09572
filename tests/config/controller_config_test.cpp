#include "bantin/config/controller_config.hpp"

#include "config_test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace bantin::config;
using bantin::config::test::error_lines;

namespace {

auto load_controller(std::string_view text) {
    return load_controller_config_from_string(text, "controller.toml");
}

}  // namespace

TEST_CASE("an empty controller file gives every default", "[config][controller][defaults]") {
    auto config = load_controller("");
    REQUIRE(config);
    CHECK(*config == ControllerConfig{});
    CHECK(config->http.listen_address == "127.0.0.1");
    CHECK(config->http.port == 8080);
    CHECK(config->alerts.one_person_live_alerts == false);
    CHECK(config->tts.voice == "vi-vn-x-south");
    CHECK(config->devices.default_time_zone == "Asia/Ho_Chi_Minh");
    CHECK(config->log.level == LogLevel::Info);
    CHECK(config->broker.listen_address == "127.0.0.1");
    CHECK(config->mqtt.port == config->broker.port);
}

TEST_CASE("controller values in the file replace the defaults they name", "[config][controller]") {
    auto config = load_controller(R"([http]
port = 9090
public_base_url = "https://bantin.example.vn"
[alerts]
one_person_live_alerts = true
default_expiry_min = 30
[log]
level = "debug"
[cap.geocodes]
"VN-79-26734" = "phuong-1"
)");
    REQUIRE(config);
    CHECK(config->http.port == 9090);
    CHECK(config->http.listen_address == "127.0.0.1");
    CHECK(config->http.base_url() == "https://bantin.example.vn");
    CHECK(config->alerts.one_person_live_alerts);
    CHECK(config->alerts.default_expiry == std::chrono::minutes{30});
    CHECK(config->log.level == LogLevel::Debug);
    CHECK(config->cap.geocodes == std::map<std::string, std::string>{{"VN-79-26734", "phuong-1"}});
}

TEST_CASE("the media base URL defaults to the HTTP listener", "[config][controller]") {
    auto config = load_controller("[http]\nlisten_address = \"10.0.0.5\"\nport = 8000\n");
    REQUIRE(config);
    CHECK(config->http.base_url() == "http://10.0.0.5:8000");
}

TEST_CASE("controller paths resolve against the data and broker directories", "[config][controller][path]") {
    auto config = load_controller(R"([storage]
data_dir = "/srv/bantin"
media_dir = "/mnt/media"
[broker]
config_dir = "mosquitto"
)");
    REQUIRE(config);
    CHECK(config->database_path() == std::filesystem::path("/srv/bantin/bantin.sqlite3"));
    CHECK(config->media_path() == std::filesystem::path("/mnt/media"));
    CHECK(config->signing_key_path() == std::filesystem::path("/srv/bantin/keys/controller.key"));
    CHECK(config->broker_config_path() == std::filesystem::path("/srv/bantin/mosquitto"));
}

TEST_CASE("a port out of range names file, line and key", "[config][controller][validation]") {
    auto config = load_controller("[http]\nlisten_address = \"0.0.0.0\"\nport = 0\n");
    REQUIRE_FALSE(config);
    CHECK(config.error().code == bantin::Errc::InvalidInput);
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "controller.toml:3: http.port: must be a port number between 1 and 65535, got 0"});
}

TEST_CASE("a value of the wrong type names what was expected", "[config][controller][validation]") {
    auto config = load_controller("[mqtt]\nport = \"1883\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:2: mqtt.port: expected an integer, got a string"});
}

TEST_CASE("an integer that does not fit is out of range, not wrapped", "[config][controller][validation]") {
    auto config = load_controller("[http]\nport = 4294975488\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:2: http.port: integer out of range"});
}

TEST_CASE("an empty required path is refused", "[config][controller][validation]") {
    auto config = load_controller("\n[storage]\ndata_dir = \"\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:3: storage.data_dir: must not be empty"});
}

TEST_CASE("an unknown enum value lists the choices", "[config][controller][validation]") {
    auto config = load_controller("[log]\nlevel = \"verbose\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "controller.toml:2: log.level: expected one of \"trace\", \"debug\", \"info\", "
              "\"warn\", \"error\", \"critical\", \"off\", got \"verbose\""});
}

TEST_CASE("an unknown time zone is refused", "[config][controller][validation]") {
    auto config = load_controller("[devices]\ndefault_time_zone = \"Asia/Saigon_City\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:2: devices.default_time_zone: unknown time zone "
                                   "\"Asia/Saigon_City\" (use an IANA name such as \"Asia/Ho_Chi_Minh\")"});
}

TEST_CASE("a public base URL must be http or https", "[config][controller][validation]") {
    auto config = load_controller("[http]\npublic_base_url = \"ftp://media\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "controller.toml:2: http.public_base_url: must start with http:// or https://, "
              "got \"ftp://media\""});
}

TEST_CASE("the public board's base URL is http or https, short and without spaces",
          "[config][controller][validation][regions]") {
    auto set = load_controller("[public]\nboard_base_url = \"https://bang-tin.tanuyen.example\"\n");
    REQUIRE(set);
    CHECK(set->public_board.board_base_url == "https://bang-tin.tanuyen.example");
    auto unset = load_controller("");
    REQUIRE(unset);
    CHECK(unset->public_board.board_base_url.empty());
    CHECK(error_lines(load_controller("[public]\nboard_base_url = \"ftp://board\"\n")) ==
          std::vector<std::string>{
              "controller.toml:2: public.board_base_url: must start with http:// or https://, "
              "got \"ftp://board\""});
    CHECK(error_lines(load_controller("[public]\nboard_base_url = \"https://a b\"\n")).size() == 1);
    CHECK(error_lines(
              load_controller("[public]\nboard_base_url = \"https://" + std::string(400, 'x') + "\"\n")) ==
          std::vector<std::string>{
              "controller.toml:2: public.board_base_url: must be at most 400 bytes, got 408"});
}

TEST_CASE("an unknown key is an error with a suggestion", "[config][controller][unknown]") {
    auto config = load_controller("[mqtt]\nhost = \"broker\"\nkeepalive = 10\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "controller.toml:3: mqtt.keepalive: unknown key (did you mean \"keepalive_s\"?)"});
}

TEST_CASE("a transposed key name is suggested", "[config][controller][unknown]") {
    auto config = load_controller("[http]\nprot = 8081\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:2: http.prot: unknown key (did you mean \"port\"?)"});
}

TEST_CASE("a misspelt table is an error with a suggestion", "[config][controller][unknown]") {
    auto config = load_controller("[htpp]\nport = 8081\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:1: htpp: unknown table (did you mean \"http\"?)"});
}

TEST_CASE("an unknown key far from every known one gets no suggestion", "[config][controller][unknown]") {
    auto config = load_controller("[tts]\npitch_semitones = 3\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:2: tts.pitch_semitones: unknown key"});
}

TEST_CASE("a section given as a value is refused", "[config][controller][validation]") {
    auto config = load_controller("http = 8080\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:1: http: expected a table, got an integer"});
}

TEST_CASE("a CAP geocode must map to a zone", "[config][controller][validation]") {
    auto config = load_controller("[cap.geocodes]\n\"VN-1\" = \"zone-1\"\n\"VN-2\" = \"\"\n\"VN 3\" = 4\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "controller.toml:3: cap.geocodes.VN-2: must not be empty",
              "controller.toml:4: cap.geocodes.\"VN 3\": expected a string, got an integer"});
}

TEST_CASE("an MQTT client certificate needs its key", "[config][controller][cross]") {
    auto config = load_controller("[mqtt.tls]\nca_file = \"ca.pem\"\ncert_file = \"client.pem\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:3: mqtt.tls.cert_file: needs mqtt.tls.key_file as well"});
}

TEST_CASE("an MQTT client key needs its certificate", "[config][controller][cross]") {
    auto config = load_controller("[mqtt.tls]\nca_file = \"ca.pem\"\nkey_file = \"client.key\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:3: mqtt.tls.key_file: needs mqtt.tls.cert_file as well"});
}

TEST_CASE("an MQTT client certificate without a CA is refused", "[config][controller][cross]") {
    auto config = load_controller("[mqtt.tls]\ncert_file = \"client.pem\"\nkey_file = \"client.key\"\n");
    CHECK(error_lines(config) == std::vector<std::string>{"controller.toml:2: mqtt.tls.cert_file: needs "
                                                          "mqtt.tls.ca_file (TLS is on only with a CA)"});
}

TEST_CASE("password and password_file are exclusive", "[config][controller][cross]") {
    auto config = load_controller("[mqtt]\npassword_file = \"/etc/pw\"\npassword = \"secret\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "controller.toml:3: mqtt.password: set either password or password_file, not both"});
}

TEST_CASE("live channels need the Icecast source password file and an http URL",
          "[config][controller][cross][live]") {
    auto missing = load_controller("[live]\nicecast_url = \"http://radio.local:8000\"\n");
    CHECK(error_lines(missing) ==
          std::vector<std::string>{
              "controller.toml:1: live.source_password_file: required when live.icecast_url is set"});
    auto scheme =
        load_controller("[live]\nicecast_url = \"ftp://radio.local\"\nsource_password_file = \"pw\"\n");
    CHECK(
        error_lines(scheme) ==
        std::vector<std::string>{"controller.toml:2: live.icecast_url: must start with http:// or https://"});
    auto fine = load_controller(
        "[live]\nicecast_url = \"http://radio.local:8000\"\nsource_password_file = \"keys/icecast\"\n"
        "max_duration_min = 30\n");
    REQUIRE(fine);
    CHECK(fine->live.max_duration == std::chrono::minutes{30});
    CHECK(fine->live_source_password_path().filename() == "icecast");
}

TEST_CASE("the reconnect backoff minimum may not exceed the maximum", "[config][controller][cross]") {
    auto config = load_controller("[mqtt]\nreconnect_min_ms = 5000\nreconnect_max_ms = 1000\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "controller.toml:2: mqtt.reconnect_min_ms: must not exceed reconnect_max_ms"});
}

TEST_CASE("an enabled broker TLS listener needs a CA, a certificate and a key",
          "[config][controller][cross]") {
    auto config = load_controller("[broker.tls]\nenabled = true\n");
    // None of the keys is in the file: each is reported at its table's line.
    CHECK(
        error_lines(config) ==
        std::vector<std::string>{"controller.toml:1: broker.tls.ca_file: required when broker.tls.enabled",
                                 "controller.toml:1: broker.tls.cert_file: required when broker.tls.enabled",
                                 "controller.toml:1: broker.tls.key_file: required when broker.tls.enabled"});
}

TEST_CASE("the broker TLS listener needs its own port", "[config][controller][cross]") {
    auto config = load_controller(R"([broker]
port = 1883
[broker.tls]
enabled = true
port = 1883
ca_file = "ca.pem"
cert_file = "broker.pem"
key_file = "broker.key"
)");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:5: broker.tls.port: must differ from broker.port"});
}

TEST_CASE("client certificates are optional or required", "[config][controller][validation]") {
    auto required = load_controller("[broker.tls]\nclient_certificate = \"required\"\n");
    REQUIRE(required);
    CHECK(required->broker.tls.client_certificate == ClientCertificate::Required);
    CHECK(ControllerConfig{}.broker.tls.client_certificate == ClientCertificate::Optional);
    auto wrong = load_controller("[broker.tls]\nclient_certificate = true\n");
    CHECK(error_lines(wrong) ==
          std::vector<std::string>{"controller.toml:2: broker.tls.client_certificate: expected one of "
                                   "\"optional\", \"required\", got a boolean"});
}

TEST_CASE("a managed broker must be the one the controller connects to", "[config][controller][cross]") {
    auto config = load_controller("[mqtt]\nport = 1884\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:2: mqtt.port: must equal broker.port (1883) while "
                                   "broker.manage is true"});
    CHECK(load_controller("[mqtt]\nport = 1884\n[broker]\nmanage = false\n"));
    CHECK(load_controller(R"([mqtt]
port = 8883
[broker.tls]
enabled = true
ca_file = "ca.pem"
cert_file = "b.pem"
key_file = "b.key"
)"));
}

TEST_CASE("a cross-field rule stays quiet about a key already reported", "[config][controller][cross]") {
    // port = "x" leaves the default 1883 in the struct; comparing it with broker.port would
    // only confuse. Exactly one error, about the type.
    auto config = load_controller("[mqtt]\nport = \"x\"\n[broker]\nport = 1999\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"controller.toml:2: mqtt.port: expected an integer, got a string"});
}

TEST_CASE("every controller error is reported at once, in file order", "[config][controller][many]") {
    auto config = load_controller(R"([http]
port = 70000
lisen_address = "0.0.0.0"

[mqtt]
keepalive_s = 1
[storage]
max_upload_mb = 0
[log]
level = "loud"
[tts]
words_per_minute = "fast"
)");
    REQUIRE_FALSE(config);
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "controller.toml:2: http.port: must be a port number between 1 and 65535, got 70000",
              "controller.toml:3: http.lisen_address: unknown key (did you mean \"listen_address\"?)",
              "controller.toml:6: mqtt.keepalive_s: must be between 5 and 3600, got 1",
              "controller.toml:8: storage.max_upload_mb: must be between 1 and 1048576, got 0",
              "controller.toml:10: log.level: expected one of \"trace\", \"debug\", \"info\", \"warn\", "
              "\"error\", "
              "\"critical\", \"off\", got \"loud\"",
              "controller.toml:12: tts.words_per_minute: expected an integer, got a string",
          });
}

TEST_CASE("a TOML syntax error names file and line", "[config][controller][syntax]") {
    auto config = load_controller("[http]\nport = 80\nlisten_address = \"unterminated\n");
    REQUIRE_FALSE(config);
    CHECK(config.error().code == bantin::Errc::InvalidInput);
    CHECK(config.error().detail.starts_with("controller.toml:3: not valid TOML: "));
}

TEST_CASE("rendered controller defaults load back to the defaults", "[config][controller][render]") {
    const std::string text = render_controller_config(ControllerConfig{});
    auto config = load_controller(text);
    INFO(text);
    REQUIRE(config);
    CHECK(*config == ControllerConfig{});
}

TEST_CASE("a rendered controller config with every section changed loads back equal",
          "[config][controller][render]") {
    ControllerConfig original;
    original.http.port = 9443;
    original.http.public_base_url = "https://media.example.vn/bantin";
    original.storage.data_dir = "/srv/bantin data";
    original.mqtt.password = "p\"a\\ss\tword";
    original.mqtt.tls = ClientTls{"/etc/ca.pem", "/etc/c.pem", "/etc/c.key"};
    original.mqtt.port = 8883;
    original.broker.tls.enabled = true;
    original.broker.tls.ca_file = "/etc/ca.pem";
    original.broker.tls.client_certificate = ClientCertificate::Required;
    original.broker.log_level = BrokerLogLevel::Debug;
    original.broker.run_as_user = "mosquitto";
    original.broker.tls.cert_file = "/etc/b.pem";
    original.broker.tls.key_file = "/etc/b.key";
    original.keys.key_id = "k2026";
    original.alerts.one_person_live_alerts = true;
    original.cap.geocodes = {{"VN-79-26734", "phuong-1"}, {"area with space", "xa-an-phu"}};
    original.devices.default_time_zone = "Europe/Berlin";
    original.log.level = LogLevel::Trace;
    const std::string text = render_controller_config(original);
    auto config = load_controller(text);
    INFO(text);
    REQUIRE(config);
    CHECK(*config == original);
}

TEST_CASE("rendered controller config documents every key with a comment", "[config][controller][render]") {
    const std::string text = render_controller_config(ControllerConfig{});
    CHECK(text.find("# TCP port of the HTTP server.\nport = 8080\n") != std::string::npos);
    CHECK(text.find("one_person_live_alerts = false\n") != std::string::npos);
    CHECK(text.find("[broker.tls]\n") != std::string::npos);
}

TEST_CASE("the controller key list names nested keys with dotted paths", "[config][controller][keys]") {
    const auto keys = controller_config_keys();
    CHECK(std::find(keys.begin(), keys.end(), "mqtt.tls.ca_file") != keys.end());
    CHECK(std::find(keys.begin(), keys.end(), "cap.geocodes") != keys.end());
    CHECK(std::find(keys.begin(), keys.end(), "http.port") != keys.end());
    CHECK(keys.front() == "http.listen_address");
}

TEST_CASE("the delivery-repair interval is read in seconds and kept within 1 to 3600",
          "[config][controller]") {
    auto defaults = load_controller("");
    REQUIRE(defaults);
    CHECK(defaults->devices.delivery_repair_interval == std::chrono::seconds{30});

    auto set = load_controller("[devices]\ndelivery_repair_interval_s = 5\n");
    REQUIRE(set);
    CHECK(set->devices.delivery_repair_interval == std::chrono::seconds{5});

    for (const char* bad : {"0", "3601"}) {
        auto refused = load_controller(std::string{"[devices]\ndelivery_repair_interval_s = "} + bad + "\n");
        INFO(bad);
        REQUIRE_FALSE(refused);
        CHECK_THAT(refused.error().message(), Catch::Contains("devices.delivery_repair_interval_s"));
    }
}

TEST_CASE("the speech engine is espeak-ng unless the file says otherwise", "[config][controller][tts]") {
    auto config = load_controller("");
    REQUIRE(config);
    CHECK(config->tts.engine.engine == TtsEngine::Espeak);
    CHECK(config->tts.engine.command.empty());
    CHECK(config->tts.engine.url.empty());
    CHECK(config->tts.engine.timeout == std::chrono::seconds{60});
}

TEST_CASE("a command speech engine loads its argv template and timeout", "[config][controller][tts]") {
    auto config = load_controller(R"([tts]
voice = "vi_VN-vais1000-medium"
engine = "command"
command = ["/usr/local/bin/piper", "--model", "/opt/voices/{voice}.onnx", "--output_file={wav}"]
timeout_s = 30
)");
    INFO((config ? std::string() : config.error().detail));
    REQUIRE(config);
    CHECK(config->tts.engine.engine == TtsEngine::Command);
    CHECK(config->tts.engine.command == std::vector<std::string>{"/usr/local/bin/piper", "--model",
                                                                 "/opt/voices/{voice}.onnx",
                                                                 "--output_file={wav}"});
    CHECK(config->tts.engine.timeout == std::chrono::seconds{30});
}

TEST_CASE("a command speech engine needs a program and the {wav} it writes", "[config][controller][tts]") {
    auto missing = load_controller("[tts]\nengine = \"command\"\n");
    CHECK(error_lines(missing) ==
          std::vector<std::string>{
              "controller.toml:1: tts.command: bắt buộc khi engine = \"command\" (phần tử đầu "
              "là chương trình); required when engine is \"command\": the program first, then "
              "its arguments"});
    auto empty_program = load_controller("[tts]\nengine = \"command\"\ncommand = [\"\", \"{wav}\"]\n");
    CHECK(error_lines(empty_program).size() == 1);
    auto no_wav =
        load_controller("[tts]\nengine = \"command\"\ncommand = [\"say\", \"-f\", \"{text_file}\"]\n");
    CHECK(error_lines(no_wav) ==
          std::vector<std::string>{
              "controller.toml:3: tts.command: phải có {wav}, nơi chương trình ghi tệp WAV; "
              "must contain {wav}, where the program writes its WAV"});
    auto typo = load_controller("[tts]\nengine = \"command\"\ncommand = [\"say\", \"-o\", \"{wave}\"]\n");
    CHECK(error_lines(typo) ==
          std::vector<std::string>{
              "controller.toml:3: tts.command: không có chỗ thay {wave} (chỉ {text_file}, "
              "{wav}, {voice}); unknown placeholder {wave} (known: {text_file}, {wav}, {voice})"});
    auto not_strings = load_controller("[tts]\nengine = \"command\"\ncommand = [\"say\", 3]\n");
    CHECK(error_lines(not_strings) ==
          std::vector<std::string>{"controller.toml:3: tts.command[1]: expected a string, got an integer"});
    // Braces that are not a placeholder (JSON for the program) pass through.
    auto json_argument = load_controller(
        "[tts]\nengine = \"command\"\ncommand = [\"say\", \"{\\\"speed\\\": 1}\", \"{wav}\"]\n");
    CHECK(json_argument);
}

TEST_CASE("an http speech engine needs an http or https URL", "[config][controller][tts]") {
    auto missing = load_controller("[tts]\nengine = \"http\"\n");
    CHECK(error_lines(missing) ==
          std::vector<std::string>{"controller.toml:1: tts.url: bắt buộc khi engine = \"http\" (http:// hoặc "
                                   "https://); required when engine is \"http\" (http:// or https://)"});
    auto scheme = load_controller("[tts]\nengine = \"http\"\nurl = \"file:///etc/passwd\"\n");
    CHECK(error_lines(scheme) ==
          std::vector<std::string>{
              "controller.toml:3: tts.url: địa chỉ phải bắt đầu bằng http:// hoặc https://; "
              "must start with http:// or https://, got \"file:///etc/passwd\""});
    auto fine = load_controller("[tts]\nengine = \"http\"\nurl = \"http://127.0.0.1:5002/api/tts\"\n");
    REQUIRE(fine);
    CHECK(fine->tts.engine.engine == TtsEngine::Http);
    CHECK(fine->tts.engine.url == "http://127.0.0.1:5002/api/tts");
}

TEST_CASE("an unknown speech engine lists the choices, a timeout has bounds", "[config][controller][tts]") {
    auto engine = load_controller("[tts]\nengine = \"piper\"\n");
    CHECK(error_lines(engine) ==
          std::vector<std::string>{"controller.toml:2: tts.engine: expected one of \"espeak\", \"command\", "
                                   "\"http\", got \"piper\""});
    auto timeout = load_controller("[tts]\ntimeout_s = 0\n");
    CHECK(error_lines(timeout) ==
          std::vector<std::string>{"controller.toml:2: tts.timeout_s: must be between 1 and 3600, got 0"});
}

TEST_CASE("a command or http engine's voice is a plain name, never an option", "[config][controller][tts]") {
    auto option = load_controller(
        "[tts]\nvoice = \"--output=/etc/cron.d/x\"\nengine = \"command\"\ncommand = [\"say\", \"{wav}\"]\n");
    CHECK(error_lines(option) ==
          std::vector<std::string>{
              "controller.toml:2: tts.voice: giọng đọc của engine command hoặc http chỉ gồm chữ "
              "cái, chữ số và ._+- (không bắt đầu bằng -); a command or http engine's voice is "
              "ASCII letters, digits and ._+- (not starting with -)"});
    auto slash =
        load_controller("[tts]\nvoice = \"../x\"\nengine = \"http\"\nurl = \"http://127.0.0.1:1/\"\n");
    CHECK(error_lines(slash).size() == 1);
}

TEST_CASE("a rendered controller config with a speech engine loads back equal", "[config][controller][tts]") {
    ControllerConfig original;
    original.tts.engine.engine = TtsEngine::Command;
    original.tts.engine.command = {"/opt/tts/say", "--voice", "{voice}", "--in",
                                   "{text_file}",  "--out",   "{wav}"};
    original.tts.engine.url = "https://tts.example.vn/speak";
    original.tts.engine.timeout = std::chrono::seconds{15};
    const std::string text = render_controller_config(original);
    auto config = load_controller(text);
    INFO(text);
    REQUIRE(config);
    CHECK(*config == original);
}

TEST_CASE("the publisher lease of several controllers has bounds and a ttl of 3 intervals",
          "[config][controller][cross][cluster]") {
    auto defaults = load_controller("");
    REQUIRE(defaults);
    CHECK(defaults->cluster.lease_interval == std::chrono::milliseconds{1000});
    CHECK(defaults->cluster.lease_ttl == std::chrono::milliseconds{3000});
    auto set = load_controller("[cluster]\nlease_interval_ms = 500\nlease_ttl_ms = 1500\n");
    REQUIRE(set);
    CHECK(set->cluster.lease_interval == std::chrono::milliseconds{500});
    CHECK(set->cluster.lease_ttl == std::chrono::milliseconds{1500});
    auto short_ttl = load_controller("[cluster]\nlease_interval_ms = 1000\nlease_ttl_ms = 2000\n");
    REQUIRE(error_lines(short_ttl).size() == 1);
    CHECK(error_lines(short_ttl)[0].find("cluster.lease_ttl_ms") != std::string::npos);
    CHECK(error_lines(short_ttl)[0].find("phải ít nhất gấp 3 lần") != std::string::npos);
    CHECK(error_lines(load_controller("[cluster]\nlease_interval_ms = 10\n")).size() == 1);
    CHECK(error_lines(load_controller("[cluster]\nlease_interval_ms = \"fast\"\n")).size() == 1);
}

TEST_CASE("storage.proof_retention_days takes 0 to keep every row and refuses a negative count",
          "[config][controller][retention]") {
    auto kept = load_controller("[storage]\nproof_retention_days = 0\n");
    REQUIRE(kept);
    CHECK(kept->storage.proof_retention_days == 0);
    auto defaulted = load_controller("");
    REQUIRE(defaulted);
    CHECK(defaulted->storage.proof_retention_days == 400);
    for (const char* value : {"-1", "36501", "\"forever\"", "1.5"}) {
        CAPTURE(value);
        auto refused = load_controller(std::string{"[storage]\nproof_retention_days = "} + value + "\n");
        REQUIRE_FALSE(refused);
        CHECK(error_lines(refused).at(0).find("storage.proof_retention_days") != std::string::npos);
    }
}

TEST_CASE("the PostgreSQL store is chosen with its connection string, and refused without one",
          "[config][controller][cross][postgresql]") {
    auto chosen = load_controller(
        "[storage]\nbackend = \"postgresql\"\npostgresql = \"host=127.0.0.1 port=5432 dbname=bantin "
        "user=bantin\"\n");
    REQUIRE(chosen);
    CHECK(chosen->storage.backend == StorageBackend::Postgresql);
    CHECK(chosen->storage.postgresql == "host=127.0.0.1 port=5432 dbname=bantin user=bantin");
    CHECK(load_controller("")->storage.backend == StorageBackend::Sqlite);

    auto missing = load_controller("[storage]\nbackend = \"postgresql\"\n");
    CHECK(error_lines(missing) ==
          std::vector<std::string>{"controller.toml:1: storage.postgresql: bắt buộc khi storage.backend là "
                                   "\"postgresql\"; required when storage.backend is \"postgresql\""});
    auto unknown = load_controller("[storage]\nbackend = \"mysql\"\n");
    REQUIRE_FALSE(unknown);
    CHECK_THAT(unknown.error().detail, Catch::Contains("storage.backend"));
}
