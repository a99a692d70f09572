// Routes: /playlists, /campaigns (with submit, approve, reject, archive and conflicts),
// /zones, /tags and /devices/{id}/timeline (preview).
#include "api_content.hpp"

#include "bantin/common/time.hpp"
#include "bantin/config/controller_config.hpp"
#include "bantin/controller/model_builder.hpp"
#include "bantin/scheduler/conflicts.hpp"
#include "bantin/scheduler/json.hpp"
#include "bantin/scheduler/resolver.hpp"

#include <date/tz.h>
#include <httplib.h>

#include <charconv>
#include <cstdio>
#include <map>
#include <set>

namespace bantin::controller::api {

namespace {

using httplib::Request;
using httplib::Response;

constexpr int max_conflict_days = 62;

// Fields of the stored records that clients see next to the scheduler's fields and may send
// back unchanged; they are never taken from a request.
constexpr std::string_view playlist_record_fields[] = {"version", "created_by", "created", "updated"};
constexpr std::string_view campaign_record_fields[] = {
    "version", "author",  "last_editor", "submitted_by", "decided_by", "decision_note",
    "created", "updated", "submitted",   "decided",      "archived"};

// Splits a request body into the scheduler object (record fields removed) and the version.
template <std::size_t N>
nlohmann::json strip_record_fields(nlohmann::json body, const std::string_view (&fields)[N]) {
    for (auto field : fields) body.erase(std::string{field});
    return body;
}

// The path id wins; a body naming another id is a mistake worth refusing.
bool reconcile_id(nlohmann::json& body, const std::string& path_id, Response& response) {
    auto found = body.find("id");
    if (found != body.end() && (!found->is_string() || found->get<std::string>() != path_id)) {
        send_bad_request(response, "id: does not match the id in the path (\"" + path_id + "\")");
        return false;
    }
    body["id"] = path_id;
    return true;
}

std::optional<std::int64_t> body_version(const nlohmann::json& body, Response& response) {
    auto version = required_integer(body, "version");
    if (!version) {
        send_bad_request(response, version.error().detail + " (the version you edited, from the last GET)");
        return std::nullopt;
    }
    return *version;
}

Result<std::chrono::year_month_day> parse_day(std::string_view text, std::string_view field) {
    auto day = parse_date(text);
    if (!day)
        return fail(Errc::InvalidInput, std::string{field} + ": " + day.error().detail);
    return *day;
}

// [local midnight of day, local midnight of the next day) in `time_zone`, as UTC instants.
Result<std::pair<TimePoint, TimePoint>> local_day_range(std::string_view time_zone,
                                                        std::chrono::year_month_day day) {
    try {
        const date::time_zone* zone = date::locate_zone(time_zone);
        const date::year_month_day date_day{date::year{static_cast<int>(day.year())},
                                            date::month{static_cast<unsigned>(day.month())},
                                            date::day{static_cast<unsigned>(day.day())}};
        const auto local = date::local_days{date_day};
        const auto from = zone->to_sys(local, date::choose::earliest);
        const auto to = zone->to_sys(local + date::days{1}, date::choose::earliest);
        return std::pair{TimePoint{std::chrono::duration_cast<Duration>(from.time_since_epoch())},
                         TimePoint{std::chrono::duration_cast<Duration>(to.time_since_epoch())}};
    } catch (const std::exception& error) {
        return fail(Errc::InvalidInput, "time zone \"" + std::string{time_zone} + "\": " + error.what());
    }
}

Result<std::chrono::year_month_day> today_in(std::string_view time_zone, TimePoint now) {
    try {
        const date::time_zone* zone = date::locate_zone(time_zone);
        const auto local = zone->to_local(now);
        const date::year_month_day day{date::floor<date::days>(local)};
        return std::chrono::year_month_day{std::chrono::year{static_cast<int>(day.year())},
                                           std::chrono::month{static_cast<unsigned>(day.month())},
                                           std::chrono::day{static_cast<unsigned>(day.day())}};
    } catch (const std::exception& error) {
        return fail(Errc::InvalidInput, "time zone \"" + std::string{time_zone} + "\": " + error.what());
    }
}

// The approved or submitted campaigns that play this playlist: editing it would change what
// an approver already signed off.
Result<std::vector<std::string>> signed_off_users_of(StoreTransaction& transaction,
                                                     const std::string& playlist) {
    std::vector<std::string> ids;
    for (auto state : {scheduler::ApprovalState::Submitted, scheduler::ApprovalState::Approved}) {
        for (Page page{500, 0};; page.offset += 500) {
            CampaignFilter filter;
            filter.approval = state;
            auto rows = transaction.list_campaigns(filter, page);
            if (!rows)
                return std::unexpected(rows.error());
            for (const auto& row : *rows) {
                if (row.campaign.playlist == playlist)
                    ids.push_back(row.campaign.id);
            }
            if (rows->size() < 500)
                break;
        }
    }
    return ids;
}

// ---- playlists ----

void list_playlists(ApiContext& context, const Request& request, Response& response) {
    if (!authorize(context, request, response, Action::Read))
        return;
    auto page = parse_page(request);
    if (!page)
        return send_error(response, page.error());
    auto rows = context.store.read_value<std::vector<PlaylistRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_playlists(page_probe(*page)); });
    if (!rows)
        return send_error(response, rows.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& row : *rows) items.push_back(playlist_json(row));
    send_page(response, *page, std::move(items));
}

