#pragma once
// Proof-of-play and status ingest: what devices send on bantin/v1/dev/{id}/pop and .../status.
//
// The daemon subscribes to `$share/<group>/bantin/v1/dev/+/pop` (a shared subscription, so
// more workers can split the load; see docs/fleet.md for the account each worker needs) and
// `bantin/v1/dev/+/status` (not shared: a new worker must see the retained statuses, and
// MQTT 5 sends no retained messages on shared subscriptions). It hands every message to
// accept(), which decodes and queues it, and calls flush() whenever its queue is drained:
//
//   1. one write transaction inserts the rows of every queued batch (idempotent, keyed by
//      (device, install epoch, seq): a repeat changes nothing) and the queued statuses;
//   2. the transaction commits;
//   3. only then one signed Ack per (device, epoch) goes out on bantin/v1/dev/{id}/ack with the
//      highest contiguous committed seq.
// A crash between 2 and 3 loses only acks: the device resends, the insert ignores the repeats
// and the ack follows. Grouping batches into one transaction is what makes the ingest fast
// (one fsync per flush, not per batch).
//
// A batch whose device differs from its topic's, from an unknown or revoked device, or that
// does not decode is dropped and counted (the broker's ACL already keeps devices on their own
// topics). Install epochs travel as text; the store keys them as integers: a decimal epoch
// is used as is, any other text maps to the first 63 bits of its SHA-256 (install_epoch_key).
//
// Threads: accept() and flush() belong to one thread (the daemon's MQTT loop). Errors: flush()
// returns the store's error; nothing is acked then and the queue is kept for the next flush.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/controller/fleet_history.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/messages.hpp"
#include "bantin/protocol/mqtt_client.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller {

std::int64_t install_epoch_key(std::string_view install_epoch);

// "$share/<group>/bantin/v1/dev/+/pop"
std::string proof_subscription(std::string_view share_group);
// "bantin/v1/dev/+/status"
std::string status_subscription();

struct IngestCounters {
    std::uint64_t batches = 0;
    std::uint64_t rows_received = 0;
    std::uint64_t rows_inserted = 0;  // new rows (repeats not counted)
    std::uint64_t statuses = 0;
    std::uint64_t acks = 0;
    std::uint64_t dropped = 0;  // undecodable, mismatched, unknown or revoked
    std::uint64_t flushes = 0;
};

// The proof stall alarm (docs/fleet.md, "Proof stall alarm"): a device that is online and
// reports something playing (its status' now_playing) but has had no new proof-of-play row
// committed for `threshold` is stalled, since the later of its last committed row and the
// status that started the wait. Its proof may be stuck anywhere between the device's outbox
// and the store (a lost subscription, a broker that drops it, a device that cannot send).
// Wall-clock times from the ingest's Clock; nothing is persisted (a controller restart starts
// every wait again). A threshold of zero turns the alarm off.
//
// Threads: every member may be called from any thread (a mutex): the ingest thread feeds it,
// the HTTP handlers read it for the fleet view.
struct ProofStall {
    std::string device;
    TimePoint since;  // the last committed row, or the status that started the wait
    bool operator==(const ProofStall&) const = default;
};

class ProofStallWatch {
public:
    explicit ProofStallWatch(Duration threshold) : m_threshold(threshold) {}

    // A status committed at `at`. Online with now_playing starts a wait (kept while it lasts);
    // offline or nothing playing ends it.
    void on_status(const protocol::Status& status, TimePoint at);
    // New rows of `device` committed at `at`: the wait starts again from `at`.
    void on_proof(const std::string& device, TimePoint at);
    // Stalls at `now` not returned before: each stall is reported once, until proof or a status
    // that ends the wait clears it.
    std::vector<ProofStall> newly_stalled(TimePoint now);
    // Since when `device` is stalled at `now`, if it is.
    std::optional<TimePoint> stalled_since(std::string_view device, TimePoint now) const;
    Duration threshold() const { return m_threshold; }

private:
    struct Wait {
        bool waiting = false;
        TimePoint since;
        bool reported = false;
    };
    bool stalled(const Wait& wait, TimePoint now) const {
        return m_threshold.count() > 0 && wait.waiting && now - wait.since >= m_threshold;
    }
    Duration m_threshold;
    mutable std::mutex m_mutex;
    std::map<std::string, Wait, std::less<>> m_waits;
};

// A status as committed by flush(), with what the controller knew of the device just before.
struct CommittedStatus {
    protocol::Status status;
    bool was_online = false;           // the device's online flag before this status
    std::int64_t desired_version = 0;  // the controller's desired bundle version for it
};

struct DeviceGaps {
    std::string device;
    std::int64_t install_epoch = 0;
    std::int64_t contiguous = 0;
    std::int64_t highest = 0;
    std::vector<SeqRange> gaps;
};

class Ingest {
public:
    // `stalls`, if given, hears of every committed status and of every device's new rows.
    Ingest(Store& store, const Clock& clock, const protocol::SecretKey& key, MessageSink& sink,
           FleetHistory* history = nullptr, ProofStallWatch* stalls = nullptr);

    // Decodes and queues one message from a pop or status topic; returns false if dropped.
    bool accept(const protocol::MqttMessage& message);
    bool has_pending() const { return !m_batches.empty() || !m_statuses.empty(); }
    // Commits everything queued, then publishes the acks.
    Result<void> flush();

    const IngestCounters& counters() const { return m_counters; }
    // The latest progress of every (device, epoch) this ingest saw with gaps (for the fleet view).
    std::vector<DeviceGaps> gaps() const;
    // Called by flush() after each commit with the statuses it committed (not called when there
    // were none), before the acks go out. Runs on the ingest thread.
    std::function<void(const std::vector<CommittedStatus>&)> on_statuses;
    // Forget cached device lookups (after a registration or revocation).
    void forget_devices() { m_known.clear(); }

private:
    struct QueuedBatch {
        std::string epoch_text;
        std::vector<ProofOfPlayRow> rows;
        std::vector<std::string> replied_commands;
        std::string device;
    };
    struct QueuedReply {
        std::string device;
        std::string command_id;
    };
    bool known_device(const std::string& device);

    Store& m_store;
    const Clock& m_clock;
    const protocol::SecretKey& m_key;
    MessageSink& m_sink;
    FleetHistory* m_history;
    ProofStallWatch* m_stalls;
    std::vector<QueuedBatch> m_batches;
    std::vector<QueuedReply> m_replies;
    std::vector<protocol::Status> m_statuses;
    std::map<std::string, bool, std::less<>> m_known;  // device -> accepted (exists, not revoked)
    std::map<std::pair<std::string, std::int64_t>, DeviceGaps> m_gaps;
    std::map<std::string, std::string, std::less<>> m_epochs;  // device -> latest epoch text
    IngestCounters m_counters;
};

}  // namespace bantin::controller
