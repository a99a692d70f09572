#pragma once
// The proof uplink: every play becomes a numbered proof row in the outbox (ProofOutbox, in the
// state database) and goes to the controller on the device's pop topic until an ack covers it.
//
//   record   started(): a durable "started" mark, so that a crash or power cut from here on
//            leaves an `interrupted` row instead of nothing; ended(): the row itself, with the
//            mark it replaces. A failed write never holds playback: the row waits in memory
//            (ProofOutbox) and retry_writes() writes it on a later pass;
//   flush    flush(): when connected, fresh rows go at most every proof.flush_interval, and
//            unacknowledged rows again every resend_interval, batch_rows at a time, with the
//            command replies still waiting for their ack;
//   ack      acked(): a verified ack for this install epoch prunes the rows it commits and the
//            replies it lists.
//
// Threads: the daemon's loop. Times come from the Clock it is given (tests run it simulated).
// Errors: state writes that fail are reported to DeviceHealth (state_write_failed) and
// retried; a failed publish is logged and the rows go again at the next resend.

#include "bantin/common/clock.hpp"
#include "bantin/player/outbox.hpp"
#include "bantin/player/playback_engine.hpp"
#include "bantin/player/runner.hpp"
#include "bantin/player/status.hpp"
#include "bantin/protocol/messages.hpp"
#include "bantin/protocol/mqtt_client.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace bantin::player {

class ProofUplink {
public:
    struct Options {
        std::string device;
        std::string install_epoch;
        std::string topic;  // bantin/v1/dev/{id}/pop
        std::size_t batch_rows = 100;
        Duration flush_interval{5000};
        Duration resend_interval{10000};
        // How often the started marks of the items playing record that the player is alive (the
        // end an `interrupted` row gets after a crash is at most this much before the real end).
        Duration alive_mark_interval{5000};
    };

    ProofUplink(ProofOutbox outbox, protocol::MqttLink& mqtt, const Clock& clock, DeviceHealth& health,
                Options options);

    // Start-up: plays cut by a crash or a power cut (their started marks are left) become rows.
    void recover();

    void started(const std::string& entry_id, const EntryFacts& facts, TimePoint wall);
    void ended(const ItemEnded& ended, const EntryFacts& facts);
    // An entry ended that the runner no longer knows (no row can be made): its started mark is
    // no longer refreshed, and becomes an `interrupted` row at the next start.
    void forget(const std::string& entry_id) { m_started_marks.erase(entry_id); }

    struct WriteRetry {
        bool failed = false;
        bool wrote = false;
    };
    // Writes the rows that wait in memory, and the alive mark when it is due.
    WriteRetry retry_writes();
    std::size_t unwritten() const { return m_outbox.unwritten(); }

    void connected();  // the next flush sends at once, from the first pending row
    void flush();
    void acked(const protocol::Ack& ack);
    // A command reply: kept in the outbox until an ack lists its command, and sent now.
    void reply(const protocol::CommandReply& reply);

private:
    ProofOutbox m_outbox;
    protocol::MqttLink& m_mqtt;
    const Clock& m_clock;
    DeviceHealth& m_health;
    Options m_options;
    // Started marks of the items playing (entry id -> mark id), and the last alive mark.
    std::map<std::string, std::int64_t> m_started_marks;
    MonotonicTime m_last_alive_mark{};
    MonotonicTime m_last_send{};
    std::uint64_t m_last_sent_seq = 0;
};

}  // namespace bantin::player
