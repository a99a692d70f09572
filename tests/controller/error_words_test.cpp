// Every error code the server can answer has words in the console (web/dom.js errorMeanings),
// Vietnamese first: an officer never reads a bare code.
#include "bantin/common/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

std::string whole_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The first group of every match of `written` in the controller's sources.
std::set<std::string> matches_in_sources(const std::regex& written) {
    std::set<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path{BANTIN_SOURCE_DIR} /
                                                                 "controller" / "src")) {
        if (entry.path().extension() != ".cpp")
            continue;
        const std::string text = whole_file(entry.path());
        for (std::sregex_iterator at(text.begin(), text.end(), written), end; at != end; ++at)
            found.insert((*at)[1].str());
    }
    return found;
}

// The codes the controller's sources write: send_error(response, <status>, "code", ...),
// Refusal(<status>, "code", ...), {"error", "code"} and the HTTP front's json_body("code", ...).
std::set<std::string> codes_in_sources() {
    static const std::regex written{
        R"re((?:send_error\(response, [^,()]+, |Refusal\([^,()]+, |json_body\(|\{"error", )"([a-z]+(?:-[a-z]+)*)")re"};
    return matches_in_sources(written);
}

// errorMeanings of web/dom.js: code -> its Vietnamese words.
std::map<std::string, std::string> console_meanings() {
    const std::string dom = whole_file(std::filesystem::path{BANTIN_SOURCE_DIR} / "web" / "dom.js");
    const auto begin = dom.find("const errorMeanings = {");
    const auto end = dom.find("\n};", begin);
    REQUIRE(begin != std::string::npos);
    REQUIRE(end != std::string::npos);
    const std::string table = dom.substr(begin, end - begin);
    static const std::regex entry{R"re(\n\s*'?([a-z]+(?:-[a-z]+)*)'?: \['([^']*)', '([^']*)'\])re"};
    std::map<std::string, std::string> meanings;
    for (std::sregex_iterator at(table.begin(), table.end(), entry), stop; at != stop; ++at)
        meanings[(*at)[1].str()] = (*at)[2].str();
    return meanings;
}

}  // namespace

TEST_CASE("every error code the server answers has Vietnamese words in the console", "[web][errors]") {
    std::set<std::string> codes = codes_in_sources();
    // Errors of the store and services go out as to_string(Errc) (send_error(response, error)).
    for (auto code : {bantin::Errc::InvalidInput, bantin::Errc::NotFound, bantin::Errc::AlreadyExists,
                      bantin::Errc::Unauthenticated, bantin::Errc::PermissionDenied, bantin::Errc::Conflict,
                      bantin::Errc::Io, bantin::Errc::Network, bantin::Errc::Timeout, bantin::Errc::Crypto,
                      bantin::Errc::Unsupported, bantin::Errc::TooLarge, bantin::Errc::Internal})
        codes.insert(std::string{bantin::to_string(code)});
    // The sources were read: the common codes are among them.
    CHECK(codes.contains("bad-request"));
    CHECK(codes.contains("rate-limited"));
    CHECK(codes.contains("http-error"));
    const auto meanings = console_meanings();
    REQUIRE(meanings.size() >= 20);
    for (const auto& code : codes) {
        INFO(code);
        const auto found = meanings.find(code);
        REQUIRE(found != meanings.end());
        // Vietnamese: at least one letter outside ASCII (every Vietnamese sentence has marks).
        CHECK(
            std::ranges::any_of(found->second, [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
    }
}

TEST_CASE("every audit action the server writes reads as words in the audit log", "[web][errors]") {
    static const std::regex written{
        R"re("((?:campaign|playlist|media|notice|stream|alert|device|zone|user|live)\.[a-z][a-z.-]*)")re"};
    const std::set<std::string> actions = matches_in_sources(written);
    CHECK(actions.contains("device.settings.propose"));
    const std::string audit = whole_file(std::filesystem::path{BANTIN_SOURCE_DIR} / "web" / "audit.js");
    for (const auto& action : actions) {
        INFO(action);
        const auto dot = action.find('.');
        const std::string kind = action.substr(0, dot);
        const std::string verb = action.substr(dot + 1);
        const bool quoted = verb.find_first_of(".-") != std::string::npos;
        CHECK(audit.find("\n  " + kind + ": ['") != std::string::npos);
        CHECK(audit.find("\n  " + (quoted ? "'" + verb + "'" : verb) + ": ['") != std::string::npos);
    }
}
