#pragma once
// Shared pieces of the fleet tests (publisher, registry, ingest, alerts, reports): a recording
// MessageSink, a speech renderer that stores a small deterministic "audio" file instead of
// running espeak-ng, a BrokerSync that remembers the accounts, and a store with zones, media,
// a playlist, users of every role and devices.

#include "bantin/controller/alerts.hpp"
#include "bantin/controller/approval.hpp"
#include "bantin/controller/fleet_broker.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/media/sha256.hpp"
#include "bantin/protocol/keys.hpp"
#include "store_fixture.hpp"

#include <array>
#include <mutex>
#include <string>
#include <vector>

namespace bantin::testing {

struct SentMessage {
    std::string topic;
    std::string payload;
    protocol::PublishOptions options;
};

class RecordingSink final : public controller::MessageSink {
public:
    Result<void> publish(const std::string& topic, const std::string& payload,
                         const protocol::PublishOptions& options) override {
        std::lock_guard lock{m_mutex};
        messages.push_back(SentMessage{topic, payload, options});
        return {};
    }
    std::vector<SentMessage> on(const std::string& topic) const {
        std::vector<SentMessage> found;
        for (const auto& message : messages)
            if (message.topic == topic)
                found.push_back(message);
        return found;
    }
    std::vector<SentMessage> messages;

private:
    mutable std::mutex m_mutex;
};

// Stores the UTF-8 text itself as the "audio" file: deterministic, no external tools.
class TextAsSpeech final : public controller::SpeechRenderer {
public:
    TextAsSpeech(const SimulatedClock& clock) : m_clock(clock) {}
    Result<controller::MediaRecord> render(std::string_view text) override {
        spoken.emplace_back(text);
        controller::MediaRecord record;
        record.media.sha256 = media::sha256_hex(text);
        record.media.type = scheduler::MediaType::Audio;
        record.media.duration = Duration{static_cast<std::int64_t>(text.size()) * 60};
        record.media.name = "speech.opus";
        record.size = static_cast<std::int64_t>(text.size());
        record.created = m_clock.wall();
        return record;
    }
    std::vector<std::string> spoken;

private:
    const SimulatedClock& m_clock;
};

class RecordingBroker final : public controller::BrokerSync {
public:
    Result<void> apply(const std::vector<protocol::DeviceAccount>& devices) override {
        accounts = devices;
        ++applied;
        return {};
    }
    std::vector<protocol::DeviceAccount> accounts;
    int applied = 0;
};

inline std::string media_sha(char c) {
    return std::string(64, c);
}

class FleetFixture : public StoreFixture {
public:
    FleetFixture() : keys(protocol::key_pair_from_seed(seed())) {
        add_content("pl-1", "zone-1");
        add_zone("zone-2");
        add_zone("zone-3");
        editor = add_user("editor", controller::Role::Editor);
        approver = add_user("approver", controller::Role::Approver);
        operator_one = add_user("operator-one", controller::Role::Operator);
        operator_two = add_user("operator-two", controller::Role::Operator);
    }

    static std::array<std::uint8_t, 32> seed() {
        std::array<std::uint8_t, 32> bytes{};
        for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7 + 1);
        return bytes;
    }

    void add_zone(const std::string& zone) {
        auto done = store->write([&](controller::StoreTransaction& transaction) {
            return transaction.insert_zone(controller::ZoneRecord{zone, "Zone " + zone});
        });
        REQUIRE(done);
    }

    controller::DeviceRecord add_device(const std::string& id, const std::string& zone,
                                        scheduler::DeviceKind kind = scheduler::DeviceKind::Screen) {
        controller::DeviceRecord record;
        record.device.id = id;
        record.device.zone = zone;
        record.device.kind = kind;
        record.device.has_speaker = true;
        record.mqtt_password_hash = "$7$101$unused$unused";
        record.created = clock.wall();
        auto done = store->write(
            [&](controller::StoreTransaction& transaction) { return transaction.insert_device(record); });
        if (!done)
            FAIL(done.error().message());
        return record;
    }

    controller::DeviceRecord device(const std::string& id) {
        auto found = store->read_value<controller::DeviceRecord>(
            [&](controller::StoreTransaction& transaction) { return transaction.device_by_id(id); });
        REQUIRE(found);
        return *found;
    }

    // Creates, submits and approves a campaign for these zones.
    controller::CampaignRecord approve_campaign(const std::string& id, std::vector<std::string> zones) {
        scheduler::Campaign draft = campaign(id);
        draft.targets.zones = std::move(zones);
        return approve_campaign(draft);
    }
    controller::CampaignRecord approve_campaign(const scheduler::Campaign& draft) {
        const std::string& id = draft.id;
        controller::ApprovalService approval{*store, clock};
        auto created = approval.create(editor, draft);
        REQUIRE(created);
        auto submitted = approval.submit(editor, id, created->version);
        REQUIRE(submitted);
        auto approved = approval.approve(approver, id, submitted->version);
        REQUIRE(approved);
        return *approved;
    }

    controller::CampaignRecord archive_campaign(const std::string& id) {
        controller::ApprovalService approval{*store, clock};
        auto current = store->read_value<controller::CampaignRecord>(
            [&](controller::StoreTransaction& transaction) { return transaction.campaign_by_id(id); });
        REQUIRE(current);
        auto archived = approval.archive(approver, id, current->version);
        REQUIRE(archived);
        return *archived;
    }

    protocol::TrustedKeys trusted() const { return {protocol::trusted_key(keys.public_key)}; }

    protocol::KeyPair keys;
    controller::User editor;
    controller::User approver;
    controller::User operator_one;
    controller::User operator_two;
};

}  // namespace bantin::testing
