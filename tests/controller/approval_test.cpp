#include "bantin/controller/approval.hpp"

#include "store_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::StoreFixture;
using scheduler::ApprovalState;

namespace {

struct ApprovalFixture : StoreFixture {
    ApprovalFixture() {
        add_content();
        editor = add_user("lan", Role::Editor);
        second_editor = add_user("hoa", Role::Editor);
        approver = add_user("minh", Role::Approver);
        operator_user = add_user("tuan", Role::Operator);
        admin = add_user("admin", Role::Admin);
    }

    CampaignRecord submitted(const std::string& id) {
        auto created = service.create(editor, campaign(id));
        REQUIRE(created);
        auto sent = service.submit(editor, id, created->version);
        REQUIRE(sent);
        return *sent;
    }

    std::vector<AuditEntry> audit_of(const std::string& id) {
        auto entries = store->read_value<std::vector<AuditEntry>>([&](StoreTransaction& transaction) {
            return transaction.list_audit({"campaign", id, std::nullopt}, {});
        });
        REQUIRE(entries);
        return *entries;
    }

    User editor, second_editor, approver, operator_user, admin;
    ApprovalService service{*store, clock};
};

}  // namespace

TEST_CASE("a campaign goes draft, submitted, approved, archived", "[controller][approval]") {
    ApprovalFixture fixture;
    auto created = fixture.service.create(fixture.editor, StoreFixture::campaign("c-1"));
    REQUIRE(created);
    CHECK(created->campaign.approval == ApprovalState::Draft);
    CHECK(created->author == fixture.editor.id);
    CHECK(created->version == 1);

    fixture.clock.advance(std::chrono::minutes{5});
    auto submitted = fixture.service.submit(fixture.editor, "c-1", 1);
    REQUIRE(submitted);
    CHECK(submitted->campaign.approval == ApprovalState::Submitted);
    CHECK(submitted->submitted == fixture.clock.wall());
    CHECK(submitted->version == 2);

    fixture.clock.advance(std::chrono::minutes{5});
    auto approved = fixture.service.approve(fixture.approver, "c-1", 2);
    REQUIRE(approved);
    CHECK(approved->campaign.approval == ApprovalState::Approved);
    CHECK(approved->decided_by == fixture.approver.id);
    CHECK(approved->decided == fixture.clock.wall());

    auto archived = fixture.service.archive(fixture.editor, "c-1", 3);
    REQUIRE(archived);
    CHECK(archived->campaign.approval == ApprovalState::Archived);
    CHECK(archived->version == 4);
}

TEST_CASE("every change writes an audit row with before and after", "[controller][approval][audit]") {
    ApprovalFixture fixture;
    auto record = fixture.submitted("c-1");
    REQUIRE(fixture.service.approve(fixture.approver, "c-1", record.version));

    auto entries = fixture.audit_of("c-1");  // newest first
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].action == "campaign.approve");
    CHECK(entries[0].user == fixture.approver.id);
    CHECK(entries[0].user_name == "minh");
    CHECK(entries[0].at == fixture.clock.wall());
    CHECK(nlohmann::json::parse(entries[0].before)["approval"] == "submitted");
    CHECK(nlohmann::json::parse(entries[0].after)["approval"] == "approved");
    CHECK(entries[1].action == "campaign.submit");
    CHECK(entries[2].action == "campaign.create");
    CHECK(entries[2].before.empty());
    CHECK(nlohmann::json::parse(entries[2].after)["id"] == "c-1");
}

TEST_CASE("the author cannot approve their own campaign, even as admin",
          "[controller][approval][two-person]") {
    ApprovalFixture fixture;
    auto created = fixture.service.create(fixture.admin, StoreFixture::campaign("c-1"));
    REQUIRE(created);
    auto submitted = fixture.service.submit(fixture.admin, "c-1", created->version);
    REQUIRE(submitted);
    auto approved = fixture.service.approve(fixture.admin, "c-1", submitted->version);
    REQUIRE_FALSE(approved);
    CHECK(approved.error().code == Errc::PermissionDenied);
    CHECK_THAT(approved.error().detail, Catch::Contains("two-person rule"));

    // Nothing changed, and nothing was audited for the refused attempt.
    CHECK(fixture.audit_of("c-1").size() == 2);
    REQUIRE(fixture.service.approve(fixture.approver, "c-1", submitted->version));
}

TEST_CASE("whoever last edited a campaign cannot approve it", "[controller][approval][two-person]") {
    ApprovalFixture fixture;
    auto created = fixture.service.create(fixture.editor, StoreFixture::campaign("c-1"));
    REQUIRE(created);
    auto changed = StoreFixture::campaign("c-1");
    changed.name = "Edited by the admin";
    auto edited = fixture.service.edit(fixture.admin, changed, created->version);
    REQUIRE(edited);
    auto submitted = fixture.service.submit(fixture.editor, "c-1", edited->version);
    REQUIRE(submitted);
    auto approved = fixture.service.approve(fixture.admin, "c-1", submitted->version);
    REQUIRE_FALSE(approved);
    CHECK(approved.error().code == Errc::PermissionDenied);
}

TEST_CASE("the database refuses a self-decided campaign even past the service",
          "[controller][approval][two-person]") {
    ApprovalFixture fixture;
    auto record = fixture.submitted("c-1");
    record.campaign.approval = ApprovalState::Approved;
    record.decided_by = fixture.editor.id;  // the author
    auto stored = fixture.store->write_value<CampaignRecord>(
        [&](StoreTransaction& transaction) { return transaction.update_campaign(record, record.version); });
    REQUIRE_FALSE(stored);
    CHECK(stored.error().code == Errc::PermissionDenied);
}

