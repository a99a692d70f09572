#include "bantin/controller/reports.hpp"

#include "report_rules.hpp"

#include "bantin/controller/bundle_builder.hpp"
#include "bantin/controller/model_builder.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bantin/scheduler/resolver.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <vector>

namespace bantin::controller {

bool ran_enough_of_slot(Duration played, Duration slot) {
    const auto fraction =
        static_cast<double>(played.count()) >= min_completed_fraction * static_cast<double>(slot.count());
    return fraction || played + protocol::completed_tolerance >= slot;
}

namespace report_rules {

namespace {

const date::time_zone* zone_named(const std::string& time_zone) {
    try {
        return date::locate_zone(time_zone);
    } catch (const std::exception&) {
        return nullptr;
    }
}

}  // namespace

TimePoint local_day_start(TimePoint at, const std::string& time_zone) {
    const date::time_zone* zone = zone_named(time_zone);
    std::chrono::sys_seconds seconds = std::chrono::floor<std::chrono::seconds>(at);
    date::sys_seconds instant{date::sys_seconds::duration{seconds.time_since_epoch().count()}};
    date::sys_seconds start;
    if (zone) {
        const date::local_days day = date::floor<date::days>(zone->to_local(instant));
        // A midnight skipped by a clock change maps to the change's instant.
        start = zone->to_sys(date::local_seconds{day}, date::choose::earliest);
    } else {
        start = date::floor<date::days>(instant);
    }
    return TimePoint{
        std::chrono::duration_cast<Duration>(std::chrono::seconds{start.time_since_epoch().count()})};
}

std::string local_day(TimePoint at, const std::string& time_zone) {
    const date::time_zone* zone = zone_named(time_zone);
    std::chrono::sys_seconds seconds = std::chrono::floor<std::chrono::seconds>(at);
    date::sys_seconds instant{date::sys_seconds::duration{seconds.time_since_epoch().count()}};
    date::local_seconds local =
        zone ? zone->to_local(instant) : date::local_seconds{instant.time_since_epoch()};
    const date::year_month_day day{date::floor<date::days>(local)};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(day.year()),
                  static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
    return text;
}

}  // namespace report_rules

namespace {

using report_rules::earlier_pieces;
using report_rules::local_day;
using report_rules::SlotLengths;

constexpr auto max_range = std::chrono::days{92};

// RFC 4180 quoting. A text that a spreadsheet would take for a formula (starting with = + - @,
// a tab or a carriage return: an alert's headline is anyone's text) gets a leading apostrophe,
// so it shows as typed and never runs.
std::string csv_field(std::string_view text) {
    std::string value{text};
    if (!value.empty() && std::string_view{"=+-@\t\r"}.find(value.front()) != std::string_view::npos)
        value.insert(0, 1, '\'');
    if (value.find_first_of(",\"\r\n") == std::string::npos)
        return value;
    std::string quoted = "\"";
    for (char c : value) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

// Milliseconds as seconds with three decimals ("58.059").
std::string seconds_text(std::int64_t milliseconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", static_cast<double>(milliseconds) / 1000.0);
    return text;
}

std::string ratio_text(double ratio) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", ratio);
    return text;
}

}  // namespace

namespace report_rules {

Result<SlotLengths> SlotLengths::load(Store& store) {
    ModelOptions options;
    options.campaigns = CampaignSelection::NotArchived;
    options.revoked = RevokedDevices::Include;
    auto model = build_model(store, options);
    if (!model)
        return std::unexpected(model.error());
    SlotLengths lengths;
    for (const auto& media : model->media) lengths.m_media.emplace(media.sha256, media.duration);
    std::map<std::string, std::vector<scheduler::PlaylistItem>, std::less<>> playlists;
    for (const auto& playlist : model->playlists) playlists.emplace(playlist.id, playlist.items);
    for (const auto& campaign : model->campaigns)
        if (auto found = playlists.find(campaign.playlist); found != playlists.end())
            lengths.m_campaign_items.emplace(campaign.id, found->second);
    return lengths;
}

std::optional<Duration> SlotLengths::of(const ProofOfPlayRow& row) const {
    if (auto campaign = m_campaign_items.find(row.campaign); campaign != m_campaign_items.end()) {
        const auto& items = campaign->second;
        if (row.item >= 0 && static_cast<std::size_t>(row.item) < items.size()) {
            const auto& item = items[static_cast<std::size_t>(row.item)];
            if (item.media == row.media && item.duration)
                return item.duration;
        }
    }
    if (auto media = m_media.find(row.media); media != m_media.end())
        return media->second;
    return std::nullopt;
}

bool SlotLengths::ran_enough(const ProofOfPlayRow& row, Duration earlier) const {
    if (!row.duration_ms)
        return true;
    auto slot = of(row);
    if (!slot || slot->count() <= 0)
        return true;
    return ran_enough_of_slot(Duration{*row.duration_ms} + earlier, *slot);
}

// A cut item resumed at its offset (docs/scheduling.md, "Preemption and resume") comes as
// interrupted pieces and a completed remainder: one play. For each completed row, the measured
// time of the interrupted pieces of the same item and media that the same device played just
// before it for the same campaign (no other row of that campaign in between); 0 for the rest.
std::vector<Duration> earlier_pieces(const std::vector<ProofOfPlayRow>& rows) {
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::tie(rows[a].device, rows[a].started, rows[a].seq) <
               std::tie(rows[b].device, rows[b].started, rows[b].seq);
    });
    struct Pieces {
        int item = 0;
        std::string_view media;
        Duration played{0};
    };
    std::map<std::pair<std::string_view, std::string_view>, Pieces> pending;  // (device, campaign)
    std::vector<Duration> earlier(rows.size(), Duration{0});
    for (const std::size_t index : order) {
        const ProofOfPlayRow& row = rows[index];
        if (row.campaign.empty())
            continue;
        const std::pair<std::string_view, std::string_view> key{row.device, row.campaign};
        auto found = pending.find(key);
        const bool same =
            found != pending.end() && found->second.item == row.item && found->second.media == row.media;
        if (row.outcome == PlayOutcome::Interrupted) {
            const Duration played{row.duration_ms.value_or(0)};
            if (same)
                found->second.played += played;
            else
                pending[key] = Pieces{row.item, row.media, played};
            continue;
        }
        if (row.outcome == PlayOutcome::Completed && same)
            earlier[index] = found->second.played;
        if (found != pending.end())
            pending.erase(found);
    }
    return earlier;
}

}  // namespace report_rules

