// What the controller-side benchmarks share: give up with one line on an error (a benchmark
// has no one to report to), and a free loopback port for the broker it starts.
#pragma once

#include "bantin/common/error.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace bantin::bench {

// Set by each benchmark's main file: the prefix of its error lines.
extern const char* const program_name;

[[noreturn]] inline void die(const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", program_name, what.c_str());
    std::exit(1);
}

[[noreturn]] inline void die(const std::string& what, const Error& error) {
    die(what + ": " + error.message());
}

template <class T>
T must(Result<T> result, const std::string& what) {
    if (!result)
        die(what, result.error());
    return std::move(*result);
}

inline void must(Result<void> result, const std::string& what) {
    if (!result)
        die(what, result.error());
}

inline std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

}  // namespace bantin::bench
