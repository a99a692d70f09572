// Device routes over real HTTP on a free loopback port, with a real SQLite file: commands
// (the screenshot command's upload URL), screenshots uploaded by the device with its own basic
// credentials and read by operators, device settings at registration and update reaching the
// bundle, and POSTs with no body at all.

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/api_fleet.hpp"
#include "bantin/controller/device_commands.hpp"
#include "bantin/controller/device_registry.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "fleet_fixture.hpp"

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string png_signature{"\x89PNG\r\n\x1a\n", 8};

std::string fake_png(std::size_t size, char fill = 'x') {
    std::string bytes = png_signature;
    bytes.resize(size, fill);
    return bytes;
}

struct DeviceApi : FleetFixture {
    DeviceApi() : speech(clock) {
        config.storage.data_dir = directory.path();
        config.http.public_base_url = "https://signs.example.org/";
        auto media_store = media::ContentStore::open(fs::path{directory.path()} / "media");
        REQUIRE(media_store);
        content.emplace(std::move(*media_store));
        auth = std::make_unique<Auth>(*store, clock, testing::cheap_auth_policy());
        approval = std::make_unique<ApprovalService>(*store, clock);
        context = std::make_unique<ApiContext>(ApiContext{*store, *auth, *approval, clock, config, *content});
        RegistryOptions registry_options;
        registry_options.controller_keys = trusted();
        registry = std::make_unique<DeviceRegistry>(*store, clock, broker, registry_options);
        PublisherOptions publisher_options;
        publisher_options.media_base_url = config.http.base_url();
        publisher = std::make_unique<Publisher>(*store, clock, keys.secret, sink, publisher_options);
        DeviceCommandsOptions command_options;
        command_options.public_base_url = config.http.base_url();
        command_options.lifetime = config.devices.command_expiry;
        commands = std::make_unique<DeviceCommands>(*store, clock, keys.secret, sink, command_options);
        auto opened = ScreenshotStore::open(fs::path{directory.path()} / "screenshots", clock);
        REQUIRE(opened);
        screenshots.emplace(std::move(*opened));
        alerts = std::make_unique<AlertService>(*store, clock, keys.secret, sink, speech, nullptr,
                                                AlertServiceOptions{});
        auto opened_proofs = SqliteProofQuery::open(path());
        REQUIRE(opened_proofs);
        proofs = std::move(*opened_proofs);
        reports = std::make_unique<ReportService>(*store, *proofs, nullptr, clock);
        services = std::make_unique<FleetServices>(FleetServices{
            *registry, *alerts, *reports, publisher.get(), commands.get(), &*screenshots, nullptr, {}});
        server = std::make_unique<ApiServer>(ApiServerOptions{});
        register_content_routes(*server, *context);
        register_fleet_routes(*server, *context, *services);
        auto started = server->start();
        REQUIRE(started);
        port = *started;
        http = std::make_unique<httplib::Client>("127.0.0.1", port);
        http->set_read_timeout(10, 0);
        operator_token = sign_in("operator-one");
        editor_token = sign_in("editor");
    }
    ~DeviceApi() { server->stop(); }

    std::string sign_in(const std::string& name) {
        auto response =
            http->Post("/api/v1/auth/login", json{{"name", name}, {"password", "password-of-" + name}}.dump(),
                       "application/json");
        REQUIRE(response);
        REQUIRE(response->status == 200);
        return json::parse(response->body).at("token").get<std::string>();
    }

    static httplib::Headers bearer(const std::string& token) {
        return {{"Authorization", "Bearer " + token}};
    }

    httplib::Result post(const std::string& target, const json& body, const std::string& token) {
        return http->Post(target.c_str(), bearer(token), body.dump(), "application/json");
    }

    // Registers through the API and returns the provisioning file's MQTT password.
    std::string register_device(const json& body) {
        auto response = post("/api/v1/devices", body, operator_token);
        REQUIRE(response);
        INFO(response->body);
        REQUIRE(response->status == 201);
        return json::parse(response->body)["provisioning"]["mqtt"]["password"].get<std::string>();
    }

    httplib::Result upload(const std::string& device, const std::string& user, const std::string& password,
                           const std::string& bytes, const std::string& type = "image/png") {
        httplib::Client client("127.0.0.1", port);
        client.set_basic_auth(user.c_str(), password.c_str());
        return client.Put(("/api/v1/devices/" + device + "/screenshot").c_str(), bytes, type.c_str());
    }

    // Sends raw bytes and returns what the server answers before it closes or `timeout` passes.
    std::string raw_request(const std::string& request) const {
        int descriptor = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(descriptor >= 0);
        timeval timeout{3, 0};
        ::setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(descriptor, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::send(descriptor, request.data(), request.size(), 0) ==
                static_cast<ssize_t>(request.size()));
        std::string answer;
        char buffer[4096];
        while (answer.find("\r\n\r\n") == std::string::npos ||
               answer.size() < answer.find("\r\n\r\n") + 4 + content_length(answer)) {
            auto got = ::recv(descriptor, buffer, sizeof buffer, 0);
            if (got <= 0)
                break;
            answer.append(buffer, static_cast<std::size_t>(got));
        }
        ::close(descriptor);
        return answer;
    }

    static std::size_t content_length(const std::string& answer) {
        auto at = answer.find("Content-Length: ");
        if (at == std::string::npos)
            return 0;
        return static_cast<std::size_t>(std::stoul(answer.substr(at + 16)));
    }

    std::vector<testing::SentMessage> commands_to(const std::string& device) const {
        return sink.on("bantin/v1/dev/" + device + "/cmd");
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
    std::unique_ptr<Publisher> publisher;
    std::unique_ptr<DeviceCommands> commands;
    std::optional<ScreenshotStore> screenshots;
    std::unique_ptr<AlertService> alerts;
    std::unique_ptr<SqliteProofQuery> proofs;
    std::unique_ptr<ReportService> reports;
    std::unique_ptr<FleetServices> services;
    std::unique_ptr<ApiServer> server;
    std::unique_ptr<httplib::Client> http;
    int port = 0;
    std::string operator_token;
    std::string editor_token;
};

}  // namespace

