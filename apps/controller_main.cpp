// bantin-controller: the central daemon. Parses arguments, loads the config, wires the
// ControllerDaemon and runs it until SIGTERM or SIGINT. Start-up errors are one line on stderr
// and a non-zero exit.

#include "bantin/config/startup.hpp"
#include "bantin/controller/controller_daemon.hpp"
#include "bantin/protocol/mqtt_client.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_signal = 0;
bantin::controller::ControllerDaemon* running_daemon = nullptr;

void on_signal(int signal_number) {
    stop_signal = signal_number;
    if (running_daemon != nullptr)
        running_daemon->request_stop();  // an atomic store: async-signal-safe
}

constexpr const char* usage =
    "usage: bantin-controller --config FILE            run the controller\n"
    "       bantin-controller --check-config FILE      validate a config file\n"
    "       bantin-controller --print-default-config   print every key with its default\n"
    "       bantin-controller --config FILE --init-keys            create the signing key pair\n"
    "       bantin-controller --config FILE --create-admin NAME    create the first admin (password on "
    "stdin)\n"
    "       bantin-controller --config FILE --add-ingest-worker NAME  broker account for a further "
    "proof-of-play ingest worker (prints its password once)\n"
    "       bantin-controller --config FILE --prune-proof          fold proof-of-play rows older than "
    "storage.proof_retention_days into day summaries now\n";

std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n')
            c = ' ';
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> arguments(argv + 1, argv + argc);
    std::string config_file;
    std::string admin_name;
    std::string worker_name;
    bool init = false;
    bool prune = false;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const std::string& argument = arguments[i];
        const bool has_value = i + 1 < arguments.size();
        if (argument == "--help" || argument == "-h") {
            std::cout << usage;
            return 0;
        } else if (argument == "--print-default-config") {
            std::cout << bantin::config::default_config_text(bantin::config::ConfigKind::Controller);
            return 0;
        } else if (argument == "--check-config" && has_value) {
            return bantin::config::check_config_file(bantin::config::ConfigKind::Controller, arguments[i + 1],
                                                     std::cout, std::cerr);
        } else if (argument == "--config" && has_value) {
            config_file = arguments[++i];
        } else if (argument == "--create-admin" && has_value) {
            admin_name = arguments[++i];
        } else if (argument == "--add-ingest-worker" && has_value) {
            worker_name = arguments[++i];
        } else if (argument == "--init-keys") {
            init = true;
        } else if (argument == "--prune-proof") {
            prune = true;
        } else {
            std::cerr << "bantin-controller: unknown or incomplete argument \"" << argument << "\"\n"
                      << usage;
            return 2;
        }
    }
    if (config_file.empty()) {
        std::cerr << "bantin-controller: --config FILE is required\n" << usage;
        return 2;
    }
    auto config = bantin::config::load_controller_config_for_startup(config_file);
    if (!config) {
        std::cerr << config.error() << '\n';
        return 1;
    }
    if (init) {
        auto created = bantin::controller::init_keys(*config);
        if (!created) {
            std::cerr << "bantin-controller: " << one_line(created.error().message()) << '\n';
            return 1;
        }
        std::cout << "key id " << *created << ": " << config->signing_key_path().string() << '\n';
        return 0;
    }
    if (prune) {
        auto pass = bantin::controller::prune_proof(*config);
        if (!pass) {
            std::cerr << "bantin-controller: " << one_line(pass.error().message()) << '\n';
            return 1;
        }
        std::cout << "đã gộp " << pass->rows << " dòng bằng chứng phát của " << pass->days
                  << " ngày-thiết bị vào " << pass->summaries << " dòng tổng hợp; folded " << pass->rows
                  << " proof-of-play rows of " << pass->days << " device-days into " << pass->summaries
                  << " day summaries\n";
        return 0;
    }
    if (!worker_name.empty()) {
        auto added = bantin::controller::add_ingest_worker_account(*config, worker_name);
        if (!added) {
            std::cerr << "bantin-controller: " << one_line(added.error().message()) << '\n';
            return 1;
        }
        std::cout << "ingest worker \"" << worker_name << "\" added to "
                  << bantin::controller::ingest_workers_path(*config).string() << "\n"
                  << "mqtt username: " << worker_name << "\nmqtt password: " << *added << "\n"
                  << "The broker accepts it after the controller's next start or device change.\n";
        return 0;
    }
    if (!admin_name.empty()) {
        std::string password;
        std::getline(std::cin, password);
        auto created = bantin::controller::create_admin(*config, admin_name, password);
        if (!created) {
            std::cerr << "bantin-controller: " << one_line(created.error().message()) << '\n';
            return 1;
        }
        std::cout << "admin \"" << admin_name << "\" created\n";
        return 0;
    }

    bantin::protocol::MosquittoLibrary mosquitto;
    bantin::SystemClock clock;
    auto daemon = bantin::controller::ControllerDaemon::create(*config, clock);
    if (!daemon) {
        std::cerr << "bantin-controller: " << one_line(daemon.error().message()) << '\n';
        return 1;
    }
    running_daemon = daemon->get();
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    if (auto started = (*daemon)->start(); !started) {
        std::cerr << "bantin-controller: " << one_line(started.error().message()) << '\n';
        (*daemon)->stop();
        return 1;
    }
    auto ran = (*daemon)->run();
    (*daemon)->stop();
    running_daemon = nullptr;
    if (!ran) {
        std::cerr << "bantin-controller: " << one_line(ran.error().message()) << '\n';
        return 1;
    }
    spdlog::info("bantin-controller: stopped (signal {})", static_cast<int>(stop_signal));
    return 0;
}
