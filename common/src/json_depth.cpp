#include "bantin/common/json_depth.hpp"

namespace bantin {

std::string JsonDepthProblem::message() const {
    return "nested deeper than the limit of " + std::to_string(limit) + " levels at byte " +
           std::to_string(offset);
}

std::optional<JsonDepthProblem> json_depth_problem(std::string_view text, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (std::size_t index = 0; index < text.size(); ++index) {
        const char c = text[index];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
            case '"': in_string = true; break;
            case '[':
            case '{':
                if (++depth > max_depth)
                    return JsonDepthProblem{index, max_depth};
                break;
            case ']':
            case '}':
                if (depth > 0)
                    --depth;
                break;
            default: break;
        }
    }
    return std::nullopt;
}

}  // namespace bantin
