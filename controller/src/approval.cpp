#include "bantin/controller/approval.hpp"

#include "bantin/controller/record_json.hpp"
#include "bantin/controller/roles.hpp"

#include <functional>

namespace bantin::controller {

namespace {

using scheduler::ApprovalState;

std::string state_name(ApprovalState state) {
    switch (state) {
        case ApprovalState::Draft: return "draft";
        case ApprovalState::Submitted: return "submitted";
        case ApprovalState::Approved: return "approved";
        case ApprovalState::Rejected: return "rejected";
        case ApprovalState::Archived: return "archived";
    }
    return "unknown";
}

AuditEntry campaign_audit(const User& actor, std::string action, const std::optional<CampaignRecord>& before,
                          const CampaignRecord& after, TimePoint at) {
    AuditEntry entry;
    entry.user = actor.id;
    entry.user_name = actor.name;
    entry.at = at;
    entry.action = std::move(action);
    entry.entity_type = "campaign";
    entry.entity_id = after.campaign.id;
    if (before)
        entry.before = to_json(*before).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    entry.after = to_json(after).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return entry;
}

Result<void> check_version(const CampaignRecord& record, std::int64_t expected_version) {
    if (record.version != expected_version) {
        return fail(Errc::Conflict, "campaign \"" + record.campaign.id +
                                        "\" was changed meanwhile (version " +
                                        std::to_string(record.version) + ", acted on version " +
                                        std::to_string(expected_version) + ")");
    }
    return {};
}

Result<void> check_state(const CampaignRecord& record, std::initializer_list<ApprovalState> allowed_states,
                         std::string_view verb) {
    for (auto state : allowed_states) {
        if (record.campaign.approval == state)
            return {};
    }
    return fail(Errc::Conflict, "campaign \"" + record.campaign.id + "\" is " +
                                    state_name(record.campaign.approval) + "; cannot " + std::string{verb} +
                                    " it");
}

Result<void> check_second_person(const User& actor, const CampaignRecord& record) {
    auto same = [&](const std::optional<UserId>& id) { return id && *id == actor.id; };
    if (actor.id == record.author || same(record.last_editor) || same(record.submitted_by)) {
        return fail(Errc::PermissionDenied, "user \"" + actor.name + "\" wrote or submitted campaign \"" +
                                                record.campaign.id +
                                                "\"; another person must decide on it (two-person rule)");
    }
    return {};
}

}  // namespace

Result<void> check_identifier(std::string_view id, std::string_view what) {
    if (id.empty() || id.size() > 64)
        return fail(Errc::InvalidInput, std::string{what} + " id: 1 to 64 characters");
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok) {
            return fail(Errc::InvalidInput,
                        std::string{what} + " id \"" + std::string{id} + "\": only letters, digits, . _ -");
        }
    }
    return {};
}

Result<CampaignRecord> ApprovalService::create(const User& actor, scheduler::Campaign campaign) {
    if (auto ok = require(actor, Action::EditContent); !ok)
        return std::unexpected(ok.error());
    if (auto ok = check_identifier(campaign.id, "campaign"); !ok)
        return std::unexpected(ok.error());
    const TimePoint now = m_clock.wall();
    campaign.approval = ApprovalState::Draft;
    CampaignRecord record;
    record.campaign = std::move(campaign);
    record.author = actor.id;
    record.created = now;
    record.updated = now;
    record.version = 1;
    return m_store.write_value<CampaignRecord>([&](StoreTransaction& transaction) -> Result<CampaignRecord> {
        if (auto inserted = transaction.insert_campaign(record); !inserted)
            return std::unexpected(inserted.error());
        auto audited =
            transaction.append_audit(campaign_audit(actor, "campaign.create", std::nullopt, record, now));
        if (!audited)
            return std::unexpected(audited.error());
        return record;
    });
}

// The shape every state change shares: load, check, change, store with the version check, audit.
namespace {

Result<CampaignRecord> change_campaign(Store& store, const User& actor, std::string_view id,
                                       std::int64_t expected_version, const std::string& action,
                                       TimePoint now,
                                       const std::function<Result<void>(CampaignRecord&)>& change) {
    return store.write_value<CampaignRecord>([&](StoreTransaction& transaction) -> Result<CampaignRecord> {
        auto before = transaction.campaign_by_id(id);
        if (!before)
            return before;
        if (auto ok = check_version(*before, expected_version); !ok)
            return std::unexpected(ok.error());
        CampaignRecord after = *before;
        if (auto changed = change(after); !changed)
            return std::unexpected(changed.error());
        after.updated = now;
        auto stored = transaction.update_campaign(after, expected_version);
        if (!stored)
            return stored;
        auto audited = transaction.append_audit(campaign_audit(actor, action, *before, *stored, now));
        if (!audited)
            return std::unexpected(audited.error());
        return stored;
    });
}

}  // namespace

