// The sampling chain (see include/tern/sampler.h). Semantics follow llama.cpp's samplers:
// bias and penalties on raw logits, then top-k / top-p / min-p on the temperature-1
// distribution, then temperature and a draw from the renormalised survivors. Presence and
// frequency penalties are OpenAI's (over every generated token, not a window).
#include "tern/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "tern/error.h"

namespace tern {

namespace {

// Descending logit, ties to the lower id: a strict total order, so every sort and
// selection below has exactly one result whatever algorithm the library uses.
bool before(const Candidate& a, const Candidate& b) {
  if (a.logit != b.logit) return a.logit > b.logit;
  return a.id < b.id;
}

// NaN never wins; +inf becomes the largest float so exp(l - max) stays finite.
float sanitize(float x) {
  if (std::isnan(x)) return -std::numeric_limits<float>::infinity();
  if (std::isinf(x) && x > 0) return std::numeric_limits<float>::max();
  return x;
}

}  // namespace

Sampler::Sampler(const SamplerConfig& c, int32_t n_vocab) : config_(c), n_vocab_(n_vocab), rng_(c.seed) {
  auto bad = [](const std::string& what) { throw Error("sampler config: " + what); };
  if (n_vocab <= 0) bad("vocabulary size must be positive, got " + std::to_string(n_vocab));
  if (!(c.temperature >= 0) || std::isinf(c.temperature)) bad("temperature must be a finite number >= 0");
  if (!(c.top_p > 0 && c.top_p <= 1) && !(c.top_p > 1)) bad("top_p must be in (0, 1] (or > 1 to disable)");
  if (!(c.min_p >= 0 && c.min_p <= 1) && !(c.min_p < 0)) bad("min_p must be in [0, 1] (or < 0 to disable)");
  if (!(c.repeat_penalty > 0) || std::isinf(c.repeat_penalty)) bad("repeat_penalty must be a finite number > 0");
  if (c.repeat_last_n < 0) bad("repeat_last_n must be >= 0");
  if (!std::isfinite(c.presence_penalty)) bad("presence_penalty must be a finite number");
  if (!std::isfinite(c.frequency_penalty)) bad("frequency_penalty must be a finite number");
  for (const auto& [id, bias] : c.logit_bias) {
    if (id < 0 || id >= n_vocab) bad("logit_bias token " + std::to_string(id) + " is outside the vocabulary");
    if (std::isnan(bias) || (std::isinf(bias) && bias > 0)) bad("logit_bias values must be numbers (or -inf to ban)");
  }
  if (c.presence_penalty != 0.0f || c.frequency_penalty != 0.0f) counts_.assign(static_cast<std::size_t>(n_vocab), 0);
  cand_.resize(static_cast<std::size_t>(n_vocab));
  weights_.resize(static_cast<std::size_t>(n_vocab));
  stamp_.assign(static_cast<std::size_t>(n_vocab), 0);
  history_.assign(static_cast<std::size_t>(c.repeat_last_n), 0);
}

void Sampler::reset() {
  rng_.seed(config_.seed);
  forget_tokens();
}

void Sampler::forget_tokens() {
  history_len_ = history_next_ = 0;
  for (int32_t id : generated_) counts_[static_cast<std::size_t>(id)] = 0;
  generated_.clear();
}

void Sampler::count_generated(int32_t token) {
  if (counts_.empty() || token < 0 || token >= n_vocab_) return;
  if (counts_[static_cast<std::size_t>(token)]++ == 0) generated_.push_back(token);
}

// Candidates are in id order here (cand_[id] is token id), as for apply_penalty.
void Sampler::apply_bias_and_openai_penalties() {
  for (const auto& [id, bias] : config_.logit_bias) cand_[static_cast<std::size_t>(id)].logit += bias;
  apply_penalty();
  for (int32_t id : generated_) {
    const auto u = static_cast<std::size_t>(id);
    cand_[u].logit -= config_.presence_penalty + config_.frequency_penalty * static_cast<float>(counts_[u]);
  }
}

void Sampler::accept(int32_t token) {
  if (history_.empty()) return;
  history_[history_next_] = token;
  history_next_ = (history_next_ + 1) % history_.size();
  history_len_ = std::min(history_len_ + 1, history_.size());
}

double Sampler::next_uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

// Each distinct token of the window is penalized once (as llama.cpp does), however often
// it occurs. Candidates are still in id order here, so cand_[id] is token id.
void Sampler::apply_penalty() {
  if (config_.repeat_penalty == 1.0f || history_len_ == 0) return;
  if (++round_ == 0) {  // stamp counter wrapped: clear the marks once every 2^32 tokens
    std::fill(stamp_.begin(), stamp_.end(), 0);
    round_ = 1;
  }
  for (std::size_t i = 0; i < history_len_; ++i) {
    int32_t id = history_[i];
    if (id < 0 || id >= n_vocab_) continue;  // not a token of this vocabulary
    auto u = static_cast<std::size_t>(id);
    if (stamp_[u] == round_) continue;
    stamp_[u] = round_;
    float& l = cand_[u].logit;
    l = l > 0 ? l / config_.repeat_penalty : l * config_.repeat_penalty;
  }
}

int32_t Sampler::greedy() const {
  std::size_t best = 0;
  for (std::size_t i = 1; i < n_cand_; ++i)
    if (before(cand_[i], cand_[best])) best = i;
  return cand_[best].id;
}

// Probabilities at temperature 1 of the first n_cand_ candidates (sorted, so cand_[0] holds
// the largest logit), normalised over themselves; weights_[i] = exp(logit_i - max).
void Sampler::normalise_sorted() {
  const float max_l = cand_[0].logit;
  double sum = 0;
  for (std::size_t i = 0; i < n_cand_; ++i) {
    const double w = std::isinf(max_l) && max_l < 0 ? 1.0 : std::exp(static_cast<double>(cand_[i].logit) - max_l);
    weights_[i] = w;
    sum += w;
  }
  for (std::size_t i = 0; i < n_cand_; ++i) cand_[i].p = static_cast<float>(weights_[i] / sum);
}

// Without top-k, sorting the whole vocabulary (128k entries: milliseconds a token) is wasted
// work: only tokens that can survive top-p and min-p need an order. Probabilities are
// normalised over the whole vocabulary (summed in id order, as deterministic as sorted
// order), so top-p sees exactly the distribution a full sort would give it.
//  - min-p keeps only tokens with weight >= min_p (relative to the top token): they are
//    moved to the front, and nothing behind them is ever sorted;
//  - top-p keeps the shortest sorted prefix reaching mass p: sort a prefix of m, growing m
//    eightfold until its mass reaches p (or everything is sorted).
// With neither filter every token survives and the whole vocabulary is sorted.
void Sampler::sort_survivors_of_full_vocab() {
  auto first = cand_.begin();
  float max_l = -std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < n_cand_; ++i) max_l = std::max(max_l, cand_[i].logit);
  const bool all_neg_inf = std::isinf(max_l) && max_l < 0;
  auto weight = [&](const Candidate& c) {
    return all_neg_inf ? 1.0 : std::exp(static_cast<double>(c.logit) - max_l);
  };
  double total = 0;
  for (std::size_t i = 0; i < n_cand_; ++i) total += weight(cand_[i]);

