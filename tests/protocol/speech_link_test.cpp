// Text notices and their speech on the wire and on the device kind that plays them.

#include "bantin/protocol/speech_link.hpp"
#include "bantin/protocol/codec.hpp"
#include "protocol/sample_messages.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace bantin;
using namespace bantin::protocol;

namespace {

const std::string text_sha = std::string(64, 'e');
const std::string other_text_sha = std::string(64, 'f');

scheduler::MediaRef text_notice(const std::string& sha256, std::optional<std::string> speech) {
    scheduler::MediaRef media;
    media.sha256 = sha256;
    media.type = scheduler::MediaType::Text;
    media.duration = Duration{95'000};
    media.has_audio = true;
    media.speech = std::move(speech);
    return media;
}

// The sample alert with its playlist as [text notice spoken by the sample audio].
AlertMessage text_alert() {
    AlertMessage message = samples::alert();
    message.playlist.items = {scheduler::PlaylistItem{text_sha, std::nullopt, 1}};
    message.media.push_back(text_notice(text_sha, samples::audio_sha));
    message.manifest.push_back(MediaEntry{text_sha, 64, scheduler::MediaType::Text, Duration{95'000},
                                          "https://bantin.example/media/" + text_sha});
    return message;
}

scheduler::Model model_of(const AlertMessage& message) {
    scheduler::Model model;
    model.playlists = {message.playlist};
    model.media = message.media;
    return model;
}

}  // namespace

TEST_CASE("an alert whose text notice links its speech round-trips with the link", "[speech]") {
    const AlertMessage message = text_alert();
    const std::string encoded = encode(message);
    CHECK(nlohmann::json::parse(encoded)["media"][1]["speech"] == samples::audio_sha);
    CHECK_FALSE(nlohmann::json::parse(encoded)["media"][0].contains("speech"));
    auto decoded = decode_alert(encoded);
    REQUIRE(decoded);
    CHECK(*decoded == message);
    CHECK(decoded->media[1].speech == samples::audio_sha);
}

TEST_CASE("an alert naming speech on audio media is refused with the field's path", "[speech]") {
    nlohmann::json document = nlohmann::json::parse(encode(text_alert()));
    document["media"][0]["speech"] = samples::audio_sha;
    auto decoded = decode_alert(document.dump());
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().code == Errc::InvalidInput);
    CHECK(decoded.error().detail ==
          "alert.media[0].speech: only a text notice has speech, this media is audio");
}

TEST_CASE("a speaker plays a linked text notice as its speech audio", "[speech]") {
    AlertMessage message = text_alert();
    message.playlist.items.front().duration = Duration{30'000};
    scheduler::Model model = model_of(message);
    const auto replaced = speak_text_notices(model, scheduler::DeviceKind::Speaker);
    CHECK(replaced == std::set<std::string>{text_sha});
    REQUIRE(model.playlists[0].items.size() == 1);
    CHECK(model.playlists[0].items[0].media == samples::audio_sha);
    CHECK(model.playlists[0].items[0].duration == Duration{30'000});  // the item's override stays
    REQUIRE(model.media.size() == 1);
    CHECK(model.media[0].type == scheduler::MediaType::Audio);

    drop_manifest_entries(message.manifest, replaced);
    REQUIRE(message.manifest.size() == 1);
    CHECK(message.manifest[0].sha256 == samples::audio_sha);
}

TEST_CASE("a screen keeps the text notice and its link", "[speech]") {
    const AlertMessage message = text_alert();
    scheduler::Model model = model_of(message);
    const scheduler::Model before = model;
    CHECK(speak_text_notices(model, scheduler::DeviceKind::Screen).empty());
    CHECK(model == before);
}

TEST_CASE("a text notice without speech, or whose speech is not in the model, stays as it is", "[speech]") {
    scheduler::Model model;
    model.media = {text_notice(text_sha, std::nullopt), text_notice(other_text_sha, samples::audio_sha)};
    model.playlists = {
        scheduler::Playlist{"p", "", {{text_sha, std::nullopt, 1}, {other_text_sha, std::nullopt, 1}}}};
    const scheduler::Model before = model;
    CHECK(speak_text_notices(model, scheduler::DeviceKind::Speaker).empty());
    CHECK(model == before);
}

TEST_CASE("every item naming a linked notice is replaced, in every playlist, other items untouched",
          "[speech]") {
    AlertMessage message = text_alert();
    scheduler::Model model = model_of(message);
    scheduler::MediaRef video;
    video.sha256 = samples::video_sha;
    video.type = scheduler::MediaType::Video;
    video.duration = Duration{10'000};
    model.media.push_back(video);
    model.playlists[0].items.push_back({samples::video_sha, std::nullopt, 2});
    model.playlists.push_back(scheduler::Playlist{"second", "", {{text_sha, std::nullopt, 3}}});
    REQUIRE(scheduler::validate(model));

    speak_text_notices(model, scheduler::DeviceKind::Speaker);
    CHECK(model.playlists[0].items[0].media == samples::audio_sha);
    CHECK(model.playlists[0].items[1].media == samples::video_sha);
    CHECK(model.playlists[0].items[1].weight == 2);
    CHECK(model.playlists[1].items[0].media == samples::audio_sha);
    CHECK(model.playlists[1].items[0].weight == 3);
    CHECK(scheduler::validate(model));  // still a whole model: nothing names the removed text
}

TEST_CASE("a speaker drops its ticker campaigns instead of speaking them, and a screen keeps them",
          "[speech]") {
    const AlertMessage message = text_alert();
    scheduler::Model model = model_of(message);
    scheduler::Campaign news;
    news.id = "news";
    news.playlist = message.playlist.id;
    scheduler::Campaign crawl = news;
    crawl.id = "crawl";
    crawl.region = scheduler::Region::Ticker;
    model.campaigns = {news, crawl};

    scheduler::Model on_screen = model;
    CHECK(speak_text_notices(on_screen, scheduler::DeviceKind::Screen).empty());
    CHECK(on_screen == model);

    CHECK(speak_text_notices(model, scheduler::DeviceKind::Speaker) == std::set<std::string>{text_sha});
    REQUIRE(model.campaigns.size() == 1);
    CHECK(model.campaigns[0].id == "news");
    // What remains is a valid model: no ticker campaign is left naming audio.
    CHECK(scheduler::validate(model));
}
