#include "bantin/controller/alerts.hpp"
#include "bantin/controller/cap.hpp"
#include "bantin/protocol/envelope.hpp"
#include "fleet_fixture.hpp"

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::RecordingSink;
using bantin::testing::TextAsSpeech;

namespace {

struct AlertsFixture : FleetFixture {
    AlertsFixture(bool one_person = false)
        : speech(clock), service(*store, clock, keys.secret, sink, speech, nullptr, options(one_person)) {}
    static AlertServiceOptions options(bool one_person) {
        AlertServiceOptions options;
        options.one_person_live_alerts = one_person;
        options.media_base_url = "http://controller.test";
        return options;
    }
    AlertRequest flood(scheduler::AlertStatus status = scheduler::AlertStatus::Actual) {
        AlertRequest request;
        request.zones = {"zone-1", "zone-2"};
        request.severity = scheduler::Severity::Extreme;
        request.status = status;
        request.headline = "Lũ quét";
        request.text = "Nước sông dâng cao, di chuyển lên vùng cao ngay.";
        request.expires = clock.wall() + std::chrono::hours{2};
        return request;
    }
    RecordingSink sink;
    TextAsSpeech speech;
    AlertService service;
};

}  // namespace

TEST_CASE("a live alert waits for a second operator and then goes out signed on each zone topic",
          "[alerts]") {
    AlertsFixture fixture;
    auto created = fixture.service.create(fixture.operator_one, fixture.flood());
    REQUIRE(created);
    CHECK(created->state == AlertState::AwaitingConfirmation);
    CHECK(fixture.sink.messages.empty());

    auto self = fixture.service.confirm(fixture.operator_one, created->alert.id);
    REQUIRE_FALSE(self);
    CHECK(self.error().code == Errc::PermissionDenied);
    CHECK(fixture.sink.messages.empty());

    auto confirmed = fixture.service.confirm(fixture.operator_two, created->alert.id);
    REQUIRE(confirmed);
    CHECK(confirmed->state == AlertState::Sent);
    REQUIRE(fixture.sink.messages.size() == 2);
    CHECK(fixture.sink.messages[0].topic == "bantin/v1/alert/zone/zone-1");
    CHECK(fixture.sink.messages[1].topic == "bantin/v1/alert/zone/zone-2");
    const auto& sent = fixture.sink.messages[0];
    CHECK(sent.options.retain == protocol::Retain::Yes);
    REQUIRE(sent.options.message_expiry);
    CHECK(*sent.options.message_expiry == std::chrono::hours{2});
    auto verified =
        protocol::verify_alert(sent.payload, fixture.trusted(), "zone-1", {}, fixture.clock.wall());
    REQUIRE(verified);
    const auto& message = std::get<protocol::AlertMessage>(*verified);
    CHECK(message.alert.status == scheduler::AlertStatus::Actual);
    REQUIRE(message.manifest.size() == 1);
    CHECK(message.manifest[0].type == scheduler::MediaType::Audio);
    CHECK(message.manifest[0].url.starts_with("http://controller.test/api/v1/device-media/"));
}

TEST_CASE("an editor cannot raise an alert", "[alerts]") {
    AlertsFixture fixture;
    auto refused = fixture.service.create(fixture.editor, fixture.flood());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::PermissionDenied);
}

TEST_CASE("an exercise goes out at once and is marked as a drill in headline and speech", "[alerts]") {
    AlertsFixture fixture;
    auto created =
        fixture.service.create(fixture.operator_one, fixture.flood(scheduler::AlertStatus::Exercise));
    REQUIRE(created);
    CHECK(created->state == AlertState::Sent);
    CHECK(created->alert.status == scheduler::AlertStatus::Exercise);
    CHECK(created->alert.headline.starts_with(exercise_marker));
    REQUIRE(fixture.speech.spoken.size() == 1);
    CHECK(fixture.speech.spoken[0].starts_with(exercise_marker));
    CHECK(fixture.sink.messages.size() == 2);
}

