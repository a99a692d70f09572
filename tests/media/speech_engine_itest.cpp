// The command and HTTP speech engines for real: shell scripts the test writes (calling espeak-ng
// or sox), a cpp-httplib server on a free 127.0.0.1 port, and every way either can fail, each
// ending with espeak-ng speaking the text instead and saying so.

#include "bantin/media/probe.hpp"
#include "bantin/media/sha256.hpp"
#include "bantin/media/speech.hpp"
#include "bantin/media/speech_text.hpp"
#include "http_test_server.hpp"
#include "media_test_support.hpp"
#include "wav_test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

using namespace bantin;
using namespace bantin::media;
using namespace std::chrono_literals;
using bantin::media::testing::count_files;
using bantin::media::testing::HttpTestServer;
using bantin::media::testing::make_tone_wav;
using bantin::media::testing::read_file;
using bantin::media::testing::TemporaryDirectory;
using bantin::media::testing::ToneWavShape;
using bantin::media::testing::write_file;

namespace {

constexpr std::string_view engine_notice = "Thông báo: 17h30 ngày 20/11 họp tổ dân phố tại nhà văn hóa.";

struct SpeechEngineRig {
    TemporaryDirectory directory;
    ContentStore store = *ContentStore::open(directory.path() / "store");

    // An executable shell script in the test's directory.
    std::string script(std::string_view name, std::string_view body) {
        const auto path = directory.path() / name;
        write_file(path, "#!/bin/sh\n" + std::string{body} + "\n");
        std::filesystem::permissions(path, std::filesystem::perms::owner_all);
        return path.string();
    }
    std::string here(std::string_view name) const { return (directory.path() / name).string(); }

    SpeechOptions command(std::vector<std::string> argv) const {
        SpeechOptions options;
        options.engine.kind = SpeechEngine::Command;
        options.engine.command = std::move(argv);
        return options;
    }
    static SpeechOptions http(std::string url) {
        SpeechOptions options;
        options.engine.kind = SpeechEngine::Http;
        options.engine.url = std::move(url);
        return options;
    }
    std::size_t leftovers() const { return count_files(store.temporary_directory()); }
};

// espeak-ng spoke the notice in place of the engine, and the result says why.
void require_espeak_stood_in(const Result<SpeechAudio>& speech, std::string_view reason) {
    INFO((speech ? speech->fallback_reason : speech.error().message()));
    REQUIRE(speech);
    CHECK(speech->engine == SpeechEngine::Espeak);
    CHECK(speech->fallback_reason.find(reason) != std::string::npos);
    CHECK(speech->duration > 1s);  // the whole notice, not a stub
}

// A body served in 64 KiB chunks, without a Content-Length.
void serve_chunked(httplib::Response& response, std::shared_ptr<const std::string> body) {
    response.set_chunked_content_provider("audio/wav", [body](std::size_t offset, httplib::DataSink& sink) {
        if (offset >= body->size()) {
            sink.done();
            return true;
        }
        return sink.write(body->data() + offset, std::min<std::size_t>(64 * 1024, body->size() - offset));
    });
}

}  // namespace

// ---------------------------------------------------------------------------- command engine

TEST_CASE("a command engine speaks from the text file, never from its arguments", "[media][speech][engine]") {
    SpeechEngineRig rig;
    const std::string say =
        rig.script("say.sh", "printf '%s\\n' \"$@\" > '" + rig.here("argv") + "'\n" + "cp \"$1\" '" +
                                 rig.here("text_file") + "'\n" + "cat > '" + rig.here("stdin") + "'\n" +
                                 "exec espeak-ng -v \"$3\" -b 1 -f \"$1\" -w \"$2\"");
    auto speech =
        synthesize_speech(engine_notice, rig.store, rig.command({say, "{text_file}", "{wav}", "{voice}"}));
    INFO((speech ? "" : speech.error().message()));
    REQUIRE(speech);
    CHECK(speech->engine == SpeechEngine::Command);
    CHECK(speech->fallback_reason.empty());
    CHECK(speech->format == SpeechFormat::Opus);
    CHECK(speech->duration > 2s);
    auto stored = rig.store.lookup(speech->object.sha256);
    REQUIRE(stored);
    auto probed = probe_media(*stored);
    REQUIRE(probed);
    CHECK(probed->audio_codec == "opus");

    const std::string spoken = speakable_vietnamese(engine_notice) + "\n";
    CHECK(read_file(rig.here("text_file")) == spoken);
    CHECK(read_file(rig.here("stdin")) == spoken);
    const std::string argv = read_file(rig.here("argv"));
    CHECK(argv.find("engine.txt\n") != std::string::npos);
    CHECK(argv.find("engine.wav\n") != std::string::npos);
    CHECK(argv.ends_with("\nvi-vn-x-south\n"));
    CHECK(argv.find("Thông báo") == std::string::npos);
    CHECK(rig.leftovers() == 0);
}

