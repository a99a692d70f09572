#include "bantin/controller/sqlite_store.hpp"

#include "sql_migrate.hpp"

#include <string>

namespace bantin::controller {

namespace {

// Append-only. A released migration is never edited: a change is a new step. Each step runs
// in one transaction, so a failing step leaves the database at the previous version.
// tests/controller/fixtures/ keeps a frozen copy of the schema one version back.
constexpr Migration steps[] = {
    {1,
     "people and content: users, sessions, login attempts, audit log, media, playlists, "
     "campaigns, zones, devices",
     R"sql(
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 64),
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('editor', 'approver', 'operator', 'admin')),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    csrf_token TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

CREATE TABLE login_attempts (
    id        INTEGER PRIMARY KEY,
    user_name TEXT NOT NULL COLLATE NOCASE,
    source    TEXT NOT NULL,
    at        INTEGER NOT NULL,
    succeeded INTEGER NOT NULL CHECK (succeeded IN (0, 1))
);
CREATE INDEX login_attempts_by_user ON login_attempts(user_name, at);
CREATE INDEX login_attempts_by_source ON login_attempts(source, at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    user_name   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    before_json TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
    after_json  TEXT CHECK (after_json IS NULL OR json_valid(after_json))
);
CREATE INDEX audit_by_entity ON audit_log(entity_type, entity_id, id);
CREATE INDEX audit_by_user ON audit_log(user_id, id);

CREATE TABLE media (
    sha256      TEXT PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    type        TEXT NOT NULL CHECK (type IN ('video', 'image', 'audio', 'text', 'stream')),
    size        INTEGER NOT NULL CHECK (size >= 0),
    duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    has_audio   INTEGER NOT NULL CHECK (has_audio IN (0, 1)),
    has_video   INTEGER NOT NULL CHECK (has_video IN (0, 1)),
    name        TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    text        TEXT,
    tts_media   TEXT REFERENCES media(sha256),
    CHECK ((type = 'text') = (text IS NOT NULL))
) WITHOUT ROWID;

CREATE TABLE playlists (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1)
);

CREATE TABLE playlist_items (
    playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    media       TEXT NOT NULL REFERENCES media(sha256),
    duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms > 0),
    weight      INTEGER NOT NULL CHECK (weight >= 1),
    PRIMARY KEY (playlist_id, position)
) WITHOUT ROWID;
CREATE INDEX playlist_items_by_media ON playlist_items(media);

CREATE TABLE campaigns (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    playlist_id      TEXT NOT NULL REFERENCES playlists(id),
    targets_json     TEXT NOT NULL CHECK (json_valid(targets_json)),
    valid_from       TEXT,
    valid_to         TEXT,
    weekdays         INTEGER NOT NULL CHECK (weekdays BETWEEN 0 AND 127),
    windows_json     TEXT NOT NULL CHECK (json_valid(windows_json)),
    mode             TEXT NOT NULL CHECK (mode IN ('loop', 'fixed-time', 'share-of-voice')),
    fixed_times_json TEXT NOT NULL CHECK (json_valid(fixed_times_json)),
    plays_per_hour   INTEGER NOT NULL,
    level            TEXT NOT NULL CHECK (level IN ('normal', 'priority', 'emergency')),
    rank             INTEGER NOT NULL,
    weight           INTEGER NOT NULL,
    approval         TEXT NOT NULL
                     CHECK (approval IN ('draft', 'submitted', 'approved', 'rejected', 'archived')),
    author_id        INTEGER NOT NULL REFERENCES users(id),
    last_editor_id   INTEGER REFERENCES users(id),
    submitted_by     INTEGER REFERENCES users(id),
    decided_by       INTEGER REFERENCES users(id),
    decision_note    TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    submitted_at     INTEGER,
    decided_at       INTEGER,
    archived_at      INTEGER,
    version          INTEGER NOT NULL CHECK (version >= 1),
    -- The two-person rule, kept by the database as well as by the approval service.
    CHECK (decided_by IS NULL OR (decided_by <> author_id
                                  AND decided_by IS NOT last_editor_id
                                  AND decided_by IS NOT submitted_by))
);
CREATE INDEX campaigns_by_approval ON campaigns(approval);
CREATE INDEX campaigns_by_playlist ON campaigns(playlist_id);

