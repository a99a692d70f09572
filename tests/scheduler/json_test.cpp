#include "bantin/scheduler/json.hpp"

#include "model_builder.hpp"

#include <algorithm>
#include <limits>

using namespace bantin;
using namespace bantin::scheduler;
using namespace bantin::scheduler::testing;

namespace {

Model sample() {
    Model model = town();
    model.devices[0].on_hours = {{5 * 60, 22 * 60}};
    model.devices[0].quiet_hours = {{22 * 60, 5 * 60}};
    model.devices[0].tags = {"market", "school"};
    model.devices[1].volume_schedule = {{{5 * 60, 7 * 60}, 40}};
    model.playlists = {playlist("p", {item(image, 10, 2), item(video)})};
    Campaign news = fixed("news", "p", {6 * 60, 17 * 60 + 30}, Level::Priority);
    news.targets.zones = {"z1"};
    news.targets.kinds = {DeviceKind::Speaker};
    news.valid_from =
        std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::December, std::chrono::day{1}};
    news.weekdays = 0x1f;
    Campaign ad = share("ad", "p", 6);
    ad.windows = {{7 * 60, 9 * 60}, {22 * 60, 1 * 60}};
    ad.targets.tags = {"market"};
    ad.targets.exclude_device_ids = {"scr-9"};
    model.campaigns = {news, ad, loop("loop", "p")};
    Alert storm = alert("storm", "p", hcm(14), hcm(16));
    storm.cancelled = hcm(15);
    storm.repeat = RepeatPolicy{3, std::chrono::minutes{10}};
    storm.headline = "Bão số 9";
    storm.text = "Người dân ở trong nhà";
    model.alerts = {storm};
    return model;
}

std::string error_of(std::string_view text) {
    auto model = parse_model(text);
    REQUIRE_FALSE(model);
    CHECK(model.error().code == Errc::InvalidInput);
    return model.error().detail;
}

}  // namespace

TEST_CASE("a model round-trips through JSON unchanged", "[json]") {
    const Model model = sample();
    const std::string text = to_json(model).dump();
    auto parsed = parse_model(text);
    REQUIRE(parsed);
    CHECK(*parsed == model);
    CHECK(to_json(*parsed).dump() == text);  // deterministic bytes
}

TEST_CASE("encoded windows and times are local clock text", "[json]") {
    const auto json = to_json(sample());
    CHECK(json["devices"][0]["on_hours"][0] == "05:00-22:00");
    CHECK(json["campaigns"][0]["fixed_times"][1] == "17:30");
    CHECK(json["campaigns"][0]["weekdays"].size() == 5);
    CHECK(json["alerts"][0]["issued"] == "2026-11-23T07:00:00.000Z");
}

TEST_CASE("decode errors name the field path", "[json]") {
    CHECK(error_of(R"({"devices":[{"id":"a","kind":"tv","zone":"z"}]})") ==
          "devices[0].kind: expected one of screen | speaker, got \"tv\"");
    CHECK(error_of(R"({"campaigns":[{"id":"c","playlist":"p","mode":"loop","windows":["6-8"]}]})") ==
          "campaigns[0].windows[0]: expected \"HH:MM-HH:MM\", got \"6-8\"");
    CHECK(error_of(R"({"playlists":[{"id":"p","items":[{"media":"x","duration_ms":"10"}]}]})") ==
          "playlists[0].items[0].duration_ms: expected an integer of milliseconds, got string");
    CHECK(error_of(R"({"alerts":[{"id":"a","status":"actual","issued":"tomorrow"}]})")
              .starts_with("alerts[0].issued: expected a UTC time"));
    CHECK(error_of(R"({"devices":[{"kind":"screen","zone":"z"}]})") == "devices[0].id: is required");
    CHECK(error_of(R"({"campaigns":[{"id":"c","playlist":"p","mode":"fixed_time","fixed_times":["25:00"]}]})")
              .starts_with("campaigns[0].fixed_times[0]: expected \"HH:MM\""));
}

