#include "bantin/config/player_config.hpp"

#include "config_test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace bantin::config;
using bantin::config::test::error_lines;

namespace {

auto load_player(std::string_view text) {
    return load_player_config_from_string(text, "player.toml");
}

const std::string minimal = "provisioning_file = \"/etc/bantin/provisioning.json\"\n";

}  // namespace

TEST_CASE("a player file with only the provisioning file gives every other default",
          "[config][player][defaults]") {
    auto config = load_player(minimal);
    REQUIRE(config);
    PlayerConfig expected;
    expected.provisioning_file = "/etc/bantin/provisioning.json";
    CHECK(*config == expected);
    CHECK(config->playback.mode == PlaybackMode::Screen);
    CHECK(config->playback.audio_samplerate == 48000);
    CHECK(config->playback.font_file ==
          std::filesystem::path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"));
    CHECK(config->playback.bold_font_file ==
          std::filesystem::path("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"));
    CHECK(config->playback.notice_min_px == 24);
    CHECK(config->status.interval == std::chrono::seconds{30});
    CHECK(config->safety.max_volume == 100);
    CHECK(config->safety.emergency_volume == 90);
    CHECK(config->safety.alert_words_after == std::chrono::seconds{5});
    CHECK(config->safety.alert_voice == "vi-vn-x-south");
    CHECK(config->safety.quiet_hours.empty());
    CHECK(config->cache_path() == std::filesystem::path("/var/lib/bantin-player/cache"));
    CHECK(config->database_path() == std::filesystem::path("/var/lib/bantin-player/player.sqlite3"));
}

TEST_CASE("the default font files are shipped by fonts-noto-core", "[config][player][defaults]") {
    CHECK(std::filesystem::exists(PlayerConfig{}.playback.font_file));
    CHECK(std::filesystem::exists(PlayerConfig{}.playback.bold_font_file));
}

TEST_CASE("a player file that still sets font_size loads, and notice_min_px is checked",
          "[config][player][notice]") {
    auto old = load_player(minimal + "[playback]\nfont_size = 48\n");
    REQUIRE(old);
    CHECK(old->playback.notice_min_px == 24);
    auto set = load_player(minimal + "[playback]\nnotice_min_px = 40\nbold_font_file = \"\"\n");
    REQUIRE(set);
    CHECK(set->playback.notice_min_px == 40);
    CHECK(set->playback.bold_font_file.empty());
    for (const std::string value : {"0", "7", "513", "-3", "\"big\"", "2.5"}) {
        INFO(value);
        auto bad = load_player(minimal + "[playback]\nnotice_min_px = " + value + "\n");
        REQUIRE_FALSE(bad);
        CHECK(bad.error().detail.find("notice_min_px") != std::string::npos);
    }
}

TEST_CASE("a missing provisioning file is reported at line 1", "[config][player][required]") {
    auto config = load_player("[state]\ndir = \"/tmp/p\"\n");
    REQUIRE_FALSE(config);
    CHECK(config.error().code == bantin::Errc::InvalidInput);
    CHECK(error_lines(config) ==
          std::vector<std::string>{"player.toml:1: provisioning_file: required key is missing"});
}

TEST_CASE("an empty provisioning file path is refused", "[config][player][required]") {
    auto config = load_player("\nprovisioning_file = \"\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"player.toml:2: provisioning_file: must not be empty"});
}

TEST_CASE("player values in the file replace the defaults they name", "[config][player]") {
    auto config = load_player(minimal + R"([playback]
mode = "speaker"
audio_samplerate = 44100
[safety]
max_volume = 70
emergency_volume = 65
quiet_hours = ["22:00-05:00", "12:00-13:30"]
[cache]
dir = "/mnt/sd/cache"
)");
    REQUIRE(config);
    CHECK(config->playback.mode == PlaybackMode::Speaker);
    CHECK(config->playback.audio_samplerate == 44100);
    CHECK(config->safety.max_volume == 70);
    CHECK(config->safety.emergency_volume == 65);
    CHECK(config->safety.quiet_hours == std::vector<DailyWindow>{{22 * 60, 5 * 60}, {12 * 60, 13 * 60 + 30}});
    CHECK(config->cache_path() == std::filesystem::path("/mnt/sd/cache"));
}

TEST_CASE("the cache size must be positive", "[config][player][validation]") {
    auto config = load_player(minimal + "[cache]\nmax_mb = 0\n");
    CHECK(error_lines(config) == std::vector<std::string>{"player.toml:3: cache.max_mb: must be > 0, got 0"});
}

TEST_CASE("the volume cap is a percentage", "[config][player][validation]") {
    auto config = load_player(minimal + "[safety]\nmax_volume = 101\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"player.toml:3: safety.max_volume: must be between 0 and 100, got 101"});
    CHECK(load_player(minimal + "[safety]\nmax_volume = 0\n"));
    CHECK(error_lines(load_player(minimal + "[safety]\nalert_voice = \"vi; rm -rf /\"\n")) ==
          std::vector<std::string>{
              "player.toml:3: safety.alert_voice: expected an espeak-ng voice name such as "
              "\"vi-vn-x-south\" (espeak-ng --voices=vi), got \"vi; rm -rf /\""});
    CHECK(error_lines(load_player(minimal + "[safety]\nalert_speech_after_s = 601\n")) ==
          std::vector<std::string>{
              "player.toml:3: safety.alert_speech_after_s: must be between 0 and 600, got 601"});
    CHECK(error_lines(load_player(minimal + "[safety]\nemergency_volume = -1\n")) ==
          std::vector<std::string>{
              "player.toml:3: safety.emergency_volume: must be between 0 and 100, got -1"});
}

TEST_CASE("the quiet hours' time zone is an IANA zone the tz database knows, or empty for the system's",
          "[config][player][validation]") {
    auto config = load_player(minimal + "[safety]\ntime_zone = \"Asia/Tan_Uyen\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"player.toml:3: safety.time_zone: unknown time zone \"Asia/Tan_Uyen\" "
                                   "(use an IANA name such as \"Asia/Ho_Chi_Minh\")"});
    auto set = load_player(minimal + "[safety]\ntime_zone = \"Asia/Ho_Chi_Minh\"\n");
    REQUIRE(set);
    CHECK(set->safety.time_zone == "Asia/Ho_Chi_Minh");
    auto system = load_player(minimal);
    REQUIRE(system);
    CHECK(system->safety.time_zone.empty());
}

TEST_CASE("an unknown playback mode lists the choices", "[config][player][validation]") {
    auto config = load_player(minimal + "[playback]\nmode = \"tv\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"player.toml:3: playback.mode: expected one of \"screen\", \"speaker\", "
                                   "\"headless\", got \"tv\""});
}

TEST_CASE("each bad quiet-hours window is reported with its index", "[config][player][validation]") {
    auto config = load_player(minimal + "[safety]\nquiet_hours = [\"22:00-05:00\", \"25:00-01:00\", 7]\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "player.toml:3: safety.quiet_hours[1]: expected a window \"HH:MM-HH:MM\", got \"25:00-01:00\" "
              "(hours 00-23, minutes 00-59, end may be 24:00)",
              "player.toml:3: safety.quiet_hours[2]: expected a window string \"HH:MM-HH:MM\", got an "
              "integer"});
}