CREATE TABLE zones (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE devices (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL DEFAULT '',
    kind                 TEXT NOT NULL CHECK (kind IN ('screen', 'speaker')),
    zone_id              TEXT NOT NULL REFERENCES zones(id),
    tags_json            TEXT NOT NULL CHECK (json_valid(tags_json)),
    time_zone            TEXT NOT NULL,
    on_hours_json        TEXT NOT NULL CHECK (json_valid(on_hours_json)),
    quiet_hours_json     TEXT NOT NULL CHECK (json_valid(quiet_hours_json)),
    default_volume       INTEGER NOT NULL CHECK (default_volume BETWEEN 0 AND 100),
    volume_schedule_json TEXT NOT NULL CHECK (json_valid(volume_schedule_json)),
    has_speaker          INTEGER NOT NULL CHECK (has_speaker IN (0, 1)),
    desired_version      INTEGER NOT NULL DEFAULT 0,
    desired_digest       TEXT NOT NULL DEFAULT '',
    applied_version      INTEGER NOT NULL DEFAULT 0,
    last_status_json     TEXT NOT NULL DEFAULT '',
    last_seen_at         INTEGER,
    online               INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1)),
    revoked_at           INTEGER,
    mqtt_password_hash   TEXT NOT NULL,
    created_at           INTEGER NOT NULL
);
CREATE INDEX devices_by_zone ON devices(zone_id);
)sql"},

    {2, "operations: alerts and their confirmations, proof of play and its progress",
     R"sql(
CREATE TABLE alerts (
    id                 TEXT PRIMARY KEY,
    zones_json         TEXT NOT NULL CHECK (json_valid(zones_json)),
    all_zones          INTEGER NOT NULL CHECK (all_zones IN (0, 1)),
    severity           TEXT NOT NULL CHECK (severity IN ('minor', 'moderate', 'severe', 'extreme')),
    status             TEXT NOT NULL CHECK (status IN ('actual', 'exercise')),
    issued_at          INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    cancelled_at       INTEGER,
    headline           TEXT NOT NULL,
    text               TEXT NOT NULL,
    playlist_id        TEXT REFERENCES playlists(id),
    repeat_count       INTEGER NOT NULL CHECK (repeat_count >= 0),
    repeat_interval_ms INTEGER NOT NULL CHECK (repeat_interval_ms >= 0),
    media              TEXT REFERENCES media(sha256),
    state              TEXT NOT NULL CHECK (state IN ('awaiting-confirmation', 'sent', 'cancelled')),
    created_by         INTEGER NOT NULL REFERENCES users(id),
    cancelled_by       INTEGER REFERENCES users(id),
    created_at         INTEGER NOT NULL
);
CREATE INDEX alerts_by_expiry ON alerts(expires_at);

CREATE TABLE alert_confirmations (
    alert_id TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users(id),
    at       INTEGER NOT NULL,
    PRIMARY KEY (alert_id, user_id)
) WITHOUT ROWID;

CREATE TRIGGER alert_confirmations_second_person
BEFORE INSERT ON alert_confirmations
WHEN NEW.user_id = (SELECT created_by FROM alerts WHERE id = NEW.alert_id)
BEGIN
    SELECT RAISE(ABORT, 'the author of an alert cannot confirm it');
END;

CREATE TABLE proof_of_play (
    device_id      TEXT NOT NULL,
    install_epoch  INTEGER NOT NULL,
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    campaign_id    TEXT NOT NULL,
    alert_id       TEXT NOT NULL,
    item           INTEGER NOT NULL,
    media          TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('completed', 'interrupted', 'failed')),
    bundle_version INTEGER NOT NULL,
    received_at    INTEGER NOT NULL,
    PRIMARY KEY (device_id, install_epoch, seq)
) WITHOUT ROWID;
CREATE INDEX proof_of_play_by_campaign ON proof_of_play(campaign_id, started_at);
CREATE INDEX proof_of_play_by_device_time ON proof_of_play(device_id, started_at);

