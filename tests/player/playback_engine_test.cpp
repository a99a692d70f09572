#include "bantin/player/playback_engine.hpp"
#include "bantin/player/notice_renderer.hpp"
#include "support/fake_renderer.hpp"
#include "support/simulated_clock.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

using namespace bantin;
using namespace bantin::player;
using bantin::scheduler::MediaType;
using std::chrono::milliseconds;

namespace {

struct Rig {
    testing::SimulatedClock clock;
    testing::FakeRenderer renderer{clock};
    PlaybackEngine engine;
    std::vector<PlaybackEvent> events;

    explicit Rig(EngineOptions options = {}) : engine(renderer, clock, std::move(options)) {}

    PlayItem item(std::string id, MediaType type, milliseconds from_now, milliseconds length) {
        PlayItem result;
        result.entry_id = std::move(id);
        result.type = type;
        result.location = "/media/" + result.entry_id;
        result.planned_start = clock.wall() + from_now;
        result.planned_end = result.planned_start + length;
        return result;
    }
    // Collects what the renderer has to say, as the owner loop does.
    void pump() {
        auto batch = engine.handle(renderer.wait(Duration{0}));
        events.insert(events.end(), batch.begin(), batch.end());
    }
    std::vector<ItemEnded> ended() const {
        std::vector<ItemEnded> out;
        for (const auto& event : events)
            if (const auto* end = std::get_if<ItemEnded>(&event))
                out.push_back(*end);
        return out;
    }
    std::vector<ItemStarted> started() const {
        std::vector<ItemStarted> out;
        for (const auto& event : events)
            if (const auto* start = std::get_if<ItemStarted>(&event))
                out.push_back(*start);
        return out;
    }
};

}  // namespace

TEST_CASE("contiguous items are handed to the renderer ahead of time, two at most", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Video, milliseconds{0}, milliseconds{2000}),
                        rig.item("b", MediaType::Image, milliseconds{2000}, milliseconds{1000}),
                        rig.item("c", MediaType::Audio, milliseconds{3000}, milliseconds{1000})});
    REQUIRE(rig.renderer.loads().size() == 2);
    CHECK(rig.renderer.loads()[0].request.location == "/media/a");
    CHECK(rig.renderer.loads()[0].mode == LoadMode::Append);
    CHECK(rig.renderer.loads()[1].request.location == "/media/b");
    CHECK(rig.engine.queued() == 3);
}

TEST_CASE("images hold through image-display-duration, video and audio are cut with length",
          "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("v", MediaType::Video, milliseconds{0}, milliseconds{2500}),
                        rig.item("i", MediaType::Image, milliseconds{2500}, milliseconds{1250})});
    REQUIRE(rig.renderer.loads().size() == 2);
    CHECK(rig.renderer.loads()[0].option("length") == "2.500");
    CHECK_FALSE(rig.renderer.loads()[0].option("image-display-duration"));
    CHECK(rig.renderer.loads()[1].option("image-display-duration") == "1.250");
    CHECK_FALSE(rig.renderer.loads()[1].option("length"));
}

TEST_CASE("start is the first frame and end is end-file, stamped by the clock", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Video, milliseconds{0}, milliseconds{2000})});
    rig.pump();
    CHECK(rig.started().empty());  // the file is open, nothing is out yet
    rig.clock.advance(milliseconds{40});
    const TimePoint first_frame = rig.clock.wall();
    rig.renderer.first_frame();
    rig.pump();
    REQUIRE(rig.started().size() == 1);
    CHECK(rig.started()[0].wall == first_frame);
    CHECK(rig.engine.now_playing() == "a");
    rig.clock.advance(milliseconds{2000});
    rig.renderer.finish(EndReason::Eof);
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    const ItemEnded end = rig.ended()[0];
    CHECK(end.entry_id == "a");
    CHECK(end.outcome == Outcome::Completed);
    CHECK(end.started_wall == first_frame);
    CHECK(end.ended_wall == first_frame + milliseconds{2000});
    CHECK(*end.started_monotonic + milliseconds{2000} == end.ended_monotonic);
    CHECK(rig.engine.idle());
}

TEST_CASE("an error end is a failed item and the next one plays", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("bad", MediaType::Video, milliseconds{0}, milliseconds{1000}),
                        rig.item("good", MediaType::Image, milliseconds{1000}, milliseconds{1000})});
    rig.pump();
    rig.renderer.finish(EndReason::Error, "unrecognized file format");
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].entry_id == "bad");
    CHECK(rig.ended()[0].outcome == Outcome::Failed);
    CHECK(rig.ended()[0].error == "unrecognized file format");
    CHECK_FALSE(rig.ended()[0].started_wall);
    REQUIRE(rig.started().size() == 1);
    CHECK(rig.started()[0].entry_id == "good");
}

