// AlertBook (player/include/bantin/player/alert_book.hpp): the alerts a player knows of, the
// hold after a restart and the cancels, against a real state database (SQLite in a temporary
// directory); a refused write is SQLite's own (PRAGMA query_only), as on a full state disk.

#include "bantin/player/alert_book.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

using namespace bantin;
using namespace bantin::player;
using std::chrono::milliseconds;

namespace {

class StateFile {
public:
    StateFile()
        : m_directory(std::filesystem::temp_directory_path() /
                      ("bantin-alert-book-" + std::to_string(std::random_device{}()))) {
        auto opened = PlayerState::open(m_directory / "player.sqlite3");
        REQUIRE(opened);
        state.emplace(std::move(*opened));
    }
    ~StateFile() {
        state.reset();
        std::error_code ignored;
        std::filesystem::remove_all(m_directory, ignored);
    }
    StateFile(const StateFile&) = delete;
    StateFile& operator=(const StateFile&) = delete;

    // A real SQLite connection that refuses every write, as a full state disk does.
    void refuse_writes(bool refuse) {
        REQUIRE(state->database().execute(refuse ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF"));
    }

    std::optional<PlayerState> state;

private:
    std::filesystem::path m_directory;
};

const TimePoint issued = from_unix_ms(1'800'000'000'000);

protocol::AlertMessage alert(const std::string& id, TimePoint expires = issued + std::chrono::hours{1}) {
    protocol::AlertMessage message;
    message.alert.id = id;
    message.alert.zones = {"bach-dang"};
    message.alert.issued = issued;
    message.alert.expires = expires;
    message.alert.headline = "Cảnh báo " + id;
    message.alert.playlist = "pl-" + id;
    message.playlist.id = message.alert.playlist;
    message.manifest = {protocol::MediaEntry{std::string(64, id.back()), 10, scheduler::MediaType::Audio,
                                             Duration{3000}, "http://c/" + id}};
    return message;
}

MonotonicTime book_at(int ms) {
    return MonotonicTime{milliseconds{ms}};
}

std::vector<std::string> ids(const std::vector<protocol::AlertMessage>& alerts) {
    std::vector<std::string> result;
    for (const auto& message : alerts) result.push_back(message.alert.id);
    return result;
}

}  // namespace

TEST_CASE("restored alerts wait for the retained topics: 1 s after the SUBACK, 5 s at most",
          "[player][alerts]") {
    StateFile file;
    AlertBook book{*file.state};
    REQUIRE(book.restore({alert("a1"), alert("a2")}, book_at(0)));
    CHECK(book.live().empty());
    CHECK(ids(book.held()) == std::vector<std::string>{"a1", "a2"});
    // Held alerts play from no copy meanwhile (the active bundle's included).
    CHECK(book.interlocks({}).cancelled_alerts == std::set<std::string>{"a1", "a2"});
    CHECK(book.media().size() == 2);  // and their media stay pinned

    CHECK_FALSE(book.release(book_at(900), issued));
    book.subscribed(book_at(1000));  // the SUBACK: 1 s more at most
    CHECK_FALSE(book.release(book_at(1999), issued));
    CHECK(book.release(book_at(2000), issued));
    CHECK(ids(book.live()) == std::vector<std::string>{"a1", "a2"});
    CHECK(book.held().empty());
    CHECK(book.interlocks({}).cancelled_alerts.empty());
    CHECK_FALSE(book.release(book_at(3000), issued));  // once

    // Without a broker, the hold ends 5 s after start-up.
    AlertBook offline{*file.state};
    REQUIRE(offline.restore({alert("a3")}, book_at(0)));
    CHECK_FALSE(offline.release(book_at(4999), issued));
    CHECK(offline.release(book_at(5000), issued));
    CHECK(ids(offline.live()) == std::vector<std::string>{"a3"});
}

TEST_CASE("a restored alert that expired during the hold is dropped, not played", "[player][alerts]") {
    StateFile file;
    AlertBook book{*file.state};
    REQUIRE(book.restore({alert("a1", issued + std::chrono::seconds{2}), alert("a2")}, book_at(0)));
    CHECK(book.release(book_at(5000), issued + std::chrono::seconds{3}));
    CHECK(ids(book.live()) == std::vector<std::string>{"a2"});
}

TEST_CASE("a retained cancel during the hold keeps the restored alert from ever playing",
          "[player][alerts]") {
    StateFile file;
    AlertBook book{*file.state};
    REQUIRE(book.restore({alert("a1")}, book_at(0)));
    REQUIRE(book.cancel("a1"));
    CHECK(book.held().empty());
    CHECK_FALSE(book.release(book_at(5000), issued));  // nothing is left to release
    CHECK(book.live().empty());
    CHECK(book.interlocks({}).cancelled_alerts == std::set<std::string>{"a1"});
    CHECK(book.cancelled_ids() == std::vector<std::string>{"a1"});
}

TEST_CASE("a cancel stops the alert at once even when the state cannot save it, and is saved later",
          "[player][alerts][disk-full]") {
    StateFile file;
    {
        AlertBook book{*file.state};
        REQUIRE(book.restore({}, book_at(0)));
        REQUIRE(book.add(alert("a1"), "signed envelope of a1"));
        CHECK(ids(book.live()) == std::vector<std::string>{"a1"});

        file.refuse_writes(true);
        auto cancelled = book.cancel("a1");
        CHECK_FALSE(cancelled);      // the save failed ...
        CHECK(book.live().empty());  // ... and the alert stopped all the same
        CHECK(book.has_unsaved());
        CHECK(book.interlocks({}).cancelled_alerts == std::set<std::string>{"a1"});
        CHECK(book.cancelled_ids() == std::vector<std::string>{"a1"});  // a replayed alert is refused
        auto retried = book.retry_saves();
        REQUIRE_FALSE(retried);
        CHECK_THAT(retried.error().detail, Catch::Contains("alert a1 cancel not saved"));
        CHECK(book.has_unsaved());

        file.refuse_writes(false);
        auto saved = book.retry_saves();
        REQUIRE(saved);
        CHECK(*saved == 1);
        CHECK_FALSE(book.has_unsaved());
    }
    // Saved: a restart knows the cancel from the state database.
    auto stored = file.state->alerts();
    REQUIRE(stored);
    CHECK(stored->empty());
    AlertBook after_restart{*file.state};
    REQUIRE(after_restart.restore({}, book_at(0)));
    CHECK(after_restart.cancelled_ids() == std::vector<std::string>{"a1"});
    CHECK(after_restart.interlocks({}).cancelled_alerts == std::set<std::string>{"a1"});
}

TEST_CASE("an alert message equal to one that plays is not new, a changed one replaces it",
          "[player][alerts]") {
    StateFile file;
    AlertBook book{*file.state};
    REQUIRE(book.restore({alert("a1")}, book_at(0)));
    auto first = alert("a1");
    CHECK(book.is_new(first));  // held is not live: the retained copy makes it live at once
    REQUIRE(book.add(first, "envelope 1"));
    CHECK(book.held().empty());
    CHECK_FALSE(book.is_new(first));
    auto changed = first;
    changed.alert.headline = "Cảnh báo a1, cập nhật";
    CHECK(book.is_new(changed));
    REQUIRE(book.add(changed, "envelope 2"));
    REQUIRE(book.live().size() == 1);
    CHECK(book.live().front().alert.headline == "Cảnh báo a1, cập nhật");
    auto stored = file.state->alerts();
    REQUIRE(stored);
    REQUIRE(stored->size() == 1);
    CHECK(stored->front().envelope == "envelope 2");
    // The base interlocks pass through.
    LocalInterlocks base;
    base.max_volume = 40;
    CHECK(book.interlocks(base).max_volume == 40);
}