-- Per device and install epoch: every seq in 1..contiguous is stored (the value acked).
CREATE TABLE proof_progress (
    device_id     TEXT NOT NULL,
    install_epoch INTEGER NOT NULL,
    contiguous    INTEGER NOT NULL,
    highest       INTEGER NOT NULL,
    PRIMARY KEY (device_id, install_epoch)
) WITHOUT ROWID;
)sql"},
    {3, "proof of play: the measured duration of each play",
     R"sql(
-- Milliseconds the play ran, measured by the device on its monotonic clock; NULL for rows
-- stored before this version (unknown).
ALTER TABLE proof_of_play ADD COLUMN duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0);
)sql"},
    {4, "proof of play: the device's note on each play",
     R"sql(
-- What the outcome alone does not say ("audio: unavailable": shown without sound). The protocol
-- bounds it to 1,024 characters; '' for rows stored before this version and for plays without one.
ALTER TABLE proof_of_play ADD COLUMN note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 1024);
)sql"},
    {5, "alerts: the alerts an update replaces",
     R"sql(
-- The ids of the alerts this one replaces (a CAP Update's references), cancelled when it is sent;
-- a CAP Cancel of any of them reaches this one too. '[]' for alerts stored before this version.
ALTER TABLE alerts ADD COLUMN replaces_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(replaces_json));
)sql"},
    {6, "media: a stream's URL and filler",
     R"sql(
-- A stream's source (http:// or https://, at most 2,048 bytes; the API checks the rest) and the
-- audio or video media a device plays while that source is down. NULL on every other media and
-- on rows stored before this version.
ALTER TABLE media ADD COLUMN url TEXT CHECK (url IS NULL OR (type = 'stream' AND length(url) BETWEEN 1 AND 2048));
ALTER TABLE media ADD COLUMN filler TEXT REFERENCES media(sha256) CHECK (filler IS NULL OR type = 'stream');
)sql"},
    {7, "proof of play: a relay's relayed and filler time and its source losses",
     R"sql(
-- A relay's figures, as its player sent them: the milliseconds the station was heard, those the
-- filler played while the source was down, and how often the source stopped. All three or none:
-- NULL on every other row, on rows stored before this version and from players that do not
-- send them.
ALTER TABLE proof_of_play ADD COLUMN relayed_ms INTEGER CHECK (relayed_ms IS NULL OR relayed_ms >= 0);
ALTER TABLE proof_of_play ADD COLUMN filler_ms INTEGER
    CHECK ((filler_ms IS NULL) = (relayed_ms IS NULL) AND (filler_ms IS NULL OR filler_ms >= 0));
ALTER TABLE proof_of_play ADD COLUMN source_losses INTEGER
    CHECK ((source_losses IS NULL) = (relayed_ms IS NULL) AND (source_losses IS NULL OR source_losses >= 0));
)sql"},
    {8, "proof of play: a live broadcast's rows name their channel in a column of their own",
     R"sql(
-- The live channel a row of source `live` played ('' on every other row). Before this version
-- such rows stored the channel id in alert_id, as if they were alerts: a row whose alert_id is
-- a live channel the audit log knows (entity 'live', written when the channel opened) and no
-- alert's id is moved here.
ALTER TABLE proof_of_play ADD COLUMN live_id TEXT NOT NULL DEFAULT '';
UPDATE proof_of_play SET live_id = alert_id, alert_id = ''
 WHERE alert_id <> ''
   AND alert_id IN (SELECT entity_id FROM audit_log WHERE entity_type = 'live')
   AND alert_id NOT IN (SELECT id FROM alerts);
)sql"},
    {9, "live channels: the open ones, so a restarted controller still lists and closes them",
     R"sql(
-- An open live channel: what its devices were told (the signed live-start) and who opened it. A
-- row is added when the channel opens and deleted when it is closed or its end has passed; the
-- Icecast source credentials are not stored. The history of channels is the audit log's
-- (entity 'live').
CREATE TABLE live_channels (
    id         TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    zones_json TEXT NOT NULL CHECK (json_valid(zones_json) AND json_array_length(zones_json) >= 1),
    level      TEXT NOT NULL CHECK (level IN ('normal', 'priority', 'emergency')),
    url        TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    mount      TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL CHECK (ends_at > started_at),
    opened_by  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX live_channels_by_end ON live_channels(ends_at);
)sql"},
    {10, "campaigns: the last approved version, kept playing while a newer version awaits approval",
     R"sql(
-- {"version", "decided_by", "decided_at" (unix ms), "decision_note", "campaign": the scheduler's
-- campaign JSON} of the approved version an edit replaced; NULL when the row itself is what plays.
ALTER TABLE campaigns ADD COLUMN approved_json TEXT CHECK (approved_json IS NULL OR json_valid(approved_json));
)sql"},
    {11, "device setting changes: a safety setting proposed by one person waits for a second",
     R"sql(
-- A change of a device's settings that the two-person rule holds back (quiet hours): who
-- proposed it, the fields it changes (settings_json, the device's JSON form: on_hours,
-- quiet_hours, default_volume, volume_schedule), and who confirmed or withdrew it. A confirmed
-- change has reached the device's row and bundle.
CREATE TABLE device_setting_changes (
    id            TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    device        TEXT NOT NULL REFERENCES devices(id),
    settings_json TEXT NOT NULL CHECK (json_valid(settings_json) AND json_type(settings_json) = 'object'),
    state         TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'cancelled')),
    proposed_by   INTEGER NOT NULL REFERENCES users(id),
    proposed_at   INTEGER NOT NULL,
    decided_by    INTEGER REFERENCES users(id),
    decided_at    INTEGER,
    CHECK (state = 'pending' OR (decided_by IS NOT NULL AND decided_at IS NOT NULL)),
    CHECK (state <> 'confirmed' OR decided_by <> proposed_by)
) WITHOUT ROWID;
CREATE INDEX device_setting_changes_by_device ON device_setting_changes(device, proposed_at);
)sql"},
    {12, "screen regions: a campaign's region, a screen's layout, the region of each play",
     R"sql(
-- Where on a screen a campaign plays (docs/scheduling.md, "Regions"): the main region, or the
-- ticker band along the bottom. 'main' for campaigns stored before this version.
ALTER TABLE campaigns ADD COLUMN region TEXT NOT NULL DEFAULT 'main' CHECK (region IN ('main', 'ticker'));
-- A screen's header and ticker bands, in permille of its frame's height (0 = none).
ALTER TABLE devices ADD COLUMN header_permille INTEGER NOT NULL DEFAULT 0
    CHECK (header_permille BETWEEN 0 AND 500);
ALTER TABLE devices ADD COLUMN ticker_permille INTEGER NOT NULL DEFAULT 0
    CHECK (ticker_permille BETWEEN 0 AND 500 AND header_permille + ticker_permille <= 600);
-- The region a play was shown in, as its player sent it; 'main' for rows without one.
ALTER TABLE proof_of_play ADD COLUMN region TEXT NOT NULL DEFAULT 'main' CHECK (region IN ('main', 'ticker'));
)sql"},
    {13, "proof-of-play retention: per-day summaries of old plays, the keys folded above a gap",
     R"sql(
-- Proof-of-play rows older than storage.proof_retention_days, summed per device and local day
-- (the device's day as the reports bucket it) and per campaign, alert, live channel, media and
-- region (docs/store.md, "Proof-of-play retention"). completed, cut_short and muted are judged as
-- the reports judge them when the day is summarised. Written portably (BIGINT, no WITHOUT ROWID)
-- so the PostgreSQL backend takes the same text.
CREATE TABLE proof_of_play_daily (
    day           TEXT   NOT NULL CHECK (length(day) = 10),
    device_id     TEXT   NOT NULL,
    campaign_id   TEXT   NOT NULL,
    alert_id      TEXT   NOT NULL,
    live_id       TEXT   NOT NULL,
    media         TEXT   NOT NULL,
    region        TEXT   NOT NULL CHECK (region IN ('main', 'ticker')),
    plays         BIGINT NOT NULL CHECK (plays > 0),
    completed     BIGINT NOT NULL CHECK (completed >= 0),
    cut_short     BIGINT NOT NULL CHECK (cut_short >= 0),
    muted         BIGINT NOT NULL CHECK (muted >= 0 AND muted <= completed),
    interrupted   BIGINT NOT NULL CHECK (interrupted >= 0),
    failed        BIGINT NOT NULL CHECK (failed >= 0),
    played_ms     BIGINT NOT NULL CHECK (played_ms >= 0),
    relayed_ms    BIGINT NOT NULL CHECK (relayed_ms >= 0),
    filler_ms     BIGINT NOT NULL CHECK (filler_ms >= 0),
    source_losses BIGINT NOT NULL CHECK (source_losses >= 0),
    first_started BIGINT NOT NULL,
    last_started  BIGINT NOT NULL CHECK (last_started >= first_started),
    last_ended    BIGINT NOT NULL,
    CHECK (completed + cut_short + interrupted + failed = plays),
    PRIMARY KEY (day, device_id, campaign_id, alert_id, live_id, media, region)
);
CREATE INDEX proof_of_play_daily_by_first_started ON proof_of_play_daily (first_started);
-- The keys of summarised rows that lay above their (device, epoch)'s contiguous mark (after a
-- hole): a late copy of one is not stored again, and the gap walk still sees them. Keys at or
-- below the mark need no row: every seq up to the mark was stored once.
CREATE TABLE proof_of_play_folded (
    device_id     TEXT   NOT NULL,
    install_epoch BIGINT NOT NULL,
    seq           BIGINT NOT NULL CHECK (seq >= 1),
    PRIMARY KEY (device_id, install_epoch, seq)
);
)sql"},
};

}  // namespace

