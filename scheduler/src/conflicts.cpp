#include "bantin/scheduler/conflicts.hpp"

#include "bantin/scheduler/json.hpp"
#include "local_time.hpp"
#include "prepared.hpp"

#include <algorithm>
#include <array>
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
        case ConflictKind::Shadowed: return "shadowed";
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
        text += (text.empty() ? "" : ", ") + format_clock(window.start_minute) + "-" +
                format_clock(window.end_minute);
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

    bool single = false;  // checking one campaign: also report what it does to the others
    std::map<std::pair<const Playlist*, int>, detail::Sequence> sequences;

    // The campaign's playlist as this device's capability class plays it (expanded once per
    // playlist and class).
    const detail::Sequence& sequence_for(const Campaign& campaign, const Device& device) {
        const Playlist* playlist = playlists.at(campaign.playlist);
        const auto key = std::pair{playlist, detail::capability_class(device)};
        auto it = sequences.find(key);
        if (it == sequences.end()) {
            it = sequences.emplace(key, detail::expand(*playlist, media, device)).first;
        }
        return it->second;
    }

    static bool eligible(const Campaign& campaign) {
        return campaign.approval != ApprovalState::Rejected && campaign.approval != ApprovalState::Archived;
    }

    static std::pair<Level, int> precedence(const Campaign& campaign) {
        return {campaign.level, campaign.rank};
    }

    static std::string describe(const Campaign& campaign) {
        return campaign.id + " (" + std::string{to_string(campaign.level)} + " level, rank " +
               std::to_string(campaign.rank) + ")";
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
            const bool someone_plays =
                std::any_of(targeted.begin(), targeted.end(),
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
                longest = std::max(longest,
                                   run_length(sequence_for(campaign, detail::capability_device(capability))));
            }
            for (std::size_t i = 0; i < times.size(); ++i) {
                const int next = i + 1 < times.size() ? times[i + 1] : times[0] + 24 * 60;
                const Duration gap = std::chrono::minutes{next - times[i]};
                if (std::chrono::minutes{times[i]} + longest > std::chrono::hours{24}) {
                    // Each local day is resolved on its own: a run still playing at 00:00 is cut.
                    add(ConflictKind::FixedTimeOverrun, ConflictSeverity::Warning, campaign,
                        "the playlist lasts " + std::to_string(longest.count() / 1000) +
                            " s, so the run at " + format_clock(times[i]) +
                            " crosses local midnight, where it is cut");
                } else if (longest > gap) {
                    add(ConflictKind::FixedTimeOverrun, ConflictSeverity::Warning, campaign,
                        "the playlist lasts " + std::to_string(longest.count() / 1000) +
                            " s but the run at " + format_clock(times[i]) + " has only " +
                            std::to_string(gap.count() / 1000) + " s until the next fixed time");
                }
            }
        }

        for (const Device* device : targeted) {
            if (!has_region(*device, campaign.region)) {
                // Regions are checked apart (docs/scheduling.md, "Regions"): a ticker campaign
                // plays only on screens with a ticker band.
                add(ConflictKind::EmptyForDevice, ConflictSeverity::Warning, campaign,
                    "device " + device->id + " (" + std::string{to_string(device->kind)} +
                        ") has no ticker band in its layout",
                    device->id);
                continue;
            }
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
            check_shadowing(campaign, *device);
        }
    }

    // The time a loop or share-of-voice campaign may play on a day: its windows on the dates
    // it runs, inside the device's hours.
    static IntervalSet open_on(const Campaign& campaign, const date::time_zone& zone, const LocalDay& day,
                               const IntervalSet& available) {
        const auto runs_on = [&campaign](date::local_days date) { return campaign_runs_on(campaign, date); };
        const std::vector<DailyWindow> windows =
            campaign.windows.empty() ? std::vector<DailyWindow>{{0, 24 * 60}} : campaign.windows;
        return window_occurrences(zone, day, windows, runs_on).intersect(available);
    }

    // Whether `covers` (loops that outrank `campaign`) take every moment `campaign` could play
    // on `device` in the checked days: a loop's or share of voice's whole open time, a fixed
    // time's wait until its stretch of device hours ends. `names` gets the loops that do.
    bool shadowed(const Campaign& campaign, const std::vector<const Campaign*>& covers, const Device& device,
                  std::vector<const Campaign*>& names) const {
        names.clear();
        if (covers.empty()) {
            return false;
        }
        bool could_play = false;
        bool covered = true;
        for_each_day(device, [&](const date::time_zone& zone, const LocalDay& day) {
            const IntervalSet available = device_availability(zone, day, device);
            std::vector<IntervalSet> cover_sets;
            std::vector<Interval> all;
            for (const Campaign* cover : covers) {
                cover_sets.push_back(open_on(*cover, zone, day, available));
                all.insert(all.end(), cover_sets.back().intervals().begin(),
                           cover_sets.back().intervals().end());
            }
            const IntervalSet cover{std::move(all)};
            std::vector<Interval> wanted;
            if (campaign.mode == Mode::FixedTime) {
                if (campaign_runs_on(campaign, day.day)) {
                    for (int minute : campaign.fixed_times) {
                        const TimePoint at = to_utc(zone, day.day, minute);
                        if (const Interval* stretch = available.find(at)) {
                            wanted.push_back({at, stretch->end});
                        }
                    }
                }
            } else {
                wanted = open_on(campaign, zone, day, available).intervals();
            }
            const IntervalSet need{std::move(wanted)};
            if (need.empty()) {
                return true;
            }
            could_play = true;
            if (!need.subtract(cover).empty()) {
                covered = false;
                return false;
            }
            for (std::size_t i = 0; i < covers.size(); ++i) {
                if (!cover_sets[i].intersect(need).empty() &&
                    std::find(names.begin(), names.end(), covers[i]) == names.end()) {
                    names.push_back(covers[i]);
                }
            }
            return true;
        });
        if (!(could_play && covered)) {
            names.clear();
            return false;
        }
        // Keep the model's order, so the report reads the same every time.
        std::sort(names.begin(), names.end());
        return true;
    }

    // Loops of a higher level or rank that cover all of a campaign's time: it never plays there
    // (docs/scheduling.md, "Precedence"). Reported on the shadowed campaign and, when one
    // campaign is checked, on the loop that shadows others.
    void check_shadowing(const Campaign& campaign, const Device& device) {
        std::vector<const Campaign*> present;  // eligible campaigns that can play on this device
        for (const auto& other : model.campaigns) {
            if (other.region == campaign.region && eligible(other) && targets(other.targets, device) &&
                !sequence_for(other, device).empty()) {
                present.push_back(&other);
            }
        }
        const auto loops_above = [&](const Campaign& lower) {
            std::vector<const Campaign*> out;
            for (const Campaign* other : present) {
                if (other->mode == Mode::Loop && precedence(*other) > precedence(lower)) {
                    out.push_back(other);
                }
            }
            return out;
        };
        const auto names_text = [](const std::vector<const Campaign*>& names) {
            std::string text;
            for (const Campaign* name : names) {
                text += (text.empty() ? "" : ", ") + describe(*name);
            }
            return text;
        };
        const std::string where = std::string{to_string(device.kind)} + " " + device.id;
        std::vector<const Campaign*> names;
        if (shadowed(campaign, loops_above(campaign), device, names)) {
            add(ConflictKind::Shadowed, ConflictSeverity::Error, campaign,
                "campaign " + describe(campaign) + " never plays on " + where + " in the days checked: " +
                    (names.size() == 1 ? "loop " : "loops ") + names_text(names) + " cover all its time",
                device.id, std::nullopt, names.front()->id);
        }
        if (!single || campaign.mode != Mode::Loop) {
            return;
        }
        for (const Campaign* lower : present) {
            if (lower == &campaign || precedence(*lower) >= precedence(campaign)) {
                continue;
            }
            if (shadowed(*lower, loops_above(*lower), device, names) &&
                std::find(names.begin(), names.end(), &campaign) != names.end()) {
                add(ConflictKind::Shadowed, ConflictSeverity::Error, campaign,
                    "campaign " + describe(*lower) + " would never play on " + where +
                        " in the days checked: " + (names.size() == 1 ? "loop " : "loops ") +
                        names_text(names) + " cover all its time",
                    device.id, std::nullopt, lower->id);
            }
        }
    }

    void check_availability(const Campaign& campaign, const Device& device) {
        // A loop without windows means "whenever the device plays": nothing to warn about.
        const bool windowed = campaign.mode == Mode::FixedTime || !campaign.windows.empty();
        if (!windowed || (device.on_hours.empty() && device.quiet_hours.empty())) {
            return;
        }
        const std::string hours =
            "on-hours " +
            (device.on_hours.empty() ? std::string{"always"} : describe_windows(device.on_hours)) +
            ", quiet hours " +
            (device.quiet_hours.empty() ? std::string{"none"} : describe_windows(device.quiet_hours));
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
                IntervalSet occurrences = window_occurrences(
                    zone, LocalDay{day.day, day.start, day.end + std::chrono::hours{24}}, {window}, dated);
                occurrences = occurrences.intersect(IntervalSet{
                    {{to_utc(zone, day.day, window.start_minute), day.end + std::chrono::hours{24}}}});
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
                add(ConflictKind::WindowInQuietHours,
                    none ? ConflictSeverity::Error : ConflictSeverity::Warning, campaign,
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
                other.region != campaign.region || !eligible(other) || !targets(other.targets, device)) {
                continue;
            }
            const detail::Sequence& theirs = sequence_for(other, device);
            if (theirs.empty()) {
                continue;
            }
            const Duration other_length = run_length(theirs);
            // Equal rank: the run due later defers until the other ends (an error: the editor
            // did not choose an order). Different ranks: the higher cuts the lower, which resumes
            // after (a warning: the order is explicit).
            const bool same_rank = other.rank == campaign.rank;
            const auto seconds = [](Duration length) { return std::to_string(length.count() / 1000) + " s"; };
            for_each_day(device, [&](const date::time_zone& zone, const LocalDay& day) {
                // Runs are compared within a day and across the following midnight (23:55 for
                // ten minutes against 00:00 the next day), each by its nominal length.
                const date::local_days next = day.day + date::days{1};
                const std::array<std::pair<date::local_days, date::local_days>, 3> pairs{
                    {{day.day, day.day}, {day.day, next}, {next, day.day}}};
                for (const auto& [my_day, their_day] : pairs) {
                    if (!campaign_runs_on(campaign, my_day) || !campaign_runs_on(other, their_day)) {
                        continue;
                    }
                    for (int mine : campaign.fixed_times) {
                        const TimePoint a = to_utc(zone, my_day, mine);
                        for (int yours : other.fixed_times) {
                            const TimePoint b = to_utc(zone, their_day, yours);
                            if (!(a < b + other_length && b < a + own_length)) {
                                continue;
                            }
                            const bool across_midnight = my_day != their_day;
                            const std::string mine_text = "fixed time " + format_clock(mine) + " (" +
                                                          seconds(own_length) + ", rank " +
                                                          std::to_string(campaign.rank) + ")";
                            const std::string yours_text =
                                "campaign " + other.id + " at " + format_clock(yours) +
                                (across_midnight ? (their_day == next ? " the next day" : " the day before")
                                                 : "") +
                                " (" + seconds(other_length) + ", rank " + std::to_string(other.rank) + ")";
                            std::string outcome;
                            if (same_rank) {
                                outcome = "collides with " + yours_text +
                                          "; the one due later defers until the other ends";
                            } else if (campaign.rank > other.rank) {
                                outcome = "cuts " + yours_text + ", which resumes after";
                            } else {
                                outcome = "is cut by " + yours_text + " and resumes after";
                            }
                            if (across_midnight) {
                                outcome += "; across midnight the run still playing at 00:00 is cut there";
                            }
                            add(ConflictKind::FixedTimeCollision,
                                same_rank ? ConflictSeverity::Error : ConflictSeverity::Warning, campaign,
                                mine_text + " " + outcome + ", both " +
                                    std::string{to_string(campaign.level)} + " level, on " +
                                    std::string{to_string(device.kind)} + " " + device.id + " on " +
                                    local_text(zone, std::min(a, b)).substr(0, 10),
                                device.id, std::min(a, b), other.id);
                            return false;
                        }
                    }
                }
                return true;
            });
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
    Checker checker{model, {}, {}, first, days, {}, false, {}};
    checker.single = !campaign_id.empty();
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
