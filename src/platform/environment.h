// The process's environment and id. POSIX: setenv/unsetenv/getpid (environment_posix.cpp);
// Windows: _putenv_s/_getpid (environment_windows.cpp). Used where the code (mostly tests:
// TERN_KERNEL overrides, per-process temporary names) changes or names its own process.
#pragma once

#include <string>

namespace tern {

void set_env(const std::string& name, const std::string& value);
void unset_env(const std::string& name);
long process_id();

}  // namespace tern
