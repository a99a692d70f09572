// Property tests: random models from fixed seeds, each invariant checked on at least 1,000 of
// them. On failure the seed is printed; rerun one case with BANTIN_PROPERTY_SEED=<seed>.
// The checks use their own small oracle for local time (date/tz directly), not the resolver's
// internals.
#include "bantin/scheduler/json.hpp"

#include "model_builder.hpp"

#include <cstdlib>
#include <map>
#include <random>
#include <set>

using namespace bantin;
using namespace bantin::scheduler;
using namespace bantin::scheduler::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t base_seed = 20261127;

int case_count() {
    if (const char* text = std::getenv("BANTIN_PROPERTY_CASES")) {
        return std::max(1, std::atoi(text));
    }
    return 1000;
}

std::vector<std::uint64_t> seeds() {
    if (const char* text = std::getenv("BANTIN_PROPERTY_SEED")) {
        return {std::strtoull(text, nullptr, 10)};
    }
    std::vector<std::uint64_t> out;
    for (int i = 0; i < case_count(); ++i) {
        out.push_back(base_seed + static_cast<std::uint64_t>(i));
    }
    return out;
}

struct Case {
    Model model;
    Device device;
    TimePoint from;
    TimePoint to;
};

class Generator {
public:
    explicit Generator(std::uint64_t seed) : m_random(seed) {}

    int uniform(int low, int high) { return std::uniform_int_distribution<int>{low, high}(m_random); }
    std::int64_t uniform64(std::int64_t low, std::int64_t high) {
        return std::uniform_int_distribution<std::int64_t>{low, high}(m_random);
    }
    bool chance(double p) { return std::bernoulli_distribution{p}(m_random); }
    template <class T>
    const T& pick(const std::vector<T>& values) {
        return values[static_cast<std::size_t>(uniform(0, static_cast<int>(values.size()) - 1))];
    }

    DailyWindow window() {
        const int start = uniform(0, 95) * 15;
        int end = uniform(0, 96) * 15;
        if (end == start) {
            end = (start + 60) % (24 * 60);
        }
        return {start, end};
    }

    std::vector<DailyWindow> windows(int most) {
        std::vector<DailyWindow> out;
        const int n = uniform(0, most);
        for (int i = 0; i < n; ++i) {
            out.push_back(window());
        }
        return out;
    }

    Case make(bool with_alerts = true) {
        Case c;
        c.model = town();
        c.device = chance(0.5) ? screen("dev", chance(0.8) ? "z1" : "z2")
                               : speaker("dev", chance(0.8) ? "z1" : "z2");
        c.device.has_speaker = c.device.kind == DeviceKind::Speaker || chance(0.5);
        c.device.time_zone =
            pick(std::vector<std::string>{"Asia/Ho_Chi_Minh", "America/New_York", "Europe/Berlin"});
        if (chance(0.5)) {
            c.device.on_hours = {window()};
        }
        if (chance(0.4)) {
            c.device.quiet_hours = {window()};
        }
        const std::vector<std::string> media{video, silent_video, image, audio, text};
        const int playlists = uniform(1, 4);
        for (int p = 0; p < playlists; ++p) {
            std::vector<PlaylistItem> items;
            const int n = uniform(1, 4);
            for (int i = 0; i < n; ++i) {
                items.push_back(item(pick(media), uniform(3, 150), uniform(1, 3)));
            }
            c.model.playlists.push_back(playlist("p" + std::to_string(p), std::move(items)));
        }
        const int campaigns = uniform(0, 8);
        for (int i = 0; i < campaigns; ++i) {
            Campaign campaign = loop("c" + std::to_string(i), "p" + std::to_string(uniform(0, playlists - 1)),
                                     static_cast<Level>(uniform(0, 2)), uniform(0, 1));
            switch (uniform(0, 2)) {
                case 0:
                    campaign.windows = windows(2);
                    campaign.weight = uniform(1, 4);
                    break;
                case 1:
                    campaign.mode = Mode::FixedTime;
                    for (int k = uniform(1, 4); k > 0; --k) {
                        campaign.fixed_times.push_back(uniform(0, 24 * 60 - 1));
                    }
                    break;
                default:
                    campaign.mode = Mode::ShareOfVoice;
                    campaign.plays_per_hour = uniform(1, 12);
                    campaign.windows = windows(2);
                    break;
            }
            if (chance(0.2)) {
                campaign.targets.zones = {"z2"};
            }
            if (chance(0.2)) {
                campaign.weekdays = static_cast<std::uint8_t>(uniform(1, 127));
            }
            c.model.campaigns.push_back(std::move(campaign));
        }
        const std::vector<std::tuple<int, unsigned, unsigned>> days{
            {2026, 11, 23}, {2026, 3, 8}, {2026, 3, 29}, {2026, 10, 25}, {2026, 11, 1}, {2026, 7, 4}};
        const auto [year, month, day] = pick(days);
        c.from = local(c.device.time_zone.c_str(), year, month, day, 0);
        c.to = local(c.device.time_zone.c_str(), year, month, day + 1, 0);
        if (with_alerts) {
            const int alerts = uniform(0, 2);
            for (int i = 0; i < alerts; ++i) {
                const TimePoint issued = c.from + std::chrono::minutes{uniform(-120, 24 * 60)};
                Alert value =
                    alert("a" + std::to_string(i), "p" + std::to_string(uniform(0, playlists - 1)), issued,
                          issued + std::chrono::minutes{uniform(1, 90)}, {chance(0.8) ? "z1" : "z2"});
                value.severity = static_cast<Severity>(uniform(0, 3));
                value.status = chance(0.7) ? AlertStatus::Actual : AlertStatus::Exercise;
                value.repeat =
                    RepeatPolicy{uniform(0, 3), std::chrono::minutes{chance(0.5) ? 0 : uniform(1, 20)}};
                if (chance(0.2)) {
                    value.cancelled = issued + std::chrono::minutes{uniform(0, 30)};
                }
                c.model.alerts.push_back(std::move(value));
            }
        }
        return c;
    }

private:
    std::mt19937_64 m_random;
};

