// Screen mode under a private Xvfb (Mesa llvmpipe behind SDL's OpenGL): the window really
// shows the image, and a Vietnamese text notice renders as the reference render does.
#include "bantin/player/mpv_renderer.hpp"
#include "bantin/player/notice_renderer.hpp"
#include "bantin/player/playback_engine.hpp"
#include "media_fixture.hpp"
#include "support/xvfb_display.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace bantin;
using namespace bantin::player;
using namespace bantin::testing;
using bantin::scheduler::MediaType;
using std::chrono::milliseconds;

namespace {

struct Screen {
    TempDir dir;
    XvfbDisplay xvfb;
    SystemClock clock;
    std::unique_ptr<MpvRenderer> renderer;

    Screen() {
        REQUIRE_FALSE(xvfb.display().empty());
        const auto runtime = dir / "runtime";
        std::filesystem::create_directories(runtime);
        chmod(runtime.c_str(), 0700);
        setenv("DISPLAY", xvfb.display().c_str(), 1);
        setenv("XDG_RUNTIME_DIR", runtime.c_str(), 1);
        setenv("SDL_VIDEODRIVER", "x11", 1);
        RendererConfig config;
        config.mode = OutputMode::Screen;
        config.window_width = 1280;
        config.window_height = 720;
        auto created = MpvRenderer::create(config, clock);
        INFO((created ? std::string() : created.error().message()));
        REQUIRE(created);
        renderer = std::move(*created);
    }

