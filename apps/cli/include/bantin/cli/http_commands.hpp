#pragma once
// The `bantin` commands that work through the controller's HTTP API (docs/cli.md): login,
// logout, whoami, user, media, notice, playlist, campaign, device, alert, report.
//
// add_http_commands() registers them on the root app together with the global options
// `--server`, `--token-file` and `--json` (accepted before or after the subcommand). Each
// command prints its result on stdout (a table, or the server's JSON with `--json`) and, on
// failure, one line on stderr, `bantin <command>: <what went wrong>`, and sets `status` to
// an ExitStatus (http_client.hpp): 1 the server refused, 2 usage, 3 network or authentication.
//
// parse_failure_status() is what main() returns for a CLI11 parse error: `--help` prints the
// help and gives 0; any other parse error prints one line and gives 2.
//
// Threads: everything runs on the main thread during app.parse().

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace bantin::cli {

struct GlobalOptions {
    std::string server;      // empty: $BANTIN_SERVER, else http://127.0.0.1:8080
    std::string token_file;  // empty: ~/.config/bantin/token
    bool json = false;
};

void add_http_commands(CLI::App& app, int& status);

int parse_failure_status(CLI::App& app, const CLI::ParseError& error);

// What `bantin live` asks of ffmpeg after its input, up to the URL: Opus in Ogg, mono 48 kHz at
// `bitrate`, low-delay mode, 10 ms frames, an Ogg page every 20 ms and every packet flushed.
// MP3 was measured at 330 ms p50 through Icecast at 64 kb/s (its data moves in blocks of bytes,
// so low bitrates wait longest); this at 70 ms (docs/api.md "Live channels", figures).
std::vector<std::string> live_encoder_arguments(const std::string& bitrate);

// The server URL and token file the options resolve to (environment and defaults applied).
std::string resolve_server(const GlobalOptions& options);
std::string resolve_token_file(const GlobalOptions& options);

}  // namespace bantin::cli
