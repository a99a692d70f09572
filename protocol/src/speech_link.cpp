#include "bantin/protocol/speech_link.hpp"

#include <algorithm>
#include <map>

namespace bantin::protocol {

std::set<std::string> speak_text_notices(scheduler::Model& model, scheduler::DeviceKind kind) {
    std::set<std::string> replaced;
    if (kind != scheduler::DeviceKind::Speaker)
        return replaced;
    // A speaker has no screen and so no ticker: its ticker campaigns (text only) are dropped
    // rather than spoken (docs/scheduling.md, "Regions").
    std::erase_if(model.campaigns, [](const scheduler::Campaign& campaign) {
        return campaign.region != scheduler::Region::Main;
    });
    std::set<std::string, std::less<>> audio;
    for (const auto& media : model.media)
        if (media.type == scheduler::MediaType::Audio)
            audio.insert(media.sha256);
    std::map<std::string, std::string, std::less<>> speech_of;  // text digest -> its audio
    for (const auto& media : model.media)
        if (media.type == scheduler::MediaType::Text && media.speech && audio.contains(*media.speech))
            speech_of.emplace(media.sha256, *media.speech);
    if (speech_of.empty())
        return replaced;
    for (auto& playlist : model.playlists)
        for (auto& item : playlist.items) {
            auto found = speech_of.find(item.media);
            if (found != speech_of.end())
                item.media = found->second;
        }
    // No item names a linked notice any more: the speaker never fetches or plays them.
    std::erase_if(model.media,
                  [&](const scheduler::MediaRef& media) { return speech_of.contains(media.sha256); });
    for (const auto& [text, speech] : speech_of) replaced.insert(text);
    return replaced;
}

void drop_manifest_entries(std::vector<MediaEntry>& manifest, const std::set<std::string>& digests) {
    std::erase_if(manifest, [&](const MediaEntry& entry) { return digests.contains(entry.sha256); });
}

std::string alert_notice_text(const scheduler::Alert& alert) {
    return alert.headline + "\n\n" + alert.text;
}

std::string alert_spoken_text(const scheduler::Alert& alert) {
    if (alert.text.empty() || alert.status != scheduler::AlertStatus::Exercise)
        return alert.text;
    return std::string{exercise_marker} + ". " + alert.text;
}

}  // namespace bantin::protocol
