#include "bantin/media/cache.hpp"
#include "bantin/media/fetch.hpp"
#include "bantin/media/sha256.hpp"
#include "http_test_server.hpp"
#include "media_test_support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace bantin;
using namespace bantin::media;
using namespace std::chrono_literals;
using bantin::media::testing::count_files;
using bantin::media::testing::HttpTestServer;
using bantin::media::testing::read_file;
using bantin::media::testing::RecordingSleeper;
using bantin::media::testing::SettableClock;
using bantin::media::testing::TemporaryDirectory;
using bantin::media::testing::write_file;

namespace {

std::string make_content(std::size_t size, int seed = 7) {
    std::string content(size, '\0');
    std::uint32_t state = static_cast<std::uint32_t>(seed);
    for (char& byte : content) {
        state = state * 1'664'525u + 1'013'904'223u;
        byte = static_cast<char>(state >> 24);
    }
    return content;
}

FetchOptions quick_options() {
    FetchOptions options;
    options.connect_timeout = 2s;
    options.retry.max_attempts = 3;
    options.retry.initial_delay = 1s;
    options.random_seed = 42;
    return options;
}

struct RequestLog {
    std::mutex mutex;
    std::vector<std::string> ranges;
    std::vector<std::string> authorizations;
    void add(const httplib::Request& request) {
        std::lock_guard lock{mutex};
        ranges.push_back(request.get_header_value("Range"));
        authorizations.push_back(request.get_header_value("Authorization"));
    }
    std::size_t count() {
        std::lock_guard lock{mutex};
        return ranges.size();
    }
};

struct FetchFixture {
    TemporaryDirectory directory;
    ContentStore store = *ContentStore::open(directory.path());
    RecordingSleeper sleeper;
    HttpTestServer server;
    RequestLog log;
};

}  // namespace

TEST_CASE("fetch downloads, verifies and stores a file", "[media][fetch]") {
    FetchFixture fixture;
    const std::string content = make_content(1'000'000);
    fixture.server.routes().Get("/media/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    response.set_content(content, "application/octet-stream");
                                });
    fixture.server.start();

    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    std::vector<FetchProgress> reports;
    auto fetched =
        fetcher.fetch({fixture.server.url("/media/file"), sha256_hex(content), content.size()}, CancelToken{},
                      [&](const FetchProgress& progress) { reports.push_back(progress); });
    REQUIRE(fetched);
    CHECK(fetched->sha256 == sha256_hex(content));
    CHECK(fetched->size == content.size());
    CHECK(read_file(*fixture.store.lookup(fetched->sha256)) == content);
    CHECK(count_files(fixture.directory.path() / "partial") == 0);
    REQUIRE_FALSE(reports.empty());
    CHECK(reports.back().bytes_done == content.size());
    CHECK(reports.back().bytes_total == content.size());
    CHECK(reports.back().items_done == 1);
    CHECK(fixture.log.count() == 1);
}

TEST_CASE("fetch skips the download when the digest is already stored", "[media][fetch]") {
    FetchFixture fixture;
    fixture.server.routes().Get("/media/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    response.status = 500;
                                });
    fixture.server.start();
    auto stored = fixture.store.put_bytes("already here");
    REQUIRE(stored);
    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    auto fetched =
        fetcher.fetch({fixture.server.url("/media/file"), stored->sha256, stored->size}, CancelToken{});
    REQUIRE(fetched);
    CHECK(fetched->already_present);
    CHECK(fixture.log.count() == 0);
}