void get_playlist(ApiContext& context, const Request& request, Response& response) {
    if (!authorize(context, request, response, Action::Read))
        return;
    auto row = context.store.read_value<PlaylistRecord>(
        [&](StoreTransaction& transaction) { return transaction.playlist_by_id(path_match(request, 1)); });
    if (!row)
        return send_error(response, row.error());
    send_json(response, 200, playlist_json(*row));
}

void create_playlist(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::EditContent);
    if (!caller)
        return;
    auto body = parse_json_body(request, response, "a playlist JSON object with id and items");
    if (!body)
        return;
    auto playlist = scheduler::playlist_from_json(strip_record_fields(*body, playlist_record_fields));
    if (!playlist)
        return send_bad_request(response, playlist.error().detail);
    if (auto valid = check_identifier(playlist->id, "id"); !valid)
        return send_error(response, valid.error());
    PlaylistRecord record;
    record.playlist = std::move(*playlist);
    record.created_by = caller->user.id;
    record.created = record.updated = context.clock.wall();
    record.version = 1;
    auto done = context.store.write([&](StoreTransaction& transaction) -> Result<void> {
        if (auto inserted = transaction.insert_playlist(record); !inserted)
            return inserted;
        auto audited = transaction.append_audit(audit_entry(
            context, caller->user, "playlist.create", "playlist", record.playlist.id, "",
            playlist_json(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
        if (!audited)
            return std::unexpected(audited.error());
        return {};
    });
    if (!done)
        return send_error(response, done.error());
    send_json(response, 201, playlist_json(record));
}

void update_playlist(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::EditContent);
    if (!caller)
        return;
    auto body = parse_json_body(request, response, "a JSON object with version and the playlist");
    if (!body)
        return;
    auto version = body_version(*body, response);
    if (!version)
        return;
    const std::string id = path_match(request, 1);
    nlohmann::json fields = strip_record_fields(*body, playlist_record_fields);
    if (!reconcile_id(fields, id, response))
        return;
    auto playlist = scheduler::playlist_from_json(fields);
    if (!playlist)
        return send_bad_request(response, playlist.error().detail);
    auto updated = context.store.write_value<PlaylistRecord>(
        [&](StoreTransaction& transaction) -> Result<PlaylistRecord> {
            auto before = transaction.playlist_by_id(id);
            if (!before)
                return std::unexpected(before.error());
            auto users = signed_off_users_of(transaction, id);
            if (!users)
                return std::unexpected(users.error());
            if (!users->empty())
                return fail(Errc::Conflict,
                            "playlist \"" + id + "\" is played by submitted or approved campaign \"" +
                                users->front() +
                                "\"; an approved playlist is not changed in place: make a new "
                                "playlist and a new campaign");
            PlaylistRecord record = *before;
            record.playlist = *playlist;
            record.updated = context.clock.wall();
            auto stored = transaction.update_playlist(record, *version);
            if (!stored)
                return std::unexpected(stored.error());
            auto audited = transaction.append_audit(audit_entry(
                context, caller->user, "playlist.edit", "playlist", id,
                playlist_json(*before).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                playlist_json(*stored).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
            if (!audited)
                return std::unexpected(audited.error());
            return stored;
        });
    if (!updated)
        return send_error(response, updated.error());
    send_json(response, 200, playlist_json(*updated));
}

// ---- campaigns ----

void list_campaigns(ApiContext& context, const Request& request, Response& response) {
    if (!authorize(context, request, response, Action::Read))
        return;
    auto page = parse_page(request);
    if (!page)
        return send_error(response, page.error());
    CampaignFilter filter;
    if (request.has_param("approval")) {
        const std::string state = request.get_param_value("approval");
        bool known = false;
        for (auto candidate : {scheduler::ApprovalState::Draft, scheduler::ApprovalState::Submitted,
                               scheduler::ApprovalState::Approved, scheduler::ApprovalState::Rejected,
                               scheduler::ApprovalState::Archived}) {
            if (scheduler::to_string(candidate) == state) {
                filter.approval = candidate;
                known = true;
            }
        }
        if (!known)
            return send_error(response, 422, "invalid-input",
                              "approval: expected draft, submitted, approved, rejected or archived");
    }
    auto rows = context.store.read_value<std::vector<CampaignRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_campaigns(filter, page_probe(*page)); });
    if (!rows)
        return send_error(response, rows.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& row : *rows) items.push_back(campaign_json(row));
    send_page(response, *page, std::move(items));
}

void get_campaign(ApiContext& context, const Request& request, Response& response) {
    if (!authorize(context, request, response, Action::Read))
        return;
    auto row = context.store.read_value<CampaignRecord>(
        [&](StoreTransaction& transaction) { return transaction.campaign_by_id(path_match(request, 1)); });
    if (!row)
        return send_error(response, row.error());
    send_json(response, 200, campaign_json(*row));
}

void create_campaign(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::EditContent);
    if (!caller)
        return;
    auto body = parse_json_body(request, response, "a campaign JSON object");
    if (!body)
        return;
    auto campaign = scheduler::campaign_from_json(strip_record_fields(*body, campaign_record_fields));
    if (!campaign)
        return send_bad_request(response, campaign.error().detail);
    auto created = context.approval.create(caller->user, std::move(*campaign));
    if (!created)
        return send_error(response, created.error());
    send_json(response, 201, campaign_json(*created));
}