Result<void> check_range(ReportRange range) {
    if (range.to <= range.from)
        return fail(Errc::InvalidInput, "to: phải sau from; must be after from");
    if (range.to - range.from > max_range)
        return fail(Errc::InvalidInput,
                    "to: một báo cáo dài nhiều nhất 92 ngày; a report covers at most 92 days");
    return {};
}

Result<std::unique_ptr<SqliteProofQuery>> SqliteProofQuery::open(const std::string& database_path) {
    sqlite::OpenOptions options;
    options.mode = sqlite::OpenMode::ReadOnly;
    auto database = sqlite::Database::open(database_path, options);
    if (!database)
        return std::unexpected(database.error());
    return std::unique_ptr<SqliteProofQuery>(new SqliteProofQuery(std::move(*database)));
}

Result<ProofPlays> SqliteProofQuery::proofs_between(TimePoint from, TimePoint to) {
    std::lock_guard lock{m_mutex};
    // One read transaction: one WAL snapshot for the rows and the summaries.
    auto snapshot = sqlite::Transaction::begin(m_database);
    if (!snapshot)
        return std::unexpected(snapshot.error());
    ProofPlays proofs;
    auto rows = sqlite_proof_of_play_between(m_database, from, to);
    if (!rows)
        return std::unexpected(rows.error());
    proofs.rows = std::move(*rows);
    auto days = sqlite_proof_day_summaries_between(m_database, from, to);
    if (!days)
        return std::unexpected(days.error());
    proofs.days = std::move(*days);
    return proofs;
}

Result<ProofPlays> StoreProofQuery::proofs_between(TimePoint from, TimePoint to) {
    return m_store.read_value<ProofPlays>([&](StoreTransaction& transaction) -> Result<ProofPlays> {
        ProofPlays proofs;
        auto rows = transaction.list_proof_of_play(from, to);
        if (!rows)
            return std::unexpected(rows.error());
        proofs.rows = std::move(*rows);
        auto days = transaction.list_proof_day_summaries(from, to);
        if (!days)
            return std::unexpected(days.error());
        proofs.days = std::move(*days);
        return proofs;
    });
}