TEST_CASE("fetch resumes with a Range request after the server drops the connection midway",
          "[media][fetch]") {
    FetchFixture fixture;
    const std::string content = make_content(600'000);
    const std::size_t cut = 250'000;
    std::atomic<bool> drop_next{true};
    fixture.server.routes().Get(
        "/media/file", [&](const httplib::Request& request, httplib::Response& response) {
            fixture.log.add(request);
            const bool drop = drop_next.exchange(false);
            response.set_content_provider(
                content.size(), "application/octet-stream",
                [&content, drop, cut](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                    if (drop) {
                        // Serve part of the body, then close the connection.
                        if (offset < cut) {
                            sink.write(content.data() + offset, std::min(length, cut - offset));
                            return true;
                        }
                        return false;
                    }
                    sink.write(content.data() + offset, std::min<std::size_t>(length, 64 * 1024));
                    return true;
                });
        });
    fixture.server.start();

    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    auto fetched = fetcher.fetch({fixture.server.url("/media/file"), sha256_hex(content), content.size()},
                                 CancelToken{});
    REQUIRE(fetched);
    CHECK(read_file(*fixture.store.lookup(fetched->sha256)) == content);
    REQUIRE(fixture.log.count() == 2);
    CHECK(fixture.log.ranges[0].empty());
    CHECK(fixture.log.ranges[1] == "bytes=" + std::to_string(cut) + "-");
    CHECK(fixture.sleeper.delays().size() == 1);
}

TEST_CASE("fetch resumes a partial file left by an earlier run", "[media][fetch]") {
    FetchFixture fixture;
    const std::string content = make_content(100'000);
    fixture.server.routes().Get(
        "/media/file", [&](const httplib::Request& request, httplib::Response& response) {
            fixture.log.add(request);
            response.set_content(content, "application/octet-stream");  // httplib honours Range
        });
    fixture.server.start();
    const std::string digest = sha256_hex(content);
    write_file(*fixture.store.partial_path(digest), std::string_view{content}.substr(0, 40'000));

    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    auto fetched = fetcher.fetch({fixture.server.url("/media/file"), digest, content.size()}, CancelToken{});
    REQUIRE(fetched);
    REQUIRE(fixture.log.count() == 1);
    CHECK(fixture.log.ranges[0] == "bytes=40000-");
    CHECK(read_file(*fixture.store.lookup(digest)) == content);
}

TEST_CASE("a download whose sha256 does not match is deleted and never stored", "[media][fetch]") {
    FetchFixture fixture;
    const std::string content = make_content(50'000);
    const std::string expected = sha256_hex("something else entirely");
    fixture.server.routes().Get("/media/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    response.set_content(content, "application/octet-stream");
                                });
    fixture.server.start();

    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    auto fetched =
        fetcher.fetch({fixture.server.url("/media/file"), expected, content.size()}, CancelToken{});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == Errc::Crypto);
    CHECK(fetched.error().detail.find("sha256 mismatch") != std::string::npos);
    CHECK_FALSE(fixture.store.contains(expected));
    CHECK_FALSE(fixture.store.contains(sha256_hex(content)));
    CHECK(count_files(fixture.directory.path()) == 0);
    CHECK(fixture.log.count() == 1);  // not retried
}

TEST_CASE("a body longer than the manifest size is refused without reading it all", "[media][fetch]") {
    FetchFixture fixture;
    const std::string content = make_content(300'000);
    fixture.server.routes().Get("/media/file", [&](const httplib::Request&, httplib::Response& response) {
        response.set_content(content, "application/octet-stream");
    });
    fixture.server.start();
    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    auto fetched =
        fetcher.fetch({fixture.server.url("/media/file"), sha256_hex(content), 1'000}, CancelToken{});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == Errc::Crypto);
    CHECK(count_files(fixture.directory.path()) == 0);
}

TEST_CASE("a 404 is retried with growing delays, then reported as not found", "[media][fetch]") {
    FetchFixture fixture;
    fixture.server.routes().Get("/media/missing",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    response.status = 404;
                                });
    fixture.server.start();
    FetchOptions options = quick_options();
    options.retry.jitter = 0.0;
    Fetcher fetcher{fixture.store, options, fixture.sleeper};
    auto fetched =
        fetcher.fetch({fixture.server.url("/media/missing"), std::string(64, 'a'), 10}, CancelToken{});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == Errc::NotFound);
    CHECK(fetched.error().detail.find("gave up after 3 attempts") != std::string::npos);
    CHECK(fetched.error().detail.find("HTTP 404") != std::string::npos);
    CHECK(fixture.log.count() == 3);
    CHECK(fixture.sleeper.delays() == std::vector<Duration>{1s, 2s});
}

TEST_CASE("a 500 is retried and the download succeeds once the server recovers", "[media][fetch]") {
    FetchFixture fixture;
    const std::string content = make_content(10'000);
    std::atomic<int> failures_left{2};
    fixture.server.routes().Get("/media/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    if (failures_left.fetch_sub(1) > 0) {
                                        response.status = 500;
                                        return;
                                    }
                                    response.set_content(content, "application/octet-stream");
                                });
    fixture.server.start();
    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    auto fetched = fetcher.fetch({fixture.server.url("/media/file"), sha256_hex(content), content.size()},
                                 CancelToken{});
    REQUIRE(fetched);
    CHECK(fixture.log.count() == 3);
    const auto delays = fixture.sleeper.delays();
    REQUIRE(delays.size() == 2);
    CHECK(delays[0] >= 500ms);  // 1 s with up to 50 % jitter
    CHECK(delays[0] <= 1s);
    CHECK(delays[1] >= 1s);
    CHECK(delays[1] <= 2s);
}

TEST_CASE("a 500 on every attempt ends in a clear network error", "[media][fetch]") {
    FetchFixture fixture;
    fixture.server.routes().Get("/media/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    response.status = 503;
                                });
    fixture.server.start();
    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    auto fetched =
        fetcher.fetch({fixture.server.url("/media/file"), std::string(64, 'b'), 10}, CancelToken{});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == Errc::Network);
    CHECK(fetched.error().message().find("HTTP 503") != std::string::npos);
    CHECK(fixture.log.count() == 3);
}

TEST_CASE("a refused connection is retried and reported as a network error", "[media][fetch]") {
    FetchFixture fixture;
    fixture.server.start();
    const std::string url = fixture.server.url("/media/file");
    fixture.server.stop();  // nothing listens on the port any more
    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    auto fetched = fetcher.fetch({url, std::string(64, 'c'), 10}, CancelToken{});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == Errc::Network);
    CHECK(fixture.sleeper.delays().size() == 2);
}

