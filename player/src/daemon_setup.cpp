#include "daemon_setup.hpp"

#include "bantin/player/mpv_renderer.hpp"
#include "bantin/protocol/topics.hpp"

#include <date/tz.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

namespace bantin::player {

Result<std::unique_ptr<Renderer>> make_renderer(const config::PlayerConfig& config, const Clock& clock) {
    RendererConfig renderer_config;
    switch (config.playback.mode) {
        case config::PlaybackMode::Screen: renderer_config.mode = OutputMode::Screen; break;
        case config::PlaybackMode::Speaker: renderer_config.mode = OutputMode::Speaker; break;
        case config::PlaybackMode::Headless: renderer_config.mode = OutputMode::Headless; break;
    }
    renderer_config.fullscreen = config.playback.fullscreen;
    renderer_config.window_width = config.playback.window_width;
    renderer_config.window_height = config.playback.window_height;
    renderer_config.ticker_speed = config.playback.ticker_speed;
    renderer_config.audio_samplerate = config.playback.audio_samplerate;
    renderer_config.initial_volume = std::min(80, config.safety.max_volume);
    // mpv's audio-device ("driver/device"): "null/default" makes a speaker that needs no sound
    // card (tests, servers), "alsa/hw:0" picks a card.
    if (config.playback.audio_device != "auto") {
        renderer_config.extra_options.emplace_back("audio-device", config.playback.audio_device);
        // The null output buffers 200 ms of its own by default, which makes every audio
        // end-file (and so every proof end) that much early; keep it at mpv's audio-buffer,
        // as headless mode does.
        if (config.playback.audio_device.starts_with("null/")) {
            renderer_config.extra_options.emplace_back(
                "ao-null-buffer", std::to_string(renderer_config.audio_buffer_ms / 1000.0));
        }
    }
    auto renderer = MpvRenderer::create(renderer_config, clock);
    if (!renderer)
        return std::unexpected(renderer.error());
    return std::unique_ptr<Renderer>(std::move(*renderer));
}

protocol::MqttClientOptions mqtt_client_options(const config::PlayerConfig& config,
                                                const protocol::Provisioning& provisioning) {
    protocol::MqttClientOptions options;
    options.host = provisioning.mqtt.host;
    options.port = provisioning.mqtt.port;
    options.client_id = provisioning.device;
    options.username = provisioning.mqtt.username;
    options.password = provisioning.mqtt.password;
    if (provisioning.mqtt.tls_ca_pem) {
        const auto ca_file = config.state.dir / "broker-ca.pem";
        std::ofstream(ca_file) << *provisioning.mqtt.tls_ca_pem;
        options.tls = protocol::MqttTls{ca_file.string(), "", ""};
    }
    options.session_expiry = std::chrono::duration_cast<std::chrono::seconds>(config.mqtt.session_expiry);
    options.keepalive = config.mqtt.keepalive;
    options.reconnect_min = config.mqtt.reconnect.minimum;
    options.reconnect_max = config.mqtt.reconnect.maximum;
    return options;
}

media::FetchOptions fetch_options(const config::PlayerConfig& config,
                                  const protocol::Provisioning& provisioning,
                                  const std::string& software_version) {
    media::FetchOptions options;
    options.parallel_transfers = static_cast<std::size_t>(std::max(1, config.fetch.concurrency));
    options.connect_timeout = std::chrono::duration_cast<Duration>(config.fetch.connect_timeout);
    options.low_speed_window = std::chrono::duration_cast<Duration>(config.fetch.stall_timeout);
    options.retry.initial_delay = config.fetch.retry.minimum;
    options.retry.max_delay = config.fetch.retry.maximum;
    options.user_agent = "bantin-player/" + software_version;
    options.auth = media::FetchAuth::basic(provisioning.mqtt.username, provisioning.mqtt.password);
    return options;
}

EngineOptions engine_options(const config::PlayerConfig& config, scheduler::DeviceKind kind) {
    EngineOptions options;
    options.device_kind = kind;
    options.max_volume = config.safety.max_volume;
    options.notice_directory = config.state.dir / "notices";
    // A full state disk must not keep an alert's text off the screen: memory-backed /dev/shm
    // takes the notice then (the system's temporary directory where there is none).
    std::error_code no_shm;
    options.notice_fallback_directory =
        (std::filesystem::is_directory("/dev/shm", no_shm) ? std::filesystem::path{"/dev/shm"}
                                                           : std::filesystem::temp_directory_path(no_shm)) /
        ("bantin-notices-" + std::to_string(::getuid()));
    return options;
}

std::string safety_time_zone(const config::SafetyConfig& safety) {
    if (!safety.time_zone.empty())
        return safety.time_zone;  // checked by the config loader
    try {
        return std::string{date::current_zone()->name()};
    } catch (const std::exception& error) {
        spdlog::warn(
            "safety: the system has no time zone ({}); quiet hours are read in {} "
            "(set [safety] time_zone)",
            error.what(), scheduler::default_time_zone);
        return std::string{scheduler::default_time_zone};
    }
}

std::string boot_id_from(std::uint64_t seed) {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(std::mt19937_64{seed}()));
    return text;
}

Result<DeviceTopics> device_topics(const std::string& device, const std::string& zone) {
    DeviceTopics topics;
    const std::pair<protocol::DeviceChannel, std::string*> channels[] = {
        {protocol::DeviceChannel::Status, &topics.status},
        {protocol::DeviceChannel::ProofOfPlay, &topics.pop},
        {protocol::DeviceChannel::Bundle, &topics.bundle},
        {protocol::DeviceChannel::Command, &topics.command},
        {protocol::DeviceChannel::Ack, &topics.ack},
    };
    for (const auto& [channel, target] : channels) {
        auto topic = protocol::device_topic(device, channel);
        if (!topic)
            return std::unexpected(topic.error());
        *target = std::move(*topic);
    }
    auto zone_topic = protocol::alert_zone_topic(zone);
    if (!zone_topic)
        return std::unexpected(zone_topic.error());
    topics.zone = std::move(*zone_topic);
    auto live_topic = protocol::live_zone_topic(zone);
    if (!live_topic)
        return std::unexpected(live_topic.error());
    topics.live = std::move(*live_topic);
    return topics;
}

AlertIntake::Options alert_options(const protocol::TrustedKeys& keys, const DeviceIdentity& identity,
                                   const LocalInterlocks& interlocks, const config::SafetyConfig& safety,
                                   const config::TtsEngineConfig& tts, AlertBook::Options hold) {
    AlertIntake::Options options;
    options.keys = keys;
    options.identity = identity;
    options.interlocks = interlocks;
    options.hold = hold;
    options.words_after = std::chrono::duration_cast<Duration>(safety.alert_words_after);
    options.speech.voice = safety.alert_voice;
    switch (tts.engine) {
        case config::TtsEngine::Espeak: options.speech.engine.kind = media::SpeechEngine::Espeak; break;
        case config::TtsEngine::Command: options.speech.engine.kind = media::SpeechEngine::Command; break;
        case config::TtsEngine::Http: options.speech.engine.kind = media::SpeechEngine::Http; break;
    }
    options.speech.engine.command = tts.command;
    options.speech.engine.url = tts.url;
    // The daemon's loop waits while the words are made: a hung engine holds it (and MQTT, cancels
    // included) at most 5 s before espeak-ng speaks them, whatever tts.timeout_s says.
    options.speech.engine.timeout =
        std::min(std::chrono::duration_cast<Duration>(tts.timeout), Duration{std::chrono::seconds{5}});
    return options;
}

}  // namespace bantin::player
