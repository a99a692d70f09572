#pragma once
// Local time through the tz database (Howard Hinnant's date/tz, which reads the system's
// zoneinfo). Internal to the scheduler.

#include "bantin/common/time.hpp"
#include "bantin/scheduler/model.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <vector>

namespace bantin::scheduler {

const date::time_zone* find_time_zone(std::string_view name);

struct Interval {
    TimePoint start;
    TimePoint end;
    bool operator==(const Interval&) const = default;
};

// A sorted list of disjoint, non-touching, non-empty intervals.
class IntervalSet {
public:
    IntervalSet() = default;
    // Sorts and merges.
    explicit IntervalSet(std::vector<Interval> intervals);

    const std::vector<Interval>& intervals() const { return m_intervals; }
    bool empty() const { return m_intervals.empty(); }

    IntervalSet intersect(const IntervalSet& other) const;
    IntervalSet subtract(const IntervalSet& other) const;
    // The interval containing t, or nullptr.
    const Interval* find(TimePoint t) const;
    Duration total() const;

private:
    std::vector<Interval> m_intervals;
};

// The local calendar day that contains `t` in `zone`, and its UTC bounds.
struct LocalDay {
    date::local_days day;
    TimePoint start;
    TimePoint end;
};

LocalDay local_day_of(const date::time_zone& zone, TimePoint t);
LocalDay local_day(const date::time_zone& zone, date::local_days day);

// Whether a campaign may run on a local date: validity dates (inclusive) and weekdays.
bool campaign_runs_on(const Campaign& campaign, date::local_days day);

// The device's on-hours minus its quiet hours and its local quiet hours (evaluated in its
// local_time_zone) on one local day of `zone`.
IntervalSet device_availability(const date::time_zone& zone, const LocalDay& day, const Device& device);

// Local wall time -> UTC. A time skipped by a DST change maps to the instant of the change;
// a repeated time maps to its first occurrence.
TimePoint to_utc(const date::time_zone& zone, date::local_days day, int minute_of_day);

// The occurrences of daily windows that start on `day - 1` or `day`, clipped to that day's
// bounds. `only_dates` (when set) filters the dates a window may start on.
template <class DatePredicate>
IntervalSet window_occurrences(const date::time_zone& zone, const LocalDay& day,
                               const std::vector<DailyWindow>& windows, DatePredicate&& starts_on) {
    std::vector<Interval> out;
    for (int back = 1; back >= 0; --back) {
        const date::local_days date = day.day - date::days{back};
        if (!starts_on(date)) {
            continue;
        }
        for (const auto& window : windows) {
            const TimePoint start = to_utc(zone, date, window.start_minute);
            const int end_minute =
                window.end_minute <= window.start_minute ? window.end_minute + 24 * 60 : window.end_minute;
            const TimePoint end =
                to_utc(zone, date + date::days{end_minute / (24 * 60)}, end_minute % (24 * 60));
            const TimePoint clipped_start = std::max(start, day.start);
            const TimePoint clipped_end = std::min(end, day.end);
            if (clipped_start < clipped_end) {
                out.push_back({clipped_start, clipped_end});
            }
        }
    }
    return IntervalSet{std::move(out)};
}

}  // namespace bantin::scheduler
