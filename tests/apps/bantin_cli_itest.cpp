// The real `bantin` binary against a controller API started in this process on a free
// 127.0.0.1 port (content and fleet routes, a real SQLite file and media store in a temporary
// directory; the broker sync, MQTT sink and speech of alerts are the fleet tests' fakes).
// Each case checks what a person sees: stdout, one stderr line, the exit status and files.

#include "api_fixture.hpp"
#include "bantin/controller/api_fleet.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/fleet_history.hpp"
#include "bantin/controller/live.hpp"
#include "bantin/controller/reports.hpp"
#include "bantin/protocol/envelope.hpp"
#include "fleet_fixture.hpp"

#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>

using namespace bantin;
using bantin::testing::ApiFixture;
namespace fs = std::filesystem;

namespace {

struct Run {
    int status = -1;
    std::string out;
    std::string err;
};

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
    return out + "'";
}

std::string slurp(const std::string& path) {
    std::ifstream input{path, std::ios::binary};
    std::stringstream text;
    text << input.rdbuf();
    return text.str();
}

std::size_t lines_in(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The controller (content + fleet routes) and a home directory for the CLI's token file.
class CliFixture : public ApiFixture {
public:
    CliFixture() : keys(protocol::key_pair_from_seed(testing::FleetFixture::seed())) {
        // Alerts expire relative to the CLI's wall clock: the server's clock must agree.
        clock.set_wall(std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()));
        controller::RegistryOptions registry_options;
        registry_options.controller_keys = {protocol::trusted_key(keys.public_key)};
        registry = std::make_unique<controller::DeviceRegistry>(*store, clock, broker, registry_options);
        speech = std::make_unique<testing::TextAsSpeech>(clock);
        alerts = std::make_unique<controller::AlertService>(*store, clock, keys.secret, sink, *speech,
                                                            nullptr, controller::AlertServiceOptions{});
        auto opened_proofs = controller::SqliteProofQuery::open(path());
        REQUIRE(opened_proofs);
        proofs = std::move(*opened_proofs);
        auto opened_history = controller::SqliteFleetHistory::open(directory.file("fleet.db"));
        REQUIRE(opened_history);
        history = std::move(*opened_history);
        reports = std::make_unique<controller::ReportService>(*store, *proofs, history.get(), clock);
        controller::DeviceCommandsOptions command_options;
        command_options.public_base_url = "https://signs.example.org";
        commands =
            std::make_unique<controller::DeviceCommands>(*store, clock, keys.secret, sink, command_options);
        auto opened_screenshots = controller::ScreenshotStore::open(directory.file("screenshots"), clock);
        REQUIRE(opened_screenshots);
        screenshots.emplace(std::move(*opened_screenshots));
        fleet = std::make_unique<controller::FleetServices>(controller::FleetServices{
            *registry, *alerts, *reports, nullptr, commands.get(), &*screenshots, nullptr, {}});
        // A second server with every route: ApiFixture's own has the content routes only.
        server->stop();
        controller::ApiServerOptions options;
        options.address = "127.0.0.1";
        options.port = 0;
        options.max_body_bytes = 1024 * 1024 + 64 * 1024;
        server = std::make_unique<controller::ApiServer>(options);
        controller::register_content_routes(*server, *context);
        controller::register_fleet_routes(*server, *context, *fleet);
        controller::LiveOptions live_options;
        live_options.icecast_url = "http://127.0.0.1:1";  // nothing listens: ffmpeg cannot publish
        live_options.source_password = "secret";
        live = std::make_unique<controller::LiveService>(*store, clock, keys.secret, sink, live_options);
        controller::register_live_routes(*server, *context, *live);
        auto started = server->start();
        if (!started)
            FAIL(started.error().message());
        port = *started;
        client = std::make_unique<httplib::Client>("127.0.0.1", port);
        fs::create_directories(home());
        add_zone("phuong-1");
    }

    std::string home() const { return directory.file("home"); }
    std::string server_url() const { return "http://127.0.0.1:" + std::to_string(port); }
    std::string token_file(const std::string& user) const { return directory.file("tokens/" + user); }

    void add_zone(const std::string& id) {
        auto done = store->write([&](controller::StoreTransaction& transaction) {
            return transaction.insert_zone(controller::ZoneRecord{id, "Zone " + id});
        });
        REQUIRE(done);
    }

    // Runs `bantin` with HOME in the temporary directory and BANTIN_SERVER at this server.
    Run bantin(const std::vector<std::string>& arguments, const std::string& input = "",
               const std::string& environment = "") {
        static int counter = 0;
        const std::string stem = directory.file("run-" + std::to_string(++counter));
        {
            std::ofstream stdin_file{stem + ".in", std::ios::binary};
            stdin_file << input;
        }
        std::string command = "env -u BANTIN_TOKEN HOME=" + shell_quote(home()) +
                              " BANTIN_SERVER=" + shell_quote(server_url()) + " " + environment + " " +
                              shell_quote(BANTIN_CLI);
        for (const auto& argument : arguments) command += " " + shell_quote(argument);
        command += " <" + shell_quote(stem + ".in") + " >" + shell_quote(stem + ".out") + " 2>" +
                   shell_quote(stem + ".err");
        const int raw = std::system(command.c_str());
        Run run;
        run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
        run.out = slurp(stem + ".out");
        run.err = slurp(stem + ".err");
        INFO(command);
        return run;
    }

    // `bantin login` for a user made with add_user (password "password-of-<name>").
    void login(const std::string& name, controller::Role role) {
        add_user(name, role);
        auto run = bantin({"login", "--user", name, "--password-stdin", "--token-file", token_file(name)},
                          "password-of-" + name + "\n");
        INFO(run.err);
        REQUIRE(run.status == 0);
    }

    // `bantin` as a signed-in user (their token file).
    Run as(const std::string& name, std::vector<std::string> arguments, const std::string& input = "") {
        arguments.push_back("--token-file");
        arguments.push_back(token_file(name));
        return bantin(arguments, input);
    }

    std::string upload_video(const std::string& user) {
        make_video();
        auto run = as(user, {"media", "upload", directory.file("clip.mp4"), "--json"});
        INFO(run.err);
        REQUIRE(run.status == 0);
        return nlohmann::json::parse(run.out).at("sha256").get<std::string>();
    }

    // A draft campaign "c-news" on playlist "morning" targeting phuong-1, made by `user`.
    void make_campaign(const std::string& user) {
        const std::string sha = upload_video(user);
        auto playlist = as(user, {"playlist", "create", "--id", "morning", "--name", "Bản tin sáng", "--item",
                                  sha + ":5000:2"});
        INFO(playlist.err);
        REQUIRE(playlist.status == 0);
        auto campaign = as(user, {"campaign", "create", "--id", "c-news", "--name", "News", "--playlist",
                                  "morning", "--zones", "phuong-1", "--windows", "06:00-08:00"});
        INFO(campaign.err);
        REQUIRE(campaign.status == 0);
    }

    protocol::KeyPair keys;
    testing::RecordingBroker broker;
    testing::RecordingSink sink;
    std::unique_ptr<testing::TextAsSpeech> speech;
    std::unique_ptr<controller::DeviceRegistry> registry;
    std::unique_ptr<controller::DeviceCommands> commands;
    std::optional<controller::ScreenshotStore> screenshots;
    std::unique_ptr<controller::AlertService> alerts;
    std::unique_ptr<controller::SqliteProofQuery> proofs;
    std::unique_ptr<controller::SqliteFleetHistory> history;
    std::unique_ptr<controller::ReportService> reports;
    std::unique_ptr<controller::FleetServices> fleet;
    std::unique_ptr<controller::LiveService> live;
    int port = 0;
};

}  // namespace

