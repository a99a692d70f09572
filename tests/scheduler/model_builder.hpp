#pragma once
// Small helpers to write scheduler tests as sentences: a town with one screen and one speaker,
// media of known lengths, campaigns built field by field.

#include "bantin/scheduler/model.hpp"
#include "bantin/scheduler/resolver.hpp"

#include <date/tz.h>

#include <catch2/catch.hpp>

#include <string>

namespace bantin::scheduler::testing {

inline std::string digest(char fill) {
    return std::string(64, fill);
}

// Media: V video 30 s with sound, S silent video 20 s, I image (no length), A audio 20 s,
// T text notice 15 s, P picture stream, R radio stream.
inline const std::string video = digest('a');
inline const std::string silent_video = digest('b');
inline const std::string image = digest('c');
inline const std::string audio = digest('d');
inline const std::string text = digest('e');

inline TimePoint local(const char* zone, int year, unsigned month, unsigned day, int hour, int minute = 0,
                       int second = 0) {
    const auto* tz = date::locate_zone(zone);
    const date::local_days days{date::year{year} / date::month{month} / date::day{day}};
    const auto local_time = date::local_time<Duration>{days} + std::chrono::hours{hour} +
                            std::chrono::minutes{minute} + std::chrono::seconds{second};
    return std::chrono::time_point_cast<Duration>(tz->to_sys(local_time, date::choose::earliest));
}

// Monday 23 November 2026 in Hồ Chí Minh City (UTC+7, no daylight saving).
inline TimePoint hcm(int hour, int minute = 0, int second = 0) {
    return local("Asia/Ho_Chi_Minh", 2026, 11, 23, hour, minute, second);
}

inline Device screen(std::string id = "scr-1", std::string zone = "z1") {
    Device device;
    device.id = std::move(id);
    device.kind = DeviceKind::Screen;
    device.zone = std::move(zone);
    return device;
}

inline Device speaker(std::string id = "spk-1", std::string zone = "z1") {
    Device device;
    device.id = std::move(id);
    device.kind = DeviceKind::Speaker;
    device.zone = std::move(zone);
    device.has_speaker = true;
    return device;
}

inline Model town() {
    Model model;
    model.devices = {screen(), speaker()};
    model.media = {
        MediaRef{video, MediaType::Video, Duration{30'000}, true, true, "video"},
        MediaRef{silent_video, MediaType::Video, Duration{20'000}, false, true, "silent"},
        MediaRef{image, MediaType::Image, std::nullopt, false, false, "image"},
        MediaRef{audio, MediaType::Audio, Duration{20'000}, true, false, "audio"},
        MediaRef{text, MediaType::Text, Duration{15'000}, true, false, "text"},
    };
    return model;
}

inline Playlist playlist(std::string id, std::vector<PlaylistItem> items) {
    return Playlist{std::move(id), "", std::move(items)};
}

inline PlaylistItem item(const std::string& media, std::optional<int> seconds = std::nullopt,
                         int weight = 1) {
    PlaylistItem entry;
    entry.media = media;
    if (seconds) {
        entry.duration = Duration{*seconds * 1000};
    }
    entry.weight = weight;
    return entry;
}

inline Campaign loop(std::string id, std::string playlist_id, Level level = Level::Normal, int rank = 0) {
    Campaign campaign;
    campaign.id = std::move(id);
    campaign.playlist = std::move(playlist_id);
    campaign.mode = Mode::Loop;
    campaign.level = level;
    campaign.rank = rank;
    campaign.approval = ApprovalState::Approved;
    return campaign;
}

inline Campaign fixed(std::string id, std::string playlist_id, std::vector<int> minutes,
                      Level level = Level::Normal) {
    Campaign campaign = loop(std::move(id), std::move(playlist_id), level);
    campaign.mode = Mode::FixedTime;
    campaign.fixed_times = std::move(minutes);
    return campaign;
}

inline Campaign share(std::string id, std::string playlist_id, int per_hour, Level level = Level::Normal) {
    Campaign campaign = loop(std::move(id), std::move(playlist_id), level);
    campaign.mode = Mode::ShareOfVoice;
    campaign.plays_per_hour = per_hour;
    return campaign;
}

inline Alert alert(std::string id, std::string playlist_id, TimePoint issued, TimePoint expires,
                   std::vector<std::string> zones = {"z1"}) {
    Alert value;
    value.id = std::move(id);
    value.playlist = std::move(playlist_id);
    value.issued = issued;
    value.expires = expires;
    value.zones = std::move(zones);
    value.repeat.count = 0;  // continuous unless a test says otherwise
    return value;
}

inline Resolver make_resolver(Model model, ResolveOptions options = {}) {
    auto resolver = Resolver::create(std::move(model), options);
    if (!resolver) {
        FAIL("model refused: " << resolver.error().message());
    }
    return std::move(*resolver);
}

inline std::vector<TimelineEntry> resolve(const Resolver& resolver, const Device& device, TimePoint from,
                                          TimePoint to) {
    auto timeline = resolver.resolve(device, from, to);
    if (!timeline) {
        FAIL("resolve failed: " << timeline.error().message());
    }
    return std::move(*timeline);
}

// Entries point into their Resolver: a temporary Resolver would leave them dangling.
std::vector<TimelineEntry> resolve(Resolver&&, const Device&, TimePoint, TimePoint) = delete;

inline Duration total_for(const std::vector<TimelineEntry>& timeline, std::string_view source) {
    Duration sum{0};
    for (const auto& entry : timeline) {
        if (entry.source_id == source) {
            sum += entry.end - entry.start;
        }
    }
    return sum;
}

inline void require_no_overlap(const std::vector<TimelineEntry>& timeline) {
    for (std::size_t i = 0; i < timeline.size(); ++i) {
        REQUIRE(timeline[i].start < timeline[i].end);
        if (i > 0) {
            REQUIRE(timeline[i - 1].end <= timeline[i].start);
        }
    }
}

}  // namespace bantin::scheduler::testing