std::span<const Migration> migrations() {
    return steps;
}

int current_schema_version() {
    return steps[std::size(steps) - 1].version;
}

Result<int> schema_version(sql::Connection& database) {
    auto exists = database.table_exists("schema_version");
    if (!exists)
        return std::unexpected(exists.error());
    if (!*exists)
        return 0;
    auto version = database.prepare("SELECT coalesce(max(version), 0) FROM schema_version");
    if (!version)
        return std::unexpected(version.error());
    auto row = version->fetch_one();
    if (!row)
        return std::unexpected(row.error());
    return version->column_int(0);
}

Result<int> schema_version(sqlite::Database& database) {
    return schema_version(*sql::sqlite_connection(database));
}

namespace {

Error too_new(int version, int newest_known) {
    return Error{Errc::Unsupported, "database schema " + std::to_string(version) +
                                        " is newer than this controller (" + std::to_string(newest_known) +
                                        "); upgrade bantin-controller"};
}

// One step in its own write transaction (serialised with every other writer, so two
// controllers starting at once do not both apply it); false when the database already had it.
Result<void> apply_step(sql::Connection& database, const Migration& step, int newest_known, TimePoint now) {
    // Read the version inside the write lock.
    auto version = schema_version(database);
    if (!version)
        return std::unexpected(version.error());
    if (*version > newest_known)
        return std::unexpected(too_new(*version, newest_known));
    if (step.version <= *version)
        return {};
    if (step.version != *version + 1) {
        return fail(Errc::Internal, "migration " + std::to_string(step.version) + " follows schema " +
                                        std::to_string(*version) + "; migrations must not skip versions");
    }
    if (auto applied = database.execute(step.sql); !applied) {
        return fail(Errc::Io, "migration " + std::to_string(step.version) + " (" +
                                  std::string{step.description} + ") failed: " + applied.error().detail);
    }
    auto record =
        database.prepare("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)");
    if (!record)
        return std::unexpected(record.error());
    record->bind(1, step.version).bind(2, step.description).bind(3, to_unix_ms(now));
    return record->run();
}

}  // namespace

