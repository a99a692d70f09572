#include "bantin/controller/live.hpp"

#include "bantin/controller/cluster.hpp"
#include "bantin/controller/device_commands.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/topics.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace bantin::controller {

namespace {

nlohmann::ordered_json live_json(const LiveRecord& record) {
    nlohmann::ordered_json json;
    json["id"] = record.start.id;
    json["zones"] = record.start.zones;
    json["level"] = scheduler::to_string(record.start.level);
    json["url"] = record.start.url;
    json["mount"] = record.mount;
    json["started_at"] = format_utc(record.start.started_at);
    json["ends_at"] = format_utc(record.start.ends_at);
    json["opened_by"] = record.opened_by;
    return json;
}

AuditEntry live_audit(const User& actor, std::string action, const LiveRecord& record, TimePoint now,
                      bool closing) {
    AuditEntry entry;
    entry.user = actor.id;
    entry.user_name = actor.name;
    entry.at = now;
    entry.action = std::move(action);
    entry.entity_type = "live";
    entry.entity_id = record.start.id;
    const std::string text = live_json(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    (closing ? entry.before : entry.after) = text;
    return entry;
}

std::string percent_encoded(std::string_view text) {
    std::string out;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned>(byte));
            out += hex;
        }
    }
    return out;
}

std::string without_trailing_slash(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

}  // namespace

LiveService::LiveService(Store& store, const Clock& clock, const protocol::SecretKey& key, MessageSink& sink,
                         LiveOptions options)
    : m_store(store), m_clock(clock), m_key(key), m_sink(sink), m_options(std::move(options)) {}

Result<void> LiveService::publish(const std::vector<std::string>& zones, const std::string& sealed,
                                  TimePoint until) {
    protocol::PublishOptions options;
    options.qos = protocol::QualityOfService::AtLeastOnce;
    options.retain = protocol::Retain::Yes;
    options.message_expiry = std::max(
        std::chrono::duration_cast<std::chrono::seconds>(until - m_clock.wall()), std::chrono::seconds{1});
    for (const auto& zone : zones) {
        auto topic = protocol::live_zone_topic(zone);
        if (!topic)
            return std::unexpected(topic.error());
        if (auto sent = m_sink.publish(*topic, sealed, options); !sent)
            return sent;
    }
    return {};
}

LiveRecord LiveService::with_source(LiveChannelRecord channel) const {
    LiveRecord record;
    record.start = std::move(channel.start);
    record.mount = std::move(channel.mount);
    record.opened_by = std::move(channel.opened_by);
    const std::string base = without_trailing_slash(m_options.icecast_url);
    const auto scheme_end = base.find("://");
    const std::string host = scheme_end == std::string::npos ? base : base.substr(scheme_end + 3);
    record.source_url = "icecast://" + percent_encoded(m_options.source_user) + ":" +
                        percent_encoded(m_options.source_password) + "@" + host + record.mount;
    return record;
}