  auto at = [&](std::size_t i) { return first + static_cast<std::ptrdiff_t>(i); };
  std::size_t pool = n_cand_;  // candidates that may survive, at the front
  if (config_.min_p > 0.0f) {
    const double floor_w = static_cast<double>(config_.min_p);
    pool = static_cast<std::size_t>(
        std::partition(first, at(n_cand_), [&](const Candidate& c) { return weight(c) >= floor_w; }) - first);
  }
  std::size_t sorted = pool;
  if (config_.top_p < 1.0f) {
    for (std::size_t m = std::min<std::size_t>(256, pool);; m = std::min(pool, m * 8)) {
      std::partial_sort(first, at(m), at(pool), before);
      double cum = 0;
      for (std::size_t i = 0; i < m; ++i) cum += weight(cand_[i]) / total;
      sorted = m;
      if (cum >= config_.top_p || m == pool) break;
    }
  } else {
    std::sort(first, at(pool), before);
  }
  n_cand_ = sorted;
  for (std::size_t i = 0; i < n_cand_; ++i) {
    weights_[i] = weight(cand_[i]);
    cand_[i].p = static_cast<float>(weights_[i] / total);
  }
}

// Every id a candidate with its (sanitized) logit, then the repetition penalty.
void Sampler::load_candidates(std::span<const float> logits) {
  if (logits.size() != static_cast<std::size_t>(n_vocab_))
    throw Error("sampler: got " + std::to_string(logits.size()) + " logits for a vocabulary of " +
                std::to_string(n_vocab_));
  n_cand_ = logits.size();
  for (std::size_t i = 0; i < n_cand_; ++i) cand_[i] = {static_cast<int32_t>(i), sanitize(logits[i]), 0.0f};
  apply_bias_and_openai_penalties();
}

