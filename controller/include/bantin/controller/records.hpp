#pragma once
// The rows the controller keeps: plain value types passed to and from the Store.
//
// Schedule data reuses the scheduler's model (a CampaignRecord holds a scheduler::Campaign,
// a DeviceRecord a scheduler::Device) and adds what only the controller knows: who wrote it,
// its approval history, versions, fleet state. Instants are UTC (bantin::TimePoint). Pure data;
// any thread. docs/store.md describes each table.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/protocol/messages.hpp"
#include "bantin/scheduler/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller {

using UserId = std::int64_t;

// One role per user. Admin may do everything the others may.
enum class Role { Editor, Approver, Operator, Admin };
std::string_view to_string(Role role);
Result<Role> parse_role(std::string_view text);

struct User {
    UserId id = 0;
    std::string name;          // login name, unique ignoring ASCII case
    std::string display_name;  // for people and the audit log
    Role role = Role::Editor;
    std::string password_hash;  // libsodium crypto_pwhash_str text ("$argon2id$...")
    bool disabled = false;
    TimePoint created;
    bool operator==(const User&) const = default;
};

struct SessionRecord {
    std::string token_hash;  // hex SHA-256 of the bearer/cookie token; the token itself is never stored
    UserId user = 0;
    TimePoint created;
    TimePoint expires;
    std::string csrf_token;  // sent back by the web UI in a header on every state-changing request
    bool operator==(const SessionRecord&) const = default;
};

struct LoginAttempt {
    std::string user_name;  // as typed, compared ignoring ASCII case
    std::string source;     // client address
    TimePoint at;
    bool succeeded = false;
};

struct MediaRecord {
    scheduler::MediaRef media;  // sha256, type, duration, audio/video flags, name
    std::int64_t size = 0;      // bytes on disk
    std::optional<UserId> uploaded_by;
    TimePoint created;
    // Text notices (type Text): the text shown on screens and its spoken version.
    std::optional<std::string> text;
    std::optional<std::string> tts_media;  // sha256 of an Audio media row
    bool operator==(const MediaRecord&) const = default;
};

struct PlaylistRecord {
    scheduler::Playlist playlist;
    std::optional<UserId> created_by;
    TimePoint created;
    TimePoint updated;
    std::int64_t version = 1;  // bumped by every update; updates name the version they edited
    bool operator==(const PlaylistRecord&) const = default;
};

// The last approved version of a campaign whose newer version awaits approval (an approved
// campaign edited: docs/api.md "Editing an approved campaign"). It keeps playing until the new
// version is approved (then it is dropped) or the campaign is archived.
struct ApprovedVersion {
    scheduler::Campaign campaign;  // approval is Approved
    std::int64_t version = 0;      // the version number it had when approved
    std::optional<UserId> decided_by;
    std::optional<TimePoint> decided;
    std::string decision_note;
    bool operator==(const ApprovedVersion&) const = default;
};

struct CampaignRecord {
    scheduler::Campaign campaign;  // campaign.approval is the approval state
    UserId author = 0;             // created it
    std::optional<UserId> last_editor;
    std::optional<UserId> submitted_by;
    std::optional<UserId> decided_by;  // approved or rejected it
    std::string decision_note;         // why it was rejected (or a note on approval)
    TimePoint created;
    TimePoint updated;
    std::optional<TimePoint> submitted;
    std::optional<TimePoint> decided;
    std::optional<TimePoint> archived;
    std::int64_t version = 1;  // bumped by every change, edits and state changes alike
    // Set while a newer version of an approved campaign is a draft, submitted or rejected: what
    // devices still play.
    std::optional<ApprovedVersion> approved;
    bool operator==(const CampaignRecord&) const = default;
};

struct ZoneRecord {
    std::string id;  // commune or ward id, as used in campaign targets and alert topics
    std::string name;
    bool operator==(const ZoneRecord&) const = default;
};

struct DeviceRecord {
    scheduler::Device device;  // id, kind, zone, tags, time zone, hours, volume, speaker
    std::string name;
    std::int64_t desired_version = 0;  // the bundle version last published to it
    std::string desired_digest;        // hash of that bundle's content, to skip unchanged rebuilds
    std::int64_t applied_version = 0;  // the bundle version it reports playing
    std::string last_status;           // its last status message, JSON text ("" if none)
    std::optional<TimePoint> last_seen;
    bool online = false;
    std::optional<TimePoint> revoked;  // revoked devices keep their history but lose access
    // Its broker password as Mosquitto's `$7$` PBKDF2-SHA512 hash (protocol::hash_broker_password),
    // not argon2id: the broker's password file is regenerated from these rows.
    std::string mqtt_password_hash;
    TimePoint created;
    bool operator==(const DeviceRecord&) const = default;
};

// A device settings change held back by the two-person rule (docs/fleet.md "Device settings").
enum class SettingChangeState { Pending, Confirmed, Cancelled };
std::string_view to_string(SettingChangeState state);

