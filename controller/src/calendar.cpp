#include "bantin/controller/calendar.hpp"

#include <date/tz.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace bantin::controller {
namespace {

using scheduler::Campaign;
using scheduler::Device;
using scheduler::TimelineEntry;

constexpr Duration loop_gap = std::chrono::minutes{15};
constexpr Duration widest_gap = std::chrono::minutes{61};

// What the rules see of a device, without its id unless a campaign names it.
std::string device_class(const Device& device, std::span<const Campaign> campaigns) {
    std::string key;
    key += scheduler::to_string(device.kind);
    key += '\x1f' + device.zone + '\x1f' + device.time_zone + '\x1f';
    key += device.has_speaker ? '1' : '0';
    auto windows = [&key](const std::vector<scheduler::DailyWindow>& list) {
        key += '\x1f';
        for (const auto& window : list)
            key += std::to_string(window.start_minute) + '-' + std::to_string(window.end_minute) + ',';
    };
    windows(device.on_hours);
    windows(device.quiet_hours);
    key += '\x1f';
    for (const auto& tag : device.tags) key += tag + ',';
    // Only screens with a ticker band play ticker campaigns (scheduler::has_region).
    key += scheduler::has_region(device, scheduler::Region::Ticker) ? "\x1ft" : "\x1f";
    for (const auto& campaign : campaigns) {
        const auto& targets = campaign.targets;
        if (std::ranges::find(targets.device_ids, device.id) != targets.device_ids.end() ||
            std::ranges::find(targets.exclude_device_ids, device.id) != targets.exclude_device_ids.end()) {
            key += '\x1e' + device.id;
            break;
        }
    }
    return key;
}

struct LocalClock {
    const date::time_zone* zone = nullptr;

    date::local_time<Duration> local(TimePoint at) const { return zone->to_local(at); }
    // "HH:MM" local; the end of a day reads 24:00 when `end_of` and it falls on midnight.
    std::string clock(TimePoint at, bool end_of = false) const {
        const auto here = local(at);
        const auto since = here - date::floor<date::days>(here);
        auto minutes = std::chrono::duration_cast<std::chrono::minutes>(since).count();
        if (end_of && minutes == 0)
            minutes = 24 * 60;
        std::string text(5, '0');
        text[0] = static_cast<char>('0' + minutes / 600);
        text[1] = static_cast<char>('0' + (minutes / 60) % 10);
        text[2] = ':';
        text[3] = static_cast<char>('0' + (minutes % 60) / 10);
        text[4] = static_cast<char>('0' + minutes % 10);
        return text;
    }
    TimePoint midnight(std::chrono::year_month_day day) const {
        const date::year_month_day date_day{date::year{static_cast<int>(day.year())},
                                            date::month{static_cast<unsigned>(day.month())},
                                            date::day{static_cast<unsigned>(day.day())}};
        const auto sys = zone->to_sys(date::local_days{date_day}, date::choose::earliest);
        return TimePoint{std::chrono::duration_cast<Duration>(sys.time_since_epoch())};
    }
};

struct Span {
    TimePoint start;
    TimePoint end;
    std::int64_t plays = 0;
};

struct EventKey {
    TimePoint due;
    bool operator<(const EventKey& other) const { return due < other.due; }
};

struct Event {
    TimePoint start = TimePoint::max();
    TimePoint end = TimePoint::min();
    std::set<std::size_t> classes;             // device classes that play this run
    std::map<std::size_t, std::string> media;  // item index -> media sha256
};

// One campaign on one day.
struct DayItem {
    const Campaign* campaign = nullptr;
    std::int64_t plays = 0;
    Duration played{0};
    std::set<std::size_t> classes;     // device classes (by index) that play it
    std::vector<Span> spans;           // loop and share of voice, before merging
    std::map<EventKey, Event> events;  // fixed time
};

Duration gap_for(const Campaign& campaign) {
    if (campaign.mode != scheduler::Mode::ShareOfVoice || campaign.plays_per_hour <= 0)
        return loop_gap;
    const Duration interval = Duration{std::chrono::hours{1}} / campaign.plays_per_hour;
    return std::clamp(interval * 2, loop_gap, widest_gap);
}

}  // namespace

