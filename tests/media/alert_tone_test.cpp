// The built-in chime and siren (alert_tone.hpp): the same bytes on every machine, a well-formed
// WAV, the promised length, loud enough and never clipped, and the pitches they promise.
#include "bantin/media/alert_tone.hpp"
#include "bantin/media/sha256.hpp"
#include "media_test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace bantin;
using namespace bantin::media;
using bantin::media::testing::TemporaryDirectory;

namespace {

std::uint32_t little_u32(const std::string& bytes, std::size_t at) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i)
        value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
    return value;
}

std::vector<std::int16_t> tone_samples(const std::string& wav) {
    std::vector<std::int16_t> samples((wav.size() - 44) / 2);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const auto low = static_cast<unsigned char>(wav[44 + 2 * i]);
        const auto high = static_cast<unsigned char>(wav[45 + 2 * i]);
        samples[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(low | (high << 8)));
    }
    return samples;
}

// Upward zero crossings per second in [from_ms, to_ms): the pitch of a plain tone.
double crossings_per_second(const std::vector<std::int16_t>& samples, int from_ms, int to_ms) {
    const auto from = static_cast<std::size_t>(22'050 * from_ms / 1000);
    const auto to = static_cast<std::size_t>(22'050 * to_ms / 1000);
    int crossings = 0;
    for (std::size_t i = from + 1; i < to; ++i)
        if (samples[i - 1] < 0 && samples[i] >= 0)
            ++crossings;
    return crossings * 1000.0 / (to_ms - from_ms);
}

}  // namespace

TEST_CASE("the chime and the siren are the same bytes on every machine", "[alert_tone]") {
    // A change of these digests is a change of the wire: players staged the old bytes, and an
    // alert naming the new digest would have to download its tone. Change them on purpose only.
    CHECK(alert_tone_media(AlertTone::Chime).sha256 == sha256_hex(alert_tone_wav(AlertTone::Chime)));
    CHECK(alert_tone_media(AlertTone::Siren).sha256 == sha256_hex(alert_tone_wav(AlertTone::Siren)));
    CHECK(alert_tone_media(AlertTone::Chime).sha256 ==
          "2630fae8457a510d17b616d8b1cf475592c35d6c910b6298dbcfa456a898ea8f");
    CHECK(alert_tone_media(AlertTone::Siren).sha256 ==
          "fde35ce8ab19ac77e9ec6edec6c86004f20218a57fb4f7f904cd2d212e9cfa47");
    CHECK(alert_tone_wav(AlertTone::Chime) == alert_tone_wav(AlertTone::Chime));
    CHECK(alert_tone_media(AlertTone::Chime).sha256 != alert_tone_media(AlertTone::Siren).sha256);
    CHECK(to_string(AlertTone::Chime) == "chime");
    CHECK(to_string(AlertTone::Siren) == "siren");
}

TEST_CASE("each tone is a 16-bit mono PCM WAV of its promised length, loud and never clipped",
          "[alert_tone]") {
    struct Case {
        AlertTone tone;
        std::int64_t milliseconds;
    };
    for (const Case& each : {Case{AlertTone::Chime, 1600}, Case{AlertTone::Siren, 6000}}) {
        INFO(to_string(each.tone));
        const std::string wav = alert_tone_wav(each.tone);
        REQUIRE(wav.size() > 44);
        CHECK(wav.substr(0, 4) == "RIFF");
        CHECK(little_u32(wav, 4) == wav.size() - 8);
        CHECK(wav.substr(8, 8) == "WAVEfmt ");
        CHECK(little_u32(wav, 16) == 16);
        CHECK(little_u32(wav, 20) == (1u | (1u << 16)));  // PCM, mono
        CHECK(little_u32(wav, 24) == 22'050);
        CHECK(wav.substr(36, 4) == "data");
        CHECK(little_u32(wav, 40) == wav.size() - 44);
        const auto samples = tone_samples(wav);
        CHECK(static_cast<std::int64_t>(samples.size()) == 22'050 * each.milliseconds / 1000);
        CHECK(alert_tone_media(each.tone).duration == std::chrono::milliseconds{each.milliseconds});
        int peak = 0;
        for (const auto sample : samples) peak = std::max(peak, std::abs(static_cast<int>(sample)));
        CHECK(peak > 16'000);  // louder than -6 dBFS
        CHECK(peak < 32'767);  // and never at full scale
        // Starts and ends at (near) silence: no click.
        CHECK(std::abs(static_cast<int>(samples.front())) < 200);
        CHECK(std::abs(static_cast<int>(samples.back())) < 200);
    }
}

TEST_CASE("the chime rings C5, E5 and G5 and the siren wails between 600 and 1300 Hz", "[alert_tone]") {
    const auto chime = tone_samples(alert_tone_wav(AlertTone::Chime));
    // The first note alone (before the second is rung): C5 under its octave.
    CHECK(crossings_per_second(chime, 50, 350) == Approx(523.25).margin(30));
    const auto siren = tone_samples(alert_tone_wav(AlertTone::Siren));
    const double start = crossings_per_second(siren, 100, 200);
    const double top = crossings_per_second(siren, 1750, 1850);
    const double second_start = crossings_per_second(siren, 3050, 3150);
    CHECK(start == Approx(640).margin(40));
    CHECK(top == Approx(1290).margin(40));
    CHECK(second_start == Approx(start).margin(40));
}

TEST_CASE("stage_alert_tones puts both tones into a store once", "[alert_tone]") {
    TemporaryDirectory directory;
    auto store = ContentStore::open(directory.path() / "store");
    REQUIRE(store);
    auto first = stage_alert_tones(*store);
    REQUIRE(first);
    CHECK_FALSE((*first)[0].already_present);
    CHECK((*first)[0].sha256 == alert_tone_media(AlertTone::Chime).sha256);
    CHECK((*first)[1].sha256 == alert_tone_media(AlertTone::Siren).sha256);
    CHECK(store->verify((*first)[0].sha256));
    CHECK(store->verify((*first)[1].sha256));
    auto again = stage_alert_tones(*store);
    REQUIRE(again);
    CHECK((*again)[0].already_present);
    CHECK((*again)[1].already_present);
    CHECK((*again)[1].size == (*first)[1].size);
}
