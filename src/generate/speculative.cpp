#include "generate/speculative.h"

#include <algorithm>
#include <string>

#include "tern/error.h"

namespace tern::gen {

Speculator::Speculator(Session& session, Sampler& sampler, const DraftConfig& config)
    : session_(session), sampler_(sampler), config_(config) {
  validate(config_);
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

  batch_.assign(1, context.back());
  batch_.insert(batch_.end(), drafts_.begin(), drafts_.end());
  const std::span<const float> rows = session_.eval_all(batch_);
  const std::size_t V = static_cast<std::size_t>(session_.n_vocab());
  ++stats_.steps;
  stats_.drafted += static_cast<int64_t>(drafts_.size());

  // Row i holds the logits after batch_[i]; drafts_[i] is the guess for the token it predicts.
  out_.clear();
  std::size_t i = 0;
  for (;; ++i) {
    const std::span<const float> row = rows.subspan(i * V, V);
    const bool has_draft = i < drafts_.size();
    const int32_t t = has_draft ? sampler_.sample_draft(row, drafts_[i]) : sampler_.sample(row);
    out_.push_back(t);
    if (!has_draft || t != drafts_[i]) break;
    ++stats_.accepted;
    if (is_stop(t)) break;
  }
  // Positions base .. base + i hold the pending token and the i accepted drafts; the last
  // returned token is pending. Later rows were guesses the sampler did not make.
  session_.truncate(base + 1 + static_cast<int64_t>(i));
  stats_.emitted += static_cast<int64_t>(out_.size());
  return out_;
}

}  // namespace tern::gen
