// The header and ticker bands on a real window under a private Xvfb (Mesa llvmpipe behind
// SDL's OpenGL): where they are, that the main picture fits under the header, that the ticker
// moves, that screenshots show the bands, and reference images at three output shapes.
//
// Reference images: tests/player/reference/ticker-<width>x<height>.png, drawn with a simulated
// clock (a fixed date, clock and scroll position). To make them again after a deliberate change
// of the drawing: BANTIN_UPDATE_REFERENCE=1 ./player_itests "[bands][reference]", then look at
// the images before committing them.
#include "bantin/player/mpv_renderer.hpp"
#include "media_fixture.hpp"
#include "support/simulated_clock.hpp"
#include "support/xvfb_display.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>

using namespace bantin;
using namespace bantin::player;
using namespace bantin::testing;
using std::chrono::milliseconds;

namespace {

struct BandsRig {
    TempDir dir;
    XvfbDisplay xvfb;
    std::unique_ptr<MpvRenderer> renderer;

    BandsRig(int width, int height, const Clock& clock) : xvfb(std::max(width, 1280), std::max(height, 720)) {
        REQUIRE_FALSE(xvfb.display().empty());
        const auto runtime = dir / "runtime";
        std::filesystem::create_directories(runtime);
        chmod(runtime.c_str(), 0700);
        setenv("DISPLAY", xvfb.display().c_str(), 1);
        setenv("XDG_RUNTIME_DIR", runtime.c_str(), 1);
        setenv("SDL_VIDEODRIVER", "x11", 1);
        RendererConfig config;
        config.mode = OutputMode::Screen;
        config.window_width = width;
        config.window_height = height;
        auto created = MpvRenderer::create(config, clock);
        INFO((created ? std::string() : created.error().message()));
        REQUIRE(created);
        renderer = std::move(*created);
    }

    // An image held on screen until the test ends; waits for its first frame.
    void show(const std::filesystem::path& image) {
        LoadRequest request;
        request.tag = 1;
        request.location = image.string();
        request.options = {{"image-display-duration", "inf"}};
        renderer->load(request, LoadMode::Replace);
        const auto deadline = std::chrono::steady_clock::now() + milliseconds{10'000};
        bool started = false;
        while (!started && std::chrono::steady_clock::now() < deadline)
            for (const auto& event : renderer->wait(Duration{50}))
                started = started || event.kind == RendererEvent::Kind::PlaybackRestart;
        REQUIRE(started);
        pump(milliseconds{300});
    }

    void pump(milliseconds how_long) {
        const auto deadline = std::chrono::steady_clock::now() + how_long;
        while (std::chrono::steady_clock::now() < deadline) (void)renderer->wait(Duration{20});
    }

    Decoded screenshot(const std::string& name) {
        const auto path = dir / name;
        renderer->screenshot(path, 7);
        const auto deadline = std::chrono::steady_clock::now() + milliseconds{5000};
        std::string error = "no answer";
        while (std::chrono::steady_clock::now() < deadline && error == "no answer")
            for (const auto& event : renderer->wait(Duration{20})) {
                if (event.kind == RendererEvent::Kind::ScreenshotDone)
                    error.clear();
                else if (event.kind == RendererEvent::Kind::ScreenshotFailed)
                    error = event.error;
            }
        INFO(error);
        REQUIRE(error.empty());
        return decode_image(path);
    }
};

// An image whose top half is red and bottom half blue (the picture's orientation shows).
std::filesystem::path red_over_blue(const TempDir& dir, int width, int height) {
    const auto path = dir / "red-over-blue.png";
    const std::string half = std::to_string(width) + "x" + std::to_string(height / 2);
    run("ffmpeg -v error -y -f lavfi -i color=c=red:s=" + half + " -f lavfi -i color=c=blue:s=" + half +
        " -filter_complex vstack -frames:v 1 " + quoted(path));
    return path;
}

struct BandPixel {
    int r = 0, g = 0, b = 0;
};
BandPixel band_pixel(const Decoded& image, int x, int y) {
    const auto at =
        (static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width) + static_cast<std::size_t>(x)) *
        3;
    return {image.rgb[at], image.rgb[at + 1], image.rgb[at + 2]};
}

// Near-white pixels in rows [top, bottom).
std::size_t white_in_rows(const Decoded& image, int top, int bottom) {
    std::size_t count = 0;
    for (int y = top; y < bottom; ++y)
        for (int x = 0; x < image.width; ++x) {
            const BandPixel p = band_pixel(image, x, y);
            if (p.r > 200 && p.g > 200 && p.b > 200)
                ++count;
        }
    return count;
}

// The leftmost column with a near-white pixel in rows [top, bottom), or -1.
int first_white_column(const Decoded& image, int top, int bottom) {
    for (int x = 0; x < image.width; ++x)
        for (int y = top; y < bottom; ++y) {
            const BandPixel p = band_pixel(image, x, y);
            if (p.r > 200 && p.g > 200 && p.b > 200)
                return x;
        }
    return -1;
}

OverlayContent sample_bands() {
    OverlayContent content;
    content.header_permille = 100;
    content.ticker_permille = 100;
    content.title = "UBND phường Bến Nghé";
    content.time_zone = "Asia/Ho_Chi_Minh";
    content.board_url = "https://bantin.example/board/ben-nghe";
    content.ticker_text =
        "Tin nhanh: Lịch tiêm chủng mở rộng ngày 12/12 tại trạm y tế phường — mời bà con đến đúng giờ.";
    return content;
}

}  // namespace

