#include "bantin/controller/publisher.hpp"
#include "bantin/controller/bundle_builder.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "fleet_fixture.hpp"

#include <algorithm>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::RecordingSink;

namespace {

controller::PublisherOptions publisher_options() {
    PublisherOptions options;
    options.media_base_url = "http://controller.test:8080/";
    options.bundle_validity = std::chrono::days{30};
    return options;
}

}  // namespace

TEST_CASE("an approved campaign publishes retained signed bundles for exactly its targeted devices",
          "[publisher]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-2", "zone-1");
    fixture.add_device("screen-3", "zone-2");
    RecordingSink sink;
    Publisher publisher{*fixture.store, fixture.clock, fixture.keys.secret, sink, publisher_options()};
    fixture.approve_campaign("camp-1", {"zone-1"});
    auto report = publisher.on_campaigns_changed(std::vector<std::string>{"camp-1"});
    REQUIRE(report);
    CHECK(report->published == std::vector<std::string>{"screen-1", "screen-2"});
    REQUIRE(sink.messages.size() == 2);
    for (const auto& message : sink.messages) {
        CHECK(message.options.retain == protocol::Retain::Yes);
        CHECK(message.options.qos == protocol::QualityOfService::AtLeastOnce);
        const std::string device = message.topic.substr(std::string{"bantin/v1/dev/"}.size(), 8);
        auto bundle =
            protocol::verify_bundle(message.payload, fixture.trusted(), device, 0, fixture.clock.wall());
        REQUIRE(bundle);
        CHECK(bundle->version == 1);
        REQUIRE(bundle->model.campaigns.size() == 1);
        CHECK(bundle->model.campaigns[0].id == "camp-1");
        REQUIRE(bundle->manifest.size() == 1);
        CHECK(bundle->manifest[0].url ==
              "http://controller.test:8080/api/v1/device-media/" + std::string(64, 'b'));
        CHECK(bundle->manifest[0].size == 1234);
        CHECK(bundle->expires_at - bundle->issued_at == std::chrono::days{30});
    }
    CHECK(sink.on("bantin/v1/dev/screen-3/bundle").empty());
    CHECK(fixture.device("screen-1").desired_version == 1);
    CHECK(fixture.device("screen-3").desired_version == 0);
}

TEST_CASE("a rebuild with unchanged content publishes nothing and keeps the version", "[publisher]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    RecordingSink sink;
    Publisher publisher{*fixture.store, fixture.clock, fixture.keys.secret, sink, publisher_options()};
    fixture.approve_campaign("camp-1", {"zone-1"});
    REQUIRE(publisher.on_campaigns_changed(std::vector<std::string>{"camp-1"}));
    fixture.clock.advance(std::chrono::minutes{5});
    auto again = publisher.rebuild_all(Publisher::Scope::Changed);
    REQUIRE(again);
    CHECK(again->published.empty());
    CHECK(again->unchanged == 1);
    CHECK(sink.messages.size() == 1);
    CHECK(fixture.device("screen-1").desired_version == 1);
}

TEST_CASE("versions grow by one per change and archiving removes the campaign from the bundle",
          "[publisher]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    RecordingSink sink;
    Publisher publisher{*fixture.store, fixture.clock, fixture.keys.secret, sink, publisher_options()};
    fixture.approve_campaign("camp-1", {"zone-1"});
    REQUIRE(publisher.on_campaigns_changed(std::vector<std::string>{"camp-1"}));
    fixture.archive_campaign("camp-1");
    auto report = publisher.on_campaigns_changed(std::vector<std::string>{"camp-1"});
    REQUIRE(report);
    REQUIRE(report->published == std::vector<std::string>{"screen-1"});
    auto bundle = protocol::verify_bundle(sink.messages.back().payload, fixture.trusted(), "screen-1", 1,
                                          fixture.clock.wall());
    REQUIRE(bundle);
    CHECK(bundle->version == 2);
    CHECK(bundle->model.campaigns.empty());
    CHECK(bundle->manifest.empty());
}

TEST_CASE("a campaign change rebuilds only the devices it targets", "[publisher]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-3", "zone-2");
    RecordingSink sink;
    Publisher publisher{*fixture.store, fixture.clock, fixture.keys.secret, sink, publisher_options()};
    REQUIRE(publisher.rebuild_all());  // both get an empty first bundle
    sink.messages.clear();
    fixture.approve_campaign("camp-2", {"zone-2"});
    auto report = publisher.on_campaigns_changed(std::vector<std::string>{"camp-2"});
    REQUIRE(report);
    CHECK(report->examined == 1);
    CHECK(report->published == std::vector<std::string>{"screen-3"});
}

