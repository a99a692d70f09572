#include "bantin/scheduler/conflicts.hpp"

#include "model_builder.hpp"

#include <algorithm>
#include <iterator>

using namespace bantin;
using namespace bantin::scheduler;
using namespace bantin::scheduler::testing;

namespace {

const std::chrono::year_month_day monday{std::chrono::year{2026}, std::chrono::November,
                                         std::chrono::day{23}};

std::vector<Conflict> conflicts_of(const Model& model, std::string_view campaign) {
    const auto resolver = make_resolver(model, ResolveOptions{true});
    auto result = find_conflicts(resolver, campaign, monday, 7);
    REQUIRE(result);
    return *result;
}

std::size_t count(const std::vector<Conflict>& conflicts, ConflictKind kind) {
    return static_cast<std::size_t>(std::count_if(conflicts.begin(), conflicts.end(),
                                                  [kind](const Conflict& c) { return c.kind == kind; }));
}

}  // namespace

TEST_CASE("conflict: two fixed-time campaigns of one level collide on a speaker", "[conflicts]") {
    Model model = town();
    model.playlists = {playlist("p", {item(audio), item(audio)})};
    model.campaigns = {fixed("news", "p", {6 * 60}), fixed("weather", "p", {6 * 60})};
    model.campaigns[0].targets.kinds = {DeviceKind::Speaker};
    model.campaigns[1].targets.kinds = {DeviceKind::Speaker};
    model.campaigns[1].approval = ApprovalState::Draft;
    const auto conflicts = conflicts_of(model, "weather");
    REQUIRE(count(conflicts, ConflictKind::FixedTimeCollision) == 1);
    const auto& collision = conflicts.front();
    CHECK(collision.other_campaign == "news");
    CHECK(collision.device == "spk-1");
    CHECK(collision.severity == ConflictSeverity::Error);
    CHECK(collision.at == hcm(6));
}

TEST_CASE("conflict: fixed-time campaigns of different levels do not collide", "[conflicts]") {
    Model model = town();
    model.playlists = {playlist("p", {item(audio)})};
    model.campaigns = {fixed("news", "p", {6 * 60}), fixed("urgent", "p", {6 * 60}, Level::Emergency)};
    CHECK(count(conflicts_of(model, "urgent"), ConflictKind::FixedTimeCollision) == 0);
}

TEST_CASE("conflict: fixed-time runs of one level but different ranks: the higher cuts the lower",
          "[conflicts]") {
    Model model = town();
    model.playlists = {playlist("p", {item(audio), item(audio)})};
    model.campaigns = {fixed("news", "p", {6 * 60}), fixed("weather", "p", {6 * 60})};
    model.campaigns[1].rank = 2;
    for (auto& campaign : model.campaigns) {
        campaign.targets.kinds = {DeviceKind::Speaker};
    }
    const auto conflicts = conflicts_of(model, "weather");
    REQUIRE(count(conflicts, ConflictKind::FixedTimeCollision) == 1);
    // Not an error as for equal ranks (where one defers): the precedence is explicit.
    CHECK(conflicts.front().severity == ConflictSeverity::Warning);
    CHECK(conflicts.front().message.find("rank 2") != std::string::npos);
    CHECK(conflicts.front().message.find("cuts") != std::string::npos);
}

TEST_CASE("conflict: fixed-time collisions across midnight are found", "[conflicts]") {
    Model model = town();
    model.playlists = {playlist("p-long", {item(audio, 10 * 60)}), playlist("p", {item(audio)})};
    model.campaigns = {fixed("late", "p-long", {23 * 60 + 55}), fixed("midnight", "p", {0})};
    for (auto& campaign : model.campaigns) {
        campaign.targets.kinds = {DeviceKind::Speaker};
    }
    // 23:55 + 10 min overlaps the next day's 00:00, seen from either campaign.
    const auto from_midnight = conflicts_of(model, "midnight");
    REQUIRE(count(from_midnight, ConflictKind::FixedTimeCollision) == 1);
    const auto collision = *std::find_if(from_midnight.begin(), from_midnight.end(), [](const Conflict& c) {
        return c.kind == ConflictKind::FixedTimeCollision;
    });
    CHECK(collision.other_campaign == "late");
    CHECK(collision.severity == ConflictSeverity::Error);
    CHECK(collision.message.find("midnight") != std::string::npos);
    const auto from_late = conflicts_of(model, "late");
    REQUIRE(count(from_late, ConflictKind::FixedTimeCollision) == 1);
    CHECK(std::find_if(from_late.begin(), from_late.end(), [](const Conflict& c) {
              return c.kind == ConflictKind::FixedTimeCollision;
          })->at == hcm(23, 55));
}

