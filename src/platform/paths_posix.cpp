// POSIX: the XDG base directory specification, falling back to $HOME.
#include "platform/paths.h"

#include <cstdlib>

namespace tern {
namespace {

std::optional<std::filesystem::path> xdg_dir(const char* variable, const char* home_relative) {
  if (const char* v = std::getenv(variable); v != nullptr && *v != '\0') return std::filesystem::path(v) / "tern";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::filesystem::path(home) / home_relative / "tern";
  return std::nullopt;
}

}  // namespace

std::optional<std::filesystem::path> user_cache_dir() { return xdg_dir("XDG_CACHE_HOME", ".cache"); }
std::optional<std::filesystem::path> user_state_dir() { return xdg_dir("XDG_STATE_HOME", ".local/state"); }

}  // namespace tern