// --- sessions --------------------------------------------------------------------------------

TEST_CASE("login writes the token file with mode 0600 and whoami uses it", "[cli][login]") {
    CliFixture fixture;
    fixture.add_user("eva", controller::Role::Editor);
    auto login = fixture.bantin({"login", "--user", "eva", "--password-stdin"}, "password-of-eva\n");
    INFO(login.err);
    REQUIRE(login.status == 0);
    CHECK(login.out.find("as eva (editor)") != std::string::npos);

    const std::string token_path = fixture.home() + "/.config/bantin/token";
    struct stat info {};
    REQUIRE(::stat(token_path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    CHECK(slurp(token_path).size() > 20);

    auto whoami = fixture.bantin({"whoami"});
    CHECK(whoami.status == 0);
    CHECK(whoami.out.find("eva (eva display), editor") != std::string::npos);
}

TEST_CASE("login reads the password from a pipe without --password-stdin", "[cli][login]") {
    CliFixture fixture;
    fixture.add_user("eva", controller::Role::Editor);
    auto login = fixture.bantin({"login", "-u", "eva", "--token-file", fixture.token_file("eva")},
                                "password-of-eva\n");
    INFO(login.err);
    CHECK(login.status == 0);
    CHECK(fs::exists(fixture.token_file("eva")));
}

TEST_CASE("a wrong password is one line naming the server's reason, exit 3, no token file", "[cli][login]") {
    CliFixture fixture;
    fixture.add_user("eva", controller::Role::Editor);
    auto login = fixture.bantin({"login", "--user", "eva", "--password-stdin"}, "not-her-password\n");
    CHECK(login.status == 3);
    CHECK(login.err == "bantin login: 401 unauthenticated: wrong user name or password\n");
    CHECK_FALSE(fs::exists(fixture.home() + "/.config/bantin/token"));
}

TEST_CASE("logout ends the session on the server and removes the token file", "[cli][login]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    const std::string token = slurp(fixture.token_file("eva"));
    auto logout = fixture.as("eva", {"logout"});
    CHECK(logout.status == 0);
    CHECK_FALSE(fs::exists(fixture.token_file("eva")));
    // The old token is dead on the server, so BANTIN_TOKEN with it is refused.
    auto whoami =
        fixture.bantin({"whoami"}, "", "BANTIN_TOKEN=" + shell_quote(token.substr(0, token.size() - 1)));
    CHECK(whoami.status == 3);
    CHECK(whoami.err.rfind("bantin whoami: 401 unauthenticated", 0) == 0);
}

TEST_CASE("BANTIN_TOKEN overrides the token file", "[cli][login]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    std::string token = slurp(fixture.token_file("eva"));
    token.pop_back();
    auto whoami = fixture.bantin({"whoami", "--token-file", fixture.directory.file("missing")}, "",
                                 "BANTIN_TOKEN=" + shell_quote(token));
    INFO(whoami.err);
    CHECK(whoami.status == 0);
    CHECK(whoami.out.rfind("eva ", 0) == 0);
}

// --- errors and help ---------------------------------------------------------------------------

TEST_CASE("without a token a command exits 3 with one line telling how to sign in", "[cli][errors]") {
    CliFixture fixture;
    auto run = fixture.bantin({"campaign", "list"});
    CHECK(run.status == 3);
    CHECK(lines_in(run.err) == 1);
    CHECK(run.err.rfind("bantin campaign list: not signed in: no token in " + fixture.home(), 0) == 0);
    CHECK(run.err.find("bantin login") != std::string::npos);
    CHECK(run.out.empty());
}

TEST_CASE("an unreachable server is one line naming it, exit 3", "[cli][errors]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    auto run = fixture.as("eva", {"media", "list", "--server", "http://127.0.0.1:1"});
    CHECK(run.status == 3);
    CHECK(lines_in(run.err) == 1);
    CHECK(run.err.rfind("bantin media list: cannot reach http://127.0.0.1:1", 0) == 0);
}

TEST_CASE("a bad flag or a missing argument is one line and exit 2", "[cli][errors]") {
    CliFixture fixture;
    auto bad_flag = fixture.bantin({"campaign", "list", "--frobnicate"});
    CHECK(bad_flag.status == 2);
    CHECK(lines_in(bad_flag.err) == 1);
    CHECK(bad_flag.err.rfind("bantin campaign list: ", 0) == 0);
    CHECK(bad_flag.err.find("--frobnicate") != std::string::npos);

    auto missing = fixture.bantin({"campaign", "reject", "c-news"});
    CHECK(missing.status == 2);
    CHECK(missing.err.find("--reason") != std::string::npos);

    auto bad_item = fixture.bantin({"playlist", "create", "--name", "x", "--item", "not-a-sha"});
    CHECK(bad_item.status == 2);
    CHECK(bad_item.err.rfind("bantin playlist create: --item: expected SHA256", 0) == 0);

    auto no_subcommand = fixture.bantin({"device"});
    CHECK(no_subcommand.status == 2);
}

TEST_CASE("--help on every command exits 0 and prints its usage", "[cli][help]") {
    CliFixture fixture;
    const std::vector<std::vector<std::string>> commands{{"login"},
                                                         {"logout"},
                                                         {"whoami"},
                                                         {"user"},
                                                         {"user", "create"},
                                                         {"user", "list"},
                                                         {"user", "disable"},
                                                         {"user", "enable"},
                                                         {"media"},
                                                         {"media", "upload"},
                                                         {"media", "list"},
                                                         {"notice"},
                                                         {"notice", "create"},
                                                         {"playlist"},
                                                         {"playlist", "create"},
                                                         {"playlist", "list"},
                                                         {"campaign"},
                                                         {"campaign", "create"},
                                                         {"campaign", "list"},
                                                         {"campaign", "show"},
                                                         {"campaign", "submit"},
                                                         {"campaign", "approve"},
                                                         {"campaign", "reject"},
                                                         {"campaign", "archive"},
                                                         {"campaign", "conflicts"},
                                                         {"device"},
                                                         {"device", "add"},
                                                         {"device", "revoke"},
                                                         {"device", "list"},
                                                         {"device", "timeline"},
                                                         {"device", "set"},
                                                         {"device", "changes"},
                                                         {"device", "confirm"},
                                                         {"device", "withdraw"},
                                                         {"alert"},
                                                         {"alert", "send"},
                                                         {"alert", "confirm"},
                                                         {"alert", "cancel"},
                                                         {"alert", "show"},
                                                         {"alert", "list"},
                                                         {"alert", "import-cap"},
                                                         {"live"},
                                                         {"report"},
                                                         {"report", "plays"},
                                                         {"report", "delivery"},
                                                         {"report", "alerts"},
                                                         {"report", "uptime"}};
    for (auto command : commands) {
        std::string name;
        for (const auto& word : command) name += " " + word;
        command.push_back("--help");
        auto run = fixture.bantin(command);
        INFO("bantin" << name << " --help: " << run.err);
        CHECK(run.status == 0);
        CHECK(run.out.find("Usage:") != std::string::npos);
        CHECK(run.err.empty());
    }
}

// --- content and approval ----------------------------------------------------------------------

TEST_CASE("media upload stores an ffmpeg file once and media list shows it", "[cli][media]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    fixture.make_video();
    const std::string file = fixture.directory.file("clip.mp4");
    auto first = fixture.as("eva", {"media", "upload", file, "--name", "opening.mp4"});
    INFO(first.err);
    REQUIRE(first.status == 0);
    CHECK(first.out.find("video") != std::string::npos);
    CHECK(first.out.find("(stored)") != std::string::npos);
    auto again = fixture.as("eva", {"media", "upload", file});
    CHECK(again.status == 0);
    CHECK(again.out.find("(already stored)") != std::string::npos);
    CHECK(fixture.media_rows() == 1);

    auto list = fixture.as("eva", {"media", "list", "--json"});
    REQUIRE(list.status == 0);
    auto page = nlohmann::json::parse(list.out);
    REQUIRE(page["items"].size() == 1);
    CHECK(page["items"][0]["name"] == "opening.mp4");
    CHECK(page["items"][0]["duration_ms"] == 2000);
}

TEST_CASE("a file that is not media is refused by the server in one line, exit 1", "[cli][media]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    const std::string file = fixture.directory.file("notes.txt");
    std::ofstream{file} << "this is not a video\n";
    auto run = fixture.as("eva", {"media", "upload", file});
    CHECK(run.status == 1);
    CHECK(lines_in(run.err) == 1);
    CHECK(run.err.rfind("bantin media upload: 415 unsupported-media: ", 0) == 0);
    CHECK(fixture.media_rows() == 0);
}

TEST_CASE("playlist create sends items with duration and weight", "[cli][playlist]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    const std::string sha = fixture.upload_video("eva");
    auto created = fixture.as(
        "eva", {"playlist", "create", "--name", "Morning news", "--item", sha + ":5000:2", "--item", sha});
    INFO(created.err);
    REQUIRE(created.status == 0);
    CHECK(created.out == "created playlist morning-news (2 items, version 1)\n");
    auto list = fixture.as("eva", {"playlist", "list", "--json"});
    auto items = nlohmann::json::parse(list.out)["items"][0]["items"];
    CHECK(items[0]["duration_ms"] == 5000);
    CHECK(items[0]["weight"] == 2);
    CHECK(items[1]["weight"] == 1);
}

TEST_CASE("an editor submits and a second user approves, the publisher hears of it", "[cli][campaign]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    fixture.login("an", controller::Role::Approver);
    fixture.make_campaign("eva");

    auto submitted = fixture.as("eva", {"campaign", "submit", "c-news"});
    INFO(submitted.err);
    REQUIRE(submitted.status == 0);
    CHECK(submitted.out == "submitted campaign c-news (submitted, version 2)\n");

    auto pending = fixture.as("an", {"campaign", "list", "--approval", "submitted"});
    CHECK(pending.out.find("c-news") != std::string::npos);

    auto approved = fixture.as("an", {"campaign", "approve", "c-news", "--note", "đúng giờ"});
    INFO(approved.err);
    REQUIRE(approved.status == 0);
    CHECK(approved.out == "approved campaign c-news (approved, version 3)\n");
    CHECK(fixture.changed_campaigns == std::vector<std::string>{"c-news"});

    auto shown = fixture.as("an", {"campaign", "show", "c-news", "--json"});
    auto campaign = nlohmann::json::parse(shown.out);
    CHECK(campaign["approval"] == "approved");
    CHECK(campaign["decision_note"] == "đúng giờ");
    CHECK(campaign["targets"]["zones"] == nlohmann::json::array({"phuong-1"}));
}

TEST_CASE("self-approval is refused with the server's reason in one line, exit 1", "[cli][campaign]") {
    CliFixture fixture;
    fixture.login("root", controller::Role::Admin);
    fixture.make_campaign("root");
    REQUIRE(fixture.as("root", {"campaign", "submit", "c-news"}).status == 0);
    auto approve = fixture.as("root", {"campaign", "approve", "c-news"});
    CHECK(approve.status == 1);
    CHECK(lines_in(approve.err) == 1);
    CHECK(approve.err.rfind("bantin campaign approve: 403 permission-denied: ", 0) == 0);
    CHECK(approve.err.size() > std::string{"bantin campaign approve: 403 permission-denied: \n"}.size());
    CHECK(fixture.changed_campaigns.empty());
}

TEST_CASE("an editor cannot approve and a stale --version is a conflict", "[cli][campaign]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    fixture.login("an", controller::Role::Approver);
    fixture.make_campaign("eva");
    REQUIRE(fixture.as("eva", {"campaign", "submit", "c-news"}).status == 0);
    auto editor = fixture.as("eva", {"campaign", "approve", "c-news"});
    CHECK(editor.status == 1);
    CHECK(editor.err.rfind("bantin campaign approve: 403 permission-denied: ", 0) == 0);
    auto stale = fixture.as("an", {"campaign", "approve", "c-news", "--version", "1"});
    CHECK(stale.status == 1);
    CHECK(stale.err.rfind("bantin campaign approve: 409 conflict: ", 0) == 0);
}

TEST_CASE("reject records the reason, a rejected campaign is not resubmitted unedited", "[cli][campaign]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    fixture.login("an", controller::Role::Approver);
    fixture.make_campaign("eva");
    REQUIRE(fixture.as("eva", {"campaign", "submit", "c-news"}).status == 0);
    auto rejected = fixture.as("an", {"campaign", "reject", "c-news", "--reason", "sai chính tả"});
    INFO(rejected.err);
    REQUIRE(rejected.status == 0);
    CHECK(rejected.out == "rejected campaign c-news (rejected, version 3)\n");
    auto shown = nlohmann::json::parse(fixture.as("eva", {"campaign", "show", "c-news", "--json"}).out);
    CHECK(shown["decision_note"] == "sai chính tả");
    auto again = fixture.as("eva", {"campaign", "submit", "c-news"});
    CHECK(again.status == 1);
    CHECK(again.err.rfind("bantin campaign submit: 409 conflict: ", 0) == 0);
}

TEST_CASE("campaign create reads the model's campaign JSON, flags override it", "[cli][campaign]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    const std::string sha = fixture.upload_video("eva");
    REQUIRE(
        fixture.as("eva", {"playlist", "create", "--id", "morning", "--name", "M", "--item", sha}).status ==
        0);
    const std::string file = fixture.directory.file("campaign.json");
    std::ofstream{file} << R"({"id": "c-file", "name": "From a file", "playlist": "morning",
        "targets": {"zones": ["phuong-1"], "kinds": ["screen"]}, "mode": "fixed_time",
        "fixed_times": ["07:00", "12:00"], "approval": "approved"})";
    auto created = fixture.as("eva", {"campaign", "create", "--file", file, "--name", "Renamed", "--json"});
    INFO(created.err);
    REQUIRE(created.status == 0);
    auto campaign = nlohmann::json::parse(created.out);
    CHECK(campaign["approval"] == "draft");
    CHECK(campaign["name"] == "Renamed");
    CHECK(campaign["mode"] == "fixed_time");
    CHECK(campaign["targets"]["kinds"] == nlohmann::json::array({"screen"}));

    const std::string broken = fixture.directory.file("broken.json");
    std::ofstream{broken} << R"({"id": "c-bad", "playlist": "morning", "rank": "high"})";
    auto refused = fixture.as("eva", {"campaign", "create", "--file", broken});
    CHECK(refused.status == 1);
    CHECK(refused.err.rfind("bantin campaign create: 400 bad-request: rank", 0) == 0);
}

