#pragma once
// Schema migrations over the SQL seam (internal to controller/src): one migrate() for both
// backends, given the steps of the connection's dialect (migrations() for SQLite,
// postgresql_migrations() for PostgreSQL).

#include "bantin/controller/sqlite_store.hpp"
#include "sql_connection.hpp"

#include <span>

namespace bantin::controller {

// The version recorded in a database; 0 for an empty database.
Result<int> schema_version(sql::Connection& database);

// Applies the steps above the database's version, each in its own write transaction with its
// schema_version row; refuses a database newer than the last step. Returns the version reached.
Result<int> migrate(sql::Connection& database, std::span<const Migration> steps, TimePoint now);

}  // namespace bantin::controller
