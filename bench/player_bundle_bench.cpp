// bundle_to_first_frame_ms: how long a running, connected bantin-player takes from the moment
// the controller publishes a new signed bundle to the first frame of that bundle's item.
//
// The bench plays the controller on one machine: a real Mosquitto (tests/support fixture), a
// small cpp-httplib media server on a free 127.0.0.1 port, bundles signed with a fresh key pair
// and published retained at QoS 1, and the real bantin-player executable, headless (vo=null,
// ao=null). A first bundle brings the player to a steady state (connected, playing). Then each
// round makes a fresh 3 s video with ffmpeg (its own hue, tone and nonce, so the player's cache
// misses and the download is part of the path), serves it, and publishes bundle N: one loop
// campaign, approved, all day (no windows), one playlist of that video. The figure is
//
//     player's own first-frame wall time for the new item  -  wall time just before publish
//
// The first-frame time is the `started_at` the player reports, from mpv's `playback-restart`:
// the status message's `now_playing` (published on change) or, whichever comes first, the
// proof-of-play row of that media and bundle version. Both clocks are this machine's.
//
// Besides the figure, the player's log gives a breakdown per round (median printed):
//   intake_ms          publish -> "bundle: version N accepted" (broker, verify, store)
//   fetch_activate_ms  accepted -> "bundle: version N activated" (download, sha256, 24 h check)
//   activate_frame_ms  activated -> first frame (timeline, mpv load, first frame)
//
// proof_rows_matching counts the rounds whose first proof row (bundle version, started_at)
// agrees with what the status said; it should equal `rounds`.
//
// Usage: player_bundle_bench [--rounds N] [--player PATH] [--keep]
//   --rounds N   measured rounds (default 10)
//   --player     the bantin-player executable (default: the one built with this tree)
//   --keep       keep the temporary directory (player log, state, media)
// Prints `name=value` lines last; exits 1 (with the player's log tail) if a round times out.
#include "bantin/common/clock.hpp"
#include "bantin/media/sha256.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/mqtt_client.hpp"
#include "bantin/protocol/provisioning.hpp"
#include "bantin/protocol/topics.hpp"
#include "support/mosquitto_broker.hpp"

#include <httplib.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace bantin;
using namespace std::chrono_literals;

namespace {

const std::string device_id = "dev-bench";
const std::string zone_id = "zone-bench";
const std::string device_password = "device-secret";
constexpr Duration item_length{3000};

[[noreturn]] void die(const std::string& text) {
    std::fprintf(stderr, "player_bundle_bench: %s\n", text.c_str());
    std::exit(1);
}

TimePoint wall_now() {
    return SystemClock{}.wall();
}

double to_ms(Duration duration) {
    return static_cast<double>(duration.count());
}

// Serves /media/<sha256> from memory.
class MediaServer {
public:
    MediaServer() : m_port(test::MosquittoBroker::free_port()) {}
    MediaServer(const MediaServer&) = delete;
    MediaServer& operator=(const MediaServer&) = delete;
    ~MediaServer() { stop(); }

    std::string add(std::string body) {
        const std::string sha256 = media::sha256_hex(body);
        std::lock_guard lock(m_mutex);
        m_files[sha256] = std::move(body);
        return sha256;
    }
    std::string url(const std::string& sha256) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + "/media/" + sha256;
    }
    std::size_t requests() const { return m_requests.load(); }

    void start() {
        m_server = std::make_unique<httplib::Server>();
        m_server->Get(R"(/media/([0-9a-f]{64}))",
                      [this](const httplib::Request& request, httplib::Response& response) {
                          ++m_requests;
                          std::lock_guard lock(m_mutex);
                          auto found = m_files.find(request.matches[1]);
                          if (found == m_files.end()) {
                              response.status = 404;
                              return;
                          }
                          response.set_content(found->second, "application/octet-stream");
                      });
        m_thread = std::thread([this] { m_server->listen("127.0.0.1", m_port); });
        for (int i = 0; i < 200 && !m_server->is_running(); ++i) std::this_thread::sleep_for(10ms);
        if (!m_server->is_running())
            die("media server did not start on port " + std::to_string(m_port));
    }
    void stop() {
        if (m_server)
            m_server->stop();
        if (m_thread.joinable())
            m_thread.join();
        m_server.reset();
    }

private:
    std::uint16_t m_port;
    std::mutex m_mutex;
    std::map<std::string, std::string> m_files;
    std::atomic<std::size_t> m_requests{0};
    std::unique_ptr<httplib::Server> m_server;
    std::thread m_thread;
};

