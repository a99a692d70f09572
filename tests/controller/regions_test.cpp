// Screen regions in the controller (docs/scheduling.md, "Regions"): a campaign's region, a
// screen's layout and a play's region are stored; bundles carry ticker campaigns only to
// screens with a ticker band, and a header's zone name and board address only to screens
// with a header.
#include "bantin/controller/bundle_builder.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/reports.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/scheduler/resolver.hpp"
#include "fleet_fixture.hpp"

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::StoreFixture;

namespace {

const std::string ticker_text_sha = std::string(64, '7');

// A text notice and a playlist of it, "pl-text".
void add_ticker_text(StoreFixture& fixture) {
    auto done = fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        MediaRecord media;
        media.media.sha256 = ticker_text_sha;
        media.media.type = scheduler::MediaType::Text;
        media.media.duration = Duration{12'000};
        media.media.name = "Chợ phiên sáng chủ nhật";
        media.text = "Chợ phiên sáng chủ nhật.";
        media.size = 40;
        media.created = fixture.clock.wall();
        if (auto inserted = transaction.insert_media(media); !inserted)
            return std::unexpected(inserted.error());
        PlaylistRecord playlist;
        playlist.playlist.id = "pl-text";
        playlist.playlist.items.push_back({ticker_text_sha, std::nullopt, 1});
        playlist.created = playlist.updated = fixture.clock.wall();
        return transaction.insert_playlist(playlist);
    });
    if (!done)
        FAIL(done.error().message());
}

DeviceRecord banded_screen(FleetFixture& fixture, const std::string& id, scheduler::ScreenLayout layout) {
    DeviceRecord record = fixture.add_device(id, "zone-1");
    record.device.layout = layout;
    auto done = fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.update_device(record); });
    if (!done)
        FAIL(done.error().message());
    return fixture.device(id);
}

}  // namespace

TEST_CASE("regions: a campaign's region and a screen's layout are stored", "[controller][store][regions]") {
    StoreFixture fixture;
    fixture.add_content();
    User author = fixture.add_user("lan", Role::Editor);
    CampaignRecord record;
    record.campaign = StoreFixture::campaign("c-ticker");
    record.campaign.region = scheduler::Region::Ticker;
    record.author = author.id;
    record.created = record.updated = fixture.clock.wall();
    REQUIRE(fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.insert_campaign(record); }));
    auto loaded = fixture.store->read_value<CampaignRecord>(
        [](StoreTransaction& transaction) { return transaction.campaign_by_id("c-ticker"); });
    REQUIRE(loaded);
    CHECK(loaded->campaign.region == scheduler::Region::Ticker);
    CHECK(*loaded == record);
    // An edit keeps it, and can set it back.
    record.campaign.region = scheduler::Region::Main;
    auto updated = fixture.store->write_value<CampaignRecord>(
        [&](StoreTransaction& transaction) { return transaction.update_campaign(record, 1); });
    REQUIRE(updated);
    auto reloaded = fixture.store->read_value<CampaignRecord>(
        [](StoreTransaction& transaction) { return transaction.campaign_by_id("c-ticker"); });
    REQUIRE(reloaded);
    CHECK(reloaded->campaign.region == scheduler::Region::Main);

    DeviceRecord device;
    device.device.id = "man-hinh-cho";
    device.device.zone = "zone-1";
    device.device.layout = scheduler::ScreenLayout{80, 120};
    device.mqtt_password_hash = "$7$101$unused$unused";
    device.created = fixture.clock.wall();
    REQUIRE(fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.insert_device(device); }));
    auto stored = fixture.store->read_value<DeviceRecord>(
        [](StoreTransaction& transaction) { return transaction.device_by_id("man-hinh-cho"); });
    REQUIRE(stored);
    CHECK(stored->device.layout == scheduler::ScreenLayout{80, 120});
    CHECK(*stored == device);
}

TEST_CASE("regions: the store refuses a layout no screen can draw", "[controller][store][regions][hostile]") {
    StoreFixture fixture;
    fixture.add_content();
    for (const auto layout : {scheduler::ScreenLayout{501, 0}, scheduler::ScreenLayout{0, -1},
                              scheduler::ScreenLayout{400, 300}}) {
        DeviceRecord device;
        device.device.id = "man-hinh";
        device.device.zone = "zone-1";
        device.device.layout = layout;
        device.mqtt_password_hash = "$7$101$unused$unused";
        device.created = fixture.clock.wall();
        CHECK_FALSE(fixture.store->write(
            [&](StoreTransaction& transaction) { return transaction.insert_device(device); }));
    }
}

