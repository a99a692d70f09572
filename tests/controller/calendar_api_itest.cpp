// The calendar and the alert history through the HTTP API on a free loopback port, the
// controller on simulated time: a fixed-time campaign gives events at its local times, a
// share-of-voice campaign a band with its count of plays, alerts red spans; hostile ranges and
// unknown ids are refused in both languages. The alert history keeps cancelled and expired
// alerts with who raised, confirmed and cancelled them, and each device's state from its proof.

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/api_fleet.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/controller/ingest.hpp"
#include "bantin/protocol/codec.hpp"
#include "fleet_fixture.hpp"

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using nlohmann::json;

namespace {

TimePoint calendar_instant(const char* text) {
    auto parsed = parse_utc(text);
    REQUIRE(parsed);
    return *parsed;
}

struct CalendarRig : FleetFixture {
    CalendarRig() : speech(clock) {
        clock.set_wall(calendar_instant("2026-11-27T03:00:00Z"));  // 10:00 local; sessions start here
        config.storage.data_dir = directory.path();
        auto media_store = media::ContentStore::open(std::filesystem::path{directory.path()} / "media");
        REQUIRE(media_store);
        content.emplace(std::move(*media_store));
        auth = std::make_unique<Auth>(*store, clock, testing::cheap_auth_policy());
        approval = std::make_unique<ApprovalService>(*store, clock);
        context = std::make_unique<ApiContext>(ApiContext{*store, *auth, *approval, clock, config, *content});
        RegistryOptions registry_options;
        registry_options.controller_keys = trusted();
        registry = std::make_unique<DeviceRegistry>(*store, clock, broker, registry_options);
        alerts = std::make_unique<AlertService>(*store, clock, keys.secret, sink, speech, nullptr,
                                                AlertServiceOptions{});
        auto opened_proofs = SqliteProofQuery::open(path());
        REQUIRE(opened_proofs);
        proofs = std::move(*opened_proofs);
        reports = std::make_unique<ReportService>(*store, *proofs, nullptr, clock);
        services = std::make_unique<FleetServices>(
            FleetServices{*registry, *alerts, *reports, nullptr, nullptr, nullptr, nullptr, {}});
        ingest = std::make_unique<Ingest>(*store, clock, keys.secret, sink);
        server = std::make_unique<ApiServer>(ApiServerOptions{});
        register_content_routes(*server, *context);
        register_fleet_routes(*server, *context, *services);
        auto started = server->start();
        REQUIRE(started);
        http = std::make_unique<httplib::Client>("127.0.0.1", *started);
        http->set_read_timeout(10, 0);
        operator_token = sign_in("operator-one");
        editor_token = sign_in("editor");
        approver_token = sign_in("approver");
    }
    ~CalendarRig() { server->stop(); }

    std::string sign_in(const std::string& name) {
        auto response =
            http->Post("/api/v1/auth/login", json{{"name", name}, {"password", "password-of-" + name}}.dump(),
                       "application/json");
        REQUIRE(response);
        REQUIRE(response->status == 200);
        return json::parse(response->body).at("token").get<std::string>();
    }

    json post(const std::string& target, const json& body, const std::string& token, int status) {
        auto response = http->Post(target.c_str(), {{"Authorization", "Bearer " + token}}, body.dump(),
                                   "application/json");
        REQUIRE(response);
        INFO(target << ": " << response->body);
        REQUIRE(response->status == status);
        return json::parse(response->body);
    }

    httplib::Result get(const std::string& target) {
        return http->Get(target.c_str(), {{"Authorization", "Bearer " + operator_token}});
    }

    json get_json(const std::string& target) {
        auto response = get(target);
        REQUIRE(response);
        INFO(target << ": " << response->body);
        REQUIRE(response->status == 200);
        return json::parse(response->body);
    }

    void register_device(const std::string& id, const std::string& zone) {
        post("/api/v1/devices", {{"id", id}, {"kind", "screen"}, {"zone", zone}}, operator_token, 201);
    }

    // Created by the editor, submitted, approved by the approver: through the API.
    void approve_campaign(const json& campaign) {
        const std::string id = campaign.at("id").get<std::string>();
        auto created = post("/api/v1/campaigns", campaign, editor_token, 201);
        auto submitted =
            post("/api/v1/campaigns/" + id + "/submit", {{"version", created["version"]}}, editor_token, 200);
        post("/api/v1/campaigns/" + id + "/approve", {{"version", submitted["version"]}}, approver_token,
             200);
    }

