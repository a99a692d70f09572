// Proof-of-play retention (docs/store.md, "Proof-of-play retention"): reports over folded days
// give the figures the rows gave; a pass killed between summarising and deleting loses nothing
// and counts nothing twice; a late copy of a folded row is not counted again.

#include "bantin/controller/proof_retention.hpp"
#include "bantin/controller/reports.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "fleet_fixture.hpp"

#include <algorithm>
#include <tuple>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::FleetFixture;
using bantin::testing::media_sha;

namespace {

// Local days 2026-11-25, -26 and -27 in Asia/Ho_Chi_Minh (UTC+7).
const TimePoint retention_first_day = from_unix_ms(1'795'539'600'000);  // 2026-11-24T17:00:00Z
const ReportRange retention_range{retention_first_day, retention_first_day + std::chrono::days{3}};
// Two days kept: the horizon is 2026-11-27T12:00Z (19:00 local), so the 25th and 26th are folded.
const TimePoint retention_now = from_unix_ms(1'795'953'600'000);  // 2026-11-29T12:00:00Z

struct RetentionRig {
    FleetFixture fixture;
    std::map<std::string, std::int64_t> next_seq;

    RetentionRig() {
        fixture.clock.set_wall(retention_first_day - std::chrono::days{1});
        fixture.add_device("screen-1", "zone-1");
        fixture.add_device("screen-3", "zone-2");
        fixture.approve_campaign("camp-1", {"zone-1", "zone-2"});  // loop 06:00-22:00, one 15 s item
        for (const auto& [id, headline] :
             {std::pair{"lu-quet", "Lũ quét"}, std::pair{"dien-tap", "Diễn tập"}}) {
            AlertRecord record;
            record.alert.id = id;
            record.alert.zones = {"zone-1"};
            record.alert.severity = scheduler::Severity::Severe;
            record.alert.status = scheduler::AlertStatus::Actual;
            record.alert.issued = retention_first_day;
            record.alert.expires = retention_first_day + std::chrono::days{3};
            record.alert.headline = headline;
            record.created_by = fixture.operator_one.id;
            record.created = retention_first_day;
            REQUIRE(fixture.store->write(
                [&](StoreTransaction& transaction) { return transaction.insert_alert(record); }));
        }
    }

