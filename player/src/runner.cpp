#include "bantin/player/runner.hpp"

#include "bantin/media/alert_tone.hpp"

#include "bantin/protocol/speech_link.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace bantin::player {

namespace {

void add_alert(scheduler::Model& model, const protocol::AlertMessage& message) {
    const auto carried =
        std::find_if(model.alerts.begin(), model.alerts.end(),
                     [&](const scheduler::Alert& alert) { return alert.id == message.alert.id; });
    if (carried == model.alerts.end()) {
        model.alerts.push_back(message.alert);
    } else if (carried->issued < message.alert.issued && message.alert.issued < carried->expires) {
        // The bundle's copy of an alert the device started late (AlertIntake::playing()): the
        // device's start holds, or the bundle would cut the tone that plays and the words' pass.
        carried->issued = message.alert.issued;
    }
    if (std::none_of(
            model.playlists.begin(), model.playlists.end(),
            [&](const scheduler::Playlist& playlist) { return playlist.id == message.playlist.id; })) {
        model.playlists.push_back(message.playlist);
    }
    for (const auto& media : message.media) {
        if (std::none_of(model.media.begin(), model.media.end(),
                         [&](const scheduler::MediaRef& known) { return known.sha256 == media.sha256; })) {
            model.media.push_back(media);
        }
    }
}

}  // namespace

Result<Plan> Plan::create(const protocol::Bundle* bundle, const std::vector<protocol::AlertMessage>& alerts,
                          const LocalInterlocks& interlocks, const DeviceIdentity& identity,
                          const LiveChannel* live) {
    scheduler::Model model;
    scheduler::Device device;
    std::uint64_t version = 0;
    if (bundle != nullptr) {
        model = bundle->model;
        version = bundle->version;
        auto found =
            std::find_if(model.devices.begin(), model.devices.end(),
                         [&](const scheduler::Device& candidate) { return candidate.id == bundle->device; });
        if (found != model.devices.end())
            device = *found;
        else {
            device.id = bundle->device;
            device.zone = identity.zone;
            device.kind = identity.kind;
        }
        // The operator's settings travel beside the model; they are the device's own.
        for (const auto& window : bundle->settings.quiet_hours) device.quiet_hours.push_back(window);
        if (device.on_hours.empty())
            device.on_hours = bundle->settings.on_hours;
        if (device.volume_schedule.empty()) {
            device.volume_schedule = bundle->settings.volume_schedule;
            device.default_volume = bundle->settings.default_volume;
        }
    } else {
        device.id = identity.id;
        device.zone = identity.zone;
        device.kind = identity.kind;
    }
    // The local interlock sits on top of whatever the bundle says, in the device's own zone.
    device.local_quiet_hours = interlocks.quiet_hours;
    device.local_time_zone = interlocks.time_zone;
    model.devices = {device};
    for (const auto& alert : alerts) add_alert(model, alert);
    // A cancelled alert plays no more, whichever copy (bundle or alert message) names it.
    std::erase_if(model.alerts, [&](const scheduler::Alert& alert) {
        return interlocks.cancelled_alerts.contains(alert.id);
    });
    protocol::speak_text_notices(model, device.kind);  // alert text notices: spoken on speakers
    auto resolver = scheduler::Resolver::create(std::move(model));
    if (!resolver)
        return std::unexpected(resolver.error());
    Plan plan(std::move(*resolver), std::move(device), version, interlocks.max_volume);
    if (live != nullptr)
        plan.m_live = std::make_shared<const LiveChannel>(*live);
    return plan;
}

