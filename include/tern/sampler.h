// Token sampling: a fixed chain, as llama.cpp orders it —
//   logit bias -> repetition penalty (last-n window) -> presence / frequency penalties
//   -> top-k -> top-p -> min-p -> temperature -> draw
// — with greedy argmax (ties -> lowest id) when temperature == 0. Deterministic: the same
// seed and inputs give the same tokens on every run and thread count (the sampler is
// single-threaded; the draw uses std::mt19937_64, whose output the C++ standard fixes,
// and our own uniform mapping, never the implementation-defined std distributions).
// All buffers are sized once: sampling a token allocates nothing.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace tern {

struct SamplerConfig {
  float temperature = 0.8f;     // 0: greedy
  int32_t top_k = 40;           // <= 0 or >= vocabulary: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off
  float repeat_penalty = 1.0f;  // 1: off. logit > 0 -> logit / penalty, else logit * penalty
  int32_t repeat_last_n = 64;   // window of recent tokens the penalty looks at; 0: off
  // OpenAI's penalties over the tokens this sampler has generated (sample(), not accept()):
  // logit -= presence * [count > 0] + frequency * count. 0: off.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  // Added to a token's logit before anything else (OpenAI's logit_bias); -inf bans it.
  std::vector<std::pair<int32_t, float>> logit_bias;
  uint64_t seed = 0;
};

struct TokenLogprob {
  int32_t id;
  float logprob;  // natural log of the probability
};

// The log-probabilities of one sampled token in the distribution it was drawn from (see
// Sampler::sample): the chosen token's and the `top` most likely ones, most likely first.
struct SampleLogprobs {
  TokenLogprob chosen{-1, 0.0f};
  std::vector<TokenLogprob> top;
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
  // The same, and fills `out` with log-probabilities of the distribution the token was
  // drawn from: softmax(logit / temperature) over the survivors of the chain (penalties
  // and bias applied, top-k / top-p / min-p removed the rest, which have probability 0 and
  // are never listed). At temperature 0 (greedy) the draw has no distribution, so the one
  // reported is the argmax's: softmax(logit) over the whole vocabulary after bias and
  // penalties. `out->top` gets the n_top most likely (fewer if fewer survive).
  int32_t sample(std::span<const float> logits, int n_top, SampleLogprobs* out);
  // Records a token (e.g. the prompt's) in the repetition window without sampling.
  void accept(int32_t token);
  // Forgets the window and restarts the random sequence from the seed.
  void reset();
  // Forgets the window (and the penalties' counts) but keeps the random sequence going: a
  // new conversation in the same run draws new numbers, and the run stays reproducible.
  void forget_tokens();

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
  void apply_bias_and_openai_penalties();
  void count_generated(int32_t token);
  void fill_logprobs(int32_t token, double inv_t, int n_top, SampleLogprobs* out);
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
  std::vector<int32_t> counts_;     // per-id generated count (only with presence/frequency penalties)
  std::vector<int32_t> generated_;  // the distinct ids counts_ holds, in first-seen order
};

}  // namespace tern
