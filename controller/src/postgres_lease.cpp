#include "bantin/controller/postgres_lease.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace bantin::controller {

using SteadyClock = std::chrono::steady_clock;

namespace {

std::int64_t ticks(SteadyClock::time_point point) {
    return point.time_since_epoch().count();
}

// libpq's message on one line.
std::string trimmed(const char* text) {
    std::string out;
    for (const char* c = text != nullptr ? text : ""; *c != '\0'; ++c) {
        const bool space = *c == '\n' || *c == '\t' || *c == ' ';
        if (space && (out.empty() || out.back() == ' '))
            continue;
        out += space ? ' ' : *c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// Waits until the connection's socket is ready for `events` or the deadline passes.
bool wait_socket(PGconn* connection, short events, SteadyClock::time_point deadline) {
    const int socket = PQsocket(connection);
    if (socket < 0)
        return false;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0)
            return false;
        pollfd entry{socket, events, 0};
        const int ready = ::poll(&entry, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60000)));
        if (ready > 0)
            return true;
        if (ready < 0 && errno != EINTR)
            return false;
    }
}

// One libpq connection with deadlines on everything it does.
class PgLink {
public:
    PgLink() = default;
    PgLink(const PgLink&) = delete;
    PgLink& operator=(const PgLink&) = delete;
    ~PgLink() { close(); }

    bool open() const { return m_connection != nullptr; }
    PGconn* raw() const { return m_connection; }
    void close() {
        if (m_connection != nullptr)
            PQfinish(m_connection);
        m_connection = nullptr;
    }

    // `ttl_ms` > 0: keepalives and tcp_user_timeout so that a silent peer is noticed (both ends).
    Result<void> connect(const std::string& conninfo, SteadyClock::time_point deadline, std::int64_t ttl_ms) {
        close();
        const std::string idle = std::to_string(std::max<std::int64_t>(1, (ttl_ms + 999) / 1000));
        const std::string user_timeout = std::to_string(std::max<std::int64_t>(0, ttl_ms));
        // Ours first: the connection string, expanded last, overrides them.
        std::vector<const char*> keys{
            "application_name", "keepalives",       "keepalives_idle", "keepalives_interval",
            "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
        std::vector<const char*> values{
            "bantin-controller", "1",    idle.c_str(), "1", "3", user_timeout.c_str(),
            conninfo.c_str(),    nullptr};
        m_connection = PQconnectStartParams(keys.data(), values.data(), 1);
        if (m_connection == nullptr)
            return fail(Errc::Io, "libpq: out of memory");
        if (PQstatus(m_connection) == CONNECTION_BAD)
            return connect_failed(PQerrorMessage(m_connection));
        PostgresPollingStatusType status = PGRES_POLLING_WRITING;
        for (;;) {
            if (status == PGRES_POLLING_OK)
                break;
            if (status == PGRES_POLLING_FAILED)
                return connect_failed(PQerrorMessage(m_connection));
            const short events = status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
            if (!wait_socket(m_connection, events, deadline))
                return connect_failed("timeout");
            status = PQconnectPoll(m_connection);
        }
        // The server's side of the same: it drops the session (and the lock) of a vanished peer.
        const std::string session = "SET tcp_keepalives_idle = " + idle +
                                    "; SET tcp_keepalives_interval = 1; " +
                                    "SET tcp_keepalives_count = 3; SET tcp_user_timeout = " + user_timeout;
        if (auto set = query(session, {}, deadline); !set)
            return std::unexpected(set.error());
        return {};
    }

    // Runs `sql` (with text parameters); returns the first row's first value ("" when none).
    // Closes the connection on failure or when the answer comes after `deadline`.
    Result<std::string> query(const std::string& sql, const std::vector<std::string>& parameters,
                              SteadyClock::time_point deadline) {
        if (m_connection == nullptr)
            return fail(Errc::Network, "không có kết nối PostgreSQL; no PostgreSQL connection");
        std::vector<const char*> values;
        for (const auto& parameter : parameters) values.push_back(parameter.c_str());
        const int sent = parameters.empty()
                             ? PQsendQuery(m_connection, sql.c_str())
                             : PQsendQueryParams(m_connection, sql.c_str(), static_cast<int>(values.size()),
                                                 nullptr, values.data(), nullptr, nullptr, 0);
        if (sent == 0)
            return lost(PQerrorMessage(m_connection));
        for (;;) {
            const int flushed = PQflush(m_connection);
            if (flushed == 0)
                break;
            if (flushed < 0 || !wait_socket(m_connection, POLLOUT, deadline))
                return lost(flushed < 0 ? PQerrorMessage(m_connection) : "timeout");
        }
        std::optional<Error> error;
        std::string value;
        bool have_value = false;
        for (;;) {
            while (PQisBusy(m_connection) != 0) {
                if (!wait_socket(m_connection, POLLIN, deadline))
                    return lost("timeout");
                if (PQconsumeInput(m_connection) == 0)
                    return lost(PQerrorMessage(m_connection));
            }
            PGresult* result = PQgetResult(m_connection);
            if (result == nullptr)
                break;
            const auto status = PQresultStatus(result);
            if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && !error)
                error = Error{Errc::Io, "PostgreSQL: " + trimmed(PQresultErrorMessage(result))};
            else if (status == PGRES_TUPLES_OK && !have_value && PQntuples(result) > 0 &&
                     PQnfields(result) > 0) {
                value = PQgetvalue(result, 0, 0);
                have_value = true;
            }
            PQclear(result);
        }
        if (PQstatus(m_connection) == CONNECTION_BAD)
            return lost(PQerrorMessage(m_connection));
        if (error)
            return std::unexpected(*error);
        return value;
    }

private:
    Error lost_error(const std::string& why) {
        return Error{Errc::Network,
                     "mất kết nối PostgreSQL; PostgreSQL connection lost: " + trimmed(why.c_str())};
    }
    std::unexpected<Error> lost(const std::string& why) {
        auto error = lost_error(why);
        close();
        return std::unexpected(error);
    }
    std::unexpected<Error> connect_failed(const std::string& why) {
        Error error{Errc::Network,
                    "không kết nối được PostgreSQL; cannot connect to PostgreSQL: " + trimmed(why.c_str())};
        close();
        return std::unexpected(error);
    }

