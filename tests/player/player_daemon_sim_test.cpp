// The player daemon on simulated time: the real daemon loop and its parts (bundle intake,
// alert intake, the proof uplink, commands), the real state database and content store in a
// temporary directory, and in place of libmpv and the broker the fake renderer and a scripted
// MQTT link. Time moves only when the test moves it, so every "after 5 s" here is exact and a
// busy machine cannot change the outcome. The media are put in the content store beforehand
// (fetching is media/'s tests and the daemon itests' business).

#include "bantin/media/alert_tone.hpp"
#include "bantin/media/sha256.hpp"
#include "bantin/media/store.hpp"
#include "bantin/player/daemon.hpp"
#include "bantin/player/playback_engine.hpp"
#include "bantin/player/player_state.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/speech_link.hpp"
#include "bantin/protocol/topics.hpp"
#include "support/fake_mqtt.hpp"
#include "support/fake_renderer.hpp"
#include "support/simulated_clock.hpp"
#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>

#include <thread>

#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <random>
#include <set>

using namespace bantin;
using namespace std::chrono_literals;

namespace {

const std::string device_id = "dev-sim";
const std::string zone_id = "zone-sim";

std::string topic(protocol::DeviceChannel channel) {
    return *protocol::device_topic(device_id, channel);
}

struct Media {
    std::string sha256;
    std::uint64_t size = 0;
    scheduler::MediaType type = scheduler::MediaType::Image;
};

class Sim {
public:
    Sim() {
        m_directory = std::filesystem::temp_directory_path() /
                      ("bantin-daemon-sim-" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(m_directory);
        m_options.provisioning.device = device_id;
        m_options.provisioning.zone = zone_id;
        m_options.provisioning.mqtt = {"127.0.0.1", 1, device_id, "secret", std::nullopt};
        m_options.provisioning.controller_keys = {protocol::trusted_key(m_keys.public_key)};
        m_options.config.state.dir = m_directory / "state";
        m_options.config.playback.mode = config::PlaybackMode::Headless;
        m_options.config.proof.flush_interval = 1s;
        m_options.config.cache.min_free_disk_mb = 0;
        m_options.resend_interval = 10s;
    }
    ~Sim() {
        m_daemon.reset();
        std::error_code ignored;
        std::filesystem::remove_all(m_directory, ignored);
    }
    Sim(const Sim&) = delete;
    Sim& operator=(const Sim&) = delete;

    player::DaemonOptions& options() { return m_options; }
    testing::SimulatedClock& clock() { return m_clock; }
    testing::FakeRenderer& renderer() { return *m_renderer; }
    testing::FakeMqttLink& mqtt() { return *m_mqtt; }
    player::Daemon& daemon() { return *m_daemon; }
    const protocol::KeyPair& keys() const { return m_keys; }

    // Media put in the content store before the daemon starts (the cache index adopts them).
    Media media(const std::string& body, scheduler::MediaType type = scheduler::MediaType::Image) {
        auto store = media::ContentStore::open(m_options.config.cache_path());
        REQUIRE(store);
        const auto file = m_directory / "incoming";
        std::ofstream(file, std::ios::binary) << body;
        auto stored = store->put_file(file);
        REQUIRE(stored);
        return {stored->sha256, stored->size, type};
    }
    // Media a bundle names that are not on the device (and cannot be fetched: port 1).
    static Media absent(const std::string& body) {
        return {media::sha256_hex(body), body.size(), scheduler::MediaType::Image};
    }

    // `configure`: the fake broker's behaviour, before the daemon starts (e.g. not answering).
    void start(const std::function<void(testing::FakeMqttLink&)>& configure = {}) {
        auto renderer = std::make_unique<testing::FakeRenderer>(m_clock);
        renderer->sleep_with([this](Duration timeout) { m_clock.advance(timeout); });
        m_renderer = renderer.get();
        player::DaemonParts parts;
        parts.clock = &m_clock;
        parts.renderer = std::move(renderer);
        parts.seed = 7;
        parts.mqtt = [this, configure](protocol::MqttWill will, protocol::WakeupHook wake) {
            auto link = std::make_unique<testing::FakeMqttLink>(std::move(wake));
            m_mqtt = link.get();
            m_will = std::move(will);
            if (configure)
                configure(*link);
            return Result<std::unique_ptr<protocol::MqttLink>>(std::move(link));
        };
        auto daemon = player::Daemon::assemble(m_options, std::move(parts));
        REQUIRE(daemon);
        m_daemon = std::move(*daemon);
        REQUIRE(m_daemon->start());
        m_daemon->turn(0ms);
    }

    // A clean stop, then a new daemon (new renderer and broker link) on the same state.
    void restart(const std::function<void(testing::FakeMqttLink&)>& configure = {}) {
        m_daemon->request_stop();
        m_daemon->finish();
        m_daemon.reset();
        m_framed.reset();
        start(configure);
    }

    // Moves time on by `span`, in the steps the daemon's loop asks for: each turn() waits on the
    // fake renderer, whose wait lets the simulated clock run to the loop's next timer (or the
    // end of the playing entry, or of the span). The fake media play their whole length: an
    // entry shows its first frame when it becomes current and ends when its length (the
    // engine's image-display-duration or length option) has passed.
    void run_for(Duration span) {
        const auto until = m_clock.monotonic() + span;
        int still = 0;
        while (m_clock.monotonic() < until) {
            const auto before = m_clock.monotonic();
            Duration wait = until - before;
            if (m_framed && m_framed == m_renderer->current())
                wait = std::min(wait, std::max(Duration{0}, m_frame_at + m_length - before));
            m_daemon->turn(wait);
            if (m_framed && m_framed == m_renderer->current() && m_clock.monotonic() >= m_frame_at + m_length)
                m_renderer->finish();
            play_along();
            still = m_clock.monotonic() == before ? still + 1 : 0;
            REQUIRE(still < 1000);  // the loop keeps asking for no wait: it spins
        }
    }

    protocol::Bundle bundle(std::uint64_t version, const std::vector<Media>& items,
                            Duration slot = 2s) const {
        protocol::Bundle bundle;
        bundle.device = device_id;
        bundle.version = version;
        bundle.issued_at = m_clock.wall() - 1min;
        bundle.expires_at = m_clock.wall() + 24h;
        scheduler::Device device;
        device.id = device_id;
        device.zone = zone_id;
        device.kind = scheduler::DeviceKind::Screen;
        device.has_speaker = true;
        device.time_zone = "UTC";
        bundle.model.devices = {device};
        scheduler::Playlist playlist;
        playlist.id = "pl-main";
        for (const auto& item : items) {
            scheduler::MediaRef ref;
            ref.sha256 = item.sha256;
            ref.type = item.type;
            ref.duration = slot;
            if (std::none_of(bundle.model.media.begin(), bundle.model.media.end(),
                             [&](const scheduler::MediaRef& known) { return known.sha256 == ref.sha256; })) {
                bundle.model.media.push_back(ref);
                bundle.manifest.push_back(
                    {item.sha256, item.size, item.type, slot, "http://127.0.0.1:1/media/" + item.sha256});
            }
            playlist.items.push_back({item.sha256, slot, 1});
        }
        bundle.model.playlists = {playlist};
        scheduler::Campaign campaign;
        campaign.id = "cp-loop";
        campaign.playlist = playlist.id;
        campaign.approval = scheduler::ApprovalState::Approved;
        bundle.model.campaigns = {campaign};
        return bundle;
    }

    protocol::AlertMessage alert(const Media& media, Duration lasts) const {
        protocol::AlertMessage message;
        message.alert.id = "al-flood";
        message.alert.zones = {zone_id};
        message.alert.severity = scheduler::Severity::Extreme;
        message.alert.issued = m_clock.wall();
        message.alert.expires = m_clock.wall() + lasts;
        message.alert.headline = "Lũ quét";
        message.alert.text = "Di chuyển lên chỗ cao";
        message.alert.playlist = "pl-alert";
        message.alert.repeat.count = 0;  // until it expires or is cancelled
        message.playlist.id = "pl-alert";
        message.playlist.items = {{media.sha256, Duration{2000}, 1}};
        scheduler::MediaRef ref;
        ref.sha256 = media.sha256;
        ref.type = media.type;
        ref.duration = Duration{2000};
        message.media = {ref};
        message.manifest = {{media.sha256, media.size, media.type, Duration{2000},
                             "http://127.0.0.1:1/media/" + media.sha256}};
        return message;
    }

    void send(const protocol::Bundle& bundle) {
        m_mqtt->deliver(topic(protocol::DeviceChannel::Bundle), protocol::seal(bundle, m_keys.secret));
    }
    void send(const protocol::AlertMessage& alert) {
        m_mqtt->deliver(*protocol::alert_zone_topic(zone_id), protocol::seal(alert, m_keys.secret));
    }
    void send(const protocol::AlertCancel& cancel) {
        m_mqtt->deliver(*protocol::alert_zone_topic(zone_id), protocol::seal(cancel, m_keys.secret));
    }
    void send(const protocol::LiveStart& start) {
        m_mqtt->deliver(*protocol::live_zone_topic(zone_id), protocol::seal(start, m_keys.secret));
    }
    void send(const protocol::LiveEnd& end) {
        m_mqtt->deliver(*protocol::live_zone_topic(zone_id), protocol::seal(end, m_keys.secret));
    }
    protocol::LiveStart live(scheduler::Level level, Duration lasts, std::string id = "live-1") const {
        protocol::LiveStart start;
        start.id = id;
        start.zones = {zone_id};
        start.level = level;
        start.url = "http://icecast.test:8000/" + id + ".mp3";
        start.started_at = m_clock.wall();
        start.ends_at = m_clock.wall() + lasts;
        return start;
    }
    protocol::LiveEnd live_end(const protocol::LiveStart& start) const {
        protocol::LiveEnd end;
        end.live_id = start.id;
        end.zones = start.zones;
        end.issued_at = m_clock.wall();
        end.expires_at = start.ends_at;
        return end;
    }
    void send(const protocol::Command& command) {
        m_mqtt->deliver(topic(protocol::DeviceChannel::Command), protocol::seal(command, m_keys.secret));
    }
    void ack(std::uint64_t committed, std::string epoch = "", std::vector<std::string> replied = {}) {
        protocol::Ack ack;
        ack.device = device_id;
        ack.install_epoch = epoch.empty() ? install_epoch() : epoch;
        ack.committed_seq = committed;
        ack.replied_commands = std::move(replied);
        ack.issued_at = m_clock.wall();
        m_mqtt->deliver(topic(protocol::DeviceChannel::Ack), protocol::seal(ack, m_keys.secret));
    }
    std::string install_epoch() const { return m_daemon->status().install_epoch; }

    // Every proof row published so far, by seq (a row sent again must be the same row).
    std::map<std::uint64_t, protocol::ProofOfPlayRow> rows() const {
        std::map<std::uint64_t, protocol::ProofOfPlayRow> rows;
        for (const auto& message : m_mqtt->published_to(topic(protocol::DeviceChannel::ProofOfPlay))) {
            auto uplink = protocol::decode_uplink(message.payload);
            REQUIRE(uplink);
            if (auto* batch = std::get_if<protocol::ProofOfPlayBatch>(&*uplink)) {
                for (const auto& row : batch->rows) {
                    auto [it, inserted] = rows.emplace(row.seq, row);
                    CHECK(it->second == row);
                }
            }
        }
        return rows;
    }
    // The seqs of each proof batch published, in order.
    std::vector<std::vector<std::uint64_t>> batches() const {
        std::vector<std::vector<std::uint64_t>> batches;
        for (const auto& message : m_mqtt->published_to(topic(protocol::DeviceChannel::ProofOfPlay))) {
            auto uplink = protocol::decode_uplink(message.payload);
            REQUIRE(uplink);
            if (auto* batch = std::get_if<protocol::ProofOfPlayBatch>(&*uplink)) {
                batches.emplace_back();
                for (const auto& row : batch->rows) batches.back().push_back(row.seq);
            }
        }
        return batches;
    }
    std::vector<protocol::CommandReply> replies() const {
        std::vector<protocol::CommandReply> replies;
        for (const auto& message : m_mqtt->published_to(topic(protocol::DeviceChannel::ProofOfPlay))) {
            auto uplink = protocol::decode_uplink(message.payload);
            REQUIRE(uplink);
            if (auto* reply = std::get_if<protocol::CommandReply>(&*uplink))
                replies.push_back(*reply);
        }
        return replies;
    }
    // The media of the loads the renderer was given, in order.
    std::vector<std::string> played_media() const {
        std::vector<std::string> media;
        for (const auto& load : m_renderer->loads())
            media.push_back(std::filesystem::path(load.request.location).filename().string());
        return media;
    }
    // The media of the entry the renderer plays now ("" when idle).
    std::string current_media() const {
        for (const auto& load : m_renderer->loads())
            if (load.playlist_entry_id == m_renderer->current())
                return std::filesystem::path(load.request.location).filename().string();
        return "";
    }
    const protocol::MqttWill& will() const { return m_will; }

private:
    void play_along() {
        if (!m_renderer->current() || m_framed == m_renderer->current())
            return;
        m_framed = m_renderer->current();
        for (const auto& load : m_renderer->loads()) {
            if (load.playlist_entry_id != *m_framed)
                continue;
            const auto seconds =
                load.option("image-display-duration").value_or(load.option("length").value_or("1"));
            m_length = Duration{static_cast<std::int64_t>(std::stod(seconds) * 1000)};
        }
        m_frame_at = m_clock.monotonic();
        m_renderer->first_frame();
        m_daemon->turn(0ms);
    }

    std::filesystem::path m_directory;
    testing::SimulatedClock m_clock{from_unix_ms(1'780'000'000'000)};
    protocol::KeyPair m_keys = protocol::generate_key_pair();
    player::DaemonOptions m_options;
    testing::FakeRenderer* m_renderer = nullptr;
    testing::FakeMqttLink* m_mqtt = nullptr;
    protocol::MqttWill m_will;
    std::unique_ptr<player::Daemon> m_daemon;
    std::optional<std::int64_t> m_framed;
    MonotonicTime m_frame_at{};
    Duration m_length{0};
};

std::size_t count(const std::map<std::uint64_t, protocol::ProofOfPlayRow>& rows, protocol::Outcome outcome) {
    return static_cast<std::size_t>(std::count_if(
        rows.begin(), rows.end(), [&](const auto& entry) { return entry.second.outcome == outcome; }));
}

}  // namespace

TEST_CASE("sim: a bundle whose media are on disk is validated, stored, activated and played in order",
          "[player][daemon][sim][intake]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto blue = sim.media("blue image");
    sim.start();
    CHECK(sim.mqtt().started());
    sim.send(sim.bundle(1, {red, blue}));
    sim.run_for(100ms);
    auto status = sim.daemon().status();
    CHECK(status.applied_bundle_version == 1);
    CHECK(status.desired_bundle_version == 1);
    CHECK_FALSE(status.last_error);
    sim.run_for(8s);
    // Four 2 s slots: red, blue, red, blue.
    const auto played = sim.played_media();
    REQUIRE(played.size() >= 4);
    CHECK(played[0] == red.sha256);
    CHECK(played[1] == blue.sha256);
    CHECK(played[2] == red.sha256);
    const auto rows = sim.rows();
    CHECK(rows.size() >= 3);
    CHECK(count(rows, protocol::Outcome::Completed) == rows.size());
    for (const auto& [seq, row] : rows) {
        CHECK(row.bundle_version == 1);
        CHECK(row.duration_ms == 2000);
    }
    auto state = player::PlayerState::open(sim.options().config.database_path());
    REQUIRE(state);
    auto active = state->active_bundle();
    REQUIRE(active);
    REQUIRE(*active);
    CHECK((*active)->version == 1);
}

TEST_CASE("sim: a bundle whose timeline cannot be resolved is refused before it is stored",
          "[player][daemon][sim][intake]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(3s);
    auto broken = sim.bundle(2, {red});
    broken.model.playlists.front().items.push_back(
        {std::string(64, 'f'), Duration{2000}, 1});  // not in its media
    sim.send(broken);
    sim.run_for(100ms);
    auto status = sim.daemon().status();
    REQUIRE(status.last_error);
    CHECK_THAT(*status.last_error, Catch::Contains("bundle 2 refused"));
    CHECK(status.applied_bundle_version == 1);
    CHECK(status.desired_bundle_version == 1);
    auto state = player::PlayerState::open(sim.options().config.database_path());
    REQUIRE(state);
    auto desired = state->desired_bundle();
    REQUIRE(desired);
    CHECK_FALSE(*desired);  // never stored, so nothing had to be undone
    // The last good bundle plays on.
    const auto before = sim.played_media().size();
    sim.run_for(4s);
    CHECK(sim.played_media().size() >= before + 2);
}

TEST_CASE("sim: a bundle waiting for media stays desired while the active one plays, and replays are counted",
          "[player][daemon][sim][intake]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto missing = Sim::absent("never fetched");
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    sim.send(sim.bundle(2, {red, missing}));
    sim.run_for(1s);
    auto status = sim.daemon().status();
    CHECK(status.applied_bundle_version == 1);
    CHECK(status.desired_bundle_version == 2);
    sim.send(sim.bundle(2, {red, missing}));  // the retained copy again
    sim.send(sim.bundle(1, {red}));           // an older one
    sim.run_for(100ms);
    status = sim.daemon().status();
    CHECK(status.replayed_bundles == 2);
    for (const auto& media : sim.played_media()) CHECK(media == red.sha256);
}

TEST_CASE("sim: every batch carries the rows not acked yet, an ack prunes them, another epoch's ack does not",
          "[player][daemon][sim][uplink]") {
    using Seqs = std::vector<std::uint64_t>;
    Sim sim;
    const auto red = sim.media("red image");
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(6100ms);
    auto batches = sim.batches();
    REQUIRE_FALSE(batches.empty());
    const auto last = batches.back().back();
    REQUIRE(last >= 2);
    Seqs all;
    for (std::uint64_t seq = 1; seq <= last; ++seq) all.push_back(seq);
    CHECK(batches.back() == all);
    sim.ack(last - 1);
    sim.run_for(2000ms);  // the next slot ends
    CHECK(sim.batches().back() == (Seqs{last, last + 1}));
    sim.ack(last + 1, "ie-0000000000000000");
    sim.run_for(2000ms);
    CHECK(sim.batches().back() == (Seqs{last, last + 1, last + 2}));
}

TEST_CASE("sim: while disconnected rows wait, and they go at once on reconnection",
          "[player][daemon][sim][uplink]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(100ms);
    sim.mqtt().disconnect();
    sim.mqtt().clear_published();
    sim.run_for(6100ms);  // three slots
    CHECK(sim.rows().empty());
    sim.mqtt().connect();
    sim.run_for(50ms);
    auto rows = sim.rows();
    REQUIRE(rows.size() == 3);
    CHECK(rows.begin()->first == 1);
    CHECK(rows.rbegin()->first == 3);
}

TEST_CASE(
    "sim: an alert preempts at once, its cancel gives the schedule back, and the cut item is interrupted",
    "[player][daemon][sim][alerts]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto siren = sim.media("siren image");
    sim.start();
    sim.send(sim.bundle(1, {red}, 10s));
    sim.run_for(3s);
    sim.send(sim.alert(siren, 1h));
    sim.run_for(50ms);
    REQUIRE(sim.renderer().current());
    CHECK(sim.current_media() == siren.sha256);
    sim.run_for(4s);
    protocol::AlertCancel cancel;
    cancel.alert_id = "al-flood";
    cancel.zones = {zone_id};
    cancel.issued_at = sim.clock().wall();
    cancel.expires_at = sim.clock().wall() + 1h;
    sim.send(cancel);
    sim.run_for(50ms);
    CHECK(sim.current_media() == red.sha256);
    sim.run_for(1500ms);
    const auto rows = sim.rows();
    REQUIRE(rows.size() >= 3);
    CHECK(rows.at(1).source_id == "cp-loop");
    CHECK(rows.at(1).outcome == protocol::Outcome::Interrupted);
    CHECK(rows.at(1).duration_ms == 3000);
    CHECK(rows.at(2).source == protocol::SourceKind::Alert);
    CHECK(rows.at(2).outcome == protocol::Outcome::Completed);
    // The cancel is kept: the alert's retained copy cannot bring it back.
    sim.send(sim.alert(siren, 1h));
    sim.run_for(100ms);
    CHECK(sim.current_media() == red.sha256);
}

TEST_CASE("sim: a restored alert waits 1 s after the alert topics' SUBACK, then plays",
          "[player][daemon][sim][alerts]") {
    Sim sim;
    const auto siren = sim.media("siren image");
    sim.start();
    sim.send(sim.alert(siren, 1h));
    sim.run_for(100ms);
    CHECK(sim.current_media() == siren.sha256);
    sim.restart([&](testing::FakeMqttLink& mqtt) { mqtt.connect_on_start(false); });
    sim.run_for(3s);  // no broker: held (at most 5 s)
    CHECK(sim.played_media().empty());
    sim.mqtt().connect();  // CONNACK and the alert topics' SUBACK
    sim.run_for(900ms);
    CHECK(sim.played_media().empty());
    sim.run_for(200ms);
    REQUIRE_FALSE(sim.played_media().empty());
    CHECK(sim.current_media() == siren.sha256);
}

TEST_CASE("sim: a command is answered once on the pop topic, and its reply goes until acked",
          "[player][daemon][sim][commands]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.options().config.safety.max_volume = 40;
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(100ms);
    protocol::Command command;
    command.id = "cmd-vol";
    command.device = device_id;
    command.kind = protocol::CommandKind::SetVolume;
    command.volume = 90;
    command.issued_at = sim.clock().wall();
    command.expires_at = sim.clock().wall() + 10min;
    sim.send(command);
    sim.run_for(50ms);
    auto replies = sim.replies();
    REQUIRE(replies.size() == 1);
    CHECK(replies.front().command_id == "cmd-vol");
    CHECK(replies.front().detail == "volume 40 (asked 90, capped at 40)");
    CHECK(sim.renderer().volumes().back() == 40);
    sim.send(command);  // the same id again: refused, not answered twice
    sim.run_for(50ms);
    CHECK(sim.replies().size() == 1);
    sim.mqtt().clear_published();
    sim.run_for(10s);  // not acked: sent again
    CHECK_FALSE(sim.replies().empty());
    sim.ack(0, "", {"cmd-vol"});
    sim.run_for(100ms);
    sim.mqtt().clear_published();
    sim.run_for(11s);
    CHECK(sim.replies().empty());
}

TEST_CASE("sim: the Last Will is the offline status, and a clean stop publishes offline itself",
          "[player][daemon][sim]") {
    Sim sim;
    sim.start();
    auto will = protocol::decode_status(sim.will().payload);
    REQUIRE(will);
    CHECK(will->presence == protocol::Presence::Offline);
    CHECK(sim.will().topic == topic(protocol::DeviceChannel::Status));
    sim.run_for(100ms);
    sim.daemon().request_stop();
    CHECK(sim.daemon().stopping());
    sim.daemon().finish();
    const auto statuses = sim.mqtt().published_to(topic(protocol::DeviceChannel::Status));
    REQUIRE_FALSE(statuses.empty());
    auto last = protocol::decode_status(statuses.back().payload);
    REQUIRE(last);
    CHECK(last->presence == protocol::Presence::Offline);
    CHECK(sim.mqtt().stopped());
}

TEST_CASE("sim: a bundle that adds a header band draws its first notice already in the smaller main region",
          "[player][daemon][sim][header]") {
    Sim sim;
    const auto notice = sim.media("Thông báo\nChợ phiên sáng chủ nhật", scheduler::MediaType::Text);
    sim.options().config.safety.time_zone = "Asia/Ho_Chi_Minh";
    sim.start();
    sim.renderer().set_window(player::FrameSize{1920, 1080});
    auto bundle = sim.bundle(1, {notice});
    bundle.model.devices.front().layout.header_permille = 100;
    sim.send(bundle);
    sim.run_for(100ms);
    REQUIRE(sim.daemon().status().applied_bundle_version == 1);
    REQUIRE_FALSE(sim.renderer().loads().empty());
    player::OverlayContent banded;
    banded.header_permille = 100;
    const int main_height = 1080 - player::bands_of(banded, 1080).header;
    REQUIRE(main_height < 1080);
    // The very first picture is drawn for the main region under the band, not the whole window.
    const auto& first = sim.renderer().loads().front().request.location;
    INFO(first);
    CHECK_THAT(first, Catch::Contains("-1920x" + std::to_string(main_height) + "-"));
    CHECK(sim.renderer().overlay().header_permille == 100);
    // The header's clock is in the device's own zone ([safety] time_zone), as the notices'
    // dates are, not in the zone the bundle gives (UTC here).
    CHECK(sim.renderer().overlay().time_zone == "Asia/Ho_Chi_Minh");
}

TEST_CASE("sim: an alert that cannot be resolved is refused in status, and later bundles still apply",
          "[player][daemon][sim][alerts]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto blue = sim.media("blue image");
    const auto notice = sim.media("Thông báo", scheduler::MediaType::Text);
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    // Signed and well formed, but its text notice links speech the alert does not carry.
    auto broken = sim.alert(notice, 1h);
    broken.media.front().speech = media::sha256_hex("speech the alert does not carry");
    sim.send(broken);
    sim.run_for(100ms);
    auto status = sim.daemon().status();
    REQUIRE(status.last_error);
    CHECK_THAT(*status.last_error, Catch::Contains("alert al-flood refused"));
    CHECK(sim.current_media() == red.sha256);
    sim.send(sim.bundle(2, {blue}));
    sim.run_for(5s);
    CHECK(sim.daemon().status().applied_bundle_version == 2);
    const auto rows = sim.rows();
    REQUIRE_FALSE(rows.empty());
    CHECK(rows.rbegin()->second.bundle_version == 2);
    CHECK(rows.rbegin()->second.media == blue.sha256);
    for (const auto& [seq, row] : rows) CHECK(row.source == protocol::SourceKind::Campaign);
}

TEST_CASE("sim: an alert playing when an unrelated bundle arrives plays once, whole",
          "[player][daemon][sim][alerts][continuity]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto blue = sim.media("blue image");
    const auto siren = sim.media("siren image");
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    auto alert = sim.alert(siren, 30s);
    alert.alert.repeat.count = 1;  // one pass of a 4 s item
    alert.playlist.items = {{siren.sha256, Duration{4000}, 1}};
    alert.media.front().duration = Duration{4000};
    alert.manifest.front().duration = Duration{4000};
    sim.send(alert);
    sim.run_for(1500ms);
    CHECK(sim.current_media() == siren.sha256);
    sim.send(sim.bundle(2, {blue}));
    sim.run_for(100ms);
    CHECK(sim.current_media() == siren.sha256);  // the new bundle does not cut the alert
    sim.run_for(8s);
    const auto rows = sim.rows();
    std::vector<protocol::ProofOfPlayRow> alert_rows;
    for (const auto& [seq, row] : rows)
        if (row.source == protocol::SourceKind::Alert)
            alert_rows.push_back(row);
    REQUIRE(alert_rows.size() == 1);
    CHECK(alert_rows[0].outcome == protocol::Outcome::Completed);
    CHECK(alert_rows[0].duration_ms == 4000);
    REQUIRE(rows.rbegin()->second.source == protocol::SourceKind::Campaign);
    CHECK(rows.rbegin()->second.bundle_version == 2);
    CHECK(rows.rbegin()->second.media == blue.sha256);
}

TEST_CASE(
    "sim: in local quiet hours a campaign is silent, an alert still plays, and a ping tells the capped "
    "volume",
    "[player][daemon][sim][safety]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto siren = sim.media("siren image");
    // Quiet all day, in whatever zone.
    sim.options().config.safety.quiet_hours = {config::DailyWindow{0, 24 * 60}};
    sim.options().config.safety.max_volume = 30;
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(5s);
    CHECK(sim.daemon().status().applied_bundle_version == 1);
    CHECK(sim.played_media().empty());
    CHECK(sim.rows().empty());
    sim.send(sim.alert(siren, 3s));
    sim.run_for(100ms);
    CHECK(sim.current_media() == siren.sha256);
    protocol::Command ping;
    ping.id = "cmd-ping";
    ping.device = device_id;
    ping.kind = protocol::CommandKind::Ping;
    ping.issued_at = sim.clock().wall();
    ping.expires_at = sim.clock().wall() + 10min;
    sim.send(ping);
    sim.run_for(50ms);
    const auto replies = sim.replies();
    REQUIRE(replies.size() == 1);
    CHECK(replies.front().detail == "pong; volume 30; playing al-flood " + siren.sha256.substr(0, 8));
    sim.run_for(4s);
    const auto rows = sim.rows();
    REQUIRE_FALSE(rows.empty());
    for (const auto& [seq, row] : rows) CHECK(row.source == protocol::SourceKind::Alert);
    CHECK(sim.current_media().empty());  // the alert expired: quiet again
}

TEST_CASE("sim: a bundle that says UTC cannot make the device sound in its local quiet hours",
          "[player][daemon][sim][safety]") {
    Sim sim;
    const auto red = sim.media("red image");
    // The simulated clock starts at 20:26 UTC, 03:26 in Tân Uyên: inside 22:30-05:00 there, not in UTC.
    sim.options().config.safety.quiet_hours = {config::DailyWindow{22 * 60 + 30, 5 * 60}};
    sim.options().config.safety.time_zone = "Asia/Ho_Chi_Minh";
    sim.start();
    sim.send(sim.bundle(1, {red}));  // its device's time_zone is "UTC"
    sim.run_for(10s);
    CHECK(sim.daemon().status().applied_bundle_version == 1);
    CHECK(sim.played_media().empty());
    CHECK(sim.rows().empty());
}

TEST_CASE("sim: a live alert sounds at the emergency volume whatever the night step or a set-volume says",
          "[player][daemon][sim][safety]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto siren = sim.media("siren image");
    sim.options().config.safety.emergency_volume = 85;
    sim.start();
    auto night = sim.bundle(1, {red});
    night.settings.default_volume = 20;  // the quiet night-time step
    sim.send(night);
    sim.run_for(3s);
    REQUIRE(sim.current_media() == red.sha256);
    CHECK(sim.renderer().volumes().back() == 20);

    sim.send(sim.alert(siren, 6s));
    sim.run_for(100ms);
    REQUIRE(sim.current_media() == siren.sha256);
    CHECK(sim.renderer().volumes().back() == 85);

    // An operator turning the volume down does not silence the alert; after it, the order holds.
    protocol::Command quieter;
    quieter.id = "cmd-quieter";
    quieter.device = device_id;
    quieter.kind = protocol::CommandKind::SetVolume;
    quieter.volume = 10;
    quieter.issued_at = sim.clock().wall();
    quieter.expires_at = sim.clock().wall() + 10min;
    sim.send(quieter);
    sim.run_for(50ms);
    auto replies = sim.replies();
    REQUIRE(replies.size() == 1);
    CHECK(replies.front().detail == "volume 85 (asked 10; a live alert plays at no less than 85)");
    CHECK(sim.renderer().volumes().back() == 85);

    sim.run_for(7s);  // the alert expired; the campaign plays again
    CHECK(sim.current_media() == red.sha256);
    CHECK(sim.renderer().volumes().back() == 10);
}

TEST_CASE("sim: an exercise alert keeps the scheduled volume, and max_volume caps the emergency volume",
          "[player][daemon][sim][safety]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto siren = sim.media("siren image");
    sim.options().config.safety.emergency_volume = 95;
    sim.options().config.safety.max_volume = 60;
    sim.start();
    auto night = sim.bundle(1, {red});
    night.settings.default_volume = 20;
    sim.send(night);
    sim.run_for(3s);
    CHECK(sim.renderer().volumes().back() == 20);

    auto drill = sim.alert(siren, 3s);
    drill.alert.id = "al-drill";
    drill.alert.status = scheduler::AlertStatus::Exercise;
    sim.send(drill);
    sim.run_for(100ms);
    REQUIRE(sim.current_media() == siren.sha256);
    CHECK(sim.renderer().volumes().back() == 20);
    sim.run_for(4s);

    sim.send(sim.alert(siren, 3s));
    sim.run_for(100ms);
    REQUIRE(sim.current_media() == siren.sha256);
    CHECK(sim.renderer().volumes().back() == 60);
}

namespace {

// An alert as the controller sends it: a text notice linked to its speech; the controller's
// web server does not answer (port 1), MQTT does.
protocol::AlertMessage unfetchable_words_alert(Sim& sim) {
    protocol::AlertMessage message;
    message.alert.id = "al-lu-quet";
    message.alert.zones = {zone_id};
    message.alert.severity = scheduler::Severity::Extreme;
    message.alert.issued = sim.clock().wall();
    message.alert.expires = sim.clock().wall() + 1min;
    message.alert.headline = "Lũ quét";
    message.alert.text = "Nước sông dâng cao lúc 17h30, di chuyển lên chỗ cao ngay.";
    message.alert.playlist = "pl-alert";
    message.alert.repeat.count = 0;  // until it expires
    const std::string notice = protocol::alert_notice_text(message.alert);
    const std::string notice_sha = media::sha256_hex(notice);
    const std::string their_speech = media::sha256_hex("the controller's speech");
    scheduler::MediaRef text;
    text.sha256 = notice_sha;
    text.type = scheduler::MediaType::Text;
    text.duration = Duration{4000};
    text.has_audio = true;
    text.speech = their_speech;
    scheduler::MediaRef speech;
    speech.sha256 = their_speech;
    speech.type = scheduler::MediaType::Audio;
    speech.duration = Duration{4000};
    message.media = {text, speech};
    message.playlist.id = "pl-alert";
    message.playlist.items = {{notice_sha, std::nullopt, 1}};
    message.manifest = {{notice_sha, notice.size(), scheduler::MediaType::Text, Duration{4000},
                         "http://127.0.0.1:1/media/" + notice_sha},
                        {their_speech, 1000, scheduler::MediaType::Audio, Duration{4000},
                         "http://127.0.0.1:1/media/" + their_speech}};
    return message;
}

std::string sim_file_bytes(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

// The speech track of the slides loaded since `loads_before`.
std::optional<std::string> device_speech_track(Sim& sim, std::size_t loads_before) {
    std::optional<std::string> spoken;
    for (std::size_t i = loads_before; i < sim.renderer().loads().size(); ++i)
        if (auto track = sim.renderer().loads()[i].option("audio-files-append"))
            spoken = track;
    return spoken;
}

}  // namespace

TEST_CASE("sim: an alert whose words cannot be fetched is shown and spoken with words the device makes",
          "[player][daemon][sim][alerts]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.options().config.safety.alert_words_after = 3s;
    sim.start();
    sim.send(sim.bundle(1, {red}));  // a screen with a speaker
    sim.run_for(1s);
    const auto loads_before = sim.renderer().loads().size();
    const protocol::AlertMessage message = unfetchable_words_alert(sim);
    const std::string notice_sha = message.media[0].sha256;
    const std::string their_speech = message.media[1].sha256;
    sim.send(message);
    sim.run_for(1s);
    CHECK(sim.current_media() == red.sha256);  // the alert waits for the controller's files

    sim.run_for(2500ms);  // past alert_speech_after_s: the device makes them
    REQUIRE(sim.renderer().loads().size() > loads_before);
    const std::optional<std::string> spoken = device_speech_track(sim, loads_before);  // the slide's speech
    REQUIRE(spoken);
    const std::string our_speech = std::filesystem::path(*spoken).filename().string();
    CHECK(our_speech != their_speech);
    std::ifstream wav(*spoken, std::ios::binary);
    std::string riff(4, '\0');
    wav.read(riff.data(), 4);
    CHECK(riff == "RIFF");

    sim.run_for(10s);
    std::vector<protocol::ProofOfPlayRow> alert_rows;
    for (const auto& [seq, row] : sim.rows())
        if (row.source == protocol::SourceKind::Alert)
            alert_rows.push_back(row);
    REQUIRE(alert_rows.size() >= 2);
    for (const auto& row : alert_rows) {
        CHECK(row.media == notice_sha);  // the notice the controller sent, made here
        CHECK(row.outcome != protocol::Outcome::Failed);
    }
    CHECK(alert_rows.back().outcome == protocol::Outcome::Completed);
    CHECK(alert_rows.back().duration_ms == 4000);
}

TEST_CASE(
    "sim: an alert whose media cannot be fetched sounds its siren from the device's own copy at once, "
    "under its notice, then speaks words the device makes",
    "[player][daemon][sim][alerts]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.options().config.safety.alert_words_after = 10min;  // only the failed round releases it
    sim.start();
    sim.send(sim.bundle(1, {red}));  // a screen with a speaker
    sim.run_for(1s);
    const auto loads_before = sim.renderer().loads().size();
    // The siren first, as the controller names it for an extreme alert: the device never
    // downloads it (staged in its cache at start).
    protocol::AlertMessage message = unfetchable_words_alert(sim);
    const std::string notice_sha = message.media[0].sha256;
    const auto& siren_tone = media::alert_tone_media(media::AlertTone::Siren);
    scheduler::MediaRef siren;
    siren.sha256 = siren_tone.sha256;
    siren.type = scheduler::MediaType::Audio;
    siren.duration = siren_tone.duration;
    siren.has_audio = true;
    message.media.insert(message.media.begin(), siren);
    message.playlist.items.insert(message.playlist.items.begin(), {siren.sha256, std::nullopt, 1});
    message.manifest.insert(
        message.manifest.begin(),
        {siren.sha256, media::alert_tone_wav(media::AlertTone::Siren).size(), scheduler::MediaType::Audio,
         siren_tone.duration, "http://127.0.0.1:1/media/" + siren.sha256});
    sim.send(message);
    // The download round (three tries, real time) fails: nothing answers on port 1. The siren
    // sounds as soon as it has, and the words are made while it plays.
    const auto siren_playing = [&] {
        const auto status = sim.daemon().status();
        return status.now_playing && status.now_playing->media == siren.sha256;
    };
    const auto give_up = std::chrono::steady_clock::now() + 20s;  // the round's clock is real
    while (!siren_playing() && std::chrono::steady_clock::now() < give_up) {
        sim.run_for(100ms);
        std::this_thread::sleep_for(10ms);
    }
    REQUIRE(siren_playing());
    // On a screen the siren sounds under the alert's notice, made by the device meanwhile when
    // it could not be fetched (or alone, for the moment it takes to make it).
    sim.run_for(7s);  // the 6 s siren, then the words
    bool siren_under_notice = false;
    for (std::size_t i = loads_before; i < sim.renderer().loads().size(); ++i) {
        const auto& load = sim.renderer().loads()[i];
        if (auto track = load.option("audio-files-append");
            track && std::filesystem::path(*track).filename() == siren.sha256)
            siren_under_notice = load.request.location.ends_with(".png");
    }
    std::optional<std::string> spoken;  // the words' track: the device's own speech
    for (std::size_t i = loads_before; i < sim.renderer().loads().size(); ++i)
        if (auto track = sim.renderer().loads()[i].option("audio-files-append");
            track && std::filesystem::path(*track).filename() != siren.sha256)
            spoken = track;
    REQUIRE(spoken);
    CHECK(sim_file_bytes(*spoken).starts_with("RIFF"));

    sim.run_for(16s);
    std::vector<protocol::ProofOfPlayRow> notice_rows;
    std::vector<protocol::ProofOfPlayRow> siren_rows;
    for (const auto& [seq, row] : sim.rows())
        if (row.source == protocol::SourceKind::Alert)
            (row.media == siren.sha256 ? siren_rows : notice_rows).push_back(row);
    REQUIRE(siren_rows.size() >= 2);
    CHECK(siren_rows.front().outcome == protocol::Outcome::Completed);
    CHECK(siren_rows.front().duration_ms == 6000);
    REQUIRE_FALSE(notice_rows.empty());
    CHECK(notice_rows.front().media == notice_sha);
    CHECK(notice_rows.front().outcome ==
          protocol::Outcome::Completed);  // whole: made while the siren sounded
    CHECK(notice_rows.front().duration_ms == 4000);
    INFO("the second pass's siren shows the notice made during the first");
    CHECK(siren_under_notice);
}

TEST_CASE("sim: the speech a device makes comes from its tts command engine",
          "[player][daemon][sim][alerts]") {
    testing::TemporaryDirectory scripts;
    const auto made = scripts.path() / "made.wav";
    const auto script = scripts.path() / "tone.sh";
    std::ofstream(script) << "#!/bin/sh\nsox -n -r 16000 -b 16 -c 1 \"$1\" synth 2 sine 440 && cp \"$1\" '"
                          << made.string() << "'\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    Sim sim;
    const auto red = sim.media("red image");
    sim.options().config.safety.alert_words_after = 3s;
    sim.options().config.tts =
        config::TtsEngineConfig{config::TtsEngine::Command, {script.string(), "{wav}"}, "", 20s};
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    const auto loads_before = sim.renderer().loads().size();
    sim.send(unfetchable_words_alert(sim));
    sim.run_for(3500ms);
    const std::optional<std::string> spoken = device_speech_track(sim, loads_before);
    REQUIRE(spoken);
    REQUIRE(std::filesystem::exists(made));
    CHECK(media::sha256_hex(sim_file_bytes(*spoken)) == media::sha256_hex(sim_file_bytes(made)));
}

TEST_CASE("sim: a device whose tts service is down speaks the alert with espeak-ng",
          "[player][daemon][sim][alerts]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.options().config.safety.alert_words_after = 3s;
    sim.options().config.tts =
        config::TtsEngineConfig{config::TtsEngine::Http, {}, "http://127.0.0.1:1/speak", 20s};
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    const auto loads_before = sim.renderer().loads().size();
    sim.send(unfetchable_words_alert(sim));
    sim.run_for(3500ms);
    const std::optional<std::string> spoken = device_speech_track(sim, loads_before);
    REQUIRE(spoken);
    const std::string wav = sim_file_bytes(*spoken);
    CHECK(wav.starts_with("RIFF"));
    CHECK(wav.size() > 22050 * 2);  // over a second of espeak-ng's speech
}

TEST_CASE("sim: a relay plays the station's URL, its filler while the source is down, and proves it once",
          "[player][daemon][sim][relay]") {
    Sim sim;
    const auto filler = sim.media("filler music", scheduler::MediaType::Audio);
    sim.start();
    auto bundle = sim.bundle(1, {filler});
    scheduler::MediaRef station;
    station.sha256 = media::sha256_hex("http://127.0.0.1:8000/vov1.mp3");
    station.type = scheduler::MediaType::Stream;
    station.name = "VOV1";
    station.url = "http://127.0.0.1:8000/vov1.mp3";
    station.filler = filler.sha256;
    bundle.model.media.push_back(station);
    bundle.model.playlists[0].items = {
        {station.sha256, 60s, 1}};  // the filler is in the manifest, not played
    sim.send(bundle);
    sim.run_for(100ms);
    REQUIRE(sim.daemon().status().applied_bundle_version == 1);
    // The loop's minutes are whole minutes: the device joins the first one 40 s in.
    REQUIRE_FALSE(sim.renderer().loads().empty());
    CHECK(sim.renderer().loads().back().request.location == "http://127.0.0.1:8000/vov1.mp3");
    CHECK_FALSE(sim.renderer().loads().back().request.preload);
    CHECK(sim.renderer().loads().back().option("length") == "20.000");
    sim.run_for(10s);
    sim.renderer().finish(player::EndReason::Error, "Connection reset by peer");  // the station dies
    sim.run_for(100ms);
    CHECK(sim.renderer().loads().back().option("length") == "5.000");
    CHECK(sim.renderer().loads().back().request.location.ends_with(filler.sha256));
    sim.run_for(6s);
    CHECK(sim.renderer().loads().back().request.location == "http://127.0.0.1:8000/vov1.mp3");
    sim.run_for(70s);  // the rest of that minute, and the next one whole
    std::vector<protocol::ProofOfPlayRow> relays;
    for (const auto& [seq, row] : sim.rows())
        if (row.media == station.sha256)
            relays.push_back(row);
    REQUIRE(relays.size() >= 2);
    CHECK(relays[0].outcome == protocol::Outcome::Interrupted);
    CHECK(relays[0].note.starts_with("tiếp sóng "));
    CHECK(relays[0].note.find("nguồn mất 1 lần, phát bù 5.0 s") != std::string::npos);
    CHECK(relays[0].duration_ms >= 19'000);
    // The same figures as fields of the row, as the controller receives them.
    REQUIRE(relays[0].relay);
    CHECK(relays[0].relay->source_losses == 1);
    CHECK(relays[0].relay->filler_ms == 5'000);
    CHECK(relays[0].relay->relayed_ms >= 14'000);
    CHECK(relays[0].relay->relayed_ms + relays[0].relay->filler_ms <= relays[0].duration_ms);
    CHECK(relays[1].outcome == protocol::Outcome::Completed);
    CHECK(relays[1].note.empty());
    CHECK(relays[1].duration_ms == 60'000);
    CHECK(relays[1].relay == protocol::RelayFigures{60'000, 0, 0});
    // Every other row carries none.
    for (const auto& [seq, row] : sim.rows())
        if (row.media != station.sha256)
            CHECK_FALSE(row.relay);
}

// ---- live channels ------------------------------------------------------------------------

namespace {

const std::string& live_chime_sha() {
    return media::alert_tone_media(media::AlertTone::Chime).sha256;
}

// The rows of a channel's voice (its chime has rows of its own, item 1).
std::vector<protocol::ProofOfPlayRow> live_rows(
    const std::map<std::uint64_t, protocol::ProofOfPlayRow>& rows) {
    std::vector<protocol::ProofOfPlayRow> live;
    for (const auto& [seq, row] : rows)
        if (row.source == protocol::SourceKind::Live && row.media != live_chime_sha())
            live.push_back(row);
    return live;
}

std::size_t loads_of(const testing::FakeRenderer& renderer, const std::string& location) {
    return static_cast<std::size_t>(
        std::count_if(renderer.loads().begin(), renderer.loads().end(),
                      [&](const auto& load) { return load.request.location == location; }));
}

}  // namespace

TEST_CASE(
    "sim: a priority live channel cuts the loop, plays its URL until it is ended, then the loop returns",
    "[player][daemon][sim][live]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    CHECK(sim.current_media() == red.sha256);
    const auto start = sim.live(scheduler::Level::Priority, 1h);
    sim.send(start);
    sim.run_for(100ms);
    // The built-in chime first (staged in the cache at start), then the voice.
    CHECK(sim.current_media() == live_chime_sha());
    sim.run_for(1600ms);
    CHECK(sim.current_media() == "live-1.mp3");
    REQUIRE(loads_of(sim.renderer(), start.url) == 1);
    const auto& load = sim.renderer().loads().back();
    CHECK_FALSE(load.request.preload);
    for (const auto& [name, value] : player::live_stream_options)
        CHECK(load.option(name) == std::string(value));
    sim.send(start);  // the retained copy again: nothing changes
    sim.run_for(5s);
    CHECK(loads_of(sim.renderer(), start.url) == 1);
    CHECK(sim.daemon().status().now_playing->source == protocol::SourceKind::Live);
    sim.send(sim.live_end(start));
    sim.run_for(100ms);
    CHECK(sim.current_media() == red.sha256);
    sim.send(start);  // a redelivered start of the ended channel is ignored
    sim.run_for(3s);
    CHECK(loads_of(sim.renderer(), start.url) == 1);
    CHECK(sim.current_media() == red.sha256);
    const auto live = live_rows(sim.rows());
    REQUIRE(live.size() == 1);
    CHECK(live[0].source_id == "live-1");
    CHECK(live[0].media == media::sha256_hex(start.url));
    CHECK(live[0].outcome == protocol::Outcome::Interrupted);
    CHECK(live[0].duration_ms >= 5000);
    CHECK_FALSE(sim.daemon().status().last_error);
    std::vector<protocol::ProofOfPlayRow> chimes;
    for (const auto& [seq, row] : sim.rows())
        if (row.media == live_chime_sha())
            chimes.push_back(row);
    REQUIRE(chimes.size() == 1);
    CHECK(chimes[0].source == protocol::SourceKind::Live);
    CHECK(chimes[0].source_id == "live-1");
    CHECK(chimes[0].outcome == protocol::Outcome::Completed);
}

TEST_CASE("sim: a live channel preempts only what its level outranks", "[player][daemon][sim][live]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.start();
    auto bundle = sim.bundle(1, {red});
    bundle.model.campaigns.front().level = scheduler::Level::Priority;
    sim.send(bundle);
    sim.run_for(1s);
    const auto normal = sim.live(scheduler::Level::Normal, 1h, "live-normal");
    sim.send(normal);
    sim.run_for(3s);
    CHECK(loads_of(sim.renderer(), normal.url) == 0);  // a priority campaign outranks it
    CHECK(sim.current_media() == red.sha256);
    const auto urgent = sim.live(scheduler::Level::Emergency, 1h, "live-urgent");
    sim.send(urgent);
    sim.run_for(2s);
    CHECK(sim.current_media() == "live-urgent.mp3");  // the higher of the two open channels
    CHECK(loads_of(sim.renderer(), normal.url) == 0);
    sim.send(sim.live_end(urgent));
    sim.run_for(1s);
    CHECK(sim.current_media() == red.sha256);  // the normal channel is still below the campaign
}

TEST_CASE("sim: a live alert outranks an emergency live channel, which comes back after it",
          "[player][daemon][sim][live][alerts]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto siren = sim.media("siren image");
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    const auto start = sim.live(scheduler::Level::Emergency, 1h);
    sim.send(start);
    sim.run_for(2s);
    CHECK(sim.current_media() == "live-1.mp3");
    auto alert = sim.alert(siren, 1h);
    alert.alert.repeat.count = 1;  // one 2 s pass
    sim.send(alert);
    sim.run_for(1s);
    CHECK(sim.current_media() == siren.sha256);
    sim.run_for(2s);
    CHECK(sim.current_media() == "live-1.mp3");
    CHECK(loads_of(sim.renderer(), start.url) == 2);
}

TEST_CASE("sim: a live channel nobody ends stops at its end time", "[player][daemon][sim][live]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    sim.send(sim.live(scheduler::Level::Priority, 4s));
    sim.run_for(2s);
    CHECK(sim.current_media() == "live-1.mp3");
    sim.run_for(3s);
    CHECK(sim.current_media() == red.sha256);
    const auto live = live_rows(sim.rows());
    REQUIRE(live.size() == 1);
    CHECK(live[0].outcome == protocol::Outcome::Completed);
}

TEST_CASE("sim: a live channel whose source stops is tried again, then the device returns to its schedule",
          "[player][daemon][sim][live]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    const auto start = sim.live(scheduler::Level::Priority, 1h);
    sim.send(start);
    sim.run_for(3600ms);  // the chime, then 2 s of the voice
    REQUIRE(sim.current_media() == "live-1.mp3");
    sim.renderer().finish();  // the mount ends: EOF long before the channel's end
    sim.run_for(100ms);
    CHECK(sim.current_media() == red.sha256);  // the schedule while the retry waits
    sim.run_for(1s);
    REQUIRE(sim.current_media() == "live-1.mp3");
    sim.renderer().finish(player::EndReason::Error, "HTTP error 404 Not Found");
    sim.run_for(1100ms);
    REQUIRE(sim.current_media() == "live-1.mp3");
    sim.renderer().finish(player::EndReason::Error, "HTTP error 404 Not Found");
    sim.run_for(5s);
    CHECK(loads_of(sim.renderer(), start.url) == 3);
    CHECK(sim.current_media() == red.sha256);
    const auto live = live_rows(sim.rows());
    REQUIRE(live.size() == 3);
    CHECK(live[0].outcome == protocol::Outcome::Interrupted);  // 2 s heard of a 1 h channel
    CHECK(live[0].duration_ms >= 2000);
    const auto status = sim.daemon().status();
    REQUIRE(status.last_error);
    CHECK_THAT(*status.last_error, Catch::Contains("live live-1"));
}

TEST_CASE("sim: a live start for another zone or signed by an unknown key is refused in status",
          "[player][daemon][sim][live][hostile]") {
    Sim sim;
    const auto red = sim.media("red image");
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    auto elsewhere = sim.live(scheduler::Level::Emergency, 1h);
    elsewhere.zones = {"zone-other"};
    sim.send(elsewhere);
    sim.run_for(1s);
    auto status = sim.daemon().status();
    REQUIRE(status.last_error);
    CHECK_THAT(*status.last_error, Catch::Contains("wrong-device"));
    const auto forged =
        protocol::seal(sim.live(scheduler::Level::Emergency, 1h), protocol::generate_key_pair().secret);
    sim.mqtt().deliver(*protocol::live_zone_topic(zone_id), forged);
    sim.mqtt().deliver(*protocol::live_zone_topic(zone_id), "{not json");
    sim.run_for(1s);
    CHECK(sim.current_media() == red.sha256);
    CHECK(sim.renderer().loads().size() ==
          static_cast<std::size_t>(
              std::count_if(sim.renderer().loads().begin(), sim.renderer().loads().end(),
                            [](const auto& load) { return !load.request.location.starts_with("http"); })));
}

TEST_CASE(
    "sim: a priority live channel stays silent in the device's local quiet hours, an emergency one sounds",
    "[player][daemon][sim][safety][live]") {
    Sim sim;
    // 20:26 UTC is 03:26 in Tân Uyên: inside the device's own 22:30-05:00.
    sim.options().config.safety.quiet_hours = {config::DailyWindow{22 * 60 + 30, 5 * 60}};
    sim.options().config.safety.time_zone = "Asia/Ho_Chi_Minh";
    sim.start();
    const auto priority = sim.live(scheduler::Level::Priority, 1h, "live-night");
    sim.send(priority);
    sim.run_for(5s);
    CHECK(loads_of(sim.renderer(), priority.url) == 0);
    CHECK(sim.played_media().empty());
    sim.send(sim.live_end(priority));
    const auto emergency = sim.live(scheduler::Level::Emergency, 1h, "live-flood");
    sim.send(emergency);
    sim.run_for(3s);
    CHECK(sim.current_media() == "live-flood.mp3");
    CHECK(loads_of(sim.renderer(), emergency.url) == 1);
}

TEST_CASE("sim: an alert that expires while it waits for its media never blocks the plans after it",
          "[player][daemon][sim][alerts]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto blue = sim.media("blue image");
    sim.options().config.safety.alert_words_after = 10min;  // only the failed round releases it
    sim.start();
    sim.send(sim.bundle(1, {red}));
    sim.run_for(1s);
    auto message = unfetchable_words_alert(sim);
    message.alert.expires = sim.clock().wall() + 2s;  // gone long before its round gives up
    sim.send(message);
    // 3 s of simulated time pass in a few milliseconds of real time, far less than the round's
    // real-time retries (three tries, at least 0.3 s): the alert expires while it waits.
    sim.run_for(3s);
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (sim.daemon().status().last_error.value_or("").find("alert media") == std::string::npos &&
           std::chrono::steady_clock::now() < give_up) {
        sim.run_for(100ms);
        std::this_thread::sleep_for(10ms);
    }
    sim.run_for(1s);
    // The device still plans: a new bundle plays, and nothing of the expired alert does.
    sim.send(sim.bundle(2, {blue}));
    sim.run_for(3s);
    CHECK(sim.daemon().status().applied_bundle_version == 2);
    CHECK(sim.current_media() == blue.sha256);
    for (const auto& [seq, row] : sim.rows()) CHECK(row.source != protocol::SourceKind::Alert);
}

namespace {

// The sim's bundle with a ticker campaign (two lines of text, 5 s each) on a screen whose layout
// has a header and a ticker band.
protocol::Bundle with_ticker(protocol::Bundle bundle, const std::vector<Media>& lines) {
    auto& device = bundle.model.devices.front();
    device.layout = {100, 80};
    device.zone_name = "Phường Bến Nghé";
    device.board_url = "https://bantin.example/board/ben-nghe";
    scheduler::Playlist playlist;
    playlist.id = "pl-ticker";
    for (const auto& line : lines) {
        scheduler::MediaRef ref;
        ref.sha256 = line.sha256;
        ref.type = scheduler::MediaType::Text;
        ref.duration = 5s;
        bundle.model.media.push_back(ref);
        bundle.manifest.push_back(
            {line.sha256, line.size, line.type, 5s, "http://127.0.0.1:1/media/" + line.sha256});
        playlist.items.push_back({line.sha256, 5s, 1});
    }
    bundle.model.playlists.push_back(playlist);
    scheduler::Campaign campaign;
    campaign.id = "cp-ticker";
    campaign.playlist = playlist.id;
    campaign.approval = scheduler::ApprovalState::Approved;
    campaign.region = scheduler::Region::Ticker;
    bundle.model.campaigns.push_back(campaign);
    return bundle;
}

}  // namespace

TEST_CASE("sim: a ticker campaign's lines show beside the main loop, each with a row of its own",
          "[player][daemon][sim][ticker]") {
    Sim sim;
    const auto red = sim.media("red image");
    const std::string water = "Tin nhanh: cúp nước khu phố 3 từ 8 giờ";
    const std::string vaccine = "Tin nhanh: tiêm chủng ngày 12/12";
    const auto first = sim.media(water, scheduler::MediaType::Text);
    const auto second = sim.media(vaccine, scheduler::MediaType::Text);
    sim.options().config.safety.time_zone = "Asia/Ho_Chi_Minh";
    sim.start();
    sim.send(with_ticker(sim.bundle(1, {red}), {first, second}));
    sim.run_for(100ms);
    const auto& overlay = sim.renderer().overlay();
    CHECK(overlay.header_permille == 100);
    CHECK(overlay.ticker_permille == 80);
    CHECK(overlay.title == "Phường Bến Nghé");
    CHECK(overlay.board_url == "https://bantin.example/board/ben-nghe");
    // The device's own zone, not the bundle's UTC (as the notices' dates).
    CHECK(overlay.time_zone == "Asia/Ho_Chi_Minh");
    CHECK((overlay.ticker_text == water || overlay.ticker_text == vaccine));
    std::set<std::string> shown{overlay.ticker_text};
    for (int step = 0; step < 21; ++step) {
        sim.run_for(1s);
        shown.insert(sim.renderer().overlay().ticker_text);
    }
    CHECK(shown == std::set<std::string>{water, vaccine});
    std::size_t ticker_completed = 0;
    std::size_t main_rows = 0;
    for (const auto& [seq, row] : sim.rows()) {
        if (row.source_id != "cp-ticker") {
            CHECK(row.media == red.sha256);
            CHECK(row.region == scheduler::Region::Main);
            ++main_rows;
            continue;
        }
        CHECK((row.media == first.sha256 || row.media == second.sha256));
        CHECK(row.region == scheduler::Region::Ticker);
        if (row.outcome == protocol::Outcome::Completed) {
            ++ticker_completed;
            CHECK(row.duration_ms == 5000);
        }
    }
    CHECK(ticker_completed >= 3);
    CHECK(main_rows >= 9);
    // A clean stop ends the line showing as interrupted: its row is there after the restart.
    sim.restart();
    sim.run_for(100ms);
    const auto rows = sim.rows();
    CHECK(std::any_of(rows.begin(), rows.end(), [](const auto& entry) {
        return entry.second.source_id == "cp-ticker" &&
               entry.second.outcome == protocol::Outcome::Interrupted;
    }));
}

TEST_CASE("sim: an alert hides the ticker and cuts its line, and the ticker comes back after it",
          "[player][daemon][sim][ticker]") {
    Sim sim;
    const auto red = sim.media("red image");
    const auto warning = sim.media("alert image");
    const std::string water = "Tin nhanh: cúp nước khu phố 3 từ 8 giờ";
    const std::string vaccine = "Tin nhanh: tiêm chủng ngày 12/12";
    const auto first = sim.media(water, scheduler::MediaType::Text);
    const auto second = sim.media(vaccine, scheduler::MediaType::Text);
    sim.start();
    sim.send(with_ticker(sim.bundle(1, {red}), {first, second}));
    sim.run_for(3s);
    REQUIRE_FALSE(sim.renderer().overlay().ticker_text.empty());
    const TimePoint alert_from = sim.clock().wall();
    sim.send(sim.alert(warning, 6s));
    sim.run_for(1s);
    CHECK(sim.renderer().overlay().ticker_text.empty());
    CHECK(sim.renderer().overlay().header_permille == 100);  // the header stays
    sim.run_for(8s);
    CHECK_FALSE(sim.renderer().overlay().ticker_text.empty());
    bool cut = false;
    for (const auto& [seq, row] : sim.rows())
        if (row.source_id == "cp-ticker" && row.outcome == protocol::Outcome::Interrupted &&
            row.ended_at >= alert_from && row.ended_at <= alert_from + 1s)
            cut = true;
    CHECK(cut);
}
