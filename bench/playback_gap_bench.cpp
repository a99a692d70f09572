// Playback engine figures on real libmpv: the gap between items, memory growth over many
// items, and CPU while a still image is shown.
//
//   gap_p50_ms / gap_p99_ms   end-file of one item -> playback-restart of the next, on the
//                             monotonic clock, over 200 transitions alternating images and videos
//   rss_growth_mb             resident set growth from item 50 to item 1,000
//   still_cpu_pct             process CPU (getrusage) while one image is shown for 60 s
//
// Usage: playback_gap_bench [--quick] [--screen] [--decoders N] [--mpv NAME=VALUE]... [--memory-items N]
//   --quick       20 transitions, 150 items, 5 s still (a CI smoke run)
//   --screen      SDL2 window through the render API (needs DISPLAY); default headless (vo=null)
//   --decoders N  1: one mpv core and its playlist; 2 (the default): preload in a second core
//   --mpv N=V     an extra mpv option on every core (repeatable), to compare settings
//   --memory-items N  items in the memory phase (default 1,000; more than 150)
// Prints `name=value` lines last.
#include "bantin/player/mpv_renderer.hpp"
#include "bantin/player/playback_engine.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <variant>
#include <vector>

using namespace bantin;
using namespace bantin::player;
using bantin::scheduler::MediaType;
using std::chrono::milliseconds;

namespace {

void run(const std::string& command) {
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
        std::fprintf(stderr, "failed: %s\n", command.c_str());
        std::exit(1);
    }
}

double rss_mb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Loop {
    Renderer& renderer;
    PlaybackEngine& engine;
    std::vector<PlaybackEvent> events;

    // Runs until `count` items have ended in total.
    void until_ended(std::size_t count) {
        std::size_t ended = 0;
        for (const auto& event : events)
            if (std::holds_alternative<ItemEnded>(event))
                ++ended;
        while (ended < count) {
            auto batch = engine.handle(renderer.wait(engine.time_until_next_action(Duration{100})));
            auto timed = engine.tick();
            batch.insert(batch.end(), timed.begin(), timed.end());
            for (auto& event : batch) {
                if (std::holds_alternative<ItemEnded>(event))
                    ++ended;
                events.push_back(std::move(event));
            }
        }
    }
};

std::vector<PlayItem> alternating(const Clock& clock, const std::filesystem::path& image,
                                  const std::filesystem::path& video, std::size_t count,
                                  milliseconds image_length, milliseconds video_length,
                                  const std::string& prefix) {
    std::vector<PlayItem> items;
    TimePoint at = clock.wall();
    for (std::size_t index = 0; index < count; ++index) {
        PlayItem item;
        const bool is_image = index % 2 == 0;
        item.entry_id = prefix + std::to_string(index);
        item.type = is_image ? MediaType::Image : MediaType::Video;
        item.location = (is_image ? image : video).string();
        item.planned_start = at;
        item.planned_end = at + (is_image ? image_length : video_length);
        at = item.planned_end;
        items.push_back(std::move(item));
    }
    return items;
}

