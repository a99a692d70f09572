#include "bantin/controller/device_commands.hpp"

#include "bantin/common/file_descriptor.hpp"
#include "bantin/controller/cluster.hpp"
#include "bantin/controller/roles.hpp"
#include "bantin/media/sha256.hpp"
#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/topics.hpp"

#include <sodium.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace bantin::controller {
namespace {

constexpr std::string_view png_signature{"\x89PNG\r\n\x1a\n", 8};

// Closes the descriptor it owns.
Error io_error(const std::filesystem::path& path, std::string_view what) {
    return Error{Errc::Io, path.string() + ": " + std::string{what} + ": " + std::strerror(errno)};
}

std::string command_summary(const protocol::Command& command) {
    nlohmann::ordered_json json;
    json["id"] = command.id;
    json["kind"] = protocol::to_string(command.kind);
    if (command.volume)
        json["volume"] = *command.volume;
    if (command.upload_url)
        json["upload_url"] = *command.upload_url;
    json["expires_at"] = format_utc(command.expires_at);
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string random_id(std::string_view prefix) {
    if (sodium_init() < 0)
        std::abort();  // libsodium cannot start: nothing here can be made safe
    std::array<unsigned char, 8> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    std::array<char, 17> hex{};
    sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
    return std::string{prefix} + std::string(hex.data(), 16);
}

std::string random_command_id() {
    return random_id("cmd-");
}

DeviceCommands::DeviceCommands(Store& store, const Clock& clock, const protocol::SecretKey& key,
                               MessageSink& sink, DeviceCommandsOptions options)
    : m_store(store), m_clock(clock), m_key(key), m_sink(sink), m_options(std::move(options)) {
    while (!m_options.public_base_url.empty() && m_options.public_base_url.back() == '/')
        m_options.public_base_url.pop_back();
}

std::string DeviceCommands::screenshot_url(std::string_view device_id) const {
    return m_options.public_base_url + "/api/v1/devices/" + std::string{device_id} + "/screenshot";
}

Result<protocol::Command> DeviceCommands::issue(const User& actor, std::string_view device_id,
                                                const CommandRequest& request) {
    if (auto allowed_action = require(actor, Action::ManageDevices); !allowed_action)
        return std::unexpected(allowed_action.error());
    auto topic = protocol::device_topic(device_id, protocol::DeviceChannel::Command);
    if (!topic)
        return std::unexpected(topic.error());
    protocol::Command command;
    command.id = random_command_id();
    command.device = std::string{device_id};
    command.kind = request.kind;
    if (request.kind == protocol::CommandKind::SetVolume) {
        if (!request.volume)
            return fail(Errc::InvalidInput, "volume: required for set-volume");
        if (*request.volume < 0 || *request.volume > 100)
            return fail(Errc::InvalidInput, "volume: must be 0..100");
        command.volume = request.volume;
    } else if (request.volume) {
        return fail(Errc::InvalidInput, "volume: only for set-volume");
    }
    if (request.kind == protocol::CommandKind::Screenshot) {
        command.upload_url = screenshot_url(device_id);
        if (command.upload_url->size() > protocol::max_upload_url_bytes)
            return fail(Errc::InvalidInput, "http.public_base_url: the screenshot upload URL is over " +
                                                std::to_string(protocol::max_upload_url_bytes) + " bytes");
    }
    command.issued_at = m_clock.wall();
    command.expires_at = command.issued_at + m_options.lifetime;
    // A controller that does not hold the publisher lease refuses a command (cluster.hpp): refused
    // before the audit row, which would otherwise record a command never sent.
    if (!m_sink.publishes_directly())
        return std::unexpected(not_publisher_error(*topic));

    auto stored = m_store.write([&](StoreTransaction& transaction) -> Result<void> {
        auto device = transaction.device_by_id(device_id);
        if (!device)
            return std::unexpected(device.error());
        if (device->revoked)
            return fail(Errc::Conflict, "device \"" + std::string{device_id} + "\" is revoked");
        // Volume is a safety setting (two people, PUT /devices/{id}/settings): one person's
        // set-volume may turn a device down, or up to its approved settings, never beyond.
        if (command.volume) {
            int approved = device->device.default_volume;
            for (const auto& step : device->device.volume_schedule)
                approved = std::max(approved, step.volume);
            if (*command.volume > approved)
                return fail(
                    Errc::PermissionDenied,
                    "âm lượng " + std::to_string(*command.volume) + " vượt mức đã duyệt " +
                        std::to_string(approved) +
                        " của thiết bị; muốn cao hơn, hãy đổi âm lượng trong cài đặt (cần người thứ hai xác "
                        "nhận); volume " +
                        std::to_string(*command.volume) + " is above the device's approved " +
                        std::to_string(approved) +
                        "; to go higher, change its volume settings (a second operator confirms)");
        }
        AuditEntry entry;
        entry.user = actor.id;
        entry.user_name = actor.name;
        entry.at = command.issued_at;
        entry.action = "device.command";
        entry.entity_type = "device";
        entry.entity_id = command.device;
        entry.after = command_summary(command);
        auto audited = transaction.append_audit(std::move(entry));
        if (!audited)
            return std::unexpected(audited.error());
        return {};
    });
    if (!stored)
        return std::unexpected(stored.error());

    protocol::PublishOptions options;
    options.retain = protocol::Retain::No;
    options.message_expiry = std::chrono::duration_cast<std::chrono::seconds>(m_options.lifetime);
    if (auto sent = m_sink.publish(*topic, protocol::seal(command, m_key), options); !sent)
        return std::unexpected(sent.error());
    return command;
}

bool has_png_signature(std::string_view bytes) {
    return bytes.starts_with(png_signature);
}

Result<ScreenshotStore> ScreenshotStore::open(std::filesystem::path directory, const Clock& clock) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error)
        return fail(Errc::Io, directory.string() + ": cannot create: " + error.message());
    return ScreenshotStore{std::move(directory), clock};
}

