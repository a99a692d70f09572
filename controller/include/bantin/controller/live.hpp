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
// The open channels are kept in memory: a controller restarted mid-channel cannot close it,
// and it ends on the devices at its end time (its retained start expires with it).
//
// Threads: any thread. Errors: Unsupported (live channels are off: no [live] icecast_url),
// InvalidInput (zones, level, duration), NotFound (no such open channel), and the store's and
// the MQTT sink's errors.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/records.hpp"
#include "bantin/controller/store.hpp"
#include "bantin/protocol/keys.hpp"
#include "bantin/protocol/messages.hpp"

#include <map>
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
    // The open channels whose end has not passed, oldest first.
    std::vector<LiveRecord> open_channels();

private:
    Result<void> publish(const std::vector<std::string>& zones, const std::string& sealed, TimePoint until);

    Store& m_store;
    const Clock& m_clock;
    const protocol::SecretKey& m_key;
    MessageSink& m_sink;
    LiveOptions m_options;
    std::mutex m_mutex;
    std::map<std::string, LiveRecord> m_open;
};

// POST /api/v1/live, GET /api/v1/live, POST /api/v1/live/{id}/close (docs/api.md).
void register_live_routes(ApiServer& server, ApiContext& context, LiveService& live);

}  // namespace bantin::controller
