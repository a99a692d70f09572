// Vietnamese text made speakable: one table of what a notice says and what the speaker must
// hear. Each row is a case an announcer reads as words and espeak-ng read letter by letter.

#include "bantin/media/speech_text.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using bantin::media::speakable_vietnamese;
using bantin::media::vietnamese_number;

namespace {

struct Case {
    const char* written;
    const char* spoken;
};

}  // namespace

TEST_CASE("vietnamese numbers: linh, mốt, tư, lăm, and the groups", "[media][speech][text]") {
    const std::vector<std::pair<std::uint64_t, const char*>> cases = {
        {0, "không"},
        {5, "năm"},
        {10, "mười"},
        {11, "mười một"},
        {15, "mười lăm"},
        {20, "hai mươi"},
        {21, "hai mươi mốt"},
        {24, "hai mươi tư"},
        {25, "hai mươi lăm"},
        {100, "một trăm"},
        {105, "một trăm linh năm"},
        {110, "một trăm mười"},
        {1000, "một nghìn"},
        {2026, "hai nghìn không trăm hai mươi sáu"},
        {3'500'000, "ba triệu năm trăm nghìn"},
        {1'005'000, "một triệu không trăm linh năm nghìn"},
        {1'000'001, "một triệu không trăm linh một"},
        {2'000'000'000, "hai tỷ"},
        {12'000'000'000'000, "mười hai nghìn tỷ"},
    };
    for (const auto& [number, words] : cases) {
        INFO(number);
        CHECK(vietnamese_number(number) == words);
    }
}

TEST_CASE("speakable vietnamese: times, dates, money, units and abbreviations read as words",
          "[media][speech][text]") {
    const std::vector<Case> cases = {
        // Times.
        {"Họp lúc 17h30.", "Họp lúc mười bảy giờ ba mươi phút."},
        {"từ 7h đến 11h", "từ bảy giờ đến mười một giờ"},
        {"lúc 17g30", "lúc mười bảy giờ ba mươi phút"},
        {"lúc 07:05", "lúc bảy giờ năm phút"},
        {"từ 17h-19h", "từ mười bảy giờ đến mười chín giờ"},
        // Dates.
        {"Ngày 20/11/2026", "Ngày hai mươi tháng mười một năm hai nghìn không trăm hai mươi sáu"},
        {"hạn chót 20/11", "hạn chót ngày hai mươi tháng mười một"},
        {"ngày 30/4", "ngày ba mươi tháng tư"},
        {"từ 1-6-2026", "từ ngày một tháng sáu năm hai nghìn không trăm hai mươi sáu"},
        {"trong tháng 11/2026", "trong tháng mười một năm hai nghìn không trăm hai mươi sáu"},
        {"hết 12/2026", "hết tháng mười hai năm hai nghìn không trăm hai mươi sáu"},
        // Money and numbers ('.' groups thousands, ',' is the decimal mark).
        {"mức phạt 3.500.000 đồng", "mức phạt ba triệu năm trăm nghìn đồng"},
        {"giá 500.000đ", "giá năm trăm nghìn đồng"},
        {"hỗ trợ 1.200.000 VNĐ", "hỗ trợ một triệu hai trăm nghìn đồng"},
        {"tăng 1,5 lần", "tăng một phẩy năm lần"},
        {"đạt 95%", "đạt chín mươi lăm phần trăm"},
        {"dài 12km", "dài mười hai ki lô mét"},
        {"rộng 5 ha", "rộng năm héc ta"},
        {"nhiệt độ 38°C", "nhiệt độ ba mươi tám độ C"},
        {"có 105 hộ", "có một trăm linh năm hộ"},
        {"khoảng 5-7 ngày", "khoảng năm đến bảy ngày"},
        // Phone numbers and codes: digit by digit.
        {"gọi 0274 3822 111", "gọi không hai bảy bốn ba tám hai hai một một một"},
        {"gọi 114", "gọi một trăm mười bốn"},
        // Abbreviations of local government notices.
        {"UBND TX. Tân Uyên thông báo", "Ủy ban nhân dân thị xã Tân Uyên thông báo"},
        {"KP. 3, P. Uyên Hưng", "khu phố ba, phường Uyên Hưng"},
        {"HĐND xã Bạch Đằng", "Hội đồng nhân dân xã Bạch Đằng"},
        {"TP. Thủ Dầu Một", "thành phố Thủ Dầu Một"},
        {"mang theo CCCD và thẻ BHYT", "mang theo căn cước công dân và thẻ bảo hiểm y tế"},
        {"SĐT: 0909 123 456", "số điện thoại: không chín không chín một hai ba bốn năm sáu"},
        // What is not a number, a time or an abbreviation passes through.
        {"Phòng chống dịch COVID-19", "Phòng chống dịch COVID-mười chín"},
        {"mã F0 và UBNDX", "mã F0 và UBNDX"},
        {"5ha đất", "năm héc ta đất"},
        {"Không có số nào ở đây.", "Không có số nào ở đây."},
        {"", ""},
    };
    for (const auto& entry : cases) {
        INFO(entry.written);
        CHECK(speakable_vietnamese(entry.written) == entry.spoken);
    }
}

TEST_CASE("speakable vietnamese: hostile text stays text", "[media][speech][text]") {
    // Long digit runs, lone marks and invalid bytes: no crash, nothing lost but digits.
    CHECK(speakable_vietnamese(std::string(40, '9')) == [] {
        std::string words;
        for (int i = 0; i < 40; ++i) words += i == 0 ? "chín" : " chín";
        return words;
    }());
    CHECK(speakable_vietnamese("99h99") == "chín mươi chín h99");
    CHECK(speakable_vietnamese("3tr") == "ba tr");
    CHECK(speakable_vietnamese("32/13") == "ba mươi hai/mười ba");
    CHECK(speakable_vietnamese("1.") == "một.");
    CHECK(speakable_vietnamese("\xff\xfe 12") == "\xff\xfe mười hai");
    CHECK(speakable_vietnamese("h: / , . %") == "h: / , . %");
}
