// The content API over real HTTP: a server on a free loopback port, a real SQLite file, real
// media made with ffmpeg, real ffprobe and espeak-ng.
#include "api_fixture.hpp"
#include "bantin/controller/model_builder.hpp"
#include "bantin/scheduler/conflicts.hpp"
#include "bantin/scheduler/resolver.hpp"

using bantin::controller::Role;
using bantin::testing::ApiFixture;
using bantin::testing::body_of;
using nlohmann::json;

namespace {

json loop_campaign(const std::string& id, const std::string& playlist, const std::string& zone) {
    return json{{"id", id},
                {"name", "Campaign " + id},
                {"playlist", playlist},
                {"targets", {{"zones", {zone}}}},
                {"windows", {"08:00-09:00"}},
                {"mode", "loop"}};
}

// Uploads a video and makes playlist `playlist` of it; returns the media sha256.
std::string video_playlist(ApiFixture& fixture, const std::string& token, const std::string& playlist) {
    auto uploaded = fixture.upload("clip.mp4", token, fixture.make_video());
    REQUIRE(uploaded);
    REQUIRE((uploaded->status == 201 || uploaded->status == 200));
    const std::string sha = body_of(uploaded).at("sha256");
    auto created = fixture.post("/api/v1/playlists", token,
                                json{{"id", playlist}, {"name", "Clips"}, {"items", {{{"media", sha}}}}});
    REQUIRE(created);
    INFO(created->body);
    REQUIRE(created->status == 201);
    return sha;
}

void add_zone_and_device(ApiFixture& fixture, const std::string& zone, const std::string& device) {
    auto done =
        fixture.store->write([&](bantin::controller::StoreTransaction& transaction) -> bantin::Result<void> {
            if (!transaction.zone_by_id(zone)) {
                if (auto inserted = transaction.insert_zone({zone, zone}); !inserted)
                    return inserted;
            }
            bantin::controller::DeviceRecord record;
            record.device.id = device;
            record.device.kind = bantin::scheduler::DeviceKind::Screen;
            record.device.zone = zone;
            record.name = device;
            record.mqtt_password_hash = "unused";
            record.created = fixture.clock.wall();
            return transaction.insert_device(record);
        });
    REQUIRE(done);
}

}  // namespace

TEST_CASE("a request without a session is refused with 401", "[api][auth]") {
    ApiFixture fixture;
    auto response = fixture.client->Get("/api/v1/media");
    REQUIRE(response);
    CHECK(response->status == 401);
    CHECK(body_of(response).at("error") == "unauthenticated");
    auto bad_token = fixture.get("/api/v1/media", "not-a-token");
    REQUIRE(bad_token);
    CHECK(bad_token->status == 401);
}

TEST_CASE("login gives a bearer token, an HttpOnly SameSite=Strict cookie and a CSRF token", "[api][auth]") {
    ApiFixture fixture;
    fixture.add_user("ana", Role::Editor);
    auto response = fixture.client->Post("/api/v1/auth/login",
                                         json{{"name", "ana"}, {"password", "password-of-ana"}}.dump(),
                                         "application/json");
    REQUIRE(response);
    REQUIRE(response->status == 200);
    const std::string cookie = response->get_header_value("Set-Cookie");
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("SameSite=Strict") != std::string::npos);
    auto body = body_of(response);
    CHECK_FALSE(body.at("csrf_token").get<std::string>().empty());

    auto me = fixture.get("/api/v1/auth/me", body.at("token"));
    REQUIRE(me);
    CHECK(me->status == 200);
    CHECK(body_of(me).at("user").at("name") == "ana");

    auto out =
        fixture.client->Post("/api/v1/auth/logout", ApiFixture::bearer(body.at("token")), "", "text/plain");
    REQUIRE(out);
    CHECK(out->status == 204);
    auto after = fixture.get("/api/v1/auth/me", body.at("token"));
    REQUIRE(after);
    CHECK(after->status == 401);
}

