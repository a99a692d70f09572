// Live channels over real HTTP on a free loopback port, with a real SQLite file: an operator
// opens a channel for zones and gets the mount to feed, devices of those zones get a signed
// live start they verify, close publishes the end on the same topics, both are audited; the
// refusals (role, unknown zone, bad level or duration, live channels off, hostile bodies).

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/approval.hpp"
#include "bantin/controller/auth.hpp"
#include "bantin/controller/http_server.hpp"
#include "bantin/controller/live.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/topics.hpp"
#include "fleet_fixture.hpp"

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct LiveApi : FleetFixture {
    explicit LiveApi(std::string icecast_url = "http://radio.test:8000/") {
        config.storage.data_dir = directory.path();
        auto media_store = media::ContentStore::open(fs::path{directory.path()} / "media");
        REQUIRE(media_store);
        content.emplace(std::move(*media_store));
        auth = std::make_unique<Auth>(*store, clock, testing::cheap_auth_policy());
        approval = std::make_unique<ApprovalService>(*store, clock);
        context = std::make_unique<ApiContext>(ApiContext{*store, *auth, *approval, clock, config, *content});
        LiveOptions options;
        options.icecast_url = std::move(icecast_url);
        options.source_password = "hack me/@";
        options.max_duration = std::chrono::minutes{60};
        live = std::make_unique<LiveService>(*store, clock, keys.secret, sink, options);
        server = std::make_unique<ApiServer>(ApiServerOptions{});
        register_content_routes(*server, *context);
        register_live_routes(*server, *context, *live);
        auto started = server->start();
        REQUIRE(started);
        http = std::make_unique<httplib::Client>("127.0.0.1", *started);
        http->set_read_timeout(10, 0);
        operator_token = sign_in("operator-one");
        editor_token = sign_in("editor");
    }
    ~LiveApi() { server->stop(); }

    std::string sign_in(const std::string& name) {
        auto response =
            http->Post("/api/v1/auth/login", json{{"name", name}, {"password", "password-of-" + name}}.dump(),
                       "application/json");
        REQUIRE(response);
        REQUIRE(response->status == 200);
        return json::parse(response->body).at("token").get<std::string>();
    }
    httplib::Result post(const std::string& target, const std::string& body, const std::string& token) {
        return http->Post(target.c_str(), {{"Authorization", "Bearer " + token}}, body, "application/json");
    }

    config::ControllerConfig config;
    std::optional<media::ContentStore> content;
    std::unique_ptr<Auth> auth;
    std::unique_ptr<ApprovalService> approval;
    std::unique_ptr<ApiContext> context;
    testing::RecordingSink sink;
    std::unique_ptr<LiveService> live;
    std::unique_ptr<ApiServer> server;
    std::unique_ptr<httplib::Client> http;
    std::string operator_token;
    std::string editor_token;
};

}  // namespace

