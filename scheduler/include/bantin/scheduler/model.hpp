#pragma once
// The schedule model: plain value types shared by the controller (which stores and edits
// them) and the player (which receives them in a bundle and runs them offline).
//
// Everything here is data; the rules that turn it into a timeline live in resolver.hpp and
// are written out in docs/scheduling.md. Local clock times (windows, fixed times, on-hours)
// are minutes after local midnight in the device's IANA time zone; instants are UTC.
// Identifiers are short strings chosen by the controller ([A-Za-z0-9._-], 1..64 chars).

#include "bantin/common/time.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bantin::scheduler {

inline constexpr std::string_view default_time_zone = "Asia/Ho_Chi_Minh";

enum class DeviceKind { Screen, Speaker };
// What a timeline entry, a play and its proof row come from (one type for the resolver, the
// wire and the player). Live: an operator's live channel (protocol::LiveStart), laid over the
// timeline by the player; the resolver itself never makes one.
enum class SourceKind { Campaign, Alert, Live };
enum class MediaType { Video, Image, Audio, Text, Stream };
// The three bulletin levels of Thông tư 39/2020/TT-BTTTT, lowest first.
enum class Level { Normal, Priority, Emergency };
enum class Mode { Loop, FixedTime, ShareOfVoice };
enum class ApprovalState { Draft, Submitted, Approved, Rejected, Archived };
// CAP 1.2 severities, lowest first.
enum class Severity { Minor, Moderate, Severe, Extreme };
// CAP status: an exercise (drill) is never mistaken for a live alert.
enum class AlertStatus { Actual, Exercise };
// Where on a screen a campaign plays (docs/scheduling.md, "Regions"): the main region (the
// whole frame below the header, and every sound), or the ticker band along the bottom.
enum class Region { Main, Ticker };

// A daily window [start, end) in local minutes after midnight. end <= start means the window
// crosses midnight (22:00-02:00); start 0, end 1440 is the whole day.
struct DailyWindow {
    int start_minute = 0;
    int end_minute = 24 * 60;
    bool operator==(const DailyWindow&) const = default;
};

struct VolumeStep {
    DailyWindow window;
    int volume = 80;  // percent, 0..100
    bool operator==(const VolumeStep&) const = default;
};

// A screen's layout: horizontal bands of its frame (docs/scheduling.md, "Regions").
struct ScreenLayout {
    int header_permille = 0;  // top band above the main region: commune name, date, clock, QR code; 0 = none
    int ticker_permille =
        0;  // bottom band drawn over the main region, where ticker campaigns scroll; 0 = none
    bool operator==(const ScreenLayout&) const = default;
};

struct Device {
    std::string id;
    DeviceKind kind = DeviceKind::Screen;
    std::string zone;  // commune or ward id
    std::vector<std::string> tags;
    std::string time_zone{default_time_zone};
    std::vector<DailyWindow> on_hours;     // empty: always on
    std::vector<DailyWindow> quiet_hours;  // empty: never quiet
    int default_volume = 80;               // percent, when no volume step applies
    std::vector<VolumeStep> volume_schedule;
    bool has_speaker = false;  // screens only; speakers always play sound
    // The device's own quiet hours (player.toml [safety]) in its own time zone, which no bundle
    // can move: a bundle that gives the device "UTC" still cannot make a speaker in Vietnam sound
    // at 03:00 local time. Set by the player after it reads a bundle; never on the wire.
    std::vector<DailyWindow> local_quiet_hours;
    std::string local_time_zone;  // IANA name; empty: time_zone
    ScreenLayout layout;          // screens only; a speaker's is ignored
    std::string zone_name;        // the zone's name for people (the controller fills it from its zones)
    std::string board_url;        // the zone's public board page (a QR code on screens); empty: none
    bool operator==(const Device&) const = default;
};

