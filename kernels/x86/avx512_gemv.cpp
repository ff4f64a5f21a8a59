// AVX-512 VNNI GEMV (one token: decode) for TERN_T1, the avx512-vnni kernel's n_tokens == 1
// path for the 1.6-bit layout. (TERN_T2 decode keeps avx2-mad's GEMV: a zmm T2 GEMV built
// the same way measured slower end to end, bench/README.md "AVX-512 GEMV".) Like every multiply-add kernel it multiplies codes c = t+1 in {0,1,2}
// (unsigned bytes) with the int8 activations and subtracts the token's sum of q at the end.
//
// Why not avx2-mad's T1 GEMV: decode must read weights as fast as memory delivers them, and
// the AVX2 T1 decode work (7 byte ops per 32 weights plus int16 stages) runs far below that
// rate (bench/README.md, "1.6-bit TERN_T1"). Here one zmm holds the bytes of TWO consecutive
// 32-byte groups of a row, and vpdpbusd multiplies, sums and accumulates into int32 in one
// op: per 64 code lanes two byte adds, two unsigned compares into masks, one masked move,
// one blend and vpdpbusd.
//
// Activations: the zmm's low half meets group g's slice, the high half group g+1's, so a
// slice's activation vector is two 32-byte loads (elements 32i of group g and of g+1) joined
// once per 4-row block and shared by the 4 rows. An odd last group runs with the high halves
// zero (codes and activations), which adds nothing.
//
// Exactness: no saturation (vpdpbusd, not vpdpbusds); a lane adds 4 products of magnitude
// <= 2 * 128 per step, far from 2^31 for any row length a model has (< 8 M elements).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/kernel_impls.h"
#include "kernels/x86/avx512_util.h"

namespace tern::kernels {
namespace {

using avx512::hsum4;

constexpr int kRows = 4;

// 32 bytes into the low half of a zmm, the high half zero. (Masked forms throughout: GCC
// 12's unmasked _mm512_inserti64x4 trips -Wmaybe-uninitialized on its undefined vector.)
TERN_AVX512 inline __m512i zext_load(const void* p) {
  return _mm512_maskz_loadu_epi8(0xFFFFFFFFull, p);
}
// Activation vector of slice j for a group pair: elements lo..lo+31 and hi..hi+31.
TERN_AVX512 inline __m512i pair_acts(const int8_t* lo, const int8_t* hi) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(hi));
  return _mm512_mask_inserti64x4(zext_load(lo), 0xFF, zext_load(lo), h, 1);
}
// The same for a lone group: the high half zero.
TERN_AVX512 inline __m512i half_acts(const int8_t* lo) { return zext_load(lo); }
TERN_AVX512 inline __m512i load_pair(const uint8_t* p) { return _mm512_loadu_si512(p); }
TERN_AVX512 inline __m512i load_half(const uint8_t* p) { return zext_load(p); }

// Rows r..r+3 of a 4-row block (a partial block repeats its last row; the caller drops
// those results), and the block after it for the prefetcher.
struct Block {
  const uint8_t* row[kRows];
  const uint8_t* next;
  int valid;
};
inline Block block_at(const TernaryMatrix& w, int64_t row_bytes, int64_t r, int64_t r1) {
  Block b{};
  b.valid = static_cast<int>(std::min<int64_t>(kRows, r1 - r));
  for (int i = 0; i < kRows; ++i) b.row[i] = w.data + (r + std::min(i, b.valid - 1)) * row_bytes;
  b.next = w.data + (r + kRows) * row_bytes;
  return b;
}
// DRAM-resident rows are short streams the hardware prefetcher barely learns before they
// end (as in avx2-mad's GEMV): fetch the NEXT 4-row block, 4 x 64 bytes per group pair,
// one block ahead. A prefetch past the matrix end never faults.
inline void prefetch_next(const Block& b, int64_t pair) {
  const char* p = reinterpret_cast<const char*>(b.next + pair * 256);
  _mm_prefetch(p, _MM_HINT_T0);
  _mm_prefetch(p + 64, _MM_HINT_T0);
  _mm_prefetch(p + 128, _MM_HINT_T0);
  _mm_prefetch(p + 192, _MM_HINT_T0);
}
inline void store_block(const Block& b, __m128i total, int32_t* y) {
  alignas(16) int32_t out[kRows];
  _mm_store_si128(reinterpret_cast<__m128i*>(out), total);
  for (int i = 0; i < b.valid; ++i) y[i] = out[i];
}

