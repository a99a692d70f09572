#pragma once
// The publisher: turns approved changes into signed, retained bundles on
// bantin/v1/dev/{device}/bundle, one per device, only when the device's content changed.
//
// For each device it builds the bundle (bundle_builder.hpp), compares its content digest with
// the one last published (devices.desired_digest) and skips it when equal. The changed ones go
// out in chunks of publish_chunk_devices: one write transaction bumps each device's
// desired_version (monotonic, persisted) and stores the new digest; after the commit every
// bundle of the chunk is signed with the controller's Ed25519 key and published retained at
// QoS 1, then the next chunk is built. So the first devices get their bundle while the rest are
// still being built (one transaction for 10,000 devices held every bundle back until the last
// was built). A crash between chunks leaves the later devices with their old digest: the next
// rebuild_all finds them changed and publishes them. Devices report the version they
// applied in their status; delivery_state() compares the two for the fleet view.
//
// on_campaigns_changed(ids) rebuilds only the devices the named campaigns target (approved or
// not: an archived campaign must leave the devices it used to reach); on_alert_changed() only
// those an alert covers. rebuild_all() at start-up republishes, with a fresh version, every
// device whose applied version lags its desired one (a crash may have cut the last publish
// off) and builds bundles for devices that never had one.
//
// republish_devices(ids) publishes the named devices' bundles again, retained, whether or not
// they changed: with the same desired_version when the content is unchanged (nothing is
// written), with a fresh version otherwise. It is how a device whose status shows it never
// received its desired version gets it back when the broker lost its retained store
// (DeliveryRepair, delivery_repair.hpp).
//
// Threads: every member may be called from any thread; rebuilds are serialised by a mutex.
// The MessageSink must be thread-safe (MqttMessageSink is). Errors: those of the store and of
// the sink; a failed publish leaves the version stored and is retried by the next rebuild_all.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/controller/bundle_builder.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/mqtt_client.hpp"

#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller {

// Where controller -> device messages go. One real implementation (MqttMessageSink) and a
// recording fake in the tests.
class MessageSink {
public:
    virtual ~MessageSink() = default;
    virtual Result<void> publish(const std::string& topic, const std::string& payload,
                                 const protocol::PublishOptions& options) = 0;
    // False while this sink cannot send itself but relays or refuses (a controller that does not
    // hold the publisher lease, cluster.hpp): a caller that records what it sends (an audit row)
    // asks first, so that a refused message leaves no record.
    virtual bool publishes_directly() const { return true; }
};

class MqttMessageSink final : public MessageSink {
public:
    explicit MqttMessageSink(protocol::MqttClient& client) : m_client(client) {}
    Result<void> publish(const std::string& topic, const std::string& payload,
                         const protocol::PublishOptions& options) override;

private:
    protocol::MqttClient& m_client;
};

// Devices per chunk of a rebuild (see above).
inline constexpr std::size_t publish_chunk_devices = 250;

struct PublisherOptions {
    std::string media_base_url = "http://127.0.0.1:8080";
    std::string board_base_url;  // [public] board_base_url: screens' QR code of their zone's board
    Duration bundle_validity = std::chrono::days{30};
};

struct RebuildReport {
    std::size_t examined = 0;
    std::size_t unchanged = 0;
    std::vector<std::string> published;  // device ids, in the order published
    Duration elapsed{0};                 // monotonic
};

class Publisher {
public:
    Publisher(Store& store, const Clock& clock, const protocol::SecretKey& key, MessageSink& sink,
              PublisherOptions options);

    enum class Scope { Changed, ChangedOrLagging, Republish };

    Result<RebuildReport> rebuild_all(Scope scope = Scope::ChangedOrLagging);
    Result<RebuildReport> rebuild_devices(std::span<const std::string> device_ids);
    Result<RebuildReport> republish_devices(std::span<const std::string> device_ids);
    Result<RebuildReport> on_campaigns_changed(std::span<const std::string> campaign_ids);
    Result<RebuildReport> on_alert_changed(const scheduler::Alert& alert);

    const PublisherOptions& options() const { return m_options; }

private:
    using Selector = std::function<bool(const DeviceRecord&)>;
    Result<RebuildReport> rebuild(const Selector& select, Scope scope);

    Store& m_store;
    const Clock& m_clock;
    const protocol::SecretKey& m_key;
    MessageSink& m_sink;
    PublisherOptions m_options;
    std::mutex m_mutex;
};

enum class DeliveryState { None, Pending, Downloading, Applied, Failed };
std::string_view to_string(DeliveryState state);

// From the device's desired and applied versions and its last status: Applied when it runs the
// desired version, Downloading while its status shows a download towards it, Failed when its
// status reports an error after seeing that version, Pending otherwise; None before any bundle.
DeliveryState delivery_state(const DeviceRecord& device);

}  // namespace bantin::controller
