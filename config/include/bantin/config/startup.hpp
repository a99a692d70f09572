#pragma once
// What an executable needs from bantin::config at start-up, in three calls:
//
//   // --check-config FILE: prints "FILE: ok" or every error; use the result as exit status.
//   return bantin::config::check_config_file(ConfigKind::Player, file, std::cout, std::cerr);
//
//   // --print-default-config
//   std::cout << bantin::config::default_config_text(ConfigKind::Player);
//
//   // normal start: one message, possibly several lines, each "file:line: key: problem"
//   auto config = bantin::config::load_player_config_for_startup(file);
//   if (!config) { std::cerr << config.error() << '\n'; return 1; }
//
// No state, any thread. Nothing here throws.

#include "bantin/config/controller_config.hpp"
#include "bantin/config/player_config.hpp"

#include <expected>
#include <filesystem>
#include <iosfwd>
#include <string>

namespace bantin::config {

enum class ConfigKind { Controller, Player };

// The text to print for a failed load: every problem, one per line, no trailing newline.
std::string describe_config_error(const Error& error);

std::expected<ControllerConfig, std::string> load_controller_config_for_startup(
    const std::filesystem::path& path);
std::expected<PlayerConfig, std::string> load_player_config_for_startup(const std::filesystem::path& path);

// Loads and validates `path` as `kind`. Valid: writes "<path>: ok\n" to `out`, returns 0.
// Otherwise writes every error line to `err` and returns 1.
int check_config_file(ConfigKind kind, const std::filesystem::path& path, std::ostream& out,
                      std::ostream& err);

// render_*_config of a default-constructed config.
std::string default_config_text(ConfigKind kind);

}  // namespace bantin::config
