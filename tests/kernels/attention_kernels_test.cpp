// Attention (kernels/attention.h): every implementation's loops and the tile equal the scalar
// reference bit for bit, on odd shapes and both cache types; the reference itself is checked
// against a double-precision attention.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/attention.h"
#include "kernels/attention_impls.h"
#include "kernels/backend.h"
#include "kernels/float_ops.h"

namespace tern::kernels {
namespace {

std::vector<float> randn(size_t n, std::mt19937& rng, float sd = 1.0f) {
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Same bits (NaN payloads aside: F16C quiets signalling NaNs, which the cache never holds).
void expect_same_bits(const float* a, const float* b, size_t n, const std::string& what) {
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    uint32_t x, y;
    std::memcpy(&x, &a[i], 4);
    std::memcpy(&y, &b[i], 4);
    ASSERT_EQ(x, y) << what << " element " << i << ": " << a[i] << " vs " << b[i];
  }
}

TEST(AttentionKernels, ScalarIsListedLast) {
  ASSERT_GE(attention_kernel_count(), 2);  // xsimd and scalar everywhere
  EXPECT_STREQ(attention_kernel(attention_kernel_count() - 1).name, "scalar");
  EXPECT_STREQ(scalar_backend().attention->name, "scalar");
}

TEST(AttentionKernels, QkAndPvMatchScalarBitForBit) {
  std::mt19937 rng(7);
  const AttentionKernels& ref = *scalar_backend().attention;
  for (int ki = 0; ki < attention_kernel_count(); ++ki) {
    const AttentionKernels& kern = attention_kernel(ki);
    for (int64_t hd : {1, 3, 8, 13, 24, 64, 72, 128, 136}) {
      for (int64_t n_keys : {1, 5, 8, 9, 31, 32, 33, 70}) {
        const std::string what = std::string(kern.name) + " hd " + std::to_string(hd) + " keys " + std::to_string(n_keys);
        const int64_t ld = hd + 5;  // rows of a wider cache
        const auto q = randn(static_cast<size_t>(hd), rng);
        const auto k = randn(static_cast<size_t>(n_keys * ld), rng);
        std::vector<float> s_ref(static_cast<size_t>(n_keys)), s_got(s_ref.size(), -1.0f);
        ref.qk(q.data(), k.data(), ld, n_keys, hd, 0.125f, s_ref.data());
        kern.qk(q.data(), k.data(), ld, n_keys, hd, 0.125f, s_got.data());
        expect_same_bits(s_got.data(), s_ref.data(), s_ref.size(), what + " qk");

        const auto p = randn(static_cast<size_t>(n_keys), rng, 0.3f);
        const auto v = randn(static_cast<size_t>(n_keys * ld), rng);
        const auto out0 = randn(static_cast<size_t>(hd), rng);
        std::vector<float> o_ref = out0, o_got = out0;
        ref.pv(p.data(), v.data(), ld, n_keys, hd, o_ref.data());
        kern.pv(p.data(), v.data(), ld, n_keys, hd, o_got.data());
        expect_same_bits(o_got.data(), o_ref.data(), o_ref.size(), what + " pv");
      }
    }
  }
}

TEST(AttentionKernels, F16RowsExactForEveryHalf) {
  std::vector<uint16_t> all(65536 + 3);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i * 40503u);  // odd: a permutation
  const int64_t hd = 13, ld = 17, rows = static_cast<int64_t>(all.size()) / ld;
  std::vector<float> ref(static_cast<size_t>(rows * hd));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < hd; ++i) ref[static_cast<size_t>(r * hd + i)] = f16_to_f32(all[static_cast<size_t>(r * ld + i)]);
  for (int ki = 0; ki < attention_kernel_count(); ++ki) {
    const AttentionKernels& kern = attention_kernel(ki);
    std::vector<float> got(ref.size());
    kern.f16_rows(all.data(), ld, rows, hd, got.data());
    expect_same_bits(got.data(), ref.data(), ref.size(), kern.name);
    std::vector<uint16_t> wide(65536);
    for (size_t i = 0; i < wide.size(); ++i) wide[i] = static_cast<uint16_t>(i);
    std::vector<float> w_ref(wide.size()), w_got(wide.size());
    f16_to_f32_row(wide.data(), w_ref.data(), 65536);
    kern.f16_rows(wide.data(), 128, 512, 128, w_got.data());
    expect_same_bits(w_got.data(), w_ref.data(), w_ref.size(), std::string(kern.name) + " every half");
  }
}