TEST_CASE("a command engine's WAV is kept as is for a device, with no ffmpeg", "[media][speech][engine]") {
    SpeechEngineRig rig;
    const std::string tone = rig.script("tone.sh", "exec sox -n -r 16000 -b 16 -c 1 \"$1\" synth 2 sine 440");
    SpeechOptions options = rig.command({tone, "{wav}"});
    options.format = SpeechFormat::Wav;
    options.ffmpeg = "/nonexistent/ffmpeg";
    options.probe.ffprobe = "/nonexistent/ffprobe";
    auto speech = synthesize_speech(engine_notice, rig.store, options);
    INFO((speech ? "" : speech.error().message()));
    REQUIRE(speech);
    CHECK(speech->engine == SpeechEngine::Command);
    CHECK(speech->format == SpeechFormat::Wav);
    CHECK(speech->duration == 2000ms);  // sox's tone, not espeak-ng's words
    CHECK(speech->object.size >= 2 * 16000 * 2);
}

TEST_CASE("a command engine that exits non-zero is replaced by espeak-ng", "[media][speech][engine]") {
    SpeechEngineRig rig;
    const std::string broken = rig.script("broken.sh", "echo 'model vi.onnx missing' >&2\nexit 3");
    auto speech = synthesize_speech(engine_notice, rig.store, rig.command({broken, "{wav}"}));
    require_espeak_stood_in(speech, "exit status 3: model vi.onnx missing");
    CHECK(rig.leftovers() == 0);
}

TEST_CASE("a command engine that runs too long is killed and replaced by espeak-ng",
          "[media][speech][engine]") {
    SpeechEngineRig rig;
    const std::string slow = rig.script("slow.sh", "exec sleep 60");
    SpeechOptions options = rig.command({slow, "{wav}"});
    options.engine.timeout = 500ms;
    require_espeak_stood_in(synthesize_speech(engine_notice, rig.store, options),
                            "did not finish within 500 ms");
}

TEST_CASE("a command engine that is not installed is replaced by espeak-ng", "[media][speech][engine]") {
    SpeechEngineRig rig;
    require_espeak_stood_in(
        synthesize_speech(engine_notice, rig.store, rig.command({"/nonexistent/bantin-tts", "{wav}"})),
        "the speech command /nonexistent/bantin-tts did not run");
}

TEST_CASE("a command engine that writes garbage or nothing is replaced by espeak-ng",
          "[media][speech][engine]") {
    SpeechEngineRig rig;
    const std::string garbage = rig.script("garbage.sh", "printf 'ID3 not a wav at all' > \"$1\"");
    require_espeak_stood_in(synthesize_speech(engine_notice, rig.store, rig.command({garbage, "{wav}"})),
                            "engine.wav is not a RIFF/WAVE file");
    const std::string silent = rig.script("silent.sh", "exit 0");
    require_espeak_stood_in(synthesize_speech(engine_notice, rig.store, rig.command({silent, "{wav}"})),
                            "wrote no WAV file");
    write_file(rig.here("header-only.wav"), make_tone_wav(2000).substr(0, 44));
    const std::string header = rig.script("header.sh", "cp '" + rig.here("header-only.wav") + "' \"$1\"");
    require_espeak_stood_in(synthesize_speech(engine_notice, rig.store, rig.command({header, "{wav}"})),
                            "holds no samples");
}

TEST_CASE("a command engine's WAV over the size limit is replaced by espeak-ng", "[media][speech][engine]") {
    SpeechEngineRig rig;
    const std::string huge =
        rig.script("huge.sh", "exec sox -n -r 48000 -b 16 -c 2 \"$1\" synth 30 sine 440");
    SpeechOptions options = rig.command({huge, "{wav}"});
    options.max_wav_bytes = 2 * 1024 * 1024;  // espeak-ng's few seconds fit
    require_espeak_stood_in(synthesize_speech(engine_notice, rig.store, options),
                            "over the limit of 2097152");
}

