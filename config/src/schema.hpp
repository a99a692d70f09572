#pragma once
// Internal: one description of a configuration drives loading, validation, rendering and the
// key list, so the four never disagree. A `describe(visitor, config)` function template lists
// tables and keys in file order; the visitors below walk it:
//   Loader    reads a parsed toml::table into the struct, collecting every problem;
//   Renderer  writes the struct as commented TOML;
//   KeyLister collects the dotted key paths.
// Keys of a table come before its sub-tables (and before a map-valued key), as TOML needs.

#include "bantin/config/types.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace bantin::config::detail {

// ---- text helpers

std::string join_path(std::string_view parent, std::string_view key);
// The closest candidate by edit distance (a transposition counts as one), if close enough
// to be a likely typo.
std::optional<std::string> closest_match(std::string_view name, std::span<const std::string> candidates);
std::string quote(std::string_view text);    // a TOML basic string
std::string toml_key(std::string_view key);  // bare if possible, quoted otherwise
std::string_view type_name(const toml::node& node);
int line_of(const toml::node& node);  // 0 when toml++ has no position for it
// Word-wrapped "# " comment lines, each ending in '\n'.
std::string comment_lines(std::string_view text, std::string_view indent = "");

// ---- enums: a table per enum type

template <class E>
struct EnumName {
    E value;
    std::string_view name;
};

template <class E>
struct EnumTable;  // static std::span<const EnumName<E>> entries();

template <class E>
std::string_view enum_to_name(E value) {
    for (const auto& entry : EnumTable<E>::entries()) {
        if (entry.value == value)
            return entry.name;
    }
    assert(false && "enum value missing from its table");
    return "?";
}

template <class E>
std::optional<E> enum_from_name(std::string_view name) {
    for (const auto& entry : EnumTable<E>::entries()) {
        if (entry.name == name)
            return entry.value;
    }
    return std::nullopt;
}

template <class E>
std::string enum_choices() {
    std::string text;
    for (const auto& entry : EnumTable<E>::entries()) {
        if (!text.empty())
            text += ", ";
        text += quote(entry.name);
    }
    return text;
}

// ---- value codecs: read a TOML node into T (or say why not), write T as TOML

template <class T>
struct is_duration : std::false_type {};
template <class Rep, class Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

template <class T>
struct is_string_map : std::false_type {};
template <>
struct is_string_map<std::map<std::string, std::string>> : std::true_type {};

// Reads one scalar. Returns an error message, or nullopt when `out` was set.
template <class T>
std::optional<std::string> read_scalar(const toml::node& node, T& out) {
    auto wrong_type = [&](std::string_view expected) {
        return "expected " + std::string(expected) + ", got " + std::string(type_name(node));
    };
    if constexpr (std::is_same_v<T, bool>) {
        const auto* value = node.as_boolean();
        if (!value)
            return wrong_type("true or false");
        out = value->get();
    } else if constexpr (std::is_same_v<T, std::string>) {
        const auto* value = node.as_string();
        if (!value)
            return wrong_type("a string");
        out = value->get();
    } else if constexpr (std::is_same_v<T, std::filesystem::path>) {
        const auto* value = node.as_string();
        if (!value)
            return wrong_type("a path string");
        out = std::filesystem::path(value->get());
    } else if constexpr (std::is_integral_v<T>) {
        const auto* value = node.as_integer();
        if (!value)
            return wrong_type("an integer");
        const std::int64_t number = value->get();
        if (number < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
            number > static_cast<std::int64_t>(std::numeric_limits<T>::max())) {
            return std::string("integer out of range");
        }
        out = static_cast<T>(number);
    } else if constexpr (is_duration<T>::value) {
        const auto* value = node.as_integer();
        if (!value)
            return wrong_type("an integer");
        using Rep = typename T::rep;
        const std::int64_t number = value->get();
        if constexpr (sizeof(Rep) < sizeof(std::int64_t)) {
            if (number < std::numeric_limits<Rep>::min() || number > std::numeric_limits<Rep>::max()) {
                return std::string("integer out of range");
            }
        }
        out = T{static_cast<Rep>(number)};
    } else if constexpr (std::is_enum_v<T>) {
        const auto* value = node.as_string();
        if (!value)
            return wrong_type("one of " + enum_choices<T>());
        auto parsed = enum_from_name<T>(value->get());
        if (!parsed)
            return "expected one of " + enum_choices<T>() + ", got " + quote(value->get());
        out = *parsed;
    } else if constexpr (std::is_same_v<T, DailyWindow>) {
        const auto* value = node.as_string();
        if (!value)
            return wrong_type("a window string \"HH:MM-HH:MM\"");
        auto parsed = parse_daily_window(value->get());
        if (!parsed)
            return parsed.error().detail;
        out = *parsed;
    } else {
        static_assert(sizeof(T) == 0, "no TOML codec for this type");
    }
    return std::nullopt;
}

