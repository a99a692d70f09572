#include "bantin/common/time.hpp"

#include <date/date.h>

#include <charconv>

namespace bantin {

std::string format_utc(TimePoint t) {
    return date::format("%FT%TZ", t);
}

namespace {

bool read_digits(std::string_view text, std::size_t offset, std::size_t count, int& value) {
    if (offset + count > text.size()) {
        return false;
    }
    const char* begin = text.data() + offset;
    const auto [end, error] = std::from_chars(begin, begin + count, value);
    return error == std::errc{} && end == begin + count;
}

}  // namespace

Result<TimePoint> parse_utc(std::string_view text) {
    auto refuse = [&] {
        return fail(Errc::InvalidInput,
                    "expected a UTC time like 2026-11-27T06:00:00Z, got \"" + std::string{text} + "\"");
    };
    // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text.back() != 'Z' || !read_digits(text, 0, 4, year) || !read_digits(text, 5, 2, month) ||
        !read_digits(text, 8, 2, day) || !read_digits(text, 11, 2, hour) || !read_digits(text, 14, 2, minute) ||
        !read_digits(text, 17, 2, second)) {
        return refuse();
    }
    long milliseconds = 0;
    const std::string_view fraction = text.substr(19, text.size() - 20);
    if (!fraction.empty()) {
        if (fraction.size() < 2 || fraction.size() > 10 || fraction[0] != '.') {
            return refuse();
        }
        long scale = 100;
        for (std::size_t i = 1; i < fraction.size(); ++i) {
            const char c = fraction[i];
            if (c < '0' || c > '9') {
                return refuse();
            }
            milliseconds += (c - '0') * scale;
            scale /= 10;
        }
    }
    const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                   date::day{static_cast<unsigned>(day)}};
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) {
        return refuse();
    }
    return TimePoint{date::sys_days{ymd}.time_since_epoch()} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
           std::chrono::seconds{second} + Duration{milliseconds};
}

}  // namespace bantin
