#include "bantin/player/live_intake.hpp"

#include "bantin/media/alert_tone.hpp"
#include "bantin/media/sha256.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace bantin::player {

namespace {

// Ids of closed channels remembered; more are forgotten oldest first (a forgotten one could only
// come back as a redelivered start, which its own ends_at also ends).
constexpr std::size_t max_closed = 256;

}  // namespace

LiveIntake::LiveIntake(const Clock& clock, DeviceHealth& health, Options options)
    : m_clock(clock), m_health(health), m_options(std::move(options)) {}

LiveIntake::Change LiveIntake::receive(const std::string& payload) {
    auto verified = protocol::verify_live(payload, m_options.keys, m_options.zone, m_clock.wall());
    if (!verified) {
        m_health.report("live refused: " + verified.error().message());
        return Change::None;
    }
    if (const auto* end = std::get_if<protocol::LiveEnd>(&*verified)) {
        const bool was_open = m_open.contains(end->live_id);
        close(end->live_id);
        if (was_open)
            spdlog::info("live {}: ended by the controller", end->live_id);
        return was_open ? Change::Replan : Change::None;
    }
    auto& start = std::get<protocol::LiveStart>(*verified);
    if (m_closed.contains(start.id))
        return Change::None;
    if (auto known = m_open.find(start.id); known != m_open.end() && known->second.start == start)
        return Change::None;  // a retained copy of the open channel
    spdlog::info("live {}: open at level {} from {} until {}", start.id, scheduler::to_string(start.level),
                 start.url, format_utc(start.ends_at));
    const std::string id = start.id;
    m_open[id] = Open{std::move(start), 0, std::nullopt};
    return Change::Replan;
}

void LiveIntake::close(const std::string& live_id) {
    m_open.erase(live_id);
    if (m_closed.size() >= max_closed)
        m_closed.erase(m_closed.begin());
    m_closed.insert(live_id);
}

LiveIntake::Change LiveIntake::pump() {
    Change change = Change::None;
    const TimePoint wall = m_clock.wall();
    const MonotonicTime now = m_clock.monotonic();
    std::vector<std::string> over;
    for (auto& [id, open] : m_open) {
        if (open.start.ends_at <= wall) {
            over.push_back(id);
        } else if (open.retry_at && *open.retry_at <= now) {
            open.retry_at.reset();
            spdlog::info("live {}: connecting again", id);
            change = Change::Replan;
        }
    }
    // The plan's live entry ends at ends_at by itself: no replan (it would cut the play short).
    for (const auto& id : over) {
        spdlog::info("live {}: its end time passed", id);
        close(id);
    }
    return change;
}

LiveIntake::Change LiveIntake::lost(const std::string& live_id, Duration heard_for) {
    auto open = m_open.find(live_id);
    if (open == m_open.end())
        return Change::None;
    if (heard_for >= m_options.heard_enough)
        open->second.losses = 0;
    ++open->second.losses;
    if (open->second.losses >= m_options.retries) {
        m_health.report("live " + live_id + ": nguồn phát đã dừng / the source stopped");
        spdlog::warn("live {}: the source stopped ({} tries); back to the schedule", live_id,
                     open->second.losses);
        close(live_id);
        return Change::Replan;
    }
    spdlog::warn("live {}: the source was lost ({} of {}); trying again", live_id, open->second.losses,
                 m_options.retries);
    open->second.retry_at = m_clock.monotonic() + m_options.retry_wait;
    return Change::Replan;
}

std::optional<LiveChannel> LiveIntake::channel() const {
    const Open* best = nullptr;
    for (const auto& [id, open] : m_open) {
        if (open.retry_at)
            continue;
        if (best == nullptr || open.start.level > best->start.level ||
            (open.start.level == best->start.level && open.start.started_at > best->start.started_at))
            best = &open;
    }
    if (best == nullptr)
        return std::nullopt;
    const auto& start = best->start;
    const auto& chime = media::alert_tone_media(media::AlertTone::Chime);
    LiveChannel channel{start.id,         start.level,   start.url, media::sha256_hex(start.url),
                        start.started_at, start.ends_at, {},        Duration{0}};
    if (m_options.chime) {
        channel.chime = chime.sha256;
        channel.chime_length = chime.duration;
    }
    return channel;
}

Duration LiveIntake::time_until_next(Duration ceiling) const {
    Duration wait = ceiling;
    const TimePoint wall = m_clock.wall();
    const MonotonicTime now = m_clock.monotonic();
    for (const auto& [id, open] : m_open) {
        wait = std::min(
            wait, std::max(Duration{0}, std::chrono::duration_cast<Duration>(open.start.ends_at - wall)));
        if (open.retry_at)
            wait = std::min(
                wait, std::max(Duration{0}, std::chrono::duration_cast<Duration>(*open.retry_at - now)));
    }
    return wait;
}

}  // namespace bantin::player
