// Several controllers on one store (cluster.hpp), without a database server: the guarded sink
// of a controller that does not hold the publisher lease, the notices it relays, the holder's
// takeover republish, and an alert and a campaign change made on a non-holder that reach the
// devices through the holder, once. The PostgreSQL lease and signal: postgres_lease_itest.cpp.

#include "bantin/controller/cluster.hpp"
#include "bantin/controller/device_commands.hpp"
#include "bantin/controller/postgres_lease.hpp"
#include "bantin/protocol/envelope.hpp"
#include "fleet_fixture.hpp"

#include <atomic>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::RecordingSink;

namespace {

// A lease the test switches: the part under test is what the sink and the daemon's handlers
// do with held(), not how a lease is won.
class SwitchLease final : public PublishLease {
public:
    bool held() const override { return holding.load(); }
    Result<void> start() override { return {}; }
    void stop() override {}
    std::atomic<bool> holding{false};
};

class RefusingSink final : public MessageSink {
public:
    Result<void> publish(const std::string&, const std::string&, const protocol::PublishOptions&) override {
        return fail(Errc::Network, "the broker is gone");
    }
};

PublisherOptions cluster_publisher_options() {
    PublisherOptions options;
    options.media_base_url = "http://controller.test:8080/";
    return options;
}

void mark_applied(FleetFixture& fixture, const std::string& id, std::int64_t version) {
    auto done = fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        auto device = transaction.device_by_id(id);
        if (!device)
            return std::unexpected(device.error());
        device->applied_version = version;
        return transaction.update_device(*device);
    });
    REQUIRE(done);
}

std::uint64_t version_on(const RecordingSink& sink, const FleetFixture& fixture, const std::string& device) {
    auto messages = sink.on("bantin/v1/dev/" + device + "/bundle");
    REQUIRE(messages.size() == 1);
    auto bundle =
        protocol::verify_bundle(messages[0].payload, fixture.trusted(), device, 0, fixture.clock.wall());
    REQUIRE(bundle);
    return bundle->version;
}

// Two controllers on one store: `other` does not hold the lease, `holder` does. The signal
// hands the other's notices to the holder's handlers, as the daemon does.
struct ClusterRig {
    FleetFixture fixture;
    SwitchLease other_lease;
    InProcessChangeSignal signal;
    RecordingSink other_broker;  // what the non-holder would have sent: must stay empty
    RecordingSink holder_broker;
    LeaseGuardedSink other_sink{other_broker, other_lease, signal, fixture.keys.secret};
    Publisher other_publisher{*fixture.store, fixture.clock, fixture.keys.secret, other_sink,
                              cluster_publisher_options()};
    Publisher holder_publisher{*fixture.store, fixture.clock, fixture.keys.secret, holder_broker,
                               cluster_publisher_options()};
    bantin::testing::TextAsSpeech speech{fixture.clock};
    AlertService other_alerts{*fixture.store, fixture.clock,    fixture.keys.secret, other_sink,
                              speech,         &other_publisher, alert_options()};
    AlertService holder_alerts{*fixture.store, fixture.clock,     fixture.keys.secret, holder_broker,
                               speech,         &holder_publisher, alert_options()};
    std::vector<ChangeNotice> notices;

    ClusterRig() {
        signal.on_notice = [this](const ChangeNotice& notice) {
            notices.push_back(notice);
            if (notice.kind == "bundles")
                REQUIRE(holder_publisher.republish_devices(notice.ids));
            else if (notice.kind == "alert")
                for (const auto& id : notice.ids) REQUIRE(holder_alerts.publish_current(id));
        };
    }
    // A live flood alert for zone-1, two hours long.
    AlertRequest flood_alert() const {
        AlertRequest request;
        request.zones = {"zone-1"};
        request.severity = scheduler::Severity::Extreme;
        request.status = scheduler::AlertStatus::Actual;
        request.headline = "Lũ quét";
        request.text = "Nước sông dâng cao, di chuyển lên vùng cao ngay.";
        request.expires = fixture.clock.wall() + std::chrono::hours{2};
        request.tone = "none";
        return request;
    }
    static AlertServiceOptions alert_options() {
        AlertServiceOptions options;
        options.one_person_live_alerts = true;
        options.media_base_url = "http://controller.test";
        return options;
    }
};

}  // namespace

