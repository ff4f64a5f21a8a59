// Windows: sockets are handles with no per-process descriptor limit tern can raise, and the
// process heap has no per-thread arenas: nothing to do.
#include "platform/process_limits.h"

namespace tern {

std::optional<uint64_t> raise_open_file_limit() { return std::nullopt; }

void use_one_malloc_arena() {}

}  // namespace tern