Result<Screenshot> ScreenshotStore::put(std::string_view device_id, std::string_view png) const {
    if (auto valid = protocol::validate_id(device_id, "device"); !valid)
        return std::unexpected(valid.error());
    if (png.size() > max_screenshot_bytes)
        return fail(Errc::TooLarge, "screenshot: " + std::to_string(png.size()) + " bytes, at most " +
                                        std::to_string(max_screenshot_bytes));
    if (!has_png_signature(png))
        return fail(Errc::Unsupported,
                    "screenshot: not a PNG (the body does not start with the PNG signature)");

    Screenshot shot;
    shot.received = m_clock->wall();
    shot.sha256 = media::sha256_hex(png);
    const auto final_path = m_directory / (std::string{device_id} + ".png");
    auto temporary = m_directory / ("." + std::string{device_id} + ".png.XXXXXX");
    std::string pattern = temporary.string();
    FileDescriptor file{::mkstemp(pattern.data())};
    if (!file.valid())
        return std::unexpected(io_error(temporary, "cannot create"));
    const std::filesystem::path temporary_path = pattern;
    auto discard = [&](Error error) -> Result<Screenshot> {
        std::error_code ignored;
        std::filesystem::remove(temporary_path, ignored);
        return std::unexpected(std::move(error));
    };
    ::fchmod(file.get(), 0640);
    std::size_t written = 0;
    while (written < png.size()) {
        auto result = ::write(file.get(), png.data() + written, png.size() - written);
        if (result < 0) {
            if (errno == EINTR)
                continue;
            return discard(io_error(temporary_path, "cannot write"));
        }
        written += static_cast<std::size_t>(result);
    }
    const auto since_epoch = shot.received.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    std::array<timespec, 2> times{};
    times[0].tv_sec = static_cast<time_t>(seconds.count());
    times[0].tv_nsec = static_cast<long>(std::chrono::nanoseconds(since_epoch - seconds).count());
    times[1] = times[0];
    if (::futimens(file.get(), times.data()) != 0)
        return discard(io_error(temporary_path, "cannot set the time"));
    if (::fsync(file.get()) != 0)
        return discard(io_error(temporary_path, "cannot sync"));
    if (file.close() != 0)
        return discard(io_error(temporary_path, "cannot close"));
    if (::rename(temporary_path.c_str(), final_path.c_str()) != 0)
        return discard(io_error(final_path, "cannot replace"));
    // The rename is durable once the directory is synced.
    FileDescriptor directory{::open(m_directory.c_str(), O_RDONLY | O_DIRECTORY)};
    if (directory.valid())
        ::fsync(directory.get());
    shot.png = std::string{png};
    return shot;
}

std::optional<TimePoint> ScreenshotStore::received(std::string_view device_id) const {
    if (!protocol::validate_id(device_id, "device"))
        return std::nullopt;
    struct stat info {};
    const auto path = m_directory / (std::string{device_id} + ".png");
    if (::stat(path.c_str(), &info) != 0)
        return std::nullopt;
    return TimePoint{std::chrono::duration_cast<Duration>(std::chrono::seconds{info.st_mtim.tv_sec} +
                                                          std::chrono::nanoseconds{info.st_mtim.tv_nsec})};
}

Result<Screenshot> ScreenshotStore::latest(std::string_view device_id) const {
    if (auto valid = protocol::validate_id(device_id, "device"); !valid)
        return std::unexpected(valid.error());
    const auto path = m_directory / (std::string{device_id} + ".png");
    FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!file.valid()) {
        if (errno == ENOENT)
            return fail(Errc::NotFound, "device \"" + std::string{device_id} + "\" has sent no screenshot");
        return std::unexpected(io_error(path, "cannot open"));
    }
    struct stat info {};
    if (::fstat(file.get(), &info) != 0)
        return std::unexpected(io_error(path, "cannot stat"));
    Screenshot shot;
    shot.received = TimePoint{std::chrono::duration_cast<Duration>(
        std::chrono::seconds{info.st_mtim.tv_sec} + std::chrono::nanoseconds{info.st_mtim.tv_nsec})};
    shot.png.resize(static_cast<std::size_t>(info.st_size));
    std::size_t read_so_far = 0;
    while (read_so_far < shot.png.size()) {
        auto result = ::read(file.get(), shot.png.data() + read_so_far, shot.png.size() - read_so_far);
        if (result < 0) {
            if (errno == EINTR)
                continue;
            return std::unexpected(io_error(path, "cannot read"));
        }
        if (result == 0)
            break;
        read_so_far += static_cast<std::size_t>(result);
    }
    shot.png.resize(read_so_far);
    shot.sha256 = media::sha256_hex(shot.png);
    return shot;
}

}  // namespace bantin::controller