TEST_CASE("regions: a play's region is stored with its row", "[controller][store][regions][proof]") {
    StoreFixture fixture;
    auto row = [&](std::int64_t seq, scheduler::Region region) {
        ProofOfPlayRow play;
        play.device = "man-hinh-cho";
        play.install_epoch = 1;
        play.seq = seq;
        play.campaign = "chu-chay";
        play.media = ticker_text_sha;
        play.started = fixture.clock.wall() + std::chrono::seconds{seq};
        play.ended = play.started + std::chrono::seconds{1};
        play.duration_ms = 1000;
        play.region = region;
        return play;
    };
    const std::vector<ProofOfPlayRow> rows{row(1, scheduler::Region::Ticker),
                                           row(2, scheduler::Region::Main)};
    REQUIRE(fixture.store->write_value<std::vector<ProofProgress>>([&](StoreTransaction& transaction) {
        return transaction.insert_proof_of_play(rows, fixture.clock.wall());
    }));
    auto listed = fixture.store->read_value<std::vector<ProofOfPlayRow>>([&](StoreTransaction& transaction) {
        return transaction.list_proof_of_play(fixture.clock.wall(),
                                              fixture.clock.wall() + std::chrono::hours{1});
    });
    REQUIRE(listed);
    REQUIRE(listed->size() == 2);
    CHECK((*listed)[0].region == scheduler::Region::Ticker);
    CHECK((*listed)[1].region == scheduler::Region::Main);
}

TEST_CASE("regions: a bundle carries ticker campaigns only to screens with a ticker band",
          "[controller][bundle][regions]") {
    FleetFixture fixture;
    add_ticker_text(fixture);
    const DeviceRecord plain = fixture.add_device("man-hinh-1", "zone-1");
    const DeviceRecord banded = banded_screen(fixture, "man-hinh-2", scheduler::ScreenLayout{80, 100});
    const DeviceRecord speaker = fixture.add_device("loa-1", "zone-1", scheduler::DeviceKind::Speaker);
    fixture.approve_campaign("main-1", {"zone-1"});
    scheduler::Campaign crawl = StoreFixture::campaign("chu-chay", "pl-text");
    crawl.region = scheduler::Region::Ticker;
    fixture.approve_campaign(crawl);
    auto inputs = fixture.store->read_value<BundleInputs>(
        [&](StoreTransaction& transaction) { return load_bundle_inputs(transaction, fixture.clock.wall()); });
    REQUIRE(inputs);

    const auto campaign_ids = [](const protocol::Bundle& bundle) {
        std::vector<std::string> ids;
        for (const auto& campaign : bundle.model.campaigns) ids.push_back(campaign.id);
        return ids;
    };
    const auto with_band = build_bundle(*inputs, banded.device, "http://x", "https://bang-tin.example/");
    CHECK(campaign_ids(with_band) == std::vector<std::string>{"chu-chay", "main-1"});
    CHECK(std::ranges::any_of(with_band.manifest, [](const protocol::MediaEntry& entry) {
        return entry.sha256 == ticker_text_sha;
    }));
    const auto without_band = build_bundle(*inputs, plain.device, "http://x", "https://bang-tin.example/");
    CHECK(campaign_ids(without_band) == std::vector<std::string>{"main-1"});
    CHECK(std::ranges::none_of(without_band.manifest, [](const protocol::MediaEntry& entry) {
        return entry.sha256 == ticker_text_sha;
    }));
    const auto on_speaker = build_bundle(*inputs, speaker.device, "http://x", "https://bang-tin.example/");
    CHECK(campaign_ids(on_speaker) == std::vector<std::string>{"main-1"});

    // The banded screen's bundle resolves its ticker region from the ticker campaign.
    auto resolver = scheduler::Resolver::create(with_band.model);
    REQUIRE(resolver);
    const TimePoint from = fixture.clock.wall();
    auto ticker = resolver->resolve(with_band.model.devices[0], from, from + std::chrono::hours{24},
                                    scheduler::Region::Ticker);
    REQUIRE(ticker);
    REQUIRE_FALSE(ticker->empty());
    CHECK(ticker->front().source_id == "chu-chay");
}