TEST_CASE("a cookie session must send its CSRF token on unsafe methods", "[api][auth]") {
    ApiFixture fixture;
    fixture.add_user("ana", Role::Operator);
    auto login = fixture.client->Post("/api/v1/auth/login",
                                      json{{"name", "ana"}, {"password", "password-of-ana"}}.dump(),
                                      "application/json");
    auto body = body_of(login);
    const std::string cookie = "bantin_session=" + body.at("token").get<std::string>();
    const std::string zone = json{{"id", "zone-9"}, {"name", "Ward 9"}}.dump();

    auto without = fixture.client->Post("/api/v1/zones", {{"Cookie", cookie}}, zone, "application/json");
    REQUIRE(without);
    CHECK(without->status == 403);
    CHECK(body_of(without).at("error") == "csrf");

    auto reading = fixture.client->Get("/api/v1/zones", {{"Cookie", cookie}});
    REQUIRE(reading);
    CHECK(reading->status == 200);

    auto with =
        fixture.client->Post("/api/v1/zones", {{"Cookie", cookie}, {"X-CSRF-Token", body.at("csrf_token")}},
                             zone, "application/json");
    REQUIRE(with);
    CHECK(with->status == 201);
}

TEST_CASE("login is rate limited with 429 and Retry-After", "[api][auth]") {
    ApiFixture fixture;
    fixture.add_user("ana", Role::Editor);
    const std::string wrong = json{{"name", "ana"}, {"password", "not-the-password"}}.dump();
    for (int attempt = 0; attempt < 5; ++attempt) {
        auto response = fixture.client->Post("/api/v1/auth/login", wrong, "application/json");
        REQUIRE(response);
        CHECK(response->status == 401);
    }
    auto limited = fixture.client->Post("/api/v1/auth/login",
                                        json{{"name", "ana"}, {"password", "password-of-ana"}}.dump(),
                                        "application/json");
    REQUIRE(limited);
    CHECK(limited->status == 429);
    CHECK(std::stoi(limited->get_header_value("Retry-After")) > 0);
    CHECK(body_of(limited).at("error") == "rate-limited");
}

TEST_CASE("an editor cannot approve and an operator cannot edit campaigns", "[api][roles]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const auto operator_token = fixture.sign_in("op", Role::Operator);
    add_zone_and_device(fixture, "zone-1", "screen-1");
    video_playlist(fixture, editor, "pl-1");

    auto by_operator =
        fixture.post("/api/v1/campaigns", operator_token, loop_campaign("c-1", "pl-1", "zone-1"));
    REQUIRE(by_operator);
    CHECK(by_operator->status == 403);

    auto created = fixture.post("/api/v1/campaigns", editor, loop_campaign("c-1", "pl-1", "zone-1"));
    REQUIRE(created);
    REQUIRE(created->status == 201);
    auto submitted = fixture.post("/api/v1/campaigns/c-1/submit", editor, json{{"version", 1}});
    REQUIRE(submitted);
    REQUIRE(submitted->status == 200);

    const auto other_editor = fixture.sign_in("ed2", Role::Editor);
    auto approved = fixture.post("/api/v1/campaigns/c-1/approve", other_editor, json{{"version", 2}});
    REQUIRE(approved);
    CHECK(approved->status == 403);
    CHECK(fixture.changed_campaigns.empty());
}

TEST_CASE("self-approval is refused, another approver's approval goes through and notifies", "[api][roles]") {
    ApiFixture fixture;
    const auto admin = fixture.sign_in("boss", Role::Admin);
    const auto approver = fixture.sign_in("appr", Role::Approver);
    add_zone_and_device(fixture, "zone-1", "screen-1");
    video_playlist(fixture, admin, "pl-1");
    REQUIRE(fixture.post("/api/v1/campaigns", admin, loop_campaign("c-1", "pl-1", "zone-1"))->status == 201);
    REQUIRE(fixture.post("/api/v1/campaigns/c-1/submit", admin, json{{"version", 1}})->status == 200);

    auto self = fixture.post("/api/v1/campaigns/c-1/approve", admin, json{{"version", 2}});
    REQUIRE(self);
    CHECK(self->status == 403);

    auto stale = fixture.post("/api/v1/campaigns/c-1/approve", approver, json{{"version", 1}});
    REQUIRE(stale);
    CHECK(stale->status == 409);

    auto approved = fixture.post("/api/v1/campaigns/c-1/approve", approver, json{{"version", 2}});
    REQUIRE(approved);
    CHECK(approved->status == 200);
    CHECK(body_of(approved).at("approval") == "approved");
    CHECK(fixture.changed_campaigns == std::vector<std::string>{"c-1"});

    auto archived = fixture.post("/api/v1/campaigns/c-1/archive", approver, json{{"version", 3}});
    REQUIRE(archived);
    CHECK(archived->status == 200);
    CHECK(fixture.changed_campaigns.size() == 2);
}

