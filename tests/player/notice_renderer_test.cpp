#include "bantin/player/notice_renderer.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

using namespace bantin;
using namespace bantin::player;

namespace {

constexpr std::string_view vietnamese_notice = "Thông báo: Lịch tiêm chủng ở phường Bến Nghé";

// A short notice with every kind of Vietnamese mark (headline, then body).
constexpr std::string_view short_notice =
    "Lịch tiêm chủng tháng Mười Hai\n"
    "Trạm y tế phường tiêm vắc-xin sởi – rubella cho trẻ từ 1 đến 5 tuổi sáng thứ Bảy. "
    "Phụ huynh nhớ mang sổ tiêm chủng; ưu tiên trẻ ở xa, đường lũ lội.";

// 360 characters (code points): pages at 1920x1080.
constexpr std::string_view long_notice =
    "Thông báo lịch cắt điện\n"
    "Điện lực Tân Uyên thông báo: để kịp bảo trì đường dây trung thế, khu vực ba khu phố Uyên Hưng, "
    "Khánh Bình và Tân Hiệp sẽ tạm ngừng cấp điện từ 7 giờ 30 đến 16 giờ 30 ngày thứ Bảy. Người dân "
    "chủ động sắp xếp công việc, rút phích cắm các thiết bị điện và không đến gần khu vực thi công. "
    "Thắc mắc xin gọi tổ trực điện lực qua số 1900 1006.";

// An alert's notice is "headline\n\ntext" (protocol::alert_notice_text).
constexpr std::string_view flood_words =
    "Lũ quét\n\nNước sông Đồng Nai dâng cao, di chuyển lên vùng cao ngay.";

const NoticeHeader uyen_hung{"Uyên Hưng", "Thứ Bảy, 05/12/2026"};

constexpr FrameSize landscape{1920, 1080};
constexpr FrameSize portrait{1080, 1920};
constexpr FrameSize led_strip{1536, 256};

std::size_t utf8_length(std::string_view text) {
    std::size_t count = 0;
    for (char c : text)
        if ((static_cast<unsigned char>(c) & 0xc0) != 0x80)
            ++count;
    return count;
}

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

// Pixels that are not `background` in the rectangle.
std::size_t ink_in(const RgbImage& image, std::uint32_t background, int x0, int y0, int x1, int y1) {
    std::size_t count = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x)
            if (pixel_at(image, x, y) != background)
                ++count;
    return count;
}

NoticeRenderer notice_renderer(NoticeStyle style = {}) {
    auto notices = NoticeRenderer::create({}, style);
    REQUIRE(notices);
    return std::move(*notices);
}

}  // namespace

TEST_CASE("Noto Sans is the face, and it covers every Vietnamese letter with its diacritics",
          "[player][notice]") {
    auto notices = notice_renderer();
    CHECK(notices.fonts().regular == std::filesystem::path(default_font_path));
    CHECK(notices.fonts().bold == std::filesystem::path(default_bold_font_path));
    CHECK(notices.missing_glyphs(vietnamese_notice).empty());
    CHECK(notices.missing_glyphs("ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸĐđơưăâêô").empty());
}

TEST_CASE("without Noto the renderer falls back to DejaVu Sans", "[player][notice]") {
    // The fallback is taken only for the default face; a configured file that is missing is an error.
    auto missing = NoticeRenderer::create({"/nonexistent/font.ttf", ""});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::NotFound);
    CHECK(missing.error().detail.find("/nonexistent/font.ttf") != std::string::npos);
    auto dejavu = NoticeRenderer::create({std::filesystem::path(fallback_font_path), ""});
    REQUIRE(dejavu);
    CHECK(dejavu->fonts().bold.empty());  // synthetic bold
    auto image = dejavu->render(short_notice, {}, uyen_hung);
    REQUIRE(image);
    CHECK(dejavu->missing_glyphs(short_notice).empty());
}

