#include "bantin/media/speech_text.hpp"

#include <array>
#include <optional>
#include <vector>

namespace bantin::media {

namespace {

constexpr std::array<std::string_view, 10> digit_words = {"không", "một", "hai", "ba",  "bốn",
                                                          "năm",   "sáu", "bảy", "tám", "chín"};

// Longest first: "TP." before "P.".
constexpr std::array abbreviations = {
    SpeechAbbreviation{"UBND", "Ủy ban nhân dân"},
    SpeechAbbreviation{"HĐND", "Hội đồng nhân dân"},
    SpeechAbbreviation{"MTTQ", "Mặt trận Tổ quốc"},
    SpeechAbbreviation{"BHYT", "bảo hiểm y tế"},
    SpeechAbbreviation{"BHXH", "bảo hiểm xã hội"},
    SpeechAbbreviation{"PCCC", "phòng cháy chữa cháy"},
    SpeechAbbreviation{"CSGT", "cảnh sát giao thông"},
    SpeechAbbreviation{"THPT", "trung học phổ thông"},
    SpeechAbbreviation{"THCS", "trung học cơ sở"},
    SpeechAbbreviation{"CCCD", "căn cước công dân"},
    SpeechAbbreviation{"CMND", "chứng minh nhân dân"},
    SpeechAbbreviation{"SĐT", "số điện thoại"},
    SpeechAbbreviation{"VNĐ", "đồng"},
    SpeechAbbreviation{"VND", "đồng"},
    SpeechAbbreviation{"ĐT", "điện thoại"},
    SpeechAbbreviation{"TX.", "thị xã"},
    SpeechAbbreviation{"TP.", "thành phố"},
    SpeechAbbreviation{"TT.", "thị trấn"},
    SpeechAbbreviation{"KP.", "khu phố"},
    SpeechAbbreviation{"P.", "phường"},
    SpeechAbbreviation{"X.", "xã"},
    SpeechAbbreviation{"Q.", "quận"},
};

// Units read after a number, longest first; `spaced`: also after one space ("50 %").
struct Unit {
    std::string_view written;
    std::string_view spoken;
};
constexpr std::array units = {
    Unit{"°C", "độ C"},      Unit{"m²", "mét vuông"}, Unit{"m2", "mét vuông"}, Unit{"km", "ki lô mét"},
    Unit{"kg", "ki lô gam"}, Unit{"ha", "héc ta"},    Unit{"%", "phần trăm"},  Unit{"đ", "đồng"},
};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Letters and digits of any script: ASCII alphanumerics and every byte of a multi-byte UTF-8
// sequence (Vietnamese letters are two or three bytes).
bool is_word_byte(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x80 || is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool word_starts_at(std::string_view text, std::size_t at) {
    return at == 0 || !is_word_byte(text[at - 1]);
}

bool word_ends_at(std::string_view text, std::size_t at) {
    return at >= text.size() || !is_word_byte(text[at]);
}

// Digits from `at`, at most `most` of them.
std::string_view digits_at(std::string_view text, std::size_t at, std::size_t most = 64) {
    std::size_t end = at;
    while (end < text.size() && end - at < most && is_digit(text[end])) ++end;
    return text.substr(at, end - at);
}

std::uint64_t value_of(std::string_view digits) {
    std::uint64_t value = 0;
    for (char c : digits) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    return value;
}

// Words after what is written so far, with a space where they would touch a word.
void append_words(std::string& out, std::string_view words) {
    if (words.empty())
        return;
    if (!out.empty() && is_word_byte(out.back()))
        out += ' ';
    out += words;
}

// 0..999 of a group. `inner`: a group after a higher one, read whole ("không trăm linh năm").
std::string below_thousand(unsigned number, bool inner) {
    const unsigned hundreds = number / 100;
    const unsigned tens = number / 10 % 10;
    const unsigned units_digit = number % 10;
    std::string out;
    const bool said_hundreds = inner || hundreds > 0;
    if (said_hundreds) {
        append_words(out, digit_words[hundreds]);
        append_words(out, "trăm");
    }
    if (tens == 0) {
        if (units_digit != 0) {
            if (said_hundreds)
                append_words(out, "linh");
            append_words(out, digit_words[units_digit]);
        }
    } else if (tens == 1) {
        append_words(out, "mười");
        if (units_digit == 5)
            append_words(out, "lăm");
        else if (units_digit != 0)
            append_words(out, digit_words[units_digit]);
    } else {
        append_words(out, digit_words[tens]);
        append_words(out, "mươi");
        if (units_digit == 1)
            append_words(out, "mốt");
        else if (units_digit == 4)
            append_words(out, "tư");
        else if (units_digit == 5)
            append_words(out, "lăm");
        else if (units_digit != 0)
            append_words(out, digit_words[units_digit]);
    }
    return out;
}

std::string digit_by_digit(std::string_view digits) {
    std::string out;
    for (char c : digits) append_words(out, digit_words[static_cast<std::size_t>(c - '0')]);
    return out;
}

std::string month_words(unsigned month) {
    return month == 4 ? std::string{"tư"} : vietnamese_number(month);
}

struct Spoken {
    std::string words;
    std::size_t length = 0;  // bytes of the text it replaces
    bool is_number = false;  // a unit may follow
};

// Whether the last word of `said` is `word` (either case of its first letter), followed by a space.
bool said_last(const std::string& said, std::string_view word) {
    if (said.size() < word.size() + 1 || said.back() != ' ')
        return false;
    const std::size_t start = said.size() - word.size() - 1;
    if (start > 0 && is_word_byte(said[start - 1]))
        return false;
    const std::string_view last(said.data() + start, word.size());
    return last == word ||
           (last.substr(1) == word.substr(1) && last[0] == static_cast<char>(word[0] - 'a' + 'A'));
}

// "17h30", "17g30", "17h", "17:30".
std::optional<Spoken> time_at(std::string_view text, std::size_t at) {
    const auto hour = digits_at(text, at, 3);
    if (hour.empty() || hour.size() > 2)
        return std::nullopt;
    std::size_t next = at + hour.size();
    if (next >= text.size())
        return std::nullopt;
    const char mark = text[next];
    if (mark != 'h' && mark != 'g' && mark != ':')
        return std::nullopt;
    const auto minute = digits_at(text, next + 1, 3);
    if (minute.size() != 2 && !(minute.empty() && mark != ':'))
        return std::nullopt;
    const std::size_t end = next + 1 + minute.size();
    if (!word_ends_at(text, end) || (mark == ':' && end < text.size() && text[end] == ':'))
        return std::nullopt;
    const auto hours = value_of(hour);
    const auto minutes = minute.empty() ? 0 : value_of(minute);
    if (hours > 24 || minutes > 59)
        return std::nullopt;
    std::string words = vietnamese_number(hours) + " giờ";
    if (minutes > 0)
        words += " " + vietnamese_number(minutes) + " phút";
    return Spoken{std::move(words), end - at, false};
}

// "20/11", "20/11/2026", "20-11-2026", "11/2026". `said`: the words just before ("ngày 20/11"
// and "tháng 11/2026" do not say "ngày" or "tháng" twice).
std::optional<Spoken> date_at(std::string_view text, std::size_t at, const std::string& said) {
    const bool after_ngay = said_last(said, "ngày");
    const bool after_thang = said_last(said, "tháng");
    const auto first = digits_at(text, at, 5);
    std::size_t next = at + first.size();
    if (first.empty() || first.size() > 2 || next + 1 >= text.size())
        return std::nullopt;
    const char separator = text[next];
    if (separator != '/' && separator != '-')
        return std::nullopt;
    const auto second = digits_at(text, next + 1, 5);
    next += 1 + second.size();
    const auto day_or_month = value_of(first);
    if (separator == '/' && second.size() == 4 && word_ends_at(text, next) && day_or_month >= 1 &&
        day_or_month <= 12) {
        return Spoken{(after_thang ? "" : "tháng ") + month_words(static_cast<unsigned>(day_or_month)) +
                          " năm " + vietnamese_number(value_of(second)),
                      next - at, false};
    }
    if (second.empty() || second.size() > 2)
        return std::nullopt;
    const auto month = value_of(second);
    if (day_or_month < 1 || day_or_month > 31 || month < 1 || month > 12)
        return std::nullopt;
    std::optional<std::uint64_t> year;
    if (next + 1 < text.size() && text[next] == separator) {
        const auto year_digits = digits_at(text, next + 1, 5);
        if (year_digits.size() == 4) {
            year = value_of(year_digits);
            next += 1 + year_digits.size();
        }
    }
    if (separator == '-' && !year)
        return std::nullopt;  // "5-7" is a range, not a date
    if (!word_ends_at(text, next))
        return std::nullopt;
    std::string words = after_ngay ? "" : "ngày ";
    words += vietnamese_number(day_or_month) + " tháng " + month_words(static_cast<unsigned>(month));
    if (year)
        words += " năm " + vietnamese_number(*year);
    return Spoken{std::move(words), next - at, false};
}

// "3.500.000", "1,5", "2026", "0274 3822 111".
std::optional<Spoken> number_at(std::string_view text, std::size_t at) {
    const auto lead = digits_at(text, at);
    std::size_t next = at + lead.size();
    if (lead.size() >= 2 && lead.front() == '0') {
        // A phone number or a code: every digit, and the digit groups that follow it.
        std::string words = digit_by_digit(lead);
        while (next + 1 < text.size() && (text[next] == ' ' || text[next] == '.') &&
               is_digit(text[next + 1])) {
            const auto group = digits_at(text, next + 1);
            if (!word_ends_at(text, next + 1 + group.size()))
                break;
            words += " " + digit_by_digit(group);
            next += 1 + group.size();
        }
        return Spoken{std::move(words), next - at, false};
    }
    std::string whole(lead);
    if (lead.size() <= 3) {
        while (next + 4 <= text.size() && text[next] == '.' && digits_at(text, next + 1, 4).size() == 3) {
            whole += text.substr(next + 1, 3);
            next += 4;
        }
    }
    std::string words = whole.size() > 18 ? digit_by_digit(whole) : vietnamese_number(value_of(whole));
    if (next + 1 < text.size() && text[next] == ',' && is_digit(text[next + 1])) {
        const auto fraction = digits_at(text, next + 1);
        words += " phẩy ";
        words += fraction.front() == '0' || fraction.size() > 18 ? digit_by_digit(fraction)
                                                                 : vietnamese_number(value_of(fraction));
        next += 1 + fraction.size();
    }
    return Spoken{std::move(words), next - at, true};
}

}  // namespace

std::span<const SpeechAbbreviation> speech_abbreviations() {
    return abbreviations;
}

std::string vietnamese_number(std::uint64_t number) {
    if (number == 0)
        return std::string{digit_words[0]};
    constexpr std::array<std::string_view, 7> scales = {"",         "nghìn",    "triệu", "tỷ",
                                                        "nghìn tỷ", "triệu tỷ", "tỷ tỷ"};
    std::vector<unsigned> groups;
    for (std::uint64_t rest = number; rest > 0; rest /= 1000)
        groups.push_back(static_cast<unsigned>(rest % 1000));
    std::string out;
    for (std::size_t index = groups.size(); index-- > 0;) {
        if (groups[index] == 0)
            continue;
        append_words(out, below_thousand(groups[index], index + 1 < groups.size()));
        append_words(out, scales[index]);
    }
    return out;
}

std::string speakable_vietnamese(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 2);
    std::size_t at = 0;
    bool after_number = false;  // the last thing written was a number, a time or a date
    while (at < text.size()) {
        if (after_number) {
            // A range: "17h-19h", "5-7", "5–7" (en dash).
            for (std::string_view dash : {std::string_view{"-"}, std::string_view{"–"}}) {
                if (text.substr(at, dash.size()) == dash && at + dash.size() < text.size() &&
                    is_digit(text[at + dash.size()])) {
                    append_words(out, "đến ");
                    at += dash.size();
                    break;
                }
            }
        }
        after_number = false;
        if (is_digit(text[at]) && word_starts_at(text, at)) {
            auto spoken = time_at(text, at);
            if (!spoken)
                spoken = date_at(text, at, out);
            if (!spoken)
                spoken = number_at(text, at);
            append_words(out, spoken->words);
            at += spoken->length;
            after_number = true;
            const auto glued = [&] { return at < text.size() && is_word_byte(text[at]); };
            if (spoken->is_number) {
                for (const auto& unit : units) {
                    const std::size_t gap = at < text.size() && text[at] == ' ' ? 1 : 0;
                    if (text.substr(at + gap, unit.written.size()) == unit.written &&
                        word_ends_at(text, at + gap + unit.written.size())) {
                        append_words(out, unit.spoken);
                        at += gap + unit.written.size();
                        break;
                    }
                }
            }
            if (glued())
                out += ' ';  // "3tr" is "ba tr", not "batr"
            continue;
        }
        if (word_starts_at(text, at)) {
            bool expanded = false;
            for (const auto& abbreviation : abbreviations) {
                const auto& written = abbreviation.written;
                if (text.substr(at, written.size()) != written)
                    continue;
                // "TX." ends with its dot; "UBND" must end where its word ends.
                if (written.back() != '.' && !word_ends_at(text, at + written.size()))
                    continue;
                out += abbreviation.spoken;
                at += written.size();
                expanded = true;
                break;
            }
            if (expanded)
                continue;
        }
        out += text[at];
        ++at;
    }
    return out;
}

}  // namespace bantin::media