TEST_CASE("one-person live alerts go out at once when the config allows them", "[alerts]") {
    AlertsFixture fixture{true};
    auto created = fixture.service.create(fixture.operator_one, fixture.flood());
    REQUIRE(created);
    CHECK(created->state == AlertState::Sent);
    CHECK(fixture.sink.messages.size() == 2);
}

TEST_CASE("a cancel needs one person and replaces the retained alert at once", "[alerts]") {
    AlertsFixture fixture{true};
    auto request = fixture.flood();
    request.zones.clear();
    request.all_zones = true;
    auto created = fixture.service.create(fixture.operator_one, request);
    REQUIRE(created);
    auto cancelled = fixture.service.cancel(fixture.operator_one, created->alert.id);
    REQUIRE(cancelled);
    CHECK(cancelled->state == AlertState::Cancelled);
    auto on_all = fixture.sink.on("bantin/v1/alert/all");
    REQUIRE(on_all.size() == 2);
    CHECK(on_all[1].options.retain == protocol::Retain::Yes);
    auto verified =
        protocol::verify_alert(on_all[1].payload, fixture.trusted(), "zone-3", {}, fixture.clock.wall());
    REQUIRE(verified);
    REQUIRE(std::holds_alternative<protocol::AlertCancel>(*verified));
    CHECK(std::get<protocol::AlertCancel>(*verified).alert_id == created->alert.id);
    auto again = fixture.service.cancel(fixture.operator_two, created->alert.id);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::Conflict);
}

TEST_CASE("an alert not confirmed within the window cannot be confirmed later", "[alerts]") {
    AlertsFixture fixture;
    auto created = fixture.service.create(fixture.operator_one, fixture.flood());
    REQUIRE(created);
    fixture.clock.advance(std::chrono::minutes{11});
    auto late = fixture.service.confirm(fixture.operator_two, created->alert.id);
    REQUIRE_FALSE(late);
    CHECK(late.error().code == Errc::Conflict);
    CHECK(fixture.sink.messages.empty());
}

TEST_CASE("alerts for unknown zones or without zones are refused", "[alerts]") {
    AlertsFixture fixture;
    auto request = fixture.flood();
    request.zones = {"zone-404"};
    auto unknown = fixture.service.create(fixture.operator_one, request);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == Errc::InvalidInput);
    request.zones.clear();
    auto none = fixture.service.create(fixture.operator_one, request);
    REQUIRE_FALSE(none);
    CHECK(none.error().detail.starts_with("zones:"));
}

namespace {

const char* good_cap = R"(<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>VN-KTTV-2026-1127-01</identifier>
  <sender>kttv@nchmf.gov.vn</sender>
  <sent>2026-11-27T13:00:00+07:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Bão số 9</event>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    <expires>2026-11-27T19:00:00+07:00</expires>
    <headline>Bão số 9 đổ bộ</headline>
    <description>Gió mạnh cấp 12.</description>
    <instruction>Ở trong nhà.</instruction>
    <area>
      <areaDesc>Phường 1</areaDesc>
      <geocode><valueName>VN</valueName><value>VN-79-26734</value></geocode>
    </area>
    <area>
      <areaDesc>Zone zone-2</areaDesc>
    </area>
  </info>
</alert>)";

CapMapping mapping() {
    CapMapping mapping;
    mapping.geocodes = {{"VN-79-26734", "zone-1"}};
    mapping.zones = {{"zone-1", "Zone zone-1"}, {"zone-2", "Zone zone-2"}};
    return mapping;
}

}  // namespace

