#include "generate/speculative.h"

#include <algorithm>
#include <string>

#include "runtime/timer.h"
#include "tern/error.h"

namespace tern::gen {

Speculator::Speculator(Session& session, Sampler& sampler, const DraftConfig& config)
    : session_(session), sampler_(sampler), config_(config) {
  validate(config_);
  if (config_.adaptive) policy_.emplace(config_.draft_max);
  drafts_.reserve(static_cast<std::size_t>(config_.draft_max));
  batch_.reserve(static_cast<std::size_t>(config_.draft_max) + 1);
  out_.reserve(static_cast<std::size_t>(config_.draft_max) + 1);
}

std::span<const int32_t> Speculator::step(std::span<const int32_t> context, int64_t budget,
                                          const std::function<bool(int32_t)>& is_stop) {
  const int64_t base = session_.n_past();
  if (context.empty() || static_cast<int64_t>(context.size()) != base + 1) {
    throw Error("speculative step: the context must be the session's " + std::to_string(base) +
                " tokens plus the pending one, got " + std::to_string(context.size()));
  }
  if (budget < 1) throw Error("speculative step: budget must be >= 1");
  if (base >= session_.n_ctx()) throw Error("speculative step: the context is full");
  // k drafts give up to k + 1 tokens and need k + 1 free positions.
  const int64_t room = std::min<int64_t>(budget - 1, session_.n_ctx() - base - 1);
  draft(context, config_, static_cast<int32_t>(std::min<int64_t>(room, kDraftLimit)), drafts_);
  int32_t declined_first = -1;  // the first draft found, when the policy verifies none
  if (policy_) {
    const auto found = static_cast<int32_t>(drafts_.size());
    const int32_t chosen = policy_->choose(found);
    if (chosen == 0 && found > 0) declined_first = drafts_[0];
    drafts_.resize(static_cast<std::size_t>(chosen));
    stats_.declined += found - chosen;
  }
  Stopwatch sw;  // the step's price for the policy: the pass and the sampling of its rows

  batch_.assign(1, context.back());
  batch_.insert(batch_.end(), drafts_.begin(), drafts_.end());
  const std::span<const float> rows = session_.eval_all(batch_);
  const std::size_t V = static_cast<std::size_t>(session_.n_vocab());
  ++stats_.steps;
  stats_.drafted += static_cast<int64_t>(drafts_.size());

  // Row i holds the logits after batch_[i]; drafts_[i] is the guess for the token it predicts.
  out_.clear();
  std::size_t i = 0;
  bool rejected = false;
  for (;; ++i) {
    const std::span<const float> row = rows.subspan(i * V, V);
    const int32_t t = sampler_.sample(row);  // as plain decoding samples it: same token, same draws
    out_.push_back(t);
    if (i == drafts_.size()) break;
    if (t != drafts_[i]) {
      rejected = true;
      break;
    }
    ++stats_.accepted;
    if (is_stop(t)) break;
  }
  // Positions base .. base + i hold the pending token and the i accepted drafts; the last
  // returned token is pending. Later rows were guesses the sampler did not make.
  session_.truncate(base + 1 + static_cast<int64_t>(i));
  if (policy_) {
    policy_->observe(static_cast<int32_t>(drafts_.size()), static_cast<int32_t>(i), rejected, sw.seconds());
    if (declined_first >= 0) policy_->observe_declined(out_[0] == declined_first);
  }
  stats_.emitted += static_cast<int64_t>(out_.size());
  return out_;
}

}  // namespace tern::gen
