#pragma once
// The controller's storage interface. Everything the controller keeps goes through a Store;
// SqliteStore (sqlite_store.hpp) is the backend today, and a PostgreSQL backend later
// implements the same two classes.
//
// Lifecycle: a backend is opened (and migrated) by its own factory. All data access happens
// inside a transaction: Store::read() or Store::write() run a function with a StoreTransaction;
// when the function returns an error (or the commit fails) nothing it did is kept, so a change
// and its audit row are stored together or not at all. A StoreTransaction must not escape the
// function it was given to.
//
// Threads: a Store may be called from any thread; calls are serialised by the backend as
// needed. Functions passed to read()/write() must not call back into the same Store.
//
// Errors: NotFound for a missing row asked for by key, AlreadyExists for a duplicate key on
// create, Conflict for a stale version or a broken reference, Timeout when the database stayed
// locked, Io for the rest. Errors name the table and key.

#include "bantin/common/error.hpp"
#include "bantin/controller/records.hpp"

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace bantin::controller {

struct CampaignFilter {
    // Only this state. Approved means the approved version of each campaign: approved rows, and
    // for a campaign whose newer version awaits approval its kept approved version
    // (CampaignRecord::approved, answered as the record) — what devices play.
    std::optional<scheduler::ApprovalState> approval;
    std::optional<UserId> author;
};

// What one device reported playing of one alert (its proof-of-play rows).
struct AlertDevicePlays {
    std::string device;
    std::int64_t completed = 0;
    std::int64_t interrupted = 0;
    std::int64_t failed = 0;
    TimePoint first;  // the first play's start
    TimePoint last;   // the last play's end
};

// One device's plays of one local day (the device's day, as the reports bucket it) for one
// (campaign, alert, live channel, media, region), summed when the retention pass folds rows
// older than storage.proof_retention_days (docs/store.md, "Proof-of-play retention").
// completed + cut_short + interrupted + failed == plays; completed and cut_short split the rows
// reported completed by the reports' rule (ran_enough_of_slot) as it stood when summarised;
// muted counts the completed ones shown without sound.
struct ProofDaySummary {
    std::string day;  // YYYY-MM-DD
    std::string device;
    std::string campaign;
    std::string alert;
    std::string live;
    std::string media;
    scheduler::Region region = scheduler::Region::Main;
    std::int64_t plays = 0;
    std::int64_t completed = 0;
    std::int64_t cut_short = 0;
    std::int64_t muted = 0;
    std::int64_t interrupted = 0;
    std::int64_t failed = 0;
    std::int64_t played_ms = 0;  // sum of the known duration_ms
    std::int64_t relayed_ms = 0;
    std::int64_t filler_ms = 0;
    std::int64_t source_losses = 0;
    TimePoint first_started;
    TimePoint last_started;
    TimePoint last_ended;
    bool operator==(const ProofDaySummary&) const = default;
};

struct ProofKey {
    std::string device;
    std::int64_t install_epoch = 0;
    std::int64_t seq = 0;
};

struct AuditFilter {
    std::string entity_type;  // "" = any
    std::string entity_id;    // "" = any
    std::optional<UserId> user;
};

class StoreTransaction {
public:
    virtual ~StoreTransaction() = default;

    // ---- users ----
    // Fills in id; AlreadyExists if the name is taken (ignoring ASCII case).
    virtual Result<User> insert_user(User user) = 0;
    virtual Result<User> user_by_id(UserId id) = 0;
    virtual Result<User> user_by_name(std::string_view name) = 0;
    virtual Result<std::vector<User>> list_users(Page page) = 0;
    // Replaces display name, role, password hash and disabled flag.
    virtual Result<void> update_user(const User& user) = 0;
    virtual Result<std::int64_t> count_users_with_role(Role role) = 0;

    // ---- sessions ----
    virtual Result<void> insert_session(const SessionRecord& session) = 0;
    virtual Result<SessionRecord> session_by_token_hash(std::string_view token_hash) = 0;
    virtual Result<void> delete_session(std::string_view token_hash) = 0;
    virtual Result<std::int64_t> delete_sessions_of_user(UserId user) = 0;
    virtual Result<std::int64_t> delete_sessions_expired_by(TimePoint now) = 0;

    // ---- login attempts ----
    virtual Result<void> insert_login_attempt(const LoginAttempt& attempt) = 0;
    // Failed attempts at or after `since` for this user name, after its latest success; oldest first.
    virtual Result<std::vector<TimePoint>> failed_logins_for_user(std::string_view user_name,
                                                                  TimePoint since) = 0;
    // Failed attempts at or after `since` from this source, oldest first.
    virtual Result<std::vector<TimePoint>> failed_logins_from_source(std::string_view source,
                                                                     TimePoint since) = 0;
    virtual Result<std::int64_t> delete_login_attempts_before(TimePoint before) = 0;

    // ---- media ----
    // True if inserted, false if this sha256 was already stored (content addressing).
    virtual Result<bool> insert_media(const MediaRecord& media) = 0;
    virtual Result<MediaRecord> media_by_sha256(std::string_view sha256) = 0;
    virtual Result<std::vector<MediaRecord>> list_media(Page page) = 0;
    // Ids of the playlists with an item playing this media, in id order.
    virtual Result<std::vector<std::string>> playlists_using_media(std::string_view sha256) = 0;
    // NotFound if absent; Conflict if a playlist, alert or text notice still refers to it.
    virtual Result<void> delete_media(std::string_view sha256) = 0;

    // ---- playlists ----
    virtual Result<void> insert_playlist(const PlaylistRecord& playlist) = 0;
    virtual Result<PlaylistRecord> playlist_by_id(std::string_view id) = 0;
    virtual Result<std::vector<PlaylistRecord>> list_playlists(Page page) = 0;
    // Stores the record with version expected_version + 1; Conflict if the stored version differs.
    virtual Result<PlaylistRecord> update_playlist(PlaylistRecord playlist,
                                                   std::int64_t expected_version) = 0;

    // ---- campaigns ----
    virtual Result<void> insert_campaign(const CampaignRecord& campaign) = 0;
    virtual Result<CampaignRecord> campaign_by_id(std::string_view id) = 0;
    virtual Result<std::vector<CampaignRecord>> list_campaigns(const CampaignFilter& filter, Page page) = 0;
    // Stores the record with version expected_version + 1; Conflict if the stored version differs.
    virtual Result<CampaignRecord> update_campaign(CampaignRecord campaign,
                                                   std::int64_t expected_version) = 0;

    // ---- zones ----
    virtual Result<void> insert_zone(const ZoneRecord& zone) = 0;
    virtual Result<ZoneRecord> zone_by_id(std::string_view id) = 0;
    virtual Result<std::vector<ZoneRecord>> list_zones() = 0;
    // Replaces the name; NotFound if absent.
    virtual Result<void> update_zone(const ZoneRecord& zone) = 0;

    // ---- devices ----
    virtual Result<void> insert_device(const DeviceRecord& device) = 0;
    virtual Result<DeviceRecord> device_by_id(std::string_view id) = 0;
    virtual Result<std::vector<DeviceRecord>> list_devices(Page page) = 0;
    // Replaces every field but the id.
    virtual Result<void> update_device(const DeviceRecord& device) = 0;

    // ---- alerts ----
    virtual Result<void> insert_alert(const AlertRecord& alert) = 0;
    virtual Result<AlertRecord> alert_by_id(std::string_view id) = 0;
    virtual Result<void> update_alert(const AlertRecord& alert) = 0;
    // Alerts neither cancelled nor expired at `now`.
    virtual Result<std::vector<AlertRecord>> list_active_alerts(TimePoint now) = 0;
    // Alerts raised before `to` that had not ended by `from` (an alert ends when it is cancelled
    // or expires), whatever their state: the alert history. Newest first (created, then id).
    virtual Result<std::vector<AlertRecord>> list_alerts(TimePoint from, TimePoint to, Page page) = 0;
    // AlreadyExists if this user already confirmed this alert.
    virtual Result<void> insert_alert_confirmation(const AlertConfirmation& confirmation) = 0;
    virtual Result<std::vector<AlertConfirmation>> alert_confirmations(std::string_view alert) = 0;

    // ---- live channels ----
    // AlreadyExists for an id already stored.
    virtual Result<void> insert_live_channel(const LiveChannelRecord& channel) = 0;
    // NotFound if absent (closed, expired or never opened), whatever its end.
    virtual Result<LiveChannelRecord> live_channel_by_id(std::string_view id) = 0;
    // Channels whose end is after `now`, oldest first.
    virtual Result<std::vector<LiveChannelRecord>> list_live_channels(TimePoint now) = 0;
    // NotFound if absent.
    virtual Result<void> delete_live_channel(std::string_view id) = 0;
    // Deletes the channels whose end is at or before `now`; returns how many.
    virtual Result<std::int64_t> delete_live_channels_ended_by(TimePoint now) = 0;

    // ---- device setting changes (two-person rule) ----

    virtual Result<void> insert_setting_change(const DeviceSettingChange& change) = 0;

    virtual Result<DeviceSettingChange> setting_change_by_id(std::string_view id) = 0;

    // The device's changes, newest first, at most `limit`.

    virtual Result<std::vector<DeviceSettingChange>> list_setting_changes(std::string_view device,
                                                                          int limit) = 0;

    virtual Result<void> update_setting_change(const DeviceSettingChange& change) = 0;

    // ---- proof of play ----
    // Inserts rows, ignoring any (device, install_epoch, seq) already stored, and returns the
    // progress of every (device, install_epoch) the rows touch, in order of first appearance.
    virtual Result<std::vector<ProofProgress>> insert_proof_of_play(std::span<const ProofOfPlayRow> rows,
                                                                    TimePoint received) = 0;
    virtual Result<ProofProgress> proof_progress(std::string_view device, std::int64_t install_epoch) = 0;
    // Plays that started in [from, to), ordered by start, device, install epoch and seq (reports).
    virtual Result<std::vector<ProofOfPlayRow>> list_proof_of_play(TimePoint from, TimePoint to) = 0;
    // Retention (docs/store.md, "Proof-of-play retention"). Day summaries whose first play
    // started in [from, to), by day, device and key.
    virtual Result<std::vector<ProofDaySummary>> list_proof_day_summaries(TimePoint from, TimePoint to) = 0;
    // The devices with a play that started before `before`, by id.
    virtual Result<std::vector<std::string>> proof_devices_before(TimePoint before) = 0;
    // The start of the device's earliest play that started before `before`, if any.
    virtual Result<std::optional<TimePoint>> oldest_proof_of_play(std::string_view device,
                                                                  TimePoint before) = 0;
    // The device's plays that started in [from, to), ordered by start, install epoch and seq.
    virtual Result<std::vector<ProofOfPlayRow>> list_device_proof_of_play(std::string_view device,
                                                                          TimePoint from, TimePoint to) = 0;
    // Adds each summary to the stored one of its key (counts and sums added, first and last
    // instants widened), or stores it.
    virtual Result<void> add_proof_day_summaries(std::span<const ProofDaySummary> summaries) = 0;
    // Deletes the rows; a key above its (device, epoch)'s contiguous mark is remembered
    // (proof_of_play_folded), so a late copy is not stored again and the gap walk still counts it.
    virtual Result<void> fold_proof_of_play(std::span<const ProofKey> keys) = 0;
    // The plays of alert `alert` that started in [from, to), summed per device, by device id.
    virtual Result<std::vector<AlertDevicePlays>> alert_plays_by_device(std::string_view alert,
                                                                        TimePoint from, TimePoint to) = 0;

    // ---- audit ----
    // Fills in id.
    virtual Result<AuditEntry> append_audit(AuditEntry entry) = 0;
    // Newest first.
    virtual Result<std::vector<AuditEntry>> list_audit(const AuditFilter& filter, Page page) = 0;
    // The same, of the rows at or after `from` and before `to` (each when given).
    virtual Result<std::vector<AuditEntry>> list_audit_between(const AuditFilter& filter,
                                                               std::optional<TimePoint> from,
                                                               std::optional<TimePoint> to, Page page) = 0;
};

class Store {
public:
    virtual ~Store() = default;

    using Work = std::function<Result<void>(StoreTransaction&)>;

    // A read-only snapshot. Writes inside `work` are a programming error.
    virtual Result<void> read(const Work& work) = 0;
    // A write transaction: committed if `work` succeeds, rolled back otherwise.
    virtual Result<void> write(const Work& work) = 0;

    // The same, for work that produces a value.
    template <class T, class F>
    Result<T> read_value(F&& work) {
        return transact_value<T>(&Store::read, std::forward<F>(work));
    }
    template <class T, class F>
    Result<T> write_value(F&& work) {
        return transact_value<T>(&Store::write, std::forward<F>(work));
    }

private:
    template <class T, class F>
    Result<T> transact_value(Result<void> (Store::*transact)(const Work&), F&& work) {
        std::optional<T> value;
        auto done = (this->*transact)([&](StoreTransaction& transaction) -> Result<void> {
            Result<T> produced = work(transaction);
            if (!produced)
                return std::unexpected(std::move(produced.error()));
            value.emplace(std::move(*produced));
            return {};
        });
        if (!done)
            return std::unexpected(std::move(done.error()));
        return std::move(*value);
    }
};

}  // namespace bantin::controller