TEST_CASE("a rejection needs a reason and sends the campaign back", "[api][roles]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const auto approver = fixture.sign_in("appr", Role::Approver);
    add_zone_and_device(fixture, "zone-1", "screen-1");
    video_playlist(fixture, editor, "pl-1");
    REQUIRE(fixture.post("/api/v1/campaigns", editor, loop_campaign("c-1", "pl-1", "zone-1"))->status == 201);
    REQUIRE(fixture.post("/api/v1/campaigns/c-1/submit", editor, json{{"version", 1}})->status == 200);
    auto no_reason = fixture.post("/api/v1/campaigns/c-1/reject", approver, json{{"version", 2}});
    REQUIRE(no_reason);
    CHECK(no_reason->status == 422);
    auto rejected =
        fixture.post("/api/v1/campaigns/c-1/reject", approver, json{{"version", 2}, {"reason", "typo"}});
    REQUIRE(rejected);
    CHECK(rejected->status == 200);
    CHECK(body_of(rejected).at("decision_note") == "typo");
}

TEST_CASE("malformed JSON is a 400 that names the field", "[api][input]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    auto syntax = fixture.client->Post("/api/v1/campaigns", ApiFixture::bearer(editor),
                                       "{\"id\": ", "application/json");
    REQUIRE(syntax);
    CHECK(syntax->status == 400);
    CHECK(body_of(syntax).at("detail").get<std::string>().find("not JSON (syntax error at byte") !=
          std::string::npos);

    auto campaign = loop_campaign("c-1", "pl-1", "zone-1");
    campaign["rank"] = "high";
    auto typed = fixture.post("/api/v1/campaigns", editor, campaign);
    REQUIRE(typed);
    CHECK(typed->status == 400);
    CHECK(body_of(typed).at("detail").get<std::string>().find("rank") != std::string::npos);

    // version is optional on a step (the current one is used), but a wrong type is named.
    auto typed_version = fixture.post("/api/v1/campaigns/c-1/submit", editor, json{{"version", "one"}});
    REQUIRE(typed_version);
    CHECK(typed_version->status == 400);
    CHECK(body_of(typed_version).at("detail").get<std::string>().starts_with("version: expected an integer"));
}

TEST_CASE("an upload is probed, stored by sha256 and stored once", "[api][media]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string video = fixture.make_video();
    const auto files_before = fixture.stored_files();

    auto first = fixture.upload("clip.mp4", editor, video, "video/mp4");
    REQUIRE(first);
    REQUIRE(first->status == 201);
    auto body = body_of(first);
    CHECK(body.at("type") == "video");
    CHECK(body.at("duration_ms").get<std::int64_t>() >= 1900);
    CHECK(body.at("duration_ms").get<std::int64_t>() <= 2100);
    CHECK(body.at("size") == static_cast<std::int64_t>(video.size()));

    auto second = fixture.upload("again.mp4", editor, video);
    REQUIRE(second);
    CHECK(second->status == 200);
    CHECK(body_of(second).at("sha256") == body.at("sha256"));
    CHECK(fixture.stored_files() == files_before + 1);
    CHECK(fixture.media_rows() == 1);
}