template <class T>
std::string write_scalar(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
        return value ? "true" : "false";
    } else if constexpr (std::is_same_v<T, std::string>) {
        return quote(value);
    } else if constexpr (std::is_same_v<T, std::filesystem::path>) {
        return quote(value.string());
    } else if constexpr (std::is_integral_v<T>) {
        return std::to_string(value);
    } else if constexpr (is_duration<T>::value) {
        return std::to_string(value.count());
    } else if constexpr (std::is_enum_v<T>) {
        return quote(enum_to_name(value));
    } else if constexpr (std::is_same_v<T, DailyWindow>) {
        return quote(to_string(value));
    } else {
        static_assert(sizeof(T) == 0, "no TOML codec for this type");
    }
}

template <class T>
std::string write_value(const T& value) {
    if constexpr (is_vector<T>::value) {
        std::string text = "[";
        for (std::size_t index = 0; index < value.size(); ++index) {
            if (index > 0)
                text += ", ";
            text += write_scalar(value[index]);
        }
        return text + "]";
    } else {
        return write_scalar(value);
    }
}

// ---- checks: callables taking the value, returning a message when it is wrong

template <class T>
auto numeric_value(const T& value) {
    if constexpr (is_duration<T>::value) {
        return static_cast<std::int64_t>(value.count());
    } else {
        return static_cast<std::int64_t>(value);
    }
}

inline auto between(std::int64_t low, std::int64_t high) {
    return [=](const auto& value) -> std::optional<std::string> {
        const auto number = numeric_value(value);
        if (number < low || number > high) {
            return "must be between " + std::to_string(low) + " and " + std::to_string(high) + ", got " +
                   std::to_string(number);
        }
        return std::nullopt;
    };
}

inline auto at_least(std::int64_t low) {
    return [=](const auto& value) -> std::optional<std::string> {
        const auto number = numeric_value(value);
        if (number < low) {
            if (low == 1)
                return "must be > 0, got " + std::to_string(number);
            return "must be >= " + std::to_string(low) + ", got " + std::to_string(number);
        }
        return std::nullopt;
    };
}

inline auto port_number() {
    return [](const int& value) -> std::optional<std::string> {
        if (value < 1 || value > 65535) {
            return "must be a port number between 1 and 65535, got " + std::to_string(value);
        }
        return std::nullopt;
    };
}

// A validator: an IANA time zone the tz database knows ("" too when `empty_allowed`).
std::function<std::optional<std::string>(const std::string&)> known_time_zone(bool empty_allowed);

inline auto not_empty() {
    return [](const auto& value) -> std::optional<std::string> {
        if (value.empty())
            return std::string("must not be empty");
        return std::nullopt;
    };
}

// ---- the loader

struct Issue {
    int line = 1;
    std::string key_path;
    std::string message;
};

class Loader {
public:
    explicit Loader(const toml::table& root);