TEST_CASE("the header sits above the picture and the ticker moves over its bottom",
          "[player][mpv][screen][xvfb][bands]") {
    SystemClock clock;
    BandsRig rig(1280, 720, clock);
    rig.renderer->set_overlay(sample_bands());
    rig.show(red_over_blue(rig.dir, 1280, 720));
    const auto area = rig.renderer->main_area();
    REQUIRE(area);
    CHECK(area->width == 1280);
    CHECK(area->height == 720 - 72);

    const Decoded first = rig.screenshot("first.png");
    REQUIRE(first.width == 1280);
    REQUIRE(first.height == 720);
    // The header band: dark blue, with white text (the name, the date and the clock).
    const BandPixel header = band_pixel(first, 640, 4);
    CHECK(header.b > header.r);
    CHECK(header.r < 40);
    CHECK(white_in_rows(first, 0, 72) > 500);
    // The main picture is under the header, the right way up: red just under it, blue above
    // the ticker; it fills the main region's height (pillarboxed: 1280x720 into 1280x648).
    const BandPixel under_header = band_pixel(first, 640, 80);
    CHECK(under_header.r > 200);
    CHECK(under_header.b < 60);
    const BandPixel above_ticker = band_pixel(first, 640, 720 - 72 - 8);
    CHECK(above_ticker.b > 200);
    CHECK(above_ticker.r < 60);
    // The ticker band: the blue darkened under it, and the text's white.
    const BandPixel band = band_pixel(first, 640, 720 - 4);
    CHECK(band.b < 140);
    CHECK(band.b > 40);
    CHECK(white_in_rows(first, 720 - 72, 720) > 300);

    rig.pump(milliseconds{700});
    const Decoded second = rig.screenshot("second.png");
    const int before = first_white_column(first, 720 - 72, 720);
    const int after = first_white_column(second, 720 - 72, 720);
    INFO("ticker text from column " << before << " to " << after);
    CHECK(before >= 0);
    CHECK(after >= 0);
    CHECK(after < before);  // moved left
    // What the X server shows has the bands too (the screenshot is not a separate drawing).
    run("xwd -root -silent -display " + rig.xvfb.display() + " | convert xwd:- " +
        quoted(rig.dir / "screen.png"));
    const Decoded screen = decode_image(rig.dir / "screen.png");
    CHECK(white_in_rows(screen, 0, 72) > 500);
}

TEST_CASE("without bands the picture fills the window and screenshots are the window",
          "[player][mpv][screen][xvfb][bands]") {
    SystemClock clock;
    BandsRig rig(1280, 720, clock);
    rig.show(red_over_blue(rig.dir, 1280, 720));
    const auto area = rig.renderer->main_area();
    REQUIRE(area);
    CHECK(area->height == 720);
    const Decoded shot = rig.screenshot("plain.png");
    CHECK(band_pixel(shot, 640, 4).r > 200);
    CHECK(band_pixel(shot, 640, 716).b > 200);
    // Bands on, then off again: the picture fills the window again.
    rig.renderer->set_overlay(sample_bands());
    rig.pump(milliseconds{200});
    CHECK(rig.renderer->main_area()->height == 648);
    rig.renderer->set_overlay({});
    rig.pump(milliseconds{200});
    const Decoded again = rig.screenshot("again.png");
    CHECK(band_pixel(again, 640, 4).r > 200);
    CHECK(white_in_rows(again, 720 - 72, 720) == 0);
}

