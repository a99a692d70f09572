// device, alert and report commands (docs/cli.md).
#include "http_support.hpp"

#include "bantin/common/time.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>

namespace bantin::cli::detail {

namespace {

// --- devices -----------------------------------------------------------------------------------

struct DeviceAddOptions {
    std::string id;
    std::string kind;
    std::string zone;
    std::string name;
    std::string time_zone;
    std::vector<std::string> tags;
    std::optional<int> volume;
    std::string out;
};

// The provisioning file holds the device's MQTT password: created with mode 0600, never over an
// existing file, before the device is registered (so a bad path costs no registration).
class ProvisioningFile {
public:
    static Outcome<ProvisioningFile> create(const std::string& path) {
        const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (descriptor < 0) {
            if (errno == EEXIST)
                return refuse(ExitStatus::Usage,
                              "--out " + path + ": already exists; remove it or choose another");
            return refuse(ExitStatus::Usage, "--out " + path + ": cannot create: " + std::strerror(errno));
        }
        return ProvisioningFile{path, descriptor};
    }
    ProvisioningFile(ProvisioningFile&& other) noexcept
        : m_path(std::move(other.m_path)),
          m_descriptor(std::exchange(other.m_descriptor, -1)),
          m_kept(other.m_kept) {}
    ProvisioningFile& operator=(ProvisioningFile&&) = delete;
    ~ProvisioningFile() {
        if (m_descriptor >= 0)
            ::close(m_descriptor);
        if (!m_kept)
            ::unlink(m_path.c_str());
    }

