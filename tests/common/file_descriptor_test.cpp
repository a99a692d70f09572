#include "bantin/common/file_descriptor.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace {

bool is_open(int descriptor) {
    return ::fcntl(descriptor, F_GETFD) != -1;
}

int open_null() {
    return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

}  // namespace

TEST_CASE("a file descriptor is closed when its owner goes out of scope", "[file_descriptor]") {
    int raw = -1;
    {
        bantin::FileDescriptor file{open_null()};
        REQUIRE(file.valid());
        raw = file.get();
        CHECK(is_open(raw));
    }
    CHECK_FALSE(is_open(raw));
}

TEST_CASE("a moved file descriptor has one owner and closes once", "[file_descriptor]") {
    bantin::FileDescriptor first{open_null()};
    const int raw = first.get();
    bantin::FileDescriptor second{std::move(first)};
    CHECK_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
    CHECK(second.get() == raw);

    bantin::FileDescriptor third{open_null()};
    const int replaced = third.get();
    third = std::move(second);
    CHECK_FALSE(is_open(replaced));
    CHECK(third.get() == raw);
    CHECK(is_open(raw));
}

TEST_CASE("close reports the result and leaves nothing to close twice", "[file_descriptor]") {
    bantin::FileDescriptor file{open_null()};
    const int raw = file.get();
    CHECK(file.close() == 0);
    CHECK_FALSE(file.valid());
    CHECK_FALSE(is_open(raw));
    CHECK(file.close() == 0);
}

TEST_CASE("a failed open is held as nothing and release gives the descriptor away", "[file_descriptor]") {
    bantin::FileDescriptor missing{::open("/nonexistent/bantin", O_RDONLY)};
    CHECK_FALSE(missing.valid());

    bantin::FileDescriptor file{open_null()};
    const int raw = file.release();
    CHECK_FALSE(file.valid());
    CHECK(is_open(raw));
    ::close(raw);
}
