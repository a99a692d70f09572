#pragma once
// The one implementation of StoreTransaction, over the SQL seam (sql_connection.hpp) so the
// same SQL runs on SQLite and PostgreSQL; split by aggregate: people (store_people.cpp:
// users, sessions, login attempts), content (store_content.cpp: media, playlists, campaigns),
// fleet (store_fleet.cpp: zones, devices, alerts, live channels), proof (store_proof.cpp) and audit
// (store_audit.cpp). Each file holds its column lists and row readers (store_sql.hpp's Row
// reads a row's columns in the order of its list, so each list is written once), and
// sqlite_store.cpp / postgres_store.cpp open the database and run the transactions. Internal
// to controller/src.

#include "bantin/controller/sqlite_store.hpp"
#include "sql_connection.hpp"
#include "store_sql.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller {

// `work` in one transaction of `kind` on `connection`, with a SqlTransaction over it.
Result<void> run_store_transaction(sql::Connection& connection, sql::TransactionKind kind,
                                   const Store::Work& work);

// The query behind list_proof_of_play and the reports' own ProofQuery connections.
Result<std::vector<ProofOfPlayRow>> proof_of_play_between(sql::Connection& database, TimePoint from,
                                                          TimePoint to);
// The day summaries of folded proof of play whose first play started in [from, to) (retention).
Result<std::vector<ProofDaySummary>> proof_day_summaries_between(sql::Connection& database, TimePoint from,
                                                                 TimePoint to);
// Reads every row of a statement selecting proof_of_play's report columns.
Result<std::vector<ProofOfPlayRow>> read_proof_rows(sql::Statement& query);

class SqlTransaction final : public StoreTransaction {
public:
    using Statement = sql::Statement;
    using Step = sql::Step;

    explicit SqlTransaction(sql::Connection& database) : m_database(database) {}

    // users
    Result<User> insert_user(User user) override;
    Result<User> user_by_id(UserId id) override;
    Result<User> user_by_name(std::string_view name) override;
    Result<std::vector<User>> list_users(Page page) override;
    Result<void> update_user(const User& user) override;
    Result<std::int64_t> count_users_with_role(Role role) override;
    // sessions
    Result<void> insert_session(const SessionRecord& session) override;
    Result<SessionRecord> session_by_token_hash(std::string_view token_hash) override;
    Result<void> delete_session(std::string_view token_hash) override;
    Result<std::int64_t> delete_sessions_of_user(UserId user) override;
    Result<std::int64_t> delete_sessions_expired_by(TimePoint now) override;
    // login attempts
    Result<void> insert_login_attempt(const LoginAttempt& attempt) override;
    Result<std::vector<TimePoint>> failed_logins_for_user(std::string_view user_name,
                                                          TimePoint since) override;
    Result<std::vector<TimePoint>> failed_logins_from_source(std::string_view source,
                                                             TimePoint since) override;
    Result<std::int64_t> delete_login_attempts_before(TimePoint before) override;
    // media (store_content.cpp)
    Result<bool> insert_media(const MediaRecord& record) override;
    Result<MediaRecord> media_by_sha256(std::string_view sha256) override;
    Result<std::vector<MediaRecord>> list_media(Page page) override;
    Result<std::vector<std::string>> playlists_using_media(std::string_view sha256) override;
    Result<void> delete_media(std::string_view sha256) override;
    // playlists
    Result<void> insert_playlist(const PlaylistRecord& record) override;
    Result<PlaylistRecord> playlist_by_id(std::string_view id) override;
    Result<std::vector<PlaylistRecord>> list_playlists(Page page) override;
    Result<PlaylistRecord> update_playlist(PlaylistRecord record, std::int64_t expected_version) override;
    // campaigns
    Result<void> insert_campaign(const CampaignRecord& record) override;
    Result<CampaignRecord> campaign_by_id(std::string_view id) override;
    Result<std::vector<CampaignRecord>> list_campaigns(const CampaignFilter& filter, Page page) override;
    Result<CampaignRecord> update_campaign(CampaignRecord record, std::int64_t expected_version) override;
    // zones (store_fleet.cpp)
    Result<void> insert_zone(const ZoneRecord& zone) override;
    Result<ZoneRecord> zone_by_id(std::string_view id) override;
    Result<std::vector<ZoneRecord>> list_zones() override;
    Result<void> update_zone(const ZoneRecord& zone) override;
    // devices
    Result<void> insert_device(const DeviceRecord& record) override;
    Result<DeviceRecord> device_by_id(std::string_view id) override;
    Result<std::vector<DeviceRecord>> list_devices(Page page) override;
    Result<void> update_device(const DeviceRecord& record) override;
    // alerts
    Result<void> insert_alert(const AlertRecord& record) override;
    Result<AlertRecord> alert_by_id(std::string_view id) override;
    Result<void> update_alert(const AlertRecord& record) override;
    Result<std::vector<AlertRecord>> list_active_alerts(TimePoint now) override;
    Result<std::vector<AlertRecord>> list_alerts(TimePoint from, TimePoint to, Page page) override;
    Result<std::vector<AlertDevicePlays>> alert_plays_by_device(std::string_view alert, TimePoint from,
                                                                TimePoint to) override;
    Result<void> insert_alert_confirmation(const AlertConfirmation& confirmation) override;
    Result<std::vector<AlertConfirmation>> alert_confirmations(std::string_view alert) override;
    // live channels (store_fleet.cpp)
    Result<void> insert_live_channel(const LiveChannelRecord& channel) override;
    Result<LiveChannelRecord> live_channel_by_id(std::string_view id) override;
    Result<std::vector<LiveChannelRecord>> list_live_channels(TimePoint now) override;
    Result<void> delete_live_channel(std::string_view id) override;
    Result<std::int64_t> delete_live_channels_ended_by(TimePoint now) override;
    // device setting changes (store_fleet.cpp)
    Result<void> insert_setting_change(const DeviceSettingChange& change) override;
    Result<DeviceSettingChange> setting_change_by_id(std::string_view id) override;
    Result<std::vector<DeviceSettingChange>> list_setting_changes(std::string_view device,
                                                                  int limit) override;
    Result<void> update_setting_change(const DeviceSettingChange& change) override;
    // proof of play (store_proof.cpp)
    Result<std::vector<ProofOfPlayRow>> list_proof_of_play(TimePoint from, TimePoint to) override;
    Result<std::vector<ProofProgress>> insert_proof_of_play(std::span<const ProofOfPlayRow> rows,
                                                            TimePoint received) override;
    Result<ProofProgress> proof_progress(std::string_view device, std::int64_t install_epoch) override;
    Result<std::vector<ProofDaySummary>> list_proof_day_summaries(TimePoint from, TimePoint to) override;
    Result<std::vector<std::string>> proof_devices_before(TimePoint before) override;
    Result<std::optional<TimePoint>> oldest_proof_of_play(std::string_view device, TimePoint before) override;
    Result<std::vector<ProofOfPlayRow>> list_device_proof_of_play(std::string_view device, TimePoint from,
                                                                  TimePoint to) override;
    Result<void> add_proof_day_summaries(std::span<const ProofDaySummary> summaries) override;
    Result<void> fold_proof_of_play(std::span<const ProofKey> keys) override;
    // audit (store_audit.cpp)
    Result<AuditEntry> append_audit(AuditEntry entry) override;
    Result<std::vector<AuditEntry>> list_audit(const AuditFilter& filter, Page page) override;
    Result<std::vector<AuditEntry>> list_audit_between(const AuditFilter& filter,
                                                       std::optional<TimePoint> from,
                                                       std::optional<TimePoint> to, Page page) override;

private:
    template <class... Args>
    Result<Statement> query(std::string_view sql, const Args&... args) {
        auto statement = m_database.prepare(sql);
        if (!statement)
            return std::unexpected(statement.error());
        store_detail::bind_all(*statement, args...);
        return statement;
    }

