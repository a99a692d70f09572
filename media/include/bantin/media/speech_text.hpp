#pragma once
// Vietnamese text made ready for a speech engine. espeak-ng reads "17h30", "20/11", "UBND" and
// "3.500.000 đồng" letter by letter or digit by digit; a notice is read as an announcer would:
//
//   "17h30"             -> "mười bảy giờ ba mươi phút"       (also 17g30, 17:30; "17h" alone)
//   "20/11", "20/11/2026" -> "ngày hai mươi tháng mười một [năm hai nghìn không trăm hai mươi sáu]"
//                            ("ngày" is not said twice when the text already has it)
//   "3.500.000 đồng"    -> "ba triệu năm trăm nghìn đồng"   ('.' groups thousands, ',' is the
//   "1,5"               -> "một phẩy năm"                    decimal mark, as Vietnamese writes)
//   "500.000đ", "50%", "12km" -> "... đồng", "... phần trăm", "... ki lô mét"
//   "UBND", "TX.", "KP." -> "Ủy ban nhân dân", "thị xã", "khu phố" (a table of the abbreviations
//                           of local government notices; see speech_abbreviations())
//   "0274 3822 111"     -> digit by digit (a number that starts with 0 is a phone number or a code)
//   "17h-19h", "5-7"    -> "... đến ..."
//
// Numbers follow standard (broadcast) reading: "linh" for a zero tens digit, "mốt", "tư" and
// "lăm" after "mươi", "nghìn", "triệu", "tỷ". Everything else passes through unchanged, so the
// function is safe on any UTF-8 text (it only rewrites ASCII digits, the listed abbreviations
// and the units that follow a number). Pure: no locale, no I/O.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bantin::media {

std::string speakable_vietnamese(std::string_view text);

// A whole number as Vietnamese words: 2026 -> "hai nghìn không trăm hai mươi sáu".
std::string vietnamese_number(std::uint64_t number);

struct SpeechAbbreviation {
    std::string_view written;  // as written, case-sensitive ("UBND", "TX.")
    std::string_view spoken;
};
// The abbreviations speakable_vietnamese() expands, longest first.
std::span<const SpeechAbbreviation> speech_abbreviations();

}  // namespace bantin::media
