#pragma once
// Commands to one device (ping, set-volume, reload, screenshot) and the screenshots devices
// send back. docs/fleet.md, "Commands and screenshots".
//
// DeviceCommands::issue() checks the role (ManageDevices) and that the device exists and is not
// revoked, audits the command ("device.command"), commits, then signs it with the controller's
// key and publishes it on bantin/v1/dev/{device}/cmd at QoS 1, not retained, with an MQTT
// message expiry equal to its lifetime. A screenshot command carries
// `args.upload_url = {public_base_url}/api/v1/devices/{device}/screenshot`, where the device
// PUTs the PNG with its HTTP basic credentials (the same as for media).
//
// ScreenshotStore keeps the latest screenshot of each device as
// `<directory>/<device>.png`. put() writes a temporary file in the same directory, fsyncs it,
// stamps its modification time with the receive time (from the injected Clock) and renames it
// over the old one, so a reader sees the old or the new screenshot, whole, never a mix; latest()
// opens the file once and takes the time from that open file, so the bytes and the time always
// belong together.
//
// Threads: both classes may be called from any thread (the HTTP pool). Errors: issue():
// PermissionDenied, NotFound (device), Conflict (revoked), InvalidInput (volume), and the
// sink's error after the commit. put(): Unsupported (not a PNG), TooLarge, Io. latest():
// NotFound when the device never sent one.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/records.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/messages.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace bantin::controller {

struct CommandRequest {
    protocol::CommandKind kind = protocol::CommandKind::Ping;
    std::optional<int> volume;  // set-volume only, 0..100
};

struct DeviceCommandsOptions {
    // Base of the screenshot upload URL (the one media URLs use), without a trailing slash.
    std::string public_base_url = "http://127.0.0.1:8080";
    Duration lifetime = std::chrono::minutes{5};  // issued_at .. expires_at
};

class DeviceCommands {
public:
    DeviceCommands(Store& store, const Clock& clock, const protocol::SecretKey& key, MessageSink& sink,
                   DeviceCommandsOptions options);

    // The command as it was published.
    Result<protocol::Command> issue(const User& actor, std::string_view device_id,
                                    const CommandRequest& request);

    // `{public_base_url}/api/v1/devices/{device}/screenshot`
    std::string screenshot_url(std::string_view device_id) const;

private:
    Store& m_store;
    const Clock& m_clock;
    const protocol::SecretKey& m_key;
    MessageSink& m_sink;
    DeviceCommandsOptions m_options;
};

// "cmd-" and 16 random hex digits.
std::string random_command_id();
// `prefix` and 16 random hex digits (libsodium's generator): "cmd-…", "alert-…".
std::string random_id(std::string_view prefix);

inline constexpr std::size_t max_screenshot_bytes = 8 * 1024 * 1024;

// True when `bytes` starts with the 8-byte PNG signature.
bool has_png_signature(std::string_view bytes);

struct Screenshot {
    std::string png;
    TimePoint received;  // when the controller stored it
    std::string sha256;  // of png
};

class ScreenshotStore {
public:
    // Creates `directory` when missing (Io if it cannot).
    static Result<ScreenshotStore> open(std::filesystem::path directory, const Clock& clock);

    // Replaces the device's latest screenshot. `device_id` must be a valid id (topics.hpp).
    Result<Screenshot> put(std::string_view device_id, std::string_view png) const;
    Result<Screenshot> latest(std::string_view device_id) const;
    // When the latest screenshot arrived (its file's time), without reading it; nullopt when the
    // device never sent one or the id is not valid.
    std::optional<TimePoint> received(std::string_view device_id) const;

    const std::filesystem::path& directory() const { return m_directory; }

private:
    ScreenshotStore(std::filesystem::path directory, const Clock& clock)
        : m_directory(std::move(directory)), m_clock(&clock) {}
    std::filesystem::path m_directory;
    const Clock* m_clock;
};

}  // namespace bantin::controller
