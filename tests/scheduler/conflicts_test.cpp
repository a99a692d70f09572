#include "bantin/scheduler/conflicts.hpp"

#include "model_builder.hpp"

using namespace bantin;
using namespace bantin::scheduler;
using namespace bantin::scheduler::testing;

namespace {

const std::chrono::year_month_day monday{std::chrono::year{2026}, std::chrono::November, std::chrono::day{23}};

std::vector<Conflict> conflicts_of(const Model& model, std::string_view campaign) {
    const auto resolver = make_resolver(model, ResolveOptions{true});
    auto result = find_conflicts(resolver, campaign, monday, 7);
    REQUIRE(result);
    return *result;
}

std::size_t count(const std::vector<Conflict>& conflicts, ConflictKind kind) {
    return static_cast<std::size_t>(
        std::count_if(conflicts.begin(), conflicts.end(), [kind](const Conflict& c) { return c.kind == kind; }));
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