// ---- commands ----

TEST_CASE("a screenshot command sent through the API carries the upload URL from the public base URL",
          "[device-api][commands][screenshot][integration]") {
    DeviceApi api;
    api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    auto response =
        api.post("/api/v1/devices/screen-1/commands", {{"kind", "screenshot"}}, api.operator_token);
    REQUIRE(response);
    INFO(response->body);
    REQUIRE(response->status == 202);
    auto answer = json::parse(response->body);
    CHECK(answer["kind"] == "screenshot");
    CHECK(answer["upload_url"] == "https://signs.example.org/api/v1/devices/screen-1/screenshot");

    auto sent = api.commands_to("screen-1");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].options.retain == protocol::Retain::No);
    CHECK(sent[0].options.qos == protocol::QualityOfService::AtLeastOnce);
    auto verified = protocol::verify_command(sent[0].payload, api.trusted(), "screen-1",
                                             protocol::SeenCommands{}, api.clock.wall());
    REQUIRE(verified);
    CHECK(verified->id == answer["id"].get<std::string>());
    CHECK(verified->kind == protocol::CommandKind::Screenshot);
    CHECK(verified->upload_url == "https://signs.example.org/api/v1/devices/screen-1/screenshot");
    CHECK(verified->expires_at - verified->issued_at == std::chrono::minutes{5});
}

TEST_CASE("set-volume and ping commands carry no upload URL, bad commands name the field",
          "[device-api][commands][integration]") {
    DeviceApi api;
    api.register_device({{"id", "speaker-1"}, {"kind", "speaker"}, {"zone", "zone-1"}});
    auto volume = api.post("/api/v1/devices/speaker-1/commands", {{"kind", "set-volume"}, {"volume", 35}},
                           api.operator_token);
    REQUIRE(volume);
    REQUIRE(volume->status == 202);
    auto sent = api.commands_to("speaker-1");
    REQUIRE(sent.size() == 1);
    auto decoded = protocol::verify_command(sent[0].payload, api.trusted(), "speaker-1",
                                            protocol::SeenCommands{}, api.clock.wall());
    REQUIRE(decoded);
    CHECK(decoded->volume == 35);
    CHECK_FALSE(decoded->upload_url.has_value());

    auto loud = api.post("/api/v1/devices/speaker-1/commands", {{"kind", "set-volume"}, {"volume", 150}},
                         api.operator_token);
    REQUIRE(loud);
    CHECK(loud->status == 422);
    CHECK(json::parse(loud->body)["detail"] == "volume: must be 0..100");
    // Above the device's approved volume (its default, 80, and its schedule's steps): that is a
    // settings change, which a second operator confirms; one person's command is refused.
    auto louder = api.post("/api/v1/devices/speaker-1/commands", {{"kind", "set-volume"}, {"volume", 95}},
                           api.operator_token);
    REQUIRE(louder);
    CHECK(louder->status == 403);
    const std::string louder_detail = json::parse(louder->body)["detail"];
    CHECK_THAT(louder_detail, Catch::StartsWith("âm lượng 95 vượt mức đã duyệt 80"));
    CHECK_THAT(louder_detail, Catch::Contains("; volume 95 is above the device's approved 80"));
    auto approved = api.post("/api/v1/devices/speaker-1/commands", {{"kind", "set-volume"}, {"volume", 80}},
                             api.operator_token);
    REQUIRE(approved);
    CHECK(approved->status == 202);
    auto reboot = api.post("/api/v1/devices/speaker-1/commands", {{"kind", "reboot"}}, api.operator_token);
    REQUIRE(reboot);
    CHECK(reboot->status == 422);
    auto extra =
        api.post("/api/v1/devices/speaker-1/commands", {{"kind", "ping"}, {"url", "x"}}, api.operator_token);
    REQUIRE(extra);
    CHECK(extra->status == 400);
    CHECK(json::parse(extra->body)["detail"].get<std::string>().rfind("url: unknown field", 0) == 0);
    auto unknown = api.post("/api/v1/devices/nowhere/commands", {{"kind", "ping"}}, api.operator_token);
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(api.commands_to("speaker-1").size() == 2);
}

TEST_CASE("an editor cannot send commands, and nothing is published",
          "[device-api][commands][roles][integration]") {
    DeviceApi api;
    api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    auto refused = api.post("/api/v1/devices/screen-1/commands", {{"kind", "screenshot"}}, api.editor_token);
    REQUIRE(refused);
    CHECK(refused->status == 403);
    CHECK(api.commands_to("screen-1").empty());
}

// ---- screenshots ----

TEST_CASE("a device uploads its screenshot with its MQTT credentials and an operator reads it with its time",
          "[device-api][screenshot][integration]") {
    DeviceApi api;
    const auto password = api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    const auto png = fake_png(300 * 1024);
    auto uploaded = api.upload("screen-1", "screen-1", password, png);
    REQUIRE(uploaded);
    INFO(uploaded->body);
    REQUIRE(uploaded->status == 201);
    auto answer = json::parse(uploaded->body);
    CHECK(answer["sha256"] == media::sha256_hex(png));
    CHECK(answer["received"] == format_utc(api.clock.wall()));
    CHECK(answer["size"] == png.size());

    auto read = api.http->Get("/api/v1/devices/screen-1/screenshot", DeviceApi::bearer(api.operator_token));
    REQUIRE(read);
    REQUIRE(read->status == 200);
    CHECK(read->get_header_value("Content-Type") == "image/png");
    CHECK(read->body == png);
    CHECK(read->get_header_value("X-Screenshot-Received") == format_utc(api.clock.wall()));
    CHECK(read->get_header_value("ETag") == "\"" + media::sha256_hex(png) + "\"");
    CHECK_FALSE(read->get_header_value("Last-Modified").empty());

    // A newer one replaces it, with its own time.
    api.clock.advance(std::chrono::minutes{3});
    const auto newer = fake_png(2000, 'y');
    REQUIRE(api.upload("screen-1", "screen-1", password, newer)->status == 201);
    auto reread = api.http->Get("/api/v1/devices/screen-1/screenshot", DeviceApi::bearer(api.operator_token));
    REQUIRE(reread);
    CHECK(reread->body == newer);
    CHECK(reread->get_header_value("X-Screenshot-Received") == format_utc(api.clock.wall()));
    // Exactly one file per device: no temporary left behind.
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(api.screenshots->directory())) {
        ++files;
        CHECK(entry.path().filename() == "screen-1.png");
    }
    CHECK(files == 1);
}

