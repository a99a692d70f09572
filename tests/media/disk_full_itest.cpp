// A real ENOSPC: a child process enters a new user and mount namespace (no root needed where
// unprivileged user namespaces are enabled, as on Debian 12), mounts a 256 KiB tmpfs and
// fills it through the store. It reports back over a pipe.

#include "bantin/media/cache.hpp"
#include "bantin/media/store.hpp"
#include "media_test_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

using namespace bantin;
using namespace bantin::media;
using bantin::media::testing::count_files;
using bantin::media::testing::SettableClock;
using bantin::media::testing::TemporaryDirectory;

namespace {

constexpr int unavailable = 77;

bool write_text(const char* path, const std::string& text) {
    std::ofstream out{path};
    out << text;
    return static_cast<bool>(out);
}

bool enter_namespace_with_tmpfs(const std::filesystem::path& mount_point) {
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        return false;
    }
    if (!write_text("/proc/self/setgroups", "deny") ||
        !write_text("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
        !write_text("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1")) {
        return false;
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        return false;
    }
    return ::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=256k") == 0;
}

// Runs in the child; returns "" when every check holds, else what failed.
std::string fill_the_disk(const std::filesystem::path& root) {
    auto store = ContentStore::open(root / "media");
    if (!store) {
        return "open: " + store.error().message();
    }
    SettableClock clock;
    auto cache = MediaCache::open(*store, {root / "state.sqlite", 10'000'000}, clock);
    if (!cache) {
        return "cache: " + cache.error().message();
    }
    auto first = store->put_bytes(std::string(100'000, 'a'));
    if (!first) {
        return "first put: " + first.error().message();
    }
    if (auto recorded = (*cache)->record(*first); !recorded) {
        return "record: " + recorded.error().message();
    }
    auto second = store->put_bytes(std::string(400'000, 'b'));
    if (second) {
        return "a put larger than the disk succeeded";
    }
    if (second.error().code != Errc::Io || !second.error().detail.starts_with("disk full")) {
        return "unexpected error: " + second.error().message();
    }
    if (count_files(root / "media" / "tmp") != 0) {
        return "the failed put left a temporary file";
    }
    if (auto verified = store->verify(first->sha256); !verified) {
        return "the cached object was damaged: " + verified.error().message();
    }
    auto usage = (*cache)->usage();
    if (!usage || usage->items != 1 || usage->used_bytes != 100'000) {
        return "the cache index changed";
    }
    return "";
}

}  // namespace

TEST_CASE("a full disk fails the put clearly and damages nothing already stored",
          "[media][store][disk-full]") {
    TemporaryDirectory directory;
    int report[2];
    REQUIRE(::pipe(report) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(report[0]);
        if (!enter_namespace_with_tmpfs(directory.path())) {
            ::_exit(unavailable);
        }
        const std::string failure = fill_the_disk(directory.path());
        if (!failure.empty()) {
            [[maybe_unused]] const auto written = ::write(report[1], failure.data(), failure.size());
        }
        ::_exit(failure.empty() ? 0 : 1);
    }
    ::close(report[1]);
    std::string failure;
    char buffer[512];
    for (ssize_t got; (got = ::read(report[0], buffer, sizeof buffer)) > 0;) {
        failure.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(report[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    // A fault test that cannot make its fault fails: skipping would prove nothing.
    INFO("user and mount namespaces (unshare --user --map-root-user --mount) are needed for a small disk");
    REQUIRE(WEXITSTATUS(status) != unavailable);
    INFO(failure);
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(failure.empty());
}
