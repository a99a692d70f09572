// Screen regions (docs/scheduling.md, "Regions"): the main region and the ticker band are
// resolved apart by the same rules; alerts play in the main region and clear the ticker.
#include "bantin/scheduler/conflicts.hpp"
#include "bantin/scheduler/json.hpp"

#include "model_builder.hpp"

#include <algorithm>
#include <random>

using namespace bantin;
using namespace bantin::scheduler;
using namespace bantin::scheduler::testing;
using namespace std::chrono_literals;

namespace {

// A second text notice, 12 s.
const std::string ticker_headline = digest('9');

Device ticker_screen() {
    Device device = screen();
    device.layout = ScreenLayout{80, 100};
    return device;
}

// The town with its screen given a header and a ticker band, a main loop of images and a
// ticker loop of text.
Model ticker_town() {
    Model model = town();
    model.devices[0].layout = ScreenLayout{80, 100};
    model.media.push_back(
        MediaRef{ticker_headline, MediaType::Text, Duration{12'000}, true, false, "headline"});
    model.playlists = {playlist("p-main", {item(image, 10)}),
                       playlist("p-tick", {item(text), item(ticker_headline)}),
                       playlist("p-alert", {item(text)})};
    Campaign crawl = loop("crawl", "p-tick");
    crawl.region = Region::Ticker;
    model.campaigns = {loop("main", "p-main"), crawl};
    return model;
}

Campaign ticker_campaign(Campaign campaign) {
    campaign.region = Region::Ticker;
    return campaign;
}

std::vector<TimelineEntry> resolve_region(const Resolver& resolver, const Device& device, TimePoint from,
                                          TimePoint to, Region region) {
    auto timeline = resolver.resolve(device, from, to, region);
    if (!timeline) {
        FAIL("resolve failed: " << timeline.error().message());
    }
    return std::move(*timeline);
}

bool all_from(const std::vector<TimelineEntry>& timeline, std::string_view source) {
    return std::all_of(timeline.begin(), timeline.end(),
                       [&](const TimelineEntry& entry) { return entry.source_id == source; });
}

bool none_overlaps(const std::vector<TimelineEntry>& timeline, TimePoint from, TimePoint to) {
    return std::none_of(timeline.begin(), timeline.end(),
                        [&](const TimelineEntry& entry) { return entry.start < to && from < entry.end; });
}

std::string problems_of(const Model& model) {
    auto result = validate(model);
    return result ? std::string{} : result.error().detail;
}

std::string decode_error_of(std::string_view text) {
    auto parsed = parse_model(text);
    return parsed ? std::string{} : parsed.error().detail;
}

std::vector<Conflict> region_conflicts(const Model& model, std::string_view campaign) {
    const auto resolver = make_resolver(model, ResolveOptions{true});
    const std::chrono::year_month_day first{std::chrono::year{2026}, std::chrono::November,
                                            std::chrono::day{23}};
    auto result = find_conflicts(resolver, campaign, first, 7);
    REQUIRE(result);
    return *result;
}

}  // namespace

TEST_CASE("regions: the main region plays main campaigns and the ticker region ticker campaigns",
          "[regions]") {
    const Model model = ticker_town();
    const auto resolver = make_resolver(model);
    const auto main = resolve(resolver, ticker_screen(), hcm(6), hcm(6, 10));
    const auto ticker = resolve_region(resolver, ticker_screen(), hcm(6), hcm(6, 10), Region::Ticker);
    REQUIRE_FALSE(main.empty());
    REQUIRE_FALSE(ticker.empty());
    CHECK(all_from(main, "main"));
    CHECK(all_from(ticker, "crawl"));
    require_no_overlap(ticker);

    // The main region is what it was without the ticker campaign.
    Model without = model;
    without.campaigns.pop_back();
    const auto plain_resolver = make_resolver(without);
    CHECK(resolve(plain_resolver, ticker_screen(), hcm(6), hcm(6, 10)) == main);
    CHECK(resolve_region(plain_resolver, ticker_screen(), hcm(6), hcm(6, 10), Region::Ticker).empty());
}

TEST_CASE("regions: only a screen with a ticker band has a ticker region", "[regions]") {
    const auto resolver = make_resolver(ticker_town());
    CHECK(resolve_region(resolver, screen(), hcm(0), hcm(24), Region::Ticker).empty());
    Device header_only = screen();
    header_only.layout = ScreenLayout{100, 0};
    CHECK(resolve_region(resolver, header_only, hcm(0), hcm(24), Region::Ticker).empty());
    Device banded_speaker = speaker();
    banded_speaker.layout = ScreenLayout{0, 100};
    CHECK(resolve_region(resolver, banded_speaker, hcm(0), hcm(24), Region::Ticker).empty());
    CHECK_FALSE(has_region(banded_speaker, Region::Ticker));
    CHECK(has_region(banded_speaker, Region::Main));
    CHECK(has_region(ticker_screen(), Region::Ticker));
}

TEST_CASE("regions: ticker entries last the item's duration override, else the text's own", "[regions]") {
    Model model = ticker_town();
    model.playlists[1] = playlist("p-tick", {item(text, 40), item(ticker_headline)});
    const auto resolver = make_resolver(model);
    const auto ticker = resolve_region(resolver, ticker_screen(), hcm(0), hcm(0, 2), Region::Ticker);
    REQUIRE(ticker.size() >= 3);
    CHECK(ticker[0].start == hcm(0));
    CHECK(ticker[0].end - ticker[0].start == 40s);
    CHECK(ticker[0].media == text);
    CHECK(ticker[1].end - ticker[1].start == 12s);
    CHECK(ticker[1].media == ticker_headline);
    CHECK(ticker[2].end - ticker[2].start == 40s);
}

TEST_CASE(
    "regions: ticker campaigns follow the same rules of levels, fixed times, share of voice and windows",
    "[regions]") {
    Model model = ticker_town();
    Campaign crawl = ticker_campaign(loop("crawl", "p-tick"));
    crawl.windows = {{5 * 60, 22 * 60}};
    Campaign bulletin = ticker_campaign(fixed("bulletin", "p-alert", {6 * 60}, Level::Priority));
    Campaign spot = ticker_campaign(share("spot", "p-alert", 4));
    spot.windows = {{7 * 60, 8 * 60}};
    model.campaigns = {loop("main", "p-main"), crawl, bulletin, spot};
    const auto resolver = make_resolver(model);
    const auto ticker = resolve_region(resolver, ticker_screen(), hcm(0), hcm(24), Region::Ticker);
    require_no_overlap(ticker);

    // Windows: nothing before 05:00 or from 22:00.
    CHECK(ticker.front().start == hcm(5));
    CHECK(ticker.back().end <= hcm(22));
    // A fixed time cuts the loop exactly at 06:00; the loop goes on after the run.
    const auto at_six = std::find_if(ticker.begin(), ticker.end(), [](const TimelineEntry& entry) {
        return entry.source_id == "bulletin";
    });
    REQUIRE(at_six != ticker.end());
    CHECK(at_six->start == hcm(6));
    CHECK(at_six->end == hcm(6, 0, 15));
    REQUIRE(at_six != ticker.begin());
    CHECK(std::prev(at_six)->end == hcm(6));
    CHECK(std::next(at_six)->source_id == "crawl");
    // Share of voice: 4 plays in its one-hour window, none elsewhere.
    const auto plays = std::count_if(ticker.begin(), ticker.end(),
                                     [](const TimelineEntry& entry) { return entry.source_id == "spot"; });
    CHECK(plays == 4);
    for (const auto& entry : ticker) {
        if (entry.source_id == "spot") {
            CHECK(entry.start >= hcm(7));
            CHECK(entry.start < hcm(8));
        }
    }
    // The main region does not see any of them.
    CHECK(all_from(resolve(resolver, ticker_screen(), hcm(0), hcm(24)), "main"));
}

TEST_CASE("regions: the ticker keeps on-hours and quiet hours", "[regions]") {
    Model model = ticker_town();
    Device device = ticker_screen();
    device.on_hours = {{5 * 60, 22 * 60}};
    device.quiet_hours = {{12 * 60, 13 * 60}};
    const auto resolver = make_resolver(model);
    const auto ticker = resolve_region(resolver, device, hcm(0), hcm(24), Region::Ticker);
    REQUIRE_FALSE(ticker.empty());
    CHECK(none_overlaps(ticker, hcm(0), hcm(5)));
    CHECK(none_overlaps(ticker, hcm(12), hcm(13)));
    CHECK(none_overlaps(ticker, hcm(22), hcm(24)));
}

TEST_CASE("regions: an alert plays in the main region and clears the ticker while it is active",
          "[regions]") {
    Model model = ticker_town();
    // Played once at 09:00:05 for 15 s, but active until 09:30: the ticker stays clear until then.
    Alert flood = alert("flood", "p-alert", hcm(9, 0, 5), hcm(9, 30));
    flood.repeat.count = 1;
    model.alerts = {flood};
    // A ticker bulletin due during the alert waits for its end, as a main one would.
    model.campaigns.push_back(ticker_campaign(fixed("bulletin", "p-alert", {9 * 60 + 10}, Level::Priority)));
    const auto resolver = make_resolver(model);

    const auto main = resolve(resolver, ticker_screen(), hcm(8, 59), hcm(9, 1));
    REQUIRE(std::any_of(main.begin(), main.end(), [](const TimelineEntry& entry) {
        return entry.source_id == "flood" && entry.start == hcm(9, 0, 5);
    }));

    const auto ticker = resolve_region(resolver, ticker_screen(), hcm(8), hcm(10), Region::Ticker);
    require_no_overlap(ticker);
    CHECK(none_overlaps(ticker, hcm(9, 0, 5), hcm(9, 30)));
    CHECK(std::none_of(ticker.begin(), ticker.end(),
                       [](const TimelineEntry& entry) { return entry.source_kind == SourceKind::Alert; }));
    const auto cut = std::find_if(ticker.begin(), ticker.end(),
                                  [](const TimelineEntry& entry) { return entry.end == hcm(9, 0, 5); });
    REQUIRE(cut != ticker.end());
    CHECK(cut->ending == Ending::Cut);
    const auto after = std::next(cut);
    REQUIRE(after != ticker.end());
    CHECK(after->source_id == "bulletin");
    CHECK(after->start == hcm(9, 30));
    CHECK(after->due == hcm(9, 10));

    // Another zone's alert leaves this ticker alone.
    Model elsewhere = model;
    elsewhere.alerts[0].zones = {"z2"};
    const auto other_resolver = make_resolver(elsewhere);
    CHECK_FALSE(
        none_overlaps(resolve_region(other_resolver, ticker_screen(), hcm(8), hcm(10), Region::Ticker),
                      hcm(9, 0, 5), hcm(9, 30)));
}

TEST_CASE("regions: a cancelled alert and an exercise clear the ticker for their active time", "[regions]") {
    Model model = ticker_town();
    Alert storm = alert("storm", "p-alert", hcm(9), hcm(11));
    storm.cancelled = hcm(9, 20);
    Alert drill = alert("drill", "p-alert", hcm(14), hcm(14, 30));
    drill.status = AlertStatus::Exercise;
    model.alerts = {storm, drill};
    Device device = ticker_screen();
    device.on_hours = {{5 * 60, 22 * 60}};
    const auto resolver = make_resolver(model);
    const auto ticker = resolve_region(resolver, device, hcm(8), hcm(16), Region::Ticker);
    require_no_overlap(ticker);
    CHECK(none_overlaps(ticker, hcm(9), hcm(9, 20)));
    CHECK(none_overlaps(ticker, hcm(14), hcm(14, 30)));
    CHECK_FALSE(none_overlaps(ticker, hcm(9, 20), hcm(9, 21)));  // back after the cancel
    CHECK_FALSE(none_overlaps(ticker, hcm(14, 30), hcm(14, 31)));
}

TEST_CASE("regions: resolving the ticker is split invariant across an alert", "[regions]") {
    Model model = ticker_town();
    model.alerts = {alert("flood", "p-alert", hcm(9), hcm(9, 30))};
    const auto resolver = make_resolver(model);
    const Device device = ticker_screen();
    const auto whole = resolve_region(resolver, device, hcm(8), hcm(10), Region::Ticker);
    auto first = resolve_region(resolver, device, hcm(8), hcm(9, 30, 7), Region::Ticker);
    const auto second = resolve_region(resolver, device, hcm(9, 30, 7), hcm(10), Region::Ticker);
    for (const auto& entry : second) {
        if (first.empty() || !(first.back() == entry)) {
            first.push_back(entry);
        }
    }
    CHECK(first == whole);
}

TEST_CASE("validation: a ticker campaign plays text only, naming the item that is not",
          "[regions][validate]") {
    Model model = ticker_town();
    model.playlists[1] = playlist("p-tick", {item(text), item(image, 10), item(audio)});
    const std::string text_of = problems_of(model);
    CHECK(text_of.find(
              "campaigns[1].playlist: a ticker campaign plays text only; playlists[1].items[1] is image") !=
          std::string::npos);
    CHECK(text_of.find("playlists[1].items[2] is audio") != std::string::npos);
    CHECK(text_of.starts_with("2 problems"));
    // The same playlist in the main region is fine.
    model.campaigns[1].region = Region::Main;
    CHECK(problems_of(model).empty());
}

TEST_CASE("validation: layout bands, the zone's name and its board URL are bounded", "[regions][validate]") {
    Model model = ticker_town();
    model.devices[0].layout = ScreenLayout{100, 500};
    model.devices[0].zone_name = "X\u00e3 T\u00e2n Uy\u00ean";
    model.devices[0].board_url = "https://bantin.example/cong-khai/z1";
    CHECK(problems_of(model).empty());

    model.devices[0].layout = ScreenLayout{501, 0};
    CHECK(problems_of(model).find("devices[0].layout: each band is 0..500 permille") != std::string::npos);
    model.devices[0].layout = ScreenLayout{0, -1};
    CHECK(problems_of(model).find("devices[0].layout: each band is 0..500 permille") != std::string::npos);
    model.devices[0].layout = ScreenLayout{400, 300};
    CHECK(problems_of(model).find("devices[0].layout: header and ticker together are at most 600") !=
          std::string::npos);
    model.devices[0].layout = ScreenLayout{};

    model.devices[0].zone_name = std::string(201, 'x');
    CHECK(problems_of(model).find("devices[0].zone_name: is at most 200 bytes") != std::string::npos);
    model.devices[0].zone_name.clear();

    for (const std::string& bad :
         std::vector<std::string>{"ftp://bantin.example/", "https://", "https:///x", "https://a b",
                                  "https://bantin.example/" + std::string(500, 'x')}) {
        INFO(bad);
        model.devices[0].board_url = bad;
        CHECK(problems_of(model).find("devices[0].board_url: a board URL") != std::string::npos);
    }
    CHECK(board_url_problem("").empty());
    CHECK(board_url_problem("http://10.0.0.2:8080/cong-khai/z1").empty());
}

TEST_CASE("json: regions, layouts, zone names and board URLs round-trip and are absent when unset",
          "[regions][json]") {
    const Model plain = town();
    const auto plain_json = to_json(plain);
    CHECK_FALSE(plain_json["devices"][0].contains("layout"));
    CHECK_FALSE(plain_json["devices"][0].contains("zone_name"));
    CHECK_FALSE(plain_json["devices"][0].contains("board_url"));

    Model model = ticker_town();
    model.devices[0].zone_name = "X\u00e3 T\u00e2n Uy\u00ean";
    model.devices[0].board_url = "https://bantin.example/cong-khai/z1";
    const auto encoded = to_json(model);
    CHECK(encoded["devices"][0]["layout"]["header_permille"] == 80);
    CHECK(encoded["devices"][0]["layout"]["ticker_permille"] == 100);
    CHECK(encoded["devices"][0]["zone_name"] == "X\u00e3 T\u00e2n Uy\u00ean");
    CHECK_FALSE(encoded["campaigns"][0].contains("region"));
    CHECK(encoded["campaigns"][1]["region"] == "ticker");
    const std::string bytes = encoded.dump();
    auto parsed = parse_model(bytes);
    REQUIRE(parsed);
    CHECK(*parsed == model);
    CHECK(to_json(*parsed).dump() == bytes);

    // Absent: the defaults; a layout may name one band only.
    auto defaults =
        parse_model(R"({"devices":[{"id":"s","kind":"screen","zone":"z","layout":{"ticker_permille":90}}],)"
                    R"("playlists":[{"id":"p","items":[{"media":")" +
                    text + R"("}]}],"campaigns":[{"id":"c","playlist":"p","mode":"loop"}]})");
    REQUIRE(defaults);
    CHECK(defaults->devices[0].layout == ScreenLayout{0, 90});
    CHECK(defaults->devices[0].zone_name.empty());
    CHECK(defaults->campaigns[0].region == Region::Main);
}

