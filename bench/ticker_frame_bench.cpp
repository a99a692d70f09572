// The ticker's frames on a real window: a still image under the header and a moving ticker,
// drawn by MpvRenderer as the daemon's loop drives it (wait() in a loop).
//
//   ticker_frame_p50_ms / ticker_frame_p99_ms   the time between two swaps while the ticker
//                                               moves (the refresh period when every frame is
//                                               on time)
//   ticker_draw_p99_ms                          from a frame's start to its swap's return
//   dropped_frames_per_min                      intervals longer than 1.5 refresh periods,
//                                               counted as the frames they skipped, per minute
//   refresh_hz                                  the rate the window paces at
//   cpu_pct                                     process CPU (getrusage) over the run, of one core
//
// Usage: ticker_frame_bench [--seconds N] [--width W] [--height H] [--speed PX_PER_S] [--header-only]
//   --header-only  the header band without a ticker: the loop stays event-driven (cpu_pct is
//                  what a still picture with a clock costs)
//   Needs an X display: with DISPLAY unset it starts its own Xvfb on a free display number.
// Prints `name=value` lines last; figures are never asserted.
#include "bantin/player/mpv_renderer.hpp"
#include "support/xvfb_display.hpp"

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace bantin;
using namespace bantin::player;

namespace {

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double percentile(std::vector<double> values, double share) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(share * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "ticker_frame_bench: %s\n", what.c_str());
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
    int seconds = 20;
    int width = 1920;
    int height = 1080;
    double speed = 120;
    bool header_only = false;
    for (int index = 1; index < argc; ++index) {
        const std::string arg = argv[index];
        auto value = [&]() -> std::string {
            if (index + 1 >= argc)
                die("thiếu giá trị sau " + arg + "; missing value after " + arg);
            return argv[++index];
        };
        if (arg == "--seconds")
            seconds = std::max(1, std::atoi(value().c_str()));
        else if (arg == "--width")
            width = std::clamp(std::atoi(value().c_str()), 64, 7680);
        else if (arg == "--height")
            height = std::clamp(std::atoi(value().c_str()), 64, 7680);
        else if (arg == "--header-only")
            header_only = true;
        else if (arg == "--speed")
            speed = std::clamp(std::atof(value().c_str()), 1.0, 5000.0);
        else
            die("tuỳ chọn không rõ " + arg + "; unknown option " + arg);
    }

    const auto work = std::filesystem::temp_directory_path() /
                      ("ticker_frame_bench." + std::to_string(static_cast<long long>(getpid())));
    std::filesystem::create_directories(work / "runtime");
    chmod((work / "runtime").c_str(), 0700);
    std::unique_ptr<testing::XvfbDisplay> xvfb;
    if (std::getenv("DISPLAY") == nullptr) {
        xvfb = std::make_unique<testing::XvfbDisplay>(width, height);
        if (xvfb->display().empty())
            die("không chạy được Xvfb; Xvfb could not be started");
        setenv("DISPLAY", xvfb->display().c_str(), 1);
        setenv("SDL_VIDEODRIVER", "x11", 1);
    }
    if (std::getenv("XDG_RUNTIME_DIR") == nullptr)
        setenv("XDG_RUNTIME_DIR", (work / "runtime").c_str(), 1);
    const auto image = work / "still.png";
    const std::string make = "ffmpeg -v error -y -f lavfi -i testsrc2=size=" + std::to_string(width) + "x" +
                             std::to_string(height) + " -frames:v 1 '" + image.string() + "' >/dev/null 2>&1";
    if (std::system(make.c_str()) != 0)
        die("ffmpeg không tạo được ảnh; ffmpeg could not make the image");

    SystemClock clock;
    RendererConfig config;
    config.mode = OutputMode::Screen;
    config.window_width = width;
    config.window_height = height;
    config.ticker_speed = speed;
    config.record_frame_timings = true;
    auto created = MpvRenderer::create(config, clock);
    if (!created)
        die(created.error().message());
    MpvRenderer& renderer = **created;

    LoadRequest request;
    request.tag = 1;
    request.location = image.string();
    request.options = {{"image-display-duration", "inf"}};
    renderer.load(request, LoadMode::Replace);
    const auto shown_by = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    bool shown = false;
    while (!shown && std::chrono::steady_clock::now() < shown_by)
        for (const auto& event : renderer.wait(Duration{50}))
            shown = shown || event.kind == RendererEvent::Kind::PlaybackRestart;
    if (!shown)
        die("ảnh không hiện; the image was not shown");

    OverlayContent content;
    content.header_permille = 100;
    content.ticker_permille = 90;
    content.title = "UBND phường Bến Nghé";
    content.board_url = "https://bantin.example/board/ben-nghe";
    content.ticker_text =
        "Tin nhanh: Lịch tiêm chủng mở rộng ngày 12/12 tại trạm y tế phường — mời bà con đến đúng giờ. "
        "Cúp nước khu phố 3 từ 8 giờ đến 11 giờ sáng thứ Hai.";
    if (header_only)
        content.ticker_text.clear();
    renderer.set_overlay(content);
    // A second to settle (the textures are made, the pace is found), then the measured run.
    const auto settle = std::chrono::steady_clock::now() + std::chrono::seconds{1};
    while (std::chrono::steady_clock::now() < settle) (void)renderer.wait(Duration{500});
    (void)renderer.take_frame_timings();

    const double cpu_before = cpu_seconds();
    const auto started = std::chrono::steady_clock::now();
    const auto until = started + std::chrono::seconds{seconds};
    // The daemon's loop waits up to 500 ms per turn; the renderer shortens it to the next frame.
    while (std::chrono::steady_clock::now() < until) (void)renderer.wait(Duration{500});
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double cpu = cpu_seconds() - cpu_before;
    const auto timings = renderer.take_frame_timings();

    const double period_ms = 1000.0 / renderer.refresh_hz();
    std::vector<double> intervals;
    std::vector<double> draws;
    double dropped = 0;
    for (std::size_t index = 0; index < timings.size(); ++index) {
        draws.push_back(
            std::chrono::duration<double, std::milli>(timings[index].swapped - timings[index].started)
                .count());
        if (index == 0)
            continue;
        const double interval =
            std::chrono::duration<double, std::milli>(timings[index].swapped - timings[index - 1].swapped)
                .count();
        intervals.push_back(interval);
        if (interval > 1.5 * period_ms)
            dropped += std::max(1.0, std::round(interval / period_ms) - 1.0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(work, ignored);
    std::printf("frames=%zu\n", timings.size());
    std::printf("seconds=%.1f\n", elapsed);
    std::printf("width=%d\nheight=%d\n", width, height);
    std::printf("refresh_hz=%.1f\n", renderer.refresh_hz());
    std::printf("ticker_frame_p50_ms=%.2f\n", percentile(intervals, 0.50));
    std::printf("ticker_frame_p99_ms=%.2f\n", percentile(intervals, 0.99));
    std::printf("ticker_draw_p99_ms=%.2f\n", percentile(draws, 0.99));
    std::printf("dropped_frames_per_min=%.1f\n", dropped / elapsed * 60.0);
    std::printf("cpu_pct=%.1f\n", cpu / elapsed * 100.0);
    return 0;
}
