// NEON sdot kernel for TERN_T2 (ARMv8.2 dotprod; this file is compiled with +dotprod and
// only called when HWCAP_ASIMDDP says the CPU has it). Codes c = t+1 in {0,1,2} by
// shift/mask, vdotq_s32 accumulates 4 products per int32 lane (no int16 stage), then the
// token's sum of q is subtracted. Two rows per pass share the activation loads.
#include <arm_neon.h>

#include "kernels/kernel_impls.h"

namespace tern::kernels {
namespace {

inline int32x4_t group_dot(int32x4_t acc, const uint8_t* wg, const int8_t* qg) {
  const uint8x16_t m3 = vdupq_n_u8(3);
  for (int half = 0; half < 2; ++half) {
    const uint8x16_t raw = vld1q_u8(wg + 16 * half);
    const int8_t* qh = qg + 16 * half;
    acc = vdotq_s32(acc, vreinterpretq_s8_u8(vandq_u8(raw, m3)), vld1q_s8(qh));
    acc = vdotq_s32(acc, vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(raw, 2), m3)), vld1q_s8(qh + 32));
    acc = vdotq_s32(acc, vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(raw, 4), m3)), vld1q_s8(qh + 64));
    acc = vdotq_s32(acc, vreinterpretq_s8_u8(vshrq_n_u8(raw, 6)), vld1q_s8(qh + 96));
  }
  return acc;
}


void prepare(PreparedActs& acts) { compute_token_sums(acts); }

void matmul(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::ternary_neon_dotprod.bump();
  const int64_t row_bytes = t2_row_bytes(w.k), groups = acts.kp / kT2GroupElems;
  for (int64_t t = 0; t < acts.n_tokens; ++t) {
    const int8_t* q = acts.q + t * acts.kp;
    const int32_t sum = acts.sums[static_cast<size_t>(t)];
    int64_t r = r0;
    for (; r + 2 <= r1; r += 2) {
      const uint8_t* w0 = w.data + r * row_bytes;
      const uint8_t* w1 = w0 + row_bytes;
      int32x4_t a0 = vdupq_n_s32(0), a1 = a0;
      for (int64_t g = 0; g < groups; ++g) {
        a0 = group_dot(a0, w0 + g * kT2GroupBytes, q + g * kT2GroupElems);
        a1 = group_dot(a1, w1 + g * kT2GroupBytes, q + g * kT2GroupElems);
      }
      y[t * ldy + r] = vaddvq_s32(a0) - sum;
      y[t * ldy + r + 1] = vaddvq_s32(a1) - sum;
    }
    for (; r < r1; ++r) {
      const uint8_t* w0 = w.data + r * row_bytes;
      int32x4_t a0 = vdupq_n_s32(0);
      for (int64_t g = 0; g < groups; ++g) a0 = group_dot(a0, w0 + g * kT2GroupBytes, q + g * kT2GroupElems);
      y[t * ldy + r] = vaddvq_s32(a0) - sum;
    }
  }
}

}  // namespace

const Kernel kNeonDotprodKernel = {"neon-dotprod", "NEON 2-bit unpack + sdot (ARMv8.2 dotprod)", cpu_runs_dotprod, 40,
                                   prepare, matmul, 2, "NEON dotprod"};

}  // namespace tern::kernels
