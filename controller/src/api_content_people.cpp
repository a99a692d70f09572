// Routes: /auth (login, logout, me), /users (admin), /audit (admins and approvers).
#include "api_content.hpp"
#include "api_route.hpp"
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

Answer logout(Call& call) {
    if (auto done = call.context.auth.logout(call.user.token); !done)
        return refuse(done.error());
    Reply reply{204, nullptr};
    reply.headers.emplace_back("Set-Cookie", session_cookie("", 0));
    return reply;
}

Answer me(Call& call) {
    return ok({{"user", to_json(call.user.user)},
               {"expires", format_utc(call.user.session.expires)},
               {"csrf_token", call.user.session.csrf_token}});
}

Answer list_users(Call& call) {
    return list_page<User>(
        call, [](StoreTransaction& transaction, Page page) { return transaction.list_users(page); },
        [](const User& user) { return to_json(user); });
}

// The user of the path: 404 for an id that cannot be one.
std::expected<UserId, Refusal> path_user(const Call& call) {
    auto id = parse_user_id(call.capture(1));
    if (!id)
        return std::unexpected(Refusal(404, "not-found", "no such user"));
    return *id;
}

Result<Role> role_named(const std::string& text) {
    auto role = parse_role(text);
    if (!role)
        return fail(Errc::InvalidInput,
                    "role: expected editor, approver, operator or admin, got \"" + text + "\"");
    return *role;
}

Answer get_user(Call& call) {
    auto id = path_user(call);
    if (!id)
        return refuse(id.error());
    if (*id != call.user.user.id)
        if (auto allowed_here = require(call.user.user, Action::ManageUsers); !allowed_here)
            return refuse(allowed_here.error());
    return show_one<User>(
        call, [&](StoreTransaction& transaction) { return transaction.user_by_id(*id); },
        [](const User& user) { return to_json(user); });
}

Answer create_user(Call& call) {
    BodyFields fields = call.fields();
    const std::string name = fields.required_string("name");
    const auto display_name = fields.optional_string("display_name");
    const std::string role_text = fields.required_string("role");
    const std::string password = fields.required_string("password");
    if (auto refused = fields.refusal())
        return refuse(*refused);
    auto role = role_named(role_text);
    if (!role)
        return refuse(role.error());
    auto user =
        call.context.auth.create_user(call.user.user, name, display_name.value_or(name), *role, password);
    if (!user)
        return refuse(user.error());
    return ok(to_json(*user), 201);
}

// Changes the role and/or disables or enables the user.
Answer update_user(Call& call) {
    auto id = path_user(call);
    if (!id)
        return refuse(id.error());
    BodyFields fields = call.fields();
    const auto role_text = fields.optional_string("role");
    const auto disabled = fields.optional_boolean("disabled");
    if (auto refused = fields.refusal())
        return refuse(*refused);
    std::optional<User> result;
    if (role_text) {
        auto role = role_named(*role_text);
        if (!role)
            return refuse(role.error());
        auto changed = call.context.auth.set_role(call.user.user, *id, *role);
        if (!changed)
            return refuse(changed.error());
        result = *changed;
    }
    if (disabled) {
        auto changed =
            call.context.auth.set_disabled(call.user.user, *id, *disabled ? Disabled::Yes : Disabled::No);
        if (!changed)
            return refuse(changed.error());
        result = *changed;
    }
    if (!result) {
        auto user = call.context.store.read_value<User>(
            [&](StoreTransaction& transaction) { return transaction.user_by_id(*id); });
        if (!user)
            return refuse(user.error());
        result = *user;
    }
    return ok(to_json(*result));
}

Answer change_password(Call& call) {
    auto id = path_user(call);
    if (!id)
        return refuse(id.error());
    BodyFields fields = call.fields();
    const auto current = fields.optional_string("current_password");
    const std::string next = fields.required_string("new_password");
    if (auto refused = fields.refusal())
        return refuse(*refused);
    auto changed = call.context.auth.change_password(call.user.user, *id, current.value_or(""), next);
    if (!changed)
        return refuse(changed.error());
    return no_content();
}

Answer list_audit(Call& call) {
    const User& caller = call.user.user;
    if (caller.role != Role::Admin && caller.role != Role::Approver)
        return refuse(Refusal(403, "permission-denied",
                              "user \"" + caller.name + "\" (" + std::string{to_string(caller.role)} +
                                  ") may not read the audit log; admins and approvers may"));
    AuditFilter filter;
    filter.entity_type = call.parameter("entity_type").value_or("");
    filter.entity_id = call.parameter("entity_id").value_or("");
    if (auto user_text = call.parameter("user")) {
        auto user = parse_user_id(*user_text);
        if (!user)
            return refuse(Refusal::invalid("user: expected a user id"));
        filter.user = *user;
    }
    std::optional<TimePoint> from;
    std::optional<TimePoint> to;
    for (const auto& [name, bound] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
        auto text = call.parameter(name);
        if (!text)
            continue;
        auto at = parse_utc(*text);
        if (!at)
            return refuse(Refusal::invalid(std::string{name} +
                                           ": thời điểm không hợp lệ (giờ UTC theo RFC 3339); " +
                                           "not an RFC 3339 UTC instant: " + at.error().detail));
        *bound = *at;
    }
    if (from && to && *to <= *from)
        return refuse(Refusal::invalid("from, to: \"to\" phải sau \"from\"; to must be after from"));
    return list_page<AuditEntry>(
        call,
        [&](StoreTransaction& transaction, Page page) {
            return transaction.list_audit_between(filter, from, to, page);
        },
        audit_json);
}

}  // namespace

void register_people_routes(ApiServer& server, ApiContext& context) {
    // Signing in is the one route without a session.
    server.http().Post(route("/auth/login"), [&context](const Request& request, Response& response) {
        login(context, request, response);
    });
    Routes routes(server, context);
    const std::string user = route("/users/([0-9]{1,18})");
    routes.post(route("/auth/logout"), {Action::Read}, logout);
    routes.get(route("/auth/me"), {Action::Read}, me);
    routes.get(route("/users"), {Action::ManageUsers}, list_users);
    routes.post(route("/users"),
                {Action::ManageUsers, BodyRule::Required, "a JSON object with name, role and password"},
                create_user);
    routes.get(user, {Action::Read}, get_user);
    routes.put(user, {Action::ManageUsers, BodyRule::Required, "a JSON object with the fields to change"},
               update_user);
    routes.post(user + "/password", {Action::Read, BodyRule::Required, "a JSON object with new_password"},
                change_password);
    routes.get(route("/audit"), {Action::Read}, list_audit);
}

}  // namespace bantin::controller::api
