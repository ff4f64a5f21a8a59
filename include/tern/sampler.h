// Token sampling: a fixed chain, as llama.cpp orders it —
//   repetition penalty (last-n window) -> top-k -> top-p -> min-p -> temperature -> draw
// — with greedy argmax (ties -> lowest id) when temperature == 0. Deterministic: the same
// seed and inputs give the same tokens on every run and thread count (the sampler is
// single-threaded; the draw uses std::mt19937_64, whose output the C++ standard fixes,
// and our own uniform mapping, never the implementation-defined std distributions).
// All buffers are sized once: sampling a token allocates nothing.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace tern {

struct SamplerConfig {
  float temperature = 0.8f;     // 0: greedy
  int32_t top_k = 40;           // <= 0 or >= vocabulary: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off
  float repeat_penalty = 1.0f;  // 1: off. logit > 0 -> logit / penalty, else logit * penalty
  int32_t repeat_last_n = 64;   // window of recent tokens the penalty looks at; 0: off
  uint64_t seed = 0;
};

struct Candidate {
  int32_t id;
  float logit;  // after the repetition penalty
  float p;      // probability among the survivors, at temperature 1 until the draw
};

class Sampler {
 public:
  // Throws tern::Error for a config no sampler can honour (NaN, negative temperature,
  // top_p outside (0, 1], min_p outside [0, 1], repeat_penalty <= 0, n_vocab <= 0).
  Sampler(const SamplerConfig& config, int32_t n_vocab);

  // Picks the next token from `logits` (n_vocab values) and records it in the
  // repetition window. NaN logits count as -inf.
  int32_t sample(std::span<const float> logits);
  // Records a token (e.g. the prompt's) in the repetition window without sampling.
  void accept(int32_t token);
  // Forgets the window and restarts the random sequence from the seed.
  void reset();

  // The chain without the draw: penalty, top-k, top-p, min-p. Returns the surviving
  // candidates, sorted by logit (descending, ties by lower id), with their probabilities
  // at temperature 1. Valid until the next call. For tests and diagnostics.
  std::span<const Candidate> filter(std::span<const float> logits);

  const SamplerConfig& config() const { return config_; }
  // One draw in [0, 1) with 53 random bits: (mt19937_64() >> 11) * 2^-53.
  double next_uniform();

 private:
  void load_candidates(std::span<const float> logits);
  void apply_penalty();
  void normalise_sorted();
  void sort_survivors_of_full_vocab();
  int32_t greedy() const;

  SamplerConfig config_;
  int32_t n_vocab_;
  std::mt19937_64 rng_;
  std::vector<Candidate> cand_;     // n_vocab entries, reused
  std::size_t n_cand_ = 0;
  std::vector<int32_t> history_;    // ring buffer of the last repeat_last_n tokens
  std::size_t history_len_ = 0, history_next_ = 0;
  std::vector<uint32_t> stamp_;     // per-id "already penalized this round" marks
  uint32_t round_ = 0;
  std::vector<double> weights_;     // draw weights, reused
};

}  // namespace tern