TEST_CASE("unknown fields are refused, so typos do not pass silently", "[json]") {
    CHECK(error_of(R"({"devices":[{"id":"a","kind":"screen","zone":"z","quiet_hour":[]}]})") ==
          "devices[0].quiet_hour: unknown field");
    CHECK(error_of(R"({"campaign":[]})") == "campaign: unknown field");
}

TEST_CASE("syntax errors are reported, not thrown", "[json]") {
    CHECK(error_of("{\"devices\": [").starts_with("not valid JSON"));
    CHECK(error_of("[]") == "(top level): expected an object, got array");
}

TEST_CASE("validation reports every problem at once with its path", "[json][validate]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image), item(digest('f'))})};
    Campaign broken = loop("bad id!", "nope");
    broken.weight = 0;
    model.campaigns = {broken};
    auto result = validate(model);
    REQUIRE_FALSE(result);
    const std::string& text = result.error().detail;
    CHECK(text.find("playlists[0].items[0].duration_ms: required") != std::string::npos);
    CHECK(text.find("playlists[0].items[1].media: unknown media") != std::string::npos);
    CHECK(text.find("campaigns[0].id:") != std::string::npos);
    CHECK(text.find("campaigns[0].playlist: unknown playlist \"nope\"") != std::string::npos);
    CHECK(text.find("campaigns[0].weight: must be 1..1000") != std::string::npos);
    CHECK(text.starts_with("5 problems"));
}

TEST_CASE("validation refuses volume_schedule windows outside 00:00-24:00 and volumes outside 0..100",
          "[json][validate]") {
    Model model = town();
    model.devices[0].volume_schedule = {VolumeStep{{6 * 60, 22 * 60}, 70},       // fine
                                        VolumeStep{{-30, 6 * 60}, 40},           // starts before midnight
                                        VolumeStep{{22 * 60, 24 * 60 + 1}, 30},  // ends after 24:00
                                        VolumeStep{{24 * 60, 60}, 30},           // starts at 24:00
                                        VolumeStep{{0, 60}, 101}};               // too loud
    auto result = validate(model);
    REQUIRE_FALSE(result);
    const std::string& text = result.error().detail;
    CHECK(text.find("devices[0].volume_schedule[0]") == std::string::npos);
    CHECK(text.find("devices[0].volume_schedule[1].window: window must lie within 00:00-24:00") !=
          std::string::npos);
    CHECK(text.find("devices[0].volume_schedule[2].window: window must lie within 00:00-24:00") !=
          std::string::npos);
    CHECK(text.find("devices[0].volume_schedule[3].window: window must lie within 00:00-24:00") !=
          std::string::npos);
    CHECK(text.find("devices[0].volume_schedule[4].volume: must be 0..100") != std::string::npos);
    CHECK(text.starts_with("4 problems"));
}

TEST_CASE("validation refuses duplicate fixed_times, naming the repeated time", "[json][validate]") {
    Model model = town();
    model.playlists = {playlist("p", {item(video)})};
    model.campaigns = {fixed("news", "p", {6 * 60, 11 * 60, 6 * 60})};
    auto result = validate(model);
    REQUIRE_FALSE(result);
    CHECK(result.error().detail.find("campaigns[0].fixed_times[2]: 06:00 is listed twice") !=
          std::string::npos);
    CHECK(result.error().detail.find("fixed_times[0]") == std::string::npos);
    CHECK(result.error().detail.find("fixed_times[1]") == std::string::npos);
    model.campaigns[0].fixed_times = {6 * 60, 11 * 60};
    CHECK(validate(model));
}

TEST_CASE("clock text", "[json]") {
    CHECK(parse_clock("06:00").value() == 360);
    CHECK(parse_clock("24:00").value() == 1440);
    CHECK_FALSE(parse_clock("24:01"));
    CHECK_FALSE(parse_clock("6:00"));
    CHECK_FALSE(parse_clock("06:60"));
    CHECK(format_clock(1439) == "23:59");
}

