#pragma once
// `bantin schedule` and `bantin conflicts`: an officer's (and a test's) view of the resolver
// on a model file. Each command writes its report to `out` and one-line errors to `err`, and
// returns the process exit status (0 ok, 1 bad input, 2 usage).

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <optional>
#include <string>

namespace bantin::cli {

struct ScheduleOptions {
    std::string model_path;
    std::string device;
    std::string day;  // local date YYYY-MM-DD in the device's time zone
    std::string from = "00:00";
    std::string to = "24:00";
    bool json = false;
    bool include_drafts = false;
};

struct ConflictOptions {
    std::string model_path;
    std::string campaign;  // empty: every campaign
    std::string day;       // first local day (default: today in UTC+7's calendar is not assumed: required)
    int days = 14;
    bool json = false;
};

int run_schedule(const ScheduleOptions& options, std::ostream& out, std::ostream& err);
int run_conflicts(const ConflictOptions& options, std::ostream& out, std::ostream& err);

// Registers both subcommands on `app`; `status` receives the exit status of the one that ran.
void add_schedule_commands(CLI::App& app, int& status);

}  // namespace bantin::cli
