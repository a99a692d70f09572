#include "bantin/scheduler/resolver.hpp"

#include "local_time.hpp"
#include "prepared.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace bantin::scheduler {

std::string_view to_string(Reason reason) {
    switch (reason) {
        case Reason::Loop: return "loop";
        case Reason::FixedTime: return "fixed_time";
        case Reason::ShareOfVoice: return "share_of_voice";
        case Reason::Alert: return "alert";
        case Reason::Live: return "live";
    }
    return "?";
}

std::string_view to_string(Ending ending) {
    switch (ending) {
        case Ending::Completed: return "completed";
        case Ending::Cut: return "cut";
    }
    return "?";
}

std::string_view to_string(SourceKind kind) {
    switch (kind) {
        case SourceKind::Campaign: return "campaign";
        case SourceKind::Alert: return "alert";
        case SourceKind::Live: return "live";
    }
    return "?";
}

bool resumes_at_offset(MediaType type, Duration item_length) {
    return (type == MediaType::Audio || type == MediaType::Video) && item_length >= resume_threshold;
}

using detail::Key;
using detail::Sequence;
using detail::Step;

namespace {

constexpr int class_loop = 0;
constexpr int class_share = 1;
constexpr int class_run = 2;
constexpr int tier_alert = 3;

// Whether `a`, becoming due, cuts the item of `b` that is playing. Strictly higher keys cut,
// except that share-of-voice waits for the item in progress at its own level and rank.
bool interrupts(const Key& a, const Key& b) {
    if (!(a > b)) {
        return false;
    }
    return !(a.cls == class_share && a.tier == b.tier && a.rank == b.rank);
}

constexpr std::uint64_t unbounded = std::numeric_limits<std::uint64_t>::max();

// A bounded piece of work: a fixed-time run, one share-of-voice play, or an alert run.
struct Run {
    Key key;
    SourceKind kind;
    std::string_view id;
    Reason reason;
    TimePoint due;
    TimePoint start_deadline;  // dropped if not started by then
    TimePoint stop_at;         // never plays past this
    const Sequence* sequence;  // nullptr: an alert's blank in the ticker region (it plays nothing)
    std::size_t cursor_slot;
    std::uint64_t remaining;  // items left; `unbounded` for a continuous alert
    bool started = false;
    std::size_t order = 0;
};

struct Loop {
    Key key;
    std::string_view id;
    const Sequence* sequence;
    IntervalSet availability;
    std::size_t interval_index = 0;
    std::size_t cursor_slot;
    double virtual_time = 0;
    int weight = 1;
    bool contending = false;
};

struct Event {
    TimePoint time;
    Key key;
};

// Where a source's cut item plays on from (docs/scheduling.md, "Preemption and resume"): the
// media offset, valid only in the stretch (a loop's interval index) it was cut in.
struct Resume {
    Duration offset{0};
    std::size_t stretch = 0;
};

}  // namespace

struct Resolver::Impl {
    Model model;
    ResolveOptions options;
    std::unordered_map<std::string_view, const MediaRef*> media;
    // Expanded playlists, by playlist id; node-based, so PreparedSource pointers stay valid.
    std::unordered_map<std::string_view, detail::Sequences> playlist_sequences;
    std::vector<detail::PreparedSource> campaigns;
    std::vector<detail::PreparedSource> alerts;
    std::unordered_map<std::string_view, std::vector<std::size_t>> campaigns_by_zone;
    std::unordered_map<std::string_view, std::vector<std::size_t>> campaigns_by_device;
    std::vector<std::size_t> campaigns_any_zone;

    std::vector<const detail::PreparedSource*> campaigns_for(const Device& device, Region region) const;
    void simulate_day(const Device& device, Region region, const date::time_zone& zone, const LocalDay& day,
                      std::vector<TimelineEntry>& out) const;
};

