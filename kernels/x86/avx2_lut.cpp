// AVX2 lookup-table kernel for TERN_T2 (T-MAC / bitnet.cpp TL style). Two weights (one
// nibble of a T2 byte: the codes of elements b and b+32, or b+64 and b+96) index a
// 16-entry table holding the 9 possible values of q[b]*t0 + q[b+32]*t1 for that pair of
// activations; prepare() builds every table once per token, and the matmul is pshufb
// lookups instead of multiplies.
//
// pshufb looks up one table per 128-bit lane, so the 16 indices in a lane must share a
// table, i.e. come from 16 different ROWS at the same byte position. matmul therefore
// transposes blocks of 16 rows (a 16x16 byte transpose per lane per 128-element group),
// then each transposed vector m holds byte m (lane 0) and byte m+16 (lane 1) of 16 rows.
// Table entries are int16 (|v| <= 256) stored as two byte planes (low / high byte) and
// rejoined with unpack. It is tested equal to the scalar kernel; it is slower than
// avx2-mad on this layout, because the transpose costs as much as the multiplies it
// replaces (figures: bench/README.md, "Ternary kernels, float ops, lm_head").
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "kernels/kernel_impls.h"
#include "kernels/lut_table.h"

namespace tern::kernels {
namespace {

constexpr int kRows = 16;                   // rows per block (bytes per pshufb lane)
constexpr int64_t kTableBytesPerGroup = 16 * 2 * 2 * 32;  // m x nibble x plane x 32 bytes
constexpr int64_t kGroupsPerWiden = 2;      // 2 groups x 32 lookups x 256 = 16384 < 2^15

inline __m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }


void prepare(PreparedActs& acts) {
  compute_token_sums(acts);
  build_group_tables(acts, kTableBytesPerGroup, [](const int8_t* q, uint8_t* tab) {
    for (int m = 0; m < 16; ++m) {
      for (int nib = 0; nib < 2; ++nib) {      // 0: elements b, b+32; 1: b+64, b+96
        uint8_t* lo = tab + ((m * 2 + nib) * 2 + 0) * 32;
        uint8_t* hi = tab + ((m * 2 + nib) * 2 + 1) * 32;
        for (int lane = 0; lane < 2; ++lane) {  // lane 0: byte m, lane 1: byte m + 16
          const int b = m + 16 * lane;
          t2_pair_table(q[nib * 64 + b], q[nib * 64 + b + 32], lo + 16 * lane, hi + 16 * lane);
        }
      }
    }
  });
}

// Transposes one group of 16 rows: out[m] = {byte m of rows 0..15 | byte m+16 of rows 0..15}.
// Four rounds of "interleave register i with i+8" rotate the (register, byte) index bits
// by one each; after four the register index and the byte index have swapped.
inline void transpose_group(const uint8_t* const* rows, int64_t off, uint8_t* out) {
  __m256i v[16];
  for (int i = 0; i < 16; ++i) v[i] = load(rows[i] + off);
  for (int round = 0; round < 4; ++round) {
    __m256i n[16];
    for (int a = 0; a < 8; ++a) {
      n[2 * a] = _mm256_unpacklo_epi8(v[a], v[a + 8]);
      n[2 * a + 1] = _mm256_unpackhi_epi8(v[a], v[a + 8]);
    }
    for (int i = 0; i < 16; ++i) v[i] = n[i];
  }
  for (int i = 0; i < 16; ++i) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * i), v[i]);
}

void matmul(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::ternary_avx2_lut.bump();
  const int64_t row_bytes = t2_row_bytes(w.k);
  const int64_t groups = acts.kp / kT2GroupElems;
  thread_local std::vector<uint8_t> transposed;  // groups x 16 x 32 bytes; grows, then reused
  if (transposed.size() < static_cast<size_t>(groups * 512)) transposed.resize(static_cast<size_t>(groups * 512));
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int64_t r = r0; r < r1; r += kRows) {
    const uint8_t* rows[kRows];
    for (int i = 0; i < kRows; ++i) rows[i] = w.data + std::min(r + i, r1 - 1) * row_bytes;  // tail: repeat
    for (int64_t g = 0; g < groups; ++g) transpose_group(rows, g * kT2GroupBytes, transposed.data() + g * 512);
    const int valid = static_cast<int>(std::min<int64_t>(kRows, r1 - r));
    for (int64_t t = 0; t < acts.n_tokens; ++t) {
      const uint8_t* tables = acts.extra.data() + t * groups * kTableBytesPerGroup;
      __m256i acc_lo = _mm256_setzero_si256(), acc_hi = acc_lo;  // int32, rows 0..7 / 8..15
      for (int64_t g0 = 0; g0 < groups; g0 += kGroupsPerWiden) {
        const int64_t g1 = std::min(groups, g0 + kGroupsPerWiden);
        __m256i s_lo = _mm256_setzero_si256(), s_hi = s_lo;  // int16 per lane: rows 0..7 / 8..15
        for (int64_t g = g0; g < g1; ++g) {
          const uint8_t* x = transposed.data() + g * 512;
          const uint8_t* tab = tables + g * kTableBytesPerGroup;
          for (int m = 0; m < 16; ++m) {
            const __m256i xm = load(x + 32 * m);
            const __m256i idx0 = _mm256_and_si256(xm, m4);
            const __m256i idx1 = _mm256_and_si256(_mm256_srli_epi16(xm, 4), m4);
            const uint8_t* tm = tab + m * 128;
            const __m256i l0 = _mm256_shuffle_epi8(load(tm), idx0);
            const __m256i h0 = _mm256_shuffle_epi8(load(tm + 32), idx0);
            const __m256i l1 = _mm256_shuffle_epi8(load(tm + 64), idx1);
            const __m256i h1 = _mm256_shuffle_epi8(load(tm + 96), idx1);
            s_lo = _mm256_add_epi16(s_lo, _mm256_add_epi16(_mm256_unpacklo_epi8(l0, h0), _mm256_unpacklo_epi8(l1, h1)));
            s_hi = _mm256_add_epi16(s_hi, _mm256_add_epi16(_mm256_unpackhi_epi8(l0, h0), _mm256_unpackhi_epi8(l1, h1)));
          }
        }
        acc_lo = _mm256_add_epi32(acc_lo, _mm256_add_epi32(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(s_lo)),
                                                           _mm256_cvtepi16_epi32(_mm256_extracti128_si256(s_lo, 1))));
        acc_hi = _mm256_add_epi32(acc_hi, _mm256_add_epi32(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(s_hi)),
                                                           _mm256_cvtepi16_epi32(_mm256_extracti128_si256(s_hi, 1))));
      }
      alignas(32) int32_t out[kRows];
      _mm256_store_si256(reinterpret_cast<__m256i*>(out), acc_lo);
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + 8), acc_hi);
      std::copy(out, out + valid, y + t * ldy + r);
    }
  }
}

}  // namespace

const Kernel kAvx2LutKernel = {"avx2-lut", "AVX2 pshufb lookup tables (TL style) over 16-row transposed blocks",
                               cpu_runs_avx2, 10, prepare, matmul, kRows, "AVX2"};

}  // namespace tern::kernels
