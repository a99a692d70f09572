#include "bantin/player/notice_renderer.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::player;

namespace {

constexpr std::string_view vietnamese_notice = "Thông báo: Lịch tiêm chủng ở phường Bến Nghé";

// Pixels that are clearly text (near white) on the default dark blue background.
std::size_t ink_pixels(const RgbImage& image) {
    std::size_t count = 0;
    for (std::size_t index = 0; index + 2 < image.pixels.size(); index += 3)
        if (image.pixels[index] > 200 && image.pixels[index + 1] > 200 && image.pixels[index + 2] > 200)
            ++count;
    return count;
}

}  // namespace

TEST_CASE("DejaVu Sans covers every Vietnamese letter with its diacritics", "[player][notice]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    CHECK(notices->missing_glyphs(vietnamese_notice).empty());
    CHECK(notices->missing_glyphs("ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸĐđơưăâêô").empty());
}

TEST_CASE("a notice renders its text onto a full frame", "[player][notice]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    auto image = notices->render(vietnamese_notice);
    REQUIRE(image);
    CHECK(image->width == 1280);
    CHECK(image->height == 720);
    CHECK(image->pixels.size() == 1280u * 720u * 3u);
    const std::size_t ink = ink_pixels(*image);
    CHECK(ink > 2000);               // not blank
    CHECK(ink < 1280u * 720u / 4u);  // and not a white frame
    // The corner is background: dark blue 0x0b3d91.
    CHECK(image->pixels[0] == 0x0b);
    CHECK(image->pixels[1] == 0x3d);
    CHECK(image->pixels[2] == 0x91);
}

TEST_CASE("diacritics change the rendering", "[player][notice]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    auto with_marks = notices->render("Bến Nghé");
    auto without_marks = notices->render("Ben Nghe");
    REQUIRE(with_marks);
    REQUIRE(without_marks);
    CHECK(with_marks->pixels != without_marks->pixels);
    CHECK(ink_pixels(*with_marks) > ink_pixels(*without_marks));
}

TEST_CASE("rendering the same text twice gives the same pixels", "[player][notice]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    auto first = notices->render(vietnamese_notice);
    auto second = notices->render(vietnamese_notice);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->pixels == second->pixels);
}

TEST_CASE("a long notice shrinks to fit the frame", "[player][notice]") {
    NoticeStyle style;
    style.width = 640;
    style.height = 360;
    auto notices = NoticeRenderer::create(default_font_path, style);
    REQUIRE(notices);
    std::string text;
    for (int line = 0; line < 12; ++line) text += "Thông báo khẩn cấp về phòng chống bão lũ. ";
    auto image = notices->render(text);
    REQUIRE(image);
    // The margin rows stay background: the text did not spill over them.
    for (std::size_t column = 0; column < 640; ++column) CHECK(image->pixels[column * 3] == 0x0b);
}

TEST_CASE("characters the font lacks are refused by name", "[player][notice]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    auto image = notices->render("Chữ Hán: 漢");
    REQUIRE_FALSE(image);
    CHECK(image.error().code == Errc::Unsupported);
    CHECK(image.error().detail.find("U+6F22") != std::string::npos);
}

TEST_CASE("a missing font file is a clear error", "[player][notice]") {
    auto notices = NoticeRenderer::create("/nonexistent/font.ttf");
    REQUIRE_FALSE(notices);
    CHECK(notices.error().code == Errc::NotFound);
    CHECK(notices.error().detail.find("/nonexistent/font.ttf") != std::string::npos);
}

TEST_CASE("an empty notice is invalid input", "[player][notice]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    auto image = notices->render("");
    REQUIRE_FALSE(image);
    CHECK(image.error().code == Errc::InvalidInput);
}
