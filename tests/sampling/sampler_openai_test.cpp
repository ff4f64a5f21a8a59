// OpenAI's sampling controls in the sampler: presence / frequency penalties over generated
// tokens, logit bias, and the log-probabilities of the distribution a token was drawn from.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "tern/error.h"
#include "tern/sampler.h"

namespace {

using tern::Sampler;
using tern::SampleLogprobs;
using tern::SamplerConfig;

SamplerConfig plain(float temperature) {
  SamplerConfig c;
  c.temperature = temperature;
  c.top_k = 0;
  c.top_p = 1.0f;
  c.min_p = 0.0f;
  c.seed = 7;
  return c;
}

std::map<int32_t, float> logits_after(Sampler& s, const std::vector<float>& logits) {
  std::map<int32_t, float> out;
  for (const auto& c : s.filter(logits)) out[c.id] = c.logit;
  return out;
}

const std::vector<float> k_logits = {1.0f, 3.0f, 2.0f, 0.5f};

TEST(SamplerOpenAi, PresenceAndFrequencyPenaltiesCountGeneratedTokensOnly) {
  SamplerConfig c = plain(0.0f);
  c.presence_penalty = 0.5f;
  c.frequency_penalty = 0.25f;
  Sampler s(c, 4);
  s.accept(2);  // a prompt token: not counted
  EXPECT_EQ(s.sample(k_logits), 1);
  EXPECT_EQ(s.sample(k_logits), 1);  // 3 - 0.5 - 0.25 = 2.25 still beats 2
  auto l = logits_after(s, k_logits);  // 1 generated twice: 3 - 0.5 - 2 * 0.25
  EXPECT_FLOAT_EQ(l[1], 2.0f);
  EXPECT_FLOAT_EQ(l[2], 2.0f);  // only accepted, never generated
  EXPECT_FLOAT_EQ(l[0], 1.0f);
  EXPECT_EQ(s.sample(k_logits), 1);  // tie 2.0 / 2.0 -> lower id
  EXPECT_EQ(s.sample(k_logits), 2);  // 1 is now at 3 - 0.5 - 0.75 = 1.75
  s.reset();
  EXPECT_FLOAT_EQ(logits_after(s, k_logits)[1], 3.0f);  // reset forgets the counts
  // A negative penalty encourages repetition.
  c.presence_penalty = -1.0f;
  c.frequency_penalty = 0.0f;
  Sampler neg(c, 4);
  neg.sample(k_logits);
  EXPECT_FLOAT_EQ(logits_after(neg, k_logits)[1], 4.0f);
}

TEST(SamplerOpenAi, LogitBiasIsAddedFirstAndCanBan) {
  SamplerConfig c = plain(0.0f);
  c.logit_bias = {{1, -100.0f}, {3, 2.0f}};
  Sampler s(c, 4);
  EXPECT_EQ(s.sample(k_logits), 3);  // 0.5 + 2 = 2.5 beats 2; 1 is at -97
  c.logit_bias = {{1, -INFINITY}};
  Sampler ban(c, 4);
  EXPECT_EQ(ban.sample(k_logits), 2);
  c.logit_bias = {{4, 1.0f}};
  EXPECT_THROW(Sampler(c, 4), tern::Error);  // not a token of the vocabulary
  c.logit_bias = {{0, NAN}};
  EXPECT_THROW(Sampler(c, 4), tern::Error);
  c.logit_bias = {};
  c.presence_penalty = INFINITY;
  EXPECT_THROW(Sampler(c, 4), tern::Error);
}

double log_softmax(const std::vector<double>& x, size_t i) {
  double m = x[0];
  for (double v : x) m = std::max(m, v);
  double sum = 0;
  for (double v : x) sum += std::exp(v - m);
  return x[i] - m - std::log(sum);
}

TEST(SamplerOpenAi, GreedyLogprobsAreTheTemperatureOneDistribution) {
  SamplerConfig c = plain(0.0f);
  c.top_k = 2;  // greedy ignores truncation; so does the distribution it reports
  Sampler s(c, 4);
  SampleLogprobs lp;
  EXPECT_EQ(s.sample(k_logits, 3, &lp), 1);
  const std::vector<double> x = {1.0, 3.0, 2.0, 0.5};
  EXPECT_EQ(lp.chosen.id, 1);
  EXPECT_NEAR(lp.chosen.logprob, log_softmax(x, 1), 1e-5);
  ASSERT_EQ(lp.top.size(), 3u);
  EXPECT_EQ(lp.top[0].id, 1);
  EXPECT_EQ(lp.top[1].id, 2);
  EXPECT_EQ(lp.top[2].id, 0);
  EXPECT_NEAR(lp.top[2].logprob, log_softmax(x, 0), 1e-5);
}

TEST(SamplerOpenAi, SampledLogprobsAreAfterPenaltiesTruncationAndTemperature) {
  SamplerConfig c = plain(0.5f);
  c.top_k = 3;  // token 3 (0.5) is cut
  c.logit_bias = {{0, 1.5f}};  // 0 -> 2.5
  Sampler s(c, 4);
  SampleLogprobs lp;
  const int32_t t = s.sample(k_logits, 20, &lp);
  // Survivors 1 (3), 0 (2.5), 2 (2) at temperature 0.5.
  const std::vector<double> x = {3.0 / 0.5, 2.5 / 0.5, 2.0 / 0.5};
  ASSERT_EQ(lp.top.size(), 3u) << "a truncated token has probability 0 and is not listed";
  EXPECT_EQ(lp.top[0].id, 1);
  EXPECT_EQ(lp.top[1].id, 0);
  EXPECT_EQ(lp.top[2].id, 2);
  double mass = 0;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(lp.top[i].logprob, log_softmax(x, i), 1e-5);
    mass += std::exp(lp.top[i].logprob);
  }
  EXPECT_NEAR(mass, 1.0, 1e-5);
  EXPECT_EQ(lp.chosen.id, t);
  for (const auto& e : lp.top) {
    if (e.id == t) {
      EXPECT_FLOAT_EQ(lp.chosen.logprob, e.logprob);
    }
  }
  // The draw itself is unchanged by asking for log-probabilities.
  Sampler again(c, 4);
  EXPECT_EQ(again.sample(k_logits), t);
}

}  // namespace
