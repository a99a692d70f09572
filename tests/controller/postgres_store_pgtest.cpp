// What only the PostgreSQL backend has: its connection string and server at start-up, the
// placeholder rewrite, and writers of two stores on one database (controller_pg_tests only).

#include "bantin/controller/controller_daemon.hpp"
#include "bantin/controller/postgres_store.hpp"
#include "sql_connection.hpp"
#include "store_fixture.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/postgres_server.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace bantin;
using namespace bantin::controller;

namespace {

// Opens a store through the daemon's own path (config -> open_store) with this conninfo.
Result<std::unique_ptr<Store>> open_configured_store(const std::string& conninfo) {
    config::ControllerConfig config;
    config.storage.backend = config::StorageBackend::Postgresql;
    config.storage.postgresql = conninfo;
    static testing::SimulatedClock clock;
    return open_store(config, clock);
}

void check_bilingual_refusal(const Result<std::unique_ptr<Store>>& opened) {
    REQUIRE_FALSE(opened);
    INFO(opened.error().message());
    CHECK_THAT(opened.error().detail, Catch::StartsWith("storage.postgresql: "));
    // Vietnamese first, then English.
    const auto vietnamese = opened.error().detail.find("PostgreSQL");
    const auto english = opened.error().detail.find("; ");
    CHECK(vietnamese != std::string::npos);
    CHECK(english != std::string::npos);
    CHECK_THAT(opened.error().detail, Catch::Contains("không") && Catch::Contains("PostgreSQL"));
    CHECK_THAT(opened.error().detail, !Catch::Contains("s3cret-password"));
}

}  // namespace

TEST_CASE("postgresql: a malformed connection string is refused at start-up with a bilingual error",
          "[controller][postgresql][hostile]") {
    for (const std::string conninfo :
         {"host=127.0.0.1 port", "host='unterminated password=s3cret-password",
          "nonsense_option=1 password=s3cret-password", "postgresql://[::1/bantin?password=s3cret-password",
          "host=127.0.0.1 sslmode=not-a-mode password=s3cret-password"}) {
        CAPTURE(conninfo);
        auto opened = open_configured_store(conninfo);
        check_bilingual_refusal(opened);
        if (!opened)
            CHECK((opened.error().code == Errc::InvalidInput || opened.error().code == Errc::Network));
    }
}

TEST_CASE("postgresql: an unreachable server or a missing database is refused at start-up, never a crash",
          "[controller][postgresql][hostile]") {
    SECTION("nothing listens on the port") {
        const auto port = test::MosquittoBroker::free_port();
        auto opened = open_configured_store("host=127.0.0.1 port=" + std::to_string(port) +
                                            " dbname=bantin user=bantin password=s3cret-password");
        check_bilingual_refusal(opened);
        CHECK(opened.error().code == Errc::Network);
        CHECK_THAT(opened.error().detail, Catch::Contains("127.0.0.1:" + std::to_string(port)));
    }
    SECTION("the server is up, the database is not there") {
        auto server = test::PostgresServer::shared();
        REQUIRE(server);
        auto opened =
            open_configured_store((*server)->conninfo("no_such_database") + " password=s3cret-password");
        check_bilingual_refusal(opened);
        CHECK(opened.error().code == Errc::Network);
        CHECK_THAT(opened.error().detail, Catch::Contains("no_such_database"));
    }
    SECTION("the reports' own connection is refused the same way") {
        const auto port = test::MosquittoBroker::free_port();
        config::ControllerConfig config;
        config.storage.backend = config::StorageBackend::Postgresql;
        config.storage.postgresql =
            "host=127.0.0.1 port=" + std::to_string(port) + " password=s3cret-password";
        auto query = open_proof_query(config);
        REQUIRE_FALSE(query);
        CHECK_THAT(query.error().detail, Catch::StartsWith("storage.postgresql: không kết nối được"));
        CHECK_THAT(query.error().detail, !Catch::Contains("s3cret-password"));
    }
}

TEST_CASE("postgresql: a URI connection string opens the store", "[controller][postgresql]") {
    auto server = test::PostgresServer::shared();
    REQUIRE(server);
    auto name = (*server)->create_database();
    REQUIRE(name);
    auto opened = open_configured_store("postgresql://" + std::string{test::PostgresServer::superuser} +
                                        "@127.0.0.1:" + std::to_string((*server)->port()) + "/" + *name);
    if (!opened)
        FAIL(opened.error().message());
    CHECK((*opened)->read([](StoreTransaction& transaction) -> Result<void> {
        auto zones = transaction.list_zones();
        if (!zones)
            return std::unexpected(zones.error());
        CHECK(zones->empty());
        return {};
    }));
}

