// Sampler chain: which ids each filter keeps on hand-made logits, greedy ties,
// reproducibility by seed, and a chi-square test that temperature sampling follows
// softmax(logits / T).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "tern/error.h"
#include "tern/sampler.h"

namespace {

using tern::Sampler;
using tern::SamplerConfig;

SamplerConfig off() {  // every filter disabled, temperature 1
  SamplerConfig c;
  c.temperature = 1.0f;
  c.top_k = 0;
  c.top_p = 1.0f;
  c.min_p = 0.0f;
  c.repeat_penalty = 1.0f;
  c.repeat_last_n = 64;
  c.seed = 1;
  return c;
}

std::vector<int32_t> ids(std::span<const tern::Candidate> cs) {
  std::vector<int32_t> out;
  for (const auto& c : cs) out.push_back(c.id);
  return out;
}

const std::vector<float> k_logits = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.5f, 2.5f, -4.0f};  // ids 1 and 3 tie

TEST(Sampler, DefaultsAreTheDocumentedOnes) {
  SamplerConfig c;
  EXPECT_FLOAT_EQ(c.temperature, 0.8f);
  EXPECT_EQ(c.top_k, 40);
  EXPECT_FLOAT_EQ(c.top_p, 0.95f);
  EXPECT_FLOAT_EQ(c.min_p, 0.05f);
  EXPECT_FLOAT_EQ(c.repeat_penalty, 1.0f);
  EXPECT_EQ(c.repeat_last_n, 64);
}

TEST(Sampler, NoFilterKeepsAllSortedByLogitThenId) {
  Sampler s(off(), 8);
  auto kept = s.filter(k_logits);
  EXPECT_EQ(ids(kept), (std::vector<int32_t>{1, 3, 6, 2, 0, 5, 4, 7}));
  double sum = 0;
  for (const auto& c : kept) sum += c.p;
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_NEAR(kept[0].p, std::exp(3.0) / (2 * std::exp(3.0) + std::exp(2.5) + std::exp(2.0) + std::exp(1.0) +
                                          std::exp(0.5) + std::exp(-1.0) + std::exp(-4.0)), 1e-6);
}

TEST(Sampler, TopKKeepsTheKBestTiesToLowerId) {
  SamplerConfig c = off();
  c.top_k = 1;
  EXPECT_EQ(ids(Sampler(c, 8).filter(k_logits)), (std::vector<int32_t>{1}));
  c.top_k = 3;
  EXPECT_EQ(ids(Sampler(c, 8).filter(k_logits)), (std::vector<int32_t>{1, 3, 6}));
  c.top_k = 100;  // larger than the vocabulary: off
  EXPECT_EQ(Sampler(c, 8).filter(k_logits).size(), 8u);
}

TEST(Sampler, TopPKeepsTheShortestPrefixReachingP) {
  // probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625
  std::vector<float> l = {std::log(0.0625f), std::log(0.5f), std::log(0.125f), std::log(0.25f), std::log(0.0625f)};
  SamplerConfig c = off();
  c.top_p = 0.5f;
  EXPECT_EQ(ids(Sampler(c, 5).filter(l)), (std::vector<int32_t>{1}));
  c.top_p = 0.6f;
  EXPECT_EQ(ids(Sampler(c, 5).filter(l)), (std::vector<int32_t>{1, 3}));
  c.top_p = 0.875f;
  Sampler s(c, 5);
  auto kept = s.filter(l);  // the span lives as long as the sampler
  EXPECT_EQ(ids(kept), (std::vector<int32_t>{1, 3, 2}));
  EXPECT_NEAR(kept[0].p, 0.5 / 0.875, 1e-6);  // renormalised over the survivors
  c.top_p = 0.9f;
  EXPECT_EQ(ids(Sampler(c, 5).filter(l)), (std::vector<int32_t>{1, 3, 2, 0}));
}

