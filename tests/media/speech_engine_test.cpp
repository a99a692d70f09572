// The parts of the speech engines that need no process and no network: the argv template, the
// voice a command or HTTP engine may be given, and the check of whatever WAV an engine returns.

#include "bantin/media/speech.hpp"
#include "media_test_support.hpp"
#include "wav_test_support.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::media;
using namespace std::chrono_literals;
using bantin::media::testing::make_tone_wav;
using bantin::media::testing::TemporaryDirectory;
using bantin::media::testing::ToneWavShape;
using bantin::media::testing::write_file;

namespace {

constexpr std::uint64_t wav_limit = 64ull * 1024 * 1024;

Result<WavInfo> inspect_bytes(const TemporaryDirectory& directory, std::string_view bytes,
                              std::uint64_t max_bytes = wav_limit,
                              Duration max_length = std::chrono::hours{1}) {
    const auto path = directory.path() / "engine.wav";
    write_file(path, bytes);
    return inspect_speech_wav(path, max_bytes, max_length);
}

}  // namespace

TEST_CASE("a command template gets the text file, the WAV path and the voice", "[media][speech][engine]") {
    const std::vector<std::string> argv_template{"/opt/tts/say", "--model",     "/voices/{voice}.onnx",
                                                 "--out={wav}",  "{text_file}", "{unknown}",
                                                 "{wav}{wav}",   "{",           "{{voice}}"};
    const auto argv =
        expand_speech_command(argv_template, "/tmp/w/engine.txt", "/tmp/w/engine.wav", "vi-north");
    CHECK(argv == std::vector<std::string>{"/opt/tts/say", "--model", "/voices/vi-north.onnx",
                                           "--out=/tmp/w/engine.wav", "/tmp/w/engine.txt", "{unknown}",
                                           "/tmp/w/engine.wav/tmp/w/engine.wav", "{", "{vi-north}"});
}

TEST_CASE("a voice that names a placeholder is not expanded again", "[media][speech][engine]") {
    const auto argv = expand_speech_command({"say", "{voice}", "{wav}"}, "t.txt", "o.wav", "{text_file}");
    CHECK(argv == std::vector<std::string>{"say", "{text_file}", "o.wav"});
}

TEST_CASE("a command or HTTP engine's voice is a plain name", "[media][speech][engine]") {
    CHECK(check_engine_voice("vi-vn-x-south"));
    CHECK(check_engine_voice("vi_VN-vais1000-medium"));
    CHECK(check_engine_voice("speaker.2+fast"));
    const std::vector<std::string> refused{"",
                                           "-o",
                                           "--output=/etc/x",
                                           "../x",
                                           "a b",
                                           "vi;id",
                                           "giọng",
                                           std::string(101, 'a'),
                                           std::string{"a\0b", 3}};
    for (const std::string& voice : refused) {
        INFO(voice);
        auto checked = check_engine_voice(voice);
        REQUIRE_FALSE(checked);
        CHECK(checked.error().code == Errc::InvalidInput);
        CHECK(checked.error().detail.starts_with("voice: "));
    }
}

TEST_CASE("a PCM WAV is read with its length from the header", "[media][speech][engine][wav]") {
    TemporaryDirectory directory;
    auto info = inspect_bytes(directory, make_tone_wav(1500));
    REQUIRE(info);
    CHECK(info->format_tag == 1);
    CHECK(info->channels == 1);
    CHECK(info->sample_rate == 16000);
    CHECK(info->bits_per_sample == 16);
    CHECK(info->data_bytes == 48000);
    CHECK(info->duration == 1500ms);

    ToneWavShape stereo;
    stereo.channels = 2;
    stereo.sample_rate = 48000;
    auto wide = inspect_bytes(directory, make_tone_wav(250, stereo));
    REQUIRE(wide);
    CHECK(wide->duration == 250ms);

    ToneWavShape extensible;
    extensible.format_tag = 0xFFFE;
    auto wrapped = inspect_bytes(directory, make_tone_wav(500, extensible));
    REQUIRE(wrapped);
    CHECK(wrapped->format_tag == 1);
    CHECK(wrapped->duration == 500ms);

    ToneWavShape floats;
    floats.format_tag = 3;
    floats.bits_per_sample = 32;
    auto float_samples = inspect_bytes(directory, make_tone_wav(400, floats));
    REQUIRE(float_samples);
    CHECK(float_samples->duration == 400ms);
}

