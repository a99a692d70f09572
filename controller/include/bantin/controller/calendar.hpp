#pragma once
// The calendar: what plays when over some local days (at most max_calendar_days), for a set of
// devices, already summed per day and per campaign, so a browser never receives the tens of
// thousands of timeline entries a day of a loudspeaker holds (docs/api.md "Calendar").
//
// The devices are resolved with the shared Resolver (what the preview and the player use).
// Devices the rules cannot tell apart (same kind, zone, tags, time zone, hours, speaker, and
// named by no campaign's device lists) have the same timeline: each such class is resolved once
// and counted as many times as it has devices, so a zone of 200 alike loudspeakers costs one.
//
// Per local day (in `time_zone`) and campaign:
// - a fixed-time campaign gives events: one per run (its due time), with its media names in
//   playlist order, the devices that play it and the run's first start and last end;
// - a loop or share-of-voice campaign gives bands: its plays merged into stretches (plays closer
//   than a gap join: 15 min for loops, two intervals between plays for share of voice, at most
//   61 min), each with its count of plays;
// - alerts (given by the caller, from the alert history) give spans from issue to end.
//
// Threads: any (the Resolver is const). Errors: the Resolver's, InvalidInput for a bad time zone.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/controller/records.hpp"
#include "bantin/scheduler/resolver.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace bantin::controller {

inline constexpr int max_calendar_days = 31;

struct CalendarRequest {
    std::chrono::year_month_day first_day{};
    int days = 7;                     // 1..max_calendar_days
    std::string time_zone;            // the days are local days here
    std::string only_campaign;        // "" = every campaign; else this one only
    std::vector<AlertRecord> alerts;  // drawn as spans (already chosen for the scope)
};

struct CalendarFigures {
    std::int64_t entries = 0;  // timeline entries resolved and summed
    std::int64_t classes = 0;  // device classes resolved (each once)
};

// {"days": [{"day", "items": [...]}, ...]} as docs/api.md "Calendar" shows; `figures`, when
// given, is filled.
Result<nlohmann::ordered_json> calendar_days(const scheduler::Resolver& resolver,
                                             std::span<const scheduler::Device> devices,
                                             const CalendarRequest& request,
                                             CalendarFigures* figures = nullptr);

}  // namespace bantin::controller
