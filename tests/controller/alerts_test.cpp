#include "bantin/controller/alerts.hpp"
#include "bantin/controller/bundle_builder.hpp"
#include "bantin/controller/cap.hpp"
#include "bantin/protocol/envelope.hpp"
#include "fleet_fixture.hpp"

#include <fstream>
#include <iterator>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::RecordingSink;
using bantin::testing::TextAsSpeech;

namespace {

// Speaks like TextAsSpeech (the "audio" is a digest of the spoken text, no external tools) and
// stores the words of a text notice in a real content store, as the espeak-ng renderer does.
class SpeechWithText final : public SpeechRenderer {
public:
    SpeechWithText(const bantin::testing::SimulatedClock& clock, media::ContentStore store)
        : m_speech(clock), m_store(std::move(store)), m_clock(clock) {}
    Result<MediaRecord> render(std::string_view text) override {
        auto rendered = m_speech.render(text);
        spoken = m_speech.spoken;
        return rendered;
    }
    Result<MediaRecord> store_text(std::string_view text) override {
        auto stored = m_store.put_bytes(text);
        if (!stored)
            return std::unexpected(stored.error());
        MediaRecord record;
        record.media.sha256 = stored->sha256;
        record.media.type = scheduler::MediaType::Text;
        record.size = static_cast<std::int64_t>(stored->size);
        record.created = m_clock.wall();
        record.text = std::string{text};
        return record;
    }
    const media::ContentStore& store() const { return m_store; }
    std::vector<std::string> spoken;

private:
    TextAsSpeech m_speech;
    media::ContentStore m_store;
    const bantin::testing::SimulatedClock& m_clock;
};

media::ContentStore open_content(const std::string& root) {
    auto opened = media::ContentStore::open(root);
    REQUIRE(opened);
    return std::move(*opened);
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct AlertsFixture : FleetFixture {
    AlertsFixture(bool one_person = false)
        : speech(clock, open_content(directory.file("media"))),
          service(*store, clock, keys.secret, sink, speech, nullptr, options(one_person)) {}
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
        // The words and their media are what these tests look at; the tone before them has its
        // own cases ("the tone before the words").
        request.tone = "none";
        return request;
    }
    // The alert message a one-person alert publishes on zone-1.
    protocol::AlertMessage sent(const AlertRequest& request) {
        auto created = service.create(operator_one, request);
        REQUIRE(created);
        REQUIRE(created->state == AlertState::Sent);
        auto on_zone = sink.on("bantin/v1/alert/zone/zone-1");
        REQUIRE_FALSE(on_zone.empty());
        auto verified = protocol::verify_alert(on_zone.back().payload, trusted(), "zone-1", {}, clock.wall());
        REQUIRE(verified);
        REQUIRE(std::holds_alternative<protocol::AlertMessage>(*verified));
        return std::get<protocol::AlertMessage>(*verified);
    }
    RecordingSink sink;
    SpeechWithText speech;
    AlertService service;
};

const scheduler::MediaRef* media_of(const std::vector<scheduler::MediaRef>& media,
                                    const std::string& sha256) {
    for (const auto& ref : media)
        if (ref.sha256 == sha256)
            return &ref;
    return nullptr;
}

const protocol::MediaEntry* entry_of(const std::vector<protocol::MediaEntry>& manifest,
                                     const std::string& sha256) {
    for (const auto& entry : manifest)
        if (entry.sha256 == sha256)
            return &entry;
    return nullptr;
}

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
    REQUIRE(message.manifest.size() == 2);  // the text notice and its speech
    for (const auto& entry : message.manifest)
        CHECK(entry.url.starts_with("http://controller.test/api/v1/device-media/"));
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
    CHECK(cancelled->cancel_alert_ids == std::vector<std::string>{"cap-VN-KTTV-2026-1127-01"});
}