Result<std::vector<PlaysRow>> ReportService::plays(ReportRange range) {
    if (auto valid = check_range(range); !valid)
        return std::unexpected(valid.error());
    auto devices = m_store.read_value<std::vector<DeviceRecord>>(
        [&](StoreTransaction& transaction) { return load_all_devices(transaction); });
    if (!devices)
        return std::unexpected(devices.error());
    std::map<std::string, const scheduler::Device*, std::less<>> by_id;
    for (const auto& device : *devices) by_id.emplace(device.device.id, &device.device);
    auto proofs = m_proofs.proofs_between(range.from, range.to);
    if (!proofs)
        return std::unexpected(proofs.error());
    const std::vector<ProofOfPlayRow>* rows = &proofs->rows;
    auto slots = SlotLengths::load(m_store);
    if (!slots)
        return std::unexpected(slots.error());
    std::map<std::tuple<std::string, std::string, std::string>, PlaysRow> counts;
    const std::vector<Duration> earlier = earlier_pieces(*rows);
    for (std::size_t index = 0; index < rows->size(); ++index) {
        const ProofOfPlayRow& row = (*rows)[index];
        if (row.campaign.empty())
            continue;
        auto device = by_id.find(row.device);
        const std::string zone = device != by_id.end() ? device->second->zone : "";
        const std::string time_zone =
            device != by_id.end() ? device->second->time_zone : std::string{scheduler::default_time_zone};
        const std::string day = local_day(row.started, time_zone);
        auto& entry = counts[{row.campaign, day, zone}];
        entry.campaign = row.campaign;
        entry.day = day;
        entry.zone = zone;
        if (row.duration_ms)
            entry.played_ms += *row.duration_ms;
        if (row.relay) {
            entry.relayed_ms += static_cast<std::int64_t>(row.relay->relayed_ms);
            entry.filler_ms += static_cast<std::int64_t>(row.relay->filler_ms);
            entry.source_losses += row.relay->source_losses;
        }
        switch (row.outcome) {
            case PlayOutcome::Completed:
                if (slots->ran_enough(row, earlier[index])) {
                    ++entry.completed;
                    if (row.note == protocol::audio_unavailable_note)
                        ++entry.muted;
                } else
                    ++entry.cut_short;
                break;
            case PlayOutcome::Interrupted: ++entry.interrupted; break;
            case PlayOutcome::Failed: ++entry.failed; break;
        }
    }
    // Days folded by retention: judged when they were summarised, on the day they got then.
    for (const ProofDaySummary& folded : proofs->days) {
        if (folded.campaign.empty())
            continue;
        auto device = by_id.find(folded.device);
        const std::string zone = device != by_id.end() ? device->second->zone : "";
        auto& entry = counts[{folded.campaign, folded.day, zone}];
        entry.campaign = folded.campaign;
        entry.day = folded.day;
        entry.zone = zone;
        entry.completed += folded.completed;
        entry.interrupted += folded.interrupted;
        entry.failed += folded.failed;
        entry.cut_short += folded.cut_short;
        entry.played_ms += folded.played_ms;
        entry.muted += folded.muted;
        entry.relayed_ms += folded.relayed_ms;
        entry.filler_ms += folded.filler_ms;
        entry.source_losses += folded.source_losses;
    }
    std::vector<PlaysRow> result;
    for (auto& [key, entry] : counts) result.push_back(std::move(entry));
    return result;
}

