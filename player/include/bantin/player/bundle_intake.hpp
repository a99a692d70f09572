#pragma once
// Bundle intake: what the daemon does between "a signed bundle arrived" and "it plays".
//
//   1. verify (protocol::verify_bundle: signature by a trusted key, this device, a version
//      newer than the active one, not expired); a refusal is logged and reported as the
//      status's last_error, and the active bundle keeps playing;
//   2. store it as the desired bundle (PlayerState);
//   3. fetch every item of its manifest (MediaDownloader: media::Fetcher on a worker thread,
//      resume, sha256 check, retries with backoff, bounded concurrency, progress);
//   4. activate it only when every item its timeline plays in the next activation horizon
//      (24 h by default) is verified on disk (the daemon's activation_media(), checked with
//      missing_media() below); until then the active one, the last good bundle, keeps playing.
//      A failed round is retried later.
//
// Threads: MediaDownloader::start()/take_finished()/progress() on the daemon's loop; the
// transfers run on the downloader's own thread, which calls `wake` when a round ends.

#include "bantin/common/error.hpp"
#include "bantin/media/cache.hpp"
#include "bantin/media/fetch.hpp"
#include "bantin/protocol/messages.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace bantin::player {

class MediaDownloader {
public:
    MediaDownloader(media::ContentStore store, media::FetchOptions options, media::MediaCache* cache,
                    std::function<void()> wake);
    ~MediaDownloader();  // cancels a round in progress and joins
    MediaDownloader(const MediaDownloader&) = delete;
    MediaDownloader& operator=(const MediaDownloader&) = delete;

    bool busy() const;
    // Starts a round (only when not busy). Items already in the store are not downloaded.
    void start(std::vector<media::FetchRequest> requests);
    // The outcomes of the round that ended, once.
    std::optional<std::vector<media::FetchOutcome>> take_finished();
    protocol::DownloadProgress progress() const;

private:
    void join();
    media::ContentStore m_store;
    media::FetchOptions m_options;
    media::MediaCache* m_cache;
    std::function<void()> m_wake;
    media::RealSleeper m_sleeper;
    media::CancelToken m_cancel;
    std::thread m_thread;
    std::atomic<bool> m_busy{false};
    mutable std::mutex m_mutex;
    std::optional<std::vector<media::FetchOutcome>> m_finished;
    protocol::DownloadProgress m_progress;
};

std::vector<media::FetchRequest> fetch_requests(const std::vector<protocol::MediaEntry>& manifest);

// The digests of `needed` that are not verified in the cache.
std::set<std::string> missing_media(const std::set<std::string>& needed, const media::MediaCache& cache);

// One line per failed outcome, for logs and the status ("media 60303ae2: crypto: ...").
std::string describe_failures(const std::vector<media::FetchOutcome>& outcomes);

}  // namespace bantin::player
