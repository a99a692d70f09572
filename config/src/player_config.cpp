#include "bantin/config/player_config.hpp"

#include "enums.hpp"
#include "schema.hpp"
#include "tts_keys.hpp"

namespace bantin::config {

namespace {

using detail::at_least;
using detail::between;
using detail::not_empty;

// The one description of player.toml: loading, rendering and the key list all walk it.
template <class Visitor, class Config>
void describe_player(Visitor& v, Config& c) {
    v.required_key("provisioning_file", c.provisioning_file,
                   "Provisioning file made by the controller for this device (device id, MQTT credentials, "
                   "broker address, controller public keys).",
                   "/etc/bantin/provisioning.json");
    v.table("state", "Local state: the SQLite database (bundles, cache index, proof-of-play outbox).", [&] {
        v.key("dir", c.state.dir, "State directory; holds player.sqlite3 and, by default, the media cache.",
              not_empty());
    });
    v.table("cache", "Media cache.", [&] {
        v.key("dir", c.cache.dir, "Cache directory (relative to state.dir).", not_empty());
        v.key("max_mb", c.cache.max_mb, "Size limit of the cache, in MB.", at_least(1));
        v.key("min_free_disk_mb", c.cache.min_free_disk_mb,
              "Stop downloading when the disk has less free space than this, in MB.", at_least(0));
    });
    v.table("playback", "How the device plays.", [&] {
        v.key("mode", c.playback.mode,
              "screen (SDL2 window), speaker (audio only, no window) or headless (no video or audio "
              "output; for tests and servers).");
        v.key("fullscreen", c.playback.fullscreen, "Screen mode: fill the display.");
        v.key("window_width", c.playback.window_width, "Screen mode, not fullscreen: window width in pixels.",
              between(16, 16384));
        v.key("window_height", c.playback.window_height,
              "Screen mode, not fullscreen: window height in pixels.", between(16, 16384));
        v.key("audio_device", c.playback.audio_device,
              "mpv audio device (\"auto\" or a name from mpv --audio-device=help).", not_empty());
        v.key("audio_samplerate", c.playback.audio_samplerate,
              "Fixed output sample rate in Hz, so that audio stays gapless across items.",
              between(8000, 192000));
        v.key("font_file", c.playback.font_file,
              "TrueType font for text notices (body, header); needs Vietnamese diacritics.", not_empty());
        v.key("bold_font_file", c.playback.bold_font_file,
              "TrueType bold font for a notice's headline and place; empty: the regular one made bold.");
        v.key("notice_min_px", c.playback.notice_min_px,
              "Least size of a notice's text in pixels, whatever the screen; text that does not fit is "
              "paged, never drawn smaller.",
              between(8, 512));
        // Sizes follow the screen (docs/player.md, "Notice design").
        v.retired_key("font_size", "a notice's sizes follow the screen's size; see notice_min_px");
        v.key("ticker_speed", c.playback.ticker_speed,
              "Screen mode: the ticker's speed in pixels per second on a 1080-row output, scaled to the "
              "output's height.",
              between(10, 2000));
        // Every playlist item carries its duration (the controller requires one for images).
        v.retired_key("image_duration_s", "every playlist item carries its own duration");
    });
    v.table("safety", "Device-local limits that hold whatever a bundle asks.", [&] {
        v.key("max_volume", c.safety.max_volume,
              "Volume cap in percent; the lower of this and the provisioning file's cap applies.",
              between(0, 100));
        v.key("emergency_volume", c.safety.emergency_volume,
              "Least volume in percent of a live (not exercise) alert, whatever the volume schedule or a "
              "set-volume command says; max_volume still caps it.",
              between(0, 100));
        v.key(
            "quiet_hours", c.safety.quiet_hours,
            "Windows \"HH:MM-HH:MM\" (may cross midnight) of local time in time_zone in which only emergency "
            "alerts play, added to the bundle's own quiet hours.");
        v.key("time_zone", c.safety.time_zone,
              "IANA time zone quiet_hours are read in; empty: the system's. Never the zone a bundle names, "
              "so a bundle cannot move the device's quiet hours.",
              detail::known_time_zone(true));
        v.key("alert_speech_after_s", c.safety.alert_words_after,
              "Seconds an alert waits for its notice and speech from the controller before the device "
              "makes them itself (espeak-ng), so an emergency is heard with the controller's web server "
              "down; 0: never.",
              between(0, 600));
        v.key(
            "alert_voice", c.safety.alert_voice,
            "The espeak-ng voice a device speaks an alert in when it makes the speech itself.",
            [](const std::string& voice) -> std::optional<std::string> {
                const bool plain =
                    !voice.empty() && voice.size() <= 64 &&
                    voice.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_+") == std::string::npos;
                if (plain)
                    return std::nullopt;
                return "expected an espeak-ng voice name such as \"vi-vn-x-south\" (espeak-ng --voices=vi), "
                       "got \"" +
                       voice.substr(0, 64) + "\"";
            });
    });
    v.table("tts",
            "The engine of the speech a device makes for an alert itself (voice: safety.alert_voice); "
            "espeak-ng, or a command or HTTP service that espeak-ng stands in for when it fails.",
            [&] { detail::describe_tts_engine(v, c.tts); });
    v.table("status", "Status reports to the controller.", [&] {
        v.key("interval_s", c.status.interval, "Seconds between status reports (also sent on every change).",
              between(5, 3600));
    });
    v.table(
        "screenshots", "Screenshots a screen sends by itself, so the console shows what it shows now.", [&] {
            v.key("interval_s", c.screenshots.interval,
                  "Seconds between screenshots a screen uploads to the controller; 0: only when the console "
                  "or CLI asks (at least 10 otherwise). Speakers send none.",
                  between(0, 86400));
        });
    v.table("fetch", "Media downloads.", [&] {
        v.key("concurrency", c.fetch.concurrency, "Downloads at the same time.", between(1, 16));
        v.key("retry_min_ms", c.fetch.retry.minimum, "First retry delay after a failed download, in ms.",
              between(10, 3600000));
        v.key("retry_max_ms", c.fetch.retry.maximum,
              "Longest retry delay, in ms; the delay doubles up to it.", between(10, 86400000));
        v.key("connect_timeout_s", c.fetch.connect_timeout, "Seconds to wait for a connection.",
              between(1, 600));
        v.key("stall_timeout_s", c.fetch.stall_timeout,
              "Abort (and later resume) a download that receives nothing for this many seconds.",
              between(1, 3600));
        v.key("activation_horizon_h", c.fetch.activation_horizon,
              "A new bundle becomes active once every item it needs in this many hours is on disk.",
              between(1, 24 * 14));
    });
    v.table("mqtt", "Connection to the broker (address and credentials come from the provisioning file).",
            [&] {
                v.key("keepalive_s", c.mqtt.keepalive, "MQTT keepalive, in seconds.", between(5, 3600));
                v.key("reconnect_min_ms", c.mqtt.reconnect.minimum, "First reconnect delay, in ms.",
                      between(10, 3600000));
                v.key("reconnect_max_ms", c.mqtt.reconnect.maximum, "Longest reconnect delay, in ms.",
                      between(10, 3600000));
                v.key("session_expiry_h", c.mqtt.session_expiry,
                      "MQTT 5 session expiry: the broker keeps this device's subscriptions and queued "
                      "messages this "
                      "long while it is away.",
                      between(1, 24 * 365));
            });
    v.table("proof", "Proof-of-play publishing.", [&] {
        v.key("batch_max_rows", c.proof.batch_max_rows, "Most rows per published batch.", between(1, 10000));
        v.key("flush_interval_s", c.proof.flush_interval, "Seconds between batches while rows wait.",
              between(1, 3600));
    });
    v.table("log", "Logging.",
            [&] { v.key("level", c.log.level, "One of trace, debug, info, warn, error, critical, off."); });
}

void cross_check_player(const PlayerConfig& c, detail::Loader& loader) {
    if (c.screenshots.interval.count() > 0 && c.screenshots.interval.count() < 10)
        loader.cross_issue("screenshots.interval_s", "must be 0 (off) or at least 10");
    detail::cross_check_tts_engine(c.tts, loader, "tts");
    if (c.fetch.retry.minimum > c.fetch.retry.maximum) {
        loader.cross_issue("fetch.retry_min_ms", "must not exceed fetch.retry_max_ms",
                           {"fetch.retry_max_ms"});
    }
    if (c.mqtt.reconnect.minimum > c.mqtt.reconnect.maximum) {
        loader.cross_issue("mqtt.reconnect_min_ms", "must not exceed mqtt.reconnect_max_ms",
                           {"mqtt.reconnect_max_ms"});
    }
}

}  // namespace

std::filesystem::path PlayerConfig::cache_path() const {
    return resolve_path(state.dir, cache.dir);
}

std::filesystem::path PlayerConfig::database_path() const {
    return state.dir / "player.sqlite3";
}

Result<PlayerConfig> load_player_config_from_string(std::string_view text, std::string_view source_name) {
    return detail::load_from_string<PlayerConfig>(
        text, source_name, [](auto& visitor, auto& config) { describe_player(visitor, config); },
        cross_check_player);
}

Result<PlayerConfig> load_player_config(const std::filesystem::path& path) {
    auto text = detail::read_file(path);
    if (!text)
        return std::unexpected(text.error());
    return load_player_config_from_string(*text, path.string());
}

std::string render_player_config(const PlayerConfig& config) {
    detail::Renderer renderer(
        "Bantin player configuration. Every key but provisioning_file is optional; a missing key takes "
        "the value shown here. Check a file with: bantin-player --check-config FILE");
    describe_player(renderer, config);
    return renderer.text();
}

std::vector<std::string> player_config_keys() {
    detail::KeyLister lister;
    const PlayerConfig config;
    describe_player(lister, config);
    return std::move(lister).keys();
}

}  // namespace bantin::config
