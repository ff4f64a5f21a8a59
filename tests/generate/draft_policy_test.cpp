// DraftPolicy on simulated costs and acceptance (no model, no clock): it measures a plain
// step first, then extra rows, then verifies the number of drafts that maximises tokens per
// second under its estimates; it stops drafting where rows cost as much as a plain step and
// drafts eagerly where they are nearly free, keeps learning acceptance from declined drafts,
// and retries a declined draft now and then.
#include "generate/draft_policy.h"

#include <gtest/gtest.h>

#include <random>

namespace tern::gen {
namespace {

// Runs the policy for `steps` steps with `found` drafts offered each time; a step of 1 + k
// rows costs a + b·k, and each draft is right with probability p given the previous were.
// Returns the mean number of drafts verified over the last half of the steps.
double simulate(DraftPolicy& policy, double a, double b, double p, int32_t found, int steps, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution right(p);
  double verified_late = 0;
  for (int s = 0; s < steps; ++s) {
    const int32_t k = policy.choose(found);
    EXPECT_GE(k, 0);
    EXPECT_LE(k, found);
    int32_t accepted = 0;
    while (accepted < k && right(rng)) ++accepted;
    policy.observe(k, accepted, accepted < k, a + b * k);
    if (k == 0 && found > 0) policy.observe_declined(right(rng));
    if (s >= steps / 2) verified_late += k;
  }
  return verified_late / (steps - steps / 2);
}

TEST(DraftPolicy, MeasuresAPlainStepThenExtraRows) {
  DraftPolicy policy(8);
  EXPECT_EQ(policy.choose(0), 0);
  EXPECT_EQ(policy.choose(5), 0) << "no price of a plain step yet";
  policy.observe(0, 0, false, 1.0);
  EXPECT_EQ(policy.choose(5), 2) << "the price of extra rows is measured with two drafts";
  EXPECT_EQ(policy.choose(1), 1) << "or fewer, if fewer were found";
  policy.observe(2, 1, true, 1.2);
  EXPECT_DOUBLE_EQ(policy.row_seconds(), 1.0);
  EXPECT_DOUBLE_EQ(policy.extra_row_seconds(), 0.1);
}

TEST(DraftPolicy, NeverMoreThanDraftMax) {
  DraftPolicy policy(3);
  policy.observe(0, 0, false, 1.0);
  EXPECT_EQ(policy.choose(10), 2);
  policy.observe(2, 2, false, 1.0);  // free rows, every draft right
  EXPECT_EQ(policy.choose(10), 3);
}

TEST(DraftPolicy, ComputeBoundRowsStopTheDrafts) {
  // Every row costs what a plain step costs: no acceptance below 1 pays for a draft.
  DraftPolicy policy(8);
  const double mean = simulate(policy, 1.0, 1.0, 0.4, 6, 2000);
  EXPECT_LT(mean, 0.1) << "only the occasional re-measurement drafts";
  EXPECT_GT(mean, 0.0) << "a declined draft is retried now and then";
}

TEST(DraftPolicy, MemoryBoundRowsDraftEagerly) {
  // Extra rows at 2 % of a step (a pass bound by reading the weights), drafts right 70 %.
  DraftPolicy policy(8);
  const double mean = simulate(policy, 1.0, 0.02, 0.7, 8, 2000);
  EXPECT_GT(mean, 5.0);
  EXPECT_NEAR(policy.accept_rate(), 0.7, 0.1);
}

TEST(DraftPolicy, ChoiceMaximisesTokensPerSecondOfItsEstimates) {
  // a = 1, b = 0.3, p = 0.5: tokens/cost for k = 0..3 is 1, 1.15, 1.09, 0.98 -> k = 1.
  DraftPolicy policy(8);
  simulate(policy, 1.0, 0.3, 0.5, 3, 4000, 7);
  EXPECT_NEAR(policy.extra_row_seconds(), 0.3, 1e-9);
  const double p = policy.accept_rate();
  ASSERT_NEAR(p, 0.5, 0.1);
  int32_t best = 0;
  double best_rate = 1.0, tokens = 1.0, pk = 1.0;
  for (int32_t k = 1; k <= 3; ++k) {
    pk *= p;
    tokens += pk;
    if (tokens / (1.0 + 0.3 * k) > best_rate) best_rate = tokens / (1.0 + 0.3 * k), best = k;
  }
  EXPECT_EQ(policy.choose(3), best);
}

TEST(DraftPolicy, DeclinedDraftsStillTeachAcceptance) {
  DraftPolicy policy(8);
  simulate(policy, 1.0, 0.5, 0.1, 4, 200);  // drafts rarely right and rows dear: declined
  EXPECT_EQ(policy.choose(4), 0);
  for (int i = 0; i < 100; ++i) policy.observe_declined(true);  // the text turned repetitive
  EXPECT_GT(policy.accept_rate(), 0.9);
  EXPECT_GT(policy.choose(4), 0) << "without verifying a draft, the policy learnt they now pay";
}

TEST(DraftPolicy, AcceptanceThatFallsStopsTheDrafts) {
  DraftPolicy policy(8);
  EXPECT_GT(simulate(policy, 1.0, 0.1, 0.9, 8, 400), 4.0);
  EXPECT_LT(simulate(policy, 1.0, 0.1, 0.02, 8, 400), 0.5) << "recent acceptance counts most";
}

}  // namespace
}  // namespace tern::gen
