// Two mpv cores (Screen and Headless by default): while one plays, the next entry is opened in
// the other, paused on its first frame; when the current entry's end-file comes, the preloaded
// one is unpaused and (Screen) drawn at once. The engine still sees one playlist: entry ids are
// the renderer's own, StartFile comes when an entry becomes current, and a preloaded entry's
// PlaybackRestart comes with mpv's reply to its unpause (its first frame was out already, and
// in Screen mode has just been drawn). docs/player.md "gapless strategy".

#include "mpv_core.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>

namespace bantin::player {

namespace {

class DualDeck final : public DeckStrategy {
public:
    explicit DualDeck(MpvRenderer::Impl& renderer) : m(renderer) {}

    void load(const LoadRequest& request, LoadMode mode) override {
        if (mode == LoadMode::Replace)
            stop();
        Deck::Entry entry{m_next_entry_id++, request};
        RendererEvent accepted = m.stamped(RendererEvent::Kind::LoadAccepted);
        accepted.tag = request.tag;
        accepted.playlist_entry_id = entry.id;
        m.pending.push_back(std::move(accepted));
        m_waiting.push_back(std::move(entry));
        advance();
    }

    void stop() override {
        m_waiting.clear();
        for (std::size_t index = 0; index < m.decks.size(); ++index) {
            Deck& deck = m.decks[index];
            if (!deck.entry || deck.stopping)
                continue;
            if (static_cast<int>(index) == m_current) {
                // Its end-file (stop) is reported when mpv sends it; the deck is busy till then.
                deck.stopping = true;
                m.command(static_cast<int>(index), {"stop"}, make_reply(ReplyKind::Other));
            } else {
                // A preloaded entry never started: nothing to report. mpv's later events about
                // it carry an id this deck no longer expects.
                m.command(static_cast<int>(index), {"stop"}, make_reply(ReplyKind::Other));
                deck.clear_entry();
            }
        }
        m_current = -1;
    }

    bool remove(std::uint64_t tag) override {
        if (auto waiting = std::find_if(m_waiting.begin(), m_waiting.end(),
                                        [&](const Deck::Entry& entry) { return entry.request.tag == tag; });
            waiting != m_waiting.end()) {
            m_waiting.erase(waiting);
            return true;
        }
        for (std::size_t index = 0; index < m.decks.size(); ++index) {
            Deck& deck = m.decks[index];
            if (static_cast<int>(index) == m_current || !deck.entry || deck.stopping ||
                deck.entry->request.tag != tag)
                continue;
            // Preloaded, never current: stopped without a word, as stop() does; mpv's later
            // events about it carry an id this deck no longer expects.
            m.command(static_cast<int>(index), {"stop"}, make_reply(ReplyKind::Other));
            deck.clear_entry();
            advance();  // the next waiting entry (if any) is preloaded on the freed deck
            return true;
        }
        return false;
    }

    int on_screen() const override { return m_current; }

    void on_event(int index, const mpv_event& event) override {
        Deck& deck = m.decks[static_cast<std::size_t>(index)];
        switch (event.event_id) {
            case MPV_EVENT_START_FILE: {
                const auto id = static_cast<mpv_event_start_file*>(event.data)->playlist_entry_id;
                if (!deck.entry || id != deck.mpv_entry_id)
                    break;
                deck.opened = true;
                if (index == m_current && !deck.announced)
                    announce(deck);
                break;
            }
            case MPV_EVENT_PLAYBACK_RESTART:
                if (!deck.entry || !deck.opened)
                    break;
                if (!deck.ready) {
                    deck.ready = true;
                    // A preloaded deck's frame was consumed off screen; show it now if its turn came.
                    if (index == m_current && m.screen() && !deck.reported)
                        m.draw(index, true);
                }
                report_restart_if_due(index);
                break;
            case MPV_EVENT_END_FILE: {
                const auto& end = *static_cast<mpv_event_end_file*>(event.data);
                if (!deck.entry || end.playlist_entry_id != deck.mpv_entry_id)
                    break;
                ended(index, m.end_event(deck, end));
                break;
            }
            default: break;
        }
    }

    void on_reply(const PendingReply& reply, const mpv_event& event) override {
        Deck& deck = m.decks[static_cast<std::size_t>(reply.deck)];
        if (!deck.entry || deck.entry->id != reply.entry)
            return;
        if (reply.kind == ReplyKind::Unpause) {
            if (event.error < 0)
                spdlog::warn("mpv: unpause failed: {}", mpv_error_text(event.error));
            deck.unpaused = true;
            report_restart_if_due(reply.deck);
            return;
        }
        if (reply.kind != ReplyKind::DeckLoad)
            return;
        if (event.error < 0) {
            --deck.mpv_id_alloc;
            RendererEvent failed = m.stamped(RendererEvent::Kind::EndFile);
            failed.end_reason = EndReason::Error;
            failed.error = reply.what + ": " + mpv_error_text(event.error);
            if (!deck.last_error_message.empty())
                failed.error += " (" + deck.last_error_message + ")";
            ended(reply.deck, std::move(failed));
            return;
        }
        const auto* command_reply = static_cast<mpv_event_command*>(event.data);
        if (const std::int64_t id = entry_id_from_reply(command_reply->result); id != 0) {
            deck.mpv_entry_id = id;
            deck.mpv_id_alloc = std::max(deck.mpv_id_alloc, id);
        }
    }

private:
    // The entry on `index` ended: told now if it is current (or being stopped), else held until
    // its turn (a preload that failed).
    void ended(int index, RendererEvent event) {
        Deck& deck = m.decks[static_cast<std::size_t>(index)];
        if (index == m_current || deck.stopping) {
            if (!deck.announced)
                announce(deck);
            finish_entry(index, std::move(event));
            advance();
        } else {
            deck.held_end = std::move(event);
        }
    }

