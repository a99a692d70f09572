#include "bantin/player/commands.hpp"

#include "bantin/protocol/envelope.hpp"

#include <spdlog/spdlog.h>

namespace bantin::player {

namespace {
// The ids of the screenshots a device takes by itself; the controller's commands are "cmd-...".
constexpr std::string_view periodic_prefix = "periodic-";
}  // namespace

protocol::CommandReply make_reply(const std::string& device, const protocol::Command& command,
                                  protocol::ReplyResult result, std::string detail, TimePoint now) {
    protocol::CommandReply reply;
    reply.device = device;
    reply.command_id = command.id;
    reply.result = result;
    reply.detail = std::move(detail);
    if (reply.detail.size() > 1000)
        reply.detail.resize(1000);
    reply.replied_at = now;
    return reply;
}

std::string describe_volume(int applied, int asked, int cap) {
    std::string text = "volume " + std::to_string(applied);
    if (asked > applied)
        text += " (asked " + std::to_string(asked) + ", capped at " + std::to_string(cap) + ")";
    else if (asked < applied)
        text += " (asked " + std::to_string(asked) + "; a live alert plays at no less than " +
                std::to_string(applied) + ")";
    return text;
}

CommandDesk::CommandDesk(PlayerState& state, media::ContentStore& store, media::MediaCache& cache,
                         ProofUplink& uplink, const Clock& clock, DeviceHealth& health,
                         std::function<void()> wake, Options options)
    : m_state(state),
      m_store(store),
      m_cache(cache),
      m_uplink(uplink),
      m_clock(clock),
      m_health(health),
      m_wake(std::move(wake)),
      m_options(std::move(options)) {}

CommandDesk::~CommandDesk() {
    stop();
}

std::optional<protocol::Command> CommandDesk::receive(const std::string& payload) {
    auto seen = m_state.seen_commands();
    if (!seen) {
        m_health.report("state: " + seen.error().message());
        return std::nullopt;
    }
    auto verified =
        protocol::verify_command(payload, m_options.keys, m_options.device, *seen, m_clock.wall());
    if (!verified) {
        spdlog::warn("command refused: {}", verified.error().message());
        return std::nullopt;
    }
    if (auto remembered = m_state.remember_command(verified->id, verified->issued_at); !remembered)
        m_health.report("state: " + remembered.error().message());
    spdlog::info("command {}: {}", verified->id, protocol::to_string(verified->kind));
    return std::move(*verified);
}

void CommandDesk::reply(const protocol::Command& command, protocol::ReplyResult result, std::string detail) {
    if (command.id.starts_with(periodic_prefix))
        return;  // a screenshot of the device's own: no one waits for a reply
    m_uplink.reply(make_reply(m_options.device, command, result, std::move(detail), m_clock.wall()));
}

std::optional<CommandDesk::Shot> CommandDesk::periodic_screenshot(const std::string& upload_url) {
    if (!m_screenshots.empty() || m_running > 0 || upload_url.empty())
        return std::nullopt;
    protocol::Command command;
    command.id = std::string{periodic_prefix} + std::to_string(m_next_tag);
    command.device = m_options.device;
    command.kind = protocol::CommandKind::Screenshot;
    command.upload_url = upload_url;
    command.issued_at = m_clock.wall();
    command.expires_at = command.issued_at;
    return screenshot(command);
}

CommandDesk::Shot CommandDesk::screenshot(const protocol::Command& command) {
    const std::uint64_t tag = m_next_tag++;
    m_screenshots.emplace(tag, command);
    return {m_options.screenshot_directory / ("screenshot-" + std::to_string(tag) + ".png"), tag};
}

void CommandDesk::screenshot_taken(const std::filesystem::path& path, std::uint64_t tag,
                                   const std::string& error) {
    auto found = m_screenshots.find(tag);
    if (found == m_screenshots.end())
        return;
    const protocol::Command command = found->second;
    m_screenshots.erase(found);
    if (!error.empty()) {
        if (command.id.starts_with(periodic_prefix))
            spdlog::warn("screenshot failed: {}", error);
        reply(command, protocol::ReplyResult::Error, "screenshot failed: " + error);
        return;
    }
    if (command.upload_url) {
        start_upload(command, path);
        return;
    }
    keep(command, path, protocol::ReplyResult::Ok, "screenshot taken");
}

// The PNG goes into the content store (under its digest) and the reply names it.
void CommandDesk::keep(const protocol::Command& command, const std::filesystem::path& path,
                       protocol::ReplyResult result, const std::string& what) {
    auto stored = m_store.put_file(path);
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    if (!stored) {
        reply(command, protocol::ReplyResult::Error, what + "; not stored: " + stored.error().message());
        return;
    }
    (void)m_cache.record(*stored);
    auto answer = make_reply(m_options.device, command, result,
                             what + " (PNG, " + std::to_string(stored->size) + " bytes" +
                                 (result == protocol::ReplyResult::Ok ? ")" : ", kept on the device)"),
                             m_clock.wall());
    answer.payload = "sha256:" + stored->sha256;
    m_uplink.reply(answer);
}

void CommandDesk::start_upload(const protocol::Command& command, const std::filesystem::path& path) {
    std::error_code size_error;
    const auto size = std::filesystem::file_size(path, size_error);
    spdlog::info("command {}: uploading the screenshot ({} bytes)", command.id, size_error ? 0 : size);
    ++m_running;
    m_threads.emplace_back([this, command, path, size = size_error ? 0 : size] {
        UploadDone done{command, path, size, put_png(*command.upload_url, path, m_options.upload, m_cancel)};
        {
            std::lock_guard lock(m_mutex);
            m_uploaded.push_back(std::move(done));
        }
        --m_running;
        if (m_wake)
            m_wake();
    });
}

void CommandDesk::pump() {
    std::vector<UploadDone> done;
    {
        std::lock_guard lock(m_mutex);
        done.swap(m_uploaded);
    }
    for (auto& upload : done) {
        if (upload.result) {
            std::error_code ignored;
            std::filesystem::remove(upload.path, ignored);
            reply(upload.command, protocol::ReplyResult::Ok,
                  "screenshot uploaded (PNG, " + std::to_string(upload.size) + " bytes)");
        } else if (upload.command.id.starts_with(periodic_prefix)) {
            m_health.report("screenshot upload: " + upload.result.error().message());
            std::error_code ignored;
            std::filesystem::remove(upload.path, ignored);
        } else {
            m_health.report("screenshot upload: " + upload.result.error().message());
            keep(upload.command, upload.path, protocol::ReplyResult::Error,
                 "screenshot upload failed: " + upload.result.error().message());
        }
    }
    // Once none is running, every upload thread has handed over its result and is returning:
    // join them (uploads are rare; this keeps the bookkeeping trivial). Checked on every pass,
    // not only when a result came: the last thread may still have been counted as running when
    // its result was taken.
    if (!m_threads.empty() && m_running == 0) {
        for (auto& thread : m_threads) thread.join();
        m_threads.clear();
    }
}

void CommandDesk::stop() {
    m_cancel = true;
    for (auto& thread : m_threads)
        if (thread.joinable())
            thread.join();
    m_threads.clear();
}

}  // namespace bantin::player
