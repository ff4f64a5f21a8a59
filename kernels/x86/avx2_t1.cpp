// AVX2 multiply-add kernel for TERN_T1 (1.6-bit base-3 layout, kernels/ternary.h), the T1
// code of avx2-mad: decode codes c = t+1 in {0,1,2}, multiply with the int8 activations by
// _mm256_maddubs_epi16 (unsigned codes x signed q), subtract the token's sum of q at the end.
//
// Decoding one 32-byte load (160 weights): flip the top bit once (x ^ 0x80 = x + 128 mod
// 256, and since 3^i is odd, (x + 128) * 3^i = x * 3^i + 128 mod 256: the flip survives the
// multiplications), so slice i's byte x_i = byte * 3^i mod 256 is available as a SIGNED byte
// x_i - 128 by repeated byte adds (x*3 = x+x+x, wrapping per lane). Its digit is
// (3 * x_i) >> 8 = [x_i > 85] + [x_i > 170]: two signed compares against -43 and 42 give
// 0/-1 masks whose negated sum is the code. 7 byte ops per 32 weights, no shuffles.
//
// int16 overflow: a maddubs lane is at most 2 * 2 * 128 = 512 in magnitude, so an int16
// accumulator takes 6 groups x 5 slices = 30 maddubs (15360) before madd_epi16 widens it.
//
// Activations: acts.kp = t2_padded_k(k) (shared with T2). Slices are processed up to
// min(kp, t1_padded_k(k)); where kp reaches past t1_padded_k (only for odd k, e.g. k = 150:
// kp = 256 > 160), the weights there are zero but sums[t] counted q there, so the GEMV adds
// that q back and the GEMM unpacks code 1 (weight 0) there.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/kernel_impls.h"
#include "kernels/x86/gemm_codes_avx2.h"

namespace tern::kernels {
namespace {

constexpr int kRowsPerPass = 4;
constexpr int kSlices = kT1TritsPerByte;   // 32-lane code vectors per group
constexpr int64_t kGroupsPerWiden = 6;     // 6 groups x 5 maddubs = 30 per int16 accumulator

inline __m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

using avx2_gemm::hsum4;

// Signed-shifted byte -> code vector (0, 1, 2 per lane).
inline __m256i codes_of(__m256i xs) {
  const __m256i m1 = _mm256_cmpgt_epi8(xs, _mm256_set1_epi8(-43));  // x > 85
  const __m256i m2 = _mm256_cmpgt_epi8(xs, _mm256_set1_epi8(42));   // x > 170
  return _mm256_abs_epi8(_mm256_add_epi8(m1, m2));
}
inline __m256i times3(__m256i x) { return _mm256_add_epi8(x, _mm256_add_epi8(x, x)); }
inline __m256i flip(__m256i raw) { return _mm256_xor_si256(raw, _mm256_set1_epi8(static_cast<char>(0x80))); }

// sum over the first `n` slices of one group of q * code for one row, in int16 lanes.
template <int N>
inline __m256i group_dot(__m256i raw, const __m256i* a) {
  __m256i x = flip(raw);
  __m256i s = _mm256_maddubs_epi16(codes_of(x), a[0]);
  for (int i = 1; i < N; ++i) {
    x = times3(x);
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(codes_of(x), a[i]));
  }
  return s;
}
inline __m256i group_dot_n(__m256i raw, const __m256i* a, int n) {
  switch (n) {
    case 1: return group_dot<1>(raw, a);
    case 2: return group_dot<2>(raw, a);
    case 3: return group_dot<3>(raw, a);
    case 4: return group_dot<4>(raw, a);
    default: return group_dot<5>(raw, a);
  }
}

// One token, rows [r0, r1).
void gemv(const TernaryMatrix& w, const int8_t* q, int64_t kp, int32_t sum, int32_t* y, int64_t r0, int64_t r1) {
  const int64_t row_bytes = t1_row_bytes(w.k);
  const T1Span sp = t1_span_of(w, kp);
  const int32_t correction = sum - t1_uncovered_sum(q, sp.covered, kp);
  const __m256i ones = _mm256_set1_epi16(1);
  int64_t r = r0;
  for (; r + kRowsPerPass <= r1; r += kRowsPerPass) {
    const uint8_t* w0 = w.data + r * row_bytes;
    const uint8_t* w1 = w0 + row_bytes;
    const uint8_t* w2 = w1 + row_bytes;
    const uint8_t* w3 = w2 + row_bytes;
    const uint8_t* next_block = w3 + row_bytes;
    __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int64_t g0 = 0; g0 < sp.full_groups; g0 += kGroupsPerWiden) {
      const int64_t g1 = std::min(sp.full_groups, g0 + kGroupsPerWiden);
      __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
      for (int64_t g = g0; g < g1; ++g) {
        const int8_t* qg = q + g * kT1GroupElems;
        const __m256i a[kSlices] = {load(qg), load(qg + 32), load(qg + 64), load(qg + 96), load(qg + 128)};
        const int64_t off = g * kT1GroupBytes;
        // As in avx2-mad: stream the NEXT 4-row block (contiguous) one block ahead.
        _mm_prefetch(reinterpret_cast<const char*>(next_block + g * 128), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(next_block + g * 128 + 64), _MM_HINT_T0);
        s0 = _mm256_add_epi16(s0, group_dot<kSlices>(load(w0 + off), a));
        s1 = _mm256_add_epi16(s1, group_dot<kSlices>(load(w1 + off), a));
        s2 = _mm256_add_epi16(s2, group_dot<kSlices>(load(w2 + off), a));
        s3 = _mm256_add_epi16(s3, group_dot<kSlices>(load(w3 + off), a));
      }
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(s0, ones));
      acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(s1, ones));
      acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(s2, ones));
      acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(s3, ones));
    }
    if (sp.tail_slices > 0) {
      const int64_t g = sp.full_groups;
      const int8_t* qg = q + g * kT1GroupElems;
      __m256i a[kSlices] = {};
      for (int i = 0; i < sp.tail_slices; ++i) a[i] = load(qg + 32 * i);
      const int64_t off = g * kT1GroupBytes;
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(group_dot_n(load(w0 + off), a, sp.tail_slices), ones));
      acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(group_dot_n(load(w1 + off), a, sp.tail_slices), ones));
      acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(group_dot_n(load(w2 + off), a, sp.tail_slices), ones));
      acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(group_dot_n(load(w3 + off), a, sp.tail_slices), ones));
    }
    const __m128i total = _mm_sub_epi32(hsum4(acc0, acc1, acc2, acc3), _mm_set1_epi32(correction));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + r), total);
  }
  for (; r < r1; ++r) {  // leftover rows, one at a time
    const uint8_t* w0 = w.data + r * row_bytes;
    __m256i acc = _mm256_setzero_si256();
    const int64_t groups = sp.full_groups + (sp.tail_slices > 0 ? 1 : 0);
    for (int64_t g = 0; g < groups; ++g) {
      const int n = g < sp.full_groups ? kSlices : sp.tail_slices;
      const int8_t* qg = q + g * kT1GroupElems;
      __m256i a[kSlices] = {};
      for (int i = 0; i < n; ++i) a[i] = load(qg + 32 * i);
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(group_dot_n(load(w0 + g * kT1GroupBytes), a, n), ones));
    }
    y[r] = _mm_cvtsi128_si32(hsum4(acc, acc, acc, acc)) - correction;
  }
}

