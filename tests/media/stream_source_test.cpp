// The fence around the stream probe (stream_source.hpp): which addresses an editor's stream URL
// may name before the controller's ffprobe reaches for it.
#include "bantin/media/stream_source.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::media;

namespace {

std::string judged(const std::string& literal, bool allow_loopback = false) {
    sockaddr_storage storage{};
    if (literal.find(':') != std::string::npos) {
        auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
        in6.sin6_family = AF_INET6;
        REQUIRE(inet_pton(AF_INET6, literal.c_str(), &in6.sin6_addr) == 1);
    } else {
        auto& in = reinterpret_cast<sockaddr_in&>(storage);
        in.sin_family = AF_INET;
        REQUIRE(inet_pton(AF_INET, literal.c_str(), &in.sin_addr) == 1);
    }
    return refused_stream_address(reinterpret_cast<const sockaddr&>(storage), allow_loopback);
}

}  // namespace

TEST_CASE("stream_url_host takes the host and port out of an http or https URL", "[stream_source]") {
    struct Case {
        std::string url, host, port;
    };
    const std::vector<Case> cases = {
        {"http://radio.binhduong.gov.vn/live.mp3", "radio.binhduong.gov.vn", "80"},
        {"https://radio.example/live", "radio.example", "443"},
        {"HTTP://Radio.Example:8000/vov1", "Radio.Example", "8000"},
        {"http://user:pw@10.0.0.5:8000/a.mp3", "10.0.0.5", "8000"},
        {"http://[2001:db8::1]:8000/a", "2001:db8::1", "8000"},
        {"http://[::1]/a", "::1", "80"},
        {"http://host?x=1", "host", "80"},
    };
    for (const auto& each : cases) {
        INFO(each.url);
        auto host = stream_url_host(each.url);
        REQUIRE(host);
        CHECK(host->host == each.host);
        CHECK(host->port == each.port);
    }
    for (std::string bad : {"ftp://host/a", "http://", "http://:8000/a", "http://host:80x/a",
                            "http://host:/a", "http://[::1/a", "http://user@/a", "file:///etc/passwd",
                            "http://host#frag", "http://a#@127.0.0.1/", "http://a\\@127.0.0.1/"}) {
        INFO(bad);
        auto host = stream_url_host(bad);
        REQUIRE_FALSE(host);
        CHECK(host.error().code == Errc::InvalidInput);
    }
}

TEST_CASE(
    "refused_stream_address refuses loopback, link-local, unspecified, multicast and reserved addresses",
    "[stream_source]") {
    for (std::string allowed : {"8.8.8.8", "10.1.2.3", "172.16.0.9", "192.168.1.20", "100.64.0.1",
                                "2001:db8::5", "fd00::1", "::ffff:203.0.113.7"}) {
        INFO(allowed);
        CHECK(judged(allowed).empty());
    }
    for (std::string refused : {"127.0.0.1",
                                "127.8.9.10",
                                "::1",
                                "::ffff:127.0.0.1",
                                "0.0.0.0",
                                "::",
                                "169.254.169.254",
                                "fe80::1",
                                "febf::1",
                                "::ffff:169.254.169.254",
                                "224.0.0.1",
                                "239.255.255.250",
                                "ff02::1",
                                "240.0.0.1",
                                "255.255.255.255",
                                "::127.0.0.1",
                                "64:ff9b::7f00:1",
                                "64:ff9b::a9fe:a9fe",
                                "2002:7f00:1::1",
                                "100.100.100.200",
                                "fd00:ec2::254"}) {
        INFO(refused);
        const auto why = judged(refused);
        CHECK_FALSE(why.empty());
        CHECK_THAT(why, Catch::Contains(refused));
    }
    SECTION("loopback only when local sources are allowed") {
        CHECK(judged("127.0.0.1", true).empty());
        CHECK(judged("::1", true).empty());
        CHECK_THAT(judged("127.0.0.1"), Catch::Contains("streams.allow_local_sources"));
        CHECK_FALSE(judged("169.254.169.254", true).empty());
        CHECK_FALSE(judged("0.0.0.0", true).empty());
    }
}

TEST_CASE("check_stream_source resolves the host and judges every address", "[stream_source]") {
    // Literals and localhost resolve from /etc/hosts; nothing here leaves the machine.
    CHECK(check_stream_source("http://10.0.0.5:8000/vov1.mp3", false));
    CHECK(check_stream_source("http://[2001:db8::1]/a", false));
    auto loopback = check_stream_source("http://127.0.0.1:1883/", false);
    REQUIRE_FALSE(loopback);
    CHECK(loopback.error().code == Errc::InvalidInput);
    CHECK_THAT(loopback.error().detail, Catch::Contains("loopback"));
    auto named = check_stream_source("http://localhost:8080/api/v1/users", false);
    REQUIRE_FALSE(named);
    CHECK(named.error().code == Errc::InvalidInput);
    CHECK(check_stream_source("http://localhost:8000/live", true));
    auto metadata = check_stream_source("http://169.254.169.254/latest/meta-data/", true);
    REQUIRE_FALSE(metadata);
    CHECK_THAT(metadata.error().detail, Catch::Contains("link-local"));
}

TEST_CASE("check_stream_source judges hosts written as numbers by the address they resolve to",
          "[stream_source]") {
    // 2130706433, 0x7f.1 and 017700000001 are all 127.0.0.1 to the resolver.
    for (std::string url : {"http://2130706433/", "http://0x7f.1/", "http://017700000001/", "http://127.1/",
                            "http://[::ffff:7f00:1]/"}) {
        INFO(url);
        auto judged_url = check_stream_source(url, false);
        REQUIRE_FALSE(judged_url);
        CHECK(judged_url.error().code == Errc::InvalidInput);
    }
}
