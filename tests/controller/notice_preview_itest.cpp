// POST /api/v1/notices/preview and its pages (api_notice_preview.cpp): a notice's slides drawn
// by the player's NoticeRenderer, sized to a preset, a frame or a device, cached by content, and
// hostile input refused in both languages.
#include "api_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

using namespace bantin;
using nlohmann::json;

namespace {

// The width and height a PNG's IHDR chunk gives; {0, 0} when the bytes are not a PNG.
std::pair<std::uint32_t, std::uint32_t> png_size(const std::string& bytes) {
    if (bytes.size() < 24 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
        bytes.compare(12, 4, "IHDR") != 0)
        return {0, 0};
    auto word = [&](std::size_t at) {
        std::uint32_t value = 0;
        for (std::size_t index = 0; index < 4; ++index)
            value = (value << 8) | static_cast<std::uint8_t>(bytes[at + index]);
        return value;
    };
    return {word(16), word(20)};
}

struct PreviewRig : testing::ApiFixture {
    std::string editor = sign_in("editor-one", controller::Role::Editor);
    std::string operator_token = sign_in("operator-one", controller::Role::Operator);

    PreviewRig() {
        auto zone = post("/api/v1/zones", operator_token, {{"id", "uyen-hung"}, {"name", "Uyên Hưng"}});
        REQUIRE(zone);
        REQUIRE(zone->status == 201);
    }

    json preview(const json& body, int status = 200, const std::string& token = {}) {
        auto answer = post("/api/v1/notices/preview", token.empty() ? editor : token, body);
        REQUIRE(answer);
        INFO(answer->body);
        REQUIRE(answer->status == status);
        return json::parse(answer->body);
    }
};

}  // namespace

TEST_CASE("a notice preview is the player's slide at the size asked, cached by its content",
          "[notice-preview][integration]") {
    PreviewRig rig;
    const std::string text =
        "Thông báo cắt điện\nSáng mai từ 7 giờ đến 11 giờ, khu phố 3 tạm ngừng cấp điện.";
    auto drawn = rig.preview({{"text", text}, {"zone", "uyen-hung"}});
    CHECK(drawn["pages"] == 1);
    CHECK(drawn["width"] == 1920);
    CHECK(drawn["height"] == 1080);
    CHECK(drawn["header"]["place"] == "Uyên Hưng");
    CHECK(drawn["header"]["date"].get<std::string>().find("/2026") != std::string::npos);
    REQUIRE(drawn["images"].size() == 1);
    auto page = rig.get(drawn["images"][0].get<std::string>(), rig.editor);
    REQUIRE(page);
    CHECK(page->status == 200);
    CHECK(page->get_header_value("Content-Type") == "image/png");
    CHECK(png_size(page->body) == std::pair<std::uint32_t, std::uint32_t>{1920, 1080});

    // The same request is the same pictures; another look or size is another.
    auto again = rig.preview({{"text", text}, {"zone", "uyen-hung"}});
    CHECK(again["id"] == drawn["id"]);
    auto alert = rig.preview({{"text", text}, {"look", "alert"}, {"severity", "extreme"}});
    CHECK(alert["id"] != drawn["id"]);
    CHECK(alert["header"]["place"] == "");

    struct Frame {
        json body;
        std::uint32_t width;
        std::uint32_t height;
    };
    for (const auto& frame :
         {Frame{{{"size", "portrait"}}, 1080, 1920}, Frame{{{"size", "strip"}}, 1920, 240},
          Frame{{{"width", 1280}, {"height", 720}}, 1280, 720}}) {
        json body = frame.body;
        body["text"] = text;
        CAPTURE(body.dump());
        auto sized = rig.preview(body);
        CHECK(sized["width"] == frame.width);
        CHECK(sized["height"] == frame.height);
        auto picture = rig.get(sized["images"][0].get<std::string>(), rig.editor);
        REQUIRE(picture);
        CHECK(png_size(picture->body) == std::pair{frame.width, frame.height});
    }
}

TEST_CASE("a long notice previews as every page the screen shows", "[notice-preview][integration]") {
    PreviewRig rig;
    std::string text = "Thông báo\n";
    for (int index = 0; index < 12; ++index)
        text += "Bà con khu phố " + std::to_string(index) + " lưu ý lịch tiêm chủng. ";
    auto drawn = rig.preview({{"text", text}, {"size", "strip"}});
    const int pages = drawn["pages"];
    CHECK(pages > 1);
    REQUIRE(drawn["images"].size() == static_cast<std::size_t>(pages));
    for (int page = 0; page < pages; ++page) {
        auto picture =
            rig.get(drawn["images"][static_cast<std::size_t>(page)].get<std::string>(), rig.editor);
        REQUIRE(picture);
        CHECK(picture->status == 200);
        CHECK(picture->get_header_value("X-Notice-Pages") == std::to_string(pages));
        CHECK(png_size(picture->body) == std::pair<std::uint32_t, std::uint32_t>{1920, 240});
    }
    const std::string beyond = "/api/v1/notices/preview/" + drawn["id"].get<std::string>() + "/" +
                               std::to_string(pages + 1) + ".png";
    auto missing = rig.get(beyond, rig.editor);
    REQUIRE(missing);
    CHECK(missing->status == 404);
}

