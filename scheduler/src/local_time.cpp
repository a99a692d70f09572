#include "local_time.hpp"

#include <algorithm>

namespace bantin::scheduler {

const date::time_zone* find_time_zone(std::string_view name) {
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        return nullptr;
    }
}

IntervalSet::IntervalSet(std::vector<Interval> intervals) {
    std::erase_if(intervals, [](const Interval& i) { return i.end <= i.start; });
    std::sort(intervals.begin(), intervals.end(),
              [](const Interval& a, const Interval& b) { return a.start < b.start; });
    for (const auto& interval : intervals) {
        if (!m_intervals.empty() && interval.start <= m_intervals.back().end) {
            m_intervals.back().end = std::max(m_intervals.back().end, interval.end);
        } else {
            m_intervals.push_back(interval);
        }
    }
}

IntervalSet IntervalSet::intersect(const IntervalSet& other) const {
    IntervalSet result;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < m_intervals.size() && j < other.m_intervals.size()) {
        const auto& a = m_intervals[i];
        const auto& b = other.m_intervals[j];
        const TimePoint start = std::max(a.start, b.start);
        const TimePoint end = std::min(a.end, b.end);
        if (start < end) {
            result.m_intervals.push_back({start, end});
        }
        if (a.end < b.end) {
            ++i;
        } else {
            ++j;
        }
    }
    return result;
}

IntervalSet IntervalSet::subtract(const IntervalSet& other) const {
    IntervalSet result;
    std::size_t j = 0;
    for (const auto& a : m_intervals) {
        TimePoint cursor = a.start;
        while (j < other.m_intervals.size() && other.m_intervals[j].end <= cursor) {
            ++j;
        }
        std::size_t k = j;
        while (k < other.m_intervals.size() && other.m_intervals[k].start < a.end) {
            const auto& b = other.m_intervals[k];
            if (b.start > cursor) {
                result.m_intervals.push_back({cursor, b.start});
            }
            cursor = std::max(cursor, b.end);
            ++k;
        }
        if (cursor < a.end) {
            result.m_intervals.push_back({cursor, a.end});
        }
    }
    return result;
}

const Interval* IntervalSet::find(TimePoint t) const {
    auto it = std::upper_bound(m_intervals.begin(), m_intervals.end(), t,
                               [](TimePoint value, const Interval& i) { return value < i.start; });
    if (it == m_intervals.begin()) {
        return nullptr;
    }
    --it;
    return t < it->end ? &*it : nullptr;
}

Duration IntervalSet::total() const {
    Duration sum{0};
    for (const auto& interval : m_intervals) {
        sum += interval.end - interval.start;
    }
    return sum;
}

TimePoint to_utc(const date::time_zone& zone, date::local_days day, int minute_of_day) {
    const auto local = date::local_time<Duration>{day} + std::chrono::minutes{minute_of_day};
    return std::chrono::time_point_cast<Duration>(zone.to_sys(local, date::choose::earliest));
}

LocalDay local_day(const date::time_zone& zone, date::local_days day) {
    return LocalDay{day, to_utc(zone, day, 0), to_utc(zone, day + date::days{1}, 0)};
}

LocalDay local_day_of(const date::time_zone& zone, TimePoint t) {
    const auto local = zone.to_local(t);
    return local_day(zone, date::floor<date::days>(local));
}

namespace {

date::local_days to_local_days(const std::chrono::year_month_day& date) {
    return date::local_days{date::days{std::chrono::local_days{date}.time_since_epoch().count()}};
}

}  // namespace

bool campaign_runs_on(const Campaign& campaign, date::local_days day) {
    if (campaign.valid_from && day < to_local_days(*campaign.valid_from)) {
        return false;
    }
    if (campaign.valid_to && day > to_local_days(*campaign.valid_to)) {
        return false;
    }
    const unsigned iso = date::weekday{day}.iso_encoding();  // 1 = Monday
    return (campaign.weekdays & (1u << (iso - 1))) != 0;
}

namespace {

IntervalSet local_quiet_occurrences(const date::time_zone& zone, const LocalDay& day, const Device& device) {
    const date::time_zone* local =
        device.local_time_zone.empty() ? &zone : find_time_zone(device.local_time_zone);
    if (device.local_quiet_hours.empty() || local == nullptr) {
        return {};
    }
    // Every day of the local zone that overlaps this day of the device's zone: the two zones'
    // days need not line up.
    const auto every_day = [](date::local_days) { return true; };
    std::vector<Interval> quiet;
    for (LocalDay local_day_now = local_day_of(*local, day.start); local_day_now.start < day.end;
         local_day_now = local_day(*local, local_day_now.day + date::days{1})) {
        const auto occurrences =
            window_occurrences(*local, local_day_now, device.local_quiet_hours, every_day);
        quiet.insert(quiet.end(), occurrences.intervals().begin(), occurrences.intervals().end());
    }
    return IntervalSet(std::move(quiet)).intersect(IntervalSet{{{day.start, day.end}}});
}

}  // namespace

IntervalSet device_availability(const date::time_zone& zone, const LocalDay& day, const Device& device) {
    const auto every_day = [](date::local_days) { return true; };
    IntervalSet on = device.on_hours.empty() ? IntervalSet{{{day.start, day.end}}}
                                             : window_occurrences(zone, day, device.on_hours, every_day);
    if (!device.quiet_hours.empty()) {
        on = on.subtract(window_occurrences(zone, day, device.quiet_hours, every_day));
    }
    if (!device.local_quiet_hours.empty()) {
        on = on.subtract(local_quiet_occurrences(zone, day, device));
    }
    return on;
}

}  // namespace bantin::scheduler
