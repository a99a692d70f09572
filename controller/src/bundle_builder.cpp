#include "bantin/controller/bundle_builder.hpp"

#include "bantin/media/sha256.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/speech_link.hpp"

#include <algorithm>
#include <set>

namespace bantin::controller {
namespace {

constexpr int page_size = 1000;

template <class Record, class List>
Result<std::vector<Record>> all_pages(List&& list) {
    std::vector<Record> all;
    for (int offset = 0;; offset += page_size) {
        auto page = list(Page{page_size, offset});
        if (!page)
            return std::unexpected(page.error());
        const auto count = page->size();
        for (auto& record : *page) all.push_back(std::move(record));
        if (count < static_cast<std::size_t>(page_size))
            return all;
    }
}

Result<void> load_playlist(StoreTransaction& transaction, const std::string& id, BundleInputs& inputs,
                           std::string_view used_by) {
    if (inputs.playlists.contains(id))
        return {};
    auto playlist = transaction.playlist_by_id(id);
    if (!playlist)
        return fail(Errc::Conflict,
                    std::string{used_by} + ": playlist \"" + id + "\": " + playlist.error().detail);
    for (const auto& item : playlist->playlist.items) {
        if (inputs.media.contains(item.media))
            continue;
        auto media = transaction.media_by_sha256(item.media);
        if (!media)
            return fail(Errc::Conflict,
                        "playlist \"" + id + "\": media " + item.media + ": " + media.error().detail);
        if (media->tts_media && !inputs.media.contains(*media->tts_media)) {
            auto speech = transaction.media_by_sha256(*media->tts_media);
            if (!speech)
                return fail(Errc::Conflict, "media " + item.media + ": speech " + *media->tts_media + ": " +
                                                speech.error().detail);
            inputs.media.emplace(speech->media.sha256, std::move(*speech));
        }
        // A stream's filler is played while the stream's source is down: it travels with it.
        if (media->media.filler && !inputs.media.contains(*media->media.filler)) {
            auto filler = transaction.media_by_sha256(*media->media.filler);
            if (!filler)
                return fail(Errc::Conflict, "media " + item.media + ": filler " + *media->media.filler +
                                                ": " + filler.error().detail);
            inputs.media.emplace(filler->media.sha256, std::move(*filler));
        }
        inputs.media.emplace(item.media, std::move(*media));
    }
    inputs.playlists.emplace(id, std::move(playlist->playlist));
    return {};
}

protocol::MediaEntry manifest_entry(const MediaRecord& record, std::string_view base_url) {
    protocol::MediaEntry entry;
    entry.sha256 = record.media.sha256;
    entry.size = static_cast<std::uint64_t>(std::max<std::int64_t>(record.size, 0));
    entry.type = record.media.type;
    entry.duration = record.media.duration;
    entry.url = device_media_url(base_url, record.media.sha256);
    return entry;
}

// Adds a playlist and the media it plays (with the speech audio of text notices and the
// filler of streams).
void add_playlist(const BundleInputs& inputs, const std::string& playlist_id,
                  std::set<std::string>& playlists, std::set<std::string>& media) {
    auto found = inputs.playlists.find(playlist_id);
    if (found == inputs.playlists.end())
        return;
    playlists.insert(playlist_id);
    for (const auto& item : found->second.items) {
        media.insert(item.media);
        auto record = inputs.media.find(item.media);
        if (record != inputs.media.end() && record->second.tts_media)
            media.insert(*record->second.tts_media);
        if (record != inputs.media.end() && record->second.media.filler)
            media.insert(*record->second.media.filler);
    }
}

void fill_content(const BundleInputs& inputs, const std::set<std::string>& playlist_ids,
                  const std::set<std::string>& media_ids, std::string_view base_url,
                  std::vector<scheduler::Playlist>& playlists, std::vector<scheduler::MediaRef>& media,
                  std::vector<protocol::MediaEntry>& manifest) {
    for (const auto& id : playlist_ids) playlists.push_back(inputs.playlists.find(id)->second);
    for (const auto& sha256 : media_ids) {
        auto record = inputs.media.find(sha256);
        if (record == inputs.media.end())
            continue;
        media.push_back(record->second.media);
        // A text notice carries the link to its speech (sent beside it), so whoever plays the
        // model can speak it: the speaker's own bundle, or any device receiving an alert.
        const auto& speech = record->second.tts_media;
        if (record->second.media.type == scheduler::MediaType::Text && speech &&
            media_ids.contains(*speech) && inputs.media.contains(*speech))
            media.back().speech = *speech;
        // A stream has no file to fetch: devices play it from its URL (in its MediaRef).
        if (record->second.media.type != scheduler::MediaType::Stream)
            manifest.push_back(manifest_entry(record->second, base_url));
    }
}

// The longest prefix of `text` of at most `limit` bytes that does not cut a UTF-8 character.
std::string utf8_prefix(const std::string& text, std::size_t limit) {
    if (text.size() <= limit)
        return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

}  // namespace

Result<BundleInputs> load_bundle_inputs(StoreTransaction& transaction, TimePoint now) {
    BundleInputs inputs;
    auto zones = transaction.list_zones();
    if (!zones)
        return std::unexpected(zones.error());
    for (auto& zone : *zones) inputs.zone_names.emplace(std::move(zone.id), std::move(zone.name));
    CampaignFilter approved;
    approved.approval = scheduler::ApprovalState::Approved;
    auto campaigns =
        all_pages<CampaignRecord>([&](Page page) { return transaction.list_campaigns(approved, page); });
    if (!campaigns)
        return std::unexpected(campaigns.error());
    for (auto& record : *campaigns) {
        if (auto loaded = load_playlist(transaction, record.campaign.playlist, inputs,
                                        "campaign \"" + record.campaign.id + "\"");
            !loaded)
            return std::unexpected(loaded.error());
        inputs.campaigns.push_back(std::move(record.campaign));
    }
    auto alerts = transaction.list_active_alerts(now);
    if (!alerts)
        return std::unexpected(alerts.error());
    for (auto& record : *alerts) {
        if (record.state != AlertState::Sent)
            continue;
        if (!record.alert.playlist.empty()) {
            if (auto loaded = load_playlist(transaction, record.alert.playlist, inputs,
                                            "alert \"" + record.alert.id + "\"");
                !loaded)
                return std::unexpected(loaded.error());
        }
        inputs.alerts.push_back(std::move(record.alert));
    }
    std::ranges::sort(inputs.campaigns, {}, &scheduler::Campaign::id);
    std::ranges::sort(inputs.alerts, {}, &scheduler::Alert::id);
    return inputs;
}

Result<std::vector<DeviceRecord>> load_all_devices(StoreTransaction& transaction) {
    return all_pages<DeviceRecord>([&](Page page) { return transaction.list_devices(page); });
}

std::string device_media_url(std::string_view base_url, std::string_view sha256) {
    std::string url{base_url};
    while (!url.empty() && url.back() == '/') url.pop_back();
    url += "/api/v1/device-media/";
    url += sha256;
    return url;
}

protocol::Bundle build_bundle(const BundleInputs& inputs, const scheduler::Device& device,
                              std::string_view media_base_url, std::string_view board_base_url) {
    protocol::Bundle bundle;
    bundle.device = device.id;
    bundle.model.devices.push_back(device);
    scheduler::Device& own = bundle.model.devices.back();
    own.zone_name.clear();
    own.board_url.clear();
    if (own.kind == scheduler::DeviceKind::Screen && own.layout.header_permille > 0) {
        if (auto zone = inputs.zone_names.find(own.zone); zone != inputs.zone_names.end())
            own.zone_name = utf8_prefix(zone->second, 200);
        if (!board_base_url.empty()) {
            std::string base{board_base_url};
            while (!base.empty() && base.back() == '/') base.pop_back();
            own.board_url = base + "/cong-khai/" + own.zone;
        }
    }
    std::set<std::string> playlist_ids;
    std::set<std::string> media_ids;
    for (const auto& campaign : inputs.campaigns) {
        if (!scheduler::targets(campaign.targets, device) || !scheduler::has_region(device, campaign.region))
            continue;
        if (!inputs.playlists.contains(campaign.playlist))
            continue;
        bundle.model.campaigns.push_back(campaign);
        add_playlist(inputs, campaign.playlist, playlist_ids, media_ids);
    }
    for (const auto& alert : inputs.alerts) {
        if (!scheduler::covers(alert, device))
            continue;
        if (!alert.playlist.empty() && !inputs.playlists.contains(alert.playlist))
            continue;
        bundle.model.alerts.push_back(alert);
        add_playlist(inputs, alert.playlist, playlist_ids, media_ids);
    }
    fill_content(inputs, playlist_ids, media_ids, media_base_url, bundle.model.playlists, bundle.model.media,
                 bundle.manifest);
    // A speaker's bundle names the speech instead of the text and leaves the text out.
    protocol::drop_manifest_entries(bundle.manifest, protocol::speak_text_notices(bundle.model, device.kind));
    bundle.settings.default_volume = device.default_volume;
    bundle.settings.volume_schedule = device.volume_schedule;
    bundle.settings.on_hours = device.on_hours;
    bundle.settings.quiet_hours = device.quiet_hours;
    return bundle;
}

void add_alert_content(const BundleInputs& inputs, const scheduler::Alert& alert,
                       std::string_view media_base_url, std::vector<scheduler::Playlist>& playlists,
                       std::vector<scheduler::MediaRef>& media, std::vector<protocol::MediaEntry>& manifest) {
    std::set<std::string> playlist_ids;
    std::set<std::string> media_ids;
    add_playlist(inputs, alert.playlist, playlist_ids, media_ids);
    fill_content(inputs, playlist_ids, media_ids, media_base_url, playlists, media, manifest);
}

std::string bundle_digest(const protocol::Bundle& bundle) {
    protocol::Bundle content = bundle;
    content.version = 0;
    content.issued_at = TimePoint{};
    content.expires_at = TimePoint{};
    return media::sha256_hex(protocol::encode(content));
}

}  // namespace bantin::controller
