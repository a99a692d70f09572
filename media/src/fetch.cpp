#include "bantin/media/fetch.hpp"

#include "bantin/common/file_descriptor.hpp"
#include "bantin/media/cache.hpp"
#include "bantin/media/sha256.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <map>
#include <optional>
#include <thread>
#include <utility>

namespace bantin::media {

namespace {

void initialise_curl() {
    static std::once_flag once;
    // curl_global_init is thread-safe since libcurl 7.84; once per process is still the rule.
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct HeaderListDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, HeaderListDeleter>;

std::uint64_t file_size_or_zero(const std::filesystem::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) {
        return 0;
    }
    return static_cast<std::uint64_t>(status.st_size);
}

bool has_line_break(std::string_view text) {
    return text.find_first_of("\r\n") != std::string_view::npos;
}

// One attempt's result; `retryable` says whether another attempt may succeed.
struct AttemptResult {
    Result<StoredObject> result;
    bool retryable = false;
};

AttemptResult retryable_failure(Errc code, std::string detail) {
    return AttemptResult{fail(code, std::move(detail)), true};
}
AttemptResult final_failure(Errc code, std::string detail) {
    return AttemptResult{fail(code, std::move(detail)), false};
}

}  // namespace

// ------------------------------------------------------------------------------ CancelToken

struct CancelToken::State {
    std::mutex mutex;
    std::condition_variable changed;
    std::atomic<bool> cancelled{false};
};

CancelToken::CancelToken() : m_state(std::make_shared<State>()) {}

void CancelToken::cancel() const {
    {
        std::lock_guard lock{m_state->mutex};
        m_state->cancelled = true;
    }
    m_state->changed.notify_all();
}

bool CancelToken::cancelled() const {
    return m_state->cancelled.load();
}

bool CancelToken::wait_for(Duration duration) const {
    std::unique_lock lock{m_state->mutex};
    return m_state->changed.wait_for(lock, duration, [this] { return m_state->cancelled.load(); });
}

// ------------------------------------------------------------------------------ retry delay

Duration retry_delay(const RetryPolicy& policy, int failed_attempts, double unit_random) {
    const double exponent = std::max(0, failed_attempts - 1);
    const double initial = static_cast<double>(policy.initial_delay.count());
    const double cap = static_cast<double>(policy.max_delay.count());
    const double base = std::min(cap, initial * std::pow(policy.multiplier, exponent));
    const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
    const double random = std::clamp(unit_random, 0.0, 1.0);
    const double delay = base * (1.0 - jitter * random);
    return Duration{static_cast<Duration::rep>(std::llround(delay))};
}

// ---------------------------------------------------------------------------- progress

struct Fetcher::ProgressTracker {
    explicit ProgressTracker(std::size_t items, const ProgressCallback& callback)
        : item_bytes(items, 0), report(callback) {}

    void set_total(std::uint64_t bytes_total, std::size_t items_total) {
        state.bytes_total = bytes_total;
        state.items_total = items_total;
    }
    void bytes(std::size_t item, std::uint64_t on_disk) {
        std::lock_guard lock{mutex};
        state.bytes_done = state.bytes_done - item_bytes[item] + on_disk;
        item_bytes[item] = on_disk;
        // Throttled: every 256 KiB of progress at most.
        if (state.bytes_done >= last_reported + 256 * 1024 || state.bytes_done < last_reported) {
            emit_locked();
        }
    }
    void finished(std::size_t item, std::uint64_t on_disk, bool succeeded) {
        std::lock_guard lock{mutex};
        state.bytes_done = state.bytes_done - item_bytes[item] + on_disk;
        item_bytes[item] = on_disk;
        ++(succeeded ? state.items_done : state.items_failed);
        emit_locked();
    }
    void emit_locked() {
        last_reported = state.bytes_done;
        if (report) {
            report(state);
        }
    }

    std::mutex mutex;
    FetchProgress state;
    std::vector<std::uint64_t> item_bytes;
    std::uint64_t last_reported = 0;
    const ProgressCallback& report;
};

// ------------------------------------------------------------------------------ Transfer

// One HTTP attempt for one item, appending to its partial file.
class Fetcher::Transfer {
public:
    Transfer(const FetchOptions& options, const FetchRequest& request, const CancelToken& cancel,
             std::function<void(std::uint64_t)> on_bytes)
        : m_options(options), m_request(request), m_cancel(cancel), m_on_bytes(std::move(on_bytes)) {}

