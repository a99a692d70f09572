#include "bantin/media/probe.hpp"
#include "bantin/media/speech.hpp"
#include "media_test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace bantin;
using namespace bantin::media;
using namespace std::chrono_literals;
using bantin::media::testing::count_files;
using bantin::media::testing::TemporaryDirectory;

namespace {
constexpr std::string_view notice =
    "Thông báo của Ủy ban nhân dân phường: sáng mai, thứ Bảy, bà con vui lòng tham gia tổng vệ sinh "
    "đường phố từ bảy giờ đến chín giờ.";
}

TEST_CASE("espeak-ng lists the Southern Vietnamese voice", "[media][speech]") {
    auto voices = list_voices("vi");
    REQUIRE(voices);
    CHECK(std::find(voices->begin(), voices->end(), "vi-vn-x-south") != voices->end());
}

TEST_CASE("a Vietnamese notice becomes Opus audio of plausible length", "[media][speech]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    auto speech = synthesize_speech(notice, *store);
    REQUIRE(speech);
    CHECK(speech->format == SpeechFormat::Opus);
    CHECK(speech->engine == SpeechEngine::Espeak);
    CHECK(speech->fallback_reason.empty());
    // About 30 words at 150 words per minute: some 8-16 s of speech.
    CHECK(speech->duration >= 5s);
    CHECK(speech->duration <= 30s);
    auto path = store->lookup(speech->object.sha256);
    REQUIRE(path);
    auto probed = probe_media(*path);
    REQUIRE(probed);
    CHECK(probed->kind == MediaKind::Audio);
    CHECK(probed->audio_codec == "opus");
    CHECK(probed->duration == speech->duration);
    CHECK(count_files(directory.path() / "tmp") == 0);
}

TEST_CASE("speech in WAV is larger than the same speech in Opus", "[media][speech]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    SpeechOptions wav_options;
    wav_options.format = SpeechFormat::Wav;
    auto wav = synthesize_speech(notice, *store, wav_options);
    auto opus = synthesize_speech(notice, *store);
    REQUIRE(wav);
    REQUIRE(opus);
    CHECK(wav->object.size > 5 * opus->object.size);
    const auto difference =
        wav->duration > opus->duration ? wav->duration - opus->duration : opus->duration - wav->duration;
    CHECK(difference < 200ms);
}

TEST_CASE("speech in WAV needs no ffmpeg: its length comes from the WAV header, as ffprobe reads it",
          "[media][speech]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    SpeechOptions device;  // what a player has: espeak-ng, and no ffmpeg or ffprobe
    device.format = SpeechFormat::Wav;
    device.ffmpeg = "/nonexistent/ffmpeg";
    device.probe.ffprobe = "/nonexistent/ffprobe";
    auto wav = synthesize_speech(notice, *store, device);
    REQUIRE(wav);
    auto path = store->lookup(wav->object.sha256);
    REQUIRE(path);
    auto probed = probe_media(*path);
    REQUIRE(probed);
    REQUIRE(probed->duration);
    const auto difference = wav->duration > *probed->duration ? wav->duration - *probed->duration
                                                              : *probed->duration - wav->duration;
    CHECK(difference <= 1ms);
}

TEST_CASE("the same notice renders to the same stored object", "[media][speech]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    auto first = synthesize_speech("Xin chào bà con.", *store);
    auto second = synthesize_speech("Xin chào bà con.", *store);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->object.sha256 == second->object.sha256);
    CHECK(second->object.already_present);
}

TEST_CASE("an unknown voice is refused naming the voices that exist", "[media][speech]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    SpeechOptions options;
    options.voice = "vi-vn-x-nowhere";
    auto speech = synthesize_speech("Xin chào.", *store, options);
    REQUIRE_FALSE(speech);
    CHECK(speech.error().code == Errc::InvalidInput);
    CHECK(speech.error().detail.find("vi-vn-x-south") != std::string::npos);
}

TEST_CASE("text that looks like options or shell is spoken, not run", "[media][speech]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    const auto marker = directory.path() / "owned";
    auto speech =
        synthesize_speech("-w " + marker.string() + " $(touch " + marker.string() + ") ; `id`", *store);
    REQUIRE(speech);
    CHECK(speech->duration > 0ms);
    CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("empty or broken text is refused before espeak-ng runs", "[media][speech]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path());
    REQUIRE(store);
    auto empty = synthesize_speech("  \n ", *store);
    REQUIRE_FALSE(empty);
    CHECK(empty.error().code == Errc::InvalidInput);
    auto broken = synthesize_speech("Xin ch\xC3", *store);
    REQUIRE_FALSE(broken);
    CHECK(broken.error().code == Errc::InvalidInput);
}
