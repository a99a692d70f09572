#include "api_route.hpp"

#include "http_guard.hpp"

#include <httplib.h>

namespace bantin::controller::api {

namespace {

std::string joined(const std::vector<std::string>& parts, std::string_view last_separator) {
    std::string text;
    for (std::size_t index = 0; index < parts.size(); ++index) {
        if (index > 0)
            text += index + 1 == parts.size() ? last_separator : ", ";
        text += parts[index];
    }
    return text;
}

}  // namespace

Refusal::Refusal(const Error& error)
    : status(http_status(error.code)), code(std::string{to_string(error.code)}), detail(error.detail) {}

const nlohmann::json* BodyFields::take(std::string_view field) {
    m_read.emplace(field);
    auto found = m_body.find(field);
    if (found == m_body.end() || found->is_null())
        return nullptr;
    return &*found;
}

bool BodyFields::has(std::string_view field) const {
    return m_body.contains(field);
}

std::optional<std::string> BodyFields::optional_string(std::string_view field) {
    const nlohmann::json* value = take(field);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_string()) {
        problem(std::string{field} + ": expected a string, got " + value->type_name());
        return std::nullopt;
    }
    return value->get<std::string>();
}

std::string BodyFields::required_string(std::string_view field) {
    if (take(field) == nullptr) {
        problem(std::string{field} + ": required");
        return {};
    }
    return optional_string(field).value_or("");
}

std::optional<std::int64_t> BodyFields::optional_integer(std::string_view field) {
    const nlohmann::json* value = take(field);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_number_integer()) {
        problem(std::string{field} + ": expected an integer, got " + value->type_name());
        return std::nullopt;
    }
    return value->get<std::int64_t>();
}

std::optional<bool> BodyFields::optional_boolean(std::string_view field) {
    const nlohmann::json* value = take(field);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_boolean()) {
        problem(std::string{field} + ": expected true or false, got " + value->type_name());
        return std::nullopt;
    }
    return value->get<bool>();
}

std::optional<std::vector<std::string>> BodyFields::optional_strings(std::string_view field) {
    const nlohmann::json* value = take(field);
    if (value == nullptr)
        return std::nullopt;
    std::vector<std::string> strings;
    if (value->is_array()) {
        for (const auto& item : *value) {
            if (!item.is_string())
                break;
            strings.push_back(item.get<std::string>());
        }
        if (strings.size() == value->size())
            return strings;
    }
    problem(std::string{field} + ": expected an array of strings");
    return std::nullopt;
}

const nlohmann::json* BodyFields::optional_value(std::string_view field) {
    return take(field);
}

std::optional<Refusal> BodyFields::refusal() const {
    std::vector<std::string> problems;
    std::vector<std::string> accepted(m_read.begin(), m_read.end());
    if (m_body.is_object())
        for (const auto& [key, value] : m_body.items())
            if (!m_read.contains(key))
                problems.push_back(key + ": unknown field (" + joined(accepted, " and ") +
                                   (accepted.size() == 1 ? " is" : " are") + " accepted)");
    problems.insert(problems.end(), m_problems.begin(), m_problems.end());
    if (problems.empty())
        return std::nullopt;
    std::string detail;
    for (const auto& text : problems) detail += (detail.empty() ? "" : "; ") + text;
    return Refusal::bad_request(std::move(detail));
}

std::optional<std::string> Call::parameter(std::string_view name) const {
    auto found = query.find(std::string{name});
    if (found == query.end())
        return std::nullopt;
    return found->second;
}

