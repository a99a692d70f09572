#include "bantin/cli/schedule_commands.hpp"

#include "bantin/common/time.hpp"
#include "bantin/scheduler/conflicts.hpp"
#include "bantin/scheduler/json.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace bantin::cli {

using namespace bantin::scheduler;

namespace {

Result<std::string> read_file(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        return fail(Errc::Io, path + ": cannot read: " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

Result<Model> load_model(const std::string& path) {
    auto text = read_file(path);
    if (!text) {
        return std::unexpected(text.error());
    }
    auto model = parse_model(*text);
    if (!model) {
        return fail(model.error().code, path + ": " + model.error().detail);
    }
    return model;
}

Result<date::local_days> parse_day(const std::string& text) {
    auto parsed = parse_date(text);
    if (!parsed)
        return fail(Errc::InvalidInput, "--day: " + parsed.error().detail);
    return date::local_days{date::year_month_day{date::year{static_cast<int>(parsed->year())},
                                                 date::month{static_cast<unsigned>(parsed->month())},
                                                 date::day{static_cast<unsigned>(parsed->day())}}};
}

TimePoint at_local(const date::time_zone& zone, date::local_days day, int minute) {
    return std::chrono::time_point_cast<Duration>(
        zone.to_sys(date::local_time<Duration>{day} + std::chrono::minutes{minute}, date::choose::earliest));
}

std::string local_clock(const date::time_zone& zone, TimePoint t) {
    const auto local = zone.to_local(t);
    return date::format("%H:%M:%S", date::floor<std::chrono::seconds>(local));
}

std::string media_label(const Model& model, std::string_view digest) {
    for (const auto& media : model.media) {
        if (media.sha256 == digest) {
            return media.name.empty() ? std::string{digest.substr(0, 12)} : media.name;
        }
    }
    return std::string{digest.substr(0, 12)};
}

std::string why(const date::time_zone& zone, const TimelineEntry& entry) {
    std::string text{to_string(entry.reason)};
    if (entry.reason == Reason::FixedTime || entry.reason == Reason::ShareOfVoice) {
        text += " due " +
                local_clock(zone, entry.due).substr(0, 5 + (entry.reason == Reason::ShareOfVoice ? 3 : 0));
    }
    if (entry.media_offset.count() > 0) {
        const auto seconds = entry.media_offset.count() / 1000;
        char at[32];
        std::snprintf(at, sizeof at, ", from %lld:%02lld", static_cast<long long>(seconds / 60),
                      static_cast<long long>(seconds % 60));
        text += at;
    }
    if (entry.ending == Ending::Cut) {
        text += ", cut";
    }
    return text;
}

// Pads to a width in characters, not bytes: names are Vietnamese UTF-8.
std::string pad(std::string_view text, std::size_t width) {
    std::size_t characters = 0;
    for (char c : text) {
        characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }
    std::string out{text};
    out.append(characters < width ? width - characters : 1, ' ');
    return out;
}

}  // namespace

int run_schedule(const ScheduleOptions& options, std::ostream& out, std::ostream& err) {
    auto model = load_model(options.model_path);
    if (!model) {
        err << "bantin schedule: " << model.error().detail << "\n";
        return 1;
    }
    const Device* device = nullptr;
    for (const auto& candidate : model->devices) {
        if (candidate.id == options.device) {
            device = &candidate;
        }
    }
    if (device == nullptr) {
        err << "bantin schedule: " << options.model_path << ": no device \"" << options.device << "\"\n";
        return 1;
    }
    auto day = parse_day(options.day);
    auto from_minute = parse_clock(options.from);
    auto to_minute = parse_clock(options.to);
    if (!day || !from_minute || !to_minute) {
        err << "bantin schedule: "
            << (!day           ? day.error().detail
                : !from_minute ? "--from: " + from_minute.error().detail
                               : "--to: " + to_minute.error().detail)
            << "\n";
        return 2;
    }
    const Device device_copy = *device;
    auto resolver = Resolver::create(std::move(*model), ResolveOptions{options.include_drafts});
    if (!resolver) {
        err << "bantin schedule: " << options.model_path << ": " << resolver.error().detail << "\n";
        return 1;
    }
    const date::time_zone* zone = date::locate_zone(device_copy.time_zone);
    const TimePoint from = at_local(*zone, *day, *from_minute);
    const TimePoint to = at_local(*zone, *day, *to_minute);
    auto timeline = resolver->resolve(device_copy, from, to);
    if (!timeline) {
        err << "bantin schedule: " << timeline.error().detail << "\n";
        return 1;
    }
    const Model& resolved_model = resolver->model();
    if (options.json) {
        nlohmann::ordered_json entries = nlohmann::ordered_json::array();
        for (const auto& entry : *timeline) {
            entries.push_back(nlohmann::ordered_json{{"start", format_utc(entry.start)},
                                                     {"end", format_utc(entry.end)},
                                                     {"local_start", local_clock(*zone, entry.start)},
                                                     {"source_kind", to_string(entry.source_kind)},
                                                     {"source", entry.source_id},
                                                     {"item", entry.item_index},
                                                     {"media", entry.media},
                                                     {"reason", to_string(entry.reason)},
                                                     {"ending", to_string(entry.ending)},
                                                     {"due", format_utc(entry.due)},
                                                     {"media_offset_ms", entry.media_offset.count()}});
        }
        out << nlohmann::ordered_json{{"device", device_copy.id},
                                      {"time_zone", device_copy.time_zone},
                                      {"day", options.day},
                                      {"entries", std::move(entries)}}
                   .dump(2)
            << "\n";
        return 0;
    }
    out << "Timeline of " << device_copy.id << " (" << to_string(device_copy.kind) << ", zone "
        << device_copy.zone << ", " << device_copy.time_zone << ") on " << options.day << ", " << options.from
        << "-" << options.to << " local\n";
    out << std::left << std::setw(10) << "start" << std::setw(10) << "end" << std::setw(9) << "length"
        << std::setw(26) << "source" << std::setw(6) << "item" << std::setw(28) << "media"
        << "why\n";
    Duration played{0};
    for (const auto& entry : *timeline) {
        std::ostringstream length;
        length << std::fixed << std::setprecision(1)
               << static_cast<double>((entry.end - entry.start).count()) / 1000.0 << "s";
        std::string source{entry.source_id};
        if (entry.source_kind == SourceKind::Alert) {
            source = "ALERT " + source;
        }
        out << std::left << std::setw(10) << local_clock(*zone, entry.start) << std::setw(10)
            << local_clock(*zone, entry.end) << std::setw(9) << length.str() << std::setw(26) << source
            << std::setw(6) << entry.item_index << pad(media_label(resolved_model, entry.media), 28)
            << why(*zone, entry) << "\n";
        played += entry.end - entry.start;
    }
    out << timeline->size() << " entries, " << played.count() / 60'000 << " min of play\n";
    return 0;
}

int run_conflicts(const ConflictOptions& options, std::ostream& out, std::ostream& err) {
    auto model = load_model(options.model_path);
    if (!model) {
        err << "bantin conflicts: " << model.error().detail << "\n";
        return 1;
    }
    if (options.days < 1 || options.days > 366) {
        err << "bantin conflicts: --days must be 1..366\n";
        return 2;
    }
    auto day = parse_day(options.day);
    if (!day) {
        err << "bantin conflicts: " << day.error().detail << "\n";
        return 2;
    }
    auto resolver = Resolver::create(std::move(*model), ResolveOptions{true});
    if (!resolver) {
        err << "bantin conflicts: " << options.model_path << ": " << resolver.error().detail << "\n";
        return 1;
    }
    const date::year_month_day first{*day};
    const std::chrono::year_month_day first_day{std::chrono::year{static_cast<int>(first.year())},
                                                std::chrono::month{static_cast<unsigned>(first.month())},
                                                std::chrono::day{static_cast<unsigned>(first.day())}};
    auto conflicts = find_conflicts(*resolver, options.campaign, first_day, options.days);
    if (!conflicts) {
        err << "bantin conflicts: " << conflicts.error().detail << "\n";
        return 1;
    }
    if (options.json) {
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (const auto& conflict : *conflicts) {
            nlohmann::ordered_json item{{"kind", to_string(conflict.kind)},
                                        {"severity", to_string(conflict.severity)},
                                        {"campaign", conflict.campaign},
                                        {"message", conflict.message}};
            if (!conflict.other_campaign.empty()) {
                item["other_campaign"] = conflict.other_campaign;
            }
            if (!conflict.device.empty()) {
                item["device"] = conflict.device;
            }
            if (conflict.at) {
                item["at"] = format_utc(*conflict.at);
            }
            list.push_back(std::move(item));
        }
        out << list.dump(2) << "\n";
        return 0;
    }
    out << "Conflict report" << (options.campaign.empty() ? std::string{} : " for " + options.campaign)
        << ", " << options.days << " days from " << options.day << "\n";
    for (const auto& conflict : *conflicts) {
        out << "  " << std::left << std::setw(8) << to_string(conflict.severity) << std::setw(24)
            << to_string(conflict.kind) << conflict.campaign << ": " << conflict.message << "\n";
    }
    out << conflicts->size() << " conflicts\n";
    return 0;
}

void add_schedule_commands(CLI::App& app, int& status) {
    auto schedule_options = std::make_shared<ScheduleOptions>();
    CLI::App* schedule = app.add_subcommand("schedule", "Print a device's timeline for one local day");
    schedule->add_option("--model", schedule_options->model_path, "Model JSON file (docs/model.md)")
        ->required();
    schedule->add_option("--device", schedule_options->device, "Device id")->required();
    schedule->add_option("--day", schedule_options->day, "Local date, YYYY-MM-DD")->required();
    schedule->add_option("--from", schedule_options->from, "Local start time HH:MM (default 00:00)");
    schedule->add_option("--to", schedule_options->to, "Local end time HH:MM (default 24:00)");
    schedule->add_flag("--json", schedule_options->json, "Print JSON instead of a table");
    schedule->add_flag("--include-drafts", schedule_options->include_drafts,
                       "Preview draft and submitted campaigns too");
    schedule->callback(
        [schedule_options, &status] { status = run_schedule(*schedule_options, std::cout, std::cerr); });

    auto conflict_options = std::make_shared<ConflictOptions>();
    CLI::App* conflicts = app.add_subcommand("conflicts", "Report scheduling conflicts before publishing");
    conflicts->add_option("--model", conflict_options->model_path, "Model JSON file (docs/model.md)")
        ->required();
    conflicts->add_option("--campaign", conflict_options->campaign, "Only this campaign");
    conflicts->add_option("--day", conflict_options->day, "First local date, YYYY-MM-DD")->required();
    conflicts->add_option("--days", conflict_options->days, "How many days to check (default 14)");
    conflicts->add_flag("--json", conflict_options->json, "Print JSON instead of a list");
    conflicts->callback(
        [conflict_options, &status] { status = run_conflicts(*conflict_options, std::cout, std::cerr); });
}

}  // namespace bantin::cli
