#pragma once
// Downloads media by sha256 over HTTP(S) with libcurl into the content-addressed store.
//
// One item: the body goes to <store>/partial/<sha>.part. A partial file left by an earlier
// attempt (or an earlier run) is resumed with `Range: bytes=<size>-`; a server that answers
// 200 instead of 206 makes the file start over. When the file reaches the manifest size it is
// hashed; only a file whose sha256 and size both match is moved into the store. A mismatch
// deletes the partial file and returns Crypto: a mismatching file never enters the store.
// A body longer than the manifest size is refused the same way without being read to the end.
//
// Retries (docs/media.md): network failures, timeouts, HTTP 404, 408, 429 and 5xx are retried
// up to RetryPolicy::max_attempts with exponential backoff and jitter, waiting through the
// injected Sleeper so tests never wait for real. 401, 403, other 4xx, a digest mismatch, a
// full disk and cancellation end the item at once.
//
// Lifecycle and threads: a Fetcher is used by one caller at a time (one fetch() or
// fetch_all() call at once; the player runs one fetch plan at a time). fetch_all() runs up to
// `parallel_transfers` transfers on worker threads of its own and returns when all are done
// or cancelled. The ProgressCallback is called on those worker threads, serialised (never two
// calls at once); it must be quick and must not call back into the Fetcher. CancelToken may
// be cancelled from any thread; transfers stop within about a second and keep their partial
// files for a later resume.
//
// Errors: NotFound (404 after the retries), Unauthenticated (401), PermissionDenied (403),
// Network, Timeout (also for cancellation: the detail says "cancelled"), Crypto (digest or
// size mismatch), Io (disk, "disk full: ..."), TooLarge (the cache cannot make room),
// InvalidInput (a bad URL or digest, or another 4xx).

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/media/store.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace bantin::media {

class MediaCache;

// Shared cancellation flag; copies refer to the same flag.
class CancelToken {
public:
    CancelToken();
    void cancel() const;
    bool cancelled() const;
    // Waits up to `duration` (OS monotonic clock); returns true as soon as it is cancelled.
    bool wait_for(Duration duration) const;

private:
    struct State;
    std::shared_ptr<State> m_state;
};

// How retries wait. The real one blocks on the CancelToken; tests use a fake that records the
// delays and returns at once.
class Sleeper {
public:
    virtual ~Sleeper() = default;
    // Returns false if cancelled before the delay passed.
    virtual bool sleep(Duration delay, const CancelToken& cancel) = 0;
};

class RealSleeper final : public Sleeper {
public:
    bool sleep(Duration delay, const CancelToken& cancel) override { return !cancel.wait_for(delay); }
};

enum class AuthScheme { None, Bearer, Basic };

struct FetchAuth {
    AuthScheme scheme = AuthScheme::None;
    std::string token;     // Bearer
    std::string user;      // Basic
    std::string password;  // Basic

    static FetchAuth bearer(std::string token) { return {AuthScheme::Bearer, std::move(token), {}, {}}; }
    static FetchAuth basic(std::string user, std::string password) {
        return {AuthScheme::Basic, {}, std::move(user), std::move(password)};
    }
};

struct RetryPolicy {
    int max_attempts = 6;  // total attempts per item, including the first
    Duration initial_delay = std::chrono::seconds{2};
    Duration max_delay = std::chrono::minutes{5};
    double multiplier = 2.0;
    double jitter = 0.5;  // the delay is drawn uniformly from [base * (1 - jitter), base]
};

// The wait after `failed_attempts` failures (1 for the first): initial_delay *
// multiplier^(failed_attempts - 1), capped at max_delay, scaled down by up to `jitter` using
// `unit_random` in [0, 1).
Duration retry_delay(const RetryPolicy& policy, int failed_attempts, double unit_random);

struct FetchOptions {
    FetchAuth auth;
    Duration connect_timeout = std::chrono::seconds{15};
    // A transfer slower than this many bytes per second for `low_speed_window` is abandoned
    // (and retried): it catches stalled connections that never close.
    long low_speed_bytes_per_second = 256;
    Duration low_speed_window = std::chrono::seconds{60};
    RetryPolicy retry;
    std::size_t parallel_transfers = 2;
    std::uint64_t random_seed = 0;  // for the jitter; 0 = seeded from std::random_device
    std::string user_agent = "bantin-media";
};

struct FetchRequest {
    std::string url;         // http:// or https://
    std::string sha256;      // expected digest
    std::uint64_t size = 0;  // expected size in bytes (from the manifest)
};

struct FetchProgress {
    std::uint64_t bytes_done = 0;   // on disk for the items of this call
    std::uint64_t bytes_total = 0;  // sum of the manifest sizes
    std::size_t items_done = 0;     // verified and stored (or already present)
    std::size_t items_failed = 0;
    std::size_t items_total = 0;
};
using ProgressCallback = std::function<void(const FetchProgress&)>;

struct FetchOutcome {
    FetchRequest request;
    Result<StoredObject> result;
    int attempts = 0;  // transfers started (0 when already present)
};

class Fetcher {
public:
    // `cache`, when given, makes room before each download (reserve) and records each stored
    // object; it must outlive the Fetcher.
    Fetcher(ContentStore store, FetchOptions options, Sleeper& sleeper, MediaCache* cache = nullptr);
    ~Fetcher();
    Fetcher(const Fetcher&) = delete;
    Fetcher& operator=(const Fetcher&) = delete;

    // Fetches one item with retries on the calling thread.
    Result<StoredObject> fetch(const FetchRequest& request, const CancelToken& cancel,
                               const ProgressCallback& progress = {});

    // Fetches every item, up to `parallel_transfers` at once; one outcome per request, in
    // order. Requests for the same digest are downloaded once.
    std::vector<FetchOutcome> fetch_all(std::span<const FetchRequest> requests, const CancelToken& cancel,
                                        const ProgressCallback& progress = {});

private:
    class Transfer;
    struct ProgressTracker;
    FetchOutcome fetch_with_retries(const FetchRequest& request, const CancelToken& cancel,
                                    ProgressTracker& tracker, std::size_t item);
    double next_random();

    ContentStore m_store;
    FetchOptions m_options;
    Sleeper& m_sleeper;
    MediaCache* m_cache;
    std::mutex m_random_mutex;
    std::mt19937_64 m_random;
};

}  // namespace bantin::media
