// Alert latency across a fleet of real players: how long from an operator's confirmation until
// every device in the zone plays the alert, and from the cancel until every one has stopped.
//
// The whole system on this machine (tests/support/whole_system.hpp): the real bantin-controller
// with the Mosquitto it manages, and N real bantin-player processes (headless: vo=null,
// ao=null), half of them screens with a speaker and half loudspeakers, all in one zone, with no
// campaign (an idle device). Each round one operator raises a live alert with a new text (so
// its speech is new: the controller renders it with espeak-ng and every device fetches it over
// HTTP, as in the field) and a second operator confirms it; then the bench cancels it.
//
// Figures, as the office sees them: the fleet view (GET /api/v1/fleet/status, each device's
// now_playing from its last status) polled every 10 ms. A device reports a change of what it
// plays at once; the controller commits statuses as they arrive, so the way back (player ->
// broker -> controller -> SQLite -> API) adds a few milliseconds to each figure.
//
//   alert_to_playing_{p50,p99,max}_ms  confirm request sent -> the device's now_playing is the alert
//   cancel_to_silent_{p50,p99,max}_ms  cancel request sent -> its now_playing is no longer the alert
//
//   bench/alert_latency_bench [--players 8] [--rounds 10] [--media-down]
//
// --media-down: the devices' media URL (http.public_base_url) is a closed port, so every alert's
// download round fails while MQTT works: the devices sound the tone from their own cache and
// speak the words they make themselves (docs/player.md). The figures then measure that path.
//
// Prints name=value lines last. Exits 1 with one line when the system cannot be set up or a
// device never plays (60 s) or never stops (30 s) an alert.

#include "bench_support.hpp"
#include "support/whole_system.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

const char* const bantin::bench::program_name = "alert_latency_bench";

namespace {

using bantin::bench::die;
using bantin::test::ApiUser;
using Json = nlohmann::json;
using Steady = std::chrono::steady_clock;

const std::string zone_id = "phuong-uyen-hung";

double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

double milliseconds_since(Steady::time_point from) {
    return std::chrono::duration<double, std::milli>(Steady::now() - from).count();
}

// device id -> the source it plays now ("" when idle or unknown), from the fleet view.
std::map<std::string, std::string> playing(ApiUser& api) {
    auto fleet = api.get("/api/v1/fleet/status");
    if (fleet.status != 200)
        die("GET /api/v1/fleet/status: " + std::to_string(fleet.status) + " " + fleet.text);
    std::map<std::string, std::string> sources;
    for (const auto& device : fleet.body.at("devices")) {
        const auto& now = device.value("now_playing", Json(nullptr));
        sources[device.at("id").get<std::string>()] =
            now.is_object() ? now.value("source", std::string{}) : std::string{};
    }
    return sources;
}

// Polls the fleet view every 10 ms until `done(source)` holds for every device; returns the
// milliseconds since `from` at which each first did, by device.
std::map<std::string, double> wait_for_each(ApiUser& api, const std::vector<std::string>& devices,
                                            Steady::time_point from, std::chrono::seconds limit,
                                            const std::function<bool(const std::string&)>& done,
                                            const std::string& what) {
    std::map<std::string, double> reached;
    while (reached.size() < devices.size()) {
        const auto sources = playing(api);
        const double at = milliseconds_since(from);
        for (const auto& device : devices) {
            auto found = sources.find(device);
            if (!reached.contains(device) && found != sources.end() && done(found->second))
                reached[device] = at;
        }
        if (reached.size() < devices.size() && Steady::now() - from > limit)
            die(what + ": " + std::to_string(devices.size() - reached.size()) + " of " +
                std::to_string(devices.size()) + " devices did not within " + std::to_string(limit.count()) +
                " s");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return reached;
}

std::vector<double> times_of(const std::map<std::string, double>& reached) {
    std::vector<double> times;
    for (const auto& [device, at] : reached) times.push_back(at);
    return times;
}

ApiUser must_login(std::uint16_t port, const std::string& name, const std::string& password) {
    const std::string token = bantin::test::login(port, name, password);
    if (token.empty())
        die("login of " + name + " refused");
    return ApiUser(port, token);
}

void expect(const ApiUser::Answer& answer, int status, const std::string& what) {
    if (answer.status != status)
        die(what + ": " + std::to_string(answer.status) + " " + answer.text);
}

}  // namespace

int main(int argc, char** argv) {
    int players = 8;
    int rounds = 10;
    bool media_down = false;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--players" && i + 1 < argc)
            players = std::max(1, std::atoi(argv[++i]));
        else if (argument == "--rounds" && i + 1 < argc)
            rounds = std::max(1, std::atoi(argv[++i]));
        else if (argument == "--media-down")
            media_down = true;
        else
            die("usage: alert_latency_bench [--players N] [--rounds N] [--media-down]");
    }

    bantin::test::WholeSystemOptions options;
    if (media_down)
        options.media_base_url = "http://127.0.0.1:1";
    bantin::test::WholeSystem system{options};
    if (auto keys = system.controller_command({"--init-keys"}); keys.exit_code != 0)
        die("--init-keys: " + keys.output);
    const std::string admin_password = "admin-bench-password-1";
    if (auto admin = system.controller_command({"--create-admin", "admin"}, admin_password + "\n");
        admin.exit_code != 0)
        die("--create-admin: " + admin.output);
    bantin::bench::must(system.start_controller(), "start the controller");
    const auto port = system.http_port();