    Outcome<void> write_and_keep(const std::string& bytes) {
        std::size_t written = 0;
        while (written < bytes.size()) {
            const auto count = ::write(m_descriptor, bytes.data() + written, bytes.size() - written);
            if (count < 0 && errno == EINTR)
                continue;
            if (count <= 0)
                return refuse(ExitStatus::Refused, m_path + ": cannot write: " + std::strerror(errno));
            written += static_cast<std::size_t>(count);
        }
        if (::fsync(m_descriptor) != 0)
            return refuse(ExitStatus::Refused, m_path + ": cannot write: " + std::strerror(errno));
        ::close(std::exchange(m_descriptor, -1));
        m_kept = true;
        return {};
    }

private:
    ProvisioningFile(std::string path, int descriptor) : m_path(std::move(path)), m_descriptor(descriptor) {}
    std::string m_path;
    int m_descriptor = -1;
    bool m_kept = false;
};

Outcome<void> device_add(Context& context, const DeviceAddOptions& options) {
    auto file = ProvisioningFile::create(options.out);
    if (!file)
        return std::unexpected(file.error());
    nlohmann::json request{{"id", options.id}, {"kind", options.kind}, {"zone", options.zone}};
    if (!options.name.empty())
        request["name"] = options.name;
    if (!options.time_zone.empty())
        request["time_zone"] = options.time_zone;
    if (!options.tags.empty())
        request["tags"] = options.tags;
    if (options.volume)
        request["default_volume"] = *options.volume;
    auto body = context.post("/devices", request);
    if (!body)
        return std::unexpected(body.error());
    if (!body->contains("provisioning"))
        return refuse(ExitStatus::Refused, "the server's answer has no provisioning file");
    auto written = file->write_and_keep((*body)["provisioning"].dump(2) + "\n");
    if (!written)
        return written;
    if (context.json()) {
        context.print_json({{"device", (*body)["device"]}, {"provisioning_file", options.out}});
        return {};
    }
    const auto& device = (*body)["device"];
    context.out() << "registered " << cell(device, "kind") << " " << cell(device, "id") << " in zone "
                  << cell(device, "zone") << "; provisioning file " << options.out
                  << " (mode 0600, holds the device's password: copy it to the device, then delete it)\n";
    return {};
}

Outcome<void> device_revoke(Context& context, const std::string& id) {
    auto body = context.post("/devices/" + id + "/revoke");
    if (!body)
        return std::unexpected(body.error());
    if (!context.print_json(*body))
        context.out() << "revoked " << cell(*body, "id") << " at " << cell(*body, "revoked")
                      << "; its credentials no longer work\n";
    return {};
}

struct DeviceCommandOptions {
    std::string id;
    std::string kind;
    std::optional<int> volume;
};

Outcome<void> device_command(Context& context, const DeviceCommandOptions& options) {
    nlohmann::json request{{"kind", options.kind}};
    if (options.volume)
        request["volume"] = *options.volume;
    auto body = context.post("/devices/" + options.id + "/commands", request);
    if (!body)
        return std::unexpected(body.error());
    if (!context.print_json(*body)) {
        context.out() << "sent " << cell(*body, "kind") << " " << cell(*body, "id") << " to "
                      << cell(*body, "device") << " (valid until " << cell(*body, "expires_at") << ")";
        if (body->contains("upload_url") && (*body)["upload_url"].is_string())
            context.out() << "; the device uploads to " << (*body)["upload_url"].get<std::string>();
        context.out() << "\n";
    }
    return {};
}

struct ScreenshotOptions {
    std::string id;
    std::string out;
};

// The PNG goes to a new file (never over an existing one), so a typo cannot clobber a file.
Outcome<void> device_screenshot(Context& context, const ScreenshotOptions& options) {
    auto client = context.signed_in();
    if (!client)
        return std::unexpected(client.error());
    auto reply = (*client)->get("/devices/" + options.id + "/screenshot");
    if (!reply)
        return std::unexpected(reply.error());
    if (reply->status != 200) {
        auto failed = expect_success(*reply);
        return std::unexpected(failed ? CommandError{ExitStatus::Refused, std::to_string(reply->status)}
                                      : failed.error());
    }
    const int descriptor = ::open(options.out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (descriptor < 0)
        return refuse(ExitStatus::Usage, "--out " + options.out + ": cannot create: " + std::strerror(errno));
    std::size_t written = 0;
    while (written < reply->body.size()) {
        const auto count = ::write(descriptor, reply->body.data() + written, reply->body.size() - written);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0) {
            const std::string reason = std::strerror(errno);
            ::close(descriptor);
            ::unlink(options.out.c_str());
            return refuse(ExitStatus::Refused, "--out " + options.out + ": cannot write: " + reason);
        }
        written += static_cast<std::size_t>(count);
    }
    ::close(descriptor);
    if (context.json()) {
        context.print_json({{"device", options.id},
                            {"file", options.out},
                            {"bytes", reply->body.size()},
                            {"received", reply->screenshot_received}});
        return {};
    }
    context.out() << "wrote " << options.out << " (" << reply->body.size() << " bytes), the screenshot "
                  << options.id << " sent at " << reply->screenshot_received << "\n";
    return {};
}

Outcome<void> device_list(Context& context, const PageOptions& page_options) {
    auto page = context.get("/devices", page_query(page_options));
    if (!page)
        return std::unexpected(page.error());
    if (context.print_json(*page))
        return {};
    std::vector<std::vector<std::string>> rows;
    for (const auto& device : (*page)["items"])
        rows.push_back(
            {cell(device, "id"), cell(device, "kind"), cell(device, "zone"), cell(device, "tags"),
             device["revoked"].is_null() ? (device.value("online", false) ? "online" : "offline") : "revoked",
             cell(device, "last_seen"), cell(device, "delivery")});
    print_table(context.out(), {"ID", "KIND", "ZONE", "TAGS", "STATE", "LAST SEEN", "DELIVERY"}, rows);
    print_more(context.out(), *page);
    return {};
}

struct DeviceSetOptions {
    std::string id;
    std::optional<std::vector<std::string>> on_hours;
    std::optional<std::vector<std::string>> quiet_hours;
    std::optional<std::vector<std::string>> volume_schedule;
    std::optional<int> volume;
};

// "none" alone is the empty list (always on, never quiet, no steps).
nlohmann::json window_list(const std::vector<std::string>& values) {
    auto list = nlohmann::json::array();
    if (values.size() == 1 && values.front() == "none")
        return list;
    for (const auto& value : values) list.push_back(value);
    return list;
}

std::string settings_line(const nlohmann::json& device) {
    auto windows = [](const nlohmann::json& list) {
        std::string text;
        for (const auto& window : list) text += (text.empty() ? "" : ",") + window.get<std::string>();
        return text.empty() ? std::string{"none"} : text;
    };
    std::string steps;
    for (const auto& step : device.value("volume_schedule", nlohmann::json::array()))
        steps += (steps.empty() ? "" : ",") + step.value("window", std::string{}) + "=" +
                 std::to_string(step.value("volume", 0));
    return "on-hours " + windows(device.value("on_hours", nlohmann::json::array())) + ", quiet hours " +
           windows(device.value("quiet_hours", nlohmann::json::array())) + ", volume " +
           std::to_string(device.value("default_volume", 0)) + ", volume schedule " +
           (steps.empty() ? std::string{"none"} : steps);
}

Outcome<void> device_set(Context& context, const DeviceSetOptions& options) {
    nlohmann::json request = nlohmann::json::object();
    if (options.on_hours)
        request["on_hours"] = window_list(*options.on_hours);
    if (options.quiet_hours)
        request["quiet_hours"] = window_list(*options.quiet_hours);
    if (options.volume)
        request["default_volume"] = *options.volume;
    if (options.volume_schedule) {
        auto steps = nlohmann::json::array();
        if (!(options.volume_schedule->size() == 1 && options.volume_schedule->front() == "none"))
            for (const auto& step : *options.volume_schedule) {
                const auto equals = step.rfind('=');
                int volume = 0;
                const char* end = step.data() + step.size();
                if (equals == std::string::npos ||
                    std::from_chars(step.data() + equals + 1, end, volume).ptr != end ||
                    equals + 1 == step.size())
                    return refuse(ExitStatus::Usage,
                                  "--volume-schedule: expected HH:MM-HH:MM=VOLUME, got \"" + step + "\"");
                steps.push_back({{"window", step.substr(0, equals)}, {"volume", volume}});
            }
        request["volume_schedule"] = steps;
    }
    if (request.empty())
        return refuse(ExitStatus::Usage,
                      "name at least one of --on-hours, --quiet-hours, --volume, --volume-schedule");
    auto body = context.put("/devices/" + options.id + "/settings", request);
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    const auto& change = (*body)["change"];
    if (change.is_null()) {
        context.out() << "settings of " << options.id << " changed: " << settings_line((*body)["device"])
                      << "\n";
    } else {
        context.out() << "đề xuất " << cell(change, "id") << " cho " << options.id
                      << " đổi giờ yên lặng hoặc âm lượng: chờ người vận hành thứ hai xác nhận; change "
                      << cell(change, "id") << " of " << options.id
                      << " holds quiet hours or volumes: it waits for a second operator, who runs: bantin "
                         "device confirm "
                      << options.id << " " << cell(change, "id") << "\n";
    }
    return {};
}

Outcome<void> device_changes(Context& context, const std::string& id) {
    auto body = context.get("/devices/" + id + "/settings/changes", {});
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    std::vector<std::vector<std::string>> rows;
    for (const auto& change : (*body)["items"])
        rows.push_back({cell(change, "id"), cell(change, "state"), change["settings"].dump(),
                        cell(change, "proposed_by_name"), cell(change, "proposed_at"),
                        cell(change, "decided_by_name")});
    print_table(context.out(), {"CHANGE", "STATE", "SETTINGS", "PROPOSED BY", "AT", "DECIDED BY"}, rows);
    return {};
}

Outcome<void> device_change_step(Context& context, const std::string& id, const std::string& change,
                                 const std::string& verb) {
    auto body = context.post("/devices/" + id + "/settings/changes/" + change + "/" + verb);
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    if (verb == "confirm")
        context.out() << "confirmed " << change << "; " << id << " now has "
                      << settings_line((*body)["device"]) << "\n";
    else
        context.out() << "withdrew " << change << "; nothing of it reached " << id << "\n";
    return {};
}

struct TimelineOptions {
    std::string id;
    std::string day;
    bool approved_only = false;
};

// "2026-01-02T01:00:00.000Z" as the device's local clock time, or as sent if that fails.
std::string local_clock(const date::time_zone* zone, const nlohmann::json& value) {
    if (!value.is_string())
        return "-";
    const std::string text = value.get<std::string>();
    auto at = parse_utc(text);
    if (!at || zone == nullptr)
        return text;
    return date::format("%H:%M:%S", date::floor<std::chrono::seconds>(zone->to_local(*at)));
}

Outcome<void> device_timeline(Context& context, const TimelineOptions& options) {
    Query query;
    if (!options.day.empty())
        query.emplace("day", options.day);
    if (options.approved_only)
        query.emplace("drafts", "0");
    auto body = context.get("/devices/" + options.id + "/timeline", query);
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    const date::time_zone* zone = nullptr;
    try {
        zone = date::locate_zone(body->value("time_zone", "UTC"));
    } catch (const std::exception&) {
        zone = nullptr;  // times stay in UTC
    }
    context.out() << cell(*body, "device") << " on " << cell(*body, "day") << " (" << cell(*body, "time_zone")
                  << (body->value("drafts_included", false) ? ", drafts included" : ", approved only")
                  << ")\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& entry : (*body)["entries"])
        rows.push_back({local_clock(zone, entry["start"]), local_clock(zone, entry["end"]),
                        cell(entry, "source_kind"), cell(entry, "source"), cell(entry, "media").substr(0, 12),
                        cell(entry, "reason"), cell(entry, "ending")});
    print_table(context.out(), {"START", "END", "KIND", "SOURCE", "MEDIA", "REASON", "ENDING"}, rows);
    return {};
}

// --- alerts ------------------------------------------------------------------------------------

struct AlertOptions {
    std::vector<std::string> zones;
    bool all_zones = false;
    std::string severity = "severe";
    std::string text;
    std::string headline;
    std::string expires_in;
    bool exercise = false;
    std::string id;
    std::string media;
    std::optional<int> repeat;
};

// "30m", "2h", "90s", "1h30m" → milliseconds.
Outcome<std::int64_t> parse_duration(const std::string& text) {
    std::int64_t total = 0;
    std::int64_t number = 0;
    bool digits = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            number = number * 10 + (c - '0');
            digits = true;
            if (number > 10'000'000)
                return refuse(ExitStatus::Usage, "--expires-in: too long: \"" + text + "\"");
            continue;
        }
        const std::int64_t unit = c == 's'   ? 1000
                                  : c == 'm' ? 60'000
                                  : c == 'h' ? 3'600'000
                                  : c == 'd' ? 86'400'000
                                             : 0;
        if (!digits || unit == 0)
            return refuse(ExitStatus::Usage,
                          "--expires-in: expected a duration like 30m, 2h or 1h30m, got \"" + text + "\"");
        total += number * unit;
        number = 0;
        digits = false;
    }
    if (digits || total <= 0)
        return refuse(ExitStatus::Usage,
                      "--expires-in: expected a duration like 30m, 2h or 1h30m, got \"" + text + "\"");
    return total;
}

