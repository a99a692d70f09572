#include "bantin/cli/http_client.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace bantin::cli {

struct ApiClient::Connection {
    explicit Connection(const std::string& scheme_host_port) : client(scheme_host_port) {}
    httplib::Client client;
};

namespace {

std::string describe(httplib::Error error) {
    switch (error) {
        case httplib::Error::Connection: return "connection refused or host unreachable";
        case httplib::Error::ConnectionTimeout: return "connection timed out";
        case httplib::Error::Read: return "the connection closed before an answer came";
        case httplib::Error::Write: return "the connection closed while sending";
        case httplib::Error::SSLConnection:
        case httplib::Error::SSLServerVerification:
        case httplib::Error::SSLLoadingCerts: return "TLS failed (" + httplib::to_string(error) + ")";
        default: return httplib::to_string(error);
    }
}

std::string percent_encode(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const char character : text) {
        const auto c = static_cast<unsigned char>(character);
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(character);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0x0F]);
        }
    }
    return out;
}

}  // namespace

Outcome<ApiClient> ApiClient::create(const std::string& server_url) {
    std::string url = server_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos)
        return refuse(ExitStatus::Usage, "--server: expected http://host[:port], got \"" + server_url + "\"");
    const std::string scheme = url.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https")
        return refuse(ExitStatus::Usage,
                      "--server: only http and https are spoken, got \"" + server_url + "\"");
    const auto path_start = url.find('/', scheme_end + 3);
    const std::string authority = url.substr(
        scheme_end + 3, path_start == std::string::npos ? std::string::npos : path_start - scheme_end - 3);
    if (authority.empty())
        return refuse(ExitStatus::Usage, "--server: no host in \"" + server_url + "\"");
    std::string prefix = path_start == std::string::npos ? "" : url.substr(path_start);
    auto connection = std::make_unique<Connection>(scheme + "://" + authority);
    if (!connection->client.is_valid())
        return refuse(ExitStatus::Usage, "--server: cannot use \"" + server_url + "\"");
    connection->client.set_connection_timeout(10, 0);
    connection->client.set_read_timeout(300, 0);  // a large upload is probed before the answer
    connection->client.set_write_timeout(60, 0);
    return ApiClient{url, std::move(prefix), std::move(connection)};
}

ApiClient::ApiClient(std::string server_url, std::string prefix, std::unique_ptr<Connection> connection)
    : m_server_url(std::move(server_url)), m_prefix(std::move(prefix)), m_connection(std::move(connection)) {}
ApiClient::ApiClient(ApiClient&&) noexcept = default;
ApiClient& ApiClient::operator=(ApiClient&&) noexcept = default;
ApiClient::~ApiClient() = default;

std::string ApiClient::target(const std::string& path, const Query& query) const {
    std::string out = m_prefix + "/api/v1" + path;
    char separator = '?';
    for (const auto& [key, value] : query) {
        out += separator + percent_encode(key) + "=" + percent_encode(value);
        separator = '&';
    }
    return out;
}

namespace {

httplib::Headers headers_for(const std::string& token) {
    httplib::Headers headers{{"Accept", "application/json"}};
    if (!token.empty())
        headers.emplace("Authorization", "Bearer " + token);
    return headers;
}

Outcome<Reply> answer(const std::string& server_url, const char* method, const std::string& path,
                      httplib::Result& result) {
    if (!result) {
        return refuse(ExitStatus::Unreachable, "cannot reach " + server_url + " (" + method + " /api/v1" +
                                                   path + "): " + describe(result.error()));
    }
    return Reply{result->status, std::move(result->body), result->get_header_value("Content-Type"),
                 result->get_header_value("X-Screenshot-Received")};
}

}  // namespace

Outcome<Reply> ApiClient::get(const std::string& path, const Query& query) {
    auto result = m_connection->client.Get(target(path, query), headers_for(m_token));
    return answer(m_server_url, "GET", path, result);
}

Outcome<Reply> ApiClient::post(const std::string& path, const nlohmann::json& body) {
    auto result =
        m_connection->client.Post(target(path, {}), headers_for(m_token), body.dump(), "application/json");
    return answer(m_server_url, "POST", path, result);
}

Outcome<Reply> ApiClient::put(const std::string& path, const nlohmann::json& body) {
    auto result =
        m_connection->client.Put(target(path, {}), headers_for(m_token), body.dump(), "application/json");
    return answer(m_server_url, "PUT", path, result);
}

Outcome<Reply> ApiClient::post_file(const std::string& path, const Query& query,
                                    const std::filesystem::path& file) {
    std::error_code error;
    const auto size = std::filesystem::file_size(file, error);
    if (error)
        return refuse(ExitStatus::Usage, file.string() + ": " + error.message());
    auto input = std::make_shared<std::ifstream>(file, std::ios::binary);
    if (!*input)
        return refuse(ExitStatus::Usage, file.string() + ": cannot read: " + std::strerror(errno));
    auto provider = [input](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        char buffer[64 * 1024];
        input->seekg(static_cast<std::streamoff>(offset));
        const auto wanted = std::min(length, sizeof buffer);
        input->read(buffer, static_cast<std::streamsize>(wanted));
        const auto got = input->gcount();
        if (got <= 0)
            return false;  // the file shrank under us: abort rather than send a short body
        return sink.write(buffer, static_cast<std::size_t>(got));
    };
    auto result =
        m_connection->client.Post(target(path, query), headers_for(m_token), static_cast<std::size_t>(size),
                                  provider, "application/octet-stream");
    return answer(m_server_url, "POST", path, result);
}

Outcome<nlohmann::json> json_body(const Reply& reply) {
    if (reply.body.empty())
        return nlohmann::json{};
    auto parsed = nlohmann::json::parse(reply.body, nullptr, false);
    if (parsed.is_discarded())
        return refuse(ExitStatus::Refused,
                      std::to_string(reply.status) + ": the server's answer is not JSON");
    return parsed;
}

Outcome<nlohmann::json> expect_success(const Reply& reply) {
    if (reply.status >= 200 && reply.status < 300)
        return json_body(reply);
    std::string line = std::to_string(reply.status);
    auto parsed = nlohmann::json::parse(reply.body, nullptr, false);
    if (parsed.is_object() && parsed.contains("error")) {
        line += " " + parsed["error"].get<std::string>();
        if (parsed.contains("detail") && parsed["detail"].is_string())
            line += ": " + parsed["detail"].get<std::string>();
    } else {
        line += " (no error detail from the server)";
    }
    // One line, whatever the server sent.
    for (char& c : line)
        if (c == '\n' || c == '\r')
            c = ' ';
    return refuse(reply.status == 401 ? ExitStatus::Unreachable : ExitStatus::Refused, std::move(line));
}

}  // namespace bantin::cli
