// Routes: /playlists, /campaigns (with submit, approve, reject and archive), /zones and /tags.
// The preview routes (a device's timeline, a campaign's conflicts) are api_content_preview.cpp.
#include "api_content.hpp"
#include "api_route.hpp"
#include "api_schedule_handlers.hpp"

#include "bantin/controller/model_builder.hpp"
#include "bantin/scheduler/json.hpp"

#include <map>
#include <set>

namespace bantin::controller::api {

namespace {

// Fields of the stored records that clients see next to the scheduler's fields and may send
// back unchanged; they are never taken from a request.
constexpr std::string_view playlist_record_fields[] = {"version", "created_by", "created", "updated"};
constexpr std::string_view campaign_record_fields[] = {
    "version", "author",  "last_editor", "submitted_by", "decided_by", "decision_note",
    "created", "updated", "submitted",   "decided",      "archived",   "approved"};

// The request body without the record fields: the scheduler object it carries.
template <std::size_t N>
nlohmann::json strip_record_fields(nlohmann::json body, const std::string_view (&fields)[N]) {
    for (auto field : fields) body.erase(std::string{field});
    return body;
}

// The scheduler object of an edit (PUT) and the version the client edited. The path id wins; a
// body naming another id is a mistake worth refusing.
template <std::size_t N>
std::expected<std::pair<std::int64_t, nlohmann::json>, Refusal> edit_body(
    const Call& call, const std::string_view (&fields)[N]) {
    auto version = call.body.find("version");
    if (version == call.body.end() || !version->is_number_integer())
        return std::unexpected(Refusal::bad_request(
            "version: required, an integer (the version you edited, from the last GET)"));
    nlohmann::json object = strip_record_fields(call.body, fields);
    const std::string id = call.capture(1);
    if (auto found = object.find("id"); found != object.end() && !(found->is_string() && *found == id))
        return std::unexpected(
            Refusal::bad_request("id: does not match the id in the path (\"" + id + "\")"));
    object["id"] = id;
    return std::pair{version->get<std::int64_t>(), std::move(object)};
}

std::string audit_text(const nlohmann::ordered_json& json) {
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The approved or submitted campaigns that play this playlist (an approved version kept while a
// newer one awaits approval counts): editing it would change what an approver already signed off.
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

}  // namespace

namespace schedule {

// ---- playlists ----

// A stream has no natural length, so an item that plays one says how long it is relayed (the
// resolver plans every item by its duration). Every such item is named at once; items whose
// media is unknown are left to insert/update_playlist, which names them.
Result<void> check_stream_items(StoreTransaction& transaction, const scheduler::Playlist& playlist) {
    std::string problems;
    for (std::size_t i = 0; i < playlist.items.size(); ++i) {
        const auto& item = playlist.items[i];
        if (item.duration)
            continue;
        auto media = transaction.media_by_sha256(item.media);
        if (!media && media.error().code != Errc::NotFound)
            return std::unexpected(media.error());
        if (!media || media->media.type != scheduler::MediaType::Stream)
            continue;
        problems += (problems.empty() ? "" : "; ") + ("items[" + std::to_string(i) + "].duration_ms: ") +
                    "luồng \"" + media->media.name +
                    "\" cần thời lượng tiếp sóng (ví dụ 1800000 cho 30 phút); a stream has no natural "
                    "length: say how long it is relayed";
    }
    if (!problems.empty())
        return fail(Errc::InvalidInput, problems);
    return {};
}

namespace {

// A ticker campaign scrolls a line of text (docs/scheduling.md, "Regions"): every item of its
// playlist is a text notice. Every other item is named at once; items whose media is unknown
// are left to the store, which names them.
Result<void> check_ticker_items(StoreTransaction& transaction, const scheduler::Playlist& playlist,
                                std::string_view prefix) {
    std::string problems;
    for (std::size_t i = 0; i < playlist.items.size(); ++i) {
        auto media = transaction.media_by_sha256(playlist.items[i].media);
        if (!media && media.error().code != Errc::NotFound)
            return std::unexpected(media.error());
        if (!media || media->media.type == scheduler::MediaType::Text)
            continue;
        const std::string type{scheduler::to_string(media->media.type)};
        problems += (problems.empty() ? "" : "; ") + std::string{prefix} + "items[" + std::to_string(i) +
                    "]: chữ chạy chỉ hiện thông báo chữ, \"" + media->media.name + "\" là " + type +
                    "; a ticker shows text notices only, \"" + media->media.name + "\" is " + type;
    }
    if (!problems.empty())
        return fail(Errc::InvalidInput, problems);
    return {};
}

// The ticker campaigns, archived ones aside, that play this playlist.
Result<std::vector<std::string>> ticker_users_of(StoreTransaction& transaction, const std::string& playlist) {
    std::vector<std::string> ids;
    for (Page page{500, 0};; page.offset += 500) {
        auto rows = transaction.list_campaigns(CampaignFilter{}, page);
        if (!rows)
            return std::unexpected(rows.error());
        for (const auto& row : *rows) {
            if (row.campaign.playlist == playlist && row.campaign.region == scheduler::Region::Ticker &&
                row.campaign.approval != scheduler::ApprovalState::Archived)
                ids.push_back(row.campaign.id);
        }
        if (rows->size() < 500)
            break;
    }
    return ids;
}

// A campaign's region, before the model's decoder reads it: an unknown name is a value the
// rules refuse (422, in both languages), not a malformed body.
std::optional<Refusal> region_refusal(const nlohmann::json& body) {
    auto found = body.find("region");
    if (found == body.end() || !found->is_string() ||
        scheduler::value_in(scheduler::region_names, found->get<std::string>()))
        return std::nullopt;
    const std::string got = found->get<std::string>();
    return Refusal::invalid("region: vùng phát là main (vùng chính) hoặc ticker (chữ chạy), không phải \"" +
                            got + "\"; expected main or ticker, got \"" + got + "\"");
}

// A ticker campaign's playlist holds text only (its playlist unknown: left to the store).
std::optional<Refusal> ticker_refusal(Call& call, const scheduler::Campaign& campaign) {
    if (campaign.region != scheduler::Region::Ticker)
        return std::nullopt;
    auto checked = call.context.store.read([&](StoreTransaction& transaction) -> Result<void> {
        auto playlist = transaction.playlist_by_id(campaign.playlist);
        if (!playlist)
            return playlist.error().code == Errc::NotFound ? Result<void>{}
                                                           : std::unexpected(playlist.error());
        return check_ticker_items(transaction, playlist->playlist, "playlist \"" + campaign.playlist + "\" ");
    });
    if (!checked)
        return Refusal(checked.error());  // InvalidInput: 422
    return std::nullopt;
}

}  // namespace

Answer list_playlists(Call& call) {
    return list_page<PlaylistRecord>(
        call, [](StoreTransaction& transaction, Page page) { return transaction.list_playlists(page); },
        playlist_json);
}

Answer get_playlist(Call& call) {
    return show_one<PlaylistRecord>(
        call, [&](StoreTransaction& transaction) { return transaction.playlist_by_id(call.capture(1)); },
        playlist_json);
}

Answer create_playlist(Call& call) {
    auto playlist = scheduler::playlist_from_json(strip_record_fields(call.body, playlist_record_fields));
    if (!playlist)
        return refuse(Refusal::bad_request(playlist.error().detail));
    if (auto valid = check_identifier(playlist->id, "id"); !valid)
        return refuse(valid.error());
    PlaylistRecord record;
    record.playlist = std::move(*playlist);
    record.created_by = call.user.user.id;
    record.created = record.updated = call.context.clock.wall();
    record.version = 1;
    auto done = call.context.store.write([&](StoreTransaction& transaction) -> Result<void> {
        if (auto streams = check_stream_items(transaction, record.playlist); !streams)
            return streams;
        if (auto inserted = transaction.insert_playlist(record); !inserted)
            return inserted;
        auto audited =
            transaction.append_audit(audit_entry(call.context, call.user.user, "playlist.create", "playlist",
                                                 record.playlist.id, "", audit_text(playlist_json(record))));
        if (!audited)
            return std::unexpected(audited.error());
        return {};
    });
    if (!done)
        return refuse(done.error());
    return ok(playlist_json(record), 201);
}

Answer update_playlist(Call& call) {
    auto edit = edit_body(call, playlist_record_fields);
    if (!edit)
        return refuse(edit.error());
    const auto& [version, fields] = *edit;
    auto playlist = scheduler::playlist_from_json(fields);
    if (!playlist)
        return refuse(Refusal::bad_request(playlist.error().detail));
    const std::string id = call.capture(1);
    auto updated = call.context.store.write_value<PlaylistRecord>(
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
            if (auto streams = check_stream_items(transaction, *playlist); !streams)
                return std::unexpected(streams.error());
            auto tickers = ticker_users_of(transaction, id);
            if (!tickers)
                return std::unexpected(tickers.error());
            if (!tickers->empty()) {
                if (auto text_only = check_ticker_items(transaction, *playlist,
                                                        "campaign \"" + tickers->front() + "\" (ticker): ");
                    !text_only)
                    return std::unexpected(text_only.error());
            }
            PlaylistRecord record = *before;
            record.playlist = *playlist;
            record.updated = call.context.clock.wall();
            auto stored = transaction.update_playlist(record, version);
            if (!stored)
                return std::unexpected(stored.error());
            auto audited = transaction.append_audit(
                audit_entry(call.context, call.user.user, "playlist.edit", "playlist", id,
                            audit_text(playlist_json(*before)), audit_text(playlist_json(*stored))));
            if (!audited)
                return std::unexpected(audited.error());
            return stored;
        });
    if (!updated)
        return refuse(updated.error());
    return ok(playlist_json(*updated));
}

// ---- campaigns ----

Answer list_campaigns(Call& call) {
    CampaignFilter filter;
    if (auto state = call.parameter("approval")) {
        for (auto candidate : {scheduler::ApprovalState::Draft, scheduler::ApprovalState::Submitted,
                               scheduler::ApprovalState::Approved, scheduler::ApprovalState::Rejected,
                               scheduler::ApprovalState::Archived})
            if (scheduler::to_string(candidate) == *state)
                filter.approval = candidate;
        if (!filter.approval)
            return refuse(
                Refusal::invalid("approval: expected draft, submitted, approved, rejected or archived"));
    }
    return list_page<CampaignRecord>(
        call,
        [&](StoreTransaction& transaction, Page page) { return transaction.list_campaigns(filter, page); },
        campaign_json);
}

Answer get_campaign(Call& call) {
    return show_one<CampaignRecord>(
        call, [&](StoreTransaction& transaction) { return transaction.campaign_by_id(call.capture(1)); },
        campaign_json);
}

Answer create_campaign(Call& call) {
    if (auto refused = region_refusal(call.body))
        return refuse(*refused);
    auto campaign = scheduler::campaign_from_json(strip_record_fields(call.body, campaign_record_fields));
    if (!campaign)
        return refuse(Refusal::bad_request(campaign.error().detail));
    if (auto refused = ticker_refusal(call, *campaign))
        return refuse(*refused);
    auto created = call.context.approval.create(call.user.user, std::move(*campaign));
    if (!created)
        return refuse(created.error());
    return ok(campaign_json(*created), 201);
}

Answer update_campaign(Call& call) {
    auto edit = edit_body(call, campaign_record_fields);
    if (!edit)
        return refuse(edit.error());
    if (auto refused = region_refusal(edit->second))
        return refuse(*refused);
    auto campaign = scheduler::campaign_from_json(edit->second);
    if (!campaign)
        return refuse(Refusal::bad_request(campaign.error().detail));
    if (auto refused = ticker_refusal(call, *campaign))
        return refuse(*refused);
    auto edited = call.context.approval.edit(call.user.user, std::move(*campaign), edit->first);
    if (!edited)
        return refuse(edited.error());
    return ok(campaign_json(*edited));
}

// {"version": n} makes the step refuse (409) when the campaign changed since that version was
// read. An approver's decision must name it: it signs off what they reviewed, never a version
// resubmitted meanwhile. Submit and archive may leave it out (the current version). Approve
// takes a "note", reject a "reason".
Answer campaign_step(Call& call, Step step) {
    BodyFields fields = call.fields();
    std::optional<std::int64_t> version = fields.optional_integer("version");
    std::string words;
    if (step == Step::Approve)
        words = fields.optional_string("note").value_or("");
    else if (step == Step::Reject)
        words = fields.optional_string("reason").value_or("");
    if (auto refused = fields.refusal())
        return refuse(*refused);
    if (!version && (step == Step::Approve || step == Step::Reject))
        return refuse(Refusal::bad_request(
            "version: required to approve or reject (the version you reviewed, from the last GET)"));
    const std::string id = call.capture(1);
    if (!version) {
        auto current = call.context.store.read_value<CampaignRecord>(
            [&](StoreTransaction& transaction) { return transaction.campaign_by_id(id); });
        if (!current)
            return refuse(current.error());
        version = current->version;
    }
    ApprovalService& approval = call.context.approval;
    const User& user = call.user.user;
    Result<CampaignRecord> result = fail(Errc::Internal, "unreachable");
    switch (step) {
        case Step::Submit: result = approval.submit(user, id, *version); break;
        case Step::Approve: result = approval.approve(user, id, *version, words); break;
        case Step::Reject: result = approval.reject(user, id, *version, words); break;
        case Step::Archive: result = approval.archive(user, id, *version); break;
    }
    if (!result)
        return refuse(result.error());
    if (step == Step::Approve || step == Step::Archive)
        call.context.on_campaigns_changed({id});
    return ok(campaign_json(*result));
}

// ---- zones and tags ----

Answer list_zones(Call& call) {
    auto page = parse_page(call);
    if (!page)
        return refuse(page.error());
    auto zones = call.context.store.read_value<std::vector<ZoneRecord>>(
        [&](StoreTransaction& transaction) { return transaction.list_zones(); });
    if (!zones)
        return refuse(zones.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    const auto first = static_cast<std::size_t>(page->offset);
    for (std::size_t index = first;
         index < zones->size() && index <= first + static_cast<std::size_t>(page->limit); ++index)
        items.push_back(zone_json((*zones)[index]));
    return ok(page_json(*page, std::move(items)));
}

Answer get_zone(Call& call) {
    return show_one<ZoneRecord>(
        call, [&](StoreTransaction& transaction) { return transaction.zone_by_id(call.capture(1)); },
        zone_json);
}

Answer create_zone(Call& call) {
    BodyFields fields = call.fields();
    const std::string id = fields.required_string("id");
    const auto name = fields.optional_string("name");
    if (auto refused = fields.refusal())
        return refuse(*refused);
    if (auto valid = check_identifier(id, "id"); !valid)
        return refuse(valid.error());
    ZoneRecord zone{id, name.value_or(id)};
    auto done = call.context.store.write([&](StoreTransaction& transaction) -> Result<void> {
        if (auto inserted = transaction.insert_zone(zone); !inserted)
            return inserted;
        auto audited = transaction.append_audit(audit_entry(
            call.context, call.user.user, "zone.create", "zone", zone.id, "", audit_text(zone_json(zone))));
        if (!audited)
            return std::unexpected(audited.error());
        return {};
    });
    if (!done)
        return refuse(done.error());
    return ok(zone_json(zone), 201);
}

Answer update_zone(Call& call) {
    const std::string id = call.capture(1);
    BodyFields fields = call.fields();
    const auto body_id = fields.optional_string("id");
    const std::string name = fields.required_string("name");
    if (body_id && *body_id != id)
        fields.problem("id: does not match the id in the path (\"" + id + "\")");
    if (auto refused = fields.refusal())
        return refuse(*refused);
    auto updated =
        call.context.store.write_value<ZoneRecord>([&](StoreTransaction& transaction) -> Result<ZoneRecord> {
            auto before = transaction.zone_by_id(id);
            if (!before)
                return std::unexpected(before.error());
            ZoneRecord zone{id, name};
            if (auto stored = transaction.update_zone(zone); !stored)
                return std::unexpected(stored.error());
            auto audited = transaction.append_audit(audit_entry(call.context, call.user.user, "zone.edit",
                                                                "zone", id, audit_text(zone_json(*before)),
                                                                audit_text(zone_json(zone))));
            if (!audited)
                return std::unexpected(audited.error());
            return zone;
        });
    if (!updated)
        return refuse(updated.error());
    call.context.on_zone_renamed(id);
    return ok(zone_json(*updated));
}

// Tags are free labels on devices and campaign targets, not rows of their own: this lists the
// ones in use with how many devices carry each and how many live campaigns target it.
Answer list_tags(Call& call) {
    ModelOptions options;
    options.campaigns = CampaignSelection::NotArchived;
    options.revoked = RevokedDevices::Exclude;
    auto model = build_model(call.context.store, options);
    if (!model)
        return refuse(model.error());
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
    return ok({{"items", std::move(items)}, {"next_cursor", nullptr}});
}

}  // namespace schedule

void register_schedule_routes(ApiServer& server, ApiContext& context) {
    using namespace schedule;
    Routes routes(server, context);
    const std::string id{id_pattern};
    const RouteRule read{Action::Read};
    auto step = [](Step which) { return [which](Call& call) { return campaign_step(call, which); }; };
    auto steps_as = [](Action action) { return RouteRule{action, BodyRule::Optional}; };
    routes.get(route("/playlists"), read, list_playlists);
    routes.post(route("/playlists"),
                {Action::EditContent, BodyRule::Required, "a playlist JSON object with id and items"},
                create_playlist);
    routes.get(route("/playlists/") + id, read, get_playlist);
    routes.put(route("/playlists/") + id,
               {Action::EditContent, BodyRule::Required, "a JSON object with version and the playlist"},
               update_playlist);

    routes.get(route("/campaigns"), read, list_campaigns);
    routes.post(route("/campaigns"), {Action::EditContent, BodyRule::Required, "a campaign JSON object"},
                create_campaign);
    routes.get(route("/campaigns/") + id, read, get_campaign);
    routes.put(route("/campaigns/") + id,
               {Action::EditContent, BodyRule::Required, "a JSON object with version and the campaign"},
               update_campaign);
    routes.post(route("/campaigns/") + id + "/submit", steps_as(Action::EditContent), step(Step::Submit));
    routes.post(route("/campaigns/") + id + "/approve", steps_as(Action::DecideContent), step(Step::Approve));
    routes.post(route("/campaigns/") + id + "/reject", steps_as(Action::DecideContent), step(Step::Reject));
    routes.post(route("/campaigns/") + id + "/archive", steps_as(Action::ArchiveContent),
                step(Step::Archive));

    routes.get(route("/zones"), read, list_zones);
    routes.post(route("/zones"),
                {Action::ManageDevices, BodyRule::Required, "a JSON object with id and name"}, create_zone);
    routes.get(route("/zones/") + id, read, get_zone);
    routes.put(route("/zones/") + id, {Action::ManageDevices, BodyRule::Required, "a JSON object with name"},
               update_zone);
    routes.get(route("/tags"), read, list_tags);

    register_preview_routes(routes);
    register_notice_preview_routes(routes);
}

}  // namespace bantin::controller::api
