// The store's content: media, playlists and campaigns.

#include "sql_transaction.hpp"

#include "columns.hpp"
#include "names.hpp"

#include "bantin/scheduler/json.hpp"

#include <nlohmann/json.hpp>

#include <utility>

namespace bantin::controller {

using namespace store_detail;

namespace {

constexpr std::string_view media_columns =
    "sha256, type, size, duration_ms, has_audio, has_video, name, uploaded_by, created_at, text, tts_media, "
    "url, filler";

Result<MediaRecord> read_media(const Statement& row) {
    Row column{row};
    MediaRecord record;
    record.media.sha256 = column.text();
    auto type = names::media_type(column.text());
    if (!type)
        return std::unexpected(stored_value_error(type.error(), "media", record.media.sha256));
    record.media.type = *type;
    record.size = column.int64();
    record.media.duration = column.optional_duration();
    record.media.has_audio = column.boolean();
    record.media.has_video = column.boolean();
    record.media.name = column.text();
    record.uploaded_by = column.optional_int64();
    record.created = column.time();
    record.text = column.optional_text();
    record.tts_media = column.optional_text();
    record.media.url = column.optional_text();
    record.media.filler = column.optional_text();
    return record;
}

constexpr std::string_view campaign_columns =
    "id, name, playlist_id, targets_json, valid_from, valid_to, weekdays, windows_json, mode, "
    "fixed_times_json, plays_per_hour, level, rank, weight, approval, author_id, last_editor_id, "
    "submitted_by, decided_by, decision_note, created_at, updated_at, submitted_at, decided_at, "
    "archived_at, version, approved_json, region";

std::optional<std::string> encode_approved(const std::optional<ApprovedVersion>& approved) {
    if (!approved)
        return std::nullopt;
    nlohmann::ordered_json json;
    json["version"] = approved->version;
    json["decided_by"] = approved->decided_by ? nlohmann::ordered_json(*approved->decided_by) : nullptr;
    json["decided_at"] = approved->decided ? nlohmann::ordered_json(to_unix_ms(*approved->decided)) : nullptr;
    json["decision_note"] = approved->decision_note;
    json["campaign"] = scheduler::to_json(approved->campaign);
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<ApprovedVersion> decode_approved(const std::string& text) {
    try {
        const auto json = nlohmann::json::parse(text);
        auto campaign = scheduler::campaign_from_json(json.at("campaign"), "approved_json.campaign");
        if (!campaign)
            return std::unexpected(campaign.error());
        ApprovedVersion approved;
        approved.campaign = std::move(*campaign);
        approved.campaign.approval = scheduler::ApprovalState::Approved;
        approved.version = json.at("version").get<std::int64_t>();
        if (!json.at("decided_by").is_null())
            approved.decided_by = json.at("decided_by").get<UserId>();
        if (!json.at("decided_at").is_null())
            approved.decided = from_unix_ms(json.at("decided_at").get<std::int64_t>());
        approved.decision_note = json.at("decision_note").get<std::string>();
        return approved;
    } catch (const nlohmann::json::exception& error) {
        return fail(Errc::Internal, std::string{"approved_json: "} + error.what());
    }
}

Result<CampaignRecord> read_campaign(const Statement& row) {
    Row column{row};
    CampaignRecord record;
    scheduler::Campaign& campaign = record.campaign;
    campaign.id = column.text();
    auto bad = [&](const Error& error) {
        return std::unexpected(stored_value_error(error, "campaigns", campaign.id));
    };
    campaign.name = column.text();
    campaign.playlist = column.text();
    auto targets = columns::decode_targets(column.text());
    if (!targets)
        return bad(targets.error());
    campaign.targets = std::move(*targets);
    if (auto text = column.optional_text()) {
        auto date = names::parse_date(*text);
        if (!date)
            return bad(date.error());
        campaign.valid_from = *date;
    }
    if (auto text = column.optional_text()) {
        auto date = names::parse_date(*text);
        if (!date)
            return bad(date.error());
        campaign.valid_to = *date;
    }
    campaign.weekdays = static_cast<std::uint8_t>(column.integer());
    auto windows = columns::decode_windows(column.text());
    if (!windows)
        return bad(windows.error());
    campaign.windows = std::move(*windows);
    auto mode = names::mode(column.text());
    if (!mode)
        return bad(mode.error());
    campaign.mode = *mode;
    auto fixed_times = columns::decode_ints(column.text());
    if (!fixed_times)
        return bad(fixed_times.error());
    campaign.fixed_times = std::move(*fixed_times);
    campaign.plays_per_hour = column.integer();
    auto level = names::level(column.text());
    if (!level)
        return bad(level.error());
    campaign.level = *level;
    campaign.rank = column.integer();
    campaign.weight = column.integer();
    auto approval = names::approval_state(column.text());
    if (!approval)
        return bad(approval.error());
    campaign.approval = *approval;
    record.author = column.int64();
    record.last_editor = column.optional_int64();
    record.submitted_by = column.optional_int64();
    record.decided_by = column.optional_int64();
    record.decision_note = column.text();
    record.created = column.time();
    record.updated = column.time();
    record.submitted = column.optional_time();
    record.decided = column.optional_time();
    record.archived = column.optional_time();
    record.version = column.int64();
    if (auto text = column.optional_text()) {
        auto approved = decode_approved(*text);
        if (!approved)
            return bad(approved.error());
        record.approved = std::move(*approved);
    }
    auto region = names::region(column.text());
    if (!region)
        return bad(region.error());
    campaign.region = *region;
    return record;
}

// What plays of a campaign: the row, or the approved version it keeps while a newer one awaits.
CampaignRecord playing_version(CampaignRecord record) {
    if (record.campaign.approval == scheduler::ApprovalState::Approved || !record.approved)
        return record;
    ApprovedVersion approved = std::move(*record.approved);
    record.approved.reset();
    record.campaign = std::move(approved.campaign);
    record.campaign.approval = scheduler::ApprovalState::Approved;
    record.version = approved.version;
    record.decided_by = approved.decided_by;
    record.decided = approved.decided;
    record.decision_note = std::move(approved.decision_note);
    return record;
}

}  // namespace

Result<bool> SqlTransaction::insert_media(const MediaRecord& record) {
    const auto& media = record.media;
    std::optional<std::int64_t> duration;
    if (media.duration)
        duration = media.duration->count();
    BANTIN_STORE_TRY(run("INSERT INTO media (" + std::string{media_columns} +
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         media.sha256, names::of(media.type), record.size, duration, media.has_audio,
                         media.has_video, media.name, record.uploaded_by, record.created, record.text,
                         record.tts_media, media.url, media.filler));
    return m_database.changes() > 0;
}

Result<MediaRecord> SqlTransaction::media_by_sha256(std::string_view sha256) {
    return one<MediaRecord>("SELECT " + std::string{media_columns} + " FROM media WHERE sha256 = ?",
                            read_media, "media " + std::string{sha256}, sha256);
}

Result<std::vector<MediaRecord>> SqlTransaction::list_media(Page page) {
    return many<MediaRecord>("SELECT " + std::string{media_columns} +
                                 " FROM media ORDER BY created_at DESC, sha256 LIMIT ? OFFSET ?",
                             read_media, page.limit, page.offset);
}

Result<std::vector<std::string>> SqlTransaction::playlists_using_media(std::string_view sha256) {
    return many<std::string>(
        "SELECT DISTINCT playlist_id FROM playlist_items WHERE media = ? ORDER BY playlist_id",
        [](Statement& row) -> Result<std::string> {
            Row column{row};
            return column.text();
        },
        sha256);
}

Result<void> SqlTransaction::delete_media(std::string_view sha256) {
    auto ran = run("DELETE FROM media WHERE sha256 = ?", sha256);
    if (!ran && is_foreign_key_violation(ran.error())) {
        return fail(Errc::Conflict,
                    "media " + std::string{sha256} +
                        " is still used by a playlist, an alert, a notice or a stream's filler");
    }
    if (!ran)
        return std::unexpected(ran.error());
    return expect_changed("media " + std::string{sha256});
}

Result<void> SqlTransaction::insert_playlist(const PlaylistRecord& record) {
    auto ran =
        run("INSERT INTO playlists (id, name, created_by, created_at, updated_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            record.playlist.id, record.playlist.name, record.created_by, record.created, record.updated,
            record.version);
    if (!ran)
        return std::unexpected(on_duplicate(ran.error(), "playlist \"" + record.playlist.id + "\""));
    return insert_playlist_items(record.playlist);
}

Result<PlaylistRecord> SqlTransaction::playlist_by_id(std::string_view id) {
    auto record = one<PlaylistRecord>(
        "SELECT id, name, created_by, created_at, updated_at, version FROM playlists WHERE id = ?",
        read_playlist_row, "playlist \"" + std::string{id} + "\"", id);
    if (!record)
        return record;
    BANTIN_STORE_TRY(load_items(*record));
    return record;
}

Result<std::vector<PlaylistRecord>> SqlTransaction::list_playlists(Page page) {
    auto records = many<PlaylistRecord>(
        "SELECT id, name, created_by, created_at, updated_at, version FROM playlists ORDER BY id "
        "LIMIT ? OFFSET ?",
        read_playlist_row, page.limit, page.offset);
    if (!records)
        return records;
    for (auto& record : *records) BANTIN_STORE_TRY(load_items(record));
    return records;
}

Result<PlaylistRecord> SqlTransaction::update_playlist(PlaylistRecord record, std::int64_t expected_version) {
    record.version = expected_version + 1;
    BANTIN_STORE_TRY(
        run("UPDATE playlists SET name = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?",
            record.playlist.name, record.updated, record.version, record.playlist.id, expected_version));
    BANTIN_STORE_TRY(expect_version_matched("playlists", "playlist", record.playlist.id, expected_version));
    BANTIN_STORE_TRY(run("DELETE FROM playlist_items WHERE playlist_id = ?", record.playlist.id));
    BANTIN_STORE_TRY(insert_playlist_items(record.playlist));
    return record;
}

Result<void> SqlTransaction::insert_campaign(const CampaignRecord& record) {
    auto ran =
        run_campaign("INSERT INTO campaigns (" + std::string{campaign_columns} +
                         ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                         "?, ?, ?, ?, ?)",
                     record, std::nullopt);
    if (!ran)
        return std::unexpected(on_duplicate(ran.error(), "campaign \"" + record.campaign.id + "\""));
    return {};
}

Result<CampaignRecord> SqlTransaction::campaign_by_id(std::string_view id) {
    return one<CampaignRecord>("SELECT " + std::string{campaign_columns} + " FROM campaigns WHERE id = ?",
                               read_campaign, "campaign \"" + std::string{id} + "\"", id);
}

Result<std::vector<CampaignRecord>> SqlTransaction::list_campaigns(const CampaignFilter& filter, Page page) {
    std::optional<std::string> approval;
    if (filter.approval)
        approval = std::string{names::of(*filter.approval)};
    auto records =
        many<CampaignRecord>("SELECT " + std::string{campaign_columns} +
                                 " FROM campaigns WHERE (CAST(?1 AS TEXT) IS NULL OR approval = ?1 OR (?1 = "
                                 "'approved' AND approved_json IS NOT "
                                 "NULL AND approval <> 'archived')) "
                                 "AND (CAST(?2 AS BIGINT) IS NULL OR author_id = ?2) ORDER BY created_at, id "
                                 "LIMIT ?3 OFFSET ?4",
                             read_campaign, approval, filter.author, page.limit, page.offset);
    if (records && filter.approval == scheduler::ApprovalState::Approved) {
        for (auto& record : *records) record = playing_version(std::move(record));
    }
    return records;
}

Result<CampaignRecord> SqlTransaction::update_campaign(CampaignRecord record, std::int64_t expected_version) {
    record.version = expected_version + 1;
    // The id is bound first and the expected version last, around the same 27 values as insert.
    BANTIN_STORE_TRY(run_campaign(
        "UPDATE campaigns SET id = ?1, name = ?2, playlist_id = ?3, targets_json = ?4, valid_from = ?5, "
        "valid_to = ?6, weekdays = ?7, windows_json = ?8, mode = ?9, fixed_times_json = ?10, "
        "plays_per_hour = ?11, level = ?12, rank = ?13, weight = ?14, approval = ?15, author_id = ?16, "
        "last_editor_id = ?17, submitted_by = ?18, decided_by = ?19, decision_note = ?20, "
        "created_at = ?21, updated_at = ?22, submitted_at = ?23, decided_at = ?24, archived_at = ?25, "
        "version = ?26, approved_json = ?27, region = ?28 WHERE id = ?1 AND version = ?29",
        record, expected_version));
    BANTIN_STORE_TRY(expect_version_matched("campaigns", "campaign", record.campaign.id, expected_version));
    return record;
}

Result<PlaylistRecord> SqlTransaction::read_playlist_row(const Statement& row) {
    Row column{row};
    PlaylistRecord record;
    record.playlist.id = column.text();
    record.playlist.name = column.text();
    record.created_by = column.optional_int64();
    record.created = column.time();
    record.updated = column.time();
    record.version = column.int64();
    return record;
}

Result<void> SqlTransaction::load_items(PlaylistRecord& record) {
    auto items = many<scheduler::PlaylistItem>(
        "SELECT media, duration_ms, weight FROM playlist_items WHERE playlist_id = ? ORDER BY position",
        [](const Statement& row) -> Result<scheduler::PlaylistItem> {
            Row column{row};
            scheduler::PlaylistItem item;
            item.media = column.text();
            item.duration = column.optional_duration();
            item.weight = column.integer();
            return item;
        },
        record.playlist.id);
    if (!items)
        return std::unexpected(items.error());
    record.playlist.items = std::move(*items);
    return {};
}

Result<void> SqlTransaction::insert_playlist_items(const scheduler::Playlist& playlist) {
    auto insert = m_database.prepare(
        "INSERT INTO playlist_items (playlist_id, position, media, duration_ms, weight) VALUES (?, ?, ?, "
        "?, ?)");
    if (!insert)
        return std::unexpected(insert.error());
    int position = 0;
    for (const auto& item : playlist.items) {
        std::optional<std::int64_t> duration;
        if (item.duration)
            duration = item.duration->count();
        insert->reset();
        bind_all(*insert, playlist.id, position, item.media, duration, item.weight);
        auto ran = insert->run();
        if (!ran) {
            Error error = ran.error();
            if (is_foreign_key_violation(error)) {
                return fail(Errc::Conflict, "playlist \"" + playlist.id + "\" items[" +
                                                std::to_string(position) + "]: media " + item.media +
                                                " not found");
            }
            return std::unexpected(std::move(error));
        }
        ++position;
    }
    return {};
}

Result<void> SqlTransaction::run_campaign(std::string_view sql, const CampaignRecord& record,
                                          std::optional<std::int64_t> expected_version) {
    const scheduler::Campaign& campaign = record.campaign;
    std::optional<std::string> valid_from;
    std::optional<std::string> valid_to;
    if (campaign.valid_from)
        valid_from = names::format_date(*campaign.valid_from);
    if (campaign.valid_to)
        valid_to = names::format_date(*campaign.valid_to);
    auto statement =
        query(sql, campaign.id, campaign.name, campaign.playlist, columns::encode(campaign.targets),
              valid_from, valid_to, int{campaign.weekdays}, columns::encode(campaign.windows),
              names::of(campaign.mode), columns::encode(campaign.fixed_times), campaign.plays_per_hour,
              names::of(campaign.level), campaign.rank, campaign.weight, names::of(campaign.approval),
              record.author, record.last_editor, record.submitted_by, record.decided_by, record.decision_note,
              record.created, record.updated, record.submitted, record.decided, record.archived,
              record.version, encode_approved(record.approved), names::of(campaign.region));
    if (!statement)
        return std::unexpected(statement.error());
    if (expected_version)
        statement->bind(29, *expected_version);
    auto ran = statement->run();
    if (!ran && is_foreign_key_violation(ran.error())) {
        return fail(Errc::Conflict, "campaign \"" + campaign.id + "\": playlist \"" + campaign.playlist +
                                        "\" or a referenced user not found");
    }
    if (!ran && is_check_violation(ran.error()) &&
        ran.error().detail.find("decided_by") != std::string::npos) {
        return fail(Errc::PermissionDenied,
                    "campaign \"" + campaign.id + "\": its author, editor or submitter cannot decide on it");
    }
    return ran;
}

}  // namespace bantin::controller