    ApiUser admin = must_login(port, "admin", admin_password);
    for (const char* name : {"operator-1", "operator-2"})
        expect(admin.post("/api/v1/users", {{"name", name},
                                            {"display_name", name},
                                            {"role", "operator"},
                                            {"password", std::string(name) + "-bench-password"}}),
               201, std::string("create ") + name);
    ApiUser raiser = must_login(port, "operator-1", "operator-1-bench-password");
    ApiUser confirmer = must_login(port, "operator-2", "operator-2-bench-password");
    expect(raiser.post("/api/v1/zones", {{"id", zone_id}, {"name", "Phường Uyên Hưng"}}), 201,
           "create the zone");

    std::vector<std::string> devices;
    for (int n = 0; n < players; ++n) {
        const bool speaker = n % 2 == 1;
        char id[64];
        std::snprintf(id, sizeof id, "%s-%02d", speaker ? "loa-uyen-hung" : "man-hinh-uyen-hung", n + 1);
        Json body{{"id", id}, {"kind", speaker ? "speaker" : "screen"}, {"zone", zone_id}};
        if (!speaker)
            body["has_speaker"] = true;
        auto registered = raiser.post("/api/v1/devices", body);
        expect(registered, 201, std::string("register ") + id);
        bantin::bench::must(system.start_player(id, registered.body.at("provisioning").dump(2)),
                            std::string("start the player of ") + id);
        devices.push_back(id);
    }
    // Every device online and reporting (its first status reached the fleet view).
    const auto online_from = Steady::now();
    (void)wait_for_each(
        raiser, devices, online_from, std::chrono::seconds{60},
        [](const std::string& source) { return source.empty(); }, "come online");
    bool all_online = false;
    while (!all_online) {
        auto fleet = raiser.get("/api/v1/fleet/status");
        all_online = fleet.status == 200 && fleet.body.value("online", 0) == players;
        if (!all_online && Steady::now() - online_from > std::chrono::seconds{60})
            die("the players did not all come online within 60 s");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    std::vector<double> to_playing;
    std::vector<double> screens_to_playing;
    std::vector<double> speakers_to_playing;
    std::vector<double> to_silent;
    for (int round = 1; round <= rounds; ++round) {
        const std::string id = "canh-bao-bench-" + std::to_string(round);
        auto raised = raiser.post(
            "/api/v1/alerts", {{"id", id},
                               {"zones", {zone_id}},
                               {"severity", "extreme"},
                               {"status", "actual"},
                               {"headline", "Lũ quét lần " + std::to_string(round)},
                               {"text", "Nước sông Đồng Nai dâng cao, người dân khu phố " +
                                            std::to_string(round) + " di chuyển lên vùng cao ngay."},
                               {"repeat_count", 0},
                               {"expires", bantin::test::utc_text(bantin::test::now_ms() + 10 * 60 * 1000)}});
        expect(raised, 201, "raise " + id);
        const auto confirmed_at = Steady::now();
        expect(confirmer.post("/api/v1/alerts/" + id + "/confirm", Json::object()), 200, "confirm " + id);
        const auto reached = wait_for_each(
            raiser, devices, confirmed_at, std::chrono::seconds{60},
            [&](const std::string& source) { return source == id; }, "play " + id);
        const auto playing_times = times_of(reached);
        to_playing.insert(to_playing.end(), playing_times.begin(), playing_times.end());
        for (const auto& [device, at] : reached)
            (device.starts_with("loa-") ? speakers_to_playing : screens_to_playing).push_back(at);

        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        const auto cancelled_at = Steady::now();
        expect(raiser.post("/api/v1/alerts/" + id + "/cancel", Json::object()), 200, "cancel " + id);
        const auto silent_times = times_of(wait_for_each(
            raiser, devices, cancelled_at, std::chrono::seconds{30},
            [&](const std::string& source) { return source != id; }, "stop " + id));
        to_silent.insert(to_silent.end(), silent_times.begin(), silent_times.end());
        std::fprintf(stderr, "round %d: playing after %.0f..%.0f ms, silent after %.0f..%.0f ms\n", round,
                     percentile(playing_times, 0), percentile(playing_times, 1), percentile(silent_times, 0),
                     percentile(silent_times, 1));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }

    std::printf("players=%d\n", players);
    std::printf("rounds=%d\n", rounds);
    std::printf("media_down=%d\n", media_down ? 1 : 0);
    std::printf("alert_to_playing_p50_ms=%.0f\n", percentile(to_playing, 0.50));
    std::printf("alert_to_playing_p99_ms=%.0f\n", percentile(to_playing, 0.99));
    std::printf("alert_to_playing_max_ms=%.0f\n", percentile(to_playing, 1.0));
    std::printf("alert_to_playing_screens_p99_ms=%.0f\n", percentile(screens_to_playing, 0.99));
    std::printf("alert_to_playing_speakers_p99_ms=%.0f\n", percentile(speakers_to_playing, 0.99));
    std::printf("cancel_to_silent_p50_ms=%.0f\n", percentile(to_silent, 0.50));
    std::printf("cancel_to_silent_p99_ms=%.0f\n", percentile(to_silent, 0.99));
    std::printf("cancel_to_silent_max_ms=%.0f\n", percentile(to_silent, 1.0));
    return 0;
}
