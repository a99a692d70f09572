// The SQL seam over PostgreSQL (sql_connection.hpp), on libpq. Statements are sent with
// PQexecParams, every value as text, and their whole result is kept until the next run:
// the store's queries are small (paged lists, one device's seqs).

#include "sql_connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

namespace bantin::controller::sql {

namespace {

// Every writer takes this transaction-scoped advisory lock first, so writers of one database
// (this controller's and any other's) run one after the other, as SQLite's BEGIN IMMEDIATE
// makes them: a read-then-write inside write() sees no concurrent change.
constexpr std::string_view writer_lock_key = "4748391002150916";

// SQL in error messages is cut so a long statement does not flood a log line.
std::string shorten(std::string_view sql) {
    constexpr std::size_t limit = 160;
    std::string text;
    bool space = false;
    for (char c : sql) {
        if (c == '\n' || c == '\t' || c == ' ' || c == '\r') {
            space = !text.empty();
            continue;
        }
        if (space)
            text += ' ';
        space = false;
        text += c;
        if (text.size() >= limit) {
            text += "...";
            break;
        }
    }
    return text;
}

std::string trimmed(const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    // One line: libpq's hints follow a newline and a tab.
    std::string line;
    for (char c : text) {
        const bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
        if (space && (line.empty() || line.back() == ' '))
            continue;
        line += space ? ' ' : c;
    }
    return line;
}

Errc classify(std::string_view state) {
    if (state.starts_with("23"))
        return Errc::Conflict;  // integrity constraint violation
    if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014")
        return Errc::Timeout;  // serialization failure, deadlock, lock not available, cancelled
    if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03")
        return Errc::Network;  // connection lost, server shutting down
    if (state.starts_with("54"))
        return Errc::TooLarge;
    return Errc::Io;
}

Error result_error(PGconn* connection, const PGresult* result, std::string_view sql) {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message =
        trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(connection));
    if (message.empty())
        message = trimmed(PQerrorMessage(connection));
    if (state == nullptr) {
        const bool lost = PQstatus(connection) != CONNECTION_OK;
        return Error{lost ? Errc::Network : Errc::Io,
                     "postgresql: " + shorten(sql) + ": " + message +
                         (lost ? " (mất kết nối tới PostgreSQL; connection to PostgreSQL lost)" : "")};
    }
    return Error{classify(state),
                 "postgresql: " + shorten(sql) + ": " + message + " (SQLSTATE " + state + ")"};
}

struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

class PostgresConnection;

class PostgresStatement final : public StatementImpl {
public:
    PostgresStatement(PostgresConnection& connection, std::string sql, int parameters)
        : m_connection(connection), m_sql(std::move(sql)), m_values(static_cast<std::size_t>(parameters)) {}

    void bind_int64(int index, std::int64_t value) override { set(index, std::to_string(value)); }
    void bind_double(int index, double value) override {
        char text[64];
        std::snprintf(text, sizeof text, "%.17g", value);
        set(index, text);
    }
    void bind_text(int index, std::string_view value) override { set(index, std::string{value}); }
    void bind_null(int index) override { set(index, std::nullopt); }

    Result<Step> step() override;

    void reset() override {
        m_result.reset();
        m_row = -1;
        m_rows = 0;
        m_bind_error.reset();
        std::fill(m_values.begin(), m_values.end(), std::nullopt);
    }

    bool column_is_null(int column) const override {
        return current() ? PQgetisnull(m_result.get(), m_row, column) != 0 : true;
    }
    std::int64_t column_int64(int column) const override {
        if (column_is_null(column))
            return 0;
        const char* text = PQgetvalue(m_result.get(), m_row, column);
        const char* end = text + std::char_traits<char>::length(text);
        std::int64_t value = 0;
        auto [stop, error] = std::from_chars(text, end, value);
        if (error != std::errc{})
            return 0;
        if (stop != end && *stop == '.')  // a numeric sum: its integer part
            return value;
        return value;
    }
    double column_double(int column) const override {
        if (column_is_null(column))
            return 0.0;
        return std::strtod(PQgetvalue(m_result.get(), m_row, column), nullptr);
    }
    std::string column_text(int column) const override {
        if (column_is_null(column))
            return {};
        return std::string{PQgetvalue(m_result.get(), m_row, column),
                           static_cast<std::size_t>(PQgetlength(m_result.get(), m_row, column))};
    }

private:
    void set(int index, std::optional<std::string> value) {
        if (index < 1 || static_cast<std::size_t>(index) > m_values.size()) {
            m_bind_error = Error{Errc::Internal, "postgresql: " + shorten(m_sql) + ": parameter " +
                                                     std::to_string(index) + " out of range"};
            return;
        }
        m_values[static_cast<std::size_t>(index - 1)] = std::move(value);
    }
    bool current() const { return m_result && m_row >= 0 && m_row < m_rows; }