Result<nlohmann::ordered_json> calendar_days(const scheduler::Resolver& resolver,
                                             std::span<const scheduler::Device> devices,
                                             const CalendarRequest& request, CalendarFigures* figures) {
    LocalClock clock;
    try {
        clock.zone = date::locate_zone(request.time_zone);
    } catch (const std::exception& error) {
        return fail(Errc::InvalidInput, "time zone \"" + request.time_zone + "\": " + error.what());
    }
    const auto& model = resolver.model();
    std::unordered_map<std::string_view, const Campaign*> campaigns;
    for (const auto& campaign : model.campaigns) campaigns.emplace(campaign.id, &campaign);
    std::unordered_map<std::string_view, const scheduler::MediaRef*> media;
    for (const auto& ref : model.media) media.emplace(ref.sha256, &ref);

    const TimePoint from = clock.midnight(request.first_day);
    const auto last_day = std::chrono::sys_days{request.first_day} + std::chrono::days{request.days};
    const TimePoint to = clock.midnight(std::chrono::year_month_day{last_day});

    // Device classes: the first device of each, and how many devices it stands for.
    std::vector<std::pair<const Device*, std::int64_t>> classes;
    std::map<std::string, std::size_t> class_of;
    for (const auto& device : devices) {
        auto [at, fresh] = class_of.emplace(device_class(device, model.campaigns), classes.size());
        if (fresh)
            classes.emplace_back(&device, 1);
        else
            ++classes[at->second].second;
    }

    // The local days: their names and midnights (bounds[i] to bounds[i + 1]).
    std::vector<std::string> day_names;
    std::vector<TimePoint> bounds;
    for (int index = 0; index <= request.days; ++index) {
        const std::chrono::year_month_day date{std::chrono::sys_days{request.first_day} +
                                               std::chrono::days{index}};
        bounds.push_back(clock.midnight(date));
        if (index < request.days)
            day_names.push_back(format_date(date));
    }
    // day index -> campaign id -> item
    std::vector<std::map<std::string_view, DayItem>> days(day_names.size());
    CalendarFigures counted;
    for (std::size_t index = 0; index < classes.size(); ++index) {
        const auto& [device, weight] = classes[index];
        auto entries = resolver.resolve(*device, from, to);
        if (!entries)
            return std::unexpected(entries.error());
        // A screen with a ticker band also plays its ticker campaigns, resolved on their own.
        if (scheduler::has_region(*device, scheduler::Region::Ticker)) {
            auto ticker = resolver.resolve(*device, from, to, scheduler::Region::Ticker);
            if (!ticker)
                return std::unexpected(ticker.error());
            entries->insert(entries->end(), ticker->begin(), ticker->end());
        }
        ++counted.classes;
        counted.entries += static_cast<std::int64_t>(entries->size());
        for (const TimelineEntry& entry : *entries) {
            if (entry.source_kind != scheduler::SourceKind::Campaign || entry.start < from ||
                entry.start >= to)
                continue;
            if (!request.only_campaign.empty() && entry.source_id != request.only_campaign)
                continue;
            auto found = campaigns.find(entry.source_id);
            if (found == campaigns.end())
                continue;
            const Campaign& campaign = *found->second;
            const auto after = std::ranges::upper_bound(bounds, entry.start);
            const auto day_index = static_cast<std::size_t>(after - bounds.begin()) - 1;
            DayItem& item = days[day_index][campaign.id];
            item.campaign = &campaign;
            item.classes.insert(index);
            item.played += (entry.end - entry.start) * weight;
            if (entry.media_offset == Duration{0})
                item.plays += weight;
            if (entry.reason == scheduler::Reason::FixedTime) {
                Event& event = item.events[EventKey{entry.due}];
                event.start = std::min(event.start, entry.start);
                event.end = std::max(event.end, entry.end);
                event.media.emplace(entry.item_index, std::string{entry.media});
                event.classes.insert(index);
            } else {
                item.spans.push_back(
                    Span{entry.start, entry.end, entry.media_offset == Duration{0} ? weight : 0});
            }
        }
    }
    if (figures)
        *figures = counted;

    auto media_name = [&](const std::string& sha) -> nlohmann::ordered_json {
        auto found = media.find(sha);
        if (found == media.end() || found->second->name.empty())
            return nullptr;
        return found->second->name;
    };

    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (std::size_t day_index = 0; day_index < days.size(); ++day_index) {
        auto& items = days[day_index];
        const std::string& day = day_names[day_index];
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        auto devices_of = [&](const std::set<std::size_t>& of) {
            std::int64_t count = 0;
            for (const auto index : of) count += classes[index].second;
            return count;
        };
        for (auto& [id, day_item] : items) {
            DayItem* item = &day_item;
            const Campaign& campaign = *item->campaign;
            const std::int64_t devices_count = devices_of(item->classes);
            nlohmann::ordered_json json{
                {"kind", std::string{scheduler::to_string(campaign.mode)}},
                {"campaign", campaign.id},
                {"name", campaign.name.empty() ? campaign.id : campaign.name},
                {"region", std::string{scheduler::to_string(campaign.region)}},
                {"level", std::string{scheduler::to_string(campaign.level)}},
                {"approval", std::string{scheduler::to_string(campaign.approval)}},
                {"devices", devices_count},
                {"plays", item->plays},
                {"played_s", std::chrono::duration_cast<std::chrono::seconds>(item->played).count()}};
            if (!item->events.empty()) {
                nlohmann::ordered_json events = nlohmann::ordered_json::array();
                for (const auto& [key, event] : item->events) {
                    nlohmann::ordered_json names = nlohmann::ordered_json::array();
                    for (const auto& [index, sha] : event.media) names.push_back(media_name(sha));
                    events.push_back({{"at", clock.clock(key.due)},
                                      {"due", format_utc(key.due)},
                                      {"start", format_utc(event.start)},
                                      {"end", format_utc(event.end)},
                                      {"devices", devices_of(event.classes)},
                                      {"media", names}});
                }
                json["events"] = std::move(events);
            }
            if (!item->spans.empty()) {
                std::ranges::sort(item->spans, {}, &Span::start);
                const Duration gap = gap_for(campaign);
                std::vector<Span> merged;
                for (const auto& span : item->spans) {
                    if (!merged.empty() && span.start <= merged.back().end + gap) {
                        merged.back().end = std::max(merged.back().end, span.end);
                        merged.back().plays += span.plays;
                    } else {
                        merged.push_back(span);
                    }
                }
                // A band reaches the edges of the window it plays in when its first play is
                // within a gap of the window's start and its last within a gap of its end (the
                // last spot of 09:55 ends a band of 08:00-10:00).
                if (!campaign.windows.empty()) {
                    {
                        // (Local minutes from midnight: a day with a DST change is off by its shift.)
                        const TimePoint midnight = bounds[day_index];
                        for (auto& band : merged) {
                            for (const auto& window : campaign.windows) {
                                const TimePoint open = midnight + std::chrono::minutes{window.start_minute};
                                TimePoint close = midnight + std::chrono::minutes{window.end_minute};
                                if (window.end_minute <= window.start_minute)
                                    close += std::chrono::days{1};
                                if (band.end <= open || band.start >= close)
                                    continue;
                                if (band.start > open && band.start - open <= gap)
                                    band.start = open;
                                if (band.end < close && close - band.end <= gap)
                                    band.end = close;
                            }
                        }
                    }
                }
                nlohmann::ordered_json bands = nlohmann::ordered_json::array();
                for (const auto& band : merged)
                    bands.push_back({{"from", clock.clock(band.start)},
                                     {"to", clock.clock(band.end, true)},
                                     {"start", format_utc(band.start)},
                                     {"end", format_utc(band.end)},
                                     {"plays", band.plays}});
                json["bands"] = std::move(bands);
            }
            list.push_back(std::move(json));
        }
        // Alerts: each alert's time on this day.
        for (const auto& record : request.alerts) {
            const auto& alert = record.alert;
            TimePoint end = alert.expires;
            if (alert.cancelled)
                end = std::min(end, *alert.cancelled);
            const TimePoint day_start = bounds[day_index];
            const TimePoint day_end = bounds[day_index + 1];
            const TimePoint start = std::max(alert.issued, day_start);
            const TimePoint stop = std::min(end, day_end);
            // An alert cancelled the instant it was sent still shows, on the day it was sent.
            if (stop < start || (stop == start && !(alert.issued >= day_start && alert.issued < day_end)))
                continue;
            list.push_back({{"kind", "alert"},
                            {"alert", alert.id},
                            {"name", alert.headline},
                            {"live", alert.status == scheduler::AlertStatus::Actual},
                            {"severity", std::string{scheduler::to_string(alert.severity)}},
                            {"state", std::string{to_string(record.state)}},
                            {"spans", nlohmann::ordered_json::array({{{"from", clock.clock(start)},
                                                                      {"to", clock.clock(stop, true)},
                                                                      {"start", format_utc(start)},
                                                                      {"end", format_utc(stop)}}})}});
        }
        out.push_back({{"day", day}, {"items", std::move(list)}});
    }
    return nlohmann::ordered_json{{"days", std::move(out)}};
}

}  // namespace bantin::controller