TEST_CASE("a CAP Update replaces the alerts its references name, a Cancel names every one", "[alerts][cap]") {
    std::string update = good_cap;
    update.replace(update.find("VN-KTTV-2026-1127-01"), 20, "VN-KTTV-2026-1127-03");
    update.replace(update.find("<msgType>Alert"), 14, "<msgType>Update");
    const std::string references =
        "<references>kttv@nchmf.gov.vn,VN-KTTV-2026-1127-01,2026-11-27T13:00:00+07:00\n"
        "  kttv@nchmf.gov.vn,VN-KTTV-2026-1127-02,2026-11-27T13:30:00+07:00 "
        "kttv@nchmf.gov.vn,VN-KTTV-2026-1127-01,2026-11-27T13:00:00+07:00</references>";
    update.insert(update.find("<info>"), references);
    auto imported = parse_cap(update, mapping());
    REQUIRE(imported);
    CHECK(imported->action == CapAction::Raise);
    CHECK(imported->request.id == std::optional<std::string>{"cap-VN-KTTV-2026-1127-03"});
    CHECK(imported->request.replaces ==
          std::vector<std::string>{"cap-VN-KTTV-2026-1127-01", "cap-VN-KTTV-2026-1127-02"});

    std::string without = good_cap;
    without.replace(without.find("<msgType>Alert"), 14, "<msgType>Update");
    auto missing = parse_cap(without, mapping());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().detail == "cap: alert/references: missing");

    std::string cancel = update;
    cancel.replace(cancel.find("<msgType>Update"), 15, "<msgType>Cancel");
    auto cancelled = parse_cap(cancel, mapping());
    REQUIRE(cancelled);
    CHECK(cancelled->action == CapAction::Cancel);
    CHECK(cancelled->cancel_alert_ids ==
          std::vector<std::string>{"cap-VN-KTTV-2026-1127-01", "cap-VN-KTTV-2026-1127-02"});

    std::string broken = update;
    broken.replace(broken.find("<references>"), 12, "<references>nobody ");
    auto refused = parse_cap(broken, mapping());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().detail == "cap: alert/references: expected sender,identifier,sent, got \"nobody\"");
}

namespace {

std::vector<std::string> audit_actions(AlertsFixture& fixture, const std::string& alert_id) {
    auto entries = fixture.store->read_value<std::vector<AuditEntry>>([&](StoreTransaction& transaction) {
        return transaction.list_audit({"alert", alert_id, std::nullopt}, {});
    });
    REQUIRE(entries);
    std::vector<std::string> actions;
    for (const auto& entry : *entries) actions.push_back(entry.action);
    std::ranges::sort(actions);
    return actions;
}

// What went out on `topic`, in order: "alert <id>" or "cancel <id>".
std::vector<std::string> sent_on(AlertsFixture& fixture, const std::string& topic) {
    std::vector<std::string> sent;
    for (const auto& message : fixture.sink.on(topic)) {
        auto verified =
            protocol::verify_alert(message.payload, fixture.trusted(), "zone-1", {}, fixture.clock.wall());
        REQUIRE(verified);
        if (const auto* alert = std::get_if<protocol::AlertMessage>(&*verified))
            sent.push_back("alert " + alert->alert.id);
        else
            sent.push_back("cancel " + std::get<protocol::AlertCancel>(*verified).alert_id);
    }
    return sent;
}

AlertState state_of(AlertsFixture& fixture, const std::string& id) {
    auto view = fixture.service.get(id);
    REQUIRE(view);
    return view->record.state;
}

}  // namespace

TEST_CASE("an update cancels the alert it replaces before it goes out, so the retained message is the update",
          "[alerts][update]") {
    AlertsFixture fixture{true};
    auto first = fixture.flood();
    first.id = "al-storm";
    REQUIRE(fixture.service.create(fixture.operator_one, first));

    auto update = fixture.flood();
    update.id = "al-storm-2";
    update.zones = {"zone-1"};
    update.headline = "Lũ quét: mực nước đã lên 2 m";
    update.replaces = {"al-storm", "al-never-imported"};
    auto sent = fixture.service.create(fixture.operator_one, update);
    REQUIRE(sent);
    CHECK(sent->state == AlertState::Sent);
    CHECK(sent->replaces == std::vector<std::string>{"al-storm"});  // an unknown id is dropped
    CHECK(state_of(fixture, "al-storm") == AlertState::Cancelled);
    CHECK(sent_on(fixture, "bantin/v1/alert/zone/zone-1") ==
          std::vector<std::string>{"alert al-storm", "cancel al-storm", "alert al-storm-2"});
    CHECK(sent_on(fixture, "bantin/v1/alert/zone/zone-2") ==
          std::vector<std::string>{"alert al-storm", "cancel al-storm"});
    CHECK(audit_actions(fixture, "al-storm") == std::vector<std::string>{"alert.create", "alert.replace"});
    auto active = fixture.service.active();
    REQUIRE(active);
    REQUIRE(active->size() == 1);
    CHECK(active->front().alert.id == "al-storm-2");
    CHECK(active->front().replaces == std::vector<std::string>{"al-storm"});

    update.id = "al-storm-3";
    update.replaces = {"al-storm-3"};
    auto itself = fixture.service.create(fixture.operator_one, update);
    REQUIRE_FALSE(itself);
    CHECK(itself.error().code == Errc::InvalidInput);
}

