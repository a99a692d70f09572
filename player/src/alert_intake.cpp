#include "bantin/player/alert_intake.hpp"

#include "bantin/media/sha256.hpp"
#include "bantin/protocol/speech_link.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace bantin::player {

AlertIntake::AlertIntake(PlayerState& state, media::MediaCache& cache,
                         std::unique_ptr<MediaDownloader> downloader, const Clock& clock,
                         DeviceHealth& health, Options options)
    : m_book(state, options.hold),
      m_cache(cache),
      m_downloader(std::move(downloader)),
      m_clock(clock),
      m_health(health),
      m_options(std::move(options)),
      m_state(state) {
    m_health.waiting_writes([this] { return m_book.has_unsaved(); });
}

void AlertIntake::restore() {
    std::vector<protocol::AlertMessage> restored;
    if (auto stored = m_state.alerts(); stored) {
        for (const auto& alert : *stored) {
            auto decoded = decode_stored<protocol::AlertTopicMessage>(
                alert.envelope, m_options.keys, protocol::MessageType::Alert, &protocol::decode_alert_topic);
            if (decoded && std::holds_alternative<protocol::AlertMessage>(*decoded)) {
                auto& message = std::get<protocol::AlertMessage>(*decoded);
                if (message.alert.expires > m_clock.wall())
                    restored.push_back(std::move(message));
            }
        }
    }
    if (auto held = m_book.restore(std::move(restored), m_clock.monotonic()); !held)
        m_health.report("state: " + held.error().message());
}

AlertIntake::Change AlertIntake::receive(const std::string& payload) {
    auto verified = protocol::verify_alert(payload, m_options.keys, m_options.identity.zone,
                                           m_book.cancelled_ids(), m_clock.wall());
    if (!verified) {
        if (verified.error().reason != protocol::Refusal::Replay)
            m_health.report("alert refused: " + verified.error().message());
        return Change::None;
    }
    if (auto* cancel = std::get_if<protocol::AlertCancel>(&*verified)) {
        spdlog::info("alert {} cancelled", cancel->alert_id);
        // It stops now whatever the state database can write; a failed save is kept in
        // memory and retried on every pass (retry_saves()).
        if (auto saved = m_book.cancel(cancel->alert_id); !saved)
            m_health.state_write_failed("state: alert " + cancel->alert_id +
                                        " cancel not saved: " + saved.error().message());
        else
            m_health.state_write_succeeded();
        return Change::Replan;
    }
    auto& message = std::get<protocol::AlertMessage>(*verified);
    if (!m_book.is_new(message))
        return Change::None;  // a retained copy of what plays already
    if (auto alone = Plan::create(nullptr, {message}, m_options.interlocks, m_options.identity); !alone) {
        m_health.report("alert " + message.alert.id + " refused: " + alone.error().message());
        return Change::None;
    }
    spdlog::info("alert {}: {}", message.alert.id, message.alert.headline);
    m_arrived[message.alert.id] = m_clock.monotonic();
    if (auto stored = m_book.add(message, payload); !stored)
        spdlog::warn("state: alert {} not stored (it plays, but not again after a restart): {}",
                     message.alert.id, stored.error().message());
    for (const auto& entry : message.manifest) {
        if (!m_cache.contains(entry.sha256)) {
            m_waiting.insert(message.alert.id);
            fetch_media();
            return Change::Pins;
        }
    }
    return Change::Replan;
}

std::vector<protocol::AlertMessage> AlertIntake::playing() const {
    std::vector<protocol::AlertMessage> alerts;
    for (auto message : m_book.live()) {
        if (m_waiting.contains(message.alert.id))
            continue;  // not yet: it starts when its media are ready (pump())
        if (const auto ready = m_ready_at.find(message.alert.id);
            ready != m_ready_at.end() && ready->second > message.alert.issued) {
            if (ready->second >= message.alert.expires)
                continue;  // it expired while it waited: nothing of it plays (an alert ending
                           // before it starts would be refused by the model, and every plan with it)
            message.alert.issued = ready->second;
        }
        alerts.push_back(std::move(message));
    }
    return alerts;
}

