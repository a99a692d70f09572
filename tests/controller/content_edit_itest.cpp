// Content the console edits and previews, over real HTTP: thumbnails (made at upload, lazily for
// older media, none for broken files), editing an approved campaign (a new version; the approved
// one keeps playing), reordering playlist items, deleting unused media.
#include "api_fixture.hpp"
#include "bantin/controller/model_builder.hpp"

using bantin::controller::Role;
using bantin::testing::ApiFixture;
using bantin::testing::body_of;
using nlohmann::json;

namespace {

std::string upload_ok(ApiFixture& fixture, const std::string& token, const std::string& name,
                      const std::string& bytes) {
    auto uploaded = fixture.upload(name, token, bytes);
    REQUIRE(uploaded);
    INFO(uploaded->body);
    REQUIRE((uploaded->status == 201 || uploaded->status == 200));
    return body_of(uploaded).at("sha256").get<std::string>();
}

json edit_campaign_body(const std::string& id, const std::string& playlist, const std::string& name) {
    return json{
        {"id", id}, {"name", name}, {"playlist", playlist}, {"windows", {"08:00-09:00"}}, {"mode", "loop"}};
}

// The campaign of `id` in the model devices are built from (approved versions only).
std::optional<bantin::scheduler::Campaign> devices_play(ApiFixture& fixture, const std::string& id) {
    auto model = bantin::controller::build_model(*fixture.store, bantin::controller::ModelOptions{});
    REQUIRE(model);
    for (const auto& campaign : model->campaigns)
        if (campaign.id == id)
            return campaign;
    return std::nullopt;
}

}  // namespace

TEST_CASE("an upload makes a thumbnail served to signed-in people", "[api][thumbnail]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string image = fixture.make_media("wide.png", "-f lavfi -i testsrc=size=800x600 -frames:v 1");
    auto uploaded = fixture.upload("wide.png", editor, image);
    REQUIRE(uploaded);
    REQUIRE(uploaded->status == 201);
    const auto body = body_of(uploaded);
    const std::string sha = body.at("sha256");
    CHECK(body.at("thumbnail_url") == "/api/v1/media/" + sha + "/thumbnail");
    CHECK(body.at("thumbnail_error").is_null());
    CHECK(std::filesystem::exists(fixture.content->root() / "thumbnails" / (sha + ".jpg")));

    auto thumbnail = fixture.get("/api/v1/media/" + sha + "/thumbnail", editor);
    REQUIRE(thumbnail);
    CHECK(thumbnail->status == 200);
    CHECK(thumbnail->get_header_value("Content-Type") == "image/jpeg");
    REQUIRE(thumbnail->body.size() > 3);
    CHECK(static_cast<unsigned char>(thumbnail->body[0]) == 0xFF);
    CHECK(thumbnail->body.size() < image.size());

    // Without a session: 401.
    auto anonymous = fixture.client->Get(("/api/v1/media/" + sha + "/thumbnail").c_str());
    REQUIRE(anonymous);
    CHECK(anonymous->status == 401);

    // Media stored before thumbnails existed get theirs on the first request.
    std::filesystem::remove(fixture.content->root() / "thumbnails" / (sha + ".jpg"));
    auto lazily = fixture.get("/api/v1/media/" + sha + "/thumbnail", editor);
    REQUIRE(lazily);
    CHECK(lazily->status == 200);
    CHECK(std::filesystem::exists(fixture.content->root() / "thumbnails" / (sha + ".jpg")));
}

TEST_CASE("a video's thumbnail is its frame, audio has none and says why", "[api][thumbnail]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string video = upload_ok(fixture, editor, "clip.mp4", fixture.make_video());
    auto thumbnail = fixture.get("/api/v1/media/" + video + "/thumbnail", editor);
    REQUIRE(thumbnail);
    CHECK(thumbnail->status == 200);

    const std::string audio =
        upload_ok(fixture, editor, "tone.wav",
                  fixture.make_media("tone.wav", "-f lavfi -i sine=frequency=440:duration=1"));
    CHECK(body_of(fixture.get("/api/v1/media/" + audio, editor)).at("thumbnail_url").is_null());
    auto none = fixture.get("/api/v1/media/" + audio + "/thumbnail", editor);
    REQUIRE(none);
    CHECK(none->status == 404);
    CHECK(body_of(none).at("detail").get<std::string>().starts_with("nội dung này không có hình"));
}

