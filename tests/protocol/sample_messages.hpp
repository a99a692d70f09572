#pragma once
// Fixed sample messages for the protocol tests and the examples in docs/protocol.md. Every
// value is fixed (times, ids, the key seed), so encodings and signatures are byte-exact.

#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/messages.hpp"

#include <string>

namespace bantin::protocol::samples {

inline TimePoint at(std::string_view utc) {
    return *parse_utc(utc);
}

inline const std::string device = "loa-phuong-1-cong-uy-ban";
inline const std::string zone = "phuong-1";
inline const std::string video_sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
inline const std::string audio_sha = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
// A stream's sha256 is that of its URL, here http://radio.bantin.example:8000/vov1.mp3.
inline const std::string stream_sha = "47ee8d67a68861c66e027946c997db6054d6fa81b542b6d60d0e64254ed23c2a";

// The controller key of the examples: seed bytes 0x01..0x20.
inline KeyPair controller_key() {
    std::array<std::uint8_t, 32> seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i + 1);
    return key_pair_from_seed(seed);
}

// A second, unrelated key: seed bytes 0xa0..0xbf.
inline KeyPair other_key() {
    std::array<std::uint8_t, 32> seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(0xa0 + i);
    return key_pair_from_seed(seed);
}

inline TimePoint now() {
    return at("2026-11-27T06:00:00Z");
}