Result<std::vector<scheduler::TimelineEntry>> Plan::entries(TimePoint from, TimePoint to) const {
    if (!m_live || m_live->end <= from || m_live->start >= to)
        return m_resolver.resolve(m_device, from, to);
    // The whole channel is resolved: a higher entry past `to` must end the live entry before it.
    auto timeline = m_resolver.resolve(m_device, from, std::max(to, m_live->end));
    if (!timeline)
        return timeline;
    const auto& model = m_resolver.model();
    auto laid = overlay_live(
        *timeline, *m_live,
        [&](std::string_view campaign) {
            for (const auto& candidate : model.campaigns)
                if (candidate.id == campaign)
                    return candidate.level;
            return scheduler::Level::Emergency;  // unknown: never cut
        },
        [&](std::string_view alert) {
            for (const auto& candidate : model.alerts)
                if (candidate.id == alert)
                    return candidate.status == scheduler::AlertStatus::Exercise;
            return false;
        });
    if (m_live->level != scheduler::Level::Emergency) {
        // The device's own quiet hours ([safety]) hold for a channel below emergency, as they do
        // for campaigns: a channel left open overnight, or opened on the wrong zone, stays silent.
        auto quiet = scheduler::Resolver::local_quiet_hours(m_device, from, std::max(to, m_live->end));
        if (!quiet)
            return std::unexpected(quiet.error());
        laid = silence_live(std::move(laid), *quiet);
    }
    std::erase_if(
        laid, [&](const scheduler::TimelineEntry& entry) { return entry.end <= from || entry.start >= to; });
    return laid;
}

std::vector<scheduler::TimelineEntry> silence_live(
    std::vector<scheduler::TimelineEntry> timeline,
    const std::vector<std::pair<TimePoint, TimePoint>>& quiet) {
    if (quiet.empty())
        return timeline;
    std::vector<scheduler::TimelineEntry> kept;
    for (auto& entry : timeline) {
        if (entry.source_kind != scheduler::SourceKind::Live) {
            kept.push_back(std::move(entry));
            continue;
        }
        TimePoint from = entry.start;
        for (const auto& [quiet_start, quiet_end] : quiet) {
            if (quiet_end <= from || quiet_start >= entry.end)
                continue;
            if (quiet_start > from) {
                auto before = entry;
                before.start = from;
                before.end = quiet_start;
                before.ending = scheduler::Ending::Cut;
                kept.push_back(before);
            }
            from = std::max(from, quiet_end);
        }
        if (from < entry.end) {
            entry.start = from;
            kept.push_back(std::move(entry));
        }
    }
    return kept;
}

std::vector<scheduler::TimelineEntry> overlay_live(
    const std::vector<scheduler::TimelineEntry>& timeline, const LiveChannel& live,
    const std::function<scheduler::Level(std::string_view campaign)>& level_of,
    const std::function<bool(std::string_view alert)>& exercise) {
    using scheduler::TimelineEntry;
    auto outranked = [&](const TimelineEntry& entry) {
        switch (entry.source_kind) {
            case scheduler::SourceKind::Campaign: return level_of(entry.source_id) <= live.level;
            case scheduler::SourceKind::Alert:
                return live.level == scheduler::Level::Emergency && exercise(entry.source_id);
            case scheduler::SourceKind::Live: return false;
        }
        return false;
    };
    std::vector<TimelineEntry> laid;
    std::vector<std::pair<TimePoint, TimePoint>> taken;  // inside the channel, by higher entries
    for (const auto& entry : timeline) {
        const bool inside = entry.start < live.end && entry.end > live.start;
        if (!inside) {
            laid.push_back(entry);
            continue;
        }
        if (!outranked(entry)) {
            laid.push_back(entry);
            taken.emplace_back(std::max(entry.start, live.start), std::min(entry.end, live.end));
            continue;
        }
        if (entry.start < live.start) {
            TimelineEntry before = entry;
            before.end = live.start;
            before.ending = scheduler::Ending::Cut;
            laid.push_back(before);
        }
        if (entry.end > live.end) {
            TimelineEntry after = entry;
            after.start = live.end;
            laid.push_back(after);
        }
    }
    TimePoint free_from = live.start;
    auto add_live = [&](TimePoint start, TimePoint end, scheduler::Ending ending) {
        if (end <= start)
            return;
        TimelineEntry entry;
        entry.start = start;
        entry.end = end;
        entry.source_kind = scheduler::SourceKind::Live;
        entry.source_id = live.id;
        entry.item_index = 0;
        entry.media = live.media;
        // The chime rings first (item 1 of the channel, as its own proof), then the voice.
        const TimePoint chime_end = live.start + live.chime_length;
        if (!live.chime.empty() && start == live.start && chime_end < end) {
            TimelineEntry chime = entry;
            chime.end = chime_end;
            chime.item_index = 1;
            chime.media = live.chime;
            chime.reason = scheduler::Reason::Live;
            chime.ending = scheduler::Ending::Completed;
            chime.due = start;
            laid.push_back(chime);
            entry.start = chime_end;
        }
        entry.reason = scheduler::Reason::Live;
        entry.ending = ending;
        entry.due = start;
        laid.push_back(entry);
    };
    for (const auto& [start, end] : taken) {
        add_live(free_from, start, scheduler::Ending::Cut);
        free_from = std::max(free_from, end);
    }
    add_live(free_from, live.end, scheduler::Ending::Completed);
    std::stable_sort(laid.begin(), laid.end(),
                     [](const TimelineEntry& a, const TimelineEntry& b) { return a.start < b.start; });
    return laid;
}