TEST_CASE("a screenshot is accepted only from that device itself", "[device-api][screenshot][integration]") {
    DeviceApi api;
    const auto first = api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    const auto second = api.register_device({{"id", "screen-2"}, {"kind", "screen"}, {"zone", "zone-1"}});
    const auto png = fake_png(100);

    auto other = api.upload("screen-1", "screen-2", second, png);
    REQUIRE(other);
    CHECK(other->status == 403);
    auto wrong = api.upload("screen-1", "screen-1", "not-the-password", png);
    REQUIRE(wrong);
    CHECK(wrong->status == 401);
    httplib::Client anonymous("127.0.0.1", api.port);
    auto none = anonymous.Put("/api/v1/devices/screen-1/screenshot", png, "image/png");
    REQUIRE(none);
    CHECK(none->status == 401);
    // A person's session is not a device's credentials.
    auto person = api.http->Put("/api/v1/devices/screen-1/screenshot", DeviceApi::bearer(api.operator_token),
                                png, "image/png");
    REQUIRE(person);
    CHECK(person->status == 401);
    auto missing =
        api.http->Get("/api/v1/devices/screen-1/screenshot", DeviceApi::bearer(api.operator_token));
    REQUIRE(missing);
    CHECK(missing->status == 404);

    REQUIRE(api.registry->revoke(api.operator_one, "screen-1"));
    auto revoked = api.upload("screen-1", "screen-1", first, png);
    REQUIRE(revoked);
    CHECK(revoked->status == 401);
    CHECK(fs::is_empty(api.screenshots->directory()));
}

TEST_CASE("non-PNG, mislabelled, empty and oversized screenshots are refused and leave the last one",
          "[device-api][screenshot][integration]") {
    DeviceApi api;
    const auto password = api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    const auto good = fake_png(500);
    REQUIRE(api.upload("screen-1", "screen-1", password, good)->status == 201);

    auto jpeg = api.upload("screen-1", "screen-1", password, "\xff\xd8\xff\xe0 not a png");
    REQUIRE(jpeg);
    CHECK(jpeg->status == 415);
    CHECK(json::parse(jpeg->body)["detail"].get<std::string>().find("PNG signature") != std::string::npos);
    auto labelled = api.upload("screen-1", "screen-1", password, good, "image/jpeg");
    REQUIRE(labelled);
    CHECK(labelled->status == 415);
    CHECK(json::parse(labelled->body)["detail"].get<std::string>().rfind("Content-Type: expected image/png",
                                                                         0) == 0);
    auto empty = api.upload("screen-1", "screen-1", password, "");
    REQUIRE(empty);
    CHECK(empty->status == 400);
    auto huge = api.upload("screen-1", "screen-1", password, fake_png(max_screenshot_bytes + 1));
    REQUIRE(huge);
    CHECK(huge->status == 413);
    auto far_too_big = api.upload("screen-1", "screen-1", password, fake_png(2 * max_screenshot_bytes + 1));
    if (far_too_big)  // refused before the body is read; the client may see the reset instead
        CHECK(far_too_big->status == 413);
    auto exactly = api.upload("screen-1", "screen-1", password, fake_png(max_screenshot_bytes, 'z'));
    REQUIRE(exactly);
    CHECK(exactly->status == 201);

    auto read = api.http->Get("/api/v1/devices/screen-1/screenshot", DeviceApi::bearer(api.operator_token));
    REQUIRE(read);
    CHECK(read->body.size() == max_screenshot_bytes);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(api.screenshots->directory())) ++files;
    CHECK(files == 1);
}

TEST_CASE("reading screenshots needs an operator or admin session",
          "[device-api][screenshot][roles][integration]") {
    DeviceApi api;
    const auto password = api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    REQUIRE(api.upload("screen-1", "screen-1", password, fake_png(64))->status == 201);
    auto editor = api.http->Get("/api/v1/devices/screen-1/screenshot", DeviceApi::bearer(api.editor_token));
    REQUIRE(editor);
    CHECK(editor->status == 403);
    httplib::Client anonymous("127.0.0.1", api.port);
    auto none = anonymous.Get("/api/v1/devices/screen-1/screenshot");
    REQUIRE(none);
    CHECK(none->status == 401);
    // The device's own basic credentials do not read screenshots back.
    httplib::Client device("127.0.0.1", api.port);
    device.set_basic_auth("screen-1", password.c_str());
    auto own = device.Get("/api/v1/devices/screen-1/screenshot");
    REQUIRE(own);
    CHECK(own->status == 401);
}

TEST_CASE("ScreenshotStore keeps the bytes and the receive time together", "[device-api][screenshot]") {
    FleetFixture fixture;
    auto store = ScreenshotStore::open(fs::path{fixture.directory.path()} / "shots", fixture.clock);
    REQUIRE(store);
    auto missing = store->latest("screen-1");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::NotFound);
    auto put = store->put("screen-1", fake_png(10));
    REQUIRE(put);
    auto latest = store->latest("screen-1");
    REQUIRE(latest);
    CHECK(latest->received == fixture.clock.wall());
    CHECK(latest->png == fake_png(10));
    CHECK(latest->sha256 == put->sha256);
    auto traversal = store->put("../escape", fake_png(10));
    REQUIRE_FALSE(traversal);
    CHECK(traversal.error().code == Errc::InvalidInput);
    CHECK_FALSE(fs::exists(fs::path{fixture.directory.path()} / "escape.png"));
    auto not_png = store->put("screen-1", "GIF89a");
    REQUIRE_FALSE(not_png);
    CHECK(not_png.error().code == Errc::Unsupported);
}

// ---- device settings ----

