// Speculative decoding with context drafts (prompt lookup): each step evaluates the pending
// token together with up to k tokens guessed from the context (src/generate/draft.h) in one
// batched forward pass, so the weights are read once for k + 1 positions, then keeps the
// longest prefix of the guesses the sampler agrees with, plus the sampler's own next token.
//
//   tern::gen::Speculator spec(session, sampler, config);
//   int32_t t = sampler.sample(session.eval(prompt));        // the first token, as usual
//   for (;;) {                                               // t: sampled, not yet evaluated
//     auto more = spec.step(context_with_t, budget, is_stop);  // evaluates t (+ drafts)
//     ... emit `more`; t = more.back();
//   }
//
// Exactness: row i of Session::eval_all is bit-identical to evaluating the same token alone
// (every step but attention is per row; attention runs each query row over its own causal
// prefix with the same arithmetic; tests/model/speculative_test.cpp checks the output), and
// every row is sampled by the same Sampler, in order, exactly as plain decoding samples it;
// a draft is accepted when the sampled token IS the draft. So the output is plain
// decoding's, token for token, greedy or sampled with the same seed (one uniform per
// emitted token either way), and the acceptance probability of a draft d is p(d), as in the
// textbook accept / resample rule for a point-mass draft. Penalties see the accepted tokens
// because the sampler records each one before the next row is sampled. Rejected positions
// are dropped from the KV cache (Session::truncate). How many of the drafts found are
// verified is DraftPolicy's choice (src/generate/draft_policy.h); it changes speed only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include <optional>

#include "generate/draft.h"
#include "generate/draft_policy.h"
#include "tern/sampler.h"
#include "tern/session.h"

namespace tern::gen {

struct SpecStats {
  int64_t steps = 0;     // forward passes (one per step)
  int64_t drafted = 0;   // guessed tokens evaluated
  int64_t accepted = 0;  // of those, the ones the sampler agreed with
  int64_t emitted = 0;   // tokens step() returned
  int64_t declined = 0;  // drafts found but not verified (DraftPolicy: they would not pay)
};

class Speculator {
 public:
  // A config of draft_max 0 is not allowed (validate()); to decode without drafts, do not
  // make a Speculator (or give draft_min > what the context can hold: no draft, plain cost).
  Speculator(Session& session, Sampler& sampler, const DraftConfig& config);

  // `context` = every token of the sequence so far, its last element the pending token
  // (sampled, not yet in the KV cache; the session holds context.size() - 1 positions).
  // Evaluates it with the drafts in one forward pass and returns 1 .. budget tokens: the
  // accepted drafts and then the sampler's own token, stopping early after a token for
  // which is_stop is true. The last returned token is the next pending one (not evaluated).
  // The session then holds context.size() + (returned - 1) positions. Needs budget >= 1 and
  // room for one more position in the context (else tern::Error).
  std::span<const int32_t> step(std::span<const int32_t> context, int64_t budget,
                                const std::function<bool(int32_t)>& is_stop);

  const SpecStats& stats() const { return stats_; }

 private:
  Session& session_;
  Sampler& sampler_;
  DraftConfig config_;
  std::optional<DraftPolicy> policy_;  // when config_.adaptive
  std::vector<int32_t> drafts_, batch_, out_;
  SpecStats stats_;
};

}  // namespace tern::gen