TEST_CASE("a change notice survives its encoding and is split under the NOTIFY limit", "[cluster]") {
    ChangeNotice notice{"bundles", {"screen-1", "loa-xã-2"}};
    auto decoded = decode_notice(encode_notice(notice));
    // "loa-xã-2" is no valid id: the decoder refuses it.
    REQUIRE_FALSE(decoded);
    notice.ids[1] = "loa-2";
    decoded = decode_notice(encode_notice(notice));
    REQUIRE(decoded);
    CHECK(*decoded == notice);

    ChangeNotice many{"bundles", {}};
    for (int i = 0; i < 2000; ++i) many.ids.push_back("screen-" + std::to_string(i));
    auto payloads = encode_notices(many, 7000);
    REQUIRE(payloads.size() > 1);
    std::vector<std::string> all;
    for (const auto& payload : payloads) {
        CHECK(payload.size() <= 7000);
        auto part = decode_notice(payload);
        REQUIRE(part);
        CHECK(part->kind == "bundles");
        all.insert(all.end(), part->ids.begin(), part->ids.end());
    }
    CHECK(all == many.ids);

    // "devices": a registration or revocation, no ids; one payload.
    const ChangeNotice devices{"devices", {}};
    REQUIRE(encode_notices(devices).size() == 1);
    auto devices_decoded = decode_notice(encode_notices(devices).front());
    REQUIRE(devices_decoded);
    CHECK(*devices_decoded == devices);
}

TEST_CASE("hostile change notices are refused with a bilingual reason", "[cluster][hostile]") {
    for (const std::string& payload :
         std::vector<std::string>{"", "not json", "[]", "{}", "{\"k\":\"bundles\"}", "{\"k\":7,\"ids\":[]}",
                                  "{\"k\":\"drop\",\"ids\":[]}", "{\"k\":\"bundles\",\"ids\":[1]}",
                                  "{\"k\":\"bundles\",\"ids\":[\"../../etc\"]}",
                                  "{\"k\":\"alert\",\"ids\":[\"" + std::string(500, 'a') + "\"]}",
                                  std::string(9000, '{'), std::string(100, '[')}) {
        INFO(payload.substr(0, 80));
        auto decoded = decode_notice(payload);
        REQUIRE_FALSE(decoded);
        CHECK(decoded.error().code == Errc::InvalidInput);
    }
    auto unknown = decode_notice("{\"k\":\"drop\",\"ids\":[]}");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().detail.find("loại thông báo thay đổi không rõ; unknown change notice kind") !=
          std::string::npos);
}

TEST_CASE("the guarded sink publishes while the lease is held and relays or refuses otherwise", "[cluster]") {
    FleetFixture fixture;
    SwitchLease lease;
    InProcessChangeSignal signal;
    std::vector<ChangeNotice> notices;
    signal.on_notice = [&](const ChangeNotice& notice) { notices.push_back(notice); };
    RecordingSink broker;
    LeaseGuardedSink sink{broker, lease, signal, fixture.keys.secret};
    protocol::PublishOptions options;

    lease.holding = true;
    REQUIRE(sink.publish("bantin/v1/dev/screen-1/bundle", "x", options));
    REQUIRE(sink.publish("bantin/v1/dev/screen-1/cmd", "y", options));
    CHECK(broker.messages.size() == 2);
    CHECK(notices.empty());

    lease.holding = false;
    REQUIRE(sink.publish("bantin/v1/dev/screen-1/bundle", "x", options));
    CHECK(broker.messages.size() == 2);
    REQUIRE(notices.size() == 1);
    CHECK(notices[0] == ChangeNotice{"bundles", {"screen-1"}});

    auto command = sink.publish("bantin/v1/dev/screen-1/cmd", "y", options);
    REQUIRE_FALSE(command);
    CHECK(command.error().code == Errc::Conflict);
    CHECK(command.error().detail.starts_with("bộ điều khiển này không giữ quyền phát hành"));
    CHECK(command.error().detail.find("does not hold the publisher lease") != std::string::npos);
    CHECK_FALSE(sink.publish("bantin/v1/live/zone/zone-1", "z", options));
    // Not ours (a forged or broken alert payload): refused, nothing relayed.
    CHECK_FALSE(sink.publish("bantin/v1/alert/all", "not an envelope", options));
    CHECK_FALSE(sink.publish("no/such/topic", "x", options));
    CHECK(broker.messages.size() == 2);
    CHECK(notices.size() == 1);
}

