// Routes: /auth (login, logout, me), /users (admin), /audit (admins and approvers).
#include "api_content.hpp"
#include "bantin/controller/http_front.hpp"
#include "bantin/controller/record_json.hpp"

#include <httplib.h>

#include <chrono>

namespace bantin::controller::api {

namespace {

using httplib::Request;
using httplib::Response;

std::string session_cookie(std::string_view token, std::int64_t max_age_seconds) {
    return std::string{session_cookie_name} + "=" + std::string{token} +
           "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_seconds);
}

nlohmann::ordered_json audit_json(const AuditEntry& entry) {
    auto embedded = [](const std::string& text) -> nlohmann::ordered_json {
        if (text.empty())
            return nullptr;
        auto parsed = nlohmann::ordered_json::parse(text, nullptr, false);
        if (parsed.is_discarded())
            return text;
        return parsed;
    };
    nlohmann::ordered_json json;
    json["id"] = entry.id;
    json["user"] = entry.user ? nlohmann::ordered_json(*entry.user) : nullptr;
    json["user_name"] = entry.user_name;
    json["at"] = format_utc(entry.at);
    json["action"] = entry.action;
    json["entity_type"] = entry.entity_type;
    json["entity_id"] = entry.entity_id;
    json["before"] = embedded(entry.before);
    json["after"] = embedded(entry.after);
    return json;
}

std::optional<UserId> parse_user_id(const std::string& text) {
    try {
        std::size_t used = 0;
        const long long value = std::stoll(text, &used);
        if (used != text.size() || value <= 0)
            return std::nullopt;
        return static_cast<UserId>(value);
    } catch (...) {
        return std::nullopt;
    }
}

void login(ApiContext& context, const Request& request, Response& response) {
    auto body = parse_json_body(request, response, "a JSON object with name and password");
    if (!body)
        return;
    auto name = required_string(*body, "name");
    if (!name)
        return send_bad_request(response, name.error().detail);
    auto password = required_string(*body, "password");
    if (!password)
        return send_bad_request(response, password.error().detail);

    auto success = context.auth.login(*name, *password, client_address(context.config, request));
    if (!success) {
        const LoginError& error = success.error();
        if (error.retry_after) {
            const auto seconds = std::max<std::int64_t>(
                1, std::chrono::ceil<std::chrono::seconds>(*error.retry_after).count());
            response.set_header("Retry-After", std::to_string(seconds));
            return send_error(response, 429, "rate-limited",
                              error.error.detail + "; try again in " + std::to_string(seconds) + " s");
        }
        return send_error(response, error.error);
    }
    const auto max_age = std::max<std::int64_t>(
        0, std::chrono::floor<std::chrono::seconds>(success->expires - context.clock.wall()).count());
    response.set_header("Set-Cookie", session_cookie(success->token, max_age));
    send_json(response, 200,
              nlohmann::ordered_json{{"token", success->token},
                                     {"csrf_token", success->csrf_token},
                                     {"expires", format_utc(success->expires)},
                                     {"user", to_json(success->user)}});
}

void logout(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::Read);
    if (!caller)
        return;
    if (auto done = context.auth.logout(caller->token); !done)
        return send_error(response, done.error());
    response.set_header("Set-Cookie", session_cookie("", 0));
    response.status = 204;
}

void me(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::Read);
    if (!caller)
        return;
    send_json(response, 200,
              nlohmann::ordered_json{{"user", to_json(caller->user)},
                                     {"expires", format_utc(caller->session.expires)},
                                     {"csrf_token", caller->session.csrf_token}});
}

void list_users(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::ManageUsers);
    if (!caller)
        return;
    auto page = parse_page(request);
    if (!page)
        return send_error(response, page.error());
    auto users = context.store.read_value<std::vector<User>>(
        [&](StoreTransaction& transaction) { return transaction.list_users(page_probe(*page)); });
    if (!users)
        return send_error(response, users.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& user : *users) items.push_back(to_json(user));
    send_page(response, *page, std::move(items));
}

void get_user(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::Read);
    if (!caller)
        return;
    auto id = parse_user_id(path_match(request, 1));
    if (!id)
        return send_error(response, 404, "not-found", "no such user");
    if (*id != caller->user.id) {
        if (auto allowed_here = require(caller->user, Action::ManageUsers); !allowed_here)
            return send_error(response, allowed_here.error());
    }
    auto user = context.store.read_value<User>(
        [&](StoreTransaction& transaction) { return transaction.user_by_id(*id); });
    if (!user)
        return send_error(response, user.error());
    send_json(response, 200, to_json(*user));
}