// What the player reported about one media item: when its first frame came.
struct FirstFrame {
    TimePoint started_at;
    std::string seen_in;  // "status" or "proof"
    TimePoint received_at;
};

// The controller's side: signs and publishes bundles, reads status and proof rows, acks rows.
class Controller {
public:
    explicit Controller(const test::MosquittoBroker& broker) : m_keys(protocol::generate_key_pair()) {
        protocol::MqttClientOptions options;
        options.host = broker.host();
        options.port = broker.port();
        options.client_id = "controller-bench";
        options.username = broker.options().controller_username;
        options.password = broker.options().controller_password;
        options.keepalive = 10s;
        options.reconnect_min = 100ms;
        options.reconnect_max = 1000ms;
        auto client = protocol::MqttClient::create(options);
        if (!client)
            die("controller client: " + client.error().message());
        m_client.emplace(std::move(*client));
        for (auto channel : {protocol::DeviceChannel::ProofOfPlay, protocol::DeviceChannel::Status}) {
            if (auto subscribed = m_client->subscribe(*protocol::device_topic(device_id, channel));
                !subscribed)
                die("subscribe: " + subscribed.error().message());
        }
        if (auto started = m_client->start(); !started)
            die("controller client: " + started.error().message());
    }

    const protocol::KeyPair& keys() const { return m_keys; }

    // Publishes retained at QoS 1; returns the wall time taken just before the publish call.
    TimePoint publish_bundle(const protocol::Bundle& bundle) {
        const std::string envelope = protocol::seal(bundle, m_keys.secret);
        protocol::PublishOptions options;
        options.retain = protocol::Retain::Yes;
        options.qos = protocol::QualityOfService::AtLeastOnce;
        const TimePoint published_at = wall_now();
        if (auto sent = m_client->publish(*protocol::device_topic(device_id, protocol::DeviceChannel::Bundle),
                                          envelope, options);
            !sent)
            die("publish bundle: " + sent.error().message());
        return published_at;
    }

    bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline)
                return false;
            for (auto& event : m_client->poll(20ms))
                if (auto* message = std::get_if<protocol::MqttMessage>(&event))
                    handle(*message);
        }
        return true;
    }

    std::optional<protocol::Status> status() const { return m_status; }
    std::optional<FirstFrame> first_frame(const std::string& sha256) const {
        auto found = m_first_frames.find(sha256);
        if (found == m_first_frames.end())
            return std::nullopt;
        return found->second;
    }
    // The proof row of this media (interrupted or completed), once it arrived.
    std::optional<protocol::ProofOfPlayRow> played_row(const std::string& sha256) const {
        for (const auto& [seq, row] : m_rows)
            if (row.media == sha256 && row.outcome != protocol::Outcome::Failed)
                return row;
        return std::nullopt;
    }
    std::optional<protocol::ProofOfPlayRow> failed_row(const std::string& sha256) const {
        for (const auto& [seq, row] : m_rows)
            if (row.media == sha256 && row.outcome == protocol::Outcome::Failed)
                return row;
        return std::nullopt;
    }

private:
    void note(const std::string& sha256, TimePoint started_at, const char* seen_in) {
        m_first_frames.try_emplace(sha256, FirstFrame{started_at, seen_in, wall_now()});
    }

    void handle(const protocol::MqttMessage& message) {
        if (message.topic.ends_with("/status")) {
            auto status = protocol::decode_status(message.payload);
            if (!status)
                return;
            m_status = *status;
            if (status->now_playing && status->presence == protocol::Presence::Online)
                note(status->now_playing->media, status->now_playing->started_at, "status");
            return;
        }
        auto uplink = protocol::decode_uplink(message.payload);
        if (!uplink)
            return;
        auto* batch = std::get_if<protocol::ProofOfPlayBatch>(&*uplink);
        if (batch == nullptr)
            return;
        if (m_epoch.empty())
            m_epoch = batch->install_epoch;
        for (const auto& row : batch->rows) {
            m_rows.emplace(row.seq, row);
            if (row.outcome != protocol::Outcome::Failed)
                note(row.media, row.started_at, "proof");
        }
        protocol::Ack ack;
        ack.device = device_id;
        ack.install_epoch = m_epoch;
        std::uint64_t contiguous = 0;
        while (m_rows.count(contiguous + 1) != 0) ++contiguous;
        ack.committed_seq = contiguous;
        ack.issued_at = wall_now();
        (void)m_client->publish(*protocol::device_topic(device_id, protocol::DeviceChannel::Ack),
                                protocol::seal(ack, m_keys.secret));
    }

    protocol::KeyPair m_keys;
    std::optional<protocol::MqttClient> m_client;
    std::optional<protocol::Status> m_status;
    std::map<std::uint64_t, protocol::ProofOfPlayRow> m_rows;
    std::map<std::string, FirstFrame> m_first_frames;
    std::string m_epoch;
};