// ---------- an independent oracle for local time ----------

struct LocalClock {
    date::local_days day;
    int minute;  // minute of day
};

LocalClock local_clock(const Device& device, TimePoint t) {
    const auto local_time = date::locate_zone(device.time_zone)->to_local(t);
    const auto day = date::floor<date::days>(local_time);
    return {day, static_cast<int>(std::chrono::floor<std::chrono::minutes>(local_time - day).count())};
}

// Whether local minute m lies in a window, and on which date that occurrence started.
bool in_window(const DailyWindow& window, int m, int& started_days_back) {
    if (window.end_minute > window.start_minute) {
        started_days_back = 0;
        return m >= window.start_minute && m < window.end_minute;
    }
    if (m >= window.start_minute) {
        started_days_back = 0;
        return true;
    }
    started_days_back = 1;
    return m < window.end_minute;
}

// The second pass through a local hour repeated when clocks go back: the resolver maps a
// repeated local time to its first occurrence (docs/scheduling.md), which a minute-of-day
// oracle cannot express, so the checks skip those instants.
bool repeated_hour(const Device& device, TimePoint t) {
    const auto* zone = date::locate_zone(device.time_zone);
    const auto local_time = zone->to_local(t);
    const auto info = zone->get_info(date::floor<std::chrono::seconds>(local_time));
    return info.result == date::local_info::ambiguous;
}

bool in_any(const std::vector<DailyWindow>& windows, int m) {
    int back = 0;
    return std::any_of(windows.begin(), windows.end(),
                       [&](const DailyWindow& w) { return in_window(w, m, back); });
}

bool campaign_date_ok(const Campaign& campaign, date::local_days day) {
    const unsigned iso = date::weekday{day}.iso_encoding();
    return (campaign.weekdays & (1u << (iso - 1))) != 0;
}

// Device on-hours minus quiet hours at instant t (minute granularity is exact here because
// every generated window is on a 15-minute boundary and time zones shift by whole hours).
bool device_open(const Device& device, TimePoint t) {
    const auto clock = local_clock(device, t);
    const bool on = device.on_hours.empty() || in_any(device.on_hours, clock.minute);
    return on && !in_any(device.quiet_hours, clock.minute);
}

bool campaign_window_open(const Campaign& campaign, const Device& device, TimePoint t) {
    const auto clock = local_clock(device, t);
    if (campaign.windows.empty()) {
        return campaign_date_ok(campaign, clock.day);
    }
    for (const auto& window : campaign.windows) {
        int back = 0;
        if (in_window(window, clock.minute, back) &&
            campaign_date_ok(campaign, clock.day - date::days{back})) {
            return true;
        }
    }
    return false;
}

