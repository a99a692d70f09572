#include "bantin/media/process.hpp"
#include "media_test_support.hpp"

#include <catch2/catch.hpp>

using namespace bantin;
using namespace bantin::media;
using namespace std::chrono_literals;
using bantin::media::testing::TemporaryDirectory;
using bantin::media::testing::write_file;

namespace {
ProcessRequest command(std::vector<std::string> argv) {
    ProcessRequest request;
    request.argv = std::move(argv);
    return request;
}
}  // namespace

TEST_CASE("run_process captures stdout and the exit status", "[media][process]") {
    auto ran = run_process(command({"printf", "%s|%s", "one two", "$HOME;`id`"}));
    REQUIRE(ran);
    CHECK(ran->succeeded());
    CHECK(ran->standard_output == "one two|$HOME;`id`");  // arguments reach the program verbatim
}

TEST_CASE("run_process reports a non-zero exit with the last stderr line", "[media][process]") {
    auto ran = run_process(command({"sh", "-c", "echo first >&2; echo 'the reason' >&2; exit 3"}));
    REQUIRE(ran);
    CHECK_FALSE(ran->succeeded());
    CHECK(ran->exit_code == 3);
    CHECK(ran->describe() == "exit status 3: the reason");
}

TEST_CASE("run_process feeds stdin from a file", "[media][process]") {
    TemporaryDirectory directory;
    write_file(directory.path() / "input.txt", "Xin chào, bà con!\n");
    ProcessRequest request = command({"cat"});
    request.stdin_file = directory.path() / "input.txt";
    auto ran = run_process(request);
    REQUIRE(ran);
    CHECK(ran->standard_output == "Xin chào, bà con!\n");
}

TEST_CASE("run_process kills a child that runs past its timeout", "[media][process]") {
    ProcessRequest request = command({"sleep", "5"});
    request.timeout = 200ms;
    const auto started = std::chrono::steady_clock::now();
    auto ran = run_process(request);
    REQUIRE_FALSE(ran);
    CHECK(ran.error().code == Errc::Timeout);
    CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("run_process says when the program does not exist", "[media][process]") {
    auto ran = run_process(command({"bantin-no-such-program"}));
    REQUIRE_FALSE(ran);
    CHECK(ran.error().code == Errc::NotFound);
}

TEST_CASE("run_process bounds the captured output", "[media][process]") {
    ProcessRequest request = command({"head", "-c", "100000", "/dev/zero"});
    request.max_output_bytes = 1000;
    auto ran = run_process(request);
    REQUIRE(ran);
    CHECK(ran->standard_output.size() == 1000);
    CHECK(ran->output_truncated);
}

TEST_CASE("run_process reports a child killed by a signal", "[media][process]") {
    auto ran = run_process(command({"sh", "-c", "kill -9 $$"}));
    REQUIRE(ran);
    CHECK(ran->signal == 9);
    CHECK_FALSE(ran->succeeded());
}
