// AVX2 per-token int8 quantization, bit-identical to quantize_row_i8_scalar: the same
// float32 multiply x*s, round half to even (_MM_FROUND_TO_NEAREST_INT), clamp after
// rounding, NaN handling through the operand order of max/min.
#include <immintrin.h>

#include "kernels/kernel_impls.h"

namespace tern::kernels {

float quantize_row_i8_avx2(const float* x, int64_t n, int64_t padded_n, int8_t* q) {
  counters::quantize_avx2.bump();
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 vmax = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 a = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i));
    vmax = _mm256_max_ps(a, vmax);  // max_ps returns the 2nd operand if either is NaN
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vmax);
  float absmax = 0.0f;
  for (float v : lanes) absmax = v > absmax ? v : absmax;
  const float s = absmax_scale(absmax_from(x, i, n, absmax));

  const __m256 vs = _mm256_set1_ps(s);
  const __m256 lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i v[4];
    for (int j = 0; j < 4; ++j) {
      __m256 r = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * j), vs),
                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      r = _mm256_min_ps(_mm256_max_ps(r, lo), hi);  // NaN -> -128, like fmax(NaN, -128)
      v[j] = _mm256_cvtps_epi32(r);
    }
    // packs work per 128-bit lane; the final permute restores element order.
    const __m256i p16a = _mm256_packs_epi32(v[0], v[1]);
    const __m256i p16b = _mm256_packs_epi32(v[2], v[3]);
    const __m256i p8 = _mm256_packs_epi16(p16a, p16b);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), _mm256_permutevar8x32_epi32(p8, order));
  }
  quantize_range_i8(x, i, n, padded_n, s, q);
  return s;
}

}  // namespace tern::kernels
