#include "bantin/media/speech.hpp"
#include "bantin/media/speech_text.hpp"

#include "bantin/media/process.hpp"
#include "speech_engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bantin::media {

namespace fs = std::filesystem;

namespace {

std::uint32_t little_endian(const unsigned char* bytes, int count) {
    std::uint32_t value = 0;
    for (int i = count - 1; i >= 0; --i) value = (value << 8) | bytes[i];
    return value;
}

// A private work directory, removed with everything in it when this goes out of scope.
class WorkDirectory {
public:
    static Result<WorkDirectory> create(const fs::path& parent) {
        std::string pattern = (parent / "speech-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            return fail(Errc::Io,
                        "cannot create a work directory in " + parent.string() + ": " + std::strerror(errno));
        }
        return WorkDirectory{fs::path{pattern}};
    }
    WorkDirectory(WorkDirectory&& other) noexcept : m_path(std::move(other.m_path)) { other.m_path.clear(); }
    WorkDirectory& operator=(WorkDirectory&&) = delete;
    WorkDirectory(const WorkDirectory&) = delete;
    WorkDirectory& operator=(const WorkDirectory&) = delete;
    ~WorkDirectory() {
        if (!m_path.empty()) {
            std::error_code ignored;
            fs::remove_all(m_path, ignored);
        }
    }
    const fs::path& path() const { return m_path; }

private:
    explicit WorkDirectory(fs::path path) : m_path(std::move(path)) {}
    fs::path m_path;
};

Result<ProcessResult> run_tool(const std::vector<std::string>& argv, Duration timeout,
                               std::optional<fs::path> stdin_file = std::nullopt) {
    ProcessRequest request;
    request.argv = argv;
    request.timeout = timeout;
    request.stdin_file = std::move(stdin_file);
    auto ran = run_process(request);
    if (!ran) {
        return std::unexpected(ran.error());
    }
    if (!ran->succeeded()) {
        return fail(Errc::Internal, argv.front() + " failed: " + ran->describe());
    }
    return ran;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    std::size_t index = 0;
    while (index < text.size()) {
        const auto lead = static_cast<unsigned char>(text[index]);
        std::size_t length = 0;
        std::uint32_t code_point = 0;
        if (lead < 0x80) {
            ++index;
            continue;
        } else if ((lead & 0xE0) == 0xC0) {
            length = 2;
            code_point = lead & 0x1Fu;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
            code_point = lead & 0x0Fu;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4;
            code_point = lead & 0x07u;
        } else {
            return false;
        }
        if (index + length > text.size()) {
            return false;
        }
        for (std::size_t offset = 1; offset < length; ++offset) {
            const auto next = static_cast<unsigned char>(text[index + offset]);
            if ((next & 0xC0) != 0x80) {
                return false;
            }
            code_point = (code_point << 6) | (next & 0x3Fu);
        }
        const bool overlong = (length == 2 && code_point < 0x80) || (length == 3 && code_point < 0x800) ||
                              (length == 4 && code_point < 0x10000);
        if (overlong || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
            return false;
        }
        index += length;
    }
    return true;
}

