#pragma once
// The player's configuration (player.toml): schema, defaults, loading, validation and
// rendering back to TOML. docs/config.md lists every key.
//
// The player's identity, MQTT credentials, broker address and trusted controller keys are
// not here: they come from the provisioning file this config points to. This file says how
// the device plays, caches, fetches and reports.
//
// Lifecycle, threads and errors: as controller_config.hpp. `provisioning_file` is the one
// required key; its absence is reported at the line of the file's first table or line 1.

#include "bantin/common/error.hpp"
#include "bantin/config/types.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::config {

enum class PlaybackMode { Screen, Speaker, Headless };

std::string_view to_string(PlaybackMode mode);
Result<PlaybackMode> parse_playback_mode(std::string_view text);

struct StateConfig {
    std::filesystem::path dir = "/var/lib/bantin-player";
    bool operator==(const StateConfig&) const = default;
};

struct CacheConfig {
    std::filesystem::path dir = "cache";  // relative to state.dir
    std::int64_t max_mb = 4096;
    std::int64_t min_free_disk_mb = 256;
    bool operator==(const CacheConfig&) const = default;
};

struct PlaybackConfig {
    PlaybackMode mode = PlaybackMode::Screen;
    bool fullscreen = true;
    int window_width = 1920;
    int window_height = 1080;
    std::string audio_device = "auto";  // mpv's audio-device
    int audio_samplerate = 48000;
    // Noto Sans from fonts-noto-core; when the default is missing, DejaVu Sans is used.
    std::filesystem::path font_file = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf";
    std::filesystem::path bold_font_file = "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf";
    int notice_min_px = 24;  // least text size of a notice, in pixels
    // Screen: the ticker band's speed, pixels per second on a 1080-row output (scaled to the
    // output's height, so it reads the same on every screen).
    int ticker_speed = 120;
    bool operator==(const PlaybackConfig&) const = default;
};

// Device-local interlocks that hold whatever a bundle asks.
struct SafetyConfig {
    int max_volume = 100;  // percent
    // The least volume of a live alert (percent), whatever the volume schedule or a set-volume
    // command says; max_volume still caps it. Exercise alerts and campaigns keep the schedule's.
    int emergency_volume = 90;
    // An alert whose notice or speech is not on disk this long after it arrived (or whose
    // download failed) gets them from the device itself, spoken with espeak-ng in alert_voice;
    // zero: never.
    std::chrono::seconds alert_words_after{5};
    std::string alert_voice = "vi-vn-x-south";
    std::vector<DailyWindow> quiet_hours;  // in time_zone; only emergency alerts play
    // IANA name of the zone quiet_hours are read in. Empty in the file: the system's zone (the
    // loader fills it in); never the zone a bundle names.
    std::string time_zone;
    bool operator==(const SafetyConfig&) const = default;
};

struct StatusConfig {
    std::chrono::seconds interval{30};
    bool operator==(const StatusConfig&) const = default;
};

// Screenshots a screen sends by itself to the controller (the upload path of the screenshot
// command), so the console shows what each screen shows now. 0 s: only on command.
struct ScreenshotsConfig {
    std::chrono::seconds interval{300};
    bool operator==(const ScreenshotsConfig&) const = default;
};

struct FetchConfig {
    int concurrency = 2;
    Backoff retry{std::chrono::milliseconds{2000}, std::chrono::milliseconds{300000}};
    std::chrono::seconds connect_timeout{15};
    std::chrono::seconds stall_timeout{60};
    std::chrono::hours activation_horizon{24};
    bool operator==(const FetchConfig&) const = default;
};

struct PlayerMqttConfig {
    std::chrono::seconds keepalive{30};
    Backoff reconnect{std::chrono::milliseconds{1000}, std::chrono::milliseconds{120000}};
    std::chrono::hours session_expiry{7 * 24};
    bool operator==(const PlayerMqttConfig&) const = default;
};

struct ProofConfig {
    int batch_max_rows = 200;
    std::chrono::seconds flush_interval{5};
    bool operator==(const ProofConfig&) const = default;
};

struct PlayerConfig {
    std::filesystem::path provisioning_file;  // required
    StateConfig state;
    CacheConfig cache;
    PlaybackConfig playback;
    SafetyConfig safety;
    StatusConfig status;
    ScreenshotsConfig screenshots;
    FetchConfig fetch;
    PlayerMqttConfig mqtt;
    ProofConfig proof;
    // The engine of the speech a device makes itself (safety.alert_voice is its voice). 20 s,
    // not 60: an alert waits that long before espeak-ng stands in for a hung engine.
    TtsEngineConfig tts{TtsEngine::Espeak, {}, {}, std::chrono::seconds{20}};
    LogConfig log;

    std::filesystem::path cache_path() const;     // cache.dir resolved against state.dir
    std::filesystem::path database_path() const;  // <state.dir>/player.sqlite3

    bool operator==(const PlayerConfig&) const = default;
};

Result<PlayerConfig> load_player_config(const std::filesystem::path& path);
Result<PlayerConfig> load_player_config_from_string(std::string_view text, std::string_view source_name);

// Commented TOML. With an empty provisioning_file (the default) that key is written commented
// out, marked required, so the printed default config fails `--check-config` until it is set.
std::string render_player_config(const PlayerConfig& config);

std::vector<std::string> player_config_keys();

}  // namespace bantin::config
