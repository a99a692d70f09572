#pragma once
// A screenshot's way to the controller: the PNG the renderer wrote, PUT to the upload URL the
// screenshot command carried, with the device's own credentials (HTTP basic auth over the
// controller's API, docs/protocol.md "Commands"). Blocking: the daemon runs it on an upload
// thread, never on its loop, and `cancel` aborts a transfer within about a second (stop).
//
// Errors: Io (the file), Network (connection, HTTP status), Timeout (connect or the whole
// transfer), Unauthenticated (401), PermissionDenied (403), each naming the URL.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/protocol/messages.hpp"

#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::player {

struct UploadCredentials {
    std::string user;
    std::string password;
    Duration connect_timeout{15'000};
    std::string user_agent;
};

Result<void> put_png(const std::string& url, const std::filesystem::path& path,
                     const UploadCredentials& credentials, const std::atomic<bool>& cancel);

// Where a screen uploads the screenshots it sends by itself (screenshots.interval_s): the
// controller of its signed bundle, read from a manifest URL ("<base>/api/v1/device-media/<sha>")
// as "<base>/api/v1/devices/<device>/screenshot", the URL a screenshot command carries. Empty
// when the manifest names no media served that way.
std::string screenshot_url_from_manifest(const std::vector<protocol::MediaEntry>& manifest,
                                         std::string_view device);

}  // namespace bantin::player