TEST_CASE("roles are checked for each step", "[controller][approval][roles]") {
    ApprovalFixture fixture;
    SECTION("an approver cannot create") {
        auto created = fixture.service.create(fixture.approver, StoreFixture::campaign("c-1"));
        REQUIRE_FALSE(created);
        CHECK(created.error().code == Errc::PermissionDenied);
    }
    SECTION("an operator cannot create or edit") {
        auto created = fixture.service.create(fixture.operator_user, StoreFixture::campaign("c-1"));
        REQUIRE_FALSE(created);
        CHECK(created.error().code == Errc::PermissionDenied);
        CHECK_THAT(created.error().detail, Catch::Contains("(operator) may not edit content"));
    }
    SECTION("an editor cannot approve another editor's campaign") {
        auto record = fixture.submitted("c-1");
        auto approved = fixture.service.approve(fixture.second_editor, "c-1", record.version);
        REQUIRE_FALSE(approved);
        CHECK(approved.error().code == Errc::PermissionDenied);
    }
    SECTION("a disabled approver cannot approve") {
        auto record = fixture.submitted("c-1");
        User disabled = fixture.approver;
        disabled.disabled = true;
        auto approved = fixture.service.approve(disabled, "c-1", record.version);
        REQUIRE_FALSE(approved);
        CHECK(approved.error().code == Errc::PermissionDenied);
    }
}

TEST_CASE("a rejected campaign needs a reason and goes back to draft on edit", "[controller][approval]") {
    ApprovalFixture fixture;
    auto record = fixture.submitted("c-1");
    auto without_reason = fixture.service.reject(fixture.approver, "c-1", record.version, "");
    REQUIRE_FALSE(without_reason);
    CHECK(without_reason.error().code == Errc::InvalidInput);

    auto rejected = fixture.service.reject(fixture.approver, "c-1", record.version, "sai chính tả");
    REQUIRE(rejected);
    CHECK(rejected->campaign.approval == ApprovalState::Rejected);
    CHECK(rejected->decision_note == "sai chính tả");

    auto fixed = StoreFixture::campaign("c-1");
    fixed.name = "Fixed";
    auto edited = fixture.service.edit(fixture.editor, fixed, rejected->version);
    REQUIRE(edited);
    CHECK(edited->campaign.approval == ApprovalState::Draft);
    CHECK(edited->campaign.name == "Fixed");
    CHECK_FALSE(edited->decided_by.has_value());
    CHECK(edited->last_editor == fixture.editor.id);
}

TEST_CASE("state rules: only allowed transitions happen", "[controller][approval]") {
    ApprovalFixture fixture;
    auto created = fixture.service.create(fixture.editor, StoreFixture::campaign("c-1"));
    REQUIRE(created);

    auto approve_draft = fixture.service.approve(fixture.approver, "c-1", created->version);
    REQUIRE_FALSE(approve_draft);
    CHECK(approve_draft.error().code == Errc::Conflict);
    CHECK_THAT(approve_draft.error().detail, Catch::Contains("is draft; cannot approve"));

    auto archive_draft = fixture.service.archive(fixture.editor, "c-1", created->version);
    REQUIRE_FALSE(archive_draft);
    CHECK(archive_draft.error().code == Errc::Conflict);

    auto submitted = fixture.service.submit(fixture.editor, "c-1", created->version);
    REQUIRE(submitted);
    auto edit_submitted =
        fixture.service.edit(fixture.editor, StoreFixture::campaign("c-1"), submitted->version);
    REQUIRE_FALSE(edit_submitted);
    CHECK(edit_submitted.error().code == Errc::Conflict);

    auto approved = fixture.service.approve(fixture.approver, "c-1", submitted->version);
    REQUIRE(approved);
    auto edit_approved =
        fixture.service.edit(fixture.editor, StoreFixture::campaign("c-1"), approved->version);
    REQUIRE_FALSE(edit_approved);
    CHECK(edit_approved.error().code == Errc::Conflict);
    CHECK_THAT(edit_approved.error().detail, Catch::Contains("is approved; cannot edit"));
}

TEST_CASE("acting on a stale version is a conflict, not a lost update", "[controller][approval]") {
    ApprovalFixture fixture;
    auto created = fixture.service.create(fixture.editor, StoreFixture::campaign("c-1"));
    REQUIRE(created);
    auto first = StoreFixture::campaign("c-1");
    first.name = "first";
    REQUIRE(fixture.service.edit(fixture.editor, first, created->version));
    auto second = StoreFixture::campaign("c-1");
    second.name = "second";
    auto stale = fixture.service.edit(fixture.second_editor, second, created->version);
    REQUIRE_FALSE(stale);
    CHECK(stale.error().code == Errc::Conflict);
    CHECK_THAT(stale.error().detail, Catch::Contains("changed meanwhile"));
}

TEST_CASE("creating needs an existing playlist and a new, valid id", "[controller][approval]") {
    ApprovalFixture fixture;
    auto missing = fixture.service.create(fixture.editor, StoreFixture::campaign("c-1", "no-such-playlist"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::Conflict);
    CHECK_THAT(missing.error().detail, Catch::Contains("no-such-playlist"));

    auto bad_id = fixture.service.create(fixture.editor, StoreFixture::campaign("../etc"));
    REQUIRE_FALSE(bad_id);
    CHECK(bad_id.error().code == Errc::InvalidInput);

    REQUIRE(fixture.service.create(fixture.editor, StoreFixture::campaign("c-1")));
    auto duplicate = fixture.service.create(fixture.editor, StoreFixture::campaign("c-1"));
    REQUIRE_FALSE(duplicate);
    CHECK(duplicate.error().code == Errc::AlreadyExists);
    CHECK(fixture.audit_of("c-1").size() == 1);
}