    // A pop batch as the device sends it, handed to Ingest as the daemon's MQTT loop does.
    void feed_proof(const std::string& device, std::uint64_t first_seq, int count,
                    protocol::SourceKind source, const std::string& source_id, TimePoint first,
                    protocol::Outcome outcome) {
        protocol::ProofOfPlayBatch batch;
        batch.device = device;
        batch.install_epoch = "1";
        for (int i = 0; i < count; ++i) {
            protocol::ProofOfPlayRow row;
            row.seq = first_seq + static_cast<std::uint64_t>(i);
            row.source = source;
            row.source_id = source_id;
            row.media = std::string(64, 'b');
            row.started_at = first + std::chrono::minutes{i};
            row.ended_at = row.started_at + std::chrono::seconds{15};
            row.duration_ms = 15000;
            row.outcome = outcome;
            row.bundle_version = 1;
            batch.rows.push_back(row);
        }
        REQUIRE(ingest->accept({"bantin/v1/dev/" + device + "/pop", protocol::encode(batch)}));
        REQUIRE(ingest->flush());
        REQUIRE(ingest->counters().dropped == 0);
    }

    config::ControllerConfig config;
    testing::TextAsSpeech speech;
    testing::RecordingSink sink;
    testing::RecordingBroker broker;
    std::optional<media::ContentStore> content;
    std::unique_ptr<Auth> auth;
    std::unique_ptr<ApprovalService> approval;
    std::unique_ptr<ApiContext> context;
    std::unique_ptr<DeviceRegistry> registry;
    std::unique_ptr<AlertService> alerts;
    std::unique_ptr<SqliteProofQuery> proofs;
    std::unique_ptr<ReportService> reports;
    std::unique_ptr<FleetServices> services;
    std::unique_ptr<Ingest> ingest;
    std::unique_ptr<ApiServer> server;
    std::unique_ptr<httplib::Client> http;
    std::string operator_token;
    std::string editor_token;
    std::string approver_token;
};

// The items of one day of a calendar answer, by campaign or alert id.
json calendar_item(const json& answer, const std::string& day, const std::string& id) {
    for (const auto& entry : answer.at("days"))
        if (entry.at("day") == day)
            for (const auto& item : entry.at("items"))
                if (item.value("campaign", item.value("alert", "")) == id)
                    return item;
    return nullptr;
}

}  // namespace

TEST_CASE("the calendar shows a fixed-time campaign as events at its times and share of voice as a band",
          "[calendar][integration]") {
    CalendarRig api;
    api.clock.set_wall(calendar_instant("2026-11-27T03:00:00Z"));  // Friday 27/11, 10:00 local
    api.register_device("screen-1", "zone-1");
    api.register_device("screen-2", "zone-1");
    api.approve_campaign({{"id", "c-ban-tin"},
                          {"name", "Bản tin sáng"},
                          {"playlist", "pl-1"},
                          {"targets", {{"zones", {"zone-1"}}}},
                          {"mode", "fixed_time"},
                          {"fixed_times", {"06:00", "17:30"}}});
    api.approve_campaign({{"id", "c-quang-cao"},
                          {"name", "Quảng cáo chợ"},
                          {"playlist", "pl-1"},
                          {"targets", {{"zones", {"zone-1"}}}},
                          {"windows", {"08:00-10:00"}},
                          {"mode", "share_of_voice"},
                          {"plays_per_hour", 12}});

    auto answer = api.get_json("/api/v1/calendar?zone=zone-1&from=2026-11-28&to=2026-12-04");
    CHECK(answer["scope"]["name"] == "Zone");
    CHECK(answer["devices"] == 2);
    CHECK(answer["time_zone"] == "Asia/Ho_Chi_Minh");
    REQUIRE(answer["days"].size() == 7);
    CHECK(answer["days"][0]["day"] == "2026-11-28");
    CHECK(answer["days"][6]["day"] == "2026-12-04");
    // Two alike screens are one class, resolved once.
    CHECK(answer["figures"]["device_classes"] == 1);
    std::cout << "calendar: a zone of 2 screens over 7 days: " << answer["figures"]["entries"]
              << " entries summed in " << answer["figures"]["ms"] << " ms\n";

    const auto bulletin = calendar_item(answer, "2026-11-28", "c-ban-tin");
    REQUIRE(bulletin.is_object());
    CHECK(bulletin["kind"] == "fixed_time");
    CHECK(bulletin["name"] == "Bản tin sáng");
    REQUIRE(bulletin["events"].size() == 2);
    CHECK(bulletin["events"][0]["at"] == "06:00");
    CHECK(bulletin["events"][0]["start"] == "2026-11-27T23:00:00.000Z");
    CHECK(bulletin["events"][0]["devices"] == 2);
    CHECK(bulletin["events"][1]["at"] == "17:30");
    CHECK_FALSE(bulletin["events"][0]["media"].empty());
    CHECK_FALSE(bulletin.contains("bands"));

    const auto spot = calendar_item(answer, "2026-11-28", "c-quang-cao");
    REQUIRE(spot.is_object());
    CHECK(spot["kind"] == "share_of_voice");
    REQUIRE(spot["bands"].size() == 1);
    CHECK(spot["bands"][0]["from"] == "08:00");
    CHECK(spot["bands"][0]["to"] == "10:00");  // the last spot is at 09:55
    // 12 an hour for two hours on each of two screens.
    CHECK(spot["bands"][0]["plays"] == 2 * 24);
    CHECK(spot["plays"] == 2 * 24);
    CHECK(spot["devices"] == 2);

    // One device; one campaign (its own items only, on the devices it targets).
    auto device = api.get_json("/api/v1/calendar?device=screen-2&from=2026-11-28&to=2026-11-28");
    CHECK(device["scope"]["kind"] == "device");
    CHECK(calendar_item(device, "2026-11-28", "c-quang-cao")["bands"][0]["plays"] == 24);
    auto campaign = api.get_json("/api/v1/calendar?campaign=c-ban-tin&from=2026-11-28&to=2026-11-29");
    CHECK(campaign["devices"] == 2);
    CHECK(calendar_item(campaign, "2026-11-29", "c-ban-tin")["events"].size() == 2);
    CHECK(calendar_item(campaign, "2026-11-29", "c-quang-cao").is_null());

    // A month is 31 days at most.
    auto month = api.get_json("/api/v1/calendar?zone=zone-1&from=2026-12-01&to=2026-12-31");
    CHECK(month["days"].size() == 31);
}

