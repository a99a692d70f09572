#pragma once
// Internal: whole-file reads and owner-only writes for key and provisioning files.

#include "bantin/common/error.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace bantin::protocol::detail {

enum class FileAccess { OwnerOnly, Public };  // 0600 or 0644

// Creates the file with the mode set at open() time (no window where it is readable), then
// fchmod()s it in case it existed. `replace` false: fails with AlreadyExists if present.
Result<void> write_file(const std::filesystem::path& path, std::string_view content, FileAccess access,
                        bool replace);

// Reads a whole file of at most `limit` bytes. OwnerOnly: refuses (PermissionDenied) a file
// that its group or others may read or write.
Result<std::string> read_file(const std::filesystem::path& path, FileAccess access, std::size_t limit);

}  // namespace bantin::protocol::detail
