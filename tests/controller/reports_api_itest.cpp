// The reports through the HTTP API on a free loopback port, the controller on simulated time:
// devices registered and a campaign approved through the API, proof fed through Ingest (what
// the daemon does with each pop message), and the planned figures read back as an office
// would: planned counts only time that has passed while the campaign was approved and the
// device registered (issue 12), broken down by zone and day, alerts reported per alert, and
// every CSV starts with a byte order mark and Vietnamese headers.

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

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using nlohmann::json;

namespace {

TimePoint report_instant(const char* text) {
    auto parsed = parse_utc(text);
    REQUIRE(parsed);
    return *parsed;
}

struct ReportsApi : FleetFixture {
    ReportsApi() : speech(clock) {
        clock.set_wall(report_instant("2026-11-27T03:00:00Z"));  // 10:00 local; sessions start here
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
    ~ReportsApi() { server->stop(); }

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

// The whole local day of 27/11 (UTC+7) and the next.
const std::string whole_day = "from=2026-11-26T17:00:00Z&to=2026-11-27T17:00:00Z";
const std::string next_day = "from=2026-11-27T17:00:00Z&to=2026-11-28T17:00:00Z";

}  // namespace

TEST_CASE("through the API a campaign approved an hour ago on one device plans 60, not the day's 1440",
          "[reports-api][planned][integration]") {
    ReportsApi api;
    const TimePoint approved = report_instant("2026-11-27T03:00:00Z");  // 10:00 local
    api.clock.set_wall(approved);
    api.register_device("screen-1", "zone-1");
    api.approve_campaign({{"id", "c-quang-cao"},
                          {"name", "Quảng cáo chợ"},
                          {"playlist", "pl-1"},
                          {"targets", {{"zones", {"zone-1", "zone-2"}}}},
                          {"mode", "share_of_voice"},
                          {"plays_per_hour", 60}});
    // 50 of its plays in the hour since, as screen-1 sends them.
    api.feed_proof("screen-1", 1, 50, protocol::SourceKind::Campaign, "c-quang-cao",
                   approved + std::chrono::seconds{30}, protocol::Outcome::Completed);

    api.clock.set_wall(approved + std::chrono::hours{1});
    auto day = api.get_json("/api/v1/reports/delivery?" + whole_day);
    REQUIRE(day["items"].size() == 1);
    CHECK(day["items"][0]["campaign"] == "c-quang-cao");
    CHECK(day["items"][0]["planned"] == 60);
    CHECK(day["items"][0]["delivered"] == 50);
    CHECK(day["items"][0]["under_delivered"] == true);

    // A device registered half an hour ago plans its own half hour.
    api.register_device("screen-2", "zone-2");
    api.clock.set_wall(approved + std::chrono::minutes{90});
    auto zones = api.get_json("/api/v1/reports/delivery?" + whole_day + "&group=zone");
    REQUIRE(zones["items"].size() == 2);
    CHECK(zones["items"][0]["zone"] == "zone-1");
    CHECK(zones["items"][0]["campaign"] == "");
    CHECK(zones["items"][0]["planned"] == 90);
    CHECK(zones["items"][1]["zone"] == "zone-2");
    CHECK(zones["items"][1]["planned"] == 30);
    CHECK(zones["items"][1]["delivered"] == 0);
    auto by_campaign = api.get_json("/api/v1/reports/delivery?" + whole_day);
    CHECK(by_campaign["items"][0]["planned"] == 90 + 30);
    auto days = api.get_json("/api/v1/reports/delivery?" + whole_day + "&group=campaign,zone,day");
    REQUIRE(days["items"].size() == 2);
    CHECK(days["items"][0]["day"] == "2026-11-27");
    CHECK(days["items"][1]["planned"] == 30);

    // A range still to come plans nothing and flags nothing.
    auto future = api.get_json("/api/v1/reports/delivery?" + next_day);
    REQUIRE(future["items"].size() == 1);
    CHECK(future["items"][0]["planned"] == 0);
    CHECK(future["items"][0]["delivered"] == 0);
    CHECK(future["items"][0]["under_delivered"] == false);

    // The CSV says the same, Vietnamese first, behind a byte order mark.
    auto csv = api.get("/api/v1/reports/delivery?" + whole_day + "&group=zone&format=csv");
    REQUIRE(csv);
    REQUIRE(csv->status == 200);
    CHECK(csv->get_header_value("Content-Type") == "text/csv; charset=utf-8");
    CHECK(
        csv->body ==
        "\xEF\xBB\xBF"
        "Khu vực / zone,Kế hoạch / planned,Đã phát / delivered,Tỉ lệ / ratio,Phát thiếu / under delivered\r\n"
        "zone-1,90,50,0.5556,có / yes\r\nzone-2,30,0,0.0000,có / yes\r\n");
}

TEST_CASE("through the API alert plays are reported per alert and every report CSV has a BOM",
          "[reports-api][alerts][csv][integration]") {
    ReportsApi api;
    const TimePoint now = report_instant("2026-11-27T03:00:00Z");
    api.clock.set_wall(now);
    api.register_device("screen-1", "zone-1");
    api.register_device("screen-2", "zone-1");
    auto alert = api.post("/api/v1/alerts",
                          {{"headline", "Lũ quét"},
                           {"text", "Đây là bài diễn tập."},
                           {"severity", "severe"},
                           {"status", "exercise"},
                           {"zones", {"zone-1"}}},
                          api.operator_token, 201);
    const std::string id = alert["id"].get<std::string>();
    api.feed_proof("screen-1", 1, 2, protocol::SourceKind::Alert, id, now + std::chrono::seconds{5},
                   protocol::Outcome::Completed);
    api.feed_proof("screen-2", 1, 1, protocol::SourceKind::Alert, id, now + std::chrono::seconds{7},
                   protocol::Outcome::Failed);
    api.clock.set_wall(now + std::chrono::minutes{10});

    auto report = api.get_json("/api/v1/reports/alerts?" + whole_day);
    REQUIRE(report["items"].size() == 1);
    const auto& row = report["items"][0];
    CHECK(row["alert"] == id);
    CHECK(row["headline"] == "DIỄN TẬP: Lũ quét");  // an exercise says so
    CHECK(row["severity"] == "severe");
    CHECK(row["status"] == "exercise");
    CHECK(row["devices"] == 2);
    CHECK(row["completed"] == 2);
    CHECK(row["failed"] == 1);
    CHECK(row["interrupted"] == 0);

    const std::string bom = "\xEF\xBB\xBF";
    for (const auto& [name, header] : {std::pair{"plays", "Chiến dịch / campaign,Ngày / day,"},
                                       std::pair{"delivery", "Chiến dịch / campaign,Kế hoạch / planned,"},
                                       std::pair{"uptime", "Thiết bị / device,Khu vực / zone,"},
                                       std::pair{"alerts", "Cảnh báo / alert,Tiêu đề / headline,"}}) {
        auto csv = api.get(std::string{"/api/v1/reports/"} + name + "?" + whole_day + "&format=csv");
        REQUIRE(csv);
        INFO(name);
        REQUIRE(csv->status == 200);
        CHECK(csv->body.starts_with(bom + header));
        CHECK(csv->get_header_value("Content-Disposition") ==
              std::string{"attachment; filename=\""} + name + ".csv\"");
    }
    auto alerts_csv = api.get("/api/v1/reports/alerts?" + whole_day + "&format=csv");
    REQUIRE(alerts_csv);
    CHECK(
        alerts_csv->body.find(id + ",DIỄN TẬP: Lũ quét,nghiêm trọng / severe,diễn tập / exercise,2,2,0,1,") !=
        std::string::npos);
}

TEST_CASE("a bad report grouping or format is refused naming the parameter",
          "[reports-api][hostile][integration]") {
    ReportsApi api;
    for (const std::string query : {"&group=device", "&group=zone,zone", "&group=", "&group=zone,",
                                    "&group=,day", "&group=ZONE", "&group=zone%00day", "&format=xml"}) {
        auto response = api.get("/api/v1/reports/delivery?" + whole_day + query);
        REQUIRE(response);
        INFO(query << ": " << response->body);
        CHECK(response->status == 422);
        const auto body = json::parse(response->body);
        CHECK(body["error"] == "invalid-input");
        const std::string detail = body["detail"].get<std::string>();
        CHECK((detail.starts_with("group: ") || detail.starts_with("format: ")));
    }
    // Ranges: Vietnamese first, then English, naming the parameter.
    for (const auto& [query, detail] :
         {std::pair{"from=2026-11-27T17:00:00Z&to=2026-11-26T17:00:00Z",
                    "to: phải sau from; must be after from"},
          std::pair{"from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z",
                    "to: một báo cáo dài nhiều nhất 92 ngày;"},
          std::pair{"from=h%C3%B4m-qua&to=2026-11-26T17:00:00Z", "from: thời điểm không hợp lệ; "},
          std::pair{"from=2026-11-26T17:00:00Z", "from, to: cần cả hai"}}) {
        auto response = api.get(std::string{"/api/v1/reports/alerts?"} + query);
        REQUIRE(response);
        INFO(query << ": " << response->body);
        CHECK(response->status == 422);
        CHECK(json::parse(response->body)["detail"].get<std::string>().starts_with(detail));
    }
}
