#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <algorithm>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::store_on_postgresql;
using bantin::testing::StoreFixture;

namespace {

DeviceRecord device_record(const std::string& id, TimePoint now) {
    DeviceRecord record;
    record.device.id = id;
    record.device.kind = scheduler::DeviceKind::Speaker;
    record.device.zone = "zone-1";
    record.device.tags = {"market", "outdoor"};
    record.device.on_hours = {{5 * 60, 22 * 60}};
    record.device.quiet_hours = {{11 * 60 + 30, 13 * 60}};
    record.device.volume_schedule = {{{6 * 60, 8 * 60}, 60}};
    record.device.default_volume = 75;
    record.name = "Loa chợ";
    record.mqtt_password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA";
    record.created = now;
    return record;
}

}  // namespace

TEST_CASE("a device round-trips every field", "[controller][store][devices]") {
    StoreFixture fixture;
    fixture.add_content();
    DeviceRecord record = device_record("loa-cho", fixture.clock.wall());
    REQUIRE(fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.insert_device(record); }));

    record.desired_version = 5;
    record.desired_digest = "abc";
    record.applied_version = 4;
    record.last_status = R"({"state":"online"})";
    record.last_seen = fixture.clock.wall();
    record.online = true;
    REQUIRE(fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.update_device(record); }));

    auto loaded = fixture.store->read_value<DeviceRecord>(
        [](StoreTransaction& transaction) { return transaction.device_by_id("loa-cho"); });
    REQUIRE(loaded);
    CHECK(*loaded == record);
}

TEST_CASE("a device in an unknown zone is refused naming the zone", "[controller][store][devices]") {
    StoreFixture fixture;
    DeviceRecord record = device_record("loa-cho", fixture.clock.wall());
    record.device.zone = "atlantis";
    auto inserted = fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.insert_device(record); });
    REQUIRE_FALSE(inserted);
    CHECK(inserted.error().code == Errc::Conflict);
    CHECK_THAT(inserted.error().detail, Catch::Contains("atlantis"));
}

TEST_CASE("a campaign round-trips every field", "[controller][store][campaigns]") {
    StoreFixture fixture;
    fixture.add_content();
    User author = fixture.add_user("lan", Role::Editor);
    CampaignRecord record;
    record.campaign = StoreFixture::campaign("c-1");
    record.campaign.targets.kinds = {scheduler::DeviceKind::Speaker};
    record.campaign.targets.tags = {"market"};
    record.campaign.targets.device_ids = {"extra"};
    record.campaign.targets.exclude_device_ids = {"broken"};
    record.campaign.valid_from = std::chrono::year{2026} / 2 / 1;
    record.campaign.valid_to = std::chrono::year{2026} / 2 / 28;
    record.campaign.weekdays = 0b0011111;
    record.campaign.mode = scheduler::Mode::FixedTime;
    record.campaign.fixed_times = {6 * 60, 17 * 60 + 30};
    record.campaign.level = scheduler::Level::Priority;
    record.campaign.rank = 3;
    record.campaign.weight = 2;
    record.author = author.id;
    record.created = record.updated = fixture.clock.wall();
    REQUIRE(fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.insert_campaign(record); }));
    auto loaded = fixture.store->read_value<CampaignRecord>(
        [](StoreTransaction& transaction) { return transaction.campaign_by_id("c-1"); });
    REQUIRE(loaded);
    CHECK(*loaded == record);

    auto drafts = fixture.store->read_value<std::vector<CampaignRecord>>([](StoreTransaction& transaction) {
        return transaction.list_campaigns({scheduler::ApprovalState::Draft, std::nullopt}, {});
    });
    if (!drafts)
        FAIL(drafts.error().message());
    CHECK(drafts->size() == 1);
    auto approved = fixture.store->read_value<std::vector<CampaignRecord>>([](StoreTransaction& transaction) {
        return transaction.list_campaigns({scheduler::ApprovalState::Approved, std::nullopt}, {});
    });
    REQUIRE(approved);
    CHECK(approved->empty());
}

