#pragma once
// The conflict report an editor sees before submitting a campaign (docs/scheduling.md,
// "Conflicts"). Pure; built on the resolver's own rules.

#include "bantin/scheduler/resolver.hpp"

#include <optional>
#include <string>
#include <vector>

namespace bantin::scheduler {

enum class ConflictKind {
    FixedTimeCollision,  // two fixed-time campaigns of the same level overlap on a device
    FixedTimeOverrun,    // a fixed-time playlist is longer than the gap to its next time
    NoTargetDevice,      // the campaign selects no device
    WindowInQuietHours,  // a window or fixed time falls (partly) in quiet hours or off-hours
    UnplayableMedia,     // an item no targeted device can play
    EmptyForDevice,      // a targeted device can play none of the playlist's items
    Shadowed,            // loops of a higher level or rank cover all the time a campaign could play
};

enum class ConflictSeverity { Warning, Error };

struct Conflict {
    ConflictKind kind;
    ConflictSeverity severity = ConflictSeverity::Warning;
    std::string campaign;
    std::string other_campaign;  // collisions
    std::string device;
    std::optional<TimePoint> at;
    std::string message;  // one sentence for the editor
};

std::string_view to_string(ConflictKind);
std::string_view to_string(ConflictSeverity);

// Conflicts of `campaign_id` (or of every campaign when empty) against the rest of the model,
// checked over `days` local days from `first_day`, each device in its own time zone (the
// controller checks 14 days from today).
Result<std::vector<Conflict>> find_conflicts(const Resolver& resolver, std::string_view campaign_id,
                                             std::chrono::year_month_day first_day, int days);

}  // namespace bantin::scheduler