    // Downloads into `partial` (resuming from its size). Returns an error or nothing; the
    // caller then checks size and digest.
    AttemptResult run(const std::filesystem::path& partial);

private:
    static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* self);
    static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
    std::size_t write(const char* data, std::size_t length);

    const FetchOptions& m_options;
    const FetchRequest& m_request;
    const CancelToken& m_cancel;
    std::function<void(std::uint64_t)> m_on_bytes;

    CURL* m_handle = nullptr;
    int m_descriptor = -1;
    std::uint64_t m_on_disk = 0;
    std::uint64_t m_resume_from = 0;
    bool m_checked_status = false;
    bool m_too_long = false;
    int m_write_errno = 0;
};

std::size_t Fetcher::Transfer::on_write(char* data, std::size_t size, std::size_t count, void* self) {
    return static_cast<Transfer*>(self)->write(data, size * count);
}

int Fetcher::Transfer::on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    // Called by libcurl about once a second even when no data flows, so cancel is prompt.
    return static_cast<Transfer*>(self)->m_cancel.cancelled() ? 1 : 0;
}

std::size_t Fetcher::Transfer::write(const char* data, std::size_t length) {
    if (!m_checked_status) {
        m_checked_status = true;
        long status = 0;
        curl_easy_getinfo(m_handle, CURLINFO_RESPONSE_CODE, &status);
        if (status == 200 && m_resume_from > 0) {
            // The server ignored the Range request and sends the whole body: start over.
            if (::ftruncate(m_descriptor, 0) != 0 || ::lseek(m_descriptor, 0, SEEK_SET) != 0) {
                m_write_errno = errno;
                return 0;
            }
            m_on_disk = 0;
        }
    }
    if (m_on_disk + length > m_request.size) {
        m_too_long = true;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    std::size_t left = length;
    const char* bytes = data;
    while (left > 0) {
        const ssize_t written = ::write(m_descriptor, bytes, left);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            m_write_errno = errno;
            return 0;
        }
        left -= static_cast<std::size_t>(written);
        bytes += written;
    }
    m_on_disk += length;
    if (m_on_bytes) {
        m_on_bytes(m_on_disk);
    }
    return length;
}

AttemptResult Fetcher::Transfer::run(const std::filesystem::path& partial) {
    FileDescriptor file{::open(partial.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)};
    if (file.get() < 0) {
        const int error = errno;
        return final_failure(Errc::Io, std::string{error == ENOSPC ? "disk full: " : ""} + "cannot open " +
                                           partial.string() + ": " + std::strerror(error));
    }
    m_descriptor = file.get();
    const off_t end = ::lseek(m_descriptor, 0, SEEK_END);
    if (end < 0) {
        return final_failure(Errc::Io, "cannot seek in " + partial.string() + ": " + std::strerror(errno));
    }
    m_on_disk = static_cast<std::uint64_t>(end);
    m_resume_from = m_on_disk;

    EasyHandle handle{curl_easy_init()};
    if (!handle) {
        return final_failure(Errc::Internal, "curl_easy_init failed");
    }
    m_handle = handle.get();
    char error_buffer[CURL_ERROR_SIZE] = {};
    CURL* curl = handle.get();
    curl_easy_setopt(curl, CURLOPT_URL, m_request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, m_options.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_options.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, m_options.low_speed_bytes_per_second);
    curl_easy_setopt(
        curl, CURLOPT_LOW_SPEED_TIME,
        static_cast<long>(std::max<Duration::rep>(1, m_options.low_speed_window.count() / 1000)));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Transfer::on_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Transfer::on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);

    const std::string range = std::to_string(m_resume_from) + "-";
    if (m_resume_from > 0) {
        curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    }
    HeaderList headers;
    const FetchAuth& auth = m_options.auth;
    if (auth.scheme == AuthScheme::Bearer) {
        const std::string header = "Authorization: Bearer " + auth.token;
        headers.reset(curl_slist_append(nullptr, header.c_str()));
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    } else if (auth.scheme == AuthScheme::Basic) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        curl_easy_setopt(curl, CURLOPT_USERNAME, auth.user.c_str());
        curl_easy_setopt(curl, CURLOPT_PASSWORD, auth.password.c_str());
    }

    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    const std::string where = m_request.url;
    const std::string curl_detail = error_buffer[0] ? error_buffer : curl_easy_strerror(code);

    if (m_too_long) {
        ::unlink(partial.c_str());
        return final_failure(Errc::Crypto, where + ": the server sent more than the " +
                                               std::to_string(m_request.size) +
                                               " bytes the manifest says; the file was deleted");
    }
    if (m_write_errno != 0) {
        const bool full = m_write_errno == ENOSPC || m_write_errno == EDQUOT;
        return final_failure(Errc::Io, std::string{full ? "disk full: " : ""} + "cannot write " +
                                           partial.string() + ": " + std::strerror(m_write_errno));
    }
    switch (code) {
        case CURLE_OK: return AttemptResult{StoredObject{m_request.sha256, m_on_disk, false}, false};
        case CURLE_ABORTED_BY_CALLBACK:
            return final_failure(Errc::Timeout, where + ": cancelled (partial download kept for resume)");
        case CURLE_HTTP_RETURNED_ERROR: {
            const std::string detail = where + ": HTTP " + std::to_string(status);
            if (status == 401) {
                return final_failure(Errc::Unauthenticated,
                                     detail + " (the device credentials were refused)");
            }
            if (status == 403) {
                return final_failure(Errc::PermissionDenied, detail);
            }
            if (status == 404) {
                return retryable_failure(Errc::NotFound, detail + " (not on the server)");
            }
            if (status == 416) {
                // Our partial file does not fit the server's copy: start over.
                ::unlink(partial.c_str());
                return retryable_failure(Errc::Network, detail + " (range not satisfiable; restarting)");
            }
            if (status == 408 || status == 429 || status >= 500) {
                return retryable_failure(Errc::Network, detail);
            }
            return final_failure(Errc::InvalidInput, detail);
        }
        case CURLE_OPERATION_TIMEDOUT: return retryable_failure(Errc::Timeout, where + ": " + curl_detail);
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_TOO_MANY_REDIRECTS: return final_failure(Errc::InvalidInput, where + ": " + curl_detail);
        default: return retryable_failure(Errc::Network, where + ": " + curl_detail);
    }
}