TEST_CASE("the Content-Type header is not trusted: probing decides", "[api][media][input]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    auto lying_video = fixture.upload("clip.mp4", editor, fixture.make_video(), "text/plain");
    REQUIRE(lying_video);
    CHECK(lying_video->status == 201);
    CHECK(body_of(lying_video).at("type") == "video");

    const auto files = fixture.stored_files();
    auto lying_text = fixture.upload("movie.mp4", editor, std::string(4000, 'x'), "video/mp4");
    REQUIRE(lying_text);
    CHECK(lying_text->status == 415);
    CHECK(body_of(lying_text).at("error") == "unsupported-media");
    CHECK_FALSE(body_of(lying_text).at("detail").get<std::string>().empty());
    CHECK(fixture.stored_files() == files);
    CHECK(fixture.media_rows() == 1);
}

TEST_CASE("empty, oversized and path-like uploads are refused and leave nothing", "[api][media][input]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string video = fixture.make_video();

    auto empty = fixture.upload("clip.mp4", editor, "");
    REQUIRE(empty);
    CHECK(empty->status == 400);

    auto oversized = fixture.upload("big.mp4", editor, std::string(1024 * 1024 + 10, 'z'));
    REQUIRE(oversized);
    CHECK(oversized->status == 413);

    for (const std::string name : {"../../etc/passwd", "..\\boot.ini", "..", "a/b.mp4"}) {
        INFO(name);
        auto traversal = fixture.upload(name, editor, video);
        REQUIRE(traversal);
        CHECK(traversal->status == 422);
        CHECK(body_of(traversal).at("detail").get<std::string>().starts_with("name"));
    }
    CHECK(fixture.stored_files() == 0);
    CHECK(fixture.media_rows() == 0);
}

TEST_CASE("a multipart upload takes the file part and its file name", "[api][media]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    httplib::MultipartFormDataItems items = {{"file", fixture.make_video(), "morning news.mp4", "video/mp4"}};
    auto response = fixture.client->Post("/api/v1/media", ApiFixture::bearer(editor), items);
    REQUIRE(response);
    CHECK(response->status == 201);
    CHECK(body_of(response).at("name") == "morning news.mp4");
}

TEST_CASE("media content is served with Range support", "[api][media]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string video = fixture.make_video();
    const std::string sha = body_of(fixture.upload("clip.mp4", editor, video)).at("sha256");
    const std::string path = "/api/v1/media/" + sha + "/content";

    auto whole = fixture.get(path, editor);
    REQUIRE(whole);
    CHECK(whole->status == 200);
    CHECK(whole->body == video);
    CHECK(whole->get_header_value("Accept-Ranges") == "bytes");

    auto part = fixture.get(path, editor, {{"Range", "bytes=10-19"}});
    REQUIRE(part);
    CHECK(part->status == 206);
    CHECK(part->body == video.substr(10, 10));
    CHECK(part->get_header_value("Content-Range") == "bytes 10-19/" + std::to_string(video.size()));

    auto tail = fixture.get(path, editor, {{"Range", "bytes=-5"}});
    REQUIRE(tail);
    CHECK(tail->status == 206);
    CHECK(tail->body == video.substr(video.size() - 5));

    auto from = fixture.get(path, editor, {{"Range", "bytes=" + std::to_string(video.size() - 3) + "-"}});
    REQUIRE(from);
    CHECK(from->status == 206);
    CHECK(from->body == video.substr(video.size() - 3));

    auto beyond = fixture.get(path, editor, {{"Range", "bytes=" + std::to_string(video.size() + 100) + "-"}});
    REQUIRE(beyond);
    CHECK(beyond->status == 416);
    CHECK(beyond->get_header_value("Content-Range") == "bytes */" + std::to_string(video.size()));
}

TEST_CASE("media used by a playlist cannot be deleted, unused media can", "[api][media]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string sha = video_playlist(fixture, editor, "pl-1");
    auto used = fixture.client->Delete(("/api/v1/media/" + sha).c_str(), ApiFixture::bearer(editor));
    REQUIRE(used);
    CHECK(used->status == 409);
    CHECK(body_of(used).at("detail").get<std::string>().find("pl-1") != std::string::npos);

    const std::string image =
        fixture.make_media("still.png", "-f lavfi -i color=c=red:size=64x64 -frames:v 1");
    auto stored = fixture.upload("still.png", editor, image);
    REQUIRE(stored);
    REQUIRE(stored->status == 201);
    CHECK(body_of(stored).at("type") == "image");
    const std::string image_sha = body_of(stored).at("sha256");
    auto deleted = fixture.client->Delete(("/api/v1/media/" + image_sha).c_str(), ApiFixture::bearer(editor));
    REQUIRE(deleted);
    CHECK(deleted->status == 204);
    CHECK_FALSE(fixture.content->contains(image_sha));
    CHECK(fixture.get("/api/v1/media/" + image_sha, editor)->status == 404);
}

