// Smoke tests of the bantin-controller executable: arguments, config checks, one-line start-up
// errors, the key and admin commands, and a clean stop on SIGTERM.

#include "support/mosquitto_broker.hpp"
#include "support/postgres_server.hpp"
#include "support/process_probes.hpp"
#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#ifdef BANTIN_CONTROLLER_CLI

using namespace bantin;
namespace fs = std::filesystem;

namespace {

test::CommandResult cli(const std::vector<std::string>& arguments,
                        const testing::TemporaryDirectory& directory) {
    std::vector<std::string> command{BANTIN_CONTROLLER_CLI};
    command.insert(command.end(), arguments.begin(), arguments.end());
    return test::run_command(command, fs::path{directory.path()} / "cli.out", std::chrono::seconds(20));
}

std::string write_config(const testing::TemporaryDirectory& directory, std::uint16_t http_port,
                         std::uint16_t broker_port) {
    const fs::path path = fs::path{directory.path()} / "controller.toml";
    std::ofstream out(path);
    out << "[http]\nport = " << http_port << "\n[storage]\ndata_dir = \"" << directory.path().string()
        << "/data\"\n[broker]\nport = " << broker_port << "\nrun_as_user = \""
        << (::geteuid() == 0 ? "root" : "") << "\"\n[mqtt]\nport = " << broker_port << "\n";
    return path.string();
}

// Rewrites a config written by write_config to keep its store in PostgreSQL at `conninfo`.
void use_postgresql_store(const std::string& config, const std::string& conninfo) {
    std::string text;
    {
        std::ifstream in(config);
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    const auto at = text.find("[storage]\n");
    REQUIRE(at != std::string::npos);
    text.insert(at + 10, "backend = \"postgresql\"\npostgresql = \"" + conninfo + "\"\n");
    std::ofstream(config, std::ios::trunc) << text;
}

}  // namespace

TEST_CASE("bantin-controller --help and --print-default-config, which --check-config accepts",
          "[fleet][cli][integration]") {
    testing::TemporaryDirectory directory;
    auto help = cli({"--help"}, directory);
    CHECK(help.exit_code == 0);
    CHECK(help.output.find("--create-admin NAME") != std::string::npos);
    auto defaults = cli({"--print-default-config"}, directory);
    REQUIRE(defaults.exit_code == 0);
    const fs::path file = fs::path{directory.path()} / "default.toml";
    std::ofstream(file) << defaults.output;
    auto checked = cli({"--check-config", file.string()}, directory);
    CHECK(checked.exit_code == 0);
    CHECK(checked.output.find(": ok") != std::string::npos);
}

TEST_CASE("bantin-controller --add-ingest-worker prints a password once and refuses the same name",
          "[fleet][cli][ingest-worker][integration]") {
    testing::TemporaryDirectory directory;
    const auto config = write_config(directory, 18080, 18830);
    auto added = cli({"--config", config, "--add-ingest-worker", "ingest-2"}, directory);
    INFO(added.output);
    REQUIRE(added.exit_code == 0);
    const auto at = added.output.find("mqtt password: ");
    REQUIRE(at != std::string::npos);
    const std::string password = added.output.substr(at + 15, 32);
    const fs::path file = fs::path{directory.path()} / "data" / "keys" / "ingest-workers";
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    CHECK(text.find("ingest-2:$7$") != std::string::npos);
    CHECK(text.find(password) == std::string::npos);
    auto again = cli({"--config", config, "--add-ingest-worker", "ingest-2"}, directory);
    CHECK(again.exit_code == 1);
    CHECK(again.output.find("already exists") != std::string::npos);
    auto controller_name = cli({"--config", config, "--add-ingest-worker", "controller"}, directory);
    CHECK(controller_name.exit_code == 1);
}

TEST_CASE("bantin-controller refuses a bad config and a missing key with one line",
          "[fleet][cli][integration]") {
    testing::TemporaryDirectory directory;
    const fs::path bad = fs::path{directory.path()} / "bad.toml";
    std::ofstream(bad) << "[http]\nport = 0\n";
    auto refused = cli({"--check-config", bad.string()}, directory);
    CHECK(refused.exit_code == 1);
    CHECK(refused.output.find("http.port") != std::string::npos);

    const std::string config =
        write_config(directory, test::MosquittoBroker::free_port(), test::MosquittoBroker::free_port());
    auto missing_key = cli({"--config", config}, directory);
    CHECK(missing_key.exit_code == 1);
    CHECK(missing_key.output.find("--init-keys") != std::string::npos);
    CHECK(std::count(missing_key.output.begin(), missing_key.output.end(), '\n') == 1);
    auto unknown = cli({"--frobnicate"}, directory);
    CHECK(unknown.exit_code == 2);
}

TEST_CASE("bantin-controller refuses an unreachable or malformed PostgreSQL store with one bilingual line",
          "[fleet][cli][integration][postgresql]") {
    testing::TemporaryDirectory directory;
    const std::string config =
        write_config(directory, test::MosquittoBroker::free_port(), test::MosquittoBroker::free_port());
    const auto nobody = test::MosquittoBroker::free_port();  // nothing listens there
    for (const std::string& conninfo :
         {"host=127.0.0.1 port=" + std::to_string(nobody) + " dbname=bantin user=bantin password=s3cret-pw",
          std::string{"host=127.0.0.1 port"}, std::string{"postgresql://bantin:s3cret-pw@[::1/bantin"}}) {
        CAPTURE(conninfo);
        const fs::path with_store = fs::path{directory.path()} / "postgresql.toml";
        fs::copy_file(config, with_store, fs::copy_options::overwrite_existing);
        use_postgresql_store(with_store.string(), conninfo);
        for (const std::vector<std::string>& command :
             {std::vector<std::string>{"--config", with_store.string()},
              std::vector<std::string>{"--config", with_store.string(), "--add-ingest-worker", "ingest-9"}}) {
            auto refused = cli(command, directory);
            INFO(refused.output);
            CHECK(refused.exit_code == 1);
            CHECK(refused.output.find("storage.postgresql: ") != std::string::npos);
            CHECK(refused.output.find("PostgreSQL") != std::string::npos);
            CHECK(refused.output.find("s3cret-pw") == std::string::npos);
            CHECK(std::count(refused.output.begin(), refused.output.end(), '\n') == 1);
        }
    }
}

TEST_CASE("bantin-controller creates keys and the first admin once, runs, and stops on SIGTERM",
          "[fleet][cli][integration][postgresql]") {
    // On the embedded SQLite store, then on a PostgreSQL database.
    const bool on_postgresql = GENERATE(false, true);
    CAPTURE(on_postgresql);
    testing::TemporaryDirectory directory;
    const std::uint16_t http_port = test::MosquittoBroker::free_port();
    const std::uint16_t broker_port = test::MosquittoBroker::free_port();
    const std::string config = write_config(directory, http_port, broker_port);
    test::PostgresServer* server = nullptr;
    std::string database;
    if (on_postgresql) {
        auto shared = test::PostgresServer::shared();
        if (!shared)
            FAIL(shared.error().message());
        server = *shared;
        auto created = server->create_database("bantin_cli");
        REQUIRE(created);
        database = *created;
        use_postgresql_store(config, server->conninfo(database));
    }
    CHECK(cli({"--config", config, "--init-keys"}, directory).exit_code == 0);
    CHECK(cli({"--config", config, "--init-keys"}, directory).exit_code == 1);
    const fs::path password = fs::path{directory.path()} / "password.txt";
    std::ofstream(password) << "a-long-password-123\n";
    auto admin = test::run_command({"/bin/sh", "-c",
                                    std::string{BANTIN_CONTROLLER_CLI} + " --config '" + config +
                                        "' --create-admin boss < '" + password.string() + "'"},
                                   fs::path{directory.path()} / "admin.out");
    CHECK(admin.exit_code == 0);
    auto second = test::run_command({"/bin/sh", "-c",
                                     std::string{BANTIN_CONTROLLER_CLI} + " --config '" + config +
                                         "' --create-admin boss2 < '" + password.string() + "'"},
                                    fs::path{directory.path()} / "admin2.out");
    CHECK(second.exit_code == 1);

    auto daemon = test::ChildProcess::spawn({BANTIN_CONTROLLER_CLI, "--config", config},
                                            fs::path{directory.path()} / "daemon.out");
    REQUIRE(daemon);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!test::MosquittoBroker::port_accepts(http_port) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    INFO(daemon->output());
    REQUIRE(test::MosquittoBroker::port_accepts(http_port));
    CHECK(test::MosquittoBroker::port_accepts(broker_port));
    daemon->send_signal(SIGTERM);
    auto code = daemon->wait_for_exit(std::chrono::seconds(10));
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK_FALSE(test::MosquittoBroker::port_accepts(broker_port));
    CHECK_FALSE(test::MosquittoBroker::port_accepts(http_port));
    if (on_postgresql) {
        // The admin went to the PostgreSQL database, and no SQLite store file was made.
        auto users = server->psql(database, "SELECT name || ':' || role FROM users");
        REQUIRE(users);
        CHECK(*users == "boss:admin");
        CHECK_FALSE(fs::exists(fs::path{directory.path()} / "data" / "bantin.sqlite3"));
    }
}

namespace {

using test::ForeignListener;
using test::process_gone;

// Sets up keys for `config` and starts bantin-controller; returns once its HTTP front and its
// broker accept connections.
test::ChildProcess start_controller(const testing::TemporaryDirectory& directory, const std::string& config,
                                    std::uint16_t http_port, std::uint16_t broker_port,
                                    const std::string& log) {
    auto daemon = test::ChildProcess::spawn({BANTIN_CONTROLLER_CLI, "--config", config},
                                            fs::path{directory.path()} / log);
    REQUIRE(daemon);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!(test::MosquittoBroker::port_accepts(http_port) &&
             test::MosquittoBroker::port_accepts(broker_port)) &&
           daemon->running() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    INFO(daemon->output());
    REQUIRE(test::MosquittoBroker::port_accepts(http_port));
    REQUIRE(test::MosquittoBroker::port_accepts(broker_port));
    return std::move(*daemon);
}

pid_t pid_in(const fs::path& file) {
    std::ifstream in(file);
    long pid = -1;
    in >> pid;
    return static_cast<pid_t>(pid);
}

}  // namespace

TEST_CASE(
    "a bantin-controller killed with SIGKILL takes its Mosquitto and nginx with it, and the next one starts",
    "[fleet][cli][supervision][integration]") {
    testing::TemporaryDirectory directory;
    const std::uint16_t http_port = test::MosquittoBroker::free_port();
    std::uint16_t broker_port = test::MosquittoBroker::free_port();
    while (broker_port == http_port) broker_port = test::MosquittoBroker::free_port();
    const std::string config = write_config(directory, http_port, broker_port);
    REQUIRE(cli({"--config", config, "--init-keys"}, directory).exit_code == 0);

    auto first = start_controller(directory, config, http_port, broker_port, "first.out");
    const fs::path data = fs::path{directory.path()} / "data";
    const pid_t nginx = pid_in(data / "http-front" / "nginx.pid");
    const pid_t mosquitto = pid_in(data / "broker" / "persistence" / "mosquitto.pid");
    REQUIRE(nginx > 0);
    REQUIRE(mosquitto > 0);
    CHECK_FALSE(process_gone(nginx));
    CHECK_FALSE(process_gone(mosquitto));

    first.send_signal(SIGKILL);
    REQUIRE(first.wait_for_exit(std::chrono::seconds(10)));
    // The children get SIGKILL from the kernel when their parent dies: poll until they are gone.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!(process_gone(nginx) && process_gone(mosquitto)) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(process_gone(nginx));
    CHECK(process_gone(mosquitto));
    CHECK_FALSE(test::MosquittoBroker::port_accepts(http_port));
    CHECK_FALSE(test::MosquittoBroker::port_accepts(broker_port));

    auto second = start_controller(directory, config, http_port, broker_port, "second.out");
    CHECK(pid_in(data / "http-front" / "nginx.pid") != nginx);
    second.send_signal(SIGTERM);
    auto code = second.wait_for_exit(std::chrono::seconds(15));
    REQUIRE(code);
    CHECK(*code == 0);
}

TEST_CASE(
    "bantin-controller refuses with one line naming the port when another process holds its broker or HTTP "
    "port",
    "[fleet][cli][supervision][integration]") {
    testing::TemporaryDirectory directory;
    const std::uint16_t http_port = test::MosquittoBroker::free_port();
    std::uint16_t broker_port = test::MosquittoBroker::free_port();
    while (broker_port == http_port) broker_port = test::MosquittoBroker::free_port();
    const std::string config = write_config(directory, http_port, broker_port);
    REQUIRE(cli({"--config", config, "--init-keys"}, directory).exit_code == 0);
    for (const std::uint16_t taken : {broker_port, http_port}) {
        INFO("port " << taken);
        ForeignListener squatter{taken};
        REQUIRE(squatter.listening);
        auto refused = cli({"--config", config}, directory);
        INFO(refused.output);
        CHECK(refused.exit_code == 1);
        CHECK(refused.output.find("port " + std::to_string(taken) + " on 127.0.0.1 is already in use") !=
              std::string::npos);
        // One line of its own (the log may have said what started before).
        CHECK(refused.output.find("bantin-controller: ") != std::string::npos);
        // Nothing of the refused controller is left listening.
        const std::uint16_t other = taken == broker_port ? http_port : broker_port;
        CHECK_FALSE(test::MosquittoBroker::port_accepts(other));
    }
}

// SIGTERM the moment the HTTP port is bound: the API server's accept loop may not have started
// yet, and httplib's stop() used to be lost then (the daemon hung in join until killed).
TEST_CASE("bantin-controller stopped by SIGTERM during start-up exits instead of hanging",
          "[fleet][cli][integration][lifecycle]") {
    testing::TemporaryDirectory directory;
    const std::uint16_t http_port = test::MosquittoBroker::free_port();
    const std::uint16_t broker_port = test::MosquittoBroker::free_port();
    const std::string config = write_config(directory, http_port, broker_port);
    REQUIRE(cli({"--config", config, "--init-keys"}, directory).exit_code == 0);
    for (int round = 0; round < 6; ++round) {
        // Even rounds: as soon as the broker (started first) accepts; odd: as soon as HTTP binds.
        const std::uint16_t watched = round % 2 == 0 ? broker_port : http_port;
        auto daemon = test::ChildProcess::spawn(
            {BANTIN_CONTROLLER_CLI, "--config", config},
            fs::path{directory.path()} / ("daemon-" + std::to_string(round) + ".out"));
        REQUIRE(daemon);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!test::MosquittoBroker::port_accepts(watched) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::yield();
        INFO("round " << round << ": " << daemon->output());
        REQUIRE(test::MosquittoBroker::port_accepts(watched));
        daemon->send_signal(SIGTERM);
        // A hang guard, not a timing assertion: a lost stop never exits at all.
        auto code = daemon->wait_for_exit(std::chrono::seconds(60));
        REQUIRE(code);
        CHECK(*code == 0);
        CHECK_FALSE(test::MosquittoBroker::port_accepts(http_port));
        CHECK_FALSE(test::MosquittoBroker::port_accepts(broker_port));
    }
}

#endif
