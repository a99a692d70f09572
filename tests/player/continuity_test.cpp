// The continuity rule of a recompute (docs/player.md): which of the entries the engine holds
// play on, and where the rest of the new timeline begins. Split invariance: what plays on is
// what a restart at that instant would play, never an entry the new timeline plays later.

#include "bantin/player/runner.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace bantin;
using namespace bantin::player;
using std::chrono::milliseconds;

namespace {

TimePoint wall_at(long long seconds) {
    return *parse_utc("2026-11-27T08:00:00Z") + std::chrono::seconds{seconds};
}

// A timeline entry's ids are views into the resolver's model; here into strings that live on.
std::string_view lasting(std::string text) {
    static std::set<std::string> texts;
    return *texts.insert(std::move(text)).first;
}

scheduler::TimelineEntry campaign_entry(const std::string& campaign, std::uint32_t item, long long from,
                                        long long to) {
    scheduler::TimelineEntry timeline_entry;
    timeline_entry.source_kind = scheduler::SourceKind::Campaign;
    timeline_entry.source_id = lasting(campaign);
    timeline_entry.item_index = item;
    timeline_entry.media = lasting(std::string(64, static_cast<char>('a' + item)));
    timeline_entry.start = wall_at(from);
    timeline_entry.end = wall_at(to);
    return timeline_entry;
}

EntryFacts facts_of(const scheduler::TimelineEntry& timeline_entry) {
    EntryFacts facts;
    facts.source = protocol::SourceKind::Campaign;
    facts.source_id = std::string(timeline_entry.source_id);
    facts.item_index = static_cast<std::uint32_t>(timeline_entry.item_index);
    facts.media = std::string(timeline_entry.media);
    facts.planned_start = timeline_entry.start;
    facts.planned_end = timeline_entry.end;
    return facts;
}

constexpr Duration early{500};

}  // namespace

TEST_CASE("continuity: the playing entry and its successor, unchanged, play on",
          "[player][runner][continuity]") {
    const std::vector entries = {campaign_entry("c", 0, 0, 10), campaign_entry("c", 1, 10, 20),
                                 campaign_entry("c", 2, 20, 30)};
    const EntryFacts playing = facts_of(entries[0]);
    const EntryFacts next = facts_of(entries[1]);
    const auto continuity = match_held_entries({&playing, &next}, entries, wall_at(4), early);
    CHECK(continuity.keep == 2);
    CHECK(continuity.rest_from == 2);
}

TEST_CASE("continuity: a changed successor is replaced, the playing entry plays on",
          "[player][runner][continuity]") {
    const std::vector before = {campaign_entry("c", 0, 0, 10), campaign_entry("c", 1, 10, 20)};
    const std::vector after = {campaign_entry("c", 0, 0, 10), campaign_entry("d", 0, 10, 20)};
    const EntryFacts playing = facts_of(before[0]);
    const EntryFacts next = facts_of(before[1]);
    const auto continuity = match_held_entries({&playing, &next}, after, wall_at(4), early);
    CHECK(continuity.keep == 1);
    CHECK(continuity.rest_from == 1);
}

TEST_CASE("continuity: an entry started a little early plays on, the one it followed is passed over",
          "[player][runner][continuity]") {
    // The engine started c/1 at 9.7 s (its predecessor ended early); the new timeline still
    // has c/0 until 10 s.
    const std::vector entries = {campaign_entry("c", 0, 0, 10), campaign_entry("c", 1, 10, 20)};
    const EntryFacts playing = facts_of(entries[1]);
    const auto continuity = match_held_entries({&playing}, entries, wall_at(10) - milliseconds{300}, early);
    CHECK(continuity.keep == 1);
    CHECK(continuity.rest_from == 2);
}

TEST_CASE("continuity: after the wall clock jumps back, an entry planned for later does not play on",
          "[player][runner][continuity]") {
    // Playing c/6 (60-70 s) when the clock is set back by a minute: the new timeline from 5 s
    // plays c/0 now; c/6 is an entry of the future. A restart now would play c/0, so must this.
    std::vector<scheduler::TimelineEntry> entries;
    for (std::uint32_t item = 0; item < 8; ++item)
        entries.push_back(campaign_entry("c", item, item * 10, item * 10 + 10));
    const EntryFacts playing = facts_of(entries[6]);
    const auto continuity = match_held_entries({&playing}, entries, wall_at(5), early);
    CHECK(continuity.keep == 0);
    CHECK(continuity.rest_from == 0);
}

TEST_CASE("continuity: after the wall clock jumps back into a gap, the entry after the gap does not play on",
          "[player][runner][continuity]") {
    const std::vector entries = {campaign_entry("c", 0, 60, 70), campaign_entry("c", 1, 70, 80)};
    const EntryFacts playing = facts_of(entries[0]);
    const auto continuity = match_held_entries({&playing}, entries, wall_at(5), early);
    CHECK(continuity.keep == 0);
}

TEST_CASE("continuity: a playing entry whose planned window changed starts over",
          "[player][runner][continuity]") {
    const EntryFacts playing = facts_of(campaign_entry("c", 0, 0, 10));
    SECTION("cut earlier by an alert that now starts mid-item") {
        const std::vector entries = {campaign_entry("c", 0, 0, 6), campaign_entry("alert", 0, 6, 16)};
        CHECK(match_held_entries({&playing}, entries, wall_at(4), early).keep == 0);
    }
    SECTION("longer") {
        const std::vector entries = {campaign_entry("c", 0, 0, 12)};
        CHECK(match_held_entries({&playing}, entries, wall_at(4), early).keep == 0);
    }
}

TEST_CASE("continuity: an entry the runner has no facts for does not play on",
          "[player][runner][continuity]") {
    const std::vector entries = {campaign_entry("c", 0, 0, 10)};
    CHECK(match_held_entries({nullptr}, entries, wall_at(4), early).keep == 0);
    CHECK(match_held_entries({}, entries, wall_at(4), early).keep == 0);
}