TEST_CASE(
    "the calendar draws an alert as a span and refuses hostile ranges and unknown ids in both languages",
    "[calendar][alerts][input][integration]") {
    CalendarRig api;
    const TimePoint now = calendar_instant("2026-11-27T03:00:00Z");
    api.clock.set_wall(now);
    api.register_device("screen-1", "zone-1");
    auto alert = api.post("/api/v1/alerts",
                          {{"headline", "Lũ quét"},
                           {"text", "Đây là bài diễn tập."},
                           {"severity", "severe"},
                           {"status", "exercise"},
                           {"zones", {"zone-1"}}},
                          api.operator_token, 201);
    const std::string id = alert["id"].get<std::string>();
    api.clock.set_wall(now + std::chrono::minutes{20});
    api.post("/api/v1/alerts/" + id + "/cancel", json::object(), api.operator_token, 200);

    auto answer = api.get_json("/api/v1/calendar?device=screen-1&from=2026-11-27&to=2026-11-27");
    const auto span = calendar_item(answer, "2026-11-27", id);
    REQUIRE(span.is_object());
    CHECK(span["kind"] == "alert");
    CHECK(span["state"] == "cancelled");
    CHECK(span["spans"][0]["from"] == "10:00");
    CHECK(span["spans"][0]["to"] == "10:20");
    // Not in another zone's calendar.
    auto other = api.get_json("/api/v1/calendar?zone=zone-2&from=2026-11-27&to=2026-11-27");
    CHECK(calendar_item(other, "2026-11-27", id).is_null());

    for (const auto& [query, status] : std::vector<std::pair<std::string, int>>{
             {"device=screen-1&from=2026-11-28&to=2026-11-27", 422},  // from after to
             {"device=screen-1&from=2026-11-01&to=2026-12-02", 422},  // 32 days
             {"device=screen-1&from=2026-02-30", 422},                // no such day
             {"device=screen-1&from=27/11/2026", 422},
             {"device=screen-1&drafts=yes", 422},
             {"from=2026-11-27", 422},              // no scope
             {"device=screen-1&zone=zone-1", 422},  // two scopes
             {"device=..%2F..%2Fetc", 422},
             {"device=" + std::string(65, 'a'), 422},
             {"device=nowhere", 404},
             {"zone=nowhere", 404},
             {"campaign=nowhere", 404}}) {
        auto response = api.get("/api/v1/calendar?" + query);
        REQUIRE(response);
        INFO(query << ": " << response->body);
        CHECK(response->status == status);
        const auto body = json::parse(response->body);
        const std::string detail = body.at("detail");
        // Vietnamese first, then English after "; ".
        CHECK(detail.find("; ") != std::string::npos);
        CHECK(body.at("error") == (status == 404 ? "not-found" : "invalid-input"));
    }
}

