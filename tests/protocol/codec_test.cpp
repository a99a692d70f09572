#include "bantin/protocol/codec.hpp"
#include "protocol/sample_messages.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

using namespace bantin;
using namespace bantin::protocol;
using nlohmann::json;

namespace {

// Re-encodes `text` after `edit` changed its JSON form.
std::string edited(const std::string& text, const std::function<void(json&)>& edit) {
    json document = json::parse(text);
    edit(document);
    return document.dump();
}

template <class Decode>
void check_error(Decode decode, const std::string& text, Errc code, const std::string& path) {
    auto decoded = decode(text);
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().code == code);
    CHECK_THAT(decoded.error().detail, Catch::StartsWith(path));
}

Command screenshot_command() {
    auto command = samples::command("cmd-000124");
    command.kind = CommandKind::Screenshot;
    command.volume.reset();
    command.upload_url =
        "https://bantin.example/api/v1/devices/" + std::string(samples::device) + "/screenshot";
    return command;
}

}  // namespace

TEST_CASE("bundle round trips", "[protocol][codec]") {
    auto bundle = samples::bundle();
    auto decoded = decode_bundle(encode(bundle));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == bundle);
}

TEST_CASE("command round trips, with and without args", "[protocol][codec]") {
    auto command = samples::command();
    auto decoded = decode_command(encode(command));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == command);

    command.kind = CommandKind::Screenshot;
    command.volume.reset();
    auto screenshot = decode_command(encode(command));
    REQUIRE(screenshot.has_value());
    CHECK(*screenshot == command);
}

TEST_CASE("screenshot command round trips with and without an upload URL", "[protocol][codec][screenshot]") {
    auto command = screenshot_command();
    auto encoded = encode(command);
    CHECK(json::parse(encoded)["args"]["upload_url"] ==
          "https://bantin.example/api/v1/devices/loa-phuong-1-cong-uy-ban/screenshot");
    auto decoded = decode_command(encoded);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == command);

    command.upload_url = "http://127.0.0.1:8080/api/v1/devices/d/screenshot";
    decoded = decode_command(encode(command));
    REQUIRE(decoded.has_value());
    CHECK(decoded->upload_url == command.upload_url);

    command.upload_url.reset();
    encoded = encode(command);
    CHECK(json::parse(encoded)["args"] == json::object());
    decoded = decode_command(encoded);
    REQUIRE(decoded.has_value());
    CHECK_FALSE(decoded->upload_url.has_value());
}

TEST_CASE("screenshot upload URL of exactly 2048 bytes is accepted", "[protocol][codec][screenshot]") {
    auto command = screenshot_command();
    std::string url = "https://bantin.example/";
    url += std::string(max_upload_url_bytes - url.size(), 'a');
    REQUIRE(url.size() == 2048);
    command.upload_url = url;
    auto decoded = decode_command(encode(command));
    REQUIRE(decoded.has_value());
    CHECK(decoded->upload_url == url);
}

