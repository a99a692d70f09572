#pragma once
// The timeline runner's planning half: builds the shared scheduler's Resolver on what this
// device must play (the active bundle's model, the live alerts received on the alert
// topics, the device-local interlocks on top) and turns timeline entries into PlayItems for
// the playback engine, remembering for each the facts its proof-of-play row needs.
//
// Device-local interlocks (the player config's [safety]) hold whatever a bundle says:
//   quiet hours are added to the device's own quiet hours before resolving, so the resolver's
//   rule applies: nothing from a campaign, and no exercise alert, plays in them; only live
//   (CAP status actual) alerts pass; the volume cap is applied by the engine (EngineOptions::
//   max_volume) and by effective_volume() below.
//
// Lifecycle: a Plan is immutable once built; the daemon builds a new one on every bundle
// change, alert or cancel, and keeps it (and so its Resolver, whose entries point into its
// model) alive while it uses the entries. Threads: any, one at a time per Plan.
// Errors: create() returns the resolver's validation errors (InvalidInput listing them).

#include "bantin/common/error.hpp"
#include "bantin/player/playback_engine.hpp"
#include "bantin/protocol/messages.hpp"
#include "bantin/scheduler/resolver.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bantin::player {

struct LocalInterlocks {
    // Read in `time_zone` (player.toml [safety]), never in the zone a bundle gives the device.
    std::vector<scheduler::DailyWindow> quiet_hours;
    std::string time_zone = std::string{scheduler::default_time_zone};
    int max_volume = 100;
    // The least volume of a live alert; max_volume caps it (emergency_volume()).
    int emergency_volume = 90;
    // Alerts this device knows are cancelled (saved in its state, or applied and not yet saved).
    // A bundle carries the alerts active when it was built; until the bundle built after the
    // cancel activates (it cannot while the state disk is full), its copy would play on.
    std::set<std::string> cancelled_alerts;
};

// What a proof row needs to know about an entry the engine played.
struct EntryFacts {
    protocol::SourceKind source = protocol::SourceKind::Campaign;
    std::string source_id;
    std::uint32_t item_index = 0;
    std::string media;  // sha256
    std::uint64_t bundle_version = 0;
    TimePoint planned_start;
    TimePoint planned_end;
    Duration media_offset{0};                            // the entry's TimelineEntry::media_offset
    scheduler::Region region = scheduler::Region::Main;  // the screen region it showed in
};

// An operator's live channel as the plan lays it over the timeline (docs/player.md "Live
// channels"): from `start` to `end` it plays `url` wherever the timeline plays something it
// outranks, or nothing. It outranks campaigns of its level and below; at level emergency it
// outranks exercise alerts too; nothing outranks a live (CAP Actual) alert.
struct LiveChannel {
    std::string id;
    scheduler::Level level = scheduler::Level::Priority;
    std::string url;
    std::string media;  // what proof rows name: the sha256 of `url`
    TimePoint start;
    TimePoint end;
    // Played from `start` before the channel is heard (the built-in chime's digest and length);
    // empty: none. The channel itself then starts chime_length later.
    std::string chime;
    Duration chime_length{0};
    bool operator==(const LiveChannel&) const = default;
};

// A device to resolve for when there is no bundle yet (alerts only).
struct DeviceIdentity {
    std::string id;
    std::string zone;
    scheduler::DeviceKind kind = scheduler::DeviceKind::Screen;
};

class Plan {
public:
    // `bundle` may be null (nothing scheduled; alerts still play).
    // `live` (may be null): the live channel laid over the timeline.
    static Result<Plan> create(const protocol::Bundle* bundle,
                               const std::vector<protocol::AlertMessage>& alerts,
                               const LocalInterlocks& interlocks, const DeviceIdentity& identity,
                               const LiveChannel* live = nullptr);

    // Timeline entries overlapping [from, to), ordered, with the live channel laid over them.
    Result<std::vector<scheduler::TimelineEntry>> entries(TimePoint from, TimePoint to) const;
    // The Ticker region's entries overlapping [from, to), ordered: screens only (none elsewhere).
    Result<std::vector<scheduler::TimelineEntry>> ticker_entries(TimePoint from, TimePoint to) const;
    // Every media digest the timeline of [from, to) plays (the Ticker region's too).
    Result<std::set<std::string>> needed_media(TimePoint from, TimePoint to) const;
    // Volume the schedule asks for at `at`, capped by the interlock.
    int volume_at(TimePoint at) const;
    // True when the timeline's entry at `at` is an alert whose status is Actual (a live
    // emergency, not an exercise).
    bool live_alert_at(TimePoint at) const;

