// macOS: AMX tile data is an x86 feature (Apple silicon's matrix unit is a different,
// undocumented thing); on an arm64 Mac there is nothing to ask for.
#include "platform/cpu_state.h"

namespace tern {

bool request_amx_tile_state() { return false; }

}  // namespace tern
