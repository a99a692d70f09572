// DeliveryRepair: a device whose status shows it never received its desired bundle gets it
// published again (same version, rate-limited per device); a device up to date gets nothing.

#include "bantin/controller/delivery_repair.hpp"
#include "bantin/protocol/envelope.hpp"
#include "fleet_fixture.hpp"

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::RecordingSink;

namespace {

CommittedStatus status_of(const std::string& device, std::uint64_t received, std::int64_t desired,
                          bool was_online) {
    CommittedStatus committed;
    committed.status.device = device;
    committed.status.presence = protocol::Presence::Online;
    committed.status.desired_bundle_version = received;
    committed.status.applied_bundle_version = received;
    committed.was_online = was_online;
    committed.desired_version = desired;
    return committed;
}

}  // namespace

TEST_CASE("a device behind its desired bundle gets the same version again, at most once per interval",
          "[delivery-repair]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-2", "zone-1");
    RecordingSink sink;
    Publisher publisher{*fixture.store, fixture.clock, fixture.keys.secret, sink, PublisherOptions{}};
    REQUIRE(publisher.rebuild_all());
    const std::int64_t desired = fixture.device("screen-1").desired_version;
    REQUIRE(desired > 0);
    const std::size_t published_before = sink.on("bantin/v1/dev/screen-1/bundle").size();

    DeliveryRepair repair{*fixture.store, fixture.clock, publisher, nullptr, std::chrono::seconds{30}};
    auto first =
        repair.on_statuses({status_of("screen-1", 0, desired, true),
                            status_of("screen-2", static_cast<std::uint64_t>(desired), desired, true)});
    REQUIRE(first);
    CHECK(first->bundles == std::vector<std::string>{"screen-1"});
    auto bundles = sink.on("bantin/v1/dev/screen-1/bundle");
    REQUIRE(bundles.size() == published_before + 1);
    CHECK(bundles.back().options.retain == protocol::Retain::Yes);
    auto bundle = protocol::verify_bundle(bundles.back().payload, fixture.trusted(), "screen-1", 0,
                                          fixture.clock.wall());
    REQUIRE(bundle);
    CHECK(bundle->version == static_cast<std::uint64_t>(desired));  // the same version: nothing bumped
    CHECK(fixture.device("screen-1").desired_version == desired);

    // Within the interval: nothing more, however many statuses arrive.
    fixture.clock.advance(std::chrono::seconds{10});
    for (int i = 0; i < 5; ++i) {
        auto again = repair.on_statuses({status_of("screen-1", 0, desired, true)});
        REQUIRE(again);
        CHECK(again->bundles.empty());
    }
    CHECK(sink.on("bantin/v1/dev/screen-1/bundle").size() == published_before + 1);
    fixture.clock.advance(std::chrono::seconds{20});
    auto later = repair.on_statuses({status_of("screen-1", 0, desired, true)});
    REQUIRE(later);
    CHECK(later->bundles == std::vector<std::string>{"screen-1"});
    CHECK(sink.on("bantin/v1/dev/screen-1/bundle").size() == published_before + 2);
    CHECK(sink.on("bantin/v1/dev/screen-2/bundle").size() == published_before);
}
