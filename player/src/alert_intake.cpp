#include "bantin/player/alert_intake.hpp"

#include <spdlog/spdlog.h>

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
    if (auto stored = m_book.add(message, payload); !stored)
        spdlog::warn("state: alert {} not stored (it plays, but not again after a restart): {}",
                     message.alert.id, stored.error().message());
    for (const auto& entry : message.manifest) {
        if (!m_cache.contains(entry.sha256)) {
            fetch_media();
            return Change::Pins;
        }
    }
    return Change::Replan;
}

void AlertIntake::fetch_media() {
    if (m_downloader->busy())
        return;
    std::vector<media::FetchRequest> requests;
    for (const auto& alert : m_book.live())
        for (const auto& request : fetch_requests(alert.manifest)) requests.push_back(request);
    m_downloader->start(std::move(requests));
}

void AlertIntake::subscribed() {
    m_book.subscribed(m_clock.monotonic());
}

AlertIntake::Change AlertIntake::pump() {
    Change change = Change::None;
    if (auto round = m_downloader->take_finished()) {
        if (const std::string failures = describe_failures(*round); !failures.empty())
            m_health.report("alert " + failures);
        change = Change::Replan;
    }
    if (m_book.release(m_clock.monotonic(), m_clock.wall()))
        change = Change::Replan;
    return change;
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
}

}  // namespace bantin::player
