// Activation quantization: the golden semantics (s = 127 * (1/max(absmax, 1e-5)), as PyTorch,
// round half to even, clamp) checked by hand on exact ties, and every SIMD version
// bit-identical to the scalar one.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/backend.h"
#include "kernels/kernel_impls.h"
#include "runtime/cpu_features.h"

namespace tern::kernels {
namespace {

// The straightforward definition, written independently of the library.
float plain_quantize(const std::vector<float>& x, std::vector<int8_t>& q) {
  float absmax = 0.0f;
  for (float v : x) absmax = std::max(absmax, std::fabs(v));
  const float s = 127.0f * (1.0f / std::max(absmax, 1e-5f));
  q.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float r = std::nearbyint(x[i] * s);
    q[i] = static_cast<int8_t>(r > 127.0f ? 127 : (r < -128.0f ? -128 : static_cast<int>(r)));
  }
  return s;
}

using QuantizeFn = float (*)(const float*, int64_t, int64_t, int8_t*);

std::vector<std::pair<const char*, QuantizeFn>> implementations() {
  std::vector<std::pair<const char*, QuantizeFn>> v = {{"scalar", quantize_row_i8_scalar},
                                                       {"best", best_backend().quantize->row}};
#if defined(TERN_ARCH_X86)
  if (cpu_features().avx2) v.emplace_back("avx2", quantize_row_i8_avx2);
#endif
  return v;
}

TEST(KernelQuantize, HalfTiesRoundToEven) {
  // absmax 127 makes s exactly 1, so x*s == x and the .5 values are exact ties.
  const std::vector<float> x = {127.0f, 2.5f, 3.5f, -2.5f, -0.5f, 0.5f, 1.5f, -1.5f, 126.5f, -126.5f, 0.49999997f};
  const std::vector<int> want = {127, 2, 4, -2, 0, 0, 2, -2, 126, -126, 0};
  for (auto [name, fn] : implementations()) {
    std::vector<int8_t> q(x.size());
    EXPECT_EQ(fn(x.data(), static_cast<int64_t>(x.size()), static_cast<int64_t>(x.size()), q.data()), 1.0f);
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(int{q[i]}, want[i]) << name << " x=" << x[i];
  }
}

TEST(KernelQuantize, TiesInsideTheVectorBody) {
  // 70 values so the SIMD loop (32 at a time) and its tail both meet ties.
  std::vector<float> x(70);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 2 ? -1.0f : 1.0f) * (static_cast<float>(i % 60) + 0.5f);
  x[3] = 127.0f;
  std::vector<int8_t> want;
  plain_quantize(x, want);
  EXPECT_EQ(int{want[1]}, -2);   // -1.5 -> -2
  EXPECT_EQ(int{want[5]}, -6);   // -5.5 -> -6
  EXPECT_EQ(int{want[4]}, 4);    // 4.5 -> 4
  for (auto [name, fn] : implementations()) {
    std::vector<int8_t> q(80, 99);
    fn(x.data(), 70, 80, q.data());
    for (size_t i = 0; i < 70; ++i) ASSERT_EQ(q[i], want[i]) << name << " i=" << i;
    for (size_t i = 70; i < 80; ++i) ASSERT_EQ(q[i], 0) << name << " padding " << i;
  }
}

TEST(KernelQuantize, ScaleIsDividedNotInverted) {
  // s = 127 * (1 / absmax), then x * s (not x / (absmax / 127)).
  const std::vector<float> x = {0.3f, -1.7f, 2.9f};
  std::vector<int8_t> q(3);
  const float s = quantize_row_i8_scalar(x.data(), 3, 3, q.data());
  EXPECT_EQ(s, 127.0f * (1.0f / 2.9f));
  EXPECT_EQ(int{q[2]}, 127);
}

