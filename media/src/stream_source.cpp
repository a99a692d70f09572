#include "bantin/media/stream_source.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

namespace bantin::media {

namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
           });
}

std::string address_text(const sockaddr& address) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    const void* raw = nullptr;
    if (address.sa_family == AF_INET) {
        raw = &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr;
    } else if (address.sa_family == AF_INET6) {
        raw = &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
    }
    if (raw == nullptr || inet_ntop(address.sa_family, raw, text.data(), text.size()) == nullptr) {
        return "?";
    }
    return text.data();
}

enum class Kind { Allowed, Loopback, Unspecified, LinkLocal, Metadata, Multicast, Reserved, Family };

Kind classify_ipv4(const std::array<std::uint8_t, 4>& a) {
    if (a[0] == 100 && a[1] == 100 && a[2] == 100 && a[3] == 200)
        return Kind::Metadata;  // Alibaba Cloud's metadata service
    if (a[0] == 127)
        return Kind::Loopback;
    if (a[0] == 0)
        return Kind::Unspecified;
    if (a[0] == 169 && a[1] == 254)
        return Kind::LinkLocal;
    if (a[0] >= 224 && a[0] <= 239)
        return Kind::Multicast;
    if (a[0] >= 240)
        return Kind::Reserved;  // with 255.255.255.255, the broadcast
    return Kind::Allowed;
}

Kind classify(const sockaddr& address) {
    if (address.sa_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(address);
        std::array<std::uint8_t, 4> bytes{};
        std::memcpy(bytes.data(), &in.sin_addr.s_addr, 4);
        return classify_ipv4(bytes);
    }
    if (address.sa_family != AF_INET6) {
        return Kind::Family;
    }
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), in6.sin6_addr.s6_addr, 16);
    const bool zero_prefix = std::all_of(b.begin(), b.begin() + 10, [](std::uint8_t x) { return x == 0; });
    if (zero_prefix && b[10] == 0xff && b[11] == 0xff) {  // ::ffff:a.b.c.d
        return classify_ipv4({b[12], b[13], b[14], b[15]});
    }
    if (zero_prefix && b[10] == 0 && b[11] == 0) {
        if (b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 0)
            return Kind::Unspecified;
        if (b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 1)
            return Kind::Loopback;
        return classify_ipv4({b[12], b[13], b[14], b[15]});  // ::a.b.c.d, IPv4-compatible
    }
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address: judged as that address.
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
        std::all_of(b.begin() + 4, b.begin() + 12, [](std::uint8_t x) { return x == 0; }))
        return classify_ipv4({b[12], b[13], b[14], b[15]});
    if (b[0] == 0x20 && b[1] == 0x02)
        if (const Kind inner = classify_ipv4({b[2], b[3], b[4], b[5]}); inner != Kind::Allowed)
            return inner;
    // AWS's metadata service over IPv6, fd00:ec2::254.
    if (b[0] == 0xfd && b[1] == 0x00 && b[2] == 0x0e && b[3] == 0xc2 &&
        std::all_of(b.begin() + 4, b.begin() + 14, [](std::uint8_t x) { return x == 0; }) && b[14] == 0x02 &&
        b[15] == 0x54)
        return Kind::Metadata;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return Kind::LinkLocal;
    if (b[0] == 0xff)
        return Kind::Multicast;
    return Kind::Allowed;
}

}  // namespace

Result<StreamHost> stream_url_host(std::string_view url) {
    std::string_view rest;
    std::string port;
    if (starts_with_ignoring_case(url, "http://")) {
        rest = url.substr(7);
        port = "80";
    } else if (starts_with_ignoring_case(url, "https://")) {
        rest = url.substr(8);
        port = "443";
    } else {
        return fail(Errc::InvalidInput,
                    "địa chỉ luồng phải bắt đầu bằng http:// hoặc https://; "
                    "a stream's URL starts with http:// or https://");
    }
    // A fragment means nothing to a stream, and '#' or '\\' before an '@' parse differently in
    // different URL readers (this fence and ffmpeg must agree on the host).
    if (url.find_first_of("#\\") != std::string_view::npos) {
        return fail(Errc::InvalidInput,
                    "địa chỉ luồng không được chứa # hoặc \\; a stream's URL has no # or \\");
    }
    std::string_view authority = rest.substr(0, std::min(rest.find_first_of("/?"), rest.size()));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    std::string_view host;
    std::string_view after;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return fail(Errc::InvalidInput, "địa chỉ IPv6 thiếu dấu ]; an IPv6 host lacks its closing ]");
        }
        host = authority.substr(1, close - 1);
        after = authority.substr(close + 1);
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, std::min(colon, authority.size()));
        after = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
    }
    if (!after.empty()) {
        if (after.front() != ':' || after.size() == 1 || after.size() > 6 ||
            !std::all_of(after.begin() + 1, after.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return fail(Errc::InvalidInput,
                        "cổng của địa chỉ luồng không hợp lệ; a stream URL's port is not a number");
        }
        port = std::string{after.substr(1)};
    }
    if (host.empty()) {
        return fail(Errc::InvalidInput, "địa chỉ luồng không có máy chủ; a stream's URL names no host");
    }
    return StreamHost{std::string{host}, port};
}

std::string refused_stream_address(const sockaddr& address, bool allow_loopback) {
    const std::string text = address_text(address);
    switch (classify(address)) {
        case Kind::Allowed: return {};
        case Kind::Loopback:
            if (allow_loopback)
                return {};
            return "nguồn luồng " + text +
                   " là chính máy điều khiển (loopback); chỉ dùng được khi đặt streams.allow_local_sources; "
                   "a stream source at " +
                   text +
                   " is the controller itself (loopback), allowed only with streams.allow_local_sources";
        case Kind::Unspecified:
            return "địa chỉ " + text + " không chỉ đến máy nào; address " + text + " names no host";
        case Kind::LinkLocal:
            return "địa chỉ " + text +
                   " là link-local (như dịch vụ metadata của máy chủ đám mây), không được dùng; " +
                   "address " + text +
                   " is link-local (such as a cloud's metadata service) and may not be a source";
        case Kind::Metadata:
            return "địa chỉ " + text + " là dịch vụ metadata của máy chủ đám mây, không được dùng; address " +
                   text + " is a cloud's metadata service and may not be a source";
        case Kind::Multicast:
            return "địa chỉ " + text + " là multicast; address " + text + " is multicast, not a server";
        case Kind::Reserved:
            return "địa chỉ " + text + " là địa chỉ dành riêng hoặc broadcast; address " + text +
                   " is reserved or broadcast";
        case Kind::Family: return "loại địa chỉ lạ; an address of an unknown family";
    }
    return "?";
}

Result<void> check_stream_source(std::string_view url, bool allow_loopback) {
    auto host = stream_url_host(url);
    if (!host) {
        return std::unexpected(host.error());
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int status = getaddrinfo(host->host.c_str(), host->port.c_str(), &hints, &found);
    if (status != 0) {
        return fail(Errc::NotFound, "không tìm thấy máy chủ " + host->host + "; host " + host->host +
                                        " not found (" + gai_strerror(status) + ")");
    }
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned{found, &freeaddrinfo};
    for (const addrinfo* each = found; each != nullptr; each = each->ai_next) {
        if (each->ai_addr == nullptr)
            continue;
        if (auto refused = refused_stream_address(*each->ai_addr, allow_loopback); !refused.empty()) {
            return fail(Errc::InvalidInput, host->host + ": " + refused);
        }
    }
    return {};
}

}  // namespace bantin::media
