#include "bantin/controller/approval.hpp"
#include "bantin/controller/bundle_builder.hpp"
#include "bantin/controller/model_builder.hpp"

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
    auto archived = fixture.service.archive(fixture.editor, "c-1", approved->version);
    REQUIRE(archived);
    auto edit_archived =
        fixture.service.edit(fixture.editor, StoreFixture::campaign("c-1"), archived->version);
    REQUIRE_FALSE(edit_archived);
    CHECK(edit_archived.error().code == Errc::Conflict);
    CHECK_THAT(edit_archived.error().detail, Catch::Contains("is archived; cannot edit"));
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

namespace {

// What devices get of campaign `id`: its entry in the approved model and in the bundle inputs
// (both must agree), or nullopt when it plays nowhere.
std::optional<scheduler::Campaign> playing_campaign(ApprovalFixture& fixture, const std::string& id) {
    auto model = build_model(*fixture.store, ModelOptions{});
    REQUIRE(model);
    auto inputs = fixture.store->read_value<BundleInputs>(
        [&](StoreTransaction& transaction) { return load_bundle_inputs(transaction, fixture.clock.wall()); });
    REQUIRE(inputs);
    std::optional<scheduler::Campaign> in_model;
    for (const auto& campaign : model->campaigns)
        if (campaign.id == id)
            in_model = campaign;
    std::optional<scheduler::Campaign> in_bundle;
    for (const auto& campaign : inputs->campaigns)
        if (campaign.id == id)
            in_bundle = campaign;
    CHECK(in_model == in_bundle);
    return in_model;
}

CampaignRecord approved_campaign(ApprovalFixture& fixture, const std::string& id, const std::string& name) {
    auto campaign = StoreFixture::campaign(id);
    campaign.name = name;
    auto created = fixture.service.create(fixture.editor, campaign);
    REQUIRE(created);
    auto sent = fixture.service.submit(fixture.editor, id, created->version);
    REQUIRE(sent);
    auto approved = fixture.service.approve(fixture.approver, id, sent->version, "ok");
    REQUIRE(approved);
    return *approved;
}

}  // namespace

TEST_CASE("an edit of an approved campaign is a new version and the approved one plays until it is approved",
          "[controller][approval][versions]") {
    ApprovalFixture fixture;
    auto approved = approved_campaign(fixture, "c-1", "Bản tin sáng");
    REQUIRE(playing_campaign(fixture, "c-1"));
    CHECK(playing_campaign(fixture, "c-1")->name == "Bản tin sáng");

    auto changed = StoreFixture::campaign("c-1");
    changed.name = "Bản tin sáng (sửa)";
    changed.rank = 5;
    fixture.clock.advance(std::chrono::minutes{1});
    auto edited = fixture.service.edit(fixture.second_editor, changed, approved.version);
    REQUIRE(edited);
    CHECK(edited->campaign.approval == ApprovalState::Draft);
    CHECK(edited->version == approved.version + 1);
    CHECK(edited->campaign.name == "Bản tin sáng (sửa)");
    REQUIRE(edited->approved);
    CHECK(edited->approved->version == approved.version);
    CHECK(edited->approved->campaign.name == "Bản tin sáng");
    CHECK(edited->approved->decided_by == fixture.approver.id);
    CHECK(edited->approved->decision_note == "ok");

    // Devices still get the approved version, and the stored row reads back the same.
    auto playing = playing_campaign(fixture, "c-1");
    REQUIRE(playing);
    CHECK(playing->name == "Bản tin sáng");
    CHECK(playing->rank == 0);
    CHECK(playing->approval == ApprovalState::Approved);
    auto stored = fixture.store->read_value<CampaignRecord>(
        [](StoreTransaction& transaction) { return transaction.campaign_by_id("c-1"); });
    REQUIRE(stored);
    CHECK(*stored == *edited);

    // Submitted, still the old one; the editor of the new version may not approve it.
    auto sent = fixture.service.submit(fixture.second_editor, "c-1", edited->version);
    REQUIRE(sent);
    CHECK(playing_campaign(fixture, "c-1")->name == "Bản tin sáng");
    auto self = fixture.service.approve(fixture.second_editor, "c-1", sent->version);
    REQUIRE_FALSE(self);

    // Approved: the new version plays and the kept one is gone.
    auto second = fixture.service.approve(fixture.approver, "c-1", sent->version);
    REQUIRE(second);
    CHECK_FALSE(second->approved);
    playing = playing_campaign(fixture, "c-1");
    REQUIRE(playing);
    CHECK(playing->name == "Bản tin sáng (sửa)");
    CHECK(playing->rank == 5);
}

TEST_CASE("a rejected new version leaves the approved one playing, and edits keep it",
          "[controller][approval][versions]") {
    ApprovalFixture fixture;
    auto approved = approved_campaign(fixture, "c-1", "Cũ");
    auto changed = StoreFixture::campaign("c-1");
    changed.name = "Mới";
    auto edited = fixture.service.edit(fixture.editor, changed, approved.version);
    REQUIRE(edited);
    auto sent = fixture.service.submit(fixture.editor, "c-1", edited->version);
    REQUIRE(sent);
    auto rejected = fixture.service.reject(fixture.approver, "c-1", sent->version, "sai chính tả");
    REQUIRE(rejected);
    REQUIRE(rejected->approved);
    CHECK(playing_campaign(fixture, "c-1")->name == "Cũ");

    changed.name = "Mới hơn";
    auto again = fixture.service.edit(fixture.editor, changed, rejected->version);
    REQUIRE(again);
    REQUIRE(again->approved);
    CHECK(again->approved->version == approved.version);
    CHECK(again->approved->campaign.name == "Cũ");
    CHECK(playing_campaign(fixture, "c-1")->name == "Cũ");

    // The list of approved campaigns answers the version that plays.
    CampaignFilter filter;
    filter.approval = ApprovalState::Approved;
    auto listed = fixture.store->read_value<std::vector<CampaignRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_campaigns(filter, {}); });
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().campaign.name == "Cũ");
    CHECK(listed->front().version == approved.version);
    CHECK_FALSE(listed->front().approved);
}

TEST_CASE("archiving a campaign whose new version awaits approval stops the approved one too",
          "[controller][approval][versions]") {
    ApprovalFixture fixture;
    auto approved = approved_campaign(fixture, "c-1", "Cũ");
    auto edited = fixture.service.edit(fixture.editor, StoreFixture::campaign("c-1"), approved.version);
    REQUIRE(edited);
    auto sent = fixture.service.submit(fixture.editor, "c-1", edited->version);
    REQUIRE(sent);
    auto archived = fixture.service.archive(fixture.editor, "c-1", sent->version);
    REQUIRE(archived);
    CHECK(archived->campaign.approval == ApprovalState::Archived);
    CHECK_FALSE(archived->approved);
    CHECK_FALSE(playing_campaign(fixture, "c-1"));
}
