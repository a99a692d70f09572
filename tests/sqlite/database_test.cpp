#include "bantin/sqlite/database.hpp"

#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace bantin;
using namespace bantin::sqlite;
using bantin::testing::TemporaryDirectory;

namespace {

Database open_or_fail(const std::string& path) {
    auto database = Database::open(path);
    if (!database)
        FAIL(database.error().message());
    return std::move(*database);
}

std::int64_t count_rows(Database& database, std::string_view table) {
    auto statement = database.prepare("SELECT count(*) FROM " + std::string{table});
    REQUIRE(statement);
    auto row = statement->fetch_one();
    REQUIRE(row);
    REQUIRE(*row);
    return statement->column_int64(0);
}

}  // namespace

TEST_CASE("open switches a file database to WAL with foreign keys on", "[sqlite][open]") {
    TemporaryDirectory directory;
    Database database = open_or_fail(directory.file("a.db"));

    auto journal = database.prepare("PRAGMA journal_mode");
    REQUIRE(journal);
    REQUIRE(journal->fetch_one().value());
    CHECK(journal->column_text(0) == "wal");

    auto foreign_keys = database.prepare("PRAGMA foreign_keys");
    REQUIRE(foreign_keys);
    REQUIRE(foreign_keys->fetch_one().value());
    CHECK(foreign_keys->column_int(0) == 1);

    auto synchronous = database.prepare("PRAGMA synchronous");
    REQUIRE(synchronous);
    REQUIRE(synchronous->fetch_one().value());
    CHECK(synchronous->column_int(0) == 2);  // FULL
}

TEST_CASE("opening a missing file without create fails naming the path", "[sqlite][open]") {
    TemporaryDirectory directory;
    OpenOptions options;
    options.mode = OpenMode::ReadWrite;
    auto database = Database::open(directory.file("missing.db"), options);
    REQUIRE_FALSE(database);
    CHECK(database.error().code == Errc::Io);
    CHECK_THAT(database.error().detail, Catch::Contains("missing.db"));
}

