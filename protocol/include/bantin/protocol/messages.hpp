#pragma once
// Message types of wire protocol v1 (docs/protocol.md, "Messages"): plain values, one per
// payload "type". The JSON codecs are in codec.hpp, the signed envelope in envelope.hpp.
//
// Controller -> device messages (Bundle, Command, AlertMessage, AlertCancel, LiveStart, LiveEnd,
// Ack) travel
// signed; device -> controller messages (Status, ProofOfPlayBatch, CommandReply) travel as
// plain JSON, authenticated by the broker's per-device credentials and ACL. Instants are UTC
// (`TimePoint`); identifiers follow topics.hpp ([A-Za-z0-9._-], 1..64 characters).

#include "bantin/common/time.hpp"
#include "bantin/scheduler/model.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::protocol {

// The payload "v" this build writes and the only one it reads.
inline constexpr int message_version = 1;

// One file the device must hold to play its schedule, fetched over HTTP by `url` and
// verified by `sha256` and `size` before it is ever played.
struct MediaEntry {
    std::string sha256;      // 64 lowercase hex digits
    std::uint64_t size = 0;  // bytes
    scheduler::MediaType type = scheduler::MediaType::Video;
    std::optional<Duration> duration;
    std::string url;  // http:// or https://
    bool operator==(const MediaEntry&) const = default;
};

// The operator's settings for one device: what the device applies outside the schedule.
struct Settings {
    int default_volume = 80;  // percent, 0..100
    std::vector<scheduler::VolumeStep> volume_schedule;
    std::vector<scheduler::DailyWindow> on_hours;     // empty: always on
    std::vector<scheduler::DailyWindow> quiet_hours;  // empty: never quiet
    bool operator==(const Settings&) const = default;
};

// bantin/v1/dev/{device}/bundle: everything one device needs to run offline.
// `model.devices` holds exactly this device; its campaigns, playlists, media and alerts are
// those that target it.
struct Bundle {
    std::string device;
    std::uint64_t version = 0;  // strictly increasing per device, starting at 1
    TimePoint issued_at;
    TimePoint expires_at;
    scheduler::Model model;
    std::vector<MediaEntry> manifest;
    Settings settings;
    bool operator==(const Bundle&) const = default;
};

enum class CommandKind { Ping, SetVolume, Reload, Screenshot };

inline constexpr std::size_t max_upload_url_bytes = 2048;

// bantin/v1/dev/{device}/cmd
struct Command {
    std::string id;
    std::string device;
    CommandKind kind = CommandKind::Ping;
    std::optional<int> volume;  // SetVolume only (args.volume, 0..100); absent otherwise
    // Screenshot only (args.upload_url): where the device PUTs the PNG, an http:// or https://
    // URL of at most max_upload_url_bytes. Absent: the device keeps the PNG locally.
    std::optional<std::string> upload_url;
    TimePoint issued_at;
    TimePoint expires_at;
    bool operator==(const Command&) const = default;
};

// bantin/v1/alert/all or bantin/v1/alert/zone/{zone}, retained: an emergency alert with what
// it plays. alert.playlist == playlist.id; every playlist item is in `media`.
struct AlertMessage {
    scheduler::Alert alert;
    scheduler::Playlist playlist;
    std::vector<scheduler::MediaRef> media;
    std::vector<MediaEntry> manifest;
    bool operator==(const AlertMessage&) const = default;
};

// Replaces a retained alert on the same topic: stop the alert `alert_id` now.
struct AlertCancel {
    std::string alert_id;
    std::vector<std::string> zones;
    bool all_zones = false;
    TimePoint issued_at;
    TimePoint expires_at;  // of the cancelled alert; after it, the cancel may be dropped
    bool operator==(const AlertCancel&) const = default;
};

// bantin/v1/live/zone/{zone}, retained: a live channel is open. The device plays `url` (an
// Icecast mount) now, preempting what `level` outranks (docs/scheduling.md, "Live channels"),
// until a LiveEnd replaces this message, the source stops, or `ends_at` (the safety net: a
// channel nobody closes still ends).
struct LiveStart {
    std::string id;
    std::vector<std::string> zones;  // at least one
    scheduler::Level level = scheduler::Level::Priority;
    std::string url;  // scheduler::stream_url_problem() finds nothing wrong with it
    TimePoint started_at;
    TimePoint ends_at;  // after started_at, at most max_live_duration later
    bool operator==(const LiveStart&) const = default;
};

// The longest a live channel may be open; a longer one is refused on the wire.
inline constexpr std::chrono::hours max_live_duration{12};

// Replaces a retained LiveStart on the same topics: the channel `live_id` is closed.
struct LiveEnd {
    std::string live_id;
    std::vector<std::string> zones;
    TimePoint issued_at;
    TimePoint expires_at;  // after it, the end may be dropped (the channel's ends_at has passed)
    bool operator==(const LiveEnd&) const = default;
};

enum class Presence { Online, Offline };
using SourceKind = scheduler::SourceKind;  // one type: the resolver's entries carry it too
using Region = scheduler::Region;  // where on a screen a play was shown (docs/scheduling.md, "Regions")

struct NowPlaying {
    SourceKind source = SourceKind::Campaign;
    std::string source_id;  // campaign or alert id
    std::string media;      // sha256
    TimePoint started_at;
    bool operator==(const NowPlaying&) const = default;
};