Result<LiveRecord> LiveService::open(const User& actor, LiveRequest request) {
    if (m_options.icecast_url.empty())
        return fail(Errc::Unsupported,
                    "live: kênh trực tiếp chưa bật / live channels are off ([live] icecast_url)");
    if (request.zones.empty())
        return fail(Errc::InvalidInput, "zones: name at least one zone");
    std::sort(request.zones.begin(), request.zones.end());
    request.zones.erase(std::unique(request.zones.begin(), request.zones.end()), request.zones.end());
    const Duration duration = request.duration.value_or(m_options.max_duration);
    if (duration <= Duration{0} || duration > m_options.max_duration)
        return fail(
            Errc::InvalidInput,
            "duration_s: must be 1.." +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::seconds>(m_options.max_duration).count()));
    auto zones = m_store.read_value<std::vector<ZoneRecord>>(
        [](StoreTransaction& transaction) { return transaction.list_zones(); });
    if (!zones)
        return std::unexpected(zones.error());
    for (const auto& zone : request.zones) {
        if (auto valid = protocol::validate_id(zone, "zone id"); !valid)
            return fail(Errc::InvalidInput, "zones: " + valid.error().detail);
        if (std::none_of(zones->begin(), zones->end(),
                         [&](const ZoneRecord& known) { return known.id == zone; }))
            return fail(Errc::InvalidInput, "zones: no zone \"" + zone + "\"");
    }
    const TimePoint now = m_clock.wall();
    LiveChannelRecord channel;
    channel.start.id = random_id("live-");
    channel.start.zones = request.zones;
    channel.start.level = request.level;
    channel.mount = "/" + channel.start.id + ".opus";  // Opus in Ogg: what bantin live sends
    channel.start.url = without_trailing_slash(m_options.icecast_url) + channel.mount;
    channel.start.started_at = now;
    channel.start.ends_at = now + duration;
    channel.opened_by = actor.name;
    if (auto problem = scheduler::stream_url_problem(channel.start.url); !problem.empty())
        return fail(Errc::InvalidInput, "live.icecast_url: " + problem);
    const LiveRecord record = with_source(channel);
    // A controller that does not hold the publisher lease refuses a live channel (cluster.hpp):
    // before the row and its audit, which would record a channel never opened.
    if (!m_sink.publishes_directly())
        return std::unexpected(not_publisher_error("live channel"));
    // Stored before it is published: a channel devices play is one a restarted controller closes.
    auto stored = m_store.write([&](StoreTransaction& transaction) -> Result<void> {
        if (auto expired = transaction.delete_live_channels_ended_by(now); !expired)
            return std::unexpected(expired.error());
        if (auto inserted = transaction.insert_live_channel(channel); !inserted)
            return inserted;
        auto appended = transaction.append_audit(live_audit(actor, "live.open", record, now, false));
        if (!appended)
            return std::unexpected(appended.error());
        return {};
    });
    if (!stored)
        return std::unexpected(stored.error());
    if (auto sent = publish(record.start.zones, protocol::seal(record.start, m_key), record.start.ends_at);
        !sent) {
        // Nothing went out (or only to some zones, whose retained start then ends at ends_at):
        // the channel is not open. The audit keeps the attempt.
        auto removed = m_store.write(
            [&](StoreTransaction& transaction) { return transaction.delete_live_channel(record.start.id); });
        if (!removed)
            spdlog::error("live {}: not published, and its row was not removed: {}", record.start.id,
                          removed.error().message());
        return std::unexpected(sent.error());
    }
    spdlog::info("live {}: opened by {} for {} at level {}", record.start.id, actor.name,
                 fmt::join(record.start.zones, ","), scheduler::to_string(record.start.level));
    return record;
}

Result<LiveRecord> LiveService::close(const User& actor, const std::string& live_id) {
    std::lock_guard lock(m_close_mutex);
    const TimePoint now = m_clock.wall();
    auto found = m_store.read_value<LiveChannelRecord>(
        [&](StoreTransaction& transaction) { return transaction.live_channel_by_id(live_id); });
    if (!found && found.error().code != Errc::NotFound)
        return std::unexpected(found.error());
    if (!found || found->start.ends_at <= now) {
        if (found)
            (void)expire();
        return fail(Errc::NotFound, "live " + live_id + ": no such open channel");
    }
    LiveRecord record = with_source(std::move(*found));
    protocol::LiveEnd end;
    end.live_id = record.start.id;
    end.zones = record.start.zones;
    end.issued_at = now;
    end.expires_at = std::max(record.start.ends_at, now + std::chrono::minutes{1});
    if (auto sent = publish(end.zones, protocol::seal(end, m_key), end.expires_at); !sent)
        return std::unexpected(sent.error());
    auto stored = m_store.write([&](StoreTransaction& transaction) -> Result<void> {
        if (auto removed = transaction.delete_live_channel(live_id); !removed)
            return removed;
        auto appended = transaction.append_audit(live_audit(actor, "live.close", record, now, true));
        if (!appended)
            return std::unexpected(appended.error());
        return {};
    });
    if (!stored) {
        // The end went out: devices stop. A second close publishes it again and removes the row.
        spdlog::error("live {}: closed on the devices, but its row was not removed: {}", live_id,
                      stored.error().message());
        return std::unexpected(stored.error());
    }
    spdlog::info("live {}: closed by {}", live_id, actor.name);
    return record;
}

Result<std::int64_t> LiveService::expire() {
    const TimePoint now = m_clock.wall();
    return m_store.write_value<std::int64_t>(
        [&](StoreTransaction& transaction) { return transaction.delete_live_channels_ended_by(now); });
}

Result<std::vector<LiveRecord>> LiveService::open_channels() {
    const TimePoint now = m_clock.wall();
    if (auto expired = expire(); !expired)
        spdlog::warn("live: ended channels not removed: {}", expired.error().message());
    auto channels = m_store.read_value<std::vector<LiveChannelRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_live_channels(now); });
    if (!channels)
        return std::unexpected(channels.error());
    std::vector<LiveRecord> records;
    for (auto& channel : *channels) records.push_back(with_source(std::move(channel)));
    return records;
}

}  // namespace bantin::controller
