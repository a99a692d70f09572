#include "bantin/config/types.hpp"

#include "enums.hpp"

#include <charconv>

namespace bantin::config {

namespace {

template <class E>
Result<E> parse_enum(std::string_view text, std::string_view what) {
    if (auto value = detail::enum_from_name<E>(text))
        return *value;
    return fail(Errc::InvalidInput, std::string(what) + " " + detail::quote(text) + " is not one of " +
                                        detail::enum_choices<E>());
}

// "HH:MM" -> minutes after midnight; "24:00" only when `allow_end_of_day`.
std::optional<int> parse_clock(std::string_view text, bool allow_end_of_day) {
    if (text.size() != 5 || text[2] != ':')
        return std::nullopt;
    int hours = 0;
    int minutes = 0;
    auto digits = [](std::string_view part, int& out) {
        if (part.size() != 2 || part[0] < '0' || part[0] > '9' || part[1] < '0' || part[1] > '9')
            return false;
        auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), out);
        return error == std::errc{} && end == part.data() + part.size();
    };
    if (!digits(text.substr(0, 2), hours) || !digits(text.substr(3, 2), minutes))
        return std::nullopt;
    if (minutes > 59)
        return std::nullopt;
    if (hours == 24 && minutes == 0 && allow_end_of_day)
        return 24 * 60;
    if (hours > 23)
        return std::nullopt;
    return hours * 60 + minutes;
}

std::string format_clock(int minute_of_day) {
    std::string text = "00:00";
    const int hours = minute_of_day / 60;
    const int minutes = minute_of_day % 60;
    text[0] = static_cast<char>('0' + hours / 10);
    text[1] = static_cast<char>('0' + hours % 10);
    text[3] = static_cast<char>('0' + minutes / 10);
    text[4] = static_cast<char>('0' + minutes % 10);
    return text;
}

}  // namespace

std::string_view to_string(LogLevel level) {
    return detail::enum_to_name(level);
}

Result<LogLevel> parse_log_level(std::string_view text) {
    return parse_enum<LogLevel>(text, "log level");
}

std::string_view to_string(ClientCertificate mode) {
    return detail::enum_to_name(mode);
}

std::string_view to_string(StorageBackend backend) {
    return detail::enum_to_name(backend);
}

std::string_view to_string(HttpFront front) {
    return detail::enum_to_name(front);
}

std::string_view to_string(BrokerLogLevel level) {
    return detail::enum_to_name(level);
}

std::string_view to_string(TtsEngine engine) {
    return detail::enum_to_name(engine);
}

std::string_view to_string(PlaybackMode mode) {
    return detail::enum_to_name(mode);
}

Result<PlaybackMode> parse_playback_mode(std::string_view text) {
    return parse_enum<PlaybackMode>(text, "playback mode");
}

Result<DailyWindow> parse_daily_window(std::string_view text) {
    auto refuse = [&](std::string_view why) {
        return fail(Errc::InvalidInput, "expected a window \"HH:MM-HH:MM\", got " + detail::quote(text) +
                                            (why.empty() ? "" : " (" + std::string(why) + ")"));
    };
    if (text.size() != 11 || text[5] != '-')
        return refuse("");
    const auto start = parse_clock(text.substr(0, 5), false);
    const auto end = parse_clock(text.substr(6, 5), true);
    if (!start || !end)
        return refuse("hours 00-23, minutes 00-59, end may be 24:00");
    if (*start == *end)
        return refuse("start equals end");
    return DailyWindow{*start, *end};
}

std::string to_string(const DailyWindow& window) {
    return format_clock(window.start_minute) + "-" + format_clock(window.end_minute);
}

std::filesystem::path resolve_path(const std::filesystem::path& base, const std::filesystem::path& path) {
    if (path.empty() || path.is_absolute())
        return path;
    return base / path;
}

}  // namespace bantin::config
