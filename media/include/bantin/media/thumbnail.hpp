#pragma once
// Thumbnails: a small JPEG picture of stored media for people choosing and approving content
// (docs/media.md "Thumbnails"). A video gives the frame at 1 s (or at 10 % of a shorter video),
// an image itself, both scaled to at most 320 px wide; ffmpeg makes them as a child process,
// reading only the stored file (`-protocol_whitelist file`), within a timeout.
//
// They live beside the objects in the content store: root/thumbnails/<sha256>.jpg, and
// root/thumbnails/<sha256>.failed holding the reason when one could not be made (so a broken
// file is not handed to ffmpeg on every request). Both are written to tmp/ and renamed, so a
// reader sees a whole file or none; two threads making the same thumbnail at once both succeed.
//
// Errors: Unsupported for kinds with no picture (audio, text, stream), InvalidInput when
// ffmpeg cannot make one from the file (the detail, Vietnamese first, says why), NotFound when
// the object is not stored, Io for the file system. Any thread.

#include "bantin/common/error.hpp"
#include "bantin/common/time.hpp"
#include "bantin/media/store.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace bantin::media {

enum class PictureKind { Video, Image };

struct ThumbnailOptions {
    std::string ffmpeg = "ffmpeg";
    int width = 320;
    Duration timeout = std::chrono::seconds{20};
};

// Makes a thumbnail of `source` into `destination` (a JPEG). `duration` (a video's length)
// picks the frame: 1 s, or 10 % of a video shorter than 10 s.
Result<void> make_thumbnail(const std::filesystem::path& source, PictureKind kind,
                            std::optional<Duration> duration, const std::filesystem::path& destination,
                            const ThumbnailOptions& options = {});

class ThumbnailStore {
public:
    explicit ThumbnailStore(ContentStore store, ThumbnailOptions options = {})
        : m_store(std::move(store)), m_options(std::move(options)) {}

    // The thumbnail's path, made now if it is not there yet (media stored before thumbnails
    // existed get theirs on first request). A failure made earlier is answered from its
    // .failed file without running ffmpeg again.
    Result<std::filesystem::path> get_or_make(std::string_view sha256, PictureKind kind,
                                              std::optional<Duration> duration) const;
    // Removes the thumbnail and any failure note (when the media is deleted).
    void remove(std::string_view sha256) const;

    std::filesystem::path directory() const { return m_store.root() / "thumbnails"; }

private:
    ContentStore m_store;
    ThumbnailOptions m_options;
};

}  // namespace bantin::media