Result<int> migrate(sql::Connection& database, std::span<const Migration> known, TimePoint now) {
    const int newest_known = known.empty() ? 0 : known.back().version;
    const std::string_view create_version_table = database.dialect() == sql::Dialect::Sqlite
                                                      ? "CREATE TABLE IF NOT EXISTS schema_version ("
                                                        " version INTEGER PRIMARY KEY,"
                                                        " description TEXT NOT NULL,"
                                                        " applied_at INTEGER NOT NULL)"
                                                      : "CREATE TABLE IF NOT EXISTS schema_version ("
                                                        " version BIGINT PRIMARY KEY,"
                                                        " description TEXT NOT NULL,"
                                                        " applied_at BIGINT NOT NULL)";
    auto created = sql::in_transaction(database, sql::TransactionKind::Write,
                                       [&] { return database.execute(create_version_table); });
    if (!created)
        return std::unexpected(created.error());

    for (const Migration& step : known) {
        auto applied = sql::in_transaction(database, sql::TransactionKind::Write,
                                           [&] { return apply_step(database, step, newest_known, now); });
        if (!applied)
            return std::unexpected(applied.error());
    }

    auto reached = schema_version(database);
    if (!reached)
        return std::unexpected(reached.error());
    if (*reached > newest_known)
        return std::unexpected(too_new(*reached, newest_known));
    return *reached;
}

Result<int> migrate(sqlite::Database& database, std::span<const Migration> known, TimePoint now) {
    return migrate(*sql::sqlite_connection(database), known, now);
}

}  // namespace bantin::controller
