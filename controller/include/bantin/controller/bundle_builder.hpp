#pragma once
// The bundle builder: what one device must hold to run offline, built from the store.
//
// load_bundle_inputs() reads, inside one transaction, everything bundles are made of: the
// approved campaigns, the alerts that were sent and are still active, their playlists and
// media. build_bundle() then picks, for one device, the campaigns whose targets select it
// (scheduler::targets) and the alerts that cover its zone (scheduler::covers), with their
// playlists, media and a manifest (sha256, size, type, duration, URL on the controller) and the
// device's settings (volume schedule, on-hours, quiet hours). A stream travels as its MediaRef
// (url, filler) with no manifest entry (there is no file to fetch); its filler travels with it,
// in the model and the manifest. Everything is sorted by id, so
// equal inputs give equal bytes; bundle_digest() hashes a bundle without its version and
// times, which is how the publisher sees that a device's content did not change.
//
// Pure functions over values except load_bundle_inputs (store reads); any thread.
// Errors: those of the store; a campaign whose playlist or media is missing is Conflict naming it.

#include "bantin/common/error.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/protocol/messages.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller {

struct BundleInputs {
    std::vector<scheduler::Campaign> campaigns;                  // approved, sorted by id
    std::map<std::string, std::string, std::less<>> zone_names;  // zone id -> its name for people
    std::vector<scheduler::Alert> alerts;                        // sent and not expired, sorted by id
    std::map<std::string, scheduler::Playlist, std::less<>> playlists;
    std::map<std::string, MediaRecord, std::less<>> media;  // every item's media, its speech audio
                                                            // and a stream's filler
};

Result<BundleInputs> load_bundle_inputs(StoreTransaction& transaction, TimePoint now);

// Every device in the store (all pages), revoked ones included.
Result<std::vector<DeviceRecord>> load_all_devices(StoreTransaction& transaction);

// "<base>/api/v1/device-media/<sha256>", the route devices fetch media from.
std::string device_media_url(std::string_view base_url, std::string_view sha256);

// A bundle with version 0 and no issue/expiry times: the publisher fills those in.
// Regions (docs/scheduling.md, "Regions"): a campaign of a region the device does not have (a
// ticker campaign on a speaker or on a screen without a ticker band) is left out. A screen
// whose layout has a header band gets its zone's name (`zone_name`, cut to 200 bytes at a
// character boundary) and, when `board_base_url` is set, its zone's public board page
// (`board_url` = board_base_url + "/cong-khai/" + zone id) for the header's QR code; every
// other device's bundle carries neither, so its bytes are those of a controller made before.
protocol::Bundle build_bundle(const BundleInputs& inputs, const scheduler::Device& device,
                              std::string_view media_base_url, std::string_view board_base_url = {});

// Lowercase hex SHA-256 of the bundle's encoding with version, issued_at and expires_at zeroed.
std::string bundle_digest(const protocol::Bundle& bundle);

// Playlists, media and manifest for an alert message (also used by the alert service).
void add_alert_content(const BundleInputs& inputs, const scheduler::Alert& alert,
                       std::string_view media_base_url, std::vector<scheduler::Playlist>& playlists,
                       std::vector<scheduler::MediaRef>& media, std::vector<protocol::MediaEntry>& manifest);

}  // namespace bantin::controller
