#pragma once
// Emergency alerts: raise, confirm, cancel, and publish them signed and retained.
//
// create() takes zones (or all), severity, headline, text, an optional media file and an
// expiry. The text becomes a text notice like those of the media API: its words (headline and
// text) stored content-addressed, linked to their speech (SpeechRenderer: espeak-ng through
// media/speech). The alert's playlist is [tone, text notice, media] (the tone: the built-in chime
// or siren of media/alert_tone.hpp, which every player carries); its message carries the text,
// the speech and their link, so screens show the text and speakers speak it
// (protocol::speak_text_notices). A live alert (CAP status Actual) waits for a second operator's
// confirm() unless AlertServiceOptions::one_person_live_alerts; an exercise (CAP Exercise) goes
// out at once, and its headline and spoken text begin with "DIỄN TẬP" (drill) so nobody
// mistakes it for a live alert. A sent alert is published retained, QoS 1, with a v5 message
// expiry until it expires, signed with the controller key, on bantin/v1/alert/all or on
// bantin/v1/alert/zone/{zone} for each zone. cancel() needs one person and publishes the
// AlertCancel on the same topics at once (it replaces the retained alert). The bundles of the
// covered devices are rebuilt after each change, so a device that was offline gets it too.
// Every change is audited.
//
// Updates: an alert may name the alerts it `replaces` (a CAP Update's references, or a
// correction raised from the console). They keep sounding while it awaits confirmation; when it
// is sent, each is cancelled first (audited "alert.replace", its cancel published before the
// new alert, so the retained message on a zone topic both share ends as the new alert) and
// then it goes out. cancel_chain() (a CAP Cancel) cancels the named alerts and every alert that
// replaces one of them, so a Cancel that names the first message of an event still ends it.
//
// Threads: any thread. Errors: PermissionDenied (role; the author confirming their own alert),
// InvalidInput (zones, text, expiry), NotFound, Conflict (wrong state, confirmation window
// passed), plus the speech renderer's and the store's errors.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/config/controller_config.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/media/alert_tone.hpp"
#include "bantin/media/speech.hpp"
#include "bantin/media/store.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/speech_link.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller {

// Turns text into a stored audio file (content store) and its media row (not yet in the Store).
class SpeechRenderer {
public:
    virtual ~SpeechRenderer() = default;
    virtual Result<MediaRecord> render(std::string_view text) = 0;
    // Stores the text itself (content store) and returns its row: type Text, sha256, size, the
    // text. Unsupported from a renderer that keeps no files; an alert then plays its speech only.
    virtual Result<MediaRecord> store_text(std::string_view text);
};

// media::SpeechOptions from [tts]: voice, espeak-ng, speed and the engine (espeak-ng, a command
// or an HTTP service, espeak-ng standing in when it fails).
media::SpeechOptions speech_options(const config::TtsConfig& tts);

// Speech with the configured engine (media::synthesize_speech, which logs a fall back to
// espeak-ng).
class EspeakSpeechRenderer final : public SpeechRenderer {
public:
    EspeakSpeechRenderer(media::ContentStore store, media::SpeechOptions options, const Clock& clock)
        : m_store(std::move(store)), m_options(std::move(options)), m_clock(clock) {}
    Result<MediaRecord> render(std::string_view text) override;
    Result<MediaRecord> store_text(std::string_view text) override;

private:
    media::ContentStore m_store;
    media::SpeechOptions m_options;
    const Clock& m_clock;
};

struct AlertRequest {
    std::optional<std::string> id;  // generated when absent ("alert-<16 hex>")
    std::vector<std::string> zones;
    bool all_zones = false;
    scheduler::Severity severity = scheduler::Severity::Severe;
    scheduler::AlertStatus status = scheduler::AlertStatus::Actual;
    std::string headline;
    std::string text;
    std::optional<std::string> media;  // sha256 of stored media played after the text notice
    std::optional<TimePoint> expires;  // default: now + default_expiry
    // Passes of its playlist, back to back: 0 = until it expires or is cancelled (what residents
    // and the console expect of an active alert), unless the operator chose a number.
    scheduler::RepeatPolicy repeat{0, std::chrono::minutes{0}};
    // Alerts this one replaces; ids no alert has are dropped (an update of a message never
    // imported is a new alert).
    std::vector<std::string> replaces;
    // The built-in tone played before the words (media/alert_tone.hpp): "chime", "siren" or
    // "none". Absent: the siren for an actual extreme alert, else the chime (docs/alerts.md).
    std::optional<std::string> tone;
};

