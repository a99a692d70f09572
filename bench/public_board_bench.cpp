// The residents' public notice board (/cong-khai, docs/public.md) under a crowd, on loopback:
// the real API server behind the real HTTP front (nginx), a SQLite store holding the twelve
// communes and wards of Tân Uyên, a loudspeaker and a screen in each, an approved notice per
// zone and a live alert for one; 100 clients on keep-alive connections read zone pages.
//
//   public_board_requests_per_s       full pages (200) a second, 100 concurrent clients
//   public_board_p50_ms / _p99_ms     latency of one page request under that load
//   public_board_not_modified_per_s   the same with If-None-Match (304, no body), as a phone
//                                     that comes back does
//   public_board_page_bytes           size of a zone page
//   process_rss_mb                    resident memory of this process (API server, store, nginx
//                                     excluded, and the 100 client threads) after the load
//
// The per-client rate limit is raised for the crowd (every client here is 127.0.0.1); the
// default's effect is shown on its own:
//   one_client_burst_answered         of 100 requests one client sends back to back with the
//                                     defaults (a burst of 40, then 10 a second while it goes
//                                     on; each 429 closes its connection), how many got a page
//   one_client_burst_seconds          how long those 100 took
//
//   bench/public_board_bench [--clients 100] [--requests 20000]
//
// Prints name=value lines last.

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/approval.hpp"
#include "bantin/controller/auth.hpp"
#include "bantin/controller/http_front.hpp"
#include "bantin/controller/http_server.hpp"
#include "bantin/controller/public_board.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bantin/media/sha256.hpp"
#include "bantin/media/store.hpp"
#include "bench_support.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace bantin;
using namespace bantin::controller;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

const char* const bantin::bench::program_name = "public_board_bench";

namespace {

using bench::die;
using bench::must;

const std::vector<std::pair<std::string, std::string>> tan_uyen = {
    {"uyen-hung", "Phường Uyên Hưng"},
    {"tan-phuoc-khanh", "Phường Tân Phước Khánh"},
    {"thai-hoa", "Phường Thái Hòa"},
    {"thanh-phuoc", "Phường Thạnh Phước"},
    {"tan-hiep", "Phường Tân Hiệp"},
    {"khanh-binh", "Phường Khánh Bình"},
    {"vinh-tan", "Phường Vĩnh Tân"},
    {"hoi-nghia", "Phường Hội Nghĩa"},
    {"tan-vinh-hiep", "Phường Tân Vĩnh Hiệp"},
    {"phu-chanh", "Phường Phú Chánh"},
    {"bach-dang", "Xã Bạch Đằng"},
    {"thanh-hoi", "Xã Thạnh Hội"}};

double rss_mb() {
    std::ifstream status{"/proc/self/status"};
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with("VmRSS:"))
            return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

struct Load {
    double per_second = 0;
    double p50 = 0;
    double p99 = 0;
};

Load crowd(std::uint16_t port, int clients, int total, bool conditional, const std::string& tag) {
    std::mutex mutex;
    std::vector<double> samples;
    std::atomic<int> failures{0};
    std::string first_failure;
    const int each = total / clients;
    const auto start = Steady::now();
    std::vector<std::thread> threads;
    for (int client = 0; client < clients; ++client)
        threads.emplace_back([&, client] {
            httplib::Client http("127.0.0.1", port);
            http.set_keep_alive(true);
            std::vector<double> mine;
            for (int index = 0; index < each; ++index) {
                const std::string& zone =
                    tan_uyen[static_cast<std::size_t>(client + index) % tan_uyen.size()].first;
                httplib::Headers headers;
                if (conditional)
                    headers.emplace("If-None-Match", tag);
                const auto sent = Steady::now();
                auto response =
                    http.Get(conditional ? "/cong-khai/uyen-hung" : "/cong-khai/" + zone, headers);
                mine.push_back(std::chrono::duration<double, std::milli>(Steady::now() - sent).count());
                if (!response || response->status != (conditional ? 304 : 200)) {
                    if (failures.fetch_add(1) == 0) {
                        std::lock_guard lock{mutex};
                        first_failure = response ? "status " + std::to_string(response->status) + ": " +
                                                       response->body.substr(0, 200)
                                                 : httplib::to_string(response.error()) + " after " +
                                                       std::to_string(mine.back()) + " ms, request " +
                                                       std::to_string(index);
                    }
                }
            }
            std::lock_guard lock{mutex};
            samples.insert(samples.end(), mine.begin(), mine.end());
        });
    for (auto& thread : threads) thread.join();
    const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
    if (failures.load() > 0)
        die("public board: " + std::to_string(failures.load()) +
            " requests failed, the first: " + first_failure);
    std::sort(samples.begin(), samples.end());
    auto at = [&](double fraction) {
        const auto index = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1) + 0.5);
        return samples[std::min(index, samples.size() - 1)];
    };
    return Load{static_cast<double>(each * clients) / seconds, at(0.50), at(0.99)};
}

}  // namespace

