// NEON kernel for TERN_T1 (1.6-bit base-3 layout, kernels/ternary.h), the T1 code of
// neon-mad (and, by dispatch's fallback, of neon-dotprod and neon-lut). NEON has an 8-bit
// multiply, so slice i's byte is vmulq_u8(byte, 3^i) directly; its digit is
// [x > 85] + [x > 170] (two unsigned compares, 0/0xFF masks) and the SIGNED trit is
// t = c - 1 = ~(m1 + m2) (m1 + m2 = -c mod 256, and ~v = -v - 1). With signed trits there is
// no token-sum correction: t = 0 contributes nothing wherever q is. Products |q * t| <= 128
// go through vmull_s8/vmlal_s8 into int16 lanes: 20 per lane per 160-element group, then
// widened with vpadalq_s16 once per group.
#include <arm_neon.h>

#include <algorithm>

#include "kernels/kernel_impls.h"

namespace tern::kernels {
namespace {

inline int8x16_t trits_of(uint8x16_t x) {
  const uint8x16_t m1 = vcgtq_u8(x, vdupq_n_u8(85)), m2 = vcgtq_u8(x, vdupq_n_u8(170));
  return vreinterpretq_s8_u8(vmvnq_u8(vaddq_u8(m1, m2)));
}

// Adds sum over slices [0, n) of one group of q * t to acc (one row).
inline int32x4_t group_dot(int32x4_t acc, const uint8_t* wg, const int8_t* qg, int n) {
  static constexpr uint8_t kPow3[kT1TritsPerByte] = {1, 3, 9, 27, 81};
  int16x8_t s = vdupq_n_s16(0);
  for (int half = 0; half < 2; ++half) {
    const uint8x16_t raw = vld1q_u8(wg + 16 * half);
    for (int i = 0; i < n; ++i) {
      const int8x16_t t = trits_of(vmulq_u8(raw, vdupq_n_u8(kPow3[i])));
      const int8x16_t a = vld1q_s8(qg + 32 * i + 16 * half);
      s = vmlal_s8(s, vget_low_s8(t), vget_low_s8(a));
      s = vmlal_s8(s, vget_high_s8(t), vget_high_s8(a));
    }
  }
  return vpadalq_s16(acc, s);
}

}  // namespace

void neon_matmul_t1(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0,
                    int64_t r1) {
  counters::ternary_neon_mad.bump();
  const int64_t row_bytes = t1_row_bytes(w.k);
  const int64_t slices = std::min(acts.kp, t1_padded_k(w.k)) / 32;  // both multiples of 32
  const int64_t full = slices / kT1TritsPerByte;
  const int tail = static_cast<int>(slices % kT1TritsPerByte);
  for (int64_t t = 0; t < acts.n_tokens; ++t) {
    const int8_t* q = acts.q + t * acts.kp;
    int64_t r = r0;
    for (; r < r1; ++r) {
      const uint8_t* row = w.data + r * row_bytes;
      int32x4_t acc = vdupq_n_s32(0);
      for (int64_t g = 0; g < full; ++g) acc = group_dot(acc, row + g * kT1GroupBytes, q + g * kT1GroupElems, kT1TritsPerByte);
      if (tail > 0) acc = group_dot(acc, row + full * kT1GroupBytes, q + full * kT1GroupElems, tail);
      y[t * ldy + r] = vaddvq_s32(acc);
    }
  }
}

}  // namespace tern::kernels
