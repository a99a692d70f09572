// A device's settings from the console and the CLI (docs/api.md "Device settings"): on-hours,
// quiet hours, volume schedule, default volume. A change of a safety setting follows the
// two-person rule, as live alerts do. The safety settings are quiet hours (when only emergency
// alerts may sound) and the volumes, default and scheduled (how loud a loudspeaker sounds over
// the commune at each hour: the only volume limit the controller sets; the device's own
// safety.max_volume caps it further): one person proposes it, it is stored as pending, and a different
// operator or admin confirms it before it reaches the device's row and bundle; proposal, confirmation and
// withdrawal are audited. Also a device's plays per hour, for the console's proof gaps.

#include "api_content.hpp"
#include "api_fleet_routes.hpp"

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/device_commands.hpp"
#include "bantin/controller/record_json.hpp"

#include <array>
#include <string_view>

namespace bantin::controller::api {
namespace {

constexpr std::array<std::string_view, 4> setting_fields{"on_hours", "quiet_hours", "default_volume",
                                                         "volume_schedule"};
// The model's device fields a settings change keeps from the device as it is.
constexpr std::array<std::string_view, 7> kept_fields{"kind",        "zone", "tags",  "time_zone",
                                                      "has_speaker", "id",   "layout"};
constexpr int changes_listed = 50;
constexpr auto longest_plays_range = std::chrono::hours{24 * 31};

bool is_setting_field(std::string_view key) {
    return std::ranges::find(setting_fields, key) != setting_fields.end();
}

std::string dump(const nlohmann::json& json) {
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The device as it would be with `patch` applied: validated as a registration body is.
std::expected<DeviceBody, DeviceBodyError> apply_patch(const DeviceRecord& current,
                                                       const nlohmann::json& patch,
                                                       const std::string& default_time_zone) {
    const nlohmann::json now = nlohmann::json::parse(dump(device_to_json(current)));
    nlohmann::json body = nlohmann::json::object();
    for (const auto key : kept_fields) body[std::string{key}] = now.at(std::string{key});
    for (const auto key : setting_fields) body[std::string{key}] = now.at(std::string{key});
    for (const auto& [key, value] : patch.items()) body[key] = value;
    return device_from_body(std::move(body), current.device.id, default_time_zone);
}

// The minutes a daily window covers, as one or two [from, to) spans (22:00-05:00 wraps).
std::vector<std::pair<int, int>> spans_of(const scheduler::DailyWindow& window) {
    if (window.start_minute < window.end_minute)
        return {{window.start_minute, window.end_minute}};
    return {{window.start_minute, 24 * 60}, {0, window.end_minute}};
}

// What the model accepts but a person setting hours means otherwise: an empty window (start
// equals end) and two windows of one list that overlap. "" when the list is sound.
std::string window_problem(std::string_view field, const std::vector<scheduler::DailyWindow>& windows) {
    auto at = [&](std::size_t index) { return std::string{field} + "[" + std::to_string(index) + "]"; };
    for (std::size_t i = 0; i < windows.size(); ++i) {
        if (windows[i].start_minute == windows[i].end_minute)
            return at(i) +
                   ": khung giờ rỗng (bắt đầu bằng kết thúc); the window is empty (it starts where it ends)";
        for (std::size_t j = 0; j < i; ++j)
            for (const auto& [a_from, a_to] : spans_of(windows[i]))
                for (const auto& [b_from, b_to] : spans_of(windows[j]))
                    if (a_from < b_to && b_from < a_to)
                        return at(i) + ": trùng với " + at(j) + "; overlaps " + at(j);
    }
    return {};
}

// Every window problem of the fields the patch sets, `; `-separated.
std::string windows_problems(const scheduler::Device& device, const nlohmann::json& patch) {
    std::string problems;
    auto add = [&](std::string problem) {
        if (!problem.empty())
            problems += (problems.empty() ? "" : "; ") + problem;
    };
    if (patch.contains("on_hours"))
        add(window_problem("on_hours", device.on_hours));
    if (patch.contains("quiet_hours"))
        add(window_problem("quiet_hours", device.quiet_hours));
    if (patch.contains("volume_schedule")) {
        std::vector<scheduler::DailyWindow> windows;
        for (const auto& step : device.volume_schedule) windows.push_back(step.window);
        add(window_problem("volume_schedule", windows));
    }
    return problems;
}

Result<std::string> user_name(StoreTransaction& transaction, UserId id) {
    auto user = transaction.user_by_id(id);
    if (!user)
        return std::unexpected(user.error());
    return user->display_name.empty() ? user->name : user->display_name;
}

nlohmann::ordered_json change_json(StoreTransaction& transaction, const DeviceSettingChange& change) {
    auto name_of = [&](UserId id) -> nlohmann::ordered_json {
        auto name = user_name(transaction, id);
        return name ? nlohmann::ordered_json(*name) : nlohmann::ordered_json(nullptr);
    };
    nlohmann::ordered_json json;
    json["id"] = change.id;
    json["device"] = change.device;
    json["settings"] = nlohmann::ordered_json::parse(change.settings_json);
    json["state"] = to_string(change.state);
    json["proposed_by"] = change.proposed_by;
    json["proposed_by_name"] = name_of(change.proposed_by);
    json["proposed_at"] = format_utc(change.proposed_at);
    json["decided_by"] = change.decided_by ? nlohmann::ordered_json(*change.decided_by) : nullptr;
    json["decided_by_name"] = change.decided_by ? name_of(*change.decided_by) : nullptr;
    json["decided_at"] = change.decided_at ? nlohmann::ordered_json(format_utc(*change.decided_at)) : nullptr;
    return json;
}

AuditEntry change_audit(const User& actor, std::string action, const DeviceSettingChange& change,
                        TimePoint now) {
    AuditEntry entry;
    entry.user = actor.id;
    entry.user_name = actor.name;
    entry.at = now;
    entry.action = std::move(action);
    entry.entity_type = "device";
    entry.entity_id = change.device;
    nlohmann::ordered_json json;
    json["change"] = change.id;
    json["settings"] = nlohmann::ordered_json::parse(change.settings_json);
    json["state"] = to_string(change.state);
    entry.after = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return entry;
}

Result<DeviceRecord> read_device(Call& call, const std::string& id) {
    return call.context.store.read_value<DeviceRecord>(
        [&](StoreTransaction& transaction) { return transaction.device_by_id(id); });
}

void rebuild(FleetServices& fleet, const std::string& id) {
    if (fleet.publisher) {
        const std::vector<std::string> ids{id};
        (void)fleet.publisher->rebuild_devices(ids);
    }
}

// The device's JSON after a change reached it (re-read: the rebuild moved its desired version).
nlohmann::ordered_json device_after(Call& call, const std::string& id, const DeviceRecord& fallback) {
    auto reread = read_device(call, id);
    return device_to_json(reread ? *reread : fallback);
}

// PUT /devices/{id}/settings: the fields given change, the others stay. A safety setting
// changed (is_safety_change): held (202) for a second person; otherwise applied at once (200).
Answer put_settings(FleetServices& fleet, Call& call) {
    const std::string id = call.capture(1);
    if (!call.body.is_object())
        return refuse(Refusal::bad_request("body: cần một đối tượng JSON; expected a JSON object"));
    std::vector<std::string> unknown;
    for (const auto& [key, value] : call.body.items())
        if (!is_setting_field(key))
            unknown.push_back(key);
    if (!unknown.empty()) {
        std::string detail;
        for (const auto& key : unknown)
            detail += (detail.empty() ? "" : "; ") + key + ": trường lạ; unknown field";
        return refuse(Refusal::bad_request(
            detail +
            " (chỉ nhận on_hours, quiet_hours, default_volume, volume_schedule; on_hours, quiet_hours, "
            "default_volume and volume_schedule are accepted)"));
    }
    if (call.body.empty())
        return refuse(
            Refusal::invalid("body: cần ít nhất một thiết lập; name at least one of on_hours, "
                             "quiet_hours, default_volume, volume_schedule"));
    auto current = read_device(call, id);
    if (!current)
        return refuse(current.error());
    if (current->revoked)
        return refuse(Refusal(409, "conflict",
                              "thiết bị \"" + id + "\" đã bị thu hồi; device \"" + id + "\" is revoked"));
    auto changed = apply_patch(*current, call.body, call.context.config.devices.default_time_zone);
    if (!changed)
        return refuse(refusal(changed.error()));
    const scheduler::Device& device = changed->first;
    if (auto problems = windows_problems(device, call.body); !problems.empty())
        return refuse(Refusal::invalid(problems));
    const bool safety = is_safety_change(current->device, device);
    if (!safety) {
        auto updated = fleet.registry.update_device(call.user.user, device, current->name);
        if (!updated)
            return refuse(updated.error());
        rebuild(fleet, id);
        return ok({{"device", device_after(call, id, *updated)}, {"change", nullptr}});
    }
    if (auto allowed = require(call.user.user, Action::ManageDevices); !allowed)
        return refuse(allowed.error());
    DeviceSettingChange change;
    change.id = random_id("set-");
    change.device = id;
    change.settings_json = dump(call.body);
    change.proposed_by = call.user.user.id;
    change.proposed_at = call.context.clock.wall();
    auto stored = call.context.store.write_value<nlohmann::ordered_json>(
        [&](StoreTransaction& transaction) -> Result<nlohmann::ordered_json> {
            if (auto inserted = transaction.insert_setting_change(change); !inserted)
                return std::unexpected(inserted.error());
            if (auto audited = transaction.append_audit(
                    change_audit(call.user.user, "device.settings.propose", change, change.proposed_at));
                !audited)
                return std::unexpected(audited.error());
            return change_json(transaction, change);
        });
    if (!stored)
        return refuse(stored.error());
    return ok({{"device", device_to_json(*current)}, {"change", *stored}}, 202);
}

Answer list_changes(FleetServices&, Call& call) {
    const std::string id = call.capture(1);
    auto items = call.context.store.read_value<nlohmann::ordered_json>(
        [&](StoreTransaction& transaction) -> Result<nlohmann::ordered_json> {
            if (auto device = transaction.device_by_id(id); !device)
                return std::unexpected(device.error());
            auto changes = transaction.list_setting_changes(id, changes_listed);
            if (!changes)
                return std::unexpected(changes.error());
            auto list = nlohmann::ordered_json::array();
            for (const auto& change : *changes) list.push_back(change_json(transaction, change));
            return list;
        });
    if (!items)
        return refuse(items.error());
    return ok({{"items", *items}, {"next_cursor", nullptr}});
}

// The pending change `change_id` of device `id`, or why not.
Result<DeviceSettingChange> pending_change(StoreTransaction& transaction, const std::string& id,
                                           const std::string& change_id) {
    auto change = transaction.setting_change_by_id(change_id);
    if (!change || change->device != id)
        return fail(Errc::NotFound, "không có đề xuất \"" + change_id + "\" cho thiết bị \"" + id +
                                        "\"; setting change \"" + change_id + "\" of device \"" + id +
                                        "\" not found");
    if (change->state != SettingChangeState::Pending)
        return fail(Errc::Conflict,
                    "đề xuất \"" + change_id + "\" đã " +
                        (change->state == SettingChangeState::Confirmed ? "được xác nhận" : "bị rút lại") +
                        "; setting change \"" + change_id + "\" is " + std::string{to_string(change->state)} +
                        ", not pending");
    return change;
}

Answer confirm_change(FleetServices& fleet, Call& call) {
    const std::string id = call.capture(1);
    const std::string change_id = call.capture(2);
    if (auto allowed = require(call.user.user, Action::ManageDevices); !allowed)
        return refuse(allowed.error());
    auto current = read_device(call, id);
    if (!current)
        return refuse(current.error());
    auto change = call.context.store.read_value<DeviceSettingChange>(
        [&](StoreTransaction& transaction) { return pending_change(transaction, id, change_id); });
    if (!change)
        return refuse(change.error());
    if (change->proposed_by == call.user.user.id)
        return refuse(Refusal(403, "permission-denied",
                              "người đề xuất không tự xác nhận được; cần người vận hành thứ hai. The "
                              "person who proposed setting change \"" +
                                  change_id + "\" cannot confirm it; a second operator must"));
    auto changed = apply_patch(*current, nlohmann::json::parse(change->settings_json),
                               call.context.config.devices.default_time_zone);
    if (!changed)
        return refuse(refusal(changed.error()));
    const TimePoint now = call.context.clock.wall();
    DeviceSettingChange decided;
    auto updated = fleet.registry.update_device(
        call.user.user, changed->first, current->name,
        [&](StoreTransaction& transaction, const DeviceRecord& before) -> Result<void> {
            // The change was applied to the device as read above: one that
            // landed since would be overwritten, so the confirm is refused.
            if (before.device != current->device || before.name != current->name)
                return fail(Errc::Conflict, "thiết bị \"" + id +
                                                "\" vừa được sửa; hãy xác nhận lại. Device \"" + id +
                                                "\" changed meanwhile; confirm again");
            // Read again inside the write: a second confirm or a withdrawal may
            // have won.
            auto pending = pending_change(transaction, id, change_id);
            if (!pending)
                return std::unexpected(pending.error());
            decided = *pending;
            decided.state = SettingChangeState::Confirmed;
            decided.decided_by = call.user.user.id;
            decided.decided_at = now;
            if (auto saved = transaction.update_setting_change(decided); !saved)
                return saved;
            auto audited = transaction.append_audit(
                change_audit(call.user.user, "device.settings.confirm", decided, now));
            if (!audited)
                return std::unexpected(audited.error());
            return {};
        });
    if (!updated)
        return refuse(updated.error());
    rebuild(fleet, id);
    auto json = call.context.store.read_value<nlohmann::ordered_json>(
        [&](StoreTransaction& transaction) -> Result<nlohmann::ordered_json> {
            return change_json(transaction, decided);
        });
    return ok({{"device", device_after(call, id, *updated)},
               {"change", json ? *json : nlohmann::ordered_json(nullptr)}});
}

// Withdrawn by its author or refused by anyone else who manages devices.
Answer cancel_change(FleetServices&, Call& call) {
    const std::string id = call.capture(1);
    const std::string change_id = call.capture(2);
    if (auto allowed = require(call.user.user, Action::ManageDevices); !allowed)
        return refuse(allowed.error());
    const TimePoint now = call.context.clock.wall();
    auto json = call.context.store.write_value<nlohmann::ordered_json>(
        [&](StoreTransaction& transaction) -> Result<nlohmann::ordered_json> {
            auto pending = pending_change(transaction, id, change_id);
            if (!pending)
                return std::unexpected(pending.error());
            DeviceSettingChange decided = *pending;
            decided.state = SettingChangeState::Cancelled;
            decided.decided_by = call.user.user.id;
            decided.decided_at = now;
            if (auto saved = transaction.update_setting_change(decided); !saved)
                return std::unexpected(saved.error());
            if (auto audited = transaction.append_audit(
                    change_audit(call.user.user, "device.settings.cancel", decided, now));
                !audited)
                return std::unexpected(audited.error());
            return change_json(transaction, decided);
        });
    if (!json)
        return refuse(json.error());
    return ok({{"change", *json}});
}

// GET /devices/{id}/plays?from=&to=: the proof rows the device sent that started in each hour
// of [from, to) (UTC, at most 31 days), for the console's "hours with no proof".
Answer plays_by_hour(FleetServices&, Call& call) {
    const std::string id = call.capture(1);
    const auto from_text = call.parameter("from");
    const auto to_text = call.parameter("to");
    if (!from_text || !to_text)
        return refuse(Refusal::invalid(
            "from, to: cần cả hai (giờ UTC theo RFC 3339); both are required (RFC 3339 UTC)"));
    auto from = parse_utc(*from_text);
    if (!from)
        return refuse(Refusal::invalid("from: thời điểm không hợp lệ; " + from.error().detail));
    auto to = parse_utc(*to_text);
    if (!to)
        return refuse(Refusal::invalid("to: thời điểm không hợp lệ; " + to.error().detail));
    if (*to <= *from || *to - *from > longest_plays_range)
        return refuse(Refusal::invalid(
            "to: phải sau from, cách nhiều nhất 31 ngày; must be after from, at most 31 days"));
    auto rows = call.context.store.read_value<std::vector<ProofOfPlayRow>>(
        [&](StoreTransaction& transaction) -> Result<std::vector<ProofOfPlayRow>> {
            if (auto device = transaction.device_by_id(id); !device)
                return std::unexpected(device.error());
            return transaction.list_proof_of_play(*from, *to);
        });
    if (!rows)
        return refuse(rows.error());
    const auto hour = std::chrono::duration_cast<Duration>(std::chrono::hours{1});
    const auto count = static_cast<std::size_t>((*to - *from + hour - Duration{1}) / hour);
    std::vector<int> plays(count, 0);
    for (const auto& row : *rows) {
        if (row.device != id || row.started < *from || row.started >= *to)
            continue;
        ++plays[static_cast<std::size_t>((row.started - *from) / hour)];
    }
    auto hours = nlohmann::ordered_json::array();
    for (std::size_t index = 0; index < count; ++index)
        hours.push_back({{"start", format_utc(*from + hour * static_cast<Duration::rep>(index))},
                         {"plays", plays[index]}});
    return ok({{"device", id}, {"from", format_utc(*from)}, {"to", format_utc(*to)}, {"hours", hours}});
}

}  // namespace

bool is_safety_change(const scheduler::Device& before, const scheduler::Device& after) {
    return before.quiet_hours != after.quiet_hours || before.default_volume != after.default_volume ||
           before.volume_schedule != after.volume_schedule;
}

void register_device_settings_routes(Routes& routes, FleetServices& fleet) {
    auto with = [&fleet](Answer (*handler)(FleetServices&, Call&)) {
        return [&fleet, handler](Call& call) { return handler(fleet, call); };
    };
    const std::string device = route("/devices/" + std::string{id_pattern});
    const std::string change = device + "/settings/changes/(set-[0-9a-f]{16})";
    routes.put(device + "/settings",
               {Action::ManageDevices, BodyRule::Required,
                "a JSON object with on_hours, quiet_hours, default_volume or volume_schedule"},
               with(put_settings));
    routes.get(device + "/settings/changes", {Action::Read}, with(list_changes));
    routes.post(change + "/confirm", {Action::ManageDevices}, with(confirm_change));
    routes.post(change + "/cancel", {Action::ManageDevices}, with(cancel_change));
    routes.get(device + "/plays", {Action::Read}, with(plays_by_hour));
}

}  // namespace bantin::controller::api