// Unpacks rows [r, r + 4) into codes[i * kp + e] (rows past `rows`: code 0, contributing
// nothing; elements past the weights: code 1, weight 0, which cancels against sums[]).
void unpack_rows(const TernaryMatrix& w, int64_t r, int64_t rows, int64_t kp, uint8_t* codes) {
  const int64_t row_bytes = t1_row_bytes(w.k);
  const T1Span sp = t1_span_of(w, kp);
  for (int i = 0; i < kRowsPerPass; ++i) {
    uint8_t* out = codes + i * kp;
    if (r + i >= rows) {
      std::memset(out, 0, static_cast<size_t>(kp));
      continue;
    }
    const uint8_t* src = w.data + (r + i) * row_bytes;
    const int64_t groups = sp.full_groups + (sp.tail_slices > 0 ? 1 : 0);
    for (int64_t g = 0; g < groups; ++g) {
      const int n = g < sp.full_groups ? kSlices : sp.tail_slices;
      __m256i x = flip(load(src + g * kT1GroupBytes));
      for (int s = 0; s < n; ++s) {
        if (s > 0) x = times3(x);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + g * kT1GroupElems + 32 * s), codes_of(x));
      }
    }
    if (sp.covered < kp) std::memset(out + sp.covered, 1, static_cast<size_t>(kp - sp.covered));
  }
}


}  // namespace

void avx2_unpack_t1_rows(const TernaryMatrix& w, int64_t r, int64_t rows, int64_t kp, uint8_t* codes) {
  unpack_rows(w, r, rows, kp, codes);
}

void avx2_matmul_t1(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0,
                    int64_t r1) {
  counters::ternary_avx2_mad.bump();
  if (acts.n_tokens == 1) {
    gemv(w, acts.q, acts.kp, acts.sums[0], y, r0, r1);
  } else if (acts.n_tokens > 1) {
    avx2_gemm::gemm(unpack_rows, w, acts, y, ldy, r0, r1);
  }
}

}  // namespace tern::kernels
