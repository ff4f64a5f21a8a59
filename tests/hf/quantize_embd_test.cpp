// Float conversions and the embedding quantizers: f16 rounding is exact round-to-nearest-
// even (checked against a long-double reference over every f16 neighbourhood), and
// Q8_0 / Q4_0 / Q6_K round trips stay within their formats' error bounds.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hf/half_float.h"
#include "hf/quantize_embd.h"
#include "hf_test_util.h"
#include "tern/error.h"

namespace tern::hf::test {
namespace {

using gguf::TensorType;

TEST(HalfFloat, F16DecodesEveryPatternLikeTheReference) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float a = f16_to_f32(static_cast<uint16_t>(h));
    const float b = f16_value(static_cast<uint16_t>(h));
    if (std::isnan(b)) {
      EXPECT_TRUE(std::isnan(a)) << h;
    } else {
      ASSERT_EQ(a, b) << h;
      // Round trip of every non-NaN pattern is the identity.
      ASSERT_EQ(f32_to_f16(a), h) << h;
    }
  }
}

// f32 -> f16 must pick the nearest f16, ties to the even mantissa.
TEST(HalfFloat, F32ToF16RoundsToNearestEven) {
  std::mt19937 rng(1);
  auto check = [](float x) {
    const uint16_t h = f32_to_f16(x);
    const double got = f16_to_f32(h);
    if (std::fabs(x) >= 65520.0f) {
      EXPECT_TRUE(std::isinf(got)) << x;
      return;
    }
    // Neighbours of h toward and away from x.
    const double up = f16_to_f32(static_cast<uint16_t>(h + 1));
    const double down = (h & 0x7fff) ? f16_to_f32(static_cast<uint16_t>(h - 1)) : -static_cast<double>(got);
    const double err = std::fabs(got - x);
    if (!std::isinf(up)) {
      EXPECT_LE(err, std::fabs(up - x)) << x;
    }
    EXPECT_LE(err, std::fabs(down - x)) << x;
    if ((!std::isinf(up) && err == std::fabs(up - x)) || err == std::fabs(down - x)) {
      if (err != 0) {
        EXPECT_EQ(h & 1, 0) << "tie not to even at " << x;
      }
    }
  };
  for (int i = 0; i < 200000; ++i) {
    const uint32_t bits = rng();
    const float x = bits_to_f32(bits);
    if (std::isnan(x) || std::isinf(x)) continue;
    check(x);
  }
  // Exact ties between adjacent f16 values, normal and subnormal.
  for (uint32_t h = 1; h < 0x7bff; h += 7) {
    const float mid = static_cast<float>((static_cast<double>(f16_to_f32(static_cast<uint16_t>(h))) +
                                          f16_to_f32(static_cast<uint16_t>(h + 1))) / 2);
    EXPECT_EQ(f32_to_f16(mid) & 1, 0) << h;
    check(mid);
  }
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65519.99f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);
  EXPECT_EQ(f32_to_f16(-1e10f), 0xfc00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0);           // tie to even zero
  EXPECT_EQ(f32_to_f16(std::ldexp(1.5f, -25)), 1);           // above the tie
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 1);           // smallest subnormal
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(NAN))));
}

TEST(HalfFloat, Bf16IsTheTopHalf) {
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xc100), -8.0f);
  EXPECT_EQ(bf16_to_f32(0x4380), 256.0f);
}

std::vector<float> random_row(int n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, scale);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = nd(rng);
  return x;
}

struct Bound {
  TensorType type;
  int block;
  double rel;  // max |err| / block absmax
};