TEST_CASE("media is stored once per sha256", "[controller][store][media]") {
    StoreFixture fixture;
    MediaRecord audio;
    audio.media.sha256 = std::string(64, 'd');
    audio.media.type = scheduler::MediaType::Audio;
    audio.media.duration = Duration{4200};
    audio.size = 100;
    audio.created = fixture.clock.wall();
    MediaRecord notice;
    notice.media.sha256 = std::string(64, 'e');
    notice.media.type = scheduler::MediaType::Text;
    notice.media.duration = Duration{4200};
    notice.text = "Thông báo cắt điện";
    notice.tts_media = audio.media.sha256;
    notice.created = fixture.clock.wall();

    auto inserted = fixture.store->write_value<std::vector<bool>>(
        [&](StoreTransaction& transaction) -> Result<std::vector<bool>> {
            std::vector<bool> results;
            for (const auto* record : {&audio, &notice, &audio}) {
                auto result = transaction.insert_media(*record);
                if (!result)
                    return std::unexpected(result.error());
                results.push_back(*result);
            }
            return results;
        });
    REQUIRE(inserted);
    CHECK(*inserted == std::vector<bool>{true, true, false});
    auto loaded = fixture.store->read_value<MediaRecord>(
        [&](StoreTransaction& transaction) { return transaction.media_by_sha256(notice.media.sha256); });
    REQUIRE(loaded);
    CHECK(*loaded == notice);
}

TEST_CASE("a stream keeps its URL and filler and only a stream may have them", "[controller][store][media]") {
    StoreFixture fixture;
    MediaRecord filler;
    filler.media.sha256 = std::string(64, 'd');
    filler.media.type = scheduler::MediaType::Audio;
    filler.media.duration = Duration{4200};
    filler.size = 100;
    filler.created = fixture.clock.wall();
    MediaRecord stream;
    stream.media.sha256 = std::string(64, 'f');
    stream.media.type = scheduler::MediaType::Stream;
    stream.media.name = "VOV1";
    stream.media.url = "https://stream.example.vn/vov1.mp3";
    stream.media.filler = filler.media.sha256;
    stream.created = fixture.clock.wall();
    REQUIRE(fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        for (const auto* record : {&filler, &stream}) {
            auto result = transaction.insert_media(*record);
            if (!result)
                return std::unexpected(result.error());
        }
        return {};
    }));
    auto loaded = fixture.store->read_value<MediaRecord>(
        [&](StoreTransaction& transaction) { return transaction.media_by_sha256(stream.media.sha256); });
    REQUIRE(loaded);
    CHECK(*loaded == stream);
    auto listed = fixture.store->read_value<std::vector<MediaRecord>>(
        [](StoreTransaction& transaction) { return transaction.list_media({}); });
    REQUIRE(listed);
    CHECK(std::count(listed->begin(), listed->end(), stream) == 1);
    auto plain = fixture.store->read_value<MediaRecord>(
        [&](StoreTransaction& transaction) { return transaction.media_by_sha256(filler.media.sha256); });
    REQUIRE(plain);
    CHECK_FALSE(plain->media.url);
    CHECK_FALSE(plain->media.filler);

    // The schema keeps a URL off audio (INSERT OR IGNORE drops the row) and refuses a filler
    // that names no media.
    MediaRecord audio_with_url = filler;
    audio_with_url.media.sha256 = std::string(64, 'a');
    audio_with_url.media.url = "https://stream.example.vn/x.mp3";
    MediaRecord dangling = stream;
    dangling.media.sha256 = std::string(64, 'b');
    dangling.media.filler = std::string(64, 'c');
    for (const auto* record : {&audio_with_url, &dangling}) {
        INFO(record->media.sha256);
        auto inserted = fixture.store->write_value<bool>(
            [&](StoreTransaction& transaction) { return transaction.insert_media(*record); });
        CHECK((!inserted || !*inserted));
        auto found = fixture.store->read_value<MediaRecord>(
            [&](StoreTransaction& transaction) { return transaction.media_by_sha256(record->media.sha256); });
        REQUIRE_FALSE(found);
        CHECK(found.error().code == Errc::NotFound);
    }
}