TEST_CASE("typed binds round-trip through columns", "[sqlite][statement]") {
    TemporaryDirectory directory;
    Database database = open_or_fail(directory.file("a.db"));
    REQUIRE(database.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)"));

    auto insert = database.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)");
    REQUIRE(insert);
    const std::vector<std::byte> blob{std::byte{0}, std::byte{0xff}, std::byte{7}};
    insert->bind(1, std::int64_t{9'007'199'254'740'993})
        .bind(2, 2.5)
        .bind(3, std::string_view{"xin chào"})
        .bind_blob(4, blob)
        .bind(5, std::optional<std::string>{});
    REQUIRE(insert->run());

    auto select = database.prepare("SELECT i, r, s, b, n FROM t");
    REQUIRE(select);
    REQUIRE(select->fetch_one().value());
    CHECK(select->column_int64(0) == 9'007'199'254'740'993);
    CHECK(select->column_double(1) == 2.5);
    CHECK(select->column_text(2) == "xin chào");
    CHECK(select->column_blob(3) == blob);
    CHECK(select->column_is_null(4));
    CHECK_FALSE(select->column_optional_text(4).has_value());
    CHECK(select->column_optional_int64(0) == 9'007'199'254'740'993);
}

TEST_CASE("an empty string binds as empty text, not NULL", "[sqlite][statement]") {
    TemporaryDirectory directory;
    Database database = open_or_fail(directory.file("a.db"));
    auto select = database.prepare("SELECT ? IS NULL, length(?)");
    REQUIRE(select);
    select->bind(1, std::string_view{}).bind(2, std::string{});
    REQUIRE(select->fetch_one().value());
    CHECK(select->column_int(0) == 0);
    CHECK(select->column_int(1) == 0);
}

TEST_CASE("a statement can be reset and run again with new binds", "[sqlite][statement]") {
    TemporaryDirectory directory;
    Database database = open_or_fail(directory.file("a.db"));
    REQUIRE(database.execute("CREATE TABLE t (v INTEGER)"));
    auto insert = database.prepare("INSERT INTO t VALUES (?)");
    REQUIRE(insert);
    for (int value = 0; value < 5; ++value) {
        insert->reset();
        insert->bind(1, value);
        REQUIRE(insert->run());
    }
    CHECK(count_rows(database, "t") == 5);
}

TEST_CASE("a syntax error names the SQL and SQLite's message", "[sqlite][errors]") {
    TemporaryDirectory directory;
    Database database = open_or_fail(directory.file("a.db"));
    auto statement = database.prepare("SELEC 1");
    REQUIRE_FALSE(statement);
    CHECK(statement.error().code == Errc::Io);
    CHECK_THAT(statement.error().detail, Catch::Contains("SELEC 1"));
    CHECK_THAT(statement.error().detail, Catch::Contains("syntax error"));
}

TEST_CASE("a constraint violation is a Conflict naming the constraint", "[sqlite][errors]") {
    TemporaryDirectory directory;
    Database database = open_or_fail(directory.file("a.db"));
    REQUIRE(database.execute("CREATE TABLE t (name TEXT UNIQUE)"));
    REQUIRE(database.execute("INSERT INTO t VALUES ('a')"));
    auto insert = database.prepare("INSERT INTO t VALUES (?)");
    REQUIRE(insert);
    insert->bind(1, "a");
    auto ran = insert->run();
    REQUIRE_FALSE(ran);
    CHECK(ran.error().code == Errc::Conflict);
    CHECK_THAT(ran.error().detail, Catch::Contains("UNIQUE constraint failed: t.name"));
    CHECK_THAT(ran.error().detail, Catch::Contains("INSERT INTO t VALUES (?)"));
}

TEST_CASE("foreign keys are enforced", "[sqlite][errors]") {
    TemporaryDirectory directory;
    Database database = open_or_fail(directory.file("a.db"));
    REQUIRE(
        database.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                         "CREATE TABLE child (parent INTEGER REFERENCES parent(id))"));
    auto ran = database.execute("INSERT INTO child VALUES (42)");
    REQUIRE_FALSE(ran);
    CHECK(ran.error().code == Errc::Conflict);
    CHECK_THAT(ran.error().detail, Catch::Contains("FOREIGN KEY"));
}

TEST_CASE("a bad bind index is reported by the next step", "[sqlite][errors]") {
    TemporaryDirectory directory;
    Database database = open_or_fail(directory.file("a.db"));
    auto statement = database.prepare("SELECT ?");
    REQUIRE(statement);
    statement->bind(3, 1);
    auto stepped = statement->step();
    REQUIRE_FALSE(stepped);
    CHECK_THAT(stepped.error().detail, Catch::Contains("parameter 3"));
}

TEST_CASE("a transaction rolls back unless committed", "[sqlite][transaction]") {
    TemporaryDirectory directory;
    Database database = open_or_fail(directory.file("a.db"));
    REQUIRE(database.execute("CREATE TABLE t (v INTEGER)"));
    {
        auto transaction = Transaction::begin(database, TransactionMode::Immediate);
        REQUIRE(transaction);
        REQUIRE(database.in_transaction());
        REQUIRE(database.execute("INSERT INTO t VALUES (1)"));
    }
    CHECK_FALSE(database.in_transaction());
    CHECK(count_rows(database, "t") == 0);
    {
        auto transaction = Transaction::begin(database);
        REQUIRE(transaction);
        REQUIRE(database.execute("INSERT INTO t VALUES (2)"));
        REQUIRE(transaction->commit());
    }
    CHECK(count_rows(database, "t") == 1);
}

TEST_CASE("BEGIN IMMEDIATE holds the write lock against a second connection", "[sqlite][transaction]") {
    TemporaryDirectory directory;
    Database first = open_or_fail(directory.file("a.db"));
    REQUIRE(first.execute("CREATE TABLE t (v INTEGER)"));
    OpenOptions impatient;
    impatient.busy_timeout_ms = 10;
    auto second = Database::open(directory.file("a.db"), impatient);
    REQUIRE(second);

    auto writer = Transaction::begin(first, TransactionMode::Immediate);
    REQUIRE(writer);
    auto blocked = Transaction::begin(*second, TransactionMode::Immediate);
    REQUIRE_FALSE(blocked);
    CHECK(blocked.error().code == Errc::Timeout);

    // WAL: the second connection still reads while the first holds the write lock.
    CHECK(count_rows(*second, "t") == 0);
    REQUIRE(writer->commit());
    auto now_free = Transaction::begin(*second, TransactionMode::Immediate);
    CHECK(now_free);
}

TEST_CASE("a moved database and statement keep working", "[sqlite][raii]") {
    TemporaryDirectory directory;
    Database original = open_or_fail(directory.file("a.db"));
    Database moved = std::move(original);
    auto statement = moved.prepare("SELECT 41 + 1");
    REQUIRE(statement);
    sqlite::Statement other = std::move(*statement);
    REQUIRE(other.fetch_one().value());
    CHECK(other.column_int(0) == 42);
}

TEST_CASE("a new database file and its wal and shm files are private to the owner", "[sqlite][open]") {
    TemporaryDirectory directory;
    const mode_t previous = ::umask(022);
    const std::string path = directory.file("private.db");
    {
        Database database = open_or_fail(path);
        REQUIRE(database.execute("CREATE TABLE t (x INTEGER)"));
        REQUIRE(database.execute("INSERT INTO t VALUES (1)"));
        for (const std::string& name : {path, path + "-wal", path + "-shm"}) {
            struct stat status {};
            REQUIRE(::stat(name.c_str(), &status) == 0);
            INFO(name);
            CHECK((status.st_mode & 0777) == 0600);
        }
    }
    ::umask(previous);
}
