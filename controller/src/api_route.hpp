#pragma once
// Internal to the API route files: one way to build a route. A handler is a plain function of a
// Call (the signed-in user, the parsed JSON body, the path captures and query parameters) that
// returns a Reply or a Refusal; it never sees the HTTP library, so tests call it directly.
//
// Routes::add() wraps it: authenticate and check the route's Action (401/403), parse the body
// as the route says (400 naming the problem), run the handler, then answer the Reply as JSON
// or the Refusal as {"error", "detail"} (a store or service Error maps through http_status()).
// Routes whose answer is not JSON (files, CSV, PNG) use add_raw(): the same checks, then the
// handler writes the response itself.
//
// BodyFields reads the body's fields by name, collecting every problem (not only the first),
// and refuses the fields no handler read: the fields a route allows are the ones it reads.
//
// Threads: handlers run on the HTTP server's worker threads (see http_server.hpp).

#include "bantin/controller/http_server.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace bantin::controller::api {

// What goes back when a handler says no: a status, a code and the words for a person.
struct Refusal {
    int status = 500;
    std::string code;
    std::string detail;

    Refusal(const Error& error);  // NOLINT: implicit, so `std::unexpected(result.error())` works
    Refusal(int status_code, std::string error_code, std::string text)
        : status(status_code), code(std::move(error_code)), detail(std::move(text)) {}
    // A malformed request (syntax, wrong JSON type, missing or unknown field): 400 "bad-request".
    static Refusal bad_request(std::string detail) { return {400, "bad-request", std::move(detail)}; }
    // A well-formed request whose values do not hold: 422 "invalid-input".
    static Refusal invalid(std::string detail) { return {422, "invalid-input", std::move(detail)}; }
};

struct Reply {
    int status = 200;
    nlohmann::ordered_json body;  // not sent with 204
    std::vector<std::pair<std::string, std::string>> headers = {};
};

using Answer = std::expected<Reply, Refusal>;

inline Answer ok(nlohmann::ordered_json body, int status = 200) {
    return Reply{status, std::move(body)};
}
inline Answer no_content() {
    return Reply{204, nullptr};
}
inline std::unexpected<Refusal> refuse(Refusal refusal) {
    return std::unexpected(std::move(refusal));
}

class BodyFields {
public:
    explicit BodyFields(const nlohmann::json& body) : m_body(body) {}

    std::optional<std::string> optional_string(std::string_view field);
    std::string required_string(std::string_view field);
    std::optional<std::int64_t> optional_integer(std::string_view field);
    std::optional<bool> optional_boolean(std::string_view field);
    std::optional<std::vector<std::string>> optional_strings(std::string_view field);
    // Any JSON value, for the handler to read (nullptr when absent or null).
    const nlohmann::json* optional_value(std::string_view field);
    bool has(std::string_view field) const;

    // A problem the handler found with a field.
    void problem(std::string text) { m_problems.push_back(std::move(text)); }
    // Every problem, and every field nothing read ("x: unknown field (a, b and c are accepted)"),
    // as one 400; nullopt when there is none.
    std::optional<Refusal> refusal() const;

private:
    const nlohmann::json* take(std::string_view field);

    const nlohmann::json& m_body;
    std::set<std::string, std::less<>> m_read;
    std::vector<std::string> m_problems;
};

// What a handler is given.
struct Call {
    ApiContext& context;
    RequestUser user;
    nlohmann::json body = nlohmann::json::object();  // {} for routes without a body
    std::vector<std::string> path;                   // the route's regex captures, [1] the first
    std::multimap<std::string, std::string> query;
    std::string raw_body;  // for routes that read a non-JSON body (CAP XML)

    // Capture `index` (1-based), "" if there is none.
    std::string capture(std::size_t index) const { return index < path.size() ? path[index] : std::string{}; }
    std::optional<std::string> parameter(std::string_view name) const;
    BodyFields fields() const { return BodyFields(body); }
};

// `?limit=N` (1..max_page_limit, default default_page_limit) and `?cursor=C` (the opaque
// next_cursor of the previous page; `?offset=N` too); InvalidInput naming a bad parameter.
Result<Page> parse_page(const Call& call);
// {"items": [...], "next_cursor": ...} for a page fetched with page_probe().
nlohmann::ordered_json page_json(Page page, nlohmann::ordered_json items);

// A page of rows as {"items", "next_cursor"}: `fetch(transaction, page)` reads page.limit + 1
// rows (page_probe()), `view(row)` makes each item.
template <class Row, class Fetch, class View>
Answer list_page(Call& call, Fetch fetch, View view) {
    auto page = parse_page(call);
    if (!page)
        return refuse(page.error());
    auto rows = call.context.store.read_value<std::vector<Row>>(
        [&](StoreTransaction& transaction) { return fetch(transaction, page_probe(*page)); });
    if (!rows)
        return refuse(rows.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& row : *rows) items.push_back(view(row));
    return ok(page_json(*page, std::move(items)));
}

// One row as JSON: `fetch(transaction)` reads it (a missing row is the store's 404), `view(row)`
// shows it.
template <class Row, class Fetch, class View>
Answer show_one(Call& call, Fetch fetch, View view) {
    auto row =
        call.context.store.read_value<Row>([&](StoreTransaction& transaction) { return fetch(transaction); });
    if (!row)
        return refuse(row.error());
    return ok(view(*row));
}

enum class BodyRule {
    None,      // nothing is read (a body, if any, is ignored)
    Required,  // a JSON object
    Optional,  // a JSON object, or nothing (the empty object)
    Raw,       // not JSON: the handler reads call.raw_body
};

struct RouteRule {
    Action action = Action::Read;
    BodyRule body = BodyRule::None;
    // For an empty required body: what the route needs ("a JSON object with kind and zone").
    std::string_view needs = {};
};

using Handler = std::function<Answer(Call&)>;
using RawHandler = std::function<void(Call&, const httplib::Request&, httplib::Response&)>;

class Routes {
public:
    Routes(ApiServer& server, ApiContext& context);

    void get(const std::string& pattern, RouteRule rule, Handler handler);
    void post(const std::string& pattern, RouteRule rule, Handler handler);
    void put(const std::string& pattern, RouteRule rule, Handler handler);
    void del(const std::string& pattern, RouteRule rule, Handler handler);
    void get_raw(const std::string& pattern, RouteRule rule, RawHandler handler);
    void put_raw(const std::string& pattern, RouteRule rule, RawHandler handler);

private:
    httplib::Server& m_http;
    ApiContext& m_context;
};

}  // namespace bantin::controller::api
