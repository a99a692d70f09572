// The handlers of zones and campaigns run directly on a Call: no HTTP server, a real SQLite
// file, simulated time. The route rules (who may call, what body) are checked before a handler
// runs and are tested over HTTP in api_content_itest.cpp; these check what the handler itself
// decides.

#include "api_schedule_handlers.hpp"
#include "api_context_fixture.hpp"

#include "bantin/scheduler/json.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::controller;
using namespace bantin::testing;
namespace schedule = bantin::controller::api::schedule;

namespace {

class HandlerFixture : public ApiContextFixture {
public:
    HandlerFixture() : editor(add_user("lan", Role::Editor)), approver(add_user("minh", Role::Approver)) {}

    // A call by `user` with `body`, on a path whose first capture is `id`.
    api::Call call(const User& user, nlohmann::json body = nlohmann::json::object(),
                   const std::string& id = "") {
        return api::Call{.context = *context,
                         .user = as(user),
                         .body = std::move(body),
                         .path = {"", id},
                         .query = {},
                         .raw_body = {}};
    }

    std::vector<AuditEntry> audit() {
        auto rows = store->read_value<std::vector<AuditEntry>>([](StoreTransaction& transaction) {
            return transaction.list_audit(AuditFilter{}, Page{100, 0});
        });
        REQUIRE(rows);
        return *rows;
    }

    User editor;
    User approver;
};

}  // namespace

TEST_CASE_METHOD(HandlerFixture,
                 "zone handler: a new zone answers 201 and is audited, its id a second time 409",
                 "[api][handlers]") {
    auto first = call(editor, {{"id", "uyen-hung"}, {"name", "Phường Uyên Hưng"}});
    const auto created = schedule::create_zone(first);
    REQUIRE(created);
    CHECK(created->status == 201);
    CHECK(created->body["id"] == "uyen-hung");
    CHECK(created->body["name"] == "Phường Uyên Hưng");
    const auto entries = audit();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].action == "zone.create");
    CHECK(entries[0].entity_id == "uyen-hung");
    CHECK(entries[0].user_name == "lan");

    auto again = call(editor, {{"id", "uyen-hung"}, {"name", "Uyên Hưng"}});
    const auto refused = schedule::create_zone(again);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().status == 409);
    CHECK(audit().size() == 1);

    auto read = call(editor, nlohmann::json::object(), "uyen-hung");
    const auto shown = schedule::get_zone(read);
    REQUIRE(shown);
    CHECK(shown->body["name"] == "Phường Uyên Hưng");
}

TEST_CASE_METHOD(HandlerFixture,
                 "zone handler: every problem of a body is told in one 400 and nothing is stored",
                 "[api][handlers]") {
    auto bad = call(editor, {{"id", 7}, {"colour", "red"}});
    const auto refused = schedule::create_zone(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().status == 400);
    CHECK(refused.error().detail ==
          "colour: unknown field (id and name are accepted); id: expected a string, got number");

    auto bad_id = call(editor, {{"id", "uyên hưng"}});
    const auto invalid = schedule::create_zone(bad_id);
    REQUIRE_FALSE(invalid);
    CHECK(invalid.error().status == 422);
    CHECK(audit().empty());

    auto list = call(editor);
    const auto zones = schedule::list_zones(list);
    REQUIRE(zones);
    CHECK(zones->body["items"].empty());
}

TEST_CASE_METHOD(HandlerFixture,
                 "zone handler: an edit whose body names another zone is refused and changes nothing",
                 "[api][handlers]") {
    add_content("pl-1", "zone-1");
    auto other = call(editor, {{"id", "zone-2"}, {"name", "Tân Hiệp"}}, "zone-1");
    const auto refused = schedule::update_zone(other);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().status == 400);
    CHECK(refused.error().detail == "id: does not match the id in the path (\"zone-1\")");

    auto missing = call(editor, {{"name", "Tân Hiệp"}}, "zone-9");
    const auto not_found = schedule::update_zone(missing);
    REQUIRE_FALSE(not_found);
    CHECK(not_found.error().status == 404);

    auto rename = call(editor, {{"name", "Tân Hiệp"}}, "zone-1");
    const auto renamed = schedule::update_zone(rename);
    REQUIRE(renamed);
    CHECK(renamed->body["name"] == "Tân Hiệp");
    const auto entries = audit();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].action == "zone.edit");
}

TEST_CASE_METHOD(HandlerFixture, "zone handler: a page of zones says where the next one starts",
                 "[api][handlers]") {
    for (const char* id : {"zone-a", "zone-b", "zone-c"}) {
        auto create = call(editor, {{"id", id}});
        REQUIRE(schedule::create_zone(create));
    }
    auto first = call(editor);
    first.query = {{"limit", "2"}};
    const auto page = schedule::list_zones(first);
    REQUIRE(page);
    CHECK(page->body["items"].size() == 2);
    CHECK(page->body["items"][0]["name"] == "zone-a");
    REQUIRE(page->body["next_cursor"].is_string());

    auto next = call(editor);
    next.query = {{"limit", "2"}, {"cursor", page->body["next_cursor"].get<std::string>()}};
    const auto rest = schedule::list_zones(next);
    REQUIRE(rest);
    REQUIRE(rest->body["items"].size() == 1);
    CHECK(rest->body["items"][0]["id"] == "zone-c");
    CHECK(rest->body["next_cursor"].is_null());
}

TEST_CASE_METHOD(HandlerFixture,
                 "campaign handler: approval names the version reviewed, and only then is the publisher told",
                 "[api][handlers]") {
    add_content();
    auto create = call(editor, nlohmann::json(scheduler::to_json(campaign("c-1"))));
    const auto created = schedule::create_campaign(create);
    REQUIRE(created);
    CHECK(created->status == 201);
    CHECK(created->body["approval"] == "draft");

    auto submit = call(editor, nlohmann::json::object(), "c-1");
    const auto submitted = schedule::campaign_step(submit, schedule::Step::Submit);
    REQUIRE(submitted);
    CHECK(submitted->body["approval"] == "submitted");
    const auto version = submitted->body["version"].get<std::int64_t>();

    auto unnamed = call(approver, nlohmann::json::object(), "c-1");
    const auto refused = schedule::campaign_step(unnamed, schedule::Step::Approve);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().status == 400);
    CHECK(refused.error().detail.starts_with("version: required to approve or reject"));

    auto stale = call(approver, {{"version", version - 1}}, "c-1");
    const auto conflict = schedule::campaign_step(stale, schedule::Step::Approve);
    REQUIRE_FALSE(conflict);
    CHECK(conflict.error().status == 409);
    CHECK(changed_campaigns.empty());

    auto approve = call(approver, {{"version", version}, {"note", "Đã duyệt"}}, "c-1");
    const auto approved = schedule::campaign_step(approve, schedule::Step::Approve);
    REQUIRE(approved);
    CHECK(approved->body["approval"] == "approved");
    CHECK(changed_campaigns == std::vector<std::string>{"c-1"});
}

TEST_CASE_METHOD(HandlerFixture,
                 "campaign handler: a body the scheduler cannot read is a 400 naming the field",
                 "[api][handlers]") {
    add_content();
    auto json = nlohmann::json(scheduler::to_json(campaign("c-2")));
    json["rank"] = "high";
    auto create = call(editor, json);
    const auto refused = schedule::create_campaign(create);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().status == 400);
    CHECK(refused.error().detail.find("rank") != std::string::npos);
}