TEST(Sampler, MinPDropsTokensBelowAFractionOfTheBest) {
  std::vector<float> l = {std::log(0.0625f), std::log(0.5f), std::log(0.125f), std::log(0.25f), std::log(0.0625f)};
  SamplerConfig c = off();
  c.min_p = 0.3f;  // keeps p >= 0.15: 0.5, 0.25
  EXPECT_EQ(ids(Sampler(c, 5).filter(l)), (std::vector<int32_t>{1, 3}));
  c.min_p = 0.2f;  // keeps p >= 0.1
  EXPECT_EQ(ids(Sampler(c, 5).filter(l)), (std::vector<int32_t>{1, 3, 2}));
  c.min_p = 1.0f;
  EXPECT_EQ(ids(Sampler(c, 5).filter(l)), (std::vector<int32_t>{1}));
}

TEST(Sampler, FiltersApplyInChainOrder) {
  SamplerConfig c = off();
  c.top_k = 4;     // 1, 3, 6, 2
  c.top_p = 0.7f;  // of those: e^3, e^3, e^2.5, e^2 -> 0.32, 0.32, 0.20, 0.12 ... keeps 1, 3, 6
  c.min_p = 0.7f;  // e^2.5 / e^3 = 0.61 < 0.7 -> drops 6
  EXPECT_EQ(ids(Sampler(c, 8).filter(k_logits)), (std::vector<int32_t>{1, 3}));
}

TEST(Sampler, RepetitionPenaltyFollowsLlamaCpp) {
  SamplerConfig c = off();
  c.repeat_penalty = 2.0f;
  c.repeat_last_n = 3;
  Sampler s(c, 8);
  for (int32_t t : {0, 4, 4, 3}) s.accept(t);  // window of 3: {4, 4, 3}; token 0 has left it
  auto kept = s.filter(k_logits);
  std::map<int32_t, float> logit;
  for (const auto& k : kept) logit[k.id] = k.logit;
  EXPECT_FLOAT_EQ(logit[3], 1.5f);   // 3.0 > 0: divided, once although 3 is in the window once
  EXPECT_FLOAT_EQ(logit[4], -2.0f);  // -1.0 <= 0: multiplied, once although it occurs twice
  EXPECT_FLOAT_EQ(logit[0], 1.0f);   // outside the window
  EXPECT_FLOAT_EQ(logit[1], 3.0f);
  EXPECT_EQ(kept[0].id, 1);  // the former tie is now broken by the penalty
}

TEST(Sampler, GreedyTakesArgmaxTiesToLowestId) {
  SamplerConfig c = off();
  c.temperature = 0.0f;
  Sampler s(c, 8);
  EXPECT_EQ(s.sample(k_logits), 1);
  std::vector<float> all_same(8, 0.25f);
  EXPECT_EQ(s.sample(all_same), 0);
  std::vector<float> nan_first = {NAN, 1.0f, 1.0f, -INFINITY, 0, 0, 0, 0};
  EXPECT_EQ(s.sample(nan_first), 1);
  // With a penalty, greedy sees the penalized logits: after sampling 1 (and 0 and 1), 3 wins.
  c.repeat_penalty = 1.5f;
  Sampler p(c, 8);
  EXPECT_EQ(p.sample(k_logits), 1);
  EXPECT_EQ(p.sample(k_logits), 3);
}

TEST(Sampler, SameSeedSameTokensDifferentSeedDifferent) {
  SamplerConfig c;  // defaults, with a broad distribution
  std::vector<float> l(1000);
  for (int i = 0; i < 1000; ++i) l[static_cast<std::size_t>(i)] = static_cast<float>(std::sin(i * 0.37) * 2.0);
  auto run = [&](uint64_t seed) {
    c.seed = seed;
    Sampler s(c, 1000);
    std::vector<int32_t> out;
    for (int i = 0; i < 200; ++i) out.push_back(s.sample(l));
    return out;
  };
  auto a = run(42), b = run(42), d = run(43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, d);
  // reset() restarts the sequence.
  c.seed = 42;
  Sampler s(c, 1000);
  for (int i = 0; i < 50; ++i) s.sample(l);
  s.reset();
  std::vector<int32_t> again;
  for (int i = 0; i < 200; ++i) again.push_back(s.sample(l));
  EXPECT_EQ(again, a);
}

