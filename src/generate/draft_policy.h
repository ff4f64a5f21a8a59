// How many of the drafts found are worth verifying, learnt while decoding. A verification
// pass of 1 + k rows costs about a + b·k (a: one row; b: each extra row) and, if each draft
// is right with probability p given the ones before it were, yields 1 + p + … + p^k tokens.
// The policy measures a and b (wall time of each step, by its row count) and p (drafts
// accepted vs the first rejection of each step), and verifies the k that maximises tokens per
// second, k = 0 when no k pays. So on a model whose pass is bound by reading its weights
// (b ≪ a) it drafts eagerly, and on one bound by arithmetic (b ≈ a: the 6M demo model) it
// stops drafting after a few steps and costs what plain decoding costs. A declined draft is
// still scored against the token sampled instead, so the acceptance estimate never goes
// stale; the row price is re-measured with one draft now and then.
//
// The choice changes speed only, never output: the verification samples every row as plain
// decoding would (src/generate/speculative.h). Decisions use measured time, so two runs may
// draft differently; they still emit the same tokens.
#pragma once

#include <cstdint>

namespace tern::gen {

class DraftPolicy {
 public:
  // Steps with a choice of 0 (drafts were found but declined) between two re-measurements
  // with one draft: costs and acceptance drift (the context changes, other processes load
  // the machine), so a "never" is retried now and then at the cheapest price.
  static constexpr int kReexploreEvery = 64;

  explicit DraftPolicy(int32_t draft_max) : draft_max_(draft_max) {}

  // Drafts to verify when the drafter found `found` (0 .. found).
  int32_t choose(int32_t found);
  // After a step: 1 + drafted rows took `seconds`; the first `accepted` drafts were kept, and
  // `rejected` says whether the next one was refused (else the step ended at a stop token or
  // after the last draft).
  void observe(int32_t drafted, int32_t accepted, bool rejected, double seconds);
  // After a step that declined the drafts found: whether the first of them was the token
  // sampled. Acceptance keeps being learnt for free while no draft is verified.
  void observe_declined(bool first_was_right);

  // The current estimates (for stats and tests).
  double row_seconds() const { return a_; }
  double extra_row_seconds() const { return b_; }
  double accept_rate() const { return (hits_ + 1.0) / (hits_ + misses_ + 2.0); }

 private:
  int32_t draft_max_;
  double a_ = 0, b_ = 0;       // exponential moving averages (seconds)
  bool have_a_ = false, have_b_ = false;
  double hits_ = 0, misses_ = 0;  // decayed counts: drafts accepted, steps ended by a rejection
  int32_t declined_ = 0;          // choices of 0 since the last draft verified
};

}  // namespace tern::gen
