#pragma once
// The ticker region's lane (docs/player.md "Regions, header and ticker"): which ticker entry a
// screen shows now, by the wall clock, and when each one started and ended showing, for its own
// proof row.
//
// The daemon resolves the Ticker region of its plan beside the main one and hands the lane the
// slots (an entry's facts and its text). tick() ends the slot whose time is over (completed:
// it showed to its planned end; the proof row's rule makes it interrupted when it showed less
// than its slot, e.g. joined late) and starts the one whose time has come. replace() takes a new
// plan's slots: the slot showing goes on if the new plan still shows it now (the same facts),
// otherwise it ends interrupted (cut by a new bundle). hold(true) hides the ticker while an alert
// plays: the slot showing ends interrupted and none starts until hold(false).
//
// Events are the engine's own types (ItemStarted, ItemEnded), stamped with the lane's clock, with
// the slot's facts, so the daemon turns them into proof rows the way it does the main region's.
//
// Threads: the daemon's loop only. No I/O.

#include "bantin/common/clock.hpp"
#include "bantin/player/playback_engine.hpp"
#include "bantin/player/runner.hpp"

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace bantin::player {

struct TickerSlot {
    std::string entry_id;  // the lane's own ids ("t1", "t2", …), distinct from the engine's
    EntryFacts facts;      // planned_start and planned_end are the slot
    std::string text;      // the line the ticker shows
};

struct TickerEvent {
    PlaybackEvent event;  // ItemStarted or ItemEnded
    EntryFacts facts;
};

class TickerLane {
public:
    explicit TickerLane(const Clock& clock) : m_clock(clock) {}

    // A new plan's slots from now on (ordered by start, not overlapping). Returns the events.
    std::vector<TickerEvent> replace(std::vector<TickerSlot> slots);
    // More slots after the last one (the plan's horizon moved on).
    void append(std::vector<TickerSlot> slots);
    // While held nothing shows (an alert plays); the slot showing ends interrupted.
    std::vector<TickerEvent> hold(bool held);
    // Ends the slot whose time is over and starts the one whose time has come.
    std::vector<TickerEvent> tick();
    // The daemon stops: the slot showing ends interrupted.
    std::vector<TickerEvent> stop();

    // The slot showing, if any, and its text (empty: no ticker).
    const TickerSlot* showing() const { return m_showing ? &m_showing->slot : nullptr; }
    std::string text() const { return m_showing ? m_showing->slot.text : std::string(); }
    // How long until the next start or end, at most `cap`.
    Duration time_until_next(Duration cap) const;
    std::size_t waiting() const { return m_slots.size(); }

private:
    struct Showing {
        TickerSlot slot;
        TimePoint started_wall;
        MonotonicTime started_monotonic;
    };
    void end_showing(Outcome outcome, std::vector<TickerEvent>& events);
    void start_due(std::vector<TickerEvent>& events);

    const Clock& m_clock;
    std::deque<TickerSlot> m_slots;  // not yet shown, by start
    std::optional<Showing> m_showing;
    bool m_held = false;
};

// The lane's slots for the Ticker region's entries: text media only, the text read from the
// media's file (`locate`; an entry whose file is not on disk is left out), facts with region
// Ticker, ids "t<n>" counted from `next_id`.
std::vector<TickerSlot> make_ticker_slots(const Plan& plan,
                                          const std::vector<scheduler::TimelineEntry>& entries,
                                          const EntryFeeder::Locator& locate, std::uint64_t& next_id);

}  // namespace bantin::player