// A fresh small video (320x240 mpeg4 + AAC, 3 s) whose bytes no earlier round had.
std::string make_video(const std::filesystem::path& directory, int round, std::mt19937& random) {
    const auto file = directory / ("round-" + std::to_string(round) + ".mp4");
    const int hue = std::uniform_int_distribution<int>(0, 359)(random);
    const int frequency = std::uniform_int_distribution<int>(200, 2000)(random);
    const std::string nonce = std::to_string(round) + "-" + std::to_string(random());
    auto made =
        test::run_command({"ffmpeg",     "-y",
                           "-loglevel",  "error",
                           "-f",         "lavfi",
                           "-i",         "testsrc=size=320x240:rate=25",
                           "-f",         "lavfi",
                           "-i",         "sine=frequency=" + std::to_string(frequency) + ":sample_rate=48000",
                           "-t",         "3",
                           "-vf",        "hue=h=" + std::to_string(hue),
                           "-c:v",       "mpeg4",
                           "-c:a",       "aac",
                           "-metadata",  "comment=bench " + nonce,
                           file.string()},
                          directory / "ffmpeg.log", 60s);
    if (made.exit_code != 0)
        die("ffmpeg failed: " + made.output);
    return test::read_text_file(file);
}

protocol::Bundle make_bundle(std::uint64_t version, const std::string& sha256, std::uint64_t size,
                             const std::string& url) {
    protocol::Bundle bundle;
    bundle.device = device_id;
    bundle.version = version;
    bundle.issued_at = wall_now() - 1min;
    bundle.expires_at = wall_now() + std::chrono::hours{24};
    scheduler::Device device;
    device.id = device_id;
    device.zone = zone_id;
    device.kind = scheduler::DeviceKind::Screen;
    device.has_speaker = true;
    device.time_zone = "UTC";
    device.default_volume = 80;
    bundle.model.devices = {device};
    scheduler::MediaRef ref;
    ref.sha256 = sha256;
    ref.type = scheduler::MediaType::Video;
    ref.duration = item_length;
    ref.has_audio = true;
    ref.has_video = true;
    bundle.model.media = {ref};
    bundle.manifest = {{sha256, size, scheduler::MediaType::Video, item_length, url}};
    scheduler::Playlist playlist;
    playlist.id = "pl-bench-" + std::to_string(version);
    playlist.items = {{sha256, item_length, 1}};
    bundle.model.playlists = {playlist};
    scheduler::Campaign campaign;
    campaign.id = "cp-bench-" + std::to_string(version);
    campaign.playlist = playlist.id;
    campaign.mode = scheduler::Mode::Loop;
    campaign.approval = scheduler::ApprovalState::Approved;  // windows empty: all day, so now is covered
    bundle.model.campaigns = {campaign};
    bundle.settings.default_volume = 80;
    return bundle;
}

// "[2026-11-27 18:42:52.123] [info] bundle: version 3 activated": the line's time, read as the
// local time spdlog wrote it in.
std::optional<TimePoint> log_time(const std::string& log, const std::string& needle) {
    const auto at = log.find(needle);
    if (at == std::string::npos)
        return std::nullopt;
    const auto line_start = log.rfind('\n', at);
    const std::string line = log.substr(line_start == std::string::npos ? 0 : line_start + 1, 40);
    std::tm parts{};
    int milliseconds = 0;
    if (std::sscanf(line.c_str(), "[%d-%d-%d %d:%d:%d.%d]", &parts.tm_year, &parts.tm_mon, &parts.tm_mday,
                    &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &milliseconds) != 7)
        return std::nullopt;
    parts.tm_year -= 1900;
    parts.tm_mon -= 1;
    parts.tm_isdst = -1;
    const std::time_t seconds = std::mktime(&parts);
    if (seconds == static_cast<std::time_t>(-1))
        return std::nullopt;
    return TimePoint{std::chrono::seconds{seconds} + std::chrono::milliseconds{milliseconds}};
}