Result<std::vector<DeliveryRow>> ReportService::delivery(ReportRange range, DeliveryGrouping grouping) {
    if (auto valid = check_range(range); !valid)
        return std::unexpected(valid.error());
    ModelOptions options;
    options.campaigns = CampaignSelection::Approved;
    options.revoked = RevokedDevices::Exclude;
    ModelInstants instants;
    auto model = build_model(m_store, options, &instants);
    if (!model)
        return std::unexpected(model.error());
    const auto devices = model->devices;
    std::vector<std::string> campaign_ids;
    for (const auto& campaign : model->campaigns) campaign_ids.push_back(campaign.id);
    auto resolver = scheduler::Resolver::create(std::move(*model));
    if (!resolver)
        return std::unexpected(resolver.error());
    // Rows keyed by (campaign, zone, day), each "" when not grouped by it.
    using Key = std::tuple<std::string, std::string, std::string>;
    std::map<Key, DeliveryRow> rows;
    const auto row_of = [&](std::string_view campaign, std::string_view zone,
                            std::string_view day) -> DeliveryRow& {
        Key key{grouping.campaign ? campaign : "", grouping.zone ? zone : "", grouping.day ? day : ""};
        DeliveryRow& row = rows[key];
        row.campaign = std::get<0>(key);
        row.zone = std::get<1>(key);
        row.day = std::get<2>(key);
        return row;
    };
    // By campaign alone, every approved campaign has its row, planned 0 too.
    if (grouping.campaign && !grouping.zone && !grouping.day)
        for (const auto& id : campaign_ids) row_of(id, "", "");
    const std::set<std::string, std::less<>> approved(campaign_ids.begin(), campaign_ids.end());
    // Planned: what should have played by now, while the campaign was approved and the device
    // registered. An entry counts when it starts in the range, at or after both instants, and
    // has ended by now (its proof cannot have come before); plays are counted by their start too.
    const TimePoint now = m_clock.wall();
    const auto since = [](const auto& instants_of, std::string_view id, TimePoint otherwise) {
        const auto found = instants_of.find(id);
        return found == instants_of.end() ? otherwise : std::max(found->second, otherwise);
    };
    for (const auto& device : devices) {
        const TimePoint device_from = since(instants.device_registered, device.id, range.from);
        const TimePoint until = std::min(range.to, now);
        if (until <= device_from)
            continue;
        auto timeline = resolver->resolve(device, device_from, until);
        if (!timeline)
            return std::unexpected(timeline.error());
        // A ticker campaign's lines are plays of it too (docs/scheduling.md, "Regions").
        auto ticker = resolver->resolve(device, device_from, until, scheduler::Region::Ticker);
        if (!ticker)
            return std::unexpected(ticker.error());
        timeline->insert(timeline->end(), ticker->begin(), ticker->end());
        for (const auto& entry : *timeline) {
            // The rest of an item resumed at its offset is the same play as its cut piece,
            // counted there.
            if (entry.source_kind != scheduler::SourceKind::Campaign || entry.start < device_from ||
                entry.end > now || entry.media_offset > Duration{0})
                continue;
            if (!approved.contains(entry.source_id) ||
                entry.start < since(instants.campaign_approved, entry.source_id, range.from))
                continue;
            const std::string day = grouping.day ? local_day(entry.start, device.time_zone) : "";
            ++row_of(entry.source_id, device.zone, day).planned;
        }
    }
    auto proofs = m_proofs.proofs_between(range.from, range.to);
    if (!proofs)
        return std::unexpected(proofs.error());
    const std::vector<ProofOfPlayRow>* plays = &proofs->rows;
    auto slots = SlotLengths::load(m_store);
    if (!slots)
        return std::unexpected(slots.error());
    auto all_devices = m_store.read_value<std::vector<DeviceRecord>>(
        [&](StoreTransaction& transaction) { return load_all_devices(transaction); });
    if (!all_devices)
        return std::unexpected(all_devices.error());
    std::map<std::string, const scheduler::Device*, std::less<>> by_id;
    for (const auto& device : *all_devices) by_id.emplace(device.device.id, &device.device);
    const std::vector<Duration> earlier = earlier_pieces(*plays);
    for (std::size_t index = 0; index < plays->size(); ++index) {
        const ProofOfPlayRow& play = (*plays)[index];
        if (play.campaign.empty() || play.outcome != PlayOutcome::Completed ||
            !slots->ran_enough(play, earlier[index]))
            continue;
        const auto device = by_id.find(play.device);
        const std::string zone = device != by_id.end() ? device->second->zone : "";
        std::string day;
        if (grouping.day)
            day = local_day(play.started, device != by_id.end() ? device->second->time_zone
                                                                : std::string{scheduler::default_time_zone});
        ++row_of(play.campaign, zone, day).delivered;
    }
    for (const ProofDaySummary& folded : proofs->days) {
        if (folded.campaign.empty() || folded.completed == 0)
            continue;
        const auto device = by_id.find(folded.device);
        const std::string zone = device != by_id.end() ? device->second->zone : "";
        row_of(folded.campaign, zone, grouping.day ? folded.day : "").delivered += folded.completed;
    }
    std::vector<DeliveryRow> result;
    for (auto& [key, row] : rows) {
        row.ratio =
            row.planned > 0 ? static_cast<double>(row.delivered) / static_cast<double>(row.planned) : 1.0;
        row.under_delivered = row.planned > 0 && row.ratio < m_threshold;
        result.push_back(row);
    }
    return result;
}

