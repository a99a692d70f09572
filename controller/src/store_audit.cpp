// The store's audit log.

#include "sql_transaction.hpp"

#include <utility>

namespace bantin::controller {

using namespace store_detail;

namespace {

constexpr std::string_view audit_columns =
    "id, user_id, user_name, at, action, entity_type, entity_id, before_json, after_json";

AuditEntry read_audit(const Statement& row) {
    Row column{row};
    AuditEntry entry;
    entry.id = column.int64();
    entry.user = column.optional_int64();
    entry.user_name = column.text();
    entry.at = column.time();
    entry.action = column.text();
    entry.entity_type = column.text();
    entry.entity_id = column.text();
    entry.before = column.optional_text().value_or("");
    entry.after = column.optional_text().value_or("");
    return entry;
}

}  // namespace

Result<AuditEntry> SqlTransaction::append_audit(AuditEntry entry) {
    auto id = scalar(
        "INSERT INTO audit_log (user_id, user_name, at, action, entity_type, entity_id, "
        "before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        entry.user, entry.user_name, entry.at, entry.action, entry.entity_type, entry.entity_id,
        empty_as_null(entry.before), empty_as_null(entry.after));
    if (!id)
        return std::unexpected(id.error());
    entry.id = *id;
    return entry;
}

Result<std::vector<AuditEntry>> SqlTransaction::list_audit(const AuditFilter& filter, Page page) {
    return list_audit_between(filter, std::nullopt, std::nullopt, page);
}

Result<std::vector<AuditEntry>> SqlTransaction::list_audit_between(const AuditFilter& filter,
                                                                   std::optional<TimePoint> from,
                                                                   std::optional<TimePoint> to, Page page) {
    return many<AuditEntry>(
        "SELECT " + std::string{audit_columns} +
            " FROM audit_log WHERE (?1 = '' OR entity_type = ?1) "
            "AND (?2 = '' OR entity_id = ?2) AND (CAST(?3 AS BIGINT) IS NULL OR user_id = ?3) "
            "AND (CAST(?6 AS BIGINT) IS NULL OR at >= ?6) AND (CAST(?7 AS BIGINT) IS NULL OR at < ?7) "
            "ORDER BY id DESC LIMIT ?4 OFFSET ?5",
        [](const Statement& row) -> Result<AuditEntry> { return read_audit(row); }, filter.entity_type,
        filter.entity_id, filter.user, page.limit, page.offset, from, to);
}

}  // namespace bantin::controller