    std::uint64_t bundle_version() const { return m_bundle_version; }
    const scheduler::Device& device() const { return m_device; }
    // The zone a resident's clock and dates are shown in: the device's own ([safety] time_zone),
    // else the one its bundle gives.
    const std::string& shown_time_zone() const {
        return m_device.local_time_zone.empty() ? m_device.time_zone : m_device.local_time_zone;
    }
    std::optional<scheduler::MediaType> media_type(std::string_view sha256) const;
    // The stream (with its URL) this digest names, if it is one: a relay plays from its URL.
    const scheduler::MediaRef* stream(std::string_view sha256) const;
    // The speech of a text notice that this device plays under the notice's slide: only a
    // screen with a speaker, only a notice whose speech is in the plan.
    std::optional<std::string> speech_under_slide(std::string_view sha256) const;
    // How a screen draws the notice of `entry`: an alert's colours by its severity, an
    // exercise's, or a plain notice's.
    NoticeLook notice_look(const scheduler::TimelineEntry& entry) const;
    // On a screen, the text notice an alert's built-in tone shows under it (the first text
    // notice of the alert's playlist): the siren sounds while the words are already on screen.
    std::optional<std::string> notice_under_tone(const scheduler::TimelineEntry& entry) const;
    // The live channel the plan lays over its timeline, if any.
    const LiveChannel* live() const { return m_live.get(); }
    // Whether the entry's item plays on from its position when it starts late (PlayItem::
    // plays_on): what resumes at an offset after a cut (scheduler::resumes_at_offset, a
    // campaign's loop or fixed-time item) also joins at its position after a start-up mid-item.
    bool plays_on(const scheduler::TimelineEntry& entry) const;

private:
    Plan(scheduler::Resolver resolver, scheduler::Device device, std::uint64_t bundle_version, int max_volume)
        : m_resolver(std::move(resolver)),
          m_device(std::move(device)),
          m_bundle_version(bundle_version),
          m_max_volume(max_volume) {}
    // The model's alert with this id, or null.
    const scheduler::Alert* alert_of(std::string_view id) const;
    scheduler::Resolver m_resolver;
    scheduler::Device m_device;
    std::uint64_t m_bundle_version = 0;
    int m_max_volume = 100;
    // Shared and immutable: live entries' string_views point into it, and a Plan moves.
    std::shared_ptr<const LiveChannel> m_live;
};

// The live overlay on `timeline` (entries ordered, not overlapping): entries `live` outranks
// lose their part inside [live.start, live.end) (an entry cut at live.start ends `cut`; the part
// of one after live.end stays, from live.end); every stretch of that interval left free becomes
// one live entry (source Live, item 0, media live.media), ending `cut` where a higher entry
// takes over. `level_of` gives a campaign's level, `exercise` whether an alert is an exercise.
std::vector<scheduler::TimelineEntry> overlay_live(
    const std::vector<scheduler::TimelineEntry>& timeline, const LiveChannel& live,
    const std::function<scheduler::Level(std::string_view campaign)>& level_of,
    const std::function<bool(std::string_view alert)>& exercise);

// The live entries of `timeline` with the device's quiet hours taken out (a live entry across
// one is cut at its start and goes on at its end); other entries untouched. Plan::entries applies
// it to a channel below emergency.
std::vector<scheduler::TimelineEntry> silence_live(std::vector<scheduler::TimelineEntry> timeline,
                                                   const std::vector<std::pair<TimePoint, TimePoint>>& quiet);

// Turns entries into engine items, numbering them e1, e2, ... and remembering their facts.
// `locate` returns the verified file of a digest, or nothing if it is not on disk (the entry
// is then skipped and reported through `missing`).
class EntryFeeder {
public:
    using Locator = std::function<std::optional<std::filesystem::path>(std::string_view sha256)>;

    std::vector<PlayItem> make_items(const Plan& plan, const std::vector<scheduler::TimelineEntry>& entries,
                                     const Locator& locate, std::vector<std::string>* missing = nullptr);
    // Facts of an item made earlier; forgotten by forget().
    const EntryFacts* facts(const std::string& entry_id) const;
    void forget(const std::string& entry_id);
    std::size_t remembered() const { return m_facts.size(); }

private:
    std::uint64_t m_next = 1;
    std::map<std::string, EntryFacts> m_facts;
};

// Continuity across a recompute (docs/player.md "continuity rule"). `held` are the facts of
// the entries the engine holds (PlaybackEngine::loaded_entries(), in order; null: unknown),
// `entries` the new timeline from `now`. A held entry plays on only if it is, in order, what
// the new timeline plays now: the same source, item, media, media offset and planned window, and the first
// one is current at `now` (it may have started up to `early_start` before its planned start;
// timeline entries ending by then are passed over). An entry the new timeline plays later
// (the wall clock went back) never plays on. keep: how many held entries play on; rest_from:
// the index in `entries` where the items to follow them begin (0 when nothing is kept).
struct Continuity {
    std::size_t keep = 0;
    std::size_t rest_from = 0;
};
Continuity match_held_entries(const std::vector<const EntryFacts*>& held,
                              const std::vector<scheduler::TimelineEntry>& entries, TimePoint now,
                              Duration early_start);

// The engine's volume: a set-volume override if any, else the schedule's; never above the cap.
int effective_volume(int scheduled, std::optional<int> override_volume, int max_volume);
// The engine's volume while a live alert plays: never below `floor` (safety.emergency_volume),
// whatever the schedule or an override made of `volume`; never above the cap.
int emergency_volume(int volume, int floor, int max_volume);

}  // namespace bantin::player