void create_user(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::ManageUsers);
    if (!caller)
        return;
    auto body = parse_json_body(request, response, "a JSON object with name, role and password");
    if (!body)
        return;
    auto name = required_string(*body, "name");
    if (!name)
        return send_bad_request(response, name.error().detail);
    auto display_name = optional_string(*body, "display_name");
    if (!display_name)
        return send_bad_request(response, display_name.error().detail);
    auto role_text = required_string(*body, "role");
    if (!role_text)
        return send_bad_request(response, role_text.error().detail);
    auto password = required_string(*body, "password");
    if (!password)
        return send_bad_request(response, password.error().detail);
    for (const auto& [key, value] : body->items()) {
        if (key != "name" && key != "display_name" && key != "role" && key != "password")
            return send_bad_request(response, key + ": unknown field");
    }
    auto role = parse_role(*role_text);
    if (!role)
        return send_error(response, 422, "invalid-input",
                          "role: expected editor, approver, operator or admin, got \"" + *role_text + "\"");
    auto user =
        context.auth.create_user(caller->user, *name, display_name->value_or(*name), *role, *password);
    if (!user)
        return send_error(response, user.error());
    send_json(response, 201, to_json(*user));
}

void update_user(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::ManageUsers);
    if (!caller)
        return;
    auto id = parse_user_id(path_match(request, 1));
    if (!id)
        return send_error(response, 404, "not-found", "no such user");
    auto body = parse_json_body(request, response, "a JSON object with the fields to change");
    if (!body)
        return;
    for (const auto& [key, value] : body->items()) {
        if (key != "role" && key != "disabled")
            return send_bad_request(response, key + ": unknown field (role and disabled can be changed)");
    }
    auto role_text = optional_string(*body, "role");
    if (!role_text)
        return send_bad_request(response, role_text.error().detail);
    auto disabled = optional_boolean(*body, "disabled");
    if (!disabled)
        return send_bad_request(response, disabled.error().detail);
    std::optional<User> result;
    if (*role_text) {
        auto role = parse_role(**role_text);
        if (!role)
            return send_error(
                response, 422, "invalid-input",
                "role: expected editor, approver, operator or admin, got \"" + **role_text + "\"");
        auto changed = context.auth.set_role(caller->user, *id, *role);
        if (!changed)
            return send_error(response, changed.error());
        result = *changed;
    }
    if (*disabled) {
        auto changed =
            context.auth.set_disabled(caller->user, *id, **disabled ? Disabled::Yes : Disabled::No);
        if (!changed)
            return send_error(response, changed.error());
        result = *changed;
    }
    if (!result) {
        auto user = context.store.read_value<User>(
            [&](StoreTransaction& transaction) { return transaction.user_by_id(*id); });
        if (!user)
            return send_error(response, user.error());
        result = *user;
    }
    send_json(response, 200, to_json(*result));
}

void change_password(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::Read);
    if (!caller)
        return;
    auto id = parse_user_id(path_match(request, 1));
    if (!id)
        return send_error(response, 404, "not-found", "no such user");
    auto body = parse_json_body(request, response, "a JSON object with new_password");
    if (!body)
        return;
    auto current = optional_string(*body, "current_password");
    if (!current)
        return send_bad_request(response, current.error().detail);
    auto next = required_string(*body, "new_password");
    if (!next)
        return send_bad_request(response, next.error().detail);
    auto changed = context.auth.change_password(caller->user, *id, current->value_or(""), *next);
    if (!changed)
        return send_error(response, changed.error());
    response.status = 204;
}

void list_audit(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::Read);
    if (!caller)
        return;
    if (caller->user.role != Role::Admin && caller->user.role != Role::Approver)
        return send_error(response, 403, "permission-denied",
                          "user \"" + caller->user.name + "\" (" + std::string{to_string(caller->user.role)} +
                              ") may not read the audit log; admins and approvers may");
    auto page = parse_page(request);
    if (!page)
        return send_error(response, page.error());
    AuditFilter filter;
    filter.entity_type = request.get_param_value("entity_type");
    filter.entity_id = request.get_param_value("entity_id");
    if (request.has_param("user")) {
        auto user = parse_user_id(request.get_param_value("user"));
        if (!user)
            return send_error(response, 422, "invalid-input", "user: expected a user id");
        filter.user = *user;
    }
    auto entries = context.store.read_value<std::vector<AuditEntry>>(
        [&](StoreTransaction& transaction) { return transaction.list_audit(filter, page_probe(*page)); });
    if (!entries)
        return send_error(response, entries.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& entry : *entries) items.push_back(audit_json(entry));
    send_page(response, *page, std::move(items));
}

}  // namespace

void register_people_routes(ApiServer& server, ApiContext& context) {
    auto& http = server.http();
    ApiContext* shared = &context;
    auto bind = [shared](void (*handler)(ApiContext&, const Request&, Response&)) {
        return [shared, handler](const Request& request, Response& response) {
            handler(*shared, request, response);
        };
    };
    http.Post(route("/auth/login"), bind(login));
    http.Post(route("/auth/logout"), bind(logout));
    http.Get(route("/auth/me"), bind(me));
    http.Get(route("/users"), bind(list_users));
    http.Post(route("/users"), bind(create_user));
    http.Get(route("/users/([0-9]{1,18})"), bind(get_user));
    http.Put(route("/users/([0-9]{1,18})"), bind(update_user));
    http.Post(route("/users/([0-9]{1,18})/password"), bind(change_password));
    http.Get(route("/audit"), bind(list_audit));
}

}  // namespace bantin::controller::api
