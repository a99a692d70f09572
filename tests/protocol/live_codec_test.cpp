// The live channel messages: round trips, every refusal naming its field, the topic and the
// verifier (signature, zone, expiry). Hostile input: a bad stream URL, missing fields, a channel
// open for longer than the protocol allows, an expired start.

#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/topics.hpp"
#include "protocol/sample_messages.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <functional>

using namespace bantin;
using namespace bantin::protocol;
using nlohmann::json;

namespace {

LiveStart live_start() {
    LiveStart start;
    start.id = "live-0001";
    start.zones = {"zone-north", "zone-east"};
    start.level = scheduler::Level::Priority;
    start.url = "http://radio.example:8000/live-0001.mp3";
    start.started_at = samples::now();
    start.ends_at = samples::now() + std::chrono::hours{2};
    return start;
}

LiveEnd live_end() {
    LiveEnd end;
    end.live_id = "live-0001";
    end.zones = {"zone-north", "zone-east"};
    end.issued_at = samples::now() + std::chrono::minutes{10};
    end.expires_at = samples::now() + std::chrono::hours{2};
    return end;
}

std::string live_edited(const std::string& text, const std::function<void(json&)>& edit) {
    json document = json::parse(text);
    edit(document);
    return document.dump();
}

TrustedKeys live_trusted() {
    return {trusted_key(samples::controller_key().public_key)};
}

}  // namespace

TEST_CASE("live start and live end round trip", "[protocol][codec][live]") {
    auto start = decode_live_start(encode(live_start()));
    REQUIRE(start);
    CHECK(*start == live_start());
    auto end = decode_live_end(encode(live_end()));
    REQUIRE(end);
    CHECK(*end == live_end());
    CHECK(encode(live_start()).starts_with(R"({"v":1,"type":"live-start",)"));
    auto either = decode_live_topic(encode(live_end()));
    REQUIRE(either);
    CHECK(std::holds_alternative<LiveEnd>(*either));
    CHECK_FALSE(decode_live_topic(encode(samples::alert_cancel())));
}

TEST_CASE("every live start and live end decode error names its field", "[protocol][codec][live]") {
    const auto start = encode(live_start());
    std::vector<std::pair<std::function<void(json&)>, std::string>> start_cases{
        {[](json& j) { j.erase("url"); }, "live-start.url: missing"},
        {[](json& j) { j["url"] = "ftp://radio.example/live.mp3"; }, "live-start.url"},
        {[](json& j) { j["url"] = "http://radio.example/a b.mp3"; }, "live-start.url"},
        {[](json& j) { j["url"] = "http:///live.mp3"; }, "live-start.url"},
        {[](json& j) { j["url"] = "http://radio.example/" + std::string(3000, 'a'); }, "live-start.url"},
        {[](json& j) { j["url"] = 5; }, "live-start.url"},
        {[](json& j) { j.erase("id"); }, "live-start.id: missing"},
        {[](json& j) { j["id"] = "a/b"; }, "live-start.id"},
        {[](json& j) { j["zones"] = json::array(); }, "live-start.zones: empty"},
        {[](json& j) { j["zones"][0] = "+"; }, "live-start.zones[0]"},
        {[](json& j) { j["level"] = "urgent"; }, "live-start.level"},
        {[](json& j) { j.erase("level"); }, "live-start.level: missing"},
        {[](json& j) { j["ends_at"] = j["started_at"]; }, "live-start.ends_at: must be after"},
        {[](json& j) { j["ends_at"] = "2026-11-28T06:00:00Z"; }, "live-start.ends_at: more than 12 hours"},
        {[](json& j) { j["started_at"] = "yesterday"; }, "live-start.started_at"},
        {[](json& j) { j["extra"] = true; }, "live-start"},
    };
    for (std::size_t i = 0; i < start_cases.size(); ++i) {
        INFO("case " << i << ", expected " << start_cases[i].second);
        auto decoded = decode_live_start(live_edited(start, start_cases[i].first));
        REQUIRE_FALSE(decoded);
        CHECK(decoded.error().code == Errc::InvalidInput);
        CHECK_THAT(decoded.error().detail, Catch::StartsWith(start_cases[i].second));
    }
    const auto end = encode(live_end());
    std::vector<std::pair<std::function<void(json&)>, std::string>> end_cases{
        {[](json& j) { j.erase("live_id"); }, "live-end.live_id: missing"},
        {[](json& j) { j["zones"] = json::array(); }, "live-end.zones: empty"},
        {[](json& j) { j["expires_at"] = j["issued_at"]; }, "live-end.expires_at"},
    };
    for (std::size_t i = 0; i < end_cases.size(); ++i) {
        INFO("case " << i << ", expected " << end_cases[i].second);
        auto decoded = decode_live_end(live_edited(end, end_cases[i].first));
        REQUIRE_FALSE(decoded);
        CHECK_THAT(decoded.error().detail, Catch::StartsWith(end_cases[i].second));
    }
    auto unsupported = decode_live_start(live_edited(start, [](json& j) { j["v"] = 2; }));
    REQUIRE_FALSE(unsupported);
    CHECK(unsupported.error().code == Errc::Unsupported);
}

TEST_CASE("a live topic names its zone and refuses a bad one", "[protocol][topics][live]") {
    auto topic = live_zone_topic("zone-north");
    REQUIRE(topic);
    CHECK(*topic == "bantin/v1/live/zone/zone-north");
    auto parsed = parse_topic(*topic);
    REQUIRE(parsed);
    CHECK(parsed->kind == TopicKind::LiveZone);
    CHECK(parsed->zone == "zone-north");
    CHECK_FALSE(live_zone_topic("zone/#"));
    CHECK_FALSE(parse_topic("bantin/v1/live/zone/+"));
    CHECK_FALSE(parse_topic("bantin/v1/live/zone/"));
}

TEST_CASE("a live start verifies for its zones only, while it is open", "[protocol][envelope][live]") {
    const auto key = samples::controller_key().secret;
    auto verified = verify_live(seal(live_start(), key), live_trusted(), "zone-east", samples::now());
    REQUIRE(verified);
    CHECK(std::get<LiveStart>(*verified) == live_start());

    auto other_zone = verify_live(seal(live_start(), key), live_trusted(), "zone-south", samples::now());
    REQUIRE_FALSE(other_zone);
    CHECK(other_zone.error().reason == Refusal::WrongDevice);

    auto late = verify_live(seal(live_start(), key), live_trusted(), "zone-east", live_start().ends_at);
    REQUIRE_FALSE(late);
    CHECK(late.error().reason == Refusal::Expired);

    auto forged = verify_live(seal(live_start(), samples::other_key().secret), live_trusted(), "zone-east",
                              samples::now());
    REQUIRE_FALSE(forged);
    CHECK(forged.error().reason == Refusal::UnknownKey);

    auto end = verify_live(seal(live_end(), key), live_trusted(), "zone-north", samples::now());
    REQUIRE(end);
    CHECK(std::get<LiveEnd>(*end) == live_end());
    auto alert_on_live_topic =
        verify_live(seal(samples::alert_cancel(), key), live_trusted(), "zone-north", samples::now());
    REQUIRE_FALSE(alert_on_live_topic);
    CHECK(alert_on_live_topic.error().reason == Refusal::Malformed);
}
