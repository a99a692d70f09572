#pragma once
// The alerts a player knows of, and their cancels (docs/player.md "Alerts after a restart").
//
//   live       alerts that play: received (verified) on the alert topics, or released after a
//              restart's hold;
//   held       alerts restored from the state database at start-up. They wait until the
//              retained messages of the alert topics had their moment (a cancel whose save
//              failed before a power cut comes back that way): at most hold_after_subscribe
//              after the alert subscriptions' SUBACK, and hold_offline after start-up when the
//              broker does not answer;
//   cancelled  saved in the state database, or applied and not saved yet (the state disk is
//              full): retry_saves() tries again, and until then the cancel lives in memory.
//
// A cancelled or held alert plays from no copy: interlocks() names them, and Plan drops them
// from the active bundle's model as well (a bundle built while the alert was active carries it).
//
// Not thread-safe: the daemon's loop owns it. Times are passed in (the loop's clock), so tests
// drive it with any instants they like. The state database is the player's PlayerState.

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/player/player_state.hpp"
#include "bantin/player/runner.hpp"
#include "bantin/protocol/messages.hpp"

#include <set>
#include <string>
#include <vector>

namespace bantin::player {

class AlertBook {
public:
    struct Options {
        Duration hold_after_subscribe{1000};
        Duration hold_offline{5000};
    };

    explicit AlertBook(PlayerState& state) : AlertBook(state, Options{}) {}
    AlertBook(PlayerState& state, Options options);

    // Start-up: `stored` (the alerts the state database holds, decoded and still unexpired) wait
    // as held until `now + hold_offline` at most. The saved cancels are read here once.
    Result<void> restore(std::vector<protocol::AlertMessage> stored, MonotonicTime now);
    // The alert topics' SUBACK at `now`: the held alerts wait hold_after_subscribe more at most.
    void subscribed(MonotonicTime now);
    // Once the hold is over, the held alerts still unexpired at `wall` go live (the expired
    // ones are dropped). True when the hold ended now: the plan must be rebuilt.
    bool release(MonotonicTime now, TimePoint wall);

    // Every cancel known, saved or not (protocol::verify_alert refuses alerts with these ids).
    std::vector<std::string> cancelled_ids() const;
    // False for a message equal to one that plays already (a retained copy).
    bool is_new(const protocol::AlertMessage& message) const;
    // A verified alert goes live, replacing any alert with its id, and is stored with its
    // signed `envelope`; a failed store is returned (the alert plays all the same).
    Result<void> add(const protocol::AlertMessage& message, const std::string& envelope);
    // A verified cancel: the alert stops now whatever the state database can write. An error
    // means the save failed and waits in memory for retry_saves().
    Result<void> cancel(const std::string& alert_id);
    // Saves the cancels that could not be saved, in order; stops at the first failure.
    // Returns how many were saved.
    Result<std::size_t> retry_saves();
    bool has_unsaved() const { return !m_unsaved.empty(); }

    const std::vector<protocol::AlertMessage>& live() const { return m_live; }
    const std::vector<protocol::AlertMessage>& held() const { return m_held; }
    // `base` with every cancelled and every held alert named in cancelled_alerts.
    LocalInterlocks interlocks(LocalInterlocks base) const;
    // The media of live and held alerts (never to be evicted from the cache).
    std::set<std::string> media() const;

private:
    PlayerState& m_state;
    Options m_options;
    std::vector<protocol::AlertMessage> m_live;
    std::vector<protocol::AlertMessage> m_held;
    MonotonicTime m_held_until{};
    std::set<std::string> m_saved;    // cancels in the state database
    std::set<std::string> m_unsaved;  // cancels applied, their save failed
};

}  // namespace bantin::player
