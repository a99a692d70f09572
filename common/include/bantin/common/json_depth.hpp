#pragma once
// A cheap pre-scan of JSON text from outside, run before any parser builds a tree.
//
// nlohmann::json parses deep nesting without limit, and everything that walks the tree
// afterwards (dump, comparisons, our readers) recurses: a body of 100,000 '[' overflows a
// thread's stack. json_depth_problem() walks the text once, skipping strings (so brackets
// inside "..." do not count, escapes included), and reports the first place where arrays and
// objects nest deeper than `max_depth`. It does not validate the JSON otherwise: the parser
// that runs after it does.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bantin {

// The nesting depth every JSON document from outside may reach (API bodies, MQTT messages,
// envelopes). The deepest document the project writes nests 6 levels.
inline constexpr std::size_t max_json_depth = 64;

struct JsonDepthProblem {
    std::size_t offset = 0;  // byte offset of the bracket that went too deep
    std::size_t limit = max_json_depth;
    std::string message() const;
};

// nullopt: no container nests deeper than max_depth.
std::optional<JsonDepthProblem> json_depth_problem(std::string_view text,
                                                   std::size_t max_depth = max_json_depth);

}  // namespace bantin