// The tone an alert plays first (nullopt: none), or InvalidInput naming the three choices.
Result<std::optional<media::AlertTone>> alert_tone_for(const AlertRequest& request);

struct AlertServiceOptions {
    bool one_person_live_alerts = false;
    Duration default_expiry = std::chrono::minutes{60};
    Duration confirm_timeout = std::chrono::minutes{10};
    std::string media_base_url = "http://127.0.0.1:8080";
};

struct AlertView {
    AlertRecord record;
    std::vector<AlertConfirmation> confirmations;
};

class AlertService {
public:
    AlertService(Store& store, const Clock& clock, const protocol::SecretKey& key, MessageSink& sink,
                 SpeechRenderer& speech, Publisher* publisher, AlertServiceOptions options);

    Result<AlertRecord> create(const User& actor, AlertRequest request);
    Result<AlertRecord> confirm(const User& actor, std::string_view alert_id);
    Result<AlertRecord> cancel(const User& actor, std::string_view alert_id);
    // Cancels each of `alert_ids` and every alert replacing one of them, directly or through
    // another update, that is not cancelled yet; returns them in that order. NotFound when no
    // alert has any of the ids, Conflict when all of them are cancelled already.
    Result<std::vector<AlertRecord>> cancel_chain(const User& actor,
                                                  const std::vector<std::string>& alert_ids);
    Result<AlertView> get(std::string_view alert_id);
    Result<std::vector<AlertRecord>> active();

    // Publishes every sent, unexpired alert again (those `select` accepts, when given),
    // retained, as when it was sent: for a broker that lost its retained store. Returns their
    // ids; stops at the first failed publish.
    Result<std::vector<std::string>> republish_active(
        const std::function<bool(const AlertRecord&)>& select = {});

    // Publishes again the cancel of every alert cancelled within `within` that has not expired
    // (retained, as when it was cancelled); returns their ids. What a new publishing controller
    // does on taking over, so a cancel stored while no one published still reaches the devices.
    Result<std::vector<std::string>> republish_recent_cancels(Duration within);

    // Publishes one alert's stored state again: a sent, unexpired alert as when it was sent, a
    // cancelled one's cancel; the covered bundles follow. Nothing for a pending or expired one.
    // How the publishing controller sends what a change on another controller stored
    // (cluster.hpp).
    Result<void> publish_current(std::string_view alert_id);

    // The topics an alert goes out on.
    static Result<std::vector<std::string>> topics_of(const scheduler::Alert& alert);

private:
    // Cancels one alert, audited as `action`, and publishes the cancel if it had been sent.
    Result<AlertRecord> cancel_one(const User& actor, std::string_view alert_id, std::string action);
    // A stored alert goes out: the alerts it replaces are cancelled first, then it is published.
    Result<void> send(const User& actor, const AlertRecord& record);
    Result<void> publish_alert(const AlertRecord& record);
    Result<void> publish_cancel(const AlertRecord& record);
    void rebuild_bundles(const scheduler::Alert& alert);

    Store& m_store;
    const Clock& m_clock;
    const protocol::SecretKey& m_key;
    MessageSink& m_sink;
    SpeechRenderer& m_speech;
    Publisher* m_publisher;
    AlertServiceOptions m_options;
};

// "DIỄN TẬP" (drill), the marker an exercise's headline and spoken text begin with.
using protocol::exercise_marker;

// The alert's own fields (id, state, status, severity, zones, headline, text, issued, expires,
// cancelled) added to `json`: the audit log's view and the API's view share them.
void add_alert_fields(nlohmann::ordered_json& json, const AlertRecord& record);

}  // namespace bantin::controller
