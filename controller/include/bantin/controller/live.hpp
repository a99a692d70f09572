#pragma once
// Live channels (docs/api.md "Live channels"): an operator speaks to chosen zones now.
//
// open() takes zones (each known to the store), a level (normal, priority, emergency: how far
// the channel preempts, docs/scheduling.md "Live channels") and an optional duration (at most
// LiveOptions::max_duration, the safety net that ends a channel nobody closes). It names the
// channel ("live-<16 hex>") and its Icecast mount ("/<id>.opus"), publishes a signed LiveStart
// (protocol::LiveStart) retained, QoS 1, with a v5 message expiry at its end, on
// bantin/v1/live/zone/{zone} of each zone, and answers with the URL devices listen on and the
// one the operator's encoder publishes to (with the source credentials: operators may open
// channels, so they may feed them). close() publishes the LiveEnd on the same topics (it
// replaces the retained start). Both are audited ("live.open", "live.close").
//
// The open channels are kept in the store (table live_channels, docs/store.md): the row is
// written with the open's audit row before the start is published, and deleted with the close's
// audit row after the end is published, so a controller restarted mid-channel still lists it
// and closes it. A channel whose end has passed is gone: never listed, not closable (NotFound),
// its row deleted by the next open, close or listing (expire()); on the devices it ended at its
// end time (its retained start expires with it).
//
// Threads: any thread; closes are serialised, so a channel's end is published once. Errors:
// Unsupported (live channels are off: no [live] icecast_url), InvalidInput (zones, level,
// duration), NotFound (no such open channel), and the store's and the MQTT sink's errors.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/records.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/messages.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bantin::controller {

class ApiServer;
struct ApiContext;

struct LiveOptions {
    std::string icecast_url;  // "http://host:port"; empty: live channels are off
    std::string source_user = "source";
    std::string source_password;
    Duration max_duration = std::chrono::minutes{120};
};

struct LiveRequest {
    std::vector<std::string> zones;
    scheduler::Level level = scheduler::Level::Priority;
    std::optional<Duration> duration;  // absent: max_duration
};

struct LiveRecord {
    protocol::LiveStart start;  // id, zones, level, listen url, started_at, ends_at
    std::string mount;          // "/live-....opus"
    std::string source_url;     // icecast://user:password@host:port/mount, for the encoder
    std::string opened_by;
    bool operator==(const LiveRecord&) const = default;
};

class LiveService {
public:
    LiveService(Store& store, const Clock& clock, const protocol::SecretKey& key, MessageSink& sink,
                LiveOptions options);

    Result<LiveRecord> open(const User& actor, LiveRequest request);
    Result<LiveRecord> close(const User& actor, const std::string& live_id);
    // The open channels whose end has not passed, oldest first (after expire()).
    Result<std::vector<LiveRecord>> open_channels();
    // Deletes the stored channels whose end has passed; returns how many.
    Result<std::int64_t> expire();

private:
    Result<void> publish(const std::vector<std::string>& zones, const std::string& sealed, TimePoint until);
    // The stored channel with its source URL (from this service's options).
    LiveRecord with_source(LiveChannelRecord channel) const;

    Store& m_store;
    const Clock& m_clock;
    const protocol::SecretKey& m_key;
    MessageSink& m_sink;
    LiveOptions m_options;
    std::mutex m_close_mutex;
};

// POST /api/v1/live, GET /api/v1/live, POST /api/v1/live/{id}/close (docs/api.md).
void register_live_routes(ApiServer& server, ApiContext& context, LiveService& live);

}  // namespace bantin::controller
