#include "bantin/controller/web_console.hpp"

#include "bantin/controller/http_server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>
#include <utility>

namespace bantin::controller {

namespace {

// No inline script or style, nothing from elsewhere, never inside a frame. `data:` and
// `blob:` images and media are the previews of uploads the console makes itself.
constexpr std::string_view content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

void set_console_headers(httplib::Response& response) {
    response.set_header("Content-Security-Policy", std::string{content_security_policy});
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("X-Frame-Options", "DENY");
    response.set_header("Referrer-Policy", "no-referrer");
    // Revalidate every time: a new console version must not mix with cached modules.
    response.set_header("Cache-Control", "no-cache");
}

bool has_index(const std::filesystem::path& directory) {
    std::error_code error;
    return std::filesystem::is_regular_file(directory / "index.html", error);
}

std::optional<std::string> read_whole_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        return std::nullopt;
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad())
        return std::nullopt;
    return std::move(text).str();
}

// `relative` has already passed the route's shape check (no `..`, no leading dot, no
// backslash); the canonical comparison also keeps symbolic links from leading out of the root.
std::optional<std::filesystem::path> resolve_inside(const std::filesystem::path& root,
                                                    const std::string& relative) {
    std::error_code error;
    auto file = std::filesystem::weakly_canonical(root / relative, error);
    if (error)
        return std::nullopt;
    const auto base = std::filesystem::weakly_canonical(root, error);
    if (error)
        return std::nullopt;
    auto [root_end, file_it] = std::mismatch(base.begin(), base.end(), file.begin(), file.end());
    if (root_end != base.end())
        return std::nullopt;
    if (!std::filesystem::is_regular_file(file, error))
        return std::nullopt;
    return file;
}

void serve_console_file(const std::filesystem::path& root, const std::string& relative,
                        const httplib::Request& request, httplib::Response& response) {
    const auto content_type = web_content_type(relative);
    auto file = content_type.empty() ? std::nullopt : resolve_inside(root, relative);
    std::optional<std::string> body = file ? read_whole_file(*file) : std::nullopt;
    if (!body) {
        send_error(response, 404, "not-found", "no console file " + request.path);
        set_console_headers(response);
        return;
    }
    set_console_headers(response);
    response.status = 200;
    response.set_content(std::move(*body), std::string{content_type});
}

}  // namespace

std::filesystem::path current_executable() {
    std::error_code error;
    auto path = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::filesystem::path{} : path;
}

std::optional<std::filesystem::path> find_web_root(const config::ControllerConfig& config,
                                                   const std::filesystem::path& executable) {
    if (!config.http.web_root.empty()) {
        if (has_index(config.http.web_root))
            return config.http.web_root;
        return std::nullopt;
    }
    if (executable.empty())
        return std::nullopt;
    // <prefix>/bin/bantin-controller -> <prefix>/share/bantin/web;
    // <source>/build/apps/bantin-controller -> <source>/web. Four levels cover both.
    auto directory = executable.parent_path();
    for (int level = 0; level < 4 && !directory.empty(); ++level) {
        for (const auto& candidate : {directory / "share" / "bantin" / "web", directory / "web"}) {
            if (has_index(candidate))
                return candidate;
        }
        if (directory == directory.root_path())
            break;
        directory = directory.parent_path();
    }
    return std::nullopt;
}

std::string_view web_content_type(std::string_view file_name) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> types{{
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    }};
    for (const auto& [extension, type] : types) {
        if (file_name.size() > extension.size() && file_name.ends_with(extension))
            return type;
    }
    return {};
}

void register_web_console(ApiServer& server, const config::ControllerConfig& config) {
    auto root = find_web_root(config, current_executable());
    if (root)
        spdlog::info("web console: serving {}", root->string());
    else if (!config.http.web_root.empty())
        spdlog::warn("web console: http.web_root {} has no index.html; the console is not served",
                     config.http.web_root.string());
    else
        spdlog::warn("web console: no web root found near the executable; set [http] web_root");
    register_web_console(server, std::move(root));
}

void register_web_console(ApiServer& server, std::optional<std::filesystem::path> web_root) {
    auto& http = server.http();
    // Folder names: letters, digits, `_` and `-`; the file name may have dots but cannot start
    // with one, so neither `..` nor hidden files match. Registered after the API routes; paths
    // under /api/ answer the API's own "no route" error.
    static const std::string file_pattern = R"(/((?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*))";
    if (!web_root) {
        auto not_installed = [](const httplib::Request& request, httplib::Response& response) {
            if (request.path.starts_with("/api/")) {
                send_error(response, 404, "not-found",
                           "không có đường dẫn " + request.method + " " + request.path + "; no route for " +
                               request.method + " " + request.path);
                return;
            }
            send_error(response, 404, "not-found",
                       "the web console is not installed on this controller; set [http] web_root");
        };
        http.Get("/", not_installed);
        http.Get(file_pattern, not_installed);
        return;
    }
    const std::filesystem::path root = std::move(*web_root);
    http.Get("/", [root](const httplib::Request& request, httplib::Response& response) {
        serve_console_file(root, "index.html", request, response);
    });
    http.Get(file_pattern, [root](const httplib::Request& request, httplib::Response& response) {
        if (request.path.starts_with("/api/")) {
            send_error(response, 404, "not-found",
                       "không có đường dẫn " + request.method + " " + request.path + "; no route for " +
                           request.method + " " + request.path);
            return;
        }
        serve_console_file(root, path_match(request, 1), request, response);
    });
}

}  // namespace bantin::controller
