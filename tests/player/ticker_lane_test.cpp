// TickerLane: which ticker entry shows by the wall clock, and its start and end for its own
// proof row (simulated clock).
#include "bantin/player/ticker_lane.hpp"
#include "bantin/player/outbox.hpp"
#include "support/simulated_clock.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::player;
using bantin::testing::SimulatedClock;

namespace {

TickerSlot ticker_slot(const std::string& id, TimePoint start, Duration length, const std::string& text) {
    TickerSlot slot;
    slot.entry_id = id;
    slot.facts.source = protocol::SourceKind::Campaign;
    slot.facts.source_id = "tin-nhanh";
    slot.facts.media = std::string(64, 'a');
    slot.facts.planned_start = start;
    slot.facts.planned_end = start + length;
    slot.text = text;
    return slot;
}

const ItemStarted* lane_started(const TickerEvent& event) {
    return std::get_if<ItemStarted>(&event.event);
}
const ItemEnded* lane_ended(const TickerEvent& event) {
    return std::get_if<ItemEnded>(&event.event);
}

}  // namespace

TEST_CASE("the ticker lane shows each entry in its slot and ends it completed", "[player][ticker]") {
    SimulatedClock clock;
    TickerLane lane(clock);
    const TimePoint t0 = clock.wall();
    auto events = lane.replace({ticker_slot("t1", t0, Duration{10'000}, "Tin một"),
                                ticker_slot("t2", t0 + Duration{10'000}, Duration{5000}, "Tin hai")});
    REQUIRE(events.size() == 1);
    REQUIRE(lane_started(events[0]) != nullptr);
    CHECK(lane_started(events[0])->entry_id == "t1");
    CHECK(lane.text() == "Tin một");
    CHECK(lane.time_until_next(Duration{60'000}) == Duration{10'000});

    clock.advance(Duration{4000});
    CHECK(lane.tick().empty());
    CHECK(lane.text() == "Tin một");

    clock.advance(Duration{6050});  // the loop wakes 50 ms after the slot's end
    events = lane.tick();
    REQUIRE(events.size() == 2);
    const ItemEnded* first = lane_ended(events[0]);
    REQUIRE(first != nullptr);
    CHECK(first->entry_id == "t1");
    CHECK(first->outcome == Outcome::Completed);
    CHECK(first->ended_wall == t0 + Duration{10'000});  // stamped at its planned end
    CHECK(*first->started_wall == t0);
    CHECK(events[0].facts.source_id == "tin-nhanh");
    REQUIRE(lane_started(events[1]) != nullptr);
    CHECK(lane_started(events[1])->entry_id == "t2");
    CHECK(lane.text() == "Tin hai");
    // Its row says completed: it showed its whole slot.
    CHECK(proof_outcome(first->outcome, first->ended_wall - *first->started_wall, Duration{10'000}) ==
          Outcome::Completed);

    clock.advance(Duration{5000});
    events = lane.tick();
    REQUIRE(events.size() == 1);
    CHECK(lane_ended(events[0])->outcome == Outcome::Completed);
    CHECK(lane.text().empty());
    CHECK(lane.showing() == nullptr);
}

TEST_CASE("a ticker entry joined late gives an interrupted row", "[player][ticker]") {
    SimulatedClock clock;
    TickerLane lane(clock);
    const TimePoint t0 = clock.wall();
    auto events = lane.replace({ticker_slot("t1", t0 - Duration{3000}, Duration{10'000}, "Tin")});
    REQUIRE(events.size() == 1);
    CHECK(lane_started(events[0])->wall == t0);
    clock.advance(Duration{7000});
    events = lane.tick();
    REQUIRE(events.size() == 1);
    const ItemEnded* ended = lane_ended(events[0]);
    CHECK(ended->outcome == Outcome::Completed);
    // The proof rule: 7 s of a 10 s slot is a fragment.
    CHECK(proof_outcome(ended->outcome, ended->ended_wall - *ended->started_wall, Duration{10'000}) ==
          Outcome::Interrupted);
}

TEST_CASE("an alert cuts the ticker and it comes back after", "[player][ticker]") {
    SimulatedClock clock;
    TickerLane lane(clock);
    const TimePoint t0 = clock.wall();
    (void)lane.replace({ticker_slot("t1", t0, Duration{10'000}, "Một"),
                        ticker_slot("t2", t0 + Duration{10'000}, Duration{10'000}, "Hai"),
                        ticker_slot("t3", t0 + Duration{20'000}, Duration{10'000}, "Ba")});
    clock.advance(Duration{2000});
    auto events = lane.hold(true);
    REQUIRE(events.size() == 1);
    CHECK(lane_ended(events[0])->outcome == Outcome::Interrupted);
    CHECK(lane_ended(events[0])->ended_wall == t0 + Duration{2000});
    CHECK(lane.text().empty());
    // Held through t2's whole slot: t2 never shows (no row), and nothing starts meanwhile.
    clock.advance(Duration{10'000});
    CHECK(lane.tick().empty());
    clock.advance(Duration{9000});
    CHECK(lane.tick().empty());
    CHECK(lane.hold(true).empty());  // already held
    events = lane.hold(false);
    REQUIRE(events.size() == 1);
    CHECK(lane_started(events[0])->entry_id == "t3");
    CHECK(lane.text() == "Ba");
}

TEST_CASE("a new plan keeps the ticker entry showing when it still shows it, else cuts it",
          "[player][ticker]") {
    SimulatedClock clock;
    TickerLane lane(clock);
    const TimePoint t0 = clock.wall();
    (void)lane.replace({ticker_slot("t1", t0, Duration{10'000}, "Một"),
                        ticker_slot("t2", t0 + Duration{10'000}, Duration{10'000}, "Hai")});
    clock.advance(Duration{3000});
    // The same entry in the new plan (under a new id): no event, it goes on under its first id.
    auto events = lane.replace({ticker_slot("t9", t0, Duration{10'000}, "Một"),
                                ticker_slot("t10", t0 + Duration{10'000}, Duration{10'000}, "Hai mới")});
    CHECK(events.empty());
    CHECK(lane.showing()->entry_id == "t1");
    // A plan without it: it ends interrupted, and what the plan shows now starts.
    clock.advance(Duration{1000});
    events = lane.replace({ticker_slot("t11", t0, Duration{20'000}, "Khác")});
    REQUIRE(events.size() == 2);
    CHECK(lane_ended(events[0])->entry_id == "t1");
    CHECK(lane_ended(events[0])->outcome == Outcome::Interrupted);
    CHECK(lane_started(events[1])->entry_id == "t11");
    // An empty plan: the ticker goes away.
    events = lane.replace({});
    REQUIRE(events.size() == 1);
    CHECK(lane_ended(events[0])->outcome == Outcome::Interrupted);
    CHECK(lane.text().empty());
    CHECK(lane.time_until_next(Duration{1000}) == Duration{1000});
}

TEST_CASE("the ticker lane survives a wall clock set back and a stop", "[player][ticker]") {
    SimulatedClock clock;
    TickerLane lane(clock);
    const TimePoint t0 = clock.wall();
    (void)lane.replace({ticker_slot("t1", t0, Duration{60'000}, "Một")});
    lane.append({ticker_slot("t0", t0 - Duration{5000}, Duration{5000}, "cũ"),  // before: ignored
                 ticker_slot("t2", t0 + Duration{60'000}, Duration{1000}, "Hai")});
    CHECK(lane.waiting() == 1);
    clock.set_wall(t0 - Duration{10'000});
    auto events = lane.tick();
    REQUIRE(events.size() == 1);
    CHECK(lane_ended(events[0])->outcome == Outcome::Interrupted);
    clock.set_wall(t0 + Duration{60'500});
    events = lane.tick();
    REQUIRE(events.size() == 1);
    CHECK(lane_started(events[0])->entry_id == "t2");
    events = lane.stop();
    REQUIRE(events.size() == 1);
    CHECK(lane_ended(events[0])->outcome == Outcome::Interrupted);
    CHECK(lane.stop().empty());
    CHECK(lane.waiting() == 0);
}
