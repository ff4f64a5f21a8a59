// Float ops against straightforward scalar code written from the golden README's formulas.
#include "kernels/float_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/backend.h"
#include "kernels/float_ops_impls.h"
#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tern::kernels {
namespace {

std::vector<float> randn(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(KernelFloatOps, RmsNormExactWhenTheSumIsExact) {
  // Small integers: the sum of squares is exact in any order, so the result must be
  // bit-identical to the formula r = 1/sqrtf(sum/n + eps), y = w * (x * r).
  for (int64_t n : {1, 3, 8, 13, 64, 2560}) {
    std::vector<float> x(static_cast<size_t>(n)), w(static_cast<size_t>(n)), y(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      x[static_cast<size_t>(i)] = static_cast<float>((i * 7) % 11) - 5.0f;
      w[static_cast<size_t>(i)] = 0.5f + static_cast<float>(i % 5) * 0.25f;
    }
    float sum = 0.0f;
    for (float v : x) sum += v * v;
    const float r = 1.0f / std::sqrt(sum / static_cast<float>(n) + 1e-5f);
    rmsnorm(x.data(), w.data(), n, 1e-5f, y.data());
    for (int64_t i = 0; i < n; ++i) {
      const size_t j = static_cast<size_t>(i);
      ASSERT_EQ(y[j], w[j] * (x[j] * r)) << "n=" << n << " i=" << i;
    }
  }
}

TEST(KernelFloatOps, RmsNormRandomCloseAndInPlace) {
  const int64_t n = 1001;
  auto x = randn(static_cast<size_t>(n), 1);
  const auto w = randn(static_cast<size_t>(n), 2);
  double sum = 0;
  for (float v : x) sum += static_cast<double>(v) * v;
  const double r = 1.0 / std::sqrt(sum / n + 1e-5);
  std::vector<float> y(static_cast<size_t>(n));
  rmsnorm(x.data(), w.data(), n, 1e-5f, y.data());
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], w[i] * x[i] * r, 1e-5 * std::fabs(w[i] * x[i] * r) + 1e-7);
  rmsnorm(x.data(), w.data(), n, 1e-5f, x.data());  // aliasing allowed
  EXPECT_EQ(x, y);
}

// HF's formula (inv_freq = 1 / theta^(2j/d) rounded to float, angle = p * inv_freq in
// float), with pow, cos and sin evaluated in double and rounded once, so the table is the
// same on every ISA (float libm results differ by an ulp between x86 and aarch64 glibc).
void plain_rope_tables(int64_t d, double theta, int64_t n_pos, float* c, float* s) {
  std::vector<float> inv(static_cast<size_t>(d / 2));
  rope_inv_freq(d, theta, inv.data());
  rope_tables(d, inv.data(), n_pos, c, s);
}

TEST(KernelFloatOps, RopeTablesFollowHfFormulaIsaIndependent) {
  const int64_t d = 64, n_pos = 50;
  std::vector<float> c(static_cast<size_t>(n_pos * d)), s(c.size());
  plain_rope_tables(d, 500000.0f, n_pos, c.data(), s.data());
  for (int64_t p = 0; p < n_pos; ++p)
    for (int64_t j = 0; j < d / 2; ++j) {
      const float e = static_cast<float>(2 * j) / static_cast<float>(d);
      const float inv = static_cast<float>(1.0 / std::pow(500000.0, static_cast<double>(e)));
      const float a = static_cast<float>(p) * inv;
      ASSERT_EQ(c[static_cast<size_t>(p * d + j)], static_cast<float>(std::cos(static_cast<double>(a))));
      ASSERT_EQ(c[static_cast<size_t>(p * d + j + d / 2)], c[static_cast<size_t>(p * d + j)]);
      ASSERT_EQ(s[static_cast<size_t>(p * d + j + d / 2)], static_cast<float>(std::sin(static_cast<double>(a))));
      // And within an ulp or so of the float libm HF uses.
      ASSERT_NEAR(c[static_cast<size_t>(p * d + j)], std::cos(a), 2e-7f);
    }
  EXPECT_EQ(c[0], 1.0f);
  EXPECT_EQ(s[5], 0.0f);
}

TEST(KernelFloatOps, RopeRotateHalfMatchesFormula) {
  for (int64_t d : {8, 64, 128, 6}) {
    const int64_t heads = 3, n_pos = 9, pos = 7;
    std::vector<float> c(static_cast<size_t>(n_pos * d)), s(c.size());
    plain_rope_tables(d, 10000.0f, n_pos, c.data(), s.data());
    auto x = randn(static_cast<size_t>(heads * d), 3);
    const auto orig = x;
    const float* cr = c.data() + pos * d;
    const float* sr = s.data() + pos * d;
    rope_neox(x.data(), heads, d, cr, sr);
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t j = 0; j < d; ++j) {
        const float* v = orig.data() + h * d;
        const float rot = j < d / 2 ? -v[j + d / 2] : v[j - d / 2];
        volatile float p1 = v[j] * cr[j];  // volatile: keep the compiler from fusing into an FMA
        volatile float p2 = rot * sr[j];
        ASSERT_EQ(x[static_cast<size_t>(h * d + j)], p1 + p2) << "d=" << d << " h=" << h << " j=" << j;
      }
  }
}