TEST_CASE("a stored file ffmpeg cannot draw gets a 422 with the reason, the upload stays",
          "[api][thumbnail]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string image = fixture.make_media("still.png", "-f lavfi -i testsrc=size=64x48 -frames:v 1");
    const std::string sha = upload_ok(fixture, editor, "still.png", image);
    // The stored file is damaged afterwards (a disk error, a hand edit): its thumbnail cannot be
    // made again, and the answer says so instead of failing the server.
    std::filesystem::remove(fixture.content->root() / "thumbnails" / (sha + ".jpg"));
    {
        auto path = fixture.content->lookup(sha);
        REQUIRE(path);
        std::filesystem::permissions(*path, std::filesystem::perms::owner_write,
                                     std::filesystem::perm_options::add);
        std::ofstream broken(*path, std::ios::binary | std::ios::trunc);
        broken << "not a picture any more";
    }
    auto answer = fixture.get("/api/v1/media/" + sha + "/thumbnail", editor);
    REQUIRE(answer);
    CHECK(answer->status == 422);
    const std::string detail = body_of(answer).at("detail");
    CHECK(detail.starts_with("không tạo được hình thu nhỏ"));
    CHECK(detail.find(fixture.content->root().string()) == std::string::npos);
    CHECK(fixture.get("/api/v1/media/" + sha, editor)->status == 200);
}

TEST_CASE("an approved campaign edited through the API plays its approved version until approved again",
          "[api][campaigns][versions]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const auto approver = fixture.sign_in("ap", Role::Approver);
    const std::string image =
        fixture.make_media("still.png", "-f lavfi -i color=c=blue:size=64x64 -frames:v 1");
    const std::string sha = upload_ok(fixture, editor, "still.png", image);
    for (const std::string id : {"pl-old", "pl-new"}) {
        auto created = fixture.post(
            "/api/v1/playlists", editor,
            json{{"id", id}, {"name", id}, {"items", {{{"media", sha}, {"duration_ms", 5000}}}}});
        REQUIRE(created);
        REQUIRE(created->status == 201);
    }
    auto created = fixture.post("/api/v1/campaigns", editor, edit_campaign_body("c-1", "pl-old", "Sáng"));
    REQUIRE(created);
    REQUIRE(created->status == 201);
    auto submitted = fixture.post("/api/v1/campaigns/c-1/submit", editor, json{{"version", 1}});
    REQUIRE(submitted);
    auto approved =
        fixture.post("/api/v1/campaigns/c-1/approve", approver, json{{"version", 2}, {"note", ""}});
    REQUIRE(approved);
    REQUIRE(approved->status == 200);
    CHECK(body_of(approved).at("approved").is_null());
    const auto rebuilds = fixture.changed_campaigns.size();

    // The edit answers a draft carrying the approved version it replaces.
    json changed = edit_campaign_body("c-1", "pl-new", "Sáng (mới)");
    changed["version"] = 3;
    auto edited = fixture.put("/api/v1/campaigns/c-1", editor, changed);
    REQUIRE(edited);
    INFO(edited->body);
    REQUIRE(edited->status == 200);
    const auto body = body_of(edited);
    CHECK(body.at("approval") == "draft");
    CHECK(body.at("version") == 4);
    CHECK(body.at("approved").at("version") == 3);
    CHECK(body.at("approved").at("playlist") == "pl-old");
    CHECK(body.at("approved").at("name") == "Sáng");
    REQUIRE(devices_play(fixture, "c-1"));
    CHECK(devices_play(fixture, "c-1")->playlist == "pl-old");
    CHECK(fixture.changed_campaigns.size() == rebuilds);  // nothing devices play changed

    // The kept version's playlist is still signed off: it cannot change in place.
    auto locked = fixture.put("/api/v1/playlists/pl-old", editor,
                              json{{"version", 1}, {"name", "x"}, {"items", {{{"media", sha}}}}});
    REQUIRE(locked);
    CHECK(locked->status == 409);
    // The new version's playlist is a draft's: its items may be reordered and changed.
    auto reordered = fixture.put(
        "/api/v1/playlists/pl-new", editor,
        json{{"version", 1},
             {"name", "pl-new"},
             {"items", {{{"media", sha}, {"duration_ms", 7000}}, {{"media", sha}, {"duration_ms", 3000}}}}});
    REQUIRE(reordered);
    CHECK(reordered->status == 200);

    REQUIRE(fixture.post("/api/v1/campaigns/c-1/submit", editor, json{{"version", 4}})->status == 200);
    CHECK(devices_play(fixture, "c-1")->playlist == "pl-old");
    auto second = fixture.post("/api/v1/campaigns/c-1/approve", approver, json{{"version", 5}, {"note", ""}});
    REQUIRE(second);
    REQUIRE(second->status == 200);
    CHECK(body_of(second).at("approved").is_null());
    CHECK(devices_play(fixture, "c-1")->playlist == "pl-new");
    CHECK(devices_play(fixture, "c-1")->name == "Sáng (mới)");
}