TEST_CASE("the headline is the text before the first newline, when there is one", "[player][notice]") {
    auto plain = split_notice("Một câu duy nhất, không xuống dòng.");
    CHECK(plain.headline.empty());
    CHECK(plain.body == "Một câu duy nhất, không xuống dòng.");
    auto two = split_notice("Tiêu đề\nNội dung thứ nhất.\nNội dung thứ hai.");
    CHECK(two.headline == "Tiêu đề");
    CHECK(two.body == "Nội dung thứ nhất.\nNội dung thứ hai.");
    auto alert = split_notice(flood_words);
    CHECK(alert.headline == "Lũ quét");
    CHECK(alert.body == "Nước sông Đồng Nai dâng cao, di chuyển lên vùng cao ngay.");
    CHECK(split_notice("Chỉ tiêu đề\n").headline.empty());
    CHECK(split_notice("Chỉ tiêu đề\n").body == "Chỉ tiêu đề");
    CHECK(split_notice("\n\nThân").body == "Thân");
}

TEST_CASE("the header's date and place are Vietnamese", "[player][notice]") {
    using namespace std::chrono;
    const TimePoint evening = sys_days{2026y / December / 5} + hours{20};  // 03:00 on the 6th in Vietnam
    CHECK(vietnamese_date(evening, "UTC") == "Thứ Bảy, 05/12/2026");
    CHECK(vietnamese_date(evening, "Asia/Ho_Chi_Minh") == "Chủ Nhật, 06/12/2026");
    CHECK(vietnamese_date(evening, "No/Such_Zone") == "Thứ Bảy, 05/12/2026");
    CHECK(vietnamese_upper("Uyên Hưng") == "UYÊN HƯNG");
    CHECK(vietnamese_upper("phường Bến Nghé, đảo Phú Quốc; ỹ ự ằ") == "PHƯỜNG BẾN NGHÉ, ĐẢO PHÚ QUỐC; Ỹ Ự Ằ");
}

TEST_CASE("sizes follow the frame's shorter side, inside safe margins", "[player][notice][layout]") {
    const NoticeStyle style;
    const auto wide = notice_layout(landscape, style, 1.36);
    CHECK_FALSE(wide.strip);
    CHECK(wide.margin_x == 96);
    CHECK(wide.margin_y == 54);
    CHECK(wide.body_size == 108);
    CHECK(wide.minimum_size == 81);
    const auto tall = notice_layout(portrait, style, 1.36);
    CHECK(tall.body_size == wide.body_size);  // the same shorter side
    CHECK(tall.minimum_size == wide.minimum_size);
    CHECK(tall.margin_x == 54);
    CHECK(tall.margin_y == 96);
    const auto small = notice_layout({640, 360}, style, 1.36);
    CHECK(small.body_size == 36);
    CHECK(small.minimum_size == 27);
    // The configured floor holds on a small screen.
    NoticeStyle floored;
    floored.minimum_px = 40;
    const auto tiny = notice_layout({320, 240}, floored, 1.36);
    CHECK(tiny.minimum_size == 40);
    CHECK(tiny.body_size >= tiny.minimum_size);
}

TEST_CASE("a frame wider than four times its height is a strip: one or two lines of large text",
          "[player][notice][layout]") {
    const auto strip = notice_layout(led_strip, NoticeStyle{}, 1.36);
    CHECK(strip.strip);
    CHECK(strip.header == 0);
    const int inner = 256 - 2 * strip.margin_y;
    CHECK(strip.body_size == static_cast<int>(inner / 1.36));            // one line fills it
    CHECK(strip.minimum_size == static_cast<int>(inner / (2 * 1.36)));   // two lines fill it
    CHECK_FALSE(notice_layout({1024, 256}, NoticeStyle{}, 1.36).strip);  // exactly 4:1 is not
}

