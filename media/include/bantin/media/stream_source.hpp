#pragma once
// The fence around the controller's stream probe. An editor names a stream by URL and the
// controller reads its header with ffprobe (probe.hpp): without a fence, an editor could make the
// controller knock on its own loopback services (its broker, its API server behind nginx) or on a
// cloud's metadata service at 169.254.169.254 and read the answer back in the probe's error.
//
// Before ffprobe runs, the URL's host is resolved and every address it names is checked:
//   - refused always: unspecified (0.0.0.0/8, ::), link-local (169.254.0.0/16, fe80::/10),
//     multicast (224.0.0.0/4, ff00::/8), reserved and broadcast (240.0.0.0/4);
//   - refused unless `allow_loopback` (streams.allow_local_sources in controller.toml):
//     loopback (127.0.0.0/8, ::1), for an Icecast server on the controller's own machine;
//   - allowed: public and private addresses (10/8, 172.16/12, 192.168/16, fc00::/7): a district's
//     radio server on the office network is the usual source.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are judged as the IPv4 address they carry.
//
// What this does not stop: ffprobe resolves the name again (a DNS answer that changes between the
// two lookups), and it follows HTTP redirects and an HLS playlist's segment links. The protocol
// whitelist keeps those to http(s), and only codec names are kept from the probe; the refused
// classes above are what the fence is for.
//
// Threads: any. Errors: InvalidInput (no host in the URL; a refused address, the detail in
// Vietnamese then English naming the address), NotFound (the name does not resolve).

#include "bantin/common/error.hpp"

#include <string>
#include <string_view>

struct sockaddr;

namespace bantin::media {

struct StreamHost {
    std::string host;  // without brackets for an IPv6 literal
    std::string port;  // "80"/"443" when the URL gives none
};

// The host and port of an http(s) URL (userinfo skipped). Pure.
Result<StreamHost> stream_url_host(std::string_view url);

// Why an address may not be probed, Vietnamese then English; empty when it may. Pure.
std::string refused_stream_address(const sockaddr& address, bool allow_loopback);

// Resolves the URL's host and refuses it when any address it names is refused.
Result<void> check_stream_source(std::string_view url, bool allow_loopback);

}  // namespace bantin::media
