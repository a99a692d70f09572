#include "names.hpp"

#include <array>
#include <cstdio>
#include <utility>

namespace bantin::controller {

namespace {

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
    for (const auto& [candidate, name] : table) {
        if (candidate == value)
            return name;
    }
    return "unknown";
}

template <class E, std::size_t N>
Result<E> parse_name(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view text,
                     std::string_view what) {
    for (const auto& [candidate, name] : table) {
        if (name == text)
            return candidate;
    }
    std::string expected;
    for (const auto& entry : table) {
        if (!expected.empty())
            expected += ", ";
        expected += entry.second;
    }
    return fail(Errc::InvalidInput, std::string{what} + ": unknown value \"" + std::string{text} +
                                        "\" (expected " + expected + ")");
}

using namespace scheduler;

// The store spells two modes with hyphens (its CHECK constraint, migration 1), the model and
// the wire with underscores (scheduler::mode_names): this table is the store's own.
constexpr std::array<std::pair<Mode, std::string_view>, 3> modes{
    {{Mode::Loop, "loop"}, {Mode::FixedTime, "fixed-time"}, {Mode::ShareOfVoice, "share-of-voice"}}};
constexpr std::array<std::pair<SettingChangeState, std::string_view>, 3> setting_change_states{{
    {SettingChangeState::Pending, "pending"},
    {SettingChangeState::Confirmed, "confirmed"},
    {SettingChangeState::Cancelled, "cancelled"},
}};
constexpr std::array<std::pair<AlertState, std::string_view>, 3> alert_states{
    {{AlertState::AwaitingConfirmation, "awaiting-confirmation"},
     {AlertState::Sent, "sent"},
     {AlertState::Cancelled, "cancelled"}}};
constexpr std::array<std::pair<Role, std::string_view>, 4> roles{{{Role::Editor, "editor"},
                                                                  {Role::Approver, "approver"},
                                                                  {Role::Operator, "operator"},
                                                                  {Role::Admin, "admin"}}};

}  // namespace

std::string_view to_string(Role role) {
    return name_of(roles, role);
}
Result<Role> parse_role(std::string_view text) {
    return parse_name(roles, text, "role");
}
std::string_view to_string(SettingChangeState state) {
    return name_of(setting_change_states, state);
}

std::string_view to_string(AlertState state) {
    return name_of(alert_states, state);
}

namespace names {

std::string_view of(DeviceKind value) {
    return name_of(device_kind_names, value);
}
std::string_view of(MediaType value) {
    return name_of(media_type_names, value);
}
std::string_view of(Level value) {
    return name_of(level_names, value);
}
std::string_view of(Mode value) {
    return name_of(modes, value);
}
std::string_view of(ApprovalState value) {
    return name_of(approval_state_names, value);
}
std::string_view of(Severity value) {
    return name_of(severity_names, value);
}
std::string_view of(AlertStatus value) {
    return name_of(alert_status_names, value);
}
std::string_view of(Region value) {
    return name_of(region_names, value);
}
Result<Region> region(std::string_view text) {
    return parse_name(region_names, text, "region");
}

Result<DeviceKind> device_kind(std::string_view text) {
    return parse_name(device_kind_names, text, "kind");
}
Result<MediaType> media_type(std::string_view text) {
    return parse_name(media_type_names, text, "type");
}
Result<Level> level(std::string_view text) {
    return parse_name(level_names, text, "level");
}
Result<Mode> mode(std::string_view text) {
    return parse_name(modes, text, "mode");
}
Result<ApprovalState> approval_state(std::string_view text) {
    return parse_name(approval_state_names, text, "approval");
}
Result<Severity> severity(std::string_view text) {
    return parse_name(severity_names, text, "severity");
}
Result<AlertStatus> alert_status(std::string_view text) {
    return parse_name(alert_status_names, text, "status");
}
Result<SettingChangeState> setting_change_state(std::string_view text) {
    return parse_name(setting_change_states, text, "state");
}

Result<AlertState> alert_state(std::string_view text) {
    return parse_name(alert_states, text, "state");
}

}  // namespace names
}  // namespace bantin::controller
