#include "bantin/player/commands.hpp"

namespace bantin::player {

protocol::CommandReply make_reply(const std::string& device, const protocol::Command& command,
                                  protocol::ReplyResult result, std::string detail, TimePoint now) {
    protocol::CommandReply reply;
    reply.device = device;
    reply.command_id = command.id;
    reply.result = result;
    reply.detail = std::move(detail);
    if (reply.detail.size() > 1000)
        reply.detail.resize(1000);
    reply.replied_at = now;
    return reply;
}

std::string describe_volume(int applied, int asked, int cap) {
    std::string text = "volume " + std::to_string(applied);
    if (asked != applied)
        text += " (asked " + std::to_string(asked) + ", capped at " + std::to_string(cap) + ")";
    return text;
}

}  // namespace bantin::player