Result<std::vector<scheduler::TimelineEntry>> Plan::ticker_entries(TimePoint from, TimePoint to) const {
    if (m_device.kind != scheduler::DeviceKind::Screen)
        return std::vector<scheduler::TimelineEntry>{};
    return m_resolver.resolve(m_device, from, to, scheduler::Region::Ticker);
}

Result<std::set<std::string>> Plan::needed_media(TimePoint from, TimePoint to) const {
    auto timeline = entries(from, to);
    if (!timeline)
        return std::unexpected(timeline.error());
    std::set<std::string> needed;
    auto ticker = ticker_entries(from, to);
    if (!ticker)
        return std::unexpected(ticker.error());
    for (const auto& entry : *ticker) needed.insert(std::string(entry.media));
    for (const auto& entry : *timeline) {
        if (entry.source_kind == scheduler::SourceKind::Live)
            continue;  // played from its URL, never fetched
        // A stream has no file; its filler does (without it the relay is silent while the
        // source is down, so it is waited for like any file).
        if (const scheduler::MediaRef* relayed = stream(entry.media)) {
            if (relayed->filler)
                needed.insert(*relayed->filler);
            continue;
        }
        needed.insert(std::string(entry.media));
        if (auto speech = speech_under_slide(entry.media))
            needed.insert(std::move(*speech));
        if (auto notice = notice_under_tone(entry))
            needed.insert(std::move(*notice));
    }
    return needed;
}

int Plan::volume_at(TimePoint at) const {
    auto volume = scheduler::Resolver::volume_at(m_device, at);
    return std::min(volume ? *volume : m_device.default_volume, m_max_volume);
}

bool Plan::live_alert_at(TimePoint at) const {
    auto now = entries(at, at + Duration{1});
    if (!now || now->empty() || now->front().source_kind != scheduler::SourceKind::Alert)
        return false;
    const scheduler::Alert* alert = alert_of(now->front().source_id);
    return alert != nullptr && alert->status == scheduler::AlertStatus::Actual;
}

const scheduler::Alert* Plan::alert_of(std::string_view id) const {
    const auto& alerts = m_resolver.model().alerts;
    const auto alert =
        std::ranges::find_if(alerts, [&](const scheduler::Alert& candidate) { return candidate.id == id; });
    return alert == alerts.end() ? nullptr : &*alert;
}

std::optional<scheduler::MediaType> Plan::media_type(std::string_view sha256) const {
    if (m_live && m_live->media == sha256)
        return scheduler::MediaType::Stream;
    for (const auto& media : m_resolver.model().media)
        if (media.sha256 == sha256)
            return media.type;
    return std::nullopt;
}

const scheduler::MediaRef* Plan::stream(std::string_view sha256) const {
    for (const auto& media : m_resolver.model().media)
        if (media.sha256 == sha256)
            return media.type == scheduler::MediaType::Stream && media.url ? &media : nullptr;
    return nullptr;
}

std::optional<std::string> Plan::speech_under_slide(std::string_view sha256) const {
    if (m_device.kind != scheduler::DeviceKind::Screen || !m_device.has_speaker)
        return std::nullopt;
    const auto& media = m_resolver.model().media;
    auto text = std::find_if(media.begin(), media.end(), [&](const scheduler::MediaRef& candidate) {
        return candidate.sha256 == sha256 && candidate.type == scheduler::MediaType::Text;
    });
    if (text == media.end() || !text->speech)
        return std::nullopt;
    const bool known = std::any_of(media.begin(), media.end(), [&](const scheduler::MediaRef& candidate) {
        return candidate.sha256 == *text->speech && candidate.type == scheduler::MediaType::Audio;
    });
    if (!known)
        return std::nullopt;
    return *text->speech;
}

