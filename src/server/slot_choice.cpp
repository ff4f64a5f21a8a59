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
  size_t best = 0;
  int64_t best_score = -1;
  for (size_t i = 0; i < free.size(); ++i) {
    const int64_t r = reuse ? reusable_prefix(free[i].held, prompt) : 0;
    const int64_t score = 2 * r >= static_cast<int64_t>(free[i].held.size()) ? r : 0;  // worth what it evicts
    if (score > best_score || (score == best_score && free[i].last_used < free[best].last_used)) {
      best = i;
      best_score = score;
    }
  }
  return {best, reuse ? reusable_prefix(free[best].held, prompt) : 0};
}

}  // namespace tern::server