TEST_CASE("a CAP 1.2 alert maps geocodes and areaDesc to zones", "[alerts][cap]") {
    auto imported = parse_cap(good_cap, mapping());
    REQUIRE(imported);
    CHECK(imported->action == CapAction::Raise);
    CHECK(imported->request.zones == std::vector<std::string>{"zone-1", "zone-2"});
    CHECK(imported->request.severity == scheduler::Severity::Extreme);
    CHECK(imported->request.status == scheduler::AlertStatus::Actual);
    CHECK(imported->request.headline == "Bão số 9 đổ bộ");
    CHECK(imported->request.text == "Gió mạnh cấp 12. Ở trong nhà.");
    CHECK(imported->request.id == std::optional<std::string>{"cap-VN-KTTV-2026-1127-01"});
    REQUIRE(imported->request.expires);
    CHECK(format_utc(*imported->request.expires) == "2026-11-27T12:00:00.000Z");
}

TEST_CASE("a CAP exercise stays an exercise and a CAP cancel names the alert", "[alerts][cap]") {
    std::string exercise = good_cap;
    exercise.replace(exercise.find("<status>Actual"), 14, "<status>Exercise");
    auto imported = parse_cap(exercise, mapping());
    REQUIRE(imported);
    CHECK(imported->request.status == scheduler::AlertStatus::Exercise);

    const std::string cancel = R"(<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
      <identifier>VN-KTTV-2026-1127-02</identifier><sender>kttv@nchmf.gov.vn</sender>
      <sent>2026-11-27T14:00:00+07:00</sent><status>Actual</status><msgType>Cancel</msgType>
      <scope>Public</scope>
      <references>kttv@nchmf.gov.vn,VN-KTTV-2026-1127-01,2026-11-27T13:00:00+07:00</references></alert>)";
    auto cancelled = parse_cap(cancel, mapping());
    REQUIRE(cancelled);
    CHECK(cancelled->action == CapAction::Cancel);
    CHECK(cancelled->cancel_alert_id == "cap-VN-KTTV-2026-1127-01");
}

TEST_CASE("malformed CAP documents are refused with the reason", "[alerts][cap]") {
    auto refuse = [](std::string xml, std::string_view expected) {
        auto parsed = parse_cap(xml, mapping());
        REQUIRE_FALSE(parsed);
        INFO(parsed.error().detail);
        CHECK(parsed.error().detail.find(expected) != std::string::npos);
    };
    refuse("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</identifier>",
           "XML error at line");
    refuse("<alert><identifier>x</identifier></alert>", "namespace");
    std::string missing = good_cap;
    missing.erase(missing.find("<sender>"), std::string{"<sender>kttv@nchmf.gov.vn</sender>"}.size());
    refuse(missing, "alert/sender: missing");
    std::string test_status = good_cap;
    test_status.replace(test_status.find("<status>Actual"), 14, "<status>Test");
    refuse(test_status, "not for the public");
    std::string bad_time = good_cap;
    bad_time.replace(bad_time.find("2026-11-27T19:00:00+07:00"), 25, "tomorrow evening");
    refuse(bad_time, "alert/info/expires");
    std::string nowhere = good_cap;
    nowhere.replace(nowhere.find("VN-79-26734"), 11, "VN-01-00001");
    nowhere.replace(nowhere.find("Zone zone-2"), 11, "Somewhere");
    refuse(nowhere, "no area maps to a zone");
    refuse(
        "<!DOCTYPE alert [<!ENTITY lol \"lol\">]><alert "
        "xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">&lol;</alert>",
        "entity declarations are not allowed");
}

TEST_CASE("CAP date-times with offsets convert to UTC", "[alerts][cap]") {
    auto plus = parse_cap_time("2026-11-27T13:00:00+07:00");
    REQUIRE(plus);
    CHECK(format_utc(*plus) == "2026-11-27T06:00:00.000Z");
    auto minus = parse_cap_time("2026-11-27T01:30:00-03:30");
    REQUIRE(minus);
    CHECK(format_utc(*minus) == "2026-11-27T05:00:00.000Z");
    CHECK_FALSE(parse_cap_time("2026-13-01T00:00:00Z"));
    CHECK_FALSE(parse_cap_time("2026-11-27 13:00:00+07:00"));
}
