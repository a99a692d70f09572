#pragma once
// Internal: the names of the configuration enums, as written in TOML.

#include "bantin/config/controller_config.hpp"
#include "bantin/config/player_config.hpp"
#include "bantin/config/types.hpp"
#include "schema.hpp"

#include <array>

namespace bantin::config::detail {

inline constexpr std::array<EnumName<LogLevel>, 7> log_level_names{{
    {LogLevel::Trace, "trace"},
    {LogLevel::Debug, "debug"},
    {LogLevel::Info, "info"},
    {LogLevel::Warn, "warn"},
    {LogLevel::Error, "error"},
    {LogLevel::Critical, "critical"},
    {LogLevel::Off, "off"},
}};

inline constexpr std::array<EnumName<PlaybackMode>, 3> playback_mode_names{{
    {PlaybackMode::Screen, "screen"},
    {PlaybackMode::Speaker, "speaker"},
    {PlaybackMode::Headless, "headless"},
}};

inline constexpr std::array<EnumName<ClientCertificate>, 2> client_certificate_names{{
    {ClientCertificate::Optional, "optional"},
    {ClientCertificate::Required, "required"},
}};

inline constexpr std::array<EnumName<BrokerLogLevel>, 2> broker_log_level_names{{
    {BrokerLogLevel::Normal, "normal"},
    {BrokerLogLevel::Debug, "debug"},
}};

inline constexpr std::array<EnumName<HttpFront>, 2> http_front_names{{
    {HttpFront::Nginx, "nginx"},
    {HttpFront::None, "none"},
}};

inline constexpr std::array<EnumName<StorageBackend>, 2> storage_backend_names{{
    {StorageBackend::Sqlite, "sqlite"},
    {StorageBackend::Postgresql, "postgresql"},
}};

template <>
struct EnumTable<StorageBackend> {
    static std::span<const EnumName<StorageBackend>> entries() { return storage_backend_names; }
};

inline constexpr std::array<EnumName<TtsEngine>, 3> tts_engine_names{{
    {TtsEngine::Espeak, "espeak"},
    {TtsEngine::Command, "command"},
    {TtsEngine::Http, "http"},
}};

template <>
struct EnumTable<TtsEngine> {
    static std::span<const EnumName<TtsEngine>> entries() { return tts_engine_names; }
};

template <>
struct EnumTable<HttpFront> {
    static std::span<const EnumName<HttpFront>> entries() { return http_front_names; }
};

template <>
struct EnumTable<ClientCertificate> {
    static std::span<const EnumName<ClientCertificate>> entries() { return client_certificate_names; }
};

template <>
struct EnumTable<BrokerLogLevel> {
    static std::span<const EnumName<BrokerLogLevel>> entries() { return broker_log_level_names; }
};

template <>
struct EnumTable<LogLevel> {
    static std::span<const EnumName<LogLevel>> entries() { return log_level_names; }
};

template <>
struct EnumTable<PlaybackMode> {
    static std::span<const EnumName<PlaybackMode>> entries() { return playback_mode_names; }
};

}  // namespace bantin::config::detail
