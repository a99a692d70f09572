// The calendar summary (controller/calendar.hpp) over 31 days: one loudspeaker whose loop of
// 5-second spots makes about 17,000 plays a day, with a 06:00 bulletin and a share-of-voice
// campaign, then a zone of 200 such speakers (one device class). Prints `name=value` lines.
#include "bantin/controller/calendar.hpp"

#include "bench_support.hpp"

#include <chrono>
#include <cstdio>

namespace bantin::bench {
const char* const program_name = "calendar_bench";
}

using namespace bantin;

namespace {

scheduler::Campaign calendar_campaign(std::string id, std::string playlist, scheduler::Mode mode) {
    scheduler::Campaign campaign;
    campaign.id = id;
    campaign.name = "Campaign " + id;
    campaign.playlist = std::move(playlist);
    campaign.mode = mode;
    campaign.approval = scheduler::ApprovalState::Approved;
    return campaign;
}

scheduler::MediaRef calendar_audio(char fill, std::int64_t ms) {
    scheduler::MediaRef media;
    media.sha256 = std::string(64, fill);
    media.type = scheduler::MediaType::Audio;
    media.duration = Duration{ms};
    media.name = std::string{"audio-"} + fill;
    return media;
}

}  // namespace

int main() {
    scheduler::Model model;
    model.media = {calendar_audio('a', 5000), calendar_audio('b', 300000), calendar_audio('c', 20000)};
    model.playlists = {{"pl-spot", "Spots", {{model.media[0].sha256, std::nullopt, 1}}},
                       {"pl-bulletin", "Bulletin", {{model.media[1].sha256, std::nullopt, 1}}},
                       {"pl-advert", "Advert", {{model.media[2].sha256, std::nullopt, 1}}}};
    auto bulletin = calendar_campaign("c-bulletin", "pl-bulletin", scheduler::Mode::FixedTime);
    bulletin.fixed_times = {6 * 60, 17 * 60 + 30};
    auto advert = calendar_campaign("c-advert", "pl-advert", scheduler::Mode::ShareOfVoice);
    advert.plays_per_hour = 12;
    advert.windows = {{8 * 60, 10 * 60}};
    model.campaigns = {calendar_campaign("c-spot", "pl-spot", scheduler::Mode::Loop), bulletin, advert};
    std::vector<scheduler::Device> devices;
    for (int index = 0; index < 200; ++index) {
        scheduler::Device device;
        device.id = "loa-" + std::to_string(index);
        device.kind = scheduler::DeviceKind::Speaker;
        device.zone = "uyen-hung";
        devices.push_back(device);
    }
    model.devices = devices;
    auto resolver = bench::must(scheduler::Resolver::create(model), "resolver");

    controller::CalendarRequest request;
    request.first_day =
        std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::December, std::chrono::day{1}};
    request.days = controller::max_calendar_days;
    request.time_zone = "Asia/Ho_Chi_Minh";
    auto measure = [&](std::span<const scheduler::Device> chosen, const char* name) {
        controller::CalendarFigures figures;
        const auto started = std::chrono::steady_clock::now();
        auto summary =
            bench::must(controller::calendar_days(resolver, chosen, request, &figures), "calendar");
        const auto took =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        std::printf("%s_entries=%lld\n%s_classes=%lld\n%s_json_bytes=%zu\n%s_ms=%.1f\n", name,
                    static_cast<long long>(figures.entries), name, static_cast<long long>(figures.classes),
                    name, summary.dump().size(), name, took);
    };
    measure(std::span{devices}.first(1), "one_speaker_31_days");
    measure(devices, "zone_of_200_speakers_31_days");
    return 0;
}