inline Bundle bundle(std::uint64_t version = 7) {
    using namespace scheduler;
    Bundle bundle;
    bundle.device = device;
    bundle.version = version;
    bundle.issued_at = at("2026-11-27T05:00:00Z");
    bundle.expires_at = at("2026-12-04T05:00:00Z");
    Device speaker;
    speaker.id = device;
    speaker.kind = DeviceKind::Speaker;
    speaker.zone = zone;
    speaker.on_hours = {DailyWindow{5 * 60, 21 * 60}};
    speaker.default_volume = 70;
    speaker.quiet_hours = {DailyWindow{22 * 60, 5 * 60}};
    speaker.volume_schedule = {VolumeStep{DailyWindow{11 * 60, 13 * 60 + 30}, 40}};
    bundle.model.devices.push_back(speaker);
    MediaRef audio;
    audio.sha256 = audio_sha;
    audio.type = MediaType::Audio;
    audio.duration = Duration{95'000};
    audio.name = "Thông báo tiêm chủng";
    bundle.model.media.push_back(audio);
    Playlist playlist;
    playlist.id = "pl-tiem-chung";
    playlist.items.push_back(PlaylistItem{audio_sha, std::nullopt, 1});
    bundle.model.playlists.push_back(playlist);
    Campaign campaign;
    campaign.id = "cd-tiem-chung-11";
    campaign.name = "Tiêm chủng tháng 11";
    campaign.playlist = playlist.id;
    campaign.mode = Mode::FixedTime;
    campaign.fixed_times = {6 * 60, 17 * 60};
    campaign.approval = ApprovalState::Approved;
    bundle.model.campaigns.push_back(campaign);
    bundle.manifest.push_back(MediaEntry{audio_sha, 1'523'114, MediaType::Audio, Duration{95'000},
                                         "https://bantin.example/media/" + audio_sha});
    bundle.settings.default_volume = 70;
    bundle.settings.volume_schedule = {VolumeStep{DailyWindow{11 * 60, 13 * 60 + 30}, 40}};
    bundle.settings.on_hours = {DailyWindow{5 * 60, 21 * 60}};
    bundle.settings.quiet_hours = {DailyWindow{22 * 60, 5 * 60}};
    return bundle;
}

inline Command command(std::string id = "cmd-000123") {
    Command command;
    command.id = std::move(id);
    command.device = device;
    command.kind = CommandKind::SetVolume;
    command.volume = 55;
    command.issued_at = at("2026-11-27T05:59:00Z");
    command.expires_at = at("2026-11-27T06:09:00Z");
    return command;
}

inline AlertMessage alert() {
    using namespace scheduler;
    AlertMessage message;
    message.alert.id = "canh-bao-bao-so-9";
    message.alert.zones = {zone, "phuong-2"};
    message.alert.severity = Severity::Extreme;
    message.alert.status = AlertStatus::Actual;
    message.alert.issued = at("2026-11-27T05:30:00Z");
    message.alert.expires = at("2026-11-27T11:30:00Z");
    message.alert.headline = "Bão số 9 đổ bộ";
    message.alert.text = "Người dân không ra khỏi nhà từ 12 giờ.";
    message.alert.playlist = "pl-bao-so-9";
    message.alert.repeat = RepeatPolicy{0, std::chrono::minutes{15}};
    message.playlist.id = "pl-bao-so-9";
    message.playlist.items.push_back(PlaylistItem{audio_sha, std::nullopt, 1});
    MediaRef audio;
    audio.sha256 = audio_sha;
    audio.type = MediaType::Audio;
    audio.duration = Duration{95'000};
    message.media.push_back(audio);
    message.manifest.push_back(MediaEntry{audio_sha, 1'523'114, MediaType::Audio, Duration{95'000},
                                          "https://bantin.example/media/" + audio_sha});
    return message;
}

inline AlertCancel alert_cancel() {
    AlertCancel cancel;
    cancel.alert_id = "canh-bao-bao-so-9";
    cancel.zones = {zone, "phuong-2"};
    cancel.issued_at = at("2026-11-27T08:00:00Z");
    cancel.expires_at = at("2026-11-27T11:30:00Z");
    return cancel;
}

inline LiveStart live_start() {
    LiveStart start;
    start.id = "live-3f2a9c01d4e5b677";
    start.zones = {zone, "phuong-2"};
    start.level = scheduler::Level::Priority;
    start.url = "http://radio.bantin.example:8000/live-3f2a9c01d4e5b677.mp3";
    start.started_at = at("2026-11-27T06:00:00Z");
    start.ends_at = at("2026-11-27T08:00:00Z");
    return start;
}

inline LiveEnd live_end() {
    LiveEnd end;
    end.live_id = "live-3f2a9c01d4e5b677";
    end.zones = {zone, "phuong-2"};
    end.issued_at = at("2026-11-27T06:12:00Z");
    end.expires_at = at("2026-11-27T08:00:00Z");
    return end;
}

inline Status status() {
    Status status;
    status.device = device;
    status.presence = Presence::Online;
    status.reported_at = at("2026-11-27T06:00:05Z");
    status.install_epoch = "ie-5f2c9a";
    status.boot_id = "2b1e7c4a-0d3f-4a8e-9d61-1c2f3e4a5b6c";
    status.software_version = "0.1.0";
    status.uptime_ms = 86'400'000;
    status.desired_bundle_version = 7;
    status.applied_bundle_version = 6;
    status.now_playing =
        NowPlaying{SourceKind::Campaign, "cd-tiem-chung-11", audio_sha, at("2026-11-27T06:00:00Z")};
    status.download = DownloadProgress{0, 1, 524'288, 1'523'114};
    status.cache_used_bytes = 734'003'200;
    status.cache_capacity_bytes = 4'294'967'296;
    status.last_error = "media 60303ae2: HTTP 503, retrying in 30 s";
    return status;
}

inline ProofOfPlayBatch proof_of_play() {
    ProofOfPlayBatch batch;
    batch.device = device;
    batch.install_epoch = "ie-5f2c9a";
    batch.rows.push_back(ProofOfPlayRow{41, SourceKind::Campaign, "cd-tiem-chung-11", 0, audio_sha,
                                        at("2026-11-27T06:00:00Z"), at("2026-11-27T06:01:35Z"), 95'012,
                                        Outcome::Completed, 6, "", std::nullopt});
    batch.rows.push_back(ProofOfPlayRow{42, SourceKind::Alert, "canh-bao-bao-so-9", 0, audio_sha,
                                        at("2026-11-27T06:01:35Z"), at("2026-11-27T06:01:50Z"), 15'004,
                                        Outcome::Interrupted, 6, "", std::nullopt});
    // A relay of half an hour whose source stopped once: 55 s of filler, then the station again.
    batch.rows.push_back(ProofOfPlayRow{43, SourceKind::Campaign, "cd-tiep-song-vov1", 0, stream_sha,
                                        at("2026-11-27T06:01:50Z"), at("2026-11-27T06:31:50Z"), 1'800'000,
                                        Outcome::Interrupted, 6,
                                        "tiếp sóng 1740.0 s, nguồn mất 1 lần, phát bù 55.0 s / relayed "
                                        "1740.0 s, source lost 1 times, filler 55.0 s",
                                        RelayFigures{1'740'000, 55'000, 1}});
    return batch;
}

inline CommandReply command_reply() {
    CommandReply reply;
    reply.device = device;
    reply.command_id = "cmd-000124";
    reply.result = ReplyResult::Ok;
    reply.detail = "screenshot taken";
    reply.payload = "sha256:" + video_sha;
    reply.replied_at = at("2026-11-27T06:00:07Z");
    return reply;
}

inline Ack ack() {
    Ack ack;
    ack.device = device;
    ack.install_epoch = "ie-5f2c9a";
    ack.committed_seq = 42;
    ack.replied_commands = {"cmd-000124"};
    ack.issued_at = at("2026-11-27T06:00:09Z");
    return ack;
}

}  // namespace bantin::protocol::samples