void AlertIntake::fetch_media() {
    if (m_downloader->busy())
        return;
    std::vector<media::FetchRequest> requests;
    m_in_round.clear();
    for (const auto& alert : m_book.live()) {
        m_in_round.insert(alert.alert.id);
        for (const auto& request : fetch_requests(alert.manifest)) requests.push_back(request);
    }
    m_downloader->start(std::move(requests));
}

void AlertIntake::subscribed() {
    m_book.subscribed(m_clock.monotonic());
}

AlertIntake::Change AlertIntake::pump() {
    Change change = Change::None;
    bool round_failed = false;
    if (auto round = m_downloader->take_finished()) {
        if (const std::string failures = describe_failures(*round); !failures.empty()) {
            m_health.report("alert " + failures);
            round_failed = true;
        }
        change = Change::Replan;
    }
    if (m_book.release(m_clock.monotonic(), m_clock.wall()))
        change = Change::Replan;
    if (round_failed) {
        // The tone plays at once (it is on disk); the words are made on the next pass, while it
        // sounds, and fit in after it.
        m_words_due = true;
    } else {
        if (make_missing_words(m_words_due) == Change::Replan)
            change = Change::Replan;
        m_words_due = false;
    }
    // The waiting alerts play from the moment they can: their media came; their round failed
    // (the tone is on disk, the words are made while it sounds); their words were made; or
    // alert_words_after passed (operator media still downloading must not keep the tone silent).
    const auto& live = m_book.live();
    const MonotonicTime now = m_clock.monotonic();
    bool unfetched = false;
    for (auto waiting = m_waiting.begin(); waiting != m_waiting.end();) {
        const auto message = std::ranges::find_if(
            live, [&](const protocol::AlertMessage& alert) { return alert.alert.id == *waiting; });
        if (message == live.end()) {
            waiting = m_waiting.erase(waiting);
            continue;
        }
        const bool whole = std::ranges::all_of(message->manifest, [&](const auto& entry) {
            return m_cache.contains(entry.sha256) || m_substitutes.contains(entry.sha256);
        });
        const auto arrived = m_arrived.find(*waiting);
        const bool late = m_options.words_after > Duration{0} && arrived != m_arrived.end() &&
                          now - arrived->second >= m_options.words_after;
        if (!whole && !round_failed && !late && !m_words_tried.contains(*waiting)) {
            unfetched = unfetched || !m_in_round.contains(*waiting);
            ++waiting;  // its round is still to come
            continue;
        }
        if (!m_ready_at.contains(*waiting))
            m_ready_at[*waiting] = m_clock.wall();
        change = Change::Replan;
        waiting = m_waiting.erase(waiting);
    }
    std::erase_if(m_ready_at, [&](const auto& entry) {
        return std::ranges::none_of(
            live, [&](const protocol::AlertMessage& alert) { return alert.alert.id == entry.first; });
    });
    // An alert that came while a round ran had nothing fetched for it: a round of its own.
    if (unfetched && !m_downloader->busy())
        fetch_media();
    return change;
}

bool AlertIntake::words_missing(const protocol::AlertMessage& message) const {
    return std::ranges::any_of(message.media, [&](const scheduler::MediaRef& ref) {
        const bool notice_missing = ref.type == scheduler::MediaType::Text && !m_cache.contains(ref.sha256);
        const bool speech_missing =
            ref.speech && !m_cache.contains(*ref.speech) && !m_substitutes.contains(*ref.speech);
        return notice_missing || speech_missing;
    });
}

