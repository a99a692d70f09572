#pragma once
// The whole system on one machine for end-to-end and reliability tests: the real
// bantin-controller (with the Mosquitto it manages, on free loopback ports, a fresh data
// directory, generated config and keys) and any number of real bantin-player processes
// (headless: vo=null, ao=null), talking only through HTTP and MQTT as they do in the field.
//
// WholeSystem owns one temporary directory: controller/ (its data directory, database, broker
// files), player-N/ (each player's provisioning file, config and state), and the logs
// controller.log and player-N.log. Processes are started and stopped (SIGTERM) or killed
// (SIGKILL) one by one, so a test can inject the faults a real deployment sees. The
// destructor stops everything; BANTIN_KEEP_E2E_DIR=DIR keeps a copy for a post-mortem.
// put_controller_on() and put_player_on() run a daemon on a small disk (support/small_disk.hpp)
// for the full-disk faults; the files are then read through the disk's namespace.
//
// ApiUser, login() and eventually() come from support/api_session.hpp. Header-only; link with bantin::sqlite,
// bantin::protocol, cpp-httplib and nlohmann-json, and define BANTIN_CONTROLLER_EXECUTABLE and
// BANTIN_PLAYER_EXECUTABLE. One test thread.

#include "bantin/sqlite/database.hpp"
#include "support/api_session.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/small_disk.hpp"
#include "support/temporary_directory.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace bantin::test {

inline const std::string controller_executable = BANTIN_CONTROLLER_EXECUTABLE;
inline const std::string player_executable = BANTIN_PLAYER_EXECUTABLE;

inline std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// RFC 3339 UTC with milliseconds, as the API takes it.
inline std::string utc_text(std::int64_t milliseconds) {
    const std::time_t seconds = static_cast<std::time_t>(milliseconds / 1000);
    std::tm parts{};
    ::gmtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    return std::string{text} + ".000Z";
}

struct ProofRow {
    std::int64_t install_epoch = 0;
    std::int64_t seq = 0;
    std::string campaign;
    std::string alert;
    std::int64_t item = 0;
    std::string outcome;
    std::int64_t started_at = 0;
    std::int64_t ended_at = 0;
    std::int64_t bundle_version = 0;
    std::string live;   // the live channel a row of source `live` played
    std::string media;  // the SHA-256 the row names (a live voice: of its URL)
};

// What a player's own state database says it has numbered: its install epoch and the seq its
// last proof row got (rows are numbered 1..last_seq with no gaps), and the rows not yet acked.
struct PlayerLedger {
    bool readable = false;
    std::string install_epoch;
    std::int64_t last_seq = 0;
    std::int64_t pending = 0;
};

struct WholeSystemOptions {
    // Extra lines for the player's config file (after the test defaults).
    std::string player_config_extra;
    // Extra lines at the end of the controller's config file (a [live] section).
    std::string controller_config_extra;
    std::string log_level = "info";
    // http.public_base_url: where devices fetch media. "http://127.0.0.1:1" makes the controller's
    // web server unreachable for the devices while the broker is not (an alert's media round fails).
    std::string media_base_url;
};

class WholeSystem {
public:
    explicit WholeSystem(WholeSystemOptions options = {}) : m_options(std::move(options)) {
        m_http_port = MosquittoBroker::free_port();
        m_broker_port = MosquittoBroker::free_port();
        while (m_broker_port == m_http_port) m_broker_port = MosquittoBroker::free_port();
        std::filesystem::create_directories(controller_dir());
        write_controller_config(::geteuid() == 0);
    }
    ~WholeSystem() {
        for (auto& [name, player] : m_players) {
            if (player.running()) {
                player.send_signal(SIGTERM);
                player.wait_for_exit(std::chrono::seconds(10));
            }
        }
        stop_controller();
        if (const char* keep = std::getenv("BANTIN_KEEP_E2E_DIR"); keep != nullptr && *keep != '\0') {
            std::error_code ignored;
            std::filesystem::remove_all(keep, ignored);
            std::filesystem::copy(root(), keep, std::filesystem::copy_options::recursive, ignored);
        }
    }
    WholeSystem(const WholeSystem&) = delete;
    WholeSystem& operator=(const WholeSystem&) = delete;

    std::filesystem::path root() const { return m_directory.path(); }
    std::filesystem::path controller_dir() const { return root() / "controller"; }
    std::filesystem::path player_dir(const std::string& device) const {
        return root() / ("player-" + device);
    }
    std::filesystem::path controller_config() const { return root() / "controller.toml"; }
    // The controller's database (a path the controller sees; see proof_rows() to read it).
    std::filesystem::path database() const { return controller_dir() / "bantin.sqlite3"; }

