// Helpers shared by the kernel tests: random ternary matrices, int8 activations and the
// naive dot product that defines the result.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/ternary.h"

namespace tern::kernels::testing {

inline std::vector<int8_t> random_ternary(int64_t rows, int64_t k, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-1, 1);
  std::vector<int8_t> t(static_cast<size_t>(rows * k));
  for (auto& v : t) v = static_cast<int8_t>(d(rng));
  return t;
}

// n_tokens rows of kp int8 (zero beyond k), full range including -128.
inline std::vector<int8_t> random_acts(int64_t n_tokens, int64_t k, int64_t kp, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> q(static_cast<size_t>(n_tokens * kp), 0);
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t i = 0; i < k; ++i) q[static_cast<size_t>(t * kp + i)] = static_cast<int8_t>(d(rng));
  return q;
}

// y[t][r] = sum_i q[t][i] * T[r][i], straight from the unpacked matrix.
inline std::vector<int32_t> naive_matmul(const std::vector<int8_t>& t, int64_t rows, int64_t k,
                                         const std::vector<int8_t>& q, int64_t n_tokens, int64_t kp) {
  std::vector<int32_t> y(static_cast<size_t>(n_tokens * rows));
  for (int64_t tok = 0; tok < n_tokens; ++tok)
    for (int64_t r = 0; r < rows; ++r) {
      int32_t acc = 0;
      for (int64_t i = 0; i < k; ++i) acc += int32_t{q[static_cast<size_t>(tok * kp + i)]} * t[static_cast<size_t>(r * k + i)];
      y[static_cast<size_t>(tok * rows + r)] = acc;
    }
  return y;
}

}  // namespace tern::kernels::testing