    template <class Body>
    void table(std::string_view name, std::string_view help, Body&& body) {
        (void)help;
        Frame& parent = m_frames.back();
        parent.known.emplace_back(name);
        const std::string path = join_path(parent.path, name);
        const toml::table* child = nullptr;
        int line = parent.line;
        if (const toml::node* node = parent.table ? parent.table->get(name) : nullptr) {
            if (int node_line = line_of(*node); node_line > 0)
                line = node_line;
            child = node->as_table();
            if (!child)
                add_issue(line, path, "expected a table, got " + std::string(type_name(*node)));
        }
        m_lines[path] = line;
        m_frames.push_back(Frame{child, path, line, {}});
        body();
        close_frame();
    }

    template <class T, class... Checks>
    void key(std::string_view name, T& value, std::string_view help, Checks&&... checks) {
        (void)help;
        const toml::node* node = find(name);
        if (!node)
            return;  // the default stands
        read(*node, name, value, std::forward<Checks>(checks)...);
    }

    // A key an earlier version read and this one does not: accepted (files written for the
    // earlier version still load) and otherwise ignored; docs/config.md lists it as retired.
    void retired_key(std::string_view name, std::string_view why) {
        (void)why;
        (void)find(name);
    }

    template <class T>
    void required_key(std::string_view name, T& value, std::string_view help, std::string_view example) {
        (void)help;
        (void)example;
        const toml::node* node = find(name);
        if (!node) {
            const Frame& frame = m_frames.back();
            add_issue(frame.line, join_path(frame.path, name), "required key is missing");
            return;
        }
        read(*node, name, value, not_empty());
    }

    // Cross-field checks run after the walk; they report at the line of `key_path` if the
    // file sets it, else of its nearest table that the file has, else line 1. A rule is
    // skipped when one of the keys it compares (`key_path` and `others`) was already
    // reported: its value would be the default, not what the file said.
    void cross_issue(std::string_view key_path, std::string message,
                     std::initializer_list<std::string_view> others = {});

    // Closes the root table (reporting its unknown keys); returns every issue in file order.
    std::vector<Issue> finish();

private:
    struct Frame {
        const toml::table* table = nullptr;
        std::string path;
        int line = 1;
        std::vector<std::string> known;
    };

    const toml::node* find(std::string_view name);
    void close_frame();
    void add_issue(int line, std::string key_path, std::string message);

    template <class T, class... Checks>
    void read(const toml::node& node, std::string_view name, T& value, Checks&&... checks) {
        const std::string path = join_path(m_frames.back().path, name);
        const int line = line_or_table(node);
        m_lines[path] = line;
        T parsed = value;
        if constexpr (is_string_map<T>::value) {
            if (!read_map(node, path, parsed))
                return;
        } else if constexpr (is_vector<T>::value) {
            const toml::array* array = node.as_array();
            if (!array) {
                add_issue(line, path, "expected an array, got " + std::string(type_name(node)));
                return;
            }
            parsed.clear();
            bool good = true;
            for (std::size_t index = 0; index < array->size(); ++index) {
                const toml::node& element = *array->get(index);
                typename T::value_type item{};
                if (auto error = read_scalar(element, item)) {
                    add_issue(line_or(element, line), path + "[" + std::to_string(index) + "]", *error);
                    good = false;
                } else {
                    parsed.push_back(std::move(item));
                }
            }
            if (!good)
                return;
        } else {
            if (auto error = read_scalar(node, parsed)) {
                add_issue(line, path, *error);
                return;
            }
        }
        bool good = true;
        (run_check(checks, parsed, line, path, good), ...);
        if (good)
            value = std::move(parsed);
    }

    template <class Check, class T>
    void run_check(Check& check, const T& value, int line, const std::string& path, bool& good) {
        if (!good)
            return;  // one message per key is enough
        if (auto message = check(value)) {
            add_issue(line, path, *message);
            good = false;
        }
    }

    bool read_map(const toml::node& node, const std::string& path, std::map<std::string, std::string>& out);
    int line_or_table(const toml::node& node) const;
    static int line_or(const toml::node& node, int fallback);

