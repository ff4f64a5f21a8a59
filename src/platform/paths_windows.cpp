// Windows: per-user, machine-local application data (%LOCALAPPDATA%, e.g.
// C:\Users\NAME\AppData\Local), falling back to %USERPROFILE%\AppData\Local.
#include <cstdlib>

#include "platform/paths.h"

namespace tern {
namespace {

std::optional<std::filesystem::path> local_app_dir(const char* leaf) {
  if (const char* v = std::getenv("LOCALAPPDATA"); v != nullptr && *v != '\0')
    return std::filesystem::path(v) / "tern" / leaf;
  if (const char* home = std::getenv("USERPROFILE"); home != nullptr && *home != '\0')
    return std::filesystem::path(home) / "AppData" / "Local" / "tern" / leaf;
  return std::nullopt;
}

}  // namespace

std::optional<std::filesystem::path> user_cache_dir() { return local_app_dir("cache"); }
std::optional<std::filesystem::path> user_state_dir() { return local_app_dir("state"); }

}  // namespace tern
