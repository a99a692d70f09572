// The whole system on one machine: the real bantin-controller (its own Mosquitto on a free
// loopback port, a fresh data directory, generated config and keys) and the real bantin-player
// (headless: vo=null, ao=null), talking only through HTTP and MQTT as they do in the field.
//
// The story: admin, editor, approver and two operators are created over the API; the editor
// uploads a 2 s video and a PNG made here with ffmpeg and a Vietnamese notice (spoken by
// espeak-ng), builds a playlist and a loop campaign for a zone; an operator registers a device
// and the player starts with its provisioning file; editor submits, approver approves → the
// player applies the new bundle, plays it and its proof rows reach the controller; a live alert
// (sent by one operator, confirmed by another) preempts the schedule, a cancel ends it and the
// schedule resumes; revoking the device ends its MQTT session and its credentials.
//
// Every wait is bounded; the whole case takes about a minute. On failure the logs of both
// daemons are printed.

#include "support/whole_system.hpp"

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <thread>

using namespace bantin;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

using test::ApiUser;
using test::controller_executable;
using test::eventually;
using test::login;
using test::now_ms;
using test::ProofRow;
using test::utc_text;

const std::string zone_id = "phuong-1";
const std::string device_id = "scr-e2e-01";
const std::string campaign_id = "c-e2e-loop";

// The story's system: the controller and one player, the device `device_id`.
class System : public test::WholeSystem {
public:
    Result<void> start_player(const std::string& provisioning) {
        return WholeSystem::start_player(device_id, provisioning);
    }
    std::optional<int> stop_player() { return WholeSystem::stop_player(device_id); }
    bool player_running() { return WholeSystem::player_running(device_id); }
    std::vector<ProofRow> proof_rows() const { return WholeSystem::proof_rows(device_id); }

    // The player's lines about playback, proof, plans, bundles and alerts: what explains a
    // failed or missing row.
    std::string player_play_log() const {
        std::istringstream in(player_log(device_id));
        std::string out;
        for (std::string line; std::getline(in, line);) {
            for (const char* topic :
                 {"playback", "proof ", "runner:", "bundle", "alert", "mpv", "renderer", "media "}) {
                if (line.find(topic) != std::string::npos) {
                    out += line + "\n";
                    break;
                }
            }
        }
        return out;
    }

    // Makes the test media with ffmpeg: a 2 s video with sound and a PNG.
    std::pair<std::string, std::string> make_media() const {
        const auto media = root() / "media-in";
        std::filesystem::create_directories(media);
        auto video = test::run_command(
            {"ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f",
             "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:v", "mpeg4", "-c:a", "aac",
             (media / "clip.mp4").string()},
            media / "ffmpeg-video.log", 60s);
        auto image =
            test::run_command({"ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                               "color=c=blue:s=320x240", "-frames:v", "1", (media / "poster.png").string()},
                              media / "ffmpeg-image.log", 60s);
        if (video.exit_code != 0 || image.exit_code != 0)
            return {};
        return {test::read_text_file(media / "clip.mp4"), test::read_text_file(media / "poster.png")};
    }
};

}  // namespace

