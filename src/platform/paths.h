// Per-user folders tern keeps files in. POSIX (paths_posix.cpp): the XDG base directories;
// Windows (paths_windows.cpp): under %LOCALAPPDATA%\tern.
#pragma once

#include <filesystem>
#include <optional>

namespace tern {

// Caches that can be rebuilt (the repacked-weights cache): $XDG_CACHE_HOME/tern, else
// $HOME/.cache/tern; Windows %LOCALAPPDATA%\tern\cache. nullopt when there is no home.
std::optional<std::filesystem::path> user_cache_dir();

// State worth keeping (chat history): $XDG_STATE_HOME/tern, else $HOME/.local/state/tern;
// Windows %LOCALAPPDATA%\tern\state. nullopt when there is no home.
std::optional<std::filesystem::path> user_state_dir();

}  // namespace tern