TEST_CASE("an end-of-file before any frame is a failure, not a play", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("empty", MediaType::Audio, milliseconds{0}, milliseconds{1000})});
    rig.pump();
    rig.renderer.finish(EndReason::Eof);
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].outcome == Outcome::Failed);
}

TEST_CASE("interrupt cuts the current item, drops the queue and replaces the playlist", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Video, milliseconds{0}, milliseconds{5000}),
                        rig.item("b", MediaType::Video, milliseconds{5000}, milliseconds{5000}),
                        rig.item("c", MediaType::Video, milliseconds{10000}, milliseconds{5000})});
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    rig.clock.advance(milliseconds{1500});
    auto dropped =
        rig.engine.interrupt({rig.item("alert", MediaType::Audio, milliseconds{0}, milliseconds{3000})});
    CHECK(dropped == std::vector<std::string>{"c", "b"});
    REQUIRE(rig.renderer.loads().size() == 3);
    CHECK(rig.renderer.loads()[2].request.location == "/media/alert");
    CHECK(rig.renderer.loads()[2].mode == LoadMode::Replace);
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].entry_id == "a");
    CHECK(rig.ended()[0].outcome == Outcome::Interrupted);
    CHECK(rig.ended()[0].ended_wall - *rig.ended()[0].started_wall == milliseconds{1500});
    REQUIRE(rig.started().size() == 2);
    CHECK(rig.started()[1].entry_id == "alert");
    CHECK(rig.engine.now_playing() == "alert");
}

// The race behind proof rows recorded `failed` around an alert's start or cancel. With two
// decoders the item cut by an interrupt ends on its own core whenever that core gets to the
// stop, while the next item already opens on the other core. A second interrupt that comes
// before the new item's first frame (the alert message, then the bundle carrying the alert or
// its cancel, re-plan within milliseconds) leaves an entry that is open, cut and never shown,
// on its way out while the item after it starts. The next first frame belongs to the entry
// that became current last, not to that one: given to it, the playing item never "started"
// and its end-of-file was recorded as a failed play.
TEST_CASE("a first frame after a second quick interrupt belongs to the newest item, not to the cut one",
          "[player][engine][interrupt]") {
    Rig rig;
    rig.renderer.defer_stop_ends();
    rig.engine.enqueue({rig.item("alert", MediaType::Image, milliseconds{0}, milliseconds{5000}),
                        rig.item("alert-2", MediaType::Image, milliseconds{5000}, milliseconds{5000})});
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    rig.clock.advance(milliseconds{2000});
    // The cancel: the campaign resumes on the free core; the alert's core has not stopped yet.
    rig.engine.interrupt({rig.item("campaign", MediaType::Video, milliseconds{0}, milliseconds{3000})});
    rig.pump();
    rig.clock.advance(milliseconds{5});
    // The bundle without the alert re-plans the loop before the campaign's first frame.
    rig.engine.interrupt({rig.item("campaign-2", MediaType::Video, milliseconds{0}, milliseconds{3000})});
    rig.pump();
    rig.clock.advance(milliseconds{5});
    rig.renderer.release_stopped(1);  // the alert's core reports its stop; campaign-2 is loaded
    rig.pump();
    REQUIRE(rig.renderer.loads().size() == 4);
    CHECK(rig.renderer.loads()[3].request.location == "/media/campaign-2");
    rig.pump();
    rig.clock.advance(milliseconds{40});
    const TimePoint shown = rig.clock.wall();
    rig.renderer.first_frame();  // campaign-2's, on the other core
    rig.pump();
    rig.clock.advance(milliseconds{10});
    rig.renderer.release_stopped();  // the cut campaign's core reports its stop now
    rig.pump();
    rig.clock.advance(milliseconds{3000});
    rig.renderer.finish(EndReason::Eof);
    rig.pump();

    std::map<std::string, ItemEnded> ends;
    for (const auto& end : rig.ended()) ends.emplace(end.entry_id, end);
    REQUIRE(ends.size() == 3);
    CHECK(ends.at("alert").outcome == Outcome::Interrupted);
    CHECK(ends.at("campaign").outcome == Outcome::Interrupted);
    CHECK_FALSE(ends.at("campaign").started_wall);  // cut before anything of it was shown
    INFO(ends.at("campaign-2").error);
    CHECK(ends.at("campaign-2").outcome == Outcome::Completed);
    CHECK(ends.at("campaign-2").started_wall == shown);
    REQUIRE(rig.started().size() == 2);
    CHECK(rig.started()[1].entry_id == "campaign-2");
}

