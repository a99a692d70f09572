// media, notice, playlist and campaign commands (docs/cli.md).
#include "http_support.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace bantin::cli::detail {

namespace fs = std::filesystem;

namespace {

// --- media -------------------------------------------------------------------------------------

struct UploadOptions {
    std::string file;
    std::string name;
};

Outcome<void> media_upload(Context& context, const UploadOptions& options) {
    std::error_code error;
    if (!fs::is_regular_file(options.file, error))
        return refuse(ExitStatus::Usage, options.file + ": not a readable file");
    // The server answers 401/403 before reading the body and closes the connection, which a
    // streaming client sees only as a broken send: ask who we are first for a clear answer.
    auto me = context.get("/auth/me");
    if (!me)
        return std::unexpected(me.error());
    auto client = context.signed_in();
    if (!client)
        return std::unexpected(client.error());
    const std::string name = options.name.empty() ? fs::path{options.file}.filename().string() : options.name;
    auto reply = (*client)->post_file("/media", {{"name", name}}, options.file);
    if (!reply)
        return std::unexpected(reply.error());
    auto body = expect_success(*reply);
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    context.out() << cell(*body, "sha256") << "  " << cell(*body, "type") << "  "
                  << cell(*body, "duration_ms") << " ms  " << cell(*body, "name")
                  << (reply->status == 200 ? "  (already stored)" : "  (stored)") << "\n";
    return {};
}

Outcome<void> media_list(Context& context, const PageOptions& page_options) {
    auto page = context.get("/media", page_query(page_options));
    if (!page)
        return std::unexpected(page.error());
    if (context.print_json(*page))
        return {};
    std::vector<std::vector<std::string>> rows;
    for (const auto& media : (*page)["items"])
        rows.push_back({cell(media, "sha256"), cell(media, "type"), cell(media, "duration_ms"),
                        cell(media, "size"), cell(media, "name"), cell(media, "created")});
    print_table(context.out(), {"SHA256", "TYPE", "DURATION_MS", "SIZE", "NAME", "CREATED"}, rows);
    print_more(context.out(), *page);
    return {};
}

// --- notices -----------------------------------------------------------------------------------

struct NoticeOptions {
    std::string text;
    std::string voice;
    std::string name;
};

Outcome<void> notice_create(Context& context, const NoticeOptions& options) {
    nlohmann::json request{{"text", options.text}};
    if (!options.voice.empty())
        request["voice"] = options.voice;
    if (!options.name.empty())
        request["name"] = options.name;
    auto body = context.post("/notices", request);
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    context.out() << "notice " << cell(*body, "sha256") << ", spoken as " << cell(*body, "tts_media") << " ("
                  << cell(*body, "duration_ms") << " ms)\n";
    return {};
}

// --- playlists ---------------------------------------------------------------------------------

struct PlaylistOptions {
    std::string id;
    std::string name;
    std::vector<std::string> items;
};

bool is_sha256(const std::string& text) {
    return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Outcome<std::int64_t> positive_number(const std::string& text, const std::string& what) {
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoll(text) <= 0)
        return refuse(ExitStatus::Usage, what + ": expected a positive whole number, got \"" + text + "\"");
    return std::stoll(text);
}

// SHA[:duration_ms[:weight]]
Outcome<nlohmann::json> parse_item(const std::string& text) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream input{text};
    while (std::getline(input, part, ':')) parts.push_back(part);
    if (parts.empty() || parts.size() > 3 || !is_sha256(parts[0]))
        return refuse(ExitStatus::Usage,
                      "--item: expected SHA256[:duration_ms[:weight]] with 64 lowercase hex digits, got \"" +
                          text + "\"");
    nlohmann::json item{{"media", parts[0]}};
    if (parts.size() > 1 && !parts[1].empty()) {
        auto duration = positive_number(parts[1], "--item " + text + ": duration_ms");
        if (!duration)
            return std::unexpected(duration.error());
        item["duration_ms"] = *duration;
    }
    if (parts.size() > 2 && !parts[2].empty()) {
        auto weight = positive_number(parts[2], "--item " + text + ": weight");
        if (!weight)
            return std::unexpected(weight.error());
        item["weight"] = *weight;
    }
    return item;
}

