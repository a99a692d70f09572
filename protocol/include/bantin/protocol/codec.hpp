#pragma once
// Strict JSON codecs for the messages of wire protocol v1 (docs/protocol.md, "Messages").
//
// Encoding is deterministic: fixed field order, compact, UTF-8, so equal messages encode to
// equal bytes (the signature covers these bytes). Decoding checks the size limit of the type
// before parsing (TooLarge), refuses a "v" other than message_version (Unsupported), a wrong
// "type", unknown fields, wrong types and out-of-range values (InvalidInput); every error
// names the field by its path from the type name: "bundle.manifest[2].sha256: ...",
// "command.args.volume: ...". Pure functions; any thread; never throw.

#include "bantin/common/error.hpp"
#include "bantin/protocol/messages.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace bantin::protocol {

enum class MessageType {
    Bundle,
    Command,
    Alert,
    AlertCancel,
    Status,
    ProofOfPlay,
    CommandReply,
    Ack,
    LiveStart,
    LiveEnd
};

// The payload's "type": "bundle", "command", "alert", "alert-cancel", "status", "pop",
// "command-reply", "ack", "live-start", "live-end".
std::string_view to_string(MessageType type);

inline constexpr std::size_t max_bundle_size = 4 * 1024 * 1024;
inline constexpr std::size_t max_message_size = 64 * 1024;

// Largest payload accepted for a type, in bytes: bundles 4 MiB, everything else 64 KiB.
std::size_t size_limit(MessageType type);

std::string encode(const Bundle& bundle);
std::string encode(const Command& command);
std::string encode(const AlertMessage& alert);
std::string encode(const AlertCancel& cancel);
std::string encode(const Status& status);
std::string encode(const ProofOfPlayBatch& batch);
std::string encode(const CommandReply& reply);
std::string encode(const Ack& ack);
std::string encode(const LiveStart& start);
std::string encode(const LiveEnd& end);

Result<Bundle> decode_bundle(std::string_view text);
Result<Command> decode_command(std::string_view text);
Result<AlertMessage> decode_alert(std::string_view text);
Result<AlertCancel> decode_alert_cancel(std::string_view text);
Result<Status> decode_status(std::string_view text);
Result<ProofOfPlayBatch> decode_proof_of_play(std::string_view text);
Result<CommandReply> decode_command_reply(std::string_view text);
Result<Ack> decode_ack(std::string_view text);
// A live start's url must pass scheduler::stream_url_problem(); ends_at must be after
// started_at and at most max_live_duration later.
Result<LiveStart> decode_live_start(std::string_view text);
Result<LiveEnd> decode_live_end(std::string_view text);

// What the payload's "type" says, after the size check for the largest type and a parse.
Result<MessageType> peek_type(std::string_view text);

// An alert topic carries an alert or the cancel that replaced it.
using AlertTopicMessage = std::variant<AlertMessage, AlertCancel>;
Result<AlertTopicMessage> decode_alert_topic(std::string_view text);

// A live topic carries a live start or the end that replaced it.
using LiveTopicMessage = std::variant<LiveStart, LiveEnd>;
Result<LiveTopicMessage> decode_live_topic(std::string_view text);

// A device's pop topic carries proof-of-play batches and command replies.
using UplinkMessage = std::variant<ProofOfPlayBatch, CommandReply>;
Result<UplinkMessage> decode_uplink(std::string_view text);

}  // namespace bantin::protocol