Result<CampaignRecord> ApprovalService::edit(const User& actor, scheduler::Campaign campaign,
                                             std::int64_t expected_version) {
    if (auto ok = require(actor, Action::EditContent); !ok)
        return std::unexpected(ok.error());
    const TimePoint now = m_clock.wall();
    std::string id = campaign.id;
    return change_campaign(
        m_store, actor, id, expected_version, "campaign.edit", now,
        [&](CampaignRecord& record) -> Result<void> {
            if (auto ok = check_state(
                    record, {ApprovalState::Draft, ApprovalState::Rejected, ApprovalState::Approved}, "edit");
                !ok) {
                return ok;
            }
            // An approved campaign edited: the edit is a new version that needs approval again,
            // and the approved version is kept to play until then (docs/api.md).
            if (record.campaign.approval == ApprovalState::Approved) {
                ApprovedVersion approved;
                approved.campaign = record.campaign;
                approved.version = record.version;
                approved.decided_by = record.decided_by;
                approved.decided = record.decided;
                approved.decision_note = record.decision_note;
                record.approved = std::move(approved);
                record.decision_note.clear();
            }
            campaign.approval = ApprovalState::Draft;
            record.campaign = std::move(campaign);
            record.last_editor = actor.id;
            // A fresh draft: the earlier submission and decision no longer apply.
            record.submitted_by.reset();
            record.submitted.reset();
            record.decided_by.reset();
            record.decided.reset();
            return {};
        });
}

Result<CampaignRecord> ApprovalService::submit(const User& actor, std::string_view id,
                                               std::int64_t expected_version) {
    if (auto ok = require(actor, Action::EditContent); !ok)
        return std::unexpected(ok.error());
    const TimePoint now = m_clock.wall();
    return change_campaign(m_store, actor, id, expected_version, "campaign.submit", now,
                           [&](CampaignRecord& record) -> Result<void> {
                               if (auto ok = check_state(record, {ApprovalState::Draft}, "submit"); !ok)
                                   return ok;
                               record.campaign.approval = ApprovalState::Submitted;
                               record.submitted_by = actor.id;
                               record.submitted = now;
                               record.decision_note.clear();
                               return {};
                           });
}

Result<CampaignRecord> ApprovalService::approve(const User& actor, std::string_view id,
                                                std::int64_t expected_version, std::string_view note) {
    if (auto ok = require(actor, Action::DecideContent); !ok)
        return std::unexpected(ok.error());
    const TimePoint now = m_clock.wall();
    return change_campaign(m_store, actor, id, expected_version, "campaign.approve", now,
                           [&](CampaignRecord& record) -> Result<void> {
                               if (auto ok = check_state(record, {ApprovalState::Submitted}, "approve");
                                   !ok) {
                                   return ok;
                               }
                               if (auto ok = check_second_person(actor, record); !ok)
                                   return ok;
                               record.campaign.approval = ApprovalState::Approved;
                               // The new version replaces the one that played meanwhile.
                               record.approved.reset();
                               record.decided_by = actor.id;
                               record.decided = now;
                               record.decision_note = std::string{note};
                               return {};
                           });
}

Result<CampaignRecord> ApprovalService::reject(const User& actor, std::string_view id,
                                               std::int64_t expected_version, std::string_view reason) {
    if (auto ok = require(actor, Action::DecideContent); !ok)
        return std::unexpected(ok.error());
    if (reason.empty())
        return fail(Errc::InvalidInput, "reason: a rejection needs a reason");
    const TimePoint now = m_clock.wall();
    return change_campaign(m_store, actor, id, expected_version, "campaign.reject", now,
                           [&](CampaignRecord& record) -> Result<void> {
                               if (auto ok = check_state(record, {ApprovalState::Submitted}, "reject"); !ok) {
                                   return ok;
                               }
                               if (auto ok = check_second_person(actor, record); !ok)
                                   return ok;
                               record.campaign.approval = ApprovalState::Rejected;
                               record.decided_by = actor.id;
                               record.decided = now;
                               record.decision_note = std::string{reason};
                               return {};
                           });
}

Result<CampaignRecord> ApprovalService::archive(const User& actor, std::string_view id,
                                                std::int64_t expected_version) {
    if (auto ok = require(actor, Action::ArchiveContent); !ok)
        return std::unexpected(ok.error());
    const TimePoint now = m_clock.wall();
    return change_campaign(
        m_store, actor, id, expected_version, "campaign.archive", now,
        [&](CampaignRecord& record) -> Result<void> {
            // A campaign with an approved version still playing may be archived in any state: it
            // stops playing.
            if (!record.approved) {
                if (auto ok =
                        check_state(record, {ApprovalState::Approved, ApprovalState::Rejected}, "archive");
                    !ok) {
                    return ok;
                }
            } else if (auto ok = check_state(
                           record, {ApprovalState::Draft, ApprovalState::Submitted, ApprovalState::Rejected},
                           "archive");
                       !ok) {
                return ok;
            }
            record.approved.reset();
            record.campaign.approval = ApprovalState::Archived;
            record.archived = now;
            return {};
        });
}

}  // namespace bantin::controller
