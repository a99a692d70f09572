#pragma once
// Time types used everywhere in Bantin, and the UTC text form used on the wire.
//
// Instants are UTC milliseconds since the Unix epoch (`TimePoint`). Local time exists only
// inside the scheduler, through the tz database. On the wire and in storage an instant is
// either an integer of milliseconds or RFC 3339 text in UTC with a `Z`
// ("2026-11-27T06:00:00.000Z"); parse_utc also accepts seconds without a fraction.

#include "bantin/common/error.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace bantin {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Duration>;

inline TimePoint from_unix_ms(std::int64_t ms) {
    return TimePoint{Duration{ms}};
}
inline std::int64_t to_unix_ms(TimePoint t) {
    return t.time_since_epoch().count();
}

// "2026-11-27T06:00:00.000Z"
std::string format_utc(TimePoint t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff]Z"; anything else is InvalidInput naming the text.
Result<TimePoint> parse_utc(std::string_view text);

// A calendar day as text, "2026-11-27": the one form of a date on the wire, in storage, in
// CSV and on the command line.
std::string format_date(std::chrono::year_month_day date);
// Accepts exactly "YYYY-MM-DD" naming a real day; anything else is InvalidInput
// ("date \"2026-02-30\": no such day", "date \"27/11\": expected YYYY-MM-DD").
Result<std::chrono::year_month_day> parse_date(std::string_view text);

}  // namespace bantin
