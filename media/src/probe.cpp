#include "bantin/media/probe.hpp"

#include "bantin/media/process.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>

namespace bantin::media {

namespace {

// Demuxers that are text, playlists or references to other files: never accepted as media,
// even when ffprobe finds "streams" in them.
constexpr std::array<std::string_view, 12> refused_formats{
    "tty", "hls", "concat", "ffmetadata", "srt", "webvtt", "ass", "lrc", "sami", "subviewer", "m3u", "dash"};

bool is_refused_format(std::string_view format_name) {
    // format_name may be a comma-separated list ("mov,mp4,m4a,...").
    std::size_t start = 0;
    while (start <= format_name.size()) {
        const std::size_t comma = format_name.find(',', start);
        const std::string_view part = format_name.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        for (std::string_view refused : refused_formats) {
            if (part == refused) {
                return true;
            }
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return false;
}

bool is_still_image_format(std::string_view format_name) {
    return format_name == "image2" || format_name.ends_with("_pipe");
}

std::optional<double> seconds_from(const nlohmann::json& object, const char* key) {
    const auto found = object.find(key);
    if (found == object.end()) {
        return std::nullopt;
    }
    double value = 0;
    if (found->is_string()) {
        const std::string text = found->get<std::string>();
        char* end = nullptr;
        value = std::strtod(text.c_str(), &end);
        if (end == text.c_str()) {
            return std::nullopt;
        }
    } else if (found->is_number()) {
        value = found->get<double>();
    } else {
        return std::nullopt;
    }
    if (!std::isfinite(value) || value < 0) {
        return std::nullopt;
    }
    return value;
}

Result<ProbeResult> not_media(std::string reason) {
    return fail(Errc::Unsupported, "not playable media: " + std::move(reason));
}

}  // namespace

std::string_view to_string(MediaKind kind) {
    switch (kind) {
        case MediaKind::Video: return "video";
        case MediaKind::Image: return "image";
        case MediaKind::Audio: return "audio";
    }
    return "unknown";
}

Result<ProbeResult> interpret_probe_json(std::string_view json_text) {
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& error) {
        return fail(Errc::Internal, std::string{"ffprobe printed malformed JSON: "} + error.what());
    }
    if (!json.is_object()) {
        return fail(Errc::Internal, "ffprobe printed JSON that is not an object");
    }
    const nlohmann::json format = json.value("format", nlohmann::json::object());
    const nlohmann::json streams = json.value("streams", nlohmann::json::array());
    if (!format.is_object() || !streams.is_array()) {
        return fail(Errc::Internal, "ffprobe JSON lacks format or streams");
    }

    ProbeResult result;
    result.format_name = format.value("format_name", "");
    if (result.format_name.empty()) {
        return not_media("the format is not recognised");
    }
    if (is_refused_format(result.format_name)) {
        return not_media("format \"" + result.format_name + "\" is text or a playlist, not media");
    }

    const nlohmann::json* picture = nullptr;
    const nlohmann::json* sound = nullptr;
    for (const nlohmann::json& stream : streams) {
        if (!stream.is_object()) {
            continue;
        }
        const std::string type = stream.value("codec_type", "");
        const nlohmann::json disposition = stream.value("disposition", nlohmann::json::object());
        const bool attached_picture = disposition.is_object() && disposition.value("attached_pic", 0) == 1;
        if (type == "video" && !attached_picture && picture == nullptr) {
            picture = &stream;
        } else if (type == "audio" && sound == nullptr) {
            sound = &stream;
        }
    }
    if (picture == nullptr && sound == nullptr) {
        return not_media("no audio or video stream in format \"" + result.format_name + "\"");
    }

    if (picture != nullptr) {
        result.video_codec = picture->value("codec_name", "");
        result.width = picture->value("width", 0);
        result.height = picture->value("height", 0);
        if (result.video_codec == "ansi" || result.video_codec == "bintext") {
            return not_media("a text file (codec \"" + result.video_codec + "\")");
        }
        if (result.width <= 0 || result.height <= 0) {
            return not_media("the picture has no size");
        }
    }
    if (sound != nullptr) {
        result.audio_codec = sound->value("codec_name", "");
        result.has_audio = true;
    }

    std::optional<double> seconds = seconds_from(format, "duration");
    if (!seconds) {
        for (const nlohmann::json* stream : {picture, sound}) {
            if (stream != nullptr && (seconds = seconds_from(*stream, "duration"))) {
                break;
            }
        }
    }

    const bool still_format = is_still_image_format(result.format_name);
    if (picture != nullptr && sound == nullptr && (still_format || !seconds || *seconds <= 0.05)) {
        result.kind = MediaKind::Image;
        result.has_video = false;
        return result;  // a still image has no natural duration
    }

    if (!seconds || *seconds <= 0.0) {
        return not_media("zero or unknown duration in format \"" + result.format_name + "\"");
    }
    result.duration = Duration{static_cast<Duration::rep>(std::llround(*seconds * 1000.0))};
    if (result.duration->count() <= 0) {
        return not_media("zero duration");
    }
    if (picture != nullptr) {
        result.kind = MediaKind::Video;
        result.has_video = true;
    } else {
        result.kind = MediaKind::Audio;
    }
    return result;
}

Result<ProbeResult> probe_media(const std::filesystem::path& file, const ProbeOptions& options) {
    struct stat status {};
    if (::stat(file.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) {
        return fail(Errc::NotFound, "no such file: " + file.string());
    }
    if (status.st_size == 0) {
        return fail(Errc::Unsupported, "not playable media: the file is empty");
    }
    const std::string target = "file:" + std::filesystem::absolute(file).string();
    ProcessRequest request;
    request.argv = {options.ffprobe, "-v",   "error",        "-protocol_whitelist", "file",
                    "-print_format", "json", "-show_format", "-show_streams",       target};
    request.timeout = options.timeout;
    auto ran = run_process(request);
    if (!ran) {
        return std::unexpected(ran.error());
    }
    if (!ran->succeeded()) {
        if (ran->signal != 0) {
            return fail(Errc::Internal, "ffprobe " + ran->describe());
        }
        // ffprobe exits non-zero for files it cannot read at all.
        std::string reason = ran->describe();
        if (const auto colon = reason.find(target); colon != std::string::npos) {
            reason.replace(colon, target.size(), file.filename().string());
        }
        return not_media("ffprobe could not read it (" + reason + ")");
    }
    return interpret_probe_json(ran->standard_output);
}

Result<StreamProbeResult> interpret_stream_probe_json(std::string_view json_text) {
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& error) {
        return fail(Errc::Internal, std::string{"ffprobe printed malformed JSON: "} + error.what());
    }
    if (!json.is_object()) {
        return fail(Errc::Internal, "ffprobe printed JSON that is not an object");
    }
    const nlohmann::json format = json.value("format", nlohmann::json::object());
    const nlohmann::json streams = json.value("streams", nlohmann::json::array());
    if (!format.is_object() || !streams.is_array()) {
        return fail(Errc::Internal, "ffprobe JSON lacks format or streams");
    }
    StreamProbeResult result;
    result.format_name = format.value("format_name", "");
    for (const nlohmann::json& stream : streams) {
        if (!stream.is_object()) {
            continue;
        }
        const std::string type = stream.value("codec_type", "");
        const nlohmann::json disposition = stream.value("disposition", nlohmann::json::object());
        const bool attached_picture = disposition.is_object() && disposition.value("attached_pic", 0) == 1;
        if (type == "video" && !attached_picture && !result.has_video) {
            result.has_video = true;
            result.video_codec = stream.value("codec_name", "");
        } else if (type == "audio" && !result.has_audio) {
            result.has_audio = true;
            result.audio_codec = stream.value("codec_name", "");
        }
    }
    if (!result.has_audio && !result.has_video) {
        return fail(Errc::Unsupported, "no audio or video stream in format \"" + result.format_name + "\"");
    }
    return result;
}

Result<StreamProbeResult> probe_stream(std::string_view url, const StreamProbeOptions& options) {
    // Callers check the URL fully first (scheduler::stream_url_problem); this is the last
    // guard before a child runs: http or https only, nothing ffprobe could take as an option.
    const auto starts_with_scheme = [url](std::string_view scheme) {
        return url.size() > scheme.size() &&
               std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) {
                   return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
               });
    };
    if (!starts_with_scheme("http://") && !starts_with_scheme("https://")) {
        return fail(Errc::InvalidInput, "a stream's URL starts with http:// or https://");
    }
    if (url.size() > 2048 || std::any_of(url.begin(), url.end(), [](char c) {
            return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) == 0x7f;
        })) {
        return fail(Errc::InvalidInput,
                    "a stream's URL is at most 2048 bytes, without spaces or control characters");
    }
    const auto micros = [](Duration duration) {
        return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
    };
    ProcessRequest request;
    request.argv = {options.ffprobe,
                    "-v",
                    "error",
                    "-protocol_whitelist",
                    "http,https,tcp,tls,crypto,hls",
                    "-rw_timeout",
                    micros(options.io_timeout),
                    "-probesize",
                    std::to_string(options.probe_bytes),
                    "-analyzeduration",
                    micros(std::chrono::seconds{3}),
                    "-print_format",
                    "json",
                    "-show_format",
                    "-show_streams",
                    "-i",
                    std::string{url}};
    request.timeout = options.timeout;
    request.max_output_bytes = 1024 * 1024;
    auto ran = run_process(request);
    if (!ran) {
        return std::unexpected(ran.error());
    }
    if (!ran->succeeded()) {
        if (ran->signal != 0) {
            return fail(Errc::Internal, "ffprobe " + ran->describe());
        }
        return fail(Errc::Unsupported, "ffprobe could not read the stream (" + ran->describe() + ")");
    }
    return interpret_stream_probe_json(ran->standard_output);
}

}  // namespace bantin::media