// ------------------------------------------------------------------------------ DigestLock

namespace {

// One download of a digest at a time, across every Fetcher of the process and across
// processes: two fetchers of one file (a bundle's and an alert's, at the same moment) would
// otherwise write the same partial file, and the one that finished second found it renamed
// away ("body ended after 0 of N bytes"). The lock is `partial/<sha>.lock`, flock()ed; its
// holder removes it on release. Whoever locked a path that was removed meanwhile locks again.
class DigestLock {
public:
    static Result<DigestLock> acquire(const std::filesystem::path& partial, Sleeper& sleeper,
                                      const CancelToken& cancel, const std::string& url) {
        std::filesystem::path path = partial;
        path.replace_extension(".lock");
        bool told = false;
        for (;;) {
            FileDescriptor file{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
            if (!file.valid()) {
                return fail(Errc::Io, "cannot open " + path.string() + ": " + std::strerror(errno));
            }
            if (::flock(file.get(), LOCK_EX | LOCK_NB) == 0) {
                struct stat held {};
                struct stat named {};
                if (::fstat(file.get(), &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
                    held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
                    return DigestLock{std::move(path), std::move(file)};
                }
                continue;  // the previous holder removed this path after we opened it
            }
            if (errno != EWOULDBLOCK && errno != EINTR) {
                return fail(Errc::Io, "cannot lock " + path.string() + ": " + std::strerror(errno));
            }
            if (!told) {
                spdlog::info("media fetch {}: another download of this file is running; waiting for it",
                             path.stem().string());
                told = true;
            }
            if (!sleeper.sleep(std::chrono::milliseconds{20}, cancel)) {
                return fail(Errc::Timeout, url + ": cancelled");
            }
        }
    }
    DigestLock(DigestLock&&) noexcept = default;
    DigestLock& operator=(DigestLock&&) noexcept = default;
    ~DigestLock() {
        if (m_file.valid()) {
            ::unlink(m_path.c_str());  // still locked: nobody else holds this path now
        }
    }

private:
    DigestLock(std::filesystem::path path, FileDescriptor file)
        : m_path(std::move(path)), m_file(std::move(file)) {}
    std::filesystem::path m_path;
    FileDescriptor m_file;
};

}  // namespace

// ------------------------------------------------------------------------------ Fetcher

Fetcher::Fetcher(ContentStore store, FetchOptions options, Sleeper& sleeper, MediaCache* cache)
    : m_store(std::move(store)),
      m_options(std::move(options)),
      m_sleeper(sleeper),
      m_cache(cache),
      m_random(m_options.random_seed != 0 ? m_options.random_seed : std::random_device{}()) {
    initialise_curl();
    if (m_options.parallel_transfers == 0) {
        m_options.parallel_transfers = 1;
    }
    if (m_options.retry.max_attempts < 1) {
        m_options.retry.max_attempts = 1;
    }
}

Fetcher::~Fetcher() = default;

double Fetcher::next_random() {
    std::lock_guard lock{m_random_mutex};
    return std::uniform_real_distribution<double>{0.0, 1.0}(m_random);
}

FetchOutcome Fetcher::fetch_with_retries(const FetchRequest& request, const CancelToken& cancel,
                                         ProgressTracker& tracker, std::size_t item) {
    FetchOutcome outcome{request, fail(Errc::Internal, "not attempted"), 0};
    auto finish = [&](Result<StoredObject> result, std::uint64_t on_disk) {
        tracker.finished(item, on_disk, result.has_value());
        outcome.result = std::move(result);
        return outcome;
    };

    if (auto valid = check_sha256_hex(request.sha256, "manifest sha256"); !valid) {
        return finish(std::unexpected(valid.error()), 0);
    }
    if (!request.url.starts_with("http://") && !request.url.starts_with("https://")) {
        return finish(fail(Errc::InvalidInput, "media URL must be http:// or https://, got \"" +
                                                   request.url.substr(0, 200) + "\""),
                      0);
    }
    if (m_options.auth.scheme != AuthScheme::None &&
        (has_line_break(m_options.auth.token) || has_line_break(m_options.auth.user) ||
         has_line_break(m_options.auth.password))) {
        return finish(fail(Errc::InvalidInput, "device credentials contain a line break"), 0);
    }

    // Already stored: nothing to download (checked again once the digest's lock is held).
    auto stored_already = [&]() -> std::optional<FetchOutcome> {
        auto size = m_store.size_of(request.sha256);
        if (!size || *size != request.size) {
            return std::nullopt;
        }
        StoredObject object{request.sha256, *size, true};
        if (m_cache) {
            if (auto recorded = m_cache->record(object); !recorded) {
                return finish(std::unexpected(recorded.error()), request.size);
            }
        }
        return finish(object, request.size);
    };
    if (auto done = stored_already()) {
        return std::move(*done);
    }

    auto partial = m_store.partial_path(request.sha256);
    if (!partial) {
        return finish(std::unexpected(partial.error()), 0);
    }
    // Held for an attempt, never across the wait before the next one: a bundle's download backing
    // off from a dead server must not hold up an alert's fetch of the same file for its whole
    // retry schedule (the alert gives up quickly and plays what it has).
    std::optional<DigestLock> lock;
    // Takes the lock; then another fetch of this digest may have stored it (an outcome to return)
    // or grown the partial file past the size (removed) while this one waited.
    const auto lock_and_look = [&]() -> std::optional<FetchOutcome> {
        auto acquired = DigestLock::acquire(*partial, m_sleeper, cancel, request.url);
        if (!acquired) {
            return finish(std::unexpected(acquired.error()), file_size_or_zero(*partial));
        }
        lock.emplace(std::move(*acquired));
        if (auto done = stored_already()) {
            return done;
        }
        if (file_size_or_zero(*partial) > request.size) {
            ::unlink(partial->c_str());
        }
        return std::nullopt;
    };
    if (auto done = lock_and_look()) {
        return std::move(*done);
    }
    if (m_cache) {
        auto reserved = m_cache->reserve(request.size);
        if (!reserved) {
            return finish(std::unexpected(reserved.error()), file_size_or_zero(*partial));
        }
        for (const std::string& evicted : *reserved) {
            spdlog::info("media cache: evicted {} to make room for {}", evicted, request.sha256);
        }
    }
    // Ends the cache reservation on every path out of here (the object is recorded first).
    struct ReservationEnd {
        MediaCache* cache;
        std::uint64_t bytes;
        ~ReservationEnd() {
            if (cache) {
                cache->release(bytes);
            }
        }
    } reservation_end{m_cache, request.size};

    for (int attempt = 1;; ++attempt) {
        if (cancel.cancelled()) {
            return finish(fail(Errc::Timeout, request.url + ": cancelled"), file_size_or_zero(*partial));
        }
        AttemptResult attempted{fail(Errc::Internal, "no attempt"), false};
        if (file_size_or_zero(*partial) == request.size && request.size > 0) {
            // Complete from an earlier attempt: go straight to verification.
            attempted = AttemptResult{StoredObject{request.sha256, request.size, false}, false};
        } else {
            ++outcome.attempts;
            Transfer transfer{m_options, request, cancel,
                              [&tracker, item](std::uint64_t on_disk) { tracker.bytes(item, on_disk); }};
            attempted = transfer.run(*partial);
        }

        if (attempted.result) {
            const std::uint64_t on_disk = file_size_or_zero(*partial);
            if (on_disk < request.size) {
                // The server closed the body early without an error: resume.
                attempted = retryable_failure(Errc::Network, request.url + ": body ended after " +
                                                                 std::to_string(on_disk) + " of " +
                                                                 std::to_string(request.size) + " bytes");
            } else {
                auto digest = sha256_of_file(*partial);
                if (!digest) {
                    return finish(std::unexpected(digest.error()), on_disk);
                }
                if (*digest != request.sha256) {
                    ::unlink(partial->c_str());
                    return finish(
                        fail(Errc::Crypto, request.url + ": sha256 mismatch: expected " + request.sha256 +
                                               ", got " + *digest + "; the download was deleted"),
                        0);
                }
                auto stored = m_store.adopt_verified(*partial, request.sha256);
                if (!stored) {
                    return finish(std::unexpected(stored.error()), on_disk);
                }
                if (m_cache) {
                    if (auto recorded = m_cache->record(*stored); !recorded) {
                        return finish(std::unexpected(recorded.error()), on_disk);
                    }
                }
                return finish(std::move(*stored), on_disk);
            }
        }

        const Error& error = attempted.result.error();
        if (!attempted.retryable) {
            return finish(std::unexpected(error), file_size_or_zero(*partial));
        }
        if (attempt >= m_options.retry.max_attempts) {
            return finish(
                fail(error.code, "gave up after " + std::to_string(attempt) + " attempts: " + error.detail),
                file_size_or_zero(*partial));
        }
        const Duration delay = retry_delay(m_options.retry, attempt, next_random());
        spdlog::warn("media fetch {} failed (attempt {} of {}): {}; retrying in {} ms", request.sha256,
                     attempt, m_options.retry.max_attempts, error.message(), delay.count());
        lock.reset();
        if (!m_sleeper.sleep(delay, cancel)) {
            return finish(fail(Errc::Timeout, request.url + ": cancelled"), file_size_or_zero(*partial));
        }
        if (auto done = lock_and_look()) {
            return std::move(*done);
        }
    }
}

Result<StoredObject> Fetcher::fetch(const FetchRequest& request, const CancelToken& cancel,
                                    const ProgressCallback& progress) {
    ProgressTracker tracker{1, progress};
    tracker.set_total(request.size, 1);
    return fetch_with_retries(request, cancel, tracker, 0).result;
}

std::vector<FetchOutcome> Fetcher::fetch_all(std::span<const FetchRequest> requests,
                                             const CancelToken& cancel, const ProgressCallback& progress) {
    // One download per digest; duplicates share its outcome.
    std::vector<std::size_t> unique;
    std::vector<std::size_t> unique_index_of(requests.size());
    std::map<std::string, std::size_t, std::less<>> seen;
    std::uint64_t bytes_total = 0;
    for (std::size_t index = 0; index < requests.size(); ++index) {
        const auto [found, inserted] = seen.emplace(requests[index].sha256, unique.size());
        if (inserted) {
            unique.push_back(index);
            bytes_total += requests[index].size;
        }
        unique_index_of[index] = found->second;
    }

    ProgressTracker tracker{unique.size(), progress};
    tracker.set_total(bytes_total, unique.size());
    std::vector<FetchOutcome> unique_outcomes(unique.size(),
                                              FetchOutcome{{}, fail(Errc::Internal, "not attempted"), 0});
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (;;) {
            const std::size_t slot = next.fetch_add(1);
            if (slot >= unique.size()) {
                return;
            }
            unique_outcomes[slot] = fetch_with_retries(requests[unique[slot]], cancel, tracker, slot);
        }
    };
    const std::size_t workers = std::min(m_options.parallel_transfers, unique.size());
    {
        std::vector<std::jthread> threads;
        threads.reserve(workers);
        for (std::size_t index = 0; index < workers; ++index) {
            threads.emplace_back(work);
        }
    }

    std::vector<FetchOutcome> outcomes;
    outcomes.reserve(requests.size());
    for (std::size_t index = 0; index < requests.size(); ++index) {
        FetchOutcome outcome = unique_outcomes[unique_index_of[index]];
        outcome.request = requests[index];
        outcomes.push_back(std::move(outcome));
    }
    return outcomes;
}

}  // namespace bantin::media