    PGconn* m_connection = nullptr;
};

}  // namespace

Result<void> check_conninfo(const std::string& conninfo) {
    char* message = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &message);
    if (options == nullptr) {
        std::string why = message != nullptr ? trimmed(message) : "out of memory";
        if (message != nullptr)
            PQfreemem(message);
        return fail(Errc::InvalidInput,
                    "chuỗi kết nối PostgreSQL không hợp lệ; invalid PostgreSQL connection string: " + why);
    }
    PQconninfoFree(options);
    return {};
}

// ---- PostgresLease ----

PostgresLease::PostgresLease(std::string conninfo, PostgresLeaseOptions options)
    : m_conninfo(std::move(conninfo)), m_options(options) {}

Result<std::unique_ptr<PostgresLease>> PostgresLease::create(std::string conninfo,
                                                             PostgresLeaseOptions options) {
    if (auto valid = check_conninfo(conninfo); !valid)
        return std::unexpected(valid.error());
    if (options.interval.count() <= 0 || options.ttl < 3 * options.interval)
        return fail(Errc::InvalidInput,
                    "thời hạn quyền phát hành phải ít nhất gấp 3 chu kỳ kiểm tra; the lease ttl "
                    "must be at least 3 times its interval");
    return std::unique_ptr<PostgresLease>(new PostgresLease(std::move(conninfo), options));
}

PostgresLease::~PostgresLease() {
    stop();
}

bool PostgresLease::held() const {
    if (!m_locked.load())
        return false;
    const auto now = ticks(SteadyClock::now());
    return now >= m_usable_from.load() && now < m_valid_until.load();
}

Result<void> PostgresLease::start() {
    if (m_thread.joinable())
        return {};
    {
        std::lock_guard lock{m_mutex};
        m_stop = false;
    }
    m_thread = std::thread([this] { loop(); });
    return {};
}

