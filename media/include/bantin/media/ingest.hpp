#pragma once
// Upload ingest for the controller: takes an upload being streamed into the store, probes it,
// and stores it only if it is playable media.
//
// Usage: `auto pending = store.begin(limit)`, `pending->write(chunk)` for each chunk the
// HTTP server hands over (TooLarge past the limit, nothing left behind), then
// `ingest_media(std::move(*pending))`. Not media -> Unsupported with the probe's reason and
// the temporary file deleted; media -> committed to the store (deduplicated by sha256) with
// its probe result.
//
// Threads: any thread. Errors: those of PendingObject::commit and probe_media.

#include "bantin/common/error.hpp"
#include "bantin/media/probe.hpp"
#include "bantin/media/store.hpp"

namespace bantin::media {

struct IngestedMedia {
    StoredObject object;
    ProbeResult probe;
};

Result<IngestedMedia> ingest_media(PendingObject pending, const ProbeOptions& options = {});

}  // namespace bantin::media