TEST_CASE("registration takes on_hours, quiet_hours, volume_schedule and default_volume into the bundle",
          "[device-api][settings][integration]") {
    DeviceApi api;
    api.register_device(json::parse(R"({"id":"speaker-1","kind":"speaker","zone":"zone-1",
        "on_hours":["05:00-21:00"],"quiet_hours":["22:00-05:00"],"default_volume":70,
        "volume_schedule":[{"window":"11:00-13:30","volume":40}]})"));
    auto stored = api.device("speaker-1");
    CHECK(stored.device.on_hours == std::vector<scheduler::DailyWindow>{{5 * 60, 21 * 60}});
    CHECK(stored.device.quiet_hours == std::vector<scheduler::DailyWindow>{{22 * 60, 5 * 60}});
    CHECK(stored.device.default_volume == 70);
    REQUIRE(stored.device.volume_schedule.size() == 1);
    CHECK(stored.device.volume_schedule[0].volume == 40);

    auto shown = api.http->Get("/api/v1/devices/speaker-1", DeviceApi::bearer(api.operator_token));
    REQUIRE(shown);
    auto view = json::parse(shown->body);
    CHECK(view["on_hours"] == json::array({"05:00-21:00"}));
    CHECK(view["quiet_hours"] == json::array({"22:00-05:00"}));
    CHECK(view["volume_schedule"] == json::parse(R"([{"window":"11:00-13:30","volume":40}])"));

    auto bundles = api.sink.on("bantin/v1/dev/speaker-1/bundle");
    REQUIRE_FALSE(bundles.empty());
    auto bundle =
        protocol::verify_bundle(bundles.back().payload, api.trusted(), "speaker-1", 0, api.clock.wall());
    REQUIRE(bundle);
    CHECK(bundle->settings.default_volume == 70);
    CHECK(bundle->settings.on_hours == stored.device.on_hours);
    CHECK(bundle->settings.quiet_hours == stored.device.quiet_hours);
    CHECK(bundle->settings.volume_schedule == stored.device.volume_schedule);
}

TEST_CASE("bad device settings are refused naming the field and register nothing",
          "[device-api][settings][integration]") {
    DeviceApi api;
    struct Case {
        const char* body;
        int status;
        const char* detail;
    };
    const std::vector<Case> cases{
        {R"({"id":"s","kind":"screen","zone":"zone-1","on_hours":["5-21"]})", 400, "on_hours"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","on_hours":"05:00-21:00"})", 400, "on_hours"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","quiet_hours":[5]})", 400, "quiet_hours"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","volume_schedule":[{"window":"11:00-13:00"}]})", 400,
         "volume_schedule[0].volume"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","volume_schedule":[{"window":"11:00-13:00","volume":101}]})",
         422, "volume_schedule[0].volume: must be 0..100"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","default_volume":150})", 422,
         "default_volume: must be 0..100"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","time_zone":"Mars/Olympus"})", 422, "time_zone"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","loudness":3})", 400, "loudness"},
        {R"({"id":"s","kind":"tv","zone":"zone-1"})", 400, "kind"},
        {R"({"kind":"screen","zone":"zone-1"})", 400, "id"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","name":5})", 400, "name: expected a string"},
    };
    for (const auto& item : cases) {
        INFO(item.body);
        auto response = api.http->Post("/api/v1/devices", DeviceApi::bearer(api.operator_token), item.body,
                                       "application/json");
        REQUIRE(response);
        INFO(response->body);
        CHECK(response->status == item.status);
        CHECK(json::parse(response->body)["detail"].get<std::string>().find(item.detail) !=
              std::string::npos);
    }
    auto listed = api.http->Get("/api/v1/devices", DeviceApi::bearer(api.operator_token));
    REQUIRE(listed);
    CHECK(json::parse(listed->body)["items"].empty());
}

TEST_CASE("PUT /devices/{id} changes settings, keeps credentials and republishes the bundle",
          "[device-api][settings][integration]") {
    DeviceApi api;
    const auto password = api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    const auto version_before = api.device("screen-1").desired_version;
    auto response = api.http->Put("/api/v1/devices/screen-1", DeviceApi::bearer(api.operator_token),
                                  R"({"kind":"screen","zone":"zone-2","name":"Front door",
                                      "on_hours":["06:00-22:00"]})",
                                  "application/json");
    REQUIRE(response);
    INFO(response->body);
    REQUIRE(response->status == 200);
    auto view = json::parse(response->body);
    CHECK(view["zone"] == "zone-2");
    CHECK(view["name"] == "Front door");
    CHECK(view["on_hours"] == json::array({"06:00-22:00"}));
    auto stored = api.device("screen-1");
    CHECK(stored.desired_version > version_before);
    // The broker ACL follows the new zone; the password still works.
    REQUIRE_FALSE(api.broker.accounts.empty());
    CHECK(api.broker.accounts.back().zones == std::vector<std::string>{"zone-2"});
    CHECK(api.registry->authenticate_device("screen-1", password));
    auto bundles = api.sink.on("bantin/v1/dev/screen-1/bundle");
    auto bundle =
        protocol::verify_bundle(bundles.back().payload, api.trusted(), "screen-1", 0, api.clock.wall());
    REQUIRE(bundle);
    CHECK(bundle->settings.on_hours == std::vector<scheduler::DailyWindow>{{6 * 60, 22 * 60}});

    // Volumes, like quiet hours, change only through the two-person rule (PUT .../settings).
    for (const std::string body : {R"({"kind":"screen","zone":"zone-2","default_volume":30})",
                                   R"({"kind":"screen","zone":"zone-2",
                                       "volume_schedule":[{"window":"12:00-13:00","volume":95}]})"}) {
        CAPTURE(body);
        auto louder = api.http->Put("/api/v1/devices/screen-1", DeviceApi::bearer(api.operator_token), body,
                                    "application/json");
        REQUIRE(louder);
        CHECK(louder->status == 403);
        CHECK(json::parse(louder->body)["detail"].get<std::string>().find("âm lượng") != std::string::npos);
    }
    CHECK(api.device("screen-1").device.default_volume == 80);
    CHECK(api.device("screen-1").device.volume_schedule.empty());

    auto mismatch = api.http->Put("/api/v1/devices/screen-1", DeviceApi::bearer(api.operator_token),
                                  R"({"id":"screen-9","kind":"screen","zone":"zone-1"})", "application/json");
    REQUIRE(mismatch);
    CHECK(mismatch->status == 400);
    auto no_zone = api.http->Put("/api/v1/devices/screen-1", DeviceApi::bearer(api.operator_token),
                                 R"({"kind":"screen","zone":"zone-404"})", "application/json");
    REQUIRE(no_zone);
    CHECK(no_zone->status == 422);
    auto by_editor = api.http->Put("/api/v1/devices/screen-1", DeviceApi::bearer(api.editor_token),
                                   R"({"kind":"screen","zone":"zone-1"})", "application/json");
    REQUIRE(by_editor);
    CHECK(by_editor->status == 403);
    CHECK(api.device("screen-1").device.zone == "zone-2");
}