double percentile(std::vector<double> values, double fraction) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    bool screen = false;
    int decoders = 0;
    std::size_t memory_items_override = 0;
    std::vector<std::pair<std::string, std::string>> extra_options;
    for (int index = 1; index < argc; ++index) {
        const std::string argument = argv[index];
        const bool has_value = index + 1 < argc;
        if (argument == "--quick")
            quick = true;
        else if (argument == "--screen")
            screen = true;
        else if (argument == "--decoders" && has_value)
            decoders = std::atoi(argv[++index]);
        else if (argument == "--memory-items" && has_value)
            memory_items_override = std::strtoul(argv[++index], nullptr, 10);
        else if (argument == "--mpv" && has_value &&
                 std::string(argv[index + 1]).find('=') != std::string::npos) {
            const std::string option = argv[++index];
            const auto equals = option.find('=');
            extra_options.emplace_back(option.substr(0, equals), option.substr(equals + 1));
        } else {
            std::fprintf(
                stderr,
                "usage: %s [--quick] [--screen] [--decoders N] [--mpv NAME=VALUE]... [--memory-items N]\n",
                argv[0]);
            return 2;
        }
    }
    const std::size_t transitions = quick ? 20 : 200;
    const std::size_t memory_items = memory_items_override > 150 ? memory_items_override : quick ? 150 : 1000;
    const milliseconds still_length{quick ? 5000 : 60'000};

    const auto dir =
        std::filesystem::temp_directory_path() / ("bantin-bench-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    const auto image = dir / "still.png";
    const auto video = dir / "clip.mp4";
    run("ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720 -frames:v 1 '" + image.string() + "'");
    run("ffmpeg -v error -y -f lavfi -i testsrc=duration=1:size=1280x720:rate=25 -f lavfi -i "
        "sine=frequency=500:duration=1:sample_rate=48000 -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a "
        "aac "
        "-shortest '" +
        video.string() + "'");

    SystemClock clock;
    RendererConfig config;
    config.mode = screen ? OutputMode::Screen : OutputMode::Headless;
    config.log_level = "error";
    config.decoders = decoders;
    config.extra_options = extra_options;
    auto created = MpvRenderer::create(config, clock);
    if (!created) {
        std::fprintf(stderr, "renderer: %s\n", created.error().message().c_str());
        return 1;
    }
    Renderer& renderer = **created;
    const int decoder_count = (*created)->decoders();
    PlaybackEngine engine(renderer, clock, EngineOptions{});
    Loop loop{renderer, engine, {}};

    // 1. Gaps.
    engine.enqueue(
        alternating(clock, image, video, transitions + 1, milliseconds{300}, milliseconds{500}, "gap-"));
    loop.until_ended(transitions + 1);
    std::vector<double> gaps;
    MonotonicTime last_end{};
    bool after_end = false;
    std::size_t failed = 0;
    for (const auto& event : loop.events) {
        if (const auto* end = std::get_if<ItemEnded>(&event)) {
            last_end = end->ended_monotonic;
            after_end = true;
            if (end->outcome != Outcome::Completed)
                ++failed;
        } else if (const auto* start = std::get_if<ItemStarted>(&event); start != nullptr && after_end) {
            gaps.push_back(static_cast<double>((start->monotonic - last_end).count()));
            if (std::getenv("BANTIN_BENCH_VERBOSE") != nullptr)
                std::fprintf(stderr, "gap %s %.0f ms\n", start->entry_id.c_str(), gaps.back());
            after_end = false;
        }
    }

    // 2. Memory over many short items.
    const std::size_t ended_before = transitions + 1;
    engine.enqueue(
        alternating(clock, image, video, memory_items, milliseconds{150}, milliseconds{200}, "mem-"));
    loop.until_ended(ended_before + 50);
    const double rss_start = rss_mb();
    for (std::size_t done = 150; done < memory_items; done += 100) {
        loop.until_ended(ended_before + done);
        if (std::getenv("BANTIN_BENCH_VERBOSE") != nullptr)
            std::fprintf(stderr, "rss after %zu items: %.1f MB\n", done, rss_mb());
    }
    loop.until_ended(ended_before + memory_items);
    const double rss_end = rss_mb();

    // 3. One still image.
    PlayItem still;
    still.entry_id = "still";
    still.type = MediaType::Image;
    still.location = image.string();
    still.planned_start = clock.wall();
    still.planned_end = still.planned_start + still_length + milliseconds{1000};
    engine.enqueue({still});
    // Let it settle for a moment, then measure over still_length.
    auto settle_until = clock.monotonic() + milliseconds{500};
    while (clock.monotonic() < settle_until) loop.engine.handle(renderer.wait(milliseconds{100}));
    const double cpu_start = cpu_seconds();
    const auto wall_start = clock.monotonic();
    const auto still_until = wall_start + still_length;
    while (clock.monotonic() < still_until) {
        auto batch = engine.handle(renderer.wait(milliseconds{200}));
        for (auto& event : batch) loop.events.push_back(std::move(event));
    }
    const double cpu_used = cpu_seconds() - cpu_start;
    const double wall_used = static_cast<double>((clock.monotonic() - wall_start).count()) / 1000.0;
    engine.stop();
    for (int round = 0; round < 20; ++round) engine.handle(renderer.wait(milliseconds{50}));
    created->reset();
    std::filesystem::remove_all(dir);

    std::printf("mode=%s\n", screen ? "screen" : "headless");
    std::printf("decoders=%d\n", decoder_count);
    std::printf("transitions=%zu\n", gaps.size());
    std::printf("not_completed=%zu\n", failed);
    std::printf("gap_p50_ms=%.1f\n", percentile(gaps, 0.50));
    std::printf("gap_p99_ms=%.1f\n", percentile(gaps, 0.99));
    std::printf("gap_max_ms=%.1f\n", gaps.empty() ? 0.0 : *std::max_element(gaps.begin(), gaps.end()));
    std::printf("rss_items=%zu\n", memory_items - 50);
    std::printf("rss_growth_mb=%.2f\n", rss_end - rss_start);
    std::printf("still_seconds=%.1f\n", wall_used);
    std::printf("still_cpu_pct=%.2f\n", 100.0 * cpu_used / wall_used);
    return 0;
}