TEST_CASE("a screen item shown while the audio output could not open is completed with a note",
          "[player][engine][no-audio]") {
    Rig rig;
    rig.engine.enqueue({rig.item("video", MediaType::Video, milliseconds{0}, milliseconds{1000}),
                        rig.item("audio", MediaType::Audio, milliseconds{1000}, milliseconds{1000})});
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    rig.clock.advance(milliseconds{1000});
    rig.renderer.finish_without_audio_output();  // pictures shown, no sound
    rig.pump();
    rig.clock.advance(milliseconds{5});
    rig.renderer.finish_without_audio_output();  // audio only: nothing came out
    rig.pump();
    const auto ended = rig.ended();
    REQUIRE(ended.size() == 2);
    CHECK(ended[0].outcome == Outcome::Completed);
    CHECK(ended[0].note == "audio: unavailable");
    CHECK(ended[0].audio_unavailable);
    CHECK(ended[0].error.empty());
    CHECK(ended[0].audio_error == "audio output initialization failed");
    CHECK(ended[1].outcome == Outcome::Failed);
    CHECK(ended[1].audio_unavailable);
    CHECK(ended[1].error ==
          "không mở được đầu ra âm thanh / audio output unavailable: audio output initialization failed");
}

TEST_CASE("a speaker item without an audio output is failed, never proven", "[player][engine][no-audio]") {
    EngineOptions options;
    options.device_kind = scheduler::DeviceKind::Speaker;
    Rig rig(options);
    rig.engine.enqueue({rig.item("tone", MediaType::Audio, milliseconds{0}, milliseconds{1000})});
    rig.pump();
    rig.renderer.first_frame();  // even had mpv said it started
    rig.pump();
    rig.clock.advance(milliseconds{1000});
    rig.renderer.finish_without_audio_output();
    rig.pump();
    const auto ended = rig.ended();
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].outcome == Outcome::Failed);
    CHECK(ended[0].note.empty());
    CHECK(ended[0].audio_unavailable);
}

TEST_CASE("interrupt with nothing stops playback", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Video, milliseconds{0}, milliseconds{5000})});
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    rig.engine.interrupt({});
    CHECK(rig.renderer.stops() == 1);
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].outcome == Outcome::Interrupted);
    CHECK(rig.engine.idle());
}