struct DeviceSettingChange {
    std::string id;  // "set-" + 16 hex digits
    std::string device;
    std::string settings_json;  // the fields it changes, in the device's JSON form
    SettingChangeState state = SettingChangeState::Pending;
    UserId proposed_by = 0;
    TimePoint proposed_at;
    std::optional<UserId> decided_by;
    std::optional<TimePoint> decided_at;
    bool operator==(const DeviceSettingChange&) const = default;
};

enum class AlertState {
    AwaitingConfirmation,  // a live alert waits for a second operator
    Sent,                  // published
    Cancelled,
};
std::string_view to_string(AlertState state);

struct AlertRecord {
    scheduler::Alert alert;
    AlertState state = AlertState::AwaitingConfirmation;
    UserId created_by = 0;
    std::optional<UserId> cancelled_by;
    std::string media;  // optional sha256 of attached media; "" if none
    TimePoint created;
    // The alerts this one replaces (a CAP Update's references): they are cancelled when it is sent.
    std::vector<std::string> replaces;
    bool operator==(const AlertRecord&) const = default;
};

struct AlertConfirmation {
    std::string alert;
    UserId user = 0;
    TimePoint at;
    bool operator==(const AlertConfirmation&) const = default;
};

// An open live channel (live.hpp), as the store keeps it: what its devices were told (the signed
// start: id, zones, level, listen URL, start and end) and who opened it. The Icecast source
// credentials are not kept: the service derives them from its configuration.
struct LiveChannelRecord {
    protocol::LiveStart start;
    std::string mount;  // "/live-....opus"
    std::string opened_by;
    bool operator==(const LiveChannelRecord&) const = default;
};

// How a play ended: the protocol's one outcome type (completed, interrupted, failed).
using PlayOutcome = protocol::Outcome;

// One play, as a device reports it. (device, install_epoch, seq) identifies it: seq counts from 1
// per install epoch, and a device that loses its state starts a new epoch.
struct ProofOfPlayRow {
    std::string device;
    std::int64_t install_epoch = 0;
    std::int64_t seq = 0;
    std::string campaign;  // "" for alerts, live broadcasts and fillers
    std::string alert;     // "" unless an alert was played
    // A live channel's id (source `live`: an operator's broadcast, LiveStart); "" otherwise.
    // Rows of schema versions before 8 kept it in `alert`; migration 8 moved them here.
    std::string live;
    int item = 0;       // index in the playlist
    std::string media;  // sha256
    TimePoint started;
    TimePoint ended;
    PlayOutcome outcome = PlayOutcome::Completed;
    std::int64_t bundle_version = 0;
    // How long it ran, measured by the device (monotonic); nullopt for rows stored before
    // schema version 3.
    std::optional<std::int64_t> duration_ms;
    // The device's remark on the play (protocol::audio_unavailable_note on a play shown without
    // sound); empty when none, and for rows stored before schema version 4.
    std::string note;
    // A relay's figures (the station's time, the filler's, the source's losses): a stream
    // item's row from a player that sends them; nullopt otherwise and for rows stored before
    // schema version 7.
    std::optional<protocol::RelayFigures> relay;
    // Where on the screen it was shown: Ticker for a ticker campaign's line (docs/scheduling.md,
    // "Regions"); Main for every other row and for rows stored before schema version 10.
    scheduler::Region region = scheduler::Region::Main;
    bool operator==(const ProofOfPlayRow&) const = default;
};

// Missing seqs [first, last], both inclusive.
struct SeqRange {
    std::int64_t first = 0;
    std::int64_t last = 0;
    bool operator==(const SeqRange&) const = default;
};

// Where a device's proof stands after a commit: every seq in 1..contiguous is stored (the ack
// value); gaps lists what is missing between contiguous and the highest seq received.
struct ProofProgress {
    std::string device;
    std::int64_t install_epoch = 0;
    std::int64_t contiguous = 0;
    std::int64_t highest = 0;
    std::vector<SeqRange> gaps;
    std::int64_t inserted = 0;  // new rows in this batch (repeats are not counted)
    bool operator==(const ProofProgress&) const = default;
};

struct AuditEntry {
    std::int64_t id = 0;         // assigned by the store
    std::optional<UserId> user;  // absent for the system itself (migrations, the first-admin CLI)
    std::string user_name;       // kept even if the user is later renamed or removed
    TimePoint at;
    std::string action;       // "campaign.approve", "user.create", ...
    std::string entity_type;  // "campaign", "user", ...
    std::string entity_id;
    std::string before;  // JSON text, "" for a creation
    std::string after;   // JSON text, "" for a deletion
    bool operator==(const AuditEntry&) const = default;
};

struct Page {
    int limit = 100;
    int offset = 0;
};

}  // namespace bantin::controller
