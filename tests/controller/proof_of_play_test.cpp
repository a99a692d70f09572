#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::StoreFixture;

namespace {

ProofOfPlayRow play(const std::string& device, std::int64_t epoch, std::int64_t seq) {
    ProofOfPlayRow row;
    row.device = device;
    row.install_epoch = epoch;
    row.seq = seq;
    row.campaign = "c-1";
    row.media = std::string(64, 'c');
    row.started = from_unix_ms(1'767'225'600'000 + seq * 10'000);
    row.ended = row.started + Duration{9'000};
    row.bundle_version = 3;
    return row;
}

std::vector<ProofOfPlayRow> plays(const std::string& device, std::int64_t epoch,
                                  std::vector<std::int64_t> seqs) {
    std::vector<ProofOfPlayRow> rows;
    for (auto seq : seqs) rows.push_back(play(device, epoch, seq));
    return rows;
}

std::vector<ProofProgress> insert(StoreFixture& fixture, const std::vector<ProofOfPlayRow>& rows) {
    auto progress =
        fixture.store->write_value<std::vector<ProofProgress>>([&](StoreTransaction& transaction) {
            return transaction.insert_proof_of_play(rows, fixture.clock.wall());
        });
    if (!progress)
        FAIL(progress.error().message());
    return *progress;
}

std::int64_t stored_proof_rows(StoreFixture& fixture) {
    auto database = fixture.raw_connection();
    auto count = database->prepare("SELECT count(*) FROM proof_of_play");
    REQUIRE(count);
    REQUIRE(count->fetch_one().value());
    return count->column_int64(0);
}

}  // namespace

TEST_CASE("an in-order batch is stored and acked up to its last seq", "[controller][proof]") {
    StoreFixture fixture;
    auto progress = insert(fixture, plays("d-1", 7, {1, 2, 3, 4}));
    REQUIRE(progress.size() == 1);
    CHECK(progress[0].device == "d-1");
    CHECK(progress[0].install_epoch == 7);
    CHECK(progress[0].contiguous == 4);
    CHECK(progress[0].highest == 4);
    CHECK(progress[0].inserted == 4);
    CHECK(progress[0].gaps.empty());
    CHECK(stored_proof_rows(fixture) == 4);
}

TEST_CASE("a repeated batch changes nothing", "[controller][proof]") {
    StoreFixture fixture;
    auto rows = plays("d-1", 7, {1, 2, 3});
    auto first = insert(fixture, rows);
    auto again = insert(fixture, rows);
    CHECK(stored_proof_rows(fixture) == 3);
    CHECK(again[0].inserted == 0);
    CHECK(again[0].contiguous == first[0].contiguous);
    CHECK(again[0].gaps == first[0].gaps);

    // A repeat whose content differs (a buggy device) does not overwrite the first report.
    auto changed = rows;
    changed[1].outcome = PlayOutcome::Failed;
    insert(fixture, changed);
    auto database = fixture.raw_connection();
    auto outcome = database->prepare("SELECT outcome FROM proof_of_play WHERE seq = 2");
    REQUIRE(outcome);
    REQUIRE(outcome->fetch_one().value());
    CHECK(outcome->column_text(0) == "completed");
}

TEST_CASE("gaps are reported and close when the missing rows arrive out of order", "[controller][proof]") {
    StoreFixture fixture;
    auto progress = insert(fixture, plays("d-1", 1, {1, 2, 5, 6, 9}));
    CHECK(progress[0].contiguous == 2);
    CHECK(progress[0].highest == 9);
    CHECK(progress[0].gaps == std::vector<SeqRange>{{3, 4}, {7, 8}});

    progress = insert(fixture, plays("d-1", 1, {8, 3}));
    CHECK(progress[0].contiguous == 3);
    CHECK(progress[0].gaps == std::vector<SeqRange>{{4, 4}, {7, 7}});

    progress = insert(fixture, plays("d-1", 1, {7, 4}));
    CHECK(progress[0].contiguous == 9);
    CHECK(progress[0].gaps.empty());
    CHECK(stored_proof_rows(fixture) == 9);
}

TEST_CASE("a batch that starts above 1 shows the leading gap", "[controller][proof]") {
    StoreFixture fixture;
    auto progress = insert(fixture, plays("d-1", 1, {4, 5}));
    CHECK(progress[0].contiguous == 0);
    CHECK(progress[0].gaps == std::vector<SeqRange>{{1, 3}});
}

TEST_CASE("devices and install epochs are counted separately", "[controller][proof]") {
    StoreFixture fixture;
    std::vector<ProofOfPlayRow> rows = plays("d-1", 1, {1, 2});
    for (auto& row : plays("d-2", 1, {1, 3})) rows.push_back(row);
    for (auto& row : plays("d-1", 2, {1})) rows.push_back(row);
    auto progress = insert(fixture, rows);
    REQUIRE(progress.size() == 3);
    CHECK(progress[0].device == "d-1");
    CHECK(progress[0].contiguous == 2);
    CHECK(progress[1].device == "d-2");
    CHECK(progress[1].contiguous == 1);
    CHECK(progress[1].gaps == std::vector<SeqRange>{{2, 2}});
    CHECK(progress[2].install_epoch == 2);
    CHECK(progress[2].contiguous == 1);
}

TEST_CASE("proof_progress reads the same state without inserting", "[controller][proof]") {
    StoreFixture fixture;
    insert(fixture, plays("d-1", 1, {1, 2, 4}));
    auto progress = fixture.store->read_value<ProofProgress>(
        [](StoreTransaction& transaction) { return transaction.proof_progress("d-1", 1); });
    REQUIRE(progress);
    CHECK(progress->contiguous == 2);
    CHECK(progress->highest == 4);
    CHECK(progress->gaps == std::vector<SeqRange>{{3, 3}});

    auto unknown = fixture.store->read_value<ProofProgress>(
        [](StoreTransaction& transaction) { return transaction.proof_progress("nobody", 1); });
    REQUIRE(unknown);
    CHECK(unknown->contiguous == 0);
    CHECK(unknown->highest == 0);
}

TEST_CASE("a batch with a non-positive seq is refused whole", "[controller][proof]") {
    StoreFixture fixture;
    auto rows = plays("d-1", 1, {1, 2, 0});
    auto refused = fixture.store->write_value<std::vector<ProofProgress>>([&](StoreTransaction& transaction) {
        return transaction.insert_proof_of_play(rows, fixture.clock.wall());
    });
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::InvalidInput);
    CHECK_THAT(refused.error().detail, Catch::Contains("seq 0"));
    CHECK(stored_proof_rows(fixture) == 0);
}

TEST_CASE("shuffled, repeated batches end exact (fixed seed)", "[controller][proof][property]") {
    const unsigned seed = 20260101;
    CAPTURE(seed);
    std::mt19937 random{seed};
    StoreFixture fixture;
    std::vector<std::int64_t> seqs(200);
    for (std::size_t i = 0; i < seqs.size(); ++i) seqs[i] = static_cast<std::int64_t>(i) + 1;
    std::shuffle(seqs.begin(), seqs.end(), random);
    std::int64_t previous_contiguous = 0;
    for (std::size_t start = 0; start < seqs.size(); start += 17) {
        std::vector<std::int64_t> batch(
            seqs.begin() + static_cast<std::ptrdiff_t>(start),
            seqs.begin() + static_cast<std::ptrdiff_t>(std::min(start + 17, seqs.size())));
        // Every batch is sent twice, as after a lost ack.
        insert(fixture, plays("d-1", 1, batch));
        auto progress = insert(fixture, plays("d-1", 1, batch));
        CHECK(progress[0].contiguous >= previous_contiguous);
        previous_contiguous = progress[0].contiguous;
    }
    CHECK(previous_contiguous == 200);
    CHECK(stored_proof_rows(fixture) == 200);
}

TEST_CASE(
    "a relay's figures are stored with its row, the other rows have none, and the schema keeps the three "
    "together",
    "[controller][proof][relay]") {
    StoreFixture fixture;
    auto rows = plays("loa-1", 1, {1, 2});
    rows[0].duration_ms = 9'000;
    rows[0].relay = protocol::RelayFigures{3'000, 5'000, 1};
    insert(fixture, rows);
    auto stored = fixture.store->read_value<std::vector<ProofOfPlayRow>>([&](StoreTransaction& transaction) {
        return transaction.list_proof_of_play(from_unix_ms(0), from_unix_ms(std::int64_t{1} << 50));
    });
    REQUIRE(stored);
    REQUIRE(stored->size() == 2);
    CHECK((*stored)[0].relay == protocol::RelayFigures{3'000, 5'000, 1});
    CHECK_FALSE((*stored)[1].relay);

    // Written by hand, half a relay's figures or a negative one is refused by the table itself.
    auto database = fixture.raw_connection();
    const std::string columns =
        "INSERT INTO proof_of_play (device_id, install_epoch, seq, campaign_id, alert_id, item, media, "
        "started_at, ended_at, outcome, bundle_version, received_at, relayed_ms, filler_ms, source_losses) "
        "VALUES ('loa-1', 1, 9, 'c-1', '', 0, '" +
        std::string(64, 'c') + "', 0, 0, 'completed', 1, 0, ";
    CHECK_FALSE(database->execute(columns + "1000, NULL, 0)"));
    CHECK_FALSE(database->execute(columns + "NULL, NULL, 2)"));
    CHECK_FALSE(database->execute(columns + "1000, -1, 0)"));
    CHECK(database->execute(columns + "1000, 0, 0)"));
}
