#include "server/slot_choice.h"

#include <algorithm>

namespace tern::server {

int64_t reusable_prefix(std::span<const int32_t> held, std::span<const int32_t> prompt) {
  if (prompt.empty()) return 0;
  const size_t limit = std::min(held.size(), prompt.size() - 1);
  size_t n = 0;
  while (n < limit && held[n] == prompt[n]) ++n;
  return static_cast<int64_t>(n);
}

SlotChoice choose_slot(std::span<const FreeSlot> free, std::span<const int32_t> prompt, bool reuse) {
  SlotChoice best;
  for (size_t i = 0; i < free.size(); ++i) {
    const int64_t r = reuse ? reusable_prefix(free[i].held, prompt) : 0;
    if (i == 0 || r > best.reused || (r == best.reused && free[i].last_used < free[best.index].last_used)) {
      best = {i, r};
    }
  }
  return best;
}

}  // namespace tern::server
