// The nginx.conf the controller writes for its HTTP front, and which address the API server
// takes as the client's (X-Forwarded-For only from the front).

#include "bantin/controller/http_front.hpp"
#include "bantin/config/controller_config.hpp"

#include <httplib.h>
#include <catch2/catch.hpp>

using namespace bantin;

TEST_CASE(
    "the front's nginx.conf bounds slow clients, framing and bodies and keeps its files in its directory",
    "[http][front]") {
    controller::HttpFrontOptions options;
    options.listen_address = "0.0.0.0";
    options.port = 8080;
    options.backend_port = 41234;
    options.directory = "/var/lib/bantin/http-front";
    options.max_body_bytes = 512ULL * 1024 * 1024 + 65536;
    options.connections_per_address = 256;
    const std::string text = controller::render_nginx_conf(options);
    for (const char* line : {"daemon off;\n",
                             "master_process off;\n",
                             "pid /var/lib/bantin/http-front/nginx.pid;\n",
                             "error_log /var/lib/bantin/http-front/error.log warn;\n",
                             "client_body_temp_path /var/lib/bantin/http-front/tmp/body;\n",
                             "proxy_temp_path /var/lib/bantin/http-front/tmp/proxy;\n",
                             "client_header_timeout 10s;\n",
                             "client_body_timeout 30s;\n",
                             "send_timeout 30s;\n",
                             "client_max_body_size 536936448;\n",
                             "large_client_header_buffers 4 16k;\n",
                             "limit_conn bantin_per_address 256;\n",
                             "listen 0.0.0.0:8080 default_server backlog=4096;\n",
                             "server 127.0.0.1:41234 max_fails=0;\n",
                             "proxy_set_header Connection \"close\";\n",
                             "proxy_set_header X-Forwarded-For $remote_addr;\n",
                             "proxy_request_buffering on;\n",
                             "auth_request /_bantin/upload-check;\n",
                             "proxy_pass http://bantin_backend/api/v1/front/upload-check;\n",
                             "worker_connections 16384;\n"}) {
        INFO(line);
        CHECK(text.find(line) != std::string::npos);
    }
    // Nothing outside the front's directory is written: no /var/log, no /run.
    CHECK(text.find("/var/log") == std::string::npos);
    CHECK(text.find("/run/") == std::string::npos);
}

TEST_CASE("the client's address is X-Forwarded-For only when it comes from the managed front",
          "[http][front][auth]") {
    config::ControllerConfig config;
    httplib::Request request;
    request.remote_addr = "127.0.0.1";
    request.headers.emplace("X-Forwarded-For", "203.0.113.7");
    config.http.front = config::HttpFront::Nginx;
    CHECK(controller::client_address(config, request) == "203.0.113.7");

    // Not through the front: a client cannot choose its address for the login rate limit.
    request.remote_addr = "198.51.100.2";
    CHECK(controller::client_address(config, request) == "198.51.100.2");
    config.http.front = config::HttpFront::None;
    request.remote_addr = "127.0.0.1";
    CHECK(controller::client_address(config, request) == "127.0.0.1");

    config.http.front = config::HttpFront::Nginx;
    httplib::Request plain;
    plain.remote_addr = "127.0.0.1";
    CHECK(controller::client_address(config, plain) == "127.0.0.1");
}