// "Bản tin sáng" → "b-n-tin-s-ng" is useless, so only ASCII names give an id by themselves.
std::string id_from_name(const std::string& name) {
    std::string id;
    for (const char character : name) {
        const auto c = static_cast<unsigned char>(character);
        if (std::isalnum(c))
            id.push_back(static_cast<char>(std::tolower(c)));
        else if (c >= 0x80)
            return {};
        else if (!id.empty() && id.back() != '-')
            id.push_back('-');
    }
    while (!id.empty() && id.back() == '-') id.pop_back();
    return id.size() > 64 ? std::string{} : id;
}

Outcome<void> playlist_create(Context& context, const PlaylistOptions& options) {
    const std::string id = options.id.empty() ? id_from_name(options.name) : options.id;
    if (id.empty())
        return refuse(ExitStatus::Usage, "--id: required when the name is not plain ASCII");
    nlohmann::json items = nlohmann::json::array();
    for (const auto& text : options.items) {
        auto item = parse_item(text);
        if (!item)
            return std::unexpected(item.error());
        items.push_back(std::move(*item));
    }
    auto body = context.post("/playlists", {{"id", id}, {"name", options.name}, {"items", items}});
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    context.out() << "created playlist " << cell(*body, "id") << " (" << (*body)["items"].size()
                  << " items, version " << cell(*body, "version") << ")\n";
    return {};
}

Outcome<void> playlist_list(Context& context, const PageOptions& page_options) {
    auto page = context.get("/playlists", page_query(page_options));
    if (!page)
        return std::unexpected(page.error());
    if (context.print_json(*page))
        return {};
    std::vector<std::vector<std::string>> rows;
    for (const auto& playlist : (*page)["items"])
        rows.push_back({cell(playlist, "id"), cell(playlist, "name"),
                        std::to_string(playlist["items"].size()), cell(playlist, "version"),
                        cell(playlist, "updated")});
    print_table(context.out(), {"ID", "NAME", "ITEMS", "VERSION", "UPDATED"}, rows);
    print_more(context.out(), *page);
    return {};
}

// --- campaigns ---------------------------------------------------------------------------------

struct CampaignOptions {
    std::string file;
    std::string id;
    std::string name;
    std::string playlist;
    std::vector<std::string> zones;
    std::vector<std::string> kinds;
    std::vector<std::string> tags;
    std::vector<std::string> devices;
    std::vector<std::string> windows;
    std::vector<std::string> weekdays;
    std::vector<std::string> fixed_times;
    std::string mode;
    std::string valid_from;
    std::string valid_to;
    std::string level;
    std::optional<int> plays_per_hour;
    std::optional<int> rank;
    std::optional<int> weight;
};

Outcome<nlohmann::json> read_json_file(const std::string& path) {
    std::stringstream text;
    if (path == "-") {
        text << std::cin.rdbuf();
    } else {
        std::ifstream input{path, std::ios::binary};
        if (!input)
            return refuse(ExitStatus::Usage, path + ": cannot read: " + std::strerror(errno));
        text << input.rdbuf();
    }
    auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
        return refuse(ExitStatus::Usage, path + ": expected a JSON object (a campaign, docs/model.md)");
    return parsed;
}

