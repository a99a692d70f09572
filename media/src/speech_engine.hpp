#pragma once
// Internal to speech.cpp: the command and HTTP speech engines, each making a WAV at `wav` from
// the (already speakable) text in `text_file`. Neither checks the WAV; the caller does
// (inspect_speech_wav). Errors say what went wrong, Vietnamese first.

#include "bantin/common/error.hpp"
#include "bantin/media/speech.hpp"

#include <filesystem>
#include <string_view>

namespace bantin::media::detail {

Result<void> speak_with_command(const SpeechEngineOptions& engine, const std::filesystem::path& text_file,
                                const std::filesystem::path& wav, std::string_view voice);

Result<void> speak_over_http(const SpeechEngineOptions& engine, std::string_view text, std::string_view voice,
                             const std::filesystem::path& wav, std::uint64_t max_bytes);

}  // namespace bantin::media::detail