TEST_CASE("an item after a gap waits for its planned start", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("later", MediaType::Image, milliseconds{60'000}, milliseconds{5000})});
    CHECK(rig.renderer.loads().empty());
    CHECK(rig.engine.time_until_next_action(Duration{120'000}) == milliseconds{60'000});
    CHECK(rig.engine.time_until_next_action(Duration{1000}) == milliseconds{1000});
    rig.clock.advance(milliseconds{59'000});
    rig.engine.tick();
    CHECK(rig.renderer.loads().empty());
    rig.clock.advance(milliseconds{1000});
    rig.engine.tick();
    REQUIRE(rig.renderer.loads().size() == 1);
    CHECK(rig.renderer.loads()[0].option("image-display-duration") == "5.000");
}

TEST_CASE("an item whose time has passed is reported failed as missed", "[player][engine]") {
    Rig rig;
    auto late = rig.item("late", MediaType::Video, milliseconds{-10'000}, milliseconds{5000});
    rig.engine.enqueue({late});
    auto events = rig.engine.tick();
    REQUIRE(events.size() == 1);
    const auto& end = std::get<ItemEnded>(events[0]);
    CHECK(end.entry_id == "late");
    CHECK(end.outcome == Outcome::Failed);
    CHECK(end.error.find("missed") != std::string::npos);
    CHECK(rig.renderer.loads().empty());
}

TEST_CASE("an item joined late plays only the rest of its window", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("v", MediaType::Video, milliseconds{-2000}, milliseconds{5000})});
    REQUIRE(rig.renderer.loads().size() == 1);
    CHECK(rig.renderer.loads()[0].option("length") == "3.000");
    CHECK_FALSE(rig.renderer.loads()[0].option("start"));  // its head, cut at its planned end
}

TEST_CASE("an item resumed after a cut starts at its media offset and length counts from there",
          "[player][engine][resume]") {
    Rig rig;
    PlayItem resumed = rig.item("bulletin", MediaType::Audio, milliseconds{0}, milliseconds{300'000});
    resumed.media_offset = milliseconds{300'000};
    PlayItem image = rig.item("image", MediaType::Image, milliseconds{300'000}, milliseconds{5000});
    image.media_offset = milliseconds{7000};  // never on an image; if it were, nothing seeks
    rig.engine.enqueue({resumed, image});
    REQUIRE(rig.renderer.loads().size() == 2);
    CHECK(rig.renderer.loads()[0].option("start") == "+300.000");
    CHECK(rig.renderer.loads()[0].option("length") == "300.000");
    CHECK_FALSE(rig.renderer.loads()[1].option("start"));
    // The order matters to nobody but a reader of the loadfile call: start, then length.
    REQUIRE(rig.renderer.loads()[0].request.options.size() == 2);
    CHECK(rig.renderer.loads()[0].request.options[0].first == "start");
}

TEST_CASE("an item that plays on from its position, joined late, starts that much further in",
          "[player][engine][resume]") {
    Rig rig;
    // A start-up 90 s into an entry that itself resumes a bulletin 5:00 in.
    PlayItem joined = rig.item("bulletin", MediaType::Audio, milliseconds{-90'000}, milliseconds{300'000});
    joined.media_offset = milliseconds{300'000};
    joined.plays_on = true;
    rig.engine.enqueue({joined});
    REQUIRE(rig.renderer.loads().size() == 1);
    CHECK(rig.renderer.loads()[0].option("start") == "+390.000");
    CHECK(rig.renderer.loads()[0].option("length") == "210.000");
}

TEST_CASE("an item that plays on and starts within the gapless tolerance is not moved",
          "[player][engine][resume]") {
    Rig rig;
    PlayItem nearly = rig.item("film", MediaType::Video, milliseconds{-300}, milliseconds{60'000});
    nearly.plays_on = true;
    rig.engine.enqueue({nearly});
    REQUIRE(rig.renderer.loads().size() == 1);
    CHECK_FALSE(rig.renderer.loads()[0].option("start"));
    CHECK(rig.renderer.loads()[0].option("length") == "59.700");

    Rig later;
    PlayItem late = later.item("film", MediaType::Video, milliseconds{-600}, milliseconds{60'000});
    late.plays_on = true;
    later.engine.enqueue({late});
    REQUIRE(later.renderer.loads().size() == 1);
    CHECK(later.renderer.loads()[0].option("start") == "+0.600");
    CHECK(later.renderer.loads()[0].option("length") == "59.400");
}

TEST_CASE("a late start is absorbed by the next item's length", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Image, milliseconds{0}, milliseconds{2000}),
                        rig.item("b", MediaType::Image, milliseconds{2000}, milliseconds{2000}),
                        rig.item("c", MediaType::Image, milliseconds{4000}, milliseconds{2000})});
    rig.pump();
    rig.clock.advance(milliseconds{100});  // a's first frame comes 100 ms late
    rig.renderer.first_frame();
    rig.pump();
    rig.clock.advance(milliseconds{2000});
    rig.renderer.finish();
    rig.pump();  // c is appended now; b will start at about now
    REQUIRE(rig.renderer.loads().size() == 3);
    // a ended 100 ms late, so b (already loaded for 2 s) ends 100 ms late; c gives them back.
    CHECK(rig.renderer.loads()[2].option("image-display-duration") == "1.900");
}

TEST_CASE("a refused load is reported failed and the next item is tried", "[player][engine]") {
    Rig rig;
    rig.renderer.refuse_next_load();
    rig.engine.enqueue({rig.item("x", MediaType::Video, milliseconds{0}, milliseconds{1000}),
                        rig.item("y", MediaType::Video, milliseconds{1000}, milliseconds{1000})});
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].entry_id == "x");
    CHECK(rig.ended()[0].outcome == Outcome::Failed);
    REQUIRE(rig.renderer.loads().size() == 1);
    CHECK(rig.renderer.loads()[0].request.location == "/media/y");
}

TEST_CASE("volume is capped by the device limit", "[player][engine]") {
    EngineOptions options;
    options.max_volume = 60;
    Rig rig(options);
    CHECK(rig.engine.set_volume(90) == 60);
    CHECK(rig.engine.set_volume(30) == 30);
    CHECK(rig.engine.set_volume(-5) == 0);
    CHECK(rig.renderer.volumes() == std::vector<int>{60, 30, 0});
}

TEST_CASE("a screenshot result names the path it was asked for", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Image, milliseconds{0}, milliseconds{1000})});
    rig.pump();
    rig.engine.screenshot("/tmp/shot.png", 42);
    rig.pump();
    bool found = false;
    for (const auto& event : rig.events) {
        if (const auto* shot = std::get_if<ScreenshotResult>(&event)) {
            found = true;
            CHECK(shot->tag == 42);
            CHECK(shot->path == "/tmp/shot.png");
            CHECK(shot->error.empty());
        }
    }
    CHECK(found);
}

TEST_CASE("a text notice on a speaker plays its speech file as audio", "[player][engine]") {
    EngineOptions options;
    options.device_kind = scheduler::DeviceKind::Speaker;
    Rig rig(options);
    auto notice = rig.item("tts", MediaType::Text, milliseconds{0}, milliseconds{4000});
    notice.text = "Thông báo";
    rig.engine.enqueue({notice});
    REQUIRE(rig.renderer.loads().size() == 1);
    CHECK(rig.renderer.loads()[0].request.location == "/media/tts");
    CHECK(rig.renderer.loads()[0].option("length") == "4.000");
}

TEST_CASE("a text notice on a screen is rendered to an image and shown as one", "[player][engine][notice]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    const auto directory = std::filesystem::temp_directory_path() /
                           ("bantin-notice-test-" + std::to_string(std::random_device{}()));
    EngineOptions options;
    options.notice_directory = directory;
    testing::SimulatedClock clock;
    testing::FakeRenderer renderer(clock);
    PlaybackEngine engine(renderer, clock, options, &*notices);
    PlayItem notice;
    notice.entry_id = "n";
    notice.type = MediaType::Text;
    notice.text = "Thông báo: Lịch tiêm chủng ở phường Bến Nghé";
    notice.planned_start = clock.wall();
    notice.planned_end = clock.wall() + milliseconds{3000};
    engine.enqueue({notice});
    REQUIRE(renderer.loads().size() == 1);
    const std::filesystem::path image = renderer.loads()[0].request.location;
    CHECK(image.parent_path() == directory);
    CHECK(image.extension() == ".png");
    std::ifstream file(image, std::ios::binary);
    std::string signature(8, '\0');
    file.read(signature.data(), 8);
    CHECK(signature == "\x89PNG\r\n\x1a\n");
    // A flat background and one block of text: far smaller than the raw 1280x720 RGB frame.
    CHECK(std::filesystem::file_size(image) < 1280u * 720u * 3u / 10u);
    CHECK(renderer.loads()[0].option("image-display-duration") == "3.000");
    CHECK_FALSE(std::filesystem::exists(image.string() + ".partial"));
    std::filesystem::remove_all(directory);
}

TEST_CASE("a notice the notice directory cannot take is written to the fallback directory and shown",
          "[player][engine][notice]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    const auto root = std::filesystem::temp_directory_path() /
                      ("bantin-notice-fallback-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(root);
    std::ofstream(root / "not-a-directory") << "x";  // the notice directory cannot be made under it
    EngineOptions options;
    options.notice_directory = root / "not-a-directory" / "notices";
    options.notice_fallback_directory = root / "fallback";
    testing::SimulatedClock clock;
    testing::FakeRenderer renderer(clock);
    PlaybackEngine engine(renderer, clock, options, &*notices);
    PlayItem notice;
    notice.entry_id = "n";
    notice.type = MediaType::Text;
    notice.text = "Cảnh báo: nước dâng cao";
    notice.planned_start = clock.wall();
    notice.planned_end = clock.wall() + milliseconds{3000};
    engine.enqueue({notice});
    REQUIRE(renderer.loads().size() == 1);
    CHECK(std::filesystem::path(renderer.loads()[0].request.location).parent_path() == root / "fallback");
    CHECK(std::filesystem::exists(renderer.loads()[0].request.location));

    // With neither directory writable the item fails, naming both reasons.
    options.notice_fallback_directory = root / "not-a-directory" / "fallback";
    PlaybackEngine stuck(renderer, clock, options, &*notices);
    notice.entry_id = "m";
    notice.text = "Một thông báo khác";
    stuck.enqueue({notice});
    std::vector<ItemEnded> ended;
    for (const auto& event : stuck.tick())
        if (const auto* end = std::get_if<ItemEnded>(&event))
            ended.push_back(*end);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].outcome == Outcome::Failed);
    CHECK_THAT(ended[0].error, Catch::Contains("the notice could not be written"));
    std::filesystem::remove_all(root);
}

TEST_CASE("a text notice with speech on a screen with a speaker plays the speech under its slide",
          "[player][engine][notice][speech]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    const auto directory = std::filesystem::temp_directory_path() /
                           ("bantin-notice-test-" + std::to_string(std::random_device{}()));
    EngineOptions options;
    options.notice_directory = directory;
    testing::SimulatedClock clock;
    testing::FakeRenderer renderer(clock);
    PlaybackEngine engine(renderer, clock, options, &*notices);
    PlayItem notice;
    notice.entry_id = "n";
    notice.type = MediaType::Text;
    notice.text = "Cảnh báo: nước lên nhanh ở xã Tân Phú";
    notice.audio_location = "/media/speech";
    notice.planned_start = clock.wall();
    notice.planned_end = clock.wall() + milliseconds{4000};
    PlayItem silent = notice;
    silent.entry_id = "m";
    silent.audio_location.clear();
    silent.planned_start = notice.planned_end;
    silent.planned_end = silent.planned_start + milliseconds{4000};
    engine.enqueue({notice, silent});
    REQUIRE(renderer.loads().size() == 2);
    CHECK(renderer.loads()[0].option("audio-files-append") == "/media/speech");
    CHECK(renderer.loads()[0].option("image-display-duration") == "4.000");
    CHECK(renderer.loads()[0].option("length") == "4.000");  // the speech ends with the slide
    CHECK_FALSE(renderer.loads()[1].option("audio-files-append"));
    CHECK_FALSE(renderer.loads()[1].option("length"));
    std::filesystem::remove_all(directory);
}

TEST_CASE("a paged notice is one entry that shows its pages in equal shares of the slot, with its speech",
          "[player][engine][notice][pages]") {
    auto notices = NoticeRenderer::create();
    REQUIRE(notices);
    const auto directory = std::filesystem::temp_directory_path() /
                           ("bantin-notice-pages-" + std::to_string(std::random_device{}()));
    EngineOptions options;
    options.notice_directory = directory;
    testing::SimulatedClock clock;
    testing::FakeRenderer renderer(clock);
    renderer.set_main_area(player::FrameSize{1920, 1080});
    PlaybackEngine engine(renderer, clock, options, &*notices);
    PlayItem notice;
    notice.entry_id = "n";
    notice.type = MediaType::Text;
    notice.text = "Thông báo lịch cắt điện\n";
    for (int sentence = 0; sentence < 6; ++sentence)
        notice.text += "Khu vực Uyên Hưng, Khánh Bình và Tân Hiệp sẽ tạm ngừng cấp điện từ 7 giờ 30. ";
    notice.header = {"Uyên Hưng", "Thứ Bảy, 05/12/2026"};
    notice.audio_location = "/media/speech";
    notice.planned_start = clock.wall();
    notice.planned_end = clock.wall() + milliseconds{12'000};
    auto pagination = notices->paginate(notice.text, {}, notice.header, {1920, 1080});
    REQUIRE(pagination);
    REQUIRE(pagination->pages >= 2);
    engine.enqueue({notice});
    REQUIRE(renderer.loads().size() == 1);  // one entry: one proof row, gapless as before
    const auto& load = renderer.loads()[0];
    const std::string& location = load.request.location;
    REQUIRE(location.starts_with("mf://"));
    std::vector<std::string> pages;
    for (std::size_t at = 5; at <= location.size();) {
        const auto comma = std::min(location.find(',', at), location.size());
        pages.push_back(location.substr(at, comma - at));
        at = comma + 1;
    }
    // Every page, and the last once more: mpv does not hold a video's last frame, so its second
    // copy (at the slot's end) keeps the last page up for its share.
    REQUIRE(static_cast<int>(pages.size()) == pagination->pages + 1);
    CHECK(pages.back() == pages[pages.size() - 2]);
    pages.pop_back();
    for (std::size_t page = 0; page < pages.size(); ++page) {
        INFO(pages[page]);
        CHECK(std::filesystem::exists(pages[page]));
        // The name tells the size, the day and the page.
        CHECK_THAT(pages[page], Catch::Contains("-1920x1080-05122026-" + std::to_string(page + 1) + "of" +
                                                std::to_string(pages.size()) + ".png"));
    }
    char fps[32];
    std::snprintf(fps, sizeof fps, "%.6f", static_cast<double>(pages.size()) / 12.0);
    CHECK(load.option("mf-fps") == std::string(fps));
    CHECK(load.option("length") == "12.010");  // lets the last page's second copy in
    CHECK(load.option("audio-files-append") == "/media/speech");
    CHECK_FALSE(load.option("image-display-duration"));

    // Another day, or another window size, is another picture.
    PlayItem tomorrow = notice;
    tomorrow.entry_id = "t";
    tomorrow.header.date = "Chủ Nhật, 06/12/2026";
    tomorrow.planned_start = notice.planned_end;
    tomorrow.planned_end = tomorrow.planned_start + milliseconds{12'000};
    renderer.set_main_area(player::FrameSize{1080, 1920});
    engine.enqueue({tomorrow});
    REQUIRE(renderer.loads().size() == 2);
    CHECK_THAT(renderer.loads()[1].request.location, Catch::Contains("-1080x1920-06122026-1of"));
    std::filesystem::remove_all(directory);
}

TEST_CASE("a notice is rendered at the configured size when the renderer does not know its area",
          "[player][engine][notice]") {
    NoticeStyle style;
    style.width = 800;
    style.height = 600;
    auto notices = NoticeRenderer::create({}, style);
    REQUIRE(notices);
    const auto directory = std::filesystem::temp_directory_path() /
                           ("bantin-notice-size-" + std::to_string(std::random_device{}()));
    EngineOptions options;
    options.notice_directory = directory;
    testing::SimulatedClock clock;
    testing::FakeRenderer renderer(clock);
    PlaybackEngine engine(renderer, clock, options, &*notices);
    PlayItem notice;
    notice.entry_id = "n";
    notice.type = MediaType::Text;
    notice.text = "Họp tổ dân phố lúc 19 giờ";
    notice.planned_start = clock.wall();
    notice.planned_end = clock.wall() + milliseconds{3000};
    engine.enqueue({notice});
    REQUIRE(renderer.loads().size() == 1);
    const std::string& location = renderer.loads()[0].request.location;
    CHECK_THAT(location, Catch::Contains("-800x600-0-1of1.png"));
    auto image = read_png(location);
    REQUIRE(image);
    CHECK(image->width == 800);
    CHECK(image->height == 600);
    std::filesystem::remove_all(directory);
}

// The failed campaign rows seen after an alert's cancel: the loop resumed in the middle of a
// notice, whose slide got the 1.8 s left of its window but whose 4 s of speech ran on, so the
// slide stayed up 2 s past its planned end, the next item started that late and the one
// after it was reported missed. Joined late, the notice is cut like a video: by `length`.
TEST_CASE("a notice with speech joined late is cut at its planned end, speech and all",
          "[player][engine][notice][speech]") {
    Rig rig;
    PlayItem notice = rig.item("notice", MediaType::Image, milliseconds{-2200}, milliseconds{4000});
    notice.audio_location = "/media/speech-4s";
    rig.engine.enqueue({notice, rig.item("video", MediaType::Video, milliseconds{1800}, milliseconds{2000}),
                        rig.item("image", MediaType::Image, milliseconds{3800}, milliseconds{2000})});
    REQUIRE(rig.renderer.loads().size() == 2);
    CHECK(rig.renderer.loads()[0].option("image-display-duration") == "1.800");
    CHECK(rig.renderer.loads()[0].option("length") == "1.800");
    CHECK(rig.renderer.loads()[1].option("length") == "2.000");
}

TEST_CASE("a text notice on a screen without a notice renderer fails clearly", "[player][engine]") {
    Rig rig;
    auto notice = rig.item("n", MediaType::Text, milliseconds{0}, milliseconds{1000});
    notice.location.clear();
    notice.text = "x";
    rig.engine.enqueue({notice});
    auto events = rig.engine.tick();
    REQUIRE(events.size() == 1);
    CHECK(std::get<ItemEnded>(events[0]).outcome == Outcome::Failed);
    CHECK(rig.renderer.loads().empty());
}

TEST_CASE("an early end is absorbed by the next item's length", "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Video, milliseconds{0}, milliseconds{2000}),
                        rig.item("b", MediaType::Image, milliseconds{2000}, milliseconds{2000}),
                        rig.item("c", MediaType::Image, milliseconds{4000}, milliseconds{2000})});
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    rig.clock.advance(milliseconds{1800});  // a ends 200 ms before its planned end
    rig.renderer.finish();
    rig.pump();
    rig.renderer.first_frame();  // b is out at once
    rig.pump();
    REQUIRE(rig.renderer.loads().size() == 3);
    // b was loaded for its own 2 s while a played; c starts 200 ms early and holds to its planned end.
    CHECK(rig.renderer.loads()[1].option("image-display-duration") == "2.000");
    CHECK(rig.renderer.loads()[2].option("image-display-duration") == "2.200");
}

TEST_CASE("a preloaded entry's start is the renderer's restart, however early it was loaded",
          "[player][engine]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Image, milliseconds{0}, milliseconds{1000}),
                        rig.item("b", MediaType::Video, milliseconds{1000}, milliseconds{1000})});
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    REQUIRE(rig.renderer.loads().size() == 2);  // b handed over 1 s before its turn
    rig.clock.advance(milliseconds{1000});
    rig.renderer.finish();
    rig.pump();
    const TimePoint switched = rig.clock.wall();
    rig.clock.advance(milliseconds{3});
    rig.renderer.first_frame();  // with two decoders: the unpause reply of the preloaded entry
    rig.pump();
    REQUIRE(rig.started().size() == 2);
    CHECK(rig.started()[1].entry_id == "b");
    CHECK(rig.started()[1].wall == switched + milliseconds{3});
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].ended_wall == switched);
}

TEST_CASE("files may be opened ahead of their turn, live streams may not", "[player][engine]") {
    Rig rig;
    auto stream = rig.item("radio", MediaType::Stream, milliseconds{1000}, milliseconds{60'000});
    stream.location = "http://127.0.0.1:8000/live";
    rig.engine.enqueue({rig.item("clip", MediaType::Video, milliseconds{0}, milliseconds{1000}), stream});
    REQUIRE(rig.renderer.loads().size() == 2);
    CHECK(rig.renderer.loads()[0].request.preload);
    CHECK_FALSE(rig.renderer.loads()[1].request.preload);
    CHECK(rig.renderer.loads()[1].option("length") == "60.000");
}

TEST_CASE("replace_upcoming keeps the playing item and its preloaded successor, and appends the new rest",
          "[player][engine][continuity]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Video, milliseconds{0}, milliseconds{5000}),
                        rig.item("b", MediaType::Video, milliseconds{5000}, milliseconds{5000}),
                        rig.item("c", MediaType::Video, milliseconds{10000}, milliseconds{5000})});
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    rig.clock.advance(milliseconds{1500});
    const auto loaded = rig.engine.loaded_entries();
    REQUIRE(loaded.size() == 2);
    CHECK(loaded[0].entry_id == "a");
    CHECK(loaded[0].started);
    CHECK(loaded[1].entry_id == "b");
    CHECK_FALSE(loaded[1].started);
    auto dropped = rig.engine.replace_upcoming(
        2, {rig.item("c2", MediaType::Image, milliseconds{8500}, milliseconds{5000})});
    CHECK(dropped == std::vector<std::string>{"c"});
    CHECK(rig.renderer.stops() == 0);
    REQUIRE(rig.renderer.loads().size() == 2);  // nothing reloaded, nothing replaced
    rig.clock.advance(milliseconds{3500});
    rig.renderer.finish();
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].entry_id == "a");
    CHECK(rig.ended()[0].outcome == Outcome::Completed);
    CHECK(rig.ended()[0].ended_wall - *rig.ended()[0].started_wall == milliseconds{5000});
    REQUIRE(rig.renderer.loads().size() == 3);
    CHECK(rig.renderer.loads()[2].request.location == "/media/c2");
    CHECK(rig.renderer.loads()[2].mode == LoadMode::Append);
}

