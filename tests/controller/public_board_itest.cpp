// The residents' public board (public_board.hpp): what it shows and hides, and its HTTP face
// (no session, ETag, rate limit, speech only of what is on the board), on a real SQLite store,
// a real media store and a real HTTP server on 127.0.0.1.
#include "api_context_fixture.hpp"
#include "bantin/controller/http_front.hpp"
#include "bantin/controller/public_board.hpp"
#include "bantin/media/process.hpp"
#include "bantin/media/sha256.hpp"

#include <httplib.h>
#include <catch2/catch.hpp>

#include "support/mosquitto_broker.hpp"

#include <fstream>
#include <map>

using namespace bantin;
using namespace bantin::controller;
using bantin::testing::ApiContextFixture;

namespace {

bool has(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

TimePoint utc(const char* text) {
    auto parsed = parse_utc(text);
    REQUIRE(parsed);
    return *parsed;
}

// Uyên Hưng with a loudspeaker and a screen, Bạch Đằng with a screen; an approved notice with
// its speech for Uyên Hưng, a fixed-time bulletin for the loudspeakers, a draft notice, a sent
// live alert for Bạch Đằng and an exercise for every zone.
struct Board : ApiContextFixture {
    Board() {
        clock.set_wall(utc("2026-12-04T23:30:00Z"));  // 06:30 on Saturday 05/12/2026 in Tân Uyên
        editor = add_user("bien-tap-vien", Role::Editor);
        approver = add_user("nguoi-duyet", Role::Approver);
        REQUIRE(store->write([&](StoreTransaction& transaction) -> Result<void> {
            for (const auto& [id, name] :
                 {std::pair{"uyen-hung", "Phường Uyên Hưng"}, std::pair{"bach-dang", "Xã Bạch Đằng"}}) {
                if (auto done = transaction.insert_zone(ZoneRecord{id, name}); !done)
                    return done;
            }
            for (const auto& [id, zone, kind] :
                 {std::tuple{"loa-uh-01", "uyen-hung", scheduler::DeviceKind::Speaker},
                  std::tuple{"man-hinh-uh-01", "uyen-hung", scheduler::DeviceKind::Screen},
                  std::tuple{"man-hinh-bd-01", "bach-dang", scheduler::DeviceKind::Screen}}) {
                DeviceRecord device;
                device.device.id = id;
                device.device.zone = zone;
                device.device.kind = kind;
                device.name = std::string{"Thiết bị "} + id;
                device.mqtt_password_hash = "$7$101$unused$unused";
                device.created = clock.wall();
                if (auto done = transaction.insert_device(device); !done)
                    return done;
            }
            return {};
        }));
        notice_speech =
            add_notice("notice", "Thông báo cắt điện\nTừ 8h00 đến 11h00 ngày 06/12 tại khu phố 3.",
                       "speech of the notice");
        draft_speech = add_notice("draft", "BẢN NHÁP chưa duyệt", "speech of the draft");
        alert_speech = add_notice("alert", "Lũ trên sông Đồng Nai", "speech of the alert");

        approve("thong-bao-cat-dien", "pl-notice", scheduler::Mode::Loop, {"uyen-hung"});
        approve("ban-tin-sang", "pl-notice", scheduler::Mode::FixedTime, {"uyen-hung"});
        REQUIRE(approval->create(editor, campaign("nhap", "pl-draft", scheduler::Mode::Loop, {"uyen-hung"})));

        add_alert("lu-1", "Lũ khẩn cấp", scheduler::Severity::Extreme, scheduler::AlertStatus::Actual,
                  {"bach-dang"}, false);
        add_alert("dien-tap", "Diễn tập sơ tán", scheduler::Severity::Moderate,
                  scheduler::AlertStatus::Exercise, {}, true);
    }

    // A text notice with its speech, in a playlist "pl-<key>"; returns the speech's sha256.
    std::string add_notice(const std::string& key, const std::string& text, const std::string& speech_bytes) {
        auto speech = content->put_bytes(speech_bytes);
        REQUIRE(speech);
        REQUIRE(store->write([&](StoreTransaction& transaction) -> Result<void> {
            MediaRecord audio;
            audio.media = scheduler::MediaRef{
                speech->sha256, scheduler::MediaType::Audio, Duration{4000}, true, false, key + " (speech)"};
            audio.size = static_cast<std::int64_t>(speech->size);
            audio.created = clock.wall();
            if (auto done = transaction.insert_media(audio); !done)
                return std::unexpected(done.error());
            MediaRecord notice;
            notice.media = scheduler::MediaRef{media::sha256_hex(text),
                                               scheduler::MediaType::Text,
                                               Duration{4000},
                                               true,
                                               false,
                                               key + ".txt"};
            notice.text = text;
            notice.tts_media = speech->sha256;
            notice.created = clock.wall();
            if (auto done = transaction.insert_media(notice); !done)
                return std::unexpected(done.error());
            PlaylistRecord playlist;
            playlist.playlist =
                scheduler::Playlist{"pl-" + key, "", {{notice.media.sha256, std::nullopt, 1}}};
            playlist.created = playlist.updated = clock.wall();
            return transaction.insert_playlist(playlist);
        }));
        return speech->sha256;
    }

    static scheduler::Campaign campaign(const std::string& id, const std::string& playlist,
                                        scheduler::Mode mode, std::vector<std::string> zones) {
        scheduler::Campaign draft;
        draft.id = id;
        draft.name = id == "ban-tin-sang" ? "Bản tin sáng" : "Chiến dịch " + id;
        draft.playlist = playlist;
        draft.mode = mode;
        draft.targets.zones = std::move(zones);
        if (mode == scheduler::Mode::FixedTime) {
            draft.fixed_times = {17 * 60 + 30, 6 * 60};
            draft.targets.kinds = {scheduler::DeviceKind::Speaker};
        }
        return draft;
    }

    void approve(const std::string& id, const std::string& playlist, scheduler::Mode mode,
                 std::vector<std::string> zones) {
        auto created = approval->create(editor, campaign(id, playlist, mode, std::move(zones)));
        REQUIRE(created);
        auto submitted = approval->submit(editor, id, created->version);
        REQUIRE(submitted);
        REQUIRE(approval->approve(approver, id, submitted->version));
    }

    void add_alert(const std::string& id, const std::string& headline, scheduler::Severity severity,
                   scheduler::AlertStatus status, std::vector<std::string> zones, bool all_zones) {
        AlertRecord record;
        record.alert.id = id;
        record.alert.zones = std::move(zones);
        record.alert.all_zones = all_zones;
        record.alert.severity = severity;
        record.alert.status = status;
        record.alert.issued = clock.wall() - std::chrono::minutes{10};
        record.alert.expires = clock.wall() + std::chrono::hours{2};
        record.alert.headline = headline;
        record.alert.text = "Người dân di chuyển lên vùng cao.";
        record.alert.playlist = "pl-alert";
        record.state = AlertState::Sent;
        record.created_by = approver.id;
        record.created = clock.wall();
        REQUIRE(
            store->write([&](StoreTransaction& transaction) { return transaction.insert_alert(record); }));
    }

    User editor;
    User approver;
    std::string notice_speech;
    std::string draft_speech;
    std::string alert_speech;
};

// What no public page may show: drafts, devices, internal ids, people.
void check_nothing_private(const std::string& page) {
    for (std::string_view hidden : {"BẢN NHÁP", "loa-uh-01", "man-hinh", "Thiết bị", "thong-bao-cat-dien",
                                    "pl-notice", "bien-tap-vien", "nguoi-duyet", "lu-1", "notice.txt"})
        CHECK_FALSE(has(page, hidden));
}

}  // namespace

TEST_CASE("a zone's board shows its alerts first, its approved notices with speech and today's bulletins",
          "[public-board]") {
    Board fixture;
    auto board = build_public_board(*fixture.store, fixture.clock.wall());
    REQUIRE(board);
    const BoardZone* uyen_hung = board->zone("uyen-hung");
    REQUIRE(uyen_hung);
    const std::string page = render_board_html(*board, uyen_hung, fixture.clock.wall());
    CHECK(has(page, "<html lang=\"vi\">"));
    CHECK(has(page, "<h1>Phường Uyên Hưng</h1>"));
    // The newest thing on it: the notice approved at 06:30 (the exercise was sent at 06:20); the
    // page stays the same (and so its ETag) while nothing on it changes.
    CHECK(has(page, "Ngày 05/12/2026 · tin mới nhất lúc 06:30 05/12/2026"));
    CHECK(render_board_html(*board, uyen_hung, fixture.clock.wall() + std::chrono::minutes{20}) == page);
    // The exercise for every zone, marked; Bạch Đằng's live alert is not Uyên Hưng's.
    CHECK(has(page, "<span class=\"exercise\">DIỄN TẬP</span> CẢNH BÁO KHẨN CẤP: Diễn tập sơ tán"));
    CHECK_FALSE(has(page, "Lũ khẩn cấp"));
    CHECK(has(page, "<h3>Thông báo cắt điện</h3>"));
    CHECK(has(page, "<h3>Thông báo cắt điện</h3>\n<p>Từ 8h00 đến 11h00 ngày 06/12 tại khu phố 3.</p>"));
    CHECK(has(page, "src=\"/cong-khai/am-thanh/" + fixture.notice_speech + ".ogg\""));
    // The loudspeaker programme, in time order, in local time.
    const auto six = page.find("<tr><td>06:00</td><td>Bản tin sáng</td></tr>");
    const auto half_five = page.find("<tr><td>17:30</td><td>Bản tin sáng</td></tr>");
    CHECK(six != std::string::npos);
    CHECK(half_five != std::string::npos);
    CHECK(six < half_five);
    CHECK(page.find("canh-bao") < page.find("thong-bao"));
    check_nothing_private(page);
    CHECK(board->has_speech(fixture.notice_speech));
    CHECK_FALSE(board->has_speech(fixture.draft_speech));

    const BoardZone* bach_dang = board->zone("bach-dang");
    REQUIRE(bach_dang);
    const std::string other = render_board_html(*board, bach_dang, fixture.clock.wall());
    CHECK(has(other, "class=\"alert extreme\""));
    CHECK(has(other, "CẢNH BÁO KHẨN CẤP: Lũ khẩn cấp"));
    CHECK(other.find("Lũ khẩn cấp") < other.find("Diễn tập sơ tán"));  // the most severe first
    CHECK_FALSE(has(other, "Thông báo cắt điện"));                     // not a notice of Bạch Đằng
    CHECK(has(other, "Hôm nay không có bản tin phát theo giờ."));
    check_nothing_private(other);

    const std::string town = render_board_html(*board, nullptr, fixture.clock.wall());
    CHECK(has(town, "<a href=\"/cong-khai/uyen-hung\">Phường Uyên Hưng</a>"));
    CHECK(has(town, "<a href=\"/cong-khai/bach-dang\">Xã Bạch Đằng</a>"));
    check_nothing_private(town);
}

TEST_CASE("a notice stays on the board as recent for a week after its last day", "[public-board]") {
    Board fixture;
    auto board = build_public_board(*fixture.store, fixture.clock.wall());
    REQUIRE(board);
    PublicBoard ended = *board;
    ended.notices.front().valid_to =
        std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::December, std::chrono::day{1}};
    const std::string page = render_board_html(ended, ended.zone("uyen-hung"), fixture.clock.wall());
    CHECK(has(page, "Thông báo gần đây"));
    CHECK(has(page, "đến hết ngày 01/12/2026"));
    CHECK(page.find("Hiện không có thông báo nào.") < page.find("Thông báo cắt điện"));
    const std::string later =
        render_board_html(ended, ended.zone("uyen-hung"), fixture.clock.wall() + std::chrono::days{7});
    CHECK_FALSE(has(later, "Thông báo cắt điện"));

