#pragma once
// The player's durable local state, in one SQLite file (WAL, synchronous=FULL):
//   meta            install epoch (random, created once), the bundles (active, last good,
//                   desired: signed envelopes exactly as received), the last proof seq
//   seen_commands   command ids acted on (the replay guard of verify_command)
//   alerts          alerts received and not cancelled (signed envelopes)
//   cancelled_alerts  ids of cancelled alerts (verify_alert refuses them afterwards)
// The proof-of-play outbox and the media cache index live in the same file (outbox.hpp,
// bantin::media::MediaCache); the cache opens its own connection.
//
// Bundles are stored as the signed bytes, so a restart re-checks their signature before it
// trusts them again; desired -> active -> last good moves happen in one transaction.
//
// Lifecycle: open() creates or upgrades the schema. Threads: the daemon's loop only.
// Errors: Io / Conflict / Timeout from SQLite (bantin::sqlite), with the SQL named.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/sqlite/database.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bantin::player {

struct StoredBundle {
    std::uint64_t version = 0;
    std::string envelope;  // the signed bytes as received
};

struct StoredAlert {
    std::string id;
    std::string envelope;
};

class PlayerState {
public:
    static Result<PlayerState> open(const std::filesystem::path& database_path);

    const std::string& install_epoch() const { return m_install_epoch; }
    sqlite::Database& database() { return m_database; }

    Result<std::optional<StoredBundle>> active_bundle();
    Result<std::optional<StoredBundle>> last_good_bundle();
    Result<std::optional<StoredBundle>> desired_bundle();
    // A verified bundle newer than the active one: it replaces any earlier desired bundle.
    Result<void> set_desired(const StoredBundle& bundle);
    // desired -> active, active -> last good, in one transaction. NotFound without a desired one.
    Result<void> activate_desired();
    // Forgets the desired bundle (it was superseded or could not be fetched).
    Result<void> clear_desired();

    Result<protocol::SeenCommands> seen_commands();
    Result<void> remember_command(const std::string& id, TimePoint issued_at);

    Result<std::vector<StoredAlert>> alerts();
    Result<void> store_alert(const StoredAlert& alert);
    Result<std::vector<std::string>> cancelled_alerts();
    // Removes the alert and remembers its id as cancelled.
    Result<void> cancel_alert(const std::string& id);

private:
    explicit PlayerState(sqlite::Database database) : m_database(std::move(database)) {}
    Result<std::optional<std::string>> meta(std::string_view key);
    Result<void> set_meta(std::string_view key, std::string_view value);
    Result<void> erase_meta(std::string_view key);
    Result<std::optional<StoredBundle>> bundle(std::string_view slot);

    sqlite::Database m_database;
    std::string m_install_epoch;
};

// Reads back an envelope the state database kept: the signature is checked again (the trusted
// keys may have changed since) and the payload decoded; nullopt when either fails.
template <class T>
std::optional<T> decode_stored(const std::string& envelope, const protocol::TrustedKeys& keys,
                               protocol::MessageType type, Result<T> (*decode)(std::string_view)) {
    auto payload = protocol::verify_signature(envelope, keys, type);
    if (!payload)
        return std::nullopt;
    auto decoded = decode(*payload);
    if (!decoded)
        return std::nullopt;
    return std::move(*decoded);
}

// 16 random lowercase hex digits prefixed "ie-" (from /dev/urandom via std::random_device).
std::string new_install_epoch();

}  // namespace bantin::player