TEST_CASE("a text notice is stored with its spoken version of plausible length", "[api][notices]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string text = "Thông báo: sáng mai cắt điện từ bảy giờ đến mười một giờ.";
    auto response = fixture.post("/api/v1/notices", editor, json{{"text", text}});
    REQUIRE(response);
    INFO(response->body);
    REQUIRE(response->status == 201);
    auto body = body_of(response);
    CHECK(body.at("type") == "text");
    CHECK(body.at("text") == text);
    const auto duration = body.at("duration_ms").get<std::int64_t>();
    // About a dozen words at 150 words per minute: a few seconds, not milliseconds or minutes.
    CHECK(duration >= 2000);
    CHECK(duration <= 15000);
    CHECK(body.at("tts").at("type") == "audio");
    CHECK(body.at("tts").at("duration_ms") == duration);
    CHECK(fixture.content->contains(body.at("tts_media").get<std::string>()));

    auto empty = fixture.post("/api/v1/notices", editor, json{{"text", "   "}});
    REQUIRE(empty);
    CHECK(empty->status == 422);
    auto bad_voice =
        fixture.post("/api/v1/notices", editor, json{{"text", "xin chào"}, {"voice", "no-such-voice"}});
    REQUIRE(bad_voice);
    CHECK(bad_voice->status == 422);
}

TEST_CASE("a notice says which engine spoke it, and espeak-ng stands in for a broken one", "[api][notices]") {
    ApiFixture fixture;
    const auto admin = fixture.sign_in("boss", Role::Admin);
    const auto editor = fixture.sign_in("ed", Role::Editor);
    auto plain = fixture.post("/api/v1/notices", editor, json{{"text", "Xin chào bà con."}});
    REQUIRE(plain);
    INFO(plain->body);
    REQUIRE(plain->status == 201);
    CHECK(body_of(plain).at("speech_engine") == "espeak");
    CHECK(body_of(plain).at("speech_fallback").is_null());

    fixture.config.tts.engine.engine = bantin::config::TtsEngine::Command;
    fixture.config.tts.engine.command = {"/nonexistent/bantin-tts", "{wav}"};
    auto stood_in = fixture.post("/api/v1/notices", editor, json{{"text", "Sáng mai cắt điện."}});
    REQUIRE(stood_in);
    INFO(stood_in->body);
    REQUIRE(stood_in->status == 201);
    auto body = body_of(stood_in);
    CHECK(body.at("speech_engine") == "espeak");
    CHECK(body.at("speech_fallback").get<std::string>().find("/nonexistent/bantin-tts") != std::string::npos);
    CHECK(body.at("tts").at("duration_ms").get<std::int64_t>() > 500);

    auto log = body_of(fixture.get("/api/v1/audit?entity_type=media", admin));
    REQUIRE_FALSE(log.at("items").empty());
    const auto& latest = log.at("items")[0];
    CHECK(latest.at("action") == "notice.create");
    CHECK(latest.at("after").at("speech_engine") == "espeak");
    CHECK(latest.at("after").at("speech_fallback").get<std::string>().find("bantin-tts") !=
          std::string::npos);

    auto option_voice =
        fixture.post("/api/v1/notices", editor, json{{"text", "Xin chào."}, {"voice", "--help"}});
    REQUIRE(option_voice);
    CHECK(option_voice->status == 422);
}