std::vector<const detail::PreparedSource*> Resolver::Impl::campaigns_for(const Device& device,
                                                                         Region region) const {
    std::vector<std::size_t> indices = campaigns_any_zone;
    if (auto it = campaigns_by_zone.find(device.zone); it != campaigns_by_zone.end()) {
        indices.insert(indices.end(), it->second.begin(), it->second.end());
    }
    if (auto it = campaigns_by_device.find(device.id); it != campaigns_by_device.end()) {
        indices.insert(indices.end(), it->second.begin(), it->second.end());
    }
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    std::vector<const detail::PreparedSource*> selected;
    for (std::size_t index : indices) {
        const auto& source = campaigns[index];
        if (source.campaign->region == region && targets(source.campaign->targets, device)) {
            selected.push_back(&source);
        }
    }
    return selected;
}

void Resolver::Impl::simulate_day(const Device& device, Region region, const date::time_zone& zone,
                                  const LocalDay& day, std::vector<TimelineEntry>& out) const {
    const int capability = detail::capability_class(device);
    const IntervalSet available = device_availability(zone, day, device);
    const IntervalSet whole_day{{{day.start, day.end}}};

    std::vector<Run> runs;
    std::vector<Loop> loops;
    std::vector<std::size_t> cursors;
    std::vector<Resume> resumes;  // beside cursors, one per cursor slot
    auto new_cursor = [&cursors, &resumes] {
        cursors.push_back(0);
        resumes.emplace_back();
        return cursors.size() - 1;
    };

    for (const auto* source : campaigns_for(device, region)) {
        const Campaign& campaign = *source->campaign;
        const Sequence& sequence = (*source->sequences)[static_cast<std::size_t>(capability)];
        if (sequence.empty()) {
            continue;
        }
        const Key base{static_cast<int>(campaign.level), campaign.rank, class_loop, 0};
        const auto runs_on = [&campaign](date::local_days date) { return campaign_runs_on(campaign, date); };
        switch (campaign.mode) {
            case Mode::FixedTime: {
                if (!runs_on(day.day)) {
                    break;
                }
                for (int minute : campaign.fixed_times) {
                    const TimePoint due = to_utc(zone, day.day, minute);
                    const Interval* open = available.find(due);
                    if (open == nullptr) {
                        continue;  // outside on-hours or inside quiet hours: not played
                    }
                    runs.push_back(Run{Key{base.tier, base.rank, class_run, 0}, SourceKind::Campaign,
                                       campaign.id, Reason::FixedTime, due, open->end, open->end, &sequence,
                                       new_cursor(), sequence.size()});
                }
                break;
            }
            case Mode::ShareOfVoice: {
                const IntervalSet windows =
                    campaign.windows.empty()
                        ? window_occurrences(zone, day, {DailyWindow{0, 24 * 60}}, runs_on)
                        : window_occurrences(zone, day, campaign.windows, runs_on);
                const IntervalSet open = windows.intersect(available);
                if (open.empty()) {
                    break;
                }
                const std::size_t cursor = new_cursor();
                const Duration spacing{3'600'000 / campaign.plays_per_hour};
                for (TimePoint hour = day.start; hour < day.end; hour += std::chrono::hours{1}) {
                    const TimePoint hour_end = std::min(hour + std::chrono::hours{1}, day.end);
                    for (int k = 0; k < campaign.plays_per_hour; ++k) {
                        const TimePoint due = hour + spacing * k + spacing / 2;
                        if (due >= hour_end) {
                            break;
                        }
                        const Interval* slot = open.find(due);
                        if (slot == nullptr) {
                            continue;
                        }
                        runs.push_back(Run{Key{base.tier, base.rank, class_share, 0}, SourceKind::Campaign,
                                           campaign.id, Reason::ShareOfVoice, due,
                                           std::min(hour_end, slot->end), slot->end, &sequence, cursor, 1});
                    }
                }
                break;
            }
            case Mode::Loop: {
                IntervalSet windows = campaign.windows.empty()
                                          ? window_occurrences(zone, day, {DailyWindow{0, 24 * 60}}, runs_on)
                                          : window_occurrences(zone, day, campaign.windows, runs_on);
                IntervalSet open = windows.intersect(available);
                if (open.empty()) {
                    break;
                }
                loops.push_back(Loop{base, campaign.id, &sequence, std::move(open), 0, new_cursor(), 0.0,
                                     campaign.weight});
                break;
            }
        }
    }

    for (const auto& source : alerts) {
        const Alert& alert = *source.alert;
        if (!covers(alert, device)) {
            continue;
        }
        const Sequence& sequence = (*source.sequences)[static_cast<std::size_t>(capability)];
        if (sequence.empty() && region == Region::Main) {
            continue;
        }
        const TimePoint end = alert.cancelled ? std::min(alert.expires, *alert.cancelled) : alert.expires;
        IntervalSet active = IntervalSet{{{alert.issued, end}}}.intersect(whole_day);
        if (alert.status == AlertStatus::Exercise) {
            active = active.intersect(available);  // a drill keeps on-hours and quiet hours
        }
        if (active.empty()) {
            continue;
        }
        const Key key{tier_alert, static_cast<int>(alert.severity), class_run, to_unix_ms(alert.issued)};
        if (region != Region::Main) {
            // An alert clears the ticker for as long as it is active: a blank of the alert tier,
            // which cuts and holds back ticker campaigns as the alert does main ones.
            for (const auto& open : active.intervals()) {
                runs.push_back(Run{key, SourceKind::Alert, alert.id, Reason::Alert, open.start, open.end,
                                   open.end, nullptr, new_cursor(), unbounded});
            }
            continue;
        }
        auto add_run = [&](TimePoint due, const Interval& open, std::uint64_t items) {
            runs.push_back(Run{key, SourceKind::Alert, alert.id, Reason::Alert, due, open.end, open.end,
                               &sequence, new_cursor(), items});
        };
        const auto& repeat = alert.repeat;
        if (repeat.interval.count() == 0) {
            if (repeat.count == 0) {
                // Continuous: plays through every active stretch, restarting at each one.
                for (const auto& open : active.intervals()) {
                    add_run(open.start, open, unbounded);
                }
            } else if (const Interval* open = active.find(alert.issued)) {
                add_run(alert.issued, *open, sequence.size() * static_cast<std::uint64_t>(repeat.count));
            }
        } else {
            // Passes due at issued + k * interval. Passes of one alert never overlap: a pass
            // starts at max(its due time, the end of the previous pass), so when a pass lasts
            // longer than the interval they follow back to back. A pass cannot start before
            // the previous one started plus a whole pass (an alert's cut item is replayed
            // whole, never resumed at an offset), so a
            // pass that cannot start inside its active stretch is not made at all: the queue
            // holds what can play, not one pass per interval.
            const auto interval = repeat.interval.count();
            Duration pass_length{0};
            for (const Step& step : sequence) {
                pass_length += step.duration;
            }
            long long first = 0;
            if (day.start > alert.issued) {
                first = ((day.start - alert.issued).count() + interval - 1) / interval;
            }
            const Interval* stretch = nullptr;
            TimePoint earliest_start = day.start;
            for (long long k = first; repeat.count == 0 || k < repeat.count; ++k) {
                const TimePoint due = alert.issued + Duration{k * interval};
                if (due >= end || due >= day.end) {
                    break;
                }
                const Interval* open = active.find(due);
                if (open == nullptr) {
                    continue;
                }
                if (open != stretch) {
                    stretch = open;  // a pass cut at a stretch's end does not delay the next stretch
                    earliest_start = due;
                }
                earliest_start = std::max(earliest_start, due);
                if (earliest_start >= open->end) {
                    // The earlier passes fill this stretch: skip to the first due after it.
                    k = std::max<long long>(
                        k, ((open->end - alert.issued).count() + interval - 1) / interval - 1);
                    continue;
                }
                add_run(due, *open, sequence.size());
                earliest_start += pass_length;
            }
        }
    }

    for (std::size_t i = 0; i < runs.size(); ++i) {
        runs[i].order = i;
    }
    std::stable_sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.due < b.due; });

    std::vector<Event> events;
    events.reserve(runs.size() + loops.size() * 2);
    for (const auto& run : runs) {
        events.push_back({run.due, run.key});
    }
    for (const auto& loop : loops) {
        for (const auto& open : loop.availability.intervals()) {
            events.push_back({open.start, loop.key});
        }
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.time < b.time; });

    std::vector<std::size_t> pending;
    std::vector<Loop*> group;
    TimePoint next_loop_change = day.start;
    std::size_t next_run = 0;
    std::size_t next_event = 0;
    TimePoint t = day.start;
    while (t < day.end) {
        while (next_run < runs.size() && runs[next_run].due <= t) {
            pending.push_back(next_run++);
        }
        std::erase_if(pending, [&](std::size_t index) {
            const Run& run = runs[index];
            return run.remaining == 0 || run.stop_at <= t || (!run.started && run.start_deadline <= t);
        });
        while (next_event < events.size() && events[next_event].time <= t) {
            ++next_event;
        }

        Run* best_run = nullptr;
        for (std::size_t index : pending) {
            Run& run = runs[index];
            if (best_run == nullptr || run.key > best_run->key ||
                (run.key == best_run->key &&
                 (run.due < best_run->due || (run.due == best_run->due && run.order < best_run->order)))) {
                best_run = &run;
            }
        }

        // The loops of the top level and rank that are open now. The group changes only at a
        // loop window boundary, so it is rebuilt only then.
        if (t >= next_loop_change) {
            next_loop_change = day.end;
            group.clear();
            Loop* top = nullptr;
            for (auto& loop : loops) {
                const auto& intervals = loop.availability.intervals();
                while (loop.interval_index < intervals.size() && intervals[loop.interval_index].end <= t) {
                    ++loop.interval_index;
                }
                if (loop.interval_index == intervals.size()) {
                    continue;
                }
                const Interval& next = intervals[loop.interval_index];
                if (next.start <= t) {
                    next_loop_change = std::min(next_loop_change, next.end);
                    if (top == nullptr || loop.key > top->key) {
                        top = &loop;
                    }
                } else {
                    next_loop_change = std::min(next_loop_change, next.start);
                }
            }
            // Fair share among the loops of the top level and rank: weighted fair queueing on
            // played time. A loop that (re)joins starts level with the others, without credit.
            double floor = std::numeric_limits<double>::max();
            for (auto& loop : loops) {
                const auto& intervals = loop.availability.intervals();
                const bool open =
                    loop.interval_index < intervals.size() && intervals[loop.interval_index].start <= t;
                if (open && top != nullptr && loop.key == top->key) {
                    group.push_back(&loop);
                    if (loop.contending) {
                        floor = std::min(floor, loop.virtual_time);
                    }
                }
            }
            for (auto& loop : loops) {
                const bool member = std::find(group.begin(), group.end(), &loop) != group.end();
                if (member && !loop.contending && floor != std::numeric_limits<double>::max()) {
                    loop.virtual_time = std::max(loop.virtual_time, floor);
                }
                loop.contending = member;
            }
        }
        Loop* best_loop = nullptr;
        if (!group.empty() && (best_run == nullptr || group.front()->key > best_run->key)) {
            for (Loop* loop : group) {
                if (best_loop == nullptr || loop->virtual_time < best_loop->virtual_time) {
                    best_loop = loop;
                }
            }
            best_run = nullptr;
        }

        if (best_run == nullptr && best_loop == nullptr) {
            t = next_event < events.size() ? std::min(events[next_event].time, day.end) : day.end;
            continue;
        }
        if (best_run != nullptr && best_run->sequence == nullptr) {
            best_run->started = true;  // an alert's blank in the ticker: nothing plays until it ends
            t = std::min(best_run->stop_at, day.end);
            continue;
        }

        const Key key = best_run != nullptr ? best_run->key : best_loop->key;
        const Sequence& sequence = best_run != nullptr ? *best_run->sequence : *best_loop->sequence;
        const std::size_t slot = best_run != nullptr ? best_run->cursor_slot : best_loop->cursor_slot;
        std::size_t& cursor = cursors[slot];
        const Step& step = sequence[cursor % sequence.size()];
        // A cut item plays on from its offset only in the stretch it was cut in: a loop whose
        // window or on-hours closed in between starts the item again (a run is dropped then).
        Resume& resume = resumes[slot];
        const std::size_t stretch = best_run != nullptr ? 0 : best_loop->interval_index;
        if (resume.stretch != stretch) {
            resume = Resume{};
        }
        const Duration offset = resume.offset;
        const TimePoint natural_end = t + (step.duration - offset);
        const TimePoint stop = best_run != nullptr
                                   ? best_run->stop_at
                                   : best_loop->availability.intervals()[best_loop->interval_index].end;
        TimePoint end = std::min({natural_end, stop, day.end});
        bool preempted = false;
        for (std::size_t e = next_event; e < events.size() && events[e].time < end; ++e) {
            if (interrupts(events[e].key, key)) {
                end = events[e].time;
                preempted = true;
                break;
            }
        }

        const bool completed = end == natural_end;
        // Where the item resumes (docs/scheduling.md, "Preemption and resume"): a campaign's
        // loop or fixed-time audio or video of at least resume_threshold, cut by a higher
        // source, plays on from where it was cut; a remainder under minimum_remainder is not
        // played (the item is over). Everything else cut starts again from its beginning.
        bool over = completed;
        resume = Resume{};
        if (!completed && preempted && (best_run == nullptr || best_run->reason == Reason::FixedTime) &&
            resumes_at_offset(step.type, step.duration)) {
            const Duration played = offset + (end - t);
            if (step.duration - played >= minimum_remainder) {
                resume = Resume{played, stretch};
            } else {
                over = true;
            }
        }
        TimelineEntry entry;
        entry.start = t;
        entry.end = end;
        entry.item_index = step.item_index;
        entry.media = step.media;
        entry.ending = completed ? Ending::Completed : Ending::Cut;
        entry.media_offset = offset;
        if (best_run != nullptr) {
            entry.source_kind = best_run->kind;
            entry.source_id = best_run->id;
            entry.reason = best_run->reason;
            entry.due = best_run->due;
            best_run->started = true;
            if (over) {
                ++cursor;
                if (best_run->remaining != unbounded) {
                    --best_run->remaining;
                }
            } else if (best_run->reason == Reason::ShareOfVoice) {
                // A share-of-voice play counts in the hour it starts; a cut play is over (it
                // is not replayed later, which could put N + 1 plays in the next hour). The
                // cursor stays, so the campaign's next play starts with the cut item.
                best_run->remaining = 0;
            }
        } else {
            entry.source_kind = SourceKind::Campaign;
            entry.source_id = best_loop->id;
            entry.reason = Reason::Loop;
            entry.due = t;
            best_loop->virtual_time += static_cast<double>((end - t).count()) / best_loop->weight;
            if (over) {
                ++cursor;
            }
        }
        out.push_back(entry);
        t = end;
    }
}

