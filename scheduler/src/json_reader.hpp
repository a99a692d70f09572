#pragma once
// Internal to the model's JSON (json.cpp encodes, json_decode.cpp decodes): the text forms of
// clock times and windows, and the strict reader that names the field path of every problem and
// refuses unknown fields.

#include "bantin/common/error.hpp"
#include "bantin/scheduler/json.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::scheduler::detail {

using nlohmann::json;
using nlohmann::ordered_json;

// ---------- text forms ----------

inline std::string two_digits(int value) {
    return std::string{static_cast<char>('0' + value / 10 % 10), static_cast<char>('0' + value % 10)};
}

inline std::string format_window(const DailyWindow& window) {
    return format_clock(window.start_minute) + "-" + format_clock(window.end_minute);
}

inline std::optional<int> parse_number(std::string_view text) {
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

inline constexpr std::string_view weekday_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// ---------- strict reading with field paths ----------

inline std::string type_name(const json& value) {
    return value.type_name();
}

// Reads one JSON object; remembers which keys were read so finish() can refuse the rest.
class ObjectReader {
public:
    ObjectReader(const json& value, std::string path) : m_value(value), m_path(std::move(path)) {
        if (!value.is_object()) {
            m_error = Error{Errc::InvalidInput, where() + ": expected an object, got " + type_name(value)};
        }
    }

    bool ok() const { return !m_error; }
    const Error& error() const { return *m_error; }
    std::string field(std::string_view key) const {
        return m_path.empty() ? std::string{key} : m_path + "." + std::string{key};
    }

    const json* get(std::string_view key, bool required) {
        if (m_error) {
            return nullptr;
        }
        m_read.insert(std::string{key});
        const auto it = m_value.find(key);
        if (it == m_value.end() || it->is_null()) {
            if (required) {
                fail_at(key, "is required");
            }
            return nullptr;
        }
        return &*it;
    }

    void fail_at(std::string_view key, std::string message) {
        if (!m_error) {
            m_error = Error{Errc::InvalidInput, field(key) + ": " + std::move(message)};
        }
    }
    void fail_with(Error error) {
        if (!m_error) {
            m_error = std::move(error);
        }
    }

    std::string string(std::string_view key, bool required = true, std::string fallback = {}) {
        const json* value = get(key, required);
        if (value == nullptr) {
            return fallback;
        }
        if (!value->is_string()) {
            fail_at(key, "expected a string, got " + type_name(*value));
            return fallback;
        }
        return value->get<std::string>();
    }

    std::int64_t integer(std::string_view key, bool required, std::int64_t fallback) {
        const json* value = get(key, required);
        if (value == nullptr) {
            return fallback;
        }
        if (!value->is_number_integer()) {
            fail_at(key, "expected an integer, got " + type_name(*value));
            return fallback;
        }
        return value->get<std::int64_t>();
    }

    int small_integer(std::string_view key, bool required, int fallback) {
        const std::int64_t value = integer(key, required, fallback);
        if (value < -1'000'000 || value > 1'000'000'000) {
            fail_at(key, "out of range");
            return fallback;
        }
        return static_cast<int>(value);
    }

    bool boolean(std::string_view key, bool fallback) {
        const json* value = get(key, false);
        if (value == nullptr) {
            return fallback;
        }
        if (!value->is_boolean()) {
            fail_at(key, "expected true or false, got " + type_name(*value));
            return fallback;
        }
        return value->get<bool>();
    }

    std::optional<Duration> duration_ms(std::string_view key) {
        const json* value = get(key, false);
        if (value == nullptr) {
            return std::nullopt;
        }
        if (!value->is_number_integer()) {
            fail_at(key, "expected an integer of milliseconds, got " + type_name(*value));
            return std::nullopt;
        }
        return Duration{value->get<std::int64_t>()};
    }

    std::vector<std::string> strings(std::string_view key) {
        std::vector<std::string> out;
        const json* value = get(key, false);
        if (value == nullptr) {
            return out;
        }
        if (!value->is_array()) {
            fail_at(key, "expected an array of strings, got " + type_name(*value));
            return out;
        }
        for (std::size_t i = 0; i < value->size(); ++i) {
            const auto& element = (*value)[i];
            if (!element.is_string()) {
                fail_at(std::string{key} + "[" + std::to_string(i) + "]",
                        "expected a string, got " + type_name(element));
                return out;
            }
            out.push_back(element.get<std::string>());
        }
        return out;
    }

    template <class Enum, std::size_t N>
    Enum choice(std::string_view key, const NameTable<Enum, N>& options, bool required, Enum fallback) {
        const json* value = get(key, required);
        if (value == nullptr) {
            return fallback;
        }
        if (value->is_string()) {
            if (auto found = value_in(options, value->get<std::string>())) {
                return *found;
            }
        }
        std::string expected;
        for (const auto& entry : options) {
            expected += (expected.empty() ? "" : " | ") + std::string{entry.second};
        }
        fail_at(key, "expected one of " + expected + ", got " + value->dump());
        return fallback;
    }

    TimePoint instant(std::string_view key, bool required) {
        const json* value = get(key, required);
        if (value == nullptr) {
            return TimePoint{};
        }
        if (!value->is_string()) {
            fail_at(key, "expected a UTC time string, got " + type_name(*value));
            return TimePoint{};
        }
        auto parsed = parse_utc(value->get<std::string>());
        if (!parsed) {
            fail_at(key, parsed.error().detail);
            return TimePoint{};
        }
        return *parsed;
    }

    std::vector<DailyWindow> windows(std::string_view key) {
        std::vector<DailyWindow> out;
        const auto texts = strings(key);
        for (std::size_t i = 0; i < texts.size(); ++i) {
            auto window = parse_window(texts[i]);
            if (!window) {
                fail_at(std::string{key} + "[" + std::to_string(i) + "]",
                        "expected \"HH:MM-HH:MM\", got \"" + texts[i] + "\"");
                return out;
            }
            out.push_back(*window);
        }
        return out;
    }

    // Refuses keys that were never read: a typo must not pass silently.
    void finish() {
        if (m_error) {
            return;
        }
        for (const auto& [key, value] : m_value.items()) {
            if (!m_read.contains(key)) {
                fail_at(key, "unknown field");
                return;
            }
        }
    }

    static std::optional<DailyWindow> parse_window(std::string_view text) {
        const auto dash = text.find('-');
        if (dash == std::string_view::npos) {
            return std::nullopt;
        }
        auto start = parse_clock(text.substr(0, dash));
        auto end = parse_clock(text.substr(dash + 1));
        if (!start || !end || *start >= 24 * 60) {
            return std::nullopt;
        }
        return DailyWindow{*start, *end};
    }

private:
    std::string where() const { return m_path.empty() ? std::string{"(top level)"} : m_path; }

    const json& m_value;
    std::string m_path;
    std::set<std::string, std::less<>> m_read;
    std::optional<Error> m_error;
};

template <class T, class Decode>
Result<std::vector<T>> read_array(ObjectReader& reader, std::string_view key, Decode decode) {
    std::vector<T> out;
    const json* value = reader.get(key, false);
    if (!reader.ok()) {
        return std::unexpected(reader.error());
    }
    if (value == nullptr) {
        return out;
    }
    if (!value->is_array()) {
        return fail(Errc::InvalidInput, reader.field(key) + ": expected an array, got " + type_name(*value));
    }
    out.reserve(value->size());
    for (std::size_t i = 0; i < value->size(); ++i) {
        auto element = decode((*value)[i], reader.field(key) + "[" + std::to_string(i) + "]");
        if (!element) {
            return std::unexpected(element.error());
        }
        out.push_back(std::move(*element));
    }
    return out;
}

inline ordered_json windows_json(const std::vector<DailyWindow>& windows) {
    ordered_json out = ordered_json::array();
    for (const auto& window : windows) {
        out.push_back(format_window(window));
    }
    return out;
}

inline ordered_json strings_json(const std::vector<std::string>& values) {
    ordered_json out = ordered_json::array();
    for (const auto& value : values) {
        out.push_back(value);
    }
    return out;
}

}  // namespace bantin::scheduler::detail
