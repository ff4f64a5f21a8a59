#include "generate/draft_policy.h"

#include <algorithm>

namespace tern::gen {

namespace {
constexpr double kCostWeight = 0.1;   // of a new timing in the running averages: smooths noise
constexpr double kAcceptDecay = 0.95; // per step with drafts: recent acceptance counts most
constexpr int32_t kFirstProbe = 2;    // drafts in the step that first prices extra rows: cheap where rows are dear
}  // namespace

int32_t DraftPolicy::choose(int32_t found) {
  const int32_t cap = std::min(found, draft_max_);
  if (cap <= 0) return 0;
  if (!have_a_) return 0;    // first the price of a plain step
  if (!have_b_) return std::min(cap, kFirstProbe);  // then the price of extra rows
  const double p = accept_rate();
  // Expected tokens of k drafts: 1 + p + ... + p^k; cost a + b·k.
  int32_t best = 0;
  double best_rate = 1.0 / std::max(a_, 1e-12), tokens = 1.0, pk = 1.0;
  for (int32_t k = 1; k <= cap; ++k) {
    pk *= p;
    tokens += pk;
    const double rate = tokens / std::max(a_ + b_ * k, 1e-12);
    if (rate > best_rate) {
      best_rate = rate;
      best = k;
    }
  }
  if (best > 0) {
    declined_ = 0;
    return best;
  }
  if (++declined_ >= kReexploreEvery) {
    declined_ = 0;
    return 1;
  }
  return 0;
}

void DraftPolicy::observe(int32_t drafted, int32_t accepted, bool rejected, double seconds) {
  if (drafted <= 0) {
    a_ = have_a_ ? a_ + kCostWeight * (seconds - a_) : seconds;
    have_a_ = true;
    return;
  }
  if (have_a_) {
    const double extra = std::max(0.0, seconds - a_) / drafted;
    b_ = have_b_ ? b_ + kCostWeight * (extra - b_) : extra;
    have_b_ = true;
  }
  hits_ = hits_ * kAcceptDecay + accepted;
  misses_ = misses_ * kAcceptDecay + (rejected ? 1.0 : 0.0);
}

void DraftPolicy::observe_declined(bool first_was_right) {
  hits_ = hits_ * kAcceptDecay + (first_was_right ? 1.0 : 0.0);
  misses_ = misses_ * kAcceptDecay + (first_was_right ? 0.0 : 1.0);
}

}  // namespace tern::gen
