#pragma once
// Value types shared by the controller and player configurations (bantin::config).
//
// Plain values with defaults; no I/O. `parse_daily_window` and the enum `parse_*` functions
// are the same parsers the TOML loader uses, so a consumer that reads the same notations
// elsewhere (a CLI flag, a provisioning file) accepts exactly what a config file accepts.
// Any thread may call them. Bad text is Errc::InvalidInput with a sentence naming the text.

#include "bantin/common/error.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::config {

// spdlog's levels, spelled as in spdlog ("warn", not "warning").
enum class LogLevel { Trace, Debug, Info, Warn, Error, Critical, Off };

std::string_view to_string(LogLevel level);
Result<LogLevel> parse_log_level(std::string_view text);

// A daily window [start, end) in local minutes after midnight, written "HH:MM-HH:MM".
// end <= start means the window crosses midnight ("22:00-06:00"); "00:00-24:00" is the
// whole day. start == end is refused (an empty window is a typo, not a rule). Same layout
// as bantin::scheduler::DailyWindow, so a player converts member by member.
struct DailyWindow {
    int start_minute = 0;
    int end_minute = 24 * 60;
    bool operator==(const DailyWindow&) const = default;
};

// "HH:MM-HH:MM", HH 00..23 (end may be 24:00), MM 00..59.
Result<DailyWindow> parse_daily_window(std::string_view text);
std::string to_string(const DailyWindow& window);

// Exponential reconnect or retry backoff: the first wait is `minimum`, each failure doubles
// it up to `maximum` (consumers add jitter).
struct Backoff {
    std::chrono::milliseconds minimum{1000};
    std::chrono::milliseconds maximum{60000};
    bool operator==(const Backoff&) const = default;
};

// Client-side TLS for an MQTT connection. TLS is on when ca_file is set; a client
// certificate needs both cert_file and key_file.
struct ClientTls {
    std::filesystem::path ca_file;
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    bool enabled() const { return !ca_file.empty(); }
    bool operator==(const ClientTls&) const = default;
};

// Who makes speech from text (docs/config.md, [tts]): espeak-ng, a program the district
// installs (an argv template, no shell) or an HTTP service. A command or HTTP engine that fails
// is replaced by espeak-ng for that text (docs/media.md, "Text-to-speech").
enum class TtsEngine { Espeak, Command, Http };

std::string_view to_string(TtsEngine engine);

struct TtsEngineConfig {
    TtsEngine engine = TtsEngine::Espeak;
    // engine = "command": argv with {text_file}, {wav} (required) and {voice}.
    std::vector<std::string> command;
    std::string url;                   // engine = "http": http:// or https://
    std::chrono::seconds timeout{60};  // command or http: one text
    bool operator==(const TtsEngineConfig&) const = default;
};

struct LogConfig {
    LogLevel level = LogLevel::Info;
    bool operator==(const LogConfig&) const = default;
};

// `path` if it is absolute or empty, else `base / path`. Relative paths in a config file
// are relative to a directory the file names (the data or state directory), never to the
// working directory of the process.
std::filesystem::path resolve_path(const std::filesystem::path& base, const std::filesystem::path& path);

}  // namespace bantin::config
