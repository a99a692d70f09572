#pragma once
// Builds the scheduler's Model from what the controller stores: the input of preview,
// conflicts, reports and the bundle builder, so all of them see the same data.
//
// Lifecycle: a plain function; it reads everything in one read transaction, so the model is a
// consistent snapshot. Threads: any (the Store serialises). Errors: the store's.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/scheduler/model.hpp"

#include <optional>

namespace bantin::controller {

enum class CampaignSelection {
    Approved,     // what devices get: approved campaigns only
    NotArchived,  // preview and conflicts for people: drafts, submitted, approved, rejected
};

enum class RevokedDevices { Exclude, Include };

struct ModelOptions {
    CampaignSelection campaigns = CampaignSelection::Approved;
    RevokedDevices revoked = RevokedDevices::Exclude;
    // When set, alerts active at this instant (not cancelled, not expired) are included.
    std::optional<TimePoint> active_alerts_at;
};

Result<scheduler::Model> build_model(Store& store, const ModelOptions& options = {});

}  // namespace bantin::controller