TEST_CASE("json: bad region and layout values are refused with their path", "[regions][json]") {
    CHECK(decode_error_of(R"({"campaigns":[{"id":"c","playlist":"p","mode":"loop","region":"sidebar"}]})") ==
          "campaigns[0].region: expected one of main | ticker, got \"sidebar\"");
    CHECK(decode_error_of(R"({"campaigns":[{"id":"c","playlist":"p","mode":"loop","region":1}]})")
              .starts_with("campaigns[0].region:"));
    CHECK(decode_error_of(R"({"devices":[{"id":"a","kind":"screen","zone":"z","layout":"big"}]})")
              .starts_with("devices[0].layout:"));
    CHECK(decode_error_of(
              R"({"devices":[{"id":"a","kind":"screen","zone":"z","layout":{"footer_permille":1}}]})") ==
          "devices[0].layout.footer_permille: unknown field");
    CHECK(decode_error_of(
              R"({"devices":[{"id":"a","kind":"screen","zone":"z","layout":{"ticker_permille":"100"}}]})")
              .starts_with("devices[0].layout.ticker_permille:"));
    CHECK(decode_error_of(R"({"devices":[{"id":"a","kind":"screen","zone":"z","board_url":7}]})")
              .starts_with("devices[0].board_url:"));
    CHECK(decode_error_of(R"({"devices":[{"id":"a","kind":"screen","zone":"z","zone_name":5}]})")
              .starts_with("devices[0].zone_name:"));
    CHECK(name_in(region_names, Region::Ticker) == "ticker");
    CHECK(to_string(Region::Main) == "main");
    CHECK(value_in(region_names, "main") == Region::Main);
}

