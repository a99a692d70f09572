#pragma once
// Commands from the controller (bantin/v1/dev/{id}/cmd, signed): ping, set-volume, reload,
// screenshot. The daemon verifies each (verify_command: signature, device, not expired, id
// not seen before), acts, remembers the id, and answers with a CommandReply on its pop
// topic (the only topics a device may write are status and pop). The reply waits in the
// outbox and is sent again until an ack lists the command id (Ack::replied_commands).
//
// Screenshot: the engine writes a PNG of the current frame; the daemon keeps it in the
// content store and replies with payload "sha256:<digest>" and the size in the detail
// (a protocol reply payload is at most 1 KiB, too small for an image).
//
// Pure helpers; any thread.

#include "bantin/common/time.hpp"
#include "bantin/protocol/messages.hpp"

#include <string>

namespace bantin::player {

protocol::CommandReply make_reply(const std::string& device, const protocol::Command& command,
                                  protocol::ReplyResult result, std::string detail, TimePoint now);

// "volume 30 (asked 100, capped at 30)"
std::string describe_volume(int applied, int asked, int cap);

}  // namespace bantin::player
