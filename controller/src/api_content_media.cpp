// Routes: /media (streamed upload, list, get, delete, ranged content), /media/streams (a live
// source added by URL, probed once) and /notices (text with its spoken version).
#include "api_content.hpp"
#include "api_route.hpp"

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/alerts.hpp"
#include "bantin/media/font_coverage.hpp"
#include "bantin/media/ingest.hpp"
#include "bantin/media/probe.hpp"
#include "bantin/media/sha256.hpp"
#include "bantin/media/speech.hpp"
#include "bantin/media/stream_source.hpp"
#include "bantin/media/thumbnail.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace bantin::controller::api {

namespace {

using httplib::Request;
using httplib::Response;

constexpr std::size_t max_name_bytes = 255;

// A media name is a label for people, never a path; refuse anything that looks like one so a
// name that travels on (downloads, exports) cannot climb out of a directory.
Result<std::string> check_media_name(std::string_view name) {
    if (name.empty())
        return fail(Errc::InvalidInput, "name: must not be empty");
    if (name.size() > max_name_bytes)
        return fail(Errc::InvalidInput, "name: longer than " + std::to_string(max_name_bytes) + " bytes");
    if (!media::is_valid_utf8(name))
        return fail(Errc::InvalidInput, "name: not valid UTF-8");
    for (char raw : name) {
        const auto character = static_cast<unsigned char>(raw);
        if (character < 0x20 || character == 0x7f)
            return fail(Errc::InvalidInput, "name: contains a control character");
        if (character == '/' || character == '\\')
            return fail(Errc::InvalidInput, "name: must be a file name, not a path (contains '" +
                                                std::string(1, static_cast<char>(character)) + "')");
    }
    if (name == "." || name == ".." || name.starts_with(".."))
        return fail(Errc::InvalidInput, "name: must be a file name, not a path");
    return std::string{name};
}

std::string content_type_for(const MediaRecord& record) {
    std::string name = record.media.name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char character) { return static_cast<char>(std::tolower(character)); });
    const auto dot = name.rfind('.');
    const std::string extension = dot == std::string::npos ? "" : name.substr(dot + 1);
    static const std::pair<std::string_view, std::string_view> known[] = {
        {"mp4", "video/mp4"},        {"m4v", "video/mp4"},       {"webm", "video/webm"},
        {"mkv", "video/x-matroska"}, {"mov", "video/quicktime"}, {"png", "image/png"},
        {"jpg", "image/jpeg"},       {"jpeg", "image/jpeg"},     {"gif", "image/gif"},
        {"webp", "image/webp"},      {"mp3", "audio/mpeg"},      {"ogg", "audio/ogg"},
        {"opus", "audio/ogg"},       {"wav", "audio/wav"},       {"m4a", "audio/mp4"},
        {"flac", "audio/flac"}};
    for (const auto& [known_extension, type] : known) {
        if (extension == known_extension)
            return std::string{type};
    }
    switch (record.media.type) {
        case scheduler::MediaType::Text: return "text/plain; charset=utf-8";
        case scheduler::MediaType::Audio:
            return record.tts_media || name.ends_with("(speech)") ? "audio/ogg" : "application/octet-stream";
        default: return "application/octet-stream";
    }
}

scheduler::MediaType media_type_of(media::MediaKind kind) {
    switch (kind) {
        case media::MediaKind::Video: return scheduler::MediaType::Video;
        case media::MediaKind::Image: return scheduler::MediaType::Image;
        case media::MediaKind::Audio: return scheduler::MediaType::Audio;
    }
    return scheduler::MediaType::Video;
}

std::uint64_t upload_limit(const ApiContext& context) {
    return static_cast<std::uint64_t>(context.config.storage.max_upload_mb) * 1024 * 1024;
}