TEST_CASE("quiet hours must be an array", "[config][player][validation]") {
    auto config = load_player(minimal + "[safety]\nquiet_hours = \"22:00-05:00\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"player.toml:3: safety.quiet_hours: expected an array, got a string"});
}

TEST_CASE("a quiet-hours window on its own line is reported at that line", "[config][player][validation]") {
    auto config =
        load_player(minimal + "[safety]\nquiet_hours = [\n  \"22:00-05:00\",\n  \"12:00-12:00\",\n]\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "player.toml:5: safety.quiet_hours[1]: expected a window \"HH:MM-HH:MM\", got "
              "\"12:00-12:00\" (start equals end)"});
}

TEST_CASE("fetch concurrency and the status interval have bounds", "[config][player][validation]") {
    auto config = load_player(minimal + "[fetch]\nconcurrency = 0\n[status]\ninterval_s = 1\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"player.toml:3: fetch.concurrency: must be between 1 and 16, got 0",
                                   "player.toml:5: status.interval_s: must be between 5 and 3600, got 1"});
}

TEST_CASE("screenshots go up every 300 s unless set, 0 turns them off, under 10 s is refused",
          "[config][player][validation]") {
    auto defaults = load_player(minimal);
    REQUIRE(defaults);
    CHECK(defaults->screenshots.interval == std::chrono::seconds{300});
    auto off = load_player(minimal + "[screenshots]\ninterval_s = 0\n");
    REQUIRE(off);
    CHECK(off->screenshots.interval == std::chrono::seconds{0});
    CHECK(error_lines(load_player(minimal + "[screenshots]\ninterval_s = 5\n")) ==
          std::vector<std::string>{"player.toml:3: screenshots.interval_s: must be 0 (off) or at least 10"});
    CHECK(error_lines(load_player(minimal + "[screenshots]\ninterval_s = -1\n")) ==
          std::vector<std::string>{
              "player.toml:3: screenshots.interval_s: must be between 0 and 86400, got -1"});
}