// The campaign from --file, then every flag given on top of it.
Outcome<nlohmann::json> campaign_body(const CampaignOptions& options) {
    nlohmann::json campaign = nlohmann::json::object();
    if (!options.file.empty()) {
        auto parsed = read_json_file(options.file);
        if (!parsed)
            return std::unexpected(parsed.error());
        campaign = std::move(*parsed);
    }
    auto set_text = [&](const char* key, const std::string& value) {
        if (!value.empty())
            campaign[key] = value;
    };
    auto set_list = [&](nlohmann::json& object, const char* key, const std::vector<std::string>& values) {
        if (!values.empty())
            object[key] = values;
    };
    set_text("id", options.id);
    set_text("name", options.name);
    set_text("playlist", options.playlist);
    set_text("mode", options.mode);
    set_text("valid_from", options.valid_from);
    set_text("valid_to", options.valid_to);
    set_text("level", options.level);
    set_list(campaign, "windows", options.windows);
    set_list(campaign, "weekdays", options.weekdays);
    set_list(campaign, "fixed_times", options.fixed_times);
    if (options.plays_per_hour)
        campaign["plays_per_hour"] = *options.plays_per_hour;
    if (options.rank)
        campaign["rank"] = *options.rank;
    if (options.weight)
        campaign["weight"] = *options.weight;
    if (!options.zones.empty() || !options.kinds.empty() || !options.tags.empty() ||
        !options.devices.empty()) {
        if (!campaign.contains("targets") || !campaign["targets"].is_object())
            campaign["targets"] = nlohmann::json::object();
        set_list(campaign["targets"], "zones", options.zones);
        set_list(campaign["targets"], "kinds", options.kinds);
        set_list(campaign["targets"], "tags", options.tags);
        set_list(campaign["targets"], "device_ids", options.devices);
    }
    if (!campaign.contains("mode"))
        campaign["mode"] = "loop";
    if (!campaign.contains("id"))
        return refuse(ExitStatus::Usage, "--id: required (or an \"id\" in --file)");
    if (!campaign.contains("playlist"))
        return refuse(ExitStatus::Usage, "--playlist: required (or a \"playlist\" in --file)");
    campaign.erase("approval");  // a new campaign is a draft whatever the file says
    return campaign;
}

void print_campaign_line(Context& context, const std::string& what, const nlohmann::json& campaign) {
    context.out() << what << " campaign " << cell(campaign, "id") << " (" << cell(campaign, "approval")
                  << ", version " << cell(campaign, "version") << ")\n";
}

Outcome<void> campaign_create(Context& context, const CampaignOptions& options) {
    auto campaign = campaign_body(options);
    if (!campaign)
        return std::unexpected(campaign.error());
    auto body = context.post("/campaigns", *campaign);
    if (!body)
        return std::unexpected(body.error());
    if (!context.print_json(*body))
        print_campaign_line(context, "created", *body);
    return {};
}

struct CampaignListOptions {
    PageOptions page;
    std::string approval;
};

Outcome<void> campaign_list(Context& context, const CampaignListOptions& options) {
    auto query = page_query(options.page);
    if (!options.approval.empty())
        query.emplace("approval", options.approval);
    auto page = context.get("/campaigns", query);
    if (!page)
        return std::unexpected(page.error());
    if (context.print_json(*page))
        return {};
    std::vector<std::vector<std::string>> rows;
    for (const auto& campaign : (*page)["items"])
        rows.push_back({cell(campaign, "id"), cell(campaign, "name"), cell(campaign, "playlist"),
                        cell(campaign, "mode"), cell(campaign, "approval"), cell(campaign, "version"),
                        cell(campaign, "updated")});
    print_table(context.out(), {"ID", "NAME", "PLAYLIST", "MODE", "APPROVAL", "VERSION", "UPDATED"}, rows);
    print_more(context.out(), *page);
    return {};
}

Outcome<void> campaign_show(Context& context, const std::string& id) {
    auto body = context.get("/campaigns/" + id);
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    const auto& campaign = *body;
    std::vector<std::vector<std::string>> rows;
    for (const char* key :
         {"id",       "name",   "playlist",     "approval",   "version",       "mode",           "level",
          "rank",     "weight", "windows",      "weekdays",   "fixed_times",   "plays_per_hour", "valid_from",
          "valid_to", "author", "submitted_by", "decided_by", "decision_note", "created",        "updated"})
        rows.push_back({key, cell(campaign, key)});
    if (campaign.contains("targets"))
        for (const auto& [key, value] : campaign["targets"].items())
            rows.push_back({"targets." + key, cell(value)});
    print_table(context.out(), {"FIELD", "VALUE"}, rows);
    return {};
}

enum class Step { Submit, Approve, Reject, Archive };

struct StepOptions {
    std::string id;
    std::optional<std::int64_t> version;
    std::string note;
    std::string reason;
};

