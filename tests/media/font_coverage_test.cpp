#include "bantin/media/font_coverage.hpp"

#include <catch2/catch.hpp>

using namespace bantin;

TEST_CASE("the screen font draws every Vietnamese letter and names what it lacks", "[media][font][hostile]") {
    auto coverage = media::FontCoverage::open(media::default_notice_font);
    if (!coverage)
        FAIL(coverage.error().message());
    CHECK(coverage->missing("Thông báo: Ủy ban nhân dân xã Bạch Đằng").empty());
    // Every vowel with every tone, both cases, and đ/Đ.
    CHECK(coverage
              ->missing("aàáảãạ ăằắẳẵặ âầấẩẫậ eèéẻẽẹ êềếểễệ iìíỉĩị oòóỏõọ ôồốổỗộ ơờớởỡợ "
                        "uùúủũụ ưừứửữự yỳýỷỹỵ đ AÀÁẢÃẠ ĂẰẮẲẴẶ ÂẦẤẨẪẬ EÈÉẺẼẸ ÊỀẾỂỄỆ IÌÍỈĨỊ "
                        "OÒÓỎÕỌ ÔỒỐỔỖỘ ƠỜỚỞỠỢ UÙÚỦŨỤ ƯỪỨỬỮỰ YỲÝỶỸỴ Đ 0123456789 .,:;!?-()\"'\n\t")
              .empty());
    // NFD: base letters and combining marks (U+0300..U+0323) are in the font as well.
    CHECK(coverage->missing("Tho\xcc\x82\xcc\x80ng ba\xcc\x81o").empty());

    const auto missing = coverage->missing("Họp dân 👍 lúc 中 giờ 👍🎉");
    REQUIRE(missing.size() == 3);
    CHECK(missing[0] == U'\U0001F44D');
    CHECK(missing[1] == U'\u4E2D');
    CHECK(missing[2] == U'\U0001F389');
    CHECK(media::describe_code_points(missing) == "👍 (U+1F44D), 中 (U+4E2D), 🎉 (U+1F389)");
    // DejaVu Sans does draw the emoticon faces U+1F600..U+1F643 (in monochrome): those pass.
    CHECK(coverage->missing("😀").empty());
}

TEST_CASE("a font file that does not exist is NotFound", "[media][font]") {
    auto coverage = media::FontCoverage::open("/nonexistent/font.ttf");
    REQUIRE_FALSE(coverage);
    CHECK(coverage.error().code == Errc::NotFound);
}