TEST_CASE("a live update awaiting confirmation leaves the alert it replaces sounding until it is confirmed",
          "[alerts][update]") {
    AlertsFixture fixture;
    auto first = fixture.flood();
    first.id = "al-storm";
    REQUIRE(fixture.service.create(fixture.operator_one, first));
    REQUIRE(fixture.service.confirm(fixture.operator_two, "al-storm"));

    auto update = fixture.flood();
    update.id = "al-storm-2";
    update.replaces = {"al-storm"};
    auto waiting = fixture.service.create(fixture.operator_one, update);
    REQUIRE(waiting);
    CHECK(waiting->state == AlertState::AwaitingConfirmation);
    CHECK(state_of(fixture, "al-storm") == AlertState::Sent);
    CHECK(sent_on(fixture, "bantin/v1/alert/zone/zone-1") == std::vector<std::string>{"alert al-storm"});

    REQUIRE(fixture.service.confirm(fixture.operator_two, "al-storm-2"));
    CHECK(state_of(fixture, "al-storm") == AlertState::Cancelled);
    CHECK(sent_on(fixture, "bantin/v1/alert/zone/zone-1") ==
          std::vector<std::string>{"alert al-storm", "cancel al-storm", "alert al-storm-2"});
}

TEST_CASE("a cancel of the chain ends every alert that replaced the one it names", "[alerts][update]") {
    AlertsFixture fixture{true};
    auto first = fixture.flood();
    first.id = "al-storm";
    REQUIRE(fixture.service.create(fixture.operator_one, first));
    auto second = fixture.flood();
    second.id = "al-storm-2";
    second.replaces = {"al-storm"};
    REQUIRE(fixture.service.create(fixture.operator_one, second));
    auto third = fixture.flood();
    third.id = "al-storm-3";
    third.replaces = {"al-storm-2"};
    REQUIRE(fixture.service.create(fixture.operator_one, third));
    CHECK(state_of(fixture, "al-storm-2") == AlertState::Cancelled);

    // A CAP Cancel that still names the first message of the event.
    auto cancelled = fixture.service.cancel_chain(fixture.operator_two, {"al-storm"});
    REQUIRE(cancelled);
    REQUIRE(cancelled->size() == 1);
    CHECK(cancelled->front().alert.id == "al-storm-3");
    CHECK(state_of(fixture, "al-storm-3") == AlertState::Cancelled);
    auto active = fixture.service.active();
    REQUIRE(active);
    CHECK(active->empty());

    auto again = fixture.service.cancel_chain(fixture.operator_two, {"al-storm"});
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::Conflict);
    auto unknown = fixture.service.cancel_chain(fixture.operator_two, {"al-nowhere"});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == Errc::NotFound);
    auto editor = fixture.service.cancel_chain(fixture.editor, {"al-storm"});
    REQUIRE_FALSE(editor);
    CHECK(editor.error().code == Errc::PermissionDenied);
}

