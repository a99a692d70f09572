#pragma once
// Internal: the [tts] engine keys, the same in controller.toml and player.toml (docs/config.md).

#include "bantin/config/types.hpp"
#include "schema.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace bantin::config::detail {

inline auto speech_service_url() {
    return [](const std::string& value) -> std::optional<std::string> {
        if (value.empty() || value.starts_with("http://") || value.starts_with("https://"))
            return std::nullopt;
        return "địa chỉ phải bắt đầu bằng http:// hoặc https://; must start with http:// or https://, got " +
               quote(value);
    };
}

template <class Visitor, class Engine>
void describe_tts_engine(Visitor& v, Engine& e) {
    v.key(
        "engine", e.engine,
        "espeak (espeak-ng), command (a program, see command) or http (a speech service, see url). A command "
        "or http engine that fails (missing, error, timeout, not a WAV) is replaced by espeak-ng for that "
        "text, with a warning.");
    v.key(
        "command", e.command,
        "engine = \"command\": the program and its arguments, run without a shell. {text_file} is the UTF-8 "
        "text (also the program's stdin), {wav} the file it must write (RIFF/WAVE PCM), {voice} the voice.");
    v.key("url", e.url,
          "engine = \"http\": the service the text is POSTed to as JSON {\"text\": ..., \"voice\": ...}; it "
          "answers a WAV (audio/wav).",
          speech_service_url());
    v.key("timeout_s", e.timeout,
          "Seconds the command or http engine may take for one text before espeak-ng speaks it instead.",
          between(1, 3600));
}

// {text_file}, {wav}, {voice}: the placeholders a command may hold; {anything_else} is a typo.
inline std::optional<std::string> unknown_placeholder(const std::string& argument) {
    constexpr std::array<std::string_view, 3> known{"{text_file}", "{wav}", "{voice}"};
    for (std::size_t open = argument.find('{'); open != std::string::npos;
         open = argument.find('{', open + 1)) {
        const std::size_t close = argument.find('}', open);
        if (close == std::string::npos)
            break;
        const std::string_view name = std::string_view{argument}.substr(open, close - open + 1);
        const bool word = name.size() > 2 &&
                          name.substr(1, name.size() - 2).find_first_not_of("abcdefghijklmnopqrstuvwxyz_") ==
                              std::string_view::npos;
        if (word && std::find(known.begin(), known.end(), name) == known.end())
            return std::string{name};
    }
    return std::nullopt;
}

// A voice a command or http engine is given lands in an argument or a JSON string: ASCII
// letters, digits and ._+-, not starting with '-' (media::check_engine_voice says the same).
inline bool plain_engine_voice(std::string_view voice) {
    return !voice.empty() && voice.size() <= 100 && !voice.starts_with('-') &&
           voice.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") ==
               std::string_view::npos;
}

// `table` is "tts".
inline void cross_check_tts_engine(const TtsEngineConfig& e, Loader& loader, std::string_view table) {
    const std::string prefix = std::string{table} + ".";
    const std::string engine_key = prefix + "engine";
    if (e.engine == TtsEngine::Command) {
        const std::string key = prefix + "command";
        if (e.command.empty() || e.command.front().empty()) {
            loader.cross_issue(
                key,
                "bắt buộc khi engine = \"command\" (phần tử đầu là chương trình); required when "
                "engine is \"command\": the program first, then its arguments",
                {engine_key});
            return;
        }
        bool writes_wav = false;
        for (const std::string& argument : e.command) {
            writes_wav = writes_wav || argument.find("{wav}") != std::string::npos;
            if (auto unknown = unknown_placeholder(argument)) {
                loader.cross_issue(key,
                                   "không có chỗ thay " + *unknown +
                                       " (chỉ {text_file}, {wav}, {voice}); unknown "
                                       "placeholder " +
                                       *unknown + " (known: {text_file}, {wav}, {voice})",
                                   {engine_key});
                return;
            }
        }
        if (!writes_wav)
            loader.cross_issue(
                key,
                "phải có {wav}, nơi chương trình ghi tệp WAV; must contain {wav}, where the program "
                "writes its WAV",
                {engine_key});
    }
    if (e.engine == TtsEngine::Http && e.url.empty())
        loader.cross_issue(prefix + "url",
                           "bắt buộc khi engine = \"http\" (http:// hoặc https://); required when engine is "
                           "\"http\" (http:// or https://)",
                           {engine_key});
}

}  // namespace bantin::config::detail
