// Attention loops (kernels/attention.h) with xsimd at the baseline ISA: NEON on aarch64, SSE2
// on x86-64 (where AVX2 is missing). Same operations in the same order as the scalar
// reference: the eight dot-product lanes live in 8 / lanes batches, products and sums are
// separate operations (-ffp-contract=off), and the lane sums are added in the scalar tree.
#include <xsimd/xsimd.hpp>
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "kernels/attention_impls.h"

namespace tern::kernels {
namespace {

using Batch = xsimd::batch<float>;
constexpr int64_t kLanes = static_cast<int64_t>(Batch::size);
static_assert(8 % kLanes == 0, "the reference dot product has eight lanes");
constexpr int kParts = static_cast<int>(8 / kLanes);

// The eight lanes of acc, then the scalar tail into lane 0, then the reference tree.
inline float finish_dot(const Batch acc[kParts], const float* a, const float* b, int64_t body, int64_t n) {
  alignas(32) float l[8];
  for (int p = 0; p < kParts; ++p) acc[p].store_aligned(l + p * kLanes);
  for (int64_t i = body; i < n; ++i) l[0] += a[i] * b[i];
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

}  // namespace

void attention_qk_xsimd(const float* q, const float* k, int64_t ldk, int64_t n_keys, int64_t hd, float scale,
                        float* scores) {
  constexpr int kKeys = 4;  // keys per pass: q is loaded once for four of them
  const int64_t body = hd / 8 * 8;
  int64_t j = 0;
  for (; j + kKeys <= n_keys; j += kKeys) {
    const float* kj = k + j * ldk;
    Batch acc[kKeys][kParts];
    for (int u = 0; u < kKeys; ++u)
      for (int p = 0; p < kParts; ++p) acc[u][p] = Batch(0.0f);
    for (int64_t i = 0; i < body; i += 8) {
      for (int p = 0; p < kParts; ++p) {
        const Batch qv = Batch::load_unaligned(q + i + p * kLanes);
        for (int u = 0; u < kKeys; ++u) acc[u][p] = acc[u][p] + qv * Batch::load_unaligned(kj + u * ldk + i + p * kLanes);
      }
    }
    for (int u = 0; u < kKeys; ++u) scores[j + u] = finish_dot(acc[u], q, kj + u * ldk, body, hd) * scale;
  }
  for (; j < n_keys; ++j) {
    const float* kj = k + j * ldk;
    Batch acc[kParts];
    for (int p = 0; p < kParts; ++p) acc[p] = Batch(0.0f);
    for (int64_t i = 0; i < body; i += 8)
      for (int p = 0; p < kParts; ++p)
        acc[p] = acc[p] + Batch::load_unaligned(q + i + p * kLanes) * Batch::load_unaligned(kj + i + p * kLanes);
    scores[j] = finish_dot(acc, q, kj, body, hd) * scale;
  }
}

void attention_pv_xsimd(const float* p, const float* v, int64_t ldv, int64_t n_keys, int64_t hd, float* out) {
  constexpr int kRegs = 8;  // outputs kept in registers across the whole key run
  int64_t c = 0;
  for (; c + kRegs * kLanes <= hd; c += kRegs * kLanes) {
    Batch acc[kRegs];
    for (int u = 0; u < kRegs; ++u) acc[u] = Batch::load_unaligned(out + c + u * kLanes);
    for (int64_t j = 0; j < n_keys; ++j) {
      const Batch pj(p[j]);
      const float* vj = v + j * ldv + c;
      for (int u = 0; u < kRegs; ++u) acc[u] = acc[u] + pj * Batch::load_unaligned(vj + u * kLanes);
    }
    for (int u = 0; u < kRegs; ++u) acc[u].store_unaligned(out + c + u * kLanes);
  }
  for (; c + kLanes <= hd; c += kLanes) {
    Batch acc = Batch::load_unaligned(out + c);
    for (int64_t j = 0; j < n_keys; ++j) acc = acc + Batch(p[j]) * Batch::load_unaligned(v + j * ldv + c);
    acc.store_unaligned(out + c);
  }
  for (int64_t j = 0; c < hd && j < n_keys; ++j)
    for (int64_t i = c; i < hd; ++i) out[i] += p[j] * v[j * ldv + i];
}

#if defined(__aarch64__)
// FCVTL (ARMv8 baseline) upcasts half to float exactly, four at a time.
void attention_f16_rows_neon(const uint16_t* src, int64_t ld_src, int64_t n_rows, int64_t hd, float* dst) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const uint16_t* s = src + r * ld_src;
    float* d = dst + r * hd;
    int64_t i = 0;
    for (; i + 4 <= hd; i += 4) vst1q_f32(d + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(s + i))));
    if (i < hd) attention_f16_rows_scalar(s + i, 0, 1, hd - i, d + i);
  }
}
#endif

}  // namespace tern::kernels
