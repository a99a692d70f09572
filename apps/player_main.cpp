// bantin-player: the device daemon. Parses arguments, loads the player config and the
// provisioning file it names, then runs bantin::player::Daemon in the foreground until
// SIGTERM or SIGINT. A bad config or provisioning file exits 1 with the problem on stderr.

#include "bantin/config/startup.hpp"
#include "bantin/player/daemon.hpp"
#include "bantin/protocol/mqtt_client.hpp"
#include "bantin/protocol/provisioning.hpp"

#include <spdlog/spdlog.h>

#include <pthread.h>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

namespace {

constexpr std::string_view usage =
    "usage: bantin-player --config FILE\n"
    "       bantin-player --check-config FILE\n"
    "       bantin-player --print-default-config\n";

spdlog::level::level_enum spdlog_level(bantin::config::LogLevel level) {
    using bantin::config::LogLevel;
    switch (level) {
        case LogLevel::Trace: return spdlog::level::trace;
        case LogLevel::Debug: return spdlog::level::debug;
        case LogLevel::Info: return spdlog::level::info;
        case LogLevel::Warn: return spdlog::level::warn;
        case LogLevel::Error: return spdlog::level::err;
        case LogLevel::Critical: return spdlog::level::critical;
        case LogLevel::Off: return spdlog::level::off;
    }
    return spdlog::level::info;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace bantin;
    const std::vector<std::string_view> arguments(argv + 1, argv + argc);
    if (arguments.size() == 1 && arguments[0] == "--print-default-config") {
        std::cout << config::default_config_text(config::ConfigKind::Player);
        return 0;
    }
    if (arguments.size() == 1 && (arguments[0] == "--help" || arguments[0] == "-h")) {
        std::cout << usage;
        return 0;
    }
    if (arguments.size() == 2 && arguments[0] == "--check-config") {
        return config::check_config_file(config::ConfigKind::Player, std::string(arguments[1]), std::cout,
                                         std::cerr);
    }
    if (arguments.size() != 2 || arguments[0] != "--config") {
        std::cerr << usage;
        return 2;
    }

    auto loaded = config::load_player_config_for_startup(std::string(arguments[1]));
    if (!loaded) {
        std::cerr << loaded.error() << '\n';
        return 1;
    }
    auto provisioning = protocol::load_provisioning_file(loaded->provisioning_file);
    if (!provisioning) {
        std::cerr << loaded->provisioning_file.string() << ": " << provisioning.error().message() << '\n';
        return 1;
    }
    spdlog::set_level(spdlog_level(loaded->log.level));

    // SIGTERM and SIGINT are blocked in every thread (threads inherit the mask) and taken by
    // one thread with sigwait(), which asks the loop to stop.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGUSR1);  // used to end the waiting thread after a normal exit
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    const protocol::MosquittoLibrary mosquitto_library;
    const SystemClock clock;
    player::DaemonOptions options;
    options.config = *loaded;
    options.provisioning = *provisioning;
    auto daemon = player::Daemon::create(std::move(options), clock);
    if (!daemon) {
        std::cerr << "bantin-player: " << daemon.error().message() << '\n';
        return 1;
    }
    std::thread signal_waiter([&] {
        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        if (signal_number != SIGUSR1) {
            spdlog::info("signal {}: stopping", signal_number);
            (*daemon)->request_stop();
        }
    });
    auto ran = (*daemon)->run();
    pthread_kill(signal_waiter.native_handle(), SIGUSR1);
    signal_waiter.join();
    if (!ran) {
        std::cerr << "bantin-player: " << ran.error().message() << '\n';
        return 1;
    }
    return 0;
}
