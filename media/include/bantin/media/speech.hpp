#pragma once
// Text-to-speech: renders a text notice to audio with espeak-ng (a child process), encodes it
// to Opus in Ogg with ffmpeg, probes it and puts it into the content-addressed store.
//
// Why Opus: espeak-ng writes 16-bit mono WAV at 22.05 kHz (about 44 kB per second of speech);
// Opus at 32 kbit/s is about 4 kB per second, ten times less to push over a 3G link to every
// loudspeaker, and mpv plays it natively. SpeechFormat::Wav keeps espeak-ng's output as is and
// reads its length from the WAV header: it needs espeak-ng only (no ffmpeg, no ffprobe), which is
// what a player speaking an alert itself uses.
//
// For a Vietnamese voice the text is first made speakable (numbers, times, dates, money and the
// abbreviations of local government as words: speech_text.hpp).
//
// The text (UTF-8, Vietnamese with diacritics) is written to a file and read by espeak-ng with
// `-b 1 -f <file>`: it never passes through a shell or an argument. The voice must be one that
// `espeak-ng --voices=<language>` lists; an unknown voice is InvalidInput naming the voices
// that exist. Default: Southern Vietnamese, vi-vn-x-south.
//
// Threads: any thread; work files live in a private directory under the store's tmp/ that is
// removed afterwards. Errors: InvalidInput (empty or invalid UTF-8 text, text too long, unknown
// voice), NotFound (espeak-ng or ffmpeg missing), Timeout, Internal (a tool failed; the detail
// carries its stderr), plus the store's errors.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/media/probe.hpp"
#include "bantin/media/store.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace bantin::media {

enum class SpeechFormat { Opus, Wav };

struct SpeechOptions {
    std::string voice = "vi-vn-x-south";
    int words_per_minute = 150;  // espeak-ng -s; its default 175 is hurried for announcements
    SpeechFormat format = SpeechFormat::Opus;
    std::string espeak = "espeak-ng";
    std::string ffmpeg = "ffmpeg";
    ProbeOptions probe;
    Duration timeout = std::chrono::seconds{120};  // per tool run
    std::size_t max_text_bytes = 20'000;
};

struct SpeechAudio {
    StoredObject object;  // sha256 and size in the store
    Duration duration{};
    SpeechFormat format = SpeechFormat::Opus;
};

// The voice names espeak-ng knows for a language ("vi" -> vi, vi-vn-x-central, vi-vn-x-south).
Result<std::vector<std::string>> list_voices(std::string_view language, const SpeechOptions& options = {});

Result<SpeechAudio> synthesize_speech(std::string_view text, const ContentStore& store,
                                      const SpeechOptions& options = {});

// True if `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool is_valid_utf8(std::string_view text);

}  // namespace bantin::media