void print_alert(Context& context, const nlohmann::json& alert) {
    const bool live = alert.value("live", false);
    const std::string state = cell(alert, "state");
    context.out() << "alert " << cell(alert, "id") << " (" << (live ? "LIVE" : "EXERCISE") << ", "
                  << cell(alert, "severity") << ", "
                  << (alert.value("all_zones", false) ? std::string{"all zones"}
                                                      : "zones " + cell(alert, "zones"))
                  << "): " << state << ", expires " << cell(alert, "expires");
    if (state == "awaiting-confirmation")
        context.out() << "; a second operator must run: bantin alert confirm " << cell(alert, "id");
    context.out() << "\n";
}

Outcome<void> alert_send(Context& context, const AlertOptions& options) {
    if (options.all_zones == !options.zones.empty())
        return refuse(ExitStatus::Usage, "give either --zones Z,... or --all");
    nlohmann::json request{{"severity", options.severity},
                           {"status", options.exercise ? "exercise" : "actual"},
                           {"headline", options.headline.empty() ? options.text : options.headline},
                           {"text", options.text}};
    if (options.all_zones)
        request["all_zones"] = true;
    else
        request["zones"] = options.zones;
    if (!options.expires_in.empty()) {
        auto duration = parse_duration(options.expires_in);
        if (!duration)
            return std::unexpected(duration.error());
        const auto now = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
        request["expires"] = format_utc(now + Duration{*duration});
    }
    if (!options.id.empty())
        request["id"] = options.id;
    if (!options.media.empty())
        request["media"] = options.media;
    if (options.repeat)
        request["repeat_count"] = *options.repeat;
    auto body = context.post("/alerts", request);
    if (!body)
        return std::unexpected(body.error());
    if (!context.print_json(*body))
        print_alert(context, *body);
    return {};
}