TEST_CASE("bundle encoding and digest are deterministic", "[publisher][bundle]") {
    FleetFixture fixture;
    auto device = fixture.add_device("screen-1", "zone-1");
    fixture.approve_campaign("camp-b", {"zone-1"});
    fixture.approve_campaign("camp-a", {});
    auto inputs = fixture.store->read_value<BundleInputs>(
        [&](StoreTransaction& transaction) { return load_bundle_inputs(transaction, fixture.clock.wall()); });
    REQUIRE(inputs);
    auto first = build_bundle(*inputs, device.device, "http://x");
    auto second = build_bundle(*inputs, device.device, "http://x");
    CHECK(protocol::encode(first) == protocol::encode(second));
    REQUIRE(first.model.campaigns.size() == 2);
    CHECK(first.model.campaigns[0].id == "camp-a");
    second.version = 9;
    CHECK(bundle_digest(first) == bundle_digest(second));
    CHECK(bundle_digest(first) != bundle_digest(build_bundle(*inputs, device.device, "http://y")));
}

TEST_CASE("device settings travel in the bundle", "[publisher][bundle]") {
    FleetFixture fixture;
    auto device = fixture.add_device("screen-1", "zone-1");
    device.device.default_volume = 40;
    device.device.on_hours = {{6 * 60, 22 * 60}};
    device.device.quiet_hours = {{12 * 60, 13 * 60}};
    device.device.volume_schedule = {{{18 * 60, 20 * 60}, 90}};
    BundleInputs inputs;
    auto bundle = build_bundle(inputs, device.device, "http://x");
    CHECK(bundle.settings.default_volume == 40);
    CHECK(bundle.settings.on_hours == device.device.on_hours);
    CHECK(bundle.settings.quiet_hours == device.device.quiet_hours);
    CHECK(bundle.settings.volume_schedule == device.device.volume_schedule);
}

TEST_CASE("delivery state follows desired and applied versions and the status", "[publisher][fleet]") {
    DeviceRecord device;
    CHECK(delivery_state(device) == DeliveryState::None);
    device.desired_version = 3;
    device.applied_version = 2;
    CHECK(delivery_state(device) == DeliveryState::Pending);
    protocol::Status status;
    status.device = "screen-1";
    status.install_epoch = "1";
    status.boot_id = "b";
    status.software_version = "1.0";
    status.desired_bundle_version = 3;
    status.applied_bundle_version = 2;
    status.download = protocol::DownloadProgress{1, 3, 10, 30};
    device.last_status = protocol::encode(status);
    CHECK(delivery_state(device) == DeliveryState::Downloading);
    status.download.reset();
    status.last_error = "media ab..: hash mismatch";
    device.last_status = protocol::encode(status);
    CHECK(delivery_state(device) == DeliveryState::Failed);
    device.applied_version = 3;
    CHECK(delivery_state(device) == DeliveryState::Applied);
}

TEST_CASE("lagging devices get a fresh version at start-up", "[publisher]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    RecordingSink sink;
    Publisher publisher{*fixture.store, fixture.clock, fixture.keys.secret, sink, publisher_options()};
    REQUIRE(publisher.rebuild_all());
    REQUIRE(sink.messages.size() == 1);
    // The device never reported version 1 (the publish may have been lost): republish as 2.
    auto again = publisher.rebuild_all(Publisher::Scope::ChangedOrLagging);
    REQUIRE(again);
    CHECK(again->published == std::vector<std::string>{"screen-1"});
    CHECK(fixture.device("screen-1").desired_version == 2);
}

