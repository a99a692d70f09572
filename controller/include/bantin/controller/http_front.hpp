#pragma once
// The HTTP front: Debian's nginx, run by the controller in front of its cpp-httplib API server
// when [http] front = "nginx" (docs/api.md, "The HTTP front"; the evidence for it is there).
//
// nginx binds http.listen_address:http.port, bounds slow clients (client_header_timeout,
// client_body_timeout, send_timeout, limit_conn per address), refuses ambiguous framing
// (duplicate Content-Length, Content-Length with Transfer-Encoding, a GET or HEAD with a body)
// and bodies over the upload limit (413) before the backend sees a byte, asks the backend
// whether an upload's session may upload (auth_request) before it reads the upload's body,
// buffers every request body and hands it to the API server on 127.0.0.1 with one
// Content-Length, one request per connection (Connection: close), with X-Forwarded-For set to
// the client's address.
//
// HttpFront::start writes <directory>/nginx.conf (0600; pid, logs and temporary files all in
// <directory>, so nginx runs as the controller's user) and runs nginx as a supervised child
// (media::SupervisedProcess: the port is refused loudly when taken, the child is restarted
// when it dies and dies with the controller). stop() stops it; the destructor too.
//
// Threads: start/stop on the owner's thread; health() from any thread.
// Errors: Conflict naming the port when it is taken; Io or Timeout when nginx does not start
// (the detail carries the tail of its error log).

#include "bantin/common/error.hpp"
#include "bantin/media/supervised_process.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace bantin::config {
struct ControllerConfig;
}

namespace httplib {
struct Request;
}

namespace bantin::controller {

class ApiServer;
struct ApiContext;

struct HttpFrontOptions {
    std::string listen_address = "127.0.0.1";
    std::uint16_t port = 0;
    std::uint16_t backend_port = 0;   // the API server on 127.0.0.1
    std::filesystem::path directory;  // nginx.conf, nginx.pid, error.log, tmp/
    std::filesystem::path nginx_binary = "/usr/sbin/nginx";
    std::uint64_t max_body_bytes = 0;   // client_max_body_size: the upload limit
    int connections_per_address = 256;  // limit_conn; 127.0.0.1 is not limited
};

// Timeouts written into nginx.conf (documented in docs/api.md).
inline constexpr int front_header_timeout_s = 10;
inline constexpr int front_body_timeout_s = 30;
inline constexpr int front_send_timeout_s = 30;
inline constexpr int front_keepalive_timeout_s = 30;
inline constexpr int front_worker_connections = 16384;
// The backend route nginx's auth_request asks before it reads an upload's body: 204 when the
// request's session may upload (or list, for GET), else the 401/403 the route would answer.
inline constexpr const char* front_upload_check_route = "/api/v1/front/upload-check";

// The nginx.conf text for `options` (pure; unit-tested).
std::string render_nginx_conf(const HttpFrontOptions& options);

// Options from [http] and [storage]: the front directory is <data_dir>/http-front.
HttpFrontOptions front_options(const config::ControllerConfig& config, std::uint16_t backend_port);

class HttpFront {
public:
    static Result<std::unique_ptr<HttpFront>> start(HttpFrontOptions options);
    ~HttpFront();
    HttpFront(const HttpFront&) = delete;
    HttpFront& operator=(const HttpFront&) = delete;

    void stop();
    media::ProcessHealth health() const;
    pid_t pid() const { return m_process ? m_process->pid() : -1; }
    const HttpFrontOptions& options() const { return m_options; }

private:
    explicit HttpFront(HttpFrontOptions options) : m_options(std::move(options)) {}
    HttpFrontOptions m_options;
    std::unique_ptr<media::SupervisedProcess> m_process;
};

// The route nginx's auth_request calls (front_upload_check_route). Registered on every API
// server: harmless without a front.
void register_front_routes(ApiServer& server, ApiContext& context);

// The client's address for rate limits and logs: X-Forwarded-For (set by the front, which
// overwrites whatever the client sent) when the front is managed and the request came from
// 127.0.0.1; else the connection's address.
std::string client_address(const config::ControllerConfig& config, const httplib::Request& request);

}  // namespace bantin::controller
