#include "bantin/controller/publisher.hpp"

#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/topics.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace bantin::controller {

Result<void> MqttMessageSink::publish(const std::string& topic, const std::string& payload,
                                      const protocol::PublishOptions& options) {
    auto sent = m_client.publish(topic, payload, options);
    if (!sent)
        return std::unexpected(sent.error());
    return {};
}

Publisher::Publisher(Store& store, const Clock& clock, const protocol::SecretKey& key, MessageSink& sink,
                     PublisherOptions options)
    : m_store(store), m_clock(clock), m_key(key), m_sink(sink), m_options(std::move(options)) {}

Result<RebuildReport> Publisher::rebuild_all(Scope scope) {
    return rebuild([](const DeviceRecord&) { return true; }, scope);
}

Result<RebuildReport> Publisher::rebuild_devices(std::span<const std::string> device_ids) {
    std::set<std::string, std::less<>> wanted(device_ids.begin(), device_ids.end());
    return rebuild([&](const DeviceRecord& device) { return wanted.contains(device.device.id); },
                   Scope::Changed);
}

Result<RebuildReport> Publisher::republish_devices(std::span<const std::string> device_ids) {
    std::set<std::string, std::less<>> wanted(device_ids.begin(), device_ids.end());
    return rebuild([&](const DeviceRecord& device) { return wanted.contains(device.device.id); },
                   Scope::Republish);
}

Result<RebuildReport> Publisher::on_campaigns_changed(std::span<const std::string> campaign_ids) {
    std::vector<scheduler::Targets> targets;
    auto loaded = m_store.read([&](StoreTransaction& transaction) -> Result<void> {
        for (const auto& id : campaign_ids) {
            auto campaign = transaction.campaign_by_id(id);
            if (!campaign) {
                if (campaign.error().code == Errc::NotFound)
                    continue;
                return std::unexpected(campaign.error());
            }
            targets.push_back(campaign->campaign.targets);
        }
        return {};
    });
    if (!loaded)
        return std::unexpected(loaded.error());
    return rebuild(
        [&](const DeviceRecord& device) {
            return std::ranges::any_of(targets,
                                       [&](const auto& t) { return scheduler::targets(t, device.device); });
        },
        Scope::Changed);
}

Result<RebuildReport> Publisher::on_alert_changed(const scheduler::Alert& alert) {
    return rebuild([&](const DeviceRecord& device) { return scheduler::covers(alert, device.device); },
                   Scope::Changed);
}

Result<RebuildReport> Publisher::rebuild(const Selector& select, Scope scope) {
    std::lock_guard lock{m_mutex};
    const auto started = m_clock.monotonic();
    const TimePoint now = m_clock.wall();
    RebuildReport report;

    BundleInputs inputs;
    std::vector<DeviceRecord> devices;
    auto read = m_store.read([&](StoreTransaction& transaction) -> Result<void> {
        auto loaded = load_bundle_inputs(transaction, now);
        if (!loaded)
            return std::unexpected(loaded.error());
        inputs = std::move(*loaded);
        auto all = load_all_devices(transaction);
        if (!all)
            return std::unexpected(all.error());
        devices = std::move(*all);
        return {};
    });
    if (!read)
        return std::unexpected(read.error());

    struct Pending {
        protocol::Bundle bundle;
        std::string digest;
        bool new_version = true;  // false: the same content again under its stored version
    };
    const auto validity = m_options.bundle_validity;
    std::optional<Error> first_error;
    // One chunk: versions written in one transaction (assigned inside the write, from the
    // stored value, so concurrent status updates of the same rows are kept and a version is
    // never reused), then every bundle of the chunk signed and published.
    auto publish_chunk = [&](std::vector<Pending>& chunk) -> Result<void> {
        const bool any_new_version =
            std::ranges::any_of(chunk, [](const Pending& item) { return item.new_version; });
        auto written = !any_new_version
                           ? Result<void>{}
                           : m_store.write([&](StoreTransaction& transaction) -> Result<void> {
                                 for (auto& item : chunk) {
                                     if (!item.new_version)
                                         continue;
                                     auto device = transaction.device_by_id(item.bundle.device);
                                     if (!device)
                                         return std::unexpected(device.error());
                                     device->desired_version += 1;
                                     device->desired_digest = item.digest;
                                     item.bundle.version =
                                         static_cast<std::uint64_t>(device->desired_version);
                                     if (auto updated = transaction.update_device(*device); !updated)
                                         return updated;
                                 }
                                 return {};
                             });
        if (!written)
            return written;
        for (auto& item : chunk) {
            item.bundle.issued_at = now;
            item.bundle.expires_at = now + validity;
            auto topic = protocol::device_topic(item.bundle.device, protocol::DeviceChannel::Bundle);
            if (!topic) {
                first_error = first_error.value_or(topic.error());
                continue;
            }
            protocol::PublishOptions options;
            options.qos = protocol::QualityOfService::AtLeastOnce;
            options.retain = protocol::Retain::Yes;
            auto sent = m_sink.publish(*topic, protocol::seal(item.bundle, m_key), options);
            if (!sent) {
                first_error = first_error.value_or(sent.error());
                continue;
            }
            report.published.push_back(item.bundle.device);
        }
        chunk.clear();
        return {};
    };
    std::vector<Pending> chunk;
    for (const auto& device : devices) {
        if (device.revoked || !select(device))
            continue;
        ++report.examined;
        protocol::Bundle bundle =
            build_bundle(inputs, device.device, m_options.media_base_url, m_options.board_base_url);
        std::string digest = bundle_digest(bundle);
        const bool lagging = device.desired_version > device.applied_version;
        const bool changed = digest != device.desired_digest || device.desired_version == 0;
        if (!changed && scope == Scope::Republish) {
            bundle.version = static_cast<std::uint64_t>(device.desired_version);
            chunk.push_back(Pending{std::move(bundle), std::move(digest), false});
        } else if (!changed && !(scope == Scope::ChangedOrLagging && lagging)) {
            ++report.unchanged;
            continue;
        } else {
            chunk.push_back(Pending{std::move(bundle), std::move(digest)});
        }
        if (chunk.size() >= publish_chunk_devices)
            if (auto published = publish_chunk(chunk); !published)
                return std::unexpected(published.error());
    }
    if (!chunk.empty())
        if (auto published = publish_chunk(chunk); !published)
            return std::unexpected(published.error());
    if (first_error)
        return std::unexpected(*first_error);
    report.elapsed = std::chrono::duration_cast<Duration>(m_clock.monotonic() - started);
    return report;
}

std::string_view to_string(DeliveryState state) {
    switch (state) {
        case DeliveryState::None: return "none";
        case DeliveryState::Pending: return "pending";
        case DeliveryState::Downloading: return "downloading";
        case DeliveryState::Applied: return "applied";
        case DeliveryState::Failed: return "failed";
    }
    return "none";
}

DeliveryState delivery_state(const DeviceRecord& device) {
    if (device.desired_version == 0)
        return DeliveryState::None;
    if (device.applied_version >= device.desired_version)
        return DeliveryState::Applied;
    if (device.last_status.empty())
        return DeliveryState::Pending;
    auto status = protocol::decode_status(device.last_status);
    if (!status)
        return DeliveryState::Pending;
    const auto desired = static_cast<std::uint64_t>(device.desired_version);
    if (status->desired_bundle_version >= desired) {
        if (status->last_error && !status->last_error->empty() && !status->download)
            return DeliveryState::Failed;
        if (status->download)
            return DeliveryState::Downloading;
    }
    return DeliveryState::Pending;
}

}  // namespace bantin::controller
