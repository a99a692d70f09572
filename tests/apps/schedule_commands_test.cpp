#include "bantin/cli/schedule_commands.hpp"
#include "bantin/scheduler/json.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace bantin::cli;

namespace {

const std::string town = std::string{BANTIN_SOURCE_DIR} + "/demo/town.json";

struct Output {
    int status;
    std::string out;
    std::string err;
};

Output schedule(ScheduleOptions options) {
    std::ostringstream out, err;
    const int status = run_schedule(options, out, err);
    return {status, out.str(), err.str()};
}

std::string write_temp(const std::string& name, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() / name;
    std::ofstream{path} << text;
    return path.string();
}

std::string run_binary(const std::string& arguments, int& status) {
    std::string text;
    FILE* pipe = popen((std::string{BANTIN_CLI} + " " + arguments + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
        text += buffer;
    }
    status = WEXITSTATUS(pclose(pipe));
    return text;
}

}  // namespace

TEST_CASE("schedule prints the demo speaker's 06:00 bulletin on time", "[cli]") {
    const auto result = schedule({town, "loa-bach-dang-ap1", "2026-11-27"});
    REQUIRE(result.status == 0);
    CHECK(result.err.empty());
    CHECK(result.out.find("06:00:00  06:01:35  95.0s    ban-tin-sang") != std::string::npos);
    CHECK(result.out.find("fixed_time due 06:00") != std::string::npos);
    CHECK(result.out.find("share_of_voice due 07:07:30") != std::string::npos);
    // Quiet hours 21:00-05:30: nothing before 05:30.
    CHECK(result.out.find("\n05:30:00") != std::string::npos);
    CHECK(result.out.find("\n05:2") == std::string::npos);
}

TEST_CASE("schedule of a screen shows loops inside on-hours only", "[cli]") {
    ScheduleOptions options{town, "mh-uyen-hung-ubnd", "2026-11-27"};
    options.json = true;
    const auto result = schedule(options);
    REQUIRE(result.status == 0);
    const auto json = nlohmann::json::parse(result.out);
    REQUIRE(json["entries"].size() > 100);
    CHECK(json["entries"][0]["local_start"] == "05:00:00");
    CHECK(json["entries"].back()["end"] == "2026-11-27T15:00:00.000Z");  // 22:00 local
}

TEST_CASE("schedule shows where a resumed bulletin plays on from", "[cli][resume]") {
    using namespace bantin::scheduler;
    Model model;
    Device speaker;
    speaker.id = "loa-1";
    speaker.kind = DeviceKind::Speaker;
    speaker.zone = "xa-1";
    speaker.has_speaker = true;
    model.devices = {speaker};
    model.media = {
        MediaRef{std::string(64, '1'), MediaType::Audio, bantin::Duration{600'000}, true, false, "ban-tin"},
        MediaRef{std::string(64, '2'), MediaType::Audio, bantin::Duration{120'000}, true, false,
                 "thong-bao"}};
    model.playlists = {Playlist{"p-bulletin", "", {{std::string(64, '1'), std::nullopt, 1}}},
                       Playlist{"p-notice", "", {{std::string(64, '2'), std::nullopt, 1}}}};
    Campaign bulletin;
    bulletin.id = "ban-tin-sang";
    bulletin.playlist = "p-bulletin";
    bulletin.mode = Mode::FixedTime;
    bulletin.fixed_times = {6 * 60};
    bulletin.approval = ApprovalState::Approved;
    Campaign notice = bulletin;
    notice.id = "thong-bao";
    notice.playlist = "p-notice";
    notice.fixed_times = {6 * 60 + 5};
    notice.level = Level::Priority;
    model.campaigns = {bulletin, notice};
    const auto path = write_temp("bantin-resume-model.json", to_json(model).dump());

    const auto text = schedule({path, "loa-1", "2026-11-27"});
    REQUIRE(text.status == 0);
    CHECK(text.out.find("06:07:00  06:12:00  300.0s") != std::string::npos);
    CHECK(text.out.find("fixed_time due 06:00, from 5:00") != std::string::npos);

    ScheduleOptions options{path, "loa-1", "2026-11-27"};
    options.json = true;
    const auto json = nlohmann::json::parse(schedule(options).out);
    REQUIRE(json["entries"].size() == 3);
    CHECK(json["entries"][0]["media_offset_ms"] == 0);
    CHECK(json["entries"][0]["ending"] == "cut");
    CHECK(json["entries"][2]["media_offset_ms"] == 300'000);
    CHECK(json["entries"][2]["end"] == "2026-11-26T23:12:00.000Z");
    std::filesystem::remove(path);
}

TEST_CASE("schedule: bad input names the file and the field", "[cli]") {
    const auto broken =
        write_temp("bantin-broken-model.json",
                   R"({"devices":[{"id":"d","kind":"screen","zone":"z","on_hours":["5-22"]}]})");
    auto result = schedule({broken, "d", "2026-11-27"});
    CHECK(result.status == 1);
    CHECK(result.err == "bantin schedule: " + broken +
                            ": devices[0].on_hours[0]: expected \"HH:MM-HH:MM\", got \"5-22\"\n");

    result = schedule({"/nonexistent/model.json", "d", "2026-11-27"});
    CHECK(result.status == 1);
    CHECK(result.err.find("/nonexistent/model.json: cannot read") != std::string::npos);

    result = schedule({town, "nobody", "2026-11-27"});
    CHECK(result.status == 1);
    CHECK(result.err.find("no device \"nobody\"") != std::string::npos);

    result = schedule({town, "loa-bach-dang-ap1", "27/11/2026"});
    CHECK(result.status == 2);
    CHECK(result.err.find("--day") != std::string::npos);
}

TEST_CASE("conflicts report the demo's draft collision", "[cli]") {
    std::ostringstream out, err;
    ConflictOptions options{town, "thoi-tiet", "2026-11-27"};
    REQUIRE(run_conflicts(options, out, err) == 0);
    CHECK(out.str().find("fixed_time_collision") != std::string::npos);
    CHECK(out.str().find("loa-bach-dang-ap1") != std::string::npos);
    CHECK(out.str().find("window_in_quiet_hours") != std::string::npos);
}

TEST_CASE("the bantin binary answers --help and refuses unknown commands", "[cli][smoke]") {
    int status = -1;
    const auto help = run_binary("--help", status);
    CHECK(status == 0);
    CHECK(help.find("schedule") != std::string::npos);
    CHECK(help.find("conflicts") != std::string::npos);
    run_binary("schedule --help", status);
    CHECK(status == 0);
    run_binary("frobnicate", status);
    CHECK(status != 0);
}