TEST_CASE(
    "a new holder republishes unacked bundles under their version and versions what was never published",
    "[cluster]") {
    FleetFixture fixture;
    fixture.add_device("screen-1", "zone-1");
    fixture.add_device("screen-2", "zone-1");
    fixture.add_device("screen-3", "zone-1");
    fixture.add_device("screen-4", "zone-2");
    RecordingSink first_broker;
    Publisher first{*fixture.store, fixture.clock, fixture.keys.secret, first_broker,
                    cluster_publisher_options()};
    REQUIRE(first.rebuild_all());  // version 1 everywhere
    mark_applied(fixture, "screen-1", 1);
    mark_applied(fixture, "screen-2", 1);
    mark_applied(fixture, "screen-3", 1);
    mark_applied(fixture, "screen-4", 1);

    // The holder commits version 2 for zone-1, then dies before any of it reaches the broker.
    RefusingSink dead_broker;
    Publisher dying{*fixture.store, fixture.clock, fixture.keys.secret, dead_broker,
                    cluster_publisher_options()};
    fixture.approve_campaign("camp-1", {"zone-1"});
    CHECK_FALSE(dying.on_campaigns_changed(std::vector<std::string>{"camp-1"}));
    CHECK(fixture.device("screen-2").desired_version == 2);
    // One device had it after all (the publish of a chunk reached it before the crash).
    mark_applied(fixture, "screen-1", 2);
    // A change committed but never versioned.
    fixture.approve_campaign("camp-2", {"zone-2"});

    RecordingSink second_broker;
    Publisher second{*fixture.store, fixture.clock, fixture.keys.secret, second_broker,
                     cluster_publisher_options()};
    auto taken = takeover_republish(*fixture.store, second);
    REQUIRE(taken);
    CHECK(taken->republished == std::vector<std::string>{"screen-2", "screen-3"});
    CHECK(taken->published == std::vector<std::string>{"screen-4"});
    CHECK(second_broker.on("bantin/v1/dev/screen-1/bundle").empty());
    CHECK(version_on(second_broker, fixture, "screen-2") == 2);
    CHECK(version_on(second_broker, fixture, "screen-3") == 2);
    CHECK(version_on(second_broker, fixture, "screen-4") == 2);
    CHECK(fixture.device("screen-2").desired_version == 2);
    CHECK(second_broker.messages.size() == 3);
    // A device that had version 2 refuses it again: each change is applied once.
    auto again = protocol::verify_bundle(second_broker.on("bantin/v1/dev/screen-2/bundle")[0].payload,
                                         fixture.trusted(), "screen-2", 2, fixture.clock.wall());
    CHECK_FALSE(again);
}

TEST_CASE("a device command on a non-holder is refused before anything is recorded", "[cluster]") {
    ClusterRig rig;
    rig.fixture.add_device("screen-1", "zone-1");
    DeviceCommands commands{*rig.fixture.store, rig.fixture.clock, rig.fixture.keys.secret, rig.other_sink,
                            DeviceCommandsOptions{}};
    auto audit_rows = [&] {
        auto rows = rig.fixture.store->read_value<std::vector<AuditEntry>>([](StoreTransaction& transaction) {
            return transaction.list_audit(AuditFilter{"device", "screen-1", {}}, Page{100, 0});
        });
        REQUIRE(rows);
        return rows->size();
    };
    const auto before = audit_rows();
    CommandRequest request;
    request.kind = protocol::CommandKind::Screenshot;
    auto refused = commands.issue(rig.fixture.operator_one, "screen-1", request);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::Conflict);
    CHECK(refused.error().detail.find("does not hold the publisher lease") != std::string::npos);
    CHECK(audit_rows() == before);
    CHECK(rig.other_broker.messages.empty());

    rig.other_lease.holding = true;
    REQUIRE(commands.issue(rig.fixture.operator_one, "screen-1", request));
    CHECK(audit_rows() == before + 1);
    CHECK(rig.other_broker.on("bantin/v1/dev/screen-1/cmd").size() == 1);
}

TEST_CASE("a campaign change made on a non-holder reaches its devices through the holder once", "[cluster]") {
    ClusterRig rig;
    rig.fixture.add_device("screen-1", "zone-1");
    rig.fixture.add_device("screen-2", "zone-2");
    rig.fixture.approve_campaign("camp-1", {"zone-1"});
    auto report = rig.other_publisher.on_campaigns_changed(std::vector<std::string>{"camp-1"});
    REQUIRE(report);
    CHECK(rig.other_broker.messages.empty());
    REQUIRE(rig.notices.size() == 1);
    CHECK(rig.notices[0] == ChangeNotice{"bundles", {"screen-1"}});
    REQUIRE(rig.holder_broker.messages.size() == 1);
    CHECK(version_on(rig.holder_broker, rig.fixture, "screen-1") == 1);
    CHECK(rig.fixture.device("screen-1").desired_version == 1);
    auto bundle = protocol::verify_bundle(rig.holder_broker.messages[0].payload, rig.fixture.trusted(),
                                          "screen-1", 0, rig.fixture.clock.wall());
    REQUIRE(bundle);
    REQUIRE(bundle->model.campaigns.size() == 1);
    CHECK(bundle->model.campaigns[0].id == "camp-1");
}

