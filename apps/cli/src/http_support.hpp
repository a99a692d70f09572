#pragma once
// Internal to the HTTP commands: the per-run context (client, token, output), command
// registration with the global options, and small printing and file helpers.

#include "bantin/cli/http_client.hpp"
#include "bantin/cli/http_commands.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bantin::cli::detail {

class Context {
public:
    Context(const GlobalOptions& options, std::ostream& out) : m_options(options), m_out(out) {}

    bool json() const { return m_options.json; }
    const GlobalOptions& options() const { return m_options; }
    std::ostream& out() { return m_out; }

    // A client without a token (login).
    Outcome<ApiClient*> anonymous();
    // A client with the session token: $BANTIN_TOKEN, else the token file. No token is an
    // Unreachable (authentication) error telling the user to run `bantin login`.
    Outcome<ApiClient*> signed_in();

    // Sends and checks: the parsed 2xx body or the server's error as one line.
    Outcome<nlohmann::json> get(const std::string& path, const Query& query = {});
    Outcome<nlohmann::json> post(const std::string& path,
                                 const nlohmann::json& body = nlohmann::json::object());
    Outcome<nlohmann::json> put(const std::string& path, const nlohmann::json& body);

    // With --json: the server's JSON, pretty; otherwise nothing (the caller prints for people).
    bool print_json(const nlohmann::json& body);

private:
    const GlobalOptions& m_options;
    std::optional<ApiClient> m_client;
    bool m_has_token = false;
    std::ostream& m_out;
};

using Action = std::function<Outcome<void>(Context&)>;

struct Registrar {
    CLI::App& root;
    std::shared_ptr<GlobalOptions> globals;
    int& status;

    // A command group (`campaign`): needs one of its subcommands.
    CLI::App* group(CLI::App& parent, const std::string& name, const std::string& description);
    // A command that runs `action`; the global options are accepted after it too.
    CLI::App* command(CLI::App& parent, const std::string& name, const std::string& description,
                      Action action);
};

// Runs an action and reports: one line `bantin <path>: <line>` on stderr on failure.
int run_action(const std::string& path, const GlobalOptions& options, const Action& action, std::ostream& out,
               std::ostream& err);

void register_session_commands(Registrar& registrar);  // login, logout, whoami, user
void register_content_commands(Registrar& registrar);  // media, notice, playlist, campaign
void register_fleet_commands(Registrar& registrar);    // device, alert, report
void register_live_commands(Registrar& registrar);     // live

// The ffmpeg command `bantin live` runs (http_commands_live.cpp).
std::vector<std::string> live_ffmpeg_argv(const std::string& ffmpeg, const std::string& input,
                                          const std::string& source_url, const std::string& bitrate);

// --- printing -------------------------------------------------------------------------------

// A JSON value as a table cell: strings as-is, null as "-", arrays joined with ",".
std::string cell(const nlohmann::json& value);
std::string cell(const nlohmann::json& object, const std::string& key);

void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);

// Lists: `--limit`, `--cursor`; prints the page and, when there is more, how to get it.
struct PageOptions {
    int limit = 100;
    std::string cursor;
};
void add_page_options(CLI::App* command, PageOptions& options);
Query page_query(const PageOptions& options);
void print_more(std::ostream& out, const nlohmann::json& page);

// --- files ------------------------------------------------------------------------------------

// Writes `bytes` to `path` with mode 0600 through a temporary file and a rename, creating
// missing parent directories with mode 0700.
Outcome<void> write_private_file(const std::string& path, const std::string& bytes);

std::vector<std::string> split(const std::string& text, char separator);

}  // namespace bantin::cli::detail
