#include "bantin/controller/cap.hpp"

#include "bantin/media/sha256.hpp"
#include "bantin/protocol/topics.hpp"

#include <expat.h>

#include <algorithm>
#include <memory>
#include <optional>

namespace bantin::controller {
namespace {

constexpr std::string_view cap_namespace = "urn:oasis:names:tc:emergency:cap:1.2";
constexpr std::size_t max_cap_depth = 32;

struct Element {
    std::string name;  // local name
    std::string text;
    std::vector<std::unique_ptr<Element>> children;

    const Element* child(std::string_view wanted) const {
        for (const auto& element : children)
            if (element->name == wanted)
                return element.get();
        return nullptr;
    }
    std::vector<const Element*> all(std::string_view wanted) const {
        std::vector<const Element*> found;
        for (const auto& element : children)
            if (element->name == wanted)
                found.push_back(element.get());
        return found;
    }
};

struct ParseState {
    std::unique_ptr<Element> root;
    std::vector<Element*> stack;
    std::string error;
    XML_Parser parser = nullptr;
};

// Expat reports names as "<namespace URI>|<local name>" with the separator we give it.
void on_start(void* user, const XML_Char* name, const XML_Char**) {
    auto* state = static_cast<ParseState*>(user);
    if (state->stack.size() >= max_cap_depth) {
        // CAP nests 5 levels (alert, info, area, geocode, value). A deeper document is an
        // attack on whatever walks the tree (its destruction recurses).
        if (state->error.empty())
            state->error =
                "elements nested deeper than the limit of " + std::to_string(max_cap_depth) + " levels";
        XML_StopParser(state->parser, XML_FALSE);
        return;
    }
    std::string_view full{name};
    std::string_view local = full;
    if (auto bar = full.rfind('|'); bar != std::string_view::npos) {
        if (full.substr(0, bar) != cap_namespace && state->error.empty() && state->stack.empty())
            state->error =
                "the root element is not in the CAP 1.2 namespace (" + std::string{cap_namespace} + ")";
        local = full.substr(bar + 1);
    } else if (state->stack.empty() && state->error.empty()) {
        state->error =
            "the root element has no namespace; CAP 1.2 needs xmlns=\"" + std::string{cap_namespace} + "\"";
    }
    auto element = std::make_unique<Element>();
    element->name = local;
    Element* raw = element.get();
    if (state->stack.empty()) {
        if (state->root && state->error.empty())
            state->error = "more than one root element";
        state->root = std::move(element);
    } else {
        state->stack.back()->children.push_back(std::move(element));
    }
    state->stack.push_back(raw);
}

void on_end(void* user, const XML_Char*) {
    auto* state = static_cast<ParseState*>(user);
    if (!state->stack.empty())
        state->stack.pop_back();
}

void on_text(void* user, const XML_Char* text, int length) {
    auto* state = static_cast<ParseState*>(user);
    if (!state->stack.empty() && length > 0)
        state->stack.back()->text.append(text, static_cast<std::size_t>(length));
}

// Refuses any DTD entity declaration: no internal expansion bombs, no external entities.
void on_entity(void* user, const XML_Char* name, int, const XML_Char*, int, const XML_Char*, const XML_Char*,
               const XML_Char*, const XML_Char*) {
    auto* state = static_cast<ParseState*>(user);
    if (state->error.empty())
        state->error = std::string{"entity declarations are not allowed (\""} + name + "\")";
    XML_StopParser(state->parser, XML_FALSE);
}

struct ParserDeleter {
    void operator()(XML_ParserStruct* parser) const { XML_ParserFree(parser); }
};

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string{text.substr(first, last - first + 1)};
}

std::string lower(std::string_view text) {
    std::string result{text};
    std::ranges::transform(result, result.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return result;
}

Result<std::string> required_text(const Element& parent, std::string_view name, std::string_view path) {
    const Element* element = parent.child(name);
    if (!element)
        return fail(Errc::InvalidInput, "cap: " + std::string{path} + "/" + std::string{name} + ": missing");
    std::string text = trim(element->text);
    if (text.empty())
        return fail(Errc::InvalidInput, "cap: " + std::string{path} + "/" + std::string{name} + ": empty");
    return text;
}

std::string optional_text(const Element& parent, std::string_view name) {
    const Element* element = parent.child(name);
    return element ? trim(element->text) : std::string{};
}

bool parse_digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
    value = 0;
    if (at + count > text.size())
        return false;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        value = value * 10 + (text[i] - '0');
    }
    return true;
}

}  // namespace

