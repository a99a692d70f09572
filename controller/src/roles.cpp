#include "bantin/controller/roles.hpp"

namespace bantin::controller {

std::string_view to_string(Action action) {
    switch (action) {
        case Action::Read: return "read";
        case Action::EditContent: return "edit content";
        case Action::DecideContent: return "approve or reject campaigns";
        case Action::ArchiveContent: return "archive campaigns";
        case Action::ManageDevices: return "manage devices";
        case Action::ManageAlerts: return "manage alerts";
        case Action::ManageUsers: return "manage users";
    }
    return "unknown action";
}

bool allowed(Role role, Action action) {
    if (role == Role::Admin || action == Action::Read)
        return true;
    switch (action) {
        case Action::EditContent: return role == Role::Editor;
        case Action::DecideContent: return role == Role::Approver;
        case Action::ArchiveContent: return role == Role::Editor || role == Role::Approver;
        case Action::ManageDevices:
        case Action::ManageAlerts: return role == Role::Operator;
        case Action::ManageUsers:
        case Action::Read: return false;
    }
    return false;
}

Result<void> require(const User& user, Action action) {
    if (user.disabled)
        return fail(Errc::PermissionDenied, "user \"" + user.name + "\" is disabled");
    if (!allowed(user.role, action)) {
        return fail(Errc::PermissionDenied, "user \"" + user.name + "\" (" +
                                                std::string{to_string(user.role)} + ") may not " +
                                                std::string{to_string(action)});
    }
    return {};
}

}  // namespace bantin::controller