    PostgresConnection& m_connection;
    std::string m_sql;
    std::vector<std::optional<std::string>> m_values;
    std::optional<Error> m_bind_error;
    ResultPtr m_result;
    int m_rows = 0;
    int m_row = -1;
};

class PostgresConnection final : public Connection {
public:
    explicit PostgresConnection(PGconn* connection) : m_connection(connection) {}
    ~PostgresConnection() override { PQfinish(m_connection); }
    PostgresConnection(const PostgresConnection&) = delete;
    PostgresConnection& operator=(const PostgresConnection&) = delete;

    Dialect dialect() const override { return Dialect::Postgresql; }

    Result<Statement> prepare(std::string_view sql) override {
        int parameters = 0;
        std::string rewritten = postgresql_placeholders(sql, &parameters);
        return Statement{std::make_unique<PostgresStatement>(*this, std::move(rewritten), parameters)};
    }

    Result<void> execute(std::string_view sql) override {
        ResultPtr result{PQexec(m_connection, std::string{sql}.c_str())};
        const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)
            return std::unexpected(result_error(m_connection, result.get(), sql));
        return {};
    }

    std::int64_t changes() const override { return m_changes; }

    Result<void> begin(TransactionKind kind) override {
        if (auto reconnected = reconnect_if_lost(); !reconnected)
            return reconnected;
        const char* begin_sql = kind == TransactionKind::Read
                                    ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                    : "BEGIN ISOLATION LEVEL READ COMMITTED";
        auto begun = execute(begin_sql);
        if (!begun && PQstatus(m_connection) != CONNECTION_OK) {
            // The server ended the session since the last transaction (a restart, an
            // administrator): libpq learns it only now. Nothing was done yet: once more.
            if (auto reconnected = reconnect_if_lost(); !reconnected)
                return reconnected;
            begun = execute(begin_sql);
        }
        if (!begun || kind == TransactionKind::Read)
            return begun;
        if (auto locked = execute("SELECT pg_advisory_xact_lock(" + std::string{writer_lock_key} + ")");
            !locked) {
            rollback();
            return locked;
        }
        return {};
    }

    // The server restarted or the network dropped since the last transaction: a new session,
    // with the same settings (PQreset reuses the connection's parameters).
    Result<void> reconnect_if_lost() {
        if (PQstatus(m_connection) == CONNECTION_OK)
            return {};
        PQreset(m_connection);
        if (PQstatus(m_connection) != CONNECTION_OK)
            return fail(Errc::Network,
                        "không kết nối lại được tới PostgreSQL: " + trimmed(PQerrorMessage(m_connection)) +
                            "; cannot reconnect to PostgreSQL");
        return {};
    }

    Result<void> commit() override {
        ResultPtr result{PQexec(m_connection, "COMMIT")};
        if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK)
            return std::unexpected(result_error(m_connection, result.get(), "COMMIT"));
        // COMMIT of a transaction that failed part way answers ROLLBACK: nothing was kept.
        if (std::string_view{PQcmdStatus(result.get())} == "ROLLBACK")
            return fail(Errc::Conflict, "postgresql: COMMIT: the transaction was rolled back after an error");
        return {};
    }

    void rollback() override {
        if (PQtransactionStatus(m_connection) == PQTRANS_IDLE)
            return;
        ResultPtr result{PQexec(m_connection, "ROLLBACK")};
    }

    Result<bool> table_exists(std::string_view name) override {
        auto statement = prepare(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = "
            "?");
        if (!statement)
            return std::unexpected(statement.error());
        statement->bind(1, name);
        return statement->fetch_one();
    }

    PGconn* handle() const { return m_connection; }
    void set_changes(std::int64_t changes) { m_changes = changes; }

private:
    PGconn* m_connection;
    std::int64_t m_changes = 0;
};

Result<Step> PostgresStatement::step() {
    if (m_bind_error)
        return std::unexpected(*m_bind_error);
    if (!m_result) {
        std::vector<const char*> values;
        values.reserve(m_values.size());
        for (const auto& value : m_values) values.push_back(value ? value->c_str() : nullptr);
        PGconn* connection = m_connection.handle();
        ResultPtr result{PQexecParams(connection, m_sql.c_str(), static_cast<int>(values.size()), nullptr,
                                      values.data(), nullptr, nullptr, 0)};
        const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
            return std::unexpected(result_error(connection, result.get(), m_sql));
        const std::string_view command = PQcmdStatus(result.get());
        if (command.starts_with("INSERT") || command.starts_with("UPDATE") || command.starts_with("DELETE")) {
            std::int64_t changed = 0;
            const std::string_view tuples = PQcmdTuples(result.get());
            std::from_chars(tuples.data(), tuples.data() + tuples.size(), changed);
            m_connection.set_changes(changed);
        }
        m_rows = status == PGRES_TUPLES_OK ? PQntuples(result.get()) : 0;
        m_row = -1;
        m_result = std::move(result);
    }
    if (m_row < m_rows)
        ++m_row;
    return m_row < m_rows ? Step::Row : Step::Done;
}

void ignore_notice(void*, const char*) {}