TEST_CASE("validation bounds lengths: under 0.1 s or over 24 h is refused", "[json][validate]") {
    // Regression: a 1 ms item flooded a day with 86 million entries, and a length near
    // INT64_MAX overflowed the resolver's clock arithmetic and hung it.
    Model model = town();
    model.playlists = {playlist("p", {item(image, 0), item(silent_video, 90000)})};
    model.playlists[0].items[0].duration = Duration{1};
    model.playlists[0].items[1].duration = Duration{std::numeric_limits<std::int64_t>::max() - 1000};
    auto result = validate(model);
    REQUIRE_FALSE(result);
    CHECK(result.error().detail.find("playlists[0].items[0].duration_ms: must be 100..86400000") !=
          std::string::npos);
    CHECK(result.error().detail.find("playlists[0].items[1].duration_ms: must be 100..86400000") !=
          std::string::npos);
}

TEST_CASE("a text notice's speech link round-trips and is absent when unset", "[json][speech]") {
    Model model = town();
    model.media[4].speech = audio;  // the text notice is spoken by the audio media
    model.playlists = {playlist("p", {item(text)})};
    model.campaigns = {loop("c", "p")};
    REQUIRE(validate(model));
    const auto json = to_json(model);
    CHECK(json["media"][4]["speech"] == audio);
    CHECK_FALSE(json["media"][3].contains("speech"));
    auto parsed = parse_model(json.dump());
    REQUIRE(parsed);
    CHECK(parsed->media[4].speech == audio);
    CHECK_FALSE(parsed->media[3].speech);
    CHECK(*parsed == model);
}

TEST_CASE("speech is refused on media that is not a text notice, and when it is not a digest string",
          "[json][speech]") {
    const std::string on_audio = R"({"media":[{"sha256":")" + audio +
                                 R"(","type":"audio","duration_ms":20000,"speech":")" + audio + R"("}]})";
    CHECK(error_of(on_audio) == "media[0].speech: only a text notice has speech, this media is audio");
    const std::string as_number =
        R"({"media":[{"sha256":")" + text + R"(","type":"text","duration_ms":15000,"speech":42}]})";
    CHECK(error_of(as_number) == "media[0].speech: expected the sha256 of the spoken audio, got number");
}

TEST_CASE("validation names a text notice's speech that is unknown, not audio, or on other media",
          "[json][validate][speech]") {
    Model model = town();
    model.media[4].speech = digest('9');  // no such media in the model
    model.media[0].speech = audio;        // a video cannot carry speech
    auto unknown = validate(model);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().detail.find("media[4].speech: unknown media " + digest('9')) != std::string::npos);
    CHECK(unknown.error().detail.find(
              "media[0].speech: only a text notice has speech, this media is video") != std::string::npos);

    model.media[0].speech.reset();
    model.media[4].speech = image;  // known, but pictures are not speech
    auto not_audio = validate(model);
    REQUIRE_FALSE(not_audio);
    CHECK(not_audio.error().detail.find("media[4].speech: must name audio media; cccccccccccc is image") !=
          std::string::npos);

    model.media[4].speech = "ABC";
    auto malformed = validate(model);
    REQUIRE_FALSE(malformed);
    CHECK(malformed.error().detail.find("media[4].speech: must be 64 lowercase hex digits") !=
          std::string::npos);
}

TEST_CASE("a stream's URL and filler round-trip", "[json][stream]") {
    Model model = town();
    const std::string radio = digest('f');
    MediaRef stream{radio, MediaType::Stream, std::nullopt, true, false, "VOV1"};
    stream.url = "http://127.0.0.1:8000/vov1.mp3";
    stream.filler = audio;
    model.media.push_back(stream);
    model.playlists = {playlist("p", {item(radio, 1800)})};
    model.campaigns = {fixed("relay", "p", {5 * 60 + 30})};
    REQUIRE(validate(model));
    const auto json = to_json(model);
    CHECK(json["media"][5]["url"] == "http://127.0.0.1:8000/vov1.mp3");
    CHECK(json["media"][5]["filler"] == audio);
    CHECK_FALSE(json["media"][3].contains("url"));
    auto parsed = parse_model(json.dump());
    REQUIRE(parsed);
    CHECK(*parsed == model);
}

