#include "bantin/protocol/topics.hpp"

#include <catch2/catch.hpp>

using namespace bantin::protocol;

TEST_CASE("device topics are built under bantin/v1/dev/{device}", "[protocol][topics]") {
    CHECK(device_topic("dev-1", DeviceChannel::Bundle).value() == "bantin/v1/dev/dev-1/bundle");
    CHECK(device_topic("dev-1", DeviceChannel::Command).value() == "bantin/v1/dev/dev-1/cmd");
    CHECK(device_topic("dev-1", DeviceChannel::Status).value() == "bantin/v1/dev/dev-1/status");
    CHECK(device_topic("dev-1", DeviceChannel::ProofOfPlay).value() == "bantin/v1/dev/dev-1/pop");
    CHECK(device_topic("dev-1", DeviceChannel::Ack).value() == "bantin/v1/dev/dev-1/ack");
}

TEST_CASE("alert topics are bantin/v1/alert/all and bantin/v1/alert/zone/{zone}", "[protocol][topics]") {
    CHECK(alert_all_topic == "bantin/v1/alert/all");
    CHECK(alert_zone_topic("phuong-1").value() == "bantin/v1/alert/zone/phuong-1");
}

TEST_CASE("controller filters use a single-level wildcard for the device", "[protocol][topics]") {
    CHECK(all_devices_filter(DeviceChannel::Status) == "bantin/v1/dev/+/status");
    CHECK(all_devices_filter(DeviceChannel::ProofOfPlay) == "bantin/v1/dev/+/pop");
}

TEST_CASE("ids that would break or widen a topic are refused", "[protocol][topics]") {
    for (std::string bad : {"", "a+b", "a#", "a/b", "+", "#", "dev 1", "dev\n1", "thiết-bị"}) {
        INFO("id: " << bad);
        auto topic = device_topic(bad, DeviceChannel::Bundle);
        REQUIRE_FALSE(topic.has_value());
        CHECK(topic.error().code == bantin::Errc::InvalidInput);
        CHECK_THAT(topic.error().detail, Catch::Contains("device id"));
        CHECK_FALSE(alert_zone_topic(bad).has_value());
    }
}

TEST_CASE("ids of 64 characters pass and of 65 are refused", "[protocol][topics]") {
    CHECK(validate_id(std::string(64, 'a')).has_value());
    auto too_long = validate_id(std::string(65, 'a'), "device id");
    REQUIRE_FALSE(too_long.has_value());
    CHECK_THAT(too_long.error().detail, Catch::Contains("longer than 64"));
    CHECK(validate_id("Ab0._-z").has_value());
}

TEST_CASE("parse_topic reads back every topic it builds", "[protocol][topics]") {
    for (auto channel : {DeviceChannel::Bundle, DeviceChannel::Command, DeviceChannel::Status,
                         DeviceChannel::ProofOfPlay, DeviceChannel::Ack}) {
        auto parsed = parse_topic(device_topic("dev-7", channel).value());
        REQUIRE(parsed.has_value());
        CHECK(parsed->kind == TopicKind::Device);
        CHECK(parsed->channel == channel);
        CHECK(parsed->device == "dev-7");
    }
    auto all = parse_topic("bantin/v1/alert/all");
    REQUIRE(all.has_value());
    CHECK(all->kind == TopicKind::AlertAll);
    auto zone = parse_topic("bantin/v1/alert/zone/xa-an-binh");
    REQUIRE(zone.has_value());
    CHECK(zone->kind == TopicKind::AlertZone);
    CHECK(zone->zone == "xa-an-binh");
}

TEST_CASE("parse_topic refuses topics outside the protocol", "[protocol][topics]") {
    for (std::string bad :
         {"bantin/v2/dev/a/bundle", "bantin/v1/dev/a/other", "bantin/v1/dev/a", "bantin/v1/dev//bundle",
          "bantin/v1/dev/a/b/bundle", "bantin/v1/dev/+/status", "bantin/v1/alert/zone/",
          "bantin/v1/alert/zone/a/b", "bantin/v1/alert", "other/topic", ""}) {
        INFO("topic: " << bad);
        auto parsed = parse_topic(bad);
        REQUIRE_FALSE(parsed.has_value());
        CHECK_THAT(parsed.error().detail, Catch::StartsWith("topic "));
    }
}
