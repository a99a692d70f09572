#include "bantin/common/time.hpp"

#include <date/date.h>

#include <sstream>

namespace bantin {

std::string format_utc(TimePoint t) {
    return date::format("%FT%TZ", t);
}

Result<TimePoint> parse_utc(std::string_view text) {
    // date::parse with %S reads fractional seconds at the precision of the target.
    std::istringstream in{std::string{text}};
    TimePoint parsed;
    in >> date::parse("%FT%TZ", parsed);
    if (in.fail() || in.peek() != std::char_traits<char>::eof()) {
        return fail(Errc::InvalidInput,
                    "expected a UTC time like 2026-11-27T06:00:00Z, got \"" + std::string{text} + "\"");
    }
    return parsed;
}

}  // namespace bantin