// PyTorch computes HF's `127 / absmax` as absmax.reciprocal() * 127 (two roundings); tern
// follows it. Find an absmax where that differs from one division and a value whose int8
// code differs between the two forms: every implementation must give PyTorch's.
TEST(KernelQuantize, ScaleIsPyTorchsReciprocalTimes127) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.5f, 8.0f);
  float absmax = 0, s_torch = 0, s_div = 0;
  for (int i = 0; i < 1000 && s_torch == s_div; ++i) {
    absmax = u(rng);
    s_torch = 127.0f * (1.0f / absmax);
    s_div = 127.0f / absmax;
  }
  ASSERT_NE(s_torch, s_div) << "no absmax found where the two forms differ";
  // A value just at a .5 boundary under one form and not the other.
  float v = 0;
  for (int k = 1; k < 120 && v == 0; ++k) {
    float t = (static_cast<float>(k) + 0.5f) / s_torch;
    for (int i = 0; i < 8; ++i) t = std::nextafter(t, 0.0f);  // then walk up 16 ulps
    for (int i = 0; i < 16 && v == 0; ++i, t = std::nextafter(t, 1e9f)) {
      if (t < absmax && std::nearbyint(t * s_torch) != std::nearbyint(t * s_div)) v = t;
    }
  }
  ASSERT_NE(v, 0.0f) << "no value found whose int8 code depends on the form";
  const std::vector<float> x = {absmax, v, -v};
  for (auto [name, fn] : implementations()) {
    std::vector<int8_t> q(3);
    EXPECT_EQ(fn(x.data(), 3, 3, q.data()), s_torch) << name;
    EXPECT_EQ(q[1], static_cast<int8_t>(std::nearbyint(v * s_torch))) << name;
    EXPECT_EQ(q[2], static_cast<int8_t>(std::nearbyint(-v * s_torch))) << name;
  }
}

TEST(KernelQuantize, AllZeroRowClampsAbsmax) {
  for (auto [name, fn] : implementations()) {
    const std::vector<float> x(40, 0.0f);
    std::vector<int8_t> q(40, 5);
    EXPECT_EQ(fn(x.data(), 40, 40, q.data()), 127.0f / 1e-5f) << name;
    for (int8_t v : q) EXPECT_EQ(v, 0) << name;
  }
}

TEST(KernelQuantize, RandomRowsBitIdentical) {
  std::mt19937 rng(11);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t n = 1 + trial * 7 % 300;
    std::vector<float> x(static_cast<size_t>(n));
    const float scale = std::ldexp(1.0f, trial % 20 - 10);
    for (auto& v : x) v = d(rng) * scale;
    if (trial % 3 == 0) x[static_cast<size_t>(trial % n)] = 256.0f * scale;  // one outlier
    std::vector<int8_t> want;
    const float s_want = plain_quantize(x, want);
    for (auto [name, fn] : implementations()) {
      std::vector<int8_t> q(static_cast<size_t>(n));
      ASSERT_EQ(fn(x.data(), n, n, q.data()), s_want) << name;
      ASSERT_EQ(q, want) << name << " n=" << n;
    }
  }
}

TEST(KernelQuantize, NonFiniteInputsAgreeAcrossImplementations) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::vector<float> x(45, 1.0f);
  x[2] = nan;
  x[40] = nan;
  std::vector<int8_t> ref(45);
  const float s_ref = quantize_row_i8_scalar(x.data(), 45, 45, ref.data());
  EXPECT_EQ(s_ref, 127.0f);  // NaN does not become the absmax
  for (auto [name, fn] : implementations()) {
    std::vector<int8_t> q(45);
    EXPECT_EQ(fn(x.data(), 45, 45, q.data()), s_ref) << name;
    EXPECT_EQ(q, ref) << name;
  }
  x[7] = -inf;
  quantize_row_i8_scalar(x.data(), 45, 45, ref.data());
  for (auto [name, fn] : implementations()) {
    std::vector<int8_t> q(45);
    fn(x.data(), 45, 45, q.data());
    EXPECT_EQ(q, ref) << name;
  }
}

}  // namespace
}  // namespace tern::kernels