// Stores the row of freshly ingested media with its audit entry. Returns the stored record
// and whether it is new.
Result<std::pair<MediaRecord, bool>> store_media_row(ApiContext& context, const User& user,
                                                     MediaRecord record, std::string action) {
    return context.store.write_value<std::pair<MediaRecord, bool>>(
        [&](StoreTransaction& transaction) -> Result<std::pair<MediaRecord, bool>> {
            auto inserted = transaction.insert_media(record);
            if (!inserted)
                return std::unexpected(inserted.error());
            if (!*inserted) {
                auto existing = transaction.media_by_sha256(record.media.sha256);
                if (!existing)
                    return std::unexpected(existing.error());
                return std::pair{*existing, false};
            }
            auto audited = transaction.append_audit(audit_entry(
                context, user, std::move(action), "media", record.media.sha256, "",
                media_json(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
            if (!audited)
                return std::unexpected(audited.error());
            return std::pair{record, true};
        });
}

// The font screens draw notices with, opened once; nullptr (logged once) when this machine
// lacks it, and then notices are not checked here.
const media::FontCoverage* notice_font() {
    static const std::optional<media::FontCoverage> font = []() -> std::optional<media::FontCoverage> {
        auto opened = media::FontCoverage::open(media::default_notice_font);
        if (!opened) {
            spdlog::warn("notices: {}; text notices are not checked for characters screens cannot draw",
                         opened.error().message());
            return std::nullopt;
        }
        return std::move(*opened);
    }();
    return font ? &*font : nullptr;
}

// The picture kind a thumbnail is made from; an error, in people's words, for media with none.
Result<media::PictureKind> picture_kind(const MediaRecord& record) {
    switch (record.media.type) {
        case scheduler::MediaType::Video:
            if (record.media.has_video)
                return media::PictureKind::Video;
            break;
        case scheduler::MediaType::Image: return media::PictureKind::Image;
        default: break;
    }
    return fail(Errc::NotFound, "nội dung này không có hình (" +
                                    std::string{scheduler::to_string(record.media.type)} + "); media " +
                                    record.media.sha256 + " has no picture to show");
}

// Made at upload (and on first request for media stored before thumbnails existed). A file
// ffmpeg cannot draw is still stored: the probe accepted it; only its thumbnail is missing.
std::optional<std::string> make_thumbnail_now(const ApiContext& context, const MediaRecord& record) {
    auto kind = picture_kind(record);
    if (!kind)
        return std::nullopt;
    auto made =
        media::ThumbnailStore{context.media}.get_or_make(record.media.sha256, *kind, record.media.duration);
    if (made)
        return std::nullopt;
    spdlog::warn("media {}: {}", record.media.sha256, made.error().detail);
    return made.error().detail;
}

void upload(ApiContext& context, const Request& request, Response& response,
            const httplib::ContentReader& reader) {
    // Anything refused before the body is read closes the connection: the unread body must
    // not be taken for the next request.
    auto refuse = [&](int status, std::string_view code, std::string_view detail) {
        response.set_header("Connection", "close");
        send_error(response, status, code, detail);
    };
    auto caller = authorize(context, request, response, Action::EditContent);
    if (!caller) {
        response.set_header("Connection", "close");
        return;
    }
    std::string name = "upload";
    if (request.has_param("name")) {
        auto checked = check_media_name(request.get_param_value("name"));
        if (!checked)
            return refuse(422, "invalid-input", checked.error().detail);
        name = *checked;
    }
    const std::uint64_t limit = upload_limit(context);
    auto pending = context.media.begin(limit);
    if (!pending)
        return refuse(500, to_string(pending.error().code), pending.error().detail);

    std::optional<Error> failure;
    // Past the limit the rest of the body is read and dropped (httplib's payload limit,
    // a little above ours, bounds it): a client still sending gets the 413 instead of a reset.
    auto receive = [&](const char* data, std::size_t length) {
        if (failure)
            return failure->code == Errc::TooLarge;
        if (auto written = pending->write(data, length); !written) {
            failure = written.error();
            return failure->code == Errc::TooLarge;
        }
        return true;
    };
    bool saw_file = false;
    bool read_whole = true;
    if (request.is_multipart_form_data()) {
        bool in_file = false;
        read_whole = reader(
            [&](const httplib::MultipartFormData& part) {
                in_file = part.name == "file";
                if (!in_file)
                    return true;
                if (saw_file) {
                    failure = Error{Errc::InvalidInput, "file: send one file per upload"};
                    return false;
                }
                saw_file = true;
                if (!part.filename.empty() && !request.has_param("name")) {
                    auto checked = check_media_name(part.filename);
                    if (!checked) {
                        failure = checked.error();
                        return false;
                    }
                    name = *checked;
                }
                return true;
            },
            [&](const char* data, std::size_t length) { return in_file ? receive(data, length) : true; });
        if (!failure && !saw_file)
            failure = Error{Errc::InvalidInput, "file: a multipart upload needs a part named \"file\""};
    } else {
        read_whole = reader(receive);
    }
    if (failure) {
        pending->discard();
        response.set_header("Connection", "close");
        if (failure->code == Errc::TooLarge)
            return send_error(response, 413, "too-large",
                              "the upload is over the limit of " + std::to_string(limit) +
                                  " bytes (storage.max_upload_mb)");
        return send_error(response, *failure);
    }
    if (!read_whole) {
        // The body ended before its announced length, its chunks were malformed, or it
        // outgrew what the server reads at all: not an empty upload.
        pending->discard();
        return send_bad_request(response, "body: the upload was cut short or its framing is malformed");
    }
    if (pending->size() == 0) {
        pending->discard();
        return send_bad_request(response, "body: the upload is empty");
    }

    // The Content-Type header is not trusted: ffprobe decides what the bytes are.
    auto ingested = media::ingest_media(std::move(*pending));
    if (!ingested) {
        if (ingested.error().code == Errc::Unsupported)
            return send_error(response, 415, "unsupported-media", ingested.error().detail);
        return send_error(response, ingested.error());
    }

    MediaRecord record;
    record.media.sha256 = ingested->object.sha256;
    record.media.type = media_type_of(ingested->probe.kind);
    record.media.duration = ingested->probe.duration;
    record.media.has_audio = ingested->probe.has_audio;
    record.media.has_video = ingested->probe.has_video;
    record.media.name = name;
    record.size = static_cast<std::int64_t>(ingested->object.size);
    record.uploaded_by = caller->user.id;
    record.created = context.clock.wall();

    auto stored = store_media_row(context, caller->user, record, "media.upload");
    if (!stored) {
        if (!ingested->object.already_present)
            static_cast<void>(context.media.remove(ingested->object.sha256));
        return send_error(response, stored.error());
    }
    nlohmann::ordered_json answer = media_json(stored->first);
    const auto thumbnail_error = make_thumbnail_now(context, stored->first);
    answer["thumbnail_error"] = thumbnail_error ? nlohmann::ordered_json(*thumbnail_error) : nullptr;
    send_json(response, stored->second ? 201 : 200, answer);
}

Result<MediaRecord> find_media(ApiContext& context, const std::string& sha256);

void media_thumbnail(Call& call, const Request& request, Response& response) {
    auto record = find_media(call.context, call.capture(1));
    if (!record)
        return send_error(response, record.error());
    auto kind = picture_kind(*record);
    if (!kind)
        return send_error(response, kind.error());
    auto path = media::ThumbnailStore{call.context.media}.get_or_make(record->media.sha256, *kind,
                                                                      record->media.duration);
    if (!path) {
        if (path.error().code == Errc::InvalidInput)
            return send_error(response, 422, "invalid-input", path.error().detail);
        return send_error(response, path.error());
    }
    serve_media_file(request, response, *path, "image/jpeg");
}

Answer list_media(Call& call) {
    return list_page<MediaRecord>(
        call, [](StoreTransaction& transaction, Page page) { return transaction.list_media(page); },
        media_json);
}

Result<MediaRecord> find_media(ApiContext& context, const std::string& sha256) {
    return context.store.read_value<MediaRecord>(
        [&](StoreTransaction& transaction) { return transaction.media_by_sha256(sha256); });
}

Answer get_media(Call& call) {
    auto record = find_media(call.context, call.capture(1));
    if (!record)
        return refuse(record.error());
    return ok(media_json(*record));
}

void media_content(Call& call, const Request& request, Response& response) {
    auto record = find_media(call.context, call.capture(1));
    if (!record)
        return send_error(response, record.error());
    auto path = call.context.media.lookup(record->media.sha256);
    if (!path)
        return send_error(response, 404, "not-found",
                          "media " + record->media.sha256 + " has no stored file");
    serve_media_file(request, response, *path, content_type_for(*record));
}

Answer delete_media(Call& call) {
    ApiContext& context = call.context;
    const std::string sha256 = call.capture(1);
    std::vector<std::string> removed;
    auto done = context.store.write([&](StoreTransaction& transaction) -> Result<void> {
        auto record = transaction.media_by_sha256(sha256);
        if (!record)
            return std::unexpected(record.error());
        auto users = transaction.playlists_using_media(sha256);
        if (!users)
            return std::unexpected(users.error());
        if (!users->empty()) {
            // Named as people know them: "Buổi sáng" (morning).
            std::string list;
            for (const auto& id : *users) {
                auto playlist = transaction.playlist_by_id(id);
                const std::string name =
                    playlist && !playlist->playlist.name.empty() ? playlist->playlist.name : id;
                list += (list.empty() ? "" : ", ") + ("\"" + name + "\" (" + id + ")");
            }
            return fail(Errc::Conflict,
                        "nội dung \"" + record->media.name + "\" đang được dùng trong danh sách phát " +
                            list + "; hãy bỏ nó khỏi danh sách phát trước; media \"" + record->media.name +
                            "\" is used by playlist " + list + "; remove it from the playlist first");
        }
        if (auto deleted = transaction.delete_media(sha256); !deleted)
            return deleted;
        removed.push_back(sha256);
        // A notice's spoken version goes with it unless something else still uses it.
        if (record->tts_media) {
            auto spoken_users = transaction.playlists_using_media(*record->tts_media);
            if (spoken_users && spoken_users->empty()) {
                auto spoken = transaction.media_by_sha256(*record->tts_media);
                if (spoken) {
                    if (auto deleted = transaction.delete_media(*record->tts_media); deleted) {
                        removed.push_back(*record->tts_media);
                        auto audited = transaction.append_audit(
                            audit_entry(context, call.user.user, "media.delete", "media", *record->tts_media,
                                        media_json(*spoken).dump(-1, ' ', false,
                                                                 nlohmann::json::error_handler_t::replace),
                                        ""));
                        if (!audited)
                            return std::unexpected(audited.error());
                    }
                }
            }
        }
        auto audited = transaction.append_audit(audit_entry(
            context, call.user.user, "media.delete", "media", sha256,
            media_json(*record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), ""));
        if (!audited)
            return std::unexpected(audited.error());
        return {};
    });
    if (!done)
        return refuse(done.error());
    // Files go after the rows are gone for good; a crash in between leaves an orphan file
    // (harmless, found by ContentStore::list()), never a row without its file.
    for (const auto& sha : removed) {
        static_cast<void>(context.media.remove(sha));
        media::ThumbnailStore{context.media}.remove(sha);
    }
    return no_content();
}

// Who spoke this request's speech ([tts] engine, or espeak-ng standing in) and why not the
// configured engine.
void add_speech_engine(nlohmann::ordered_json& json, const media::SpeechAudio& speech) {
    json["speech_engine"] = media::to_string(speech.engine);
    json["speech_fallback"] = speech.fallback_reason.empty() ? nlohmann::ordered_json(nullptr)
                                                             : nlohmann::ordered_json(speech.fallback_reason);
}

Answer create_notice(Call& call) {
    ApiContext& context = call.context;
    BodyFields fields = call.fields();
    const std::string text = fields.required_string("text");
    const auto voice = fields.optional_string("voice");
    const auto name_field = fields.optional_string("name");
    if (auto refused = fields.refusal())
        return refuse(*refused);
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return refuse(Refusal::invalid("text: must not be empty"));
    if (!media::is_valid_utf8(text))
        return refuse(Refusal::invalid("text: not valid UTF-8"));
    if (const media::FontCoverage* font = notice_font()) {
        // Refused here, naming the characters, rather than accepted and then failed on every
        // screen (the player draws notices with this font).
        if (auto missing = font->missing(text); !missing.empty())
            return refuse(Refusal::invalid(
                "text: phông chữ của màn hình không có ký tự " + media::describe_code_points(missing) +
                "; the screen font (DejaVu Sans) cannot draw " + media::describe_code_points(missing)));
    }
    std::string name = "notice";
    if (name_field) {
        auto checked = check_media_name(*name_field);
        if (!checked)
            return refuse(checked.error());
        name = *checked;
    }

    media::SpeechOptions options = speech_options(context.config.tts);
    options.voice = voice.value_or(context.config.tts.voice);
    auto speech = media::synthesize_speech(text, context.media, options);
    if (!speech) {
        Error error = speech.error();
        if (error.code == Errc::InvalidInput && !error.detail.starts_with("text") &&
            !error.detail.starts_with("voice"))
            error.detail = "voice or text: " + error.detail;
        return refuse(error);
    }
    auto text_object = context.media.put_bytes(text);
    if (!text_object) {
        if (!speech->object.already_present)
            static_cast<void>(context.media.remove(speech->object.sha256));
        return refuse(text_object.error());
    }

    const TimePoint now = context.clock.wall();
    MediaRecord audio;
    audio.media.sha256 = speech->object.sha256;
    audio.media.type = scheduler::MediaType::Audio;
    audio.media.duration = speech->duration;
    audio.media.has_audio = true;
    audio.media.has_video = false;
    audio.media.name = name + " (speech)";
    audio.size = static_cast<std::int64_t>(speech->object.size);
    audio.uploaded_by = call.user.user.id;
    audio.created = now;

    MediaRecord notice;
    notice.media.sha256 = text_object->sha256;
    notice.media.type = scheduler::MediaType::Text;
    notice.media.duration = speech->duration;
    notice.media.has_audio = true;
    notice.media.has_video = false;
    notice.media.name = name;
    notice.size = static_cast<std::int64_t>(text_object->size);
    notice.uploaded_by = call.user.user.id;
    notice.created = now;
    notice.text = text;
    notice.tts_media = audio.media.sha256;

    auto stored = context.store.write_value<std::pair<MediaRecord, bool>>(
        [&](StoreTransaction& transaction) -> Result<std::pair<MediaRecord, bool>> {
            auto audio_inserted = transaction.insert_media(audio);
            if (!audio_inserted)
                return std::unexpected(audio_inserted.error());
            auto inserted = transaction.insert_media(notice);
            if (!inserted)
                return std::unexpected(inserted.error());
            if (!*inserted) {
                auto existing = transaction.media_by_sha256(notice.media.sha256);
                if (!existing)
                    return std::unexpected(existing.error());
                return std::pair{*existing, false};
            }
            nlohmann::ordered_json after = media_json(notice);
            add_speech_engine(after, *speech);
            auto audited = transaction.append_audit(
                audit_entry(context, call.user.user, "notice.create", "media", notice.media.sha256, "",
                            after.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
            if (!audited)
                return std::unexpected(audited.error());
            return std::pair{notice, true};
        });
    if (!stored) {
        if (!speech->object.already_present)
            static_cast<void>(context.media.remove(speech->object.sha256));
        if (!text_object->already_present)
            static_cast<void>(context.media.remove(text_object->sha256));
        return refuse(stored.error());
    }
    nlohmann::ordered_json json = media_json(stored->first);
    auto spoken = find_media(context, stored->first.tts_media.value_or(""));
    json["tts"] = spoken ? media_json(*spoken) : nlohmann::ordered_json(nullptr);
    add_speech_engine(json, *speech);
    return ok(json, stored->second ? 201 : 200);
}

// ---- streams ----

// What an editor learns from the one probe a new stream gets.
nlohmann::ordered_json probe_json(const Result<media::StreamProbeResult>& probed) {
    nlohmann::ordered_json json;
    json["ok"] = probed.has_value();
    if (probed) {
        json["codec"] = probed->has_audio ? probed->audio_codec : probed->video_codec;
        json["format"] = probed->format_name;
        json["error"] = nullptr;
    } else {
        json["codec"] = nullptr;
        json["format"] = nullptr;
        json["error"] = "không đọc được luồng (có thể đài đang tắt); the stream could not be read: " +
                        probed.error().detail;
    }
    return json;
}

Answer create_stream(Call& call) {
    ApiContext& context = call.context;
    BodyFields fields = call.fields();
    const std::string name_field = fields.required_string("name");
    const std::string url = fields.required_string("url");
    const auto filler = fields.optional_string("filler");
    if (auto refused = fields.refusal())
        return refuse(*refused);

    // Every problem with the values at once, and all of them before anything reaches the network.
    std::vector<std::string> problems;
    auto name = check_media_name(name_field);
    if (!name)
        problems.push_back(name.error().detail);
    if (auto problem = scheduler::stream_url_problem(url); !problem.empty())
        problems.push_back("url: địa chỉ luồng không dùng được; " + problem);
    if (filler) {
        if (!media::is_sha256_hex(*filler)) {
            problems.push_back("filler: must be 64 lowercase hex digits");
        } else {
            auto found = find_media(context, *filler);
            if (!found && found.error().code != Errc::NotFound)
                return refuse(found.error());
            if (!found)
                problems.push_back("filler: không có media " + *filler + "; no media " + *filler);
            else if (found->media.type != scheduler::MediaType::Audio &&
                     found->media.type != scheduler::MediaType::Video)
                problems.push_back("filler: phải là âm thanh hoặc video; must be audio or video media, " +
                                   filler->substr(0, 12) + " is " +
                                   std::string{scheduler::to_string(found->media.type)});
        }
    }
    if (!problems.empty()) {
        std::string detail;
        for (const auto& problem : problems) detail += (detail.empty() ? "" : "; ") + problem;
        return refuse(Refusal::invalid(detail));
    }

    // A stream is named by its URL: the same URL again is the stream stored before.
    const std::string sha256 = media::sha256_hex(url);
    if (auto existing = find_media(context, sha256); existing) {
        nlohmann::ordered_json json = media_json(*existing);
        json["probe"] = nullptr;
        return ok(json, 200);
    } else if (existing.error().code != Errc::NotFound) {
        return refuse(existing.error());
    }

    // The fence (media/stream_source.hpp): the controller's own machine, link-local (a cloud's
    // metadata service), multicast and unspecified addresses are refused before ffprobe runs.
    // A name that does not resolve now is a probe that failed: the stream is kept.
    const auto fenced = media::check_stream_source(url, context.config.streams.allow_local_sources);
    if (!fenced && fenced.error().code == Errc::InvalidInput)
        return refuse(Refusal::invalid("url: " + fenced.error().detail));

    // One probe; a source that cannot be read now (off the air) is still stored, with sound.
    media::StreamProbeOptions probe_options;
    probe_options.timeout = context.config.streams.probe_timeout;
    const auto probed = fenced ? media::probe_stream(url, probe_options)
                               : Result<media::StreamProbeResult>{std::unexpected(fenced.error())};
    if (!probed)
        spdlog::info("stream {}: the probe failed: {}", url, probed.error().message());

    MediaRecord record;
    record.media.sha256 = sha256;
    record.media.type = scheduler::MediaType::Stream;
    record.media.has_audio = probed ? probed->has_audio : true;
    record.media.has_video = probed ? probed->has_video : false;
    record.media.name = *name;
    record.media.url = url;
    record.media.filler = filler;
    record.size = 0;
    record.uploaded_by = call.user.user.id;
    record.created = context.clock.wall();

    nlohmann::ordered_json answer = media_json(record);
    answer["probe"] = probe_json(probed);
    auto stored = context.store.write_value<std::pair<MediaRecord, bool>>(
        [&](StoreTransaction& transaction) -> Result<std::pair<MediaRecord, bool>> {
            auto inserted = transaction.insert_media(record);
            if (!inserted)
                return std::unexpected(inserted.error());
            if (!*inserted) {  // the same URL added by someone else meanwhile
                auto existing = transaction.media_by_sha256(sha256);
                if (!existing)
                    return std::unexpected(existing.error());
                return std::pair{*existing, false};
            }
            auto audited = transaction.append_audit(
                audit_entry(context, call.user.user, "stream.create", "media", sha256, "",
                            answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
            if (!audited)
                return std::unexpected(audited.error());
            return std::pair{record, true};
        });
    if (!stored)
        return refuse(stored.error());
    if (!stored->second) {
        nlohmann::ordered_json json = media_json(stored->first);
        json["probe"] = nullptr;
        return ok(json, 200);
    }
    return ok(answer, 201);
}

}  // namespace

void register_media_routes(ApiServer& server, ApiContext& context) {
    // Uploads stream their body (with their own limit) and authorize before reading it.
    server.http().Post(route("/media"), [&context](const Request& request, Response& response,
                                                   const httplib::ContentReader& reader) {
        upload(context, request, response, reader);
    });
    Routes routes(server, context);
    const std::string one = route("/media/") + std::string{sha256_pattern};
    routes.get(route("/media"), {Action::Read}, list_media);
    routes.get(one, {Action::Read}, get_media);
    routes.del(one, {Action::EditContent}, delete_media);
    routes.get_raw(one + "/content", {Action::Read}, media_content);
    routes.get_raw(one + "/thumbnail", {Action::Read}, media_thumbnail);
    routes.post(route("/media/streams"),
                {Action::EditContent, BodyRule::Required, "a JSON object with name and url"}, create_stream);
    routes.post(route("/notices"), {Action::EditContent, BodyRule::Required, "a JSON object with text"},
                create_notice);
}

}  // namespace bantin::controller::api