TEST_CASE("a cancel of an alert whose update awaits confirmation ends both", "[alerts][update]") {
    AlertsFixture fixture;
    auto first = fixture.flood();
    first.id = "al-storm";
    REQUIRE(fixture.service.create(fixture.operator_one, first));
    REQUIRE(fixture.service.confirm(fixture.operator_two, "al-storm"));
    auto update = fixture.flood();
    update.id = "al-storm-2";
    update.replaces = {"al-storm"};
    REQUIRE(fixture.service.create(fixture.operator_one, update));

    auto cancelled = fixture.service.cancel_chain(fixture.operator_two, {"al-storm"});
    REQUIRE(cancelled);
    REQUIRE(cancelled->size() == 2);
    CHECK(cancelled->at(0).alert.id == "al-storm");
    CHECK(cancelled->at(1).alert.id == "al-storm-2");
    // The update was never sent: only the first alert's cancel goes out.
    CHECK(sent_on(fixture, "bantin/v1/alert/zone/zone-1") ==
          std::vector<std::string>{"alert al-storm", "cancel al-storm"});
    auto late = fixture.service.confirm(fixture.operator_two, "al-storm-2");
    REQUIRE_FALSE(late);
    CHECK(late.error().code == Errc::Conflict);
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

TEST_CASE("a text-only alert plays a text notice linked to its speech, both in the manifest",
          "[alerts][speech]") {
    AlertsFixture fixture{true};
    const auto request = fixture.flood();
    const auto message = fixture.sent(request);

    REQUIRE(message.playlist.items.size() == 1);
    const auto& item = message.playlist.items[0];
    CHECK_FALSE(item.duration);  // the notice lasts as long as its speech
    const auto* text = media_of(message.media, item.media);
    REQUIRE(text != nullptr);
    CHECK(text->type == scheduler::MediaType::Text);
    REQUIRE(text->speech);
    const auto* speech = media_of(message.media, *text->speech);
    REQUIRE(speech != nullptr);
    CHECK(speech->type == scheduler::MediaType::Audio);
    CHECK(text->duration == speech->duration);

    REQUIRE(message.manifest.size() == 2);
    const auto* text_entry = entry_of(message.manifest, text->sha256);
    const auto* speech_entry = entry_of(message.manifest, speech->sha256);
    REQUIRE(text_entry != nullptr);
    REQUIRE(speech_entry != nullptr);
    CHECK(text_entry->type == scheduler::MediaType::Text);
    CHECK(speech_entry->type == scheduler::MediaType::Audio);

    // The words are stored content-addressed, like a notice of the media API: headline, then text.
    auto path = fixture.speech.store().lookup(text->sha256);
    REQUIRE(path);
    CHECK(read_file(*path) == request.headline + "\n\n" + request.text);
    CHECK(text_entry->size == read_file(*path).size());
    // The speech says the text.
    REQUIRE(fixture.speech.spoken.size() == 1);
    CHECK(fixture.speech.spoken[0] == request.text);
}

TEST_CASE("an exercise's text notice begins with the drill marker too", "[alerts][speech]") {
    AlertsFixture fixture;
    const auto message = fixture.sent(fixture.flood(scheduler::AlertStatus::Exercise));
    const auto* text = media_of(message.media, message.playlist.items.at(0).media);
    REQUIRE(text != nullptr);
    auto path = fixture.speech.store().lookup(text->sha256);
    REQUIRE(path);
    CHECK(read_file(*path).starts_with(exercise_marker));
}

TEST_CASE("an alert with a media file plays the text notice, then the file", "[alerts][speech]") {
    AlertsFixture fixture{true};
    auto request = fixture.flood();
    request.media = std::string(64, 'b');  // the fixture's stored video
    const auto message = fixture.sent(request);
    REQUIRE(message.playlist.items.size() == 2);
    const auto* text = media_of(message.media, message.playlist.items[0].media);
    REQUIRE(text != nullptr);
    CHECK(text->type == scheduler::MediaType::Text);
    CHECK(text->speech);
    CHECK(message.playlist.items[1].media == std::string(64, 'b'));
    CHECK(message.manifest.size() == 3);

    auto media_only = fixture.flood();
    media_only.id = "media-only";
    media_only.text.clear();
    media_only.media = std::string(64, 'b');
    const auto without_text = fixture.sent(media_only);
    REQUIRE(without_text.playlist.items.size() == 1);
    CHECK(without_text.playlist.items[0].media == std::string(64, 'b'));
    CHECK(without_text.manifest.size() == 1);
}

TEST_CASE("the alert keeps its repeat policy with the text notice", "[alerts][speech]") {
    AlertsFixture fixture{true};
    auto request = fixture.flood();
    request.repeat = scheduler::RepeatPolicy{5, std::chrono::minutes{2}};
    const auto message = fixture.sent(request);
    CHECK(message.alert.repeat == request.repeat);
    CHECK(message.alert.playlist == message.playlist.id);
}

TEST_CASE("a speech renderer that keeps no text files gives a speech-only alert, as before",
          "[alerts][speech]") {
    FleetFixture fleet;
    RecordingSink sink;
    TextAsSpeech speech{fleet.clock};
    AlertServiceOptions options;
    options.one_person_live_alerts = true;
    AlertService service{*fleet.store, fleet.clock, fleet.keys.secret, sink, speech, nullptr, options};
    AlertRequest request;
    request.zones = {"zone-1"};
    request.headline = "Lũ quét";
    request.text = "Di chuyển lên vùng cao ngay.";
    auto created = service.create(fleet.operator_one, request);
    REQUIRE(created);
    REQUIRE(sink.messages.size() == 1);
    auto verified =
        protocol::verify_alert(sink.messages[0].payload, fleet.trusted(), "zone-1", {}, fleet.clock.wall());
    REQUIRE(verified);
    const auto& message = std::get<protocol::AlertMessage>(*verified);
    // A severe alert rings the chime, then speaks.
    REQUIRE(message.playlist.items.size() == 2);
    CHECK(message.playlist.items[0].media == media::alert_tone_media(media::AlertTone::Chime).sha256);
    const auto* spoken = media_of(message.media, message.playlist.items[1].media);
    REQUIRE(spoken != nullptr);
    CHECK(spoken->type == scheduler::MediaType::Audio);
    CHECK(message.media.size() == 2);
}

TEST_CASE("the espeak-ng renderer stores a text notice's words content-addressed", "[alerts][speech]") {
    FleetFixture fleet;
    auto content = open_content(fleet.directory.file("media"));
    EspeakSpeechRenderer renderer{content, media::SpeechOptions{}, fleet.clock};
    const std::string words = "Bão số 9\n\nNgười dân ở trong nhà.";
    auto stored = renderer.store_text(words);
    REQUIRE(stored);
    CHECK(stored->media.type == scheduler::MediaType::Text);
    CHECK(stored->media.sha256 == media::sha256_hex(words));
    CHECK(stored->size == static_cast<std::int64_t>(words.size()));
    CHECK(stored->text == words);
    auto path = content.lookup(stored->media.sha256);
    REQUIRE(path);
    CHECK(read_file(*path) == words);
}

TEST_CASE("bundles of an alert's devices: a screen gets the linked text, a speaker its speech",
          "[alerts][speech][bundle]") {
    AlertsFixture fixture{true};
    const auto message = fixture.sent(fixture.flood());
    const std::string text = message.playlist.items.at(0).media;
    const std::string speech = *media_of(message.media, text)->speech;

    auto inputs = fixture.store->read_value<BundleInputs>(
        [&](StoreTransaction& transaction) { return load_bundle_inputs(transaction, fixture.clock.wall()); });
    REQUIRE(inputs);
    scheduler::Device screen;
    screen.id = "screen-1";
    screen.zone = "zone-1";
    scheduler::Device speaker = screen;
    speaker.id = "speaker-1";
    speaker.kind = scheduler::DeviceKind::Speaker;

    const auto on_screen = build_bundle(*inputs, screen, "http://controller.test");
    const auto* alert_playlist = &on_screen.model.playlists.at(0);
    for (const auto& playlist : on_screen.model.playlists)
        if (playlist.id == message.playlist.id)
            alert_playlist = &playlist;
    CHECK(alert_playlist->items.at(0).media == text);
    REQUIRE(media_of(on_screen.model.media, text) != nullptr);
    CHECK(media_of(on_screen.model.media, text)->speech == speech);
    CHECK(media_of(on_screen.model.media, speech) != nullptr);
    CHECK(scheduler::validate(on_screen.model));

    const auto on_speaker = build_bundle(*inputs, speaker, "http://controller.test");
    for (const auto& playlist : on_speaker.model.playlists)
        for (const auto& item : playlist.items) CHECK(item.media != text);
    CHECK(media_of(on_speaker.model.media, text) == nullptr);
    CHECK(entry_of(on_speaker.manifest, text) == nullptr);
    CHECK(entry_of(on_speaker.manifest, speech) != nullptr);
    CHECK(scheduler::validate(on_speaker.model));
}

TEST_CASE("the tone before the words: the siren for an actual extreme alert, else the chime, or none",
          "[alerts][tone]") {
    AlertsFixture fixture{true};
    const auto& chime = media::alert_tone_media(media::AlertTone::Chime);
    const auto& siren = media::alert_tone_media(media::AlertTone::Siren);
    struct Case {
        std::string id;
        scheduler::Severity severity;
        scheduler::AlertStatus status;
        std::optional<std::string> tone;
        std::optional<std::string> first;  // the tone's digest, nullopt: the words come first
    };
    const std::vector<Case> cases = {
        {"extreme-actual", scheduler::Severity::Extreme, scheduler::AlertStatus::Actual, std::nullopt,
         siren.sha256},
        {"severe-actual", scheduler::Severity::Severe, scheduler::AlertStatus::Actual, std::nullopt,
         chime.sha256},
        {"extreme-drill", scheduler::Severity::Extreme, scheduler::AlertStatus::Exercise, std::nullopt,
         chime.sha256},
        {"asked-siren", scheduler::Severity::Minor, scheduler::AlertStatus::Actual, "siren", siren.sha256},
        {"asked-chime", scheduler::Severity::Extreme, scheduler::AlertStatus::Actual, "chime", chime.sha256},
        {"asked-none", scheduler::Severity::Extreme, scheduler::AlertStatus::Actual, "none", std::nullopt},
    };
    for (const auto& each : cases) {
        INFO(each.id);
        auto request = fixture.flood(each.status);
        request.id = each.id;
        request.severity = each.severity;
        request.tone = each.tone;
        fixture.sink.messages.clear();
        const auto message = fixture.sent(request);
        if (!each.first) {
            REQUIRE(message.playlist.items.size() == 1);
            CHECK(media_of(message.media, message.playlist.items[0].media)->type ==
                  scheduler::MediaType::Text);
            continue;
        }
        REQUIRE(message.playlist.items.size() == 2);
        CHECK(message.playlist.items[0].media == *each.first);
        const auto* tone = media_of(message.media, *each.first);
        REQUIRE(tone != nullptr);
        CHECK(tone->type == scheduler::MediaType::Audio);
        CHECK(tone->has_audio);
        CHECK(tone->duration == (*each.first == siren.sha256 ? siren.duration : chime.duration));
        CHECK(media_of(message.media, message.playlist.items[1].media)->type == scheduler::MediaType::Text);
        // Listed in the manifest like any media, for a device that lost its own copy.
        const auto* entry = entry_of(message.manifest, *each.first);
        REQUIRE(entry != nullptr);
        CHECK(entry->size == media::alert_tone_wav(*each.first == siren.sha256 ? media::AlertTone::Siren
                                                                               : media::AlertTone::Chime)
                                 .size());
    }
    // One media row per tone, however many alerts ring it.
    auto rows = fixture.store->read_value<std::vector<MediaRecord>>(
        [](StoreTransaction& transaction) { return transaction.list_media({}); });
    REQUIRE(rows);
    CHECK(std::ranges::count_if(
              *rows, [&](const MediaRecord& row) { return row.media.sha256 == chime.sha256; }) == 1);
    CHECK(std::ranges::count_if(
              *rows, [&](const MediaRecord& row) { return row.media.sha256 == siren.sha256; }) == 1);
}

TEST_CASE("an alert asking for a tone Bantin does not have is refused and nothing is stored",
          "[alerts][tone]") {
    AlertsFixture fixture{true};
    auto request = fixture.flood();
    request.tone = "bell";
    auto refused = fixture.service.create(fixture.operator_one, request);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::InvalidInput);
    CHECK_THAT(refused.error().detail, Catch::Contains("chime, siren hoặc none"));
    CHECK(fixture.sink.messages.empty());
    auto alerts = fixture.service.active();
    REQUIRE(alerts);
    CHECK(alerts->empty());
}

TEST_CASE("an alert that names no repeat count plays until it expires or is cancelled", "[alerts]") {
    AlertsFixture fixture{true};
    const auto message = fixture.sent(fixture.flood());
    CHECK(message.alert.repeat.count == 0);
    CHECK(message.alert.repeat.interval == Duration{0});
    auto once = fixture.flood();
    once.id = "once";
    once.repeat = scheduler::RepeatPolicy{1, Duration{0}};
    fixture.sink.messages.clear();
    CHECK(fixture.sent(once).alert.repeat.count == 1);  // the operator's choice stands
}
