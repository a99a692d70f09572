#pragma once
// Several controllers on one database (docs/architecture.md, "Several controllers"): every
// instance serves the HTTP API and ingests; exactly one publishes and signs at a time.
//
// PublishLease says whether this instance is the publisher now. held() is cheap and may be
// called before every publish; on_acquired runs once each time the lease is taken (the new
// holder republishes what is not yet acked, takeover_republish()), on_lost once each time it
// ends. AlwaysHeldLease is the single box (SQLite): held from the start, never lost.
// PostgresLease (postgres_lease.hpp) is a PostgreSQL advisory lock.
//
// ChangeSignal carries a change made on one instance to the holder: a non-holder's HTTP API
// writes the change to the store and notifies; the holder's handler publishes it. A notice is
// a kind and a list of ids (ChangeNotice). InProcessChangeSignal hands notices to the handler
// at once (the single box, where the one instance always holds); PostgresChangeSignal
// (postgres_lease.hpp) is LISTEN/NOTIFY.
//
// LeaseGuardedSink wraps the MQTT sink of the publishing services (Publisher, alerts, live,
// device commands): while the lease is held it publishes; while it is not, nothing signed
// leaves this instance. What would have gone out is relayed as a notice instead: a device's
// bundle as kind "bundles" (the holder republishes the device's stored version), an alert or
// its cancel as kind "alert" (the holder publishes the alert's stored state). A device command
// or a live channel is not relayed: the sink refuses it (Conflict, a bilingual message) and the
// caller retries on the holder.
//
// Threads: held() and notify() from any thread; the callbacks run on the lease's or signal's
// own thread (they should hand work to the daemon's loop, not do it there).

#include "bantin/common/error.hpp"
#include "bantin/controller/publisher.hpp"
#include "bantin/controller/store.hpp"

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace bantin::controller {

class PublishLease {
public:
    virtual ~PublishLease() = default;
    // True while this instance may publish and sign.
    virtual bool held() const = 0;
    // Set before start(); each runs on the lease's thread.
    std::function<void()> on_acquired;
    std::function<void()> on_lost;
    virtual Result<void> start() = 0;
    virtual void stop() = 0;
};

// The single box: one controller, always the publisher.
class AlwaysHeldLease final : public PublishLease {
public:
    bool held() const override { return true; }
    Result<void> start() override {
        if (on_acquired)
            on_acquired();
        return {};
    }
    void stop() override {}
};

struct ChangeNotice {
    // "bundles" (device ids: publish their stored bundles), "alert" (alert ids: publish their
    // stored state, the alert or its cancel) or "devices" (no ids: a device was registered or
    // revoked; every instance, holder or not, forgets its cached device lookups and writes its
    // broker files again).
    std::string kind;
    std::vector<std::string> ids;
    bool operator==(const ChangeNotice&) const = default;
};

// The notice as a compact JSON payload, and back (InvalidInput for anything else). Notices
// whose payload would exceed `limit` bytes are split by ids (PostgreSQL's NOTIFY takes < 8000).
std::string encode_notice(const ChangeNotice& notice);
Result<ChangeNotice> decode_notice(std::string_view payload);
std::vector<std::string> encode_notices(const ChangeNotice& notice, std::size_t limit = 7000);

class ChangeSignal {
public:
    virtual ~ChangeSignal() = default;
    virtual Result<void> notify(const ChangeNotice& notice) = 0;
    // Set before start(). on_notice gets each notice; on_missed runs when notices may have been
    // lost (a reconnect of the listening connection): the holder then reconciles everything.
    std::function<void(const ChangeNotice&)> on_notice;
    std::function<void()> on_missed;
    virtual Result<void> start() = 0;
    virtual void stop() = 0;
};

class InProcessChangeSignal final : public ChangeSignal {
public:
    Result<void> notify(const ChangeNotice& notice) override {
        if (on_notice)
            on_notice(notice);
        return {};
    }
    Result<void> start() override { return {}; }
    void stop() override {}
};

class LeaseGuardedSink final : public MessageSink {
public:
    // `key`: the controller's key, to read an alert's id from what a non-holder would have sent.
    LeaseGuardedSink(MessageSink& inner, const PublishLease& lease, ChangeSignal& signal,
                     const protocol::SecretKey& key)
        : m_inner(inner), m_lease(lease), m_signal(signal), m_key(key) {}
    Result<void> publish(const std::string& topic, const std::string& payload,
                         const protocol::PublishOptions& options) override;
    bool publishes_directly() const override { return m_lease.held(); }

private:
    MessageSink& m_inner;
    const PublishLease& m_lease;
    ChangeSignal& m_signal;
    const protocol::SecretKey& m_key;
};

// The bilingual refusal of a publish on an instance that does not hold the lease.
Error not_publisher_error(std::string_view what);

// What a new holder publishes (before anything else): every device whose applied version lags
// its desired one gets its stored bundle again under the same version (a device that already
// has it ignores it: each change reaches a device once), then every device whose content
// changed without a new version yet (a change committed by a holder that died before
// publishing it) gets a fresh version. Active alerts are published again by the caller
// (AlertService::republish_active).
struct TakeoverReport {
    std::vector<std::string> republished;  // lagging devices, same version
    std::vector<std::string> published;    // changed devices, fresh version
};
Result<TakeoverReport> takeover_republish(Store& store, Publisher& publisher);

}  // namespace bantin::controller