NoticeLook Plan::notice_look(const scheduler::TimelineEntry& entry) const {
    if (entry.source_kind != scheduler::SourceKind::Alert)
        return {};
    const scheduler::Alert* alert = alert_of(entry.source_id);
    if (alert == nullptr)
        return {};
    return NoticeLook{
        alert->status == scheduler::AlertStatus::Exercise ? NoticeKind::Exercise : NoticeKind::Alert,
        alert->severity};
}

std::optional<std::string> Plan::notice_under_tone(const scheduler::TimelineEntry& entry) const {
    if (m_device.kind != scheduler::DeviceKind::Screen || entry.source_kind != scheduler::SourceKind::Alert)
        return std::nullopt;
    if (!media::is_alert_tone(entry.media))
        return std::nullopt;
    const scheduler::Alert* alert = alert_of(entry.source_id);
    if (alert == nullptr)
        return std::nullopt;
    const auto& model = m_resolver.model();
    const auto playlist = std::ranges::find_if(model.playlists, [&](const scheduler::Playlist& candidate) {
        return candidate.id == alert->playlist;
    });
    if (playlist == model.playlists.end())
        return std::nullopt;
    for (const auto& item : playlist->items)
        if (media_type(item.media) == scheduler::MediaType::Text)
            return item.media;
    return std::nullopt;
}

bool Plan::plays_on(const scheduler::TimelineEntry& entry) const {
    if (entry.source_kind != scheduler::SourceKind::Campaign ||
        entry.reason == scheduler::Reason::ShareOfVoice)
        return false;
    const auto& model = m_resolver.model();
    const auto campaign =
        std::find_if(model.campaigns.begin(), model.campaigns.end(),
                     [&](const scheduler::Campaign& candidate) { return candidate.id == entry.source_id; });
    if (campaign == model.campaigns.end())
        return false;
    const auto playlist = std::find_if(
        model.playlists.begin(), model.playlists.end(),
        [&](const scheduler::Playlist& candidate) { return candidate.id == campaign->playlist; });
    if (playlist == model.playlists.end() || entry.item_index >= playlist->items.size())
        return false;
    const scheduler::PlaylistItem& item = playlist->items[entry.item_index];
    const auto media =
        std::find_if(model.media.begin(), model.media.end(),
                     [&](const scheduler::MediaRef& candidate) { return candidate.sha256 == item.media; });
    if (media == model.media.end())
        return false;
    const auto length = item.duration ? item.duration : media->duration;
    return length && scheduler::resumes_at_offset(media->type, *length);
}

