#include "bantin/player/proof_uplink.hpp"

#include "bantin/protocol/codec.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace bantin::player {

ProofUplink::ProofUplink(ProofOutbox outbox, protocol::MqttLink& mqtt, const Clock& clock,
                         DeviceHealth& health, Options options)
    : m_outbox(std::move(outbox)),
      m_mqtt(mqtt),
      m_clock(clock),
      m_health(health),
      m_options(std::move(options)) {
    m_health.waiting_writes([this] { return m_outbox.unwritten() > 0; });
}

void ProofUplink::recover() {
    auto recovered = m_outbox.recover_started();
    if (!recovered) {
        m_health.state_write_failed("proof outbox: started marks: " + recovered.error().message());
    } else if (*recovered > 0) {
        spdlog::warn("proof: {} plays cut by a crash or a power cut are recorded as interrupted", *recovered);
        if (m_outbox.unwritten() > 0)
            m_health.state_write_failed("proof outbox: " + std::to_string(m_outbox.unwritten()) +
                                        " rows wait in memory");
    }
}

void ProofUplink::started(const std::string& entry_id, const EntryFacts& facts, TimePoint wall) {
    protocol::ProofOfPlayRow row;
    row.source = facts.source;
    row.source_id = facts.source_id;
    row.item_index = facts.item_index;
    row.media = facts.media;
    row.started_at = wall;
    row.bundle_version = facts.bundle_version;
    row.region = facts.region;
    auto mark = m_outbox.mark_started(row, facts.planned_end);
    if (!mark) {
        m_health.state_write_failed("proof outbox: started mark: " + mark.error().message());
        return;
    }
    m_started_marks[entry_id] = *mark;
    if (m_started_marks.size() == 1)
        m_last_alive_mark = m_clock.monotonic();
    m_health.state_write_succeeded();
}

void ProofUplink::ended(const ItemEnded& ended, const EntryFacts& facts) {
    std::optional<std::int64_t> mark;
    if (auto found = m_started_marks.find(ended.entry_id); found != m_started_marks.end()) {
        mark = found->second;
        m_started_marks.erase(found);
    }
    protocol::ProofOfPlayRow row;
    row.source = facts.source;
    row.source_id = facts.source_id;
    row.item_index = facts.item_index;
    row.media = facts.media;
    row.started_at = ended.started_wall.value_or(ended.ended_wall);
    row.ended_at = std::max(ended.ended_wall, row.started_at);
    if (ended.started_monotonic) {
        row.duration_ms = static_cast<std::uint64_t>(
            std::max<std::int64_t>(0, (ended.ended_monotonic - *ended.started_monotonic).count()));
    }
    // Completed only when it played its whole slot: a fragment (joined in progress after a
    // start-up or a restart) is interrupted, with its real duration.
    row.outcome = proof_outcome(ended.outcome, Duration{static_cast<std::int64_t>(row.duration_ms)},
                                facts.planned_end - facts.planned_start);
    row.bundle_version = facts.bundle_version;
    row.region = facts.region;
    row.note = ended.note;
    if (ended.relayed) {
        const auto relay =
            relay_row_figures(*ended.relayed, ended.filler, ended.source_losses, row.duration_ms);
        if (relay.clamped)
            spdlog::warn(
                "proof: relay {} reported {} ms relayed, {} ms filler, {} losses in {} ms; sent as {}, {}, "
                "{}",
                ended.entry_id, ended.relayed->count(), ended.filler.count(), ended.source_losses,
                row.duration_ms, relay.figures.relayed_ms, relay.figures.filler_ms,
                relay.figures.source_losses);
        row.relay = relay.figures;
    }
    const auto stored = m_outbox.append(row, mark);
    if (stored.row.source_id == proof_gap_source_id) {
        spdlog::error("proof outbox: the memory queue is full; this play is counted in gap row {} ({} plays)",
                      stored.row.seq, stored.row.item_index);
    } else {
        spdlog::info("proof {}: {} {} item {} {} {}..{}{}{}{}", stored.row.seq,
                     scheduler::to_string(row.source), row.source_id, row.item_index,
                     protocol::to_string(row.outcome), format_utc(row.started_at), format_utc(row.ended_at),
                     row.note.empty() ? "" : " ", row.note, stored.durable ? "" : " (waits in memory)");
    }
    if (stored.error) {
        m_health.state_write_failed("proof outbox: " + stored.error->message() + "; " +
                                    std::to_string(m_outbox.unwritten()) + " rows wait in memory");
    } else {
        m_health.state_write_succeeded();
    }
}

ProofUplink::WriteRetry ProofUplink::retry_writes() {
    WriteRetry result;
    if (m_outbox.unwritten() > 0) {
        const std::size_t waiting = m_outbox.unwritten();
        if (auto written = m_outbox.write_unwritten(); written) {
            spdlog::info("proof outbox: {} rows that waited in memory are written (up to seq {})", *written,
                         m_outbox.last_seq().value_or(0));
            result.wrote = true;
        } else {
            m_health.state_write_failed("proof outbox: " + written.error().message() + "; " +
                                        std::to_string(waiting) + " rows wait in memory");
            result.failed = true;
        }
    }
    const MonotonicTime now = m_clock.monotonic();
    if (!m_started_marks.empty() && now - m_last_alive_mark >= m_options.alive_mark_interval) {
        m_last_alive_mark = now;
        if (auto alive = m_outbox.mark_alive(m_clock.wall()); !alive) {
            m_health.state_write_failed("proof outbox: alive mark: " + alive.error().message());
            result.failed = true;
        } else {
            result.wrote = true;
        }
    }
    return result;
}

void ProofUplink::connected() {
    m_last_send = MonotonicTime{};
    m_last_sent_seq = 0;
}

void ProofUplink::flush() {
    if (!m_mqtt.connected())
        return;
    auto last = m_outbox.last_seq();
    if (!last)
        return;
    const MonotonicTime now = m_clock.monotonic();
    const bool fresh_rows = *last > m_last_sent_seq;
    const bool due = (fresh_rows && now - m_last_send >= m_options.flush_interval) ||
                     now - m_last_send >= m_options.resend_interval;
    if (!due)
        return;
    auto rows = m_outbox.pending(m_options.batch_rows);
    if (!rows) {
        m_health.report("outbox: " + rows.error().message());
        return;
    }
    m_last_send = now;
    if (!rows->empty()) {
        protocol::ProofOfPlayBatch batch{m_options.device, m_options.install_epoch, std::move(*rows)};
        m_last_sent_seq = std::max(m_last_sent_seq, batch.rows.back().seq);
        if (auto sent = m_mqtt.publish(m_options.topic, protocol::encode(batch)); !sent)
            spdlog::warn("proof: {}", sent.error().message());
    } else {
        m_last_sent_seq = *last;
    }
    if (auto replies = m_outbox.pending_replies(); replies)
        for (const auto& answer : *replies) (void)m_mqtt.publish(m_options.topic, protocol::encode(answer));
}

void ProofUplink::acked(const protocol::Ack& ack) {
    if (ack.install_epoch != m_options.install_epoch)
        return;
    if (auto pruned = m_outbox.prune(ack.committed_seq); !pruned)
        m_health.report("outbox: " + pruned.error().message());
    if (!ack.replied_commands.empty())
        (void)m_outbox.drop_replies(ack.replied_commands);
}

void ProofUplink::reply(const protocol::CommandReply& reply) {
    if (auto added = m_outbox.add_reply(reply); !added)
        m_health.report("outbox: " + added.error().message());
    (void)m_mqtt.publish(m_options.topic, protocol::encode(reply));
}

}  // namespace bantin::player
