// Scheduler benchmark: a synthetic district of 10,000 devices in 12 zones and 2,000
// campaigns (each device targeted by about 20), resolving 24 hours per device on one thread.
// Prints `device_days_per_s=` and `peak_rss_mb=` as its last lines.
//
//   bench/scheduler_bench [--devices N] [--campaigns N] [--seed N]

#include "bantin/scheduler/resolver.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

using namespace bantin;
using namespace bantin::scheduler;

namespace {

std::string hex_digest(int n) {
    char buffer[72];
    std::snprintf(buffer, sizeof buffer, "%056x%08x", 0u, static_cast<unsigned>(n));
    return buffer;
}

double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
    int device_count = 10'000;
    int campaign_count = 2'000;
    std::uint64_t seed = 42;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--devices") == 0) {
            device_count = std::atoi(argv[i + 1]);
        } else if (std::strcmp(argv[i], "--campaigns") == 0) {
            campaign_count = std::atoi(argv[i + 1]);
        } else if (std::strcmp(argv[i], "--seed") == 0) {
            seed = std::strtoull(argv[i + 1], nullptr, 10);
        } else {
            std::fprintf(stderr, "usage: %s [--devices N] [--campaigns N] [--seed N]\n", argv[0]);
            return 2;
        }
    }
    constexpr int zones = 12;
    constexpr int tags = 8;  // 12 zones x 8 tag groups = 96 groups; 2,000 campaigns -> ~21 per device
    std::mt19937_64 random{seed};
    auto uniform = [&](int low, int high) { return std::uniform_int_distribution<int>{low, high}(random); };

    Model model;
    for (int m = 0; m < 400; ++m) {
        MediaRef media;
        media.sha256 = hex_digest(m);
        const int kind = m % 4;
        media.type = kind == 0   ? MediaType::Video
                     : kind == 1 ? MediaType::Image
                     : kind == 2 ? MediaType::Audio
                                 : MediaType::Text;
        media.duration = Duration{uniform(10, 60) * 1000};
        media.has_audio = media.type != MediaType::Image;
        media.has_video = media.type == MediaType::Video;
        model.media.push_back(media);
    }
    for (int d = 0; d < device_count; ++d) {
        Device device;
        device.id = "dev-" + std::to_string(d);
        device.zone = "zone-" + std::to_string(d % zones);
        device.tags = {"group-" + std::to_string((d / zones) % tags)};
        if (d % 10 < 7) {
            device.kind = DeviceKind::Screen;
            device.has_speaker = d % 3 == 0;
            device.on_hours = {{5 * 60, 22 * 60}};
        } else {
            device.kind = DeviceKind::Speaker;
            device.has_speaker = true;
            device.quiet_hours = {{21 * 60, 5 * 60 + 30}};
        }
        model.devices.push_back(device);
    }
    for (int c = 0; c < campaign_count; ++c) {
        Playlist playlist;
        playlist.id = "p-" + std::to_string(c);
        for (int i = uniform(2, 6); i > 0; --i) {
            PlaylistItem item;
            item.media = model.media[static_cast<std::size_t>(uniform(0, 399))].sha256;
            item.weight = uniform(1, 2);
            playlist.items.push_back(item);
        }
        model.playlists.push_back(playlist);

        Campaign campaign;
        campaign.id = "c-" + std::to_string(c);
        campaign.playlist = playlist.id;
        campaign.approval = ApprovalState::Approved;
        campaign.targets.zones = {"zone-" + std::to_string(c % zones)};
        campaign.targets.tags = {"group-" + std::to_string((c / zones) % tags)};
        campaign.level = uniform(0, 9) == 0 ? Level::Priority : Level::Normal;
        campaign.rank = uniform(0, 2);
        const int mode = uniform(0, 19);
        if (mode < 12) {
            campaign.mode = Mode::Loop;
            campaign.weight = uniform(1, 3);
            if (uniform(0, 1) == 0) {
                const int start = uniform(5, 18);
                campaign.windows = {{start * 60, (start + uniform(1, 5)) * 60}};
            }
        } else if (mode < 17) {
            campaign.mode = Mode::ShareOfVoice;
            campaign.plays_per_hour = uniform(2, 12);
        } else {
            campaign.mode = Mode::FixedTime;
            campaign.fixed_times = {uniform(5 * 60, 20 * 60), uniform(5 * 60, 20 * 60)};
        }
        model.campaigns.push_back(campaign);
    }

    using Clock = std::chrono::steady_clock;
    const auto build_start = Clock::now();
    auto resolver = Resolver::create(model);
    if (!resolver) {
        std::fprintf(stderr, "model refused: %s\n", resolver.error().message().c_str());
        return 1;
    }
    const double build_ms = std::chrono::duration<double, std::milli>(Clock::now() - build_start).count();

    const TimePoint day = from_unix_ms(1'795'712'400'000);  // 2026-11-26T17:00Z = 27 Nov 00:00 in UTC+7
    std::size_t entries = 0;
    std::size_t checksum = 0;
    const auto start = Clock::now();
    for (const auto& device : resolver->model().devices) {
        auto timeline = resolver->resolve(device, day, day + std::chrono::hours{24});
        if (!timeline) {
            std::fprintf(stderr, "resolve failed: %s\n", timeline.error().message().c_str());
            return 1;
        }
        entries += timeline->size();
        for (const auto& entry : *timeline) {
            checksum += entry.item_index;
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("devices=%d campaigns=%d\n", device_count, campaign_count);
    std::printf("resolver_build_ms=%.1f\n", build_ms);
    std::printf("entries_per_device_day=%.0f\n", static_cast<double>(entries) / device_count);
    std::printf("checksum=%zu\n", checksum);
    std::printf("resolve_seconds=%.3f\n", seconds);
    std::printf("device_days_per_s=%.0f\n", device_count / seconds);
    std::printf("peak_rss_mb=%.1f\n", peak_rss_mb());
    return 0;
}