TEST_CASE("a playlist update checks the version and replaces the items", "[controller][store][playlists]") {
    StoreFixture fixture;
    fixture.add_content();
    auto loaded = fixture.store->read_value<PlaylistRecord>(
        [](StoreTransaction& transaction) { return transaction.playlist_by_id("pl-1"); });
    REQUIRE(loaded);
    PlaylistRecord changed = *loaded;
    changed.playlist.items.push_back({std::string(64, 'b'), Duration{5000}, 3});
    auto updated = fixture.store->write_value<PlaylistRecord>(
        [&](StoreTransaction& transaction) { return transaction.update_playlist(changed, 1); });
    REQUIRE(updated);
    CHECK(updated->version == 2);
    auto stale = fixture.store->write_value<PlaylistRecord>(
        [&](StoreTransaction& transaction) { return transaction.update_playlist(changed, 1); });
    REQUIRE_FALSE(stale);
    CHECK(stale.error().code == Errc::Conflict);
    auto reloaded = fixture.store->read_value<PlaylistRecord>(
        [](StoreTransaction& transaction) { return transaction.playlist_by_id("pl-1"); });
    REQUIRE(reloaded);
    CHECK(reloaded->playlist.items.size() == 2);
    CHECK(reloaded->playlist.items[1].duration == Duration{5000});

    PlaylistRecord dangling = *reloaded;
    dangling.playlist.items.push_back({std::string(64, 'f'), std::nullopt, 1});
    auto refused = fixture.store->write_value<PlaylistRecord>(
        [&](StoreTransaction& transaction) { return transaction.update_playlist(dangling, 2); });
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().detail, Catch::Contains("items[2]"));
}

TEST_CASE("a failing write keeps nothing of what it did", "[controller][store][transactions]") {
    StoreFixture fixture;
    auto failed = fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        auto zone = transaction.insert_zone({"zone-9", "Nine"});
        if (!zone)
            return zone;
        return fail(Errc::Conflict, "changed my mind");
    });
    REQUIRE_FALSE(failed);
    auto zones = fixture.store->read_value<std::vector<ZoneRecord>>(
        [](StoreTransaction& transaction) { return transaction.list_zones(); });
    REQUIRE(zones);
    CHECK(zones->empty());
}

TEST_CASE("a read transaction cannot write", "[controller][store][transactions]") {
    StoreFixture fixture;
    auto written = fixture.store->read([](StoreTransaction& transaction) {
        return transaction.insert_zone({"zone-9", "Nine"});
    });
    REQUIRE_FALSE(written);
    CHECK_THAT(written.error().detail,
               Catch::Contains(store_on_postgresql ? "read-only transaction" : "readonly"));
    // And the connection is writable again afterwards.
    CHECK(fixture.store->write([](StoreTransaction& transaction) {
        return transaction.insert_zone({"zone-9", "Nine"});
    }));
}

TEST_CASE("an alert cannot be confirmed by its author or twice", "[controller][store][alerts]") {
    StoreFixture fixture;
    fixture.add_content();
    User first = fixture.add_user("op1", Role::Operator);
    User second = fixture.add_user("op2", Role::Operator);
    AlertRecord record;
    record.alert.id = "a-1";
    record.alert.zones = {"zone-1"};
    record.alert.issued = fixture.clock.wall();
    record.alert.expires = fixture.clock.wall() + std::chrono::hours{1};
    record.alert.headline = "Lũ";
    record.alert.text = "Nước lên nhanh";
    record.created_by = first.id;
    record.created = fixture.clock.wall();
    REQUIRE(fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.insert_alert(record); }));

    auto by_author = fixture.store->write([&](StoreTransaction& transaction) {
        return transaction.insert_alert_confirmation({"a-1", first.id, fixture.clock.wall()});
    });
    REQUIRE_FALSE(by_author);
    CHECK(by_author.error().code == Errc::PermissionDenied);

    REQUIRE(fixture.store->write([&](StoreTransaction& transaction) {
        return transaction.insert_alert_confirmation({"a-1", second.id, fixture.clock.wall()});
    }));
    auto twice = fixture.store->write([&](StoreTransaction& transaction) {
        return transaction.insert_alert_confirmation({"a-1", second.id, fixture.clock.wall()});
    });
    REQUIRE_FALSE(twice);
    CHECK(twice.error().code == Errc::AlreadyExists);

    auto active = fixture.store->read_value<std::vector<AlertRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_active_alerts(fixture.clock.wall()); });
    REQUIRE(active);
    REQUIRE(active->size() == 1);
    CHECK(active->at(0) == record);
    fixture.clock.advance(std::chrono::hours{1});
    auto later = fixture.store->read_value<std::vector<AlertRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_active_alerts(fixture.clock.wall()); });
    REQUIRE(later);
    CHECK(later->empty());
}

