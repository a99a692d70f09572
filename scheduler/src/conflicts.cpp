#include "bantin/scheduler/conflicts.hpp"

#include "bantin/scheduler/json.hpp"
#include "local_time.hpp"
#include "prepared.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace bantin::scheduler {

std::string_view to_string(ConflictKind kind) {
    switch (kind) {
    case ConflictKind::FixedTimeCollision: return "fixed_time_collision";
    case ConflictKind::FixedTimeOverrun: return "fixed_time_overrun";
    case ConflictKind::NoTargetDevice: return "no_target_device";
    case ConflictKind::WindowInQuietHours: return "window_in_quiet_hours";
    case ConflictKind::UnplayableMedia: return "unplayable_media";
    case ConflictKind::EmptyForDevice: return "empty_for_device";
    }
    return "?";
}

std::string_view to_string(ConflictSeverity severity) {
    switch (severity) {
    case ConflictSeverity::Warning: return "warning";
    case ConflictSeverity::Error: return "error";
    }
    return "?";
}

namespace {

using MediaIndex = std::unordered_map<std::string_view, const MediaRef*>;

Duration run_length(const detail::Sequence& sequence) {
    Duration total{0};
    for (const auto& step : sequence) {
        total += step.duration;
    }
    return total;
}

std::string local_text(const date::time_zone& zone, TimePoint t) {
    return date::format("%F %H:%M", date::floor<std::chrono::minutes>(zone.to_local(t)));
}

std::string describe_windows(const std::vector<DailyWindow>& windows) {
    std::string text;
    for (const auto& window : windows) {
        text += (text.empty() ? "" : ", ") + format_clock(window.start_minute) + "-" + format_clock(window.end_minute);
    }
    return text;
}

struct Checker {
    const Model& model;
    MediaIndex media;
    std::unordered_map<std::string_view, const Playlist*> playlists;
    date::local_days first_day;
    int days;
    std::vector<Conflict> conflicts;

    detail::Sequence sequence_for(const Campaign& campaign, const Device& device) const {
        return detail::expand(*playlists.at(campaign.playlist), media, device);
    }

    void add(ConflictKind kind, ConflictSeverity severity, const Campaign& campaign, std::string message,
             std::string device = {}, std::optional<TimePoint> at = std::nullopt, std::string other = {}) {
        conflicts.push_back(Conflict{kind, severity, campaign.id, std::move(other), std::move(device), at,
                                     std::move(message)});
    }

    template <class Visit>
    void for_each_day(const Device& device, Visit&& visit) const {
        const date::time_zone* zone = find_time_zone(device.time_zone);
        if (zone == nullptr) {
            return;
        }
        for (int offset = 0; offset < days; ++offset) {
            if (!visit(*zone, local_day(*zone, first_day + date::days{offset}))) {
                return;
            }
        }
    }