TEST_CASE("the alert history keeps cancelled and expired alerts with who acted and each device's state",
          "[alerts][history][integration]") {
    CalendarRig api;
    const TimePoint now = calendar_instant("2026-11-27T03:00:00Z");
    api.clock.set_wall(now);
    api.register_device("screen-1", "zone-1");
    api.register_device("screen-2", "zone-1");
    api.register_device("screen-3", "zone-2");
    const std::string operator_two = api.sign_in("operator-two");
    // A live alert, confirmed by a second operator, played by screen-1, cancelled.
    auto live = api.post("/api/v1/alerts",
                         {{"headline", "Bão số 9"},
                          {"text", "Sơ tán ngay."},
                          {"severity", "extreme"},
                          {"status", "actual"},
                          {"zones", {"zone-1"}}},
                         api.operator_token, 201);
    const std::string live_id = live["id"].get<std::string>();
    api.clock.set_wall(now + std::chrono::minutes{1});
    api.post("/api/v1/alerts/" + live_id + "/confirm", json::object(), operator_two, 200);
    api.feed_proof("screen-1", 1, 3, protocol::SourceKind::Alert, live_id, now + std::chrono::minutes{2},
                   protocol::Outcome::Completed);
    api.clock.set_wall(now + std::chrono::minutes{10});
    api.post("/api/v1/alerts/" + live_id + "/cancel", json::object(), operator_two, 200);
    // An exercise that expires on its own.
    auto drill = api.post("/api/v1/alerts",
                          {{"headline", "Diễn tập"},
                           {"text", "Chỉ là diễn tập."},
                           {"severity", "minor"},
                           {"status", "exercise"},
                           {"all_zones", true},
                           {"expires", format_utc(now + std::chrono::minutes{30})}},
                          api.operator_token, 201);
    const std::string drill_id = drill["id"].get<std::string>();
    api.clock.set_wall(now + std::chrono::hours{2});

    // The active list no longer has them; the history has both, newest first.
    CHECK(api.get_json("/api/v1/alerts")["items"].empty());
    auto history = api.get_json("/api/v1/alert-history");
    REQUIRE(history["items"].size() == 2);
    const auto& expired = history["items"][0];
    CHECK(expired["id"] == drill_id);
    CHECK(expired["outcome"] == "expired");
    CHECK(expired["created_by_name"].is_string());
    CHECK(expired["ended"] == format_utc(now + std::chrono::minutes{30}));
    const auto& cancelled = history["items"][1];
    CHECK(cancelled["id"] == live_id);
    CHECK(cancelled["outcome"] == "cancelled");
    CHECK(cancelled["created_by"] == api.operator_one.id);
    REQUIRE(cancelled["confirmations"].size() == 1);
    CHECK(cancelled["confirmations"][0]["user"] == api.operator_two.id);
    CHECK(cancelled["confirmations"][0]["at"] == format_utc(now + std::chrono::minutes{1}));
    CHECK(cancelled["cancelled_by"] == api.operator_two.id);
    CHECK(cancelled["cancelled"] == format_utc(now + std::chrono::minutes{10}));

    auto devices = api.get_json("/api/v1/alerts/" + live_id + "/devices");
    CHECK(devices["outcome"] == "cancelled");
    REQUIRE(devices["devices"].size() == 2);  // zone-1 only
    CHECK(devices["devices"][0]["device"] == "screen-1");
    CHECK(devices["devices"][0]["state"] == "ended");
    CHECK(devices["devices"][0]["completed"] == 3);
    CHECK(devices["devices"][1]["device"] == "screen-2");
    CHECK(devices["devices"][1]["state"] == "no-report");
    auto everywhere = api.get_json("/api/v1/alerts/" + drill_id + "/devices");
    CHECK(everywhere["devices"].size() == 3);

    // A page of one, then the next; a range before both is empty.
    auto first = api.get_json("/api/v1/alert-history?limit=1");
    REQUIRE(first["items"].size() == 1);
    REQUIRE(first["next_cursor"].is_string());
    auto second =
        api.get_json("/api/v1/alert-history?limit=1&cursor=" + first["next_cursor"].get<std::string>());
    CHECK(second["items"][0]["id"] == live_id);
    CHECK(api.get_json("/api/v1/alert-history?from=2026-11-20T00:00:00Z&to=2026-11-27T02:00:00Z")["items"]
              .empty());

    for (const std::string query :
         {"from=yesterday", "from=2026-11-27T05:00:00Z&to=2026-11-27T04:00:00Z", "limit=0"}) {
        auto refused = api.get("/api/v1/alert-history?" + query);
        REQUIRE(refused);
        INFO(query << ": " << refused->body);
        CHECK(refused->status == 422);
    }
    auto unknown = api.get("/api/v1/alerts/nowhere/devices");
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(json::parse(unknown->body).at("detail") ==
          "không tìm thấy cảnh báo \"nowhere\"; alert \"nowhere\" not found");
}