Outcome<void> alert_step(Context& context, const std::string& id, const char* verb) {
    auto body = context.post("/alerts/" + id + "/" + verb);
    if (!body)
        return std::unexpected(body.error());
    if (!context.print_json(*body))
        print_alert(context, *body);
    return {};
}

Outcome<void> alert_show(Context& context, const std::string& id) {
    auto body = context.get("/alerts/" + id);
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    print_alert(context, *body);
    context.out() << "headline: " << cell(*body, "headline") << "\ntext: " << cell(*body, "text") << "\n";
    for (const auto& confirmation : (*body)["confirmations"])
        context.out() << "confirmed by user " << cell(confirmation, "user") << " at "
                      << cell(confirmation, "at") << "\n";
    return {};
}

Outcome<void> alert_list(Context& context) {
    auto body = context.get("/alerts");
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    std::vector<std::vector<std::string>> rows;
    for (const auto& alert : (*body)["items"])
        rows.push_back({cell(alert, "id"), alert.value("live", false) ? "live" : "exercise",
                        cell(alert, "state"), cell(alert, "severity"),
                        alert.value("all_zones", false) ? "all" : cell(alert, "zones"),
                        cell(alert, "expires"), cell(alert, "headline")});
    print_table(context.out(), {"ID", "STATUS", "STATE", "SEVERITY", "ZONES", "EXPIRES", "HEADLINE"}, rows);
    return {};
}