TEST_CASE("replace_upcoming with a changed successor lets the current item end, then replaces the playlist",
          "[player][engine][continuity]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Video, milliseconds{0}, milliseconds{5000}),
                        rig.item("b", MediaType::Video, milliseconds{5000}, milliseconds{5000})});
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    rig.clock.advance(milliseconds{2000});
    auto dropped = rig.engine.replace_upcoming(
        1, {rig.item("x", MediaType::Image, milliseconds{3000}, milliseconds{4000})});
    CHECK(dropped == std::vector<std::string>{"b"});
    CHECK(rig.renderer.stops() == 0);
    CHECK(rig.renderer.loads().size() == 2);  // "x" waits until "a" has ended
    CHECK(rig.engine.time_until_next_action(Duration{1000}) == milliseconds{1000});  // no busy wait meanwhile
    rig.clock.advance(milliseconds{3000});
    rig.renderer.finish();  // "a" ends; the renderer moves on to the stale "b"
    rig.pump();
    REQUIRE(rig.renderer.loads().size() == 3);
    CHECK(rig.renderer.loads()[2].request.location == "/media/x");
    CHECK(rig.renderer.loads()[2].mode == LoadMode::Replace);
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    CHECK(rig.engine.now_playing() == "x");
    const auto ended = rig.ended();
    REQUIRE_FALSE(ended.empty());
    CHECK(ended[0].entry_id == "a");
    CHECK(ended[0].outcome == Outcome::Completed);
    for (const auto& end : ended) CHECK(end.entry_id != "x");
}

