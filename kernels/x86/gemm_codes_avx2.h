// The AVX2 GEMM shared by avx2-mad's TERN_T2 and TERN_T1 code: both unpack a block of 4
// weight rows into codes c = t+1 (one byte per element, in the activations' element order),
// then this tile loop and 4-row x 2-token micro-kernel multiply the codes with int8
// activations by _mm256_maddubs_epi16 (unsigned codes x signed q) and subtract each token's
// sum of q: sum(q*t) = sum(q*c) - sum(q). Only the unpack step differs between formats.
//
// int16 overflow: one maddubs lane is at most 2 * 2 * 128 = 512 in magnitude (two products
// c*q with c <= 2, |q| <= 128), so an int16 accumulator may take 32 maddubs (16384 < 32767)
// before madd_epi16 widens it to int32; the extremes (q = -128 / 127, all codes 0 or 2) are
// in tests/kernels (ExtremeValues, MixedExtremesAlternatingSigns).
//
// Include only from files compiled with the AVX2 flags (kernels/x86/).
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/ternary.h"

namespace tern::kernels::avx2_gemm {

constexpr int kRows = 4;              // rows per unpacked block
constexpr int64_t kWidenSteps = 32;   // 32-element maddubs steps per int16 accumulator
constexpr int64_t kTokenTile = 32;    // tokens whose activations stay in L2 per row block

// The unpack step: rows [r, r + 4) of w into codes[i * kp + e]; rows at or past `rows`
// become code 0 (contributes nothing).
using UnpackFn = void (*)(const TernaryMatrix& w, int64_t r, int64_t rows, int64_t kp, uint8_t* codes);

// Sum of the 8 int32 lanes of each of 4 vectors -> one __m128i {a, b, c, d}.
inline __m128i hsum4(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_hadd_epi32(a, b), cd = _mm256_hadd_epi32(c, d);
  const __m256i abcd = _mm256_hadd_epi32(ab, cd);
  return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

// 4 rows of codes (stride kp) x NT tokens (1 or 2) of activations q0 / q1, over kp elements
// (a multiple of 32). out[t][i] = raw sum of q * code.
template <int NT>
inline void micro_kernel(const uint8_t* codes, int64_t kp, const int8_t* q0, const int8_t* q1,
                         int32_t out[2][kRows]) {
  const int8_t* q[2] = {q0, q1};
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[kRows][NT];
  for (auto& row : acc)
    for (auto& a : row) a = _mm256_setzero_si256();
  const int64_t step = kWidenSteps * 32;
  for (int64_t e0 = 0; e0 < kp; e0 += step) {
    const int64_t e1 = std::min(kp, e0 + step);
    __m256i s[kRows][NT];
    for (auto& row : s)
      for (auto& a : row) a = _mm256_setzero_si256();
    for (int64_t e = e0; e < e1; e += 32) {
      const __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + e));
      const __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + kp + e));
      const __m256i c2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + 2 * kp + e));
      const __m256i c3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + 3 * kp + e));
      for (int t = 0; t < NT; ++t) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[t] + e));
        s[0][t] = _mm256_add_epi16(s[0][t], _mm256_maddubs_epi16(c0, a));
        s[1][t] = _mm256_add_epi16(s[1][t], _mm256_maddubs_epi16(c1, a));
        s[2][t] = _mm256_add_epi16(s[2][t], _mm256_maddubs_epi16(c2, a));
        s[3][t] = _mm256_add_epi16(s[3][t], _mm256_maddubs_epi16(c3, a));
      }
    }
    for (int i = 0; i < kRows; ++i)
      for (int t = 0; t < NT; ++t) acc[i][t] = _mm256_add_epi32(acc[i][t], _mm256_madd_epi16(s[i][t], ones));
  }
  for (int t = 0; t < NT; ++t)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[t]), hsum4(acc[0][t], acc[1][t], acc[2][t], acc[3][t]));
}

// y[t * ldy + r] = sum(q[t] * t[r]) for rows [r0, r1) and all tokens: each 4-row block is
// unpacked once per tile of tokens, then reused by all of them, two at a time.
inline void gemm(UnpackFn unpack, const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                 int64_t r0, int64_t r1) {
  const int64_t kp = acts.kp;
  thread_local std::vector<uint8_t> codes;  // 4 x kp; grows once per thread, then reused
  if (codes.size() < static_cast<size_t>(kRows * kp)) codes.resize(static_cast<size_t>(kRows * kp));
  for (int64_t t0 = 0; t0 < acts.n_tokens; t0 += kTokenTile) {
    const int64_t t1 = std::min(acts.n_tokens, t0 + kTokenTile);
    for (int64_t r = r0; r < r1; r += kRows) {
      unpack(w, r, r1, kp, codes.data());
      const int valid = static_cast<int>(std::min<int64_t>(kRows, r1 - r));
      for (int64_t t = t0; t < t1; t += 2) {
        int32_t out[2][kRows];
        const int nt = t + 1 < t1 ? 2 : 1;
        if (nt == 2) {
          micro_kernel<2>(codes.data(), kp, acts.q + t * kp, acts.q + (t + 1) * kp, out);
        } else {
          micro_kernel<1>(codes.data(), kp, acts.q + t * kp, nullptr, out);
        }
        for (int j = 0; j < nt; ++j) {
          const int32_t sum = acts.sums[static_cast<size_t>(t + j)];
          for (int i = 0; i < valid; ++i) y[(t + j) * ldy + r + i] = out[j][i] - sum;
        }
      }
    }
  }
}

}  // namespace tern::kernels::avx2_gemm