// ---- TERN_T1: digit i of a byte is ((byte * 3^i) mod 256) * 3 >> 8 --------------------
// With x = byte * 3^i mod 256 (unsigned), the digit is [x > 85] + [x > 170]: two unsigned
// compares into masks; the code vector is 1 where the first holds, 2 where the second does.
TERN_AVX512 inline __m512i t1_codes(__m512i x) {
  const __mmask64 gt85 = _mm512_cmpgt_epu8_mask(x, _mm512_set1_epi8(85));
  const __mmask64 gt170 = _mm512_cmpgt_epu8_mask(x, _mm512_set1_epi8(static_cast<char>(170)));
  return _mm512_mask_blend_epi8(gt170, _mm512_maskz_mov_epi8(gt85, _mm512_set1_epi8(1)), _mm512_set1_epi8(2));
}
TERN_AVX512 inline __m512i times3(__m512i x) { return _mm512_add_epi8(x, _mm512_add_epi8(x, x)); }

// acc[i] += the first n slices of 4 rows' (pair of) groups x[i] against a[0..n).
TERN_AVX512 inline void t1_group(__m512i acc[kRows], __m512i x[kRows], const __m512i* a, int n) {
  for (int s = 0; s < n; ++s) {
    for (int i = 0; i < kRows; ++i) {
      if (s > 0) x[i] = times3(x[i]);
      acc[i] = _mm512_dpbusd_epi32(acc[i], t1_codes(x[i]), a[s]);
    }
  }
}

}  // namespace

TERN_AVX512 void avx512_gemv_t1(const TernaryMatrix& w, const int8_t* q, int64_t kp, int32_t sum, int32_t* y,
                                int64_t r0, int64_t r1) {
  const int64_t row_bytes = t1_row_bytes(w.k);
  // Slices below min(kp, t1_padded_k(k)) exist in both the weights and the activations
  // (kernels/ternary.h); activations past them meet zero weights, but sums[] counted them.
  const T1Span sp = t1_span_of(w, kp);
  const int64_t full_groups = sp.full_groups, pairs = full_groups / 2;
  const int tail_slices = sp.tail_slices;
  const int32_t correction = sum - t1_uncovered_sum(q, sp.covered, kp);
  for (int64_t r = r0; r < r1; r += kRows) {
    const Block b = block_at(w, row_bytes, r, r1);
    __m512i acc[kRows] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                          _mm512_setzero_si512()};
    for (int64_t p = 0; p < pairs; ++p) {
      prefetch_next(b, p);
      const int8_t* qg = q + p * 2 * kT1GroupElems;
      __m512i a[kT1TritsPerByte];
      for (int s = 0; s < kT1TritsPerByte; ++s) a[s] = pair_acts(qg + 32 * s, qg + kT1GroupElems + 32 * s);
      __m512i x[kRows];
      for (int i = 0; i < kRows; ++i) x[i] = load_pair(b.row[i] + p * 2 * kT1GroupBytes);
      t1_group(acc, x, a, kT1TritsPerByte);
    }
    // A lone full group, then the partial tail group: one group each, high halves zero.
    for (int64_t g = pairs * 2; g < full_groups + (tail_slices > 0 ? 1 : 0); ++g) {
      const int n = g < full_groups ? kT1TritsPerByte : tail_slices;
      const int8_t* qg = q + g * kT1GroupElems;
      __m512i a[kT1TritsPerByte];
      for (int s = 0; s < n; ++s) a[s] = half_acts(qg + 32 * s);
      __m512i x[kRows];
      for (int i = 0; i < kRows; ++i) x[i] = load_half(b.row[i] + g * kT1GroupBytes);
      t1_group(acc, x, a, n);
    }
    store_block(b, _mm_sub_epi32(hsum4(acc[0], acc[1], acc[2], acc[3]), _mm_set1_epi32(correction)), y + r);
  }
}

}  // namespace tern::kernels
