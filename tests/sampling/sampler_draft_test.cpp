// Sampler::sample_draft, speculative decoding's accept / resample rule for a guessed token:
// its draws must follow exactly the distribution sample() draws from (chi-square against
// p computed here from the filtered logits and the temperature), reproducibly per seed.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "tern/sampler.h"

namespace tern {
namespace {

// Upper quantile of chi-square with `df` degrees of freedom at tail probability ~1e-9
// (Wilson-Hilferty with z = 6, which overestimates that far out: a false failure is rarer
// still). A correct rule fails one run in a billion; the wrong rules below exceed it by far.
double chi2_bound(int df) {
  const double d = df, a = 2.0 / (9.0 * d);
  return d * std::pow(1.0 - a + 6.0 * std::sqrt(a), 3.0);
}

// The distribution sample() draws from: softmax(logit / T) over filter()'s survivors.
std::map<int32_t, double> target(const SamplerConfig& c, const std::vector<float>& logits) {
  Sampler s(c, static_cast<int32_t>(logits.size()));
  std::map<int32_t, double> p;
  double sum = 0;
  for (const Candidate& k : s.filter(logits)) sum += p[k.id] = std::exp(static_cast<double>(k.logit) / c.temperature);
  for (auto& [id, w] : p) w /= sum;
  return p;
}

// Pearson's statistic of `counts` (n draws) against p; tokens outside p must never occur.
double chi2(const std::vector<int64_t>& counts, const std::map<int32_t, double>& p, int64_t n) {
  double x = 0;
  for (size_t id = 0; id < counts.size(); ++id) {
    auto it = p.find(static_cast<int32_t>(id));
    if (it == p.end()) {
      EXPECT_EQ(counts[id], 0) << "token " << id << " is outside the distribution";
      continue;
    }
    const double e = it->second * static_cast<double>(n);
    x += (static_cast<double>(counts[id]) - e) * (static_cast<double>(counts[id]) - e) / e;
  }
  return x;
}

const std::vector<float> kLogits = {1.0f, 2.5f, 0.2f, 2.0f, -1.0f, 1.8f, 0.9f, -3.0f};

SamplerConfig config(float temp, int top_k, float top_p, float min_p, uint64_t seed) {
  SamplerConfig c;
  c.temperature = temp;
  c.top_k = top_k;
  c.top_p = top_p;
  c.min_p = min_p;
  c.seed = seed;
  return c;
}

TEST(SamplerDraft, DistributionEqualsPlainSampling) {
  const int64_t n = 200000;
  const SamplerConfig configs[] = {config(1.0f, 0, 1.0f, 0.0f, 1), config(0.7f, 5, 1.0f, 0.0f, 2),
                                   config(1.3f, 0, 0.9f, 0.0f, 3), config(0.9f, 0, 1.0f, 0.2f, 4)};
  // The most likely token, middling ones, an unlikely one (filtered out by some configs)
  // and one outside the vocabulary.
  for (const SamplerConfig& c : configs) {
    const auto p = target(c, kLogits);
    for (int32_t draft : {1, 3, 6, 7, 99}) {
      SCOPED_TRACE("temp " + std::to_string(c.temperature) + " top_k " + std::to_string(c.top_k) + " top_p " +
                   std::to_string(c.top_p) + " min_p " + std::to_string(c.min_p) + " draft " + std::to_string(draft));
      Sampler s(c, static_cast<int32_t>(kLogits.size()));
      std::vector<int64_t> counts(kLogits.size(), 0);
      for (int64_t i = 0; i < n; ++i) ++counts[static_cast<size_t>(s.sample_draft(kLogits, draft))];
      const int df = static_cast<int>(p.size()) - 1;
      EXPECT_LT(chi2(counts, p, n), chi2_bound(df));

      // The bound is tight enough to catch the usual mistakes: accepting the draft with
      // p(draft) and then resampling from p *with* the draft in it (expected counts of
      // the wrong rule, compared with p's).
      if (p.count(draft) > 0) {
        const double pd = p.at(draft);
        std::vector<int64_t> wrong(kLogits.size(), 0);
        for (const auto& [id, q] : p) {
          const double w = id == draft ? pd + (1 - pd) * pd : (1 - pd) * q;
          wrong[static_cast<size_t>(id)] = std::llround(w * static_cast<double>(n));
        }
        EXPECT_GT(chi2(wrong, p, n), chi2_bound(df));
      }
    }
  }
}

// Without a draft in the survivors the draw is sample()'s, bit for bit; with the most
// likely token as the draft too (it is first in the sorted order either way). Greedy ignores
// the draft. Every variant is reproducible from its seed.
TEST(SamplerDraft, SameRandomSequenceAsSample) {
  const SamplerConfig c = config(1.1f, 0, 1.0f, 0.0f, 42);
  for (int32_t draft : {-1, 1, 99}) {
    Sampler a(c, 8), b(c, 8);
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(a.sample(kLogits), b.sample_draft(kLogits, draft)) << draft << " at " << i;
  }
  Sampler a(c, 8), b(c, 8);
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(a.sample_draft(kLogits, 3), b.sample_draft(kLogits, 3));
  Sampler g(config(0.0f, 0, 1.0f, 0.0f, 1), 8);
  for (int32_t draft : {0, 3, 7}) EXPECT_EQ(g.sample_draft(kLogits, draft), 1);
}

// The draft is recorded like any sampled token: a repetition penalty then applies to it.
TEST(SamplerDraft, AcceptedDraftEntersThePenaltyWindow) {
  SamplerConfig c = config(0.0f, 0, 1.0f, 0.0f, 1);
  c.repeat_penalty = 10.0f;
  Sampler s(c, 8);
  EXPECT_EQ(s.sample_draft(kLogits, 1), 1);
  EXPECT_EQ(s.sample_draft(kLogits, 1), 3);  // 2.5 / 10 < 2.0
}

}  // namespace
}  // namespace tern