Outcome<void> alert_import_cap(Context& context, const std::string& file) {
    auto client = context.signed_in();
    if (!client)
        return std::unexpected(client.error());
    auto reply = (*client)->post_file("/alerts/cap", {}, file);
    if (!reply)
        return std::unexpected(reply.error());
    auto body = expect_success(*reply);
    if (!body)
        return std::unexpected(body.error());
    if (!context.print_json(*body))
        print_alert(context, *body);
    return {};
}

// --- reports -----------------------------------------------------------------------------------

struct ReportOptions {
    std::string from;
    std::string to;
    std::string csv;
    std::string group;  // delivery: campaign, zone, day or a comma list of them
};

// A day YYYY-MM-DD means its midnight UTC; anything else goes to the server as written.
std::string utc_bound(const std::string& text) {
    if (text.size() == 10 && text[4] == '-' && text[7] == '-')
        return text + "T00:00:00.000Z";
    return text;
}

Outcome<void> report(Context& context, const std::string& name, const ReportOptions& options) {
    Query query{{"from", utc_bound(options.from)}, {"to", utc_bound(options.to)}};
    if (!options.group.empty())
        query.emplace("group", options.group);
    if (!options.csv.empty()) {
        query.emplace("format", "csv");
        auto client = context.signed_in();
        if (!client)
            return std::unexpected(client.error());
        auto reply = (*client)->get("/reports/" + name, query);
        if (!reply)
            return std::unexpected(reply.error());
        if (reply->status != 200) {
            auto failed = expect_success(*reply);
            return std::unexpected(failed ? CommandError{ExitStatus::Refused, std::to_string(reply->status)}
                                          : failed.error());
        }
        if (options.csv == "-") {
            context.out() << reply->body;
            return {};
        }
        std::ofstream output{options.csv, std::ios::binary | std::ios::trunc};
        output << reply->body;
        output.close();
        if (!output)
            return refuse(ExitStatus::Refused,
                          "--csv " + options.csv + ": cannot write: " + std::strerror(errno));
        const auto lines = std::count(reply->body.begin(), reply->body.end(), '\n');
        context.out() << "wrote " << options.csv << " (" << (lines > 0 ? lines - 1 : 0) << " rows)\n";
        return {};
    }
    auto body = context.get("/reports/" + name, query);
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> headers;
    const auto& items = (*body)["items"];
    if (name == "plays") {
        headers = {"CAMPAIGN", "DAY", "ZONE", "COMPLETED", "INTERRUPTED", "FAILED"};
        for (const auto& row : items)
            rows.push_back({cell(row, "campaign"), cell(row, "day"), cell(row, "zone"),
                            cell(row, "completed"), cell(row, "interrupted"), cell(row, "failed")});
    } else if (name == "delivery") {
        headers = {"CAMPAIGN", "ZONE", "DAY", "PLANNED", "DELIVERED", "RATIO", "UNDER-DELIVERED"};
        for (const auto& row : items)
            rows.push_back({cell(row, "campaign"), cell(row, "zone"), cell(row, "day"), cell(row, "planned"),
                            cell(row, "delivered"), cell(row, "ratio"), cell(row, "under_delivered")});
    } else if (name == "alerts") {
        headers = {"ALERT",   "HEADLINE",  "SEVERITY",    "STATUS",
                   "DEVICES", "COMPLETED", "INTERRUPTED", "FAILED"};
        for (const auto& row : items)
            rows.push_back({cell(row, "alert"), cell(row, "headline"), cell(row, "severity"),
                            cell(row, "status"), cell(row, "devices"), cell(row, "completed"),
                            cell(row, "interrupted"), cell(row, "failed")});
    } else {
        headers = {"DEVICE", "ZONE", "ONLINE", "LAST SEEN", "ONLINE_S", "OBSERVED_S", "UPTIME"};
        for (const auto& row : items)
            rows.push_back({cell(row, "device"), cell(row, "zone"), cell(row, "online"),
                            cell(row, "last_seen"), cell(row, "online_s"), cell(row, "observed_s"),
                            cell(row, "uptime")});
    }
    print_table(context.out(), headers, rows);
    return {};
}

}  // namespace

