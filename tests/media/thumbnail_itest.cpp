// Thumbnails made by ffmpeg: a video's frame, a scaled image, and no thumbnail (with the reason,
// remembered) for a truncated video, a file that is not a picture and audio.
#include "bantin/media/probe.hpp"
#include "bantin/media/process.hpp"
#include "bantin/media/thumbnail.hpp"
#include "media_test_support.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::media;
using namespace std::chrono_literals;
using bantin::media::testing::read_file;
using bantin::media::testing::TemporaryDirectory;
using bantin::media::testing::write_file;

namespace {

void run_ffmpeg_for_thumbnails(std::vector<std::string> arguments) {
    std::vector<std::string> argv{"ffmpeg", "-nostdin", "-v", "error", "-y"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    ProcessRequest request;
    request.argv = argv;
    request.timeout = 60s;
    auto ran = run_process(request);
    REQUIRE(ran);
    INFO(ran->describe());
    REQUIRE(ran->succeeded());
}

// The width and height ffprobe reads from a JPEG.
std::pair<int, int> picture_size(const std::filesystem::path& path) {
    auto probed = probe_media(path);
    REQUIRE(probed);
    CHECK(probed->kind == MediaKind::Image);
    return {probed->width, probed->height};
}

struct ThumbnailRig {
    TemporaryDirectory directory;
    ContentStore store = ContentStore::open(directory.path() / "store").value();
    ThumbnailStore thumbnails{store};

    std::string put(const std::filesystem::path& file) {
        auto stored = store.put_file(file);
        REQUIRE(stored);
        return stored->sha256;
    }
};

}  // namespace

TEST_CASE("a video's thumbnail is a JPEG frame at most 320 px wide", "[media][thumbnail]") {
    ThumbnailRig rig;
    const auto video = rig.directory.path() / "wide.mp4";
    run_ffmpeg_for_thumbnails({"-f", "lavfi", "-i", "testsrc=size=640x360:rate=25:duration=2", "-c:v",
                               "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", video.string()});
    const std::string sha = rig.put(video);
    auto made = rig.thumbnails.get_or_make(sha, PictureKind::Video, 2000ms);
    REQUIRE(made);
    CHECK(made->parent_path() == rig.store.root() / "thumbnails");
    const std::string bytes = read_file(*made);
    REQUIRE(bytes.size() > 3);
    CHECK(static_cast<unsigned char>(bytes[0]) == 0xFF);
    CHECK(static_cast<unsigned char>(bytes[1]) == 0xD8);
    CHECK(picture_size(*made) == std::pair{320, 180});
    // Asked again, the same file answers.
    auto again = rig.thumbnails.get_or_make(sha, PictureKind::Video, 2000ms);
    REQUIRE(again);
    CHECK(*again == *made);
    rig.thumbnails.remove(sha);
    CHECK_FALSE(std::filesystem::exists(*made));
}

TEST_CASE("a small image keeps its size and a large one is scaled to 320 px", "[media][thumbnail]") {
    ThumbnailRig rig;
    const auto small = rig.directory.path() / "small.png";
    const auto large = rig.directory.path() / "large.png";
    run_ffmpeg_for_thumbnails({"-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1", small.string()});
    run_ffmpeg_for_thumbnails(
        {"-f", "lavfi", "-i", "testsrc=size=1280x960", "-frames:v", "1", large.string()});
    auto small_thumbnail = rig.thumbnails.get_or_make(rig.put(small), PictureKind::Image, std::nullopt);
    REQUIRE(small_thumbnail);
    CHECK(picture_size(*small_thumbnail) == std::pair{64, 48});
    auto large_thumbnail = rig.thumbnails.get_or_make(rig.put(large), PictureKind::Image, std::nullopt);
    REQUIRE(large_thumbnail);
    CHECK(picture_size(*large_thumbnail) == std::pair{320, 240});
}

TEST_CASE("a truncated video gets no thumbnail and a reason that is kept", "[media][thumbnail]") {
    ThumbnailRig rig;
    const auto video = rig.directory.path() / "whole.mp4";
    run_ffmpeg_for_thumbnails({"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", "-c:v",
                               "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", video.string()});
    const std::string whole = read_file(video);
    const auto cut = rig.directory.path() / "cut.mp4";
    write_file(cut, std::string_view{whole}.substr(0, whole.size() / 3));
    const std::string sha = rig.put(cut);
    auto made = rig.thumbnails.get_or_make(sha, PictureKind::Video, 2000ms);
    REQUIRE_FALSE(made);
    CHECK(made.error().code == Errc::InvalidInput);
    CHECK(made.error().detail.starts_with("không tạo được hình thu nhỏ"));
    CHECK(made.error().detail.find("no thumbnail could be made") != std::string::npos);
    CHECK(made.error().detail.find(rig.store.root().string()) == std::string::npos);
    CHECK_FALSE(std::filesystem::exists(rig.thumbnails.directory() / (sha + ".jpg")));
    // The reason is remembered and answered again without ffmpeg.
    CHECK(std::filesystem::exists(rig.thumbnails.directory() / (sha + ".failed")));
    auto again = rig.thumbnails.get_or_make(sha, PictureKind::Video, 2000ms);
    REQUIRE_FALSE(again);
    CHECK(again.error().detail == made.error().detail);
    // Nothing is left in tmp/.
    CHECK(std::filesystem::is_empty(rig.store.temporary_directory()));
}

TEST_CASE("a file that is not a picture and audio get no thumbnail", "[media][thumbnail]") {
    ThumbnailRig rig;
    const auto text = rig.directory.path() / "notes.png";
    write_file(text, "this is not a picture at all\n");
    auto made = rig.thumbnails.get_or_make(rig.put(text), PictureKind::Image, std::nullopt);
    REQUIRE_FALSE(made);
    CHECK(made.error().code == Errc::InvalidInput);
    const auto audio = rig.directory.path() / "tone.wav";
    run_ffmpeg_for_thumbnails({"-f", "lavfi", "-i", "sine=frequency=660:duration=1", audio.string()});
    auto sound = rig.thumbnails.get_or_make(rig.put(audio), PictureKind::Video, 1000ms);
    REQUIRE_FALSE(sound);
    CHECK(sound.error().code == Errc::InvalidInput);
    // Unknown objects and bad digests are refused before ffmpeg runs.
    CHECK(rig.thumbnails.get_or_make(std::string(64, 'a'), PictureKind::Image, std::nullopt).error().code ==
          Errc::NotFound);
    CHECK(rig.thumbnails.get_or_make("../../etc/passwd", PictureKind::Image, std::nullopt).error().code ==
          Errc::InvalidInput);
}
