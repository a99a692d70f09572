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

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::Completed: return "completed";
        case Outcome::Interrupted: return "interrupted";
        case Outcome::Failed: return "failed";
    }
    return "?";
}

Result<Outcome> parse_outcome(std::string_view text) {
    for (Outcome outcome : {Outcome::Completed, Outcome::Interrupted, Outcome::Failed}) {
        if (to_string(outcome) == text)
            return outcome;
    }
    return fail(Errc::InvalidInput, "outcome: unknown value \"" + std::string{text} +
                                        "\" (expected completed, interrupted, failed)");
}

std::string_view to_string(ReplyResult result) {
    switch (result) {
        case ReplyResult::Ok: return "ok";
        case ReplyResult::Error: return "error";
    }
    return "?";
}

}  // namespace bantin::protocol