TEST_CASE("a voice that would be an option is refused before any engine runs", "[media][speech][engine]") {
    SpeechEngineRig rig;
    const std::string marker = rig.here("ran");
    const std::string say = rig.script("say.sh", "touch '" + marker + "'");
    SpeechOptions options = rig.command({say, "{voice}", "{wav}"});
    options.voice = "--output=/tmp/owned";
    auto speech = synthesize_speech(engine_notice, rig.store, options);
    REQUIRE_FALSE(speech);
    CHECK(speech.error().code == Errc::InvalidInput);
    CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("espeak-ng stands in with its own voice when it lacks the engine's", "[media][speech][engine]") {
    SpeechEngineRig rig;
    const std::string broken = rig.script("broken.sh", "exit 1");
    SpeechOptions options = rig.command({broken, "--model", "{voice}", "{wav}"});
    options.voice = "vi_VN-vais1000-medium";
    require_espeak_stood_in(synthesize_speech(engine_notice, rig.store, options), "exit status 1");
}

TEST_CASE("when espeak-ng fails too the error names both failures", "[media][speech][engine]") {
    SpeechEngineRig rig;
    const std::string broken = rig.script("broken.sh", "echo 'no GPU' >&2\nexit 2");
    SpeechOptions options = rig.command({broken, "{wav}"});
    options.espeak = "/nonexistent/espeak-ng";
    auto speech = synthesize_speech(engine_notice, rig.store, options);
    REQUIRE_FALSE(speech);
    CHECK(speech.error().detail.find("espeak-ng failed too") != std::string::npos);
    CHECK(speech.error().detail.find("exit status 2: no GPU") != std::string::npos);
    CHECK(speech.error().detail.find("/nonexistent/espeak-ng") != std::string::npos);
    CHECK(rig.leftovers() == 0);
}

// ------------------------------------------------------------------------------- HTTP engine

TEST_CASE("an HTTP engine is sent the text and voice as JSON and its WAV is used",
          "[media][speech][engine]") {
    SpeechEngineRig rig;
    const std::string wav = make_tone_wav(1500);
    std::mutex mutex;
    std::string request_body;
    std::string request_type;
    HttpTestServer server;
    server.routes().Post("/speak", [&](const httplib::Request& request, httplib::Response& response) {
        {
            std::lock_guard lock{mutex};
            request_body = request.body;
            request_type = request.get_header_value("Content-Type");
        }
        response.set_content(wav, "audio/wav");
    });
    server.start();
    SpeechOptions options = SpeechEngineRig::http(server.url("/speak"));
    options.format = SpeechFormat::Wav;
    auto speech = synthesize_speech(engine_notice, rig.store, options);
    INFO((speech ? "" : speech.error().message()));
    REQUIRE(speech);
    CHECK(speech->engine == SpeechEngine::Http);
    CHECK(speech->fallback_reason.empty());
    CHECK(speech->duration == 1500ms);
    CHECK(speech->object.sha256 == sha256_hex(wav));  // the service's WAV, byte for byte

    std::lock_guard lock{mutex};
    CHECK(request_type == "application/json");
    const auto json = nlohmann::json::parse(request_body);
    CHECK(json.at("text") == speakable_vietnamese(engine_notice));
    CHECK(json.at("voice") == "vi-vn-x-south");
    CHECK(rig.leftovers() == 0);
}

TEST_CASE("an HTTP engine's WAV is encoded to Opus like espeak-ng's", "[media][speech][engine]") {
    SpeechEngineRig rig;
    ToneWavShape shape;
    shape.sample_rate = 24000;
    const std::string wav = make_tone_wav(3000, shape);
    HttpTestServer server;
    server.routes().Post("/speak", [&](const httplib::Request&, httplib::Response& response) {
        response.set_content(wav, "audio/x-wav");
    });
    server.start();
    auto speech = synthesize_speech(engine_notice, rig.store, SpeechEngineRig::http(server.url("/speak")));
    INFO((speech ? "" : speech.error().message()));
    REQUIRE(speech);
    CHECK(speech->engine == SpeechEngine::Http);
    CHECK(speech->format == SpeechFormat::Opus);
    CHECK(speech->duration > 2500ms);
    CHECK(speech->duration < 3500ms);
}

TEST_CASE("an HTTP engine that answers 500 is replaced by espeak-ng", "[media][speech][engine]") {
    SpeechEngineRig rig;
    HttpTestServer server;
    server.routes().Post("/speak", [](const httplib::Request&, httplib::Response& response) {
        response.status = 500;
        response.set_content("mô hình chưa nạp\r\nmodel not loaded", "text/plain; charset=utf-8");
    });
    server.start();
    require_espeak_stood_in(
        synthesize_speech(engine_notice, rig.store, SpeechEngineRig::http(server.url("/speak"))),
        "HTTP 500: mô hình chưa nạp  model not loaded");
}

TEST_CASE("an HTTP engine nobody listens on is replaced by espeak-ng", "[media][speech][engine]") {
    SpeechEngineRig rig;
    std::string closed;
    {
        HttpTestServer gone;
        gone.start();
        closed = gone.url("/speak");
    }
    auto speech = synthesize_speech(engine_notice, rig.store, SpeechEngineRig::http(closed));
    require_espeak_stood_in(speech, "speech service " + closed + ": ");
    REQUIRE(speech);
    CHECK(speech->fallback_reason.find("onnect") != std::string::npos);
}

TEST_CASE("an HTTP engine that answers no WAV is replaced by espeak-ng", "[media][speech][engine]") {
    SpeechEngineRig rig;
    HttpTestServer server;
    server.routes().Post("/html-as-wav", [](const httplib::Request&, httplib::Response& response) {
        response.set_content("<html><body>Đang bảo trì</body></html>", "audio/wav");
    });
    server.routes().Post("/html", [](const httplib::Request&, httplib::Response& response) {
        response.set_content("<html><body>Đăng nhập</body></html>", "text/html; charset=utf-8");
    });
    server.routes().Post("/empty",
                         [](const httplib::Request&, httplib::Response& response) { response.status = 204; });
    server.start();
    require_espeak_stood_in(
        synthesize_speech(engine_notice, rig.store, SpeechEngineRig::http(server.url("/html-as-wav"))),
        "engine.wav is not a RIFF/WAVE file");
    require_espeak_stood_in(
        synthesize_speech(engine_notice, rig.store, SpeechEngineRig::http(server.url("/html"))),
        "answered text/html; charset=utf-8, not audio/wav");
    require_espeak_stood_in(
        synthesize_speech(engine_notice, rig.store, SpeechEngineRig::http(server.url("/empty"))),
        "not a RIFF/WAVE file");
}

TEST_CASE("an HTTP engine's answer over the size limit is cut off and replaced by espeak-ng",
          "[media][speech][engine]") {
    SpeechEngineRig rig;
    ToneWavShape wide;
    wide.channels = 2;
    wide.sample_rate = 48000;
    auto huge = std::make_shared<const std::string>(make_tone_wav(30'000, wide));  // 5.8 MB
    HttpTestServer server;
    server.routes().Post("/sized", [&](const httplib::Request&, httplib::Response& response) {
        response.set_content(*huge, "audio/wav");
    });
    server.routes().Post("/chunked", [&](const httplib::Request&, httplib::Response& response) {
        serve_chunked(response, huge);
    });
    server.start();
    for (const std::string path : {"/sized", "/chunked"}) {
        INFO(path);
        SpeechOptions options = SpeechEngineRig::http(server.url(path));
        options.max_wav_bytes = 2 * 1024 * 1024;
        require_espeak_stood_in(synthesize_speech(engine_notice, rig.store, options),
                                "answered more than 2097152 bytes");
    }
    CHECK(rig.leftovers() == 0);
}

TEST_CASE("an HTTP engine that does not answer in time is replaced by espeak-ng", "[media][speech][engine]") {
    SpeechEngineRig rig;
    std::atomic<bool> released{false};
    HttpTestServer server;
    server.routes().Post("/slow", [&](const httplib::Request&, httplib::Response& response) {
        for (int waited = 0; waited < 3000 && !released; ++waited) std::this_thread::sleep_for(10ms);
        response.set_content(make_tone_wav(500), "audio/wav");
    });
    server.start();
    SpeechOptions options = SpeechEngineRig::http(server.url("/slow"));
    options.engine.timeout = 500ms;
    auto speech = synthesize_speech(engine_notice, rig.store, options);
    released = true;
    require_espeak_stood_in(speech, "timed out");
}