TEST_CASE("the bearer token is sent and a 401 is not retried", "[media][fetch][auth]") {
    FetchFixture fixture;
    const std::string content = make_content(1'000);
    fixture.server.routes().Get("/media/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    if (request.get_header_value("Authorization") != "Bearer device-secret") {
                                        response.status = 401;
                                        return;
                                    }
                                    response.set_content(content, "application/octet-stream");
                                });
    fixture.server.start();
    const FetchRequest request{fixture.server.url("/media/file"), sha256_hex(content), content.size()};

    FetchOptions options = quick_options();
    options.auth = FetchAuth::bearer("device-secret");
    Fetcher authorised{fixture.store, options, fixture.sleeper};
    REQUIRE(authorised.fetch(request, CancelToken{}));
    CHECK(fixture.log.authorizations.at(0) == "Bearer device-secret");

    REQUIRE(fixture.store.remove(request.sha256));
    options.auth = FetchAuth::bearer("wrong");
    Fetcher refused{fixture.store, options, fixture.sleeper};
    auto fetched = refused.fetch(request, CancelToken{});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == Errc::Unauthenticated);
    CHECK(fixture.log.count() == 2);
    CHECK(fixture.sleeper.delays().empty());
}

TEST_CASE("basic auth sends the user and password", "[media][fetch][auth]") {
    FetchFixture fixture;
    const std::string content = make_content(1'000);
    fixture.server.routes().Get("/media/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    response.set_content(content, "application/octet-stream");
                                });
    fixture.server.start();
    FetchOptions options = quick_options();
    options.auth = FetchAuth::basic("device-7", "pa55");
    Fetcher fetcher{fixture.store, options, fixture.sleeper};
    REQUIRE(fetcher.fetch({fixture.server.url("/media/file"), sha256_hex(content), content.size()},
                          CancelToken{}));
    CHECK(fixture.log.authorizations.at(0) == "Basic ZGV2aWNlLTc6cGE1NQ==");
}