TEST_CASE("editing with a stale version is a 409, a playlist under approval cannot change",
          "[api][versions]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    add_zone_and_device(fixture, "zone-1", "screen-1");
    const std::string sha = video_playlist(fixture, editor, "pl-1");
    json playlist{{"version", 1}, {"name", "Renamed"}, {"items", {{{"media", sha}, {"weight", 2}}}}};
    auto renamed = fixture.put("/api/v1/playlists/pl-1", editor, playlist);
    REQUIRE(renamed);
    CHECK(renamed->status == 200);
    CHECK(body_of(renamed).at("version") == 2);
    auto stale = fixture.put("/api/v1/playlists/pl-1", editor, playlist);
    REQUIRE(stale);
    CHECK(stale->status == 409);

    REQUIRE(fixture.post("/api/v1/campaigns", editor, loop_campaign("c-1", "pl-1", "zone-1"))->status == 201);
    auto campaign = loop_campaign("c-1", "pl-1", "zone-1");
    campaign["version"] = 1;
    campaign["name"] = "Edited";
    REQUIRE(fixture.put("/api/v1/campaigns/c-1", editor, campaign)->status == 200);
    auto stale_campaign = fixture.put("/api/v1/campaigns/c-1", editor, campaign);
    REQUIRE(stale_campaign);
    CHECK(stale_campaign->status == 409);

    REQUIRE(fixture.post("/api/v1/campaigns/c-1/submit", editor, json{{"version", 2}})->status == 200);
    playlist["version"] = 2;
    auto frozen = fixture.put("/api/v1/playlists/pl-1", editor, playlist);
    REQUIRE(frozen);
    CHECK(frozen->status == 409);
}

TEST_CASE("the timeline preview is the scheduler's timeline, drafts included for editors", "[api][preview]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const auto operator_token = fixture.sign_in("op", Role::Operator);
    add_zone_and_device(fixture, "zone-1", "screen-1");
    video_playlist(fixture, editor, "pl-1");
    REQUIRE(fixture.post("/api/v1/campaigns", editor, loop_campaign("c-1", "pl-1", "zone-1"))->status == 201);

    auto response = fixture.get("/api/v1/devices/screen-1/timeline?day=2026-01-02", editor);
    REQUIRE(response);
    INFO(response->body);
    REQUIRE(response->status == 200);
    auto body = body_of(response);
    CHECK(body.at("from") == "2026-01-01T17:00:00.000Z");
    CHECK(body.at("drafts_included") == true);

    bantin::controller::ModelOptions options;
    options.campaigns = bantin::controller::CampaignSelection::NotArchived;
    auto model = bantin::controller::build_model(*fixture.store, options);
    REQUIRE(model);
    auto resolver = bantin::scheduler::Resolver::create(*model, {true});
    REQUIRE(resolver);
    auto expected = resolver->resolve(model->devices.at(0), *bantin::parse_utc("2026-01-01T17:00:00Z"),
                                      *bantin::parse_utc("2026-01-02T17:00:00Z"));
    REQUIRE(expected);
    const auto& entries = body.at("entries");
    REQUIRE(entries.size() == expected->size());
    REQUIRE_FALSE(expected->empty());
    for (std::size_t index = 0; index < expected->size(); ++index) {
        CHECK(entries[index].at("start") == bantin::format_utc((*expected)[index].start));
        CHECK(entries[index].at("end") == bantin::format_utc((*expected)[index].end));
        CHECK(entries[index].at("source") == std::string{(*expected)[index].source_id});
        CHECK(entries[index].at("media") == std::string{(*expected)[index].media});
    }
    // 08:00 local is 01:00 UTC.
    CHECK(entries[0].at("start") == "2026-01-02T01:00:00.000Z");

    auto for_operator = fixture.get("/api/v1/devices/screen-1/timeline?day=2026-01-02", operator_token);
    REQUIRE(for_operator);
    CHECK(body_of(for_operator).at("drafts_included") == false);
    CHECK(body_of(for_operator).at("entries").empty());

    auto bad_day = fixture.get("/api/v1/devices/screen-1/timeline?day=2026-13-40", editor);
    REQUIRE(bad_day);
    CHECK(bad_day->status == 422);
    auto unknown = fixture.get("/api/v1/devices/nowhere/timeline?day=2026-01-02", editor);
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
}