Result<WavInfo> inspect_speech_wav(const fs::path& path, std::uint64_t max_bytes, Duration max_length) {
    const std::string name = path.filename().string();
    std::error_code size_error;
    const auto file_size = fs::file_size(path, size_error);
    if (size_error) {
        return fail(size_error == std::errc::no_such_file_or_directory ? Errc::NotFound : Errc::Io,
                    "không đọc được " + name + "; cannot read " + name + ": " + size_error.message());
    }
    if (file_size > max_bytes) {
        return fail(Errc::TooLarge, name + " có " + std::to_string(file_size) + " byte, quá giới hạn " +
                                        std::to_string(max_bytes) + "; " + name + " is " +
                                        std::to_string(file_size) + " bytes, over the limit of " +
                                        std::to_string(max_bytes));
    }
    std::ifstream in{path, std::ios::binary};
    unsigned char riff[12];
    if (!in.read(reinterpret_cast<char*>(riff), sizeof riff) || std::memcmp(riff, "RIFF", 4) != 0 ||
        std::memcmp(riff + 8, "WAVE", 4) != 0)
        return fail(Errc::Internal, name + " không phải tệp RIFF/WAVE; " + name + " is not a RIFF/WAVE file");
    WavInfo info;
    std::uint32_t byte_rate = 0;
    std::uint32_t block_align = 0;
    bool have_format = false;
    bool have_data = false;
    std::uint64_t offset = sizeof riff;
    for (int chunks = 0; chunks < 64 && !have_data; ++chunks) {
        unsigned char header[8];
        if (!in.read(reinterpret_cast<char*>(header), sizeof header))
            break;
        offset += sizeof header;
        const std::uint32_t size = little_endian(header + 4, 4);
        if (std::memcmp(header, "fmt ", 4) == 0) {
            if (size < 16)
                return fail(Errc::Internal, name + ": khối fmt quá ngắn; its fmt chunk is too short");
            unsigned char format[40] = {};
            const std::uint32_t wanted = std::min<std::uint32_t>(size, sizeof format);
            if (!in.read(reinterpret_cast<char*>(format), wanted))
                break;
            info.format_tag = static_cast<int>(little_endian(format, 2));
            info.channels = static_cast<int>(little_endian(format + 2, 2));
            info.sample_rate = static_cast<int>(little_endian(format + 4, 4) & 0x7fffffffu);
            byte_rate = little_endian(format + 8, 4);
            block_align = little_endian(format + 12, 2);
            info.bits_per_sample = static_cast<int>(little_endian(format + 14, 2));
            if (info.format_tag == 0xFFFE && wanted >= 26)  // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID
                info.format_tag = static_cast<int>(little_endian(format + 24, 2));
            have_format = true;
            in.seekg(static_cast<std::streamoff>(size - wanted + (size & 1)), std::ios::cur);
        } else if (std::memcmp(header, "data", 4) == 0) {
            if (!have_format)
                return fail(Errc::Internal,
                            name + ": khối data đứng trước khối fmt; its data chunk comes before fmt");
            const std::uint64_t there = file_size > offset ? file_size - offset : 0;
            info.data_bytes = size == 0 || size > there ? there : size;
            have_data = true;
        } else {
            in.seekg(static_cast<std::streamoff>(size + (size & 1)), std::ios::cur);
        }
        offset += size + (size & 1);
    }
    if (!have_format || !have_data)
        return fail(Errc::Internal, name + ": không có khối fmt hoặc data; no fmt or data chunk");
    const bool pcm = info.format_tag == 1 && (info.bits_per_sample == 8 || info.bits_per_sample == 16 ||
                                              info.bits_per_sample == 24 || info.bits_per_sample == 32);
    const bool float_samples =
        info.format_tag == 3 && (info.bits_per_sample == 32 || info.bits_per_sample == 64);
    if (!pcm && !float_samples)
        return fail(Errc::Internal, name + ": không phải âm thanh PCM (định dạng " +
                                        std::to_string(info.format_tag) + ", " +
                                        std::to_string(info.bits_per_sample) +
                                        " bit); not PCM audio (format " + std::to_string(info.format_tag) +
                                        ", " + std::to_string(info.bits_per_sample) + " bits)");
    if (info.channels < 1 || info.channels > 8 || info.sample_rate < 8000 || info.sample_rate > 192000)
        return fail(Errc::Internal, name + ": " + std::to_string(info.channels) + " kênh, " +
                                        std::to_string(info.sample_rate) + " Hz: không hợp lý; " +
                                        std::to_string(info.channels) + " channels at " +
                                        std::to_string(info.sample_rate) + " Hz is not plausible speech");
    const auto frame = static_cast<std::uint32_t>(info.channels * info.bits_per_sample / 8);
    if (block_align != frame || byte_rate != frame * static_cast<std::uint32_t>(info.sample_rate))
        return fail(Errc::Internal, name +
                                        ": tốc độ byte hoặc block align sai; its byte rate or block align "
                                        "does not match its format");
    if (info.data_bytes < frame)
        return fail(Errc::Internal, name + " không có âm thanh; " + name + " holds no samples");
    info.duration = Duration{static_cast<std::int64_t>(info.data_bytes * 1000 / byte_rate)};
    if (info.duration <= Duration{0})
        return fail(Errc::Internal, name + " không có âm thanh; " + name + " holds no speech");
    if (info.duration > max_length) {
        const auto seconds = std::to_string(info.duration.count() / 1000);
        const auto limit = std::to_string(max_length.count() / 1000);
        return fail(Errc::TooLarge, name + " dài " + seconds + " giây, quá giới hạn " + limit + " giây; " +
                                        name + " lasts " + seconds + " s, over the limit of " + limit + " s");
    }
    return info;
}