TEST_CASE("conflict: a fixed-time run that crosses midnight is cut there", "[conflicts]") {
    Model model = town();
    model.playlists = {playlist("p-long", {item(audio, 10 * 60)})};
    model.campaigns = {fixed("late", "p-long", {23 * 60 + 55})};
    const auto conflicts = conflicts_of(model, "late");
    REQUIRE(count(conflicts, ConflictKind::FixedTimeOverrun) == 1);
    CHECK(conflicts.front().message.find("midnight") != std::string::npos);
}

TEST_CASE("conflict: a higher-rank loop covering all of a lower campaign's time shadows it", "[conflicts]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10)})};
    Campaign promo = loop("promo", "p");
    promo.windows = {{8 * 60, 10 * 60}};
    Campaign notice = loop("notice", "p", Level::Normal, 1);
    notice.windows = {{7 * 60, 12 * 60}};
    Campaign ad = share("ad", "p", 4);
    ad.windows = {{9 * 60, 11 * 60}};
    Campaign bulletin = fixed("bulletin", "p", {23 * 60});
    for (auto* campaign : {&promo, &notice, &ad, &bulletin}) {
        campaign->targets.kinds = {DeviceKind::Screen};
    }
    model.campaigns = {promo, notice, ad, bulletin};
    const auto shadowed = [](const std::vector<Conflict>& conflicts) {
        std::vector<Conflict> out;
        std::copy_if(conflicts.begin(), conflicts.end(), std::back_inserter(out),
                     [](const Conflict& c) { return c.kind == ConflictKind::Shadowed; });
        return out;
    };

    SECTION("the lower loop, and share of voice, never play: reported on the shadowed campaign") {
        const auto promo_conflicts = shadowed(conflicts_of(model, "promo"));
        REQUIRE(promo_conflicts.size() == 1);
        CHECK(promo_conflicts[0].campaign == "promo");
        CHECK(promo_conflicts[0].other_campaign == "notice");
        CHECK(promo_conflicts[0].device == "scr-1");
        CHECK(promo_conflicts[0].severity == ConflictSeverity::Error);
        REQUIRE(shadowed(conflicts_of(model, "ad")).size() == 1);
        // The 23:00 run waits for a stretch that never comes only if a higher loop is open
        // until the end of the device's hours; here nothing is, so it plays.
        CHECK(shadowed(conflicts_of(model, "bulletin")).empty());
    }
    SECTION("and on the campaign that shadows them") {
        const auto notice_conflicts = shadowed(conflicts_of(model, "notice"));
        REQUIRE(notice_conflicts.size() == 2);
        CHECK(notice_conflicts[0].campaign == "notice");
        CHECK(notice_conflicts[0].other_campaign == "promo");
        CHECK(notice_conflicts[1].other_campaign == "ad");
    }
    SECTION("partial cover is not shadowing") {
        model.campaigns[1].windows = {{9 * 60, 12 * 60}};
        CHECK(shadowed(conflicts_of(model, "promo")).empty());
    }
    SECTION("equal rank shares time instead") {
        model.campaigns[1].rank = 0;
        CHECK(shadowed(conflicts_of(model, "promo")).empty());
        CHECK(shadowed(conflicts_of(model, "ad")).empty());
    }
    SECTION("several higher loops together cover it") {
        model.campaigns[1].windows = {{7 * 60, 9 * 60}};
        Campaign later = loop("later", "p", Level::Priority);
        later.windows = {{9 * 60, 10 * 60 + 30}};
        later.targets.kinds = {DeviceKind::Screen};
        model.campaigns.push_back(later);
        const auto promo_conflicts = shadowed(conflicts_of(model, "promo"));
        REQUIRE(promo_conflicts.size() == 1);
        CHECK(promo_conflicts[0].message.find("notice") != std::string::npos);
        CHECK(promo_conflicts[0].message.find("later") != std::string::npos);
    }
    SECTION("a fixed time under a higher loop open until the device's hours end") {
        model.devices[0].on_hours = {{6 * 60, 23 * 60 + 30}};
        model.campaigns[1].windows = {{22 * 60, 24 * 60}};
        const auto bulletin_conflicts = shadowed(conflicts_of(model, "bulletin"));
        REQUIRE(bulletin_conflicts.size() == 1);
        CHECK(bulletin_conflicts[0].other_campaign == "notice");
    }
}