Result<std::vector<AlertPlaysRow>> ReportService::alerts(ReportRange range) {
    if (auto valid = check_range(range); !valid)
        return std::unexpected(valid.error());
    auto proofs = m_proofs.proofs_between(range.from, range.to);
    if (!proofs)
        return std::unexpected(proofs.error());
    const std::vector<ProofOfPlayRow>* plays = &proofs->rows;
    std::map<std::string, AlertPlaysRow, std::less<>> by_alert;
    std::map<std::string, std::set<std::string, std::less<>>, std::less<>> devices_of;
    for (const ProofOfPlayRow& play : *plays) {
        if (play.alert.empty())
            continue;
        auto [found, inserted] = by_alert.try_emplace(play.alert);
        AlertPlaysRow& row = found->second;
        if (inserted) {
            row.alert = play.alert;
            row.first_played = row.last_played = play.started;
        }
        row.first_played = std::min(row.first_played, play.started);
        row.last_played = std::max(row.last_played, play.started);
        devices_of[play.alert].insert(play.device);
        if (play.duration_ms)
            row.played_ms += *play.duration_ms;
        switch (play.outcome) {
            case PlayOutcome::Completed: ++row.completed; break;
            case PlayOutcome::Interrupted: ++row.interrupted; break;
            case PlayOutcome::Failed: ++row.failed; break;
        }
    }
    for (const ProofDaySummary& folded : proofs->days) {
        if (folded.alert.empty())
            continue;
        auto [found, inserted] = by_alert.try_emplace(folded.alert);
        AlertPlaysRow& row = found->second;
        if (inserted) {
            row.alert = folded.alert;
            row.first_played = folded.first_started;
            row.last_played = folded.last_started;
        }
        row.first_played = std::min(row.first_played, folded.first_started);
        row.last_played = std::max(row.last_played, folded.last_started);
        devices_of[folded.alert].insert(folded.device);
        row.played_ms += folded.played_ms;
        row.completed += folded.completed + folded.cut_short;  // the alert report takes the outcome alone
        row.interrupted += folded.interrupted;
        row.failed += folded.failed;
    }
    auto filled = m_store.read([&](StoreTransaction& transaction) -> Result<void> {
        for (auto& [id, row] : by_alert) {
            row.devices = static_cast<std::int64_t>(devices_of[id].size());
            auto record = transaction.alert_by_id(id);
            if (!record) {
                if (record.error().code == Errc::NotFound)
                    continue;
                return std::unexpected(record.error());
            }
            row.headline = record->alert.headline;
            row.severity = std::string{scheduler::to_string(record->alert.severity)};
            row.status = std::string{scheduler::to_string(record->alert.status)};
        }
        return {};
    });
    if (!filled)
        return std::unexpected(filled.error());
    std::vector<AlertPlaysRow> result;
    for (auto& [id, row] : by_alert) result.push_back(std::move(row));
    std::stable_sort(result.begin(), result.end(), [](const AlertPlaysRow& a, const AlertPlaysRow& b) {
        return a.first_played < b.first_played;
    });
    return result;
}

Result<std::vector<UptimeRow>> ReportService::uptime(ReportRange range) {
    if (auto valid = check_range(range); !valid)
        return std::unexpected(valid.error());
    auto devices = m_store.read_value<std::vector<DeviceRecord>>(
        [&](StoreTransaction& transaction) { return load_all_devices(transaction); });
    if (!devices)
        return std::unexpected(devices.error());
    std::vector<UptimeRow> result;
    for (const auto& device : *devices) {
        UptimeRow row;
        row.device = device.device.id;
        row.zone = device.device.zone;
        row.online = device.online;
        row.last_seen = device.last_seen;
        if (m_history) {
            auto changes = m_history->changes(device.device.id, range.from, range.to);
            if (!changes)
                return std::unexpected(changes.error());
            auto summary = summarise_uptime(device.device.id, *changes, range.from, range.to);
            row.online_time = summary.online;
            row.observed_time = summary.observed;
            row.uptime = summary.ratio();
            row.changes = std::move(*changes);
        }
        result.push_back(std::move(row));
    }
    return result;
}

