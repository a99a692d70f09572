// The server's own compression (http_compression.hpp): the coding chosen from Accept-Encoding,
// the types compressed, and what a client gets back through the API server.
#include "bantin/controller/http_compression.hpp"
#include "bantin/controller/http_server.hpp"

#include <httplib.h>
#include <catch2/catch.hpp>

#include <string>

using namespace bantin;
using controller::ApiServer;
using controller::ApiServerOptions;
using controller::choose_coding;
using controller::compress_body;
using controller::compressible_type;
using controller::ContentCoding;
using controller::decompress_body;

namespace {

std::string squeeze_text(std::size_t bytes) {
    std::string text;
    while (text.size() < bytes) text += "{\"start\":\"2026-03-02T00:00:00.000Z\",\"reason\":\"loop\"},";
    text.resize(bytes);
    return text;
}

// An API server with a few routes, on a free loopback port.
struct SqueezeRig {
    ApiServer server{ApiServerOptions{}};
    std::string big = squeeze_text(200 * 1024);
    int port = 0;

    SqueezeRig() {
        server.http().Get("/big.json", [this](const httplib::Request&, httplib::Response& response) {
            response.set_content(big, "application/json; charset=utf-8");
        });
        server.http().Get("/small.json", [](const httplib::Request&, httplib::Response& response) {
            response.set_content("{\"ok\":true}", "application/json");
        });
        server.http().Get("/picture.png", [this](const httplib::Request&, httplib::Response& response) {
            response.set_content(big, "image/png");
        });
        auto started = server.start();
        REQUIRE(started);
        port = *started;
    }

    httplib::Result get(const std::string& path, const std::string& accept, httplib::Headers extra = {}) {
        httplib::Client client{"127.0.0.1", port};
        client.set_decompress(false);
        if (!accept.empty())
            extra.emplace("Accept-Encoding", accept);
        return client.Get(path.c_str(), extra);
    }
};

}  // namespace

TEST_CASE("the coding follows Accept-Encoding, br first, never one given q=0", "[http][compression]") {
    CHECK(choose_coding("") == ContentCoding::Identity);
    CHECK(choose_coding("gzip, deflate, br") == ContentCoding::Brotli);
    CHECK(choose_coding("gzip") == ContentCoding::Gzip);
    CHECK(choose_coding("GZIP;q=0.5") == ContentCoding::Gzip);
    CHECK(choose_coding("br;q=0, gzip") == ContentCoding::Gzip);
    CHECK(choose_coding("br;q=0.2, gzip;q=0.8") == ContentCoding::Gzip);
    CHECK(choose_coding("gzip;q=0, br;q=0") == ContentCoding::Identity);
    CHECK(choose_coding("*") == ContentCoding::Brotli);
    CHECK(choose_coding("*;q=0") == ContentCoding::Identity);
    CHECK(choose_coding("identity") == ContentCoding::Identity);
    CHECK(choose_coding("deflate") == ContentCoding::Identity);
    // Hostile headers choose nothing rather than fail.
    CHECK(choose_coding("br;q=nonsense") == ContentCoding::Identity);
    CHECK(choose_coding("br;q=7") == ContentCoding::Identity);
    CHECK(choose_coding(",,,;;;=") == ContentCoding::Identity);
    CHECK(choose_coding(std::string(10000, ',') + "gzip") == ContentCoding::Gzip);
}

TEST_CASE("text, JSON, JavaScript and SVG are compressible, pictures and media are not",
          "[http][compression]") {
    CHECK(compressible_type("application/json"));
    CHECK(compressible_type("application/json; charset=utf-8"));
    CHECK(compressible_type("text/html; charset=utf-8"));
    CHECK(compressible_type("text/javascript; charset=utf-8"));
    CHECK(compressible_type("text/csv; charset=utf-8"));
    CHECK(compressible_type("image/svg+xml"));
    CHECK(compressible_type("application/atom+xml"));
    CHECK_FALSE(compressible_type("image/png"));
    CHECK_FALSE(compressible_type("audio/mpeg"));
    CHECK_FALSE(compressible_type("text/event-stream"));
    CHECK_FALSE(compressible_type(""));
}