    ProofOfPlayRow row(const std::string& device, TimePoint started, PlayOutcome outcome,
                       std::optional<std::int64_t> duration_ms) {
        ProofOfPlayRow play;
        play.device = device;
        play.install_epoch = 1;
        play.seq = ++next_seq[device];
        play.campaign = "camp-1";
        play.media = media_sha('b');
        play.started = started;
        play.ended = started + std::chrono::milliseconds{duration_ms.value_or(15'000)};
        play.outcome = outcome;
        play.duration_ms = duration_ms;
        return play;
    }

    // Every kind of row the reports tell apart, on each device and local day.
    std::vector<ProofOfPlayRow> day_of_plays(const std::string& device, int day_index) {
        std::vector<ProofOfPlayRow> rows;
        const TimePoint morning =
            retention_first_day + std::chrono::days{day_index} + std::chrono::hours{7};  // 07:00 local
        auto at = [&](int minute) { return morning + std::chrono::minutes{minute}; };
        for (int i = 0; i < 20 + day_index; ++i) {
            rows.push_back(row(device, at(i), PlayOutcome::Completed, 15'000));
            if (i % 7 == 0)
                rows.back().note = std::string{protocol::audio_unavailable_note};
        }
        rows.push_back(row(device, at(30), PlayOutcome::Completed, 360));           // cut short
        rows.push_back(row(device, at(31), PlayOutcome::Completed, std::nullopt));  // outcome alone
        // A resumed play: a cut piece, then the rest; together they ran the slot.
        rows.push_back(row(device, at(32), PlayOutcome::Interrupted, 7'000));
        rows.push_back(row(device, at(33), PlayOutcome::Completed, 8'000));
        rows.push_back(row(device, at(34), PlayOutcome::Failed, std::nullopt));
        rows.push_back(row(device, at(35), PlayOutcome::Completed, 15'000));
        rows.back().relay = protocol::RelayFigures{12'000, 3'000, 2};
        rows.push_back(row(device, at(36), PlayOutcome::Completed, 15'000));
        rows.back().region = scheduler::Region::Ticker;
        for (const auto& [alert, outcome] :
             {std::pair{"lu-quet", PlayOutcome::Completed}, std::pair{"lu-quet", PlayOutcome::Failed},
              std::pair{"dien-tap", PlayOutcome::Interrupted}}) {
            rows.push_back(row(device, at(40 + static_cast<int>(rows.size())), outcome, 20'000));
            rows.back().campaign.clear();
            rows.back().alert = alert;
            rows.back().media = media_sha('c');
        }
        rows.push_back(row(device, at(60), PlayOutcome::Completed, 60'000));
        rows.back().campaign.clear();
        rows.back().live = "live-00112233aabbccdd";
        // The day's last play, a minute before local midnight.
        rows.push_back(row(device, morning + std::chrono::hours{16} + std::chrono::minutes{59},
                           PlayOutcome::Completed, 15'000));
        return rows;
    }

    void insert(const std::vector<ProofOfPlayRow>& rows) {
        REQUIRE(fixture.store->write([&](StoreTransaction& transaction) -> Result<void> {
            auto inserted = transaction.insert_proof_of_play(rows, fixture.clock.wall());
            if (!inserted)
                return std::unexpected(inserted.error());
            return {};
        }));
    }

    void insert_three_days() {
        for (const char* device : {"screen-1", "screen-3"})
            for (int day = 0; day < 3; ++day) {
                sent[{device, day}] = day_of_plays(device, day);
                insert(sent[{device, day}]);
            }
    }
    std::map<std::pair<std::string, int>, std::vector<ProofOfPlayRow>> sent;  // by device and day

    std::int64_t stored_rows() {
        auto rows =
            fixture.store->read_value<std::vector<ProofOfPlayRow>>([&](StoreTransaction& transaction) {
                return transaction.list_proof_of_play(from_unix_ms(0), from_unix_ms(std::int64_t{1} << 50));
            });
        REQUIRE(rows);
        return static_cast<std::int64_t>(rows->size());
    }

    std::vector<ProofDaySummary> summaries() {
        auto days =
            fixture.store->read_value<std::vector<ProofDaySummary>>([&](StoreTransaction& transaction) {
                return transaction.list_proof_day_summaries(from_unix_ms(0),
                                                            from_unix_ms(std::int64_t{1} << 50));
            });
        REQUIRE(days);
        return *days;
    }
};

// Every report the proof rows feed, as figures and as CSV.
struct RetentionReports {
    std::vector<PlaysRow> plays;
    std::string plays_csv;
    std::vector<std::tuple<std::string, std::string, std::string, std::int64_t, std::int64_t, bool>> delivery;
    std::string delivery_csv;
    std::vector<AlertPlaysRow> alerts;
    std::string alerts_csv;
    std::vector<std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t, TimePoint, TimePoint>>
        alert_devices;
    bool operator==(const RetentionReports&) const = default;
};

RetentionReports all_reports(RetentionRig& rig, ProofQuery& query) {
    ReportService reports{*rig.fixture.store, query, nullptr, rig.fixture.clock};
    RetentionReports result;
    auto plays = reports.plays(retention_range);
    REQUIRE(plays);
    result.plays = *plays;
    result.plays_csv = to_csv(*plays);
    for (const DeliveryGrouping grouping :
         {DeliveryGrouping{}, DeliveryGrouping{true, true, true}, DeliveryGrouping{false, true, false},
          DeliveryGrouping{false, false, true}, DeliveryGrouping{true, false, true}}) {
        auto delivery = reports.delivery(retention_range, grouping);
        REQUIRE(delivery);
        for (const DeliveryRow& row : *delivery)
            result.delivery.emplace_back(row.campaign, row.zone, row.day, row.planned, row.delivered,
                                         row.under_delivered);
        result.delivery_csv += to_csv(*delivery, grouping);
    }
    auto alerts = reports.alerts(retention_range);
    REQUIRE(alerts);
    result.alerts = *alerts;
    result.alerts_csv = to_csv(*alerts);
    auto devices =
        rig.fixture.store->read_value<std::vector<AlertDevicePlays>>([&](StoreTransaction& transaction) {
            return transaction.alert_plays_by_device("lu-quet", retention_range.from, retention_range.to);
        });
    REQUIRE(devices);
    for (const AlertDevicePlays& device : *devices)
        result.alert_devices.emplace_back(device.device, device.completed, device.interrupted, device.failed,
                                          device.first, device.last);
    return result;
}

}  // namespace

TEST_CASE("reports over days folded by retention give the figures the rows gave", "[retention]") {
    RetentionRig rig;
    rig.insert_three_days();
    rig.fixture.clock.set_wall(retention_now);
    auto second_connection = rig.fixture.proof_query();
    REQUIRE(second_connection);
    StoreProofQuery through_store{*rig.fixture.store};
    const RetentionReports before = all_reports(rig, *second_connection);
    // The rows give what the figures below rely on: cut short, muted, a resumed play, relays.
    REQUIRE(before.plays.size() == 6);
    CHECK(before.plays[0].cut_short == 1);
    CHECK(before.plays[0].muted == 3);
    CHECK(before.plays[0].relayed_ms == 12'000);
    CHECK(before.alerts.size() == 2);
    const std::int64_t rows_before = rig.stored_rows();

    ProofRetention retention{*rig.fixture.store, rig.fixture.clock, 2};
    auto pass = retention.run();
    REQUIRE(pass);
    CHECK(pass->done);
    CHECK(pass->days == 4);          // two devices, two local days each
    CHECK(pass->transactions == 2);  // one a device: its two days hold fewer rows than a transaction's
    const std::int64_t folded = rows_before - rig.stored_rows();
    CHECK(folded == pass->rows);
    CHECK(folded ==
          static_cast<std::int64_t>(rig.day_of_plays("x", 0).size() + rig.day_of_plays("x", 1).size()) * 2);
    CHECK_FALSE(rig.summaries().empty());

    const RetentionReports after = all_reports(rig, *second_connection);
    CHECK(after == before);
    CHECK(after.plays_csv == before.plays_csv);
    CHECK(after.delivery_csv == before.delivery_csv);
    CHECK(after.alerts_csv == before.alerts_csv);
    CHECK(all_reports(rig, through_store) == before);

    // A second pass finds nothing more to fold and changes nothing.
    auto again = retention.run();
    REQUIRE(again);
    CHECK(again->rows == 0);
    CHECK(all_reports(rig, *second_connection) == before);
}

TEST_CASE("a retention pass that fails between summarising and deleting loses nothing and doubles nothing",
          "[retention]") {
    RetentionRig rig;
    rig.insert_three_days();
    rig.fixture.clock.set_wall(retention_now);
    auto query = rig.fixture.proof_query();
    REQUIRE(query);
    const RetentionReports before = all_reports(rig, *query);
    const std::int64_t rows_before = rig.stored_rows();

    ProofRetention retention{*rig.fixture.store, rig.fixture.clock, 2, 1};  // one device-day a transaction
    int transactions = 0;
    // The power goes in the second device-day, after its summaries were written.
    retention.between_summarise_and_delete = [&]() -> Result<void> {
        if (++transactions == 2)
            return fail(Errc::Io, "power cut");
        return {};
    };
    auto cut = retention.run();
    REQUIRE_FALSE(cut);
    CHECK(cut.error().message().find("power cut") != std::string::npos);
    // The first device-day is folded, the second untouched, the reports unchanged.
    const std::int64_t first_day = static_cast<std::int64_t>(rig.day_of_plays("x", 0).size());
    CHECK(rig.stored_rows() == rows_before - first_day);
    CHECK(all_reports(rig, *query) == before);

    retention.between_summarise_and_delete = nullptr;
    auto resumed = retention.run();
    REQUIRE(resumed);
    CHECK(resumed->days == 3);
    CHECK(all_reports(rig, *query) == before);

    // A pass stopped by its budget goes on where it stopped.
    RetentionRig budget_rig;
    budget_rig.insert_three_days();
    budget_rig.fixture.clock.set_wall(retention_now);
    auto budget_query = budget_rig.fixture.proof_query();
    REQUIRE(budget_query);
    const RetentionReports budget_before = all_reports(budget_rig, *budget_query);
    ProofRetention stepwise{*budget_rig.fixture.store, budget_rig.fixture.clock, 2, 1};
    int turns = 0;
    for (;; ++turns) {
        REQUIRE(turns < 10);
        auto step = stepwise.run(1);
        REQUIRE(step);
        CHECK(step->days <= 1);
        if (step->done)
            break;
    }
    CHECK(turns == 4);
    CHECK(all_reports(budget_rig, *budget_query) == budget_before);
    CHECK(budget_rig.summaries() == rig.summaries());
}

TEST_CASE("a late copy of a folded row is not counted again, a late new row is folded in", "[retention]") {
    RetentionRig rig;
    rig.insert_three_days();
    // A hole: screen-1's next seq never arrives, the one after does, on the 26th (folded).
    const std::int64_t hole = ++rig.next_seq["screen-1"];
    ProofOfPlayRow after_hole =
        rig.row("screen-1", retention_first_day + std::chrono::days{1} + std::chrono::hours{23},
                PlayOutcome::Completed, 15'000);
    rig.insert({after_hole});
    rig.fixture.clock.set_wall(retention_now);
    auto query = rig.fixture.proof_query();
    REQUIRE(query);
    const RetentionReports before = all_reports(rig, *query);
    ProofRetention retention{*rig.fixture.store, rig.fixture.clock, 2};
    REQUIRE(retention.run());
    REQUIRE(all_reports(rig, *query) == before);
    const auto progress_of = [&]() {
        auto progress = rig.fixture.store->read_value<ProofProgress>(
            [&](StoreTransaction& transaction) { return transaction.proof_progress("screen-1", 1); });
        REQUIRE(progress);
        return *progress;
    };
    // The folded row above the hole still counts for the gap walk: the hole is the only gap.
    CHECK(progress_of().contiguous == hole - 1);
    REQUIRE(progress_of().gaps.size() == 1);
    CHECK(progress_of().gaps[0].first == hole);
    CHECK(progress_of().gaps[0].last == hole);

    // The device sends its whole first day again (a lost ack) and the row above the hole.
    std::vector<ProofOfPlayRow> again = rig.sent[{"screen-1", 0}];
    again.push_back(after_hole);
    auto resent =
        rig.fixture.store->write_value<std::vector<ProofProgress>>([&](StoreTransaction& transaction) {
            return transaction.insert_proof_of_play(again, rig.fixture.clock.wall());
        });
    REQUIRE(resent);
    REQUIRE(resent->size() == 1);
    CHECK((*resent)[0].inserted == 0);
    CHECK((*resent)[0].contiguous == hole - 1);
    REQUIRE(retention.run());
    CHECK(all_reports(rig, *query) == before);

    // The missing play itself arrives late, from the folded 26th: a new play, counted once.
    ProofOfPlayRow missing = after_hole;
    missing.seq = hole;
    missing.started -= std::chrono::minutes{5};
    missing.ended -= std::chrono::minutes{5};
    auto filled =
        rig.fixture.store->write_value<std::vector<ProofProgress>>([&](StoreTransaction& transaction) {
            return transaction.insert_proof_of_play({&missing, 1}, rig.fixture.clock.wall());
        });
    REQUIRE(filled);
    CHECK((*filled)[0].inserted == 1);
    CHECK((*filled)[0].contiguous == hole + 1);  // the folded row above it closes the run
    CHECK((*filled)[0].gaps.empty());
    auto with_late = all_reports(rig, *query);
    auto late_pass = retention.run();
    REQUIRE(late_pass);
    CHECK(late_pass->rows == 1);
    CHECK(all_reports(rig, *query) == with_late);
    std::int64_t completed_before = 0, completed_after = 0;
    for (const auto& row : before.plays) completed_before += row.completed;
    for (const auto& row : with_late.plays) completed_after += row.completed;
    CHECK(completed_after == completed_before + 1);
    // Sent once more, it is not counted again.
    auto once_more =
        rig.fixture.store->write_value<std::vector<ProofProgress>>([&](StoreTransaction& transaction) {
            return transaction.insert_proof_of_play({&missing, 1}, rig.fixture.clock.wall());
        });
    REQUIRE(once_more);
    CHECK((*once_more)[0].inserted == 0);
    CHECK(all_reports(rig, *query) == with_late);
}

TEST_CASE("retention days 0 keeps every row, and only whole local days are folded", "[retention]") {
    RetentionRig rig;
    rig.insert_three_days();
    rig.fixture.clock.set_wall(retention_now);
    const std::int64_t rows_before = rig.stored_rows();
    ProofRetention keep_all{*rig.fixture.store, rig.fixture.clock, 0};
    auto nothing = keep_all.run();
    REQUIRE(nothing);
    CHECK(nothing->rows == 0);
    CHECK(rig.stored_rows() == rows_before);
    CHECK(rig.summaries().empty());

    // Three days: the horizon is 2026-11-26T12:00Z, 19:00 local on the 26th; the 26th stays whole.
    ProofRetention three_days{*rig.fixture.store, rig.fixture.clock, 3};
    auto pass = three_days.run();
    REQUIRE(pass);
    CHECK(pass->days == 2);
    for (const ProofDaySummary& day : rig.summaries()) CHECK(day.day == "2026-11-25");
}