Resolver::Resolver(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Resolver::Resolver(Resolver&&) noexcept = default;
Resolver& Resolver::operator=(Resolver&&) noexcept = default;
Resolver::~Resolver() = default;

const Model& Resolver::model() const {
    return m_impl->model;
}

Result<Resolver> Resolver::create(Model model, ResolveOptions options) {
    if (auto valid = validate(model); !valid) {
        return std::unexpected(valid.error());
    }
    auto impl = std::make_unique<Impl>();
    impl->model = std::move(model);
    impl->options = options;
    for (const auto& media : impl->model.media) {
        impl->media.emplace(media.sha256, &media);
    }
    std::unordered_map<std::string_view, const Playlist*> playlists;
    for (const auto& playlist : impl->model.playlists) {
        playlists.emplace(playlist.id, &playlist);
    }
    // Each playlist is expanded once, however many campaigns and alerts play it.
    auto prepare = [&](detail::PreparedSource& source, const std::string& playlist_id) {
        const Playlist& playlist = *playlists.at(playlist_id);
        auto [it, inserted] = impl->playlist_sequences.try_emplace(playlist.id);
        if (inserted) {
            for (int capability = 0; capability < 3; ++capability) {
                it->second[static_cast<std::size_t>(capability)] =
                    detail::expand(playlist, impl->media, detail::capability_device(capability));
            }
        }
        source.sequences = &it->second;
    };
    for (const auto& campaign : impl->model.campaigns) {
        const bool eligible = campaign.approval == ApprovalState::Approved ||
                              (options.include_unapproved && (campaign.approval == ApprovalState::Draft ||
                                                              campaign.approval == ApprovalState::Submitted));
        if (!eligible) {
            continue;
        }
        detail::PreparedSource source;
        source.campaign = &campaign;
        prepare(source, campaign.playlist);
        const std::size_t index = impl->campaigns.size();
        impl->campaigns.push_back(std::move(source));
        if (campaign.targets.zones.empty()) {
            impl->campaigns_any_zone.push_back(index);
        }
        for (const auto& zone : campaign.targets.zones) {
            impl->campaigns_by_zone[zone].push_back(index);
        }
        for (const auto& id : campaign.targets.device_ids) {
            impl->campaigns_by_device[id].push_back(index);
        }
    }
    for (const auto& alert : impl->model.alerts) {
        detail::PreparedSource source;
        source.alert = &alert;
        prepare(source, alert.playlist);
        impl->alerts.push_back(std::move(source));
    }
    return Resolver{std::move(impl)};
}

Result<std::vector<TimelineEntry>> Resolver::resolve(const Device& device, TimePoint from, TimePoint to,
                                                     Region region) const& {
    const date::time_zone* zone = find_time_zone(device.time_zone);
    if (zone == nullptr) {
        return fail(Errc::InvalidInput,
                    "device " + device.id + ": unknown time zone \"" + device.time_zone + "\"");
    }
    std::vector<TimelineEntry> timeline;
    if (to <= from || !has_region(device, region)) {
        return timeline;
    }
    std::vector<TimelineEntry> day_entries;
    for (LocalDay day = local_day_of(*zone, from); day.start < to;
         day = local_day(*zone, day.day + date::days{1})) {
        day_entries.clear();
        m_impl->simulate_day(device, region, *zone, day, day_entries);
        for (const auto& entry : day_entries) {
            if (entry.end > from && entry.start < to) {
                timeline.push_back(entry);
            }
        }
    }
    return timeline;
}

Result<std::vector<std::pair<TimePoint, TimePoint>>> Resolver::local_quiet_hours(const Device& device,
                                                                                 TimePoint from,
                                                                                 TimePoint to) {
    const std::string& name = device.local_time_zone.empty() ? device.time_zone : device.local_time_zone;
    const date::time_zone* zone = find_time_zone(name);
    if (zone == nullptr) {
        return fail(Errc::InvalidInput, "device " + device.id + ": unknown time zone \"" + name + "\"");
    }
    std::vector<std::pair<TimePoint, TimePoint>> quiet;
    if (device.local_quiet_hours.empty() || to <= from) {
        return quiet;
    }
    const auto every_day = [](date::local_days) { return true; };
    std::vector<Interval> found;
    for (LocalDay day = local_day_of(*zone, from); day.start < to;
         day = local_day(*zone, day.day + date::days{1})) {
        const auto occurrences = window_occurrences(*zone, day, device.local_quiet_hours, every_day);
        found.insert(found.end(), occurrences.intervals().begin(), occurrences.intervals().end());
    }
    const IntervalSet clipped = IntervalSet(std::move(found)).intersect(IntervalSet{{{from, to}}});
    for (const auto& interval : clipped.intervals()) {
        quiet.emplace_back(interval.start, interval.end);
    }
    return quiet;
}

Result<int> Resolver::volume_at(const Device& device, TimePoint at) {
    const date::time_zone* zone = find_time_zone(device.time_zone);
    if (zone == nullptr) {
        return fail(Errc::InvalidInput,
                    "device " + device.id + ": unknown time zone \"" + device.time_zone + "\"");
    }
    const LocalDay day = local_day_of(*zone, at);
    for (const auto& step : device.volume_schedule) {
        const auto occurrences =
            window_occurrences(*zone, day, {step.window}, [](date::local_days) { return true; });
        if (occurrences.find(at) != nullptr) {
            return step.volume;
        }
    }
    return device.default_volume;
}

}  // namespace bantin::scheduler