TEST_CASE("conflict: regions are checked apart", "[regions][conflicts]") {
    Model model = ticker_town();
    // A main and a ticker bulletin at the same time of one level do not collide, and a ticker
    // loop of a higher rank does not shadow the main loop.
    Campaign crawl = ticker_campaign(loop("crawl", "p-tick", Level::Normal, 5));
    crawl.targets.kinds = {DeviceKind::Screen};
    Campaign main_loop = loop("main", "p-main");
    main_loop.targets.kinds = {DeviceKind::Screen};
    Campaign tick_news = ticker_campaign(fixed("tick-news", "p-alert", {6 * 60}, Level::Priority));
    tick_news.targets.kinds = {DeviceKind::Screen};
    Campaign news = fixed("news", "p-alert", {6 * 60}, Level::Priority);
    news.targets.kinds = {DeviceKind::Screen};
    model.campaigns = {main_loop, crawl, tick_news, news};
    const auto conflicts = region_conflicts(model, "");
    std::string messages;
    for (const auto& conflict : conflicts) {
        messages += conflict.message + "\n";
    }
    INFO(messages);
    CHECK(std::none_of(conflicts.begin(), conflicts.end(), [](const Conflict& conflict) {
        return conflict.kind == ConflictKind::FixedTimeCollision || conflict.kind == ConflictKind::Shadowed;
    }));

    // Two ticker bulletins at 06:00 do collide.
    Campaign tick_other = ticker_campaign(fixed("tick-other", "p-alert", {6 * 60}, Level::Priority));
    tick_other.targets.kinds = {DeviceKind::Screen};
    model.campaigns.push_back(tick_other);
    const auto colliding = region_conflicts(model, "tick-other");
    CHECK(std::any_of(colliding.begin(), colliding.end(), [](const Conflict& conflict) {
        return conflict.kind == ConflictKind::FixedTimeCollision && conflict.other_campaign == "tick-news";
    }));
}

