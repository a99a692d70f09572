#include "bantin/scheduler/model.hpp"

#include "bantin/scheduler/json.hpp"

#include "local_time.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace bantin::scheduler {

std::string_view to_string(DeviceKind kind) {
    return name_in(device_kind_names, kind);
}

std::string_view to_string(MediaType type) {
    return name_in(media_type_names, type);
}

std::string_view to_string(Level level) {
    return name_in(level_names, level);
}

std::string_view to_string(Mode mode) {
    return name_in(mode_names, mode);
}

std::string_view to_string(ApprovalState state) {
    return name_in(approval_state_names, state);
}

std::string_view to_string(Severity severity) {
    return name_in(severity_names, severity);
}

std::string_view to_string(AlertStatus status) {
    return name_in(alert_status_names, status);
}

std::string_view to_string(Region region) {
    return name_in(region_names, region);
}

namespace {

// An http:// or https:// URL with a host, at most `limit` bytes, no spaces or control
// characters; `what` names it in the reason ("a stream's URL").
std::string web_url_problem(std::string_view url, std::size_t limit, const std::string& what) {
    if (url.size() > limit) {
        return what + " is at most " + std::to_string(limit) + " bytes";
    }
    if (std::any_of(url.begin(), url.end(), [](char c) {
            return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) == 0x7f;
        })) {
        return what + " has no spaces or control characters";
    }
    std::string_view rest;
    for (std::string_view scheme : {"http://", "https://"}) {
        if (url.size() > scheme.size() &&
            std::equal(scheme.begin(), scheme.end(), url.begin(),
                       [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b); })) {
            rest = url.substr(scheme.size());
        }
    }
    if (rest.empty()) {
        return what + " starts with http:// or https:// and names a host";
    }
    if (rest.front() == '/' || rest.front() == ':' || rest.front() == '?' || rest.front() == '#') {
        return what + " names a host";
    }
    return {};
}

}  // namespace

std::string stream_url_problem(std::string_view url) {
    return web_url_problem(url, 2048, "a stream's URL");
}

std::string board_url_problem(std::string_view url) {
    return url.empty() ? std::string{} : web_url_problem(url, 512, "a board URL");
}

std::string layout_problem(const ScreenLayout& layout) {
    if (layout.header_permille < 0 || layout.header_permille > 500 || layout.ticker_permille < 0 ||
        layout.ticker_permille > 500) {
        return "each band is 0..500 permille of the frame";
    }
    if (layout.header_permille + layout.ticker_permille > 600) {
        return "header and ticker together are at most 600 permille of the frame";
    }
    return {};
}

bool has_region(const Device& device, Region region) {
    return region == Region::Main || (device.kind == DeviceKind::Screen && device.layout.ticker_permille > 0);
}

namespace {

bool has_picture(const MediaRef& media) {
    switch (media.type) {
        case MediaType::Video:
        case MediaType::Image:
        case MediaType::Text: return true;
        case MediaType::Audio: return false;
        case MediaType::Stream: return media.has_video;
    }
    return false;
}

bool has_sound(const MediaRef& media) {
    switch (media.type) {
        case MediaType::Video: return media.has_audio;
        case MediaType::Image: return false;
        case MediaType::Audio:
        case MediaType::Text: return true;  // a text notice is spoken from its attached TTS audio
        case MediaType::Stream: return media.has_audio;
    }
    return false;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > 64) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-';
    });
}