// The "llama" GGUF arch stores Q/K rows permuted per head (row j -> 2j, row j + d/2 -> 2j+1)
// and rotates adjacent pairs: the same products as rotate-half on the unpermuted rows, so
// the results must be bit-identical after undoing the permutation.
TEST(KernelFloatOps, RopeAdjacentOnPermutedRowsEqualsRotateHalf) {
  for (int64_t d : {4, 6, 64, 128, 256}) {
    const int64_t heads = 3, n_pos = 40, pos = 37;
    std::vector<float> c(static_cast<size_t>(n_pos * d)), s(c.size());
    plain_rope_tables(d, 1000042.0, n_pos, c.data(), s.data());
    auto x = randn(static_cast<size_t>(heads * d), 11);
    std::vector<float> permuted(x.size());
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t j = 0; j < d / 2; ++j) {
        permuted[static_cast<size_t>(h * d + 2 * j)] = x[static_cast<size_t>(h * d + j)];
        permuted[static_cast<size_t>(h * d + 2 * j + 1)] = x[static_cast<size_t>(h * d + j + d / 2)];
      }
    rope_neox(x.data(), heads, d, c.data() + pos * d, s.data() + pos * d);
    rope_adjacent(permuted.data(), heads, d, c.data() + pos * d, s.data() + pos * d);
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t j = 0; j < d / 2; ++j) {
        ASSERT_EQ(permuted[static_cast<size_t>(h * d + 2 * j)], x[static_cast<size_t>(h * d + j)]) << "d " << d;
        ASSERT_EQ(permuted[static_cast<size_t>(h * d + 2 * j + 1)], x[static_cast<size_t>(h * d + j + d / 2)]) << "d " << d;
      }
    EXPECT_NE(x, randn(static_cast<size_t>(heads * d), 11));  // the rotation did something
  }
}

TEST(KernelFloatOps, SoftmaxMaxSubtracted) {
  for (int64_t n : {1, 5, 33, 200}) {
    auto x = randn(static_cast<size_t>(n), 4, 5.0f);
    x[0] = 1000.0f;  // would overflow expf without the max subtraction
    auto y = x;
    softmax(y.data(), n);
    float mx = x[0];
    for (float v : x) mx = std::max(mx, v);
    float sum = 0;
    std::vector<float> e(x.size());
    // exp evaluated in double and rounded to float: the same on every ISA.
    for (size_t i = 0; i < x.size(); ++i) sum += (e[i] = static_cast<float>(std::exp(static_cast<double>(x[i] - mx))));
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], e[i] / sum) << "n=" << n << " i=" << i;
  }
}

TEST(KernelFloatOps, Relu2MulAndResidual) {
  auto g = randn(37, 5), u = randn(37, 6);
  std::vector<float> out(37);
  relu2_mul(g.data(), u.data(), out.data(), 37);
  for (size_t i = 0; i < 37; ++i) {
    const float r = g[i] > 0 ? g[i] : 0.0f;
    ASSERT_EQ(out[i], (r * r) * u[i]);
  }
  auto y = g;
  add_inplace(y.data(), u.data(), 37);
  for (size_t i = 0; i < 37; ++i) ASSERT_EQ(y[i], g[i] + u[i]);
}

#if defined(__x86_64__)
__attribute__((target("f16c"))) float hw_f16_to_f32(uint16_t h) { return _cvtsh_ss(h); }
__attribute__((target("f16c"))) uint16_t hw_f32_to_f16(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}
#endif

TEST(KernelFloatOps, HalfConversionsExhaustive) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = f16_to_f32(static_cast<uint16_t>(h));
    const uint16_t back = f32_to_f16(f);
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(f16_to_f32(back))) << h;
      continue;
    }
    ASSERT_EQ(back, h) << "round trip of half " << h;
#if defined(__x86_64__)
    if (cpu_features().f16c) {
      const float hw = hw_f16_to_f32(static_cast<uint16_t>(h));
      ASSERT_EQ(std::memcmp(&hw, &f, 4), 0) << h;
    }
#endif
  }
}

TEST(KernelFloatOps, FloatToHalfRoundsToNearestEven) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);               // the tie above max goes to inf
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f), 0x3C00);        // tie -> even
  EXPECT_EQ(f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3C02);    // tie -> even (up)
  EXPECT_EQ(f32_to_f16(0x1p-25f), 0x0000);                // half the smallest subnormal -> 0
  EXPECT_EQ(f32_to_f16(-0x1p-24f), 0x8001);
  std::mt19937 rng(8);
  for (int i = 0; i < 200000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isnan(f)) continue;
    const uint16_t mine = f32_to_f16(f);
#if defined(__x86_64__)
    if (cpu_features().f16c) {
      ASSERT_EQ(mine, hw_f32_to_f16(f)) << std::hexfloat << f;
    }