const Campaign* campaign_of(const Model& model, std::string_view id) {
    for (const auto& campaign : model.campaigns) {
        if (campaign.id == id) {
            return &campaign;
        }
    }
    return nullptr;
}

const Alert* alert_of(const Model& model, std::string_view id) {
    for (const auto& value : model.alerts) {
        if (value.id == id) {
            return &value;
        }
    }
    return nullptr;
}

bool plays_anything(const Model& model, const std::string& playlist_id, const Device& device) {
    for (const auto& list : model.playlists) {
        if (list.id != playlist_id) {
            continue;
        }
        for (const auto& entry : list.items) {
            for (const auto& media : model.media) {
                if (media.sha256 == entry.media && can_play(device, media)) {
                    return true;
                }
            }
        }
    }
    return false;
}

// The natural length of the playlist item an entry plays, and its media type.
std::pair<Duration, MediaType> item_of(const Model& model, const TimelineEntry& entry) {
    std::string playlist_id;
    if (entry.source_kind == SourceKind::Campaign) {
        playlist_id = campaign_of(model, entry.source_id)->playlist;
    } else {
        playlist_id = alert_of(model, entry.source_id)->playlist;
    }
    for (const auto& list : model.playlists) {
        if (list.id != playlist_id) {
            continue;
        }
        const PlaylistItem& item = list.items.at(entry.item_index);
        for (const auto& media : model.media) {
            if (media.sha256 == item.media) {
                return {item.duration ? *item.duration : *media.duration, media.type};
            }
        }
    }
    FAIL("no playlist item for entry");
    return {};
}

template <class Check>
void for_each_case(Check&& check, bool with_alerts = true) {
    for (const std::uint64_t seed : seeds()) {
        INFO("seed " << seed << " (rerun: BANTIN_PROPERTY_SEED=" << seed << ")");
        Generator generator{seed};
        const Case c = generator.make(with_alerts);
        const auto resolver = make_resolver(c.model);
        check(c, resolver, generator);
    }
}

}  // namespace

TEST_CASE("property: entries never overlap and are ordered", "[property]") {
    for_each_case([](const Case& c, const Resolver& resolver, Generator&) {
        require_no_overlap(resolve(resolver, c.device, c.from, c.to));
    });
}

TEST_CASE("property: resolving is deterministic, also after a JSON round trip", "[property]") {
    for_each_case([](const Case& c, const Resolver& resolver, Generator&) {
        const auto first = resolve(resolver, c.device, c.from, c.to);
        REQUIRE(first == resolve(resolver, c.device, c.from, c.to));
        auto reparsed = parse_model(to_json(c.model).dump());
        REQUIRE(reparsed);
        const auto again = make_resolver(std::move(*reparsed));
        REQUIRE(first.size() == resolve(again, c.device, c.from, c.to).size());
        REQUIRE(first == resolve(again, c.device, c.from, c.to));
    });
}

TEST_CASE("property: split invariance at any instant", "[property]") {
    for_each_case([](const Case& c, const Resolver& resolver, Generator& generator) {
        const TimePoint from = c.from - std::chrono::hours{generator.uniform(0, 30)};
        const TimePoint to = c.to + std::chrono::hours{generator.uniform(0, 30)};
        const auto whole = resolve(resolver, c.device, from, to);
        const TimePoint split = from + Duration{generator.uniform64(0, (to - from).count())};
        INFO("split at " << format_utc(split));
        auto joined = resolve(resolver, c.device, from, split);
        for (const auto& entry : resolve(resolver, c.device, split, to)) {
            if (joined.empty() || !(joined.back() == entry)) {
                joined.push_back(entry);
            }
        }
        REQUIRE(joined == whole);
    });
}

TEST_CASE("property: split invariance at cuts and at resumes at an offset", "[property][resume]") {
    for_each_case([](const Case& c, const Resolver& resolver, Generator&) {
        const auto whole = resolve(resolver, c.device, c.from, c.to);
        std::vector<TimePoint> splits;
        for (std::size_t i = 0; i < whole.size() && splits.size() < 12; ++i) {
            if (whole[i].media_offset > Duration{0}) {
                const Duration half = (whole[i].end - whole[i].start) / 2;
                splits.push_back(whole[i].start);
                splits.push_back(whole[i].start + half);
            }
            if (whole[i].ending == Ending::Cut) {
                splits.push_back(whole[i].end);
                splits.push_back(whole[i].end - (whole[i].end - whole[i].start) / 2);
            }
        }
        for (const TimePoint split : splits) {
            INFO("split at " << format_utc(split));
            auto joined = resolve(resolver, c.device, c.from, split);
            for (const auto& entry : resolve(resolver, c.device, split, c.to)) {
                if (joined.empty() || !(joined.back() == entry)) {
                    joined.push_back(entry);
                }
            }
            REQUIRE(joined == whole);
        }
    });
}