TEST_CASE("a long notice is paged at the legible minimum, never drawn smaller", "[player][notice][layout]") {
    REQUIRE(utf8_length(long_notice) == 360);
    auto notices = notice_renderer();
    for (FrameSize frame : {landscape, portrait, led_strip}) {
        INFO(frame.width << "x" << frame.height);
        auto pagination = notices.paginate(long_notice, {}, uyen_hung, frame);
        REQUIRE(pagination);
        CHECK(pagination->pages >= 2);
        CHECK(pagination->body_size == pagination->layout.minimum_size);
        CHECK(pagination->headline_size >= pagination->body_size);
    }
    // At 1920x1080, the minimum is 7.5 % of 1080.
    auto wide = notices.paginate(long_notice, {}, uyen_hung, landscape);
    REQUIRE(wide);
    CHECK(wide->body_size == 81);
    // A short notice fits one page at a size between the minimum and the preferred one.
    auto brief = notices.paginate(short_notice, {}, uyen_hung, landscape);
    REQUIRE(brief);
    CHECK(brief->pages == 1);
    CHECK(brief->body_size >= brief->layout.minimum_size);
    CHECK(brief->body_size <= brief->layout.body_size);
    auto word = notices.paginate("Ngắn", {}, uyen_hung, landscape);
    REQUIRE(word);
    CHECK(word->body_size == word->layout.body_size);
    // Every page is drawn, each marked with its number.
    auto pages = notices.render_pages(long_notice, {}, uyen_hung, landscape);
    REQUIRE(pages);
    CHECK(static_cast<int>(pages->size()) == wide->pages);
    CHECK((*pages)[0].pixels != (*pages)[1].pixels);
    // "1/2" in the bottom-right corner inside the margins; nothing in the margins themselves.
    for (const auto& page : *pages) {
        CHECK(ink_in(page, 0x0b3d91, 1920 - 96 - 200, 1080 - 54 - 80, 1920 - 96, 1080 - 54) > 100);
        CHECK(ink_in(page, 0x0b3d91, 0, 1080 - 54, 1920, 1080) == 0);
        CHECK(ink_in(page, 0x0b3d91, 1920 - 96, 200, 1920, 1080) == 0);
    }
}

TEST_CASE("a word longer than a line is cut between its letters, and nothing spills",
          "[player][notice][layout]") {
    auto notices = notice_renderer();
    const std::string word(300, 'W');
    auto pages = notices.render_pages(word, {}, uyen_hung, landscape);
    REQUIRE(pages);
    for (const auto& page : *pages) CHECK(ink_in(page, 0x0b3d91, 1920 - 96, 200, 1920, 1080) == 0);
}

TEST_CASE("every text colour is at least 4.5:1 against what it is drawn on", "[player][notice][contrast]") {
    CHECK(contrast_ratio(0xffffff, 0x000000) == Approx(21.0));
    CHECK(contrast_ratio(0x777777, 0x777777) == Approx(1.0));
    CHECK(contrast_ratio(0xffffff, 0xef6c00) < 4.5);  // why amber's text is dark
    const NoticeStyle style;
    std::vector<NoticeLook> looks = {{NoticeKind::Notice, scheduler::Severity::Severe},
                                     {NoticeKind::Exercise, scheduler::Severity::Extreme}};
    for (auto severity : {scheduler::Severity::Extreme, scheduler::Severity::Severe,
                          scheduler::Severity::Moderate, scheduler::Severity::Minor})
        looks.push_back({NoticeKind::Alert, severity});
    for (const auto& look : looks) {
        INFO(static_cast<int>(look.kind) << " " << static_cast<int>(look.severity));
        const auto palette = notice_palette(look, style);
        CHECK(contrast_ratio(palette.text, palette.background) >= 4.5);
        CHECK(contrast_ratio(palette.header_text, palette.header) >= 4.5);
        CHECK(contrast_ratio(palette.accent, palette.header) >= 4.5);
    }
}