TEST_CASE("brotli and gzip bodies inflate to what was compressed", "[http][compression]") {
    const std::string text = squeeze_text(300 * 1024) + "Thông báo tiêm chủng";
    for (auto coding : {ContentCoding::Brotli, ContentCoding::Gzip}) {
        auto squeezed = compress_body(text, coding);
        REQUIRE(squeezed);
        CHECK(squeezed->size() < text.size() / 10);
        CHECK(decompress_body(*squeezed, coding) == text);
        CHECK_FALSE(decompress_body("not compressed at all", coding));
    }
    CHECK(compress_body("", ContentCoding::Gzip));
}

TEST_CASE("the server compresses a big JSON answer in the coding the client accepts, with Vary",
          "[http][compression][integration]") {
    SqueezeRig rig;
    auto brotli = rig.get("/big.json", "gzip, deflate, br");
    REQUIRE(brotli);
    CHECK(brotli->status == 200);
    CHECK(brotli->get_header_value("Content-Encoding") == "br");
    CHECK(brotli->get_header_value("Vary") == "Accept-Encoding");
    CHECK(brotli->get_header_value("Content-Length") == std::to_string(brotli->body.size()));
    CHECK(brotli->body.size() < rig.big.size() / 10);
    CHECK(decompress_body(brotli->body, ContentCoding::Brotli) == rig.big);

    auto gzip = rig.get("/big.json", "gzip");
    REQUIRE(gzip);
    CHECK(gzip->get_header_value("Content-Encoding") == "gzip");
    CHECK(decompress_body(gzip->body, ContentCoding::Gzip) == rig.big);

    auto plain = rig.get("/big.json", "");
    REQUIRE(plain);
    CHECK_FALSE(plain->has_header("Content-Encoding"));
    CHECK(plain->get_header_value("Vary") == "Accept-Encoding");
    CHECK(plain->body == rig.big);

    auto refused = rig.get("/big.json", "br;q=0, gzip;q=0");
    REQUIRE(refused);
    CHECK_FALSE(refused->has_header("Content-Encoding"));
    CHECK(refused->body == rig.big);

    // A client's own copy of the header the server hides Accept-Encoding in counts for nothing.
    auto smuggled = rig.get("/big.json", "", {{"X-Bantin-Accept-Encoding", "br"}});
    REQUIRE(smuggled);
    CHECK_FALSE(smuggled->has_header("Content-Encoding"));
    CHECK(smuggled->body == rig.big);
}

TEST_CASE("small answers, pictures, ranges and HEAD are answered as they are",
          "[http][compression][integration]") {
    SqueezeRig rig;
    auto small = rig.get("/small.json", "br");
    REQUIRE(small);
    CHECK_FALSE(small->has_header("Content-Encoding"));
    CHECK(small->body == "{\"ok\":true}");

    auto picture = rig.get("/picture.png", "br");
    REQUIRE(picture);
    CHECK_FALSE(picture->has_header("Content-Encoding"));
    CHECK_FALSE(picture->has_header("Vary"));
    CHECK(picture->body == rig.big);

    auto range = rig.get("/big.json", "br", {{"Range", "bytes=0-99"}});
    REQUIRE(range);
    CHECK(range->status == 206);
    CHECK_FALSE(range->has_header("Content-Encoding"));
    CHECK(range->body == rig.big.substr(0, 100));

    httplib::Client client{"127.0.0.1", rig.port};
    auto head = client.Head("/big.json", {{"Accept-Encoding", "br"}});
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->get_header_value("Content-Encoding") == "br");
    CHECK(head->body.empty());

    auto missing = rig.get("/nothing-here", "br");
    REQUIRE(missing);
    CHECK(missing->status == 404);
}