bool valid_sha256(std::string_view digest) {
    return digest.size() == 64 && std::all_of(digest.begin(), digest.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

class Problems {
public:
    void add(std::string path, std::string message) {
        m_lines.push_back(std::move(path) + ": " + std::move(message));
    }
    Result<void> result() const {
        if (m_lines.empty()) {
            return {};
        }
        std::string text = std::to_string(m_lines.size()) + (m_lines.size() == 1 ? " problem" : " problems");
        for (const auto& line : m_lines) {
            text += "\n  " + line;
        }
        return fail(Errc::InvalidInput, std::move(text));
    }

private:
    std::vector<std::string> m_lines;
};

void check_window(Problems& problems, const std::string& path, const DailyWindow& window) {
    if (window.start_minute < 0 || window.start_minute >= 24 * 60 || window.end_minute < 0 ||
        window.end_minute > 24 * 60) {
        problems.add(path, "window must lie within 00:00-24:00");
    }
}

void check_windows(Problems& problems, const std::string& path, const std::vector<DailyWindow>& windows) {
    for (std::size_t i = 0; i < windows.size(); ++i) {
        check_window(problems, path + "[" + std::to_string(i) + "]", windows[i]);
    }
}

// A ticker scrolls a line of text: its campaign's playlist holds text notices only.
void check_ticker_playlist(Problems& problems, const std::string& path, const Model& model,
                           const std::string& playlist_id,
                           const std::unordered_map<std::string_view, const MediaRef*>& media_by_digest) {
    for (std::size_t p = 0; p < model.playlists.size(); ++p) {
        const Playlist& playlist = model.playlists[p];
        if (playlist.id != playlist_id) {
            continue;
        }
        for (std::size_t k = 0; k < playlist.items.size(); ++k) {
            const auto found = media_by_digest.find(playlist.items[k].media);
            if (found != media_by_digest.end() && found->second->type != MediaType::Text) {
                problems.add(path, "a ticker campaign plays text only; playlists[" + std::to_string(p) +
                                       "].items[" + std::to_string(k) + "] is " +
                                       std::string{to_string(found->second->type)});
            }
        }
        return;
    }
}

}  // namespace

bool can_play(const Device& device, const MediaRef& media) {
    if (device.kind == DeviceKind::Speaker) {
        return has_sound(media);
    }
    if (has_picture(media)) {
        return true;
    }
    return device.has_speaker && has_sound(media);
}

bool targets(const Targets& selection, const Device& device) {
    if (contains(selection.exclude_device_ids, device.id)) {
        return false;
    }
    if (contains(selection.device_ids, device.id)) {
        return true;
    }
    const bool rules_empty = selection.zones.empty() && selection.kinds.empty() && selection.tags.empty();
    if (rules_empty) {
        // A campaign that lists only devices targets only those; one that lists nothing
        // targets everything.
        return selection.device_ids.empty();
    }
    if (!selection.zones.empty() && !contains(selection.zones, device.zone)) {
        return false;
    }
    if (!selection.kinds.empty() &&
        std::find(selection.kinds.begin(), selection.kinds.end(), device.kind) == selection.kinds.end()) {
        return false;
    }
    if (!selection.tags.empty() &&
        std::none_of(selection.tags.begin(), selection.tags.end(),
                     [&](const std::string& tag) { return contains(device.tags, tag); })) {
        return false;
    }
    return true;
}

bool covers(const Alert& alert, const Device& device) {
    return alert.all_zones || contains(alert.zones, device.zone);
}

Result<void> validate(const Model& model) {
    Problems problems;
    std::set<std::string> media_ids;
    std::set<std::string> playlist_ids;
    std::set<std::string> seen;

    for (std::size_t i = 0; i < model.devices.size(); ++i) {
        const auto& device = model.devices[i];
        const std::string path = "devices[" + std::to_string(i) + "]";
        if (!valid_id(device.id)) {
            problems.add(path + ".id", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
        } else if (!seen.insert("device:" + device.id).second) {
            problems.add(path + ".id", "duplicate device id \"" + device.id + "\"");
        }
        if (!find_time_zone(device.time_zone)) {
            problems.add(path + ".time_zone", "unknown time zone \"" + device.time_zone + "\"");
        }
        check_windows(problems, path + ".on_hours", device.on_hours);
        check_windows(problems, path + ".quiet_hours", device.quiet_hours);
        if (!device.local_time_zone.empty() && !find_time_zone(device.local_time_zone)) {
            problems.add(path + ".local_time_zone", "unknown time zone \"" + device.local_time_zone + "\"");
        }
        check_windows(problems, path + ".local_quiet_hours", device.local_quiet_hours);
        if (auto problem = layout_problem(device.layout); !problem.empty()) {
            problems.add(path + ".layout", problem);
        }
        if (device.zone_name.size() > 200) {
            problems.add(path + ".zone_name", "is at most 200 bytes");
        }
        if (auto problem = board_url_problem(device.board_url); !problem.empty()) {
            problems.add(path + ".board_url", problem);
        }
        if (device.default_volume < 0 || device.default_volume > 100) {
            problems.add(path + ".default_volume", "must be 0..100");
        }
        for (std::size_t s = 0; s < device.volume_schedule.size(); ++s) {
            const auto& step = device.volume_schedule[s];
            const std::string step_path = path + ".volume_schedule[" + std::to_string(s) + "]";
            check_window(problems, step_path + ".window", step.window);
            if (step.volume < 0 || step.volume > 100) {
                problems.add(step_path + ".volume", "must be 0..100");
            }
        }
    }

    std::unordered_map<std::string_view, const MediaRef*> media_by_digest;
    for (std::size_t i = 0; i < model.media.size(); ++i) {
        const auto& media = model.media[i];
        const std::string path = "media[" + std::to_string(i) + "]";
        if (!valid_sha256(media.sha256)) {
            problems.add(path + ".sha256", "must be 64 lowercase hex digits");
        } else if (!media_ids.insert(media.sha256).second) {
            problems.add(path + ".sha256", "duplicate media " + media.sha256);
        }
        media_by_digest.emplace(media.sha256, &media);
        if (media.duration &&
            (*media.duration < std::chrono::milliseconds{100} || *media.duration > std::chrono::hours{24})) {
            problems.add(path + ".duration_ms", "must be 100..86400000 (0.1 s to 24 h)");
        }
        const bool needs_duration =
            media.type == MediaType::Video || media.type == MediaType::Audio || media.type == MediaType::Text;
        if (needs_duration && !media.duration) {
            problems.add(path + ".duration_ms",
                         "required for " + std::string{to_string(media.type)} + " media");
        }
        if (media.type == MediaType::Stream && !media.has_audio && !media.has_video) {
            problems.add(path, "a stream must carry sound or pictures");
        }
        if (media.type == MediaType::Stream && !media.url) {
            problems.add(path + ".url", "a stream needs the URL it is relayed from");
        } else if (media.url && media.type != MediaType::Stream) {
            problems.add(path + ".url",
                         "only a stream has a URL, this media is " + std::string{to_string(media.type)});
        } else if (media.url) {
            if (auto problem = stream_url_problem(*media.url); !problem.empty()) {
                problems.add(path + ".url", problem);
            }
        }
    }
    // A stream's filler: checked once every media of the model is known.
    for (std::size_t i = 0; i < model.media.size(); ++i) {
        const auto& media = model.media[i];
        if (!media.filler) {
            continue;
        }
        const std::string path = "media[" + std::to_string(i) + "].filler";
        if (media.type != MediaType::Stream) {
            problems.add(path,
                         "only a stream has a filler, this media is " + std::string{to_string(media.type)});
            continue;
        }
        const auto found = media_by_digest.find(*media.filler);
        if (!valid_sha256(*media.filler)) {
            problems.add(path, "must be 64 lowercase hex digits");
        } else if (found == media_by_digest.end()) {
            problems.add(path, "unknown media " + *media.filler);
        } else if (found->second->type != MediaType::Audio && found->second->type != MediaType::Video) {
            problems.add(path, "must name audio or video media; " + media.filler->substr(0, 12) + " is " +
                                   std::string{to_string(found->second->type)});
        }
    }
    // A text notice's speech: checked once every media of the model is known.
    for (std::size_t i = 0; i < model.media.size(); ++i) {
        const auto& media = model.media[i];
        if (!media.speech) {
            continue;
        }
        const std::string path = "media[" + std::to_string(i) + "].speech";
        if (media.type != MediaType::Text) {
            problems.add(
                path, "only a text notice has speech, this media is " + std::string{to_string(media.type)});
            continue;
        }
        const auto found = media_by_digest.find(*media.speech);
        if (!valid_sha256(*media.speech)) {
            problems.add(path, "must be 64 lowercase hex digits");
        } else if (found == media_by_digest.end()) {
            problems.add(path, "unknown media " + *media.speech);
        } else if (found->second->type != MediaType::Audio) {
            problems.add(path, "must name audio media; " + media.speech->substr(0, 12) + " is " +
                                   std::string{to_string(found->second->type)});
        }
    }

    for (std::size_t i = 0; i < model.playlists.size(); ++i) {
        const auto& playlist = model.playlists[i];
        const std::string path = "playlists[" + std::to_string(i) + "]";
        if (!valid_id(playlist.id)) {
            problems.add(path + ".id", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
        } else if (!playlist_ids.insert(playlist.id).second) {
            problems.add(path + ".id", "duplicate playlist id \"" + playlist.id + "\"");
        }
        if (playlist.items.empty()) {
            problems.add(path + ".items", "a playlist needs at least one item");
        }
        for (std::size_t k = 0; k < playlist.items.size(); ++k) {
            const auto& item = playlist.items[k];
            const std::string item_path = path + ".items[" + std::to_string(k) + "]";
            const auto found = media_by_digest.find(item.media);
            const MediaRef* media = found == media_by_digest.end() ? nullptr : found->second;
            if (media == nullptr) {
                problems.add(item_path + ".media", "unknown media " + item.media);
            } else if (!item.duration && !media->duration) {
                problems.add(item_path + ".duration_ms", "required: " + std::string{to_string(media->type)} +
                                                             " media " + item.media.substr(0, 12) +
                                                             " has no duration of its own");
            }
            // Bounded: a zero or tiny length would flood a day with entries, a huge one overflow.
            if (item.duration && (*item.duration < std::chrono::milliseconds{100} ||
                                  *item.duration > std::chrono::hours{24})) {
                problems.add(item_path + ".duration_ms", "must be 100..86400000 (0.1 s to 24 h)");
            }
            if (item.weight < 1 || item.weight > 100) {
                problems.add(item_path + ".weight", "must be 1..100");
            }
        }
    }

    for (std::size_t i = 0; i < model.campaigns.size(); ++i) {
        const auto& campaign = model.campaigns[i];
        const std::string path = "campaigns[" + std::to_string(i) + "]";
        if (!valid_id(campaign.id)) {
            problems.add(path + ".id", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
        } else if (!seen.insert("campaign:" + campaign.id).second) {
            problems.add(path + ".id", "duplicate campaign id \"" + campaign.id + "\"");
        }
        if (!playlist_ids.contains(campaign.playlist)) {
            problems.add(path + ".playlist", "unknown playlist \"" + campaign.playlist + "\"");
        } else if (campaign.region == Region::Ticker) {
            check_ticker_playlist(problems, path + ".playlist", model, campaign.playlist, media_by_digest);
        }
        if (campaign.valid_from && campaign.valid_to && *campaign.valid_to < *campaign.valid_from) {
            problems.add(path + ".valid_to", "is before valid_from");
        }
        if ((campaign.weekdays & 0x7f) == 0) {
            problems.add(path + ".weekdays", "at least one weekday is needed");
        }
        check_windows(problems, path + ".windows", campaign.windows);
        switch (campaign.mode) {
            case Mode::FixedTime:
                if (campaign.fixed_times.empty()) {
                    problems.add(path + ".fixed_times", "a fixed_time campaign needs at least one time");
                }
                for (std::size_t k = 0; k < campaign.fixed_times.size(); ++k) {
                    const int minute = campaign.fixed_times[k];
                    if (minute < 0 || minute >= 24 * 60) {
                        problems.add(path + ".fixed_times[" + std::to_string(k) + "]",
                                     "must be 00:00..23:59");
                    } else if (std::find(campaign.fixed_times.begin(),
                                         campaign.fixed_times.begin() + static_cast<std::ptrdiff_t>(k),
                                         minute) !=
                               campaign.fixed_times.begin() + static_cast<std::ptrdiff_t>(k)) {
                        // The same time twice would queue a second run right behind the first.
                        problems.add(path + ".fixed_times[" + std::to_string(k) + "]",
                                     format_clock(minute) + " is listed twice");
                    }
                }
                if (!campaign.windows.empty()) {
                    problems.add(path + ".windows",
                                 "a fixed_time campaign plays at its fixed_times; windows are for loop and "
                                 "share_of_voice");
                }
                break;
            case Mode::ShareOfVoice:
                if (campaign.plays_per_hour < 1 || campaign.plays_per_hour > 3600) {
                    problems.add(path + ".plays_per_hour", "must be 1..3600");
                }
                break;
            case Mode::Loop: break;
        }
        if (campaign.weight < 1 || campaign.weight > 1000) {
            problems.add(path + ".weight", "must be 1..1000");
        }
        if (campaign.rank < -1000 || campaign.rank > 1000) {
            problems.add(path + ".rank", "must be -1000..1000");
        }
    }

    for (std::size_t i = 0; i < model.alerts.size(); ++i) {
        const auto& alert = model.alerts[i];
        const std::string path = "alerts[" + std::to_string(i) + "]";
        if (!valid_id(alert.id)) {
            problems.add(path + ".id", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
        } else if (!seen.insert("alert:" + alert.id).second) {
            problems.add(path + ".id", "duplicate alert id \"" + alert.id + "\"");
        }
        if (!alert.all_zones && alert.zones.empty()) {
            problems.add(path + ".zones", "name at least one zone, or set all_zones");
        }
        if (alert.expires <= alert.issued) {
            problems.add(path + ".expires", "must be after issued");
        }
        if (!playlist_ids.contains(alert.playlist)) {
            problems.add(path + ".playlist", "unknown playlist \"" + alert.playlist + "\"");
        }
        if (alert.repeat.count < 0) {
            problems.add(path + ".repeat.count", "must be >= 0");
        }
        if (alert.repeat.interval.count() < 0) {
            problems.add(path + ".repeat.interval_s", "must be >= 0");
        }
    }
    return problems.result();
}

}  // namespace bantin::scheduler
