#include "bantin/protocol/json_text.hpp"

#include "bantin/common/json_depth.hpp"

#include <string>

namespace bantin::protocol {

namespace {

// Accepts every event and remembers where parsing failed: run only after a parse failed, to
// name the place without exceptions.
struct ErrorLocator {
    std::size_t position = 0;
    std::string token;
    int id = 0;
    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(nlohmann::json::number_integer_t) { return true; }
    bool number_unsigned(nlohmann::json::number_unsigned_t) { return true; }
    bool number_float(nlohmann::json::number_float_t, const std::string&) { return true; }
    bool string(std::string&) { return true; }
    bool binary(nlohmann::json::binary_t&) { return true; }
    bool start_object(std::size_t) { return true; }
    bool key(std::string&) { return true; }
    bool end_object() { return true; }
    bool start_array(std::size_t) { return true; }
    bool end_array() { return true; }
    bool parse_error(std::size_t at, const std::string& last_token, const nlohmann::json::exception& error) {
        position = at;
        token = last_token;
        id = error.id;
        return false;
    }
};

}  // namespace

Result<nlohmann::json> parse_json_text(std::string_view text, std::string_view what) {
    const std::string name{what};
    if (auto problem = json_depth_problem(text))
        return fail(Errc::InvalidInput, name + ": " + problem->message());
    nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (!parsed.is_discarded())
        return parsed;
    ErrorLocator locator;
    nlohmann::json::sax_parse(text.begin(), text.end(), &locator);
    // nlohmann counts the failing character too; offsets here are 0-based.
    const std::size_t offset = locator.position > 0 ? locator.position - 1 : 0;
    if (locator.id == 406) {
        // The position is past the number: name where it starts.
        const std::size_t start =
            locator.position >= locator.token.size() ? locator.position - locator.token.size() : 0;
        // Only number characters reach a number token; still cut it short.
        std::string number = locator.token.substr(0, 40);
        return fail(Errc::InvalidInput, name + ": not JSON (number out of range at byte " +
                                            std::to_string(start) + ": " + number +
                                            (locator.token.size() > 40 ? "..." : "") + ")");
    }
    return fail(Errc::InvalidInput,
                name + ": not JSON (syntax error at byte " + std::to_string(offset) + ")");
}

}  // namespace bantin::protocol
