#include "bantin/player/status.hpp"

#include "bantin/player/playback_engine.hpp"

#include <spdlog/spdlog.h>

namespace bantin::player {

bool same_report(const protocol::Status& a, const protocol::Status& b) {
    protocol::Status left = a;
    protocol::Status right = b;
    left.reported_at = right.reported_at = TimePoint{};
    left.uptime_ms = right.uptime_ms = 0;
    // Download bytes move constantly; a change of files counts, bytes ride on the heartbeat.
    if (left.download && right.download) {
        left.download->bytes_done = right.download->bytes_done = 0;
    }
    return left == right;
}

bool StatusBoard::due(const protocol::Status& status, MonotonicTime now) const {
    if (!m_last)
        return true;
    if (now - m_last_at >= m_interval)
        return true;
    return !same_report(*m_last, status);
}

void StatusBoard::published(const protocol::Status& status, MonotonicTime now) {
    m_last = status;
    m_last_at = now;
}

void DeviceHealth::report(std::string text) {
    spdlog::warn("{}", text);
    m_last_error = std::move(text);
}

void DeviceHealth::state_write_failed(std::string text) {
    if (m_state_write_error != text)
        report(text);
    else
        m_last_error = text;
    m_state_write_error = std::move(text);
}

void DeviceHealth::state_write_succeeded() {
    if (!m_state_write_error)
        return;
    for (const auto& any_waiting : m_waiting)
        if (any_waiting())
            return;
    spdlog::info("state: writes succeed again");
    if (m_last_error == m_state_write_error)
        m_last_error.reset();
    m_state_write_error.reset();
}

void DeviceHealth::audio_unavailable(const std::string& detail) {
    if (m_audio_problem)
        return;
    m_audio_problem = std::string(audio_unavailable_error) + ": " + detail;
    if (m_kind == scheduler::DeviceKind::Speaker)
        spdlog::error("{}; this speaker plays nothing anyone hears", *m_audio_problem);
    else
        spdlog::warn("{}; pictures go on, without sound", *m_audio_problem);
}

void DeviceHealth::audio_played() {
    if (m_kind != scheduler::DeviceKind::Speaker || !m_audio_problem)
        return;
    spdlog::info("audio output works again");
    m_audio_problem.reset();
}

void DeviceHealth::fill(protocol::Status& status) const {
    if (m_last_error)
        status.last_error = m_last_error->substr(0, 1000);
    if (m_audio_problem) {
        status.last_error = m_audio_problem->substr(0, 1000);
        if (m_kind == scheduler::DeviceKind::Speaker)
            status.unhealthy = status.last_error;
    }
    status.replayed_bundles = m_replayed_bundles;
}

}  // namespace bantin::player
