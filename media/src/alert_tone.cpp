#include "bantin/media/alert_tone.hpp"

#include "bantin/media/sha256.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace bantin::media {

namespace {

constexpr std::int64_t sample_rate = 22'050;
constexpr int table_bits = 12;
constexpr std::int64_t table_size = std::int64_t{1} << table_bits;
constexpr std::int64_t full_scale = 32'767;

// One period of a sine, 4,096 steps, from Bhaskara I's rational approximation in integers:
// sin(pi x / H) ~ 16 x (H - x) / (5 H^2 - 4 x (H - x)) for 0 <= x <= H (error under 0.2 %).
const std::vector<std::int32_t>& sine_table() {
    static const std::vector<std::int32_t> table = [] {
        std::vector<std::int32_t> values(static_cast<std::size_t>(table_size));
        constexpr std::int64_t half = table_size / 2;
        for (std::int64_t x = 0; x < half; ++x) {
            const std::int64_t product = x * (half - x);
            const std::int64_t value = 16 * product * full_scale / (5 * half * half - 4 * product);
            values[static_cast<std::size_t>(x)] = static_cast<std::int32_t>(value);
            values[static_cast<std::size_t>(x + half)] = static_cast<std::int32_t>(-value);
        }
        return values;
    }();
    return table;
}

// A phase accumulator: 32 bits are one period; frequencies in millihertz.
struct Oscillator {
    std::uint32_t phase = 0;
    std::int32_t next(std::int64_t millihertz) {
        const auto& table = sine_table();
        const std::int32_t value = table[phase >> (32 - table_bits)];
        const std::uint64_t step =
            (static_cast<std::uint64_t>(millihertz) << 32) / static_cast<std::uint64_t>(sample_rate * 1000);
        phase = static_cast<std::uint32_t>(phase + step);
        return value;
    }
};

std::int64_t samples_of(std::int64_t milliseconds) {
    return sample_rate * milliseconds / 1000;
}

std::int16_t clamp16(std::int64_t value) {
    if (value > full_scale)
        return static_cast<std::int16_t>(full_scale);
    if (value < -full_scale)
        return static_cast<std::int16_t>(-full_scale);
    return static_cast<std::int16_t>(value);
}

// A bell note: the fundamental and its octave at a third, 8 ms attack, linear decay to silence.
void add_bell(std::vector<std::int16_t>& out, std::int64_t at, std::int64_t length, std::int64_t millihertz,
              std::int64_t peak) {
    Oscillator fundamental;
    Oscillator octave;
    const std::int64_t attack = samples_of(8);
    for (std::int64_t i = 0; i < length && at + i < static_cast<std::int64_t>(out.size()); ++i) {
        const std::int64_t envelope =
            i < attack ? peak * i / attack : peak * (length - i) / (length - attack);
        const std::int64_t sample = (3 * fundamental.next(millihertz) + octave.next(2 * millihertz)) / 4;
        auto& slot = out[static_cast<std::size_t>(at + i)];
        slot = clamp16(slot + sample * envelope / full_scale);
    }
}

std::vector<std::int16_t> chime_samples() {
    // C5, E5, G5, each 450 ms and rung 400 ms after the one before; 1.6 s in all.
    std::vector<std::int16_t> out(static_cast<std::size_t>(samples_of(1600)), 0);
    const std::int64_t notes[] = {523'251, 659'255, 783'991};
    for (std::int64_t n = 0; n < 3; ++n)
        add_bell(out, samples_of(400 * n), samples_of(n == 2 ? 800 : 450), notes[n], 23'000);
    return out;
}

std::vector<std::int16_t> siren_samples() {
    // Two wails of 3 s: 600 Hz up to 1,300 Hz in 1.8 s, back down in 1.2 s; 60 ms fades at the ends.
    const std::int64_t total = samples_of(6000);
    const std::int64_t cycle = samples_of(3000);
    const std::int64_t rise = samples_of(1800);
    const std::int64_t fade = samples_of(60);
    constexpr std::int64_t low = 600'000;
    constexpr std::int64_t high = 1'300'000;
    constexpr std::int64_t peak = 23'000;
    std::vector<std::int16_t> out(static_cast<std::size_t>(total));
    Oscillator wail;
    for (std::int64_t i = 0; i < total; ++i) {
        const std::int64_t in_cycle = i % cycle;
        const std::int64_t millihertz = in_cycle < rise
                                            ? low + (high - low) * in_cycle / rise
                                            : high - (high - low) * (in_cycle - rise) / (cycle - rise);
        std::int64_t envelope = peak;
        if (i < fade)
            envelope = peak * i / fade;
        else if (total - i < fade)
            envelope = peak * (total - i) / fade;
        out[static_cast<std::size_t>(i)] = clamp16(wail.next(millihertz) * envelope / full_scale);
    }
    return out;
}

void put_u32(std::string& out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void put_u16(std::string& out, std::uint16_t value) {
    out.push_back(static_cast<char>(value & 0xff));
    out.push_back(static_cast<char>((value >> 8) & 0xff));
}

std::string wav_of(const std::vector<std::int16_t>& samples) {
    const auto data_bytes = static_cast<std::uint32_t>(samples.size() * 2);
    std::string out;
    out.reserve(44 + data_bytes);
    out += "RIFF";
    put_u32(out, 36 + data_bytes);
    out += "WAVEfmt ";
    put_u32(out, 16);
    put_u16(out, 1);  // PCM
    put_u16(out, 1);  // mono
    put_u32(out, static_cast<std::uint32_t>(sample_rate));
    put_u32(out, static_cast<std::uint32_t>(sample_rate * 2));
    put_u16(out, 2);
    put_u16(out, 16);
    out += "data";
    put_u32(out, data_bytes);
    for (const std::int16_t sample : samples) put_u16(out, static_cast<std::uint16_t>(sample));
    return out;
}

AlertToneMedia make_media(AlertTone tone) {
    const std::string wav = alert_tone_wav(tone);
    const auto samples = static_cast<std::int64_t>((wav.size() - 44) / 2);
    AlertToneMedia media;
    media.sha256 = sha256_hex(wav);
    media.size = wav.size();
    media.duration =
        std::chrono::duration_cast<Duration>(std::chrono::milliseconds{samples * 1000 / sample_rate});
    media.name = tone == AlertTone::Chime ? "Chuông báo (chime)" : "Còi báo động (siren)";
    return media;
}

}  // namespace

std::string_view to_string(AlertTone tone) {
    return tone == AlertTone::Chime ? "chime" : "siren";
}

std::string alert_tone_wav(AlertTone tone) {
    return wav_of(tone == AlertTone::Chime ? chime_samples() : siren_samples());
}

const AlertToneMedia& alert_tone_media(AlertTone tone) {
    static const AlertToneMedia chime = make_media(AlertTone::Chime);
    static const AlertToneMedia siren = make_media(AlertTone::Siren);
    return tone == AlertTone::Chime ? chime : siren;
}

bool is_alert_tone(std::string_view sha256) {
    return std::ranges::any_of(all_alert_tones,
                               [&](AlertTone tone) { return alert_tone_media(tone).sha256 == sha256; });
}

Result<std::array<StoredObject, 2>> stage_alert_tones(const ContentStore& store) {
    std::array<StoredObject, 2> staged;
    for (std::size_t i = 0; i < all_alert_tones.size(); ++i) {
        const AlertTone tone = all_alert_tones[i];
        const auto& media = alert_tone_media(tone);
        if (store.contains(media.sha256)) {
            auto size = store.size_of(media.sha256);
            if (!size)
                return std::unexpected(size.error());
            staged[i] = StoredObject{media.sha256, *size, true};
            continue;
        }
        auto put = store.put_bytes(alert_tone_wav(tone));
        if (!put)
            return std::unexpected(put.error());
        staged[i] = *put;
    }
    return staged;
}

}  // namespace bantin::media
