#pragma once
// The web console (docs/web.md): the static files under the web root (index.html, ES modules,
// style sheet) served by the API server on the same port, so the console's fetch() calls to
// /api/v1 are same-origin and the session cookie (SameSite=Strict) goes with them.
//
// Lifecycle: register_web_console() adds GET routes to an ApiServer before start(), after the
// API routes (routes under /api/ never reach it). The web root is resolved once, at
// registration; files are read from disk on every request, so an updated console needs no
// restart.
//
// Threads: handlers run on httplib's pool; they only read files.
//
// Errors: a path outside the allowed shape (anything but letters, digits, `_`, `-` in folder
// names and a known extension on the file) or a missing file answers 404 with the API's
// `{"error": "not-found", "detail"}`. When no web root is found the console routes answer 404
// saying so, and the API keeps working.

#include "bantin/config/controller_config.hpp"

#include <filesystem>
#include <optional>
#include <string_view>

namespace bantin::controller {

class ApiServer;

// The directory the console is served from: [http] web_root when set; else, searching upwards
// from the folder of `executable`, the first `share/bantin/web` or `web` that holds an
// index.html (an installed prefix, or the source tree above a build directory). nullopt when
// none is found.
std::optional<std::filesystem::path> find_web_root(const config::ControllerConfig& config,
                                                   const std::filesystem::path& executable);

// The running process's executable (/proc/self/exe); empty if it cannot be read.
std::filesystem::path current_executable();

// The Content-Type for a console file name by its extension; empty for an extension the
// console does not serve.
std::string_view web_content_type(std::string_view file_name);

// Adds `GET /` (index.html) and `GET /<folder>/<file>.<ext>` for the web root found by
// find_web_root(config, current_executable()). Console answers carry a Content-Security-Policy
// without inline script, X-Content-Type-Options: nosniff and frame-ancestors 'none'.
void register_web_console(ApiServer& server, const config::ControllerConfig& config);

// The same with an explicit root (tests); nullopt registers the "not installed" answer.
void register_web_console(ApiServer& server, std::optional<std::filesystem::path> web_root);

}  // namespace bantin::controller