#endif
    // the result is one of the two neighbours: |f - half| is minimal
    const float back = f16_to_f32(mine);
    if (std::isinf(back)) continue;
    const float next = f16_to_f32(static_cast<uint16_t>(mine + 1));
    if (!std::isinf(next) && !std::isnan(next)) {
      ASSERT_LE(std::fabs(back - f), std::fabs(next - f));
    }
  }
}

TEST(KernelFloatOps, Bf16UpcastIsAShift) {
  const uint16_t src[] = {0x3F80, 0xC000, 0x0001, 0x7F80};
  float dst[4];
  bf16_to_f32_row(src, dst, 4);
  EXPECT_EQ(dst[0], 1.0f);
  EXPECT_EQ(dst[1], -2.0f);
  EXPECT_EQ(dst[3], INFINITY);
}

using HeadFn = void (*)(const uint16_t*, int64_t, const float*, int64_t, float*, int64_t, int64_t, int64_t);

struct HeadCase {
  bool bf16;
  HeadFn fn;
};

std::vector<HeadCase> head_impls() {
  std::vector<HeadCase> v = {{false, gemm_f16_f32_rows_generic}, {true, gemm_bf16_f32_rows_generic},
                             {false, gemm_f16_f32_rows_scalar}, {true, gemm_bf16_f32_rows_scalar}};
#if defined(TERN_ARCH_X86)
  if (cpu_features().avx2 && cpu_features().fma && cpu_features().f16c) {
    v.push_back({false, gemm_f16_f32_rows_avx2});
    v.push_back({true, gemm_bf16_f32_rows_avx2});
  }
#endif
  return v;
}

TEST(KernelFloatOps, HeadGemmMatchesDoubleReference) {
  for (const HeadCase& hc : head_impls()) {
    for (int64_t k : {1, 7, 8, 16, 23, 256, 300, 2560}) {
      const int64_t rows = 13, n = 3;
      const auto wf = randn(static_cast<size_t>(rows * k), 9, 0.05f);
      std::vector<uint16_t> w(wf.size());
      std::vector<float> wexact(wf.size());
      for (size_t i = 0; i < wf.size(); ++i) {
        if (hc.bf16) {
          uint32_t b;
          std::memcpy(&b, &wf[i], 4);
          w[i] = static_cast<uint16_t>(b >> 16);
        } else {
          w[i] = f32_to_f16(wf[i]);
        }
      }
      if (hc.bf16) {
        bf16_to_f32_row(w.data(), wexact.data(), static_cast<int64_t>(w.size()));
      } else {
        f16_to_f32_row(w.data(), wexact.data(), static_cast<int64_t>(w.size()));
      }
      const auto x = randn(static_cast<size_t>(n * k), 10);
      std::vector<float> y(static_cast<size_t>(n * rows), -1.0f);
      hc.fn(w.data(), k, x.data(), n, y.data(), rows, 0, rows);
      for (int64_t t = 0; t < n; ++t)
        for (int64_t r = 0; r < rows; ++r) {
          double ref = 0, mag = 0;
          for (int64_t i = 0; i < k; ++i) {
            ref += static_cast<double>(wexact[static_cast<size_t>(r * k + i)]) * x[static_cast<size_t>(t * k + i)];
            mag += std::fabs(static_cast<double>(wexact[static_cast<size_t>(r * k + i)]) * x[static_cast<size_t>(t * k + i)]);
          }
          ASSERT_NEAR(y[static_cast<size_t>(t * rows + r)], ref, 1e-6 * mag + 1e-30) << "k=" << k << " bf16=" << hc.bf16;
        }
    }
  }
}

TEST(KernelFloatOps, HeadGemmIndependentOfThreadCount) {
  const int64_t rows = 1037, k = 333, n = 2;
  const auto wf = randn(static_cast<size_t>(rows * k), 11, 0.05f);
  std::vector<uint16_t> w(wf.size());
  f32_to_f16_row(wf.data(), w.data(), static_cast<int64_t>(w.size()));
  const auto x = randn(static_cast<size_t>(n * k), 12);
  std::vector<float> ref(static_cast<size_t>(n * rows));
  const HeadKernels::Rows rows_fn = best_backend().head->f16;
  rows_fn(w.data(), k, x.data(), n, ref.data(), rows, 0, rows);
  for (int threads = 1; threads <= 4; ++threads) {
    ThreadPool pool(threads);
    std::vector<float> y(ref.size(), 0.0f);
    pool.parallel_rows(rows, 8, [&](int64_t b, int64_t e) { rows_fn(w.data(), k, x.data(), n, y.data(), rows, b, e); });
    ASSERT_EQ(std::memcmp(y.data(), ref.data(), y.size() * 4), 0) << "threads=" << threads;
    // odd sub-ranges give the same rows too
    std::vector<float> z(ref.size(), 0.0f);
    for (int64_t b = 0; b < rows; b += 7) rows_fn(w.data(), k, x.data(), n, z.data(), rows, b, std::min(rows, b + 7));
    ASSERT_EQ(std::memcmp(z.data(), ref.data(), z.size() * 4), 0);
  }
}

}  // namespace
}  // namespace tern::kernels
