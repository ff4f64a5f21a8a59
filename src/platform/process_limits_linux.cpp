// Linux: getrlimit/setrlimit and glibc's M_ARENA_MAX.
#include "platform/process_limits.h"

#include <malloc.h>
#include <sys/resource.h>

namespace tern {

std::optional<uint64_t> raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return std::nullopt;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<uint64_t>(lim.rlim_cur);
}

void use_one_malloc_arena() {
#ifdef __GLIBC__
  mallopt(M_ARENA_MAX, 1);
#endif
}

}  // namespace tern