Result<TimePoint> parse_cap_time(std::string_view text) {
    // YYYY-MM-DDThh:mm:ss then Z or +hh:mm / -hh:mm
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    const auto bad = [&] {
        return fail(Errc::InvalidInput,
                    "\"" + std::string{text} + "\" is not a CAP date-time (2026-11-27T13:00:00+07:00)");
    };
    if (text.size() < 20 || !parse_digits(text, 0, 4, year) || text[4] != '-' ||
        !parse_digits(text, 5, 2, month) || text[7] != '-' || !parse_digits(text, 8, 2, day) ||
        text[10] != 'T' || !parse_digits(text, 11, 2, hour) || text[13] != ':' ||
        !parse_digits(text, 14, 2, minute) || text[16] != ':' || !parse_digits(text, 17, 2, second))
        return bad();
    std::chrono::minutes offset{0};
    std::string_view zone = text.substr(19);
    if (zone == "Z") {
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        int offset_hours = 0, offset_minutes = 0;
        if (!parse_digits(zone, 1, 2, offset_hours) || !parse_digits(zone, 4, 2, offset_minutes) ||
            offset_hours > 14 || offset_minutes > 59)
            return bad();
        offset = std::chrono::hours{offset_hours} + std::chrono::minutes{offset_minutes};
        if (zone[0] == '-')
            offset = -offset;
    } else {
        return bad();
    }
    const std::chrono::year_month_day date{std::chrono::year{year},
                                           std::chrono::month{static_cast<unsigned>(month)},
                                           std::chrono::day{static_cast<unsigned>(day)}};
    if (!date.ok() || hour > 23 || minute > 59 || second > 60)
        return bad();
    const auto local = std::chrono::sys_days{date} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
                       std::chrono::seconds{second};
    return std::chrono::time_point_cast<Duration>(local - offset);
}

