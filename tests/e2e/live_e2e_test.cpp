// A live broadcast end to end with every part real: Debian's icecast2 on a free loopback port
// (tests/support/icecast_server.hpp) is the controller's `[live] icecast_url`; the real
// bantin-controller (with its Mosquitto) and two real bantin-player processes (headless
// loudspeakers), one in the zone spoken to and one in another zone; the real `bantin live`
// CLI, which opens the channel over the API and feeds its Icecast mount with ffmpeg from an
// audio file made here.
//
// The story: both loudspeakers play their loop campaign; `bantin live --zone xa-dong` speaks a
// short file: the device of xa-dong plays the channel (its status says source `live`, and its
// proof rows of the channel reach the controller: the built-in chime first, then the voice),
// the device of xa-tay never does; the file ends, the CLI closes the channel, the device goes
// back to its schedule. Then a second channel's source dies (the CLI and its ffmpeg are killed
// mid-sentence, so nobody closes it): the device tries the mount again, gives up after its
// retries (docs/player.md "Live channels") and plays its schedule; the channel is still open at
// the controller, also after the controller restarts, and closing it over the API still works.
//
// No fixed sleeps: every wait polls for the state it needs, with a generous bound. icecast2 not
// installed is a failure (scripts/install-deps.sh installs it), not a skip.

#include "bantin/media/alert_tone.hpp"
#include "support/icecast_server.hpp"
#include "support/whole_system.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>

using namespace bantin;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

const std::string live_zone = "xa-dong";
const std::string quiet_zone = "xa-tay";
const std::string live_speaker = "loa-dong-1";
const std::string quiet_speaker = "loa-tay-1";
const std::string live_campaign = "c-nhac-nen";

// `bantin live ...` as the operator runs it; kill_hard() is the source dying: the CLI and its
// ffmpeg killed at once, so nobody closes the channel.
class LiveFeedProcess {
public:
    static Result<LiveFeedProcess> start(const std::filesystem::path& home, std::uint16_t port,
                                         const std::string& token, const std::string& input,
                                         const std::filesystem::path& log) {
        std::filesystem::create_directories(home);
        auto child = test::ChildProcess::spawn(
            {"env", "HOME=" + home.string(), "BANTIN_SERVER=http://127.0.0.1:" + std::to_string(port),
             "BANTIN_TOKEN=" + token, BANTIN_CLI, "live", "--zone", live_zone, "--input", input, "--level",
             "priority", "--duration", "5m"},
            log);
        if (!child)
            return std::unexpected(child.error());
        LiveFeedProcess feed;
        feed.m_cli = std::move(*child);
        return feed;
    }
    LiveFeedProcess() = default;
    LiveFeedProcess(LiveFeedProcess&&) = default;
    LiveFeedProcess& operator=(LiveFeedProcess&&) = default;
    ~LiveFeedProcess() {
        if (m_cli.running()) {
            m_cli.send_signal(SIGTERM);  // the CLI stops its ffmpeg and closes the channel
            if (!m_cli.wait_for_exit(10s))
                kill_hard();
        }
    }

    bool running() { return m_cli.running(); }
    std::optional<int> wait_for_exit(std::chrono::milliseconds timeout) {
        return m_cli.wait_for_exit(timeout);
    }
    std::string output() const { return m_cli.output(); }

    // The CLI's children (its ffmpeg), from /proc.
    std::vector<pid_t> children() const {
        std::vector<pid_t> pids;
        const std::string pid = std::to_string(m_cli.pid());
        std::ifstream in("/proc/" + pid + "/task/" + pid + "/children");
        for (long child = 0; in >> child;) pids.push_back(static_cast<pid_t>(child));
        return pids;
    }

    // SIGKILL to the CLI first (it cannot close the channel), then to its ffmpeg.
    void kill_hard() {
        const auto encoders = children();
        m_cli.kill_and_wait();
        for (const pid_t encoder : encoders) ::kill(encoder, SIGKILL);
    }

private:
    test::ChildProcess m_cli;
};

// The system of this story: icecast2, the controller with live channels on, two loudspeakers.
class LiveBroadcastSystem : public test::WholeSystem {
public:
    explicit LiveBroadcastSystem(std::uint16_t icecast_port) : WholeSystem(options_for(icecast_port)) {
        std::filesystem::create_directories(controller_dir());
        test::write_file(controller_dir() / "icecast-source.txt",
                         std::string{test::IcecastServer::source_password} + "\n", 0600);
    }

    static test::WholeSystemOptions options_for(std::uint16_t icecast_port) {
        test::WholeSystemOptions options;
        options.controller_config_extra =
            "[live]\nicecast_url = \"http://127.0.0.1:" + std::to_string(icecast_port) +
            "\"\nsource_password_file = \"icecast-source.txt\"\n"
            "max_duration_min = 10\n";
        return options;
    }

