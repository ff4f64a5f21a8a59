// NEON multiply-add kernel for TERN_T2 on ARMv8.0 (no dotprod): codes c = t+1 in {0,1,2}
// by shift/mask, products with vmull_s8 / vmlal_high_s8 into int16 (at most 2 * 256 per
// lane), eight of those per 128-element group (<= 4096), then vpadalq_s16 into int32;
// finally subtract the token's sum of q. One row at a time; GEMM loops tokens inside a row
// so the row's 2-bit codes stay in L1 for all tokens.
#include <arm_neon.h>

#include "kernels/kernel_impls.h"

namespace tern::kernels {
namespace {

inline int16x8_t mul_add16(uint8x16_t codes, int8x16_t a, int16x8_t acc) {
  const int8x16_t c = vreinterpretq_s8_u8(codes);
  acc = vmlal_s8(acc, vget_low_s8(c), vget_low_s8(a));
  return vmlal_high_s8(acc, c, a);
}

int32_t row_dot(const uint8_t* row, const int8_t* q, int64_t groups) {
  const uint8x16_t m3 = vdupq_n_u8(3);
  int32x4_t acc = vdupq_n_s32(0);
  for (int64_t g = 0; g < groups; ++g) {
    const int8_t* qg = q + g * kT2GroupElems;
    int16x8_t s = vdupq_n_s16(0);
    for (int half = 0; half < 2; ++half) {  // bytes 0..15, then 16..31 of the group
      const uint8x16_t raw = vld1q_u8(row + g * kT2GroupBytes + 16 * half);
      const int8_t* qh = qg + 16 * half;
      s = mul_add16(vandq_u8(raw, m3), vld1q_s8(qh), s);
      s = mul_add16(vandq_u8(vshrq_n_u8(raw, 2), m3), vld1q_s8(qh + 32), s);
      s = mul_add16(vandq_u8(vshrq_n_u8(raw, 4), m3), vld1q_s8(qh + 64), s);
      s = mul_add16(vshrq_n_u8(raw, 6), vld1q_s8(qh + 96), s);
    }
    acc = vpadalq_s16(acc, s);
  }
  return vaddvq_s32(acc);
}


void prepare(PreparedActs& acts) { compute_token_sums(acts); }

void matmul(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::ternary_neon_mad.bump();
  const int64_t row_bytes = t2_row_bytes(w.k), groups = acts.kp / kT2GroupElems;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w.data + r * row_bytes;
    for (int64_t t = 0; t < acts.n_tokens; ++t) {
      y[t * ldy + r] = row_dot(row, acts.q + t * acts.kp, groups) - acts.sums[static_cast<size_t>(t)];
    }
  }
}

}  // namespace

const Kernel kNeonMadKernel = {"neon-mad", "NEON 2-bit unpack + vmull/vmlal multiply-add (ARMv8.0, no dotprod)",
                               cpu_runs_neon, 30, prepare, matmul, 1, "NEON", neon_matmul_t1};

}  // namespace tern::kernels
