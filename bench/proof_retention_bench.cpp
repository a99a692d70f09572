// Proof-of-play retention benchmark (docs/store.md, "Proof-of-play retention").
//
//   proof_rows                 rows stored: D devices x N days x R plays a day, one campaign
//                              row in most plays, an alert row in some, all older than the horizon
//   summarise_ms               time for one whole ProofRetention pass to fold them all into day
//                              summaries and delete them (one transaction per device-day,
//                              synchronous=FULL as the controller runs)
//   rows_per_s                 proof_rows / summarise time
//   db_bytes_before            the database file (with its WAL checkpointed) holding the rows
//   db_bytes_after             the same file after the pass (SQLite keeps the freed pages)
//   db_bytes_after_vacuum      after VACUUM: what the summaries take
//   summary_rows               rows of proof_of_play_daily
//
//   bench/proof_retention_bench [--devices D] [--days N] [--rows R] [--dir DIR]
//
// Defaults: 100 devices x 10 days x 1,000 plays = 1,000,000 rows. Prints name=value lines last.

#include "bantin/controller/proof_retention.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bench_support.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace bantin;
using namespace bantin::controller;
namespace fs = std::filesystem;

const char* const bantin::bench::program_name = "proof_retention_bench";

namespace {

using bench::die;
using bench::must;

class FixedClock final : public Clock {
public:
    explicit FixedClock(TimePoint now) : m_now(now) {}
    TimePoint wall() const override { return m_now; }
    MonotonicTime monotonic() const override { return MonotonicTime{}; }

private:
    TimePoint m_now;
};

std::uintmax_t file_bytes(const fs::path& path) {
    std::error_code error;
    const auto size = fs::file_size(path, error);
    return error ? 0 : size;
}

void checkpoint(const fs::path& path) {
    auto database = must(sqlite::Database::open(path.string()), "open for checkpoint");
    must(database.execute("PRAGMA wal_checkpoint(TRUNCATE)"), "checkpoint");
}

}  // namespace

int main(int argc, char** argv) {
    int devices = 100;
    int days = 10;
    int per_day = 1000;
    fs::path directory;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--devices")
            devices = std::atoi(argv[i + 1]);
        else if (flag == "--days")
            days = std::atoi(argv[i + 1]);
        else if (flag == "--rows")
            per_day = std::atoi(argv[i + 1]);
        else if (flag == "--dir")
            directory = argv[i + 1];
        else
            die("unknown argument " + flag);
    }
    if (devices < 1 || days < 1 || per_day < 1)
        die("--devices, --days and --rows must be positive");
    const bool own_directory = directory.empty();
    if (own_directory) {
        char pattern[] = "/tmp/proof-retention-bench-XXXXXX";
        if (::mkdtemp(pattern) == nullptr)
            die("mkdtemp failed");
        directory = pattern;
    }
    const fs::path path = directory / "controller.db";
    const TimePoint first_day = from_unix_ms(1'764'003'600'000);  // 2025-11-24T17:00Z, a local midnight
    FixedClock clock{first_day + std::chrono::days{days + 30}};
    auto store = must(SqliteStore::open(path.string(), clock), "open the store");

    std::int64_t stored = 0;
    const auto spacing = std::chrono::milliseconds{std::chrono::hours{16}} / per_day;
    for (int device = 0; device < devices; ++device) {
        const std::string id = "device-" + std::to_string(device);
        std::int64_t seq = 0;
        for (int day = 0; day < days; ++day) {
            std::vector<ProofOfPlayRow> rows;
            rows.reserve(static_cast<std::size_t>(per_day));
            const TimePoint morning = first_day + std::chrono::days{day} + std::chrono::hours{6};
            for (int play = 0; play < per_day; ++play) {
                ProofOfPlayRow row;
                row.device = id;
                row.install_epoch = 1;
                row.seq = ++seq;
                if (play % 50 == 0)
                    row.alert = "alert-" + std::to_string(play % 3);
                else
                    row.campaign = "campaign-" + std::to_string(play % 20);
                row.item = play % 4;
                row.media = std::string(64, static_cast<char>('a' + play % 6));
                row.started = morning + spacing * play;
                row.ended = row.started + std::chrono::seconds{15};
                row.outcome = play % 37 == 0
                                  ? PlayOutcome::Interrupted
                                  : (play % 101 == 0 ? PlayOutcome::Failed : PlayOutcome::Completed);
                row.duration_ms = 15'000;
                row.bundle_version = 7;
                rows.push_back(std::move(row));
            }
            must(store->write([&](StoreTransaction& transaction) -> Result<void> {
                auto inserted = transaction.insert_proof_of_play(rows, clock.wall());
                if (!inserted)
                    return std::unexpected(inserted.error());
                return {};
            }),
                 "insert rows");
            stored += per_day;
        }
    }
    checkpoint(path);
    const auto before = file_bytes(path);

    ProofRetention retention{*store, clock, 7};
    const auto started = std::chrono::steady_clock::now();
    const RetentionPass pass = must(retention.run(), "retention pass");
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (pass.rows != stored)
        die("folded " + std::to_string(pass.rows) + " rows of " + std::to_string(stored));
    checkpoint(path);
    const auto after = file_bytes(path);
    std::int64_t summary_rows = 0;
    {
        auto database = must(sqlite::Database::open(path.string()), "open for vacuum");
        must(database.execute("VACUUM"), "vacuum");
        auto count = must(database.prepare("SELECT count(*) FROM proof_of_play_daily"), "count summaries");
        if (must(count.fetch_one(), "count summaries"))
            summary_rows = count.column_int64(0);
    }
    checkpoint(path);
    const auto vacuumed = file_bytes(path);
    store.reset();
    if (own_directory)
        fs::remove_all(directory);

    const double milliseconds = std::chrono::duration<double, std::milli>(elapsed).count();
    std::printf("proof_rows=%lld\n", static_cast<long long>(stored));
    std::printf("device_days=%lld\n", static_cast<long long>(pass.days));
    std::printf("summarise_ms=%.0f\n", milliseconds);
    std::printf("rows_per_s=%.0f\n", static_cast<double>(stored) / (milliseconds / 1000.0));
    std::printf("db_bytes_before=%ju\n", before);
    std::printf("db_bytes_after=%ju\n", after);
    std::printf("db_bytes_after_vacuum=%ju\n", vacuumed);
    std::printf("summary_rows=%lld\n", static_cast<long long>(summary_rows));
    return 0;
}
