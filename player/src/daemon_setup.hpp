#pragma once
// The real parts of a player daemon, built from its configuration (Daemon::create()), and the
// options the daemon's own parts take from it. Internal to the player library.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/config/player_config.hpp"
#include "bantin/media/fetch.hpp"
#include "bantin/player/alert_intake.hpp"
#include "bantin/player/playback_engine.hpp"
#include "bantin/player/renderer.hpp"
#include "bantin/protocol/mqtt_client.hpp"
#include "bantin/protocol/provisioning.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace bantin::player {

// MpvRenderer for the configured mode (screen, speaker, headless) and audio device.
Result<std::unique_ptr<Renderer>> make_renderer(const config::PlayerConfig& config, const Clock& clock);
// The broker connection of the provisioning file, with [mqtt]'s timings; the will is the daemon's.
protocol::MqttClientOptions mqtt_client_options(const config::PlayerConfig& config,
                                                const protocol::Provisioning& provisioning);
// [fetch], with the device's MQTT credentials as HTTP basic auth (the controller serves media
// to devices with them).
media::FetchOptions fetch_options(const config::PlayerConfig& config,
                                  const protocol::Provisioning& provisioning,
                                  const std::string& software_version);
EngineOptions engine_options(const config::PlayerConfig& config, scheduler::DeviceKind kind);
// The zone [safety] quiet hours are read in: safety.time_zone, else the system's (/etc/localtime,
// or TZ), else Asia/Ho_Chi_Minh with a warning. Never the zone a bundle names.
std::string safety_time_zone(const config::SafetyConfig& safety);

// What alert intake takes from [safety] and [tts]: the words made on the device
// (alert_speech_after_s, alert_voice, the speech engine), beside the keys, the identity, the
// interlocks and the restart hold.
AlertIntake::Options alert_options(const protocol::TrustedKeys& keys, const DeviceIdentity& identity,
                                   const LocalInterlocks& interlocks, const config::SafetyConfig& safety,
                                   const config::TtsEngineConfig& tts, AlertBook::Options hold);

// The device's own topics (docs/protocol.md), its zone's alert topic and its zone's live topic.
struct DeviceTopics {
    std::string status, pop, bundle, command, ack, zone, live;
};
Result<DeviceTopics> device_topics(const std::string& device, const std::string& zone);
// The boot id the status carries: 16 hex digits drawn from the daemon's seed.
std::string boot_id_from(std::uint64_t seed);

}  // namespace bantin::player