TEST_CASE("the fetch retry minimum may not exceed the maximum", "[config][player][cross]") {
    auto config = load_player(minimal + "[fetch]\nretry_max_ms = 1000\nretry_min_ms = 5000\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{"player.toml:4: fetch.retry_min_ms: must not exceed fetch.retry_max_ms"});
}

TEST_CASE("the MQTT reconnect minimum may not exceed the maximum", "[config][player][cross]") {
    auto config = load_player(minimal + "[mqtt]\nreconnect_max_ms = 100\n");
    // Only the maximum is in the file; the rule reports at the minimum's table.
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "player.toml:2: mqtt.reconnect_min_ms: must not exceed mqtt.reconnect_max_ms"});
}

TEST_CASE("an unknown player key is an error with a suggestion", "[config][player][unknown]") {
    auto config = load_player(minimal + "[playback]\nfulscreen = false\n[status]\ninterval = 10\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "player.toml:3: playback.fulscreen: unknown key (did you mean \"fullscreen\"?)",
              "player.toml:5: status.interval: unknown key (did you mean \"interval_s\"?)"});
}

TEST_CASE("a misspelt top-level key is an error and the required key still missing",
          "[config][player][unknown]") {
    auto config = load_player("provisoning_file = \"/etc/p.json\"\n");
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "player.toml:1: provisioning_file: required key is missing",
              "player.toml:1: provisoning_file: unknown key (did you mean \"provisioning_file\"?)"});
}

TEST_CASE("every player error is reported at once, in file order", "[config][player][many]") {
    auto config = load_player(R"([cache]
max_mb = -5
[playback]
mode = "screen"
window_width = 0
font_file = ""
audio_samplerate = 4000
[safety]
max_volume = 150
[log]
levl = "info"
)");
    REQUIRE_FALSE(config);
    CHECK(error_lines(config) ==
          std::vector<std::string>{
              "player.toml:1: provisioning_file: required key is missing",
              "player.toml:2: cache.max_mb: must be > 0, got -5",
              "player.toml:5: playback.window_width: must be between 16 and 16384, got 0",
              "player.toml:6: playback.font_file: must not be empty",
              "player.toml:7: playback.audio_samplerate: must be between 8000 and 192000, got 4000",
              "player.toml:9: safety.max_volume: must be between 0 and 100, got 150",
              "player.toml:11: log.levl: unknown key (did you mean \"level\"?)",
          });
}

TEST_CASE("rendered player defaults mark the required key and otherwise load back",
          "[config][player][render]") {
    const std::string text = render_player_config(PlayerConfig{});
    CHECK(text.find("# provisioning_file = \"/etc/bantin/provisioning.json\"\n") != std::string::npos);
    // As printed, the default config is not yet usable: the required key must be set.
    CHECK(error_lines(load_player(text)) ==
          std::vector<std::string>{"player.toml:1: provisioning_file: required key is missing"});
    auto config = load_player(minimal + text);
    REQUIRE(config);
    PlayerConfig expected;
    expected.provisioning_file = "/etc/bantin/provisioning.json";
    CHECK(*config == expected);
}

