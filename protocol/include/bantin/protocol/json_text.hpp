#pragma once
// Parsing JSON text that came from outside (HTTP bodies, MQTT messages, envelopes).
//
// parse_json_text() refuses, before any tree is built, text nested deeper than
// bantin::max_json_depth (bantin/common/json_depth.hpp); then parses; a failure is one
// InvalidInput error naming `what`, the byte offset and the kind of problem ("not JSON (syntax error at byte
// N)", "not JSON (number out of range at byte N: 1e400)"). It never throws and its messages never carry the
// parser's exception text.

#include "bantin/common/error.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace bantin::protocol {

Result<nlohmann::json> parse_json_text(std::string_view text, std::string_view what);

}  // namespace bantin::protocol
