// The scalar float ops and head GEMM give the same bits as the xsimd ones (the backend's
// "float" and "head" entries promise it), on random values and edge shapes: lengths around
// the 4-lane body and its tail, odd head dims, zeros, negative zeros, huge and tiny values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/backend.h"
#include "kernels/float_ops.h"
#include "kernels/float_ops_impls.h"

namespace tern::kernels {
namespace {

// Random floats with a few edge values mixed in (never NaN: the xsimd max on NEON keeps a
// NaN where scalar and SSE2 give 0, and the forward pass never feeds NaN on purpose).
std::vector<float> values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  const float edge[] = {0.0f, -0.0f, 1e-30f, -1e-38f, 3e4f, -2.5f, 1.0f};
  for (size_t i = 0; i < n; ++i) v[i] = rng() % 11 == 0 ? edge[rng() % 7] : d(rng);
  return v;
}

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    uint32_t x, y;
    std::memcpy(&x, &a[i], 4);
    std::memcpy(&y, &b[i], 4);
    ASSERT_EQ(x, y) << what << " element " << i << ": " << a[i] << " vs " << b[i];
  }
}

const int64_t kLengths[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 64, 65, 127, 640, 2560, 2563};

TEST(KernelFloatOpsScalar, RmsNormSameBits) {
  uint32_t seed = 1;
  for (int64_t n : kLengths) {
    const auto x = values(static_cast<size_t>(n), seed++), w = values(static_cast<size_t>(n), seed++);
    for (float eps : {1e-5f, 1e-6f}) {
      std::vector<float> a(x.size()), b(x.size());
      rmsnorm(x.data(), w.data(), n, eps, a.data());
      rmsnorm_scalar(x.data(), w.data(), n, eps, b.data());
      expect_same_bits(a, b, "rmsnorm n=" + std::to_string(n));
      std::vector<float> in_place = x;  // y may alias x
      rmsnorm_scalar(in_place.data(), w.data(), n, eps, in_place.data());
      expect_same_bits(in_place, b, "rmsnorm in place n=" + std::to_string(n));
    }
  }
}

TEST(KernelFloatOpsScalar, RopeNeoxSameBits) {
  uint32_t seed = 100;
  for (int64_t hd : {2, 4, 6, 8, 10, 16, 18, 64, 128}) {
    for (int64_t heads : {1, 3}) {
      const auto x = values(static_cast<size_t>(hd * heads), seed++);
      const auto c = values(static_cast<size_t>(hd), seed++), s = values(static_cast<size_t>(hd), seed++);
      std::vector<float> a = x, b = x;
      rope_neox(a.data(), heads, hd, c.data(), s.data());
      rope_neox_scalar(b.data(), heads, hd, c.data(), s.data());
      expect_same_bits(a, b, "rope_neox hd=" + std::to_string(hd));
    }
  }
}

TEST(KernelFloatOpsScalar, Relu2MulAndAddSameBits) {
  uint32_t seed = 200;
  for (int64_t n : kLengths) {
    const auto g = values(static_cast<size_t>(n), seed++), u = values(static_cast<size_t>(n), seed++);
    std::vector<float> a(g.size()), b(g.size());
    relu2_mul(g.data(), u.data(), a.data(), n);
    relu2_mul_scalar(g.data(), u.data(), b.data(), n);
    expect_same_bits(a, b, "relu2_mul n=" + std::to_string(n));
    std::vector<float> ya = g, yb = g;
    add_inplace(ya.data(), u.data(), n);
    add_inplace_scalar(yb.data(), u.data(), n);
    expect_same_bits(ya, yb, "add_inplace n=" + std::to_string(n));
  }
}

// Every FloatKernels table gives the bits of the scalar one (the tables, not just the
// functions: a table wired to the wrong function fails here).
TEST(KernelFloatOpsScalar, EveryFloatTableMatchesScalar) {
  const FloatKernels& ref = *scalar_backend().float_ops;
  const FloatKernels& best = *best_backend().float_ops;
  const int64_t n = 131, hd = 10, heads = 3;
  const auto x = values(static_cast<size_t>(n), 7), w = values(static_cast<size_t>(n), 8);
  std::vector<float> a(x.size()), b(x.size());
  ref.rmsnorm(x.data(), w.data(), n, 1e-5f, a.data());
  best.rmsnorm(x.data(), w.data(), n, 1e-5f, b.data());
  expect_same_bits(a, b, "rmsnorm");
  ref.relu2_mul(x.data(), w.data(), a.data(), n);
  best.relu2_mul(x.data(), w.data(), b.data(), n);
  expect_same_bits(a, b, "relu2_mul");
  a = x, b = x;
  ref.silu_mul(a.data(), w.data(), n);
  best.silu_mul(b.data(), w.data(), n);
  expect_same_bits(a, b, "silu_mul");
  a = x, b = x;
  ref.add_inplace(a.data(), w.data(), n);
  best.add_inplace(b.data(), w.data(), n);
  expect_same_bits(a, b, "add_inplace");
  const auto c = values(static_cast<size_t>(hd), 9), s = values(static_cast<size_t>(hd), 10);
  for (auto rope : {&FloatKernels::rope_neox, &FloatKernels::rope_adjacent}) {
    std::vector<float> ra(x.begin(), x.begin() + hd * heads), rb = ra;
    (ref.*rope)(ra.data(), heads, hd, c.data(), s.data());
    (best.*rope)(rb.data(), heads, hd, c.data(), s.data());
    expect_same_bits(ra, rb, "rope");
  }
}

TEST(KernelFloatOpsScalar, HeadGemmSameBitsAsXsimd) {
  uint32_t seed = 300;
  for (bool bf16 : {false, true}) {
    for (int64_t k : {1, 3, 4, 5, 8, 31, 256, 257, 300, 2560}) {
      for (int64_t n : {1, 2, 17}) {  // 17 > the xsimd path's 16-token group
        const int64_t rows = 5;
        const auto wf = values(static_cast<size_t>(rows * k), seed++);
        std::vector<uint16_t> w(wf.size());
        if (bf16) {
          for (size_t i = 0; i < w.size(); ++i) w[i] = f32_to_bf16(wf[i]);
        } else {
          f32_to_f16_row(wf.data(), w.data(), static_cast<int64_t>(w.size()));
        }
        const auto x = values(static_cast<size_t>(n * k), seed++);
        std::vector<float> a(static_cast<size_t>(n * rows)), b(a.size());
        const HeadKernels::Rows xs = bf16 ? gemm_bf16_f32_rows_generic : gemm_f16_f32_rows_generic;
        const HeadKernels::Rows sc = bf16 ? gemm_bf16_f32_rows_scalar : gemm_f16_f32_rows_scalar;
        xs(w.data(), k, x.data(), n, a.data(), rows, 0, rows);
        sc(w.data(), k, x.data(), n, b.data(), rows, 1, rows);  // a sub-range: rows are independent
        sc(w.data(), k, x.data(), n, b.data(), rows, 0, 1);
        expect_same_bits(a, b, std::string(bf16 ? "bf16" : "f16") + " k=" + std::to_string(k) + " n=" + std::to_string(n));
      }
    }
  }
}

}  // namespace
}  // namespace tern::kernels