TEST_CASE("property: a resumed entry plays on exactly where its cut piece stopped", "[property][resume]") {
    std::size_t resumed = 0;
    for_each_case([&resumed](const Case& c, const Resolver& resolver, Generator&) {
        const auto timeline = resolve(resolver, c.device, c.from, c.to);
        for (std::size_t i = 0; i < timeline.size(); ++i) {
            const TimelineEntry& entry = timeline[i];
            const auto [length, type] = item_of(c.model, entry);
            // Every entry plays inside its item: offset + what it plays <= the item's length.
            REQUIRE(entry.media_offset >= Duration{0});
            REQUIRE(entry.media_offset + (entry.end - entry.start) <= length);
            if (entry.media_offset == Duration{0}) {
                continue;
            }
            ++resumed;
            // Only a campaign's loop or fixed-time audio or video of at least 30 s resumes.
            REQUIRE(entry.source_kind == SourceKind::Campaign);
            REQUIRE(entry.reason != Reason::ShareOfVoice);
            REQUIRE((type == MediaType::Audio || type == MediaType::Video));
            REQUIRE(length >= resume_threshold);
            REQUIRE(length - entry.media_offset >= minimum_remainder);
            // The source's entry before it is the same item, cut where this one starts.
            const TimelineEntry* before = nullptr;
            for (std::size_t j = i; j-- > 0;) {
                if (timeline[j].source_kind == entry.source_kind &&
                    timeline[j].source_id == entry.source_id) {
                    before = &timeline[j];
                    break;
                }
            }
            REQUIRE(before != nullptr);
            REQUIRE(before->ending == Ending::Cut);
            REQUIRE(before->item_index == entry.item_index);
            REQUIRE(before->media == entry.media);
            REQUIRE(before->media_offset + (before->end - before->start) == entry.media_offset);
            // Something of a higher key played in between: a preemption, not a window's end.
            REQUIRE(before->end < entry.start);
        }
    });
    // The generated models do cut long audio and video: the property is not vacuous.
    CHECK(resumed > 100);
}

TEST_CASE("property: campaign entries stay inside windows, on-hours and out of quiet hours", "[property]") {
    for_each_case([](const Case& c, const Resolver& resolver, Generator&) {
        for (const auto& entry : resolve(resolver, c.device, c.from, c.to)) {
            INFO(to_string(entry.reason) << " " << entry.source_id << " " << format_utc(entry.start) << " - "
                                         << format_utc(entry.end));
            const TimePoint last = entry.end - Duration{1};
            if (repeated_hour(c.device, entry.start) || repeated_hour(c.device, last)) {
                continue;
            }
            if (entry.source_kind == SourceKind::Alert) {
                const Alert* value = alert_of(c.model, entry.source_id);
                REQUIRE(value != nullptr);
                REQUIRE(entry.start >= value->issued);
                REQUIRE(entry.end <=
                        (value->cancelled ? std::min(value->expires, *value->cancelled) : value->expires));
                if (value->status == AlertStatus::Exercise) {
                    REQUIRE(device_open(c.device, entry.start));
                    REQUIRE(device_open(c.device, last));
                }
                continue;
            }
            REQUIRE(device_open(c.device, entry.start));
            REQUIRE(device_open(c.device, last));
            const Campaign* campaign = campaign_of(c.model, entry.source_id);
            REQUIRE(campaign != nullptr);
            REQUIRE(targets(campaign->targets, c.device));
            if (campaign->mode != Mode::FixedTime) {
                REQUIRE(campaign_window_open(*campaign, c.device, entry.start));
                REQUIRE(campaign_window_open(*campaign, c.device, last));
            }
        }
    });
}