    template <class... Args>
    Result<void> run(std::string_view sql, const Args&... args) {
        auto statement = query(sql, args...);
        if (!statement)
            return std::unexpected(statement.error());
        return statement->run();
    }

    template <class T, class Reader, class... Args>
    Result<T> one(std::string_view sql, Reader&& reader, const std::string& what, const Args&... args) {
        auto statement = query(sql, args...);
        if (!statement)
            return std::unexpected(statement.error());
        auto found = statement->fetch_one();
        if (!found)
            return std::unexpected(found.error());
        if (!*found)
            return fail(Errc::NotFound, what + " not found");
        return reader(*statement);
    }

    template <class T, class Reader, class... Args>
    Result<std::vector<T>> many(std::string_view sql, Reader&& reader, const Args&... args) {
        auto statement = query(sql, args...);
        if (!statement)
            return std::unexpected(statement.error());
        std::vector<T> rows;
        for (;;) {
            auto stepped = statement->step();
            if (!stepped)
                return std::unexpected(stepped.error());
            if (*stepped == Step::Done)
                return rows;
            auto row = reader(*statement);
            if (!row)
                return std::unexpected(row.error());
            rows.push_back(std::move(*row));
        }
    }

    template <class... Args>
    Result<std::int64_t> scalar(std::string_view sql, const Args&... args) {
        auto statement = query(sql, args...);
        if (!statement)
            return std::unexpected(statement.error());
        auto found = statement->fetch_one();
        if (!found)
            return std::unexpected(found.error());
        return *found ? statement->column_int64(0) : 0;
    }

    template <class... Args>
    Result<std::vector<TimePoint>> times(std::string_view sql, const Args&... args) {
        return many<TimePoint>(
            sql, [](const Statement& row) -> Result<TimePoint> { return store_detail::time_column(row, 0); },
            args...);
    }

    Result<void> expect_changed(const std::string& what);

    // After an UPDATE ... WHERE version = expected: tells a missing row from a stale version.
    Result<void> expect_version_matched(std::string_view table, std::string_view what, const std::string& id,
                                        std::int64_t expected_version);

    static Result<PlaylistRecord> read_playlist_row(const Statement& row);

    static Result<ZoneRecord> read_zone(const Statement& row);

    Result<void> load_items(PlaylistRecord& record);

    Result<void> insert_playlist_items(const scheduler::Playlist& playlist);

    Result<void> run_campaign(std::string_view sql, const CampaignRecord& record,
                              std::optional<std::int64_t> expected_version);

    Result<void> run_device(std::string_view sql, const DeviceRecord& record);

    Result<void> run_alert(std::string_view sql, const AlertRecord& record);

    // Walks the stored seqs above the recorded contiguous mark once: the run that continues the
    // mark extends it, every hole after it is a gap.
    Result<ProofProgress> compute_progress(const std::string& device, std::int64_t install_epoch);

    sql::Connection& m_database;
};

}  // namespace bantin::controller