    // Puts an entry on a free deck: playing at once, or paused on its first frame (preload).
    void put_on_deck(int index, Deck::Entry entry, bool paused) {
        Deck& deck = m.decks[static_cast<std::size_t>(index)];
        deck.clear_entry();
        deck.last_error_message.clear();
        deck.unpaused = !paused;
        const std::int64_t id = entry.id;
        const LoadRequest request = entry.request;
        deck.entry = std::move(entry);
        deck.mpv_entry_id = ++deck.mpv_id_alloc;
        // Commands to one core run in order: the pause state is set before the file opens.
        m.set_flag(index, "pause", paused, make_reply(ReplyKind::Other));
        PendingReply reply = make_reply(ReplyKind::DeckLoad, request.tag);
        reply.entry = id;
        if (!m.command(index, {"loadfile", request.location, "replace"}, reply, &request.options)) {
            --deck.mpv_id_alloc;
            RendererEvent failed = m.stamped(RendererEvent::Kind::EndFile);
            failed.end_reason = EndReason::Error;
            failed.error = "loadfile refused";
            deck.held_end = std::move(failed);
        }
    }

    int free_deck() const {
        for (std::size_t index = 0; index < m.decks.size(); ++index)
            if (!m.decks[index].entry)
                return static_cast<int>(index);
        return -1;
    }

    void announce(Deck& deck) {
        RendererEvent started = m.stamped(RendererEvent::Kind::StartFile);
        started.playlist_entry_id = deck.entry->id;
        m.pending.push_back(std::move(started));
        deck.announced = true;
    }

    void report_restart_if_due(int index) {
        Deck& deck = m.decks[static_cast<std::size_t>(index)];
        if (index != m_current || !deck.entry || deck.reported || !deck.ready || !deck.unpaused)
            return;
        deck.reported = true;
        m.pending.push_back(m.stamped(RendererEvent::Kind::PlaybackRestart));
    }

    void finish_entry(int index, RendererEvent event) {
        Deck& deck = m.decks[static_cast<std::size_t>(index)];
        event.playlist_entry_id = deck.entry->id;
        m.pending.push_back(std::move(event));
        deck.clear_entry();
        if (m_current == index)
            m_current = -1;
    }

    // The preloaded entry on `index` becomes current: unpaused, and (Screen) drawn at once.
    void promote(int index) {
        Deck& deck = m.decks[static_cast<std::size_t>(index)];
        m_current = index;
        announce(deck);
        if (deck.held_end) {
            finish_entry(index, *deck.held_end);
            return;
        }
        PendingReply reply = make_reply(ReplyKind::Unpause);
        reply.entry = deck.entry->id;
        m.set_flag(index, "pause", false, reply);
        if (deck.ready && m.screen())
            m.draw(index, true);
    }

    // Keeps one entry playing and the next one preloaded, as far as the entries allow.
    void advance() {
        for (int rounds = 0; rounds < 64; ++rounds) {
            if (m_current < 0) {
                int preloaded = -1;
                for (std::size_t index = 0; index < m.decks.size(); ++index)
                    if (m.decks[index].entry && !m.decks[index].stopping)
                        preloaded = static_cast<int>(index);
                if (preloaded >= 0) {
                    promote(preloaded);
                    continue;  // it may have ended already (held error)
                }
                const int free = free_deck();
                if (m_waiting.empty() || free < 0)
                    return;
                Deck::Entry entry = std::move(m_waiting.front());
                m_waiting.pop_front();
                m_current = free;
                put_on_deck(free, std::move(entry), false);
                Deck& deck = m.decks[static_cast<std::size_t>(free)];
                if (deck.held_end) {
                    announce(deck);
                    finish_entry(free, *deck.held_end);
                }
                continue;
            }
            const int idle = 1 - m_current;
            if (m_waiting.empty() || !m_waiting.front().request.preload ||
                m.decks[static_cast<std::size_t>(idle)].entry)
                return;  // (a stream starts cold at its turn)
            Deck::Entry entry = std::move(m_waiting.front());
            m_waiting.pop_front();
            put_on_deck(idle, std::move(entry), true);
            return;
        }
    }

    MpvRenderer::Impl& m;
    int m_current = -1;                 // the deck whose entry the engine sees as current
    std::deque<Deck::Entry> m_waiting;  // loaded by the engine, not yet on a deck
    std::int64_t m_next_entry_id = 1;
};

}  // namespace

std::unique_ptr<DeckStrategy> make_dual_deck(MpvRenderer::Impl& renderer) {
    return std::make_unique<DualDeck>(renderer);
}

}  // namespace bantin::player
