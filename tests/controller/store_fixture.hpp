#pragma once
// A migrated Store on simulated time, with helpers to add users cheaply (minimum argon2id
// cost) and the content a campaign needs.
//
// The backend: a SqliteStore in a temporary directory; or, in the executable built with
// BANTIN_STORE_POSTGRESQL (controller_pg_tests), a PostgresStore on a fresh database of the
// test process's one PostgreSQL server (support/postgres_server.hpp). The same TEST_CASEs run
// on both; a case about SQLite's files only is tagged [sqlite] and left out of the PostgreSQL run.

#include "bantin/controller/auth.hpp"
#include "bantin/controller/postgres_store.hpp"
#include "bantin/controller/sqlite_store.hpp"
// controller/src: the store's SQL seam, reached from every test folder that includes this file.
#include "../../controller/src/sql_connection.hpp"
#include "support/simulated_clock.hpp"
#include "support/temporary_directory.hpp"
#ifdef BANTIN_STORE_POSTGRESQL
#include "support/postgres_server.hpp"
#endif

#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace bantin::testing {

inline controller::AuthPolicy cheap_auth_policy() {
    controller::AuthPolicy policy;
    policy.cost = controller::PasswordCost::minimum();
    return policy;
}

#ifdef BANTIN_STORE_POSTGRESQL
constexpr bool store_on_postgresql = true;

// A fresh database of the process's PostgreSQL server; its conninfo.
inline std::string fresh_postgresql_database() {
    auto server = test::PostgresServer::shared();
    if (!server)
        FAIL(server.error().message());
    auto name = (*server)->create_database();
    if (!name)
        FAIL(name.error().message());
    return (*server)->conninfo(*name);
}
#else
constexpr bool store_on_postgresql = false;
#endif

class StoreFixture {
public:
    StoreFixture() {
#ifdef BANTIN_STORE_POSTGRESQL
        m_conninfo = fresh_postgresql_database();
        auto opened = controller::PostgresStore::open(m_conninfo, clock);
#else
        auto opened = controller::SqliteStore::open(path(), clock);
#endif
        if (!opened)
            FAIL(opened.error().message());
        store = std::move(*opened);
    }

    // A fresh empty database and no store (migration tests): raw_connection() reaches it.
    struct Empty {};
    explicit StoreFixture(Empty) {
#ifdef BANTIN_STORE_POSTGRESQL
        m_conninfo = fresh_postgresql_database();
#endif
    }

    // The PostgreSQL database's conninfo (PostgreSQL runs only).
    const std::string& conninfo() const { return m_conninfo; }

    // The SQLite file (SQLite runs only).
    std::string path() const { return directory.file("controller.db"); }

    // A second connection to the store's database, for SQL the Store does not offer.
    std::unique_ptr<controller::sql::Connection> raw_connection() {
#ifdef BANTIN_STORE_POSTGRESQL
        auto connection = controller::sql::postgresql_connection(m_conninfo);
        if (!connection)
            FAIL(connection.error().message());
        return std::move(*connection);
#else
        auto database = sqlite::Database::open(path());
        if (!database)
            FAIL(database.error().message());
        m_raw.push_back(std::make_unique<sqlite::Database>(std::move(*database)));
        return controller::sql::sqlite_connection(*m_raw.back());
#endif
    }

    // The reports' own proof query on the store's database (SqliteProofQuery or its twin).
    std::unique_ptr<controller::ProofQuery> proof_query() {
#ifdef BANTIN_STORE_POSTGRESQL
        auto query = controller::PostgresProofQuery::open(m_conninfo);
#else
        auto query = controller::SqliteProofQuery::open(path());
#endif
        if (!query)
            FAIL(query.error().message());
        return std::move(*query);
    }

    controller::User add_user(const std::string& name, controller::Role role) {
        controller::PasswordHasher hasher{controller::PasswordCost::minimum()};
        auto hash = hasher.hash("password-of-" + name);
        REQUIRE(hash);
        auto user = store->write_value<controller::User>([&](controller::StoreTransaction& transaction) {
            return transaction.insert_user(
                controller::User{0, name, name + " display", role, *hash, false, clock.wall()});
        });
        if (!user)
            FAIL(user.error().message());
        return *user;
    }

    // A media row, a playlist using it and a zone: what a campaign refers to.
    void add_content(const std::string& playlist_id = "pl-1", const std::string& zone = "zone-1") {
        auto done = store->write([&](controller::StoreTransaction& transaction) -> Result<void> {
            controller::MediaRecord media;
            media.media.sha256 = std::string(64, 'b');
            media.media.type = scheduler::MediaType::Video;
            media.media.duration = Duration{15000};
            media.media.name = "clip.mp4";
            media.size = 1234;
            media.created = clock.wall();
            if (auto inserted = transaction.insert_media(media); !inserted)
                return std::unexpected(inserted.error());
            controller::PlaylistRecord playlist;
            playlist.playlist.id = playlist_id;
            playlist.playlist.name = "Playlist";
            playlist.playlist.items.push_back({std::string(64, 'b'), std::nullopt, 1});
            playlist.created = playlist.updated = clock.wall();
            if (auto inserted = transaction.insert_playlist(playlist); !inserted)
                return inserted;
            auto existing = transaction.zone_by_id(zone);
            if (existing)
                return {};
            return transaction.insert_zone(controller::ZoneRecord{zone, "Zone"});
        });
        if (!done)
            FAIL(done.error().message());
    }

    static scheduler::Campaign campaign(const std::string& id, const std::string& playlist = "pl-1") {
        scheduler::Campaign campaign;
        campaign.id = id;
        campaign.name = "Campaign " + id;
        campaign.playlist = playlist;
        campaign.targets.zones = {"zone-1"};
        campaign.windows = {{6 * 60, 22 * 60}};
        return campaign;
    }

    TemporaryDirectory directory;
    SimulatedClock clock;
    std::unique_ptr<controller::Store> store;

private:
    std::string m_conninfo;
    std::vector<std::unique_ptr<sqlite::Database>> m_raw;
};

}  // namespace bantin::testing