    // Runs the controller (and the Mosquitto it manages) on `disk`, a small disk mounted on
    // controller_dir(); before prepare_controller(). `disk` must outlive this system's use of it.
    void put_controller_on(const SmallDisk& disk) {
        m_controller_disk = &disk;
        write_controller_config(true);  // root of the disk's user namespace
    }
    // Runs the player of `device` on `disk`, a small disk mounted on its state directory
    // (player_dir(device) / "state"), without the cache's free-space floor; before start_player().
    void put_player_on(const std::string& device, const SmallDisk& disk) { m_player_disks[device] = &disk; }
    std::uint16_t http_port() const { return m_http_port; }
    std::uint16_t broker_port() const { return m_broker_port; }

    // Runs `bantin-controller --config <file> extra...` to completion with `stdin_text`.
    CommandResult controller_command(const std::vector<std::string>& extra,
                                     const std::string& stdin_text = {}) {
        const auto input = root() / "stdin.txt";
        write_file(input, stdin_text, 0600);
        std::string command = "exec";
        for (const auto& word : controller_prefix()) command += " '" + word + "'";
        command += " '" + controller_executable + "' --config '" + controller_config().string() + "'";
        for (const auto& argument : extra) command += " '" + argument + "'";
        command += " < '" + input.string() + "'";
        auto result =
            run_command({"/bin/sh", "-c", command}, root() / "command.log", std::chrono::seconds(30));
        std::filesystem::remove(input);
        return result;
    }

    // --check-config, --init-keys and --create-admin admin with `admin_password`.
    Result<void> prepare_controller(const std::string& admin_password) {
        auto check = run_command({controller_executable, "--check-config", controller_config().string()},
                                 root() / "check.log");
        if (check.exit_code != 0)
            return fail(Errc::InvalidInput, "--check-config: " + check.output);
        auto keys = controller_command({"--init-keys"});
        if (keys.exit_code != 0)
            return fail(Errc::Io, "--init-keys: " + keys.output);
        auto admin = controller_command({"--create-admin", "admin"}, admin_password + "\n");
        if (admin.exit_code != 0)
            return fail(Errc::Io, "--create-admin: " + admin.output);
        return {};
    }

    // Starts the daemon (its log is appended to, so restarts keep the history) and waits until
    // its HTTP port accepts.
    Result<void> start_controller() {
        auto arguments = controller_prefix();
        arguments.insert(arguments.end(), {controller_executable, "--config", controller_config().string()});
        auto child = spawn_appending(arguments, root() / "controller.log");
        if (!child)
            return std::unexpected(child.error());
        m_controller = std::move(*child);
        const bool up = eventually(std::chrono::seconds(30), [&] {
            return !m_controller.running() || MosquittoBroker::port_accepts(m_http_port);
        });
        if (!up || !m_controller.running())
            return fail(Errc::Io, "bantin-controller did not start:\n" + tail(controller_log()));
        return {};
    }
    std::optional<int> stop_controller() {
        if (!m_controller.running())
            return std::nullopt;
        m_controller.send_signal(SIGTERM);
        auto code = m_controller.wait_for_exit(std::chrono::seconds(15));
        m_controller.kill_and_wait();
        return code;
    }
    void kill_controller() { m_controller.kill_and_wait(); }
    bool controller_running() { return m_controller.running(); }
    pid_t controller_pid() const { return m_controller.pid(); }

    // The pid of the Mosquitto the controller manages (from its pid file), or -1.
    pid_t broker_pid() const {
        std::error_code error;
        for (auto it =
                 std::filesystem::recursive_directory_iterator(controller_view(controller_dir()), error);
             !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
            if (it->path().filename() == "mosquitto.pid") {
                std::ifstream in(it->path());
                long pid = -1;
                if (in >> pid && pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0)
                    return static_cast<pid_t>(pid);
            }
        }
        return -1;
    }

