// The PostgreSQL test rig itself (tests/support/postgres_server.hpp): a throwaway server starts
// from nothing on a free loopback port, hands out separate databases, and leaves nothing behind.

#include "support/postgres_server.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using bantin::test::PostgresServer;

TEST_CASE("a throwaway PostgreSQL server starts, hands out databases and stops", "[postgres]") {
    REQUIRE(PostgresServer::installed());
    PostgresServer server;
    auto started = server.start();
    INFO((started ? std::string{} : started.error().detail));
    REQUIRE(started);
    REQUIRE(server.running());

    auto first = server.create_database();
    auto second = server.create_database();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(*first != *second);
    REQUIRE(server.psql(*first, "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT NOT NULL)"));
    REQUIRE(server.psql(*first, "INSERT INTO t VALUES (1, 'Bạch Đằng')"));
    auto name = server.psql(*first, "SELECT name FROM t WHERE id = 1");
    REQUIRE(name);
    CHECK(*name == "Bạch Đằng");
    // The other database is separate.
    CHECK_FALSE(server.psql(*second, "SELECT name FROM t"));
    // Only loopback: the server listens on 127.0.0.1 and nowhere else.
    auto listen = server.psql(*first, "SHOW listen_addresses");
    REQUIRE(listen);
    CHECK(*listen == "127.0.0.1");

    const auto port = server.port();
    server.stop();
    CHECK_FALSE(server.running());
    CHECK_FALSE(bantin::test::MosquittoBroker::port_accepts(port));
}

TEST_CASE("the shared PostgreSQL server of a test process is started once", "[postgres]") {
    auto first = PostgresServer::shared();
    auto second = PostgresServer::shared();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(*first == *second);
    auto database = (*first)->create_database();
    REQUIRE(database);
    auto answer = (*first)->psql(*database, "SELECT 40 + 2");
    REQUIRE(answer);
    CHECK(*answer == "42");
}