TEST_CASE("the conflict report of a campaign comes from the scheduler", "[api][conflicts]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    add_zone_and_device(fixture, "zone-1", "screen-1");
    video_playlist(fixture, editor, "pl-1");
    REQUIRE(
        fixture.post("/api/v1/campaigns", editor, loop_campaign("c-empty", "pl-1", "zone-without-devices"))
            ->status == 201);
    auto response = fixture.get("/api/v1/campaigns/c-empty/conflicts?day=2026-01-02&days=2", editor);
    REQUIRE(response);
    INFO(response->body);
    REQUIRE(response->status == 200);
    auto body = body_of(response);
    CHECK(body.at("days") == 2);
    REQUIRE_FALSE(body.at("conflicts").empty());
    CHECK(body.at("conflicts")[0].at("kind") ==
          std::string{bantin::scheduler::to_string(bantin::scheduler::ConflictKind::NoTargetDevice)});

    auto bad_days = fixture.get("/api/v1/campaigns/c-empty/conflicts?days=1000", editor);
    REQUIRE(bad_days);
    CHECK(bad_days->status == 422);
}

TEST_CASE("lists are paginated with a cursor", "[api][pagination]") {
    ApiFixture fixture;
    const auto operator_token = fixture.sign_in("op", Role::Operator);
    for (const std::string id : {"zone-a", "zone-b", "zone-c"})
        REQUIRE(fixture.post("/api/v1/zones", operator_token, json{{"id", id}, {"name", id}})->status == 201);
    auto first = body_of(fixture.get("/api/v1/zones?limit=2", operator_token));
    CHECK(first.at("items").size() == 2);
    CHECK(first.at("items")[0].at("id") == "zone-a");
    REQUIRE(first.at("next_cursor").is_string());
    auto second = body_of(fixture.get(
        "/api/v1/zones?limit=2&cursor=" + first.at("next_cursor").get<std::string>(), operator_token));
    CHECK(second.at("items").size() == 1);
    CHECK(second.at("items")[0].at("id") == "zone-c");
    CHECK(second.at("next_cursor").is_null());
    auto bad = fixture.get("/api/v1/zones?limit=0", operator_token);
    REQUIRE(bad);
    CHECK(bad->status == 422);
}

TEST_CASE("the audit log is for admins and approvers and records changes", "[api][audit]") {
    ApiFixture fixture;
    const auto admin = fixture.sign_in("boss", Role::Admin);
    const auto editor = fixture.sign_in("ed", Role::Editor);
    auto created =
        fixture.post("/api/v1/users", admin,
                     json{{"name", "newbie"}, {"role", "editor"}, {"password", "a long enough password"}});
    REQUIRE(created);
    CHECK(created->status == 201);
    auto weak = fixture.post("/api/v1/users", admin,
                             json{{"name", "weak"}, {"role", "editor"}, {"password", "short"}});
    REQUIRE(weak);
    CHECK(weak->status == 422);
    auto by_editor =
        fixture.post("/api/v1/users", editor,
                     json{{"name", "sneaky"}, {"role", "admin"}, {"password", "a long enough password"}});
    REQUIRE(by_editor);
    CHECK(by_editor->status == 403);

    auto denied = fixture.get("/api/v1/audit", editor);
    REQUIRE(denied);
    CHECK(denied->status == 403);
    auto log = body_of(fixture.get("/api/v1/audit?entity_type=user", admin));
    REQUIRE_FALSE(log.at("items").empty());
    CHECK(log.at("items")[0].at("action") == "user.create");
    CHECK(log.at("items")[0].at("after").at("name") == "newbie");
}

TEST_CASE("an admin disables a user and their session ends", "[api][users]") {
    ApiFixture fixture;
    const auto admin = fixture.sign_in("boss", Role::Admin);
    const auto editor = fixture.sign_in("ed", Role::Editor);
    auto me = body_of(fixture.get("/api/v1/auth/me", editor));
    const auto id = me.at("user").at("id").get<std::int64_t>();
    auto disabled = fixture.put("/api/v1/users/" + std::to_string(id), admin, json{{"disabled", true}});
    REQUIRE(disabled);
    CHECK(disabled->status == 200);
    CHECK(fixture.get("/api/v1/auth/me", editor)->status == 401);
}

