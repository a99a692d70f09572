// The prepared form of a model's playlists: capability classes and the smooth weighted round
// robin that expands a playlist once per Resolver (prepared.hpp).

#include "prepared.hpp"

#include <unordered_map>

namespace bantin::scheduler {

namespace detail {

int capability_class(const Device& device) {
    if (device.kind == DeviceKind::Speaker) {
        return 2;
    }
    return device.has_speaker ? 1 : 0;
}

Device capability_device(int capability) {
    Device device;
    device.kind = capability == 2 ? DeviceKind::Speaker : DeviceKind::Screen;
    device.has_speaker = capability != 0;
    return device;
}

// Smooth weighted round robin: weights {A:2, B:1} give A B A, spreading repeats evenly.
Sequence expand(const Playlist& playlist, const std::unordered_map<std::string_view, const MediaRef*>& media,
                const Device& device) {
    struct Candidate {
        std::size_t index;
        const MediaRef* media;
        Duration duration;
        int weight;
        long current = 0;
    };
    std::vector<Candidate> candidates;
    long total = 0;
    for (std::size_t i = 0; i < playlist.items.size(); ++i) {
        const auto& item = playlist.items[i];
        const MediaRef* ref = media.at(item.media);
        if (!can_play(device, *ref)) {
            continue;
        }
        candidates.push_back({i, ref, item.duration ? *item.duration : *ref->duration, item.weight});
        total += item.weight;
    }
    Sequence sequence;
    sequence.reserve(static_cast<std::size_t>(total));
    for (long n = 0; n < total; ++n) {
        Candidate* pick = nullptr;
        for (auto& candidate : candidates) {
            candidate.current += candidate.weight;
            if (pick == nullptr || candidate.current > pick->current) {
                pick = &candidate;
            }
        }
        pick->current -= total;
        sequence.push_back(Step{pick->index, pick->media->sha256, pick->duration, pick->media->type});
    }
    return sequence;
}

}  // namespace detail

}  // namespace bantin::scheduler
