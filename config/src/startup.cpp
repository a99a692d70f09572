#include "bantin/config/startup.hpp"

#include <ostream>

namespace bantin::config {

std::string describe_config_error(const Error& error) {
    // Loader details already say where; only a bare code would need the code's name.
    if (error.detail.empty())
        return std::string(bantin::to_string(error.code));
    return error.detail;
}

std::expected<ControllerConfig, std::string> load_controller_config_for_startup(
    const std::filesystem::path& path) {
    auto config = load_controller_config(path);
    if (!config)
        return std::unexpected(describe_config_error(config.error()));
    return std::move(*config);
}

std::expected<PlayerConfig, std::string> load_player_config_for_startup(const std::filesystem::path& path) {
    auto config = load_player_config(path);
    if (!config)
        return std::unexpected(describe_config_error(config.error()));
    return std::move(*config);
}

int check_config_file(ConfigKind kind, const std::filesystem::path& path, std::ostream& out,
                      std::ostream& err) {
    std::string problems;
    if (kind == ConfigKind::Controller) {
        auto config = load_controller_config_for_startup(path);
        if (!config)
            problems = std::move(config.error());
    } else {
        auto config = load_player_config_for_startup(path);
        if (!config)
            problems = std::move(config.error());
    }
    if (!problems.empty()) {
        err << problems << '\n';
        return 1;
    }
    out << path.string() << ": ok\n";
    return 0;
}

std::string default_config_text(ConfigKind kind) {
    if (kind == ConfigKind::Controller)
        return render_controller_config(ControllerConfig{});
    return render_player_config(PlayerConfig{});
}

}  // namespace bantin::config
