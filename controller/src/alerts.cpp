#include "bantin/controller/alerts.hpp"

#include "bantin/controller/bundle_builder.hpp"
#include "bantin/controller/device_commands.hpp"
#include "bantin/controller/roles.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/topics.hpp"

#include <sodium.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <set>

namespace bantin::controller {
namespace {

std::string random_alert_id() {
    return random_id("alert-");
}

nlohmann::ordered_json alert_json(const AlertRecord& record) {
    nlohmann::ordered_json json;
    add_alert_fields(json, record);
    json["playlist"] = record.alert.playlist;
    json["media"] = record.media;
    json["created_by"] = record.created_by;
    json["cancelled_by"] = record.cancelled_by ? nlohmann::ordered_json(*record.cancelled_by) : nullptr;
    return json;
}

AuditEntry alert_audit(const User& actor, std::string action, const std::optional<AlertRecord>& before,
                       const AlertRecord& after, TimePoint now) {
    AuditEntry entry;
    entry.user = actor.id;
    entry.user_name = actor.name;
    entry.at = now;
    entry.action = std::move(action);
    entry.entity_type = "alert";
    entry.entity_id = after.alert.id;
    entry.before =
        before ? alert_json(*before).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : "";
    entry.after = alert_json(after).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return entry;
}

std::chrono::seconds expiry_from(TimePoint now, TimePoint expires) {
    auto left = std::chrono::duration_cast<std::chrono::seconds>(expires - now);
    return std::max(left, std::chrono::seconds{1});
}

}  // namespace

void add_alert_fields(nlohmann::ordered_json& json, const AlertRecord& record) {
    const auto& alert = record.alert;
    json["id"] = alert.id;
    json["state"] = to_string(record.state);
    json["status"] = scheduler::to_string(alert.status);
    json["severity"] = scheduler::to_string(alert.severity);
    json["all_zones"] = alert.all_zones;
    json["zones"] = alert.zones;
    json["headline"] = alert.headline;
    json["text"] = alert.text;
    json["issued"] = format_utc(alert.issued);
    json["expires"] = format_utc(alert.expires);
    json["cancelled"] = alert.cancelled ? nlohmann::ordered_json(format_utc(*alert.cancelled)) : nullptr;
    json["replaces"] = record.replaces;
}

media::SpeechOptions speech_options(const config::TtsConfig& tts) {
    media::SpeechOptions options;
    options.voice = tts.voice;
    options.words_per_minute = tts.words_per_minute;
    options.espeak = tts.espeak_binary.string();
    switch (tts.engine.engine) {
        case config::TtsEngine::Espeak: options.engine.kind = media::SpeechEngine::Espeak; break;
        case config::TtsEngine::Command: options.engine.kind = media::SpeechEngine::Command; break;
        case config::TtsEngine::Http: options.engine.kind = media::SpeechEngine::Http; break;
    }
    options.engine.command = tts.engine.command;
    options.engine.url = tts.engine.url;
    options.engine.timeout = std::chrono::duration_cast<Duration>(tts.engine.timeout);
    return options;
}

Result<MediaRecord> EspeakSpeechRenderer::render(std::string_view text) {
    auto audio = media::synthesize_speech(text, m_store, m_options);
    if (!audio)
        return std::unexpected(audio.error());
    MediaRecord record;
    record.media.sha256 = audio->object.sha256;
    record.media.type = scheduler::MediaType::Audio;
    record.media.duration = audio->duration;
    record.media.has_audio = true;
    record.media.has_video = false;
    record.media.name = "speech.opus";
    record.size = static_cast<std::int64_t>(audio->object.size);
    record.created = m_clock.wall();
    return record;
}

Result<MediaRecord> SpeechRenderer::store_text(std::string_view) {
    return fail(Errc::Unsupported, "this speech renderer keeps no text files");
}

Result<MediaRecord> EspeakSpeechRenderer::store_text(std::string_view text) {
    auto stored = m_store.put_bytes(text);
    if (!stored)
        return std::unexpected(stored.error());
    MediaRecord record;
    record.media.sha256 = stored->sha256;
    record.media.type = scheduler::MediaType::Text;
    record.media.has_audio = true;
    record.media.has_video = false;
    record.size = static_cast<std::int64_t>(stored->size);
    record.created = m_clock.wall();
    record.text = std::string{text};
    return record;
}

AlertService::AlertService(Store& store, const Clock& clock, const protocol::SecretKey& key,
                           MessageSink& sink, SpeechRenderer& speech, Publisher* publisher,
                           AlertServiceOptions options)
    : m_store(store),
      m_clock(clock),
      m_key(key),
      m_sink(sink),
      m_speech(speech),
      m_publisher(publisher),
      m_options(std::move(options)) {}

Result<std::vector<std::string>> AlertService::topics_of(const scheduler::Alert& alert) {
    if (alert.all_zones)
        return std::vector<std::string>{std::string{protocol::alert_all_topic}};
    std::vector<std::string> topics;
    for (const auto& zone : alert.zones) {
        auto topic = protocol::alert_zone_topic(zone);
        if (!topic)
            return std::unexpected(topic.error());
        topics.push_back(std::move(*topic));
    }
    return topics;
}

Result<std::optional<media::AlertTone>> alert_tone_for(const AlertRequest& request) {
    if (!request.tone)
        return request.severity == scheduler::Severity::Extreme &&
                       request.status == scheduler::AlertStatus::Actual
                   ? std::optional{media::AlertTone::Siren}
                   : std::optional{media::AlertTone::Chime};
    if (*request.tone == "none")
        return std::optional<media::AlertTone>{};
    for (const auto tone : media::all_alert_tones)
        if (*request.tone == media::to_string(tone))
            return std::optional{tone};
    return fail(
        Errc::InvalidInput,
        "tone: phải là chime, siren hoặc none; expected chime, siren or none, got \"" + *request.tone + "\"");
}

namespace {

// The tone's media row: written with the first alert that plays it (the bytes are the same on
// every machine; the daemon stages them in the content store at start).
MediaRecord tone_record(media::AlertTone tone, TimePoint now) {
    const auto& made = media::alert_tone_media(tone);
    MediaRecord record;
    record.media.sha256 = made.sha256;
    record.media.type = scheduler::MediaType::Audio;
    record.media.duration = made.duration;
    record.media.has_audio = true;
    record.media.has_video = false;
    record.media.name = made.name;
    record.size = static_cast<std::int64_t>(made.size);
    record.created = now;
    return record;
}

}  // namespace

Result<AlertRecord> AlertService::create(const User& actor, AlertRequest request) {
    if (auto allowed_to = require(actor, Action::ManageAlerts); !allowed_to)
        return std::unexpected(allowed_to.error());
    const TimePoint now = m_clock.wall();
    if (!request.all_zones && request.zones.empty())
        return fail(Errc::InvalidInput, "zones: name at least one zone, or set all_zones");
    for (const auto& zone : request.zones)
        if (auto valid = protocol::validate_id(zone, "zones"); !valid)
            return std::unexpected(valid.error());
    if (request.text.empty() && !request.media)
        return fail(Errc::InvalidInput, "text: an alert needs a text to speak or a media file");
    if (request.headline.empty())
        return fail(Errc::InvalidInput, "headline: must not be empty");
    const auto tone = alert_tone_for(request);
    if (!tone)
        return std::unexpected(tone.error());
    const TimePoint expires = request.expires.value_or(now + m_options.default_expiry);
    if (expires <= now)
        return fail(Errc::InvalidInput, "expires: must be in the future");
    std::string id = request.id.value_or(random_alert_id());
    if (auto valid = protocol::validate_id(id, "id"); !valid)
        return std::unexpected(valid.error());
    for (const auto& replaced : request.replaces) {
        if (auto valid = protocol::validate_id(replaced, "replaces"); !valid)
            return std::unexpected(valid.error());
        if (replaced == id)
            return fail(Errc::InvalidInput, "replaces: an alert cannot replace itself (\"" + id + "\")");
    }

    const bool exercise = request.status == scheduler::AlertStatus::Exercise;
    // The words as the alert carries them; a device that cannot fetch the notice or its speech
    // makes them from these (protocol/speech_link.hpp).
    scheduler::Alert words;
    words.status = request.status;
    words.headline = exercise ? std::string{exercise_marker} + ": " + request.headline : request.headline;
    words.text = request.text;
    const std::string& headline = words.headline;
    const std::string spoken = protocol::alert_spoken_text(words);
    std::optional<MediaRecord> speech;
    std::optional<MediaRecord> notice;  // the words on screens, spoken by `speech`
    if (!spoken.empty()) {
        auto rendered = m_speech.render(spoken);
        if (!rendered)
            return std::unexpected(rendered.error());
        speech = std::move(*rendered);
        auto stored = m_speech.store_text(protocol::alert_notice_text(words));
        if (stored) {
            notice = std::move(*stored);
            notice->media.type = scheduler::MediaType::Text;
            notice->media.duration = speech->media.duration;  // a text lasts as long as its speech
            notice->media.has_audio = true;
            notice->media.has_video = false;
            notice->media.name = "alert " + id;
            notice->tts_media = speech->media.sha256;
        } else if (stored.error().code != Errc::Unsupported) {
            return std::unexpected(stored.error());
        }
    }

    AlertRecord record;
    record.alert.id = id;
    record.alert.zones = request.all_zones ? std::vector<std::string>{} : request.zones;
    std::ranges::sort(record.alert.zones);
    record.alert.zones.erase(std::unique(record.alert.zones.begin(), record.alert.zones.end()),
                             record.alert.zones.end());
    record.alert.all_zones = request.all_zones;
    record.alert.severity = request.severity;
    record.alert.status = request.status;
    record.alert.issued = now;
    record.alert.expires = expires;
    record.alert.headline = headline;
    record.alert.text = request.text;
    record.alert.playlist = "alert-" + id;
    if (record.alert.playlist.size() > protocol::max_id_length)
        record.alert.playlist = id;
    record.alert.repeat = request.repeat;
    record.media = request.media.value_or("");
    record.created_by = actor.id;
    record.created = now;
    const bool needs_confirmation = !exercise && !m_options.one_person_live_alerts;
    record.state = needs_confirmation ? AlertState::AwaitingConfirmation : AlertState::Sent;

    auto stored = m_store.write([&](StoreTransaction& transaction) -> Result<void> {
        for (const auto& zone : record.alert.zones)
            if (auto found = transaction.zone_by_id(zone); !found)
                return fail(Errc::InvalidInput, "zones: \"" + zone + "\" does not exist");
        record.replaces.clear();
        for (const auto& replaced : request.replaces) {
            auto found = transaction.alert_by_id(replaced);
            if (!found && found.error().code != Errc::NotFound)
                return std::unexpected(found.error());
            if (found && std::ranges::find(record.replaces, replaced) == record.replaces.end())
                record.replaces.push_back(replaced);
        }
        PlaylistRecord playlist;
        playlist.playlist.id = record.alert.playlist;
        playlist.playlist.name = "Alert " + id;
        playlist.created_by = actor.id;
        playlist.created = playlist.updated = now;
        if (*tone) {
            if (auto inserted = transaction.insert_media(tone_record(**tone, now)); !inserted)
                return std::unexpected(inserted.error());
            playlist.playlist.items.push_back(
                scheduler::PlaylistItem{media::alert_tone_media(**tone).sha256, std::nullopt, 1});
        }
        if (speech) {
            auto inserted = transaction.insert_media(*speech);
            if (!inserted)
                return std::unexpected(inserted.error());
        }
        if (notice) {
            // The same words stored before keep their row (and its speech link).
            auto inserted = transaction.insert_media(*notice);
            if (!inserted)
                return std::unexpected(inserted.error());
            playlist.playlist.items.push_back(scheduler::PlaylistItem{notice->media.sha256, std::nullopt, 1});
        } else if (speech) {
            playlist.playlist.items.push_back(scheduler::PlaylistItem{speech->media.sha256, std::nullopt, 1});
        }
        if (request.media) {
            auto media = transaction.media_by_sha256(*request.media);
            if (!media)
                return fail(Errc::InvalidInput, "media: " + *request.media + " is not stored");
            playlist.playlist.items.push_back(scheduler::PlaylistItem{*request.media, std::nullopt, 1});
        }
        if (auto inserted = transaction.insert_playlist(playlist); !inserted)
            return inserted;
        if (auto inserted = transaction.insert_alert(record); !inserted)
            return inserted;
        auto audited =
            transaction.append_audit(alert_audit(actor, "alert.create", std::nullopt, record, now));
        if (!audited)
            return std::unexpected(audited.error());
        return {};
    });
    if (!stored)
        return std::unexpected(stored.error());
    if (record.state == AlertState::Sent)
        if (auto sent = send(actor, record); !sent)
            return std::unexpected(sent.error());
    return record;
}

Result<AlertRecord> AlertService::confirm(const User& actor, std::string_view alert_id) {
    if (auto allowed_to = require(actor, Action::ManageAlerts); !allowed_to)
        return std::unexpected(allowed_to.error());
    const TimePoint now = m_clock.wall();
    auto confirmed =
        m_store.write_value<AlertRecord>([&](StoreTransaction& transaction) -> Result<AlertRecord> {
            auto before = transaction.alert_by_id(alert_id);
            if (!before)
                return std::unexpected(before.error());
            if (before->state != AlertState::AwaitingConfirmation)
                return fail(Errc::Conflict, "alert \"" + std::string{alert_id} + "\" is " +
                                                std::string{to_string(before->state)} +
                                                ", not awaiting confirmation");
            if (before->created_by == actor.id)
                return fail(Errc::PermissionDenied, "the author of alert \"" + std::string{alert_id} +
                                                        "\" cannot confirm it; a second operator must");
            if (now - before->created > m_options.confirm_timeout)
                return fail(Errc::Conflict,
                            "alert \"" + std::string{alert_id} +
                                "\" was not confirmed within the confirmation window; raise it again");
            if (now >= before->alert.expires)
                return fail(Errc::Conflict, "alert \"" + std::string{alert_id} + "\" has expired");
            if (auto inserted =
                    transaction.insert_alert_confirmation(AlertConfirmation{before->alert.id, actor.id, now});
                !inserted)
                return std::unexpected(inserted.error());
            AlertRecord after = *before;
            after.state = AlertState::Sent;
            after.alert.issued = now;
            if (auto updated = transaction.update_alert(after); !updated)
                return std::unexpected(updated.error());
            auto audited = transaction.append_audit(alert_audit(actor, "alert.confirm", *before, after, now));
            if (!audited)
                return std::unexpected(audited.error());
            return after;
        });
    if (!confirmed)
        return confirmed;
    if (auto sent = send(actor, *confirmed); !sent)
        return std::unexpected(sent.error());
    return confirmed;
}

Result<void> AlertService::send(const User& actor, const AlertRecord& record) {
    for (const auto& replaced : record.replaces) {
        auto retired = cancel_one(actor, replaced, "alert.replace");
        // Cancelled or deleted meanwhile: nothing left to replace.
        if (!retired && retired.error().code != Errc::Conflict && retired.error().code != Errc::NotFound)
            return std::unexpected(retired.error());
    }
    if (auto published = publish_alert(record); !published)
        return published;
    rebuild_bundles(record.alert);
    return {};
}

Result<AlertRecord> AlertService::cancel(const User& actor, std::string_view alert_id) {
    if (auto allowed_to = require(actor, Action::ManageAlerts); !allowed_to)
        return std::unexpected(allowed_to.error());
    return cancel_one(actor, alert_id, "alert.cancel");
}

Result<std::vector<AlertRecord>> AlertService::cancel_chain(const User& actor,
                                                            const std::vector<std::string>& alert_ids) {
    if (auto allowed_to = require(actor, Action::ManageAlerts); !allowed_to)
        return std::unexpected(allowed_to.error());
    if (alert_ids.empty())
        return fail(Errc::InvalidInput, "name at least one alert to cancel");
    std::vector<std::string> chain;
    auto known = m_store.read([&](StoreTransaction& transaction) -> Result<void> {
        for (const auto& id : alert_ids) {
            auto found = transaction.alert_by_id(id);
            if (!found && found.error().code != Errc::NotFound)
                return std::unexpected(found.error());
            if (found && std::ranges::find(chain, id) == chain.end())
                chain.push_back(id);
        }
        if (chain.empty())
            return fail(Errc::NotFound, "alert \"" + alert_ids.front() + "\" not found");
        // An active alert whose replaces lead back, through earlier updates (cancelled when it
        // was sent), to a named alert continues the same event and ends with it.
        const std::vector<std::string> named = chain;
        auto active = transaction.list_active_alerts(m_clock.wall());
        if (!active)
            return std::unexpected(active.error());
        for (const auto& record : *active) {
            if (std::ranges::find(chain, record.alert.id) != chain.end())
                continue;
            std::vector<std::string> earlier = record.replaces;
            std::set<std::string> seen;
            bool continues = false;
            while (!earlier.empty() && !continues && seen.size() < 1024) {
                const std::string id = std::move(earlier.back());
                earlier.pop_back();
                if (!seen.insert(id).second)
                    continue;
                if (std::ranges::find(named, id) != named.end()) {
                    continues = true;
                    break;
                }
                auto found = transaction.alert_by_id(id);
                if (!found && found.error().code != Errc::NotFound)
                    return std::unexpected(found.error());
                if (found)
                    earlier.insert(earlier.end(), found->replaces.begin(), found->replaces.end());
            }
            if (continues)
                chain.push_back(record.alert.id);
        }
        return {};
    });
    if (!known)
        return std::unexpected(known.error());
    std::vector<AlertRecord> cancelled;
    for (const auto& id : chain) {
        auto one = cancel_one(actor, id, "alert.cancel");
        if (one)
            cancelled.push_back(std::move(*one));
        else if (one.error().code != Errc::Conflict)
            return std::unexpected(one.error());
    }
    if (cancelled.empty())
        return fail(Errc::Conflict, "alert \"" + chain.front() + "\" is already cancelled");
    return cancelled;
}

Result<AlertRecord> AlertService::cancel_one(const User& actor, std::string_view alert_id,
                                             std::string action) {
    const TimePoint now = m_clock.wall();
    bool was_sent = false;
    auto cancelled =
        m_store.write_value<AlertRecord>([&](StoreTransaction& transaction) -> Result<AlertRecord> {
            auto before = transaction.alert_by_id(alert_id);
            if (!before)
                return std::unexpected(before.error());
            if (before->state == AlertState::Cancelled)
                return fail(Errc::Conflict, "alert \"" + std::string{alert_id} + "\" is already cancelled");
            was_sent = before->state == AlertState::Sent;
            AlertRecord after = *before;
            after.state = AlertState::Cancelled;
            after.alert.cancelled = now;
            after.cancelled_by = actor.id;
            if (auto updated = transaction.update_alert(after); !updated)
                return std::unexpected(updated.error());
            auto audited = transaction.append_audit(alert_audit(actor, action, *before, after, now));
            if (!audited)
                return std::unexpected(audited.error());
            return after;
        });
    if (!cancelled)
        return cancelled;
    if (was_sent) {
        if (auto published = publish_cancel(*cancelled); !published)
            return std::unexpected(published.error());
        rebuild_bundles(cancelled->alert);
    }
    return cancelled;
}

Result<AlertView> AlertService::get(std::string_view alert_id) {
    return m_store.read_value<AlertView>([&](StoreTransaction& transaction) -> Result<AlertView> {
        auto record = transaction.alert_by_id(alert_id);
        if (!record)
            return std::unexpected(record.error());
        auto confirmations = transaction.alert_confirmations(alert_id);
        if (!confirmations)
            return std::unexpected(confirmations.error());
        return AlertView{std::move(*record), std::move(*confirmations)};
    });
}

Result<std::vector<AlertRecord>> AlertService::active() {
    const TimePoint now = m_clock.wall();
    return m_store.read_value<std::vector<AlertRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_active_alerts(now); });
}

