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
#include <optional>
#include <string>
#include <utility>
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
    "       bantin-controller --config FILE --add-controller NAME  broker account for another controller "
    "of the cluster (prints its password once)\n"
    "       bantin-controller --config FILE --district-broker NAME --zones Z1,Z2 --province HOST:PORT --out "
    "DIR\n"
    "                         [--listen ADDR:PORT] [--province-cafile F [--province-certfile F "
    "--province-keyfile "
    "F]]\n"
    "                         a district broker's files, bridged to this controller's broker\n"
    "       bantin-controller --config FILE --prune-proof          fold proof-of-play rows older than "
    "storage.proof_retention_days into day summaries now\n";

// "host:port" -> {host, port}; nullopt when the port is not 1..65535.
std::optional<std::pair<std::string, std::uint16_t>> host_port(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        return std::nullopt;
    const std::string digits = text.substr(colon + 1);
    if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    const unsigned long port = std::stoul(digits);
    if (port == 0 || port > 65535)
        return std::nullopt;
    return std::pair{text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

std::vector<std::string> comma_list(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const auto end = comma == std::string::npos ? text.size() : comma;
        items.push_back(text.substr(start, end - start));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return items;
}

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
    std::string peer_name;
    std::string district;
    std::string zones_text, province_text, listen_text, out_dir, cafile, certfile, keyfile;
    std::string tls_listen_text, tls_cafile, tls_certfile, tls_keyfile;
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
        } else if (argument == "--add-controller" && has_value) {
            peer_name = arguments[++i];
        } else if (argument == "--district-broker" && has_value) {
            district = arguments[++i];
        } else if (argument == "--zones" && has_value) {
            zones_text = arguments[++i];
        } else if (argument == "--province" && has_value) {
            province_text = arguments[++i];
        } else if (argument == "--listen" && has_value) {
            listen_text = arguments[++i];
        } else if (argument == "--out" && has_value) {
            out_dir = arguments[++i];
        } else if (argument == "--province-cafile" && has_value) {
            cafile = arguments[++i];
        } else if (argument == "--province-certfile" && has_value) {
            certfile = arguments[++i];
        } else if (argument == "--province-keyfile" && has_value) {
            keyfile = arguments[++i];
        } else if (argument == "--tls-listen" && has_value) {
            tls_listen_text = arguments[++i];
        } else if (argument == "--tls-cafile" && has_value) {
            tls_cafile = arguments[++i];
        } else if (argument == "--tls-certfile" && has_value) {
            tls_certfile = arguments[++i];
        } else if (argument == "--tls-keyfile" && has_value) {
            tls_keyfile = arguments[++i];
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
    if (!peer_name.empty()) {
        auto added = bantin::controller::add_peer_controller_account(*config, peer_name);
        if (!added) {
            std::cerr << "bantin-controller: " << one_line(added.error().message()) << '\n';
            return 1;
        }
        std::cout << "bộ điều khiển \"" << peer_name << "\" đã được thêm vào; controller \"" << peer_name
                  << "\" added to " << bantin::controller::peer_controllers_path(*config).string() << "\n"
                  << "mqtt username: " << peer_name << "\nmqtt password: " << *added << "\n"
                  << "The broker accepts it after this controller's next start or device change.\n";
        return 0;
    }
    if (!district.empty()) {
        bantin::controller::DistrictBrokerRequest request;
        request.district = district;
        request.zones = comma_list(zones_text);
        request.directory = out_dir;
        const auto province = host_port(province_text);
        const auto listen = listen_text.empty()
                                ? std::optional{std::pair<std::string, std::uint16_t>{"0.0.0.0", 1883}}
                                : host_port(listen_text);
        const auto tls_listen = tls_listen_text.empty() ? std::nullopt : host_port(tls_listen_text);
        const bool tls_complete =
            tls_listen_text.empty()
                ? tls_cafile.empty() && tls_certfile.empty() && tls_keyfile.empty()
                : tls_listen && !tls_cafile.empty() && !tls_certfile.empty() && !tls_keyfile.empty();
        if (zones_text.empty() || out_dir.empty() || !province || !listen ||
            certfile.empty() != keyfile.empty() || (!certfile.empty() && cafile.empty()) || !tls_complete) {
            std::cerr
                << "bantin-controller: --district-broker cần --zones, --province HOST:PORT và --out DIR; "
                   "--district-broker needs --zones, --province HOST:PORT and --out DIR "
                   "(and --province-certfile with --province-keyfile, both with --province-cafile; "
                   "--tls-listen with --tls-cafile, --tls-certfile and --tls-keyfile)\n"
                << usage;
            return 2;
        }
        request.province_host = province->first;
        request.province_port = province->second;
        request.listen_address = listen->first;
        request.listen_port = listen->second;
        request.run_as_user = config->broker.run_as_user;
        if (tls_listen) {
            bantin::protocol::BrokerTlsListener tls;
            tls.bind_address = tls_listen->first;
            tls.port = tls_listen->second;
            tls.ca_file = tls_cafile;
            tls.cert_file = tls_certfile;
            tls.key_file = tls_keyfile;
            tls.client_certificate = bantin::protocol::ClientCertificate::Optional;
            request.tls = tls;
        }
        if (!cafile.empty())
            request.province_tls = bantin::protocol::BridgeTls{cafile, certfile, keyfile};
        auto written = bantin::controller::write_district_broker_files(*config, request);
        if (!written) {
            std::cerr << "bantin-controller: " << one_line(written.error().message()) << '\n';
            return 1;
        }
        std::cout << "quận/huyện \"" << district << "\": " << written->devices.size()
                  << " thiết bị, tệp cấu hình ở " << out_dir << "; district \"" << district
                  << "\": " << written->devices.size() << " devices, files in " << out_dir << "\n"
                  << "bridge account: " << bantin::protocol::bridge_username(district) << " ("
                  << bantin::controller::bridges_path(*config).string() << ")\n"
                  << "run there: mosquitto -c " << written->files.config_file.string() << "\n";
        if (written->new_password)
            std::cout
                << "Mật khẩu cầu nối mới: máy chủ tỉnh nhận nó khi bộ điều khiển khởi động lại hoặc thiết bị "
                   "thay đổi; new bridge password: the province broker accepts it after the controller's "
                   "next "
                   "start or device change.\n";
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