TEST_CASE("regions: a screen with a header gets its zone's name and board address, others neither",
          "[controller][bundle][regions]") {
    FleetFixture fixture;
    auto renamed = fixture.store->write([](StoreTransaction& transaction) {
        return transaction.update_zone(ZoneRecord{"zone-1", "X\u00e3 T\u00e2n Uy\u00ean"});
    });
    REQUIRE(renamed);
    const DeviceRecord header = banded_screen(fixture, "man-hinh-2", scheduler::ScreenLayout{80, 0});
    const DeviceRecord plain = fixture.add_device("man-hinh-1", "zone-1");
    auto inputs = fixture.store->read_value<BundleInputs>(
        [&](StoreTransaction& transaction) { return load_bundle_inputs(transaction, fixture.clock.wall()); });
    REQUIRE(inputs);

    const auto with_header = build_bundle(*inputs, header.device, "http://x", "https://bang-tin.example//");
    CHECK(with_header.model.devices[0].zone_name == "X\u00e3 T\u00e2n Uy\u00ean");
    CHECK(with_header.model.devices[0].board_url == "https://bang-tin.example/cong-khai/zone-1");
    CHECK(scheduler::validate(with_header.model));
    const auto no_board = build_bundle(*inputs, header.device, "http://x");
    CHECK(no_board.model.devices[0].zone_name == "X\u00e3 T\u00e2n Uy\u00ean");
    CHECK(no_board.model.devices[0].board_url.empty());

    // A device without a header: its bundle's bytes are those of a controller made before regions.
    const auto without = build_bundle(*inputs, plain.device, "http://x", "https://bang-tin.example");
    const std::string bytes = protocol::encode(without);
    for (const char* field : {"zone_name", "board_url", "layout", "region"}) {
        INFO(field);
        CHECK(bytes.find(field) == std::string::npos);
    }

    // A zone name longer than a device may hold is cut at a character boundary.
    std::string long_name;
    while (long_name.size() < 250) long_name += "\u1ec7";  // 3 bytes each
    inputs->zone_names["zone-1"] = long_name;
    const auto cut = build_bundle(*inputs, header.device, "http://x");
    CHECK(cut.model.devices[0].zone_name.size() == 198);
    CHECK(scheduler::validate(cut.model));
}

TEST_CASE("regions: ticker lines are planned and delivered plays of their campaign",
          "[controller][reports][regions]") {
    FleetFixture fixture;
    add_ticker_text(fixture);
    banded_screen(fixture, "man-hinh-2", scheduler::ScreenLayout{0, 100});
    fixture.add_device("man-hinh-1", "zone-1");  // no ticker band: nothing planned there
    scheduler::Campaign crawl = StoreFixture::campaign("chu-chay", "pl-text");  // 06:00-22:00 local
    crawl.region = scheduler::Region::Ticker;
    fixture.approve_campaign(crawl);
    // 07:00-08:00 local (00:00-01:00 UTC): 3600 s / 12 s = 300 lines planned on the banded screen.
    auto from = parse_utc("2026-11-27T00:00:00Z");
    REQUIRE(from);
    const ReportRange hour{*from, *from + std::chrono::hours{1}};
    std::vector<ProofOfPlayRow> rows;
    for (int i = 0; i < 270; ++i) {
        ProofOfPlayRow row;
        row.device = "man-hinh-2";
        row.install_epoch = 1;
        row.seq = i + 1;
        row.campaign = "chu-chay";
        row.media = ticker_text_sha;
        row.started = hour.from + std::chrono::seconds{12 * i};
        row.ended = row.started + std::chrono::seconds{12};
        row.duration_ms = 12'000;
        row.region = scheduler::Region::Ticker;
        rows.push_back(row);
    }
    REQUIRE(fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        auto inserted = transaction.insert_proof_of_play(rows, fixture.clock.wall());
        if (!inserted)
            return std::unexpected(inserted.error());
        return {};
    }));
    fixture.clock.set_wall(hour.to);
    auto query = fixture.proof_query();
    REQUIRE(query);
    ReportService reports{*fixture.store, *query, nullptr, fixture.clock};
    auto delivery = reports.delivery(hour);
    REQUIRE(delivery);
    REQUIRE(delivery->size() == 1);
    CHECK((*delivery)[0].campaign == "chu-chay");
    CHECK((*delivery)[0].planned == 300);
    CHECK((*delivery)[0].delivered == 270);
    auto plays = reports.plays(hour);
    REQUIRE(plays);
    REQUIRE(plays->size() == 1);
    CHECK((*plays)[0].completed == 270);
}

TEST_CASE("regions: after a zone is renamed only the bundles of screens with a header change",
          "[controller][publisher][regions]") {
    FleetFixture fixture;
    banded_screen(fixture, "man-hinh-2", scheduler::ScreenLayout{80, 0});
    fixture.add_device("man-hinh-1", "zone-1");
    testing::RecordingSink sink;
    PublisherOptions options;
    options.board_base_url = "https://bang-tin.example";
    Publisher publisher{*fixture.store, fixture.clock, fixture.keys.secret, sink, options};
    REQUIRE(publisher.rebuild_all());
    REQUIRE(fixture.store->write([](StoreTransaction& transaction) {
        return transaction.update_zone(ZoneRecord{"zone-1", "Phường 1"});
    }));
    auto report = publisher.rebuild_all(Publisher::Scope::Changed);
    REQUIRE(report);
    CHECK(report->published == std::vector<std::string>{"man-hinh-2"});
    auto bundle = protocol::verify_bundle(sink.messages.back().payload, fixture.trusted(), "man-hinh-2", 1,
                                          fixture.clock.wall());
    REQUIRE(bundle);
    CHECK(bundle->model.devices[0].zone_name == "Phường 1");
    CHECK(bundle->model.devices[0].board_url == "https://bang-tin.example/cong-khai/zone-1");
}
