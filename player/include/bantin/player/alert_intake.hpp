#pragma once
// Alert intake: what the daemon does with the alert topics (bantin/v1/alert/all and the
// device's zone), from a signed message to the plan that plays it (docs/player.md "Alerts").
//
//   verify   protocol::verify_alert: signature, the device's zone, not expired, not cancelled
//            (AlertBook::cancelled_ids()). A refusal other than a replay is reported;
//   cancel   stops the alert now whatever the state database can write (AlertBook::cancel);
//            a failed save waits in memory and retry_saves() tries again on every pass;
//   alert    a copy equal to one that plays is ignored (a retained copy). One that cannot be
//            resolved on its own (a playlist naming media it does not carry) is refused: kept,
//            it would fail every later plan. Otherwise it goes live and is stored; when its
//            media are on disk the plan is rebuilt at once, else they are fetched first (three
//            quick attempts each: an alert is worth little late);
//   restart  restored alerts are held until the retained alert topics had their moment
//            (AlertBook), then released into the plan;
//   words    an alert whose text notice or speech is still not on disk `words_after` after it
//            arrived, or whose download round failed (the controller's HTTP is down, MQTT is
//            not), gets them from the device itself, once: the notice's bytes from the alert's
//            own headline and text (the bytes the controller stored, so the same digest) and
//            its speech from espeak-ng or the configured [tts] engine (espeak-ng standing in
//            when it fails; a WAV: another digest, which substitute() maps the
//            controller's to; the plan keeps the controller's timeline). An emergency is heard
//            with the controller's web server down.
//
// Threads: the daemon's loop; the alert downloader's transfers run on its own thread.

#include "bantin/common/clock.hpp"
#include "bantin/media/cache.hpp"
#include "bantin/media/speech.hpp"
#include "bantin/player/alert_book.hpp"
#include "bantin/player/bundle_intake.hpp"
#include "bantin/player/player_state.hpp"
#include "bantin/player/runner.hpp"
#include "bantin/player/status.hpp"
#include "bantin/protocol/envelope.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace bantin::player {

class AlertIntake {
public:
    // The engine's WAV (espeak-ng's by default), with its length from the header: what a player
    // can make without ffmpeg.
    static media::SpeechOptions wav_speech() {
        media::SpeechOptions options;
        options.format = media::SpeechFormat::Wav;
        return options;
    }
    struct Options {
        protocol::TrustedKeys keys;
        DeviceIdentity identity;
        LocalInterlocks interlocks;  // the device's own (quiet hours, volume cap)
        AlertBook::Options hold;
        Duration words_after{5000};  // 0: never make the words on the device
        media::SpeechOptions speech = wav_speech();
    };
    AlertIntake(PlayerState& state, media::MediaCache& cache, std::unique_ptr<MediaDownloader> downloader,
                const Clock& clock, DeviceHealth& health, Options options);

    // What the daemon must do: update the cache pins, or rebuild the plan (and the pins).
    enum class Change { None, Pins, Replan };

    // Start-up: the stored alerts still unexpired wait as held.
    void restore();
    // A payload from an alert topic.
    Change receive(const std::string& payload);
    // The alert topics' SUBACK.
    void subscribed();
    // Every loop pass: an alert media round that ended, or held alerts released.
    Change pump();
    // The cancels whose save failed, saved again.
    struct WriteRetry {
        bool failed = false;
        bool wrote = false;
    };
    WriteRetry retry_saves();
    // How long the daemon may wait before the next pump(): 0 when words are due.
    Duration time_until_next(Duration ceiling) const { return m_words_due ? Duration{0} : ceiling; }

    // The device's interlocks with every cancelled and every held alert named.
    // An alert still waiting for its media is named too: a bundle that carries it must not start
    // it from its issue time meanwhile (its tone cut to what is left of its slot).
    LocalInterlocks interlocks() const {
        LocalInterlocks interlocks = m_book.interlocks(m_options.interlocks);
        interlocks.cancelled_alerts.insert(m_waiting.begin(), m_waiting.end());
        return interlocks;
    }
    const LocalInterlocks& device_interlocks() const { return m_options.interlocks; }
    const std::vector<protocol::AlertMessage>& live() const { return m_book.live(); }
    // The live alerts as the plan plays them: one that waited for its media starts its first
    // pass when they were ready (its tone and words whole), not at its issue time, which would
    // cut the pass by the wait. Restored alerts keep their issue time.
    std::vector<protocol::AlertMessage> playing() const;
    std::size_t held() const { return m_book.held().size(); }
    void add_pins(std::set<std::string>& pins) const;
    // The device's own file standing in for `sha256` (an alert's speech made here), if any.
    std::optional<std::string> substitute(std::string_view sha256) const;

private:
    void fetch_media();
    bool words_missing(const protocol::AlertMessage& message) const;
    Change make_missing_words(bool round_failed);
    bool make_words(const protocol::AlertMessage& message);

    AlertBook m_book;
    media::MediaCache& m_cache;
    std::unique_ptr<MediaDownloader> m_downloader;
    const Clock& m_clock;
    DeviceHealth& m_health;
    Options m_options;
    PlayerState& m_state;
    std::map<std::string, MonotonicTime> m_arrived;  // alert id -> when it arrived
    std::set<std::string> m_words_tried;             // alert ids whose words were made (or tried)
    std::set<std::string> m_waiting;                 // alert ids that arrived with media missing
    bool m_words_due = false;                        // a round failed: make the words next pass
    std::set<std::string> m_in_round;                // alert ids whose media the last round fetched
    std::map<std::string, TimePoint> m_ready_at;     // alert id -> when a waiting one could play
    std::map<std::string, std::string, std::less<>> m_substitutes;  // controller's digest -> device's
};

}  // namespace bantin::player