void PostgresLease::stop() {
    {
        std::lock_guard lock{m_mutex};
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

std::string PostgresLease::last_error() const {
    std::lock_guard lock{m_mutex};
    return m_error;
}

void PostgresLease::set_error(std::string error) {
    std::lock_guard lock{m_mutex};
    m_error = std::move(error);
}

bool PostgresLease::sleep_for(SteadyClock::duration duration) {
    std::unique_lock lock{m_mutex};
    m_wake.wait_for(lock, duration, [this] { return m_stop; });
    return !m_stop;
}

void PostgresLease::loop() {
    PgLink link;
    bool announced = false;
    std::string last_logged;
    const auto interval = std::chrono::duration_cast<SteadyClock::duration>(m_options.interval);
    const auto ttl = std::chrono::duration_cast<SteadyClock::duration>(m_options.ttl);
    auto lose = [&](const std::string& why) {
        m_locked = false;
        m_valid_until = 0;
        link.close();
        set_error(why);
        if (announced) {
            announced = false;
            spdlog::error(
                "lease: mất quyền phát hành, ngừng phát hành; publisher lease lost, publishing stopped: {}",
                why);
            if (on_lost)
                on_lost();
        }
    };
    auto next = SteadyClock::now();
    for (;;) {
        if (!sleep_for(next - SteadyClock::now()))
            break;
        const auto sent = SteadyClock::now();
        next = sent + interval;
        if (!link.open()) {
            auto connected = link.connect(m_conninfo, sent + std::max(interval, ttl), m_options.ttl.count());
            if (!connected) {
                set_error(connected.error().detail);
                if (connected.error().detail != last_logged)
                    spdlog::warn("lease: {}", connected.error().detail);
                last_logged = connected.error().detail;
                continue;
            }
            last_logged.clear();
        }
        if (!m_locked.load()) {
            auto taken = link.query("SELECT pg_try_advisory_lock(" + std::to_string(m_options.key) + ")", {},
                                    sent + interval);
            if (!taken) {
                lose(taken.error().detail);
                continue;
            }
            set_error("");
            if (*taken == "t") {
                const auto answered = SteadyClock::now();
                m_usable_from = ticks(answered + ttl);
                m_valid_until = ticks(sent + ttl);
                m_locked = true;
                spdlog::info(
                    "lease: đã giành quyền phát hành, phát hành sau {} ms; publisher lease taken, "
                    "publishing in {} ms",
                    m_options.ttl.count(), m_options.ttl.count());
            }
        } else {
            auto checked = link.query(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = "
                "pg_backend_pid()",
                {}, sent + interval);
            if (!checked) {
                lose(checked.error().detail);
                continue;
            }
            if (*checked != "1") {
                lose("khóa tư vấn không còn; the advisory lock is gone");
                continue;
            }
            if (SteadyClock::now() >= sent + interval) {
                lose("kiểm tra quá chậm; the check answered too late");
                continue;
            }
            m_valid_until = ticks(sent + ttl);
        }
        if (m_locked.load() && !announced) {
            const auto usable = SteadyClock::time_point{SteadyClock::duration{m_usable_from.load()}};
            if (held()) {
                announced = true;
                spdlog::info("lease: bộ điều khiển này đang phát hành; this controller is now the publisher");
                if (on_acquired)
                    on_acquired();
            } else if (usable < next) {
                next = std::max(usable, SteadyClock::now());
            }
        }
    }
    if (announced && on_lost) {
        m_locked = false;
        m_valid_until = 0;
        on_lost();
    }
    m_locked = false;
    m_valid_until = 0;
    link.close();
}

// ---- PostgresChangeSignal ----

struct PostgresChangeSignal::Connection {
    PgLink link;
};

PostgresChangeSignal::PostgresChangeSignal(std::string conninfo, PostgresSignalOptions options)
    : m_conninfo(std::move(conninfo)),
      m_options(std::move(options)),
      m_sender(std::make_unique<Connection>()) {}

Result<std::unique_ptr<PostgresChangeSignal>> PostgresChangeSignal::create(std::string conninfo,
                                                                           PostgresSignalOptions options) {
    if (auto valid = check_conninfo(conninfo); !valid)
        return std::unexpected(valid.error());
    return std::unique_ptr<PostgresChangeSignal>(
        new PostgresChangeSignal(std::move(conninfo), std::move(options)));
}

PostgresChangeSignal::~PostgresChangeSignal() {
    stop();
}

Result<void> PostgresChangeSignal::notify(const ChangeNotice& notice) {
    std::lock_guard lock{m_queue_mutex};
    if (m_sender_stop)
        return fail(Errc::Conflict, "tín hiệu thay đổi đã dừng; the change signal is stopped");
    m_queue.push_back(notice);
    if (!m_sender_thread.joinable())
        m_sender_thread = std::thread([this] { send_loop(); });
    m_queue_wake.notify_one();
    return {};
}

void PostgresChangeSignal::send_loop() {
    for (;;) {
        std::vector<ChangeNotice> queued;
        {
            std::unique_lock lock{m_queue_mutex};
            m_queue_wake.wait(lock, [this] { return m_sender_stop || !m_queue.empty(); });
            if (m_queue.empty())
                break;
            queued.swap(m_queue);
        }
        // Merged by kind, each id once, in the order queued.
        std::vector<ChangeNotice> merged;
        std::map<std::string, std::set<std::string>> seen;
        for (auto& notice : queued) {
            auto same = std::ranges::find(merged, notice.kind, &ChangeNotice::kind);
            if (same == merged.end()) {
                merged.push_back(ChangeNotice{notice.kind, {}});
                same = std::prev(merged.end());
            }
            auto& ids = seen[notice.kind];
            for (auto& id : notice.ids)
                if (ids.insert(id).second)
                    same->ids.push_back(std::move(id));
        }
        for (const auto& notice : merged)
            if (auto sent = send_now(notice); !sent)
                spdlog::warn(
                    "signal: thông báo thay đổi không gửi được; a change notice was not sent ({} {} ids): {}",
                    notice.kind, notice.ids.size(), sent.error().detail);
    }
    m_sender->link.close();
}

Result<void> PostgresChangeSignal::send_now(const ChangeNotice& notice) {
    const auto timeout =
        std::max<std::chrono::milliseconds>(m_options.reconnect_interval * 5, std::chrono::seconds{5});
    for (const auto& payload : encode_notices(notice)) {
        Result<std::string> sent = fail(Errc::Network, "");
        for (int attempt = 0; attempt < 2; ++attempt) {
            const auto deadline = SteadyClock::now() + timeout;
            if (!m_sender->link.open())
                if (auto connected = m_sender->link.connect(m_conninfo, deadline, 0); !connected) {
                    sent = std::unexpected(connected.error());
                    continue;
                }
            sent = m_sender->link.query("SELECT pg_notify($1, $2)", {m_options.channel, payload}, deadline);
            if (sent || m_sender->link.open())
                break;  // done, or a refusal that a new connection would not change
        }
        if (!sent)
            return std::unexpected(sent.error());
    }
    return {};
}

Result<void> PostgresChangeSignal::start() {
    if (m_thread.joinable())
        return {};
    m_stop = false;
    m_thread = std::thread([this] { loop(); });
    return {};
}

void PostgresChangeSignal::stop() {
    m_stop = true;
    if (m_thread.joinable())
        m_thread.join();
    {
        std::lock_guard lock{m_queue_mutex};
        m_sender_stop = true;
    }
    m_queue_wake.notify_all();
    if (m_sender_thread.joinable())
        m_sender_thread.join();
}

void PostgresChangeSignal::loop() {
    PgLink link;
    bool listened_before = false;
    const auto step = std::chrono::milliseconds{100};
    while (!m_stop.load()) {
        if (!link.open()) {
            m_listening = false;
            const auto deadline =
                SteadyClock::now() +
                std::max<SteadyClock::duration>(m_options.reconnect_interval, std::chrono::seconds{5});
            auto connected = link.connect(m_conninfo, deadline, 0);
            if (connected) {
                // The channel is an identifier: quoted, with its quotes doubled.
                std::string quoted = "\"";
                for (char c : m_options.channel) quoted += c == '"' ? std::string{"\"\""} : std::string{c};
                quoted += "\"";
                if (auto listened = link.query("LISTEN " + quoted, {}, deadline); !listened)
                    spdlog::warn("signal: {}", listened.error().detail);
            } else {
                spdlog::warn("signal: {}", connected.error().detail);
            }
            if (!link.open()) {
                const auto until = SteadyClock::now() + m_options.reconnect_interval;
                while (!m_stop.load() && SteadyClock::now() < until) std::this_thread::sleep_for(step);
                continue;
            }
            m_listening = true;
            if (listened_before && on_missed)
                on_missed();
            listened_before = true;
        }
        // Notices libpq already read (with the LISTEN's answer, or with the last input) first.
        auto drain = [&] {
            while (PGnotify* raw = PQnotifies(link.raw())) {
                auto notice = decode_notice(raw->extra != nullptr ? raw->extra : "");
                PQfreemem(raw);
                if (!notice)
                    spdlog::warn("signal: {}", notice.error().detail);
                else if (on_notice)
                    on_notice(*notice);
            }
        };
        drain();
        if (!wait_socket(link.raw(), POLLIN, SteadyClock::now() + step))
            continue;
        if (PQconsumeInput(link.raw()) == 0 || PQstatus(link.raw()) == CONNECTION_BAD) {
            spdlog::warn("signal: mất kết nối PostgreSQL; PostgreSQL connection lost: {}",
                         trimmed(PQerrorMessage(link.raw())));
            link.close();
            continue;
        }
        drain();
    }
    m_listening = false;
}

// ---- make_cluster ----

Result<ClusterParts> make_cluster(const std::string& postgresql, const config::ClusterConfig& cluster) {
    ClusterParts parts;
    if (postgresql.empty()) {
        parts.lease = std::make_unique<AlwaysHeldLease>();
        parts.signal = std::make_unique<InProcessChangeSignal>();
        return parts;
    }
    PostgresLeaseOptions lease_options;
    lease_options.interval = cluster.lease_interval;
    lease_options.ttl = cluster.lease_ttl;
    auto lease = PostgresLease::create(postgresql, lease_options);
    if (!lease)
        return std::unexpected(lease.error());
    PostgresSignalOptions signal_options;
    signal_options.reconnect_interval = cluster.lease_interval;
    auto signal = PostgresChangeSignal::create(postgresql, signal_options);
    if (!signal)
        return std::unexpected(signal.error());
    parts.lease = std::move(*lease);
    parts.signal = std::move(*signal);
    parts.clustered = true;
    return parts;
}

}  // namespace bantin::controller