std::span<const Candidate> Sampler::filter(std::span<const float> logits) {
  load_candidates(logits);

  auto first = cand_.begin();
  if (config_.top_k > 0 && static_cast<std::size_t>(config_.top_k) < n_cand_) {
    // top-k: keep the k best, sorted.
    std::partial_sort(first, first + config_.top_k, first + static_cast<std::ptrdiff_t>(n_cand_), before);
    n_cand_ = static_cast<std::size_t>(config_.top_k);
    normalise_sorted();
  } else {
    sort_survivors_of_full_vocab();
  }

  // top-p: the shortest prefix whose probability reaches p (at least one token).
  if (config_.top_p < 1.0f) {
    double cum = 0;
    std::size_t keep = n_cand_;
    for (std::size_t i = 0; i < n_cand_; ++i) {
      cum += cand_[i].p;
      if (cum >= config_.top_p) {
        keep = i + 1;
        break;
      }
    }
    n_cand_ = keep;
  }
  // min-p: drop tokens whose probability is below min_p x the top token's.
  if (config_.min_p > 0.0f) {
    const double floor_w = static_cast<double>(config_.min_p);  // relative to weights_[0] == 1
    std::size_t keep = 1;
    while (keep < n_cand_ && weights_[keep] >= floor_w) ++keep;
    n_cand_ = keep;
  }
  if (config_.top_p < 1.0f || config_.min_p > 0.0f) normalise_sorted();
  return {cand_.data(), n_cand_};
}

int32_t Sampler::sample(std::span<const float> logits) { return sample(logits, 0, nullptr); }

// log softmax(logit * inv_t) over the first n_cand_ candidates (in any order): the chosen
// token's value and the n_top best. Tokens of probability 0 (logit -inf) are not listed.
void Sampler::fill_logprobs(int32_t token, double inv_t, int n_top, SampleLogprobs* out) {
  float max_l = -std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < n_cand_; ++i) max_l = std::max(max_l, cand_[i].logit);
  const bool all_neg_inf = std::isinf(max_l) && max_l < 0;
  double sum = 0;
  for (std::size_t i = 0; i < n_cand_; ++i) {
    sum += all_neg_inf ? 1.0 : std::exp((static_cast<double>(cand_[i].logit) - max_l) * inv_t);
  }
  const double log_sum = std::log(sum);
  auto logprob = [&](const Candidate& c) {
    return static_cast<float>(all_neg_inf ? -log_sum : (static_cast<double>(c.logit) - max_l) * inv_t - log_sum);
  };
  out->top.clear();
  out->chosen = {token, 0.0f};
  for (std::size_t i = 0; i < n_cand_; ++i) {
    if (cand_[i].id == token) out->chosen.logprob = logprob(cand_[i]);
  }
  const std::size_t n = std::min(n_cand_, static_cast<std::size_t>(std::max(0, n_top)));
  if (n == 0) return;
  auto first = cand_.begin();
  std::partial_sort(first, first + static_cast<std::ptrdiff_t>(n), first + static_cast<std::ptrdiff_t>(n_cand_), before);
  for (std::size_t i = 0; i < n; ++i) {
    const float lp = logprob(cand_[i]);
    if (std::isinf(lp)) break;  // sorted: the rest are impossible too
    out->top.push_back({cand_[i].id, lp});
  }
}

int32_t Sampler::sample(std::span<const float> logits, int n_top, SampleLogprobs* out) {
  int32_t token;
  if (config_.temperature == 0.0f) {
    load_candidates(logits);
    token = greedy();
    if (out) fill_logprobs(token, 1.0, n_top, out);
  } else {
    filter(logits);
    // Temperature, then one draw over the survivors in their sorted order.
    const double inv_t = 1.0 / static_cast<double>(config_.temperature);
    const double max_l = cand_[0].logit;
    double sum = 0;
    for (std::size_t i = 0; i < n_cand_; ++i) {
      double w = std::isinf(max_l) && max_l < 0 ? 1.0 : std::exp((cand_[i].logit - max_l) * inv_t);
      weights_[i] = w;
      sum += w;
    }
    const double target = next_uniform() * sum;
    double cum = 0;
    token = cand_[n_cand_ - 1].id;
    for (std::size_t i = 0; i < n_cand_; ++i) {
      cum += weights_[i];
      if (target < cum) {
        token = cand_[i].id;
        break;
      }
    }
    if (out) fill_logprobs(token, inv_t, n_top, out);
  }
  accept(token);
  count_generated(token);
  return token;
}

}  // namespace tern