TEST_CASE("property: levels are respected and live alerts own their time", "[property]") {
    for_each_case([](const Case& c, const Resolver& resolver, Generator&) {
        const auto timeline = resolve(resolver, c.device, c.from, c.to);
        for (const auto& entry : timeline) {
            INFO(entry.source_id << " at " << format_utc(entry.start));
            // No live alert that covers the device and has something it can play is active
            // while a campaign plays.
            if (entry.source_kind == SourceKind::Campaign) {
                for (const auto& value : c.model.alerts) {
                    const TimePoint end =
                        value.cancelled ? std::min(value.expires, *value.cancelled) : value.expires;
                    const bool active = value.issued <= entry.start && entry.start < end;
                    // A continuous alert always covers its span; a finite one only its runs.
                    if (active && value.status == AlertStatus::Actual && covers(value, c.device) &&
                        value.repeat.count == 0 && value.repeat.interval == Duration{0} &&
                        plays_anything(c.model, value.playlist, c.device)) {
                        FAIL_CHECK("campaign " << entry.source_id << " plays during live alert " << value.id);
                    }
                }
            }
            // A loop plays only when no loop of a higher level or rank could play.
            if (entry.reason == Reason::Loop && !repeated_hour(c.device, entry.start)) {
                const Campaign* mine = campaign_of(c.model, entry.source_id);
                for (const auto& other : c.model.campaigns) {
                    if (other.mode != Mode::Loop || !targets(other.targets, c.device) ||
                        !plays_anything(c.model, other.playlist, c.device)) {
                        continue;
                    }
                    const bool higher =
                        std::pair{other.level, other.rank} > std::pair{mine->level, mine->rank};
                    if (higher && campaign_window_open(other, c.device, entry.start)) {
                        FAIL_CHECK("loop " << mine->id << " plays while higher loop " << other.id
                                           << " is open");
                    }
                }
            }
        }
    });
}

TEST_CASE("property: share-of-voice plays never exceed N in a clock hour", "[property]") {
    for_each_case([](const Case& c, const Resolver& resolver, Generator&) {
        // Counted as heard: every entry is a play, in the clock hour of the local day it starts
        // in (c.from is local midnight). A cut play is not resumed, so a play is one entry.
        const auto hour_of = [&c](TimePoint t) {
            return std::chrono::floor<std::chrono::hours>(t - c.from).count();
        };
        std::map<std::pair<std::string_view, long>, int> plays;
        std::set<std::pair<std::string_view, TimePoint>> dues;
        for (const auto& entry : resolve(resolver, c.device, c.from, c.to)) {
            if (entry.reason != Reason::ShareOfVoice) {
                continue;
            }
            INFO(entry.source_id << " due " << format_utc(entry.due) << " starts "
                                 << format_utc(entry.start));
            REQUIRE(hour_of(entry.start) == hour_of(entry.due));
            REQUIRE(dues.insert({entry.source_id, entry.due}).second);
            plays[{entry.source_id, hour_of(entry.start)}] += 1;
        }
        for (const auto& [key, count] : plays) {
            const Campaign* campaign = campaign_of(c.model, key.first);
            INFO(key.first << " hour " << key.second);
            REQUIRE(count <= campaign->plays_per_hour);
        }
    });
}

TEST_CASE("property: share-of-voice counts are exact when nothing outranks them", "[property]") {
    for (const std::uint64_t seed : seeds()) {
        INFO("seed " << seed);
        Generator generator{seed};
        Case c = generator.make(false);
        const int per_hour = generator.uniform(1, 30);
        const int spacing_s = 3600 / per_hour;
        c.model.playlists.push_back(playlist("p-ad", {item(text, std::max(1, spacing_s / 3))}));
        Campaign ad = share("ad", "p-ad", per_hour, Level::Emergency);
        ad.rank = 1000;
        ad.windows = generator.windows(2);
        c.model.campaigns.push_back(ad);
        const auto resolver = make_resolver(c.model);
        std::size_t played = 0;
        for (const auto& entry : resolve(resolver, c.device, c.from, c.to)) {
            played += entry.source_id == "ad" && entry.start >= c.from && entry.start < c.to &&
                      !repeated_hour(c.device, entry.due);
        }
        // Oracle: every slot h + (k + 1/2) * spacing inside the window and the device's hours.
        std::size_t expected = 0;
        const Duration spacing{3'600'000 / per_hour};
        for (TimePoint hour = c.from; hour < c.to; hour += 1h) {
            for (int k = 0; k < per_hour; ++k) {
                const TimePoint due = hour + spacing * k + spacing / 2;
                if (due < std::min(hour + 1h, c.to) && !repeated_hour(c.device, due) &&
                    device_open(c.device, due) && campaign_window_open(ad, c.device, due)) {
                    ++expected;
                }
            }
        }
        REQUIRE(played == expected);
    }
}
