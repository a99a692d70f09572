#include "bantin/media/ingest.hpp"
#include "bantin/media/probe.hpp"
#include "bantin/media/process.hpp"
#include "media_test_support.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::media;
using namespace std::chrono_literals;
using bantin::media::testing::count_files;
using bantin::media::testing::read_file;
using bantin::media::testing::TemporaryDirectory;
using bantin::media::testing::write_file;

namespace {

// Media made for the test by ffmpeg from its synthetic sources.
struct GeneratedMedia {
    TemporaryDirectory directory;
    std::filesystem::path video = directory.path() / "clip.mp4";
    std::filesystem::path image = directory.path() / "still.png";
    std::filesystem::path audio = directory.path() / "tone.wav";

    GeneratedMedia() {
        ffmpeg({"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", "-f", "lavfi", "-i",
                "sine=frequency=440:duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                "yuv420p", "-c:a", "aac", "-shortest", video.string()});
        ffmpeg({"-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1", image.string()});
        ffmpeg({"-f", "lavfi", "-i", "sine=frequency=660:duration=1", audio.string()});
    }
    static void ffmpeg(std::vector<std::string> arguments) {
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
};

GeneratedMedia& generated_media() {
    static GeneratedMedia generated;
    return generated;
}

}  // namespace

TEST_CASE("probe finds a 2 s video with sound", "[media][probe]") {
    auto probed = probe_media(generated_media().video);
    REQUIRE(probed);
    CHECK(probed->kind == MediaKind::Video);
    REQUIRE(probed->duration);
    CHECK(*probed->duration >= 1900ms);
    CHECK(*probed->duration <= 2100ms);
    CHECK(probed->width == 320);
    CHECK(probed->height == 240);
    CHECK(probed->has_video);
    CHECK(probed->has_audio);
}

TEST_CASE("probe finds a PNG is a still image", "[media][probe]") {
    auto probed = probe_media(generated_media().image);
    REQUIRE(probed);
    CHECK(probed->kind == MediaKind::Image);
    CHECK(probed->width == 64);
    CHECK(probed->height == 48);
    CHECK_FALSE(probed->has_audio);
    CHECK_FALSE(probed->duration);
}

TEST_CASE("probe finds a 1 s WAV is audio", "[media][probe]") {
    auto probed = probe_media(generated_media().audio);
    REQUIRE(probed);
    CHECK(probed->kind == MediaKind::Audio);
    CHECK(probed->duration == 1000ms);
    CHECK(probed->has_audio);
    CHECK_FALSE(probed->has_video);
}

TEST_CASE("probe refuses a text file renamed .mp4", "[media][probe]") {
    TemporaryDirectory directory;
    write_file(directory.path() / "notice.mp4", "Thông báo: đây không phải là video.\n");
    auto probed = probe_media(directory.path() / "notice.mp4");
    REQUIRE_FALSE(probed);
    CHECK(probed.error().code == Errc::Unsupported);
    CHECK(probed.error().detail.starts_with("not playable media"));
}

TEST_CASE("probe refuses a plain text file", "[media][probe]") {
    TemporaryDirectory directory;
    write_file(directory.path() / "readme.txt", "just some words\nand more words\n");
    auto probed = probe_media(directory.path() / "readme.txt");
    REQUIRE_FALSE(probed);
    CHECK(probed.error().code == Errc::Unsupported);
}

TEST_CASE("probe refuses an empty file and reports a missing one", "[media][probe]") {
    TemporaryDirectory directory;
    write_file(directory.path() / "empty.mp4", "");
    auto empty = probe_media(directory.path() / "empty.mp4");
    REQUIRE_FALSE(empty);
    CHECK(empty.error().code == Errc::Unsupported);
    auto missing = probe_media(directory.path() / "missing.mp4");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::NotFound);
}

TEST_CASE("probe refuses a truncated video", "[media][probe]") {
    TemporaryDirectory directory;
    const std::string whole = read_file(generated_media().video);
    write_file(directory.path() / "cut.mp4", std::string_view{whole}.substr(0, whole.size() / 3));
    auto probed = probe_media(directory.path() / "cut.mp4");
    // The moov atom of an ffmpeg mp4 sits at the end: a cut file cannot be read.
    REQUIRE_FALSE(probed);
    CHECK(probed.error().code == Errc::Unsupported);
}

TEST_CASE("probe refuses an HLS playlist that points elsewhere", "[media][probe]") {
    TemporaryDirectory directory;
    write_file(
        directory.path() / "list.m3u8",
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nhttp://127.0.0.1:1/segment.ts\n#EXT-X-ENDLIST\n");
    auto probed = probe_media(directory.path() / "list.m3u8");
    REQUIRE_FALSE(probed);
    CHECK(probed.error().code == Errc::Unsupported);
}

TEST_CASE("ingest stores a real upload with its probe result", "[media][ingest]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    auto pending = store->begin(50'000'000);
    REQUIRE(pending);
    const std::string bytes = read_file(generated_media().video);
    for (std::size_t offset = 0; offset < bytes.size(); offset += 4096) {
        REQUIRE(pending->write(std::string_view{bytes}.substr(offset, 4096)));
    }
    auto ingested = ingest_media(std::move(*pending));
    REQUIRE(ingested);
    CHECK(ingested->probe.kind == MediaKind::Video);
    CHECK(store->contains(ingested->object.sha256));
    CHECK(count_files(directory.path() / "tmp") == 0);
}

TEST_CASE("ingest of something that is not media leaves nothing behind", "[media][ingest]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    auto pending = store->begin(1'000'000);
    REQUIRE(pending);
    REQUIRE(pending->write("<html><body>not a video</body></html>"));
    auto ingested = ingest_media(std::move(*pending));
    REQUIRE_FALSE(ingested);
    CHECK(ingested.error().code == Errc::Unsupported);
    CHECK(count_files(directory.path()) == 0);
}