TEST(QuantizeEmbd, RoundTripWithinFormatBounds) {
  // Q8_0: half a step of absmax/127 (+ f16 rounding of d). Q4_0: half a step of absmax/8
  // (the extreme value sits at -8 exactly). Q6_K: 6-bit codes with 8-bit sub-scales.
  for (const Bound& b : {Bound{TensorType::Q8_0, 32, 0.5 / 127 + 1e-3}, Bound{TensorType::Q4_0, 32, 1.0 / 8 + 1e-3},
                         Bound{TensorType::Q6_K, 256, 0.05}}) {
    SCOPED_TRACE(gguf::type_name(b.type));
    const int n = 2560;
    for (uint32_t seed = 0; seed < 20; ++seed) {
      auto x = random_row(n, seed, seed % 2 ? 0.02f : 3.0f);
      if (seed == 3) x[17] = 250.0f;  // an outlier like tiny-b's embedding
      if (seed == 4) std::fill(x.begin(), x.begin() + 256, 0.0f);  // an all-zero block
      std::vector<uint8_t> q(embd_row_bytes(b.type, n, "t"));
      EmbdStats st;
      quantize_embd_row(b.type, x.data(), n, q.data(), &st);
      std::vector<float> y(static_cast<size_t>(n));
      dequantize_embd_row(b.type, q.data(), n, y.data());
      double sq_err = 0, sq = 0;
      for (int blk = 0; blk < n / b.block; ++blk) {
        float amax = 0;
        for (int i = 0; i < b.block; ++i) amax = std::max(amax, std::fabs(x[static_cast<size_t>(blk * b.block + i)]));
        for (int i = 0; i < b.block; ++i) {
          const size_t k = static_cast<size_t>(blk * b.block + i);
          ASSERT_LE(std::fabs(y[k] - x[k]), b.rel * amax + 1e-30) << "block " << blk << " elem " << i;
          sq_err += (y[k] - x[k]) * (y[k] - x[k]);
          sq += x[k] * x[k];
        }
      }
      // And on average far better than the worst case.
      const double rms_rel = std::sqrt(sq_err / sq);
      EXPECT_LT(rms_rel, b.type == TensorType::Q4_0 ? 0.12 : b.type == TensorType::Q6_K ? 0.02 : 0.006);
      EXPECT_EQ(st.values, static_cast<uint64_t>(n));
      EXPECT_GT(st.max_abs_error, 0.0);
      if (seed == 4) {
        for (int i = 0; i < 256; ++i) EXPECT_EQ(y[static_cast<size_t>(i)], 0.0f);
      }
    }
  }
}

TEST(QuantizeEmbd, F16AndF32Rows) {
  std::vector<float> x = {1.0f, 1.0f / 3.0f, 70000.0f, 1e-6f, -2.5f, 0.0f, 65504.0f, -0.1f};
  std::vector<uint8_t> q(embd_row_bytes(TensorType::F16, 8, "t"));
  EmbdStats st;
  quantize_embd_row(TensorType::F16, x.data(), 8, q.data(), &st);
  EXPECT_EQ(st.overflow, 1u);   // 70000
  EXPECT_EQ(st.subnormal, 1u);  // 1e-6
  EXPECT_EQ(st.inexact, 4u);    // 1/3, 70000, 1e-6, -0.1
  std::vector<uint8_t> q32(embd_row_bytes(TensorType::F32, 8, "t"));
  quantize_embd_row(TensorType::F32, x.data(), 8, q32.data(), nullptr);
  std::vector<float> y(8);
  dequantize_embd_row(TensorType::F32, q32.data(), 8, y.data());
  EXPECT_EQ(y, x);
}

TEST(QuantizeEmbd, RowLengthMustFitTheBlock) {
  EXPECT_THROW(embd_row_bytes(TensorType::Q6_K, 2560 + 32, "token_embd.weight"), Error);
  EXPECT_THROW(embd_row_bytes(TensorType::Q8_0, 33, "token_embd.weight"), Error);
  EXPECT_EQ(embd_row_bytes(TensorType::Q6_K, 2560, "t"), 10u * 210);
  EXPECT_EQ(embd_row_bytes(TensorType::Q4_0, 2560, "t"), 80u * 18);
  EXPECT_EQ(embd_row_bytes(TensorType::Q8_0, 2560, "t"), 80u * 34);
}

}  // namespace
}  // namespace tern::hf::test