    // A first line too long for a heading is cut there (at a character, not inside one) and
    // the notice is shown whole below it.
    PublicBoard long_line = *board;
    std::string words;
    while (words.size() < 120) words += "Đường ĐT746 ";
    long_line.notices.front().text = words;
    const std::string shown = render_board_html(long_line, long_line.zone("uyen-hung"), fixture.clock.wall());
    CHECK(has(shown, "…</h3>"));
    CHECK(has(shown, "<p>" + words + "</p>"));
}

TEST_CASE("a playlist that names only a notice's speech puts the notice on the board", "[public-board]") {
    Board fixture;
    REQUIRE(fixture.store->write([&](StoreTransaction& transaction) {
        PlaylistRecord spoken;
        spoken.playlist = scheduler::Playlist{"pl-spoken", "", {{fixture.alert_speech, std::nullopt, 1}}};
        spoken.created = spoken.updated = fixture.clock.wall();
        return transaction.insert_playlist(spoken);
    }));
    fixture.approve("loa-lu", "pl-spoken", scheduler::Mode::Loop, {"bach-dang"});
    auto board = build_public_board(*fixture.store, fixture.clock.wall());
    REQUIRE(board);
    const std::string page = render_board_html(*board, board->zone("bach-dang"), fixture.clock.wall());
    CHECK(has(page, "<h3>Lũ trên sông Đồng Nai</h3>"));
    CHECK(has(page, "src=\"/cong-khai/am-thanh/" + fixture.alert_speech + ".ogg\""));
}