// libpq's parse errors quote the connection string or a piece of it, which may hold a password:
// a quoted piece that looks like more than an option name (it has '=', '@', '/', ':' or '?',
// or is long) is left out.
std::string without_quoted_conninfo(const std::string& message) {
    std::string out;
    std::size_t at = 0;
    while (at < message.size()) {
        const std::size_t open = message.find('"', at);
        if (open == std::string::npos) {
            out.append(message, at);
            break;
        }
        const std::size_t close = message.find('"', open + 1);
        if (close == std::string::npos) {
            out.append(message, at, open - at);
            out += "\"…\"";
            break;
        }
        const std::string_view piece{message.data() + open + 1, close - open - 1};
        out.append(message, at, open - at);
        if (piece.size() > 32 || piece.find_first_of("=@/:?") != std::string_view::npos)
            out += "\"…\"";
        else
            out.append(message, open, close - open + 1);
        at = close + 1;
    }
    return out;
}

// "host:port/dbname" of a connection, for messages (never its password).
std::string describe(PGconn* connection) {
    auto text = [](const char* value) { return std::string{value != nullptr ? value : ""}; };
    std::string host = text(PQhost(connection));
    std::string port = text(PQport(connection));
    std::string name = text(PQdb(connection));
    return (host.empty() ? "localhost" : host) + (port.empty() ? "" : ":" + port) + "/" + name;
}

}  // namespace

std::string postgresql_placeholders(std::string_view sql, int* parameters) {
    std::string out;
    out.reserve(sql.size() + 16);
    int next = 0;
    int highest = 0;
    char quote = 0;  // '\'' or '"' while inside quoted text
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (quote != 0) {
            out += c;
            if (c == quote)
                quote = 0;  // a doubled quote closes and reopens: the same text
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            out += c;
            continue;
        }
        if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            const std::size_t end = sql.find('\n', i);
            const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
            out.append(sql.substr(i, stop - i));
            i = stop - 1;
            continue;
        }
        if (c != '?') {
            out += c;
            continue;
        }
        std::size_t digits = i + 1;
        while (digits < sql.size() && sql[digits] >= '0' && sql[digits] <= '9') ++digits;
        int number = 0;
        if (digits > i + 1) {
            std::from_chars(sql.data() + i + 1, sql.data() + digits, number);
            i = digits - 1;
        } else {
            number = ++next;
        }
        highest = std::max(highest, number);
        out += '$';
        out += std::to_string(number);
    }
    if (parameters != nullptr)
        *parameters = highest;
    return out;
}

Result<std::unique_ptr<Connection>> postgresql_connection(const std::string& conninfo) {
    char* parse_error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
    if (options == nullptr) {
        std::string reason =
            parse_error != nullptr ? without_quoted_conninfo(trimmed(parse_error)) : "out of memory";
        PQfreemem(parse_error);
        return fail(Errc::InvalidInput, "chuỗi kết nối PostgreSQL không hợp lệ: " + reason +
                                            "; invalid PostgreSQL connection string: " + reason);
    }
    PQconninfoFree(options);
    // Defaults a conninfo may override (it is expanded where "dbname" stands, after them). No
    // wait is unbounded: a writer waits at most 30 s for the writers' lock (then Timeout), a
    // transaction left open by a stuck controller ends after 60 s, and both ends notice a
    // silent peer (a cut network, a machine gone) within about 30 s instead of the system's two
    // hours. Server settings go in "options", so a reconnection (PQreset) keeps them.
    const char* const keywords[] = {"connect_timeout",
                                    "application_name",
                                    "client_encoding",
                                    "keepalives",
                                    "keepalives_idle",
                                    "keepalives_interval",
                                    "keepalives_count",
                                    "tcp_user_timeout",
                                    "options",
                                    "dbname",
                                    nullptr};
    const char* const values[] = {
        "10",
        "bantin-controller",
        "UTF8",
        "1",
        "10",
        "5",
        "3",
        "30000",
        "-c lock_timeout=30s -c idle_in_transaction_session_timeout=60s "
        "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3 "
        "-c tcp_user_timeout=30000 -c client_min_messages=warning",
        conninfo.c_str(),
        nullptr};
    PGconn* connection = PQconnectdbParams(keywords, values, 1);
    if (connection == nullptr)
        return fail(Errc::Io,
                    "không cấp phát được kết nối PostgreSQL; cannot allocate a PostgreSQL connection");
    if (PQstatus(connection) != CONNECTION_OK) {
        std::string where = describe(connection);
        std::string reason = without_quoted_conninfo(trimmed(PQerrorMessage(connection)));
        PQfinish(connection);
        return fail(Errc::Network, "không kết nối được tới PostgreSQL " + where + ": " + reason +
                                       "; cannot connect to PostgreSQL " + where);
    }
    PQsetNoticeProcessor(connection, ignore_notice, nullptr);
    return std::unique_ptr<Connection>{std::make_unique<PostgresConnection>(connection)};
}

}  // namespace bantin::controller::sql
