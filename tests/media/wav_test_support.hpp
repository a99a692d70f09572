#pragma once
// Shared by the speech tests: WAV files made byte by byte, so a test knows exactly what an
// engine answered.

#include <cmath>
#include <cstdint>
#include <string>

namespace bantin::media::testing {

struct ToneWavShape {
    int format_tag = 1;  // 1 PCM, 3 float, 0xFFFE extensible (PCM inside), anything else
    int channels = 1;
    int sample_rate = 16000;
    int bits_per_sample = 16;
    std::uint32_t byte_rate = 0;    // 0: what the format says
    std::uint32_t block_align = 0;  // 0: what the format says
    bool data_size_zero = false;    // a writer that never went back to fix the sizes
};

inline void append_little_endian(std::string& out, std::uint64_t value, int bytes) {
    for (int index = 0; index < bytes; ++index)
        out.push_back(static_cast<char>((value >> (8 * index)) & 0xffu));
}

// `milliseconds` of a 440 Hz tone (16-bit samples; other sizes are zero bytes of the right count).
inline std::string make_tone_wav(int milliseconds, const ToneWavShape& shape = {}) {
    const std::uint32_t frame = static_cast<std::uint32_t>(shape.channels * shape.bits_per_sample / 8);
    const std::uint64_t frames =
        static_cast<std::uint64_t>(shape.sample_rate) * static_cast<std::uint64_t>(milliseconds) / 1000u;
    std::string samples;
    samples.reserve(static_cast<std::size_t>(frames * frame));
    for (std::uint64_t index = 0; index < frames; ++index) {
        for (int channel = 0; channel < shape.channels; ++channel) {
            if (shape.bits_per_sample == 16 && shape.format_tag != 3) {
                const double phase = 2.0 * 3.14159265358979 * 440.0 * static_cast<double>(index) /
                                     static_cast<double>(shape.sample_rate);
                const auto sample = static_cast<std::int16_t>(std::lround(8000.0 * std::sin(phase)));
                append_little_endian(samples, static_cast<std::uint16_t>(sample), 2);
            } else {
                samples.append(static_cast<std::size_t>(shape.bits_per_sample / 8), '\0');
            }
        }
    }
    const bool extensible = shape.format_tag == 0xFFFE;
    const std::uint32_t format_size = extensible ? 40 : 16;
    std::string wav = "RIFF";
    append_little_endian(wav, shape.data_size_zero ? 0 : 4 + 8 + format_size + 8 + samples.size(), 4);
    wav += "WAVEfmt ";
    append_little_endian(wav, format_size, 4);
    append_little_endian(wav, static_cast<std::uint32_t>(shape.format_tag), 2);
    append_little_endian(wav, static_cast<std::uint32_t>(shape.channels), 2);
    append_little_endian(wav, static_cast<std::uint32_t>(shape.sample_rate), 4);
    append_little_endian(
        wav, shape.byte_rate != 0 ? shape.byte_rate : frame * static_cast<std::uint32_t>(shape.sample_rate),
        4);
    append_little_endian(wav, shape.block_align != 0 ? shape.block_align : frame, 2);
    append_little_endian(wav, static_cast<std::uint32_t>(shape.bits_per_sample), 2);
    if (extensible) {
        append_little_endian(wav, 22, 2);  // cbSize
        append_little_endian(wav, static_cast<std::uint32_t>(shape.bits_per_sample), 2);
        append_little_endian(wav, 0, 4);  // channel mask
        // KSDATAFORMAT_SUBTYPE_PCM: 00000001-0000-0010-8000-00aa00389b71
        const unsigned char guid[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                        0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};
        wav.append(reinterpret_cast<const char*>(guid), sizeof guid);
    }
    wav += "data";
    append_little_endian(wav, shape.data_size_zero ? 0 : samples.size(), 4);
    wav += samples;
    return wav;
}

}  // namespace bantin::media::testing
