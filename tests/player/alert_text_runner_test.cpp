// One alert message for screens and speakers alike (the zone topics are shared): a screen
// shows its text notice, a speaker plays the notice's linked speech audio.

#include "bantin/player/runner.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

using namespace bantin;
using namespace bantin::player;

namespace {

const std::string text_sha = std::string(64, 'e');
const std::string speech_sha = std::string(64, 'd');
const std::string words = "Bão số 9 đổ bộ\n\nNgười dân không ra khỏi nhà từ 12 giờ.";

TimePoint issued_at() {
    return *parse_utc("2026-11-27T05:30:00Z");
}

// The message the controller publishes for a text-only alert: [text notice], its speech beside it.
protocol::AlertMessage text_alert() {
    protocol::AlertMessage message;
    message.alert.id = "canh-bao-bao-so-9";
    message.alert.zones = {"phuong-1"};
    message.alert.severity = scheduler::Severity::Extreme;
    message.alert.issued = issued_at();
    message.alert.expires = issued_at() + std::chrono::hours{1};
    message.alert.headline = "Bão số 9 đổ bộ";
    message.alert.text = "Người dân không ra khỏi nhà từ 12 giờ.";
    message.alert.playlist = "alert-canh-bao-bao-so-9";
    message.alert.repeat = scheduler::RepeatPolicy{2, std::chrono::minutes{0}};
    message.playlist.id = message.alert.playlist;
    message.playlist.items = {scheduler::PlaylistItem{text_sha, std::nullopt, 1}};
    scheduler::MediaRef text;
    text.sha256 = text_sha;
    text.type = scheduler::MediaType::Text;
    text.duration = Duration{12'000};
    text.speech = speech_sha;
    scheduler::MediaRef speech;
    speech.sha256 = speech_sha;
    speech.type = scheduler::MediaType::Audio;
    speech.duration = Duration{12'000};
    message.media = {speech, text};
    message.manifest = {
        protocol::MediaEntry{speech_sha, 9000, scheduler::MediaType::Audio, Duration{12'000},
                             "http://c/" + speech_sha},
        protocol::MediaEntry{text_sha, words.size(), scheduler::MediaType::Text, Duration{12'000},
                             "http://c/" + text_sha},
    };
    return message;
}

// A media cache on disk holding both files; the locator finds them by digest, as the cache does.
class CacheOnDisk {
public:
    CacheOnDisk() {
        std::random_device random;
        m_root = std::filesystem::temp_directory_path() / ("bantin-alert-text-" + std::to_string(random()));
        std::filesystem::create_directories(m_root);
        write(text_sha, words);
        write(speech_sha, "OggS not really audio");
    }
    ~CacheOnDisk() {
        std::error_code ignored;
        std::filesystem::remove_all(m_root, ignored);
    }
    CacheOnDisk(const CacheOnDisk&) = delete;
    CacheOnDisk& operator=(const CacheOnDisk&) = delete;

    EntryFeeder::Locator locator() const {
        return [this](std::string_view sha256) -> std::optional<std::filesystem::path> {
            auto path = m_root / std::string(sha256);
            if (!std::filesystem::exists(path))
                return std::nullopt;
            return path;
        };
    }
    std::filesystem::path path_of(const std::string& sha256) const { return m_root / sha256; }

private:
    void write(const std::string& sha256, const std::string& bytes) {
        std::ofstream out{m_root / sha256, std::ios::binary};
        out << bytes;
    }
    std::filesystem::path m_root;
};

Plan plan_for(scheduler::DeviceKind kind, const protocol::Bundle* bundle = nullptr) {
    auto plan = Plan::create(bundle, {text_alert()}, {}, {"device-1", "phuong-1", kind});
    if (!plan)
        FAIL(plan.error().detail);
    return std::move(*plan);
}

std::vector<PlayItem> items_of(const Plan& plan, const CacheOnDisk& cache) {
    auto entries = plan.entries(issued_at(), issued_at() + std::chrono::minutes{5});
    REQUIRE(entries);
    EntryFeeder feeder;
    std::vector<std::string> missing;
    auto items = feeder.make_items(plan, *entries, cache.locator(), &missing);
    CHECK(missing.empty());
    return items;
}

}  // namespace

TEST_CASE("a screen shows an alert's text notice", "[runner][alert][speech]") {
    CacheOnDisk cache;
    const Plan plan = plan_for(scheduler::DeviceKind::Screen);
    const auto items = items_of(plan, cache);
    REQUIRE(items.size() == 2);  // repeat count 2
    for (const auto& item : items) {
        CHECK(item.type == scheduler::MediaType::Text);
        CHECK(item.text == words);
        CHECK(item.location.empty());  // rendered by the engine's NoticeRenderer
        CHECK(item.planned_end - item.planned_start == std::chrono::seconds{12});
        // Drawn as an alert: the extreme alert's red under its band, never a notice's blue.
        CHECK(item.look == NoticeLook{NoticeKind::Alert, scheduler::Severity::Extreme});
        // Its header: the local day (12:30 in Vietnam); no zone name in the bundle, so no place
        // (a zone id is not for residents).
        CHECK(item.header.place.empty());
        CHECK(item.header.date == "Thứ Sáu, 27/11/2026");
    }
    auto needed = plan.needed_media(issued_at(), issued_at() + std::chrono::minutes{5});
    REQUIRE(needed);
    CHECK(*needed == std::set<std::string>{text_sha});
}

TEST_CASE("a notice's header names the zone by its name, and is left to a screen's live header band",
          "[runner][alert][speech][header]") {
    CacheOnDisk cache;
    protocol::Bundle bundle;
    bundle.device = "device-1";
    bundle.version = 1;
    bundle.issued_at = issued_at() - std::chrono::hours{1};
    bundle.expires_at = issued_at() + std::chrono::hours{24};
    scheduler::Device device;
    device.id = "device-1";
    device.kind = scheduler::DeviceKind::Screen;
    device.zone = "phuong-1";
    device.zone_name = "Phường Uyên Hưng";
    bundle.model.devices = {device};
    const Plan named = plan_for(scheduler::DeviceKind::Screen, &bundle);
    for (const auto& item : items_of(named, cache)) {
        CHECK(item.header.place == "Phường Uyên Hưng");
        CHECK(item.header.date == "Thứ Sáu, 27/11/2026");
    }
    bundle.model.devices.front().layout.header_permille = 80;
    const Plan banded = plan_for(scheduler::DeviceKind::Screen, &bundle);
    for (const auto& item : items_of(banded, cache)) {
        CHECK(item.header.place.empty());
        CHECK(item.header.date.empty());
        CHECK(item.look == NoticeLook{NoticeKind::Alert, scheduler::Severity::Extreme});  // still an alert
    }
}

TEST_CASE("a speaker plays the same alert's text notice as its speech audio", "[runner][alert][speech]") {
    CacheOnDisk cache;
    const Plan plan = plan_for(scheduler::DeviceKind::Speaker);
    const auto items = items_of(plan, cache);
    REQUIRE(items.size() == 2);
    for (const auto& item : items) {
        CHECK(item.type == scheduler::MediaType::Audio);
        CHECK(item.text.empty());
        CHECK(item.location == cache.path_of(speech_sha).string());
        CHECK(item.planned_end - item.planned_start == std::chrono::seconds{12});  // the text's length
    }
    auto needed = plan.needed_media(issued_at(), issued_at() + std::chrono::minutes{5});
    REQUIRE(needed);
    CHECK(*needed == std::set<std::string>{speech_sha});
    CHECK_FALSE(plan.media_type(text_sha));  // the notice itself is not part of a speaker's plan
}

TEST_CASE("a speaker with a bundle still speaks the alert's text notice", "[runner][alert][speech]") {
    CacheOnDisk cache;
    protocol::Bundle bundle;
    bundle.device = "device-1";
    bundle.version = 4;
    scheduler::Device speaker;
    speaker.id = "device-1";
    speaker.zone = "phuong-1";
    speaker.kind = scheduler::DeviceKind::Speaker;
    bundle.model.devices = {speaker};
    const Plan plan = plan_for(scheduler::DeviceKind::Speaker, &bundle);
    const auto items = items_of(plan, cache);
    REQUIRE_FALSE(items.empty());
    CHECK(items.front().type == scheduler::MediaType::Audio);
    CHECK(items.front().location == cache.path_of(speech_sha).string());
}

TEST_CASE("a screen with a speaker shows the alert's text and plays its speech under it",
          "[runner][alert][speech]") {
    CacheOnDisk cache;
    protocol::Bundle bundle;
    bundle.device = "device-1";
    bundle.version = 4;
    scheduler::Device screen;
    screen.id = "device-1";
    screen.zone = "phuong-1";
    screen.kind = scheduler::DeviceKind::Screen;
    screen.has_speaker = true;
    bundle.model.devices = {screen};
    const Plan plan = plan_for(scheduler::DeviceKind::Screen, &bundle);
    const auto items = items_of(plan, cache);
    REQUIRE(items.size() == 2);
    for (const auto& item : items) {
        CHECK(item.type == scheduler::MediaType::Text);
        CHECK(item.text == words);
        CHECK(item.location.empty());
        CHECK(item.audio_location == cache.path_of(speech_sha).string());
    }
    auto needed = plan.needed_media(issued_at(), issued_at() + std::chrono::minutes{5});
    REQUIRE(needed);
    CHECK(*needed == std::set<std::string>{text_sha, speech_sha});
}

TEST_CASE("a screen without a speaker shows the alert's text silently", "[runner][alert][speech]") {
    CacheOnDisk cache;
    const Plan plan = plan_for(scheduler::DeviceKind::Screen);
    for (const auto& item : items_of(plan, cache)) CHECK(item.audio_location.empty());
    CHECK_FALSE(plan.speech_under_slide(text_sha));
}

TEST_CASE("a cancelled alert that the active bundle still carries plays no more", "[runner][alert]") {
    // The bundle built while the alert was active carries it; the cancel reaches the device
    // before the next bundle can activate (a full state disk holds that one back).
    const auto message = text_alert();
    protocol::Bundle bundle;
    bundle.device = "device-1";
    bundle.version = 7;
    scheduler::Device screen;
    screen.id = "device-1";
    screen.zone = "phuong-1";
    screen.kind = scheduler::DeviceKind::Screen;
    bundle.model.devices = {screen};
    bundle.model.alerts = {message.alert};
    bundle.model.playlists = {message.playlist};
    bundle.model.media = message.media;
    const DeviceIdentity identity{"device-1", "phuong-1", scheduler::DeviceKind::Screen};
    auto alert_entries = [&](const LocalInterlocks& interlocks) {
        auto plan = Plan::create(&bundle, {}, interlocks, identity);
        REQUIRE(plan);
        auto entries = plan->entries(issued_at(), issued_at() + std::chrono::minutes{5});
        REQUIRE(entries);
        return std::count_if(entries->begin(), entries->end(), [&](const scheduler::TimelineEntry& entry) {
            return entry.source_kind == scheduler::SourceKind::Alert && entry.source_id == message.alert.id;
        });
    };
    CHECK(alert_entries({}) == 2);  // two passes
    LocalInterlocks cancelled;
    cancelled.cancelled_alerts = {message.alert.id};
    CHECK(alert_entries(cancelled) == 0);

    // The same for a copy that came as an alert message (retained) beside the bundle.
    auto plan = Plan::create(nullptr, {message}, cancelled, identity);
    REQUIRE(plan);
    auto entries = plan->entries(issued_at(), issued_at() + std::chrono::minutes{5});
    REQUIRE(entries);
    CHECK(entries->empty());
}
