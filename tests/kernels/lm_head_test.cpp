// The lm_head kernels' fast paths against their references on random and odd shapes: the
// F16 head's per-token results do not depend on the batch; the Q8_0 head (kernels/q8_head.h)
// in both modes against the scalar reference and against a double-precision dot with the
// bound each mode's rounding allows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/backend.h"
#include "kernels/float_ops.h"
#include "kernels/float_ops_impls.h"
#include "kernels/q8_head.h"
#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"

namespace tern::kernels {
namespace {

std::vector<float> randn(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// A Q8_0 matrix with random int8 (full range, -128 included) and f16 scales; some blocks
// all zero (scale 0), like padding rows of a real head.
std::vector<uint8_t> random_q8(int64_t rows, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t blocks = k / kQ8Block;
  std::vector<uint8_t> w(static_cast<size_t>(rows * blocks * kQ8BlockBytes));
  for (int64_t i = 0; i < rows * blocks; ++i) {
    uint8_t* blk = w.data() + i * kQ8BlockBytes;
    const bool zero = rng() % 11 == 0;
    const uint16_t d = f32_to_f16(zero ? 0.0f : std::ldexp(static_cast<float>(1 + rng() % 1000), -16));
    std::memcpy(blk, &d, 2);
    for (int j = 0; j < kQ8Block; ++j) blk[2 + j] = zero ? 0 : static_cast<uint8_t>(rng());
  }
  return w;
}

float q8_weight(const std::vector<uint8_t>& w, int64_t k, int64_t r, int64_t i) {
  const uint8_t* blk = w.data() + (r * (k / kQ8Block) + i / kQ8Block) * kQ8BlockBytes;
  uint16_t dh;
  std::memcpy(&dh, blk, 2);
  return f16_to_f32(dh) * static_cast<float>(static_cast<int8_t>(blk[2 + i % kQ8Block]));
}

using Q8Fn = void (*)(Q8Head, const uint8_t*, int64_t, const float*, const uint8_t*, int64_t, float*, int64_t, int64_t,
                      int64_t);

// A random Q8_0 head (rows x k) and n tokens of activations, also quantized for the Int8 mode.
struct Q8Problem {
  int64_t rows, k, n;
  std::vector<uint8_t> w;
  std::vector<float> x;
  std::vector<uint8_t> acts;

  Q8Problem(int64_t rows_, int64_t k_, int64_t n_, uint32_t w_seed, uint32_t x_seed)
      : rows(rows_), k(k_), n(n_), w(random_q8(rows, k, w_seed)), x(randn(static_cast<size_t>(n * k), x_seed, 1.0f)),
        acts(static_cast<size_t>(n * q8_acts_bytes(k))) {
    quantize_q8_acts(x.data(), k, n, acts.data());
  }

  // All rows for all tokens: y[t * rows + r].
  std::vector<float> run(Q8Fn fn, Q8Head mode) const {
    std::vector<float> y(static_cast<size_t>(n * rows), -1.0f);
    fn(mode, w.data(), k, x.data(), acts.data(), n, y.data(), rows, 0, rows);
    return y;
  }
};

std::vector<Q8Fn> q8_impls() {
  std::vector<Q8Fn> v = {gemm_q8_0_rows_scalar, gemm_q8_0_rows};
#if defined(TERN_ARCH_X86)
  if (cpu_features().avx2 && cpu_features().fma && cpu_features().f16c) v.push_back(gemm_q8_0_rows_avx2);
#endif
  return v;
}

TEST(LmHeadKernels, F16TokenResultIndependentOfBatch) {
  for (int64_t k : {8, 24, 40, 2560}) {
    const int64_t rows = 19, n = 5;
    const auto wf = randn(static_cast<size_t>(rows * k), 21, 0.05f);
    std::vector<uint16_t> w(wf.size());
    f32_to_f16_row(wf.data(), w.data(), static_cast<int64_t>(w.size()));
    const auto x = randn(static_cast<size_t>(n * k), 22, 1.0f);
    std::vector<float> all(static_cast<size_t>(n * rows));
    const HeadKernels::Rows gemm_f16_f32_rows = best_backend().head->f16;
    gemm_f16_f32_rows(w.data(), k, x.data(), n, all.data(), rows, 0, rows);
    for (int64_t t = 0; t < n; ++t) {
      std::vector<float> one(static_cast<size_t>(rows));
      gemm_f16_f32_rows(w.data(), k, x.data() + t * k, 1, one.data(), rows, 0, rows);
      ASSERT_EQ(std::memcmp(one.data(), all.data() + t * rows, one.size() * 4), 0) << "k=" << k << " t=" << t;
    }
  }
}

TEST(LmHeadKernels, Q8ActivationQuantization) {
  const int64_t k = 96;
  auto x = randn(static_cast<size_t>(k), 5, 2.0f);
  for (int i = 32; i < 64; ++i) x[static_cast<size_t>(i)] = 0.0f;  // an all-zero block
  x[70] = -40.0f;                                                     // an outlier sets its block's scale
  std::vector<uint8_t> a(static_cast<size_t>(q8_acts_bytes(k)));
  quantize_q8_acts(x.data(), k, 1, a.data());
  const int8_t* q = reinterpret_cast<const int8_t*>(a.data());
  for (int64_t b = 0; b < k / kQ8Block; ++b) {
    float d;
    std::memcpy(&d, a.data() + k + b * 4, 4);
    float amax = 0;
    for (int64_t i = 0; i < kQ8Block; ++i) amax = std::max(amax, std::fabs(x[static_cast<size_t>(b * kQ8Block + i)]));
    EXPECT_FLOAT_EQ(d, amax / 127.0f);
    for (int64_t i = 0; i < kQ8Block; ++i) {
      const float xi = x[static_cast<size_t>(b * kQ8Block + i)];
      EXPECT_LE(std::abs(q[b * kQ8Block + i]), 127);
      EXPECT_LE(std::fabs(d * q[b * kQ8Block + i] - xi), 0.5f * d * (1 + 1e-5f) + 1e-30f) << b << " " << i;
    }
  }
  EXPECT_EQ(q[70], -127);
}

// Every implementation, both modes, odd shapes (rows not a multiple of anything, k from one
// block up, 1-3 tokens), against a double-precision dot of the decoded weights. Bounds:
//  F32:  float32 rounding only: 1e-5 * sum |w_i x_i|.
//  Int8: plus x's rounding, |w_i| * dx_b / 2 per element, summed.
TEST(LmHeadKernels, Q8MatchesDoubleReference) {
  for (Q8Fn fn : q8_impls()) {
    for (int64_t k : {32, 64, 96, 160, 224, 2560}) {
      for (int64_t n : {1, 3}) {
        const int64_t rows = 13;
        const Q8Problem p(rows, k, n, static_cast<uint32_t>(k), static_cast<uint32_t>(k + n));
        const auto& w = p.w;
        const auto& x = p.x;
        for (Q8Head mode : {Q8Head::F32, Q8Head::Int8}) {
          const std::vector<float> y = p.run(fn, mode);
          for (int64_t t = 0; t < n; ++t) {
            const uint8_t* at = p.acts.data() + t * q8_acts_bytes(k);
            for (int64_t r = 0; r < rows; ++r) {
              double ref = 0, mag = 0, xerr = 0;
              for (int64_t i = 0; i < k; ++i) {
                const double wi = q8_weight(w, k, r, i), xi = x[static_cast<size_t>(t * k + i)];
                float dx;
                std::memcpy(&dx, at + k + i / kQ8Block * 4, 4);
                ref += wi * xi;
                mag += std::fabs(wi * xi);
                xerr += std::fabs(wi) * dx / 2;
              }
              const double tol = 1e-5 * (mag + xerr) + (mode == Q8Head::Int8 ? xerr : 0.0) + 1e-30;
              ASSERT_NEAR(y[static_cast<size_t>(t * rows + r)], ref, tol)
                  << "k=" << k << " n=" << n << " t=" << t << " r=" << r << " mode=" << static_cast<int>(mode);
            }
          }
        }
      }
    }
  }
}

// The fast path against the scalar reference: F32 mode within float reordering; Int8 mode
// within float reordering of exact integer block sums.
TEST(LmHeadKernels, Q8FastPathMatchesScalar) {
  const int64_t rows = 37, k = 2560;
  const Q8Problem p(rows, k, 2, 3, 4);
  for (Q8Head mode : {Q8Head::F32, Q8Head::Int8}) {
    const std::vector<float> ref = p.run(gemm_q8_0_rows_scalar, mode), y = p.run(gemm_q8_0_rows, mode);
    for (size_t i = 0; i < y.size(); ++i) {
      double mag = 0;
      const int64_t t = static_cast<int64_t>(i) / rows, r = static_cast<int64_t>(i) % rows;
      for (int64_t j = 0; j < k; ++j) mag += std::fabs(q8_weight(p.w, k, r, j) * p.x[static_cast<size_t>(t * k + j)]);
      ASSERT_NEAR(y[i], ref[i], 2e-5 * mag) << i << " mode=" << static_cast<int>(mode);
    }
  }
}

// Rows split into odd sub-ranges (as threads split them) and tokens run alone give the same
// bits as one call.
TEST(LmHeadKernels, Q8IndependentOfRowSplitAndBatch) {
  const int64_t rows = 101, k = 320, n = 3;
  const Q8Problem p(rows, k, n, 8, 9);
  const auto& w = p.w;
  const auto& x = p.x;
  const auto& acts = p.acts;
  for (Q8Head mode : {Q8Head::F32, Q8Head::Int8}) {
    const std::vector<float> ref = p.run(gemm_q8_0_rows, mode);
    std::vector<float> z(ref.size(), 0.0f);
    for (int64_t b = 0; b < rows; b += 7)
      gemm_q8_0_rows(mode, w.data(), k, x.data(), acts.data(), n, z.data(), rows, b, std::min(rows, b + 7));
    ASSERT_EQ(std::memcmp(z.data(), ref.data(), z.size() * 4), 0);
    for (int64_t t = 0; t < n; ++t) {
      std::vector<float> one(static_cast<size_t>(rows));
      gemm_q8_0_rows(mode, w.data(), k, x.data() + t * k, acts.data() + t * q8_acts_bytes(k), 1, one.data(), rows, 0,
                     rows);
      ASSERT_EQ(std::memcmp(one.data(), ref.data() + t * rows, one.size() * 4), 0) << t;
    }
  }
}

}  // namespace
}  // namespace tern::kernels
