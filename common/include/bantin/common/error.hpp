#pragma once
// Recoverable errors as values, shared by every Bantin module.
//
// A fallible function returns `bantin::Result<T>` (std::expected<T, Error>). An Error is a
// closed code plus a detail sentence for a person; the detail names what was wrong and
// where (a file:line, a JSON field path, a topic). Exceptions never cross a module
// boundary: library exceptions (nlohmann-json, toml++) are caught where they are thrown and
// turned into an Error. Broken invariants are not errors: they assert.
//
// g++ 12's std::expected lacks and_then/transform; write
//   if (!r) return std::unexpected(r.error());

#include <expected>
#include <string>
#include <string_view>

namespace bantin {

enum class Errc {
    InvalidInput,      // malformed or out-of-range input from a person, a file or the wire
    NotFound,          // a referenced thing does not exist
    AlreadyExists,     // a create that would overwrite
    Unauthenticated,   // no or bad credentials
    PermissionDenied,  // authenticated, but not allowed
    Conflict,          // the state does not allow it (e.g. approving a draft)
    Io,                // a file or database operation failed
    Network,           // a connection failed or was refused
    Timeout,           // gave up waiting
    Crypto,            // a key or signature operation failed
    Unsupported,       // a version, type or feature this build does not handle
    TooLarge,          // over a size limit
    Internal,          // a failing dependency that we cannot classify
};

std::string_view to_string(Errc code);

struct Error {
    Errc code = Errc::Internal;
    std::string detail;

    // "invalid-input: campaigns[2].rank: expected an integer"
    std::string message() const;
};

template <class T>
using Result = std::expected<T, Error>;

// Shorthand for `return std::unexpected(Error{...})`.
inline std::unexpected<Error> fail(Errc code, std::string detail) {
    return std::unexpected(Error{code, std::move(detail)});
}

}  // namespace bantin