Result<std::vector<std::string>> AlertService::republish_active(
    const std::function<bool(const AlertRecord&)>& select) {
    auto alerts = active();
    if (!alerts)
        return std::unexpected(alerts.error());
    std::vector<std::string> published;
    for (const auto& record : *alerts) {
        if (record.state != AlertState::Sent || (select && !select(record)))
            continue;
        if (auto sent = publish_alert(record); !sent)
            return std::unexpected(sent.error());
        published.push_back(record.alert.id);
    }
    return published;
}

Result<std::vector<std::string>> AlertService::republish_recent_cancels(Duration within) {
    const TimePoint now = m_clock.wall();
    // Alerts raised before now that had not ended `within` ago: the recent cancels among them.
    auto alerts = m_store.read_value<std::vector<AlertRecord>>([&](StoreTransaction& transaction) {
        return transaction.list_alerts(now - within, now + Duration{1}, Page{10'000, 0});
    });
    if (!alerts)
        return std::unexpected(alerts.error());
    std::vector<std::string> published;
    for (const auto& record : *alerts) {
        if (record.state != AlertState::Cancelled || record.alert.expires <= now)
            continue;
        if (auto sent = publish_cancel(record); !sent)
            return std::unexpected(sent.error());
        rebuild_bundles(record.alert);
        published.push_back(record.alert.id);
    }
    return published;
}

Result<void> AlertService::publish_current(std::string_view alert_id) {
    auto record = m_store.read_value<AlertRecord>(
        [&](StoreTransaction& transaction) { return transaction.alert_by_id(alert_id); });
    if (!record)
        return std::unexpected(record.error());
    if (record->state == AlertState::Sent && record->alert.expires > m_clock.wall()) {
        if (auto sent = publish_alert(*record); !sent)
            return sent;
    } else if (record->state == AlertState::Cancelled) {
        if (auto sent = publish_cancel(*record); !sent)
            return sent;
    } else {
        return {};
    }
    rebuild_bundles(record->alert);
    return {};
}

Result<void> AlertService::publish_alert(const AlertRecord& record) {
    const TimePoint now = m_clock.wall();
    protocol::AlertMessage message;
    message.alert = record.alert;
    auto loaded = m_store.read([&](StoreTransaction& transaction) -> Result<void> {
        BundleInputs inputs;
        auto playlist = transaction.playlist_by_id(record.alert.playlist);
        if (!playlist)
            return std::unexpected(playlist.error());
        for (const auto& item : playlist->playlist.items) {
            auto media = transaction.media_by_sha256(item.media);
            if (!media)
                return std::unexpected(media.error());
            if (media->tts_media) {
                // A text notice travels with its speech, so speakers can play it.
                auto speech = transaction.media_by_sha256(*media->tts_media);
                if (!speech)
                    return std::unexpected(speech.error());
                inputs.media.emplace(speech->media.sha256, std::move(*speech));
            }
            inputs.media.emplace(item.media, std::move(*media));
        }
        inputs.playlists.emplace(playlist->playlist.id, playlist->playlist);
        std::vector<scheduler::Playlist> playlists;
        add_alert_content(inputs, record.alert, m_options.media_base_url, playlists, message.media,
                          message.manifest);
        if (!playlists.empty())
            message.playlist = playlists.front();
        return {};
    });
    if (!loaded)
        return loaded;
    auto topics = topics_of(record.alert);
    if (!topics)
        return std::unexpected(topics.error());
    const std::string sealed = protocol::seal(message, m_key);
    protocol::PublishOptions options;
    options.qos = protocol::QualityOfService::AtLeastOnce;
    options.retain = protocol::Retain::Yes;
    options.message_expiry = expiry_from(now, record.alert.expires);
    for (const auto& topic : *topics)
        if (auto sent = m_sink.publish(topic, sealed, options); !sent)
            return sent;
    return {};
}

Result<void> AlertService::publish_cancel(const AlertRecord& record) {
    const TimePoint now = m_clock.wall();
    protocol::AlertCancel cancel;
    cancel.alert_id = record.alert.id;
    cancel.zones = record.alert.zones;
    cancel.all_zones = record.alert.all_zones;
    cancel.issued_at = now;
    cancel.expires_at = std::max(record.alert.expires, now + std::chrono::minutes{1});
    auto topics = topics_of(record.alert);
    if (!topics)
        return std::unexpected(topics.error());
    const std::string sealed = protocol::seal(cancel, m_key);
    protocol::PublishOptions options;
    options.qos = protocol::QualityOfService::AtLeastOnce;
    options.retain = protocol::Retain::Yes;
    options.message_expiry = expiry_from(now, cancel.expires_at);
    for (const auto& topic : *topics)
        if (auto sent = m_sink.publish(topic, sealed, options); !sent)
            return sent;
    return {};
}

void AlertService::rebuild_bundles(const scheduler::Alert& alert) {
    if (m_publisher)
        (void)m_publisher->on_alert_changed(alert);  // the alert topics already carry it; bundles follow
}

}  // namespace bantin::controller