TEST_CASE("playlist items are reordered by a PUT and read back in the new order", "[api][playlists]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string red =
        upload_ok(fixture, editor, "red.png",
                  fixture.make_media("red.png", "-f lavfi -i color=c=red:size=32x32 -frames:v 1"));
    const std::string green =
        upload_ok(fixture, editor, "green.png",
                  fixture.make_media("green.png", "-f lavfi -i color=c=green:size=32x32 -frames:v 1"));
    json items = {{{"media", red}, {"duration_ms", 4000}},
                  {{"media", green}, {"duration_ms", 6000}, {"weight", 2}}};
    REQUIRE(fixture.post("/api/v1/playlists", editor, json{{"id", "pl"}, {"name", "Hai"}, {"items", items}})
                ->status == 201);
    json swapped = {items[1], items[0]};
    auto put = fixture.put("/api/v1/playlists/pl", editor,
                           json{{"version", 1}, {"name", "Hai"}, {"items", swapped}});
    REQUIRE(put);
    REQUIRE(put->status == 200);
    auto read = body_of(fixture.get("/api/v1/playlists/pl", editor));
    CHECK(read.at("version") == 2);
    REQUIRE(read.at("items").size() == 2);
    CHECK(read.at("items")[0].at("media") == green);
    CHECK(read.at("items")[0].at("weight") == 2);
    CHECK(read.at("items")[1].at("media") == red);
    // A stale version is refused and changes nothing.
    auto stale =
        fixture.put("/api/v1/playlists/pl", editor, json{{"version", 1}, {"name", "Hai"}, {"items", items}});
    REQUIRE(stale);
    CHECK(stale->status == 409);
    CHECK(body_of(fixture.get("/api/v1/playlists/pl", editor)).at("items")[0].at("media") == green);
}

TEST_CASE("deleting used media is refused naming the playlists in both languages", "[api][media]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string sha =
        upload_ok(fixture, editor, "chợ.png",
                  fixture.make_media("market.png", "-f lavfi -i color=c=red:size=32x32 -frames:v 1"));
    REQUIRE(fixture
                .post("/api/v1/playlists", editor,
                      json{{"id", "buoi-sang"}, {"name", "Buổi sáng"}, {"items", {{{"media", sha}}}}})
                ->status == 201);
    auto refused = fixture.client->Delete(("/api/v1/media/" + sha).c_str(), ApiFixture::bearer(editor));
    REQUIRE(refused);
    CHECK(refused->status == 409);
    const std::string detail = body_of(refused).at("detail");
    CHECK(detail.starts_with(
        "nội dung \"chợ.png\" đang được dùng trong danh sách phát \"Buổi sáng\" (buoi-sang)"));
    CHECK(detail.find("is used by playlist \"Buổi sáng\" (buoi-sang)") != std::string::npos);
    CHECK(fixture.content->contains(sha));
    CHECK(std::filesystem::exists(fixture.content->root() / "thumbnails" / (sha + ".jpg")));

    // Unused: deleted with its thumbnail.
    const std::string other =
        upload_ok(fixture, editor, "khác.png",
                  fixture.make_media("other.png", "-f lavfi -i color=c=blue:size=32x32 -frames:v 1"));
    auto replaced = fixture.put("/api/v1/playlists/buoi-sang", editor,
                                json{{"version", 1}, {"name", "Buổi sáng"}, {"items", {{{"media", other}}}}});
    REQUIRE(replaced);
    REQUIRE(replaced->status == 200);
    auto deleted = fixture.client->Delete(("/api/v1/media/" + sha).c_str(), ApiFixture::bearer(editor));
    REQUIRE(deleted);
    CHECK(deleted->status == 204);
    CHECK_FALSE(fixture.content->contains(sha));
    CHECK_FALSE(std::filesystem::exists(fixture.content->root() / "thumbnails" / (sha + ".jpg")));
}
