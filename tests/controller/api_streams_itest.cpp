// POST /api/v1/media/streams over real HTTP: a real MP3 served by a cpp-httplib server on a free
// 127.0.0.1 port and probed by the real ffprobe; hostile URLs, a source that never answers and
// one that never stops sending.
#include "../media/http_test_server.hpp"
#include "api_fixture.hpp"

#include "bantin/media/sha256.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

using bantin::controller::Role;
using bantin::media::testing::HttpTestServer;
using bantin::testing::ApiFixture;
using bantin::testing::body_of;
using nlohmann::json;

namespace {

std::vector<bantin::controller::AuditEntry> audit_of(ApiFixture& fixture, const std::string& sha256) {
    auto rows = fixture.store->read_value<std::vector<bantin::controller::AuditEntry>>(
        [&](bantin::controller::StoreTransaction& transaction) {
            return transaction.list_audit({"media", sha256, std::nullopt}, {});
        });
    REQUIRE(rows);
    return *rows;
}

std::string upload_filler(ApiFixture& fixture, const std::string& token) {
    auto uploaded =
        fixture.upload("filler.mp3", token, fixture.make_media("filler.mp3", "-f lavfi -i sine=f=330:d=2"));
    REQUIRE(uploaded);
    REQUIRE(uploaded->status == 201);
    return body_of(uploaded).at("sha256");
}

// A TCP port that accepts connections (the kernel completes the handshake) and never answers.
class SilentPort {
public:
    SilentPort() {
        m_socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(m_socket >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        REQUIRE(::bind(m_socket, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(m_socket, 16) == 0);
        socklen_t length = sizeof address;
        REQUIRE(::getsockname(m_socket, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        m_port = ntohs(address.sin_port);
    }
    SilentPort(const SilentPort&) = delete;
    SilentPort& operator=(const SilentPort&) = delete;
    ~SilentPort() { ::close(m_socket); }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + path;
    }

private:
    int m_socket = -1;
    int m_port = 0;
};

}  // namespace

TEST_CASE("a stream added by URL is probed once, named by its URL and stored once", "[api][streams]") {
    ApiFixture fixture;
    fixture.config.streams.allow_local_sources = true;  // the source is a server on loopback
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string mp3 = fixture.make_media("x.mp3", "-f lavfi -i sine=f=440:d=3 -c:a libmp3lame");
    const std::string filler = upload_filler(fixture, editor);
    std::atomic<int> fetched{0};
    HttpTestServer source;
    source.routes().Get("/vov1.mp3", [&](const httplib::Request&, httplib::Response& response) {
        fetched.fetch_add(1);
        response.set_content(mp3, "audio/mpeg");
    });
    source.start();
    const std::string url = source.url("/vov1.mp3");

    auto created = fixture.post("/api/v1/media/streams", editor,
                                json{{"name", "Tiếp sóng VOV1"}, {"url", url}, {"filler", filler}});
    REQUIRE(created);
    INFO(created->body);
    REQUIRE(created->status == 201);
    auto body = body_of(created);
    CHECK(body.at("sha256") == bantin::media::sha256_hex(url));
    CHECK(body.at("type") == "stream");
    CHECK(body.at("url") == url);
    CHECK(body.at("filler") == filler);
    CHECK(body.at("name") == "Tiếp sóng VOV1");
    CHECK(body.at("has_audio") == true);
    CHECK(body.at("has_video") == false);
    CHECK(body.at("duration_ms").is_null());
    CHECK(body.at("content_url").is_null());
    CHECK(body.at("probe").at("ok") == true);
    CHECK(body.at("probe").at("codec") == "mp3");
    CHECK(body.at("probe").at("error").is_null());
    CHECK(fetched.load() >= 1);

    // The stored row and its audit row.
    auto got = fixture.get("/api/v1/media/" + body.at("sha256").get<std::string>(), editor);
    REQUIRE(got);
    CHECK(got->status == 200);
    CHECK(body_of(got).at("url") == url);
    const auto audit = audit_of(fixture, body.at("sha256"));
    REQUIRE(audit.size() == 1);
    CHECK(audit[0].action == "stream.create");
    CHECK(json::parse(audit[0].after).at("probe").at("codec") == "mp3");

    // The same URL again: the stream stored before, not probed again.
    const int fetched_once = fetched.load();
    const auto rows = fixture.media_rows();
    auto again = fixture.post("/api/v1/media/streams", editor, json{{"name", "VOV1 lần nữa"}, {"url", url}});
    REQUIRE(again);
    CHECK(again->status == 200);
    CHECK(body_of(again).at("sha256") == body.at("sha256"));
    CHECK(body_of(again).at("name") == "Tiếp sóng VOV1");
    CHECK(fetched.load() == fetched_once);
    CHECK(fixture.media_rows() == rows);

    // Streams are content: an operator may not add one.
    const auto operator_token = fixture.sign_in("op", Role::Operator);
    auto refused = fixture.post("/api/v1/media/streams", operator_token,
                                json{{"name", "VOV2"}, {"url", source.url("/vov2.mp3")}});
    REQUIRE(refused);
    CHECK(refused->status == 403);
}

TEST_CASE("hostile stream URLs are refused before any probe, with every problem at once",
          "[api][streams][input]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::vector<std::string> hostile{"file:///etc/passwd",
                                           "ftp://127.0.0.1/x.mp3",
                                           "data:audio/mpeg;base64,AAAA",
                                           "gopher://127.0.0.1/1",
                                           "http://",
                                           "http:///etc/passwd",
                                           "http://127.0.0.1/" + std::string(2100, 'a'),
                                           "http://127.0.0.1/x\x01.mp3",
                                           "http://127.0.0.1/a b.mp3",
                                           "-i file:/etc/passwd"};
    for (const auto& url : hostile) {
        INFO(url);
        auto response = fixture.post("/api/v1/media/streams", editor, json{{"name", "luồng"}, {"url", url}});
        REQUIRE(response);
        CHECK(response->status == 422);
        CHECK(body_of(response).at("detail").get<std::string>().starts_with("url: "));
    }
    // Name, URL and filler wrong at once: one answer lists all three.
    auto all =
        fixture.post("/api/v1/media/streams", editor,
                     json{{"name", "../x"}, {"url", "file:///etc/passwd"}, {"filler", std::string(64, 'a')}});
    REQUIRE(all);
    CHECK(all->status == 422);
    const std::string detail = body_of(all).at("detail");
    CHECK(detail.find("name: ") != std::string::npos);
    CHECK(detail.find("url: ") != std::string::npos);
    CHECK(detail.find("filler: ") != std::string::npos);
    // Wrong types and unknown fields are 400.
    auto typed = fixture.post("/api/v1/media/streams", editor, json{{"name", "x"}, {"url", 5}, {"size", 1}});
    REQUIRE(typed);
    CHECK(typed->status == 400);
    CHECK(fixture.media_rows() == 0);
}

TEST_CASE("the controller's own machine, link-local and multicast sources are refused before any probe",
          "[api][streams][input]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    std::atomic<int> fetched{0};
    HttpTestServer source;  // a service on the controller's loopback an editor must not reach
    source.routes().Get("/secret", [&](const httplib::Request&, httplib::Response& response) {
        fetched.fetch_add(1);
        response.set_content("internal", "text/plain");
    });
    source.start();
    const auto refused_with = [&](const std::string& url, const std::string& words) {
        INFO(url);
        auto response = fixture.post("/api/v1/media/streams", editor, json{{"name", "x"}, {"url", url}});
        REQUIRE(response);
        CHECK(response->status == 422);
        const std::string detail = body_of(response).at("detail");
        CHECK(detail.starts_with("url: "));
        CHECK_THAT(detail, Catch::Contains(words));
    };
    refused_with(source.url("/secret"), "streams.allow_local_sources");
    refused_with("http://localhost:1883/", "loopback");
    refused_with("http://[::1]:1883/", "loopback");
    refused_with("http://169.254.169.254/latest/meta-data/", "link-local");
    refused_with("http://0.0.0.0:8080/", "0.0.0.0");
    refused_with("http://239.1.2.3:5000/x.ts", "multicast");
    // Allowing local sources opens loopback only.
    fixture.config.streams.allow_local_sources = true;
    refused_with("http://169.254.169.254/latest/meta-data/", "link-local");
    CHECK(fetched.load() == 0);
    CHECK(fixture.media_rows() == 0);
    CHECK(audit_of(fixture, bantin::media::sha256_hex(source.url("/secret"))).empty());
}

TEST_CASE("a stream's filler must be stored audio or video", "[api][streams][input]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    auto image = fixture.upload("logo.png", editor,
                                fixture.make_media("logo.png", "-f lavfi -i testsrc=size=64x48 -frames:v 1"));
    REQUIRE(image);
    REQUIRE(image->status == 201);
    const std::string image_sha = body_of(image).at("sha256");
    for (const std::string& filler : {image_sha, std::string(64, 'b'), std::string{"not-hex"}}) {
        INFO(filler);
        auto response =
            fixture.post("/api/v1/media/streams", editor,
                         json{{"name", "VOV1"}, {"url", "http://127.0.0.1:9/x.mp3"}, {"filler", filler}});
        REQUIRE(response);
        CHECK(response->status == 422);
        CHECK(body_of(response).at("detail").get<std::string>().starts_with("filler: "));
    }
    CHECK(fixture.media_rows() == 1);
}

TEST_CASE("a source that never answers times the probe out and the stream is still stored",
          "[api][streams][fault]") {
    ApiFixture fixture;
    fixture.config.streams.allow_local_sources = true;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    SilentPort silent;
    const std::string url = silent.url("/vov1.mp3");
    auto created = fixture.post("/api/v1/media/streams", editor, json{{"name", "VOV1"}, {"url", url}});
    REQUIRE(created);
    INFO(created->body);
    REQUIRE(created->status == 201);
    auto body = body_of(created);
    CHECK(body.at("has_audio") == true);
    CHECK(body.at("has_video") == false);
    CHECK(body.at("probe").at("ok") == false);
    CHECK(body.at("probe").at("codec").is_null());
    CHECK_FALSE(body.at("probe").at("error").get<std::string>().empty());
    const auto audit = audit_of(fixture, body.at("sha256"));
    REQUIRE(audit.size() == 1);
    CHECK(json::parse(audit[0].after).at("probe").at("ok") == false);
}

TEST_CASE("a source that never stops sending is read only as far as its header", "[api][streams][fault]") {
    ApiFixture fixture;
    fixture.config.streams.allow_local_sources = true;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string mp3 = fixture.make_media("x.mp3", "-f lavfi -i sine=f=440:d=3 -c:a libmp3lame");
    std::atomic<std::int64_t> sent{0};
    HttpTestServer source;
    // An endless live mount: the same MP3 frames again and again, never a last chunk.
    source.routes().Get("/live.mp3", [&](const httplib::Request&, httplib::Response& response) {
        response.set_chunked_content_provider("audio/mpeg", [&](std::size_t, httplib::DataSink& sink) {
            if (!sink.write(mp3.data(), mp3.size()))
                return false;
            sent.fetch_add(static_cast<std::int64_t>(mp3.size()));
            return true;
        });
    });
    source.start();
    auto created = fixture.post("/api/v1/media/streams", editor,
                                json{{"name", "Live"}, {"url", source.url("/live.mp3")}});
    REQUIRE(created);
    INFO(created->body);
    REQUIRE(created->status == 201);
    auto body = body_of(created);
    CHECK(body.at("probe").at("ok") == true);
    CHECK(body.at("probe").at("codec") == "mp3");
    source.stop();
    // ffprobe read its header and hung up: far less than an endless body.
    CHECK(sent.load() < 64 * 1024 * 1024);
}

TEST_CASE("a playlist item that plays a stream needs a duration", "[api][streams][playlists]") {
    ApiFixture fixture;
    const auto editor = fixture.sign_in("ed", Role::Editor);
    const std::string filler = upload_filler(fixture, editor);
    bantin::controller::MediaRecord stream;
    stream.media.sha256 = bantin::media::sha256_hex("http://radio.example.vn/vov1");
    stream.media.type = bantin::scheduler::MediaType::Stream;
    stream.media.name = "VOV1";
    stream.media.url = "http://radio.example.vn/vov1";
    stream.created = fixture.clock.wall();
    REQUIRE(
        fixture.store->write([&](bantin::controller::StoreTransaction& transaction) -> bantin::Result<void> {
            auto inserted = transaction.insert_media(stream);
            if (!inserted)
                return std::unexpected(inserted.error());
            return {};
        }));
    const std::string sha = stream.media.sha256;

    auto refused = fixture.post("/api/v1/playlists", editor,
                                json{{"id", "pl-vov1"}, {"items", {{{"media", filler}}, {{"media", sha}}}}});
    REQUIRE(refused);
    CHECK(refused->status == 422);
    const std::string detail = body_of(refused).at("detail");
    CHECK(detail.starts_with("items[1].duration_ms: "));
    CHECK(detail.find("items[0]") == std::string::npos);

    auto created =
        fixture.post("/api/v1/playlists", editor,
                     json{{"id", "pl-vov1"},
                          {"items", {{{"media", filler}}, {{"media", sha}, {"duration_ms", 1'800'000}}}}});
    REQUIRE(created);
    INFO(created->body);
    CHECK(created->status == 201);

    // An edit that drops the duration is refused too, and the playlist keeps its items.
    auto edited = fixture.put("/api/v1/playlists/pl-vov1", editor,
                              json{{"version", 1}, {"items", {{{"media", sha}}, {{"media", sha}}}}});
    REQUIRE(edited);
    CHECK(edited->status == 422);
    const std::string both = body_of(edited).at("detail");
    CHECK(both.find("items[0].duration_ms") != std::string::npos);
    CHECK(both.find("items[1].duration_ms") != std::string::npos);
    auto kept = fixture.get("/api/v1/playlists/pl-vov1", editor);
    REQUIRE(kept);
    CHECK(body_of(kept).at("version") == 1);
    CHECK(body_of(kept).at("items").size() == 2);
}
