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

namespace {

std::uint32_t pixel_at(const RgbImage& image, int x, int y) {
    const auto at =
        (static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width) + static_cast<std::size_t>(x)) *
        3;
    return (std::uint32_t{image.pixels[at]} << 16) | (std::uint32_t{image.pixels[at + 1]} << 8) |
           image.pixels[at + 2];
}

// Pixels of exactly `rgb` in rows [from, to).
std::size_t pixels_of(const RgbImage& image, std::uint32_t rgb, int from, int to) {
    std::size_t count = 0;
    for (int y = from; y < to; ++y)
        for (int x = 0; x < image.width; ++x)
            if (pixel_at(image, x, y) == rgb)
                ++count;
    return count;
}

constexpr std::string_view flood_words =
    "Lũ quét\n\nNước sông Đồng Nai dâng cao, di chuyển lên vùng cao ngay.";

}  // namespace

TEST_CASE("an alert cannot be taken for a notice: its severity's colour under a black band with its words",
          "[player][notice][alert]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    struct Case {
        NoticeLook look;
        std::uint32_t background;
        std::uint32_t band_words;
    };
    const std::vector<Case> cases = {
        {{NoticeKind::Alert, scheduler::Severity::Extreme}, 0xc62828, 0xc62828},
        {{NoticeKind::Alert, scheduler::Severity::Severe}, 0xef6c00, 0xef6c00},
        {{NoticeKind::Alert, scheduler::Severity::Moderate}, 0xfdd835, 0xfdd835},
        {{NoticeKind::Alert, scheduler::Severity::Minor}, 0xfdd835, 0xfdd835},
        {{NoticeKind::Exercise, scheduler::Severity::Extreme}, 0x4a4066, 0xffffff},
    };
    const int band = 720 / 9;
    for (const auto& each : cases) {
        INFO(static_cast<int>(each.look.kind) << " " << static_cast<int>(each.look.severity));
        auto image = notices->render(flood_words, each.look);
        REQUIRE(image);
        CHECK(notice_background(each.look, notices->style()) == each.background);
        CHECK(pixel_at(*image, 2, 2) == 0x000000);           // the band is black
        CHECK(pixel_at(*image, 2, 719) == each.background);  // the frame is the alert's colour
        CHECK(pixel_at(*image, 1277, band + 2) == each.background);
        CHECK(pixels_of(*image, each.band_words, 0, band) > 500);  // the band's words (and icon)
        CHECK(pixels_of(*image, 0x0b3d91, 0, 720) == 0);           // nothing of a notice's blue
    }
    // The plain notice keeps its look, and its band is not there.
    auto plain = notices->render(flood_words);
    REQUIRE(plain);
    CHECK(pixel_at(*plain, 2, 2) == 0x0b3d91);
    // On yellow the words are dark.
    auto yellow = notices->render(flood_words, {NoticeKind::Alert, scheduler::Severity::Moderate});
    REQUIRE(yellow);
    CHECK(pixels_of(*yellow, 0x111111, 720 / 9, 720) > 500);
    CHECK(notice_text_colour({NoticeKind::Alert, scheduler::Severity::Moderate}, notices->style()) ==
          0x111111);
    CHECK(notice_text_colour({NoticeKind::Alert, scheduler::Severity::Extreme}, notices->style()) ==
          0xffffff);
}

TEST_CASE("an alert's band fits portrait screens and wide strips", "[player][notice][alert]") {
    for (const auto& [width, height] : {std::pair{1080, 1920}, std::pair{1920, 1080}, std::pair{1536, 256}}) {
        INFO(width << "x" << height);
        NoticeStyle style;
        style.width = width;
        style.height = height;
        style.margin = std::min(64, height / 8);
        auto notices = NoticeRenderer::create(default_font_path, style);
        REQUIRE(notices);
        auto image = notices->render(flood_words, {NoticeKind::Alert, scheduler::Severity::Extreme});
        REQUIRE(image);
        CHECK(image->width == width);
        CHECK(image->height == height);
        CHECK(pixel_at(*image, 1, 1) == 0x000000);
        CHECK(pixel_at(*image, width - 2, height - 2) == 0xc62828);
        // The exercise's longer band is whole: its words shrink to the width, never cut at the edge.
        auto drill = notices->render(flood_words, {NoticeKind::Exercise, scheduler::Severity::Extreme});
        REQUIRE(drill);
        const int band = std::max(48, height / 9);
        int rightmost = -1;
        for (int y = 0; y < band; ++y)
            for (int x = 0; x < width; ++x)
                if (pixel_at(*drill, x, y) == 0xffffff)
                    rightmost = std::max(rightmost, x);
        CHECK(rightmost > width / 2);
        CHECK(rightmost < width - style.margin / 2);
    }
}