// ---- settings and the two-person rule ----

namespace {

httplib::Result put_settings(DeviceApi& api, const std::string& body, const std::string& token) {
    return api.http->Put("/api/v1/devices/screen-1/settings", DeviceApi::bearer(token), body,
                         "application/json");
}

std::vector<AuditEntry> settings_audit(DeviceApi& api) {
    auto rows = api.store->read_value<std::vector<AuditEntry>>([](StoreTransaction& transaction) {
        AuditFilter filter;
        return transaction.list_audit(filter, Page{500, 0});
    });
    REQUIRE(rows);
    std::vector<AuditEntry> found;
    for (auto& row : *rows)
        if (row.action.starts_with("device.settings."))
            found.push_back(std::move(row));
    return found;
}

}  // namespace

TEST_CASE("on-hours change at once, quiet hours and volumes wait for a second operator",
          "[device-api][settings][two-person][integration]") {
    DeviceApi api;
    api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}, {"name", "Cổng chợ"}});
    const std::string operator_two = api.sign_in("operator-two");

    auto plain = put_settings(api, R"({"on_hours":["06:00-21:00"]})", api.operator_token);
    REQUIRE(plain);
    INFO(plain->body);
    REQUIRE(plain->status == 200);
    CHECK(json::parse(plain->body)["change"].is_null());
    CHECK(api.device("screen-1").device.on_hours == std::vector<scheduler::DailyWindow>{{6 * 60, 21 * 60}});
    CHECK(api.device("screen-1").name == "Cổng chợ");

    // The volumes, default and scheduled, are safety settings: held for a second person.
    for (const std::string body :
         {R"({"default_volume":40})", R"({"volume_schedule":[{"window":"12:00-13:00","volume":20}]})"}) {
        CAPTURE(body);
        const auto before = api.device("screen-1").device;
        auto held = put_settings(api, body, api.operator_token);
        REQUIRE(held);
        INFO(held->body);
        REQUIRE(held->status == 202);
        const auto volume_change = json::parse(held->body)["change"];
        CHECK(volume_change["state"] == "pending");
        CHECK(api.device("screen-1").device == before);
        auto own = api.post("/api/v1/devices/screen-1/settings/changes/" +
                                volume_change["id"].get<std::string>() + "/confirm",
                            json::object(), api.operator_token);
        REQUIRE(own);
        CHECK(own->status == 403);
        auto second = api.post("/api/v1/devices/screen-1/settings/changes/" +
                                   volume_change["id"].get<std::string>() + "/confirm",
                               json::object(), operator_two);
        REQUIRE(second);
        INFO(second->body);
        CHECK(second->status == 200);
    }
    CHECK(api.device("screen-1").device.default_volume == 40);
    CHECK(api.device("screen-1").device.volume_schedule ==
          std::vector<scheduler::VolumeStep>{{{12 * 60, 13 * 60}, 20}});
    // The same volume again is no change: applied at once, nothing held.
    auto same = put_settings(api, R"({"default_volume":40,"on_hours":["06:00-22:00"]})", api.operator_token);
    REQUIRE(same);
    CHECK(same->status == 200);

    const auto version_before = api.device("screen-1").desired_version;
    auto proposed = put_settings(api, R"({"quiet_hours":["22:00-05:00"]})", api.operator_token);
    REQUIRE(proposed);
    INFO(proposed->body);
    REQUIRE(proposed->status == 202);
    const auto change = json::parse(proposed->body)["change"];
    CHECK(change["state"] == "pending");
    CHECK(change["settings"]["quiet_hours"] == json::array({"22:00-05:00"}));
    const std::string change_id = change["id"];
    // Nothing reached the device yet.
    CHECK(api.device("screen-1").device.quiet_hours.empty());
    CHECK(api.device("screen-1").desired_version == version_before);

    auto listed =
        api.http->Get("/api/v1/devices/screen-1/settings/changes", DeviceApi::bearer(api.editor_token));
    REQUIRE(listed);
    REQUIRE(listed->status == 200);
    bool listed_change = false;
    const auto listed_body = json::parse(listed->body);
    for (const auto& item : listed_body["items"])
        if (item["id"] == change_id) {
            listed_change = true;
            CHECK(item["state"] == "pending");
            CHECK(item["proposed_by_name"] == "operator-one display");
        }
    CHECK(listed_change);

    const std::string confirm = "/api/v1/devices/screen-1/settings/changes/" + change_id + "/confirm";
    auto self = api.post(confirm, json::object(), api.operator_token);
    REQUIRE(self);
    CHECK(self->status == 403);
    CHECK(json::parse(self->body)["detail"].get<std::string>().find("second operator") != std::string::npos);
    auto editor = api.post(confirm, json::object(), api.editor_token);
    REQUIRE(editor);
    CHECK(editor->status == 403);
    CHECK(api.device("screen-1").device.quiet_hours.empty());

    auto confirmed = api.post(confirm, json::object(), operator_two);
    REQUIRE(confirmed);
    INFO(confirmed->body);
    REQUIRE(confirmed->status == 200);
    CHECK(json::parse(confirmed->body)["change"]["state"] == "confirmed");
    CHECK(json::parse(confirmed->body)["change"]["decided_by_name"] == "operator-two display");
    CHECK(json::parse(confirmed->body)["device"]["quiet_hours"] == json::array({"22:00-05:00"}));
    const auto stored = api.device("screen-1");
    CHECK(stored.device.quiet_hours == std::vector<scheduler::DailyWindow>{{22 * 60, 5 * 60}});
    CHECK(stored.device.default_volume == 40);  // the earlier change stays
    CHECK(stored.desired_version > version_before);
    auto bundles = api.sink.on("bantin/v1/dev/screen-1/bundle");
    auto bundle =
        protocol::verify_bundle(bundles.back().payload, api.trusted(), "screen-1", 0, api.clock.wall());
    REQUIRE(bundle);
    CHECK(bundle->settings.quiet_hours == stored.device.quiet_hours);

    auto twice = api.post(confirm, json::object(), operator_two);
    REQUIRE(twice);
    CHECK(twice->status == 409);

    auto audit = settings_audit(api);
    REQUIRE(audit.size() == 6);  // two volume changes and the quiet hours, each proposed and confirmed
    std::set<std::string> actions;
    for (const auto& row : audit) actions.insert(row.action + " by " + row.user_name);
    CHECK(actions == std::set<std::string>{"device.settings.propose by operator-one",
                                           "device.settings.confirm by operator-two"});
}

