// A controller's publisher lease alone in a process, for postgres_lease_itest.cpp: the test
// kills it with SIGKILL while it holds the lease, as a crashed controller.
//
//   bantin_lease_contender <conninfo> <interval_ms> <ttl_ms> <output file>
//
// Every 2 ms while PostgresLease::held() is true it appends "H <before> <after>" to the output
// file: steady-clock nanoseconds read just before and just after held() (CLOCK_MONOTONIC, the
// same clock in every process of the machine), flushed at once. It dies with its parent.

#include "bantin/controller/postgres_lease.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr,
                     "usage: bantin_lease_contender <conninfo> <interval_ms> <ttl_ms> <output file>\n");
        return 2;
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    bantin::controller::PostgresLeaseOptions options;
    options.interval = std::chrono::milliseconds{std::atoi(argv[2])};
    options.ttl = std::chrono::milliseconds{std::atoi(argv[3])};
    auto lease = bantin::controller::PostgresLease::create(argv[1], options);
    if (!lease) {
        std::fprintf(stderr, "%s\n", lease.error().message().c_str());
        return 1;
    }
    std::FILE* out = std::fopen(argv[4], "a");
    if (out == nullptr)
        return 1;
    if (!(*lease)->start())
        return 1;
    for (;;) {
        const auto before = std::chrono::steady_clock::now().time_since_epoch().count();
        if ((*lease)->held()) {
            const auto after = std::chrono::steady_clock::now().time_since_epoch().count();
            std::fprintf(out, "H %lld %lld\n", static_cast<long long>(before), static_cast<long long>(after));
            std::fflush(out);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{2});
    }
}