TEST_CASE("postgresql: placeholders become numbered parameters outside quoted text and comments",
          "[controller][postgresql]") {
    int parameters = 0;
    CHECK(sql::postgresql_placeholders("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?", &parameters) ==
          "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2");
    CHECK(parameters == 2);
    CHECK(sql::postgresql_placeholders("UPDATE t SET a = ?2 WHERE id = ?1 AND \"we?ird\" = ?1 -- why?\n",
                                       &parameters) ==
          "UPDATE t SET a = $2 WHERE id = $1 AND \"we?ird\" = $1 -- why?\n");
    CHECK(parameters == 2);
    CHECK(sql::postgresql_placeholders("SELECT 'it''s ?', ?10", &parameters) == "SELECT 'it''s ?', $10");
    CHECK(parameters == 10);
}

TEST_CASE("postgresql: writers of two stores on one database run one after the other",
          "[controller][postgresql][transactions]") {
    // Each write reads the zone's counter and writes it back plus one: without the writers' lock
    // two controllers would read the same value and lose increments.
    testing::StoreFixture fixture;
    REQUIRE(fixture.store->write([](StoreTransaction& transaction) {
        return transaction.insert_zone({"dem", "0"});
    }));
    // A second store (another controller) on the same database.
    auto other = PostgresStore::open(fixture.conninfo(), fixture.clock);
    if (!other)
        FAIL(other.error().message());
    constexpr int rounds = 40;
    auto bump = [](Store& store) {
        int failures = 0;
        for (int i = 0; i < rounds; ++i) {
            auto done = store.write([](StoreTransaction& transaction) -> Result<void> {
                auto zone = transaction.zone_by_id("dem");
                if (!zone)
                    return std::unexpected(zone.error());
                zone->name = std::to_string(std::stoi(zone->name) + 1);
                return transaction.update_zone(*zone);
            });
            if (!done)
                ++failures;
        }
        return failures;
    };
    int failures_one = 0;
    int failures_two = 0;
    std::thread one{[&] { failures_one = bump(*fixture.store); }};
    std::thread two{[&] { failures_two = bump(**other); }};
    one.join();
    two.join();
    CHECK(failures_one == 0);
    CHECK(failures_two == 0);
    auto zone = fixture.store->read_value<ZoneRecord>(
        [](StoreTransaction& transaction) { return transaction.zone_by_id("dem"); });
    REQUIRE(zone);
    CHECK(zone->name == std::to_string(2 * rounds));
}

TEST_CASE("postgresql: no wait of the store is unbounded, and a reconnection keeps the limits",
          "[controller][postgresql]") {
    auto server = test::PostgresServer::shared();
    REQUIRE(server);
    auto database = (*server)->create_database();
    REQUIRE(database);
    auto opened = sql::postgresql_connection((*server)->conninfo(*database));
    REQUIRE(opened);
    auto& connection = **opened;
    auto setting = [&](const std::string& name) {
        auto statement = connection.prepare("SELECT current_setting('" + name + "')");
        REQUIRE(statement);
        auto found = statement->fetch_one();
        REQUIRE(found);
        REQUIRE(*found);
        return statement->column_text(0);
    };
    auto check_limits = [&] {
        CHECK(setting("lock_timeout") == "30s");
        CHECK(setting("idle_in_transaction_session_timeout") == "1min");
        CHECK(setting("tcp_user_timeout") == "30000");  // milliseconds
        CHECK(setting("tcp_keepalives_idle") == "10");
    };
    check_limits();
    // The server ends the session (a restart, an administrator): the next transaction
    // reconnects at once, without failing, and with the same limits.
    auto pid = connection.prepare("SELECT pg_backend_pid()");
    REQUIRE(pid);
    REQUIRE(pid->fetch_one());
    const auto backend = pid->column_text(0);
    REQUIRE((*server)->psql(*database, "SELECT pg_terminate_backend(" + backend + ")"));
    REQUIRE(connection.begin(sql::TransactionKind::Read));
    check_limits();
    connection.rollback();
}
