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
    // from_chars would take a leading '-': only digits make a field.
    for (std::size_t index = 0; index < count; ++index) {
        if (begin[index] < '0' || begin[index] > '9')
            return false;
    }
    const auto [end, error] = std::from_chars(begin, begin + count, value);
    return error == std::errc{} && end == begin + count;
}

}  // namespace

std::string format_date(std::chrono::year_month_day date) {
    const int year = static_cast<int>(date.year());
    const auto month = static_cast<unsigned>(date.month());
    const auto day = static_cast<unsigned>(date.day());
    std::string text(10, '0');
    auto put = [&text](std::size_t at, unsigned value, std::size_t width) {
        for (std::size_t index = width; index > 0; --index, value /= 10)
            text[at + index - 1] = static_cast<char>('0' + value % 10);
    };
    put(0, static_cast<unsigned>(year < 0 ? 0 : year), 4);
    text[4] = '-';
    put(5, month, 2);
    text[7] = '-';
    put(8, day, 2);
    return text;
}

Result<std::chrono::year_month_day> parse_date(std::string_view text) {
    int year = 0, month = 0, day = 0;
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !read_digits(text, 0, 4, year) ||
        !read_digits(text, 5, 2, month) || !read_digits(text, 8, 2, day)) {
        return fail(Errc::InvalidInput, "date \"" + std::string{text} + "\": expected YYYY-MM-DD");
    }
    const std::chrono::year_month_day date{std::chrono::year{year},
                                           std::chrono::month{static_cast<unsigned>(month)},
                                           std::chrono::day{static_cast<unsigned>(day)}};
    if (!date.ok())
        return fail(Errc::InvalidInput, "date \"" + std::string{text} + "\": no such day");
    return date;
}

Result<TimePoint> parse_utc(std::string_view text) {
    auto refuse = [&] {
        return fail(Errc::InvalidInput,
                    "expected a UTC time like 2026-11-27T06:00:00Z, got \"" + std::string{text} + "\"");
    };
    // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text.back() != 'Z' || !read_digits(text, 0, 4, year) ||
        !read_digits(text, 5, 2, month) || !read_digits(text, 8, 2, day) || !read_digits(text, 11, 2, hour) ||
        !read_digits(text, 14, 2, minute) || !read_digits(text, 17, 2, second)) {
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
    return TimePoint{date::sys_days{ymd}.time_since_epoch()} + std::chrono::hours{hour} +
           std::chrono::minutes{minute} + std::chrono::seconds{second} + Duration{milliseconds};
}

}  // namespace bantin
