#include "bantin/controller/public_board.hpp"

#include "store_pages.hpp"

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/http_front.hpp"
#include "bantin/controller/http_server.hpp"
#include "bantin/media/sha256.hpp"

#include <date/tz.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>

namespace bantin::controller {

namespace {

constexpr std::string_view base = "/cong-khai";

std::vector<std::string> sorted(std::set<std::string> ids) {
    return {ids.begin(), ids.end()};
}

bool contains(const std::vector<std::string>& ids, std::string_view id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// ---------------------------------------------------------------- local time

const date::time_zone* locate(const std::string& name) {
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        return date::locate_zone(std::string{scheduler::default_time_zone});
    }
}

date::local_seconds local(TimePoint at, const std::string& time_zone) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(at);
    return locate(time_zone)->to_local(
        date::sys_seconds{date::sys_seconds::duration{seconds.time_since_epoch().count()}});
}

std::chrono::year_month_day local_day(TimePoint at, const std::string& time_zone) {
    const date::year_month_day day{date::floor<date::days>(local(at, time_zone))};
    return std::chrono::year_month_day{std::chrono::year{int(day.year())},
                                       std::chrono::month{unsigned(day.month())},
                                       std::chrono::day{unsigned(day.day())}};
}

// dd/mm/yyyy and 24 h, as a Vietnamese reader writes them.
std::string date_text(std::chrono::year_month_day day) {
    char text[48];
    std::snprintf(text, sizeof text, "%02u/%02u/%04d", unsigned(day.day()), unsigned(day.month()),
                  int(day.year()));
    return text;
}

std::string clock_text(int minutes) {
    char text[32];
    std::snprintf(text, sizeof text, "%02d:%02d", minutes / 60, minutes % 60);
    return text;
}

std::string local_text(TimePoint at, const std::string& time_zone) {
    const auto seconds = local(at, time_zone);
    const auto day = date::floor<date::days>(seconds);
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(seconds - day).count();
    return clock_text(static_cast<int>(minutes)) + " " + date_text(local_day(at, time_zone));
}

bool in_dates(const std::optional<std::chrono::year_month_day>& from,
              const std::optional<std::chrono::year_month_day>& to, std::chrono::year_month_day day) {
    return (!from || *from <= day) && (!to || day <= *to);
}

// Monday = bit 0, as the model's weekdays.
int weekday_bit(std::chrono::year_month_day day) {
    const std::chrono::weekday weekday{std::chrono::sys_days{day}};
    return static_cast<int>((weekday.c_encoding() + 6) % 7);
}

// ---------------------------------------------------------------- text

void escape(std::ostringstream& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '&': out << "&amp;"; break;
            case '<': out << "&lt;"; break;
            case '>': out << "&gt;"; break;
            case '"': out << "&quot;"; break;
            case '\'': out << "&#39;"; break;
            default:
                // Control characters other than tab and line breaks are not text (and not XML).
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
                    out << ' ';
                else
                    out << c;
        }
    }
}

// The text with its line breaks kept as <br>: notices are written in lines.
void escape_lines(std::ostringstream& out, std::string_view text) {
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = text.find('\n', start);
        escape(out, text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos)
            break;
        out << "<br>";
        start = end + 1;
    }
}

std::string_view severity_words(scheduler::Severity severity) {
    switch (severity) {
        case scheduler::Severity::Extreme: return "Đặc biệt nguy hiểm";
        case scheduler::Severity::Severe: return "Nguy hiểm";
        case scheduler::Severity::Moderate: return "Cần chú ý";
        case scheduler::Severity::Minor: return "Thông tin";
    }
    return "";
}

std::string first_line(std::string_view text, std::size_t most = 90) {
    std::string line{text.substr(0, text.find('\n'))};
    if (line.size() > most) {
        std::size_t cut = most;
        while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
        line = line.substr(0, cut) + "…";
    }
    return line;
}

bool zone_has(const std::vector<std::string>& zones, bool all_zones, const BoardZone* zone) {
    return zone == nullptr || all_zones || contains(zones, zone->id);
}