TEST_CASE("campaign conflicts reports a campaign that reaches no device", "[cli][campaign]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    fixture.make_campaign("eva");
    auto run = fixture.as("eva", {"campaign", "conflicts", "c-news", "--day", "2026-03-02", "--days", "3"});
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(run.out.find("no_target_device") != std::string::npos);
}

// --- fleet ---------------------------------------------------------------------------------------

TEST_CASE("device add writes a 0600 provisioning file, list and revoke follow", "[cli][device]") {
    CliFixture fixture;
    fixture.login("olga", controller::Role::Operator);
    const std::string out = fixture.directory.file("screen-1.json");
    auto added = fixture.as("olga", {"device", "add", "screen-1", "--kind", "screen", "--zone", "phuong-1",
                                     "--tags", "market,school", "--out", out});
    INFO(added.err);
    REQUIRE(added.status == 0);
    struct stat info {};
    REQUIRE(::stat(out.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    auto provisioning = nlohmann::json::parse(slurp(out));
    CHECK(provisioning.dump().find("screen-1") != std::string::npos);
    REQUIRE(fixture.broker.accounts.size() == 1);

    auto list = fixture.as("olga", {"device", "list"});
    CHECK(list.out.find("screen-1") != std::string::npos);
    CHECK(list.out.find("market,school") != std::string::npos);

    auto revoked = fixture.as("olga", {"device", "revoke", "screen-1"});
    INFO(revoked.err);
    CHECK(revoked.status == 0);
    CHECK(fixture.broker.accounts.empty());
    auto after = fixture.as("olga", {"device", "list"});
    CHECK(after.out.find("revoked") != std::string::npos);
}

TEST_CASE("device command sends a screenshot command, device screenshot saves what the device uploaded",
          "[cli][device][screenshot]") {
    CliFixture fixture;
    fixture.login("olga", controller::Role::Operator);
    const std::string provisioning_path = fixture.directory.file("screen-1.json");
    REQUIRE(fixture
                .as("olga", {"device", "add", "screen-1", "--kind", "screen", "--zone", "phuong-1", "--out",
                             provisioning_path})
                .status == 0);
    auto sent = fixture.as("olga", {"device", "command", "screen-1", "screenshot"});
    INFO(sent.err);
    REQUIRE(sent.status == 0);
    CHECK(sent.out.find("https://signs.example.org/api/v1/devices/screen-1/screenshot") != std::string::npos);
    CHECK(fixture.sink.on("bantin/v1/dev/screen-1/cmd").size() == 1);
    auto loud = fixture.as("olga", {"device", "command", "screen-1", "set-volume", "--volume", "150"});
    CHECK(loud.status == 1);
    CHECK(loud.err.find("volume: must be 0..100") != std::string::npos);

    const std::string out = fixture.directory.file("shot.png");
    auto nothing = fixture.as("olga", {"device", "screenshot", "screen-1", "--out", out});
    CHECK(nothing.status == 1);
    CHECK(nothing.err.find("404") != std::string::npos);

    // The device uploads with its provisioning file's password.
    const auto password =
        nlohmann::json::parse(slurp(provisioning_path))["mqtt"]["password"].get<std::string>();
    const std::string png = std::string{"\x89PNG\r\n\x1a\n", 8} + "pixels";
    httplib::Client device("127.0.0.1", fixture.port);
    device.set_basic_auth("screen-1", password.c_str());
    auto uploaded = device.Put("/api/v1/devices/screen-1/screenshot", png, "image/png");
    REQUIRE(uploaded);
    REQUIRE(uploaded->status == 201);

    auto saved = fixture.as("olga", {"device", "screenshot", "screen-1", "--out", out});
    INFO(saved.err);
    REQUIRE(saved.status == 0);
    CHECK(slurp(out) == png);
    CHECK(saved.out.find(format_utc(fixture.clock.wall())) != std::string::npos);
    auto again = fixture.as("olga", {"device", "screenshot", "screen-1", "--out", out});
    CHECK(again.status == 2);
    CHECK(slurp(out) == png);
}

TEST_CASE("device add never overwrites a file and then registers nothing", "[cli][device]") {
    CliFixture fixture;
    fixture.login("olga", controller::Role::Operator);
    const std::string out = fixture.directory.file("taken.json");
    std::ofstream{out} << "keep me";
    auto added = fixture.as(
        "olga", {"device", "add", "screen-1", "--kind", "screen", "--zone", "phuong-1", "--out", out});
    CHECK(added.status == 2);
    CHECK(added.err.find("already exists") != std::string::npos);
    CHECK(slurp(out) == "keep me");
    CHECK(fixture.as("olga", {"device", "list", "--json"}).out.find("screen-1") == std::string::npos);
}

TEST_CASE("device add refused by the server leaves no provisioning file", "[cli][device]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    const std::string out = fixture.directory.file("screen-1.json");
    auto added = fixture.as(
        "eva", {"device", "add", "screen-1", "--kind", "screen", "--zone", "phuong-1", "--out", out});
    CHECK(added.status == 1);
    CHECK(added.err.rfind("bantin device add: 403 permission-denied", 0) == 0);
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("device timeline shows an approved campaign in the device's local time", "[cli][device]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    fixture.login("an", controller::Role::Approver);
    fixture.login("olga", controller::Role::Operator);
    fixture.make_campaign("eva");
    REQUIRE(fixture.as("eva", {"campaign", "submit", "c-news"}).status == 0);
    REQUIRE(fixture.as("an", {"campaign", "approve", "c-news"}).status == 0);
    REQUIRE(fixture
                .as("olga", {"device", "add", "screen-1", "--kind", "screen", "--zone", "phuong-1",
                             "--time-zone", "Asia/Ho_Chi_Minh", "--out", fixture.directory.file("s.json")})
                .status == 0);
    auto timeline = fixture.as("olga", {"device", "timeline", "screen-1", "--day", "2026-03-02"});
    INFO(timeline.err << timeline.out);
    REQUIRE(timeline.status == 0);
    CHECK(timeline.out.find("screen-1 on 2026-03-02 (Asia/Ho_Chi_Minh") != std::string::npos);
    CHECK(timeline.out.find("06:00:00") != std::string::npos);
    CHECK(timeline.out.find("c-news") != std::string::npos);
}

TEST_CASE(
    "device set changes on-hours at once, volumes and quiet hours only after a second operator confirms",
    "[cli][device][settings]") {
    CliFixture fixture;
    fixture.login("olga", controller::Role::Operator);
    fixture.login("oanh", controller::Role::Operator);
    REQUIRE(fixture
                .as("olga", {"device", "add", "screen-1", "--kind", "screen", "--zone", "phuong-1", "--out",
                             fixture.directory.file("screen-1.json")})
                .status == 0);
    auto plain = fixture.as("olga", {"device", "set", "screen-1", "--on-hours", "05:00-21:00"});
    INFO(plain.err);
    REQUIRE(plain.status == 0);
    CHECK(plain.out.find("on-hours 05:00-21:00, quiet hours none, volume 80") != std::string::npos);

    auto volumes = fixture.as(
        "olga", {"device", "set", "screen-1", "--volume", "60", "--volume-schedule", "12:00-13:30=30"});
    INFO(volumes.err);
    REQUIRE(volumes.status == 0);
    CHECK(volumes.out.find("bantin device confirm screen-1 set-") != std::string::npos);
    const auto volume_change = volumes.out.substr(volumes.out.find("set-"), 20);
    auto volume_confirmed = fixture.as("oanh", {"device", "confirm", "screen-1", volume_change});
    INFO(volume_confirmed.err);
    REQUIRE(volume_confirmed.status == 0);
    CHECK(volume_confirmed.out.find("volume 60, volume schedule 12:00-13:30=30") != std::string::npos);

    auto proposed =
        fixture.as("olga", {"device", "set", "screen-1", "--quiet-hours", "22:00-05:00", "--json"});
    INFO(proposed.err);
    REQUIRE(proposed.status == 0);
    const auto change = nlohmann::json::parse(proposed.out)["change"];
    REQUIRE(change["state"] == "pending");
    const std::string change_id = change["id"];
    auto listed = fixture.as("oanh", {"device", "changes", "screen-1"});
    CHECK(listed.out.find(change_id) != std::string::npos);
    CHECK(listed.out.find("pending") != std::string::npos);

    auto self = fixture.as("olga", {"device", "confirm", "screen-1", change_id});
    CHECK(self.status == 1);
    CHECK(self.err.rfind("bantin device confirm: 403 permission-denied", 0) == 0);
    CHECK(self.err.find("người vận hành thứ hai") != std::string::npos);

    auto confirmed = fixture.as("oanh", {"device", "confirm", "screen-1", change_id});
    INFO(confirmed.err);
    REQUIRE(confirmed.status == 0);
    CHECK(confirmed.out.find("quiet hours 22:00-05:00") != std::string::npos);

    auto bad_step = fixture.as("olga", {"device", "set", "screen-1", "--volume-schedule", "12:00-13:00"});
    CHECK(bad_step.status == 2);
    auto nothing = fixture.as("olga", {"device", "set", "screen-1"});
    CHECK(nothing.status == 2);
    auto loud = fixture.as("olga", {"device", "set", "screen-1", "--volume", "150"});
    CHECK(loud.status == 1);
    CHECK(loud.err.find("422") != std::string::npos);
    auto unknown = fixture.as("olga", {"device", "set", "screen-404", "--volume", "10"});
    CHECK(unknown.status == 1);
    CHECK(unknown.err.find("404") != std::string::npos);

    auto again = fixture.as("olga", {"device", "set", "screen-1", "--quiet-hours", "none", "--json"});
    REQUIRE(again.status == 0);
    const std::string second = nlohmann::json::parse(again.out)["change"]["id"];
    auto withdrawn = fixture.as("olga", {"device", "withdraw", "screen-1", second});
    INFO(withdrawn.err);
    CHECK(withdrawn.status == 0);
    CHECK(withdrawn.out.find("withdrew " + second) != std::string::npos);
}

TEST_CASE("a live alert waits for a second operator's confirm, cancel goes out at once", "[cli][alert]") {
    CliFixture fixture;
    fixture.login("olga", controller::Role::Operator);
    fixture.login("oanh", controller::Role::Operator);
    auto sent = fixture.as("olga", {"alert", "send", "--zones", "phuong-1", "--severity", "extreme", "--text",
                                    "Nước sông dâng cao", "--expires-in", "30m", "--id", "flood-1"});
    INFO(sent.err);
    REQUIRE(sent.status == 0);
    CHECK(sent.out.find("LIVE") != std::string::npos);
    CHECK(sent.out.find("bantin alert confirm flood-1") != std::string::npos);
    CHECK(fixture.sink.messages.empty());

    auto self = fixture.as("olga", {"alert", "confirm", "flood-1"});
    CHECK(self.status == 1);
    CHECK(self.err.rfind("bantin alert confirm: 403 permission-denied", 0) == 0);

    auto confirmed = fixture.as("oanh", {"alert", "confirm", "flood-1", "--json"});
    INFO(confirmed.err);
    REQUIRE(confirmed.status == 0);
    CHECK(nlohmann::json::parse(confirmed.out)["state"] == "sent");
    CHECK_FALSE(fixture.sink.messages.empty());
    auto view = nlohmann::json::parse(fixture.as("oanh", {"alert", "show", "flood-1", "--json"}).out);
    const auto expires = parse_utc(view["expires"].get<std::string>());
    REQUIRE(expires);
    const auto lifetime = *expires - fixture.clock.wall();
    CHECK(lifetime > std::chrono::minutes{29});
    CHECK(lifetime <= std::chrono::minutes{31});

    auto list = fixture.as("olga", {"alert", "list"});
    CHECK(list.out.find("flood-1") != std::string::npos);
    auto cancelled = fixture.as("olga", {"alert", "cancel", "flood-1"});
    INFO(cancelled.err);
    CHECK(cancelled.status == 0);
    CHECK(cancelled.out.find("cancelled") != std::string::npos);
}

TEST_CASE("an exercise alert for every zone goes out at once", "[cli][alert]") {
    CliFixture fixture;
    fixture.login("olga", controller::Role::Operator);
    auto sent = fixture.as("olga", {"alert", "send", "--all", "--severity", "minor", "--text", "Diễn tập",
                                    "--exercise", "--json"});
    INFO(sent.err);
    REQUIRE(sent.status == 0);
    auto alert = nlohmann::json::parse(sent.out);
    CHECK(alert["live"] == false);
    CHECK(alert["state"] == "sent");
    CHECK(alert["all_zones"] == true);
    CHECK_FALSE(fixture.sink.messages.empty());

    auto both = fixture.as("olga", {"alert", "send", "--all", "--zones", "phuong-1", "--text", "x"});
    CHECK(both.status == 2);
    auto bad_expiry = fixture.as("olga", {"alert", "send", "--all", "--text", "x", "--expires-in", "soon"});
    CHECK(bad_expiry.status == 2);
    CHECK(bad_expiry.err.find("--expires-in") != std::string::npos);
}

TEST_CASE("report --csv writes the server's CSV to a file", "[cli][report]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    for (const std::string name : {"plays", "delivery", "alerts", "uptime"}) {
        const std::string file = fixture.directory.file(name + ".csv");
        auto run =
            fixture.as("eva", {"report", name, "--from", "2026-01-01", "--to", "2026-01-08", "--csv", file});
        INFO(name << ": " << run.err);
        REQUIRE(run.status == 0);
        CHECK(run.out.find("wrote " + file) != std::string::npos);
        const std::string csv = slurp(file);
        REQUIRE_FALSE(csv.empty());
        CHECK(csv.starts_with("\xEF\xBB\xBF"));  // a byte order mark, for spreadsheets
        CHECK(csv.find(name == "uptime"   ? "device"
                       : name == "alerts" ? "alert"
                                          : "campaign") < csv.find('\n'));
    }
    const std::string by_zone = fixture.directory.file("by-zone.csv");
    auto grouped = fixture.as("eva", {"report", "delivery", "--from", "2026-01-01", "--to", "2026-01-08",
                                      "--group", "zone", "--csv", by_zone});
    REQUIRE(grouped.status == 0);
    CHECK(
        slurp(by_zone).starts_with("\xEF\xBB\xBF"
                                   "Khu vực / zone,Kế hoạch / planned,"));
    auto bad_group = fixture.as(
        "eva", {"report", "delivery", "--from", "2026-01-01", "--to", "2026-01-08", "--group", "device"});
    CHECK(bad_group.status == 1);
    CHECK(bad_group.err.find("group: ") != std::string::npos);
    auto backwards = fixture.as("eva", {"report", "plays", "--from", "2026-01-08", "--to", "2026-01-01"});
    CHECK(backwards.status == 1);
    CHECK(lines_in(backwards.err) == 1);
    CHECK(backwards.err.rfind("bantin report plays: 422 invalid-input", 0) == 0);
}

// --- users ---------------------------------------------------------------------------------------

TEST_CASE("an admin creates, lists and disables users, the disabled one is signed out", "[cli][user]") {
    CliFixture fixture;
    fixture.login("root", controller::Role::Admin);
    auto created = fixture.as(
        "root",
        {"user", "create", "binh", "--role", "approver", "--display-name", "Bình", "--password-stdin"},
        "a long enough password\n");
    INFO(created.err);
    REQUIRE(created.status == 0);
    CHECK(created.out.find("binh (approver)") != std::string::npos);

    auto login = fixture.bantin({"login", "--user", "binh", "--token-file", fixture.token_file("binh")},
                                "a long enough password\n");
    REQUIRE(login.status == 0);

    auto list = fixture.as("root", {"user", "list"});
    CHECK(list.out.find("Bình") != std::string::npos);

    auto disabled = fixture.as("root", {"user", "disable", "binh"});
    INFO(disabled.err);
    CHECK(disabled.status == 0);
    CHECK(disabled.out == "user binh disabled\n");
    auto whoami = fixture.as("binh", {"whoami"});
    CHECK(whoami.status == 3);

    auto not_admin = fixture.as("binh", {"user", "list"});
    CHECK(not_admin.status == 3);
    auto unknown = fixture.as("root", {"user", "disable", "nobody"});
    CHECK(unknown.status == 1);
    CHECK(unknown.err == "bantin user disable: no user named \"nobody\"\n");
}

TEST_CASE("notice create stores the text and its speech", "[cli][notice]") {
    CliFixture fixture;
    fixture.login("eva", controller::Role::Editor);
    auto run = fixture.as("eva", {"notice", "create", "--text", "Sáng mai cắt điện từ 7 giờ", "--json"});
    INFO(run.err);
    REQUIRE(run.status == 0);
    auto notice = nlohmann::json::parse(run.out);
    CHECK(notice["type"] == "text");
    CHECK(notice["tts_media"].is_string());
    CHECK(notice["duration_ms"].get<int>() > 0);
}

// --- live ------------------------------------------------------------------------------------

TEST_CASE("bantin live closes the channel it opened when ffmpeg cannot publish, exit 1", "[cli][live]") {
    CliFixture fixture;
    fixture.login("olga", controller::Role::Operator);
    fixture.make_media("tone.wav", "-f lavfi -i sine=frequency=1000:duration=2");
    const std::string file = fixture.directory.file("tone.wav");
    auto run = fixture.as("olga", {"live", "--zone", "phuong-1", "--input", file, "--level", "emergency"});
    INFO(run.out);
    INFO(run.err);
    CHECK(run.status == 1);
    CHECK(run.out.find("open (emergency, zones phuong-1)") != std::string::npos);
    CHECK(run.out.find("closed: ffmpeg exited with status") != std::string::npos);
    const auto sent = fixture.sink.on("bantin/v1/live/zone/phuong-1");
    REQUIRE(sent.size() == 2);
    auto start = protocol::verify_live(sent[0].payload, {protocol::trusted_key(fixture.keys.public_key)},
                                       "phuong-1", fixture.clock.wall());
    REQUIRE(start);
    CHECK(std::holds_alternative<protocol::LiveStart>(*start));
    auto end = protocol::verify_live(sent[1].payload, {protocol::trusted_key(fixture.keys.public_key)},
                                     "phuong-1", fixture.clock.wall());
    REQUIRE(end);
    CHECK(std::holds_alternative<protocol::LiveEnd>(*end));
    auto open = fixture.live->open_channels();
    REQUIRE(open);
    CHECK(open->empty());
}

TEST_CASE("bantin live refuses a missing zone or input before it opens anything", "[cli][live]") {
    CliFixture fixture;
    fixture.login("olga", controller::Role::Operator);
    auto no_zone = fixture.as("olga", {"live", "--input", "hw:0"});
    CHECK(no_zone.status == 2);
    auto unknown = fixture.as("olga", {"live", "--zone", "xa-khong-co", "--input", "hw:0"});
    CHECK(unknown.status == 1);
    CHECK(unknown.err.find("xa-khong-co") != std::string::npos);
    auto duration =
        fixture.as("olga", {"live", "--zone", "phuong-1", "--input", "hw:0", "--duration", "soon"});
    CHECK(duration.status == 2);
    CHECK(fixture.sink.messages.empty());
}