TEST_CASE("a WAV whose sizes were never filled in counts the bytes it has", "[media][speech][engine][wav]") {
    TemporaryDirectory directory;
    ToneWavShape streamed;
    streamed.data_size_zero = true;
    auto info = inspect_bytes(directory, make_tone_wav(750, streamed));
    REQUIRE(info);
    CHECK(info->duration == 750ms);
}

TEST_CASE("whatever is not a sane PCM WAV is refused saying why", "[media][speech][engine][wav]") {
    TemporaryDirectory directory;
    struct Case {
        std::string name;
        std::string bytes;
        std::string says;
    };
    ToneWavShape mp3;
    mp3.format_tag = 0x55;
    ToneWavShape mono_96_channels;
    mono_96_channels.channels = 96;
    ToneWavShape slow;
    slow.sample_rate = 100;
    ToneWavShape lying_rate;
    lying_rate.byte_rate = 1;
    ToneWavShape lying_align;
    lying_align.block_align = 7;
    ToneWavShape odd_bits;
    odd_bits.bits_per_sample = 12;
    const std::string good = make_tone_wav(100);
    std::string data_first = good.substr(0, 12) + good.substr(36);
    std::string short_format = good;
    short_format[16] = 8;  // "fmt " size 8
    const std::vector<Case> cases{
        {"empty", "", "not a RIFF/WAVE file"},
        {"html", "<html><body>Service Unavailable</body></html>", "not a RIFF/WAVE file"},
        {"riff but avi", std::string{"RIFF\x10\0\0\0AVI LIST\0\0\0\0", 20}, "not a RIFF/WAVE file"},
        {"header only", good.substr(0, 12), "no fmt or data chunk"},
        {"no data", good.substr(0, 36), "no fmt or data chunk"},
        {"data before fmt", data_first, "data chunk comes before fmt"},
        {"short fmt", short_format, "fmt chunk is too short"},
        {"no samples", good.substr(0, 44), "holds no samples"},
        {"mp3 inside", make_tone_wav(100, mp3), "not PCM audio (format 85"},
        {"12 bits", make_tone_wav(100, odd_bits), "not PCM audio"},
        {"96 channels", make_tone_wav(10, mono_96_channels), "96 channels"},
        {"100 Hz", make_tone_wav(100, slow), "100 Hz is not plausible"},
        {"byte rate", make_tone_wav(100, lying_rate), "byte rate or block align"},
        {"block align", make_tone_wav(100, lying_align), "byte rate or block align"},
    };
    for (const auto& one : cases) {
        INFO(one.name);
        auto info = inspect_bytes(directory, one.bytes);
        REQUIRE_FALSE(info);
        CHECK(info.error().code == Errc::Internal);
        CHECK(info.error().detail.find(one.says) != std::string::npos);
    }
}

TEST_CASE("a WAV over the size or length limit is too large", "[media][speech][engine][wav]") {
    TemporaryDirectory directory;
    const std::string wav = make_tone_wav(2000);
    auto big = inspect_bytes(directory, wav, wav.size() - 1);
    REQUIRE_FALSE(big);
    CHECK(big.error().code == Errc::TooLarge);
    CHECK(big.error().detail.find("over the limit of " + std::to_string(wav.size() - 1)) !=
          std::string::npos);
    auto fits = inspect_bytes(directory, wav, wav.size());
    CHECK(fits);
    auto long_speech = inspect_bytes(directory, wav, wav_limit, 1s);
    REQUIRE_FALSE(long_speech);
    CHECK(long_speech.error().code == Errc::TooLarge);
    CHECK(long_speech.error().detail.find("lasts 2 s, over the limit of 1 s") != std::string::npos);
}

TEST_CASE("a missing WAV is not found", "[media][speech][engine][wav]") {
    TemporaryDirectory directory;
    auto info = inspect_speech_wav(directory.path() / "none.wav", wav_limit, std::chrono::hours{1});
    REQUIRE_FALSE(info);
    CHECK(info.error().code == Errc::NotFound);
}

TEST_CASE("the engines have their config names", "[media][speech][engine]") {
    CHECK(to_string(SpeechEngine::Espeak) == "espeak");
    CHECK(to_string(SpeechEngine::Command) == "command");
    CHECK(to_string(SpeechEngine::Http) == "http");
}