    // Writes the device's provisioning file and config, checks the config, starts the player.
    Result<void> start_player(const std::string& device, const std::string& provisioning) {
        const auto directory = player_dir(device);
        std::filesystem::create_directories(directory);
        const auto provisioning_file = directory / "provisioning.json";
        write_file(provisioning_file, provisioning, 0600);
        std::ostringstream config;
        config << "provisioning_file = \"" << provisioning_file.string() << "\"\n"
               << "[state]\ndir = \"" << (directory / "state").string() << "\"\n"
               << "[playback]\nmode = \"headless\"\n"
               << "[status]\ninterval_s = 5\n"
               << "[fetch]\nretry_min_ms = 200\nretry_max_ms = 2000\n"
               << "[mqtt]\nreconnect_min_ms = 200\nreconnect_max_ms = 1000\n"
               << "[proof]\nflush_interval_s = 1\n"
               // On a small disk the disk itself is the fault: the cache's free-space floor
               // (256 MB by default) would refuse every download there.
               << (m_player_disks.contains(device) ? "[cache]\nmin_free_disk_mb = 0\n" : "")
               << m_options.player_config_extra;
        const auto config_file = directory / "player.toml";
        write_file(config_file, config.str());
        auto checked =
            run_command({player_executable, "--check-config", config_file.string()}, directory / "check.log");
        if (checked.exit_code != 0)
            return fail(Errc::InvalidInput, "player --check-config: " + checked.output);
        return restart_player(device);
    }
    // Starts the player of a device whose files start_player() wrote (after a kill or a stop).
    Result<void> restart_player(const std::string& device) {
        std::vector<std::string> arguments;
        if (auto disk = m_player_disks.find(device); disk != m_player_disks.end())
            arguments = disk->second->prefix();
        arguments.insert(arguments.end(),
                         {player_executable, "--config", (player_dir(device) / "player.toml").string()});
        auto child = spawn_appending(arguments, player_log_file(device));
        if (!child)
            return std::unexpected(child.error());
        m_players[device] = std::move(*child);
        return {};
    }
    std::optional<int> stop_player(const std::string& device) {
        auto& player = m_players[device];
        if (!player.running())
            return std::nullopt;
        player.send_signal(SIGTERM);
        return player.wait_for_exit(std::chrono::seconds(10));
    }
    void kill_player(const std::string& device) { m_players[device].kill_and_wait(); }
    bool player_running(const std::string& device) { return m_players[device].running(); }
    pid_t player_pid(const std::string& device) { return m_players[device].pid(); }

    std::filesystem::path player_log_file(const std::string& device) const {
        return root() / ("player-" + device + ".log");
    }
    std::string controller_log() const { return read_text_file(root() / "controller.log"); }
    std::string player_log(const std::string& device) const {
        return read_text_file(player_log_file(device));
    }
    std::string logs() const {
        std::string text = "--- controller log ---\n" + tail(controller_log());
        for (const auto& [device, player] : m_players)
            text += "\n--- player " + device + " log ---\n" + tail(player_log(device));
        return text;
    }

    // The proof rows the controller committed for `device`, read through a second, read-only
    // connection (WAL: never blocks the ingest). Empty when the database cannot be read.
    std::vector<ProofRow> proof_rows(const std::string& device) const {
        std::vector<ProofRow> rows;
        const auto table =
            query(controller_dir() / "bantin.sqlite3", m_controller_disk,
                  "SELECT install_epoch, seq, coalesce(campaign_id, ''), coalesce(alert_id, ''), "
                  "item, outcome, started_at, ended_at, bundle_version, live_id, media "
                  "FROM proof_of_play WHERE device_id = '" +
                      device + "' ORDER BY started_at, seq");
        if (!table)
            return rows;
        for (const auto& row : *table)
            if (row.size() == 11)
                rows.push_back(ProofRow{number(row[0]), number(row[1]), row[2], row[3], number(row[4]),
                                        row[5], number(row[6]), number(row[7]), number(row[8]), row[9],
                                        row[10]});
        return rows;
    }

    // The player's own numbering, read from its state database (read-only; WAL).
    PlayerLedger player_ledger(const std::string& device) const {
        PlayerLedger ledger;
        const auto disk = m_player_disks.find(device);
        const auto table = query(player_dir(device) / "state" / "player.sqlite3",
                                 disk != m_player_disks.end() ? disk->second : nullptr,
                                 "SELECT (SELECT value FROM meta WHERE key = 'install_epoch'), "
                                 "(SELECT last_seq FROM proof_counter WHERE id = 1), "
                                 "(SELECT count(*) FROM proof_outbox)");
        if (!table || table->size() != 1 || table->front().size() != 3 || table->front()[0].empty() ||
            table->front()[1].empty())
            return ledger;
        ledger.readable = true;
        ledger.install_epoch = table->front()[0];
        ledger.last_seq = number(table->front()[1]);
        ledger.pending = number(table->front()[2]);
        return ledger;
    }

