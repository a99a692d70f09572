#pragma once
// The publisher lease and the change signal on PostgreSQL (libpq), for several controllers on
// one database (cluster.hpp; docs/architecture.md, "Several controllers").
//
// PostgresLease holds pg_try_advisory_lock(publisher_lease_key) on a connection of its own.
// Every `interval` it tries the lock while it does not hold it, and checks it while it does (a
// query on pg_locks; an answer later than `interval` counts as no answer). A failed check or a
// lost connection ends the lease at once (on_lost). No split brain, from two rules on the
// monotonic clock:
//   - a holder is valid until the sending time of its last answered check plus `ttl`;
//   - a new holder starts publishing only `ttl` after the answer that gave it the lock.
// The old holder's last answered check reached the server before the server let the lock go,
// hence before the new holder's answer: its validity ends before the new holder begins,
// whatever cut it off (its process, its network, pg_terminate_backend). held() reads that
// deadline itself, so a lease thread that hangs cannot stretch it.
// The connection asks the server to notice a silent peer: TCP keepalives (idle ceil(ttl)
// seconds, then every second, 3 probes) and tcp_user_timeout = ttl, set for the session (libpq's
// own keepalives too), so a holder whose machine vanishes loses the lock on the server within
// about ttl + 3 s instead of the kernel's two hours.
// Takeover time: a holder killed (its socket closed by its kernel): at most interval + ttl +
// one round trip (defaults: 1 s + 3 s); a holder cut off silently: add the server's detection,
// about ttl + 3 s. Requires ttl >= 3 * interval (config checks it).
//
// PostgresChangeSignal: LISTEN bantin_changes on a connection of its own (reconnected every
// `interval` when lost, then on_missed: notices sent meanwhile are gone); notify() sends
// pg_notify(change_channel, encode_notice(...)) on a second connection. A store on PostgreSQL
// should instead send the notice inside the transaction of the change (NOTIFY is delivered at
// commit, and never for a rolled back change).
//
// Errors: create() refuses a connection string libpq cannot parse (InvalidInput, bilingual);
// a server that cannot be reached is retried and reported by last_error() and the log.
// Threads: one thread per object, started by start(), joined by stop() (which closes the
// connection: the lock is released at once).

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/cluster.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace bantin::controller {

// The advisory lock's key: "Bantin" in ASCII. Advisory locks are per database.
inline constexpr std::int64_t publisher_lease_key = 0x42616e74696e;
inline constexpr const char* change_channel = "bantin_changes";

// InvalidInput, bilingual, when libpq cannot parse `conninfo` (its words, never the password).
Result<void> check_conninfo(const std::string& conninfo);

struct PostgresLeaseOptions {
    std::chrono::milliseconds interval{1000};
    std::chrono::milliseconds ttl{3000};
    std::int64_t key = publisher_lease_key;
};

class PostgresLease final : public PublishLease {
public:
    static Result<std::unique_ptr<PostgresLease>> create(std::string conninfo, PostgresLeaseOptions options);
    ~PostgresLease() override;

    bool held() const override;
    Result<void> start() override;
    void stop() override;
    // The last connection or query failure ("" after a success), bilingual.
    std::string last_error() const;
    // How long after a holder dies another takes over, at most, when its kernel closes the
    // socket: interval + ttl (plus a round trip).
    std::chrono::milliseconds takeover_time() const { return m_options.interval + m_options.ttl; }

private:
    PostgresLease(std::string conninfo, PostgresLeaseOptions options);
    void loop();
    void set_error(std::string error);
    bool sleep_for(std::chrono::steady_clock::duration duration);

    std::string m_conninfo;
    PostgresLeaseOptions m_options;
    std::atomic<bool> m_locked{false};
    std::atomic<std::int64_t> m_usable_from{0};  // steady_clock ticks
    std::atomic<std::int64_t> m_valid_until{0};
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    std::string m_error;
    std::thread m_thread;
};

struct PostgresSignalOptions {
    std::chrono::milliseconds reconnect_interval{1000};
    std::string channel = change_channel;
};

class PostgresChangeSignal final : public ChangeSignal {
public:
    static Result<std::unique_ptr<PostgresChangeSignal>> create(std::string conninfo,
                                                                PostgresSignalOptions options = {});
    ~PostgresChangeSignal() override;
    // Queues the notice and returns: a thread of its own merges what is queued by kind and sends
    // it (a publisher run of 10,000 devices costs a few NOTIFYs, not 10,000 round trips on the
    // HTTP thread). A notice that cannot be sent is logged and dropped (delivery repair sends
    // its bundle at the device's next status). stop() sends what is queued first.
    Result<void> notify(const ChangeNotice& notice) override;
    Result<void> start() override;
    void stop() override;
    // True once LISTEN is in effect (tests wait for it before they notify).
    bool listening() const { return m_listening.load(); }

private:
    struct Connection;
    PostgresChangeSignal(std::string conninfo, PostgresSignalOptions options);
    void loop();
    void send_loop();
    Result<void> send_now(const ChangeNotice& notice);

    std::string m_conninfo;
    PostgresSignalOptions m_options;
    std::unique_ptr<Connection> m_sender;  // the sending thread's
    std::mutex m_queue_mutex;
    std::condition_variable m_queue_wake;
    std::vector<ChangeNotice> m_queue;
    bool m_sender_stop = false;
    std::thread m_sender_thread;
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_listening{false};
    std::thread m_thread;
};

// The lease and signal of a controller: with an empty `postgresql` conninfo the single box
// (AlwaysHeldLease, InProcessChangeSignal); otherwise PostgresLease and PostgresChangeSignal
// with the [cluster] timings.
struct ClusterParts {
    std::unique_ptr<PublishLease> lease;
    std::unique_ptr<ChangeSignal> signal;
    bool clustered = false;
};
Result<ClusterParts> make_cluster(const std::string& postgresql, const config::ClusterConfig& cluster);

}  // namespace bantin::controller