    // An audio file made with ffmpeg (a sine tone), or empty when ffmpeg failed.
    std::filesystem::path make_tone(const std::string& name, int seconds, int frequency) const {
        const auto media = root() / "media-in";
        std::filesystem::create_directories(media);
        const auto file = media / name;
        auto made = test::run_command({"ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                                       "sine=frequency=" + std::to_string(frequency) + ":sample_rate=48000",
                                       "-t", std::to_string(seconds), "-ac", "1", file.string()},
                                      media / ("ffmpeg-" + name + ".log"), 60s);
        return made.exit_code == 0 ? file : std::filesystem::path{};
    }

    // The device's view: its last status's now_playing, and its last_error.
    Json now_playing(test::ApiUser& user, const std::string& device) {
        auto view = user.get("/api/v1/devices/" + device).body;
        if (!view.is_object() || !view["status"].is_object() || !view["status"].contains("now_playing"))
            return Json::object();
        return view["status"]["now_playing"];
    }
    std::string last_error(test::ApiUser& user, const std::string& device) {
        auto view = user.get("/api/v1/devices/" + device).body;
        if (!view.is_object() || !view["status"].is_object())
            return {};
        return view["status"].value("last_error", "");
    }

    std::vector<test::ProofRow> live_rows(const std::string& device, const std::string& channel) const {
        std::vector<test::ProofRow> rows;
        for (auto& row : proof_rows(device))
            if (row.live == channel)
                rows.push_back(row);
        return rows;
    }
};

}  // namespace

