#include "bantin/player/bundle_intake.hpp"

#include <spdlog/spdlog.h>

namespace bantin::player {

MediaDownloader::MediaDownloader(media::ContentStore store, media::FetchOptions options,
                                 media::MediaCache* cache, std::function<void()> wake)
    : m_store(std::move(store)), m_options(std::move(options)), m_cache(cache), m_wake(std::move(wake)) {}

MediaDownloader::~MediaDownloader() {
    m_cancel.cancel();
    join();
}

void MediaDownloader::join() {
    if (m_thread.joinable())
        m_thread.join();
}

bool MediaDownloader::busy() const {
    return m_busy.load();
}

void MediaDownloader::start(std::vector<media::FetchRequest> requests) {
    if (m_busy.load())
        return;
    join();
    m_busy = true;
    {
        std::lock_guard lock(m_mutex);
        m_finished.reset();
        m_progress = {};
        m_progress.files_total = requests.size();
        for (const auto& request : requests) m_progress.bytes_total += request.size;
    }
    m_thread = std::thread([this, requests = std::move(requests)] {
        media::Fetcher fetcher(m_store, m_options, m_sleeper, m_cache);
        auto outcomes = fetcher.fetch_all(requests, m_cancel, [this](const media::FetchProgress& progress) {
            std::lock_guard lock(m_mutex);
            m_progress.files_done = progress.items_done;
            m_progress.files_total = progress.items_total;
            m_progress.bytes_done = progress.bytes_done;
            m_progress.bytes_total = progress.bytes_total;
        });
        {
            std::lock_guard lock(m_mutex);
            m_finished = std::move(outcomes);
        }
        m_busy = false;
        if (m_wake)
            m_wake();
    });
}

std::optional<std::vector<media::FetchOutcome>> MediaDownloader::take_finished() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_finished, std::nullopt);
}

protocol::DownloadProgress MediaDownloader::progress() const {
    std::lock_guard lock(m_mutex);
    return m_progress;
}

std::vector<media::FetchRequest> fetch_requests(const std::vector<protocol::MediaEntry>& manifest) {
    std::vector<media::FetchRequest> requests;
    for (const auto& entry : manifest) requests.push_back({entry.url, entry.sha256, entry.size});
    return requests;
}

std::set<std::string> missing_media(const std::set<std::string>& needed, const media::MediaCache& cache) {
    std::set<std::string> missing;
    for (const auto& sha256 : needed)
        if (!cache.contains(sha256))
            missing.insert(sha256);
    return missing;
}

std::string describe_failures(const std::vector<media::FetchOutcome>& outcomes) {
    std::string text;
    for (const auto& outcome : outcomes) {
        if (outcome.result)
            continue;
        if (!text.empty())
            text += "; ";
        text += "media " + outcome.request.sha256.substr(0, 8) + ": " + outcome.result.error().message();
    }
    return text;
}

}  // namespace bantin::player
