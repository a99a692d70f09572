#include "json_fields.hpp"

#include "bantin/protocol/json_text.hpp"
#include "bantin/protocol/topics.hpp"

#include <algorithm>

namespace bantin::protocol::detail {

std::string member_path(std::string_view path, std::string_view key) {
    if (path.empty())
        return std::string(key);
    std::string out(path);
    out += '.';
    out += key;
    return out;
}

std::string element_path(std::string_view path, std::size_t index) {
    return std::string(path) + "[" + std::to_string(index) + "]";
}

Result<Json> parse_document(std::string_view text, std::string_view what, std::size_t limit) {
    if (text.size() > limit) {
        return fail(Errc::TooLarge, std::string(what) + ": " + std::to_string(text.size()) +
                                        " bytes is over the limit of " + std::to_string(limit));
    }
    auto parsed = parse_json_text(text, what);
    if (!parsed)
        return std::unexpected(parsed.error());
    return std::move(*parsed);
}

Result<ObjectReader> ObjectReader::open(const Json& json, std::string_view path,
                                        std::initializer_list<std::string_view> allowed) {
    std::string where = path.empty() ? std::string("(document)") : std::string(path);
    if (!json.is_object())
        return fail(Errc::InvalidInput, where + ": expected an object");
    for (const auto& [key, value] : json.items()) {
        if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end()) {
            return fail(Errc::InvalidInput, member_path(path, key) + ": unknown field");
        }
    }
    return ObjectReader(json, std::string(path));
}

bool ObjectReader::has(std::string_view key) const {
    return m_json->find(std::string(key)) != m_json->end();
}

Result<const Json*> ObjectReader::required(std::string_view key) const {
    auto found = m_json->find(std::string(key));
    if (found == m_json->end())
        return fail(Errc::InvalidInput, path(key) + ": missing");
    return &*found;
}

Result<std::string> ObjectReader::string(std::string_view key) const {
    auto value = required(key);
    if (!value)
        return std::unexpected(value.error());
    if (!(*value)->is_string())
        return fail(Errc::InvalidInput, path(key) + ": expected a string");
    return (*value)->get<std::string>();
}

Result<std::optional<std::string>> ObjectReader::optional_string(std::string_view key) const {
    if (!has(key))
        return std::optional<std::string>{};
    auto value = string(key);
    if (!value)
        return std::unexpected(value.error());
    return std::optional<std::string>(std::move(*value));
}

Result<std::uint64_t> ObjectReader::unsigned_integer(std::string_view key, std::uint64_t max) const {
    auto value = required(key);
    if (!value)
        return std::unexpected(value.error());
    const Json& json = **value;
    if (json.is_number_unsigned()) {
        auto number = json.get<std::uint64_t>();
        if (number > max) {
            return fail(Errc::InvalidInput,
                        path(key) + ": " + std::to_string(number) + " is over " + std::to_string(max));
        }
        return number;
    }
    if (json.is_number_integer()) {
        return fail(Errc::InvalidInput, path(key) + ": must not be negative");
    }
    return fail(Errc::InvalidInput, path(key) + ": expected a non-negative integer");
}

Result<std::int64_t> ObjectReader::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
    auto value = required(key);
    if (!value)
        return std::unexpected(value.error());
    const Json& json = **value;
    if (!json.is_number_integer())
        return fail(Errc::InvalidInput, path(key) + ": expected an integer");
    std::int64_t number = 0;
    if (json.is_number_unsigned()) {
        auto unsigned_number = json.get<std::uint64_t>();
        if (unsigned_number > static_cast<std::uint64_t>(INT64_MAX)) {
            return fail(Errc::InvalidInput, path(key) + ": out of range");
        }
        number = static_cast<std::int64_t>(unsigned_number);
    } else {
        number = json.get<std::int64_t>();
    }
    if (number < min || number > max) {
        return fail(Errc::InvalidInput, path(key) + ": " + std::to_string(number) + " is outside " +
                                            std::to_string(min) + ".." + std::to_string(max));
    }
    return number;
}

Result<bool> ObjectReader::boolean(std::string_view key) const {
    auto value = required(key);
    if (!value)
        return std::unexpected(value.error());
    if (!(*value)->is_boolean())
        return fail(Errc::InvalidInput, path(key) + ": expected true or false");
    return (*value)->get<bool>();
}

Result<TimePoint> ObjectReader::utc(std::string_view key) const {
    auto text = string(key);
    if (!text)
        return std::unexpected(text.error());
    auto time = parse_utc(*text);
    if (!time) {
        return fail(Errc::InvalidInput, path(key) + ": expected UTC time like \"2026-11-27T06:00:00.000Z\"");
    }
    return *time;
}

Result<void> check_identifier(std::string_view value, const std::string& path) {
    return validate_id(value, path);
}

Result<void> check_sha256(std::string_view value, const std::string& path) {
    bool hex = value.size() == 64 && std::all_of(value.begin(), value.end(), [](char c) {
                   return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
               });
    if (!hex)
        return fail(Errc::InvalidInput, path + ": expected 64 lowercase hex digits");
    return {};
}

Result<std::string> ObjectReader::identifier(std::string_view key) const {
    auto text = string(key);
    if (!text)
        return std::unexpected(text.error());
    if (auto valid = check_identifier(*text, path(key)); !valid)
        return std::unexpected(valid.error());
    return text;
}

Result<std::string> ObjectReader::sha256(std::string_view key) const {
    auto text = string(key);
    if (!text)
        return std::unexpected(text.error());
    if (auto valid = check_sha256(*text, path(key)); !valid)
        return std::unexpected(valid.error());
    return text;
}

}  // namespace bantin::protocol::detail