TEST_CASE("every screenshot upload URL refusal names command.args.upload_url",
          "[protocol][codec][screenshot]") {
    auto base = encode(screenshot_command());
    std::string too_long = "https://bantin.example/" + std::string(2048, 'a');
    std::vector<std::pair<std::function<void(json&)>, std::string>> cases{
        {[](json& j) { j["args"]["upload_url"] = 5; }, "command.args.upload_url"},
        {[](json& j) { j["args"]["upload_url"] = nullptr; }, "command.args.upload_url"},
        {[](json& j) { j["args"]["upload_url"] = "ftp://bantin.example/x"; },
         "command.args.upload_url: expected an http:// or https:// URL"},
        {[](json& j) { j["args"]["upload_url"] = "file:///etc/passwd"; },
         "command.args.upload_url: expected an http"},
        {[](json& j) { j["args"]["upload_url"] = "/api/v1/devices/d/screenshot"; },
         "command.args.upload_url: expected an http"},
        {[](json& j) { j["args"]["upload_url"] = "https://"; },
         "command.args.upload_url: the URL has no host"},
        {[](json& j) { j["args"]["upload_url"] = "http:///x"; },
         "command.args.upload_url: the URL has no host"},
        {[](json& j) { j["args"]["upload_url"] = "https://a.example/x y"; },
         "command.args.upload_url: spaces and control characters"},
        {[](json& j) { j["args"]["upload_url"] = "https://a.example/x\r\nHost: evil"; },
         "command.args.upload_url: spaces and control characters"},
        {[too_long](json& j) { j["args"]["upload_url"] = too_long; },
         "command.args.upload_url: 2071 bytes, at most 2048"},
        {[](json& j) { j["args"]["extra"] = 1; }, "command.args.extra: unknown field"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << ", expected " << cases[i].second);
        check_error(decode_command, edited(base, cases[i].first), Errc::InvalidInput, cases[i].second);
    }
}

TEST_CASE("upload_url is refused on every command kind but screenshot", "[protocol][codec][screenshot]") {
    auto base = encode(screenshot_command());
    for (const char* kind : {"ping", "reload"}) {
        INFO(kind);
        check_error(decode_command, edited(base, [kind](json& j) { j["kind"] = kind; }), Errc::InvalidInput,
                    "command.args.upload_url: unknown field");
    }
    auto set_volume = edited(base, [](json& j) {
        j["kind"] = "set-volume";
        j["args"]["volume"] = 40;
    });
    check_error(decode_command, set_volume, Errc::InvalidInput, "command.args.upload_url: unknown field");
}

TEST_CASE("the screenshot command example in docs/protocol.md is these bytes",
          "[protocol][codec][docs][screenshot]") {
    auto page_path = std::filesystem::path(BANTIN_SOURCE_DIR) / "docs" / "protocol.md";
    std::ifstream in(page_path);
    std::ostringstream page;
    page << in.rdbuf();
    auto block = "```json\n" + encode(screenshot_command()) + "\n```";
    INFO(block);
    CHECK(page.str().find(block) != std::string::npos);
}

TEST_CASE("alert round trips", "[protocol][codec]") {
    auto alert = samples::alert();
    auto decoded = decode_alert(encode(alert));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == alert);
}

TEST_CASE("alert cancel round trips", "[protocol][codec]") {
    auto cancel = samples::alert_cancel();
    auto decoded = decode_alert_cancel(encode(cancel));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == cancel);
}

TEST_CASE("status round trips, full and as a minimal last will", "[protocol][codec]") {
    auto status = samples::status();
    auto decoded = decode_status(encode(status));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == status);

    status.presence = Presence::Offline;
    status.now_playing.reset();
    status.download.reset();
    status.last_error.reset();
    auto will = decode_status(encode(status));
    REQUIRE(will.has_value());
    CHECK(*will == status);
}

TEST_CASE("proof-of-play batch round trips", "[protocol][codec]") {
    auto batch = samples::proof_of_play();
    auto decoded = decode_proof_of_play(encode(batch));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == batch);
}