Outcome<void> campaign_step(Context& context, Step step, const StepOptions& options) {
    std::int64_t version = 0;
    if (options.version) {
        version = *options.version;
    } else {
        auto current = context.get("/campaigns/" + options.id);
        if (!current)
            return std::unexpected(current.error());
        version = (*current)["version"].get<std::int64_t>();
    }
    nlohmann::json request{{"version", version}};
    const char* verb = "submit";
    const char* done = "submitted";
    switch (step) {
        case Step::Submit: break;
        case Step::Approve:
            verb = "approve";
            done = "approved";
            if (!options.note.empty())
                request["note"] = options.note;
            break;
        case Step::Reject:
            verb = "reject";
            done = "rejected";
            request["reason"] = options.reason;
            break;
        case Step::Archive:
            verb = "archive";
            done = "archived";
            break;
    }
    auto body = context.post("/campaigns/" + options.id + "/" + verb, request);
    if (!body)
        return std::unexpected(body.error());
    if (!context.print_json(*body))
        print_campaign_line(context, done, *body);
    return {};
}

struct ConflictOptions {
    std::string id;
    std::string day;
    int days = 14;
};

Outcome<void> campaign_conflicts(Context& context, const ConflictOptions& options) {
    Query query{{"days", std::to_string(options.days)}};
    if (!options.day.empty())
        query.emplace("day", options.day);
    auto body = context.get("/campaigns/" + options.id + "/conflicts", query);
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    const auto& conflicts = (*body)["conflicts"];
    if (conflicts.empty()) {
        context.out() << "no conflicts for " << options.id << " in " << cell(*body, "days") << " days from "
                      << cell(*body, "first_day") << "\n";
        return {};
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& conflict : conflicts)
        rows.push_back({cell(conflict, "severity"), cell(conflict, "kind"), cell(conflict, "other_campaign"),
                        cell(conflict, "device"), cell(conflict, "at"), cell(conflict, "message")});
    print_table(context.out(), {"SEVERITY", "KIND", "OTHER", "DEVICE", "AT", "MESSAGE"}, rows);
    return {};
}

}  // namespace

