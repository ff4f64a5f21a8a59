// Float ops (float_ops.h) with xsimd at the baseline ISA (SSE2 on x86-64, NEON on aarch64):
// the "xsimd" implementation of the backend's float and head entries. Every function
// processes rows independently, so splitting rows across threads never changes a result.
// kernels/scalar/float_ops_scalar.cpp spells out the same operations in the same order.
#include "kernels/float_ops.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "kernels/float_ops_impls.h"
#include "kernels/impl_counter.h"

namespace tern::kernels {
namespace {

using Batch = xsimd::batch<float>;
constexpr int64_t kLanes = static_cast<int64_t>(Batch::size);
static_assert(kLanes == kFloatLanes, "the scalar float ops emulate the baseline ISA's 4 float lanes");

// Sum of a batch's lanes in one fixed order: fold the upper half onto the lower half until
// one lane is left (4 lanes: (l0 + l2) + (l1 + l3), the order SSE2's hadd uses). xsimd::hadd
// is free to pick its own order per ISA (NEON's differs), and an ulp in a norm's sum of
// squares is enough to flip an int8 near-tie downstream: results must not depend on the ISA.
float sum_lanes(const Batch& b) {
  alignas(64) float lanes[kLanes];
  b.store_aligned(lanes);
  for (int64_t width = kLanes / 2; width >= 1; width /= 2)
    for (int64_t i = 0; i < width; ++i) lanes[i] = lanes[i] + lanes[i + width];
  return lanes[0];
}

}  // namespace

void rmsnorm(const float* x, const float* w, int64_t n, float eps, float* y) {
  counters::float_xsimd.bump();
  Batch acc(0.0f);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Batch v = Batch::load_unaligned(x + i);
    acc = acc + v * v;
  }
  float sum = sum_lanes(acc);
  for (; i < n; ++i) sum += x[i] * x[i];
  const float r = 1.0f / std::sqrt(sum / static_cast<float>(n) + eps);
  const Batch vr(r);
  i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    (Batch::load_unaligned(w + i) * (Batch::load_unaligned(x + i) * vr)).store_unaligned(y + i);
  }
  for (; i < n; ++i) y[i] = w[i] * (x[i] * r);
}

void rope_inv_freq(int64_t head_dim, double theta, float* inv) {
  for (int64_t j = 0; j < head_dim / 2; ++j) {
    // torch computes 1 / base^(2j/d) in float32 with its own libm. tern computes the power in
    // double and rounds once: as accurate, and the same on every ISA (glibc's float powf may
    // differ by an ulp between x86 and aarch64, enough to flip an int8 near-tie downstream).
    const float exponent = static_cast<float>(2 * j) / static_cast<float>(head_dim);
    inv[j] = static_cast<float>(1.0 / std::pow(theta, static_cast<double>(exponent)));
  }
}

void rope_tables(int64_t head_dim, const float* inv_freq, int64_t n_pos, float* cos, float* sin) {
  const int64_t half = head_dim / 2;
  for (int64_t p = 0; p < n_pos; ++p) {
    for (int64_t j = 0; j < half; ++j) {
      // The angle in float32 as torch; cos and sin in double, rounded (same on every ISA).
      const float angle = static_cast<float>(p) * inv_freq[j];
      const float c = static_cast<float>(std::cos(static_cast<double>(angle)));
      const float s = static_cast<float>(std::sin(static_cast<double>(angle)));
      cos[p * head_dim + j] = cos[p * head_dim + j + half] = c;
      sin[p * head_dim + j] = sin[p * head_dim + j + half] = s;
    }
  }
}

void rope_neox(float* x, int64_t n_heads, int64_t head_dim, const float* cos_row, const float* sin_row) {
  counters::float_xsimd.bump();
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    int64_t j = 0;
    for (; j + kLanes <= half; j += kLanes) {
      const Batch a = Batch::load_unaligned(v + j), b = Batch::load_unaligned(v + j + half);
      const Batch ca = Batch::load_unaligned(cos_row + j), sa = Batch::load_unaligned(sin_row + j);
      const Batch cb = Batch::load_unaligned(cos_row + j + half), sb = Batch::load_unaligned(sin_row + j + half);
      const Batch na = a * ca - b * sa;  // rotate_half: element j pairs with -x[j + d/2]
      const Batch nb = b * cb + a * sb;  //              element j + d/2 pairs with x[j]
      na.store_unaligned(v + j);
      nb.store_unaligned(v + j + half);
    }
    for (; j < half; ++j) {
      const float a = v[j], b = v[j + half];
      const float pa = a * cos_row[j], qa = b * sin_row[j];
      const float pb = b * cos_row[j + half], qb = a * sin_row[j + half];
      v[j] = pa - qa;
      v[j + half] = pb + qb;
    }
  }
}

