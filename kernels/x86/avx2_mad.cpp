// AVX2 multiply-add kernel for TERN_T2: unpack 2-bit codes c = t+1 in {0,1,2} with
// shift/mask, multiply with the int8 activations by _mm256_maddubs_epi16 (unsigned codes x
// signed q), and subtract the token's sum of q at the end: sum(q*t) = sum(q*c) - sum(q).
//
// int16 overflow: one maddubs lane is at most 2 * 2 * 128 = 512 in magnitude, so an int16
// accumulator may take 32 maddubs (16384) before it is widened with madd_epi16 to int32.
//
// GEMV (one token, decode: memory-bound) runs 4 rows per pass so each activation load
// serves 4 rows. GEMM (prefill: compute-bound) unpacks a block of 4 rows once into codes
// for a tile of tokens, then the 4-row x 2-token micro-kernel shared with the T1 code
// (gemm_codes_avx2.h) reuses each code load for 2 tokens and each activation load for 4 rows.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/kernel_impls.h"
#include "kernels/x86/gemm_codes_avx2.h"

namespace tern::kernels {
namespace {

constexpr int kRowsPerPass = 4;
constexpr int64_t kGroupsPerWiden = 8;    // 8 groups x 4 maddubs = 32 per int16 accumulator

inline __m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

using avx2_gemm::hsum4;

// sum over one 128-element group of q * code for one row: four maddubs added in int16.
inline __m256i group_dot(__m256i raw, __m256i a0, __m256i a1, __m256i a2, __m256i a3) {
  const __m256i m3 = _mm256_set1_epi8(3);
  const __m256i c0 = _mm256_and_si256(raw, m3);
  const __m256i c1 = _mm256_and_si256(_mm256_srli_epi16(raw, 2), m3);
  const __m256i c2 = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m3);
  const __m256i c3 = _mm256_and_si256(_mm256_srli_epi16(raw, 6), m3);
  const __m256i p01 = _mm256_add_epi16(_mm256_maddubs_epi16(c0, a0), _mm256_maddubs_epi16(c1, a1));
  const __m256i p23 = _mm256_add_epi16(_mm256_maddubs_epi16(c2, a2), _mm256_maddubs_epi16(c3, a3));
  return _mm256_add_epi16(p01, p23);
}

// One token, rows [r0, r1).
void gemv(const TernaryMatrix& w, const int8_t* q, int32_t sum, int32_t* y, int64_t r0, int64_t r1) {
  const int64_t row_bytes = t2_row_bytes(w.k);
  const int64_t groups = row_bytes / kT2GroupBytes;
  const __m256i ones = _mm256_set1_epi16(1);
  int64_t r = r0;
  for (; r + kRowsPerPass <= r1; r += kRowsPerPass) {
    const uint8_t* w0 = w.data + r * row_bytes;
    const uint8_t* w1 = w0 + row_bytes;
    const uint8_t* w2 = w1 + row_bytes;
    const uint8_t* w3 = w2 + row_bytes;
    const uint8_t* next_block = w3 + row_bytes;
    __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int64_t g0 = 0; g0 < groups; g0 += kGroupsPerWiden) {
      const int64_t g1 = std::min(groups, g0 + kGroupsPerWiden);
      __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
      for (int64_t g = g0; g < g1; ++g) {
        const int8_t* qg = q + g * kT2GroupElems;
        const __m256i a0 = load(qg), a1 = load(qg + 32), a2 = load(qg + 64), a3 = load(qg + 96);
        const int64_t off = g * kT2GroupBytes;
        // DRAM-resident weights: the 4 rows are short streams (640 bytes at K = 2560) that
        // the hardware prefetcher barely learns before they end, so fetch the NEXT 4-row
        // block (contiguous) linearly, 128 bytes per group: as fast as this block is
        // consumed, one block ahead. A prefetch past the matrix end never faults.
        _mm_prefetch(reinterpret_cast<const char*>(next_block + g * 128), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(next_block + g * 128 + 64), _MM_HINT_T0);
        s0 = _mm256_add_epi16(s0, group_dot(load(w0 + off), a0, a1, a2, a3));
        s1 = _mm256_add_epi16(s1, group_dot(load(w1 + off), a0, a1, a2, a3));
        s2 = _mm256_add_epi16(s2, group_dot(load(w2 + off), a0, a1, a2, a3));
        s3 = _mm256_add_epi16(s3, group_dot(load(w3 + off), a0, a1, a2, a3));
      }
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(s0, ones));
      acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(s1, ones));
      acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(s2, ones));
      acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(s3, ones));
    }
    const __m128i total = _mm_sub_epi32(hsum4(acc0, acc1, acc2, acc3), _mm_set1_epi32(sum));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + r), total);
  }
  for (; r < r1; ++r) {  // leftover rows, one at a time
    const uint8_t* w0 = w.data + r * row_bytes;
    __m256i acc = _mm256_setzero_si256();
    for (int64_t g0 = 0; g0 < groups; g0 += kGroupsPerWiden) {
      const int64_t g1 = std::min(groups, g0 + kGroupsPerWiden);
      __m256i s = _mm256_setzero_si256();
      for (int64_t g = g0; g < g1; ++g) {
        const int8_t* qg = q + g * kT2GroupElems;
        s = _mm256_add_epi16(s, group_dot(load(w0 + g * kT2GroupBytes), load(qg), load(qg + 32),
                                          load(qg + 64), load(qg + 96)));
      }
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(s, ones));
    }
    const __m128i t = hsum4(acc, acc, acc, acc);
    y[r] = _mm_cvtsi128_si32(t) - sum;
  }
}

