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

#include <map>
#include <optional>
#include <string>

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

// Since when each part of a model was in force, read with it: a device since it was registered,
// a campaign since it was approved (its last decision). Reports plan only from these instants.
struct ModelInstants {
    std::map<std::string, TimePoint, std::less<>> device_registered;
    std::map<std::string, TimePoint, std::less<>> campaign_approved;
};

// `instants`, when given, is filled for the devices and approved campaigns of the model.
Result<scheduler::Model> build_model(Store& store, const ModelOptions& options = {},
                                     ModelInstants* instants = nullptr);

}  // namespace bantin::controller