double percentile(std::vector<double> values, double fraction) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const double position = fraction * static_cast<double>(values.size() - 1);
    const auto lower = static_cast<std::size_t>(position);
    const auto upper = std::min(lower + 1, values.size() - 1);
    return values[lower] + (values[upper] - values[lower]) * (position - static_cast<double>(lower));
}

std::string tail(const std::string& text, std::size_t bytes) {
    return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 10;
    bool keep = false;
    std::string player_executable = BANTIN_PLAYER_EXECUTABLE;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--rounds" && i + 1 < argc) {
            rounds = std::max(1, std::atoi(argv[++i]));
        } else if (argument == "--player" && i + 1 < argc) {
            player_executable = argv[++i];
        } else if (argument == "--keep") {
            keep = true;
        } else {
            std::fprintf(stderr, "usage: %s [--rounds N] [--player PATH] [--keep]\n", argv[0]);
            return 2;
        }
    }
    const protocol::MosquittoLibrary mosquitto_library;

    const auto directory =
        std::filesystem::temp_directory_path() /
        ("bantin-bundle-bench-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(directory / "media");
    std::mt19937 random(std::random_device{}());

    test::MosquittoBrokerOptions broker_options;
    broker_options.devices = {test::TestDevice{device_id, device_password, {zone_id}}};
    broker_options.log_level = protocol::BrokerLogLevel::Normal;
    test::MosquittoBroker broker{broker_options};
    if (auto started = broker.start(); !started)
        die("broker: " + started.error().message());
    MediaServer server;
    server.start();
    Controller controller(broker);

    protocol::Provisioning provisioning;
    provisioning.device = device_id;
    provisioning.zone = zone_id;
    provisioning.mqtt = {broker.host(), broker.port(), device_id, device_password, std::nullopt};
    provisioning.controller_keys = {protocol::trusted_key(controller.keys().public_key)};
    if (auto written = protocol::write_provisioning_file(directory / "provisioning.json", provisioning);
        !written)
        die("provisioning: " + written.error().message());
    const auto config_file = directory / "player.toml";
    std::ofstream(config_file) << "provisioning_file = \"" << (directory / "provisioning.json").string()
                               << "\"\n"
                               << "[state]\ndir = \"" << (directory / "state").string() << "\"\n"
                               << "[playback]\nmode = \"headless\"\n"
                               << "[proof]\nflush_interval_s = 1\n"
                               << "[mqtt]\nreconnect_min_ms = 200\nreconnect_max_ms = 1000\n";
    const auto player_log = directory / "player.log";
    auto spawned =
        test::ChildProcess::spawn({player_executable, "--config", config_file.string()}, player_log);
    if (!spawned)
        die("player: " + spawned.error().message());
    test::ChildProcess player = std::move(*spawned);
    auto fail_with_log = [&](const std::string& text) {
        std::fprintf(stderr, "--- player log tail (%s) ---\n%s\n", player_log.c_str(),
                     tail(test::read_text_file(player_log), 4000).c_str());
        player.kill_and_wait();
        die(text);
    };

    // Steady state: connected, a first bundle applied and playing.
    if (!controller.pump_until(
            [&] {
                return controller.status() && controller.status()->presence == protocol::Presence::Online;
            },
            20s))
        fail_with_log("the player did not report online within 20 s");
    {
        const std::string body = make_video(directory / "media", 0, random);
        const std::string sha256 = server.add(body);
        controller.publish_bundle(make_bundle(1, sha256, body.size(), server.url(sha256)));
        if (!controller.pump_until([&] { return controller.first_frame(sha256).has_value(); }, 60s))
            fail_with_log("the warm-up bundle did not play within 60 s");
    }
    std::fprintf(stderr, "player running and playing bundle 1; %d measured rounds\n", rounds);

    struct Measured {
        std::uint64_t version;
        std::string sha256;
        TimePoint started_at;
    };
    std::vector<Measured> measured;
    std::vector<double> totals, intakes, fetches, activations;
    for (int round = 1; round <= rounds; ++round) {
        const std::uint64_t version = static_cast<std::uint64_t>(round) + 1;
        const std::string body = make_video(directory / "media", round, random);
        const std::string sha256 = server.add(body);
        const auto bundle = make_bundle(version, sha256, body.size(), server.url(sha256));
        // A random phase against the 3 s loop of the bundle playing now.
        controller.pump_until(
            [] { return false; },
            std::chrono::milliseconds{std::uniform_int_distribution<int>(200, 3200)(random)});
        const std::size_t requests_before = server.requests();
        const TimePoint published_at = controller.publish_bundle(bundle);
        const bool shown = controller.pump_until(
            [&] {
                return controller.first_frame(sha256).has_value() ||
                       controller.failed_row(sha256).has_value();
            },
            60s);
        if (!shown)
            fail_with_log("round " + std::to_string(round) + ": bundle " + std::to_string(version) +
                          " showed no frame within 60 s");
        if (!controller.first_frame(sha256))
            fail_with_log("round " + std::to_string(round) + ": the new video failed to play");
        if (server.requests() == requests_before)
            fail_with_log("round " + std::to_string(round) + ": the media was not downloaded (cache hit?)");
        const FirstFrame frame = *controller.first_frame(sha256);
        const double total = to_ms(frame.started_at - published_at);
        totals.push_back(total);
        measured.push_back({version, sha256, frame.started_at});

        const std::string log = test::read_text_file(player_log);
        const auto accepted = log_time(log, "bundle: version " + std::to_string(version) + " accepted");
        const auto activated = log_time(log, "bundle: version " + std::to_string(version) + " activated");
        std::string breakdown;
        if (accepted && activated) {
            intakes.push_back(to_ms(*accepted - published_at));
            fetches.push_back(to_ms(*activated - *accepted));
            activations.push_back(to_ms(frame.started_at - *activated));
            char text[128];
            std::snprintf(text, sizeof text, " (intake %.0f, fetch+activate %.0f, activate->frame %.0f)",
                          intakes.back(), fetches.back(), activations.back());
            breakdown = text;
        }
        std::fprintf(stderr, "round %d: bundle %llu, %zu bytes: first frame %.0f ms after publish [%s]%s\n",
                     round, static_cast<unsigned long long>(version), body.size(), total,
                     frame.seen_in.c_str(), breakdown.c_str());
    }

    // Cross-check with proof of play: each new item has its row (interrupted by the next
    // bundle, or completed: the loop entry is 3 s) with the same start and the bundle's version.
    controller.pump_until(
        [&] {
            return std::all_of(measured.begin(), measured.end(), [&](const Measured& item) {
                return controller.played_row(item.sha256).has_value();
            });
        },
        20s);
    std::size_t proof_matching = 0;
    for (const auto& item : measured) {
        const auto row = controller.played_row(item.sha256);
        if (row && row->bundle_version == item.version && row->started_at == item.started_at) {
            ++proof_matching;
        } else if (row) {
            std::fprintf(stderr, "bundle %llu: proof row says bundle %llu started %s, status said %s\n",
                         static_cast<unsigned long long>(item.version),
                         static_cast<unsigned long long>(row->bundle_version),
                         format_utc(row->started_at).c_str(), format_utc(item.started_at).c_str());
        } else {
            std::fprintf(stderr, "bundle %llu: no proof row arrived\n",
                         static_cast<unsigned long long>(item.version));
        }
    }
    player.send_signal(SIGTERM);
    if (!player.wait_for_exit(10s))
        player.kill_and_wait();
    server.stop();
    if (!keep) {
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    } else {
        std::fprintf(stderr, "kept %s\n", directory.c_str());
    }

    std::printf("rounds=%zu\n", totals.size());
    std::printf("proof_rows_matching=%zu\n", proof_matching);
    std::printf("bundle_to_first_frame_ms_min=%.1f\n", *std::min_element(totals.begin(), totals.end()));
    if (!intakes.empty()) {
        std::printf("intake_ms_p50=%.1f\n", percentile(intakes, 0.5));
        std::printf("fetch_activate_ms_p50=%.1f\n", percentile(fetches, 0.5));
        std::printf("activate_to_frame_ms_p50=%.1f\n", percentile(activations, 0.5));
    }
    std::printf("bundle_to_first_frame_ms_p50=%.1f\n", percentile(totals, 0.5));
    std::printf("bundle_to_first_frame_ms_max=%.1f\n", *std::max_element(totals.begin(), totals.end()));
    std::printf("bundle_to_first_frame_ms=%.1f\n", percentile(totals, 0.5));
    return 0;
}
