#pragma once
// Commands from the controller (bantin/v1/dev/{id}/cmd, signed): ping, set-volume, reload,
// screenshot. The daemon verifies each (verify_command: signature, device, not expired, id
// not seen before), acts, remembers the id, and answers with a CommandReply on its pop
// topic (the only topics a device may write are status and pop). The reply waits in the
// outbox and is sent again until an ack lists the command id (Ack::replied_commands).
//
// Screenshot: the engine writes a PNG of the current frame; the daemon keeps it in the
// content store and replies with payload "sha256:<digest>" and the size in the detail
// (a protocol reply payload is at most 1 KiB, too small for an image).
//
// make_reply() and describe_volume() are pure (any thread). CommandDesk belongs to the daemon's
// loop; each screenshot upload runs on a thread of its own and hands its result back to the
// loop (pump()), waking it with `wake`.

#include "bantin/common/clock.hpp"
#include "bantin/common/time.hpp"
#include "bantin/media/cache.hpp"
#include "bantin/media/store.hpp"
#include "bantin/player/player_state.hpp"
#include "bantin/player/proof_uplink.hpp"
#include "bantin/player/screenshot_upload.hpp"
#include "bantin/player/status.hpp"
#include "bantin/protocol/messages.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace bantin::player {

protocol::CommandReply make_reply(const std::string& device, const protocol::Command& command,
                                  protocol::ReplyResult result, std::string detail, TimePoint now);

// "volume 30 (asked 100, capped at 30)"
std::string describe_volume(int applied, int asked, int cap);

// Verifies and remembers commands, answers them through the proof uplink, and carries
// screenshots from the engine's PNG to the controller (uploaded, or kept in the content store).
class CommandDesk {
public:
    struct Options {
        protocol::TrustedKeys keys;
        std::string device;
        std::filesystem::path screenshot_directory;
        UploadCredentials upload;
    };
    CommandDesk(PlayerState& state, media::ContentStore& store, media::MediaCache& cache, ProofUplink& uplink,
                const Clock& clock, DeviceHealth& health, std::function<void()> wake, Options options);
    ~CommandDesk();  // stop()
    CommandDesk(const CommandDesk&) = delete;
    CommandDesk& operator=(const CommandDesk&) = delete;

    // A payload from the command topic: the command when it verifies (its id is remembered, so
    // it is never acted on twice); refusals are logged.
    std::optional<protocol::Command> receive(const std::string& payload);
    void reply(const protocol::Command& command, protocol::ReplyResult result, std::string detail);

    // A screenshot command: where the engine must write the PNG, and the tag its result carries.
    struct Shot {
        std::filesystem::path path;
        std::uint64_t tag = 0;
    };
    Shot screenshot(const protocol::Command& command);
    void screenshot_taken(const std::filesystem::path& path, std::uint64_t tag, const std::string& error);
    // A screenshot the device takes by itself (screenshots.interval_s), uploaded to `upload_url`
    // like a command's: nobody asked, so nothing is replied; a failed one is reported in the
    // status and dropped, never kept. nullopt while another screenshot or upload is under way.
    std::optional<Shot> periodic_screenshot(const std::string& upload_url);
    // Answers the commands whose upload ended; joins finished upload threads.
    void pump();
    // Cancels the uploads in progress (each ends within about a second) and joins them.
    void stop();

private:
    void keep(const protocol::Command& command, const std::filesystem::path& path,
              protocol::ReplyResult result, const std::string& what);
    void start_upload(const protocol::Command& command, const std::filesystem::path& path);

    struct UploadDone {
        protocol::Command command;
        std::filesystem::path path;
        std::uint64_t size = 0;
        Result<void> result;
    };

    PlayerState& m_state;
    media::ContentStore& m_store;
    media::MediaCache& m_cache;
    ProofUplink& m_uplink;
    const Clock& m_clock;
    DeviceHealth& m_health;
    std::function<void()> m_wake;
    Options m_options;
    std::map<std::uint64_t, protocol::Command> m_screenshots;
    std::uint64_t m_next_tag = 1;
    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::vector<UploadDone> m_uploaded;
    std::atomic<bool> m_cancel{false};
    std::atomic<int> m_running{0};
};

}  // namespace bantin::player