void update_campaign(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::EditContent);
    if (!caller)
        return;
    auto body = parse_json_body(request, response, "a JSON object with version and the campaign");
    if (!body)
        return;
    auto version = body_version(*body, response);
    if (!version)
        return;
    nlohmann::json fields = strip_record_fields(*body, campaign_record_fields);
    if (!reconcile_id(fields, path_match(request, 1), response))
        return;
    auto campaign = scheduler::campaign_from_json(fields);
    if (!campaign)
        return send_bad_request(response, campaign.error().detail);
    auto edited = context.approval.edit(caller->user, std::move(*campaign), *version);
    if (!edited)
        return send_error(response, edited.error());
    send_json(response, 200, campaign_json(*edited));
}

enum class Step { Submit, Approve, Reject, Archive };

void campaign_step(ApiContext& context, const Request& request, Response& response, Step step) {
    const Action action = step == Step::Submit    ? Action::EditContent
                          : step == Step::Archive ? Action::ArchiveContent
                                                  : Action::DecideContent;
    auto caller = authorize(context, request, response, action);
    if (!caller)
        return;
    // {"version": n} makes the step refuse (409) when the campaign changed since that version
    // was read. An approver's decision must name it: it signs off what they reviewed, never a
    // version resubmitted meanwhile. Submit and archive may leave it out (the current version).
    auto body = parse_optional_json_body(request, response);
    if (!body)
        return;
    const std::string id = path_match(request, 1);
    auto given_version = optional_integer(*body, "version");
    if (!given_version)
        return send_bad_request(response, given_version.error().detail);
    std::optional<std::int64_t> version = *given_version;
    if (!version && (step == Step::Approve || step == Step::Reject))
        return send_bad_request(response,
                                "version: required to approve or reject (the version you reviewed, "
                                "from the last GET)");
    if (!version) {
        auto current = context.store.read_value<CampaignRecord>(
            [&](StoreTransaction& transaction) { return transaction.campaign_by_id(id); });
        if (!current)
            return send_error(response, current.error());
        version = current->version;
    }
    Result<CampaignRecord> result = fail(Errc::Internal, "unreachable");
    switch (step) {
        case Step::Submit: result = context.approval.submit(caller->user, id, *version); break;
        case Step::Approve: {
            auto note = optional_string(*body, "note");
            if (!note)
                return send_bad_request(response, note.error().detail);
            result = context.approval.approve(caller->user, id, *version, note->value_or(""));
            break;
        }
        case Step::Reject: {
            auto reason = optional_string(*body, "reason");
            if (!reason)
                return send_bad_request(response, reason.error().detail);
            result = context.approval.reject(caller->user, id, *version, reason->value_or(""));
            break;
        }
        case Step::Archive: result = context.approval.archive(caller->user, id, *version); break;
    }
    if (!result)
        return send_error(response, result.error());
    if (step == Step::Approve || step == Step::Archive)
        context.on_campaigns_changed({id});
    send_json(response, 200, campaign_json(*result));
}

