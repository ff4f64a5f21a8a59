// NEON lookup-table kernel for TERN_T2 (TL style, like avx2-lut): one nibble of a T2 byte
// (codes of elements b and b+32, or b+64 and b+96) indexes a 16-entry table of
// q[b]*t0 + q[b+32]*t1 built once per token in prepare(); vqtbl1q_u8 does 16 lookups
// from ONE table, so the 16 indices must be 16 rows at the same byte position: matmul
// transposes blocks of 16 rows (plain byte copies) first. Entries are int16 (|v| <= 256)
// kept as low/high byte planes, rejoined with vzip.
#include <arm_neon.h>

#include <algorithm>
#include <vector>

#include "kernels/kernel_impls.h"
#include "kernels/lut_table.h"

namespace tern::kernels {
namespace {

constexpr int kRows = 16;
constexpr int64_t kTableBytesPerGroup = 32 * 2 * 2 * 16;  // byte position x nibble x plane x 16


void prepare(PreparedActs& acts) {
  compute_token_sums(acts);
  build_group_tables(acts, kTableBytesPerGroup, [](const int8_t* q, uint8_t* tab) {
    for (int b = 0; b < 32; ++b) {
      for (int nib = 0; nib < 2; ++nib) {
        uint8_t* lo = tab + ((b * 2 + nib) * 2) * 16;  // then the high plane's 16 bytes
        t2_pair_table(q[nib * 64 + b], q[nib * 64 + b + 32], lo, lo + 16);
      }
    }
  });
}

void matmul(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::ternary_neon_lut.bump();
  const int64_t row_bytes = t2_row_bytes(w.k), groups = acts.kp / kT2GroupElems;
  thread_local std::vector<uint8_t> transposed;  // [group][byte position][16 rows]
  if (transposed.size() < static_cast<size_t>(groups * 32 * kRows)) transposed.resize(static_cast<size_t>(groups * 32 * kRows));
  const uint8x16_t m4 = vdupq_n_u8(0x0F);
  for (int64_t r = r0; r < r1; r += kRows) {
    const int valid = static_cast<int>(std::min<int64_t>(kRows, r1 - r));
    for (int i = 0; i < kRows; ++i) {
      const uint8_t* src = w.data + std::min<int64_t>(r + i, r1 - 1) * row_bytes;  // tail rows repeat
      for (int64_t b = 0; b < groups * 32; ++b) transposed[static_cast<size_t>(b * kRows + i)] = src[b];
    }
    for (int64_t t = 0; t < acts.n_tokens; ++t) {
      const uint8_t* tables = acts.extra.data() + t * groups * kTableBytesPerGroup;
      int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
      for (int64_t g = 0; g < groups; ++g) {
        int16x8_t s_lo = vdupq_n_s16(0), s_hi = vdupq_n_s16(0);  // rows 0..7, 8..15; <= 64 * 256
        const uint8_t* tab = tables + g * kTableBytesPerGroup;
        for (int b = 0; b < 32; ++b) {
          const uint8x16_t x = vld1q_u8(&transposed[static_cast<size_t>((g * 32 + b) * kRows)]);
          const uint8x16_t idx[2] = {vandq_u8(x, m4), vshrq_n_u8(x, 4)};
          for (int nib = 0; nib < 2; ++nib) {
            const uint8_t* tb = tab + ((b * 2 + nib) * 2) * 16;
            const uint8x16_t lo = vqtbl1q_u8(vld1q_u8(tb), idx[nib]);
            const uint8x16_t hi = vqtbl1q_u8(vld1q_u8(tb + 16), idx[nib]);
            s_lo = vaddq_s16(s_lo, vreinterpretq_s16_u8(vzip1q_u8(lo, hi)));
            s_hi = vaddq_s16(s_hi, vreinterpretq_s16_u8(vzip2q_u8(lo, hi)));
          }
        }
        acc[0] = vaddw_s16(acc[0], vget_low_s16(s_lo));
        acc[1] = vaddw_high_s16(acc[1], s_lo);
        acc[2] = vaddw_s16(acc[2], vget_low_s16(s_hi));
        acc[3] = vaddw_high_s16(acc[3], s_hi);
      }
      int32_t out[kRows];
      for (int j = 0; j < 4; ++j) vst1q_s32(out + 4 * j, acc[j]);
      std::copy(out, out + valid, y + t * ldy + r);
    }
  }
}

}  // namespace

const Kernel kNeonLutKernel = {"neon-lut", "NEON tbl lookup tables (TL style) over 16-row transposed blocks",
                               cpu_runs_neon, 10, prepare, matmul, kRows, "NEON"};

}  // namespace tern::kernels