TEST_CASE("a row note, a replayed-bundle count and an unhealthy reason round trip and are sent only when set",
          "[protocol][codec]") {
    auto batch = samples::proof_of_play();
    batch.rows.resize(2);                                        // the rows without a note
    CHECK(encode(batch).find("\"note\"") == std::string::npos);  // rows as before: the same bytes
    batch.rows[0].note = "audio: unavailable";
    auto decoded = decode_proof_of_play(encode(batch));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == batch);

    auto status = samples::status();
    const std::string plain = encode(status);
    CHECK(plain.find("replayed_bundles") == std::string::npos);
    CHECK(plain.find("unhealthy") == std::string::npos);
    status.replayed_bundles = 3;
    status.unhealthy =
        "không mở được đầu ra âm thanh / audio output unavailable: audio output initialization failed";
    auto decoded_status = decode_status(encode(status));
    REQUIRE(decoded_status.has_value());
    CHECK(*decoded_status == status);

    check_error(decode_proof_of_play, edited(encode(batch), [](json& j) { j["rows"][0]["note"] = 7; }),
                Errc::InvalidInput, "pop.rows[0].note");
    check_error(decode_proof_of_play,
                edited(encode(batch), [](json& j) { j["rows"][0]["note"] = std::string(2000, 'x'); }),
                Errc::InvalidInput, "pop.rows[0].note: longer than");
    check_error(decode_status, edited(encode(status), [](json& j) { j["replayed_bundles"] = -1; }),
                Errc::InvalidInput, "status.replayed_bundles");
    check_error(decode_status, edited(encode(status), [](json& j) { j["unhealthy"] = false; }),
                Errc::InvalidInput, "status.unhealthy");
}