// ---- preview and conflicts ----

nlohmann::ordered_json entry_json(const scheduler::TimelineEntry& entry) {
    return nlohmann::ordered_json{{"start", format_utc(entry.start)},
                                  {"end", format_utc(entry.end)},
                                  {"source_kind", std::string{scheduler::to_string(entry.source_kind)}},
                                  {"source", std::string{entry.source_id}},
                                  {"item", entry.item_index},
                                  {"media", std::string{entry.media}},
                                  {"reason", std::string{scheduler::to_string(entry.reason)}},
                                  {"ending", std::string{scheduler::to_string(entry.ending)}},
                                  {"due", format_utc(entry.due)}};
}

bool may_see_drafts(const User& user) {
    return allowed(user.role, Action::EditContent) || allowed(user.role, Action::DecideContent);
}

void device_timeline(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::Read);
    if (!caller)
        return;
    const std::string id = path_match(request, 1);
    auto device = context.store.read_value<DeviceRecord>(
        [&](StoreTransaction& transaction) { return transaction.device_by_id(id); });
    if (!device)
        return send_error(response, device.error());

    std::chrono::year_month_day day{};
    if (request.has_param("day")) {
        auto parsed = parse_day(request.get_param_value("day"), "day");
        if (!parsed)
            return send_error(response, parsed.error());
        day = *parsed;
    } else {
        auto today = today_in(device->device.time_zone, context.clock.wall());
        if (!today)
            return send_error(response, today.error());
        day = *today;
    }
    bool drafts = may_see_drafts(caller->user);
    if (request.has_param("drafts")) {
        const std::string value = request.get_param_value("drafts");
        if (value != "0" && value != "1")
            return send_error(response, 422, "invalid-input", "drafts: expected 0 or 1");
        drafts = drafts && value == "1";
    }
    auto range = local_day_range(device->device.time_zone, day);
    if (!range)
        return send_error(response, range.error());

    ModelOptions options;
    options.campaigns = drafts ? CampaignSelection::NotArchived : CampaignSelection::Approved;
    options.active_alerts_at = context.clock.wall();
    auto model = build_model(context.store, options);
    if (!model)
        return send_error(response, model.error());
    auto resolver = scheduler::Resolver::create(std::move(*model), scheduler::ResolveOptions{drafts});
    if (!resolver)
        return send_error(response, 409, "model-invalid",
                          "the stored schedule does not validate: " + resolver.error().detail);
    auto entries = resolver->resolve(device->device, range->first, range->second);
    if (!entries)
        return send_error(response, entries.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& entry : *entries) items.push_back(entry_json(entry));
    send_json(response, 200,
              nlohmann::ordered_json{{"device", id},
                                     {"day", format_date(day)},
                                     {"time_zone", device->device.time_zone},
                                     {"from", format_utc(range->first)},
                                     {"to", format_utc(range->second)},
                                     {"drafts_included", drafts},
                                     {"entries", std::move(items)}});
}