Result<Page> parse_page(const Call& call) {
    Page page;
    page.limit = default_page_limit;
    if (auto text = call.parameter("limit")) {
        auto limit = parse_decimal(*text);
        if (!limit || *limit < 1 || *limit > max_page_limit)
            return fail(Errc::InvalidInput,
                        "limit: expected an integer from 1 to " + std::to_string(max_page_limit));
        page.limit = static_cast<int>(*limit);
    }
    const char* offset_name = call.parameter("cursor") ? "cursor" : "offset";
    if (auto text = call.parameter(offset_name)) {
        auto offset = parse_decimal(*text);
        if (!offset || *offset < 0 || *offset > 1'000'000'000)
            return fail(Errc::InvalidInput, std::string{offset_name} + ": not a cursor this server gave out");
        page.offset = static_cast<int>(*offset);
    }
    return page;
}

nlohmann::ordered_json page_json(Page page, nlohmann::ordered_json items) {
    nlohmann::ordered_json next = nullptr;
    if (items.is_array() && items.size() > static_cast<std::size_t>(page.limit)) {
        items.erase(items.begin() + page.limit, items.end());
        next = std::to_string(page.offset + page.limit);
    }
    return {{"items", std::move(items)}, {"next_cursor", next}};
}

namespace {

// Authenticates, reads the body as `rule` says, and builds the Call; on failure the answer has
// been sent and nullopt is returned.
std::optional<Call> prepare(ApiContext& context, const RouteRule& rule, const httplib::Request& request,
                            httplib::Response& response) {
    auto user = authorize(context, request, response, rule.action);
    if (!user)
        return std::nullopt;
    Call call{context, std::move(*user), nlohmann::json::object(), {}, {}, {}};
    switch (rule.body) {
        case BodyRule::None: break;
        case BodyRule::Required: {
            auto body = parse_json_body(request, response, rule.needs);
            if (!body)
                return std::nullopt;
            call.body = std::move(*body);
            break;
        }
        case BodyRule::Optional: {
            auto body = parse_optional_json_body(request, response);
            if (!body)
                return std::nullopt;
            call.body = std::move(*body);
            break;
        }
        case BodyRule::Raw: call.raw_body = request.body; break;
    }
    for (const auto& match : request.matches) call.path.push_back(match.str());
    for (const auto& [name, value] : request.params) call.query.emplace(name, value);
    return call;
}

httplib::Server::Handler json_route(ApiContext& context, RouteRule rule, Handler handler) {
    return [&context, rule, handler = std::move(handler)](const httplib::Request& request,
                                                          httplib::Response& response) {
        auto call = prepare(context, rule, request, response);
        if (!call)
            return;
        auto answer = handler(*call);
        if (!answer)
            return send_error(response, answer.error().status, answer.error().code, answer.error().detail);
        for (const auto& [name, value] : answer->headers) response.set_header(name, value);
        if (answer->status == 204) {
            response.status = 204;
            return;
        }
        send_json(response, answer->status, answer->body);
    };
}

httplib::Server::Handler raw_route(ApiContext& context, RouteRule rule, RawHandler handler) {
    return [&context, rule, handler = std::move(handler)](const httplib::Request& request,
                                                          httplib::Response& response) {
        auto call = prepare(context, rule, request, response);
        if (!call)
            return;
        handler(*call, request, response);
    };
}

}  // namespace

Routes::Routes(ApiServer& server, ApiContext& context) : m_http(server.http()), m_context(context) {}

void Routes::get(const std::string& pattern, RouteRule rule, Handler handler) {
    m_http.Get(pattern, json_route(m_context, rule, std::move(handler)));
}
void Routes::post(const std::string& pattern, RouteRule rule, Handler handler) {
    m_http.Post(pattern, json_route(m_context, rule, std::move(handler)));
}
void Routes::put(const std::string& pattern, RouteRule rule, Handler handler) {
    m_http.Put(pattern, json_route(m_context, rule, std::move(handler)));
}
void Routes::del(const std::string& pattern, RouteRule rule, Handler handler) {
    m_http.Delete(pattern, json_route(m_context, rule, std::move(handler)));
}
void Routes::get_raw(const std::string& pattern, RouteRule rule, RawHandler handler) {
    m_http.Get(pattern, raw_route(m_context, rule, std::move(handler)));
}
void Routes::put_raw(const std::string& pattern, RouteRule rule, RawHandler handler) {
    m_http.Put(pattern, raw_route(m_context, rule, std::move(handler)));
}

}  // namespace bantin::controller::api