Result<std::vector<std::string>> list_voices(std::string_view language, const SpeechOptions& options) {
    if (language.empty() ||
        language.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string_view::npos) {
        return fail(Errc::InvalidInput, "voice language must be lowercase letters and '-', got \"" +
                                            std::string{language} + "\"");
    }
    auto ran = run_tool({options.espeak, "--voices=" + std::string{language}}, options.timeout);
    if (!ran) {
        return std::unexpected(ran.error());
    }
    // Columns: Pty Language Age/Gender VoiceName File Other Languages; the header is first.
    std::vector<std::string> voices;
    std::istringstream lines{ran->standard_output};
    std::string line;
    bool header = true;
    while (std::getline(lines, line)) {
        if (header) {
            header = false;
            continue;
        }
        std::istringstream columns{line};
        std::string priority;
        std::string name;
        if (columns >> priority >> name) {
            voices.push_back(name);
        }
    }
    return voices;
}

namespace {

// Ok when espeak-ng lists `voice` for its language (the part before the first '-'), else
// InvalidInput naming the voices it has.
Result<void> espeak_knows(const std::string& voice, const SpeechOptions& options) {
    const std::string language = voice.substr(0, voice.find('-'));
    auto voices = list_voices(language, options);
    if (!voices) {
        return std::unexpected(voices.error());
    }
    bool known = false;
    std::string known_list;
    for (const std::string& listed : *voices) {
        known = known || listed == voice;
        known_list += (known_list.empty() ? "" : ", ") + listed;
    }
    if (!known) {
        return fail(Errc::InvalidInput, "espeak-ng has no voice \"" + voice + "\" (voices for \"" + language +
                                            "\": " + (known_list.empty() ? "none" : known_list) + ")");
    }
    return {};
}

// The text as `voice` should read it, in a file of the work directory.
Result<fs::path> write_text_file(std::string_view text, std::string_view voice, const fs::path& directory,
                                 std::string_view name) {
    const fs::path text_file = directory / name;
    // Vietnamese voices read numbers, times, dates and abbreviations as words (speech_text.hpp).
    const std::string spoken = voice.starts_with("vi") ? speakable_vietnamese(text) : std::string{text};
    std::ofstream out{text_file, std::ios::binary | std::ios::trunc};
    out.write(spoken.data(), static_cast<std::streamsize>(spoken.size()));
    out.put('\n');
    if (!out) {
        return fail(Errc::Io, "cannot write " + text_file.string());
    }
    return text_file;
}

// What follows any engine: the WAV checked, encoded to Opus and probed (or kept as is), stored.
Result<SpeechAudio> finish_speech(const fs::path& wav_file, std::string_view engine_name,
                                  const ContentStore& store, const SpeechOptions& options,
                                  const fs::path& directory) {
    auto wav = inspect_speech_wav(wav_file, options.max_wav_bytes, options.max_length);
    if (!wav) {
        Error error = wav.error();
        error.detail = std::string{engine_name} + ": " + error.detail;
        return std::unexpected(error);
    }
    fs::path output = wav_file;
    if (options.format == SpeechFormat::Opus) {
        // Bit-exact: no random Ogg serial number, so the same text gives the same digest and
        // is stored once.
        output = directory / "speech.ogg";
        auto encoded = run_tool({options.ffmpeg,
                                 "-nostdin",
                                 "-v",
                                 "error",
                                 "-y",
                                 "-i",
                                 "file:" + wav_file.string(),
                                 "-ac",
                                 "1",
                                 "-ar",
                                 "48000",
                                 "-c:a",
                                 "libopus",
                                 "-b:a",
                                 "32k",
                                 "-application",
                                 "voip",
                                 "-fflags",
                                 "+bitexact",
                                 "-flags:a",
                                 "+bitexact",
                                 "-f",
                                 "ogg",
                                 "file:" + output.string()},
                                options.timeout);
        if (!encoded) {
            return std::unexpected(encoded.error());
        }
    }

    Duration duration = wav->duration;
    if (options.format == SpeechFormat::Opus) {
        auto probed = probe_media(output, options.probe);
        if (!probed) {
            return fail(Errc::Internal,
                        "the speech audio did not probe as audio: " + probed.error().message());
        }
        if (probed->kind != MediaKind::Audio || !probed->duration) {
            return fail(Errc::Internal, "the speech audio probed as " + std::string{to_string(probed->kind)});
        }
        duration = *probed->duration;
    }
    if (duration <= Duration{0})
        return fail(Errc::Internal, std::string{engine_name} + " wrote no speech");
    auto stored = store.put_file(output);
    if (!stored) {
        return std::unexpected(stored.error());
    }
    return SpeechAudio{std::move(*stored), duration, options.format, SpeechEngine::Espeak, {}};
}

Result<SpeechAudio> speak_with_espeak(std::string_view text, const std::string& voice,
                                      const ContentStore& store, const SpeechOptions& options,
                                      const fs::path& directory) {
    auto text_file = write_text_file(text, voice, directory, "espeak.txt");
    if (!text_file)
        return std::unexpected(text_file.error());
    const fs::path wav_file = directory / "espeak.wav";
    auto spoken = run_tool({options.espeak, "-v", voice, "-s", std::to_string(options.words_per_minute), "-b",
                            "1", "-f", text_file->string(), "-w", wav_file.string()},
                           options.timeout);
    if (!spoken) {
        return std::unexpected(spoken.error());
    }
    return finish_speech(wav_file, "espeak-ng", store, options, directory);
}

// A command or HTTP engine, and what follows; any failure is the caller's cue to fall back.
Result<SpeechAudio> speak_with_engine(std::string_view text, const ContentStore& store,
                                      const SpeechOptions& options, const fs::path& directory) {
    auto text_file = write_text_file(text, options.voice, directory, "engine.txt");
    if (!text_file)
        return std::unexpected(text_file.error());
    const fs::path wav_file = directory / "engine.wav";
    if (options.engine.kind == SpeechEngine::Command) {
        auto spoken = detail::speak_with_command(options.engine, *text_file, wav_file, options.voice);
        if (!spoken)
            return std::unexpected(spoken.error());
    } else {
        const std::string spoken_text =
            options.voice.starts_with("vi") ? speakable_vietnamese(text) : std::string{text};
        auto spoken = detail::speak_over_http(options.engine, spoken_text, options.voice, wav_file,
                                              options.max_wav_bytes);
        if (!spoken)
            return std::unexpected(spoken.error());
    }
    const std::string name = "giọng đọc " + std::string{to_string(options.engine.kind)} + " / the " +
                             std::string{to_string(options.engine.kind)} + " speech engine";
    return finish_speech(wav_file, name, store, options, directory);
}

}  // namespace