void campaign_conflicts(ApiContext& context, const Request& request, Response& response) {
    if (!authorize(context, request, response, Action::Read))
        return;
    const std::string id = path_match(request, 1);
    auto campaign = context.store.read_value<CampaignRecord>(
        [&](StoreTransaction& transaction) { return transaction.campaign_by_id(id); });
    if (!campaign)
        return send_error(response, campaign.error());
    std::chrono::year_month_day first_day{};
    if (request.has_param("day")) {
        auto parsed = parse_day(request.get_param_value("day"), "day");
        if (!parsed)
            return send_error(response, parsed.error());
        first_day = *parsed;
    } else {
        auto today = today_in(context.config.devices.default_time_zone, context.clock.wall());
        if (!today)
            return send_error(response, today.error());
        first_day = *today;
    }
    int days = 14;
    if (request.has_param("days")) {
        const std::string text = request.get_param_value("days");
        int parsed = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        if (error != std::errc{} || end != text.data() + text.size() || parsed < 1 ||
            parsed > max_conflict_days)
            return send_error(response, 422, "invalid-input",
                              "days: expected an integer from 1 to " + std::to_string(max_conflict_days));
        days = parsed;
    }
    ModelOptions options;
    options.campaigns = CampaignSelection::NotArchived;
    auto model = build_model(context.store, options);
    if (!model)
        return send_error(response, model.error());
    // An archived campaign is not in the model; checking it means checking it as it was.
    if (campaign->campaign.approval == scheduler::ApprovalState::Archived)
        model->campaigns.push_back(campaign->campaign);
    auto resolver = scheduler::Resolver::create(std::move(*model), scheduler::ResolveOptions{true});
    if (!resolver)
        return send_error(response, 409, "model-invalid",
                          "the stored schedule does not validate: " + resolver.error().detail);
    auto conflicts = scheduler::find_conflicts(*resolver, id, first_day, days);
    if (!conflicts)
        return send_error(response, conflicts.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& conflict : *conflicts) {
        items.push_back(nlohmann::ordered_json{
            {"kind", std::string{scheduler::to_string(conflict.kind)}},
            {"severity", std::string{scheduler::to_string(conflict.severity)}},
            {"campaign", conflict.campaign},
            {"other_campaign", conflict.other_campaign.empty()
                                   ? nlohmann::ordered_json(nullptr)
                                   : nlohmann::ordered_json(conflict.other_campaign)},
            {"device", conflict.device.empty() ? nlohmann::ordered_json(nullptr)
                                               : nlohmann::ordered_json(conflict.device)},
            {"at", conflict.at ? nlohmann::ordered_json(format_utc(*conflict.at))
                               : nlohmann::ordered_json(nullptr)},
            {"message", conflict.message}});
    }
    send_json(response, 200,
              nlohmann::ordered_json{{"campaign", id},
                                     {"first_day", format_date(first_day)},
                                     {"days", days},
                                     {"conflicts", std::move(items)}});
}

// ---- zones and tags ----

void list_zones(ApiContext& context, const Request& request, Response& response) {
    if (!authorize(context, request, response, Action::Read))
        return;
    auto page = parse_page(request);
    if (!page)
        return send_error(response, page.error());
    auto zones = context.store.read_value<std::vector<ZoneRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_zones(); });
    if (!zones)
        return send_error(response, zones.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    const auto first = static_cast<std::size_t>(page->offset);
    for (std::size_t index = first;
         index < zones->size() && index <= first + static_cast<std::size_t>(page->limit); ++index)
        items.push_back(zone_json((*zones)[index]));
    send_page(response, *page, std::move(items));
}

void get_zone(ApiContext& context, const Request& request, Response& response) {
    if (!authorize(context, request, response, Action::Read))
        return;
    auto zone = context.store.read_value<ZoneRecord>(
        [&](StoreTransaction& transaction) { return transaction.zone_by_id(path_match(request, 1)); });
    if (!zone)
        return send_error(response, zone.error());
    send_json(response, 200, zone_json(*zone));
}

