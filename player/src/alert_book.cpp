#include "bantin/player/alert_book.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace bantin::player {

namespace {

void erase_id(std::vector<protocol::AlertMessage>& alerts, const std::string& id) {
    std::erase_if(alerts, [&](const protocol::AlertMessage& alert) { return alert.alert.id == id; });
}

}  // namespace

AlertBook::AlertBook(PlayerState& state, Options options) : m_state(state), m_options(options) {}

Result<void> AlertBook::restore(std::vector<protocol::AlertMessage> stored, MonotonicTime now) {
    m_held = std::move(stored);
    m_held_until = now + m_options.hold_offline;
    auto saved = m_state.cancelled_alerts();
    if (!saved)
        return std::unexpected(saved.error());
    m_saved.insert(saved->begin(), saved->end());
    return {};
}

void AlertBook::subscribed(MonotonicTime now) {
    if (!m_held.empty())
        m_held_until = std::min(m_held_until, now + m_options.hold_after_subscribe);
}

bool AlertBook::release(MonotonicTime now, TimePoint wall) {
    if (m_held.empty() || now < m_held_until)
        return false;
    for (auto& message : m_held) {
        if (message.alert.expires <= wall)
            continue;
        spdlog::info("alert {}: resumed after start-up", message.alert.id);
        m_live.push_back(std::move(message));
    }
    m_held.clear();
    return true;
}

std::vector<std::string> AlertBook::cancelled_ids() const {
    std::vector<std::string> ids(m_saved.begin(), m_saved.end());
    ids.insert(ids.end(), m_unsaved.begin(), m_unsaved.end());
    return ids;
}

bool AlertBook::is_new(const protocol::AlertMessage& message) const {
    return std::none_of(m_live.begin(), m_live.end(),
                        [&](const protocol::AlertMessage& known) { return known == message; });
}

Result<void> AlertBook::add(const protocol::AlertMessage& message, const std::string& envelope) {
    erase_id(m_live, message.alert.id);
    erase_id(m_held, message.alert.id);
    m_live.push_back(message);
    return m_state.store_alert({message.alert.id, envelope});
}

Result<void> AlertBook::cancel(const std::string& alert_id) {
    erase_id(m_live, alert_id);
    erase_id(m_held, alert_id);
    auto saved = m_state.cancel_alert(alert_id);
    if (!saved) {
        m_unsaved.insert(alert_id);
        return saved;
    }
    m_saved.insert(alert_id);
    return {};
}

Result<std::size_t> AlertBook::retry_saves() {
    std::size_t count = 0;
    for (auto it = m_unsaved.begin(); it != m_unsaved.end();) {
        auto saved = m_state.cancel_alert(*it);
        if (!saved)
            return fail(saved.error().code, "alert " + *it + " cancel not saved: " + saved.error().detail);
        spdlog::info("alert {}: the cancel is saved", *it);
        m_saved.insert(*it);
        it = m_unsaved.erase(it);
        ++count;
    }
    return count;
}

LocalInterlocks AlertBook::interlocks(LocalInterlocks base) const {
    base.cancelled_alerts.insert(m_saved.begin(), m_saved.end());
    base.cancelled_alerts.insert(m_unsaved.begin(), m_unsaved.end());
    for (const auto& held : m_held) base.cancelled_alerts.insert(held.alert.id);
    return base;
}

std::set<std::string> AlertBook::media() const {
    std::set<std::string> digests;
    for (const auto* alerts : {&m_live, &m_held})
        for (const auto& alert : *alerts)
            for (const auto& entry : alert.manifest) digests.insert(entry.sha256);
    return digests;
}

}  // namespace bantin::player
