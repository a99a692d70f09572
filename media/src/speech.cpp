#include "bantin/media/speech.hpp"
#include "bantin/media/speech_text.hpp"

#include "bantin/media/process.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bantin::media {

namespace fs = std::filesystem;

namespace {

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

    auto probed = probe_media(output, options.probe);
    if (!probed) {
        return fail(Errc::Internal, "the speech audio did not probe as audio: " + probed.error().message());
    }
    if (probed->kind != MediaKind::Audio || !probed->duration) {
        return fail(Errc::Internal, "the speech audio probed as " + std::string{to_string(probed->kind)});
    }
    auto stored = store.put_file(output);
    if (!stored) {
        return std::unexpected(stored.error());
    }
    return SpeechAudio{std::move(*stored), *probed->duration, options.format};
}

}  // namespace bantin::media