TEST_CASE(
    "e2e: bantin live speaks to its zone only through a real Icecast, the channel ends with its "
    "source, and a dead source sends the devices back to their schedule",
    "[e2e][live]") {
    // --- icecast2: required, not optional ---
    if (!test::IcecastServer::installed())
        FAIL("icecast2 is not installed (/usr/bin/icecast2): run scripts/install-deps.sh");
    test::IcecastServer icecast;
    if (auto started = icecast.start(); !started)
        FAIL(started.error().message());

    LiveBroadcastSystem system(icecast.port());
    INFO("data under " << system.root().string());
    const std::string admin_password = "admin-live-password-1";
    if (auto prepared = system.prepare_controller(admin_password); !prepared)
        FAIL(prepared.error().message());
    if (auto started = system.start_controller(); !started)
        FAIL(started.error().message());
    const auto port = system.http_port();
    test::ApiUser admin(port, test::login(port, "admin", admin_password));
    for (const auto& [name, role] : std::vector<std::pair<std::string, std::string>>{
             {"bientap", "editor"}, {"duyet", "approver"}, {"vanhanh", "operator"}}) {
        auto created = admin.post(
            "/api/v1/users",
            {{"name", name}, {"display_name", name}, {"role", role}, {"password", name + "-live-password"}});
        INFO(created.text);
        REQUIRE(created.status == 201);
    }
    test::ApiUser editor(port, test::login(port, "bientap", "bientap-live-password"));
    test::ApiUser approver(port, test::login(port, "duyet", "duyet-live-password"));
    const std::string operator_token = test::login(port, "vanhanh", "vanhanh-live-password");
    REQUIRE_FALSE(operator_token.empty());
    test::ApiUser operator_user(port, operator_token);

    // --- the schedule: one loop campaign of a 3 s tune for both zones ---
    for (const auto& zone : {live_zone, quiet_zone}) {
        auto made = operator_user.post("/api/v1/zones", {{"id", zone}, {"name", zone}});
        INFO(made.text);
        REQUIRE(made.status == 201);
    }
    const auto tune = system.make_tone("nhac-nen.mp3", 3, 330);
    REQUIRE_FALSE(tune.empty());
    auto uploaded = editor.upload("/api/v1/media?name=nhac-nen.mp3", test::read_text_file(tune));
    INFO(uploaded.text);
    REQUIRE(uploaded.status == 201);
    auto playlist = editor.post(
        "/api/v1/playlists",
        {{"id", "pl-nhac-nen"}, {"name", "Nhạc nền"}, {"items", {{{"media", uploaded.body["sha256"]}}}}});
    INFO(playlist.text);
    REQUIRE(playlist.status == 201);
    auto campaign = editor.post("/api/v1/campaigns", {{"id", live_campaign},
                                                      {"name", "Nhạc nền"},
                                                      {"playlist", "pl-nhac-nen"},
                                                      {"targets", {{"zones", {live_zone, quiet_zone}}}},
                                                      {"mode", "loop"}});
    INFO(campaign.text);
    REQUIRE(campaign.status == 201);
    auto submitted = editor.post("/api/v1/campaigns/" + live_campaign + "/submit", {{"version", 1}});
    INFO(submitted.text);
    REQUIRE(submitted.status == 200);
    auto approved = approver.post("/api/v1/campaigns/" + live_campaign + "/approve",
                                  {{"version", submitted.body["version"]}});
    INFO(approved.text);
    REQUIRE(approved.status == 200);

    // --- the loudspeakers: registered by the operator, real players started ---
    for (const auto& [device, zone] :
         {std::pair{live_speaker, live_zone}, std::pair{quiet_speaker, quiet_zone}}) {
        auto registered = operator_user.post(
            "/api/v1/devices", {{"id", device}, {"kind", "speaker"}, {"zone", zone}, {"has_speaker", true}});
        INFO(registered.text);
        REQUIRE(registered.status == 201);
        if (auto started = system.start_player(device, registered.body["provisioning"].dump()); !started)
            FAIL(started.error().message());
    }
    auto playing_source = [&](const std::string& device, const std::string& source, const std::string& id) {
        const Json playing = system.now_playing(operator_user, device);
        return playing.value("source", "") == source && playing.value("source_id", "") == id;
    };
    const bool scheduled = test::eventually(30s, [&] {
        return playing_source(live_speaker, "campaign", live_campaign) &&
               playing_source(quiet_speaker, "campaign", live_campaign);
    });
    if (!scheduled)
        FAIL("the loudspeakers did not start their campaign\n" << system.logs());

    // xa-tay's loudspeaker must never play a live channel: looked at on every poll below.
    bool quiet_went_live = false;
    auto watch_quiet_zone = [&] {
        if (system.now_playing(operator_user, quiet_speaker).value("source", "") == "live")
            quiet_went_live = true;
    };
    const std::string chime_sha = media::alert_tone_media(media::AlertTone::Chime).sha256;

    // --- 1. a channel that ends with its input: the CLI closes it ---
    const auto voice = system.make_tone("giong-noi.wav", 8, 880);
    REQUIRE_FALSE(voice.empty());
    auto fed = LiveFeedProcess::start(system.root() / "cli-home", port, operator_token, voice.string(),
                                      system.root() / "bantin-live-1.log");
    if (!fed)
        FAIL(fed.error().message());
    LiveFeedProcess feed = std::move(*fed);
    std::string channel;
    const bool opened = test::eventually(20s, [&] {
        auto listed = operator_user.get("/api/v1/live");
        if (listed.status == 200 && listed.body["items"].size() == 1)
            channel = listed.body["items"][0]["id"];
        return !channel.empty() || !feed.running();
    });
    INFO("channel " << channel);
    if (!opened || channel.empty())
        FAIL("bantin live opened no channel\n" << feed.output() << system.logs());
    const bool heard = test::eventually(20s, [&] {
        watch_quiet_zone();
        return playing_source(live_speaker, "live", channel);
    });
    if (!heard)
        FAIL("xa-dong's loudspeaker never played the channel\n"
             << feed.output() << system.logs() << "\n--- icecast ---\n"
             << icecast.log());
    const auto exit_code = feed.wait_for_exit(30s);
    INFO(feed.output());
    REQUIRE(exit_code == 0);  // the file ended, the CLI closed the channel
    CHECK(feed.output().find("live " + channel + " closed: ffmpeg: the source ended") != std::string::npos);
    const auto after_close = operator_user.get("/api/v1/live");
    REQUIRE(after_close.status == 200);
    CHECK(after_close.body["items"].empty());

    // The proof of the channel, at the controller, under the channel's id: the chime's row first,
    // then the voice's; and the device back on its schedule.
    std::vector<test::ProofRow> rows;
    const bool back_to_schedule = test::eventually(30s, [&] {
        watch_quiet_zone();
        rows = system.live_rows(live_speaker, channel);
        const bool voice_proven = std::any_of(rows.begin(), rows.end(), [&](const test::ProofRow& row) {
            return row.item == 0 && row.media != chime_sha;
        });
        return voice_proven && playing_source(live_speaker, "campaign", live_campaign);
    });
    if (!back_to_schedule)
        FAIL("no voice row of the channel, or xa-dong did not go back to its campaign\n" << system.logs());
    REQUIRE(rows.size() >= 2);
    CHECK(rows[0].media == chime_sha);
    CHECK(rows[0].item == 1);
    CHECK(rows[0].outcome == "completed");
    // Then the voice (item 0, the stream): more than one row only when the device tried the mount
    // before ffmpeg had reached it (a loss, tried again, docs/player.md).
    for (std::size_t index = 1; index < rows.size(); ++index) {
        CHECK(rows[index].media != chime_sha);
        CHECK(rows[index].item == 0);
        CHECK(rows[index].started_at >= rows[0].started_at);
    }
    CHECK(rows.back().outcome == "interrupted");  // cut by its source's end and the close
    for (const auto& row : rows) CHECK(row.campaign.empty());
    for (const auto& row : rows) CHECK(row.alert.empty());

    // --- 2. a channel whose source dies: nobody closes it, the devices give up on it ---
    const auto long_voice = system.make_tone("giong-noi-dai.wav", 60, 660);
    REQUIRE_FALSE(long_voice.empty());
    auto fed_again = LiveFeedProcess::start(system.root() / "cli-home", port, operator_token,
                                            long_voice.string(), system.root() / "bantin-live-2.log");
    if (!fed_again)
        FAIL(fed_again.error().message());
    LiveFeedProcess dying = std::move(*fed_again);
    std::string second;
    const bool reopened = test::eventually(20s, [&] {
        auto listed = operator_user.get("/api/v1/live");
        if (listed.status == 200 && listed.body["items"].size() == 1 &&
            listed.body["items"][0]["id"] != channel)
            second = listed.body["items"][0]["id"];
        return !second.empty() || !dying.running();
    });
    INFO("second channel " << second);
    if (!reopened || second.empty())
        FAIL("bantin live opened no second channel\n" << dying.output() << system.logs());
    // The voice is on (past the chime): the source dies mid-sentence.
    const bool speaking = test::eventually(20s, [&] {
        watch_quiet_zone();
        const Json playing = system.now_playing(operator_user, live_speaker);
        return playing.value("source", "") == "live" && playing.value("source_id", "") == second &&
               playing.value("media", "") != chime_sha;
    });
    if (!speaking)
        FAIL("xa-dong's loudspeaker never played the second channel's voice\n"
             << dying.output() << system.logs() << "\n--- icecast ---\n"
             << icecast.log());
    REQUIRE(dying.children().size() == 1);  // its ffmpeg
    dying.kill_hard();

    const std::string gave_up = "live " + second + ": nguồn phát đã dừng / the source stopped";
    const bool fell_back = test::eventually(30s, [&] {
        watch_quiet_zone();
        return system.last_error(operator_user, live_speaker).find(gave_up) != std::string::npos &&
               playing_source(live_speaker, "campaign", live_campaign);
    });
    if (!fell_back)
        FAIL("xa-dong's loudspeaker did not give up on the dead channel and go back to its campaign\n"
             << system.logs());
    // The retries are in the device's log; the voice's play is proven, cut.
    CHECK(system.player_log(live_speaker).find("live " + second + ": the source was lost (1 of 3)") !=
          std::string::npos);
    const bool voice_cut = test::eventually(20s, [&] {
        const auto second_rows = system.live_rows(live_speaker, second);
        return std::any_of(second_rows.begin(), second_rows.end(), [&](const test::ProofRow& row) {
            return row.item == 0 && row.media != chime_sha && row.outcome == "interrupted";
        });
    });
    CHECK(voice_cut);

    // Nobody closed it: the controller still lists the channel, after a restart too (open
    // channels are kept in its database), and its close still works there.
    auto still_open = operator_user.get("/api/v1/live");
    REQUIRE(still_open.status == 200);
    REQUIRE(still_open.body["items"].size() == 1);
    CHECK(still_open.body["items"][0]["id"] == second);
    CHECK(system.stop_controller() == 0);
    if (auto restarted = system.start_controller(); !restarted)
        FAIL(restarted.error().message());
    auto after_restart = operator_user.get("/api/v1/live");
    INFO(after_restart.text);
    REQUIRE(after_restart.status == 200);
    REQUIRE(after_restart.body["items"].size() == 1);
    CHECK(after_restart.body["items"][0]["id"] == second);
    // A close the broker link refuses (still connecting) keeps the channel closable: try until done.
    test::ApiUser::Answer closed;
    const bool closed_after_restart = test::eventually(20s, [&] {
        closed = operator_user.post("/api/v1/live/" + second + "/close", Json::object());
        return closed.status == 200;
    });
    INFO(closed.text);
    CHECK(closed_after_restart);
    CHECK(operator_user.get("/api/v1/live").body["items"].empty());
    auto closed_again = operator_user.post("/api/v1/live/" + second + "/close", Json::object());
    CHECK(closed_again.status == 404);

    // xa-tay heard nothing of either channel.
    watch_quiet_zone();
    CHECK_FALSE(quiet_went_live);
    for (const auto& row : system.proof_rows(quiet_speaker)) CHECK(row.live.empty());
    // Its campaign goes on (the fleet view says so once the restarted controller has its status;
    // between two items it may say nothing for a moment).
    CHECK(test::eventually(20s, [&] { return playing_source(quiet_speaker, "campaign", live_campaign); }));
}