TEST_CASE("hostile notice previews are refused in both languages and draw nothing",
          "[notice-preview][hostile][integration]") {
    PreviewRig rig;
    struct Bad {
        json body;
        int status;
        std::string words;
    };
    const std::vector<Bad> cases{
        {{{"text", std::string(9000, 'a')}}, 422, "8000"},
        {{{"text", "   \n "}}, 422, "trống"},
        {{{"text", "Chúc mừng 😀 năm mới"}}, 422, "phông chữ"},
        {{{"text", "Chúc mừng 😀 năm mới"}}, 422, "cannot draw"},
        {{{"text", "x"}, {"width", 10}, {"height", 1080}}, 422, "width"},
        {{{"text", "x"}, {"width", 100000}, {"height", 1080}}, 422, "pixels"},
        {{{"text", "x"}, {"width", 3840}, {"height", 3840}}, 422, "3840"},
        {{{"text", "x"}, {"width", 1920}}, 422, "height"},
        {{{"text", "x"}, {"width", "big"}, {"height", 1080}}, 422, "width"},
        {{{"text", "x"}, {"size", "huge"}}, 422, "landscape"},
        {{{"text", "x"}, {"size", "strip"}, {"width", 800}, {"height", 600}}, 422, "not both"},
        {{{"text", "x"}, {"look", "party"}}, 422, "exercise"},
        {{{"text", "x"}, {"severity", "apocalyptic"}}, 422, "extreme"},
        {{{"text", "x"}, {"zone", "zone-404"}}, 404, "khu vực"},
        {{{"text", "x"}, {"device", "screen-404"}}, 404, "thiết bị"},
        {{{"text", "x"}, {"colour", "red"}}, 400, "colour"},
        {{{"text", 5}}, 400, "text"},
        {json::object(), 400, "text"},
    };
    for (const auto& bad : cases) {
        CAPTURE(bad.body.dump());
        auto refused = rig.preview(bad.body, bad.status);
        CHECK(refused["detail"].get<std::string>().find(bad.words) != std::string::npos);
    }
    // More pages than a preview draws: refused, naming the count.
    std::string endless = "Thông báo\n";
    for (int index = 0; index < 60; ++index)
        endless += "Bà con khu phố " + std::to_string(index) + " lưu ý lịch tiêm chủng. ";
    auto too_long = rig.preview({{"text", endless}, {"size", "strip"}}, 422);
    CHECK(too_long["detail"].get<std::string>().find("30 trang") != std::string::npos);
    // Bytes that are not UTF-8 never reach the renderer.
    auto raw = rig.client->Post("/api/v1/notices/preview", testing::ApiFixture::bearer(rig.editor),
                                std::string{"{\"text\":\"Th\xff\xfe ng b\xc3\"}"}, "application/json");
    REQUIRE(raw);
    CHECK(raw->status >= 400);
    CHECK(raw->status < 500);
    auto surrogate = rig.client->Post("/api/v1/notices/preview", testing::ApiFixture::bearer(rig.editor),
                                      R"({"text":"a\ud800b"})", "application/json");
    REQUIRE(surrogate);
    CHECK(surrogate->status >= 400);
    CHECK(surrogate->status < 500);

    auto unknown = rig.get("/api/v1/notices/preview/" + std::string(64, 'a') + "/1.png", rig.editor);
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(json::parse(unknown->body)["detail"].get<std::string>().find("bản xem trước") != std::string::npos);
    auto stranger = rig.client->Post("/api/v1/notices/preview", R"({"text":"x"})", "application/json");
    REQUIRE(stranger);
    CHECK(stranger->status == 401);
}

TEST_CASE("a session drawing too many notice previews is told to wait", "[notice-preview][integration]") {
    PreviewRig rig;
    int limited_at = 0;
    for (int index = 1; index <= 40 && !limited_at; ++index) {
        auto answer =
            rig.post("/api/v1/notices/preview", rig.editor,
                     {{"text", "Bản tin số " + std::to_string(index)}, {"width", 160}, {"height", 90}});
        REQUIRE(answer);
        if (answer->status == 429) {
            limited_at = index;
            CHECK(json::parse(answer->body)["error"] == "rate-limited");
            CHECK(json::parse(answer->body)["detail"].get<std::string>().find("thử lại") !=
                  std::string::npos);
        } else {
            REQUIRE(answer->status == 200);
        }
    }
    CHECK(limited_at > 1);
    // A picture already drawn is still answered: the cache costs nothing.
    auto cached = rig.post("/api/v1/notices/preview", rig.editor,
                           {{"text", "Bản tin số 1"}, {"width", 160}, {"height", 90}});
    REQUIRE(cached);
    CHECK(cached->status == 200);
    // Another session is not held up.
    auto other =
        rig.preview({{"text", "Bản tin khác"}, {"width", 160}, {"height", 90}}, 200, rig.operator_token);
    CHECK(other["pages"] == 1);
}
