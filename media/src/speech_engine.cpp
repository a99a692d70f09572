#include "speech_engine.hpp"

#include "bantin/media/process.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <memory>
#include <mutex>

namespace bantin::media {

namespace fs = std::filesystem;

std::string_view to_string(SpeechEngine engine) {
    switch (engine) {
        case SpeechEngine::Espeak: return "espeak";
        case SpeechEngine::Command: return "command";
        case SpeechEngine::Http: return "http";
    }
    return "?";
}

std::vector<std::string> expand_speech_command(const std::vector<std::string>& argv_template,
                                               const fs::path& text_file, const fs::path& wav,
                                               std::string_view voice) {
    const std::array<std::pair<std::string_view, std::string>, 3> placeholders{{
        {"{text_file}", text_file.string()},
        {"{wav}", wav.string()},
        {"{voice}", std::string{voice}},
    }};
    std::vector<std::string> argv;
    argv.reserve(argv_template.size());
    for (const std::string& argument : argv_template) {
        std::string expanded;
        std::size_t index = 0;
        while (index < argument.size()) {
            bool replaced = false;
            if (argument[index] == '{') {
                for (const auto& [name, value] : placeholders) {
                    if (std::string_view{argument}.substr(index).starts_with(name)) {
                        expanded += value;
                        index += name.size();
                        replaced = true;
                        break;
                    }
                }
            }
            if (!replaced)
                expanded += argument[index++];
        }
        argv.push_back(std::move(expanded));
    }
    return argv;
}

Result<void> check_engine_voice(std::string_view voice) {
    const bool plain = !voice.empty() && voice.size() <= 100 && !voice.starts_with('-') &&
                       std::all_of(voice.begin(), voice.end(), [](char c) {
                           const auto byte = static_cast<unsigned char>(c);
                           return std::isalnum(byte) != 0 || c == '.' || c == '_' || c == '+' || c == '-';
                       });
    if (plain)
        return {};
    return fail(
        Errc::InvalidInput,
        "voice: tên giọng đọc chỉ gồm chữ cái, chữ số và ._+- (không bắt đầu bằng -, tối đa 100 ký tự); "
        "a voice name is ASCII letters, digits and ._+- (not starting with -, at most 100 bytes)");
}

namespace detail {

namespace {

// The start of an error page, fit for a log line and a JSON answer: control characters become
// spaces, and a multi-byte character cut at the end is dropped.
std::string printable_excerpt(std::string_view body) {
    std::string text{body.substr(0, 200)};
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = ' ';
    while (!text.empty() && !is_valid_utf8(text) && static_cast<unsigned char>(text.back()) >= 0x80)
        text.pop_back();
    if (!is_valid_utf8(text))
        for (char& c : text)
            if (static_cast<unsigned char>(c) >= 0x80)
                c = '?';
    const auto first = text.find_first_not_of(' ');
    if (first == std::string::npos)
        return {};
    return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

void initialise_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlEasyDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlListDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// The answer of the speech service: a 2xx body goes to the WAV file, at most `limit` bytes; of
// any other, the first bytes are kept for the error message.
struct HttpSpeechAnswer {
    CURL* handle = nullptr;
    std::ofstream* out = nullptr;
    std::uint64_t limit = 0;
    std::uint64_t written = 0;
    long status = 0;
    bool status_read = false;
    bool too_large = false;
    bool write_failed = false;
    std::string error_body;

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) {
        return static_cast<HttpSpeechAnswer*>(self)->take(data, size * count);
    }

    std::size_t take(const char* data, std::size_t length) {
        if (!status_read) {
            curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
            status_read = true;
        }
        if (status < 200 || status >= 300) {
            const std::size_t room = 512 - std::min<std::size_t>(512, error_body.size());
            error_body.append(data, std::min(room, length));
            return error_body.size() >= 512 ? 0 : length;  // enough for the message: stop
        }
        if (written + length > limit) {
            too_large = true;
            return 0;
        }
        out->write(data, static_cast<std::streamsize>(length));
        if (!*out) {
            write_failed = true;
            return 0;
        }
        written += length;
        return length;
    }
};

bool wav_content_type(std::string_view type) {
    std::string bare{type.substr(0, type.find(';'))};
    while (!bare.empty() && bare.back() == ' ') bare.pop_back();
    std::transform(bare.begin(), bare.end(), bare.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return bare == "audio/wav" || bare == "audio/x-wav" || bare == "audio/wave" || bare == "audio/vnd.wave" ||
           bare == "application/octet-stream";
}

}  // namespace

Result<void> speak_with_command(const SpeechEngineOptions& engine, const fs::path& text_file,
                                const fs::path& wav, std::string_view voice) {
    if (engine.command.empty() || engine.command.front().empty())
        return fail(Errc::InvalidInput, "lệnh đọc văn bản trống; the speech command is empty");
    const std::string& program = engine.command.front();
    ProcessRequest request;
    request.argv = expand_speech_command(engine.command, text_file, wav, voice);
    request.stdin_file = text_file;
    request.timeout = engine.timeout;
    request.max_output_bytes = 64 * 1024;
    auto ran = run_process(request);
    if (!ran) {
        Error error = ran.error();
        error.detail = "lệnh đọc văn bản " + program + " không chạy được; the speech command " + program +
                       " did not run: " + error.detail;
        return std::unexpected(error);
    }
    if (!ran->succeeded())
        return fail(Errc::Internal, "lệnh đọc văn bản " + program + " báo lỗi; the speech command " +
                                        program + " failed: " + ran->describe());
    std::error_code ignored;
    if (!fs::is_regular_file(wav, ignored))
        return fail(Errc::Internal, "lệnh đọc văn bản " + program +
                                        " không ghi tệp WAV vào {wav}; the speech command " + program +
                                        " wrote no WAV file at {wav}");
    return {};
}

Result<void> speak_over_http(const SpeechEngineOptions& engine, std::string_view text, std::string_view voice,
                             const fs::path& wav, std::uint64_t max_bytes) {
    const std::string& url = engine.url;
    if (!url.starts_with("http://") && !url.starts_with("https://"))
        return fail(Errc::InvalidInput,
                    "địa chỉ dịch vụ đọc văn bản phải bắt đầu bằng http:// hoặc https://; the "
                    "speech service URL must start with http:// or https://");
    initialise_curl_once();
    std::unique_ptr<CURL, CurlEasyDeleter> handle{curl_easy_init()};
    if (!handle)
        return fail(Errc::Internal, "curl_easy_init failed");
    std::ofstream out{wav, std::ios::binary | std::ios::trunc};
    if (!out)
        return fail(Errc::Io, "không ghi được " + wav.string() + "; cannot write " + wav.string());

    const std::string body = nlohmann::json{{"text", text}, {"voice", voice}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::unique_ptr<curl_slist, CurlListDeleter> headers;
    for (const char* header : {"Content-Type: application/json", "Accept: audio/wav", "Expect:"})
        headers.reset(curl_slist_append(headers.release(), header));

    HttpSpeechAnswer answer;
    answer.handle = handle.get();
    answer.out = &out;
    answer.limit = max_bytes;
    const long timeout_ms = static_cast<long>(std::max<Duration::rep>(1, engine.timeout.count()));
    char error_buffer[CURL_ERROR_SIZE] = {};
    CURL* curl = handle.get();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "bantin-speech");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10'000L));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_bytes));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &HttpSpeechAnswer::on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);

    const CURLcode code = curl_easy_perform(curl);
    out.close();
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    const std::string where = "dịch vụ đọc văn bản " + url + " / speech service " + url;
    const std::string limit = std::to_string(max_bytes);
    if (answer.too_large || code == CURLE_FILESIZE_EXCEEDED)
        return fail(Errc::TooLarge,
                    where + ": trả về hơn " + limit + " byte; answered more than " + limit + " bytes");
    if (answer.write_failed)
        return fail(Errc::Io, "không ghi được " + wav.string() + "; cannot write " + wav.string());
    if (status != 0 && (status < 200 || status >= 300)) {
        const std::string excerpt = printable_excerpt(answer.error_body);
        return fail(Errc::Network,
                    where + ": HTTP " + std::to_string(status) + (excerpt.empty() ? "" : ": " + excerpt));
    }
    if (code != CURLE_OK) {
        const std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
        const Errc errc = code == CURLE_OPERATION_TIMEDOUT ? Errc::Timeout : Errc::Network;
        return fail(errc, where + ": " + detail);
    }
    const char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr && !wav_content_type(type))
        return fail(Errc::Internal, where + ": trả về " + printable_excerpt(type) +
                                        ", không phải audio/wav; answered " + printable_excerpt(type) +
                                        ", not audio/wav");
    return {};
}

}  // namespace detail

}  // namespace bantin::media
