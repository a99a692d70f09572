// Live channels kept in the store: a channel opened before a controller restart is listed and
// closed by a fresh service on the same SQLite file (the close publishes the end as before); the
// faults around it: an unknown or hostile id, a second close, a channel past its end, two closes
// at once, and a broker that refuses the start or the end.

#include "bantin/controller/live.hpp"
#include "bantin/controller/cluster.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/topics.hpp"
#include "fleet_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::RecordingSink;

namespace {

// A broker link that refuses every publish while `down` is set.
class SwitchableSink final : public MessageSink {
public:
    Result<void> publish(const std::string& topic, const std::string& payload,
                         const protocol::PublishOptions& options) override {
        if (down)
            return fail(Errc::Io, "mqtt: not connected");
        return recorded.publish(topic, payload, options);
    }
    std::atomic<bool> down{false};
    RecordingSink recorded;
};

struct LiveRestartRig : FleetFixture {
    LiveRestartRig() { live = make_service(sink); }

    static LiveOptions options() {
        LiveOptions options;
        options.icecast_url = "http://icecast.test:8000";
        options.source_password = "mat-khau";
        options.max_duration = std::chrono::minutes{60};
        return options;
    }
    std::unique_ptr<LiveService> make_service(MessageSink& into) {
        return std::make_unique<LiveService>(*store, clock, keys.secret, into, options());
    }
    // The controller stops and starts again: a new store connection and a new service.
    void restart(MessageSink& into) {
        live.reset();
        store.reset();
        auto reopened = SqliteStore::open(path(), clock);
        if (!reopened)
            FAIL(reopened.error().message());
        store = std::move(*reopened);
        live = make_service(into);
    }
    LiveRecord open(std::vector<std::string> zones, std::chrono::minutes length = std::chrono::minutes{30}) {
        LiveRequest request;
        request.zones = std::move(zones);
        request.level = scheduler::Level::Emergency;
        request.duration = length;
        auto opened = live->open(operator_one, std::move(request));
        if (!opened)
            FAIL(opened.error().message());
        return *opened;
    }
    std::vector<LiveRecord> listed() {
        auto channels = live->open_channels();
        REQUIRE(channels);
        return *channels;
    }
    bool stored(const std::string& id) {
        auto found = store->read_value<LiveChannelRecord>(
            [&](StoreTransaction& transaction) { return transaction.live_channel_by_id(id); });
        if (!found)
            CHECK(found.error().code == Errc::NotFound);
        return found.has_value();
    }

    SwitchableSink sink;
    std::unique_ptr<LiveService> live;
};

}  // namespace

TEST_CASE("a live channel opened before a restart is listed and closed by the restarted controller",
          "[controller][live]") {
    LiveRestartRig rig;
    const LiveRecord opened = rig.open({"zone-2", "zone-1"});

    RecordingSink after;
    rig.restart(after);
    const auto channels = rig.listed();
    REQUIRE(channels.size() == 1);
    CHECK(channels[0] == opened);  // the same start, mount, opener and source URL
    CHECK(channels[0].source_url ==
          "icecast://source:mat-khau@icecast.test:8000/" + opened.start.id + ".opus");

    auto closed = rig.live->close(rig.operator_two, opened.start.id);
    if (!closed)
        FAIL(closed.error().message());
    CHECK(closed->start == opened.start);
    for (const std::string zone : {"zone-1", "zone-2"}) {
        const auto sent = after.on(*protocol::live_zone_topic(zone));
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].options.retain == protocol::Retain::Yes);
        auto verified = protocol::verify_live(sent[0].payload, rig.trusted(), zone, rig.clock.wall());
        REQUIRE(verified);
        REQUIRE(std::holds_alternative<protocol::LiveEnd>(*verified));
        CHECK(std::get<protocol::LiveEnd>(*verified).live_id == opened.start.id);
    }
    CHECK(rig.listed().empty());
    CHECK_FALSE(rig.stored(opened.start.id));

    // Closing twice: the second finds nothing open and publishes nothing.
    auto again = rig.live->close(rig.operator_two, opened.start.id);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::NotFound);
    CHECK(after.messages.size() == 2);

    auto audit = rig.store->read_value<std::vector<AuditEntry>>([&](StoreTransaction& transaction) {
        return transaction.list_audit(AuditFilter{"live", opened.start.id, std::nullopt}, Page{});
    });
    REQUIRE(audit);
    REQUIRE(audit->size() == 2);
    CHECK((*audit)[0].action == "live.close");
    CHECK((*audit)[0].user_name == "operator-two");
    CHECK((*audit)[1].action == "live.open");
}