TEST_CASE("the audit log filters by entity and user, newest first, paged", "[controller][store][audit]") {
    StoreFixture fixture;
    User user = fixture.add_user("lan", Role::Editor);
    auto written = fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        for (int i = 0; i < 5; ++i) {
            AuditEntry entry;
            entry.user = i % 2 == 0 ? std::optional<UserId>{user.id} : std::nullopt;
            entry.user_name = i % 2 == 0 ? "lan" : "system";
            entry.at = fixture.clock.wall();
            entry.action = "thing.change";
            entry.entity_type = i < 3 ? "campaign" : "device";
            entry.entity_id = "id-" + std::to_string(i);
            entry.after = R"({"n":)" + std::to_string(i) + "}";
            auto appended = transaction.append_audit(entry);
            if (!appended)
                return std::unexpected(appended.error());
        }
        return {};
    });
    REQUIRE(written);
    auto list = [&](AuditFilter filter, Page page) {
        auto entries = fixture.store->read_value<std::vector<AuditEntry>>(
            [&](StoreTransaction& transaction) { return transaction.list_audit(filter, page); });
        if (!entries)
            FAIL(entries.error().message());
        return *entries;
    };
    CHECK(list({}, {}).size() == 5);
    CHECK(list({}, {}).front().entity_id == "id-4");
    CHECK(list({"campaign", "", std::nullopt}, {}).size() == 3);
    CHECK(list({"", "id-3", std::nullopt}, {}).size() == 1);
    CHECK(list({"", "", user.id}, {}).size() == 3);
    // A day's rows: from is inclusive, to exclusive.
    const TimePoint at = fixture.clock.wall();
    auto between = [&](std::optional<TimePoint> from, std::optional<TimePoint> to) {
        auto entries = fixture.store->read_value<std::vector<AuditEntry>>([&](StoreTransaction& transaction) {
            return transaction.list_audit_between({"campaign", "", std::nullopt}, from, to, Page{});
        });
        REQUIRE(entries);
        return entries->size();
    };
    CHECK(between(at, at + Duration{1}) == 3);
    CHECK(between(at + Duration{1}, std::nullopt) == 0);
    CHECK(between(std::nullopt, at) == 0);
    auto second_page = list({}, {2, 2});
    REQUIRE(second_page.size() == 2);
    CHECK(second_page[0].entity_id == "id-2");
}

TEST_CASE("a missing row is NotFound naming it", "[controller][store]") {
    StoreFixture fixture;
    auto missing = fixture.store->read_value<CampaignRecord>(
        [](StoreTransaction& transaction) { return transaction.campaign_by_id("nope"); });
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::NotFound);
    CHECK(missing.error().detail == "campaign \"nope\" not found");
}

TEST_CASE("the store database and its wal and shm files are readable by the owner only",
          "[controller][store][hostile][sqlite]") {
    StoreFixture fixture;
    fixture.add_user("reader", Role::Editor);
    for (const std::string& name : {fixture.path(), fixture.path() + "-wal", fixture.path() + "-shm"}) {
        struct stat status {};
        INFO(name);
        REQUIRE(::stat(name.c_str(), &status) == 0);
        CHECK((status.st_mode & 077) == 0);
    }
}