TEST_CASE("a proposal can be withdrawn, and nothing of it reaches the device",
          "[device-api][settings][two-person][integration]") {
    DeviceApi api;
    api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    const std::string operator_two = api.sign_in("operator-two");
    auto proposed =
        put_settings(api, R"({"quiet_hours":["23:00-04:00"],"default_volume":10})", api.operator_token);
    REQUIRE(proposed);
    REQUIRE(proposed->status == 202);
    const std::string change_id = json::parse(proposed->body)["change"]["id"];
    // A proposal holding a safety setting holds everything it changes.
    CHECK(api.device("screen-1").device.default_volume == 80);
    auto cancelled = api.post("/api/v1/devices/screen-1/settings/changes/" + change_id + "/cancel",
                              json::object(), api.operator_token);
    REQUIRE(cancelled);
    REQUIRE(cancelled->status == 200);
    CHECK(json::parse(cancelled->body)["change"]["state"] == "cancelled");
    auto late = api.post("/api/v1/devices/screen-1/settings/changes/" + change_id + "/confirm",
                         json::object(), operator_two);
    REQUIRE(late);
    CHECK(late->status == 409);
    CHECK(api.device("screen-1").device.quiet_hours.empty());
    CHECK(api.device("screen-1").device.default_volume == 80);
}

TEST_CASE("hostile settings are refused naming the field, and store no proposal",
          "[device-api][settings][hostile][integration]") {
    DeviceApi api;
    api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    const std::string operator_two = api.sign_in("operator-two");
    struct Bad {
        std::string body;
        int status;
        std::string field;
    };
    const std::vector<Bad> cases{
        {R"({"quiet_hours":["25:00-26:00"]})", 400, "quiet_hours"},
        {R"({"quiet_hours":["22:00"]})", 400, "quiet_hours"},
        {R"({"quiet_hours":["22:00-05:00","04:00-06:00"]})", 422, "quiet_hours[1]"},
        {R"({"volume_schedule":[{"window":"10:00-12:00","volume":5},{"window":"11:00-13:00","volume":9}]})",
         422, "volume_schedule[1]"},
        {R"({"quiet_hours":"22:00-05:00"})", 400, "quiet_hours"},
        {R"({"quiet_hours":["22:00-22:00"]})", 422, "quiet_hours"},
        {R"({"on_hours":["05:00-12:00","11:00-13:00"]})", 422, "on_hours"},
        {R"({"default_volume":150})", 422, "default_volume"},
        {R"({"default_volume":-1})", 422, "default_volume"},
        {R"({"default_volume":"loud"})", 400, "default_volume"},
        {R"({"volume_schedule":[{"window":"01:00-02:00","volume":101}]})", 422, "volume"},
        {R"({"zone":"zone-2"})", 400, "zone"},
        {R"({})", 422, "body"},
        {R"([1,2])", 400, "body"},
    };
    for (const auto& bad : cases) {
        CAPTURE(bad.body);
        auto response = put_settings(api, bad.body, api.operator_token);
        REQUIRE(response);
        INFO(response->body);
        CHECK(response->status == bad.status);
        CHECK(response->body.find(bad.field) != std::string::npos);
    }
    auto listed =
        api.http->Get("/api/v1/devices/screen-1/settings/changes", DeviceApi::bearer(api.operator_token));
    REQUIRE(listed);
    CHECK(json::parse(listed->body)["items"].empty());
    CHECK(api.device("screen-1").device.default_volume == 80);

    auto unknown_device =
        api.http->Put("/api/v1/devices/screen-404/settings", DeviceApi::bearer(api.operator_token),
                      R"({"quiet_hours":["22:00-05:00"]})", "application/json");
    REQUIRE(unknown_device);
    CHECK(unknown_device->status == 404);
    auto unknown_change = api.post("/api/v1/devices/screen-1/settings/changes/set-0123456789abcdef/confirm",
                                   json::object(), operator_two);
    REQUIRE(unknown_change);
    CHECK(unknown_change->status == 404);
    auto odd_change = api.post("/api/v1/devices/screen-1/settings/changes/..%2f..%2fx/confirm",
                               json::object(), operator_two);
    REQUIRE(odd_change);
    CHECK(odd_change->status == 404);
    auto by_editor = put_settings(api, R"({"default_volume":10})", api.editor_token);
    REQUIRE(by_editor);
    CHECK(by_editor->status == 403);

    // A change proposed for one device is not confirmed through another's path.
    api.register_device({{"id", "screen-2"}, {"kind", "screen"}, {"zone", "zone-1"}});
    auto proposed = put_settings(api, R"({"quiet_hours":["22:00-05:00"]})", api.operator_token);
    REQUIRE(proposed);
    REQUIRE(proposed->status == 202);
    const std::string change_id = json::parse(proposed->body)["change"]["id"];
    auto crossed = api.post("/api/v1/devices/screen-2/settings/changes/" + change_id + "/confirm",
                            json::object(), operator_two);
    REQUIRE(crossed);
    CHECK(crossed->status == 404);
    CHECK(api.device("screen-2").device.quiet_hours.empty());

    // The full PUT cannot go around the rule.
    auto around = api.http->Put("/api/v1/devices/screen-1", DeviceApi::bearer(api.operator_token),
                                R"({"kind":"screen","zone":"zone-1","quiet_hours":["20:00-06:00"]})",
                                "application/json");
    REQUIRE(around);
    CHECK(around->status == 403);
    CHECK(api.device("screen-1").device.quiet_hours.empty());

    // A revoked device takes no proposal and no confirmation.
    REQUIRE(api.post("/api/v1/devices/screen-1/revoke", json::object(), api.operator_token)->status == 200);
    auto revoked = api.post("/api/v1/devices/screen-1/settings/changes/" + change_id + "/confirm",
                            json::object(), operator_two);
    REQUIRE(revoked);
    CHECK(revoked->status == 409);
    auto revoked_put = put_settings(api, R"({"default_volume":10})", api.operator_token);
    REQUIRE(revoked_put);
    CHECK(revoked_put->status == 409);
}