TEST_CASE("conflict: a ticker campaign on a device without a ticker band", "[regions][conflicts]") {
    Model model = ticker_town();
    model.devices[0].layout = ScreenLayout{};
    const auto conflicts = region_conflicts(model, "crawl");
    const auto found = std::find_if(conflicts.begin(), conflicts.end(), [](const Conflict& conflict) {
        return conflict.kind == ConflictKind::EmptyForDevice && conflict.device == "scr-1";
    });
    REQUIRE(found != conflicts.end());
    CHECK(found->message.find("no ticker band") != std::string::npos);
}

TEST_CASE(
    "property: no ticker entry overlaps an active alert covering the device, and the ticker is split "
    "invariant",
    "[regions][property]") {
    for (unsigned seed = 1; seed <= 200; ++seed) {
        INFO("seed " << seed);
        std::mt19937 random{seed};
        const auto pick = [&random](int low, int high) {
            return std::uniform_int_distribution<int>{low, high}(random);
        };
        Model model = ticker_town();
        model.campaigns = {loop("main", "p-main")};
        const int campaigns = pick(1, 4);
        for (int c = 0; c < campaigns; ++c) {
            const std::string id = "tick-" + std::to_string(c);
            const auto level = static_cast<Level>(pick(0, 2));
            Campaign campaign;
            switch (pick(0, 2)) {
                case 0: campaign = loop(id, "p-tick", level, pick(-2, 2)); break;
                case 1: campaign = fixed(id, "p-alert", {pick(0, 23) * 60 + pick(0, 59)}, level); break;
                default: campaign = share(id, "p-tick", pick(1, 12), level); break;
            }
            if (campaign.mode != Mode::FixedTime && pick(0, 1) == 1) {
                campaign.windows = {{pick(0, 11) * 60, pick(12, 23) * 60}};
            }
            model.campaigns.push_back(ticker_campaign(campaign));
        }
        std::vector<std::pair<TimePoint, TimePoint>> spans;
        const int alerts = pick(0, 3);
        for (int a = 0; a < alerts; ++a) {
            const TimePoint issued = hcm(pick(0, 22), pick(0, 59), pick(0, 59));
            Alert warning =
                alert("a-" + std::to_string(a), "p-alert", issued,
                      issued + std::chrono::minutes{pick(1, 120)}, {pick(0, 3) == 0 ? "z2" : "z1"});
            warning.repeat.count = pick(0, 2);
            warning.severity = static_cast<Severity>(pick(0, 3));
            if (pick(0, 3) == 0) {
                warning.cancelled = issued + std::chrono::minutes{pick(0, 30)} + 1s;
            }
            if (warning.zones.front() == "z1") {
                const TimePoint end =
                    warning.cancelled ? std::min(*warning.cancelled, warning.expires) : warning.expires;
                spans.emplace_back(warning.issued, end);
            }
            model.alerts.push_back(warning);
        }
        Device device = ticker_screen();
        if (pick(0, 1) == 1) {
            device.on_hours = {{pick(4, 7) * 60, pick(18, 23) * 60}};
        }
        const auto resolver = make_resolver(model);
        const auto ticker = resolve_region(resolver, device, hcm(0), hcm(24), Region::Ticker);
        require_no_overlap(ticker);
        for (const auto& [from, to] : spans) {
            CHECK(none_overlaps(ticker, from, to));
        }
        for (const auto& entry : ticker) {
            CHECK(entry.source_id.starts_with("tick-"));
        }
        const TimePoint cut = hcm(pick(0, 23), pick(0, 59), pick(0, 59));
        auto joined = resolve_region(resolver, device, hcm(0), cut, Region::Ticker);
        for (const auto& entry : resolve_region(resolver, device, cut, hcm(24), Region::Ticker)) {
            if (joined.empty() || !(joined.back() == entry)) {
                joined.push_back(entry);
            }
        }
        CHECK(joined == ticker);
    }
}