TEST_CASE("an operator opens a live channel, devices of its zones verify it, and close ends it",
          "[live][api][integration]") {
    LiveApi api;
    auto opened =
        api.post("/api/v1/live",
                 json{{"zones", {"zone-2", "zone-1"}}, {"level", "emergency"}, {"duration_s", 600}}.dump(),
                 api.operator_token);
    REQUIRE(opened);
    INFO(opened->body);
    REQUIRE(opened->status == 201);
    const auto channel = json::parse(opened->body);
    const std::string id = channel.at("id");
    CHECK(id.starts_with("live-"));
    CHECK(channel.at("zones") == json({"zone-1", "zone-2"}));
    CHECK(channel.at("level") == "emergency");
    CHECK(channel.at("mount") == "/" + id + ".opus");
    CHECK(channel.at("url") == "http://radio.test:8000/" + id + ".opus");
    CHECK(channel.at("source_url") == "icecast://source:hack%20me%2F%40@radio.test:8000/" + id + ".opus");
    CHECK(channel.at("ends_at") == format_utc(api.clock.wall() + std::chrono::minutes{10}));

    for (const std::string zone : {"zone-1", "zone-2"}) {
        const auto sent = api.sink.on(*protocol::live_zone_topic(zone));
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].options.retain == protocol::Retain::Yes);
        CHECK(sent[0].options.qos == protocol::QualityOfService::AtLeastOnce);
        CHECK(sent[0].options.message_expiry == std::chrono::seconds{600});
        auto verified = protocol::verify_live(sent[0].payload, api.trusted(), zone, api.clock.wall());
        REQUIRE(verified);
        const auto& start = std::get<protocol::LiveStart>(*verified);
        CHECK(start.id == id);
        CHECK(start.level == scheduler::Level::Emergency);
        CHECK(start.url == channel.at("url"));
    }
    CHECK(api.sink.on(*protocol::live_zone_topic("zone-3")).empty());

    auto listed = api.http->Get("/api/v1/live", {{"Authorization", "Bearer " + api.editor_token}});
    REQUIRE(listed);
    REQUIRE(listed->status == 200);
    const auto items = json::parse(listed->body).at("items");
    REQUIRE(items.size() == 1);
    CHECK_FALSE(items[0].contains("source_url"));  // only the operator who opened it gets the source

    auto closed = api.post("/api/v1/live/" + id + "/close", "", api.operator_token);
    REQUIRE(closed);
    REQUIRE(closed->status == 200);
    const auto ends = api.sink.on(*protocol::live_zone_topic("zone-1"));
    REQUIRE(ends.size() == 2);
    auto end = protocol::verify_live(ends[1].payload, api.trusted(), "zone-1", api.clock.wall());
    REQUIRE(end);
    CHECK(std::get<protocol::LiveEnd>(*end).live_id == id);
    CHECK(ends[1].options.retain == protocol::Retain::Yes);

    auto again = api.post("/api/v1/live/" + id + "/close", "", api.operator_token);
    REQUIRE(again);
    CHECK(again->status == 404);

    auto audit = api.store->read_value<std::vector<AuditEntry>>([&](StoreTransaction& transaction) {
        return transaction.list_audit(AuditFilter{"live", id, std::nullopt}, Page{});
    });
    REQUIRE(audit);
    REQUIRE(audit->size() == 2);
    std::vector<std::string> actions{(*audit)[0].action, (*audit)[1].action};
    std::sort(actions.begin(), actions.end());
    CHECK(actions == std::vector<std::string>{"live.close", "live.open"});
}

TEST_CASE("live channel refusals: role, zones, level, duration, hostile bodies",
          "[live][api][integration][hostile]") {
    LiveApi api;
    const std::vector<std::tuple<std::string, std::string, int>> cases{
        {json{{"zones", {"zone-1"}}}.dump(), api.editor_token, 403},
        {json{{"zones", {"zone-9"}}}.dump(), api.operator_token, 422},
        {json{{"zones", json::array()}}.dump(), api.operator_token, 422},
        {json{{"zones", {"zone/#"}}}.dump(), api.operator_token, 422},
        {json{{"zones", {"zone-1"}}, {"level", "loud"}}.dump(), api.operator_token, 422},
        {json{{"zones", {"zone-1"}}, {"duration_s", 0}}.dump(), api.operator_token, 422},
        {json{{"zones", {"zone-1"}}, {"duration_s", 7200}}.dump(), api.operator_token, 422},
        {json{{"zones", {"zone-1"}}, {"duration_s", "long"}}.dump(), api.operator_token, 400},
        {json{{"zones", "zone-1"}}.dump(), api.operator_token, 400},
        {json{{"zones", {"zone-1"}}, {"url", "http://evil.test/x"}}.dump(), api.operator_token, 400},
        {"{not json", api.operator_token, 400},
        {"", api.operator_token, 400},
        {json{{"zones", {"zone-1"}}}.dump(), "not-a-token", 401},
    };
    for (const auto& [body, token, status] : cases) {
        INFO(body);
        auto answer = api.post("/api/v1/live", body, token);
        REQUIRE(answer);
        INFO(answer->body);
        CHECK(answer->status == status);
    }
    CHECK(api.sink.messages.empty());
    auto unknown = api.post("/api/v1/live/live-0000000000000000/close", "", api.operator_token);
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
}

TEST_CASE("live channels are off without an Icecast server", "[live][api][integration]") {
    LiveApi api("");
    auto answer = api.post("/api/v1/live", json{{"zones", {"zone-1"}}}.dump(), api.operator_token);
    REQUIRE(answer);
    CHECK(answer->status == 503);
    CHECK(api.sink.messages.empty());
}