TEST_CASE("the Atom feed is well-formed XML a real parser reads, and escapes what editors write",
          "[public-board]") {
    Board fixture;
    fixture.add_notice("xml", "Họp dân <khu phố 5> & \"tổ 3\"", "speech of xml");
    fixture.approve("hop-dan", "pl-xml", scheduler::Mode::Loop, {"uyen-hung"});
    auto board = build_public_board(*fixture.store, fixture.clock.wall());
    REQUIRE(board);
    const std::string feed = render_board_atom(*board, board->zone("uyen-hung"), fixture.clock.wall());
    CHECK(has(feed, "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">"));
    CHECK(has(feed, "Họp dân &lt;khu phố 5&gt; &amp; &quot;tổ 3&quot;"));
    CHECK(has(feed, "<link rel=\"enclosure\" type=\"audio/ogg\" href=\"/cong-khai/am-thanh/" +
                        fixture.notice_speech));
    check_nothing_private(feed);

    const auto file = fixture.directory.path() / "feed.xml";
    std::ofstream{file} << feed;
    auto parsed =
        media::run_process({{"xmllint", "--noout", file.string()}, std::nullopt, std::chrono::seconds{30}});
    REQUIRE(parsed);
    INFO(parsed->standard_error);
    CHECK(parsed->succeeded());
    auto entries =
        media::run_process({{"xmllint", "--xpath", "count(//*[local-name()='entry'])", file.string()},
                            std::nullopt,
                            std::chrono::seconds{30}});
    REQUIRE(entries);
    std::string count = entries->standard_output;
    while (!count.empty() && (count.back() == '\n' || count.back() == ' ')) count.pop_back();
    CHECK(count == "3");  // the exercise and two notices
}

TEST_CASE("the board is served without a session, cached by ETag, and rate-limited per client",
          "[public-board][http]") {
    Board fixture;
    ApiServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    ApiServer server{options};
    register_public_board(server, *fixture.context);
    auto port = server.start();
    REQUIRE(port);
    httplib::Client client{"127.0.0.1", *port};

    auto page = client.Get("/cong-khai/uyen-hung");
    REQUIRE(page);
    CHECK(page->status == 200);
    CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
    CHECK_FALSE(page->has_header("Set-Cookie"));
    CHECK(page->get_header_value("Cache-Control") == "public, max-age=30");
    CHECK(page->get_header_value_count("Cache-Control") == 1);
    CHECK(has(page->get_header_value("Content-Security-Policy"), "default-src 'none'"));
    CHECK(has(page->body, "Thông báo cắt điện"));
    const std::string tag = page->get_header_value("ETag");
    REQUIRE_FALSE(tag.empty());

    auto again = client.Get("/cong-khai/uyen-hung", {{"If-None-Match", tag}});
    REQUIRE(again);
    CHECK(again->status == 304);
    CHECK(again->body.empty());

    auto feed = client.Get("/cong-khai/uyen-hung/atom.xml");
    REQUIRE(feed);
    CHECK(feed->status == 200);
    CHECK(feed->get_header_value("Content-Type") == "application/atom+xml; charset=utf-8");
    auto town = client.Get("/cong-khai");
    REQUIRE(town);
    CHECK(town->status == 200);

    auto unknown = client.Get("/cong-khai/khong-co");
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(has(unknown->body, "Không có xã, phường này"));
    auto hostile = client.Get("/cong-khai/..%2F..%2Fetc%2Fpasswd");
    REQUIRE(hostile);
    CHECK((hostile->status == 404 || hostile->status == 400));

    // Speech: the notice's is served; the draft's, stored in the same place, is not.
    auto speech = client.Get("/cong-khai/am-thanh/" + fixture.notice_speech + ".ogg");
    REQUIRE(speech);
    CHECK(speech->status == 200);
    CHECK(speech->body == "speech of the notice");
    auto draft = client.Get("/cong-khai/am-thanh/" + fixture.draft_speech + ".ogg");
    REQUIRE(draft);
    CHECK(draft->status == 404);
    CHECK_FALSE(has(draft->body, "draft"));

    // The clock stands still: the client's bucket (40) empties and is not refilled.
    int answered = 7;  // the requests above
    int refused = 0;
    for (int i = 0; i < 50; ++i) {
        auto response = client.Get("/cong-khai");
        REQUIRE(response);
        if (response->status == 429) {
            ++refused;
            CHECK(response->get_header_value("Retry-After") == "1");
        } else {
            ++answered;
        }
    }
    CHECK(answered == static_cast<int>(40));
    CHECK(refused == 50 + 7 - 40);
    fixture.clock.advance(std::chrono::seconds{1});  // ten more
    auto refilled = client.Get("/cong-khai");
    REQUIRE(refilled);
    CHECK(refilled->status == 200);
    server.stop();
}

TEST_CASE("etag_matches reads lists, wildcards and the weak tags a compressing front makes",
          "[public-board][http]") {
    CHECK(etag_matches("\"abc\"", "\"abc\""));
    CHECK(etag_matches("W/\"abc\"", "\"abc\""));
    CHECK(etag_matches("\"x\", W/\"abc\" ,\"y\"", "\"abc\""));
    CHECK(etag_matches("*", "\"abc\""));
    CHECK_FALSE(etag_matches("", "\"abc\""));
    CHECK_FALSE(etag_matches("\"abcd\"", "\"abc\""));
    CHECK_FALSE(etag_matches("abc", "\"abc\""));
    CHECK_FALSE(etag_matches(",,, ,", "\"abc\""));
    CHECK_FALSE(etag_matches("W/", "\"abc\""));
    CHECK_FALSE(etag_matches(std::string(100'000, ','), "\"abc\""));
}

namespace {

// `curl` against `url` with `headers`: the response's headers (lower-cased names) and body size.
struct CurlAnswer {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::size_t body_bytes = 0;
};

CurlAnswer curl_get(const std::filesystem::path& scratch, const std::string& url,
                    const std::vector<std::string>& headers, bool compressed) {
    std::error_code ignored;
    std::filesystem::remove(scratch / "body", ignored);  // curl writes no file for a 304
    std::vector<std::string> command{
        "curl",       "-sS", "-o", (scratch / "body").string(), "-D", (scratch / "headers").string(),
        "--max-time", "20"};
    if (compressed)
        command.push_back("--compressed");
    for (const auto& header : headers) {
        command.push_back("-H");
        command.push_back(header);
    }
    command.push_back(url);
    auto ran = media::run_process({command, std::nullopt, std::chrono::seconds{30}});
    REQUIRE(ran);
    INFO(ran->standard_error);
    REQUIRE(ran->succeeded());
    CurlAnswer answer;
    std::ifstream in{scratch / "headers"};
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.starts_with("HTTP/")) {
            answer.status = std::stoi(line.substr(line.find(' ') + 1, 3));
            answer.headers.clear();
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        answer.headers[name] += answer.headers.contains(name) ? ", " + value : value;
    }
    answer.body_bytes = std::filesystem::exists(scratch / "body", ignored)
                            ? static_cast<std::size_t>(std::filesystem::file_size(scratch / "body", ignored))
                            : 0;
    return answer;
}

}  // namespace

TEST_CASE(
    "behind the HTTP front, curl sees the board compressed, cacheable by encoding, revalidated and "
    "cookieless",
    "[public-board][http][front]") {
    Board fixture;
    ApiServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    ApiServer server{options};
    register_public_board(server, *fixture.context);
    auto backend = server.start();
    REQUIRE(backend);
    fixture.config.http.front = config::HttpFront::Nginx;
    fixture.config.http.listen_address = "127.0.0.1";
    fixture.config.http.port = static_cast<std::uint16_t>(test::MosquittoBroker::free_port());
    auto front = HttpFront::start(front_options(fixture.config, static_cast<std::uint16_t>(*backend)));
    REQUIRE(front);
    const std::string url =
        "http://127.0.0.1:" + std::to_string(fixture.config.http.port) + "/cong-khai/uyen-hung";
    const auto scratch = fixture.directory.path();

    CurlAnswer plain = curl_get(scratch, url, {}, false);
    CHECK(plain.status == 200);
    CHECK(plain.headers["content-type"] == "text/html; charset=utf-8");
    CHECK(plain.headers["cache-control"] == "public, max-age=30");
    CHECK(has(plain.headers["content-security-policy"], "default-src 'none'"));
    CHECK(plain.headers["x-content-type-options"] == "nosniff");
    CHECK(plain.headers["referrer-policy"] == "no-referrer");
    CHECK_FALSE(plain.headers.contains("set-cookie"));
    CHECK_FALSE(has(plain.headers["server"], "/"));  // nginx names no version
    REQUIRE_FALSE(plain.headers["etag"].empty());

    CurlAnswer zipped = curl_get(scratch, url, {}, true);
    CHECK(zipped.status == 200);
    const std::string encoding = zipped.headers["content-encoding"];
    CHECK((encoding == "gzip" || encoding == "br"));
    CHECK(has(zipped.headers["vary"], "Accept-Encoding"));
    CHECK(has(plain.headers["vary"], "Accept-Encoding"));
    CHECK_FALSE(zipped.headers.contains("set-cookie"));
    const std::string tag = zipped.headers["etag"];
    REQUIRE_FALSE(tag.empty());
    // Compressed, the page is what curl wrote out (decoded) again: the same bytes as the plain one.
    CHECK(zipped.body_bytes == plain.body_bytes);

    // A browser revalidates with the tag it was given, weak or not: 304 without a body.
    for (const auto& given : {tag, plain.headers["etag"]}) {
        CurlAnswer again = curl_get(scratch, url, {"If-None-Match: " + given}, true);
        INFO(given);
        CHECK(again.status == 304);
        CHECK(again.body_bytes == 0);
    }
    CurlAnswer feed = curl_get(scratch, url + "/atom.xml", {}, true);
    CHECK(feed.status == 200);
    CHECK(feed.headers["content-type"] == "application/atom+xml; charset=utf-8");
}
