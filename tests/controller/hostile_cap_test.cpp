// The CAP documents of the hostile-input corpus (tests/hostile/cap/, docs/hostile-input.md):
// each is refused by parse_cap with the detail its manifest entry names. The HTTP route
// (POST /api/v1/alerts/cap) answers such a refusal 400 bad-request with that detail.

#include "bantin/controller/cap.hpp"
#include "support/hostile_corpus.hpp"

#include <catch2/catch.hpp>

using namespace bantin;

TEST_CASE("hostile corpus: every file is listed in the manifest with its refusal", "[hostile][corpus]") {
    const auto unlisted = testing::unlisted_corpus_files();
    INFO(nlohmann::json(unlisted).dump());
    CHECK(unlisted.empty());
}

TEST_CASE("hostile corpus: CAP documents are refused as listed", "[cap][hostile][corpus]") {
    controller::CapMapping mapping;
    mapping.zones.push_back(controller::CapZone{"phuong-1", "Phường 1"});
    for (const auto& entry : testing::hostile_manifest().at("cap")) {
        const std::string file = entry.at("file");
        DYNAMIC_SECTION(file) {
            auto parsed = controller::parse_cap(testing::hostile_content(entry), mapping);
            REQUIRE_FALSE(parsed);
            CHECK(to_string(parsed.error().code) == entry.at("error").get<std::string>());
            CHECK_THAT(parsed.error().detail, Catch::Contains(entry.at("detail").get<std::string>()));
        }
    }
}