std::string to_csv(const std::vector<PlaysRow>& rows) {
    std::ostringstream out;
    out << csv_byte_order_mark
        << "Chiến dịch / campaign,Ngày / day,Khu vực / zone,Phát trọn / completed,Bị ngắt / interrupted,"
           "Không phát được / failed,Phát thiếu / cut short,Giây đã phát / played seconds,"
           "Không có tiếng / muted,Giây tiếp sóng / relayed seconds,Giây phát bù / filler seconds,"
           "Lần mất nguồn / source losses\r\n";
    for (const auto& row : rows) {
        out << csv_field(row.campaign) << ',' << row.day << ',' << csv_field(row.zone) << ',' << row.completed
            << ',' << row.interrupted << ',' << row.failed << ',' << row.cut_short << ','
            << seconds_text(row.played_ms) << ',' << row.muted << ',' << seconds_text(row.relayed_ms) << ','
            << seconds_text(row.filler_ms) << ',' << row.source_losses << "\r\n";
    }
    return out.str();
}

namespace {

std::string_view yes_no(bool value) {
    return value ? "có / yes" : "không / no";
}

std::string_view severity_text(std::string_view severity) {
    if (severity == "minor")
        return "nhẹ / minor";
    if (severity == "moderate")
        return "trung bình / moderate";
    if (severity == "severe")
        return "nghiêm trọng / severe";
    if (severity == "extreme")
        return "cực kỳ nghiêm trọng / extreme";
    return severity;
}

std::string_view status_text(std::string_view status) {
    if (status == "actual")
        return "thật / actual";
    if (status == "exercise")
        return "diễn tập / exercise";
    return status;
}

}  // namespace

std::string to_csv(const std::vector<DeliveryRow>& rows, DeliveryGrouping grouping) {
    std::ostringstream out;
    out << csv_byte_order_mark;
    if (grouping.campaign)
        out << "Chiến dịch / campaign,";
    if (grouping.zone)
        out << "Khu vực / zone,";
    if (grouping.day)
        out << "Ngày / day,";
    out << "Kế hoạch / planned,Đã phát / delivered,Tỉ lệ / ratio,Phát thiếu / under delivered\r\n";
    for (const auto& row : rows) {
        if (grouping.campaign)
            out << csv_field(row.campaign) << ',';
        if (grouping.zone)
            out << csv_field(row.zone) << ',';
        if (grouping.day)
            out << row.day << ',';
        out << row.planned << ',' << row.delivered << ',' << ratio_text(row.ratio) << ','
            << yes_no(row.under_delivered) << "\r\n";
    }
    return out.str();
}

std::string to_csv(const std::vector<UptimeRow>& rows) {
    std::ostringstream out;
    out << csv_byte_order_mark
        << "Thiết bị / device,Khu vực / zone,Trực tuyến / online,Lần cuối liên lạc / last seen,"
           "Giây trực tuyến / online seconds,Giây theo dõi / observed seconds,Tỉ lệ hoạt động / uptime\r\n";
    for (const auto& row : rows)
        out << csv_field(row.device) << ',' << csv_field(row.zone) << ',' << yes_no(row.online) << ','
            << (row.last_seen ? format_utc(*row.last_seen) : "") << ','
            << std::chrono::duration_cast<std::chrono::seconds>(row.online_time).count() << ','
            << std::chrono::duration_cast<std::chrono::seconds>(row.observed_time).count() << ','
            << ratio_text(row.uptime) << "\r\n";
    return out.str();
}

std::string to_csv(const std::vector<AlertPlaysRow>& rows) {
    std::ostringstream out;
    out << csv_byte_order_mark
        << "Cảnh báo / alert,Tiêu đề / headline,Mức độ / severity,Loại / status,Số thiết bị / devices,"
           "Phát trọn / completed,Bị ngắt / interrupted,Không phát được / failed,Giây đã phát / played "
           "seconds,"
           "Lần phát đầu / first played,Lần phát cuối / last played\r\n";
    for (const auto& row : rows)
        out << csv_field(row.alert) << ',' << csv_field(row.headline) << ',' << severity_text(row.severity)
            << ',' << status_text(row.status) << ',' << row.devices << ',' << row.completed << ','
            << row.interrupted << ',' << row.failed << ',' << seconds_text(row.played_ms) << ','
            << format_utc(row.first_played) << ',' << format_utc(row.last_played) << "\r\n";
    return out.str();
}

}  // namespace bantin::controller