TEST_CASE("an open live channel is kept until it is deleted or its end passes", "[controller][store][live]") {
    StoreFixture fixture;
    const TimePoint now = fixture.clock.wall();
    auto channel = [&](const std::string& id, Duration length) {
        LiveChannelRecord record;
        record.start.id = id;
        record.start.zones = {"phuong-1", "phuong-2"};
        record.start.level = scheduler::Level::Emergency;
        record.start.url = "http://icecast.test:8000/" + id + ".opus";
        record.start.started_at = now;
        record.start.ends_at = now + length;
        record.mount = "/" + id + ".opus";
        record.opened_by = "Nguyễn Văn Nam";
        return record;
    };
    const auto long_one = channel("live-00000000000000aa", std::chrono::hours{1});
    const auto short_one = channel("live-00000000000000bb", std::chrono::minutes{1});
    REQUIRE(fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
        if (auto inserted = transaction.insert_live_channel(long_one); !inserted)
            return inserted;
        return transaction.insert_live_channel(short_one);
    }));
    auto again = fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.insert_live_channel(long_one); });
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::AlreadyExists);

    auto found = fixture.store->read_value<LiveChannelRecord>(
        [&](StoreTransaction& transaction) { return transaction.live_channel_by_id(long_one.start.id); });
    REQUIRE(found);
    CHECK(*found == long_one);  // every field round-trips

    auto listed = [&](TimePoint at) {
        auto channels = fixture.store->read_value<std::vector<LiveChannelRecord>>(
            [&](StoreTransaction& transaction) { return transaction.list_live_channels(at); });
        REQUIRE(channels);
        std::vector<std::string> ids;
        for (const auto& record : *channels) ids.push_back(record.start.id);
        return ids;
    };
    CHECK(listed(now) == std::vector<std::string>{long_one.start.id, short_one.start.id});
    // Past the short one's end it is not listed, and the sweep deletes it alone.
    CHECK(listed(now + std::chrono::minutes{1}) == std::vector<std::string>{long_one.start.id});
    auto swept = fixture.store->write_value<std::int64_t>([&](StoreTransaction& transaction) {
        return transaction.delete_live_channels_ended_by(now + std::chrono::minutes{1});
    });
    REQUIRE(swept);
    CHECK(*swept == 1);

    REQUIRE(fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.delete_live_channel(long_one.start.id); }));
    auto twice = fixture.store->write(
        [&](StoreTransaction& transaction) { return transaction.delete_live_channel(long_one.start.id); });
    REQUIRE_FALSE(twice);
    CHECK(twice.error().code == Errc::NotFound);
    CHECK(twice.error().detail == "live channel \"live-00000000000000aa\" not found");
    CHECK(listed(now).empty());
}

TEST_CASE("the live channel table refuses rows no service writes", "[controller][store][live][hostile]") {
    StoreFixture fixture;
    const TimePoint now = fixture.clock.wall();
    LiveChannelRecord good;
    good.start.id = "live-00000000000000cc";
    good.start.zones = {"phuong-1"};
    good.start.url = "http://icecast.test:8000/live-00000000000000cc.opus";
    good.start.started_at = now;
    good.start.ends_at = now + std::chrono::minutes{5};
    good.mount = "/live-00000000000000cc.opus";
    good.opened_by = "op";
    auto no_zone = good;
    no_zone.start.zones.clear();
    auto backwards = good;
    backwards.start.ends_at = now - std::chrono::seconds{1};
    auto no_url = good;
    no_url.start.url.clear();
    auto no_id = good;
    no_id.start.id.clear();
    for (const auto& bad : {no_zone, backwards, no_url, no_id}) {
        auto written = fixture.store->write(
            [&](StoreTransaction& transaction) { return transaction.insert_live_channel(bad); });
        CHECK_FALSE(written);
    }
    auto channels = fixture.store->read_value<std::vector<LiveChannelRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_live_channels(now); });
    REQUIRE(channels);
    CHECK(channels->empty());
}
