#pragma once
// Internal: campaigns and alerts prepared once per Resolver.

#include "bantin/scheduler/model.hpp"

#include <array>
#include <compare>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bantin::scheduler::detail {

// Precedence of a source: tier (campaign level, or 3 for alerts), rank inside the tier,
// class (loop < share of voice < fixed-time or alert run), then a tie-break (an alert's issue
// time: the newer alert of equal severity wins). Compared lexicographically.
struct Key {
    int tier = 0;
    int rank = 0;
    int cls = 0;
    std::int64_t tiebreak = 0;
    auto operator<=>(const Key&) const = default;
};

// One element of a playlist cycle after weights are spread and unplayable items dropped.
struct Step {
    std::size_t item_index;
    std::string_view media;
    Duration duration;
    MediaType type;
};
using Sequence = std::vector<Step>;

// Capability classes: 0 = screen without speaker, 1 = screen with speaker, 2 = speaker.
int capability_class(const Device& device);
Device capability_device(int capability);

// A playlist's cycles by capability class, expanded once per Resolver and shared by every
// campaign and alert that names the playlist.
using Sequences = std::array<Sequence, 3>;

struct PreparedSource {
    const Campaign* campaign = nullptr;
    const Alert* alert = nullptr;
    const Sequences* sequences = nullptr;  // owned by the Resolver
};

Sequence expand(const Playlist& playlist, const std::unordered_map<std::string_view, const MediaRef*>& media,
                const Device& device);

}  // namespace bantin::scheduler::detail
