// The route helper's pieces that need no HTTP server: reading a body's fields with every problem
// collected, refusals from errors, pages, query parameters.

#include "api_route.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::controller;
using namespace bantin::controller::api;

TEST_CASE("body fields: every problem is told at once, unknown fields first, naming what is accepted",
          "[api][route]") {
    const auto body = nlohmann::json::parse(R"({"kind": 5, "volume": "loud", "colour": "red"})");
    BodyFields fields(body);
    CHECK(fields.required_string("kind").empty());
    CHECK_FALSE(fields.optional_integer("volume"));
    CHECK(fields.required_string("device").empty());
    const auto refused = fields.refusal();
    REQUIRE(refused);
    CHECK(refused->status == 400);
    CHECK(refused->code == "bad-request");
    CHECK(
        refused->detail ==
        "colour: unknown field (device, kind and volume are accepted); kind: expected a string, got number; "
        "volume: expected an integer, got string; device: required");
}

TEST_CASE("body fields: a body that reads clean has no refusal, and null is absent", "[api][route]") {
    const auto body = nlohmann::json::parse(R"({"name": "Uyên Hưng", "disabled": true, "note": null,
                                                "zones": ["ub-01", "ub-02"]})");
    BodyFields fields(body);
    CHECK(fields.required_string("name") == "Uyên Hưng");
    CHECK(fields.optional_boolean("disabled") == std::optional<bool>{true});
    CHECK_FALSE(fields.optional_string("note"));
    CHECK(fields.optional_strings("zones") == std::optional<std::vector<std::string>>{{"ub-01", "ub-02"}});
    CHECK_FALSE(fields.refusal());
}

TEST_CASE("body fields: an array holding a non-string is refused by name", "[api][route]") {
    const auto body = nlohmann::json::parse(R"({"zones": ["ub-01", 7]})");
    BodyFields fields(body);
    CHECK_FALSE(fields.optional_strings("zones"));
    const auto refused = fields.refusal();
    REQUIRE(refused);
    CHECK(refused->detail == "zones: expected an array of strings");
}

TEST_CASE("refusals: a store error keeps its status and code, the helpers make 400 and 422", "[api][route]") {
    const Refusal missing(Error{Errc::NotFound, "no such device \"tv-9\""});
    CHECK(missing.status == 404);
    CHECK(missing.code == "not-found");
    CHECK(missing.detail == "no such device \"tv-9\"");
    CHECK(Refusal(Error{Errc::Conflict, "x"}).status == 409);
    CHECK(Refusal::bad_request("a").status == 400);
    CHECK(Refusal::invalid("b").status == 422);
    CHECK(Refusal::invalid("b").code == "invalid-input");
}

TEST_CASE("pages: the probe row says there is a next page and is not shown", "[api][route]") {
    auto items = nlohmann::ordered_json::array({1, 2, 3});
    const auto more = page_json(Page{2, 4}, items);
    CHECK(more["items"] == nlohmann::ordered_json::array({1, 2}));
    CHECK(more["next_cursor"] == "6");
    const auto last = page_json(Page{3, 0}, items);
    CHECK(last["items"].size() == 3);
    CHECK(last["next_cursor"].is_null());
}