std::vector<PlayItem> EntryFeeder::make_items(const Plan& plan,
                                              const std::vector<scheduler::TimelineEntry>& entries,
                                              const Locator& locate, std::vector<std::string>* missing) {
    std::vector<PlayItem> items;
    for (const auto& entry : entries) {
        const LiveChannel* live = plan.live();
        // A live channel and a stream (a relay) play from their URLs; they have no file (a
        // relay's filler has).
        const scheduler::MediaRef* stream = plan.stream(entry.media);
        std::optional<std::filesystem::path> path;
        const bool chime = entry.source_kind == scheduler::SourceKind::Live && live != nullptr &&
                           live->id == entry.source_id && !live->chime.empty() && entry.media == live->chime;
        if (chime)
            path = locate(entry.media);
        else if (entry.source_kind == scheduler::SourceKind::Live && live != nullptr &&
                 live->id == entry.source_id)
            path = std::filesystem::path(live->url);
        else if (stream != nullptr)
            path = std::filesystem::path(*stream->url);
        else
            path = locate(entry.media);
        if (!path) {
            if (missing != nullptr)
                missing->push_back(std::string(entry.media));
            continue;
        }
        PlayItem item;
        item.entry_id = "e" + std::to_string(m_next++);
        item.type = plan.media_type(entry.media).value_or(scheduler::MediaType::Video);
        item.location = path->string();
        if (chime) {
            item.type = scheduler::MediaType::Audio;
        } else if (entry.source_kind == scheduler::SourceKind::Live) {
            item.type = scheduler::MediaType::Stream;
            item.live = true;
        } else if (stream != nullptr) {
            item.relay = true;
            if (stream->filler) {
                if (auto filler = locate(*stream->filler)) {
                    item.filler_location = filler->string();
                    item.filler_type = plan.media_type(*stream->filler).value_or(scheduler::MediaType::Audio);
                }
            }
        }
        if (auto notice = plan.notice_under_tone(entry)) {
            // An alert's tone on a screen: its notice shows while the tone sounds (when the notice
            // is on disk; else the tone plays alone, as on a loudspeaker).
            if (auto notice_path = locate(*notice)) {
                std::ifstream in(*notice_path, std::ios::binary);
                item.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
                item.audio_location = item.location;
                item.location.clear();
                item.type = scheduler::MediaType::Text;
            }
        } else if (item.type == scheduler::MediaType::Text &&
                   plan.device().kind == scheduler::DeviceKind::Screen) {
            // A text notice's content-addressed file is its UTF-8 text: the engine renders it
            // (NoticeRenderer) when the location is empty; mpv cannot play a text file.
            std::ifstream in(*path, std::ios::binary);
            item.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            item.location.clear();
            // A screen with a speaker speaks the notice while it shows; without the speech file
            // on disk the slide still shows, silent.
            if (auto speech = plan.speech_under_slide(entry.media))
                if (auto speech_path = locate(*speech))
                    item.audio_location = speech_path->string();
        }
        if (item.type == scheduler::MediaType::Text) {
            item.look = plan.notice_look(entry);
            // The header band: the device's commune or ward, and the local day the notice shows;
            // none when the screen's layout has a header region, which shows both live above it.
            const auto& device = plan.device();
            if (device.layout.header_permille == 0) {
                // A zone id ("uyen-hung") is not for residents: without the name, the date alone.
                item.header.place = device.zone_name;
                item.header.date = vietnamese_date(entry.start, plan.shown_time_zone());
            }
        }
        item.planned_start = entry.start;
        item.planned_end = entry.end;
        item.media_offset = entry.media_offset;
        item.plays_on = plan.plays_on(entry);
        EntryFacts facts;
        facts.source = entry.source_kind;
        facts.source_id = std::string(entry.source_id);
        facts.item_index = static_cast<std::uint32_t>(entry.item_index);
        facts.media = std::string(entry.media);
        facts.bundle_version = plan.bundle_version();
        facts.planned_start = entry.start;
        facts.planned_end = entry.end;
        facts.media_offset = entry.media_offset;
        m_facts.emplace(item.entry_id, std::move(facts));
        items.push_back(std::move(item));
    }
    return items;
}

const EntryFacts* EntryFeeder::facts(const std::string& entry_id) const {
    auto found = m_facts.find(entry_id);
    return found == m_facts.end() ? nullptr : &found->second;
}

void EntryFeeder::forget(const std::string& entry_id) {
    m_facts.erase(entry_id);
}

namespace {

bool same_entry(const EntryFacts& facts, const scheduler::TimelineEntry& entry) {
    return facts.source == entry.source_kind && facts.source_id == entry.source_id &&
           facts.item_index == entry.item_index && facts.media == entry.media &&
           facts.planned_start == entry.start && facts.planned_end == entry.end &&
           facts.media_offset == entry.media_offset;
}

}  // namespace

Continuity match_held_entries(const std::vector<const EntryFacts*>& held,
                              const std::vector<scheduler::TimelineEntry>& entries, TimePoint now,
                              Duration early_start) {
    if (held.empty() || held.front() == nullptr)
        return {};
    const EntryFacts& front = *held.front();
    // The held front must be current: started at most `early_start` ahead of its plan.
    if (front.planned_start > now + early_start || front.planned_end <= now)
        return {};
    std::size_t first = 0;
    while (first < entries.size() && entries[first].start < front.planned_start) {
        // Passed over only if an uninterrupted run has no time left for it either.
        if (entries[first].end > now + early_start)
            return {};
        ++first;
    }
    std::size_t keep = 0;
    while (keep < held.size() && first + keep < entries.size()) {
        if (held[keep] == nullptr || !same_entry(*held[keep], entries[first + keep]))
            break;
        ++keep;
    }
    if (keep == 0)
        return {};
    return {keep, first + keep};
}

int effective_volume(int scheduled, std::optional<int> override_volume, int max_volume) {
    return std::clamp(override_volume.value_or(scheduled), 0, std::clamp(max_volume, 0, 100));
}

int emergency_volume(int volume, int floor, int max_volume) {
    return std::clamp(std::max(volume, floor), 0, std::clamp(max_volume, 0, 100));
}

}  // namespace bantin::player