    void check(const Campaign& campaign) {
        std::vector<const Device*> targeted;
        for (const auto& device : model.devices) {
            if (targets(campaign.targets, device)) {
                targeted.push_back(&device);
            }
        }
        if (targeted.empty()) {
            add(ConflictKind::NoTargetDevice, ConflictSeverity::Error, campaign,
                "campaign " + campaign.id + " targets no device");
            return;
        }

        const Playlist& playlist = *playlists.at(campaign.playlist);
        for (std::size_t i = 0; i < playlist.items.size(); ++i) {
            const MediaRef& ref = *media.at(playlist.items[i].media);
            const bool someone_plays = std::any_of(targeted.begin(), targeted.end(),
                                                   [&](const Device* device) { return can_play(*device, ref); });
            if (!someone_plays) {
                add(ConflictKind::UnplayableMedia, ConflictSeverity::Warning, campaign,
                    "item " + std::to_string(i) + " (" + std::string{to_string(ref.type)} + " " +
                        (ref.name.empty() ? ref.sha256.substr(0, 12) : ref.name) +
                        ") cannot play on any targeted device");
            }
        }

        if (campaign.mode == Mode::FixedTime && campaign.fixed_times.size() > 0) {
            std::vector<int> times = campaign.fixed_times;
            std::sort(times.begin(), times.end());
            Duration longest{0};
            for (int capability = 0; capability < 3; ++capability) {
                longest = std::max(longest, run_length(sequence_for(campaign, detail::capability_device(capability))));
            }
            for (std::size_t i = 0; i < times.size(); ++i) {
                const int next = i + 1 < times.size() ? times[i + 1] : times[0] + 24 * 60;
                const Duration gap = std::chrono::minutes{next - times[i]};
                if (longest > gap) {
                    add(ConflictKind::FixedTimeOverrun, ConflictSeverity::Warning, campaign,
                        "the playlist lasts " + std::to_string(longest.count() / 1000) + " s but the run at " +
                            format_clock(times[i]) + " has only " + std::to_string(gap.count() / 1000) +
                            " s until the next fixed time");
                }
            }
        }

        for (const Device* device : targeted) {
            const detail::Sequence own = sequence_for(campaign, *device);
            if (own.empty()) {
                add(ConflictKind::EmptyForDevice, ConflictSeverity::Warning, campaign,
                    "device " + device->id + " (" + std::string{to_string(device->kind)} +
                        ") can play none of the playlist's items",
                    device->id);
                continue;
            }
            check_availability(campaign, *device);
            if (campaign.mode == Mode::FixedTime) {
                check_collisions(campaign, *device, run_length(own));
            }
        }
    }

    void check_availability(const Campaign& campaign, const Device& device) {
        // A loop without windows means "whenever the device plays": nothing to warn about.
        const bool windowed = campaign.mode == Mode::FixedTime || !campaign.windows.empty();
        if (!windowed || (device.on_hours.empty() && device.quiet_hours.empty())) {
            return;
        }
        const std::string hours = "on-hours " + (device.on_hours.empty() ? std::string{"always"} : describe_windows(device.on_hours)) +
                                  ", quiet hours " + (device.quiet_hours.empty() ? std::string{"none"} : describe_windows(device.quiet_hours));
        // Daily patterns repeat: the first day the campaign runs in the range tells.
        for_each_day(device, [&](const date::time_zone& zone, const LocalDay& day) {
            if (!campaign_runs_on(campaign, day.day)) {
                return true;
            }
            const IntervalSet open = device_availability(zone, day, device);
            if (campaign.mode == Mode::FixedTime) {
                for (int minute : campaign.fixed_times) {
                    const TimePoint at = to_utc(zone, day.day, minute);
                    if (open.find(at) == nullptr) {
                        add(ConflictKind::WindowInQuietHours, ConflictSeverity::Error, campaign,
                            "fixed time " + format_clock(minute) + " falls outside what device " + device.id +
                                " may play (" + hours + "); it will not play there",
                            device.id, at);
                    }
                }
                return false;
            }
            const auto dated = [&](date::local_days date) { return campaign_runs_on(campaign, date); };
            const std::vector<DailyWindow> windows =
                campaign.windows.empty() ? std::vector<DailyWindow>{{0, 24 * 60}} : campaign.windows;
            for (const auto& window : windows) {
                IntervalSet occurrences = window_occurrences(zone, LocalDay{day.day, day.start, day.end + std::chrono::hours{24}},
                                                             {window}, dated);
                occurrences = occurrences.intersect(IntervalSet{{{to_utc(zone, day.day, window.start_minute),
                                                                  day.end + std::chrono::hours{24}}}});
                if (occurrences.empty()) {
                    continue;
                }
                const Interval span = occurrences.intervals().front();
                const LocalDay next = local_day(zone, day.day + date::days{1});
                IntervalSet usable = device_availability(zone, day, device);
                const auto following = device_availability(zone, next, device).intervals();
                std::vector<Interval> merged = usable.intervals();
                merged.insert(merged.end(), following.begin(), following.end());
                usable = IntervalSet{std::move(merged)}.intersect(IntervalSet{{span}});
                if (usable.total() == span.end - span.start) {
                    continue;
                }
                const bool none = usable.empty();
                add(ConflictKind::WindowInQuietHours, none ? ConflictSeverity::Error : ConflictSeverity::Warning,
                    campaign,
                    "window " + format_clock(window.start_minute) + "-" + format_clock(window.end_minute) +
                        (none ? " lies wholly" : " lies partly") + " outside what device " + device.id +
                        " may play (" + hours + ")",
                    device.id, span.start);
            }
            return false;
        });
    }

