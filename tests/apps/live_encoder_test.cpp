// What bantin live asks of ffmpeg (cli::live_encoder_arguments), which bench/live_latency_bench
// measured: Opus in Ogg, low delay, small pages, every packet flushed, the bitrate given.

#include "bantin/cli/http_commands.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

namespace {

// The value after `flag`, or "" when the flag is absent.
std::string after(const std::vector<std::string>& arguments, const std::string& flag) {
    auto found = std::find(arguments.begin(), arguments.end(), flag);
    return found == arguments.end() || found + 1 == arguments.end() ? "" : *(found + 1);
}

}  // namespace

TEST_CASE("bantin live encodes low-delay Opus in Ogg pages of 20 ms at the bitrate given", "[cli][live]") {
    const auto arguments = bantin::cli::live_encoder_arguments("48k");
    CHECK(after(arguments, "-c:a") == "libopus");
    CHECK(after(arguments, "-b:a") == "48k");
    CHECK(after(arguments, "-application") == "lowdelay");
    CHECK(after(arguments, "-frame_duration") == "10");
    CHECK(after(arguments, "-page_duration") == "20000");
    CHECK(after(arguments, "-flush_packets") == "1");
    CHECK(after(arguments, "-ac") == "1");
    CHECK(after(arguments, "-f") == "ogg");
    CHECK(after(arguments, "-content_type") == "audio/ogg");
    CHECK(std::find(arguments.begin(), arguments.end(), "-vn") != arguments.end());
}
