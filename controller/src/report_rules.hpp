#pragma once
// The reports' rules that the proof-of-play retention pass applies too, so a day folded into
// its summary (docs/store.md, "Proof-of-play retention") gives the figures its rows gave:
// a play's local day, its slot length and whether it ran enough of it, and the cut pieces of a
// resumed play. Internal to controller/src.

#include "bantin/common/error.hpp"
#include "bantin/controller/store.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bantin::controller::report_rules {

// YYYY-MM-DD: the date at `at` in `time_zone` (UTC when the zone is unknown).
std::string local_day(TimePoint at, const std::string& time_zone);
// The instant the local day holding `at` began in `time_zone`.
TimePoint local_day_start(TimePoint at, const std::string& time_zone);

// Planned slot lengths from the current model (archived campaigns included).
class SlotLengths {
public:
    static Result<SlotLengths> load(Store& store);
    // The playlist item's duration when the row's item still holds its media, else the media's own.
    std::optional<Duration> of(const ProofOfPlayRow& row) const;
    // False for a play known to have run under min_completed_fraction of its slot. `earlier`:
    // what the cut pieces of the same play ran before it (earlier_pieces()).
    bool ran_enough(const ProofOfPlayRow& row, Duration earlier = Duration{0}) const;

private:
    std::map<std::string, std::optional<Duration>, std::less<>> m_media;
    std::map<std::string, std::vector<scheduler::PlaylistItem>, std::less<>> m_campaign_items;
};

// A cut item resumed at its offset (docs/scheduling.md, "Preemption and resume") comes as
// interrupted pieces and a completed remainder: one play. For each completed row, the measured
// time of the interrupted pieces of the same item and media that the same device played just
// before it for the same campaign (no other row of that campaign in between); 0 for the rest.
std::vector<Duration> earlier_pieces(const std::vector<ProofOfPlayRow>& rows);

}  // namespace bantin::controller::report_rules