Result<SpeechAudio> synthesize_speech(std::string_view text, const ContentStore& store,
                                      const SpeechOptions& options) {
    if (text.size() > options.max_text_bytes) {
        return fail(Errc::InvalidInput, "notice text is " + std::to_string(text.size()) +
                                            " bytes, over the limit of " +
                                            std::to_string(options.max_text_bytes));
    }
    if (!is_valid_utf8(text)) {
        return fail(Errc::InvalidInput, "notice text is not valid UTF-8");
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return fail(Errc::InvalidInput, "notice text is empty");
    }
    if (options.words_per_minute < 80 || options.words_per_minute > 450) {
        return fail(Errc::InvalidInput, "speech speed must be 80..450 words per minute");
    }
    const SpeechEngine engine = options.engine.kind;
    if (engine == SpeechEngine::Espeak) {
        // The voice must be one espeak-ng lists (an unknown one is the caller's mistake).
        auto known = espeak_knows(options.voice, options);
        if (!known)
            return std::unexpected(known.error());
    } else if (auto plain = check_engine_voice(options.voice); !plain) {
        return std::unexpected(plain.error());
    }

    auto work = WorkDirectory::create(store.temporary_directory());
    if (!work) {
        return std::unexpected(work.error());
    }
    if (engine == SpeechEngine::Espeak)
        return speak_with_espeak(text, options.voice, store, options, work->path());

    auto spoken = speak_with_engine(text, store, options, work->path());
    if (spoken) {
        spoken->engine = engine;
        return spoken;
    }
    // An emergency must not go silent because a voice service is down: espeak-ng speaks instead,
    // in the same voice if it has it.
    const std::string reason = spoken.error().detail;
    const std::string voice = espeak_knows(options.voice, options) ? options.voice : options.fallback_voice;
    spdlog::warn(
        "tts: giọng đọc \"{}\" lỗi, espeak-ng ({}) đọc thay; the {} speech engine failed, espeak-ng "
        "({}) speaks instead: {}",
        to_string(engine), voice, to_string(engine), voice, reason);
    auto fallback = speak_with_espeak(text, voice, store, options, work->path());
    if (!fallback) {
        Error error = fallback.error();
        error.detail = "espeak-ng cũng không đọc được khi giọng đọc " + std::string{to_string(engine)} +
                       " lỗi; espeak-ng failed too, after the " + std::string{to_string(engine)} +
                       " speech engine did (" + reason + "): " + error.detail;
        return std::unexpected(error);
    }
    fallback->engine = SpeechEngine::Espeak;
    fallback->fallback_reason = reason;
    return fallback;
}

}  // namespace bantin::media