// A cache of n_pos positions x n_kv heads (f32, and its f16 bits), NaN beyond `valid`
// positions so a tile that reads past its last key shows it.
struct Cache {
  std::vector<float> k, v;
  std::vector<uint16_t> k16, v16;
};

Cache make_cache(int64_t n_pos, int64_t valid, int64_t kv_dim, std::mt19937& rng) {
  Cache c;
  c.k = randn(static_cast<size_t>(n_pos * kv_dim), rng);
  c.v = randn(static_cast<size_t>(n_pos * kv_dim), rng);
  for (size_t i = static_cast<size_t>(valid * kv_dim); i < c.k.size(); ++i) c.k[i] = c.v[i] = std::nanf("");
  c.k16.resize(c.k.size());
  c.v16.resize(c.v.size());
  f32_to_f16_row(c.k.data(), c.k16.data(), static_cast<int64_t>(c.k.size()));
  f32_to_f16_row(c.v.data(), c.v16.data(), static_cast<int64_t>(c.v.size()));
  return c;
}

// The definition, one row at a time (as forward.cpp computed it before tiles).
void naive_row(const float* q, const float* k, const float* v, int64_t ld, int64_t pos, int64_t hd, float scale,
               float* out) {
  std::vector<float> s(static_cast<size_t>(pos + 1));
  for (int64_t j = 0; j <= pos; ++j) s[static_cast<size_t>(j)] = attention_dot_scalar(q, k + j * ld, hd) * scale;
  softmax(s.data(), pos + 1);
  std::fill(out, out + hd, 0.0f);
  for (int64_t j = 0; j <= pos; ++j)
    for (int64_t i = 0; i < hd; ++i) out[i] += s[static_cast<size_t>(j)] * v[j * ld + i];
}

struct Shape {
  int64_t n_tokens, pos0, n_heads, hd, n_kv;
};