// Unpacks rows [r, r + 4) (rows past `rows` become code 0, which contributes nothing) into
// codes[i * kp + e] = code of element e of row r + i, in the activations' element order.
void unpack_rows(const TernaryMatrix& w, int64_t r, int64_t rows, int64_t kp, uint8_t* codes) {
  const int64_t row_bytes = t2_row_bytes(w.k);
  const __m256i m3 = _mm256_set1_epi8(3);
  for (int i = 0; i < kRowsPerPass; ++i) {
    uint8_t* out = codes + i * kp;
    if (r + i >= rows) {
      std::memset(out, 0, static_cast<size_t>(kp));
      continue;
    }
    const uint8_t* src = w.data + (r + i) * row_bytes;
    for (int64_t g = 0; g < kp / kT2GroupElems; ++g) {
      const __m256i raw = load(src + g * kT2GroupBytes);
      __m256i* dst = reinterpret_cast<__m256i*>(out + g * kT2GroupElems);
      _mm256_storeu_si256(dst + 0, _mm256_and_si256(raw, m3));
      _mm256_storeu_si256(dst + 1, _mm256_and_si256(_mm256_srli_epi16(raw, 2), m3));
      _mm256_storeu_si256(dst + 2, _mm256_and_si256(_mm256_srli_epi16(raw, 4), m3));
      _mm256_storeu_si256(dst + 3, _mm256_and_si256(_mm256_srli_epi16(raw, 6), m3));
    }
  }
}



void prepare(PreparedActs& acts) { compute_token_sums(acts); }

void matmul(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::ternary_avx2_mad.bump();
  if (acts.n_tokens == 1) {
    gemv(w, acts.q, acts.sums[0], y, r0, r1);
  } else if (acts.n_tokens > 1) {
    avx2_gemm::gemm(unpack_rows, w, acts, y, ldy, r0, r1);
  }
}

}  // namespace

void avx2_unpack_t2_rows(const TernaryMatrix& w, int64_t r, int64_t rows, int64_t kp, uint8_t* codes) {
  unpack_rows(w, r, rows, kp, codes);
}

const Kernel kAvx2MadKernel = {"avx2-mad", "AVX2 2-bit unpack + maddubs multiply-add, 4-row GEMV, 4x2 GEMM tiles",
                               cpu_runs_avx2, 30, prepare, matmul, kRowsPerPass, "AVX2", avx2_matmul_t1};

}  // namespace tern::kernels
