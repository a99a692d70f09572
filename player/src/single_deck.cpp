// One core with mpv's own playlist (Speaker and ao=pcm capture by default): gapless-audio
// joins the items sample-exactly, and each entry's events are mpv's own.
//
// Played entries leave mpv's playlist. mpv keeps every entry it has played (`append-play` only
// adds), and mpv 0.35 removes an entry only by index. So on each start-file the playlist is
// read asynchronously, and when the snapshot comes back every entry before the one that
// started is removed, highest index first. The indices stay right because, from this client,
// mpv runs the requests in order and between the snapshot and the removals only appends can
// reach the playlist (they add at the end) — unless a Replace load or stop was issued
// meanwhile, which empties it: those bump m_generation and a snapshot of an older generation
// is dropped. Commands issued after the removals run after them. mpv's own changes (a
// redirect expanding the playing entry) happen at or after the playing entry, never before
// it. The playing entry and those after it are never touched, so gapless joins are unaffected.

#include "mpv_core.hpp"

#include <spdlog/spdlog.h>

namespace bantin::player {

namespace {

class SingleDeck final : public DeckStrategy {
public:
    explicit SingleDeck(MpvRenderer::Impl& renderer) : m(renderer) {}

    void load(const LoadRequest& request, LoadMode mode) override {
        if (mode == LoadMode::Replace)
            ++m_generation;  // it empties mpv's playlist
        m.command(0, {"loadfile", request.location, mode == LoadMode::Replace ? "replace" : "append-play"},
                  make_reply(ReplyKind::Load, request.tag), &request.options);
    }

    void stop() override {
        ++m_generation;  // stop empties mpv's playlist
        m.command(0, {"stop"}, make_reply(ReplyKind::Other));
    }

    bool remove(std::uint64_t) override { return false; }  // by index only: see above
    int on_screen() const override { return 0; }

    void on_event(int index, const mpv_event& event) override {
        Deck& deck = m.decks[static_cast<std::size_t>(index)];
        switch (event.event_id) {
            case MPV_EVENT_START_FILE: {
                RendererEvent started = m.stamped(RendererEvent::Kind::StartFile);
                started.playlist_entry_id = static_cast<mpv_event_start_file*>(event.data)->playlist_entry_id;
                deck.last_error_message.clear();
                request_trim(started.playlist_entry_id);
                m.pending.push_back(std::move(started));
                break;
            }
            case MPV_EVENT_PLAYBACK_RESTART:
                m.pending.push_back(m.stamped(RendererEvent::Kind::PlaybackRestart));
                break;
            case MPV_EVENT_END_FILE:
                m.pending.push_back(m.end_event(deck, *static_cast<mpv_event_end_file*>(event.data)));
                break;
            default: break;
        }
    }

    void on_reply(const PendingReply& reply, const mpv_event& event) override {
        if (reply.kind != ReplyKind::Playlist || reply.generation != m_generation)
            return;  // emptied since: indices are stale
        if (event.error < 0) {
            spdlog::warn("mpv: get playlist failed: {}", mpv_error_text(event.error));
            return;
        }
        const auto* property = static_cast<const mpv_event_property*>(event.data);
        if (property == nullptr || property->format != MPV_FORMAT_NODE || property->data == nullptr)
            return;
        const auto position = playlist_position(*static_cast<const mpv_node*>(property->data), reply.entry);
        if (!position)
            return;  // already gone (replaced); nothing before it to remove
        for (int index = *position - 1; index >= 0; --index)
            m.command(0, {"playlist-remove", std::to_string(index)}, make_reply(ReplyKind::Other));
    }

private:
    void request_trim(std::int64_t started_entry) {
        PendingReply reply = make_reply(ReplyKind::Playlist);
        reply.what = "get playlist";
        reply.entry = started_entry;
        reply.generation = m_generation;
        const std::uint64_t reply_id = m.next_reply_id++;
        m.replies[reply_id] = reply;
        if (const int status =
                mpv_get_property_async(m.decks[0].mpv.get(), reply_id, "playlist", MPV_FORMAT_NODE);
            status < 0) {
            m.replies.erase(reply_id);
            spdlog::warn("mpv: get playlist refused: {}", mpv_error_text(status));
        }
    }

    MpvRenderer::Impl& m;
    // Bumped by every command that empties mpv's playlist (a Replace load, stop), so a playlist
    // snapshot taken before it is never used to remove entries after it.
    std::uint64_t m_generation = 0;
};

}  // namespace

std::unique_ptr<DeckStrategy> make_single_deck(MpvRenderer::Impl& renderer) {
    return std::make_unique<SingleDeck>(renderer);
}

}  // namespace bantin::player
