#pragma once
// Helpers for the player's integration tests: a temporary directory, media made with
// ffmpeg and sox, an owner loop that drives a real renderer, and PNG decoding via ffmpeg.

#include "bantin/common/clock.hpp"
#include "bantin/player/playback_engine.hpp"
#include "support/temporary_directory.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace bantin::testing {

using TempDir = bantin::testing::TemporaryDirectory;

inline std::string run_output(const std::string& command) {
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr)
        throw std::runtime_error("cannot run: " + command);
    char buffer[4096];
    std::size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, count);
    const int status = pclose(pipe);
    if (status != 0)
        throw std::runtime_error("failed (" + std::to_string(status) + "): " + command);
    return output;
}

inline void run(const std::string& command) {
    run_output(command + " >/dev/null 2>&1");
}

inline std::string quoted(const std::filesystem::path& path) {
    return "'" + path.string() + "'";
}

// A test-pattern video with a tone, H.264 + AAC in MP4.
inline std::filesystem::path make_video(const TempDir& dir, const std::string& name, double seconds) {
    const auto path = dir / name;
    run("ffmpeg -v error -y -f lavfi -i testsrc=duration=" + std::to_string(seconds) +
        ":size=320x240:rate=25 -f lavfi -i sine=frequency=600:duration=" + std::to_string(seconds) +
        ":sample_rate=48000 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest " +
        quoted(path));
    return path;
}

inline std::filesystem::path make_image(const TempDir& dir, const std::string& name,
                                        const std::string& colour, int width = 320, int height = 240) {
    const auto path = dir / name;
    run("ffmpeg -v error -y -f lavfi -i color=" + colour + ":size=" + std::to_string(width) + "x" +
        std::to_string(height) + " -frames:v 1 " + quoted(path));
    return path;
}

// A 48 kHz mono sine tone in WAV.
inline std::filesystem::path make_tone(const TempDir& dir, const std::string& name, double seconds,
                                       int frequency) {
    const auto path = dir / name;
    run("sox -n -r 48000 -c 1 -b 16 " + quoted(path) + " synth " + std::to_string(seconds) + " sine " +
        std::to_string(frequency));
    return path;
}

struct Decoded {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgb;
};

inline Decoded decode_image(const std::filesystem::path& path) {
    Decoded image;
    const std::string size = run_output(
        "ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 " + quoted(path));
    if (std::sscanf(size.c_str(), "%d,%d", &image.width, &image.height) != 2)
        throw std::runtime_error("cannot read the size of " + path.string());
    const std::string raw =
        run_output("ffmpeg -v error -i " + quoted(path) + " -f rawvideo -pix_fmt rgb24 -");
    image.rgb.assign(raw.begin(), raw.end());
    return image;
}

// The owner loop, for tests: waits on the renderer, feeds the engine, collects its events,
// until `done` says so or the deadline passes.
template <class Done>
std::vector<player::PlaybackEvent> run_until(player::Renderer& renderer, player::PlaybackEngine& engine,
                                             std::chrono::milliseconds limit, Done done) {
    std::vector<player::PlaybackEvent> events;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline && !done(events)) {
        auto batch = engine.handle(renderer.wait(engine.time_until_next_action(Duration{50})));
        events.insert(events.end(), batch.begin(), batch.end());
        auto timed = engine.tick();
        events.insert(events.end(), timed.begin(), timed.end());
    }
    return events;
}

inline std::vector<player::ItemEnded> ended_items(const std::vector<player::PlaybackEvent>& events) {
    std::vector<player::ItemEnded> out;
    for (const auto& event : events)
        if (const auto* end = std::get_if<player::ItemEnded>(&event))
            out.push_back(*end);
    return out;
}

inline std::vector<player::ItemStarted> started_items(const std::vector<player::PlaybackEvent>& events) {
    std::vector<player::ItemStarted> out;
    for (const auto& event : events)
        if (const auto* start = std::get_if<player::ItemStarted>(&event))
            out.push_back(*start);
    return out;
}

inline long long milliseconds_between(MonotonicTime from, MonotonicTime to) {
    return (to - from).count();
}

}  // namespace bantin::testing