TEST_CASE("an alert raised and cancelled on a non-holder goes out from the holder", "[cluster][alerts]") {
    ClusterRig rig;
    rig.fixture.add_device("screen-1", "zone-1");
    auto created = rig.other_alerts.create(rig.fixture.operator_one, rig.flood_alert());
    REQUIRE(created);
    CHECK(created->state == AlertState::Sent);
    CHECK(rig.other_broker.messages.empty());
    auto on_zone = rig.holder_broker.on("bantin/v1/alert/zone/zone-1");
    REQUIRE(on_zone.size() == 1);
    auto verified = protocol::verify_alert(on_zone[0].payload, rig.fixture.trusted(), "zone-1", {},
                                           rig.fixture.clock.wall());
    REQUIRE(verified);
    REQUIRE(std::holds_alternative<protocol::AlertMessage>(*verified));
    CHECK(std::get<protocol::AlertMessage>(*verified).alert.id == created->alert.id);
    // The covered device's bundle follows, from the holder.
    CHECK(rig.holder_broker.on("bantin/v1/dev/screen-1/bundle").size() >= 1);

    auto cancelled = rig.other_alerts.cancel(rig.fixture.operator_one, created->alert.id);
    REQUIRE(cancelled);
    CHECK(rig.other_broker.messages.empty());
    on_zone = rig.holder_broker.on("bantin/v1/alert/zone/zone-1");
    REQUIRE(on_zone.size() >= 2);
    auto cancel = protocol::verify_alert(on_zone.back().payload, rig.fixture.trusted(), "zone-1", {},
                                         rig.fixture.clock.wall());
    REQUIRE(cancel);
    REQUIRE(std::holds_alternative<protocol::AlertCancel>(*cancel));
    CHECK(std::get<protocol::AlertCancel>(*cancel).alert_id == created->alert.id);
}

TEST_CASE("a cancel stored while no one published goes out when a controller takes the lease",
          "[cluster][alerts]") {
    ClusterRig rig;
    rig.fixture.add_device("screen-1", "zone-1");
    auto created = rig.other_alerts.create(rig.fixture.operator_one, rig.flood_alert());
    REQUIRE(created);
    // The handover: the notice of the cancel reaches no holder (the old one died, the new one
    // waits out its ttl).
    rig.signal.on_notice = [](const ChangeNotice&) {};
    rig.fixture.clock.advance(std::chrono::minutes{5});
    REQUIRE(rig.other_alerts.cancel(rig.fixture.operator_one, created->alert.id));
    const auto before = rig.holder_broker.on("bantin/v1/alert/zone/zone-1").size();

    // The new holder's takeover: the active alerts (none now) and the recent cancels.
    auto active = rig.holder_alerts.republish_active();
    REQUIRE(active);
    CHECK(active->empty());
    auto cancels = rig.holder_alerts.republish_recent_cancels(std::chrono::hours{1});
    REQUIRE(cancels);
    CHECK(*cancels == std::vector<std::string>{created->alert.id});
    auto on_zone = rig.holder_broker.on("bantin/v1/alert/zone/zone-1");
    REQUIRE(on_zone.size() == before + 1);
    CHECK(on_zone.back().options.retain == protocol::Retain::Yes);
    auto cancel = protocol::verify_alert(on_zone.back().payload, rig.fixture.trusted(), "zone-1", {},
                                         rig.fixture.clock.wall());
    REQUIRE(cancel);
    REQUIRE(std::holds_alternative<protocol::AlertCancel>(*cancel));
    CHECK(std::get<protocol::AlertCancel>(*cancel).alert_id == created->alert.id);

    // A cancel older than the window, or of an alert already expired, is not sent again.
    rig.fixture.clock.advance(std::chrono::hours{3});
    auto late = rig.holder_alerts.republish_recent_cancels(std::chrono::hours{1});
    REQUIRE(late);
    CHECK(late->empty());
}

TEST_CASE("the single box always publishes, and a cluster needs a valid connection string", "[cluster]") {
    config::ClusterConfig timings;
    auto single = make_cluster("", timings);
    REQUIRE(single);
    CHECK_FALSE(single->clustered);
    CHECK(single->lease->held());
    int acquired = 0;
    single->lease->on_acquired = [&] { ++acquired; };
    REQUIRE(single->lease->start());
    CHECK(acquired == 1);

    FleetFixture fixture;
    RecordingSink broker;
    LeaseGuardedSink sink{broker, *single->lease, *single->signal, fixture.keys.secret};
    REQUIRE(sink.publish("bantin/v1/dev/screen-1/cmd", "y", protocol::PublishOptions{}));
    CHECK(broker.messages.size() == 1);

    auto bad = make_cluster("host=127.0.0.1 nonsense", timings);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::InvalidInput);
    CHECK(bad.error().detail.starts_with(
        "chuỗi kết nối PostgreSQL không hợp lệ; invalid PostgreSQL connection string"));
    // Creating the PostgreSQL parts connects to nothing yet: no server is needed to get them.
    auto clustered = make_cluster("host=127.0.0.1 port=1 dbname=bantin", timings);
    REQUIRE(clustered);
    CHECK(clustered->clustered);
    CHECK_FALSE(clustered->lease->held());
}
