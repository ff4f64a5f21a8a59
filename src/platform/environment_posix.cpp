// POSIX: setenv, unsetenv, getpid.
#include <unistd.h>

#include <cstdlib>

#include "platform/environment.h"

namespace tern {

void set_env(const std::string& name, const std::string& value) { ::setenv(name.c_str(), value.c_str(), 1); }
void unset_env(const std::string& name) { ::unsetenv(name.c_str()); }
long process_id() { return static_cast<long>(::getpid()); }

}  // namespace tern