TEST_CASE("credentials with a line break are refused before any request", "[media][fetch][auth]") {
    FetchFixture fixture;
    FetchOptions options = quick_options();
    options.auth = FetchAuth::bearer("x\r\nX-Injected: 1");
    Fetcher fetcher{fixture.store, options, fixture.sleeper};
    auto fetched = fetcher.fetch({"http://127.0.0.1:1/x", std::string(64, 'd'), 1}, CancelToken{});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == Errc::InvalidInput);
}

TEST_CASE("a URL that is not http or https is refused", "[media][fetch]") {
    FetchFixture fixture;
    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    auto fetched = fetcher.fetch({"file:///etc/passwd", std::string(64, 'e'), 1}, CancelToken{});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == Errc::InvalidInput);
}

TEST_CASE("fetch_all never runs more transfers at once than allowed", "[media][fetch]") {
    FetchFixture fixture;
    std::vector<std::string> contents;
    for (int index = 0; index < 6; ++index) {
        contents.push_back(make_content(20'000, index + 1));
    }
    std::atomic<int> in_flight{0};
    std::atomic<int> most_in_flight{0};
    fixture.server.routes().Get(R"(/media/(\d+))", [&](const httplib::Request& request,
                                                       httplib::Response& response) {
        const int now = ++in_flight;
        int seen = most_in_flight.load();
        while (now > seen && !most_in_flight.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(150ms);
        response.set_content(contents.at(std::stoul(request.matches[1].str())), "application/octet-stream");
        --in_flight;
    });
    fixture.server.start();

    std::vector<FetchRequest> requests;
    std::uint64_t total = 0;
    for (std::size_t index = 0; index < contents.size(); ++index) {
        requests.push_back({fixture.server.url("/media/" + std::to_string(index)),
                            sha256_hex(contents[index]), contents[index].size()});
        total += contents[index].size();
    }
    requests.push_back(requests.front());  // a duplicate is downloaded once

    FetchOptions options = quick_options();
    options.parallel_transfers = 2;
    Fetcher fetcher{fixture.store, options, fixture.sleeper};
    FetchProgress last;
    auto outcomes =
        fetcher.fetch_all(requests, CancelToken{}, [&](const FetchProgress& progress) { last = progress; });
    REQUIRE(outcomes.size() == requests.size());
    for (const FetchOutcome& outcome : outcomes) {
        CHECK(outcome.result);
        CHECK(fixture.store.contains(outcome.request.sha256));
    }
    CHECK(most_in_flight.load() == 2);
    CHECK(last.items_done == contents.size());
    CHECK(last.items_total == contents.size());
    CHECK(last.bytes_done == total);
    CHECK(last.bytes_total == total);
}

TEST_CASE("two fetchers of one file download it once: the second waits and finds it stored",
          "[media][fetch]") {
    FetchFixture fixture;
    const std::string content = make_content(300'000, 11);
    std::mutex mutex;
    std::condition_variable changed;
    bool first_request_seen = false;
    bool body_may_go = false;
    fixture.server.routes().Get("/media/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    std::unique_lock lock{mutex};
                                    first_request_seen = true;
                                    changed.notify_all();
                                    changed.wait(lock, [&] { return body_may_go; });
                                    response.set_content(content, "application/octet-stream");
                                });
    fixture.server.start();

    // The second fetcher says when it is waiting for the first (its first sleep), then waits
    // for real.
    class WaitingSleeper final : public Sleeper {
    public:
        WaitingSleeper(std::mutex& mutex, std::condition_variable& changed, bool& waiting)
            : m_mutex(mutex), m_changed(changed), m_waiting(waiting) {}
        bool sleep(Duration delay, const CancelToken& cancel) override {
            {
                std::lock_guard lock{m_mutex};
                m_waiting = true;
            }
            m_changed.notify_all();
            return !cancel.wait_for(delay);
        }

    private:
        std::mutex& m_mutex;
        std::condition_variable& m_changed;
        bool& m_waiting;
    };
    bool second_waiting = false;
    WaitingSleeper waiting_sleeper{mutex, changed, second_waiting};

    const FetchRequest request{fixture.server.url("/media/file"), sha256_hex(content), content.size()};
    Fetcher first{fixture.store, quick_options(), fixture.sleeper};
    Fetcher second{fixture.store, quick_options(), waiting_sleeper};
    Result<StoredObject> first_result = fail(Errc::Internal, "not run");
    Result<StoredObject> second_result = fail(Errc::Internal, "not run");
    std::thread first_thread{[&] { first_result = first.fetch(request, CancelToken{}); }};
    {
        std::unique_lock lock{mutex};
        changed.wait(lock, [&] { return first_request_seen; });
    }
    std::thread second_thread{[&] { second_result = second.fetch(request, CancelToken{}); }};
    {
        std::unique_lock lock{mutex};
        // Without the digest's lock the second fetcher never waits: it downloads on its own.
        const bool waited = changed.wait_for(lock, 30s, [&] { return second_waiting; });
        body_may_go = true;
        CHECK(waited);
    }
    changed.notify_all();
    first_thread.join();
    second_thread.join();

    REQUIRE(first_result);
    REQUIRE(second_result);
    CHECK_FALSE(first_result->already_present);
    CHECK(second_result->already_present);
    CHECK(fixture.log.count() == 1);
    CHECK(read_file(*fixture.store.lookup(request.sha256)) == content);
    CHECK(count_files(fixture.directory.path() / "partial") == 0);  // no .part, no .lock left
}

TEST_CASE(
    "a fetcher waiting to retry holds no lock: another fetch of the file goes ahead and the first finds it "
    "stored",
    "[media][fetch]") {
    FetchFixture fixture;
    const std::string content = make_content(50'000, 12);
    fixture.server.routes().Get("/down/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    response.status = 503;  // a server that is down: retryable
                                });
    fixture.server.routes().Get("/up/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    response.set_content(content, "application/octet-stream");
                                });
    fixture.server.start();

    // The first fetcher's wait before its second attempt lasts until the test lets it go.
    class HeldSleeper final : public Sleeper {
    public:
        bool sleep(Duration, const CancelToken& cancel) override {
            std::unique_lock lock{mutex};
            sleeping = true;
            changed.notify_all();
            changed.wait(lock, [&] { return released || cancel.cancelled(); });
            return !cancel.cancelled();
        }
        std::mutex mutex;
        std::condition_variable changed;
        bool sleeping = false;
        bool released = false;
    };
    HeldSleeper held;
    const std::string digest = sha256_hex(content);
    Fetcher first{fixture.store, quick_options(), held};
    Fetcher second{fixture.store, quick_options(), fixture.sleeper};
    Result<StoredObject> first_result = fail(Errc::Internal, "not run");
    std::thread first_thread{[&] {
        first_result = first.fetch({fixture.server.url("/down/file"), digest, content.size()}, CancelToken{});
    }};
    {
        std::unique_lock lock{held.mutex};
        REQUIRE(held.changed.wait_for(lock, 30s, [&] { return held.sleeping; }));
    }
    // The first is between attempts: the second fetches the same file at once.
    auto second_result =
        second.fetch({fixture.server.url("/up/file"), digest, content.size()}, CancelToken{});
    {
        std::lock_guard lock{held.mutex};
        held.released = true;
    }
    held.changed.notify_all();
    first_thread.join();
    REQUIRE(second_result);
    CHECK_FALSE(second_result->already_present);
    REQUIRE(first_result);
    CHECK(first_result->already_present);  // found stored after its wait, not fetched again
    CHECK(read_file(*fixture.store.lookup(digest)) == content);
    CHECK(count_files(fixture.directory.path() / "partial") == 0);
}

TEST_CASE("cancel stops a stalled transfer and keeps its partial file", "[media][fetch]") {
    FetchFixture fixture;
    const std::string content = make_content(1'000'000);
    std::atomic<bool> stop_serving{false};
    fixture.server.routes().Get("/media/slow", [&](const httplib::Request&, httplib::Response& response) {
        response.set_content_provider(content.size(), "application/octet-stream",
                                      [&](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                          if (offset == 0) {
                                              sink.write(content.data(), 1'000);
                                              return true;
                                          }
                                          while (!stop_serving) {
                                              std::this_thread::sleep_for(20ms);
                                          }
                                          return false;
                                      });
    });
    fixture.server.start();
    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper};
    CancelToken cancel;
    std::thread canceller{[&] {
        std::this_thread::sleep_for(300ms);
        cancel.cancel();
    }};
    const auto started = std::chrono::steady_clock::now();
    const std::string digest = sha256_hex(content);
    auto fetched = fetcher.fetch({fixture.server.url("/media/slow"), digest, content.size()}, cancel);
    const auto took = std::chrono::steady_clock::now() - started;
    canceller.join();
    stop_serving = true;
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().detail.find("cancelled") != std::string::npos);
    CHECK(took < 3s);
    CHECK(std::filesystem::file_size(*fixture.store.partial_path(digest)) == 1'000);
    CHECK_FALSE(fixture.store.contains(digest));
}

TEST_CASE("a stalled server is abandoned after the low-speed window", "[media][fetch]") {
    FetchFixture fixture;
    const std::string content = make_content(100'000);
    std::atomic<bool> stop_serving{false};
    fixture.server.routes().Get("/media/stall", [&](const httplib::Request&, httplib::Response& response) {
        response.set_content_provider(content.size(), "application/octet-stream",
                                      [&](std::size_t, std::size_t, httplib::DataSink&) {
                                          while (!stop_serving) {
                                              std::this_thread::sleep_for(20ms);
                                          }
                                          return false;
                                      });
    });
    fixture.server.start();
    FetchOptions options = quick_options();
    options.retry.max_attempts = 1;
    options.low_speed_window = 1s;
    options.low_speed_bytes_per_second = 100;
    Fetcher fetcher{fixture.store, options, fixture.sleeper};
    auto fetched = fetcher.fetch({fixture.server.url("/media/stall"), sha256_hex(content), content.size()},
                                 CancelToken{});
    stop_serving = true;
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == Errc::Timeout);
}

TEST_CASE("fetch through the cache evicts old unpinned media to make room", "[media][fetch][cache]") {
    FetchFixture fixture;
    SettableClock clock;
    auto cache = MediaCache::open(fixture.store, {fixture.directory.path() / "state.sqlite", 25'000}, clock);
    REQUIRE(cache);
    auto old_object = fixture.store.put_bytes(make_content(10'000, 99));
    REQUIRE(old_object);
    REQUIRE((*cache)->record(*old_object));
    clock.advance(1s);

    const std::string content = make_content(20'000);
    fixture.server.routes().Get("/media/file", [&](const httplib::Request&, httplib::Response& response) {
        response.set_content(content, "application/octet-stream");
    });
    fixture.server.start();
    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper, cache->get()};
    auto fetched = fetcher.fetch({fixture.server.url("/media/file"), sha256_hex(content), content.size()},
                                 CancelToken{});
    REQUIRE(fetched);
    CHECK_FALSE(fixture.store.contains(old_object->sha256));
    auto usage = (*cache)->usage();
    REQUIRE(usage);
    CHECK(usage->used_bytes == content.size());
}

TEST_CASE("fetch through a cache full of pinned media fails without a request", "[media][fetch][cache]") {
    FetchFixture fixture;
    SettableClock clock;
    auto cache = MediaCache::open(fixture.store, {fixture.directory.path() / "state.sqlite", 15'000}, clock);
    REQUIRE(cache);
    auto pinned = fixture.store.put_bytes(make_content(10'000, 5));
    REQUIRE(pinned);
    REQUIRE((*cache)->record(*pinned));
    REQUIRE((*cache)->pin({pinned->sha256}));
    fixture.server.routes().Get("/media/file",
                                [&](const httplib::Request& request, httplib::Response& response) {
                                    fixture.log.add(request);
                                    response.status = 500;
                                });
    fixture.server.start();
    Fetcher fetcher{fixture.store, quick_options(), fixture.sleeper, cache->get()};
    auto fetched =
        fetcher.fetch({fixture.server.url("/media/file"), std::string(64, 'a'), 10'000}, CancelToken{});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == Errc::TooLarge);
    CHECK(fixture.log.count() == 0);
    CHECK(fixture.store.contains(pinned->sha256));
}