void register_fleet_commands(Registrar& registrar) {
    // device
    CLI::App* device = registrar.group(registrar.root, "device", "Register, revoke and inspect devices");
    auto add_options = std::make_shared<DeviceAddOptions>();
    CLI::App* add =
        registrar.command(*device, "add", "Register a device and write its provisioning file",
                          [add_options](Context& context) { return device_add(context, *add_options); });
    add->add_option("id", add_options->id, "Device id ([A-Za-z0-9._-], 1-64)")->required();
    add->add_option("--kind", add_options->kind, "screen or speaker")
        ->required()
        ->check(CLI::IsMember({"screen", "speaker"}));
    add->add_option("--zone", add_options->zone, "Zone id")->required();
    add->add_option("--tags", add_options->tags, "Tags")->delimiter(',');
    add->add_option("--name", add_options->name, "Name for people (default: the id)");
    add->add_option("--time-zone", add_options->time_zone, "IANA time zone (default: the server's)");
    add->add_option("--volume", add_options->volume, "Default volume 0..100");
    add->add_option("--out", add_options->out, "Where to write the provisioning file (mode 0600)")
        ->required();

    auto revoke_id = std::make_shared<std::string>();
    registrar
        .command(*device, "revoke", "Revoke a device: its credentials stop working at once",
                 [revoke_id](Context& context) { return device_revoke(context, *revoke_id); })
        ->add_option("id", *revoke_id, "Device id")
        ->required();

    auto command_options = std::make_shared<DeviceCommandOptions>();
    CLI::App* send_command = registrar.command(
        *device, "command", "Send a signed command to one device (operator)",
        [command_options](Context& context) { return device_command(context, *command_options); });
    send_command->add_option("id", command_options->id, "Device id")->required();
    send_command->add_option("kind", command_options->kind, "ping, set-volume, reload or screenshot")
        ->required()
        ->check(CLI::IsMember({"ping", "set-volume", "reload", "screenshot"}));
    send_command->add_option("--volume", command_options->volume, "0..100, for set-volume");

    auto screenshot_options = std::make_shared<ScreenshotOptions>();
    CLI::App* screenshot = registrar.command(
        *device, "screenshot",
        "Save the latest screenshot a device uploaded (after `device command ID "
        "screenshot`)",
        [screenshot_options](Context& context) { return device_screenshot(context, *screenshot_options); });
    screenshot->add_option("id", screenshot_options->id, "Device id")->required();
    screenshot->add_option("--out", screenshot_options->out, "A new PNG file")->required();

    auto device_page = std::make_shared<PageOptions>();
    add_page_options(
        registrar.command(*device, "list", "List devices",
                          [device_page](Context& context) { return device_list(context, *device_page); }),
        *device_page);

    auto set_options = std::make_shared<DeviceSetOptions>();
    CLI::App* set = registrar.command(
        *device, "set",
        "Change a device's on-hours, quiet hours or volumes (quiet hours wait for a second operator)",
        [set_options](Context& context) { return device_set(context, *set_options); });
    set->add_option("id", set_options->id, "Device id")->required();
    set->add_option("--on-hours", set_options->on_hours, "HH:MM-HH:MM windows, or none (always on)")
        ->delimiter(',');
    set->add_option("--quiet-hours", set_options->quiet_hours, "HH:MM-HH:MM windows, or none")
        ->delimiter(',');
    set->add_option("--volume", set_options->volume, "Default volume 0..100");
    set->add_option("--volume-schedule", set_options->volume_schedule, "HH:MM-HH:MM=VOLUME steps, or none")
        ->delimiter(',');

    auto changes_id = std::make_shared<std::string>();
    registrar
        .command(*device, "changes", "List a device's setting changes, pending ones first to decide",
                 [changes_id](Context& context) { return device_changes(context, *changes_id); })
        ->add_option("id", *changes_id, "Device id")
        ->required();
    for (const auto& [verb, description] :
         {std::pair<const char*, const char*>{"confirm", "Confirm a setting change (not its proposer)"},
          {"withdraw", "Withdraw or refuse a pending setting change"}}) {
        auto ids = std::make_shared<std::pair<std::string, std::string>>();
        const std::string step = std::string{verb} == "confirm" ? "confirm" : "cancel";
        CLI::App* decide = registrar.command(*device, verb, description, [ids, step](Context& context) {
            return device_change_step(context, ids->first, ids->second, step);
        });
        decide->add_option("id", ids->first, "Device id")->required();
        decide->add_option("change", ids->second, "Change id (set-...)")->required();
    }

    auto timeline_options = std::make_shared<TimelineOptions>();
    CLI::App* timeline = registrar.command(
        *device, "timeline", "What a device plays on a local day",
        [timeline_options](Context& context) { return device_timeline(context, *timeline_options); });
    timeline->add_option("id", timeline_options->id, "Device id")->required();
    timeline->add_option("--day", timeline_options->day, "Local day YYYY-MM-DD (default: today there)");
    timeline->add_flag("--approved-only", timeline_options->approved_only,
                       "Leave out drafts and submitted campaigns");

    // alert
    CLI::App* alert = registrar.group(registrar.root, "alert", "Send, confirm and cancel alerts");
    auto send_options = std::make_shared<AlertOptions>();
    CLI::App* send =
        registrar.command(*alert, "send", "Create an alert (a live one waits for a second operator)",
                          [send_options](Context& context) { return alert_send(context, *send_options); });
    send->add_option("--zones", send_options->zones, "Zones")->delimiter(',');
    send->add_flag("--all", send_options->all_zones, "Every zone");
    send->add_option("--severity", send_options->severity, "minor, moderate, severe or extreme")
        ->capture_default_str()
        ->check(CLI::IsMember({"minor", "moderate", "severe", "extreme"}));
    send->add_option("--text", send_options->text, "Text shown and spoken")->required();
    send->add_option("--headline", send_options->headline, "Headline (default: the text)");
    send->add_option("--expires-in", send_options->expires_in,
                     "Lifetime, e.g. 30m, 2h (default: the server's)");
    send->add_flag("--exercise", send_options->exercise, "A drill (CAP Exercise), not a live alert");
    send->add_option("--id", send_options->id, "Alert id (default: the server makes one)");
    send->add_option("--media", send_options->media, "Media sha256 to play with it");
    send->add_option("--repeat", send_options->repeat, "How many times to play it (0..100)");

    for (const auto& [verb, description] : std::vector<std::pair<const char*, const char*>>{
             {"confirm", "Confirm a live alert (a second operator)"},
             {"cancel", "Cancel an alert at once"}}) {
        auto id = std::make_shared<std::string>();
        const char* chosen = verb;
        registrar
            .command(*alert, verb, description,
                     [id, chosen](Context& context) { return alert_step(context, *id, chosen); })
            ->add_option("id", *id, "Alert id")
            ->required();
    }
    auto show_id = std::make_shared<std::string>();
    registrar
        .command(*alert, "show", "Show one alert and its confirmations",
                 [show_id](Context& context) { return alert_show(context, *show_id); })
        ->add_option("id", *show_id, "Alert id")
        ->required();
    registrar.command(*alert, "list", "List active alerts", alert_list);
    auto cap_file = std::make_shared<std::string>();
    registrar
        .command(*alert, "import-cap", "Create (or cancel) an alert from a CAP 1.2 XML file",
                 [cap_file](Context& context) { return alert_import_cap(context, *cap_file); })
        ->add_option("file", *cap_file, "CAP 1.2 XML file")
        ->required();

    // report
    CLI::App* report_group =
        registrar.group(registrar.root, "report", "Plays, delivery, alert and uptime reports");
    for (const auto& [name, description] : std::vector<std::pair<const char*, const char*>>{
             {"plays", "Plays per campaign per day per zone"},
             {"delivery", "Planned against delivered plays per campaign, zone or day"},
             {"alerts", "Alert plays per alert"},
             {"uptime", "Device online history and uptime"}}) {
        auto options = std::make_shared<ReportOptions>();
        const std::string chosen = name;
        CLI::App* command = registrar.command(
            *report_group, name, description,
            [options, chosen](Context& context) { return report(context, chosen, *options); });
        command->add_option("--from", options->from, "Start, UTC: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
            ->required();
        command->add_option("--to", options->to, "End, same forms")->required();
        command->add_option("--csv", options->csv, "Write CSV to this file (- for stdout)");
        if (chosen == "delivery")
            command->add_option("--group", options->group,
                                "Rows per campaign (default), zone, day or a comma list of them");
    }
}

}  // namespace bantin::cli::detail
