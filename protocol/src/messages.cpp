#include "bantin/protocol/messages.hpp"

namespace bantin::protocol {

std::string_view to_string(CommandKind kind) {
    switch (kind) {
        case CommandKind::Ping: return "ping";
        case CommandKind::SetVolume: return "set-volume";
        case CommandKind::Reload: return "reload";
        case CommandKind::Screenshot: return "screenshot";
    }
    return "?";
}

std::string_view to_string(Presence presence) {
    switch (presence) {
        case Presence::Online: return "online";
        case Presence::Offline: return "offline";
    }
    return "?";
}

std::string_view to_string(SourceKind source) {
    switch (source) {
        case SourceKind::Campaign: return "campaign";
        case SourceKind::Alert: return "alert";
    }
    return "?";
}

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::Completed: return "completed";
        case Outcome::Interrupted: return "interrupted";
        case Outcome::Failed: return "failed";
    }
    return "?";
}

std::string_view to_string(ReplyResult result) {
    switch (result) {
        case ReplyResult::Ok: return "ok";
        case ReplyResult::Error: return "error";
    }
    return "?";
}

}  // namespace bantin::protocol
