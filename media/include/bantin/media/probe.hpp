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

}  // namespace bantin::media