struct MediaRef {
    std::string sha256;  // 64 lowercase hex digits; the content address
    MediaType type = MediaType::Video;
    // Natural length. Required for video and audio, and for text (the length of its spoken
    // version); for images and streams it is the default a playlist item may override.
    std::optional<Duration> duration;
    bool has_audio = true;   // video: has a sound track; stream: carries sound
    bool has_video = false;  // stream: carries pictures
    std::string name;        // for people; not used by the rules
    // Text only: the sha256 of its spoken version, an Audio MediaRef of the same model. A
    // speaker plays that audio in the text's place (speak_text_notices in
    // bantin/protocol/speech_link.hpp); a screen shows the text.
    std::optional<std::string> speech = std::nullopt;
    // Stream only: where it is relayed from, an http:// or https:// URL (an Icecast mount, an
    // HLS playlist). The controller names a stream by the sha256 of this URL.
    std::optional<std::string> url = std::nullopt;
    // Stream only: the sha256 of an audio or video media of the same model that a device plays
    // while the stream's source is down, so listeners hear a filler and not silence.
    std::optional<std::string> filler = std::nullopt;
    bool operator==(const MediaRef&) const = default;
};

struct PlaylistItem {
    std::string media;                 // sha256 of a MediaRef
    std::optional<Duration> duration;  // overrides the media's own
    int weight = 1;                    // plays per cycle, spread evenly (smooth weighted round robin)
    bool operator==(const PlaylistItem&) const = default;
};

struct Playlist {
    std::string id;
    std::string name;
    std::vector<PlaylistItem> items;
    bool operator==(const Playlist&) const = default;
};

struct Targets {
    std::vector<std::string> zones;               // any of; empty = every zone
    std::vector<DeviceKind> kinds;                // any of; empty = both kinds
    std::vector<std::string> tags;                // any of; empty = no tag needed
    std::vector<std::string> device_ids;          // these devices too, whatever the rules above say
    std::vector<std::string> exclude_device_ids;  // never these
    bool operator==(const Targets&) const = default;
};

struct Campaign {
    std::string id;
    std::string name;
    std::string playlist;  // Playlist id
    Targets targets;
    // Local dates, inclusive; absent = unbounded.
    std::optional<std::chrono::year_month_day> valid_from;
    std::optional<std::chrono::year_month_day> valid_to;
    std::uint8_t weekdays = 0x7f;      // bit 0 = Monday ... bit 6 = Sunday
    std::vector<DailyWindow> windows;  // loop and share-of-voice; empty = all day
    Mode mode = Mode::Loop;
    std::vector<int> fixed_times;  // FixedTime: local minutes after midnight
    int plays_per_hour = 0;        // ShareOfVoice: N
    Level level = Level::Normal;
    int rank = 0;    // inside a level; higher preempts
    int weight = 1;  // Loop: share of time against loops of the same level and rank
    ApprovalState approval = ApprovalState::Draft;
    Region region = Region::Main;  // Ticker: a line of text along the bottom of screens
    bool operator==(const Campaign&) const = default;
};

struct RepeatPolicy {
    int count = 1;         // playlist runs; 0 = until the alert ends
    Duration interval{0};  // between run starts; 0 = back to back
    bool operator==(const RepeatPolicy&) const = default;
};

struct Alert {
    std::string id;
    std::vector<std::string> zones;  // empty together with all_zones=false is invalid
    bool all_zones = false;
    Severity severity = Severity::Severe;
    AlertStatus status = AlertStatus::Actual;
    TimePoint issued;
    TimePoint expires;
    std::optional<TimePoint> cancelled;
    std::string headline;
    std::string text;
    std::string playlist;  // Playlist id
    RepeatPolicy repeat;
    bool operator==(const Alert&) const = default;
};

// Everything the resolver needs, as the controller stores it or a bundle carries it.
struct Model {
    std::vector<Device> devices;
    std::vector<MediaRef> media;
    std::vector<Playlist> playlists;
    std::vector<Campaign> campaigns;
    std::vector<Alert> alerts;
    bool operator==(const Model&) const = default;
};

// The names of the enums above on the wire and in the model's JSON (docs/model.md): one
// table each, read by to_string(), by the JSON reader and by anyone else who names them.
template <class Enum, std::size_t Count>
using NameTable = std::array<std::pair<Enum, std::string_view>, Count>;
inline constexpr NameTable<DeviceKind, 2> device_kind_names{
    {{DeviceKind::Screen, "screen"}, {DeviceKind::Speaker, "speaker"}}};