TEST_CASE("an alert cannot be taken for a notice: its severity's colour under a black band with its words",
          "[player][notice][alert]") {
    auto notices = notice_renderer();
    struct AlertCase {
        NoticeLook look;
        std::uint32_t background;
        std::uint32_t band_words;
    };
    const std::vector<AlertCase> cases = {
        {{NoticeKind::Alert, scheduler::Severity::Extreme}, 0xc62828, 0xff6b6b},
        {{NoticeKind::Alert, scheduler::Severity::Severe}, 0xef6c00, 0xef6c00},
        {{NoticeKind::Alert, scheduler::Severity::Moderate}, 0xfdd835, 0xfdd835},
        {{NoticeKind::Alert, scheduler::Severity::Minor}, 0xfdd835, 0xfdd835},
        {{NoticeKind::Exercise, scheduler::Severity::Extreme}, 0x4a4066, 0xffffff},
    };
    const auto layout = notice_layout(landscape, notices.style(), 1.36);
    const int band_bottom = layout.margin_y + 108;
    for (const auto& each : cases) {
        INFO(static_cast<int>(each.look.kind) << " " << static_cast<int>(each.look.severity));
        auto pages = notices.render_pages(flood_words, each.look, uyen_hung, landscape);
        REQUIRE(pages);
        const RgbImage& image = pages->front();
        CHECK(notice_background(each.look, notices.style()) == each.background);
        CHECK(pixel_at(image, 2, 2) == 0x000000);                        // the band is black
        CHECK(pixel_at(image, 2, 1079) == each.background);              // the frame is the alert's colour
        CHECK(pixels_of(image, each.band_words, 0, band_bottom) > 500);  // the band's words (and icon)
        CHECK(pixels_of(image, 0x0b3d91, 0, 1080) == 0);                 // nothing of a notice's blue
        // The text is in the look's text colour.
        CHECK(pixels_of(image, notice_text_colour(each.look, notices.style()), band_bottom + 100, 1080) >
              500);
    }
    // The plain notice keeps its blue, under its deeper blue header band.
    auto plain = notices.render_pages(flood_words, {}, uyen_hung, landscape);
    REQUIRE(plain);
    CHECK(pixel_at(plain->front(), 2, 2) == 0x06214f);
    CHECK(pixel_at(plain->front(), 2, 1079) == 0x0b3d91);
}

TEST_CASE("on a strip the header becomes a label at the left", "[player][notice][layout]") {
    auto notices = notice_renderer();
    auto pages = notices.render_pages(short_notice, {}, uyen_hung, led_strip);
    REQUIRE(pages);
    const RgbImage& first = pages->front();
    CHECK(pixel_at(first, 2, 2) == 0x06214f);         // the label's band, at the left
    CHECK(pixel_at(first, 1533, 2) == 0x0b3d91);      // the notice's blue at the right
    CHECK(pixel_at(first, 2, 253) == 0x06214f);       // the label runs the strip's height
    CHECK(pixel_at(first, 1536 / 3, 2) == 0x0b3d91);  // and is narrow
    auto alert = notices.render_pages(flood_words, {NoticeKind::Alert, scheduler::Severity::Extreme},
                                      uyen_hung, led_strip);
    REQUIRE(alert);
    CHECK(pixel_at(alert->front(), 2, 2) == 0x000000);
    CHECK(pixels_of(alert->front(), 0xff6b6b, 0, 256) > 500);  // the triangle and words
}

