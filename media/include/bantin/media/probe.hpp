#pragma once
// Finds out what a media file is (video, image or audio), how long it plays and its picture
// size, by running `ffprobe -v error -print_format json -show_format -show_streams` as a child
// process (process.hpp: argument vector, no shell, timeout).
//
// Files that are not playable media are refused with Unsupported and a reason a person can
// act on: ffprobe cannot read the file (a text file renamed .mp4), no audio or video stream,
// zero or missing duration for audio or video, a playlist or text format (hls, concat, tty...)
// that would make the player read other files. The controller answers an upload refused
// here with HTTP 415 and the detail.
//
// ffprobe is given `file:<absolute path>` so no name is ever taken as a URL or an option, and
// `-protocol_whitelist file` so a crafted file cannot make it open the network.
//
// Threads: any thread; each call runs its own child. Errors: Unsupported (not media),
// NotFound (no such file, or no ffprobe), Timeout, Io.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace bantin::media {

enum class MediaKind { Video, Image, Audio };
std::string_view to_string(MediaKind kind);

struct ProbeResult {
    MediaKind kind = MediaKind::Video;
    std::optional<Duration> duration;  // always set for video and audio; unset for still images
    int width = 0;                     // pixels, 0 when there is no picture
    int height = 0;
    bool has_audio = false;
    bool has_video = false;   // a moving picture (a still image or cover art does not count)
    std::string format_name;  // ffprobe's, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    std::string video_codec;  // e.g. "h264", "png"
    std::string audio_codec;  // e.g. "aac", "opus"
};

struct ProbeOptions {
    std::string ffprobe = "ffprobe";
    Duration timeout = std::chrono::seconds{30};
};

Result<ProbeResult> probe_media(const std::filesystem::path& file, const ProbeOptions& options = {});

// The interpretation step alone, for ffprobe's JSON output (unit-testable without ffprobe).
Result<ProbeResult> interpret_probe_json(std::string_view json);

// A live stream (an Icecast/HTTP mount of MP3, AAC or Opus, an HLS playlist), probed once when
// an editor adds it: only its header is read (-probesize, -analyzeduration), never its whole
// body, so a source that never ends is still answered. ffprobe is given
// `-protocol_whitelist http,https,tcp,tls,crypto,hls` (the names ffmpeg 5.1 knows; HLS segments
// and keys are fetched through these too, never file:, data: or any other protocol), `-rw_timeout`
// so a source that stops answering fails the read, and the process timeout bounds the whole run.
// Callers check the URL with scheduler::stream_url_problem; here a URL that is not http or
// https, too long or with control characters is refused (InvalidInput) before anything runs.
//
// Errors: InvalidInput (a URL that is not http/https), Unsupported (ffprobe could not read it
// or found no audio or video: the detail says why, e.g. "Connection refused"), Timeout, NotFound
// (no ffprobe), Io.
struct StreamProbeResult {
    bool has_audio = false;
    bool has_video = false;   // a moving picture (cover art does not count)
    std::string format_name;  // ffprobe's, e.g. "mp3", "hls", "ogg"
    std::string audio_codec;  // e.g. "mp3", "aac", "opus"
    std::string video_codec;  // e.g. "h264"
};

struct StreamProbeOptions {
    std::string ffprobe = "ffprobe";
    Duration timeout = std::chrono::seconds{10};    // the whole ffprobe run
    Duration io_timeout = std::chrono::seconds{5};  // one connect or read (-rw_timeout)
    std::int64_t probe_bytes = 1024 * 1024;         // -probesize: what is read to find the streams
};

Result<StreamProbeResult> probe_stream(std::string_view url, const StreamProbeOptions& options = {});

// The interpretation step alone, for ffprobe's JSON output about a stream.
Result<StreamProbeResult> interpret_stream_probe_json(std::string_view json);

}  // namespace bantin::media
