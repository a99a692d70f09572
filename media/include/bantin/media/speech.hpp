#pragma once
// Text-to-speech: renders a text notice to audio with a speech engine, encodes it to Opus in
// Ogg with ffmpeg, probes it and puts it into the content-addressed store.
//
// Why Opus: espeak-ng writes 16-bit mono WAV at 22.05 kHz (about 44 kB per second of speech);
// Opus at 32 kbit/s is about 4 kB per second, ten times less to push over a 3G link to every
// loudspeaker, and mpv plays it natively. SpeechFormat::Wav keeps the engine's WAV as is and
// reads its length from the WAV header: with espeak-ng it needs espeak-ng only (no ffmpeg, no
// ffprobe), which is what a player speaking an alert itself uses.
//
// For a Vietnamese voice the text is first made speakable (numbers, times, dates, money and the
// abbreviations of local government as words: speech_text.hpp).
//
// Engines (SpeechEngineOptions): each makes a WAV from the text; what follows (Opus, probe,
// store) is the same for all.
//   espeak   espeak-ng, the default. The text is written to a file read with `-b 1 -f <file>`:
//            it never passes through a shell or an argument. The voice must be one that
//            `espeak-ng --voices=<language>` lists; an unknown voice is InvalidInput naming the
//            voices that exist. Default: Southern Vietnamese, vi-vn-x-south.
//   command  a program a district installs (an argv template, no shell): `{text_file}` is the
//            UTF-8 text file (also the program's stdin), `{wav}` where it writes its WAV,
//            `{voice}` the voice. Run with the engine's timeout.
//   http     POST {"text": ..., "voice": ...} (JSON) to a URL; the answer is a WAV
//            (audio/wav), read up to max_wav_bytes within the engine's timeout.
// Whatever an engine makes must be a RIFF/WAVE PCM file of sane size and length
// (inspect_speech_wav). When a command or HTTP engine fails in any way (missing program,
// non-zero exit, timeout, HTTP error, refused connection, garbage), espeak-ng speaks the text
// instead and a warning is logged: an emergency never goes silent because a voice service is
// down. SpeechAudio says which engine spoke, and why not the configured one.
//
// Threads: any thread; work files live in a private directory under the store's tmp/ that is
// removed afterwards. Errors: InvalidInput (empty or invalid UTF-8 text, text too long, unknown
// espeak-ng voice, a voice a command or HTTP engine may not be given), NotFound (espeak-ng or
// ffmpeg missing), Timeout, Internal (a tool failed; the detail carries its stderr), plus the
// store's errors. With a command or HTTP engine these are espeak-ng's (the fallback's), the
// detail naming the engine's failure too.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/media/probe.hpp"
#include "bantin/media/store.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::media {

enum class SpeechFormat { Opus, Wav };

// Who makes the WAV.
enum class SpeechEngine { Espeak, Command, Http };
std::string_view to_string(SpeechEngine engine);  // "espeak", "command", "http"

struct SpeechEngineOptions {
    SpeechEngine kind = SpeechEngine::Espeak;
    // Command: argv template; argv[0] is looked up in PATH unless it contains '/'. Placeholders
    // {text_file}, {wav}, {voice} are replaced anywhere inside an argument ("--out={wav}").
    std::vector<std::string> command;
    std::string url;                              // Http: http:// or https://
    Duration timeout = std::chrono::seconds{60};  // Command and Http: one text, all of it
};

struct SpeechOptions {
    std::string voice = "vi-vn-x-south";
    int words_per_minute = 150;  // espeak-ng -s; its default 175 is hurried for announcements
    SpeechFormat format = SpeechFormat::Opus;
    std::string espeak = "espeak-ng";
    std::string ffmpeg = "ffmpeg";
    ProbeOptions probe;
    Duration timeout = std::chrono::seconds{120};  // per tool run (espeak-ng, ffmpeg)
    std::size_t max_text_bytes = 20'000;
    SpeechEngineOptions engine;
    // espeak-ng's voice when it speaks for a command or HTTP engine and does not know `voice`.
    std::string fallback_voice = "vi-vn-x-south";
    // Any engine's WAV: at most this large and this long.
    std::uint64_t max_wav_bytes = 256ull * 1024 * 1024;
    Duration max_length = std::chrono::hours{1};
};

struct SpeechAudio {
    StoredObject object;  // sha256 and size in the store
    Duration duration{};
    SpeechFormat format = SpeechFormat::Opus;
    SpeechEngine engine = SpeechEngine::Espeak;  // who spoke
    // Why the configured engine did not speak (espeak-ng did instead); empty when it did.
    std::string fallback_reason;
};

// The voice names espeak-ng knows for a language ("vi" -> vi, vi-vn-x-central, vi-vn-x-south).
Result<std::vector<std::string>> list_voices(std::string_view language, const SpeechOptions& options = {});

Result<SpeechAudio> synthesize_speech(std::string_view text, const ContentStore& store,
                                      const SpeechOptions& options = {});

// What a WAV file's header says. `data_bytes` counts the sample bytes that are there (a data
// size of 0 or past the end of the file, left by a writer that never went back to fix it,
// counts the bytes the file has).
struct WavInfo {
    int format_tag = 0;  // 1 PCM, 3 IEEE float (also read through WAVE_FORMAT_EXTENSIBLE)
    int channels = 0;
    int sample_rate = 0;
    int bits_per_sample = 0;
    std::uint64_t data_bytes = 0;
    Duration duration{};
};

// Reads and checks a speech WAV: RIFF/WAVE, a "fmt " chunk of PCM (integer or float) with
// 1-8 channels, 8-192 kHz and 8/16/24/32 (or 64 float) bits whose byte rate and block align
// agree, a "data" chunk with samples, the file at most `max_bytes` and the speech at most
// `max_length`. Errc::Internal (Errc::TooLarge over the limits) with a sentence naming what is
// wrong; no file is Errc::NotFound.
Result<WavInfo> inspect_speech_wav(const std::filesystem::path& path, std::uint64_t max_bytes,
                                   Duration max_length);

// The argv of a command engine: each placeholder ({text_file}, {wav}, {voice}) replaced in one
// pass, so a voice that reads "{wav}" stays those five characters.
std::vector<std::string> expand_speech_command(const std::vector<std::string>& argv_template,
                                               const std::filesystem::path& text_file,
                                               const std::filesystem::path& wav, std::string_view voice);

// Refuses a voice a command or HTTP engine may not be given (it lands in an argument): empty,
// over 100 bytes, a leading '-', or other than ASCII letters, digits and ._+-
Result<void> check_engine_voice(std::string_view voice);

// True if `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool is_valid_utf8(std::string_view text);

}  // namespace bantin::media
