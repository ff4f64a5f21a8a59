// Windows: the C runtime's _putenv_s (an empty value removes the variable) and _getpid.
#include <process.h>

#include <cstdlib>

#include "platform/environment.h"

namespace tern {

void set_env(const std::string& name, const std::string& value) { _putenv_s(name.c_str(), value.c_str()); }
void unset_env(const std::string& name) { _putenv_s(name.c_str(), ""); }
long process_id() { return static_cast<long>(_getpid()); }

}  // namespace tern
