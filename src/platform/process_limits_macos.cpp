// macOS: setrlimit(RLIMIT_NOFILE), capped at OPEN_MAX: macOS reports an unlimited hard limit
// but refuses (EINVAL) a soft limit above OPEN_MAX (setrlimit(2), COMPATIBILITY). Its
// allocator has no per-thread arenas to limit.
#include "platform/process_limits.h"

#include <sys/resource.h>
#include <sys/syslimits.h>

#include <algorithm>

namespace tern {

std::optional<uint64_t> raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return std::nullopt;
  const rlim_t want = std::min<rlim_t>(lim.rlim_max, OPEN_MAX);
  if (lim.rlim_cur < want) {
    lim.rlim_cur = want;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<uint64_t>(lim.rlim_cur);
}

void use_one_malloc_arena() {}

}  // namespace tern