TEST_CASE("a ticker campaign plays text notices only, and a bad region is refused in both languages",
          "[api][regions]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    add_zone_and_device(fixture, "zone-1", "screen-1");
    const std::string video = video_playlist(fixture, editor, "pl-video");
    auto notice = fixture.post("/api/v1/notices", editor, json{{"text", "Chợ phiên sáng chủ nhật."}});
    REQUIRE(notice);
    REQUIRE(notice->status == 201);
    const std::string text = body_of(notice).at("sha256");
    auto text_playlist =
        fixture.post("/api/v1/playlists", editor, json{{"id", "pl-text"}, {"items", {{{"media", text}}}}});
    REQUIRE(text_playlist);
    REQUIRE(text_playlist->status == 201);

    auto on_video = loop_campaign("c-ticker", "pl-video", "zone-1");
    on_video["region"] = "ticker";
    auto refused = fixture.post("/api/v1/campaigns", editor, on_video);
    REQUIRE(refused);
    INFO(refused->body);
    CHECK(refused->status == 422);
    const std::string detail = body_of(refused).at("detail");
    CHECK(detail.find("chữ chạy chỉ hiện thông báo chữ") != std::string::npos);
    CHECK(detail.find("a ticker shows text notices only") != std::string::npos);

    auto unknown = loop_campaign("c-ticker", "pl-text", "zone-1");
    unknown["region"] = "sidebar";
    auto unknown_region = fixture.post("/api/v1/campaigns", editor, unknown);
    REQUIRE(unknown_region);
    CHECK(unknown_region->status == 422);
    CHECK(body_of(unknown_region).at("detail").get<std::string>().starts_with("region: vùng phát"));
    CHECK(body_of(unknown_region).at("detail").get<std::string>().find("expected main or ticker") !=
          std::string::npos);
    unknown["region"] = 5;
    auto typed = fixture.post("/api/v1/campaigns", editor, unknown);
    REQUIRE(typed);
    CHECK(typed->status == 400);

    auto ticker = loop_campaign("c-ticker", "pl-text", "zone-1");
    ticker["region"] = "ticker";
    auto created = fixture.post("/api/v1/campaigns", editor, ticker);
    REQUIRE(created);
    INFO(created->body);
    REQUIRE(created->status == 201);
    CHECK(body_of(created).at("region") == "ticker");
    REQUIRE(
        fixture.post("/api/v1/campaigns", editor, loop_campaign("c-main", "pl-video", "zone-1"))->status ==
        201);
    auto shown = fixture.client->Get("/api/v1/campaigns/c-main", ApiFixture::bearer(editor));
    REQUIRE(shown);
    CHECK(body_of(shown).at("region") == "main");

    // The ticker's playlist stays text: putting a video in it is refused, naming the campaign.
    json with_video{{"version", 1}, {"items", {{{"media", text}}, {{"media", video}}}}};
    auto edited = fixture.put("/api/v1/playlists/pl-text", editor, with_video);
    REQUIRE(edited);
    INFO(edited->body);
    CHECK(edited->status == 422);
    CHECK(body_of(edited).at("detail").get<std::string>().find("c-ticker") != std::string::npos);
}

TEST_CASE("renaming a zone tells the publisher, so headers show the new name", "[api][regions]") {
    ApiFixture fixture;
    std::vector<std::string> renamed;
    fixture.context->on_zone_renamed = [&renamed](const std::string& zone) { renamed.push_back(zone); };
    const auto admin = fixture.sign_in("boss", Role::Admin);
    REQUIRE(fixture.post("/api/v1/zones", admin, json{{"id", "xa-tan-uyen"}, {"name", "Tân Uyên"}})->status ==
            201);
    CHECK(renamed.empty());
    auto edited = fixture.put("/api/v1/zones/xa-tan-uyen", admin, json{{"name", "Xã Tân Uyên"}});
    REQUIRE(edited);
    INFO(edited->body);
    CHECK(edited->status == 200);
    CHECK(renamed == std::vector<std::string>{"xa-tan-uyen"});
}
