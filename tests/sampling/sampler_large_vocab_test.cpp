// Without top-k the sampler sorts only the tokens that can survive top-p / min-p. This
// checks that shortcut against the plain definition (sort all, normalise, cut) on large
// random vocabularies, including ties, -inf logits and cut-offs beyond the first prefix.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "tern/sampler.h"

namespace {

struct Kept {
  std::vector<int32_t> ids;
  std::vector<double> p;
};

// The chain as documented in include/tern/sampler.h, computed the slow way.
Kept reference_filter(const std::vector<float>& logits, float top_p, float min_p) {
  std::vector<int32_t> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    if (logits[a] != logits[b]) return logits[a] > logits[b];
    return a < b;
  });
  const double max_l = logits[order[0]];
  std::vector<double> w(order.size());
  double sum = 0;
  for (size_t i = 0; i < order.size(); ++i) sum += w[i] = std::exp(logits[order[i]] - max_l);
  size_t keep = order.size();
  if (top_p < 1.0f) {
    double cum = 0;
    for (size_t i = 0; i < order.size(); ++i) {
      cum += w[i] / sum;
      if (cum >= top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  if (min_p > 0.0f) {
    size_t k = 1;
    while (k < keep && w[k] >= min_p) ++k;
    keep = k;
  }
  Kept out;
  double kept_sum = 0;
  for (size_t i = 0; i < keep; ++i) kept_sum += w[i];
  for (size_t i = 0; i < keep; ++i) {
    out.ids.push_back(order[i]);
    out.p.push_back((top_p < 1.0f || min_p > 0.0f) ? w[i] / kept_sum : w[i] / sum);
  }
  return out;
}

TEST(SamplerLargeVocab, TopPAndMinPWithoutTopKMatchAFullSort) {
  std::mt19937 rng(7);
  const int n_vocab = 50000;
  const float top_ps[] = {0.1f, 0.5f, 0.9f, 0.95f, 0.999f, 1.0f};
  const float min_ps[] = {0.0f, 0.001f, 0.05f, 0.5f};
  const float spreads[] = {0.5f, 3.0f, 10.0f};  // flat to peaked distributions
  for (float spread : spreads) {
    std::normal_distribution<float> nd(0.0f, spread);
    std::vector<float> logits(n_vocab);
    for (auto& l : logits) l = std::round(nd(rng) * 8.0f) / 8.0f;  // many exact ties
    logits[123] = -std::numeric_limits<float>::infinity();
    for (float top_p : top_ps) {
      for (float min_p : min_ps) {
        tern::SamplerConfig c;
        c.temperature = 1.0f;
        c.top_k = 0;
        c.top_p = top_p;
        c.min_p = min_p;
        c.repeat_penalty = 1.0f;
        tern::Sampler s(c, n_vocab);
        const auto got = s.filter(logits);
        const Kept want = reference_filter(logits, top_p, min_p);
        ASSERT_EQ(got.size(), want.ids.size()) << "spread " << spread << " top_p " << top_p << " min_p " << min_p;
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(got[i].id, want.ids[i]) << i;
          ASSERT_NEAR(got[i].p, want.p[i], 1e-6 + 1e-5 * want.p[i]) << i;
        }
      }
    }
  }
}

}  // namespace
