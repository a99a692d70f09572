#include "bantin/media/probe.hpp"
#include "bantin/media/speech.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace bantin;
using namespace bantin::media;
using namespace std::chrono_literals;

TEST_CASE("ffprobe JSON of an mp4 with sound is a video with its duration", "[media][probe]") {
    auto probed = interpret_probe_json(R"({
      "streams": [
        {"codec_type": "video", "codec_name": "h264", "width": 320, "height": 240, "duration": "2.000000"},
        {"codec_type": "audio", "codec_name": "aac", "duration": "2.000000"}],
      "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "2.000000"}})");
    REQUIRE(probed);
    CHECK(probed->kind == MediaKind::Video);
    CHECK(probed->duration == 2000ms);
    CHECK(probed->width == 320);
    CHECK(probed->height == 240);
    CHECK(probed->has_video);
    CHECK(probed->has_audio);
    CHECK(probed->video_codec == "h264");
}

TEST_CASE("ffprobe JSON of a png is an image without duration", "[media][probe]") {
    auto probed = interpret_probe_json(R"({
      "streams": [{"codec_type": "video", "codec_name": "png", "width": 64, "height": 48}],
      "format": {"format_name": "png_pipe"}})");
    REQUIRE(probed);
    CHECK(probed->kind == MediaKind::Image);
    CHECK_FALSE(probed->duration);
    CHECK_FALSE(probed->has_video);
    CHECK(probed->width == 64);
}

TEST_CASE("an mp3 with cover art is audio, not video", "[media][probe]") {
    auto probed = interpret_probe_json(R"({
      "streams": [
        {"codec_type": "audio", "codec_name": "mp3"},
        {"codec_type": "video", "codec_name": "mjpeg", "width": 300, "height": 300,
         "disposition": {"attached_pic": 1}}],
      "format": {"format_name": "mp3", "duration": "3.5"}})");
    REQUIRE(probed);
    CHECK(probed->kind == MediaKind::Audio);
    CHECK(probed->duration == 3500ms);
    CHECK_FALSE(probed->has_video);
}

TEST_CASE("audio of zero duration is refused", "[media][probe]") {
    auto probed = interpret_probe_json(R"({
      "streams": [{"codec_type": "audio", "codec_name": "pcm_s16le"}],
      "format": {"format_name": "wav", "duration": "0.000000"}})");
    REQUIRE_FALSE(probed);
    CHECK(probed.error().code == Errc::Unsupported);
    CHECK(probed.error().detail.find("zero or unknown duration") != std::string::npos);
}

TEST_CASE("a file without streams is refused", "[media][probe]") {
    auto probed = interpret_probe_json(R"({"streams": [], "format": {"format_name": "srt"}})");
    REQUIRE_FALSE(probed);
    CHECK(probed.error().code == Errc::Unsupported);
}

TEST_CASE("text and playlist formats are refused even with streams", "[media][probe]") {
    for (const char* format : {"tty", "hls", "concat"}) {
        const std::string json = std::string{R"({"streams": [{"codec_type": "video", "codec_name": "ansi",
            "width": 640, "height": 400}], "format": {"format_name": ")"} +
                                 format + R"(", "duration": "1"}})";
        auto probed = interpret_probe_json(json);
        REQUIRE_FALSE(probed);
        CHECK(probed.error().code == Errc::Unsupported);
    }
}

TEST_CASE("malformed ffprobe output is an internal error, not a verdict on the file", "[media][probe]") {
    auto probed = interpret_probe_json("{ not json");
    REQUIRE_FALSE(probed);
    CHECK(probed.error().code == Errc::Internal);
}

TEST_CASE("UTF-8 validation accepts Vietnamese and refuses broken sequences", "[media][speech]") {
    CHECK(is_valid_utf8("Thông báo: Ủy ban nhân dân phường"));
    CHECK(is_valid_utf8(""));
    CHECK_FALSE(is_valid_utf8("\xC3"));              // truncated
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
    CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));  // beyond U+10FFFF
}

TEST_CASE("ffprobe JSON of a live stream needs no duration and names its codecs", "[media][probe][streams]") {
    // An Icecast MP3 mount: no duration, no size.
    auto mp3 = interpret_stream_probe_json(R"({
      "streams": [{"codec_type": "audio", "codec_name": "mp3", "sample_rate": "44100"}],
      "format": {"format_name": "mp3"}})");
    REQUIRE(mp3);
    CHECK(mp3->has_audio);
    CHECK_FALSE(mp3->has_video);
    CHECK(mp3->audio_codec == "mp3");
    CHECK(mp3->format_name == "mp3");
    // An HLS television channel: pictures and sound; cover art alone is not a picture.
    auto hls = interpret_stream_probe_json(R"({
      "streams": [{"codec_type": "video", "codec_name": "h264", "width": 1280, "height": 720},
                  {"codec_type": "audio", "codec_name": "aac"}],
      "format": {"format_name": "hls"}})");
    REQUIRE(hls);
    CHECK(hls->has_video);
    CHECK(hls->video_codec == "h264");
    CHECK(hls->audio_codec == "aac");
    auto art = interpret_stream_probe_json(R"({
      "streams": [{"codec_type": "video", "codec_name": "mjpeg", "disposition": {"attached_pic": 1}}],
      "format": {"format_name": "mp3"}})");
    REQUIRE_FALSE(art);
    CHECK(art.error().code == Errc::Unsupported);
}

TEST_CASE("probe_stream refuses anything but http and https before running ffprobe",
          "[media][probe][streams]") {
    // A missing ffprobe would answer NotFound: InvalidInput proves nothing ran.
    StreamProbeOptions options;
    options.ffprobe = "/nonexistent/ffprobe";
    const std::vector<std::string> refused{"file:///etc/passwd",
                                           "ftp://127.0.0.1/x.mp3",
                                           "data:audio/mpeg;base64,AAAA",
                                           "gopher://127.0.0.1/1",
                                           "-i",
                                           "http://127.0.0.1/a b",
                                           "http://127.0.0.1/\x01",
                                           "http://127.0.0.1/" + std::string(2100, 'a')};
    for (const auto& url : refused) {
        INFO(url);
        auto probed = probe_stream(url, options);
        REQUIRE_FALSE(probed);
        CHECK(probed.error().code == Errc::InvalidInput);
    }
    auto ran = probe_stream("http://127.0.0.1:9/x.mp3", options);
    REQUIRE_FALSE(ran);
    CHECK(ran.error().code == Errc::NotFound);
}
