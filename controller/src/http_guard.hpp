#pragma once
// Internal to the API server (http_server.cpp): the HTTP front that holds against anyone on the
// network (docs/hostile-input.md). make_guarded_server() is an httplib::Server whose connection
// loop caps the request head and body, screens the framing (Content-Length, Transfer-Encoding)
// before routing, closes after every refusal with a lingering close, and never lets an
// exception reach its thread; install_guard_handlers() adds the handlers that answer those
// refusals and the length limits before any body byte is read, the generic 500 (details only
// in the log), the JSON error bodies httplib leaves empty, and nosniff on every answer.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace bantin::controller {

std::unique_ptr<httplib::Server> make_guarded_server(std::uint64_t json_limit, std::uint64_t upload_limit);
void install_guard_handlers(httplib::Server& server, std::uint64_t json_limit, std::uint64_t upload_limit);

// POST, PUT, PATCH and DELETE: the methods a cookie session must send its CSRF token with.
bool is_unsafe_method(std::string_view method);
// A decimal integer, the whole text (no sign, spaces or base prefix); nullopt otherwise.
std::optional<std::int64_t> parse_decimal(std::string_view text);
// Routes registered with a content reader (uploads) check their own limit while reading.
bool streams_its_body(const httplib::Request& request);

}  // namespace bantin::controller