TEST(AttentionTile, EveryImplEqualsNaiveRowsBothCaches) {
  std::mt19937 rng(11);
  const Shape shapes[] = {{1, 0, 1, 8, 1},    {1, 40, 4, 128, 2}, {7, 0, 4, 64, 1},  {16, 33, 3, 24, 2},
                          {5, 100, 2, 13, 3}, {33, 0, 1, 72, 1},  {2, 31, 5, 136, 1}, {16, 511, 4, 128, 5}};
  for (const Shape& sh : shapes) {
    const int64_t kv_dim = sh.n_kv * sh.hd, q_ld = sh.n_heads * sh.hd + 3, n_keys = sh.pos0 + sh.n_tokens;
    const Cache c = make_cache(n_keys + 9, n_keys, kv_dim, rng);
    const auto q = randn(static_cast<size_t>(sh.n_tokens * q_ld), rng);
    const int64_t kvh = sh.n_kv - 1;  // the last KV head: offsets matter
    const float scale = 1.0f / std::sqrt(static_cast<float>(sh.hd));
    for (bool f16 : {false, true}) {
      // The naive result reads the cache as the tile does: f16 rows upcast exactly.
      std::vector<float> kf = c.k, vf = c.v;
      if (f16) {
        f16_to_f32_row(c.k16.data(), kf.data(), static_cast<int64_t>(kf.size()));
        f16_to_f32_row(c.v16.data(), vf.data(), static_cast<int64_t>(vf.size()));
      }
      std::vector<float> want(static_cast<size_t>(sh.n_tokens * q_ld), 0.0f);
      for (int64_t t = 0; t < sh.n_tokens; ++t)
        for (int64_t h = 0; h < sh.n_heads; ++h)
          naive_row(q.data() + t * q_ld + h * sh.hd, kf.data() + kvh * sh.hd, vf.data() + kvh * sh.hd, kv_dim,
                    sh.pos0 + t, sh.hd, scale, want.data() + t * q_ld + h * sh.hd);
      for (int ki = 0; ki < attention_kernel_count(); ++ki) {
        const AttentionKernels& kern = attention_kernel(ki);
        const std::string what = std::string(kern.name) + (f16 ? " f16" : " f32") + " tokens " +
                                 std::to_string(sh.n_tokens) + " pos0 " + std::to_string(sh.pos0) + " heads " +
                                 std::to_string(sh.n_heads) + " hd " + std::to_string(sh.hd);
        AttentionTile t;
        t.q = q.data();
        t.ld_q_token = q_ld;
        t.n_tokens = sh.n_tokens;
        t.pos0 = sh.pos0;
        t.n_heads = sh.n_heads;
        t.k = f16 ? static_cast<const void*>(c.k16.data() + kvh * sh.hd) : static_cast<const void*>(c.k.data() + kvh * sh.hd);
        t.v = f16 ? static_cast<const void*>(c.v16.data() + kvh * sh.hd) : static_cast<const void*>(c.v.data() + kvh * sh.hd);
        t.ld_kv = kv_dim;
        t.f16 = f16;
        t.head_dim = sh.hd;
        t.scale = scale;
        std::vector<float> got(want.size(), 0.0f);
        t.out = got.data();
        t.ld_out_token = q_ld;
        std::vector<float> scratch(attention_scratch_floats(sh.n_tokens * sh.n_heads, n_keys, sh.hd));
        attend_tile(kern, t, scratch.data());
        expect_same_bits(got.data(), want.data(), got.size(), what);
        for (float x : got) ASSERT_FALSE(std::isnan(x)) << what << ": read past the last key";

        // One token at a time (decode) gives the same bits as the whole tile (prefill).
        std::vector<float> one(want.size(), 0.0f);
        for (int64_t tok = 0; tok < sh.n_tokens; ++tok) {
          AttentionTile u = t;
          u.q = q.data() + tok * q_ld;
          u.n_tokens = 1;
          u.pos0 = sh.pos0 + tok;
          u.out = one.data() + tok * q_ld;
          attend_tile(kern, u, scratch.data());
        }
        expect_same_bits(one.data(), want.data(), one.size(), what + " token by token");
      }
    }
  }
}

// The reference rows are attention at all: within float rounding of a double computation.
TEST(AttentionTile, ReferenceAgreesWithDoublePrecision) {
  std::mt19937 rng(3);
  const int64_t hd = 64, n = 50;
  const auto q = randn(static_cast<size_t>(hd), rng);
  const auto k = randn(static_cast<size_t>(n * hd), rng);
  const auto v = randn(static_cast<size_t>(n * hd), rng);
  const float scale = 0.125f;
  std::vector<float> got(static_cast<size_t>(hd));
  naive_row(q.data(), k.data(), v.data(), hd, n - 1, hd, scale, got.data());
  std::vector<double> s(static_cast<size_t>(n));
  double mx = -1e300, sum = 0.0;
  for (int64_t j = 0; j < n; ++j) {
    double d = 0.0;
    for (int64_t i = 0; i < hd; ++i) d += static_cast<double>(q[static_cast<size_t>(i)]) * k[static_cast<size_t>(j * hd + i)];
    s[static_cast<size_t>(j)] = d * scale;
    mx = std::max(mx, s[static_cast<size_t>(j)]);
  }
  for (auto& x : s) sum += (x = std::exp(x - mx));
  for (int64_t i = 0; i < hd; ++i) {
    double o = 0.0;
    for (int64_t j = 0; j < n; ++j) o += s[static_cast<size_t>(j)] / sum * v[static_cast<size_t>(j * hd + i)];
    EXPECT_NEAR(got[static_cast<size_t>(i)], o, 1e-5) << "element " << i;
  }
}

}  // namespace
}  // namespace tern::kernels
