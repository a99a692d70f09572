#pragma once
// The resolver: (model, device, [from, to)) -> timeline. Pure: no I/O besides the tz
// database, no clock, no logging, no threads of its own. The controller uses it for preview,
// conflicts and reports; the player runs the very same code offline on its bundle, so what
// an editor previews is what the device plays. The rules are in docs/scheduling.md.
//
// Lifecycle: build a Resolver from a validated Model (it indexes media, playlists and
// targets once), then call resolve() as often as needed, from any number of threads: it
// does not change the Resolver. The Resolver keeps its own copy of the model.
//
// Timeline entries are whole: resolve(from, to) returns every entry that overlaps
// [from, to) with its true start and end, so resolve(a, c) equals the union of
// resolve(a, b) and resolve(b, c) with the entry that spans b counted once (split
// invariance). A player that restarts mid-item finds the item and its offset (the entry's
// media_offset plus how far into the entry it is).

#include "bantin/common/error.hpp"
#include "bantin/scheduler/model.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace bantin::scheduler {

enum class Reason { Loop, FixedTime, ShareOfVoice, Alert, Live };  // Live: the player's overlay only
// How an entry ends: it ran to its natural end, or something cut it short (a higher source
// preempted it, its window or on-hours ended, the local day ended). A cut item is played
// again when its source next plays: from where it was cut when resumes_at_offset() says so
// and a higher source cut it, else from its beginning (docs/scheduling.md, "Preemption and
// resume").
enum class Ending { Completed, Cut };

// Items shorter than this restart from their beginning after a cut: short notices, jingles
// and spots, where half a sentence means nothing and replaying costs under half a minute.
inline constexpr Duration resume_threshold{30'000};
// A resumed remainder shorter than this is not played: the cut item counts as over and its
// source goes on with the next item (a sub-second tail is nothing a listener can follow; it
// is also well above the player's EngineOptions::minimum_length, so it is never "missed").
inline constexpr Duration minimum_remainder{1'000};

// Whether a cut item of this type and natural length plays on from where it was cut: audio
// and video of at least resume_threshold. Images, text notices and streams restart (an image
// or a text has no position; a stream is live and has none to go back to). The resolver
// applies it to campaign loops and fixed-time runs only: a share-of-voice play that is cut is
// over, and an alert's items always restart (a warning is heard whole).
bool resumes_at_offset(MediaType type, Duration item_length);

struct TimelineEntry {
    TimePoint start;
    TimePoint end;
    SourceKind source_kind = SourceKind::Campaign;
    // source_id and media point into the Resolver's own model: an entry is valid while the
    // Resolver that made it lives (this keeps resolving free of allocations per entry).
    std::string_view source_id;  // campaign or alert id
    std::size_t item_index = 0;  // index into the source's playlist items
    std::string_view media;      // sha256
    Reason reason = Reason::Loop;
    Ending ending = Ending::Completed;
    // FixedTime and ShareOfVoice: the instant this run or play was due; else == start.
    TimePoint due;
    // Where in its media the entry starts playing: 0, or for an item resumed after a cut,
    // how much of it has been played before. The entry lasts the rest (end - start is the
    // item's length minus media_offset when it completes).
    Duration media_offset{0};
    bool operator==(const TimelineEntry&) const = default;
};

struct ResolveOptions {
    // The controller previews drafts; devices only ever play approved campaigns.
    bool include_unapproved = false;
};

class Resolver {
public:
    // Validates the model (see validate()); the error lists every problem.
    static Result<Resolver> create(Model model, ResolveOptions options = {});

    Resolver(Resolver&&) noexcept;
    Resolver& operator=(Resolver&&) noexcept;
    ~Resolver();

    // Every entry overlapping [from, to), ordered by start, none overlapping another, of the
    // campaigns of `region` (docs/scheduling.md, "Regions"). Main: main campaigns and alerts.
    // Ticker: ticker campaigns, on a screen whose layout has a ticker band (else nothing), and
    // nothing while an alert covers the device. The device need not be in the model (a bundle
    // carries its own device).
    Result<std::vector<TimelineEntry>> resolve(const Device& device, TimePoint from, TimePoint to,
                                               Region region = Region::Main) const&;
    // Entries point into the Resolver: resolving on a temporary would return dangling ones.
    Result<std::vector<TimelineEntry>> resolve(const Device& device, TimePoint from, TimePoint to,
                                               Region region = Region::Main) const&& = delete;

    // The volume (percent) the device's schedule asks for at `at`.
    static Result<int> volume_at(const Device& device, TimePoint at);

    // The device's local quiet hours (Device::local_quiet_hours, read in local_time_zone, else
    // its time_zone) that overlap [from, to), clipped to it, ordered and merged.
    static Result<std::vector<std::pair<TimePoint, TimePoint>>> local_quiet_hours(const Device& device,
                                                                                  TimePoint from,
                                                                                  TimePoint to);

    const Model& model() const;

private:
    struct Impl;
    explicit Resolver(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

std::string_view to_string(Reason);
std::string_view to_string(Ending);

}  // namespace bantin::scheduler