    // Plays until the item is on screen and has been drawn for a while, then takes mpv's
    // screenshot and a capture of the X screen.
    std::pair<Decoded, Decoded> show_and_capture(PlaybackEngine& engine, PlayItem item) {
        engine.enqueue({std::move(item)});
        auto events = run_until(*renderer, engine, milliseconds{10'000},
                                [](const auto& so_far) { return !started_items(so_far).empty(); });
        REQUIRE(started_items(events).size() == 1);
        run_until(*renderer, engine, milliseconds{700}, [](const auto&) { return false; });
        CHECK(renderer->frames_drawn() > 0);
        engine.screenshot(dir / "shot.png", 1);
        auto shots = run_until(*renderer, engine, milliseconds{5000}, [](const auto& so_far) {
            for (const auto& event : so_far)
                if (std::holds_alternative<ScreenshotResult>(event))
                    return true;
            return false;
        });
        for (const auto& event : shots)
            if (const auto* shot = std::get_if<ScreenshotResult>(&event)) {
                INFO(shot->error);
                REQUIRE(shot->error.empty());
            }
        run("xwd -root -silent -display " + xvfb.display() + " | convert xwd:- " +
            quoted(dir / "screen.png"));
        return {decode_image(dir / "shot.png"), decode_image(dir / "screen.png")};
    }
};

PlayItem planned(std::string id, MediaType type, std::string location, const Clock& clock,
                 milliseconds length) {
    PlayItem item;
    item.entry_id = std::move(id);
    item.type = type;
    item.location = std::move(location);
    item.planned_start = clock.wall();
    item.planned_end = item.planned_start + length;
    return item;
}

double red_share(const Decoded& image) {
    std::size_t red = 0;
    for (std::size_t index = 0; index + 2 < image.rgb.size(); index += 3)
        if (image.rgb[index] > 200 && image.rgb[index + 1] < 60 && image.rgb[index + 2] < 60)
            ++red;
    return static_cast<double>(red) / static_cast<double>(image.rgb.size() / 3);
}

double mean_difference(const std::vector<std::uint8_t>& left, const std::vector<std::uint8_t>& right) {
    double total = 0;
    for (std::size_t index = 0; index < left.size(); ++index)
        total += std::abs(static_cast<int>(left[index]) - static_cast<int>(right[index]));
    return total / static_cast<double>(left.size());
}

std::size_t differing_pixels(const std::vector<std::uint8_t>& left, const std::vector<std::uint8_t>& right) {
    std::size_t count = 0;
    for (std::size_t index = 0; index + 2 < left.size(); index += 3)
        for (std::size_t channel = 0; channel < 3; ++channel)
            if (std::abs(static_cast<int>(left[index + channel]) - static_cast<int>(right[index + channel])) >
                64) {
                ++count;
                break;
            }
    return count;
}

std::size_t ink(const std::vector<std::uint8_t>& rgb) {
    std::size_t count = 0;
    for (std::size_t index = 0; index + 2 < rgb.size(); index += 3)
        if (rgb[index] > 200 && rgb[index + 1] > 200 && rgb[index + 2] > 200)
            ++count;
    return count;
}

}  // namespace

TEST_CASE("the window shows a solid red image", "[player][mpv][screen][xvfb]") {
    Screen screen;
    const auto red = make_image(screen.dir, "red.png", "red", 1280, 720);
    PlaybackEngine engine(*screen.renderer, screen.clock, EngineOptions{});
    auto [shot, captured] = screen.show_and_capture(
        engine, planned("red", MediaType::Image, red.string(), screen.clock, milliseconds{5000}));
    CHECK(shot.width == 1280);
    CHECK(red_share(shot) > 0.95);
    // What the X server shows: the window covers the 1280x720 screen.
    CHECK(captured.width == 1280);
    CHECK(red_share(captured) > 0.9);
}

TEST_CASE("a Vietnamese text notice shows as the reference render", "[player][mpv][screen][xvfb][notice]") {
    Screen screen;
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    const std::string text = "Thông báo: Lịch tiêm chủng ở phường Bến Nghé";
    auto reference = notices->render(text);
    REQUIRE(reference);
    EngineOptions options;
    options.notice_directory = screen.dir / "notices";
    PlaybackEngine engine(*screen.renderer, screen.clock, options, &*notices);
    PlayItem notice = planned("notice", MediaType::Text, "", screen.clock, milliseconds{5000});
    notice.text = text;
    auto [shot, captured] = screen.show_and_capture(engine, notice);
    REQUIRE(shot.width == reference->width);
    REQUIRE(shot.height == reference->height);
    REQUIRE(captured.rgb.size() == reference->pixels.size());
    // Not blank: the text's pixels are there.
    CHECK(ink(shot.rgb) > 2000);
    CHECK(ink(captured.rgb) > 2000);
    // Same picture, within the tolerance of mpv's YUV round trip and scaling.
    const double shot_difference = mean_difference(shot.rgb, reference->pixels);
    const double screen_difference = mean_difference(captured.rgb, reference->pixels);
    INFO("mean difference: screenshot " << shot_difference << ", screen " << screen_difference);
    CHECK(shot_difference < 6.0);
    CHECK(screen_difference < 6.0);
    // And a render without diacritics is measurably further away from what was shown.
    auto plain = notices->render("Thong bao: Lich tiem chung o phuong Ben Nghe");
    REQUIRE(plain);
    // (diacritics are few pixels, so count strongly differing pixels rather than average).
    const std::size_t off_reference = differing_pixels(captured.rgb, reference->pixels);
    const std::size_t off_plain = differing_pixels(captured.rgb, plain->pixels);
    INFO("pixels off the reference " << off_reference << ", off the plain render " << off_plain);
    CHECK(off_plain > 200);
    CHECK(off_reference * 10 < off_plain);
}

// A paged notice is one mpv entry (mf://): the window shows page 1, then page 2 in the second
// half of the slot; its speech (longer than the slot) is cut with it by `length`.
TEST_CASE("a paged notice shows its pages one after another in one entry, its speech cut at its end",
          "[player][mpv][screen][xvfb][notice][pages]") {
    Screen screen;
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    std::string text = "Thông báo lịch cắt điện\n";
    for (int sentence = 0; sentence < 4; ++sentence)
        text += "Khu phố Uyên Hưng, Khánh Bình và Tân Hiệp tạm ngừng cấp điện từ 7 giờ 30 đến 16 giờ 30. ";
    const NoticeHeader header{"Uyên Hưng", "Thứ Bảy, 05/12/2026"};
    auto pages = notices->render_pages(text, {}, header, {1280, 720});
    REQUIRE(pages);
    REQUIRE(pages->size() == 2);
    EngineOptions options;
    options.notice_directory = screen.dir / "notices";
    PlaybackEngine engine(*screen.renderer, screen.clock, options, &*notices);
    PlayItem notice = planned("paged", MediaType::Text, "", screen.clock, milliseconds{8000});
    notice.text = text;
    notice.header = header;
    notice.audio_location = make_tone(screen.dir, "speech.wav", 30.0, 440).string();
    engine.enqueue({notice});
    auto events = run_until(*screen.renderer, engine, milliseconds{10'000},
                            [](const auto& so_far) { return !started_items(so_far).empty(); });
    REQUIRE(started_items(events).size() == 1);
    auto shoot = [&](const std::string& name, std::uint64_t tag) {
        engine.screenshot(screen.dir / name, tag);
        auto shots = run_until(*screen.renderer, engine, milliseconds{5000}, [](const auto& so_far) {
            for (const auto& event : so_far)
                if (std::holds_alternative<ScreenshotResult>(event))
                    return true;
            return false;
        });
        events.insert(events.end(), shots.begin(), shots.end());
        return decode_image(screen.dir / name);
    };
    // Page 1 in the first half of the slot.
    run_until(*screen.renderer, engine, milliseconds{1000}, [](const auto&) { return false; });
    const Decoded first = shoot("first.png", 1);
    // Page 2 in the second half (well inside it, whatever the machine's load).
    auto waited = run_until(*screen.renderer, engine, milliseconds{4500}, [](const auto&) { return false; });
    events.insert(events.end(), waited.begin(), waited.end());
    const Decoded second = ended_items(events).empty() ? shoot("second.png", 2) : Decoded{};
    auto rest = run_until(*screen.renderer, engine, milliseconds{20'000},
                          [](const auto& so_far) { return !ended_items(so_far).empty(); });
    events.insert(events.end(), rest.begin(), rest.end());
    REQUIRE(first.rgb.size() == (*pages)[0].pixels.size());
    REQUIRE(second.rgb.size() == (*pages)[1].pixels.size());
    const double first_on_one = mean_difference(first.rgb, (*pages)[0].pixels);
    const double first_on_two = mean_difference(first.rgb, (*pages)[1].pixels);
    const double second_on_two = mean_difference(second.rgb, (*pages)[1].pixels);
    const double second_on_one = mean_difference(second.rgb, (*pages)[0].pixels);
    INFO("first shot: " << first_on_one << " off page 1, " << first_on_two << " off page 2; second shot: "
                        << second_on_two << " off page 2, " << second_on_one << " off page 1");
    CHECK(first_on_one < 6.0);
    CHECK(second_on_two < 6.0);
    CHECK(first_on_one * 2 < first_on_two);
    CHECK(second_on_two * 2 < second_on_one);
    // One entry, ended at its length and not with its 30 s of speech.
    const auto ended = ended_items(events);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].outcome == Outcome::Completed);
    REQUIRE(ended[0].started_wall);
    const auto shown = std::chrono::duration_cast<milliseconds>(ended[0].ended_wall - *ended[0].started_wall);
    INFO("shown for " << shown.count() << " ms");
    CHECK(shown < milliseconds{20'000});
}

TEST_CASE("on two decoders the window switches to the preloaded image at the first one's end",
          "[player][mpv][screen][xvfb][preload]") {
    Screen screen;
    REQUIRE(screen.renderer->decoders() == 2);
    const auto red = make_image(screen.dir, "red.png", "red", 1280, 720);
    const auto blue = make_image(screen.dir, "blue.png", "blue", 1280, 720);
    PlaybackEngine engine(*screen.renderer, screen.clock, EngineOptions{});
    PlayItem first = planned("red", MediaType::Image, red.string(), screen.clock, milliseconds{1500});
    PlayItem second = planned("blue", MediaType::Image, blue.string(), screen.clock, milliseconds{3000});
    second.planned_start = first.planned_end;
    second.planned_end = second.planned_start + milliseconds{3000};
    engine.enqueue({first, second});
    auto events = run_until(*screen.renderer, engine, milliseconds{10'000},
                            [](const auto& so_far) { return started_items(so_far).size() == 2; });
    const auto started = started_items(events);
    const auto ended = ended_items(events);
    REQUIRE(started.size() == 2);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].outcome == Outcome::Completed);
    const long long gap = milliseconds_between(ended[0].ended_monotonic, started[1].monotonic);
    INFO("gap " << gap << " ms");
    CHECK(gap >= 0);
    CHECK(gap < 100);
    run_until(*screen.renderer, engine, milliseconds{500}, [](const auto&) { return false; });
    run("xwd -root -silent -display " + screen.xvfb.display() + " | convert xwd:- " +
        quoted(screen.dir / "screen.png"));
    const Decoded captured = decode_image(screen.dir / "screen.png");
    std::size_t blue_pixels = 0;
    for (std::size_t index = 0; index + 2 < captured.rgb.size(); index += 3)
        if (captured.rgb[index] < 60 && captured.rgb[index + 1] < 60 && captured.rgb[index + 2] > 200)
            ++blue_pixels;
    CHECK(blue_pixels > captured.rgb.size() / 3 * 9 / 10);
    CHECK(red_share(captured) < 0.01);
}
