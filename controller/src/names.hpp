#pragma once
// Storage names of the enums ("fixed-time", "awaiting-confirmation") and date text. These are
// the values the schema's CHECK constraints list; changing one is a migration.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/controller/records.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace bantin::controller::names {

std::string_view of(scheduler::DeviceKind value);
std::string_view of(scheduler::MediaType value);
std::string_view of(scheduler::Level value);
std::string_view of(scheduler::Mode value);
std::string_view of(scheduler::ApprovalState value);
std::string_view of(scheduler::Severity value);
std::string_view of(scheduler::AlertStatus value);
std::string_view of(scheduler::Region value);

Result<scheduler::DeviceKind> device_kind(std::string_view text);
Result<scheduler::MediaType> media_type(std::string_view text);
Result<scheduler::Level> level(std::string_view text);
Result<scheduler::Mode> mode(std::string_view text);
Result<scheduler::ApprovalState> approval_state(std::string_view text);
Result<scheduler::Severity> severity(std::string_view text);
Result<scheduler::AlertStatus> alert_status(std::string_view text);
Result<AlertState> alert_state(std::string_view text);
Result<SettingChangeState> setting_change_state(std::string_view text);
Result<scheduler::Region> region(std::string_view text);

// "2026-11-27" (bantin/common/time.hpp)
using bantin::format_date;
using bantin::parse_date;

}  // namespace bantin::controller::names
