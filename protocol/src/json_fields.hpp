#pragma once
// Internal: strict field access on nlohmann::json with errors that name the field path.
// Used by the message codecs, the envelope and the provisioning file.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace bantin::protocol::detail {

using Json = nlohmann::json;

std::string member_path(std::string_view path, std::string_view key);
std::string element_path(std::string_view path, std::size_t index);

// Size check, then parse. `what` names the document ("bundle", "envelope").
Result<Json> parse_document(std::string_view text, std::string_view what, std::size_t limit);

// Reads the members of one JSON object. open() refuses a non-object and unknown members.
class ObjectReader {
public:
    static Result<ObjectReader> open(const Json& json, std::string_view path,
                                     std::initializer_list<std::string_view> allowed);

    const std::string& path() const { return m_path; }
    std::string path(std::string_view key) const { return member_path(m_path, key); }
    bool has(std::string_view key) const;

    Result<const Json*> required(std::string_view key) const;
    Result<std::string> string(std::string_view key) const;
    Result<std::optional<std::string>> optional_string(std::string_view key) const;
    // A non-negative integer no larger than `max`.
    Result<std::uint64_t> unsigned_integer(std::string_view key, std::uint64_t max = UINT64_MAX) const;
    Result<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const;
    Result<bool> boolean(std::string_view key) const;
    Result<TimePoint> utc(std::string_view key) const;           // RFC 3339 text, "...Z"
    Result<std::string> identifier(std::string_view key) const;  // topics.hpp id rules
    Result<std::string> sha256(std::string_view key) const;      // 64 lowercase hex

private:
    ObjectReader(const Json& json, std::string path) : m_json(&json), m_path(std::move(path)) {}
    const Json* m_json;
    std::string m_path;
};

Result<void> check_identifier(std::string_view value, const std::string& path);
Result<void> check_sha256(std::string_view value, const std::string& path);

}  // namespace bantin::protocol::detail