TEST_CASE("the fleet status says when each screen last sent a screenshot",
          "[device-api][screenshot][integration]") {
    DeviceApi api;
    const auto password = api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    api.register_device({{"id", "screen-2"}, {"kind", "screen"}, {"zone", "zone-1"}});
    REQUIRE(api.upload("screen-1", "screen-1", password, fake_png(64))->status == 201);
    auto status = api.http->Get("/api/v1/fleet/status", DeviceApi::bearer(api.editor_token));
    REQUIRE(status);
    REQUIRE(status->status == 200);
    std::map<std::string, json> by_id;
    const auto fleet = json::parse(status->body);
    for (const auto& device : fleet["devices"]) by_id[device["id"].get<std::string>()] = device;
    CHECK(by_id["screen-1"]["screenshot_received"] == format_utc(api.clock.wall()));
    CHECK(by_id["screen-2"]["screenshot_received"].is_null());
}

TEST_CASE("plays per hour count only the device's own proof in the range",
          "[device-api][plays][integration]") {
    DeviceApi api;
    api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    api.register_device({{"id", "screen-2"}, {"kind", "screen"}, {"zone", "zone-1"}});
    const TimePoint from = parse_utc("2026-01-02T00:00:00Z").value();
    std::vector<ProofOfPlayRow> rows;
    auto row = [&](const std::string& device, std::int64_t seq, int minutes) {
        ProofOfPlayRow play;
        play.device = device;
        play.install_epoch = 1;
        play.seq = seq;
        play.campaign = "c-1";
        play.media = std::string(64, 'a');
        play.started = from + std::chrono::minutes{minutes};
        play.ended = play.started + std::chrono::seconds{10};
        rows.push_back(play);
    };
    row("screen-1", 1, 5);
    row("screen-1", 2, 50);
    row("screen-1", 3, 150);
    row("screen-2", 1, 10);
    row("screen-1", 4, 60 * 24 + 1);  // the next day: outside
    REQUIRE(api.store->write([&](StoreTransaction& transaction) -> Result<void> {
        auto inserted = transaction.insert_proof_of_play(rows, from);
        if (!inserted)
            return std::unexpected(inserted.error());
        return {};
    }));
    auto answer =
        api.http->Get("/api/v1/devices/screen-1/plays?from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z",
                      DeviceApi::bearer(api.editor_token));
    REQUIRE(answer);
    INFO(answer->body);
    REQUIRE(answer->status == 200);
    const auto hours = json::parse(answer->body)["hours"];
    REQUIRE(hours.size() == 24);
    CHECK(hours[0]["plays"] == 2);
    CHECK(hours[1]["plays"] == 0);
    CHECK(hours[2]["plays"] == 1);
    CHECK(hours[2]["start"] == "2026-01-02T02:00:00.000Z");
    for (const char* bad : {"?from=2026-01-02T00:00:00Z", "?from=x&to=2026-01-03T00:00:00Z",
                            "?from=2026-01-03T00:00:00Z&to=2026-01-02T00:00:00Z",
                            "?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z"}) {
        CAPTURE(bad);
        auto refused = api.http->Get(("/api/v1/devices/screen-1/plays" + std::string{bad}).c_str(),
                                     DeviceApi::bearer(api.editor_token));
        REQUIRE(refused);
        CHECK(refused->status == 422);
    }
    auto unknown =
        api.http->Get("/api/v1/devices/nope/plays?from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z",
                      DeviceApi::bearer(api.editor_token));
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
}

// ---- empty bodies ----

TEST_CASE("a POST with no body and no Content-Length reaches routes that take no body",
          "[device-api][empty-body][integration]") {
    DeviceApi api;
    api.register_device({{"id", "screen-1"}, {"kind", "screen"}, {"zone", "zone-1"}});
    const auto answer = api.raw_request(
        "POST /api/v1/devices/screen-1/revoke HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer " +
        api.operator_token + "\r\nConnection: close\r\n\r\n");
    INFO(answer);
    CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(answer.find("malformed HTTP request") == std::string::npos);
    CHECK(api.device("screen-1").revoked.has_value());
}

TEST_CASE("submit accepts an empty body, approve must name the version reviewed",
          "[device-api][empty-body][integration]") {
    DeviceApi api;
    const auto approver_token = api.sign_in("approver");
    auto created =
        api.post("/api/v1/campaigns", json::parse(R"({"id":"camp-1","name":"Camp","playlist":"pl-1",
                                "targets":{"zones":["zone-1"]},"windows":["08:00-09:00"],"mode":"loop"})"),
                 api.editor_token);
    REQUIRE(created);
    INFO(created->body);
    REQUIRE(created->status == 201);
    const auto submit = api.raw_request(
        "POST /api/v1/campaigns/camp-1/submit HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer " +
        api.editor_token + "\r\nConnection: close\r\n\r\n");
    INFO(submit);
    CHECK(submit.rfind("HTTP/1.1 200", 0) == 0);
    auto unnamed = api.http->Post("/api/v1/campaigns/camp-1/approve", DeviceApi::bearer(approver_token), "",
                                  "application/json");
    REQUIRE(unnamed);
    INFO(unnamed->body);
    CHECK(unnamed->status == 400);
    CHECK(unnamed->body.find("version: required to approve") != std::string::npos);
    auto approved = api.post("/api/v1/campaigns/camp-1/approve", {{"version", 2}}, approver_token);
    REQUIRE(approved);
    INFO(approved->body);
    CHECK(approved->status == 200);
    CHECK(json::parse(approved->body)["approval"] == "approved");
    // A stale version in the body is still refused.
    auto stale = api.post("/api/v1/campaigns/camp-1/archive", {{"version", 1}}, approver_token);
    REQUIRE(stale);
    CHECK(stale->status == 409);
}