TEST(Sampler, UniformDrawIsMt19937_64Top53Bits) {
  SamplerConfig c = off();
  c.seed = 5489;
  Sampler s(c, 2);
  // The C++ standard fixes mt19937_64's 10000th output for the default seed 5489.
  for (int i = 0; i < 9999; ++i) s.next_uniform();
  EXPECT_EQ(s.next_uniform(), static_cast<double>(9981545732273789042ull >> 11) * 0x1.0p-53);
}

TEST(Sampler, TemperatureSamplingMatchesSoftmaxChiSquare) {
  // 10 categories, 100k draws at T = 0.7, fixed seed. Chi-square with 9 degrees of freedom:
  // p > 0.001 <=> statistic < 27.877.
  const std::vector<float> l = {0.1f, 1.3f, -0.7f, 2.2f, 0.0f, 1.9f, -1.5f, 0.8f, 1.1f, -0.2f};
  SamplerConfig c = off();
  c.temperature = 0.7f;
  c.seed = 20240601;
  Sampler s(c, 10);
  const int n = 100000;
  std::vector<int> counts(10, 0);
  for (int i = 0; i < n; ++i) ++counts[static_cast<std::size_t>(s.sample(l))];
  double z = 0;
  for (float x : l) z += std::exp(x / 0.7);
  double chi2 = 0;
  for (std::size_t k = 0; k < 10; ++k) {
    double expected = n * std::exp(l[k] / 0.7) / z;
    chi2 += (counts[k] - expected) * (counts[k] - expected) / expected;
  }
  EXPECT_LT(chi2, 27.877) << "sampling does not follow softmax(l / T)";
  // And the test can fail: the same counts against T = 1 are far off.
  double z1 = 0, chi2_wrong = 0;
  for (float x : l) z1 += std::exp(x);
  for (std::size_t k = 0; k < 10; ++k) {
    double expected = n * std::exp(l[k]) / z1;
    chi2_wrong += (counts[k] - expected) * (counts[k] - expected) / expected;
  }
  EXPECT_GT(chi2_wrong, 1000.0);
}

TEST(Sampler, LowTemperatureConcentratesHighSpreads) {
  const std::vector<float> l = {1.0f, 2.0f, 0.0f};
  SamplerConfig c = off();
  c.temperature = 0.05f;
  Sampler cold(c, 3);
  int top = 0;
  for (int i = 0; i < 1000; ++i) top += cold.sample(l) == 1;
  EXPECT_EQ(top, 1000);
}

TEST(Sampler, BadConfigsAndInputsAreErrors) {
  SamplerConfig c = off();
  EXPECT_THROW(Sampler(c, 0), tern::Error);
  c.temperature = -1.0f;
  EXPECT_THROW(Sampler(c, 4), tern::Error);
  c = off();
  c.top_p = 0.0f;
  EXPECT_THROW(Sampler(c, 4), tern::Error);
  c = off();
  c.repeat_penalty = 0.0f;
  EXPECT_THROW(Sampler(c, 4), tern::Error);
  c = off();
  c.temperature = NAN;
  EXPECT_THROW(Sampler(c, 4), tern::Error);
  Sampler s(off(), 4);
  std::vector<float> wrong(3, 0.0f);
  EXPECT_THROW(s.sample(wrong), tern::Error);
  std::vector<float> all_nan(4, NAN);
  int32_t t = s.sample(all_nan);
  EXPECT_TRUE(t >= 0 && t < 4);
  std::vector<float> inf = {0.0f, INFINITY, 1.0f, INFINITY};
  EXPECT_EQ(Sampler(off(), 4).filter(inf)[0].id, 1);
  s.accept(-5);  // ids outside the vocabulary in the window are ignored
  s.accept(1000);
  SamplerConfig pen = off();
  pen.repeat_penalty = 2.0f;
  Sampler sp(pen, 4);
  sp.accept(-5);
  sp.accept(1000);
  EXPECT_EQ(sp.filter(std::vector<float>{1, 2, 3, 4}).size(), 4u);
}

}  // namespace