void register_content_commands(Registrar& registrar) {
    // media
    CLI::App* media = registrar.group(registrar.root, "media", "Upload and list media");
    auto upload_options = std::make_shared<UploadOptions>();
    CLI::App* upload = registrar.command(
        *media, "upload", "Upload a media file (streamed; stored once by sha256)",
        [upload_options](Context& context) { return media_upload(context, *upload_options); });
    upload->add_option("file", upload_options->file, "The file")->required();
    upload->add_option("--name", upload_options->name, "Label (default: the file name)");
    auto media_page = std::make_shared<PageOptions>();
    add_page_options(
        registrar.command(*media, "list", "List media, newest first",
                          [media_page](Context& context) { return media_list(context, *media_page); }),
        *media_page);

    // notice
    CLI::App* notice = registrar.group(registrar.root, "notice", "Text notices spoken by text-to-speech");
    auto notice_options = std::make_shared<NoticeOptions>();
    CLI::App* notice_create_command = registrar.command(
        *notice, "create", "Store a text notice and its speech",
        [notice_options](Context& context) { return notice_create(context, *notice_options); });
    notice_create_command->add_option("--text", notice_options->text, "The notice (UTF-8)")->required();
    notice_create_command->add_option("--voice", notice_options->voice,
                                      "espeak-ng voice (default: the server's)");
    notice_create_command->add_option("--name", notice_options->name, "Label");

    // playlist
    CLI::App* playlist = registrar.group(registrar.root, "playlist", "Create and list playlists");
    auto playlist_options = std::make_shared<PlaylistOptions>();
    CLI::App* playlist_create_command = registrar.command(
        *playlist, "create", "Create a playlist",
        [playlist_options](Context& context) { return playlist_create(context, *playlist_options); });
    playlist_create_command->add_option("--name", playlist_options->name, "Name")->required();
    playlist_create_command->add_option("--id", playlist_options->id, "Id (default: from an ASCII name)");
    playlist_create_command
        ->add_option("--item", playlist_options->items, "SHA256[:duration_ms[:weight]], repeatable, in order")
        ->required();
    auto playlist_page = std::make_shared<PageOptions>();
    add_page_options(registrar.command(*playlist, "list", "List playlists",
                                       [playlist_page](Context& context) {
                                           return playlist_list(context, *playlist_page);
                                       }),
                     *playlist_page);

    // campaign
    CLI::App* campaign = registrar.group(registrar.root, "campaign", "Campaigns and their approval");
    auto create_options = std::make_shared<CampaignOptions>();
    CLI::App* create = registrar.command(
        *campaign, "create", "Create a draft campaign from a JSON file and/or flags",
        [create_options](Context& context) { return campaign_create(context, *create_options); });
    create->add_option("--file", create_options->file, "Campaign JSON (docs/model.md); - for stdin");
    create->add_option("--id", create_options->id, "Campaign id");
    create->add_option("--name", create_options->name, "Name");
    create->add_option("--playlist", create_options->playlist, "Playlist id");
    create->add_option("--zones", create_options->zones, "Target zones")->delimiter(',');
    create->add_option("--kinds", create_options->kinds, "Target kinds (screen, speaker)")->delimiter(',');
    create->add_option("--tags", create_options->tags, "Target tags")->delimiter(',');
    create->add_option("--devices", create_options->devices, "Target device ids")->delimiter(',');
    create->add_option("--windows", create_options->windows, "Daily windows HH:MM-HH:MM")->delimiter(',');
    create->add_option("--weekdays", create_options->weekdays, "mon..sun")->delimiter(',');
    create->add_option("--mode", create_options->mode, "loop (default), fixed_time or share_of_voice")
        ->check(CLI::IsMember({"loop", "fixed_time", "share_of_voice"}));
    create->add_option("--fixed-times", create_options->fixed_times, "HH:MM for fixed_time")->delimiter(',');
    create->add_option("--plays-per-hour", create_options->plays_per_hour, "For share_of_voice");
    create->add_option("--from", create_options->valid_from, "First local day YYYY-MM-DD");
    create->add_option("--until", create_options->valid_to, "Last local day YYYY-MM-DD");
    create->add_option("--level", create_options->level, "normal, priority or emergency")
        ->check(CLI::IsMember({"normal", "priority", "emergency"}));
    create->add_option("--rank", create_options->rank, "-1000..1000, higher preempts inside a level");
    create->add_option("--weight", create_options->weight, "Loop share 1..1000");

    auto list_options = std::make_shared<CampaignListOptions>();
    CLI::App* list = registrar.command(*campaign, "list", "List campaigns", [list_options](Context& context) {
        return campaign_list(context, *list_options);
    });
    add_page_options(list, list_options->page);
    list->add_option("--approval", list_options->approval, "Only this state")
        ->check(CLI::IsMember({"draft", "submitted", "approved", "rejected", "archived"}));

    auto show_id = std::make_shared<std::string>();
    registrar
        .command(*campaign, "show", "Show one campaign",
                 [show_id](Context& context) { return campaign_show(context, *show_id); })
        ->add_option("id", *show_id, "Campaign id")
        ->required();

    const std::vector<std::tuple<Step, const char*, const char*>> steps{
        {Step::Submit, "submit", "Submit a draft or rejected campaign for approval (editor)"},
        {Step::Approve, "approve", "Approve a submitted campaign (approver; not its author)"},
        {Step::Reject, "reject", "Reject a submitted campaign with a reason (approver)"},
        {Step::Archive, "archive", "Archive a campaign (it leaves the devices)"}};
    for (const auto& [step, name, description] : steps) {
        auto options = std::make_shared<StepOptions>();
        const Step chosen = step;
        CLI::App* command = registrar.command(
            *campaign, name, description,
            [options, chosen](Context& context) { return campaign_step(context, chosen, *options); });
        command->add_option("id", options->id, "Campaign id")->required();
        command->add_option("--version", options->version,
                            "The version you reviewed (default: the current one)");
        if (step == Step::Approve)
            command->add_option("--note", options->note, "A note kept with the decision");
        if (step == Step::Reject)
            command->add_option("--reason", options->reason, "Why (shown to the author)")->required();
    }

    auto conflict_options = std::make_shared<ConflictOptions>();
    CLI::App* conflicts = registrar.command(
        *campaign, "conflicts", "Scheduling conflicts of a campaign",
        [conflict_options](Context& context) { return campaign_conflicts(context, *conflict_options); });
    conflicts->add_option("id", conflict_options->id, "Campaign id")->required();
    conflicts->add_option("--day", conflict_options->day, "First local day YYYY-MM-DD (default: today)");
    conflicts->add_option("--days", conflict_options->days, "How many days (1..62)")->capture_default_str();
}

}  // namespace bantin::cli::detail
