// `bantin`: the officer's command-line tool. Thin: builds the command tree and runs it.
#include "bantin/cli/http_commands.hpp"
#include "bantin/cli/schedule_commands.hpp"

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
    CLI::App app{"bantin: schedule, publish and watch a town's screens and loudspeakers"};
    app.require_subcommand(1);
    int status = 0;
    bantin::cli::add_schedule_commands(app, status);
    bantin::cli::add_http_commands(app, status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return bantin::cli::parse_failure_status(app, error);
    }
    return status;
}
