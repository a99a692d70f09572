#pragma once
// A migrated SqliteStore in a temporary directory, on simulated time, with helpers to add
// users cheaply (minimum argon2id cost) and the content a campaign needs.

#include "bantin/controller/auth.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "support/simulated_clock.hpp"
#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace bantin::testing {

inline controller::AuthPolicy cheap_auth_policy() {
    controller::AuthPolicy policy;
    policy.cost = controller::PasswordCost::minimum();
    return policy;
}

class StoreFixture {
public:
    StoreFixture() {
        auto opened = controller::SqliteStore::open(path(), clock);
        if (!opened)
            FAIL(opened.error().message());
        store = std::move(*opened);
    }

    std::string path() const { return directory.file("controller.db"); }

    controller::User add_user(const std::string& name, controller::Role role) {
        controller::PasswordHasher hasher{controller::PasswordCost::minimum()};
        auto hash = hasher.hash("password-of-" + name);
        REQUIRE(hash);
        auto user = store->write_value<controller::User>([&](controller::StoreTransaction& transaction) {
            return transaction.insert_user(
                controller::User{0, name, name + " display", role, *hash, false, clock.wall()});
        });
        if (!user)
            FAIL(user.error().message());
        return *user;
    }

    // A media row, a playlist using it and a zone: what a campaign refers to.
    void add_content(const std::string& playlist_id = "pl-1", const std::string& zone = "zone-1") {
        auto done = store->write([&](controller::StoreTransaction& transaction) -> Result<void> {
            controller::MediaRecord media;
            media.media.sha256 = std::string(64, 'b');
            media.media.type = scheduler::MediaType::Video;
            media.media.duration = Duration{15000};
            media.media.name = "clip.mp4";
            media.size = 1234;
            media.created = clock.wall();
            if (auto inserted = transaction.insert_media(media); !inserted)
                return std::unexpected(inserted.error());
            controller::PlaylistRecord playlist;
            playlist.playlist.id = playlist_id;
            playlist.playlist.name = "Playlist";
            playlist.playlist.items.push_back({std::string(64, 'b'), std::nullopt, 1});
            playlist.created = playlist.updated = clock.wall();
            if (auto inserted = transaction.insert_playlist(playlist); !inserted)
                return inserted;
            auto existing = transaction.zone_by_id(zone);
            if (existing)
                return {};
            return transaction.insert_zone(controller::ZoneRecord{zone, "Zone"});
        });
        if (!done)
            FAIL(done.error().message());
    }

    static scheduler::Campaign campaign(const std::string& id, const std::string& playlist = "pl-1") {
        scheduler::Campaign campaign;
        campaign.id = id;
        campaign.name = "Campaign " + id;
        campaign.playlist = playlist;
        campaign.targets.zones = {"zone-1"};
        campaign.windows = {{6 * 60, 22 * 60}};
        return campaign;
    }

    TemporaryDirectory directory;
    SimulatedClock clock;
    std::unique_ptr<controller::SqliteStore> store;
};

}  // namespace bantin::testing
