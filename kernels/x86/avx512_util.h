// Small AVX-512 helpers shared by the AVX-512 VNNI GEMM (avx512_vnni.cpp) and GEMV
// (avx512_gemv.cpp). Every function carries the AVX-512 target attribute: the files are
// compiled with the AVX2 flags only and run this code after cpu_runs_avx512_vnni().
#pragma once

#include <immintrin.h>

#define TERN_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

namespace tern::kernels::avx512 {

// The 16 int32 lanes of v added pairwise into 8. (Masked extracts: GCC 12's plain
// _mm512_extracti64x4_epi64 and _mm512_castsi512_si256 trip -Wuninitialized on their
// internal undefined vector.)
TERN_AVX512 inline __m256i fold(__m512i v) {
  const __m256i lo = _mm512_mask_extracti64x4_epi64(_mm256_setzero_si256(), 0xFF, v, 0);
  const __m256i hi = _mm512_mask_extracti64x4_epi64(_mm256_setzero_si256(), 0xFF, v, 1);
  return _mm256_add_epi32(lo, hi);
}

// Sum of the 16 int32 lanes of each of 4 vectors -> {sum a, sum b, sum c, sum d}.
TERN_AVX512 inline __m128i hsum4(__m512i a, __m512i b, __m512i c, __m512i d) {
  const __m256i ab = _mm256_hadd_epi32(fold(a), fold(b)), cd = _mm256_hadd_epi32(fold(c), fold(d));
  const __m256i abcd = _mm256_hadd_epi32(ab, cd);
  return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

}  // namespace tern::kernels::avx512
