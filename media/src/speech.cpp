#include "bantin/media/speech.hpp"
#include "bantin/media/speech_text.hpp"

#include "bantin/media/process.hpp"

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

// The length of a PCM WAV file from its own header (RIFF "fmt " byte rate, "data" size), so a
// device that speaks alerts itself needs espeak-ng only, not ffprobe. A data size that is 0 or
// runs past the end (a writer that never went back to fix it) counts the bytes that are there.
Result<Duration> wav_duration(const fs::path& path) {
    std::ifstream in{path, std::ios::binary};
    unsigned char riff[12];
    if (!in.read(reinterpret_cast<char*>(riff), sizeof riff) || std::memcmp(riff, "RIFF", 4) != 0 ||
        std::memcmp(riff + 8, "WAVE", 4) != 0)
        return fail(Errc::Internal, path.string() + ": not a RIFF/WAVE file");
    std::error_code size_error;
    const auto file_size = fs::file_size(path, size_error);
    if (size_error)
        return fail(Errc::Io, path.string() + ": " + size_error.message());
    std::uint32_t byte_rate = 0;
    std::uint64_t offset = sizeof riff;
    for (int chunks = 0; chunks < 64; ++chunks) {
        unsigned char header[8];
        if (!in.read(reinterpret_cast<char*>(header), sizeof header))
            break;
        offset += sizeof header;
        const std::uint32_t size = little_endian(header + 4, 4);
        if (std::memcmp(header, "fmt ", 4) == 0 && size >= 16) {
            unsigned char format[16];
            if (!in.read(reinterpret_cast<char*>(format), sizeof format))
                break;
            byte_rate = little_endian(format + 8, 4);
            in.seekg(static_cast<std::streamoff>(size - 16 + (size & 1)), std::ios::cur);
        } else if (std::memcmp(header, "data", 4) == 0) {
            if (byte_rate == 0)
                break;
            const std::uint64_t there = file_size > offset ? file_size - offset : 0;
            const std::uint64_t bytes = size == 0 || size > there ? there : size;
            return Duration{static_cast<std::int64_t>(bytes * 1000 / byte_rate)};
        } else {
            in.seekg(static_cast<std::streamoff>(size + (size & 1)), std::ios::cur);
        }
        offset += size + (size & 1);
    }
    return fail(Errc::Internal, path.string() + ": no PCM format or data chunk");
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

    // The voice must be one espeak-ng lists for its language (the part before the first '-').
    const std::string language = options.voice.substr(0, options.voice.find('-'));
    auto voices = list_voices(language, options);
    if (!voices) {
        return std::unexpected(voices.error());
    }
    bool known = false;
    std::string known_list;
    for (const std::string& voice : *voices) {
        known = known || voice == options.voice;
        known_list += (known_list.empty() ? "" : ", ") + voice;
    }
    if (!known) {
        return fail(Errc::InvalidInput, "espeak-ng has no voice \"" + options.voice + "\" (voices for \"" +
                                            language + "\": " + (known_list.empty() ? "none" : known_list) +
                                            ")");
    }

    auto work = WorkDirectory::create(store.temporary_directory());
    if (!work) {
        return std::unexpected(work.error());
    }
    const fs::path text_file = work->path() / "notice.txt";
    {
        // Vietnamese voices read numbers, times, dates and abbreviations as words (speech_text.hpp).
        const std::string spoken =
            options.voice.starts_with("vi") ? speakable_vietnamese(text) : std::string{text};
        std::ofstream out{text_file, std::ios::binary};
        out.write(spoken.data(), static_cast<std::streamsize>(spoken.size()));
        out.put('\n');
        if (!out) {
            return fail(Errc::Io, "cannot write " + text_file.string());
        }
    }
    const fs::path wav_file = work->path() / "speech.wav";
    auto spoken =
        run_tool({options.espeak, "-v", options.voice, "-s", std::to_string(options.words_per_minute), "-b",
                  "1", "-f", text_file.string(), "-w", wav_file.string()},
                 options.timeout);
    if (!spoken) {
        return std::unexpected(spoken.error());
    }

    fs::path output = wav_file;
    if (options.format == SpeechFormat::Opus) {
        // Bit-exact: no random Ogg serial number, so the same text gives the same digest and
        // is stored once.
        output = work->path() / "speech.ogg";
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

    Duration duration{};
    if (options.format == SpeechFormat::Wav) {
        auto length = wav_duration(output);
        if (!length)
            return std::unexpected(length.error());
        duration = *length;
    } else {
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
        return fail(Errc::Internal, "espeak-ng wrote no speech");
    auto stored = store.put_file(output);
    if (!stored) {
        return std::unexpected(stored.error());
    }
    return SpeechAudio{std::move(*stored), duration, options.format};
}

}  // namespace bantin::media