AlertIntake::Change AlertIntake::make_missing_words(bool round_failed) {
    if (m_options.words_after <= Duration{0})
        return Change::None;
    const MonotonicTime now = m_clock.monotonic();
    const auto& live = m_book.live();
    const auto gone = [&](const std::string& id) {
        return std::ranges::none_of(
            live, [&](const protocol::AlertMessage& alert) { return alert.alert.id == id; });
    };
    std::erase_if(m_arrived, [&](const auto& entry) { return gone(entry.first); });
    std::erase_if(m_words_tried, gone);
    // A substitute stands in while an alert that names the controller's file is live.
    std::erase_if(m_substitutes, [&](const auto& entry) {
        return std::ranges::none_of(live, [&](const protocol::AlertMessage& alert) {
            return std::ranges::any_of(alert.media, [&](const scheduler::MediaRef& ref) {
                return ref.speech && *ref.speech == entry.first;
            });
        });
    });
    bool made = false;
    for (const auto& message : live) {
        const std::string& id = message.alert.id;
        if (m_words_tried.contains(id) || !words_missing(message))
            continue;
        const auto arrived = m_arrived.find(id);
        const bool late = arrived == m_arrived.end() || now - arrived->second >= m_options.words_after;
        if (!late && !round_failed)
            continue;
        m_words_tried.insert(id);
        made = make_words(message) || made;
    }
    return made ? Change::Replan : Change::None;
}

bool AlertIntake::make_words(const protocol::AlertMessage& message) {
    const std::string& id = message.alert.id;
    bool made = false;
    for (const auto& ref : message.media) {
        if (ref.type != scheduler::MediaType::Text)
            continue;
        if (!m_cache.contains(ref.sha256)) {
            const std::string words = protocol::alert_notice_text(message.alert);
            if (media::sha256_hex(words) != ref.sha256) {
                m_health.report("alert " + id + ": its notice " + ref.sha256.substr(0, 8) +
                                " is not its own headline and text; it cannot be made on the device");
            } else if (auto stored = m_cache.store().put_bytes(words); !stored) {
                m_health.report("alert " + id + ": notice not stored: " + stored.error().message());
            } else if (auto recorded = m_cache.record(*stored); !recorded) {
                m_health.report("alert " + id + ": notice not recorded: " + recorded.error().message());
            } else {
                spdlog::warn("alert {}: its notice could not be fetched in time; made on the device", id);
                made = true;
            }
        }
        if (!ref.speech || m_cache.contains(*ref.speech) || m_substitutes.contains(*ref.speech))
            continue;
        const std::string spoken = protocol::alert_spoken_text(message.alert);
        if (spoken.empty())
            continue;
        auto audio = media::synthesize_speech(spoken, m_cache.store(), m_options.speech);
        if (!audio) {
            m_health.report("alert " + id + ": its speech could not be fetched, nor made on the device: " +
                            audio.error().message());
            continue;
        }
        if (auto recorded = m_cache.record(audio->object); !recorded) {
            m_health.report("alert " + id + ": speech not recorded: " + recorded.error().message());
            continue;
        }
        spdlog::warn(
            "alert {}: its speech could not be fetched in time; the device speaks it itself ({}, {}, {} ms)",
            id, media::to_string(audio->engine), m_options.speech.voice, audio->duration.count());
        m_substitutes[*ref.speech] = audio->object.sha256;
        made = true;
    }
    return made;
}

std::optional<std::string> AlertIntake::substitute(std::string_view sha256) const {
    auto found = m_substitutes.find(sha256);
    if (found == m_substitutes.end())
        return std::nullopt;
    return found->second;
}

AlertIntake::WriteRetry AlertIntake::retry_saves() {
    WriteRetry result;
    if (!m_book.has_unsaved())
        return result;
    if (auto saved = m_book.retry_saves(); saved) {
        result.wrote = *saved > 0;
    } else {
        m_health.state_write_failed("state: " + saved.error().detail);
        result.failed = true;
    }
    return result;
}

void AlertIntake::add_pins(std::set<std::string>& pins) const {
    for (const auto& sha256 : m_book.media()) pins.insert(sha256);
    for (const auto& [theirs, ours] : m_substitutes)
        if (pins.contains(theirs))
            pins.insert(ours);
}

}  // namespace bantin::player
