// The messages devices send: status, proof of play, command replies, and which of them a payload is
// (docs/protocol.md).

#include "codec_shared.hpp"

namespace bantin::protocol {

using namespace codec_detail;

std::string encode(const Status& status) {
    Ordered json = header(MessageType::Status);
    json["device"] = status.device;
    json["presence"] = to_string(status.presence);
    json["reported_at"] = format_utc(status.reported_at);
    json["install_epoch"] = status.install_epoch;
    json["boot_id"] = status.boot_id;
    json["software_version"] = status.software_version;
    json["uptime_ms"] = status.uptime_ms;
    json["desired_bundle_version"] = status.desired_bundle_version;
    json["applied_bundle_version"] = status.applied_bundle_version;
    if (status.now_playing) {
        Ordered playing = Ordered::object();
        playing["source"] = to_string(status.now_playing->source);
        playing["source_id"] = status.now_playing->source_id;
        playing["media"] = status.now_playing->media;
        playing["started_at"] = format_utc(status.now_playing->started_at);
        json["now_playing"] = std::move(playing);
    }
    if (status.download) {
        Ordered download = Ordered::object();
        download["files_done"] = status.download->files_done;
        download["files_total"] = status.download->files_total;
        download["bytes_done"] = status.download->bytes_done;
        download["bytes_total"] = status.download->bytes_total;
        json["download"] = std::move(download);
    }
    json["cache_used_bytes"] = status.cache_used_bytes;
    json["cache_capacity_bytes"] = status.cache_capacity_bytes;
    if (status.last_error)
        json["last_error"] = *status.last_error;
    if (status.replayed_bundles != 0)
        json["replayed_bundles"] = status.replayed_bundles;
    if (status.unhealthy)
        json["unhealthy"] = *status.unhealthy;
    return dump(json);
}

Result<Status> decode_status(std::string_view text) {
    auto json = open_payload(text, MessageType::Status);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(
        *json, "status",
        {"v", "type", "device", "presence", "reported_at", "install_epoch", "boot_id", "software_version",
         "uptime_ms", "desired_bundle_version", "applied_bundle_version", "now_playing", "download",
         "cache_used_bytes", "cache_capacity_bytes", "last_error", "replayed_bundles", "unhealthy"});
    if (!reader)
        return std::unexpected(reader.error());
    Status status;
    auto device = reader->identifier("device");
    if (!device)
        return std::unexpected(device.error());
    status.device = *device;
    auto presence = parse_enum(*reader, "presence", presences, &presence_name);
    if (!presence)
        return std::unexpected(presence.error());
    status.presence = *presence;
    auto reported = reader->utc("reported_at");
    if (!reported)
        return std::unexpected(reported.error());
    status.reported_at = *reported;
    auto epoch = reader->identifier("install_epoch");
    if (!epoch)
        return std::unexpected(epoch.error());
    status.install_epoch = *epoch;
    auto boot = reader->identifier("boot_id");
    if (!boot)
        return std::unexpected(boot.error());
    status.boot_id = *boot;
    auto software = bounded_text(*reader, "software_version", true);
    if (!software)
        return std::unexpected(software.error());
    status.software_version = *software;
    for (auto [key, field] : {std::pair{"uptime_ms", &Status::uptime_ms},
                              std::pair{"desired_bundle_version", &Status::desired_bundle_version},
                              std::pair{"applied_bundle_version", &Status::applied_bundle_version},
                              std::pair{"cache_used_bytes", &Status::cache_used_bytes},
                              std::pair{"cache_capacity_bytes", &Status::cache_capacity_bytes}}) {
        auto number = reader->unsigned_integer(key);
        if (!number)
            return std::unexpected(number.error());
        status.*field = *number;
    }
    if (reader->has("now_playing")) {
        auto playing = ObjectReader::open(**reader->required("now_playing"), "status.now_playing",
                                          {"source", "source_id", "media", "started_at"});
        if (!playing)
            return std::unexpected(playing.error());
        NowPlaying now;
        auto source = parse_enum(*playing, "source", source_kinds, &source_kind_name);
        if (!source)
            return std::unexpected(source.error());
        now.source = *source;
        auto source_id = playing->identifier("source_id");
        if (!source_id)
            return std::unexpected(source_id.error());
        now.source_id = *source_id;
        auto media = playing->sha256("media");
        if (!media)
            return std::unexpected(media.error());
        now.media = *media;
        auto started = playing->utc("started_at");
        if (!started)
            return std::unexpected(started.error());
        now.started_at = *started;
        status.now_playing = std::move(now);
    }
    if (reader->has("download")) {
        auto download_reader = ObjectReader::open(**reader->required("download"), "status.download",
                                                  {"files_done", "files_total", "bytes_done", "bytes_total"});
        if (!download_reader)
            return std::unexpected(download_reader.error());
        DownloadProgress download;
        for (auto [key, field] : {std::pair{"files_done", &DownloadProgress::files_done},
                                  std::pair{"files_total", &DownloadProgress::files_total},
                                  std::pair{"bytes_done", &DownloadProgress::bytes_done},
                                  std::pair{"bytes_total", &DownloadProgress::bytes_total}}) {
            auto number = download_reader->unsigned_integer(key);
            if (!number)
                return std::unexpected(number.error());
            download.*field = *number;
        }
        status.download = download;
    }
    if (reader->has("last_error")) {
        auto error = bounded_text(*reader, "last_error", true);
        if (!error)
            return std::unexpected(error.error());
        status.last_error = *error;
    }
    if (reader->has("replayed_bundles")) {
        auto replayed = reader->unsigned_integer("replayed_bundles");
        if (!replayed)
            return std::unexpected(replayed.error());
        status.replayed_bundles = *replayed;
    }
    if (reader->has("unhealthy")) {
        auto why = bounded_text(*reader, "unhealthy", false);
        if (!why)
            return std::unexpected(why.error());
        status.unhealthy = *why;
    }
    return status;
}

namespace {

// A relay row's relayed_ms, filler_ms and source_losses: all three or none, each a whole
// number within its bound, and the relayed and filler time together no more than the row's
// own measured duration_ms (what ran cannot be more than the play).
Result<std::optional<RelayFigures>> relay_figures(const ObjectReader& row, std::uint64_t duration_ms) {
    const bool relayed = row.has("relayed_ms");
    const bool filler = row.has("filler_ms");
    const bool losses = row.has("source_losses");
    if (!relayed && !filler && !losses)
        return std::nullopt;
    if (!relayed || !filler || !losses) {
        return fail(Errc::InvalidInput, row.path() +
                                            ": relayed_ms, filler_ms and source_losses come together "
                                            "(a relay's row) or not at all");
    }
    RelayFigures figures;
    auto relayed_ms = row.unsigned_integer("relayed_ms", max_relay_figure_ms);
    if (!relayed_ms)
        return std::unexpected(relayed_ms.error());
    auto filler_ms = row.unsigned_integer("filler_ms", max_relay_figure_ms);
    if (!filler_ms)
        return std::unexpected(filler_ms.error());
    auto source_losses = row.unsigned_integer("source_losses", max_source_losses);
    if (!source_losses)
        return std::unexpected(source_losses.error());
    if (*relayed_ms > duration_ms) {
        return fail(Errc::InvalidInput, row.path("relayed_ms") + ": " + std::to_string(*relayed_ms) +
                                            " is more than the row's duration_ms " +
                                            std::to_string(duration_ms));
    }
    if (*filler_ms > duration_ms - *relayed_ms) {
        return fail(Errc::InvalidInput, row.path("filler_ms") + ": relayed_ms + filler_ms (" +
                                            std::to_string(*relayed_ms + *filler_ms) +
                                            ") is more than the row's duration_ms " +
                                            std::to_string(duration_ms));
    }
    figures.relayed_ms = *relayed_ms;
    figures.filler_ms = *filler_ms;
    figures.source_losses = static_cast<std::uint32_t>(*source_losses);
    return figures;
}

}  // namespace

std::string encode(const ProofOfPlayBatch& batch) {
    Ordered json = header(MessageType::ProofOfPlay);
    json["device"] = batch.device;
    json["install_epoch"] = batch.install_epoch;
    Ordered rows = Ordered::array();
    for (const auto& row : batch.rows) {
        Ordered item = Ordered::object();
        item["seq"] = row.seq;
        item["source"] = to_string(row.source);
        item["source_id"] = row.source_id;
        item["item_index"] = row.item_index;
        item["media"] = row.media;
        item["started_at_ms"] = to_unix_ms(row.started_at);
        item["ended_at_ms"] = to_unix_ms(row.ended_at);
        item["duration_ms"] = row.duration_ms;
        item["outcome"] = to_string(row.outcome);
        item["bundle_version"] = row.bundle_version;
        if (!row.note.empty())
            item["note"] = row.note;
        if (row.relay) {
            item["relayed_ms"] = row.relay->relayed_ms;
            item["filler_ms"] = row.relay->filler_ms;
            item["source_losses"] = row.relay->source_losses;
        }
        if (row.region != scheduler::Region::Main)
            item["region"] = region_name(row.region);
        rows.push_back(std::move(item));
    }
    json["rows"] = std::move(rows);
    return dump(json);
}

Result<ProofOfPlayBatch> decode_proof_of_play(std::string_view text) {
    auto json = open_payload(text, MessageType::ProofOfPlay);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(*json, "pop", {"v", "type", "device", "install_epoch", "rows"});
    if (!reader)
        return std::unexpected(reader.error());
    ProofOfPlayBatch batch;
    auto device = reader->identifier("device");
    if (!device)
        return std::unexpected(device.error());
    batch.device = *device;
    auto epoch = reader->identifier("install_epoch");
    if (!epoch)
        return std::unexpected(epoch.error());
    batch.install_epoch = *epoch;
    auto rows = array_field(*reader, "rows");
    if (!rows)
        return std::unexpected(rows.error());
    if ((*rows)->empty())
        return fail(Errc::InvalidInput, "pop.rows: must not be empty");
    for (std::size_t i = 0; i < (*rows)->size(); ++i) {
        std::string path = element_path("pop.rows", i);
        auto row_reader =
            ObjectReader::open((**rows)[i], path,
                               {"seq", "source", "source_id", "item_index", "media", "started_at_ms",
                                "ended_at_ms", "duration_ms", "outcome", "bundle_version", "note",
                                "relayed_ms", "filler_ms", "source_losses", "region"});
        if (!row_reader)
            return std::unexpected(row_reader.error());
        ProofOfPlayRow row;
        auto seq = row_reader->unsigned_integer("seq");
        if (!seq)
            return std::unexpected(seq.error());
        if (*seq == 0)
            return fail(Errc::InvalidInput, path + ".seq: must be at least 1");
        if (!batch.rows.empty() && *seq <= batch.rows.back().seq) {
            return fail(Errc::InvalidInput, path + ".seq: must be greater than the previous row's");
        }
        row.seq = *seq;
        auto source = parse_enum(*row_reader, "source", source_kinds, &source_kind_name);
        if (!source)
            return std::unexpected(source.error());
        row.source = *source;
        auto source_id = row_reader->identifier("source_id");
        if (!source_id)
            return std::unexpected(source_id.error());
        row.source_id = *source_id;
        auto index = row_reader->unsigned_integer("item_index", UINT32_MAX);
        if (!index)
            return std::unexpected(index.error());
        row.item_index = static_cast<std::uint32_t>(*index);
        auto media = row_reader->sha256("media");
        if (!media)
            return std::unexpected(media.error());
        row.media = *media;
        auto started = row_reader->integer("started_at_ms", 0, INT64_MAX);
        if (!started)
            return std::unexpected(started.error());
        row.started_at = from_unix_ms(*started);
        auto ended = row_reader->integer("ended_at_ms", 0, INT64_MAX);
        if (!ended)
            return std::unexpected(ended.error());
        if (*ended < *started)
            return fail(Errc::InvalidInput, path + ".ended_at_ms: before started_at_ms");
        row.ended_at = from_unix_ms(*ended);
        auto duration = row_reader->unsigned_integer("duration_ms");
        if (!duration)
            return std::unexpected(duration.error());
        row.duration_ms = *duration;
        auto outcome = parse_enum(*row_reader, "outcome", outcomes, &outcome_name);
        if (!outcome)
            return std::unexpected(outcome.error());
        row.outcome = *outcome;
        auto version = row_reader->unsigned_integer("bundle_version");
        if (!version)
            return std::unexpected(version.error());
        row.bundle_version = *version;
        if (row_reader->has("note")) {
            auto note = bounded_text(*row_reader, "note", false);
            if (!note)
                return std::unexpected(note.error());
            row.note = *note;
        }
        auto relay = relay_figures(*row_reader, row.duration_ms);
        if (!relay)
            return std::unexpected(relay.error());
        row.relay = *relay;
        if (row_reader->has("region")) {
            auto region = parse_enum(*row_reader, "region", regions, &region_name);
            if (!region)
                return std::unexpected(region.error());
            if (*region != scheduler::Region::Main && row.source != SourceKind::Campaign)
                return fail(Errc::InvalidInput, path + ".region: only a campaign plays in the ticker");
            row.region = *region;
        }
        batch.rows.push_back(std::move(row));
    }
    return batch;
}

std::string encode(const CommandReply& reply) {
    Ordered json = header(MessageType::CommandReply);
    json["device"] = reply.device;
    json["command_id"] = reply.command_id;
    json["result"] = to_string(reply.result);
    json["detail"] = reply.detail;
    if (reply.payload)
        json["payload"] = *reply.payload;
    json["replied_at"] = format_utc(reply.replied_at);
    return dump(json);
}

Result<CommandReply> decode_command_reply(std::string_view text) {
    auto json = open_payload(text, MessageType::CommandReply);
    if (!json)
        return std::unexpected(json.error());
    auto reader = ObjectReader::open(
        *json, "command-reply",
        {"v", "type", "device", "command_id", "result", "detail", "payload", "replied_at"});
    if (!reader)
        return std::unexpected(reader.error());
    CommandReply reply;
    auto device = reader->identifier("device");
    if (!device)
        return std::unexpected(device.error());
    reply.device = *device;
    auto id = reader->identifier("command_id");
    if (!id)
        return std::unexpected(id.error());
    reply.command_id = *id;
    auto result = parse_enum(*reader, "result", reply_results, &reply_result_name);
    if (!result)
        return std::unexpected(result.error());
    reply.result = *result;
    auto detail_text = bounded_text(*reader, "detail", true);
    if (!detail_text)
        return std::unexpected(detail_text.error());
    reply.detail = *detail_text;
    if (reader->has("payload")) {
        auto payload = bounded_text(*reader, "payload", true);
        if (!payload)
            return std::unexpected(payload.error());
        reply.payload = *payload;
    }
    auto replied = reader->utc("replied_at");
    if (!replied)
        return std::unexpected(replied.error());
    reply.replied_at = *replied;
    return reply;
}

Result<MessageType> peek_type(std::string_view text) {
    auto json = detail::parse_document(text, "message", max_bundle_size);
    if (!json)
        return std::unexpected(json.error());
    if (!json->is_object())
        return fail(Errc::InvalidInput, "message: expected an object");
    auto type = json->find("type");
    if (type == json->end())
        return fail(Errc::InvalidInput, "message.type: missing");
    if (!type->is_string())
        return fail(Errc::InvalidInput, "message.type: expected a string");
    for (MessageType candidate :
         {MessageType::Bundle, MessageType::Command, MessageType::Alert, MessageType::AlertCancel,
          MessageType::Status, MessageType::ProofOfPlay, MessageType::CommandReply, MessageType::Ack,
          MessageType::LiveStart, MessageType::LiveEnd}) {
        if (to_string(candidate) == type->get<std::string>())
            return candidate;
    }
    return fail(Errc::InvalidInput, "message.type: unknown type " + type->dump());
}

Result<UplinkMessage> decode_uplink(std::string_view text) {
    auto type = peek_type(text);
    if (!type)
        return std::unexpected(type.error());
    if (*type == MessageType::ProofOfPlay) {
        auto batch = decode_proof_of_play(text);
        if (!batch)
            return std::unexpected(batch.error());
        return UplinkMessage(std::move(*batch));
    }
    if (*type == MessageType::CommandReply) {
        auto reply = decode_command_reply(text);
        if (!reply)
            return std::unexpected(reply.error());
        return UplinkMessage(std::move(*reply));
    }
    return fail(Errc::InvalidInput, "message.type: expected \"pop\" or \"command-reply\" on a pop topic");
}

}  // namespace bantin::protocol