TEST_CASE("conflict: a fixed-time playlist longer than the gap to its next time", "[conflicts]") {
    Model model = town();
    model.playlists = {playlist("p", {item(audio), item(audio), item(audio), item(audio)})};  // 80 s
    model.campaigns = {fixed("news", "p", {6 * 60, 6 * 60 + 1})};
    const auto conflicts = conflicts_of(model, "news");
    REQUIRE(count(conflicts, ConflictKind::FixedTimeOverrun) == 1);
}

TEST_CASE("conflict: a campaign that targets no device", "[conflicts]") {
    Model model = town();
    model.playlists = {playlist("p", {item(audio)})};
    Campaign lost = loop("lost", "p");
    lost.targets.zones = {"nowhere"};
    model.campaigns = {lost};
    const auto conflicts = conflicts_of(model, "lost");
    REQUIRE(conflicts.size() == 1);
    CHECK(conflicts[0].kind == ConflictKind::NoTargetDevice);
    CHECK(conflicts[0].severity == ConflictSeverity::Error);
}

TEST_CASE("conflict: a window inside quiet hours", "[conflicts]") {
    Model model = town();
    model.devices[1].quiet_hours = {{21 * 60, 6 * 60}};
    model.playlists = {playlist("p", {item(audio)})};
    Campaign late = loop("late", "p");
    late.targets.kinds = {DeviceKind::Speaker};
    late.windows = {{22 * 60, 23 * 60}, {20 * 60, 22 * 60}};
    Campaign dawn = fixed("dawn", "p", {5 * 60 + 30});
    dawn.targets.kinds = {DeviceKind::Speaker};
    model.campaigns = {late, dawn};
    const auto conflicts = conflicts_of(model, "late");
    REQUIRE(count(conflicts, ConflictKind::WindowInQuietHours) == 2);
    CHECK(conflicts[0].severity == ConflictSeverity::Error);    // 22-23 wholly quiet
    CHECK(conflicts[1].severity == ConflictSeverity::Warning);  // 20-22 partly
    const auto fixed_conflicts = conflicts_of(model, "dawn");
    REQUIRE(count(fixed_conflicts, ConflictKind::WindowInQuietHours) == 1);
}

TEST_CASE("conflict: media no targeted device kind can play", "[conflicts]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10), item(audio)})};
    Campaign pictures = loop("pictures", "p");
    pictures.targets.kinds = {DeviceKind::Speaker};
    model.campaigns = {pictures};
    const auto conflicts = conflicts_of(model, "pictures");
    REQUIRE(count(conflicts, ConflictKind::UnplayableMedia) == 1);
    CHECK(conflicts[0].message.find("item 0 (image") != std::string::npos);
}

TEST_CASE("conflict: a device that can play none of the items", "[conflicts]") {
    Model model = town();
    model.playlists = {playlist("p", {item(image, 10)})};
    model.campaigns = {loop("pictures", "p")};
    const auto conflicts = conflicts_of(model, "pictures");
    REQUIRE(count(conflicts, ConflictKind::EmptyForDevice) == 1);
    CHECK(conflicts[0].device == "spk-1");
}

TEST_CASE("conflict: a loop without windows is not warned about device hours", "[conflicts]") {
    Model model = town();
    model.devices[0].on_hours = {{5 * 60, 22 * 60}};
    model.playlists = {playlist("p", {item(image, 10)})};
    Campaign all_day = loop("all-day", "p");
    all_day.targets.kinds = {DeviceKind::Screen};
    model.campaigns = {all_day};
    CHECK(conflicts_of(model, "all-day").empty());
}

TEST_CASE("conflict report of an unknown campaign is NotFound", "[conflicts]") {
    const auto resolver = make_resolver(town());
    auto result = find_conflicts(resolver, "ghost", monday, 1);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::NotFound);
}
