#include "bantin/controller/ingest.hpp"

#include "bantin/media/sha256.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/topics.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <variant>

namespace bantin::controller {

std::int64_t install_epoch_key(std::string_view install_epoch) {
    std::int64_t value = 0;
    const char* end = install_epoch.data() + install_epoch.size();
    auto [stop, error] = std::from_chars(install_epoch.data(), end, value);
    if (error == std::errc{} && stop == end && value >= 0 && !install_epoch.empty())
        return value;
    const std::string digest = media::sha256_hex(install_epoch);
    std::uint64_t bits = 0;
    std::from_chars(digest.data(), digest.data() + 16, bits, 16);
    return static_cast<std::int64_t>(bits >> 1);
}

std::string proof_subscription(std::string_view share_group) {
    return "$share/" + std::string{share_group} + "/" +
           protocol::all_devices_filter(protocol::DeviceChannel::ProofOfPlay);
}

std::string status_subscription() {
    return protocol::all_devices_filter(protocol::DeviceChannel::Status);
}

void ProofStallWatch::on_status(const protocol::Status& status, TimePoint at) {
    const bool playing = status.presence == protocol::Presence::Online && status.now_playing.has_value();
    std::lock_guard lock{m_mutex};
    Wait& wait = m_waits[status.device];
    if (!playing) {
        wait = Wait{};
    } else if (!wait.waiting) {
        wait = Wait{true, at, false};
    }
}

void ProofStallWatch::on_proof(const std::string& device, TimePoint at) {
    std::lock_guard lock{m_mutex};
    Wait& wait = m_waits[device];
    wait.since = at;
    wait.reported = false;
}

std::vector<ProofStall> ProofStallWatch::newly_stalled(TimePoint now) {
    std::vector<ProofStall> found;
    std::lock_guard lock{m_mutex};
    for (auto& [device, wait] : m_waits) {
        if (!wait.reported && stalled(wait, now)) {
            wait.reported = true;
            found.push_back(ProofStall{device, wait.since});
        }
    }
    return found;
}

std::optional<TimePoint> ProofStallWatch::stalled_since(std::string_view device, TimePoint now) const {
    std::lock_guard lock{m_mutex};
    auto found = m_waits.find(device);
    if (found == m_waits.end() || !stalled(found->second, now))
        return std::nullopt;
    return found->second.since;
}

Ingest::Ingest(Store& store, const Clock& clock, const protocol::SecretKey& key, MessageSink& sink,
               FleetHistory* history, ProofStallWatch* stalls)
    : m_store(store), m_clock(clock), m_key(key), m_sink(sink), m_history(history), m_stalls(stalls) {}

bool Ingest::known_device(const std::string& device) {
    if (auto found = m_known.find(device); found != m_known.end())
        return found->second;
    bool accepted = false;
    auto read = m_store.read([&](StoreTransaction& transaction) -> Result<void> {
        auto record = transaction.device_by_id(device);
        if (!record) {
            if (record.error().code == Errc::NotFound)
                return {};
            return std::unexpected(record.error());
        }
        accepted = !record->revoked;
        return {};
    });
    if (!read)
        return false;  // not cached: asked again next time
    m_known.emplace(device, accepted);
    return accepted;
}

bool Ingest::accept(const protocol::MqttMessage& message) {
    auto topic = protocol::parse_topic(message.topic);
    if (!topic || topic->kind != protocol::TopicKind::Device || !known_device(topic->device)) {
        ++m_counters.dropped;
        return false;
    }
    if (topic->channel == protocol::DeviceChannel::Status) {
        auto status = protocol::decode_status(message.payload);
        if (!status || status->device != topic->device) {
            ++m_counters.dropped;
            return false;
        }
        m_epochs[status->device] = status->install_epoch;
        m_statuses.push_back(std::move(*status));
        return true;
    }
    if (topic->channel != protocol::DeviceChannel::ProofOfPlay) {
        ++m_counters.dropped;
        return false;
    }
    auto uplink = protocol::decode_uplink(message.payload);
    if (!uplink) {
        ++m_counters.dropped;
        return false;
    }
    if (auto* reply = std::get_if<protocol::CommandReply>(&*uplink)) {
        if (reply->device != topic->device) {
            ++m_counters.dropped;
            return false;
        }
        m_replies.push_back(QueuedReply{reply->device, reply->command_id});
        return true;
    }
    auto& batch = std::get<protocol::ProofOfPlayBatch>(*uplink);
    if (batch.device != topic->device) {
        ++m_counters.dropped;
        return false;
    }
    QueuedBatch queued;
    queued.device = batch.device;
    queued.epoch_text = batch.install_epoch;
    const std::int64_t epoch = install_epoch_key(batch.install_epoch);
    queued.rows.reserve(batch.rows.size());
    for (const auto& row : batch.rows) {
        if (row.seq < 1) {
            ++m_counters.dropped;
            return false;
        }
        ProofOfPlayRow stored;
        stored.device = batch.device;
        stored.install_epoch = epoch;
        stored.seq = static_cast<std::int64_t>(row.seq);
        switch (row.source) {
            case protocol::SourceKind::Campaign: stored.campaign = row.source_id; break;
            case protocol::SourceKind::Alert: stored.alert = row.source_id; break;
            case protocol::SourceKind::Live: stored.live = row.source_id; break;
        }
        stored.item = static_cast<int>(row.item_index);
        stored.media = row.media;
        stored.started = row.started_at;
        stored.ended = row.ended_at;
        stored.outcome = row.outcome;
        stored.bundle_version = static_cast<std::int64_t>(row.bundle_version);
        stored.duration_ms = static_cast<std::int64_t>(
            std::min(row.duration_ms, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
        stored.note = row.note;
        stored.relay = row.relay;
        stored.region = row.region;
        queued.rows.push_back(std::move(stored));
    }
    m_epochs[batch.device] = batch.install_epoch;
    ++m_counters.batches;
    m_counters.rows_received += batch.rows.size();
    m_batches.push_back(std::move(queued));
    return true;
}

Result<void> Ingest::flush() {
    if (!has_pending() && m_replies.empty())
        return {};
    const TimePoint now = m_clock.wall();
    std::vector<ProofOfPlayRow> rows;
    std::size_t total = 0;
    for (const auto& batch : m_batches) total += batch.rows.size();
    rows.reserve(total);
    for (const auto& batch : m_batches) rows.insert(rows.end(), batch.rows.begin(), batch.rows.end());

    std::vector<ProofProgress> progress;
    std::vector<PresenceChange> presence;
    std::vector<CommittedStatus> committed;
    auto written = m_store.write([&](StoreTransaction& transaction) -> Result<void> {
        committed.clear();
        if (!rows.empty()) {
            auto inserted = transaction.insert_proof_of_play(rows, now);
            if (!inserted)
                return std::unexpected(inserted.error());
            progress = std::move(*inserted);
        }
        for (const auto& status : m_statuses) {
            auto device = transaction.device_by_id(status.device);
            if (!device)
                return std::unexpected(device.error());
            const bool online = status.presence == protocol::Presence::Online;
            if (on_statuses)
                committed.push_back(CommittedStatus{status, device->online, device->desired_version});
            if (device->online != online || !device->last_seen)
                presence.push_back(PresenceChange{status.device, now, online});
            device->online = online;
            if (online)
                device->last_seen = now;
            device->applied_version = static_cast<std::int64_t>(status.applied_bundle_version);
            device->last_status = protocol::encode(status);
            if (auto updated = transaction.update_device(*device); !updated)
                return updated;
        }
        return {};
    });
    if (!written)
        return std::unexpected(written.error());
    ++m_counters.flushes;
    m_counters.statuses += m_statuses.size();
    if (on_statuses && !committed.empty())
        on_statuses(committed);

    // Committed: now, and only now, acknowledge.
    std::map<std::pair<std::string, std::int64_t>, std::string> epoch_texts;
    for (const auto& batch : m_batches)
        epoch_texts[{batch.device, batch.rows.empty() ? install_epoch_key(batch.epoch_text)
                                                      : batch.rows.front().install_epoch}] = batch.epoch_text;
    std::map<std::string, std::vector<std::string>, std::less<>> replies;
    for (const auto& reply : m_replies) replies[reply.device].push_back(reply.command_id);

    std::optional<Error> first_error;
    auto send_ack = [&](protocol::Ack ack) {
        auto topic = protocol::device_topic(ack.device, protocol::DeviceChannel::Ack);
        if (!topic)
            return;
        protocol::PublishOptions options;
        options.qos = protocol::QualityOfService::AtLeastOnce;
        auto sent = m_sink.publish(*topic, protocol::seal(ack, m_key), options);
        if (!sent && !first_error)
            first_error = sent.error();
        if (sent)
            ++m_counters.acks;
    };
    if (m_stalls) {
        for (const auto& status : m_statuses) m_stalls->on_status(status, now);
        for (const auto& entry : progress)
            if (entry.inserted > 0)
                m_stalls->on_proof(entry.device, now);
    }
    for (const auto& entry : progress) {
        m_counters.rows_inserted += static_cast<std::uint64_t>(entry.inserted);
        auto key = std::make_pair(entry.device, entry.install_epoch);
        if (entry.gaps.empty())
            m_gaps.erase(key);
        else
            m_gaps[key] =
                DeviceGaps{entry.device, entry.install_epoch, entry.contiguous, entry.highest, entry.gaps};
        protocol::Ack ack;
        ack.device = entry.device;
        ack.install_epoch = epoch_texts[key];
        ack.committed_seq = static_cast<std::uint64_t>(entry.contiguous);
        ack.issued_at = now;
        if (auto found = replies.find(entry.device); found != replies.end()) {
            ack.replied_commands = std::move(found->second);
            replies.erase(found);
        }
        send_ack(std::move(ack));
    }
    for (auto& [device, commands] : replies) {
        protocol::Ack ack;
        ack.device = device;
        auto epoch = m_epochs.find(device);
        ack.install_epoch = epoch != m_epochs.end() ? epoch->second : "0";
        ack.committed_seq = 0;
        if (epoch != m_epochs.end()) {
            auto stored = m_store.read_value<ProofProgress>([&](StoreTransaction& transaction) {
                return transaction.proof_progress(device, install_epoch_key(epoch->second));
            });
            if (stored)
                ack.committed_seq = static_cast<std::uint64_t>(stored->contiguous);
        }
        ack.replied_commands = std::move(commands);
        ack.issued_at = now;
        send_ack(std::move(ack));
    }
    m_batches.clear();
    m_statuses.clear();
    m_replies.clear();
    if (m_history && !presence.empty())
        (void)m_history->record(presence);  // telemetry: a failure here must not block acks
    if (first_error)
        return std::unexpected(*first_error);
    return {};
}

std::vector<DeviceGaps> Ingest::gaps() const {
    std::vector<DeviceGaps> result;
    for (const auto& [key, entry] : m_gaps) result.push_back(entry);
    return result;
}

}  // namespace bantin::controller
