#include "bantin/player/ticker_lane.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

namespace bantin::player {

namespace {

bool same_slot(const TickerSlot& left, const TickerSlot& right) {
    const EntryFacts& a = left.facts;
    const EntryFacts& b = right.facts;
    return a.source == b.source && a.source_id == b.source_id && a.item_index == b.item_index &&
           a.media == b.media && a.planned_start == b.planned_start && a.planned_end == b.planned_end &&
           left.text == right.text;
}

}  // namespace

void TickerLane::end_showing(Outcome outcome, std::vector<TickerEvent>& events) {
    if (!m_showing)
        return;
    ItemEnded ended;
    ended.entry_id = m_showing->slot.entry_id;
    ended.outcome = outcome;
    ended.started_wall = m_showing->started_wall;
    ended.started_monotonic = m_showing->started_monotonic;
    ended.ended_wall = m_clock.wall();
    ended.ended_monotonic = m_clock.monotonic();
    // A slot that ran to its end is stamped at its planned end (the loop may wake a little after
    // it), never before its start.
    if (outcome == Outcome::Completed && ended.ended_wall > m_showing->slot.facts.planned_end) {
        const Duration late = ended.ended_wall - m_showing->slot.facts.planned_end;
        ended.ended_wall = std::max(m_showing->started_wall, m_showing->slot.facts.planned_end);
        ended.ended_monotonic = std::max(m_showing->started_monotonic, ended.ended_monotonic - late);
    }
    events.push_back({std::move(ended), m_showing->slot.facts});
    m_showing.reset();
}

void TickerLane::start_due(std::vector<TickerEvent>& events) {
    const TimePoint now = m_clock.wall();
    // Slots whose time passed without being shown (held, or the loop was away) are dropped:
    // they never showed, so they are not plays.
    while (!m_slots.empty() && m_slots.front().facts.planned_end <= now) m_slots.pop_front();
    if (m_held || m_showing || m_slots.empty() || m_slots.front().facts.planned_start > now)
        return;
    Showing showing{std::move(m_slots.front()), now, m_clock.monotonic()};
    m_slots.pop_front();
    events.push_back({ItemStarted{showing.slot.entry_id, showing.started_wall, showing.started_monotonic},
                      showing.slot.facts});
    m_showing = std::move(showing);
}

std::vector<TickerEvent> TickerLane::replace(std::vector<TickerSlot> slots) {
    std::vector<TickerEvent> events;
    std::sort(slots.begin(), slots.end(), [](const TickerSlot& a, const TickerSlot& b) {
        return a.facts.planned_start < b.facts.planned_start;
    });
    if (m_showing) {
        const auto same = std::find_if(slots.begin(), slots.end(), [&](const TickerSlot& slot) {
            return same_slot(slot, m_showing->slot);
        });
        if (same != slots.end()) {
            // It shows on: the new copy is dropped (the showing one keeps its id and start).
            slots.erase(slots.begin(), same + 1);
        } else {
            end_showing(Outcome::Interrupted, events);
        }
    }
    m_slots.assign(std::make_move_iterator(slots.begin()), std::make_move_iterator(slots.end()));
    auto more = tick();
    events.insert(events.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    return events;
}

void TickerLane::append(std::vector<TickerSlot> slots) {
    const TimePoint after = !m_slots.empty() ? m_slots.back().facts.planned_end
                            : m_showing      ? m_showing->slot.facts.planned_end
                                             : TimePoint{};
    for (auto& slot : slots)
        if (slot.facts.planned_start >= after)
            m_slots.push_back(std::move(slot));
}

std::vector<TickerEvent> TickerLane::hold(bool held) {
    std::vector<TickerEvent> events;
    if (held == m_held)
        return events;
    m_held = held;
    if (held)
        end_showing(Outcome::Interrupted, events);
    else
        start_due(events);
    return events;
}

std::vector<TickerEvent> TickerLane::tick() {
    std::vector<TickerEvent> events;
    const TimePoint now = m_clock.wall();
    if (m_showing) {
        if (m_showing->slot.facts.planned_end <= now)
            end_showing(Outcome::Completed, events);
        else if (m_showing->slot.facts.planned_start > now + protocol::completed_tolerance)
            end_showing(Outcome::Interrupted, events);  // the wall clock went back before it
    }
    start_due(events);
    return events;
}

std::vector<TickerEvent> TickerLane::stop() {
    std::vector<TickerEvent> events;
    end_showing(Outcome::Interrupted, events);
    m_slots.clear();
    return events;
}

Duration TickerLane::time_until_next(Duration cap) const {
    const TimePoint now = m_clock.wall();
    Duration until = cap;
    if (m_showing)
        until = std::min(until, m_showing->slot.facts.planned_end - now);
    else if (!m_held && !m_slots.empty())
        until = std::min(until, m_slots.front().facts.planned_start - now);
    return std::max(Duration{0}, until);
}

std::vector<TickerSlot> make_ticker_slots(const Plan& plan,
                                          const std::vector<scheduler::TimelineEntry>& entries,
                                          const EntryFeeder::Locator& locate, std::uint64_t& next_id) {
    // A ticker shows one line: more than this of a text file is never drawn (the band cuts its
    // text at 8 KiB), so no more is read.
    constexpr std::size_t max_text_bytes = 16 * 1024;
    std::vector<TickerSlot> slots;
    for (const auto& entry : entries) {
        if (plan.media_type(entry.media) != scheduler::MediaType::Text) {
            spdlog::debug("ticker: entry of {} is not a text; not shown", entry.source_id);
            continue;
        }
        const auto path = locate(entry.media);
        if (!path) {
            spdlog::warn("ticker: media {} is not on disk; its entry is skipped", entry.media);
            continue;
        }
        std::ifstream in(*path, std::ios::binary);
        std::string text(max_text_bytes, '\0');
        in.read(text.data(), static_cast<std::streamsize>(text.size()));
        text.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
        TickerSlot slot;
        slot.entry_id = "t" + std::to_string(next_id++);
        slot.text = std::move(text);
        slot.facts.source = entry.source_kind;
        slot.facts.source_id = std::string(entry.source_id);
        slot.facts.item_index = static_cast<std::uint32_t>(entry.item_index);
        slot.facts.media = std::string(entry.media);
        slot.facts.bundle_version = plan.bundle_version();
        slot.facts.planned_start = entry.start;
        slot.facts.planned_end = entry.end;
        slot.facts.region = scheduler::Region::Ticker;
        slots.push_back(std::move(slot));
    }
    return slots;
}

}  // namespace bantin::player
