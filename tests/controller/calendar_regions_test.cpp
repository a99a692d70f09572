// The calendar and screen regions (docs/api.md, "Calendar"; docs/scheduling.md, "Regions"): a
// ticker campaign shows in the calendar of screens with a ticker band, marked as the ticker's,
// and not on screens without one.
#include "bantin/controller/calendar.hpp"
#include "bantin/scheduler/resolver.hpp"

#include <catch2/catch.hpp>

using namespace bantin;

namespace {

scheduler::Campaign ticker_calendar_campaign(std::string id, std::string playlist, scheduler::Region region) {
    scheduler::Campaign campaign;
    campaign.id = std::move(id);
    campaign.name = "Chữ chạy " + campaign.id;
    campaign.playlist = std::move(playlist);
    campaign.mode = scheduler::Mode::Loop;
    campaign.approval = scheduler::ApprovalState::Approved;
    campaign.region = region;
    campaign.windows = {{8 * 60, 9 * 60}};
    return campaign;
}

const nlohmann::ordered_json* ticker_calendar_item(const nlohmann::ordered_json& days,
                                                   const std::string& id) {
    for (const auto& item : days.at("days").at(0).at("items"))
        if (item.value("campaign", "") == id)
            return &item;
    return nullptr;
}

}  // namespace

TEST_CASE("the calendar shows a ticker campaign on a screen with a ticker band, as the ticker's",
          "[calendar][regions]") {
    scheduler::Model model;
    scheduler::MediaRef text;
    text.sha256 = std::string(64, 'e');
    text.type = scheduler::MediaType::Text;
    text.duration = Duration{std::chrono::seconds{20}};
    text.name = "Chợ phiên sáng chủ nhật";
    scheduler::MediaRef clip;
    clip.sha256 = std::string(64, 'f');
    clip.type = scheduler::MediaType::Video;
    clip.duration = Duration{std::chrono::seconds{30}};
    clip.name = "clip.mp4";
    model.media = {text, clip};
    model.playlists = {{"pl-text", "Chữ", {{text.sha256, std::nullopt, 1}}},
                       {"pl-clip", "Phim", {{clip.sha256, std::nullopt, 1}}}};
    model.campaigns = {ticker_calendar_campaign("c-ticker", "pl-text", scheduler::Region::Ticker),
                       ticker_calendar_campaign("c-main", "pl-clip", scheduler::Region::Main)};
    scheduler::Device banded;
    banded.id = "screen-band";
    banded.kind = scheduler::DeviceKind::Screen;
    banded.zone = "uyen-hung";
    banded.layout.ticker_permille = 100;
    scheduler::Device plain = banded;
    plain.id = "screen-plain";
    plain.layout = {};
    model.devices = {banded, plain};
    auto resolver = scheduler::Resolver::create(model);
    INFO((resolver ? std::string{} : resolver.error().message()));
    REQUIRE(resolver);

    controller::CalendarRequest request;
    request.first_day =
        std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::December, std::chrono::day{7}};
    request.days = 1;
    request.time_zone = "Asia/Ho_Chi_Minh";

    controller::CalendarFigures figures;
    auto both = controller::calendar_days(*resolver, model.devices, request, &figures);
    REQUIRE(both);
    // The two screens differ by their band: two classes.
    CHECK(figures.classes == 2);
    const auto* ticker = ticker_calendar_item(*both, "c-ticker");
    REQUIRE(ticker != nullptr);
    CHECK(ticker->at("region") == "ticker");
    CHECK(ticker->at("devices") == 1);
    CHECK(ticker->at("bands").at(0).at("from") == "08:00");
    CHECK(ticker->at("bands").at(0).at("to") == "09:00");
    const auto* main = ticker_calendar_item(*both, "c-main");
    REQUIRE(main != nullptr);
    CHECK(main->at("region") == "main");
    CHECK(main->at("devices") == 2);

    // A screen without a band shows no ticker campaign.
    auto plain_only = controller::calendar_days(*resolver, std::span{model.devices}.subspan(1), request);
    REQUIRE(plain_only);
    CHECK(ticker_calendar_item(*plain_only, "c-ticker") == nullptr);
    CHECK(ticker_calendar_item(*plain_only, "c-main") != nullptr);
}