struct DownloadProgress {
    std::uint64_t files_done = 0;
    std::uint64_t files_total = 0;
    std::uint64_t bytes_done = 0;
    std::uint64_t bytes_total = 0;
    bool operator==(const DownloadProgress&) const = default;
};

// bantin/v1/dev/{device}/status, retained; the Last Will is the same message with
// presence Offline.
struct Status {
    std::string device;
    Presence presence = Presence::Online;
    TimePoint reported_at;
    std::string install_epoch;  // chosen once per installation (fresh local state)
    std::string boot_id;        // changes on every start of the daemon
    std::string software_version;
    std::uint64_t uptime_ms = 0;
    std::uint64_t desired_bundle_version = 0;  // 0: none seen yet
    std::uint64_t applied_bundle_version = 0;  // 0: none applied yet
    std::optional<NowPlaying> now_playing;
    std::optional<DownloadProgress> download;  // absent when nothing is downloading
    std::uint64_t cache_used_bytes = 0;
    std::uint64_t cache_capacity_bytes = 0;
    std::optional<std::string> last_error;
    // Bundles received again with a version not newer than the applied one (a retained copy,
    // a replay) since the daemon started; ignored, only counted. Sent when not 0.
    std::uint64_t replayed_bundles = 0;
    // Present when the device cannot do its job (a speaker without an audio output): why.
    std::optional<std::string> unhealthy;
    bool operator==(const Status&) const = default;
};

// How a play ended: the one proof-outcome type. The player's engine reports it, the outbox
// stores it, the wire carries it, the controller's store and reports count it.
enum class Outcome { Completed, Interrupted, Failed };

// A player calls a play `completed` only when it was out for its whole slot less this much
// (a renderer's start latency); the controller's reports accept no less (reports.hpp).
inline constexpr Duration completed_tolerance{500};

// A relay's own figures (an item that plays a stream live, docs/player.md "Relays"): how long
// the station was heard, how long the filler played while its source was down, and how often
// the source stopped. On the wire relayed_ms, filler_ms and source_losses come together, on a
// relay's row only; relayed_ms + filler_ms is at most the row's duration_ms.
struct RelayFigures {
    std::uint64_t relayed_ms = 0;
    std::uint64_t filler_ms = 0;
    std::uint32_t source_losses = 0;
    bool operator==(const RelayFigures&) const = default;
};

// What a decoder takes as a relay's figures at most: no play lasts a week (the milliseconds),
// and a source retried every 5 s to 30 s does not stop 100,000 times in one play.
inline constexpr std::uint64_t max_relay_figure_ms = 7ULL * 24 * 3600 * 1000;
inline constexpr std::uint32_t max_source_losses = 100'000;

struct ProofOfPlayRow {
    std::uint64_t seq = 0;  // per device and install epoch, from 1, no gaps
    SourceKind source = SourceKind::Campaign;
    std::string source_id;
    std::uint32_t item_index = 0;  // position in the playlist
    std::string media;             // sha256
    TimePoint started_at;          // UTC, wall clock
    TimePoint ended_at;
    std::uint64_t duration_ms = 0;  // measured on the monotonic clock
    Outcome outcome = Outcome::Completed;
    std::uint64_t bundle_version = 0;
    // What the outcome alone does not say, e.g. "audio: unavailable" on a completed play shown
    // without sound. Sent only when not empty.
    std::string note;
    // A relay's figures; absent on every other row (and from players made before them).
    std::optional<RelayFigures> relay;
    // Ticker: a line of a ticker campaign scrolled along the bottom of a screen. Sent only then.
    Region region = Region::Main;
    bool operator==(const ProofOfPlayRow&) const = default;
};

// The note of a play shown without sound (a screen whose audio output could not open): still a
// play, and the controller's reports count it as muted.
inline constexpr std::string_view audio_unavailable_note = "audio: unavailable";

// bantin/v1/dev/{device}/pop
struct ProofOfPlayBatch {
    std::string device;
    std::string install_epoch;
    std::vector<ProofOfPlayRow> rows;  // ascending seq
    bool operator==(const ProofOfPlayBatch&) const = default;
};

enum class ReplyResult { Ok, Error };

// Also on bantin/v1/dev/{device}/pop (the device's at-least-once uplink): the answer to a
// command. The device resends it until an Ack lists the command id.
struct CommandReply {
    std::string device;
    std::string command_id;
    ReplyResult result = ReplyResult::Ok;
    std::string detail;
    std::optional<std::string> payload;  // e.g. a screenshot's sha256 or URL
    TimePoint replied_at;
    bool operator==(const CommandReply&) const = default;
};

// bantin/v1/dev/{device}/ack: what the controller has committed. The device prunes proof rows
// with seq <= committed_seq of this install epoch, and stops resending the listed replies.
struct Ack {
    std::string device;
    std::string install_epoch;
    std::uint64_t committed_seq = 0;  // highest contiguous committed; 0: none
    std::vector<std::string> replied_commands;
    TimePoint issued_at;
    bool operator==(const Ack&) const = default;
};

// Wire names: "ping", "set-volume", "online", "campaign", "completed", "ok", ...
std::string_view to_string(CommandKind kind);
std::string_view to_string(Presence presence);
std::string_view to_string(Outcome outcome);
// "completed" | "interrupted" | "failed"; anything else is InvalidInput naming the text.
Result<Outcome> parse_outcome(std::string_view text);
std::string_view to_string(ReplyResult result);

}  // namespace bantin::protocol