std::string zone_names(const PublicBoard& board, const std::vector<std::string>& ids) {
    std::string names;
    for (const auto& id : ids) {
        const BoardZone* zone = board.zone(id);
        names += (names.empty() ? "" : ", ") + (zone ? zone->name : id);
    }
    return names;
}

std::string speech_path(const std::string& sha256) {
    return std::string{base} + "/am-thanh/" + sha256 + ".ogg";
}

std::string page_path(const BoardZone* zone) {
    return zone ? std::string{base} + "/" + zone->id : std::string{base};
}

// What a zone's page shows, in the order it shows it.
struct ZoneView {
    std::vector<const BoardAlert*> alerts;
    std::vector<const BoardNotice*> current;
    std::vector<const BoardNotice*> recent;
    std::vector<std::pair<int, const BoardBulletin*>> programme;  // today, by time
};

ZoneView view_of(const PublicBoard& board, const BoardZone* zone, TimePoint now) {
    ZoneView view;
    const std::string time_zone = zone ? zone->time_zone : std::string{scheduler::default_time_zone};
    const auto today = local_day(now, time_zone);
    const auto oldest = std::chrono::year_month_day{std::chrono::sys_days{today} - recent_notice_days};
    for (const auto& alert : board.alerts)
        if (zone_has(alert.zones, alert.all_zones, zone))
            view.alerts.push_back(&alert);
    std::stable_sort(view.alerts.begin(), view.alerts.end(),
                     [](const BoardAlert* a, const BoardAlert* b) { return a->severity > b->severity; });
    for (const auto& notice : board.notices) {
        if (!zone_has(notice.zones, false, zone))
            continue;
        if (in_dates(notice.valid_from, notice.valid_to, today))
            view.current.push_back(&notice);
        else if (notice.valid_to && *notice.valid_to < today && oldest <= *notice.valid_to)
            view.recent.push_back(&notice);
    }
    const auto newest_first = [](const BoardNotice* a, const BoardNotice* b) { return a->since > b->since; };
    std::stable_sort(view.current.begin(), view.current.end(), newest_first);
    std::stable_sort(view.recent.begin(), view.recent.end(), newest_first);
    if (zone) {
        for (const auto& bulletin : board.bulletins) {
            if (!contains(bulletin.zones, zone->id) ||
                !in_dates(bulletin.valid_from, bulletin.valid_to, today) ||
                (bulletin.weekdays & (1 << weekday_bit(today))) == 0)
                continue;
            for (const int minute : bulletin.minutes) view.programme.emplace_back(minute, &bulletin);
        }
        std::stable_sort(view.programme.begin(), view.programme.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    return view;
}

TimePoint newest(const ZoneView& view) {
    TimePoint latest{};
    for (const BoardAlert* alert : view.alerts) latest = std::max(latest, alert->issued);
    for (const auto* list : {&view.current, &view.recent})
        for (const BoardNotice* notice : *list) latest = std::max(latest, notice->since);
    return latest;
}

constexpr std::string_view style =
    R"(body{font-family:"Noto Sans","Roboto",sans-serif;margin:0;line-height:1.5;color:#111;background:#fff}
header,main,footer{max-width:48rem;margin:0 auto;padding:0.75rem 1rem}
header{border-bottom:4px solid #b00}
h1{font-size:1.4rem;margin:0.2rem 0}h2{font-size:1.15rem;margin:1.2rem 0 0.4rem}
article{border:1px solid #ccc;border-radius:6px;padding:0.6rem 0.8rem;margin:0.6rem 0;overflow-wrap:anywhere}
.alert{border-width:3px}.extreme{border-color:#b00;background:#fde8e8}.severe{border-color:#d35400;background:#fff1e0}
.moderate{border-color:#b7950b;background:#fffbe0}.minor{border-color:#2e86c1}
.exercise{font-weight:bold;color:#fff;background:#555;padding:0 0.4rem;border-radius:4px}
.when{color:#444;font-size:0.9rem}audio{width:100%;margin-top:0.4rem}
ul.zones{padding-left:1.2rem}table{border-collapse:collapse}td{padding:0.2rem 0.8rem 0.2rem 0}
a{color:#0645ad})";

}  // namespace

bool PublicBoard::has_speech(std::string_view sha256) const {
    for (const auto& alert : alerts)
        if (alert.speech == sha256)
            return true;
    for (const auto& notice : notices)
        if (notice.speech == sha256)
            return true;
    return false;
}

const BoardZone* PublicBoard::zone(std::string_view id) const {
    for (const auto& zone : zones)
        if (zone.id == id)
            return &zone;
    return nullptr;
}

Result<PublicBoard> build_public_board(Store& store, TimePoint now) {
    return store.read_value<PublicBoard>([&](StoreTransaction& transaction) -> Result<PublicBoard> {
        PublicBoard board;
        board.built = now;
        auto zones = transaction.list_zones();
        if (!zones)
            return std::unexpected(zones.error());
        auto devices =
            read_all_pages<DeviceRecord>([&](Page page) { return transaction.list_devices(page); });
        if (!devices)
            return std::unexpected(devices.error());
        std::erase_if(*devices, [](const DeviceRecord& record) { return record.revoked.has_value(); });
        for (const auto& zone : *zones) {
            BoardZone entry{zone.id, zone.name.empty() ? zone.id : zone.name,
                            std::string{scheduler::default_time_zone}};
            for (const auto& device : *devices) {
                if (device.device.zone == zone.id) {
                    entry.time_zone = device.device.time_zone;
                    break;
                }
            }
            board.zones.push_back(std::move(entry));
        }
        std::sort(board.zones.begin(), board.zones.end(),
                  [](const BoardZone& a, const BoardZone& b) { return a.name < b.name; });

        // Every media row once: a playlist may name a notice or only its speech (a loudspeaker
        // playlist often does); either way the notice is what residents heard.
        auto all_media = read_all_pages<MediaRecord>([&](Page page) { return transaction.list_media(page); });
        if (!all_media)
            return std::unexpected(all_media.error());
        std::map<std::string, const MediaRecord*, std::less<>> media;
        std::map<std::string, const MediaRecord*, std::less<>> notice_of_speech;
        for (const auto& record : *all_media) {
            media.emplace(record.media.sha256, &record);
            if (record.media.type == scheduler::MediaType::Text && record.text && record.tts_media)
                notice_of_speech.emplace(*record.tts_media, &record);
        }
        auto media_of = [&](const std::string& sha256) -> const MediaRecord* {
            const auto found = media.find(sha256);
            return found == media.end() ? nullptr : found->second;
        };
        auto playlists_cache = std::map<std::string, scheduler::Playlist, std::less<>>{};
        auto playlist_of = [&](const std::string& id) -> const scheduler::Playlist* {
            auto found = playlists_cache.find(id);
            if (found == playlists_cache.end()) {
                auto record = transaction.playlist_by_id(id);
                if (!record)
                    return nullptr;
                found = playlists_cache.emplace(id, std::move(record->playlist)).first;
            }
            return &found->second;
        };

        CampaignFilter approved;
        approved.approval = scheduler::ApprovalState::Approved;
        auto campaigns = read_all_pages<CampaignRecord>(
            [&](Page page) { return transaction.list_campaigns(approved, page); });
        if (!campaigns)
            return std::unexpected(campaigns.error());
        std::map<std::string, std::size_t, std::less<>> notice_by_text;
        for (const auto& record : *campaigns) {
            const auto& campaign = record.campaign;
            if (campaign.approval != scheduler::ApprovalState::Approved)
                continue;
            std::set<std::string> zones_reached;
            std::set<std::string> speaker_zones;
            for (const auto& device : *devices) {
                if (!scheduler::targets(campaign.targets, device.device))
                    continue;
                zones_reached.insert(device.device.zone);
                if (device.device.kind == scheduler::DeviceKind::Speaker)
                    speaker_zones.insert(device.device.zone);
            }
            if (zones_reached.empty())
                continue;
            if (campaign.mode == scheduler::Mode::FixedTime && !speaker_zones.empty()) {
                board.bulletins.push_back(BoardBulletin{campaign.name, campaign.fixed_times,
                                                        campaign.weekdays, campaign.valid_from,
                                                        campaign.valid_to, sorted(speaker_zones)});
            }
            const scheduler::Playlist* playlist = playlist_of(campaign.playlist);
            if (!playlist)
                continue;
            for (const auto& item : playlist->items) {
                const MediaRecord* notice = media_of(item.media);
                if (const auto spoken = notice_of_speech.find(item.media); spoken != notice_of_speech.end())
                    notice = spoken->second;
                if (!notice || notice->media.type != scheduler::MediaType::Text || !notice->text)
                    continue;
                const TimePoint since = record.decided.value_or(record.updated);
                auto [found, fresh] = notice_by_text.emplace(*notice->text, board.notices.size());
                if (fresh) {
                    board.notices.push_back(BoardNotice{*notice->text, notice->tts_media, since,
                                                        campaign.valid_from, campaign.valid_to,
                                                        sorted(zones_reached)});
                    continue;
                }
                // The same words in several campaigns: one notice, in force as long as any of them.
                BoardNotice& same = board.notices[found->second];
                std::set<std::string> merged{same.zones.begin(), same.zones.end()};
                merged.insert(zones_reached.begin(), zones_reached.end());
                same.zones = sorted(std::move(merged));
                same.since = std::max(same.since, since);
                if (same.valid_from && (!campaign.valid_from || *campaign.valid_from < *same.valid_from))
                    same.valid_from = campaign.valid_from;
                if (same.valid_to && (!campaign.valid_to || *same.valid_to < *campaign.valid_to))
                    same.valid_to = campaign.valid_to;
                if (!same.speech)
                    same.speech = notice->tts_media;
            }
        }

        auto alerts = transaction.list_active_alerts(now);
        if (!alerts)
            return std::unexpected(alerts.error());
        for (const auto& record : *alerts) {
            if (record.state != AlertState::Sent)
                continue;
            const auto& alert = record.alert;
            BoardAlert entry{alert.headline, alert.text,
                             alert.severity, alert.status == scheduler::AlertStatus::Exercise,
                             alert.issued,   alert.expires,
                             std::nullopt,   alert.zones,
                             alert.all_zones};
            if (const scheduler::Playlist* playlist = playlist_of(alert.playlist)) {
                for (const auto& item : playlist->items) {
                    const MediaRecord* found = media_of(item.media);
                    if (found && found->media.type == scheduler::MediaType::Text && found->tts_media) {
                        entry.speech = found->tts_media;
                        break;
                    }
                    if (found && found->media.type == scheduler::MediaType::Audio && !entry.speech)
                        entry.speech = found->media.sha256;
                }
            }
            board.alerts.push_back(std::move(entry));
        }
        std::sort(board.alerts.begin(), board.alerts.end(),
                  [](const BoardAlert& a, const BoardAlert& b) { return a.issued > b.issued; });
        return board;
    });
}

std::string render_board_html(const PublicBoard& board, const BoardZone* zone, TimePoint now) {
    const ZoneView view = view_of(board, zone, now);
    const std::string time_zone = zone ? zone->time_zone : std::string{scheduler::default_time_zone};
    const std::string place = zone ? zone->name : "Thị xã Tân Uyên";
    std::ostringstream out;
    out << "<!doctype html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
        << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Bảng tin công "
           "khai – ";
    escape(out, place);
    out << "</title>\n<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Tin mới – ";
    escape(out, place);
    out << "\" href=\"" << page_path(zone) << "/atom.xml\">\n<style>" << style
        << "</style>\n</head>\n<body>\n<header>\n"
        << "<p><a href=\"" << base << "\">Bảng tin công khai</a></p>\n<h1>";
    escape(out, place);
    // The newest change of what the page shows, not the time it was made: the page (and its
    // ETag) stays the same until something on it changes, so a phone that comes back gets 304.
    out << "</h1>\n<p class=\"when\">Ngày " << date_text(local_day(now, time_zone));
    if (const TimePoint latest = newest(view); latest != TimePoint{})
        out << " · tin mới nhất lúc " << local_text(latest, time_zone);
    out << "</p>\n</header>\n<main>\n";

    out << "<section aria-labelledby=\"canh-bao\">\n<h2 id=\"canh-bao\">Cảnh báo đang có hiệu lực</h2>\n";
    if (view.alerts.empty())
        out << "<p>Hiện không có cảnh báo nào.</p>\n";
    for (const BoardAlert* alert : view.alerts) {
        out << "<article class=\"alert " << scheduler::to_string(alert->severity) << "\">\n<h3>";
        if (alert->exercise)
            out << "<span class=\"exercise\">DIỄN TẬP</span> ";
        out << "CẢNH BÁO KHẨN CẤP: ";
        escape(out, alert->headline);
        out << "</h3>\n<p>Mức độ: " << severity_words(alert->severity) << "</p>\n<p>";
        escape_lines(out, alert->text);
        out << "</p>\n<p class=\"when\">Phát lúc " << local_text(alert->issued, time_zone)
            << ", hiệu lực đến " << local_text(alert->expires, time_zone);
        if (!zone)
            out << " · " << (alert->all_zones ? std::string{"Toàn thị xã"} : zone_names(board, alert->zones));
        out << "</p>\n";
        if (alert->speech)
            out << "<audio controls preload=\"none\" src=\"" << speech_path(*alert->speech)
                << "\"></audio>\n";
        out << "</article>\n";
    }
    out << "</section>\n";

    const auto notices = [&](std::string_view id, std::string_view heading,
                             const std::vector<const BoardNotice*>& list, std::string_view none) {
        out << "<section aria-labelledby=\"" << id << "\">\n<h2 id=\"" << id << "\">" << heading << "</h2>\n";
        if (list.empty())
            out << "<p>" << none << "</p>\n";
        for (const BoardNotice* notice : list) {
            out << "<article>\n<h3>";
            escape(out, first_line(notice->text));
            out << "</h3>\n";
            // The heading is the first line when it is whole; the rest (or, for a first line
            // too long for a heading, all of it) follows, so every word is on the page once.
            const std::string_view text = notice->text;
            const std::size_t line_end = std::min(text.find('\n'), text.size());
            const std::string_view body =
                first_line(text).size() == line_end ? text.substr(std::min(line_end + 1, text.size())) : text;
            if (!body.empty()) {
                out << "<p>";
                escape_lines(out, body);
                out << "</p>\n";
            }
            out << "<p class=\"when\">Từ " << local_text(notice->since, time_zone);
            if (notice->valid_to)
                out << " đến hết ngày " << date_text(*notice->valid_to);
            if (!zone) {
                out << " · ";
                escape(out, zone_names(board, notice->zones));
            }
            out << "</p>\n";
            if (notice->speech)
                out << "<audio controls preload=\"none\" src=\"" << speech_path(*notice->speech)
                    << "\"></audio>\n";
            out << "</article>\n";
        }
        out << "</section>\n";
    };
    notices("thong-bao", "Thông báo đang phát", view.current, "Hiện không có thông báo nào.");
    if (!view.recent.empty())
        notices("thong-bao-cu", "Thông báo gần đây", view.recent, "");

    if (zone) {
        out << "<section aria-labelledby=\"chuong-trinh\">\n<h2 id=\"chuong-trinh\">Chương trình phát thanh "
               "hôm nay, "
            << date_text(local_day(now, time_zone)) << "</h2>\n";
        if (view.programme.empty()) {
            out << "<p>Hôm nay không có bản tin phát theo giờ.</p>\n";
        } else {
            out << "<table>\n";
            for (const auto& [minute, bulletin] : view.programme) {
                out << "<tr><td>" << clock_text(minute) << "</td><td>";
                escape(out, bulletin->title);
                out << "</td></tr>\n";
            }
            out << "</table>\n";
        }
        out << "</section>\n";
    } else {
        out << "<section aria-labelledby=\"xa-phuong\">\n<h2 id=\"xa-phuong\">Xã, phường</h2>\n<ul "
               "class=\"zones\">\n";
        for (const auto& each : board.zones) {
            out << "<li><a href=\"" << page_path(&each) << "\">";
            escape(out, each.name);
            out << "</a></li>\n";
        }
        out << "</ul>\n</section>\n";
    }
    out << "</main>\n<footer><p class=\"when\"><a href=\"" << page_path(zone)
        << "/atom.xml\">Nhận tin mới (Atom)</a></p></footer>\n</body>\n</html>\n";
    return out.str();
}

std::string render_board_atom(const PublicBoard& board, const BoardZone* zone, TimePoint now) {
    const ZoneView view = view_of(board, zone, now);
    const std::string place = zone ? zone->name : "Thị xã Tân Uyên";
    const std::string feed_id = "tag:bantin,2026:cong-khai" + (zone ? ":" + zone->id : std::string{});
    TimePoint updated = newest(view);
    if (updated == TimePoint{})
        updated = std::chrono::floor<std::chrono::days>(now);  // stable through the day: the feed's ETag too
    std::ostringstream out;
    out << "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" "
           "xml:lang=\"vi\">\n"
        << "<id>" << feed_id << "</id>\n<title>Bảng tin công khai – ";
    escape(out, place);
    out << "</title>\n<updated>" << format_utc(updated)
        << "</updated>\n<author><name>Bảng tin công khai</name></author>\n"
        << "<link rel=\"self\" href=\"" << page_path(zone)
        << "/atom.xml\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"" << page_path(zone) << "\"/>\n";
    for (const BoardAlert* alert : view.alerts) {
        out << "<entry>\n<id>tag:bantin,2026:canh-bao:"
            << media::sha256_hex(alert->headline + "\n" + alert->text + "\n" + format_utc(alert->issued))
            << "</id>\n<title>" << (alert->exercise ? "DIỄN TẬP – " : "") << "CẢNH BÁO KHẨN CẤP: ";
        escape(out, alert->headline);
        out << "</title>\n<updated>" << format_utc(alert->issued) << "</updated>\n<content type=\"text\">";
        escape(out, alert->text);
        out << "</content>\n<link rel=\"alternate\" type=\"text/html\" href=\"" << page_path(zone)
            << "\"/>\n";
        if (alert->speech)
            out << "<link rel=\"enclosure\" type=\"audio/ogg\" href=\"" << speech_path(*alert->speech)
                << "\"/>\n";
        out << "</entry>\n";
    }
    for (const auto* list : {&view.current, &view.recent}) {
        for (const BoardNotice* notice : *list) {
            out << "<entry>\n<id>tag:bantin,2026:thong-bao:" << media::sha256_hex(notice->text)
                << "</id>\n<title>";
            escape(out, first_line(notice->text));
            out << "</title>\n<updated>" << format_utc(notice->since)
                << "</updated>\n<content type=\"text\">";
            escape(out, notice->text);
            out << "</content>\n<link rel=\"alternate\" type=\"text/html\" href=\"" << page_path(zone)
                << "\"/>\n";
            if (notice->speech)
                out << "<link rel=\"enclosure\" type=\"audio/ogg\" href=\"" << speech_path(*notice->speech)
                    << "\"/>\n";
            out << "</entry>\n";
        }
    }
    out << "</feed>\n";
    return out.str();
}

// ---------------------------------------------------------------- routes

namespace {

// Per client address: `rate` requests a second on average, bursts of `burst`.
class RequestBuckets {
public:
    RequestBuckets(double rate_per_s, double most) : rate(rate_per_s), burst(most) {}
    bool take(const std::string& client, MonotonicTime now) {
        std::lock_guard lock{m_mutex};
        if (m_buckets.size() > 50'000)
            m_buckets.clear();  // a flood of addresses: forget them all rather than grow
        auto [found, fresh] = m_buckets.try_emplace(client, Bucket{burst, now});
        Bucket& bucket = found->second;
        if (!fresh) {
            const double seconds = std::chrono::duration<double>(now - bucket.last).count();
            bucket.tokens = std::min(burst, bucket.tokens + seconds * rate);
            bucket.last = now;
        }
        if (bucket.tokens < 1.0)
            return false;
        bucket.tokens -= 1.0;
        return true;
    }
    const double rate;
    const double burst;

private:
    struct Bucket {
        double tokens;
        MonotonicTime last;
    };
    std::mutex m_mutex;
    std::unordered_map<std::string, Bucket> m_buckets;
};

class BoardSnapshot {
public:
    explicit BoardSnapshot(ApiContext& context) : m_context(context) {}
    // The board, rebuilt when older than `max_age`; shared by every request meanwhile.
    Result<std::shared_ptr<const PublicBoard>> get() {
        std::lock_guard lock{m_mutex};
        const TimePoint now = m_context.clock.wall();
        if (!m_board || now - m_board->built >= max_age || now < m_board->built) {
            auto built = build_public_board(m_context.store, now);
            if (!built)
                return std::unexpected(built.error());
            m_board = std::make_shared<const PublicBoard>(std::move(*built));
        }
        return m_board;
    }
    static constexpr Duration max_age{5000};

private:
    ApiContext& m_context;
    std::mutex m_mutex;
    std::shared_ptr<const PublicBoard> m_board;
};

}  // namespace

bool etag_matches(std::string_view if_none_match, std::string_view tag) {
    const auto opaque = [](std::string_view value) {
        if (value.starts_with("W/"))
            value.remove_prefix(2);
        return value;
    };
    const std::string_view wanted = opaque(tag);
    while (!if_none_match.empty()) {
        const auto comma = if_none_match.find(',');
        std::string_view candidate = if_none_match.substr(0, comma);
        if_none_match =
            comma == std::string_view::npos ? std::string_view{} : if_none_match.substr(comma + 1);
        while (!candidate.empty() && (candidate.front() == ' ' || candidate.front() == '\t'))
            candidate.remove_prefix(1);
        while (!candidate.empty() && (candidate.back() == ' ' || candidate.back() == '\t'))
            candidate.remove_suffix(1);
        if (candidate == "*" || (!candidate.empty() && opaque(candidate) == wanted))
            return true;
    }
    return false;
}

namespace {

// httplib adds a header per set_header() call: each is set once, here. `cache` empty: the
// Cache-Control is someone else's (serve_media_file sets its own).
void public_headers(httplib::Response& response, std::string_view cache = "public, max-age=30") {
    if (!cache.empty())
        response.set_header("Cache-Control", std::string{cache});
    response.set_header("Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'; media-src 'self'; base-uri 'none'; "
                        "form-action 'none'; frame-ancestors 'none'");
    response.set_header("Referrer-Policy", "no-referrer");
    response.set_header("X-Content-Type-Options", "nosniff");
    // The server compresses (gzip or brotli) for clients that ask: a shared cache must keep the
    // encodings apart.
    response.set_header("Vary", "Accept-Encoding");
}

void send_page(const httplib::Request& request, httplib::Response& response, int status, std::string body,
               std::string_view content_type) {
    public_headers(response);
    const std::string tag = "\"" + media::sha256_hex(body).substr(0, 32) + "\"";
    response.set_header("ETag", tag);
    response.status = status;
    if (status == 200 && etag_matches(request.get_header_value("If-None-Match"), tag)) {
        response.status = 304;
        return;
    }
    response.set_content(std::move(body), std::string{content_type});
}

std::string message_page(std::string_view title, std::string_view text) {
    std::ostringstream out;
    out << "<!doctype html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
           "content=\"width=device-width, initial-scale=1\">\n<title>";
    escape(out, title);
    out << "</title>\n<style>" << style << "</style>\n</head>\n<body>\n<main>\n<h1>";
    escape(out, title);
    out << "</h1>\n<p>";
    escape(out, text);
    out << "</p>\n<p><a href=\"" << base << "\">Bảng tin công khai</a></p>\n</main>\n</body>\n</html>\n";
    return out.str();
}

}  // namespace

void register_public_board(ApiServer& server, ApiContext& context) {
    auto& http = server.http();
    auto snapshot = std::make_shared<BoardSnapshot>(context);
    auto buckets = std::make_shared<RequestBuckets>(context.config.http.public_requests_per_s,
                                                    context.config.http.public_burst);

    // Answers false (after writing the refusal) when the request may not go on.
    auto admitted = [&context, buckets](const httplib::Request& request, httplib::Response& response) {
        if (buckets->take(client_address(context.config, request), context.clock.monotonic()))
            return true;
        public_headers(response, "no-store");
        response.set_header("Retry-After", "1");
        response.status = 429;
        response.set_content(
            message_page("Quá nhiều yêu cầu / Too many requests",
                         "Vui lòng thử lại sau ít giây. / Please try again in a few seconds."),
            "text/html; charset=utf-8");
        return false;
    };
    auto board_or_error = [snapshot](httplib::Response& response) -> std::shared_ptr<const PublicBoard> {
        auto board = snapshot->get();
        if (board)
            return *board;
        spdlog::error("public board: {}", board.error().message());
        public_headers(response, "no-store");
        response.status = 503;
        response.set_content(message_page("Bảng tin tạm thời không xem được / The board is unavailable",
                                          "Vui lòng thử lại sau. / Please try again later."),
                             "text/html; charset=utf-8");
        return nullptr;
    };
    // The zone of the path, or (after answering 404) nothing.
    auto zone_of = [](const PublicBoard& board, const httplib::Request& request, httplib::Response& response,
                      const BoardZone*& zone) {
        zone = nullptr;
        if (request.matches.size() < 2 || request.matches[1].str().empty())
            return true;
        zone = board.zone(request.matches[1].str());
        if (zone)
            return true;
        public_headers(response);
        response.status = 404;
        response.set_content(message_page("Không có xã, phường này / No such commune or ward",
                                          "Hãy chọn xã, phường trong danh sách. / Choose one from the list."),
                             "text/html; charset=utf-8");
        return false;
    };

    // A page or a feed of the board (of the town, or of the zone in the path).
    const auto serve = [=, &context](auto render, std::string_view content_type) {
        return [=, &context](const httplib::Request& request, httplib::Response& response) {
            if (!admitted(request, response))
                return;
            auto board = board_or_error(response);
            const BoardZone* zone = nullptr;
            if (!board || !zone_of(*board, request, response, zone))
                return;
            send_page(request, response, 200, render(*board, zone, context.clock.wall()), content_type);
        };
    };
    const auto page = serve(render_board_html, "text/html; charset=utf-8");
    const auto feed = serve(render_board_atom, "application/atom+xml; charset=utf-8");
    http.Get(std::string{base}, page);
    http.Get(std::string{base} + "/", page);
    http.Get(std::string{base} + "/atom.xml", feed);
    http.Get(
        std::string{base} + R"(/am-thanh/([0-9a-f]{64})\.ogg)",
        [=, &context](const httplib::Request& request, httplib::Response& response) {
            if (!admitted(request, response))
                return;
            auto board = board_or_error(response);
            if (!board)
                return;
            const std::string sha256 = request.matches[1].str();
            auto path = board->has_speech(sha256) ? context.media.lookup(sha256)
                                                  : Result<std::filesystem::path>{fail(Errc::NotFound, "")};
            if (!path) {
                public_headers(response);
                response.status = 404;
                response.set_content(message_page("Không tìm thấy / Not found",
                                                  "Bản tin này không còn trên bảng tin. / This notice is no "
                                                  "longer on the board."),
                                     "text/html; charset=utf-8");
                return;
            }
            public_headers(response, "");
            serve_media_file(request, response, *path, "audio/ogg");
        });
    http.Get(std::string{base} + R"(/([A-Za-z0-9._-]{1,64})/atom\.xml)", feed);
    http.Get(std::string{base} + R"(/([A-Za-z0-9._-]{1,64})/?)", page);
}

}  // namespace bantin::controller