inline constexpr NameTable<MediaType, 5> media_type_names{{{MediaType::Video, "video"},
                                                           {MediaType::Image, "image"},
                                                           {MediaType::Audio, "audio"},
                                                           {MediaType::Text, "text"},
                                                           {MediaType::Stream, "stream"}}};
inline constexpr NameTable<Level, 3> level_names{
    {{Level::Normal, "normal"}, {Level::Priority, "priority"}, {Level::Emergency, "emergency"}}};
inline constexpr NameTable<Mode, 3> mode_names{
    {{Mode::Loop, "loop"}, {Mode::FixedTime, "fixed_time"}, {Mode::ShareOfVoice, "share_of_voice"}}};
inline constexpr NameTable<ApprovalState, 5> approval_state_names{{{ApprovalState::Draft, "draft"},
                                                                   {ApprovalState::Submitted, "submitted"},
                                                                   {ApprovalState::Approved, "approved"},
                                                                   {ApprovalState::Rejected, "rejected"},
                                                                   {ApprovalState::Archived, "archived"}}};
inline constexpr NameTable<Severity, 4> severity_names{{{Severity::Minor, "minor"},
                                                        {Severity::Moderate, "moderate"},
                                                        {Severity::Severe, "severe"},
                                                        {Severity::Extreme, "extreme"}}};
inline constexpr NameTable<AlertStatus, 2> alert_status_names{
    {{AlertStatus::Actual, "actual"}, {AlertStatus::Exercise, "exercise"}}};
inline constexpr NameTable<Region, 2> region_names{{{Region::Main, "main"}, {Region::Ticker, "ticker"}}};

// The name of `value` in `table`; "?" for a value the table lacks (a broken invariant).
template <class Enum, std::size_t Count>
constexpr std::string_view name_in(const NameTable<Enum, Count>& table, Enum value) {
    for (const auto& [candidate, name] : table) {
        if (candidate == value)
            return name;
    }
    return "?";
}
// The value named `text` in `table`, if any.
template <class Enum, std::size_t Count>
constexpr std::optional<Enum> value_in(const NameTable<Enum, Count>& table, std::string_view text) {
    for (const auto& [candidate, name] : table) {
        if (name == text)
            return candidate;
    }
    return std::nullopt;
}

std::string_view to_string(DeviceKind);
std::string_view to_string(SourceKind);  // "campaign", "alert", "live"
std::string_view to_string(MediaType);
std::string_view to_string(Level);
std::string_view to_string(Mode);
std::string_view to_string(ApprovalState);
std::string_view to_string(Severity);
std::string_view to_string(AlertStatus);
std::string_view to_string(Region);

// Whether a device of this shape can play this media at all (docs/scheduling.md, "Who plays
// what"): speakers need sound, screens need pictures or a speaker.
bool can_play(const Device& device, const MediaRef& media);

// Whether `url` may be a zone's public board page (Device::board_url): empty, or http:// or
// https:// with a host, at most 512 bytes, no spaces or control characters. The reason it may
// not, or empty.
std::string board_url_problem(std::string_view url);

// Whether `layout` is one a screen can draw: each band 0..500 permille, header and ticker
// together at most 600 (the main region keeps at least 40 % of the frame). The reason, or empty.
std::string layout_problem(const ScreenLayout& layout);

// Whether a campaign of `region` plays on this device at all: every device has a main region;
// only a screen whose layout has a ticker band has a ticker region.
bool has_region(const Device& device, Region region);

// Whether `url` may be a stream's source: http:// or https://, a host, at most 2048 bytes, no
// spaces or control characters. The reason it may not, or empty.
std::string stream_url_problem(std::string_view url);

// Whether a campaign's targets select this device (approval state and dates not considered).
bool targets(const Targets& targets, const Device& device);

// Whether an alert covers this device's zone.
bool covers(const Alert& alert, const Device& device);

// Checks references and ranges across the whole model: every playlist and media id resolves,
// a text notice's speech names audio media of the model, durations exist where needed,
// windows and times are inside a day, time zones exist.
// Reports every problem at once, each with its path ("campaigns[3].playlist: ...").
Result<void> validate(const Model& model);

}  // namespace bantin::scheduler