TEST_CASE("a relay row's figures round trip, other rows carry none, and a row without them still decodes",
          "[protocol][codec][relay]") {
    auto batch = samples::proof_of_play();
    REQUIRE(batch.rows.size() == 3);
    REQUIRE(batch.rows[2].relay);
    const json sent = json::parse(encode(batch));
    CHECK(sent["rows"][2]["relayed_ms"] == 1'740'000);
    CHECK(sent["rows"][2]["filler_ms"] == 55'000);
    CHECK(sent["rows"][2]["source_losses"] == 1);
    // An ordinary row sends none of the three: its bytes are those of a player made before them.
    for (const char* key : {"relayed_ms", "filler_ms", "source_losses"}) {
        CHECK_FALSE(sent["rows"][0].contains(key));
        CHECK_FALSE(sent["rows"][1].contains(key));
    }
    auto decoded = decode_proof_of_play(encode(batch));
    REQUIRE(decoded.has_value());
    CHECK(decoded->rows[2].relay == RelayFigures{1'740'000, 55'000, 1});
    CHECK_FALSE(decoded->rows[0].relay);
    // An old player's relay row: only its note says how; the row is taken as it is.
    auto old_player = decode_proof_of_play(edited(encode(batch), [](json& j) {
        for (const char* key : {"relayed_ms", "filler_ms", "source_losses"}) j["rows"][2].erase(key);
    }));
    REQUIRE(old_player.has_value());
    CHECK_FALSE(old_player->rows[2].relay);
    CHECK(old_player->rows[2].note == batch.rows[2].note);
    // At the bounds: all of the play relayed, a failed relay with nothing relayed.
    auto whole = decode_proof_of_play(edited(encode(batch), [](json& j) {
        j["rows"][2]["relayed_ms"] = 1'800'000;
        j["rows"][2]["filler_ms"] = 0;
        j["rows"][2]["source_losses"] = 0;
    }));
    REQUIRE(whole.has_value());
    CHECK(whole->rows[2].relay == RelayFigures{1'800'000, 0, 0});
    auto failed = decode_proof_of_play(edited(encode(batch), [](json& j) {
        j["rows"][2]["duration_ms"] = 0;
        j["rows"][2]["relayed_ms"] = 0;
        j["rows"][2]["filler_ms"] = 0;
        j["rows"][2]["source_losses"] = 4;
    }));
    REQUIRE(failed.has_value());
    CHECK(failed->rows[2].relay == RelayFigures{0, 0, 4});
}

TEST_CASE("hostile relay figures are refused with the reason, naming the field", "[protocol][codec][relay]") {
    auto base = encode(samples::proof_of_play());
    std::vector<std::pair<std::function<void(json&)>, std::string>> cases{
        {[](json& j) { j["rows"][2]["relayed_ms"] = -1; }, "pop.rows[2].relayed_ms: must not be negative"},
        {[](json& j) { j["rows"][2]["filler_ms"] = -55000; }, "pop.rows[2].filler_ms: must not be negative"},
        {[](json& j) { j["rows"][2]["source_losses"] = -1; },
         "pop.rows[2].source_losses: must not be negative"},
        {[](json& j) { j["rows"][2]["relayed_ms"] = "1740000"; },
         "pop.rows[2].relayed_ms: expected a non-negative integer"},
        {[](json& j) { j["rows"][2]["filler_ms"] = 5.5; },
         "pop.rows[2].filler_ms: expected a non-negative integer"},
        {[](json& j) { j["rows"][2]["source_losses"] = true; },
         "pop.rows[2].source_losses: expected a non-negative integer"},
        {[](json& j) { j["rows"][2]["relayed_ms"] = nullptr; },
         "pop.rows[2].relayed_ms: expected a non-negative integer"},
        {[](json& j) { j["rows"][2]["relayed_ms"] = 1'800'001; },
         "pop.rows[2].relayed_ms: 1800001 is more than the row's duration_ms 1800000"},
        {[](json& j) { j["rows"][2]["filler_ms"] = 60'001; },
         "pop.rows[2].filler_ms: relayed_ms + filler_ms (1800001) is more than the row's duration_ms "
         "1800000"},
        {[](json& j) {
             j["rows"][2]["duration_ms"] = 18'446'744'073'709'551'615ULL;
             j["rows"][2]["relayed_ms"] = 18'446'744'073'709'551'615ULL;
         },
         "pop.rows[2].relayed_ms: 18446744073709551615 is over 604800000"},
        {[](json& j) {
             j["rows"][2]["duration_ms"] = 18'446'744'073'709'551'615ULL;
             j["rows"][2]["filler_ms"] = 604'800'001;
         },
         "pop.rows[2].filler_ms: 604800001 is over 604800000"},
        {[](json& j) { j["rows"][2]["source_losses"] = 100'001; },
         "pop.rows[2].source_losses: 100001 is over 100000"},
        {[](json& j) { j["rows"][2].erase("filler_ms"); },
         "pop.rows[2]: relayed_ms, filler_ms and source_losses come together"},
        {[](json& j) { j["rows"][0]["source_losses"] = 0; },
         "pop.rows[0]: relayed_ms, filler_ms and source_losses come together"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << ", expected " << cases[i].second);
        check_error(decode_proof_of_play, edited(base, cases[i].first), Errc::InvalidInput, cases[i].second);
    }
}

TEST_CASE("command reply round trips", "[protocol][codec]") {
    auto reply = samples::command_reply();
    auto decoded = decode_command_reply(encode(reply));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == reply);
}

TEST_CASE("ack round trips", "[protocol][codec]") {
    auto ack = samples::ack();
    auto decoded = decode_ack(encode(ack));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == ack);
}

TEST_CASE("encoding is deterministic and starts with v and type", "[protocol][codec]") {
    CHECK(encode(samples::bundle()) == encode(samples::bundle()));
    CHECK_THAT(encode(samples::ack()), Catch::StartsWith(R"({"v":1,"type":"ack",)"));
    CHECK_THAT(encode(samples::proof_of_play()), Catch::StartsWith(R"({"v":1,"type":"pop",)"));
}

TEST_CASE("alert topic and uplink dispatch on type", "[protocol][codec]") {
    auto alert = decode_alert_topic(encode(samples::alert()));
    REQUIRE(alert.has_value());
    CHECK(std::holds_alternative<AlertMessage>(*alert));
    auto cancel = decode_alert_topic(encode(samples::alert_cancel()));
    REQUIRE(cancel.has_value());
    CHECK(std::holds_alternative<AlertCancel>(*cancel));
    CHECK_FALSE(decode_alert_topic(encode(samples::ack())).has_value());

    auto batch = decode_uplink(encode(samples::proof_of_play()));
    REQUIRE(batch.has_value());
    CHECK(std::holds_alternative<ProofOfPlayBatch>(*batch));
    auto reply = decode_uplink(encode(samples::command_reply()));
    REQUIRE(reply.has_value());
    CHECK(std::holds_alternative<CommandReply>(*reply));
    CHECK_FALSE(decode_uplink(encode(samples::status())).has_value());
}

TEST_CASE("unknown message versions are refused as unsupported", "[protocol][codec]") {
    auto text = edited(encode(samples::command()), [](json& j) { j["v"] = 2; });
    check_error(decode_command, text, Errc::Unsupported, "command.v: version 2");
    auto bundle = edited(encode(samples::bundle()), [](json& j) { j["v"] = 0; });
    check_error(decode_bundle, bundle, Errc::Unsupported, "bundle.v");
    auto status = edited(encode(samples::status()), [](json& j) { j.erase("v"); });
    check_error(decode_status, status, Errc::InvalidInput, "status.v: missing");
}

TEST_CASE("a message of another type is refused naming type", "[protocol][codec]") {
    check_error(decode_command, encode(samples::ack()), Errc::InvalidInput, "command.type");
    check_error(decode_bundle, encode(samples::command()), Errc::InvalidInput, "bundle.type");
}

TEST_CASE("size limits are checked before parsing", "[protocol][codec]") {
    std::string huge(max_message_size + 1, ' ');
    check_error(decode_command, huge, Errc::TooLarge, "command");
    check_error(decode_status, huge, Errc::TooLarge, "status");
    check_error(decode_ack, huge, Errc::TooLarge, "ack");
    // A bundle may be larger than other messages, up to 4 MiB.
    auto bundle = decode_bundle(huge);
    REQUIRE_FALSE(bundle.has_value());
    CHECK(bundle.error().code == Errc::InvalidInput);
    check_error(decode_bundle, std::string(max_bundle_size + 1, ' '), Errc::TooLarge, "bundle");
    CHECK(size_limit(MessageType::Bundle) == 4 * 1024 * 1024);
    CHECK(size_limit(MessageType::Alert) == 64 * 1024);
}

TEST_CASE("text that is not JSON is refused with its byte offset", "[protocol][codec]") {
    auto decoded = decode_status("{\"v\":1,");
    REQUIRE_FALSE(decoded.has_value());
    CHECK_THAT(decoded.error().detail, Catch::Contains("syntax error at byte"));
}

// Each row: a change to a valid message, and the field path its error must name.
TEST_CASE("every bundle decode error names its field", "[protocol][codec]") {
    auto base = encode(samples::bundle());
    std::vector<std::pair<std::function<void(json&)>, std::string>> cases{
        {[](json& j) { j.erase("device"); }, "bundle.device: missing"},
        {[](json& j) { j["device"] = "a/b"; }, "bundle.device"},
        {[](json& j) { j["version"] = -1; }, "bundle.version"},
        {[](json& j) { j["version"] = 0; }, "bundle.version"},
        {[](json& j) { j["version"] = "7"; }, "bundle.version"},
        {[](json& j) { j["issued_at"] = "yesterday"; }, "bundle.issued_at"},
        {[](json& j) { j["expires_at"] = j["issued_at"]; }, "bundle.expires_at"},
        {[](json& j) { j["extra"] = 1; }, "bundle.extra: unknown field"},
        {[](json& j) { j["settings"]["default_volume"] = 101; }, "bundle.settings.default_volume"},
        {[](json& j) { j["settings"]["on_hours"][0] = "5am-9pm"; }, "bundle.settings.on_hours[0]"},
        {[](json& j) { j["settings"]["quiet_hours"] = "none"; }, "bundle.settings.quiet_hours"},
        {[](json& j) { j["settings"]["volume_schedule"][0]["volume"] = -5; },
         "bundle.settings.volume_schedule[0].volume"},
        {[](json& j) { j["settings"]["volume_schedule"][0]["window"] = 3; },
         "bundle.settings.volume_schedule[0].window"},
        {[](json& j) { j["manifest"][0]["sha256"] = "ABC"; }, "bundle.manifest[0].sha256"},
        {[](json& j) { j["manifest"][0]["size"] = 1.5; }, "bundle.manifest[0].size"},
        {[](json& j) { j["manifest"][0]["type"] = "hologram"; }, "bundle.manifest[0].type"},
        {[](json& j) { j["manifest"][0]["url"] = "ftp://x"; }, "bundle.manifest[0].url"},
        {[](json& j) { j["manifest"][0]["duration_ms"] = -1; }, "bundle.manifest[0].duration_ms"},
        {[](json& j) { j["manifest"].push_back(j["manifest"][0]); },
         "bundle.manifest[1].sha256: listed twice"},
        {[](json& j) { j["model"]["devices"][0]["id"] = "someone-else"; }, "bundle.model.devices"},
        {[](json& j) { j["model"]["campaigns"][0]["mode"] = 5; }, "bundle.model.campaigns[0]"},
        {[](json& j) { j.erase("model"); }, "bundle.model: missing"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << ", expected " << cases[i].second);
        check_error(decode_bundle, edited(base, cases[i].first), Errc::InvalidInput, cases[i].second);
    }
}

TEST_CASE("every command decode error names its field", "[protocol][codec]") {
    auto base = encode(samples::command());
    std::vector<std::pair<std::function<void(json&)>, std::string>> cases{
        {[](json& j) { j.erase("id"); }, "command.id: missing"},
        {[](json& j) { j["id"] = "#"; }, "command.id"},
        {[](json& j) { j["device"] = ""; }, "command.device"},
        {[](json& j) { j["kind"] = "reboot"; }, "command.kind: expected one of ping, set-volume"},
        {[](json& j) { j["args"] = json::object(); }, "command.args.volume: missing"},
        {[](json& j) { j["args"]["volume"] = 150; }, "command.args.volume"},
        {[](json& j) { j["args"]["loud"] = true; }, "command.args.loud: unknown field"},
        {[](json& j) { j["kind"] = "ping"; }, "command.args.volume: unknown field"},
        {[](json& j) { j["issued_at"] = 5; }, "command.issued_at"},
        {[](json& j) { j["expires_at"] = "2026-11-27T05:00:00Z"; }, "command.expires_at"},
        {[](json& j) { j["expires_at"] = "2026-11-29T05:00:00Z"; }, "command.expires_at: more than 24 hours"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << ", expected " << cases[i].second);
        check_error(decode_command, edited(base, cases[i].first), Errc::InvalidInput, cases[i].second);
    }
}

TEST_CASE("every alert and alert cancel decode error names its field", "[protocol][codec]") {
    auto alert = encode(samples::alert());
    std::vector<std::pair<std::function<void(json&)>, std::string>> alert_cases{
        {[](json& j) { j["alert"]["severity"] = "apocalyptic"; }, "alert.alert.severity"},
        {[](json& j) { j["alert"]["expires"] = j["alert"]["issued"]; }, "alert.alert.expires"},
        {[](json& j) { j["playlist"]["id"] = "pl-other"; }, "alert.playlist.id"},
        {[](json& j) { j["media"] = json::array(); }, "alert.playlist.items[0].media"},
        {[](json& j) { j["media"][0]["sha256"] = 1; }, "alert.media[0]"},
        {[](json& j) { j["manifest"][0]["size"] = "big"; }, "alert.manifest[0].size"},
        {[](json& j) { j.erase("playlist"); }, "alert.playlist: missing"},
    };
    for (std::size_t i = 0; i < alert_cases.size(); ++i) {
        INFO("case " << i << ", expected " << alert_cases[i].second);
        check_error(decode_alert, edited(alert, alert_cases[i].first), Errc::InvalidInput,
                    alert_cases[i].second);
    }
    auto cancel = encode(samples::alert_cancel());
    std::vector<std::pair<std::function<void(json&)>, std::string>> cancel_cases{
        {[](json& j) { j["alert_id"] = "a b"; }, "alert-cancel.alert_id"},
        {[](json& j) { j["zones"] = json::array(); }, "alert-cancel.zones"},
        {[](json& j) { j["zones"][1] = 7; }, "alert-cancel.zones[1]"},
        {[](json& j) { j["all_zones"] = "yes"; }, "alert-cancel.all_zones"},
        {[](json& j) { j["expires_at"] = j["issued_at"]; }, "alert-cancel.expires_at"},
    };
    for (std::size_t i = 0; i < cancel_cases.size(); ++i) {
        INFO("case " << i << ", expected " << cancel_cases[i].second);
        check_error(decode_alert_cancel, edited(cancel, cancel_cases[i].first), Errc::InvalidInput,
                    cancel_cases[i].second);
    }
}

TEST_CASE("every status decode error names its field", "[protocol][codec]") {
    auto base = encode(samples::status());
    std::vector<std::pair<std::function<void(json&)>, std::string>> cases{
        {[](json& j) { j["presence"] = "asleep"; }, "status.presence"},
        {[](json& j) { j["uptime_ms"] = -1; }, "status.uptime_ms: must not be negative"},
        {[](json& j) { j["applied_bundle_version"] = "6"; }, "status.applied_bundle_version"},
        {[](json& j) { j["now_playing"]["media"] = "short"; }, "status.now_playing.media"},
        {[](json& j) { j["now_playing"]["source"] = "radio"; }, "status.now_playing.source"},
        {[](json& j) { j["download"]["bytes_total"] = nullptr; }, "status.download.bytes_total"},
        {[](json& j) { j["download"] = 3; }, "status.download: expected an object"},
        {[](json& j) { j["last_error"] = std::string(2000, 'x'); }, "status.last_error: longer than"},
        {[](json& j) { j["install_epoch"] = ""; }, "status.install_epoch"},
        {[](json& j) { j.erase("boot_id"); }, "status.boot_id: missing"},
        {[](json& j) { j["cpu"] = 9; }, "status.cpu: unknown field"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << ", expected " << cases[i].second);
        check_error(decode_status, edited(base, cases[i].first), Errc::InvalidInput, cases[i].second);
    }
}

TEST_CASE("every proof-of-play decode error names its field", "[protocol][codec]") {
    auto base = encode(samples::proof_of_play());
    std::vector<std::pair<std::function<void(json&)>, std::string>> cases{
        {[](json& j) { j["rows"] = json::array(); }, "pop.rows: must not be empty"},
        {[](json& j) { j["rows"][0]["seq"] = 0; }, "pop.rows[0].seq"},
        {[](json& j) { j["rows"][1]["seq"] = 41; }, "pop.rows[1].seq: must be greater"},
        {[](json& j) { j["rows"][1]["outcome"] = "skipped"; }, "pop.rows[1].outcome"},
        {[](json& j) { j["rows"][0]["ended_at_ms"] = 1; }, "pop.rows[0].ended_at_ms"},
        {[](json& j) { j["rows"][0]["item_index"] = 5000000000ULL; }, "pop.rows[0].item_index"},
        {[](json& j) { j["rows"][0]["media"] = "x"; }, "pop.rows[0].media"},
        {[](json& j) { j["rows"][0]["source_id"] = "a/b"; }, "pop.rows[0].source_id"},
        {[](json& j) { j["rows"][0].erase("bundle_version"); }, "pop.rows[0].bundle_version: missing"},
        {[](json& j) { j["install_epoch"] = 4; }, "pop.install_epoch"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << ", expected " << cases[i].second);
        check_error(decode_proof_of_play, edited(base, cases[i].first), Errc::InvalidInput, cases[i].second);
    }
}

TEST_CASE("every command reply and ack decode error names its field", "[protocol][codec]") {
    auto reply = encode(samples::command_reply());
    std::vector<std::pair<std::function<void(json&)>, std::string>> reply_cases{
        {[](json& j) { j["result"] = "maybe"; }, "command-reply.result"},
        {[](json& j) { j["command_id"] = "+"; }, "command-reply.command_id"},
        {[](json& j) { j["detail"] = false; }, "command-reply.detail"},
        {[](json& j) { j["replied_at"] = "2026-11-27 06:00"; }, "command-reply.replied_at"},
    };
    for (std::size_t i = 0; i < reply_cases.size(); ++i) {
        INFO("case " << i << ", expected " << reply_cases[i].second);
        check_error(decode_command_reply, edited(reply, reply_cases[i].first), Errc::InvalidInput,
                    reply_cases[i].second);
    }
    auto ack = encode(samples::ack());
    std::vector<std::pair<std::function<void(json&)>, std::string>> ack_cases{
        {[](json& j) { j["committed_seq"] = -3; }, "ack.committed_seq"},
        {[](json& j) { j["replied_commands"][0] = ""; }, "ack.replied_commands[0]"},
        {[](json& j) { j["replied_commands"] = "cmd-1"; }, "ack.replied_commands"},
        {[](json& j) { j["device"] = json::array(); }, "ack.device"},
        {[](json& j) { j.erase("issued_at"); }, "ack.issued_at: missing"},
    };
    for (std::size_t i = 0; i < ack_cases.size(); ++i) {
        INFO("case " << i << ", expected " << ack_cases[i].second);
        check_error(decode_ack, edited(ack, ack_cases[i].first), Errc::InvalidInput, ack_cases[i].second);
    }
}

TEST_CASE("the one proof outcome type reads back every name it writes and refuses others", "[codec]") {
    using bantin::protocol::Outcome;
    for (Outcome outcome : {Outcome::Completed, Outcome::Interrupted, Outcome::Failed}) {
        auto parsed = bantin::protocol::parse_outcome(bantin::protocol::to_string(outcome));
        REQUIRE(parsed);
        CHECK(*parsed == outcome);
    }
    auto unknown = bantin::protocol::parse_outcome("played");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == bantin::Errc::InvalidInput);
    CHECK(unknown.error().detail ==
          "outcome: unknown value \"played\" (expected completed, interrupted, failed)");
}

TEST_CASE("a ticker row says its region, other rows send none, and a row without it is a main-region play",
          "[protocol][codec][regions]") {
    auto batch = samples::proof_of_play();
    const std::string before = encode(batch);
    CHECK(before.find("\"region\"") == std::string::npos);  // rows as before: the same bytes
    batch.rows[0].region = Region::Ticker;
    const json sent = json::parse(encode(batch));
    CHECK(sent["rows"][0]["region"] == "ticker");
    CHECK_FALSE(sent["rows"][1].contains("region"));
    auto decoded = decode_proof_of_play(encode(batch));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == batch);
    CHECK(decoded->rows[1].region == Region::Main);
    auto spelled_out = decode_proof_of_play(edited(before, [](json& j) { j["rows"][1]["region"] = "main"; }));
    REQUIRE(spelled_out.has_value());
    CHECK(spelled_out->rows[1].region == Region::Main);

    check_error(decode_proof_of_play, edited(before, [](json& j) { j["rows"][0]["region"] = "sidebar"; }),
                Errc::InvalidInput, "pop.rows[0].region: expected one of main, ticker");
    check_error(decode_proof_of_play, edited(before, [](json& j) { j["rows"][0]["region"] = 1; }),
                Errc::InvalidInput, "pop.rows[0].region");
    // seq 42 of the sample is an alert's play: alerts never scroll in the ticker.
    check_error(decode_proof_of_play, edited(before, [](json& j) { j["rows"][1]["region"] = "ticker"; }),
                Errc::InvalidInput, "pop.rows[1].region: only a campaign plays in the ticker");
}