TEST_CASE("url and filler are refused on media that is not a stream, and when not strings",
          "[json][stream]") {
    const std::string on_audio = R"({"media":[{"sha256":")" + audio +
                                 R"(","type":"audio","duration_ms":20000,"url":"http://x/a.mp3"}]})";
    CHECK(error_of(on_audio) == "media[0].url: only a stream has url, this media is audio");
    const std::string as_number =
        R"({"media":[{"sha256":")" + audio + R"(","type":"stream","url":"http://x/","filler":7}]})";
    CHECK(error_of(as_number) == "media[0].filler: expected the sha256 of the filler media, got number");
}

TEST_CASE("validation wants a stream's URL, names a bad one and a filler that is unknown or not playable",
          "[json][validate][stream]") {
    Model model = town();
    const std::string radio = digest('f');
    model.media.push_back(MediaRef{radio, MediaType::Stream, std::nullopt, true, false, "VOV1"});
    auto no_url = validate(model);
    REQUIRE_FALSE(no_url);
    CHECK(no_url.error().detail.find("media[5].url: a stream needs the URL it is relayed from") !=
          std::string::npos);

    const std::vector<std::pair<std::string, std::string>> bad_urls{
        {"ftp://host/a", "starts with http:// or https://"},
        {"http://", "starts with http:// or https://"},
        {"http:///a", "names a host"},
        {"http://host/a b", "no spaces or control characters"},
        {std::string{"http://host/"} + '\x01', "no spaces or control characters"}};
    for (const auto& [url, problem] : bad_urls) {
        model.media[5].url = url;
        auto refused = validate(model);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().detail.find(problem) != std::string::npos);
    }
    model.media[5].url = "http://host/" + std::string(2100, 'a');
    CHECK_FALSE(validate(model));
    model.media[5].url = "HTTPS://radio.example.vn:8443/vov1.m3u8?k=1";
    CHECK(validate(model));
    CHECK(stream_url_problem("https://[::1]:8000/live").empty());

    model.media[5].filler = digest('9');
    auto unknown = validate(model);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().detail.find("media[5].filler: unknown media " + digest('9')) != std::string::npos);
    model.media[5].filler = image;
    auto not_sound = validate(model);
    REQUIRE_FALSE(not_sound);
    CHECK(not_sound.error().detail.find(
              "media[5].filler: must name audio or video media; cccccccccccc is image") != std::string::npos);
    model.media[5].filler = audio;
    CHECK(validate(model));
    model.media[3].url = "http://host/a.mp3";
    auto on_audio = validate(model);
    REQUIRE_FALSE(on_audio);
    CHECK(on_audio.error().detail.find("media[3].url: only a stream has a URL, this media is audio") !=
          std::string::npos);
}

TEST_CASE("every enum name table names each value once and reads back what it writes", "[json][names]") {
    auto check = [](const auto& table) {
        for (const auto& [value, name] : table) {
            INFO(name);
            CHECK(bantin::scheduler::name_in(table, value) == name);
            CHECK(bantin::scheduler::value_in(table, name) == value);
            CHECK(std::count_if(table.begin(), table.end(),
                                [&](const auto& entry) { return entry.second == name; }) == 1);
        }
        CHECK_FALSE(bantin::scheduler::value_in(table, "none of these"));
    };
    check(bantin::scheduler::device_kind_names);
    check(bantin::scheduler::media_type_names);
    check(bantin::scheduler::level_names);
    check(bantin::scheduler::mode_names);
    check(bantin::scheduler::approval_state_names);
    check(bantin::scheduler::severity_names);
    check(bantin::scheduler::alert_status_names);
    CHECK(bantin::scheduler::to_string(bantin::scheduler::Mode::ShareOfVoice) == "share_of_voice");
}
