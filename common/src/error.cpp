#include "bantin/common/error.hpp"

namespace bantin {

std::string_view to_string(Errc code) {
    switch (code) {
        case Errc::InvalidInput: return "invalid-input";
        case Errc::NotFound: return "not-found";
        case Errc::AlreadyExists: return "already-exists";
        case Errc::Unauthenticated: return "unauthenticated";
        case Errc::PermissionDenied: return "permission-denied";
        case Errc::Conflict: return "conflict";
        case Errc::Io: return "io";
        case Errc::Network: return "network";
        case Errc::Timeout: return "timeout";
        case Errc::Crypto: return "crypto";
        case Errc::Unsupported: return "unsupported";
        case Errc::TooLarge: return "too-large";
        case Errc::Internal: return "internal";
    }
    return "unknown";
}

std::string Error::message() const {
    std::string text{to_string(code)};
    if (!detail.empty()) {
        text += ": ";
        text += detail;
    }
    return text;
}

}  // namespace bantin