TEST_CASE("replace_upcoming keeping nothing is an interrupt", "[player][engine][continuity]") {
    Rig rig;
    rig.engine.enqueue({rig.item("a", MediaType::Video, milliseconds{0}, milliseconds{5000})});
    rig.pump();
    rig.renderer.first_frame();
    rig.pump();
    rig.engine.replace_upcoming(0, {rig.item("n", MediaType::Video, milliseconds{0}, milliseconds{3000})});
    REQUIRE(rig.renderer.loads().size() == 2);
    CHECK(rig.renderer.loads()[1].mode == LoadMode::Replace);
    rig.pump();
    REQUIRE(rig.ended().size() == 1);
    CHECK(rig.ended()[0].outcome == Outcome::Interrupted);
}

TEST_CASE(
    "a notice that cannot be drawn on a screen still plays its sound track: an alert's tone is never lost",
    "[player][engine][alert]") {
    EngineOptions options;
    options.device_kind = scheduler::DeviceKind::Screen;
    Rig rig{options};  // no notice renderer: every notice fails to draw
    PlayItem siren = rig.item("siren", MediaType::Text, milliseconds{0}, milliseconds{6000});
    siren.location.clear();
    siren.text = "Lũ quét\n\nDi chuyển lên vùng cao ngay.";
    siren.audio_location = "/media/siren.wav";
    PlayItem mute = rig.item("mute", MediaType::Text, milliseconds{6000}, milliseconds{4000});
    mute.location.clear();
    mute.text = "Thông báo không có tiếng";
    rig.engine.enqueue({siren, mute});
    rig.pump();
    REQUIRE_FALSE(rig.renderer.loads().empty());
    CHECK(rig.renderer.loads().front().request.location == "/media/siren.wav");
    CHECK_FALSE(rig.renderer.loads().front().option("image-display-duration"));
    // The silent notice has nothing to fall back on: it fails, as before.
    rig.clock.advance(milliseconds{7000});
    rig.renderer.finish();
    rig.pump();
    rig.engine.tick();
    rig.pump();
    bool mute_failed = false;
    for (const auto& ended : rig.ended())
        if (ended.entry_id == "mute")
            mute_failed = ended.outcome == Outcome::Failed;
    CHECK(mute_failed);
}
