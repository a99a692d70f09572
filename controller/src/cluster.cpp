#include "bantin/controller/cluster.hpp"

#include "bantin/common/json_depth.hpp"

#include "bantin/protocol/codec.hpp"
#include "bantin/protocol/envelope.hpp"
#include "bantin/protocol/topics.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace bantin::controller {

std::string encode_notice(const ChangeNotice& notice) {
    nlohmann::json json;
    json["k"] = notice.kind;
    json["ids"] = notice.ids;
    return json.dump();
}

Result<ChangeNotice> decode_notice(std::string_view payload) {
    if (payload.size() > 8000)
        return fail(Errc::InvalidInput, "thông báo thay đổi quá dài; a change notice is at most 8000 bytes");
    if (auto deep = json_depth_problem(payload, 4))
        return fail(Errc::InvalidInput, "thông báo thay đổi lồng quá sâu; change notice: " + deep->message());
    const auto json = nlohmann::json::parse(payload, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("k") || !json["k"].is_string() ||
        !json.contains("ids") || !json["ids"].is_array())
        return fail(Errc::InvalidInput,
                    "thông báo thay đổi không hợp lệ; a change notice is {\"k\": kind, \"ids\": [...]}");
    ChangeNotice notice;
    notice.kind = json["k"].get<std::string>();
    if (notice.kind != "bundles" && notice.kind != "alert" && notice.kind != "devices")
        return fail(Errc::InvalidInput,
                    "loại thông báo thay đổi không rõ; unknown change notice kind \"" + notice.kind + "\"");
    for (const auto& id : json["ids"]) {
        if (!id.is_string())
            return fail(Errc::InvalidInput,
                        "mã trong thông báo thay đổi phải là chuỗi; change notice ids are strings");
        auto text = id.get<std::string>();
        if (auto valid = protocol::validate_id(text); !valid)
            return std::unexpected(valid.error());
        notice.ids.push_back(std::move(text));
    }
    return notice;
}

std::vector<std::string> encode_notices(const ChangeNotice& notice, std::size_t limit) {
    std::vector<std::string> payloads;
    ChangeNotice part{notice.kind, {}};
    std::size_t size = encode_notice(part).size();
    for (const auto& id : notice.ids) {
        const std::size_t added = id.size() + 3;  // quotes and a comma
        if (!part.ids.empty() && size + added > limit) {
            payloads.push_back(encode_notice(part));
            part.ids.clear();
            size = encode_notice(part).size();
        }
        part.ids.push_back(id);
        size += added;
    }
    if (!part.ids.empty() || notice.ids.empty())
        payloads.push_back(encode_notice(part));
    return payloads;
}

Error not_publisher_error(std::string_view what) {
    return Error{Errc::Conflict,
                 "bộ điều khiển này không giữ quyền phát hành, hãy thử lại ở bộ điều khiển đang "
                 "phát hành; this controller does not hold the publisher lease (" +
                     std::string{what} + "): retry on the publishing controller"};
}

Result<void> LeaseGuardedSink::publish(const std::string& topic, const std::string& payload,
                                       const protocol::PublishOptions& options) {
    if (m_lease.held())
        return m_inner.publish(topic, payload, options);
    auto parsed = protocol::parse_topic(topic);
    if (!parsed)
        return std::unexpected(parsed.error());
    if (parsed->kind == protocol::TopicKind::Device && parsed->channel == protocol::DeviceChannel::Bundle)
        return m_signal.notify(ChangeNotice{"bundles", {parsed->device}});
    if (parsed->kind == protocol::TopicKind::AlertAll || parsed->kind == protocol::TopicKind::AlertZone) {
        // Our own message: read its alert id back.
        const protocol::TrustedKeys keys{protocol::trusted_key(m_key.public_key())};
        auto verified = protocol::verify_signature(payload, keys, protocol::MessageType::Alert);
        if (!verified)
            return fail(Errc::Internal, "alert message to relay cannot be read back: " +
                                            std::string{protocol::to_string(verified.error().reason)});
        auto message = protocol::decode_alert_topic(*verified);
        if (!message)
            return std::unexpected(message.error());
        const std::string id = std::visit(
            [](const auto& value) -> std::string {
                if constexpr (std::is_same_v<std::decay_t<decltype(value)>, protocol::AlertMessage>)
                    return value.alert.id;
                else
                    return value.alert_id;
            },
            *message);
        return m_signal.notify(ChangeNotice{"alert", {id}});
    }
    return std::unexpected(not_publisher_error(topic));
}

Result<TakeoverReport> takeover_republish(Store& store, Publisher& publisher) {
    auto devices = store.read_value<std::vector<DeviceRecord>>(
        [](StoreTransaction& transaction) { return load_all_devices(transaction); });
    if (!devices)
        return std::unexpected(devices.error());
    std::vector<std::string> lagging;
    for (const auto& device : *devices)
        if (!device.revoked && device.desired_version > device.applied_version)
            lagging.push_back(device.device.id);
    TakeoverReport report;
    if (!lagging.empty()) {
        auto republished = publisher.republish_devices(lagging);
        if (!republished)
            return std::unexpected(republished.error());
        report.republished = std::move(republished->published);
    }
    auto changed = publisher.rebuild_all(Publisher::Scope::Changed);
    if (!changed)
        return std::unexpected(changed.error());
    report.published = std::move(changed->published);
    return report;
}

}  // namespace bantin::controller
