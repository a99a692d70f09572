#include "bantin/player/screenshot_upload.hpp"

#include <curl/curl.h>

#include <cstdio>
#include <memory>
#include <mutex>

namespace bantin::player {

namespace {

struct CurlDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlListDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct FileDeleter {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

int upload_progress(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
}

}  // namespace

// PUTs `path` to `url` as image/png with HTTP basic auth. Blocking: called on an upload
// thread, never on the loop. `cancel` aborts the transfer within about a second.
Result<void> put_png(const std::string& url, const std::filesystem::path& path,
                     const UploadCredentials& credentials, const std::atomic<bool>& cancel) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::error_code size_error;
    const auto size = std::filesystem::file_size(path, size_error);
    if (size_error)
        return fail(Errc::Io, path.string() + ": " + size_error.message());
    std::unique_ptr<std::FILE, FileDeleter> file{std::fopen(path.c_str(), "rb")};
    if (!file)
        return fail(Errc::Io, path.string() + ": cannot open");
    std::unique_ptr<CURL, CurlDeleter> curl{curl_easy_init()};
    if (!curl)
        return fail(Errc::Internal, "curl_easy_init failed");
    std::unique_ptr<curl_slist, CurlListDeleter> headers{
        curl_slist_append(nullptr, "Content-Type: image/png")};
    char error_text[CURL_ERROR_SIZE] = {};
    CURL* handle = curl.get();
    curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(handle, CURLOPT_READDATA, file.get());
    curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(handle, CURLOPT_USERNAME, credentials.user.c_str());
    curl_easy_setopt(handle, CURLOPT_PASSWORD, credentials.password.c_str());
    curl_easy_setopt(handle, CURLOPT_USERAGENT, credentials.user_agent.c_str());
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(credentials.connect_timeout.count()));
    curl_easy_setopt(handle, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, &upload_progress);
    curl_easy_setopt(handle, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&cancel));
    const CURLcode code = curl_easy_perform(handle);
    if (code != CURLE_OK) {
        const std::string detail = error_text[0] != 0 ? error_text : curl_easy_strerror(code);
        return fail(code == CURLE_OPERATION_TIMEDOUT ? Errc::Timeout : Errc::Network,
                    "PUT " + url + ": " + detail);
    }
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
        const Errc errc = status == 401   ? Errc::Unauthenticated
                          : status == 403 ? Errc::PermissionDenied
                                          : Errc::Network;
        return fail(errc, "PUT " + url + ": HTTP " + std::to_string(status));
    }
    return {};
}

std::string screenshot_url_from_manifest(const std::vector<protocol::MediaEntry>& manifest,
                                         std::string_view device) {
    static constexpr std::string_view media_path = "/api/v1/device-media/";
    for (const auto& entry : manifest) {
        const auto at = entry.url.rfind(media_path);
        if (at == std::string::npos || at == 0)
            continue;
        if (!entry.url.starts_with("http://") && !entry.url.starts_with("https://"))
            continue;
        return entry.url.substr(0, at) + "/api/v1/devices/" + std::string{device} + "/screenshot";
    }
    return {};
}

}  // namespace bantin::player