    std::vector<Frame> m_frames;
    std::map<std::string, int, std::less<>> m_lines;
    std::set<std::string, std::less<>> m_failed_keys;
    std::vector<Issue> m_issues;
};

// ---- the renderer

class Renderer {
public:
    explicit Renderer(std::string_view title);

    template <class Body>
    void table(std::string_view name, std::string_view help, Body&& body) {
        m_path.push_back(join_path(m_path.back(), name));
        m_text += "\n" + comment_lines(help) + "[" + m_path.back() + "]\n";
        body();
        m_path.pop_back();
    }

    void retired_key(std::string_view, std::string_view) {}  // not written: nothing reads it

    template <class T, class... Checks>
    void key(std::string_view name, const T& value, std::string_view help, Checks&&...) {
        if constexpr (is_string_map<T>::value) {
            m_text += "\n" + comment_lines(help) + "[" + join_path(m_path.back(), name) + "]\n";
            if (value.empty())
                m_text += "# \"example-geocode\" = \"example-zone\"\n";
            for (const auto& [map_key, map_value] : value) {
                m_text += toml_key(map_key) + " = " + quote(map_value) + "\n";
            }
        } else {
            m_text += comment_lines(help) + std::string(name) + " = " + write_value(value) + "\n";
        }
    }

    template <class T>
    void required_key(std::string_view name, const T& value, std::string_view help,
                      std::string_view example) {
        if (value.empty()) {
            m_text += comment_lines(std::string(help) + " Required: set it.") + "# " + std::string(name) +
                      " = " + quote(example) + "\n";
        } else {
            m_text += comment_lines(std::string(help) + " Required.") + std::string(name) + " = " +
                      write_value(value) + "\n";
        }
    }

    std::string text() const { return m_text; }

private:
    std::vector<std::string> m_path;
    std::string m_text;
};

// ---- the key lister

class KeyLister {
public:
    template <class Body>
    void table(std::string_view name, std::string_view, Body&& body) {
        m_path.push_back(join_path(m_path.empty() ? "" : m_path.back(), name));
        body();
        m_path.pop_back();
    }
    template <class T, class... Checks>
    void key(std::string_view name, const T&, std::string_view, Checks&&...) {
        m_keys.push_back(join_path(m_path.empty() ? "" : m_path.back(), name));
    }
    template <class T>
    void required_key(std::string_view name, const T&, std::string_view, std::string_view) {
        m_keys.push_back(join_path(m_path.empty() ? "" : m_path.back(), name));
    }
    void retired_key(std::string_view, std::string_view) {}  // not a key of this version
    std::vector<std::string> keys() && { return std::move(m_keys); }

private:
    std::vector<std::string> m_path;
    std::vector<std::string> m_keys;
};

// Parses `text` and runs `describe` with a Loader, then `cross_check(config, loader)`.
// On any issue: Errc::InvalidInput with one "source:line: key.path: message" line per issue.
// Exceptions from toml++ stop here.
template <class Config, class Describe, class CrossCheck>
Result<Config> load_from_string(std::string_view text, std::string_view source_name, Describe&& describe,
                                CrossCheck&& cross_check);

Result<toml::table> parse_toml(std::string_view text, std::string_view source_name);
Error format_issues(std::string_view source_name, const std::vector<Issue>& issues);
Result<std::string> read_file(const std::filesystem::path& path);

template <class Config, class Describe, class CrossCheck>
Result<Config> load_from_string(std::string_view text, std::string_view source_name, Describe&& describe,
                                CrossCheck&& cross_check) {
    auto root = parse_toml(text, source_name);
    if (!root)
        return std::unexpected(root.error());
    Config config{};
    Loader loader(*root);
    describe(loader, config);
    cross_check(std::as_const(config), loader);
    auto issues = loader.finish();
    if (!issues.empty())
        return std::unexpected(format_issues(source_name, issues));
    return config;
}

}  // namespace bantin::config::detail