void relu2_mul(const float* gate, const float* up, float* out, int64_t n) {
  counters::float_xsimd.bump();
  const Batch zero(0.0f);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Batch r = xsimd::max(Batch::load_unaligned(gate + i), zero);
    ((r * r) * Batch::load_unaligned(up + i)).store_unaligned(out + i);
  }
  for (; i < n; ++i) {
    const float r = gate[i] > 0.0f ? gate[i] : 0.0f;
    out[i] = (r * r) * up[i];
  }
}

void add_inplace(float* y, const float* x, int64_t n) {
  counters::float_xsimd.bump();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) (Batch::load_unaligned(y + i) + Batch::load_unaligned(x + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] += x[i];
}

// ---- half precision ---------------------------------------------------------------------
float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf / NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: value = mant * 2^-24, exact in float
    const float v = static_cast<float>(mant) * 0x1p-24f;
    std::memcpy(&bits, &v, 4);
    bits |= sign;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t ax = x & 0x7FFFFFFFu;
  if (ax >= 0x7F800000u) return static_cast<uint16_t>(sign | 0x7C00 | (ax > 0x7F800000u ? 0x200 | ((ax >> 13) & 0x3FF) : 0));
  if (ax >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00);  // rounds to >= 65520: inf
  if (ax < 0x38800000u) {  // below the smallest normal half (2^-14): subnormal or zero
    // value * 2^24 rounded to nearest even integer = the subnormal mantissa (float math is exact here).
    float a;
    std::memcpy(&a, &ax, 4);
    const float m = std::nearbyint(a * 0x1p24f);
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(m));  // m == 1024 becomes the smallest normal
  }
  // normal: drop 13 mantissa bits with round to nearest even; a carry may bump the exponent.
  const uint32_t rebased = ax - (112u << 23);
  const uint32_t rounded = rebased + 0x0FFFu + ((rebased >> 13) & 1u);
  return static_cast<uint16_t>(sign | (rounded >> 13));
}

// bfloat16 is the top half of a float32.
float bf16_to_f32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

uint16_t f32_to_bf16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // NaN stays NaN (quiet)
  u += 0x7FFFu + ((u >> 16) & 1u);  // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}

void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void f32_to_f16_row(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

void bf16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
}

// ---- head GEMM ---------------------------------------------------------------------------
namespace {

constexpr int64_t kChunk = 256;  // elements converted to float at a time (stays in L1)

// One row against n_tokens tokens: the row is converted chunk by chunk once and used for
// every token. Per token the accumulation order is fixed (lane-wise over the row, then
// hadd, then the scalar tail), whatever rows or tokens surround it.
template <void (*Convert)(const uint16_t*, float*, int64_t)>
void gemm_rows_generic(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y, int64_t ldy,
                       int64_t r0, int64_t r1) {
  alignas(64) float buf[kChunk];
  constexpr int64_t kMaxTokens = 16;
  const int64_t body = k / kLanes * kLanes;
  for (int64_t t0 = 0; t0 < n_tokens; t0 += kMaxTokens) {
    const int64_t nt = std::min<int64_t>(kMaxTokens, n_tokens - t0);
    for (int64_t r = r0; r < r1; ++r) {
      const uint16_t* row = w + r * k;
      Batch acc[kMaxTokens];
      for (int64_t t = 0; t < nt; ++t) acc[t] = Batch(0.0f);
      for (int64_t c0 = 0; c0 < body; c0 += kChunk) {
        const int64_t c1 = std::min(body, c0 + kChunk);
        Convert(row + c0, buf, c1 - c0);
        for (int64_t t = 0; t < nt; ++t) {
          const float* xt = x + (t0 + t) * k;
          Batch a = acc[t];
          for (int64_t c = c0; c < c1; c += kLanes) a = xsimd::fma(Batch::load_aligned(buf + (c - c0)), Batch::load_unaligned(xt + c), a);
          acc[t] = a;
        }
      }
      for (int64_t t = 0; t < nt; ++t) {
        const float* xt = x + (t0 + t) * k;
        float s = xsimd::hadd(acc[t]);
        for (int64_t c = body; c < k; ++c) {
          float wf;
          Convert(row + c, &wf, 1);
          s += wf * xt[c];
        }
        y[(t0 + t) * ldy + r] = s;
      }
    }
  }
}

}  // namespace

void gemm_f16_f32_rows_generic(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                               int64_t ldy, int64_t r0, int64_t r1) {
  counters::head_xsimd.bump();
  gemm_rows_generic<f16_to_f32_row>(w, k, x, n_tokens, y, ldy, r0, r1);
}

void gemm_bf16_f32_rows_generic(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                                int64_t ldy, int64_t r0, int64_t r1) {
  counters::head_xsimd.bump();
  gemm_rows_generic<bf16_to_f32_row>(w, k, x, n_tokens, y, ldy, r0, r1);
}

}  // namespace tern::kernels