TEST_CASE("a route that needs a body says what is missing when it gets none",
          "[device-api][empty-body][integration]") {
    DeviceApi api;
    const auto answer =
        api.raw_request("POST /api/v1/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                        api.operator_token + "\r\nConnection: close\r\n\r\n");
    INFO(answer);
    CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(answer.find("empty body (this route needs a JSON object with id, kind and zone)") !=
          std::string::npos);
    struct Route {
        std::string target;
        std::string token;
        std::string needs;
    };
    for (const auto& route :
         std::vector<Route>{{"/api/v1/auth/login", "", "name and password"},
                            {"/api/v1/campaigns", api.editor_token, "a campaign JSON object"},
                            {"/api/v1/zones", api.operator_token, "id and name"},
                            {"/api/v1/alerts", api.operator_token, "severity, status and headline"}}) {
        INFO(route.target);
        const auto reply =
            api.raw_request("POST " + route.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                            (route.token.empty() ? "" : "Authorization: Bearer " + route.token + "\r\n") +
                            "Connection: close\r\n\r\n");
        INFO(reply);
        CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
        CHECK(reply.find("(this route needs ") != std::string::npos);
        CHECK(reply.find(route.needs) != std::string::npos);
    }
    auto command = api.http->Post("/api/v1/devices/screen-1/commands", DeviceApi::bearer(api.operator_token),
                                  "", "application/json");
    REQUIRE(command);
    CHECK(command->status == 400);
    CHECK(json::parse(command->body)["detail"].get<std::string>().find("kind") != std::string::npos);
}

TEST_CASE("a chunked body on a JSON route is refused before it is read, however small",
          "[device-api][empty-body][limits][integration]") {
    DeviceApi api;
    // A chunk of 1 GiB is announced and none of it sent: httplib would wait to read it whole into
    // memory, with no limit, before the route could refuse it. The answer comes at once instead.
    const auto refused = api.raw_request(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n40000000\r\n");
    INFO(refused);
    CHECK(refused.rfind("HTTP/1.1 411", 0) == 0);
    CHECK(refused.find("\"error\":\"length-required\"") != std::string::npos);
    CHECK(refused.find("Content-Length") != std::string::npos);

    // A small one too, and a Content-Length beside it does not let it through: both framings
    // at once are refused (400) before routing, so no session is made.
    const std::string body = json{{"name", "operator-one"}, {"password", "password-of-operator-one"}}.dump();
    std::ostringstream small;
    small << "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Content-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
          << std::hex << body.size() << "\r\n"
          << body << "\r\n0\r\n\r\n";
    const auto answer = api.raw_request(small.str());
    INFO(answer);
    CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(answer.find("Content-Length and Transfer-Encoding together") != std::string::npos);
    CHECK(answer.find("\"token\"") == std::string::npos);
}

TEST_CASE("a screen's layout is set with its settings, and bad layouts are refused in both languages",
          "[device-api][settings][regions][integration]") {
    DeviceApi api;
    api.register_device(json::parse(
        R"({"id":"screen-1","kind":"screen","zone":"zone-1","layout":{"header_permille":80,"ticker_permille":100}})"));
    CHECK(api.device("screen-1").device.layout == scheduler::ScreenLayout{80, 100});
    auto shown = api.http->Get("/api/v1/devices/screen-1", DeviceApi::bearer(api.operator_token));
    REQUIRE(shown);
    CHECK(json::parse(shown->body)["layout"] ==
          json::parse(R"({"header_permille":80,"ticker_permille":100})"));
    // A settings change (on-hours) keeps the screen's bands.
    auto changed = put_settings(api, R"({"on_hours":["06:00-21:00"]})", api.operator_token);
    REQUIRE(changed);
    INFO(changed->body);
    CHECK(changed->status == 200);
    CHECK(api.device("screen-1").device.layout == scheduler::ScreenLayout{80, 100});
    CHECK(api.device("screen-1").device.on_hours == std::vector<scheduler::DailyWindow>{{6 * 60, 21 * 60}});

    struct LayoutCase {
        const char* body;
        int status;
        const char* detail;
    };
    const std::vector<LayoutCase> cases{
        {R"({"id":"s","kind":"screen","zone":"zone-1","layout":{"ticker_permille":900}})", 422,
         "layout: mỗi dải"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","layout":{"header_permille":400,"ticker_permille":300}})",
         422, "together are at most 600"},
        {R"({"id":"s","kind":"speaker","zone":"zone-1","layout":{"ticker_permille":100}})", 422,
         "a speaker has no screen layout"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","layout":"wide"})", 400, "layout"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","layout":{"footer_permille":1}})", 400,
         "layout.footer_permille"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","zone_name":"Xã"})", 400, "zone_name: bộ điều khiển"},
        {R"({"id":"s","kind":"screen","zone":"zone-1","board_url":"https://x.example/"})", 400, "board_url"},
    };
    for (const auto& item : cases) {
        INFO(item.body);
        auto response = api.http->Post("/api/v1/devices", DeviceApi::bearer(api.operator_token), item.body,
                                       "application/json");
        REQUIRE(response);
        INFO(response->body);
        CHECK(response->status == item.status);
        CHECK(json::parse(response->body)["detail"].get<std::string>().find(item.detail) !=
              std::string::npos);
    }
    auto missing = api.http->Get("/api/v1/devices/s", DeviceApi::bearer(api.operator_token));
    REQUIRE(missing);
    CHECK(missing->status == 404);
}