TEST_CASE("closing an unknown or hostile live id is NotFound and publishes nothing",
          "[controller][live][hostile]") {
    LiveRestartRig rig;
    const LiveRecord opened = rig.open({"zone-1"});
    const auto published = rig.sink.recorded.messages.size();
    for (const std::string& id : {std::string{}, std::string{"live-0000000000000000"}, std::string{"live-%"},
                                  std::string{"' OR '1'='1"}, std::string{"../" + opened.start.id},
                                  opened.start.id + " ", std::string(100'000, 'x')}) {
        CAPTURE(id.substr(0, 40));
        auto closed = rig.live->close(rig.operator_one, id);
        REQUIRE_FALSE(closed);
        CHECK(closed.error().code == Errc::NotFound);
    }
    CHECK(rig.sink.recorded.messages.size() == published);
    CHECK(rig.listed().size() == 1);  // the real channel is untouched
}

TEST_CASE("a live channel past its end is not listed, cannot be closed, and its row goes",
          "[controller][live]") {
    LiveRestartRig rig;
    const LiveRecord short_one = rig.open({"zone-1"}, std::chrono::minutes{1});
    const LiveRecord long_one = rig.open({"zone-2"}, std::chrono::minutes{10});
    const auto published = rig.sink.recorded.messages.size();
    rig.clock.advance(std::chrono::minutes{1});  // exactly its end: over

    RecordingSink after;
    rig.restart(after);
    const auto channels = rig.listed();
    REQUIRE(channels.size() == 1);
    CHECK(channels[0].start.id == long_one.start.id);
    CHECK_FALSE(rig.stored(short_one.start.id));  // the listing swept it
    auto closed = rig.live->close(rig.operator_one, short_one.start.id);
    REQUIRE_FALSE(closed);
    CHECK(closed.error().code == Errc::NotFound);
    CHECK(after.messages.empty());
    CHECK(rig.sink.recorded.messages.size() == published);

    // A channel that ends without being listed is swept by the close that comes too late.
    rig.clock.advance(std::chrono::minutes{9});
    REQUIRE_FALSE(rig.live->close(rig.operator_one, long_one.start.id));
    CHECK_FALSE(rig.stored(long_one.start.id));
    CHECK(after.messages.empty());
}

TEST_CASE("two closes of one live channel at once publish its end once", "[controller][live]") {
    LiveRestartRig rig;
    const LiveRecord opened = rig.open({"zone-1"});
    std::atomic<int> succeeded{0};
    std::atomic<int> not_found{0};
    std::vector<std::thread> closers;
    for (int i = 0; i < 4; ++i)
        closers.emplace_back([&] {
            auto closed = rig.live->close(rig.operator_one, opened.start.id);
            if (closed)
                ++succeeded;
            else if (closed.error().code == Errc::NotFound)
                ++not_found;
        });
    for (auto& closer : closers) closer.join();
    CHECK(succeeded == 1);
    CHECK(not_found == 3);
    CHECK(rig.sink.recorded.on(*protocol::live_zone_topic("zone-1")).size() == 2);  // start, one end
}

TEST_CASE(
    "a broker that refuses the start leaves no channel open, one that refuses the end keeps it closable",
    "[controller][live]") {
    LiveRestartRig rig;
    rig.sink.down = true;
    LiveRequest request;
    request.zones = {"zone-1"};
    auto refused = rig.live->open(rig.operator_one, request);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::Io);
    CHECK(rig.listed().empty());

    rig.sink.down = false;
    const LiveRecord opened = rig.open({"zone-1"});
    rig.sink.down = true;
    auto not_sent = rig.live->close(rig.operator_one, opened.start.id);
    REQUIRE_FALSE(not_sent);
    CHECK(not_sent.error().code == Errc::Io);
    REQUIRE(rig.listed().size() == 1);  // still open on the devices, so still closable

    rig.sink.down = false;
    REQUIRE(rig.live->close(rig.operator_one, opened.start.id));
    CHECK(rig.listed().empty());
}

TEST_CASE(
    "a live channel asked of a controller that does not hold the lease is refused before anything is stored",
    "[controller][live][cluster]") {
    LiveRestartRig rig;
    // A sink that cannot send itself (a LeaseGuardedSink on a non-holder, cluster.hpp).
    class NotHolding final : public MessageSink {
    public:
        Result<void> publish(const std::string&, const std::string&,
                             const protocol::PublishOptions&) override {
            ++published;
            return std::unexpected(not_publisher_error("test"));
        }
        bool publishes_directly() const override { return false; }
        int published = 0;
    } not_holding;
    auto live = rig.make_service(not_holding);
    LiveRequest request;
    request.zones = {"zone-1"};
    request.level = scheduler::Level::Emergency;
    request.duration = std::chrono::minutes{10};
    auto refused = live->open(rig.operator_one, request);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::Conflict);
    CHECK(not_holding.published == 0);
    auto channels = live->open_channels();
    REQUIRE(channels);
    CHECK(channels->empty());
    auto audit = rig.store->read_value<std::vector<AuditEntry>>([](StoreTransaction& transaction) {
        return transaction.list_audit(AuditFilter{}, Page{100, 0});
    });
    REQUIRE(audit);
    CHECK(std::none_of(audit->begin(), audit->end(),
                       [](const AuditEntry& entry) { return entry.action == "live.open"; }));
}