void create_zone(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::ManageDevices);
    if (!caller)
        return;
    auto body = parse_json_body(request, response, "a JSON object with id and name");
    if (!body)
        return;
    for (const auto& [key, value] : body->items()) {
        if (key != "id" && key != "name")
            return send_bad_request(response, key + ": unknown field (id and name are accepted)");
    }
    auto id = required_string(*body, "id");
    if (!id)
        return send_bad_request(response, id.error().detail);
    auto name = optional_string(*body, "name");
    if (!name)
        return send_bad_request(response, name.error().detail);
    if (auto valid = check_identifier(*id, "id"); !valid)
        return send_error(response, valid.error());
    ZoneRecord zone{*id, name->value_or(*id)};
    auto done = context.store.write([&](StoreTransaction& transaction) -> Result<void> {
        if (auto inserted = transaction.insert_zone(zone); !inserted)
            return inserted;
        auto audited = transaction.append_audit(
            audit_entry(context, caller->user, "zone.create", "zone", zone.id, "",
                        zone_json(zone).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
        if (!audited)
            return std::unexpected(audited.error());
        return {};
    });
    if (!done)
        return send_error(response, done.error());
    send_json(response, 201, zone_json(zone));
}

void update_zone(ApiContext& context, const Request& request, Response& response) {
    auto caller = authorize(context, request, response, Action::ManageDevices);
    if (!caller)
        return;
    auto body = parse_json_body(request, response, "a JSON object with name");
    if (!body)
        return;
    for (const auto& [key, value] : body->items()) {
        if (key != "id" && key != "name")
            return send_bad_request(response, key + ": unknown field (name can be changed)");
    }
    nlohmann::json fields = *body;
    const std::string id = path_match(request, 1);
    if (!reconcile_id(fields, id, response))
        return;
    auto name = required_string(fields, "name");
    if (!name)
        return send_bad_request(response, name.error().detail);
    auto updated =
        context.store.write_value<ZoneRecord>([&](StoreTransaction& transaction) -> Result<ZoneRecord> {
            auto before = transaction.zone_by_id(id);
            if (!before)
                return std::unexpected(before.error());
            ZoneRecord zone{id, *name};
            if (auto stored = transaction.update_zone(zone); !stored)
                return std::unexpected(stored.error());
            auto audited = transaction.append_audit(
                audit_entry(context, caller->user, "zone.edit", "zone", id,
                            zone_json(*before).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                            zone_json(zone).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
            if (!audited)
                return std::unexpected(audited.error());
            return zone;
        });
    if (!updated)
        return send_error(response, updated.error());
    send_json(response, 200, zone_json(*updated));
}

// Tags are free labels on devices and campaign targets, not rows of their own: this lists the
// ones in use with how many devices carry each and how many live campaigns target it.
void list_tags(ApiContext& context, const Request& request, Response& response) {
    if (!authorize(context, request, response, Action::Read))
        return;
    ModelOptions options;
    options.campaigns = CampaignSelection::NotArchived;
    options.revoked = RevokedDevices::Exclude;
    auto model = build_model(context.store, options);
    if (!model)
        return send_error(response, model.error());
    std::map<std::string, std::pair<int, int>> counts;
    for (const auto& device : model->devices) {
        for (const auto& tag : std::set<std::string>(device.tags.begin(), device.tags.end()))
            ++counts[tag].first;
    }
    for (const auto& campaign : model->campaigns) {
        for (const auto& tag :
             std::set<std::string>(campaign.targets.tags.begin(), campaign.targets.tags.end()))
            ++counts[tag].second;
    }
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& [tag, count] : counts)
        items.push_back(
            nlohmann::ordered_json{{"tag", tag}, {"devices", count.first}, {"campaigns", count.second}});
    send_json(response, 200, nlohmann::ordered_json{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

}  // namespace

void register_schedule_routes(ApiServer& server, ApiContext& context) {
    auto& http = server.http();
    ApiContext* shared = &context;
    auto bind = [shared](void (*handler)(ApiContext&, const Request&, Response&)) {
        return [shared, handler](const Request& request, Response& response) {
            handler(*shared, request, response);
        };
    };
    auto bind_step = [shared](Step step) {
        return [shared, step](const Request& request, Response& response) {
            campaign_step(*shared, request, response, step);
        };
    };
    const std::string id{id_pattern};
    http.Get(route("/playlists"), bind(list_playlists));
    http.Post(route("/playlists"), bind(create_playlist));
    http.Get(route("/playlists/") + id, bind(get_playlist));
    http.Put(route("/playlists/") + id, bind(update_playlist));

    http.Get(route("/campaigns"), bind(list_campaigns));
    http.Post(route("/campaigns"), bind(create_campaign));
    http.Get(route("/campaigns/") + id, bind(get_campaign));
    http.Put(route("/campaigns/") + id, bind(update_campaign));
    http.Post(route("/campaigns/") + id + "/submit", bind_step(Step::Submit));
    http.Post(route("/campaigns/") + id + "/approve", bind_step(Step::Approve));
    http.Post(route("/campaigns/") + id + "/reject", bind_step(Step::Reject));
    http.Post(route("/campaigns/") + id + "/archive", bind_step(Step::Archive));
    http.Get(route("/campaigns/") + id + "/conflicts", bind(campaign_conflicts));

    http.Get(route("/zones"), bind(list_zones));
    http.Post(route("/zones"), bind(create_zone));
    http.Get(route("/zones/") + id, bind(get_zone));
    http.Put(route("/zones/") + id, bind(update_zone));
    http.Get(route("/tags"), bind(list_tags));

    http.Get(route("/devices/") + id + "/timeline", bind(device_timeline));
}

}  // namespace bantin::controller::api