int main(int argc, char** argv) {
    int clients = 100;
    int requests = 20000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--clients")
            clients = std::max(1, std::atoi(argv[i + 1]));
        else if (flag == "--requests")
            requests = std::max(1, std::atoi(argv[i + 1]));
    }

    SystemClock clock;
    std::string pattern = (fs::temp_directory_path() / "bantin-public-board-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        return 1;
    const fs::path directory = pattern;
    config::ControllerConfig config;
    config.storage.data_dir = directory;
    config.http.front = config::HttpFront::Nginx;
    config.http.listen_address = "127.0.0.1";
    config.http.port = bench::free_port();
    config.http.connections_per_address = 4 * clients;
    config.http.public_requests_per_s = 1'000'000;
    config.http.public_burst = 1'000'000;

    auto store = must(SqliteStore::open((directory / "controller.db").string(), clock), "open store");
    AuthPolicy policy;
    policy.cost = PasswordCost::minimum();
    Auth auth{*store, clock, policy};
    ApprovalService approval{*store, clock};
    auto media = must(media::ContentStore::open(directory / "media"), "media store");
    const User admin = must(auth.create_first_admin("admin", "Quản trị", "bench-password-123"), "admin");
    const User editor =
        must(auth.create_user(admin, "bien-tap", "Biên tập", Role::Editor, "bench-password-123"), "editor");
    const User approver =
        must(auth.create_user(admin, "duyet", "Duyệt", Role::Approver, "bench-password-123"), "approver");

    must(store->write([&](StoreTransaction& transaction) -> Result<void> {
        for (const auto& [id, name] : tan_uyen) {
            if (auto done = transaction.insert_zone(ZoneRecord{id, name}); !done)
                return done;
            for (const auto kind : {scheduler::DeviceKind::Speaker, scheduler::DeviceKind::Screen}) {
                DeviceRecord device;
                device.device.id = (kind == scheduler::DeviceKind::Speaker ? "loa-" : "man-hinh-") + id;
                device.device.zone = id;
                device.device.kind = kind;
                device.mqtt_password_hash = "$7$101$unused$unused";
                device.created = clock.wall();
                if (auto added = transaction.insert_device(device); !added)
                    return added;
            }
            const std::string text = "Thông báo của " + name +
                                     "\nLịch cắt điện, tiêm chủng và họp dân tuần này: "
                                     "sáng thứ Hai từ 7h30 đến 11h00 tại nhà văn hóa khu phố.";
            const auto speech = media.put_bytes("speech of " + id);
            if (!speech)
                return std::unexpected(speech.error());
            MediaRecord audio;
            audio.media = scheduler::MediaRef{
                speech->sha256, scheduler::MediaType::Audio, Duration{9000}, true, false, id + " (speech)"};
            audio.size = static_cast<std::int64_t>(speech->size);
            audio.created = clock.wall();
            if (auto added = transaction.insert_media(audio); !added)
                return std::unexpected(added.error());
            MediaRecord notice;
            notice.media = scheduler::MediaRef{media::sha256_hex(text),
                                               scheduler::MediaType::Text,
                                               Duration{9000},
                                               true,
                                               false,
                                               id + ".txt"};
            notice.text = text;
            notice.tts_media = speech->sha256;
            notice.created = clock.wall();
            if (auto added = transaction.insert_media(notice); !added)
                return std::unexpected(added.error());
            PlaylistRecord playlist;
            playlist.playlist = scheduler::Playlist{"pl-" + id, "", {{notice.media.sha256, std::nullopt, 1}}};
            playlist.created = playlist.updated = clock.wall();
            if (auto added = transaction.insert_playlist(playlist); !added)
                return added;
        }
        return {};
    }),
         "store the town");
    for (const auto& [id, name] : tan_uyen) {
        scheduler::Campaign campaign;
        campaign.id = "tb-" + id;
        campaign.name = "Thông báo " + name;
        campaign.playlist = "pl-" + id;
        campaign.targets.zones = {id};
        const auto created = must(approval.create(editor, campaign), "create a campaign");
        const auto submitted = must(approval.submit(editor, campaign.id, created.version), "submit");
        must(approval.approve(approver, campaign.id, submitted.version), "approve");
    }
    AlertRecord flood;
    flood.alert.id = "lu-bach-dang";
    flood.alert.zones = {"bach-dang"};
    flood.alert.severity = scheduler::Severity::Extreme;
    flood.alert.issued = clock.wall();
    flood.alert.expires = clock.wall() + std::chrono::hours{6};
    flood.alert.headline = "Lũ trên sông Đồng Nai";
    flood.alert.text = "Người dân ven sông di chuyển lên vùng cao.";
    flood.alert.playlist = "pl-bach-dang";
    flood.state = AlertState::Sent;
    flood.created_by = approver.id;
    flood.created = clock.wall();
    must(store->write([&](StoreTransaction& transaction) { return transaction.insert_alert(flood); }),
         "alert");

    ApiContext context{*store, auth, approval, clock, config, media};
    ApiServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    ApiServer server{options};
    register_public_board(server, context);
    const auto backend = static_cast<std::uint16_t>(must(server.start(), "start the API server"));
    auto front = must(HttpFront::start(front_options(config, backend)), "start nginx");
    const auto port = static_cast<std::uint16_t>(config.http.port);

    httplib::Client probe("127.0.0.1", port);
    auto first = probe.Get("/cong-khai/uyen-hung");
    if (!first || first->status != 200)
        die("the board did not answer through the front");
    const std::string tag = first->get_header_value("ETag");
    const std::size_t page_bytes = first->body.size();

    crowd(port, clients, clients * 10, false, tag);  // warm-up: connections, the first snapshot
    const Load pages = crowd(port, clients, requests, false, tag);
    const Load revalidated = crowd(port, clients, requests, true, tag);
    const double rss = rss_mb();
    front->stop();
    server.stop();

    // The defaults: one client asking at once.
    config.http.public_requests_per_s = config::HttpConfig{}.public_requests_per_s;
    config.http.public_burst = config::HttpConfig{}.public_burst;
    ApiServer limited{options};
    register_public_board(limited, context);
    const auto limited_port = static_cast<std::uint16_t>(must(limited.start(), "start the limited server"));
    int answered = 0;
    const auto burst_start = Steady::now();
    {
        httplib::Client http("127.0.0.1", limited_port);
        http.set_keep_alive(true);
        for (int index = 0; index < 100; ++index) {
            auto response = http.Get("/cong-khai/uyen-hung");
            answered += response && response->status == 200 ? 1 : 0;
        }
    }
    const double burst_seconds = std::chrono::duration<double>(Steady::now() - burst_start).count();
    limited.stop();
    std::error_code ignored;
    fs::remove_all(directory, ignored);

    std::printf("clients=%d\n", clients);
    std::printf("public_board_page_bytes=%zu\n", page_bytes);
    std::printf("public_board_requests_per_s=%.0f\n", pages.per_second);
    std::printf("public_board_p50_ms=%.2f\n", pages.p50);
    std::printf("public_board_p99_ms=%.2f\n", pages.p99);
    std::printf("public_board_not_modified_per_s=%.0f\n", revalidated.per_second);
    std::printf("public_board_not_modified_p99_ms=%.2f\n", revalidated.p99);
    std::printf("process_rss_mb=%.1f\n", rss);
    std::printf("one_client_burst_answered=%d/100\n", answered);
    std::printf("one_client_burst_seconds=%.2f\n", burst_seconds);
    return 0;
}
