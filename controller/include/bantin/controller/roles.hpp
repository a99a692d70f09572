#pragma once
// What each role may do. One table, checked by the services (auth, approval) and by the HTTP
// layer before it calls them. Pure functions; any thread.
//
//   editor   : content (media, notices, playlists, campaigns: create, edit, submit, archive)
//   approver : decide on submitted campaigns (approve, reject), archive
//   operator : devices, zones and alerts
//   admin    : all of the above and users
// Everyone signed in may read. The two-person rule is separate: no role lets a person approve
// what they wrote (approval.hpp).

#include "bantin/common/error.hpp"
#include "bantin/controller/records.hpp"

#include <string_view>

namespace bantin::controller {

enum class Action {
    Read,
    EditContent,     // media, notices, playlists; create, edit and submit campaigns
    DecideContent,   // approve or reject a submitted campaign
    ArchiveContent,  // retire an approved or rejected campaign
    ManageDevices,   // register, configure, revoke devices; zones
    ManageAlerts,    // raise, confirm and cancel alerts
    ManageUsers,
};
std::string_view to_string(Action action);

bool allowed(Role role, Action action);

// PermissionDenied naming the user, their role and the action when not allowed; also refuses
// disabled users.
Result<void> require(const User& user, Action action);

}  // namespace bantin::controller
