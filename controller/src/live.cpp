#include "bantin/controller/live.hpp"

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
    LiveRecord record;
    record.start.id = random_id("live-");
    record.start.zones = request.zones;
    record.start.level = request.level;
    record.mount = "/" + record.start.id + ".opus";  // Opus in Ogg: what bantin live sends
    const std::string base = without_trailing_slash(m_options.icecast_url);
    record.start.url = base + record.mount;
    record.start.started_at = now;
    record.start.ends_at = now + duration;
    const std::string host = base.substr(base.find("://") + 3);
    record.source_url = "icecast://" + percent_encoded(m_options.source_user) + ":" +
                        percent_encoded(m_options.source_password) + "@" + host + record.mount;
    record.opened_by = actor.name;
    if (auto problem = scheduler::stream_url_problem(record.start.url); !problem.empty())
        return fail(Errc::InvalidInput, "live.icecast_url: " + problem);
    auto audited = m_store.write([&](StoreTransaction& transaction) -> Result<void> {
        auto appended = transaction.append_audit(live_audit(actor, "live.open", record, now, false));
        if (!appended)
            return std::unexpected(appended.error());
        return {};
    });
    if (!audited)
        return std::unexpected(audited.error());
    if (auto sent = publish(record.start.zones, protocol::seal(record.start, m_key), record.start.ends_at);
        !sent)
        return std::unexpected(sent.error());
    spdlog::info("live {}: opened by {} for {} at level {}", record.start.id, actor.name,
                 fmt::join(record.start.zones, ","), scheduler::to_string(record.start.level));
    std::lock_guard lock(m_mutex);
    m_open[record.start.id] = record;
    return record;
}

Result<LiveRecord> LiveService::close(const User& actor, const std::string& live_id) {
    LiveRecord record;
    {
        std::lock_guard lock(m_mutex);
        auto found = m_open.find(live_id);
        if (found == m_open.end())
            return fail(Errc::NotFound, "live " + live_id + ": no such open channel");
        record = found->second;
    }
    const TimePoint now = m_clock.wall();
    protocol::LiveEnd end;
    end.live_id = record.start.id;
    end.zones = record.start.zones;
    end.issued_at = now;
    end.expires_at = std::max(record.start.ends_at, now + std::chrono::minutes{1});
    if (auto sent = publish(end.zones, protocol::seal(end, m_key), end.expires_at); !sent)
        return std::unexpected(sent.error());
    {
        std::lock_guard lock(m_mutex);
        m_open.erase(live_id);
    }
    auto audited = m_store.write([&](StoreTransaction& transaction) -> Result<void> {
        auto appended = transaction.append_audit(live_audit(actor, "live.close", record, now, true));
        if (!appended)
            return std::unexpected(appended.error());
        return {};
    });
    if (!audited)
        spdlog::error("live {}: closed, but its audit row was not written: {}", live_id,
                      audited.error().message());
    spdlog::info("live {}: closed by {}", live_id, actor.name);
    return record;
}

std::vector<LiveRecord> LiveService::open_channels() {
    const TimePoint now = m_clock.wall();
    std::lock_guard lock(m_mutex);
    std::erase_if(m_open, [&](const auto& entry) { return entry.second.start.ends_at <= now; });
    std::vector<LiveRecord> records;
    for (const auto& [id, record] : m_open) records.push_back(record);
    std::sort(records.begin(), records.end(), [](const LiveRecord& a, const LiveRecord& b) {
        return a.start.started_at < b.start.started_at;
    });
    return records;
}

}  // namespace bantin::controller
