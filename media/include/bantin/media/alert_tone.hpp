#pragma once
// The two sounds every Bantin machine carries with it: the chime before an announcement (an
// alert, a live broadcast) and the siren before an extreme emergency. Neither is ever
// downloaded: the controller and every player make the same bytes themselves, with integer
// arithmetic only (no libm, no float), so the WAV, and hence its sha256, is the same on every
// machine and every build. The controller names a tone in an alert's playlist by that digest like
// any media; a player finds it already in its cache (staged at start-up, pinned for good), so an
// alert sounds its tone with the controller's web server down and the disk full.
//
//   chime: three rising bell notes (C5, E5, G5, each with its octave), 1.6 s;
//   siren: a wail rising 600 -> 1,300 Hz and falling back, twice, 6 s.
// Both are 16-bit mono PCM WAV at 22,050 Hz (mpv plays WAV natively), peaking near -3 dBFS.
//
// Threads: any. stage_alert_tones writes into a content store (errors: the store's).

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/media/store.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace bantin::media {

enum class AlertTone { Chime, Siren };
inline constexpr std::array<AlertTone, 2> all_alert_tones{AlertTone::Chime, AlertTone::Siren};

std::string_view to_string(AlertTone tone);  // "chime", "siren"

// The WAV bytes, the same on every machine.
std::string alert_tone_wav(AlertTone tone);

struct AlertToneMedia {
    std::string sha256;
    Duration duration{};
    std::uint64_t size = 0;  // bytes of the WAV
    std::string name;        // as an editor reads it: "Chuông báo (chime)", "Còi báo động (siren)"
};
// The tone's digest, length and name (computed once, then shared).
const AlertToneMedia& alert_tone_media(AlertTone tone);
// Whether a digest names one of the tones.
bool is_alert_tone(std::string_view sha256);

// Puts both tones into `store` when they are not there yet; returns the objects.
Result<std::array<StoredObject, 2>> stage_alert_tones(const ContentStore& store);

}  // namespace bantin::media
