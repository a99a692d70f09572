#include "bantin/player/status.hpp"

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

}  // namespace bantin::player