    // Two small pictures made with ffmpeg (PNG), distinct bytes.
    std::vector<std::string> make_pictures(int count) const {
        const auto media = root() / "media-in";
        std::filesystem::create_directories(media);
        static const char* colours[] = {"blue", "green", "red", "yellow", "white", "black"};
        std::vector<std::string> pictures;
        for (int index = 0; index < count; ++index) {
            const auto file = media / ("picture-" + std::to_string(index) + ".png");
            auto made = run_command({"ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                                     std::string{"color=c="} + colours[index % 6] + ":s=160x120", "-frames:v",
                                     "1", file.string()},
                                    media / "ffmpeg.log", std::chrono::seconds(60));
            if (made.exit_code != 0)
                return {};
            pictures.push_back(read_text_file(file));
        }
        return pictures;
    }

private:
    static std::int64_t number(const std::string& text) {
        return text.empty() ? 0 : std::strtoll(text.c_str(), nullptr, 10);
    }
    // Runs `sql` read-only on the database at `path`: directly, or inside `disk`'s namespace.
    // Every column comes back as text (NULL as empty). nullopt when it cannot be read.
    static std::optional<std::vector<std::vector<std::string>>> query(const std::filesystem::path& path,
                                                                      const SmallDisk* disk,
                                                                      const std::string& sql) {
        if (disk != nullptr)
            return disk->query(path, sql);
        auto connection = sqlite::Database::open(path.string(), {sqlite::OpenMode::ReadOnly});
        if (!connection)
            return std::nullopt;
        auto statement = connection->prepare(sql);
        if (!statement)
            return std::nullopt;
        std::vector<std::vector<std::string>> rows;
        while (true) {
            auto step = statement->step();
            if (!step)
                return std::nullopt;
            if (*step == sqlite::Step::Done)
                return rows;
            std::vector<std::string> row;
            for (int column = 0; column < statement->column_count(); ++column)
                row.push_back(statement->column_text(column));
            rows.push_back(std::move(row));
        }
    }

    void write_controller_config(bool broker_as_root) {
        std::ostringstream config;
        config << "[http]\nlisten_address = \"127.0.0.1\"\nport = " << m_http_port << "\n"
               << (m_options.media_base_url.empty()
                       ? ""
                       : "public_base_url = \"" + m_options.media_base_url + "\"\n")
               // In a user namespace only root exists: nginx could not hand its files to its workers.
               << (m_controller_disk != nullptr && SmallDisk::as_root_of_user_namespace()
                       ? "front = \"none\"\n"
                       : "")
               << "[storage]\ndata_dir = \"" << controller_dir().string() << "\"\n"
               << "[mqtt]\nport = " << m_broker_port << "\nreconnect_min_ms = 100\nreconnect_max_ms = 1000\n"
               << "[broker]\nport = " << m_broker_port << "\n"
               << (broker_as_root ? "run_as_user = \"root\"\n" : "") << "[log]\nlevel = \""
               << m_options.log_level << "\"\n"
               << m_options.controller_config_extra;
        write_file(controller_config(), config.str());
    }
    std::vector<std::string> controller_prefix() const {
        return m_controller_disk != nullptr ? m_controller_disk->prefix() : std::vector<std::string>{};
    }
    std::filesystem::path controller_view(const std::filesystem::path& path) const {
        return m_controller_disk != nullptr ? m_controller_disk->inside(path) : path;
    }

    // Like ChildProcess::spawn, but the log is appended to, so a restarted process keeps what
    // the killed one wrote.
    static Result<ChildProcess> spawn_appending(const std::vector<std::string>& arguments,
                                                const std::filesystem::path& log) {
        std::string command = "exec";
        for (const auto& argument : arguments) command += " '" + argument + "'";
        command += " >> '" + log.string() + "' 2>&1";
        return ChildProcess::spawn({"/bin/sh", "-c", command}, log.string() + ".shell");
    }

    WholeSystemOptions m_options;
    testing::TemporaryDirectory m_directory;
    std::uint16_t m_http_port = 0;
    std::uint16_t m_broker_port = 0;
    ChildProcess m_controller;
    std::map<std::string, ChildProcess> m_players;
    const SmallDisk* m_controller_disk = nullptr;
    std::map<std::string, const SmallDisk*> m_player_disks;
};

}  // namespace bantin::test