TEST_CASE(
    "e2e: a campaign approved over the API plays on a real player, is proven, yields to a live alert, "
    "and a revoked device is cut off",
    "[e2e][system]") {
    System system;
    INFO("data under " << system.root().string());

    // --- start-up: config check, keys, first admin, daemon ---
    auto check =
        test::run_command({controller_executable, "--check-config", system.controller_config().string()},
                          system.root() / "check.log");
    INFO(check.output);
    REQUIRE(check.exit_code == 0);
    auto keys = system.controller_command({"--init-keys"});
    INFO(keys.output);
    REQUIRE(keys.exit_code == 0);
    const std::string admin_password = "admin-e2e-password-1";
    auto admin = system.controller_command({"--create-admin", "admin"}, admin_password + "\n");
    INFO(admin.output);
    REQUIRE(admin.exit_code == 0);
    auto started = system.start_controller();
    if (!started)
        FAIL(started.error().message());

    const auto port = system.http_port();
    {
        httplib::Client anonymous("127.0.0.1", port);
        auto me = anonymous.Get("/api/v1/auth/me");
        REQUIRE(me);
        CHECK(me->status == 401);
    }
    ApiUser admin_api(port, login(port, "admin", admin_password));

    // --- people: editor, approver and two operators ---
    const std::map<std::string, std::string> roles{
        {"editor", "editor"}, {"approver", "approver"}, {"operator", "operator"}, {"operator2", "operator"}};
    for (const auto& [name, role] : roles) {
        auto created = admin_api.post(
            "/api/v1/users",
            {{"name", name}, {"display_name", name}, {"role", role}, {"password", name + "-e2e-password"}});
        INFO(created.text);
        REQUIRE(created.status == 201);
    }
    ApiUser editor(port, login(port, "editor", "editor-e2e-password"));
    ApiUser approver(port, login(port, "approver", "approver-e2e-password"));
    ApiUser operator_one(port, login(port, "operator", "operator-e2e-password"));
    ApiUser operator_two(port, login(port, "operator2", "operator2-e2e-password"));

    // --- content: zone, media, notice, playlist, campaign ---
    auto zone = operator_one.post("/api/v1/zones", {{"id", zone_id}, {"name", "Phường 1"}});
    INFO(zone.text);
    REQUIRE(zone.status == 201);
    const auto [video_bytes, image_bytes] = system.make_media();
    REQUIRE_FALSE(video_bytes.empty());
    REQUIRE_FALSE(image_bytes.empty());
    auto video = editor.upload("/api/v1/media?name=clip.mp4", video_bytes);
    INFO(video.text);
    REQUIRE(video.status == 201);
    CHECK(video.body["type"] == "video");
    CHECK(video.body["duration_ms"].get<int>() >= 1900);
    auto image = editor.upload("/api/v1/media?name=poster.png", image_bytes);
    INFO(image.text);
    REQUIRE(image.status == 201);
    CHECK(image.body["type"] == "image");
    auto notice =
        editor.post("/api/v1/notices",
                    {{"text", "Thông báo: sáng mai cắt điện từ 7 giờ đến 9 giờ."}, {"name", "cat-dien"}});
    INFO(notice.text);
    REQUIRE(notice.status == 201);
    CHECK(notice.body["type"] == "text");
    CHECK_FALSE(notice.body["tts_media"].is_null());

    const std::string video_sha = video.body["sha256"];
    const std::string image_sha = image.body["sha256"];
    const std::string notice_sha = notice.body["sha256"];
    auto playlist = editor.post(
        "/api/v1/playlists",
        {{"id", "pl-e2e"},
         {"name", "E2E"},
         {"items",
          {{{"media", video_sha}}, {{"media", image_sha}, {"duration_ms", 2000}}, {{"media", notice_sha}}}}});
    INFO(playlist.text);
    REQUIRE(playlist.status == 201);
    auto campaign = editor.post("/api/v1/campaigns", {{"id", campaign_id},
                                                      {"name", "E2E loop"},
                                                      {"playlist", "pl-e2e"},
                                                      {"targets", {{"zones", {zone_id}}}},
                                                      {"mode", "loop"}});
    INFO(campaign.text);
    REQUIRE(campaign.status == 201);
    CHECK(campaign.body["approval"] == "draft");

    // --- the device: registered by an operator, then the real player starts ---
    auto registered = operator_one.post(
        "/api/v1/devices", {{"id", device_id}, {"kind", "screen"}, {"zone", zone_id}, {"has_speaker", true}});
    INFO(registered.text);
    REQUIRE(registered.status == 201);
    const Json provisioning = registered.body["provisioning"];
    CHECK(provisioning["mqtt"]["port"].get<int>() == system.broker_port());
    auto player_started = system.start_player(provisioning.dump(2));
    if (!player_started)
        FAIL(player_started.error().message());

    auto device = [&] { return operator_one.get("/api/v1/devices/" + device_id).body; };
    Json view;
    const bool online = eventually(20s, [&] {
        view = device();
        return view.value("online", false) && view["applied_version"] == view["desired_version"];
    });
    INFO(view.dump());
    if (!online)
        FAIL("the player did not come online with its first bundle\n" << system.logs());
    const std::int64_t draft_version = view["desired_version"].get<std::int64_t>();
    CHECK(system.proof_rows().empty());  // nothing approved: nothing plays

    // --- approval: the editor submits, the approver approves (never the author) ---
    auto self_approval = editor.post("/api/v1/campaigns/" + campaign_id + "/approve", {{"version", 1}});
    CHECK(self_approval.status == 403);
    auto submitted = editor.post("/api/v1/campaigns/" + campaign_id + "/submit", {{"version", 1}});
    INFO(submitted.text);
    REQUIRE(submitted.status == 200);
    auto approved = approver.post("/api/v1/campaigns/" + campaign_id + "/approve",
                                  {{"version", submitted.body["version"]}, {"note", "ok"}});
    INFO(approved.text);
    REQUIRE(approved.status == 200);
    CHECK(approved.body["approval"] == "approved");

    const bool applied = eventually(30s, [&] {
        view = device();
        return view["desired_version"].get<std::int64_t>() > draft_version &&
               view["applied_version"] == view["desired_version"] && view["delivery"] == "applied";
    });
    INFO(view.dump());
    if (!applied)
        FAIL("the approved campaign's bundle was not applied\n" << system.logs());
    const std::int64_t campaign_version = view["applied_version"].get<std::int64_t>();
    const bool playing_campaign = eventually(15s, [&] {
        view = device();
        return view["status"].is_object() && view["status"].contains("now_playing") &&
               view["status"]["now_playing"]["source_id"] == campaign_id;
    });
    INFO(view.dump());
    CHECK(playing_campaign);

    std::vector<ProofRow> rows;
    const bool proven = eventually(30s, [&] {
        rows = system.proof_rows();
        return std::any_of(rows.begin(), rows.end(), [&](const ProofRow& row) {
            return row.campaign == campaign_id && row.outcome == "completed" &&
                   row.bundle_version == campaign_version;
        });
    });
    INFO(rows.size() << " proof rows");
    if (!proven)
        FAIL("no completed proof row of the campaign reached the controller\n" << system.logs());
    for (const auto& row : rows) CHECK(row.ended_at >= row.started_at);
    // The same plays through the API's report (plays per campaign per day per zone).
    auto report = approver.get("/api/v1/reports/plays?from=" + utc_text(now_ms() - 86'400'000) +
                               "&to=" + utc_text(now_ms() + 86'400'000));
    INFO(report.text);
    REQUIRE(report.status == 200);
    std::int64_t reported_completed = 0;
    for (const auto& row : report.body["items"])
        if (row["campaign"] == campaign_id && row["zone"] == zone_id)
            reported_completed += row["completed"].get<std::int64_t>();
    CHECK(reported_completed >= 1);

    // --- a live alert: one operator sends, a second confirms, the player preempts ---
    auto alert =
        operator_one.post("/api/v1/alerts", {{"id", "canh-bao-e2e"},
                                             {"zones", {zone_id}},
                                             {"severity", "severe"},
                                             {"status", "actual"},
                                             {"headline", "Cảnh báo ngập"},
                                             {"text", "Nước dâng cao, bà con di chuyển lên chỗ cao."}});
    INFO(alert.text);
    REQUIRE(alert.status == 201);
    CHECK(alert.body["live"] == true);
    auto self_confirm = operator_one.post("/api/v1/alerts/canh-bao-e2e/confirm", Json::object());
    CHECK(self_confirm.status == 403);
    auto confirmed = operator_two.post("/api/v1/alerts/canh-bao-e2e/confirm", Json::object());
    INFO(confirmed.text);
    REQUIRE(confirmed.status == 200);
    const std::int64_t confirmed_at = now_ms();

    const bool alert_playing = eventually(10s, [&] {
        view = device();
        return view["status"].is_object() && view["status"].contains("now_playing") &&
               view["status"]["now_playing"]["source_id"] == "canh-bao-e2e";
    });
    INFO(view.dump());
    if (!alert_playing)
        FAIL_CHECK("the player's status never showed the alert playing\n" << system.logs());
    // The campaign item that was playing ends within a few seconds of the confirmation: cut short
    // by the alert (interrupted), or at its own end when that came first. A 2 s item can reach its
    // end while the alert's notice is rendered and loaded; the old picture stays up until the new
    // one's first frame, so it then played whole and is rightly completed. That no campaign row
    // runs alongside the alert is checked below, once the alert's first start is known.
    const bool preempted = eventually(10s, [&] {
        rows = system.proof_rows();
        return std::any_of(rows.begin(), rows.end(), [&](const ProofRow& row) {
            return row.campaign == campaign_id &&
                   (row.outcome == "interrupted" || row.outcome == "completed") &&
                   row.ended_at >= confirmed_at - 1000 && row.ended_at <= confirmed_at + 5000;
        });
    });
    if (!preempted)
        FAIL_CHECK("no campaign row ended around the alert's start; the player's log:\n"
                   << system.player_play_log());

    // --- cancel: one person, at once; the schedule resumes ---
    auto cancelled = operator_one.post("/api/v1/alerts/canh-bao-e2e/cancel", Json::object());
    INFO(cancelled.text);
    REQUIRE(cancelled.status == 200);
    CHECK_FALSE(cancelled.body["cancelled"].is_null());
    const std::int64_t cancelled_at = now_ms();
    const bool resumed = eventually(20s, [&] {
        rows = system.proof_rows();
        const bool alert_proven = std::any_of(rows.begin(), rows.end(), [](const ProofRow& row) {
            return row.alert == "canh-bao-e2e" &&
                   (row.outcome == "completed" || row.outcome == "interrupted");
        });
        const bool campaign_again = std::any_of(rows.begin(), rows.end(), [&](const ProofRow& row) {
            return row.campaign == campaign_id && row.outcome == "completed" &&
                   row.started_at >= cancelled_at - 1000;
        });
        return alert_proven && campaign_again;
    });
    INFO(rows.size() << " proof rows");
    if (!resumed)
        FAIL_CHECK("no alert row, or the campaign did not resume after the cancel\n" << system.logs());
    // The alert started within a few seconds of the confirmation (the player preempts within 1 s).
    std::int64_t first_alert_start = std::numeric_limits<std::int64_t>::max();
    for (const auto& row : rows)
        if (row.alert == "canh-bao-e2e")
            first_alert_start = std::min(first_alert_start, row.started_at);
    CHECK(first_alert_start <= confirmed_at + 3000);
    // No campaign play overlaps the alert: every campaign row that began before the cancel ended
    // by the alert's first frame (the cut and the first frame are one renderer event).
    for (const auto& row : rows)
        if (row.campaign == campaign_id && row.started_at < cancelled_at) {
            INFO("campaign row seq " << row.seq << " " << row.outcome << " " << row.started_at << ".."
                                     << row.ended_at << ", alert from " << first_alert_start);
            CHECK(row.ended_at <= first_alert_start + 500);
        }
    bool any_failed = false;
    for (const auto& row : rows) {
        INFO("seq " << row.seq << " campaign " << row.campaign << " alert " << row.alert << " "
                    << row.outcome);
        if (row.alert == "canh-bao-e2e")
            CHECK(row.started_at >= confirmed_at - 1000);
        CHECK(row.outcome != "failed");  // video, image, rendered notice and speech all play
        any_failed = any_failed || row.outcome == "failed";
    }
    // A failed row: the player's own lines about plays and proofs, whole (not only the tail).
    if (any_failed)
        FAIL_CHECK("a proof row says failed; the player's log:\n" << system.player_play_log());

    // --- revoke: the device's session ends and its credentials stop working ---
    auto revoked = operator_one.post("/api/v1/devices/" + device_id + "/revoke", Json::object());
    INFO(revoked.text);
    REQUIRE(revoked.status == 200);
    CHECK_FALSE(revoked.body["revoked"].is_null());
    const bool offline = eventually(15s, [&] {
        view = device();
        return !view.value("online", true);
    });
    INFO(view.dump());
    CHECK(offline);
    const std::string username = provisioning["mqtt"]["username"];
    const std::string password = provisioning["mqtt"]["password"];
    auto refused = test::run_command(
        {"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(system.broker_port()), "-i", username, "-u",
         username, "-P", password, "-t", "bantin/v1/dev/" + device_id + "/bundle", "-C", "1", "-W", "3"},
        system.root() / "mosquitto_sub.log", 10s);
    INFO(refused.output);
    CHECK(refused.exit_code != 0);
    CHECK(refused.output.find("Connection Refused") != std::string::npos);
    {
        httplib::Client device_http("127.0.0.1", port);
        device_http.set_basic_auth(username, password);
        auto media = device_http.Get("/api/v1/device-media/" + video_sha);
        REQUIRE(media);
        CHECK(media->status == 401);
    }
    CHECK(system.player_running());  // it keeps playing its last good bundle offline

    // --- clean stop of both daemons ---
    CHECK(system.stop_player() == std::optional<int>{0});
    CHECK(system.stop_controller() == std::optional<int>{0});
    CHECK_FALSE(test::MosquittoBroker::port_accepts(system.broker_port()));
    CHECK_FALSE(test::MosquittoBroker::port_accepts(system.http_port()));
}
