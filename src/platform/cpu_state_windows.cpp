// Windows: tern does not ask for AMX tile state there (untested), so AMX is never used.
#include "platform/cpu_state.h"

namespace tern {

bool request_amx_tile_state() { return false; }

}  // namespace tern