TEST_CASE("hostile band text is drawn as one line and never stops the window",
          "[player][mpv][screen][xvfb][bands]") {
    SystemClock clock;
    BandsRig rig(1280, 720, clock);
    rig.show(red_over_blue(rig.dir, 1280, 720));
    OverlayContent content = sample_bands();
    content.title = std::string("\xff\xfe bad \x01\n utf-8 \xe1\xbb", 20);
    content.ticker_text = std::string(200'000, 'W') + "\n\t\r";
    content.board_url = std::string(5000, 'x');  // too long for any QR code
    content.time_zone = "Not/AZone";
    content.header_permille = 5000;  // taken as the largest band
    rig.renderer->set_overlay(content);
    rig.pump(milliseconds{300});
    const Decoded shot = rig.screenshot("hostile.png");
    CHECK(shot.width == 1280);
    CHECK(rig.renderer->main_area()->height == 720 - 360);
    CHECK(white_in_rows(shot, 720 - 72, 720) > 300);
}

TEST_CASE("the bands match the reference images at three output shapes",
          "[player][mpv][screen][xvfb][bands][reference]") {
    const auto [width, height] = GENERATE(std::pair{1920, 1080}, std::pair{1080, 1920}, std::pair{1536, 256});
    // 2026-12-05 14:05 in Ho Chi Minh City (a Saturday), the ticker 4 s in.
    SimulatedClock clock(from_unix_ms(1'796'454'300'000));
    BandsRig rig(width, height, clock);
    rig.renderer->set_overlay(sample_bands());
    clock.advance(Duration{4000});
    rig.show(make_image(rig.dir, "teal.png", "0x1d7a6f", 1280, 720));
    const Decoded shot = rig.screenshot("shot.png");
    REQUIRE(shot.width == width);
    REQUIRE(shot.height == height);
    const std::string name = "ticker-" + std::to_string(width) + "x" + std::to_string(height) + ".png";
    const auto reference_path = std::filesystem::path(BANTIN_SOURCE_DIR) / "tests/player/reference" / name;
    if (const char* update = std::getenv("BANTIN_UPDATE_REFERENCE"); update != nullptr && *update == '1') {
        std::filesystem::create_directories(reference_path.parent_path());
        std::filesystem::copy_file(rig.dir / "shot.png", reference_path,
                                   std::filesystem::copy_options::overwrite_existing);
        WARN("reference written: " << reference_path.string());
        return;
    }
    REQUIRE(std::filesystem::exists(reference_path));
    const Decoded reference = decode_image(reference_path);
    REQUIRE(reference.width == width);
    REQUIRE(reference.height == height);
    double total = 0;
    std::size_t off = 0;
    for (std::size_t index = 0; index + 2 < shot.rgb.size(); index += 3) {
        bool far = false;
        for (std::size_t channel = 0; channel < 3; ++channel) {
            const int difference = std::abs(static_cast<int>(shot.rgb[index + channel]) -
                                            static_cast<int>(reference.rgb[index + channel]));
            total += difference;
            far = far || difference > 64;
        }
        if (far)
            ++off;
    }
    const double mean = total / static_cast<double>(shot.rgb.size());
    const double off_share = static_cast<double>(off) / static_cast<double>(shot.rgb.size() / 3);
    INFO(name << ": mean difference " << mean << " per channel, " << off_share * 100 << " % of pixels off");
    CHECK(mean < 2.0);
    CHECK(off_share < 0.01);
}

TEST_CASE("a video under a moving ticker goes on changing on screen", "[player][mpv][screen][xvfb][bands]") {
    SystemClock clock;
    BandsRig rig(1280, 720, clock);
    rig.renderer->set_overlay(sample_bands());
    rig.show(make_video(rig.dir, "clip.mp4", 4.0));
    const Decoded first = rig.screenshot("video-1.png");
    rig.pump(milliseconds{600});
    const Decoded second = rig.screenshot("video-2.png");
    // testsrc's counter and moving gradient: the main region differs between the two shots.
    std::size_t changed = 0;
    for (int y = 100; y < 560; y += 4)
        for (int x = 0; x < 1280; x += 4) {
            const BandPixel a = band_pixel(first, x, y);
            const BandPixel b = band_pixel(second, x, y);
            if (std::abs(a.r - b.r) + std::abs(a.g - b.g) + std::abs(a.b - b.b) > 60)
                ++changed;
        }
    INFO("changed samples " << changed);
    CHECK(changed > 50);
    CHECK(white_in_rows(second, 0, 72) > 500);
}