TEST_CASE("without a place and a date the notice leaves its header band to the screen's live one",
          "[player][notice][layout]") {
    auto notices = notice_renderer();
    for (FrameSize frame : {landscape, portrait, led_strip}) {
        INFO(frame.width << "x" << frame.height);
        auto bare = notices.render_pages(short_notice, {}, NoticeHeader{}, frame);
        REQUIRE(bare);
        CHECK(pixel_at(bare->front(), 2, 2) == 0x0b3d91);  // the notice's blue to the top-left corner
        CHECK(pixels_of(bare->front(), 0x06214f, 0, frame.height) == 0);  // no header band anywhere
    }
    // An alert keeps its black band with its words: the screen's header does not say "alert".
    auto alert = notices.render_pages(flood_words, {NoticeKind::Alert, scheduler::Severity::Extreme},
                                      NoticeHeader{}, landscape);
    REQUIRE(alert);
    CHECK(pixel_at(alert->front(), 2, 2) == 0x000000);
    CHECK(pixels_of(alert->front(), 0xff6b6b, 0, 200) > 500);
}

TEST_CASE("characters the font lacks are refused by name", "[player][notice]") {
    auto notices = notice_renderer();
    auto image = notices.render("Chữ Hán: 漢");
    REQUIRE_FALSE(image);
    CHECK(image.error().code == Errc::Unsupported);
    CHECK(image.error().detail.find("U+6F22") != std::string::npos);
    // A place name the font lacks is left out of the header, not refused.
    auto odd_place = notices.render(short_notice, {}, NoticeHeader{"漢", "Thứ Bảy, 05/12/2026"});
    CHECK(odd_place);
}

TEST_CASE("an empty notice, a blank one and impossible frames are invalid input", "[player][notice]") {
    auto notices = notice_renderer();
    for (std::string_view text : {std::string_view{}, std::string_view{" \n\t\n "}}) {
        auto image = notices.render(text);
        REQUIRE_FALSE(image);
        CHECK(image.error().code == Errc::InvalidInput);
    }
    for (FrameSize frame : {FrameSize{0, 0}, FrameSize{-5, 100}, FrameSize{100000, 100}, FrameSize{15, 15}}) {
        auto pages = notices.render_pages(short_notice, {}, uyen_hung, frame);
        REQUIRE_FALSE(pages);
        CHECK(pages.error().code == Errc::InvalidInput);
    }
    NoticeStyle bad;
    bad.margin_fraction = 0.4;
    CHECK_FALSE(NoticeRenderer::create({}, bad));
    bad = NoticeStyle{};
    bad.minimum_px = 0;
    CHECK_FALSE(NoticeRenderer::create({}, bad));
}

TEST_CASE("malformed UTF-8 is refused, not drawn as boxes", "[player][notice]") {
    auto notices = notice_renderer();
    for (std::string text : {std::string("Th\xc3\xb4ng b\xff\xfe\xe1"), std::string("cut \xe1\xbb"),
                             std::string("overlong \xc0\xaf"), std::string("surrogate \xed\xa0\x80")}) {
        auto image = notices.render(text);
        REQUIRE_FALSE(image);
        CHECK(image.error().code == Errc::InvalidInput);
        CHECK(image.error().detail.find("UTF-8") != std::string::npos);
    }
    CHECK(notices.render("Thông báo \xef\xbf\xbd"));  // a real U+FFFD is a character like any other
}

TEST_CASE("rendering the same text twice gives the same pixels", "[player][notice]") {
    auto notices = notice_renderer();
    auto first = notices.render_pages(long_notice, {}, uyen_hung, portrait);
    auto second = notices.render_pages(long_notice, {}, uyen_hung, portrait);
    REQUIRE(first);
    REQUIRE(second);
    REQUIRE(first->size() == second->size());
    for (std::size_t page = 0; page < first->size(); ++page)
        CHECK((*first)[page].pixels == (*second)[page].pixels);
}

