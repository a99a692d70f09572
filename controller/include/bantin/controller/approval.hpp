#pragma once
// The approval workflow for campaigns, as a service over the Store.
//
//   draft --submit--> submitted --approve--> approved --archive--> archived
//                         |                                          ^
//                         +----reject----> rejected ---archive-------+
//                                             |
//                                             +--edit--> draft
//
// Editors (and admins) create, edit and submit; approvers (and admins) approve and reject;
// editors, approvers and admins archive. Only drafts and rejected campaigns can be edited; an
// approved campaign is changed by archiving it and creating a new one. The two-person rule:
// whoever created, last edited or submitted a campaign cannot approve or reject it, whatever
// their role (the database's CHECK constraint enforces it again). Every operation names the
// version it acted on, so two people editing at once get a Conflict instead of a lost update.
// Every change writes an audit row (who, when, action, before and after JSON) in the same
// transaction as the change.
//
// Lifecycle: construct over a Store and a Clock that outlive it. Threads: any. Errors:
// PermissionDenied (role or two-person rule), NotFound, Conflict (wrong state, stale version,
// missing playlist), InvalidInput (bad id, missing reject reason), AlreadyExists (id taken).

#include "bantin/common/clock.hpp"
#include "bantin/controller/records.hpp"
#include "bantin/controller/store.hpp"

#include <string>
#include <string_view>

namespace bantin::controller {

class ApprovalService {
public:
    ApprovalService(Store& store, const Clock& clock) : m_store(store), m_clock(clock) {}

    // Stores a new draft; campaign.approval is ignored (always Draft).
    Result<CampaignRecord> create(const User& actor, scheduler::Campaign campaign);
    // Replaces the content of a draft, rejected or approved campaign; the result is a draft. An
    // approved campaign's edit is a new version: the approved one is kept in
    // CampaignRecord::approved and plays until the new version is approved (dropped then, and
    // on archive).
    Result<CampaignRecord> edit(const User& actor, scheduler::Campaign campaign,
                                std::int64_t expected_version);
    Result<CampaignRecord> submit(const User& actor, std::string_view id, std::int64_t expected_version);
    // The approved version replaces any kept approved version.
    Result<CampaignRecord> approve(const User& actor, std::string_view id, std::int64_t expected_version,
                                   std::string_view note = {});
    // A reason is required: the author needs to know what to change.
    Result<CampaignRecord> reject(const User& actor, std::string_view id, std::int64_t expected_version,
                                  std::string_view reason);
    // Approved or rejected campaigns, and any not archived that keep an approved version.
    Result<CampaignRecord> archive(const User& actor, std::string_view id, std::int64_t expected_version);

private:
    Store& m_store;
    const Clock& m_clock;
};

// Identifiers shared with the scheduler: [A-Za-z0-9._-], 1..64 characters.
Result<void> check_identifier(std::string_view id, std::string_view what);

}  // namespace bantin::controller