Result<CapImport> parse_cap(std::string_view xml, const CapMapping& mapping) {
    if (xml.size() > max_cap_size)
        return fail(Errc::TooLarge, "cap: document of " + std::to_string(xml.size()) +
                                        " bytes is over the limit of " + std::to_string(max_cap_size));
    std::unique_ptr<XML_ParserStruct, ParserDeleter> parser{XML_ParserCreateNS("UTF-8", '|')};
    if (!parser)
        return fail(Errc::Internal, "cap: cannot create the XML parser");
    ParseState state;
    state.parser = parser.get();
    XML_SetUserData(parser.get(), &state);
    XML_SetElementHandler(parser.get(), on_start, on_end);
    XML_SetCharacterDataHandler(parser.get(), on_text);
    XML_SetEntityDeclHandler(parser.get(), on_entity);
    XML_SetParamEntityParsing(parser.get(), XML_PARAM_ENTITY_PARSING_NEVER);
    const auto parse_status = XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE);
    if (!state.error.empty())
        return fail(Errc::InvalidInput, "cap: " + state.error);
    if (parse_status != XML_STATUS_OK)
        return fail(Errc::InvalidInput, "cap: XML error at line " +
                                            std::to_string(XML_GetCurrentLineNumber(parser.get())) + ": " +
                                            XML_ErrorString(XML_GetErrorCode(parser.get())));
    if (!state.root || state.root->name != "alert")
        return fail(Errc::InvalidInput, "cap: the root element must be <alert>");
    const Element& alert = *state.root;

    CapImport result;
    auto identifier = required_text(alert, "identifier", "alert");
    if (!identifier)
        return std::unexpected(identifier.error());
    auto sender = required_text(alert, "sender", "alert");
    if (!sender)
        return std::unexpected(sender.error());
    auto sent = required_text(alert, "sent", "alert");
    if (!sent)
        return std::unexpected(sent.error());
    if (auto parsed = parse_cap_time(*sent); !parsed)
        return fail(Errc::InvalidInput, "cap: alert/sent: " + parsed.error().detail);
    auto status = required_text(alert, "status", "alert");
    if (!status)
        return std::unexpected(status.error());
    auto message_type = required_text(alert, "msgType", "alert");
    if (!message_type)
        return std::unexpected(message_type.error());
    auto scope = required_text(alert, "scope", "alert");
    if (!scope)
        return std::unexpected(scope.error());
    result.identifier = *identifier;

    const auto alert_id_for = [&](const std::string& cap_sender, const std::string& cap_identifier) {
        std::string candidate = "cap-" + cap_identifier;
        if (protocol::validate_id(candidate, "id"))
            return candidate;
        return "cap-" + media::sha256_hex(cap_sender + "," + cap_identifier).substr(0, 16);
    };

    if (*status == "Actual")
        result.request.status = scheduler::AlertStatus::Actual;
    else if (*status == "Exercise")
        result.request.status = scheduler::AlertStatus::Exercise;
    else if (*status == "System" || *status == "Test" || *status == "Draft")
        return fail(Errc::InvalidInput,
                    "cap: alert/status: \"" + *status +
                        "\" messages are not for the public; only Actual and Exercise are imported");
    else
        return fail(Errc::InvalidInput, "cap: alert/status: \"" + *status + "\" is not a CAP 1.2 status");

    // <references>: "sender,identifier,sent" triples separated by whitespace, each naming an
    // earlier message; their Bantin alert ids, in order.
    const auto referenced = [&](const std::string& references) -> Result<std::vector<std::string>> {
        std::vector<std::string> ids;
        std::size_t at = 0;
        while (at < references.size()) {
            const auto end = std::min(references.find_first_of(" \t\r\n", at), references.size());
            const std::string triple = references.substr(at, end - at);
            at = end + 1;
            if (triple.empty())
                continue;
            const auto comma = triple.find(',');
            const auto second = comma == std::string::npos ? std::string::npos : triple.find(',', comma + 1);
            if (comma == 0 || second == std::string::npos || second == comma + 1)
                return fail(Errc::InvalidInput,
                            "cap: alert/references: expected sender,identifier,sent, got \"" +
                                triple.substr(0, 200) + "\"");
            std::string id =
                alert_id_for(triple.substr(0, comma), triple.substr(comma + 1, second - comma - 1));
            if (std::find(ids.begin(), ids.end(), id) == ids.end())
                ids.push_back(std::move(id));
        }
        if (ids.empty())
            return fail(Errc::InvalidInput, "cap: alert/references: expected sender,identifier,sent");
        return ids;
    };

    if (*message_type == "Cancel") {
        auto references = required_text(alert, "references", "alert");
        if (!references)
            return std::unexpected(references.error());
        auto ids = referenced(*references);
        if (!ids)
            return std::unexpected(ids.error());
        result.action = CapAction::Cancel;
        result.cancel_alert_ids = std::move(*ids);
        return result;
    }
    if (*message_type == "Update") {
        auto references = required_text(alert, "references", "alert");
        if (!references)
            return std::unexpected(references.error());
        auto ids = referenced(*references);
        if (!ids)
            return std::unexpected(ids.error());
        result.request.replaces = std::move(*ids);
    } else if (*message_type != "Alert") {
        return fail(Errc::InvalidInput,
                    "cap: alert/msgType: \"" + *message_type + "\" is not imported (Alert, Update, Cancel)");
    }

    const Element* info = alert.child("info");
    if (!info)
        return fail(Errc::InvalidInput, "cap: alert/info: missing");
    for (const char* required : {"category", "event", "urgency", "severity", "certainty"})
        if (auto present = required_text(*info, required, "alert/info"); !present)
            return std::unexpected(present.error());
    const std::string severity = optional_text(*info, "severity");
    if (severity == "Extreme")
        result.request.severity = scheduler::Severity::Extreme;
    else if (severity == "Severe")
        result.request.severity = scheduler::Severity::Severe;
    else if (severity == "Moderate")
        result.request.severity = scheduler::Severity::Moderate;
    else if (severity == "Minor" || severity == "Unknown")
        result.request.severity = scheduler::Severity::Minor;
    else
        return fail(Errc::InvalidInput,
                    "cap: alert/info/severity: \"" + severity + "\" is not a CAP 1.2 severity");
    result.request.headline = optional_text(*info, "headline");
    if (result.request.headline.empty())
        result.request.headline = optional_text(*info, "event");
    std::string text = optional_text(*info, "description");
    if (const std::string instruction = optional_text(*info, "instruction"); !instruction.empty())
        text += (text.empty() ? "" : " ") + instruction;
    if (text.empty())
        text = result.request.headline;
    result.request.text = text;
    if (const std::string expires = optional_text(*info, "expires"); !expires.empty()) {
        auto parsed = parse_cap_time(expires);
        if (!parsed)
            return fail(Errc::InvalidInput, "cap: alert/info/expires: " + parsed.error().detail);
        result.request.expires = *parsed;
    }

    std::vector<std::string> zones;
    std::vector<std::string> unmatched;
    const auto areas = info->all("area");
    if (areas.empty())
        return fail(Errc::InvalidInput, "cap: alert/info/area: missing");
    for (const Element* area : areas) {
        auto description = required_text(*area, "areaDesc", "alert/info/area");
        if (!description)
            return std::unexpected(description.error());
        bool matched = false;
        for (const Element* geocode : area->all("geocode")) {
            const std::string value = optional_text(*geocode, "value");
            if (auto found = mapping.geocodes.find(value); found != mapping.geocodes.end()) {
                zones.push_back(found->second);
                matched = true;
            }
        }
        if (!matched && mapping.match_area_desc) {
            const std::string wanted = lower(*description);
            for (const auto& zone : mapping.zones) {
                if (lower(zone.id) == wanted || lower(zone.name) == wanted) {
                    zones.push_back(zone.id);
                    matched = true;
                }
            }
        }
        if (!matched)
            unmatched.push_back(*description);
    }
    if (zones.empty()) {
        std::string names;
        for (const auto& name : unmatched) names += (names.empty() ? "\"" : ", \"") + name + "\"";
        return fail(Errc::InvalidInput, "cap: alert/info/area: no area maps to a zone (" + names +
                                            "); add its geocode to [cap.geocodes]");
    }
    std::ranges::sort(zones);
    zones.erase(std::unique(zones.begin(), zones.end()), zones.end());
    result.request.zones = std::move(zones);
    result.request.id = alert_id_for(*sender, *identifier);
    return result;
}

}  // namespace bantin::controller