// Reference images: tests/player/reference/<case>-<width>x<height>-<page>.png. With
// BANTIN_REGENERATE_NOTICES=1 in the environment the test writes them instead of comparing
// (then look at them, and commit them).
TEST_CASE("notices look like their reference images", "[player][notice][reference]") {
    const std::filesystem::path directory =
        std::filesystem::path(BANTIN_SOURCE_DIR) / "tests/player/reference";
    const char* regenerate = std::getenv("BANTIN_REGENERATE_NOTICES");
    const bool writing = regenerate != nullptr && std::string_view(regenerate) == "1";
    auto notices = notice_renderer();
    struct ReferenceCase {
        std::string_view name;
        std::string_view text;
        NoticeLook look;
    };
    const std::vector<ReferenceCase> cases = {
        {"short", short_notice, {}},
        {"long", long_notice, {}},
        {"extreme", flood_words, {NoticeKind::Alert, scheduler::Severity::Extreme}},
        {"moderate", flood_words, {NoticeKind::Alert, scheduler::Severity::Moderate}},
        {"exercise", flood_words, {NoticeKind::Exercise, scheduler::Severity::Extreme}},
    };
    for (const auto& each : cases)
        for (FrameSize frame : {landscape, portrait, led_strip}) {
            auto pages = notices.render_pages(each.text, each.look, uyen_hung, frame);
            REQUIRE(pages);
            // The first two pages (the rest are the same layout); the page count is checked above.
            for (std::size_t page = 0; page < std::min<std::size_t>(2, pages->size()); ++page) {
                const auto path =
                    directory / (std::string(each.name) + "-" + std::to_string(frame.width) + "x" +
                                 std::to_string(frame.height) + "-" + std::to_string(page + 1) + ".png");
                INFO(path.filename().string());
                if (writing) {
                    std::filesystem::create_directories(directory);
                    REQUIRE(write_png((*pages)[page], path));
                    continue;
                }
                auto reference = read_png(path);
                REQUIRE(reference);
                const RgbImage& image = (*pages)[page];
                REQUIRE(reference->width == image.width);
                REQUIRE(reference->height == image.height);
                // Small differences between FreeType versions are allowed; a different layout is not.
                double total = 0;
                std::size_t far = 0;
                for (std::size_t index = 0; index + 2 < image.pixels.size(); index += 3) {
                    int largest = 0;
                    for (std::size_t channel = 0; channel < 3; ++channel) {
                        const int difference = std::abs(int{image.pixels[index + channel]} -
                                                        int{reference->pixels[index + channel]});
                        total += difference;
                        largest = std::max(largest, difference);
                    }
                    if (largest > 64)
                        ++far;
                }
                const double mean = total / static_cast<double>(image.pixels.size());
                const double far_share =
                    static_cast<double>(far) * 3 / static_cast<double>(image.pixels.size());
                INFO("mean difference per channel "
                     << mean << ", share of pixels off by more than 64: " << far_share);
                CHECK(mean < 2.0);
                CHECK(far_share < 0.01);
            }
            // And no reference page beyond the last.
            if (!writing && pages->size() < 2)
                CHECK_FALSE(std::filesystem::exists(
                    directory /
                    (std::string(each.name) + "-" + std::to_string(frame.width) + "x" +
                     std::to_string(frame.height) + "-" + std::to_string(pages->size() + 1) + ".png")));
        }
}

TEST_CASE("a notice encoded as PNG in memory reads back as the same picture", "[player][notice]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    auto pages = notices->render_pages(short_notice, {}, {}, FrameSize{640, 360});
    REQUIRE(pages);
    auto bytes = encode_png(pages->front());
    REQUIRE(bytes);
    CHECK(bytes->compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    const auto path = std::filesystem::temp_directory_path() /
                      ("bantin-encode-png-" + std::to_string(std::hash<std::string>{}(*bytes)) + ".png");
    {
        std::ofstream out(path, std::ios::binary);
        out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    }
    auto written = write_png(pages->front(), path.string() + ".file.png");
    REQUIRE(written);
    auto from_memory = read_png(path);
    auto from_file = read_png(path.string() + ".file.png");
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + ".file.png");
    REQUIRE(from_memory);
    REQUIRE(from_file);
    CHECK(from_memory->width == 640);
    CHECK(from_memory->height == 360);
    CHECK(from_memory->pixels == from_file->pixels);
}