    void check_collisions(const Campaign& campaign, const Device& device, Duration own_length) {
        for (const auto& other : model.campaigns) {
            if (other.id == campaign.id || other.mode != Mode::FixedTime || other.level != campaign.level ||
                other.approval == ApprovalState::Rejected || other.approval == ApprovalState::Archived ||
                !targets(other.targets, device)) {
                continue;
            }
            const detail::Sequence theirs = sequence_for(other, device);
            if (theirs.empty()) {
                continue;
            }
            const Duration other_length = run_length(theirs);
            bool reported = false;
            for_each_day(device, [&](const date::time_zone& zone, const LocalDay& day) {
                if (!campaign_runs_on(campaign, day.day) || !campaign_runs_on(other, day.day)) {
                    return true;
                }
                for (int mine : campaign.fixed_times) {
                    const TimePoint a = to_utc(zone, day.day, mine);
                    for (int yours : other.fixed_times) {
                        const TimePoint b = to_utc(zone, day.day, yours);
                        if (a < b + other_length && b < a + own_length) {
                            add(ConflictKind::FixedTimeCollision, ConflictSeverity::Error, campaign,
                                "fixed time " + format_clock(mine) + " (" + std::to_string(own_length.count() / 1000) +
                                    " s) collides with campaign " + other.id + " at " + format_clock(yours) + " (" +
                                    std::to_string(other_length.count() / 1000) + " s), both " +
                                    std::string{to_string(campaign.level)} + " level, on " +
                                    std::string{to_string(device.kind)} + " " + device.id + " on " +
                                    local_text(zone, std::min(a, b)).substr(0, 10),
                                device.id, std::min(a, b), other.id);
                            reported = true;
                            return false;
                        }
                    }
                }
                return true;
            });
            (void)reported;
        }
    }
};

}  // namespace

Result<std::vector<Conflict>> find_conflicts(const Resolver& resolver, std::string_view campaign_id,
                                             std::chrono::year_month_day first_day, int days) {
    if (!first_day.ok() || days < 1 || days > 366) {
        return fail(Errc::InvalidInput, "conflicts are checked over 1..366 days from a valid date");
    }
    const Model& model = resolver.model();
    const date::local_days first{date::days{std::chrono::local_days{first_day}.time_since_epoch().count()}};
    Checker checker{model, {}, {}, first, days, {}};
    for (const auto& media : model.media) {
        checker.media.emplace(media.sha256, &media);
    }
    for (const auto& playlist : model.playlists) {
        checker.playlists.emplace(playlist.id, &playlist);
    }
    bool found = campaign_id.empty();
    for (const auto& campaign : model.campaigns) {
        if (!campaign_id.empty() && campaign.id != campaign_id) {
            continue;
        }
        found = true;
        if (campaign.approval == ApprovalState::Rejected || campaign.approval == ApprovalState::Archived) {
            continue;
        }
        checker.check(campaign);
    }
    if (!found) {
        return fail(Errc::NotFound, "no campaign \"" + std::string{campaign_id} + "\"");
    }
    return std::move(checker.conflicts);
}

}  // namespace bantin::scheduler