TEST_CASE("a stream travels by its URL with its filler, and only the filler is downloaded",
          "[publisher][bundle]") {
    FleetFixture fixture;
    auto speaker = fixture.add_device("loa-1", "zone-1", scheduler::DeviceKind::Speaker);
    MediaRecord filler;
    filler.media.sha256 = std::string(64, 'c');
    filler.media.type = scheduler::MediaType::Audio;
    filler.media.duration = Duration{60'000};
    filler.media.name = "nhac-cho.mp3";
    filler.size = 4321;
    filler.created = fixture.clock.wall();
    MediaRecord stream;
    stream.media.sha256 = std::string(64, 'd');
    stream.media.type = scheduler::MediaType::Stream;
    stream.media.name = "Tiếp sóng VOV1";
    stream.media.url = "https://stream.example.vn/vov1.mp3";
    stream.media.filler = filler.media.sha256;
    stream.created = fixture.clock.wall();
    auto stored = fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        for (const auto* record : {&filler, &stream}) {
            if (auto inserted = transaction.insert_media(*record); !inserted)
                return std::unexpected(inserted.error());
        }
        PlaylistRecord playlist;
        playlist.playlist.id = "pl-vov1";
        playlist.playlist.items.push_back({stream.media.sha256, Duration{30 * 60'000}, 1});
        playlist.created = playlist.updated = fixture.clock.wall();
        return transaction.insert_playlist(playlist);
    });
    REQUIRE(stored);
    auto draft = FleetFixture::campaign("tiep-song-vov1", "pl-vov1");
    draft.windows = {{5 * 60 + 30, 6 * 60}};
    fixture.approve_campaign(draft);

    auto inputs = fixture.store->read_value<BundleInputs>(
        [&](StoreTransaction& transaction) { return load_bundle_inputs(transaction, fixture.clock.wall()); });
    REQUIRE(inputs);
    auto bundle = build_bundle(*inputs, speaker.device, "http://controller.test");
    const auto media_named = [&](const std::string& sha256) {
        return std::ranges::find(bundle.model.media, sha256, &scheduler::MediaRef::sha256);
    };
    const auto in_model = media_named(stream.media.sha256);
    REQUIRE(in_model != bundle.model.media.end());
    CHECK(*in_model == stream.media);
    CHECK(in_model->url == "https://stream.example.vn/vov1.mp3");
    CHECK(in_model->filler == filler.media.sha256);
    CHECK(media_named(filler.media.sha256) != bundle.model.media.end());
    // The filler is downloaded like any media; the stream has nothing to download.
    std::vector<std::string> manifest;
    for (const auto& entry : bundle.manifest) manifest.push_back(entry.sha256);
    CHECK(std::ranges::count(manifest, filler.media.sha256) == 1);
    CHECK(std::ranges::count(manifest, stream.media.sha256) == 0);
    // The bundle decodes on the device's side with the stream intact.
    bundle.version = 1;
    bundle.issued_at = fixture.clock.wall();
    bundle.expires_at = bundle.issued_at + std::chrono::days{30};
    auto decoded = protocol::decode_bundle(protocol::encode(bundle));
    if (!decoded)
        FAIL(decoded.error().message());
    CHECK(decoded->model.media == bundle.model.media);
}

namespace {

// Notes, at its first publish, how many devices already had their new version written.
class FirstPublishWitness final : public controller::MessageSink {
public:
    FirstPublishWitness(FleetFixture& fixture) : m_fixture(fixture) {}
    Result<void> publish(const std::string& topic, const std::string&,
                         const protocol::PublishOptions&) override {
        if (topics.empty()) {
            auto devices =
                m_fixture.store->read_value<std::vector<DeviceRecord>>([](StoreTransaction& transaction) {
                    return transaction.list_devices(Page{10000, 0});
                });
            REQUIRE(devices);
            written_at_first_publish = static_cast<std::size_t>(std::ranges::count_if(
                *devices, [](const DeviceRecord& device) { return device.desired_version > 0; }));
        }
        topics.push_back(topic);
        return {};
    }
    std::vector<std::string> topics;
    std::size_t written_at_first_publish = 0;

private:
    FleetFixture& m_fixture;
};

}  // namespace

TEST_CASE("a rebuild of many devices publishes the first chunk before the later ones are written",
          "[publisher]") {
    FleetFixture fixture;
    const std::size_t count = publish_chunk_devices * 2 + 7;
    for (std::size_t i = 0; i < count; ++i) fixture.add_device("screen-" + std::to_string(i), "zone-1");
    FirstPublishWitness sink{fixture};
    Publisher publisher{*fixture.store, fixture.clock, fixture.keys.secret, sink, publisher_options()};
    fixture.approve_campaign("camp-1", {"zone-1"});
    auto report = publisher.on_campaigns_changed(std::vector<std::string>{"camp-1"});
    REQUIRE(report);
    CHECK(report->published.size() == count);
    CHECK(sink.topics.size() == count);
    CHECK(sink.written_at_first_publish == publish_chunk_devices);
    // Every device has its version, each exactly one.
    auto devices = fixture.store->read_value<std::vector<DeviceRecord>>([](StoreTransaction& transaction) {
        return transaction.list_devices(Page{10000, 0});
    });
    REQUIRE(devices);
    CHECK(std::ranges::all_of(*devices,
                              [](const DeviceRecord& device) { return device.desired_version == 1; }));
    // Nothing changed: a second rebuild of the changed ones publishes nothing.
    auto again = publisher.rebuild_all(Publisher::Scope::Changed);
    REQUIRE(again);
    CHECK(again->published.empty());
}