TEST_CASE("a rendered player config with every section changed loads back equal",
          "[config][player][render]") {
    PlayerConfig original;
    original.provisioning_file = "/etc/bantin/dev-0042.json";
    original.state.dir = "/data/state";
    original.cache.max_mb = 123;
    original.playback.mode = PlaybackMode::Headless;
    original.playback.fullscreen = false;
    original.playback.font_file = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf";
    original.safety.max_volume = 40;
    original.safety.quiet_hours = {{22 * 60, 5 * 60}, {0, 24 * 60}};
    original.status.interval = std::chrono::seconds{15};
    original.fetch.concurrency = 4;
    original.mqtt.session_expiry = std::chrono::hours{72};
    original.proof.batch_max_rows = 50;
    original.log.level = LogLevel::Off;
    const std::string text = render_player_config(original);
    auto config = load_player(text);
    INFO(text);
    REQUIRE(config);
    CHECK(*config == original);
}

TEST_CASE("the player key list starts with the required key", "[config][player][keys]") {
    const auto keys = player_config_keys();
    REQUIRE_FALSE(keys.empty());
    CHECK(keys.front() == "provisioning_file");
    CHECK(std::find(keys.begin(), keys.end(), "safety.quiet_hours") != keys.end());
}

TEST_CASE("a retired key still loads and is ignored, and is not written or listed", "[config][player]") {
    auto config = load_player(minimal + "[playback]\nimage_duration_s = 10\n");
    REQUIRE(config);
    CHECK(*config == *load_player(minimal));
    CHECK(render_player_config(*config).find("image_duration_s") == std::string::npos);
    const auto keys = player_config_keys();
    CHECK(std::find(keys.begin(), keys.end(), "playback.image_duration_s") == keys.end());
    // Only retired keys: a typo next to them is still refused.
    auto typo = load_player(minimal + "[playback]\nimage_durations = 10\n");
    CHECK_FALSE(typo);
}

TEST_CASE("a device speaks with espeak-ng unless its tts table says otherwise", "[config][player][tts]") {
    auto config = load_player(minimal);
    REQUIRE(config);
    CHECK(config->tts.engine == TtsEngine::Espeak);
    CHECK(config->tts.timeout == std::chrono::seconds{20});
}

TEST_CASE("a device's speech engine is checked like the controller's", "[config][player][tts]") {
    auto http = load_player(minimal +
                            "[tts]\nengine = \"http\"\nurl = \"http://127.0.0.1:5002/tts\"\ntimeout_s = 5\n");
    REQUIRE(http);
    CHECK(http->tts.engine == TtsEngine::Http);
    CHECK(http->tts.url == "http://127.0.0.1:5002/tts");
    CHECK(http->tts.timeout == std::chrono::seconds{5});
    auto no_url = load_player(minimal + "[tts]\nengine = \"http\"\n");
    CHECK(error_lines(no_url) ==
          std::vector<std::string>{
              "player.toml:2: tts.url: bắt buộc khi engine = \"http\" (http:// hoặc https://); "
              "required when engine is \"http\" (http:// or https://)"});
    auto no_wav = load_player(minimal + "[tts]\nengine = \"command\"\ncommand = [\"say\"]\n");
    CHECK(error_lines(no_wav) ==
          std::vector<std::string>{
              "player.toml:4: tts.command: phải có {wav}, nơi chương trình ghi tệp WAV; must "
              "contain {wav}, where the program writes its WAV"});
    PlayerConfig original;
    original.provisioning_file = "/etc/bantin/provisioning.json";
    original.tts =
        TtsEngineConfig{TtsEngine::Command, {"/opt/tts/say", "{wav}"}, "", std::chrono::seconds{9}};
    auto rendered = load_player(render_player_config(original));
    REQUIRE(rendered);
    CHECK(*rendered == original);
}
