#include "bantin/media/ingest.hpp"

namespace bantin::media {

Result<IngestedMedia> ingest_media(PendingObject pending, const ProbeOptions& options) {
    auto digest = pending.finish();
    if (!digest) {
        return std::unexpected(digest.error());
    }
    if (pending.size() == 0) {
        return fail(Errc::Unsupported, "not playable media: the upload is empty");
    }
    auto probed = probe_media(pending.path(), options);
    if (!probed) {
        // `pending` goes out of scope here and deletes its file: nothing is left behind.
        return std::unexpected(probed.error());
    }
    auto stored = pending.commit();
    if (!stored) {
        return std::unexpected(stored.error());
    }
    return IngestedMedia{std::move(*stored), std::move(*probed)};
}

}  // namespace bantin::media
