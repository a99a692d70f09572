#pragma once
// Internal: whole-file reads and owner-only writes for key, provisioning and broker files.

#include "bantin/common/error.hpp"

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace bantin::protocol::detail {

enum class FileAccess { OwnerOnly, Public };  // 0600 or 0644

// Creates the file with the mode set at open() time (no window where it is readable), then
// fchmod()s it in case it existed. `replace` false: fails with AlreadyExists if present.
Result<void> write_file(const std::filesystem::path& path, std::string_view content, FileAccess access,
                        bool replace);

// The account a replaced file is handed to (fchown) before it is renamed into place.
struct FileOwner {
    uid_t user = 0;
    gid_t group = 0;
};

// The name, inside the target's directory, of the temporary file for attempt `attempt`
// (0, 1, ...). The default is `.<name>.<16 random hex digits>.tmp`.
using TemporaryName = std::function<std::string(unsigned attempt)>;

// Replaces `path` atomically. The content goes to a new temporary file beside it, opened
// O_CREAT|O_EXCL|O_NOFOLLOW with the final mode (so nothing that already exists at that
// name, a file or a symlink, is ever opened, and the content is never readable by others),
// is fsynced, handed to `owner` if given, renamed over `path`, and the directory is
// fsynced. A name that exists is skipped for the next one (at most 16 tries). On any
// failure the temporary file is removed and `path` keeps its old content.
Result<void> replace_file(const std::filesystem::path& path, std::string_view content, FileAccess access,
                          std::optional<FileOwner> owner = std::nullopt,
                          const TemporaryName& temporary_name = {});

// Reads a whole file of at most `limit` bytes. OwnerOnly: refuses (PermissionDenied) a file
// that its group or others may read or write.
Result<std::string> read_file(const std::filesystem::path& path, FileAccess access, std::size_t limit);

}  // namespace bantin::protocol::detail
