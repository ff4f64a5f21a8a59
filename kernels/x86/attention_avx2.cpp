// AVX2 attention loops (kernels/attention.h), compiled with the AVX2 flags and only called
// after a CPU check. Same operations in the same order as kernels/scalar/attention_scalar.cpp:
// the eight dot-product lanes are the eight floats of a __m256, products and sums are
// separate instructions (no FMA), and the lane sums pair up exactly like the scalar tree.
#include <immintrin.h>

#include "kernels/attention_impls.h"

namespace tern::kernels {
namespace {

// Scores of eight dot products, lane k = sum of a[k]'s lanes as ((0+1)+(2+3))+((4+5)+(6+7)).
// _mm256_hadd_ps works within 128-bit halves: [x0+x1, x2+x3, y0+y1, y2+y3 | x4+x5, ...].
inline __m256 reduce8(const __m256 a[8]) {
  const __m256 h01 = _mm256_hadd_ps(a[0], a[1]);  // a0:01 23 a1:01 23 | a0:45 67 a1:45 67
  const __m256 h23 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 h45 = _mm256_hadd_ps(a[4], a[5]);
  const __m256 h67 = _mm256_hadd_ps(a[6], a[7]);
  const __m256 h0123 = _mm256_hadd_ps(h01, h23);  // a0..a3:(01+23) | a0..a3:(45+67)
  const __m256 h4567 = _mm256_hadd_ps(h45, h67);
  const __m256 lo = _mm256_permute2f128_ps(h0123, h4567, 0x20);  // a0..a7:(01+23)
  const __m256 hi = _mm256_permute2f128_ps(h0123, h4567, 0x31);  // a0..a7:(45+67)
  return _mm256_add_ps(lo, hi);
}

inline float reduce1(__m256 a) {
  const __m256 h = _mm256_hadd_ps(a, a);   // 01 23 01 23 | 45 67 45 67
  const __m256 h2 = _mm256_hadd_ps(h, h);  // (01+23) x4 | (45+67) x4
  return _mm_cvtss_f32(_mm_add_ss(_mm256_castps256_ps128(h2), _mm256_extractf128_ps(h2, 1)));
}

inline __m256 madd(__m256 acc, __m256 a, __m256 b) { return _mm256_add_ps(acc, _mm256_mul_ps(a, b)); }

}  // namespace

void attention_qk_avx2(const float* q, const float* k, int64_t ldk, int64_t n_keys, int64_t hd, float scale,
                       float* scores) {
  if (hd % 8 != 0) return attention_qk_scalar(q, k, ldk, n_keys, hd, scale, scores);  // tail goes to lane 0
  const __m256 vscale = _mm256_set1_ps(scale);
  int64_t j = 0;
  for (; j + 8 <= n_keys; j += 8) {
    const float* kj = k + j * ldk;
    __m256 acc[8];
    for (int u = 0; u < 8; ++u) acc[u] = _mm256_setzero_ps();
    for (int64_t i = 0; i < hd; i += 8) {
      const __m256 qv = _mm256_loadu_ps(q + i);
      for (int u = 0; u < 8; ++u) acc[u] = madd(acc[u], qv, _mm256_loadu_ps(kj + u * ldk + i));
    }
    _mm256_storeu_ps(scores + j, _mm256_mul_ps(reduce8(acc), vscale));
  }
  for (; j < n_keys; ++j) {
    const float* kj = k + j * ldk;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < hd; i += 8) acc = madd(acc, _mm256_loadu_ps(q + i), _mm256_loadu_ps(kj + i));
    scores[j] = reduce1(acc) * scale;
  }
}

void attention_pv_avx2(const float* p, const float* v, int64_t ldv, int64_t n_keys, int64_t hd, float* out) {
  int64_t c = 0;
  for (; c + 64 <= hd; c += 64) {  // 64 outputs in eight registers for the whole key run
    __m256 acc[8];
    for (int u = 0; u < 8; ++u) acc[u] = _mm256_loadu_ps(out + c + 8 * u);
    for (int64_t j = 0; j < n_keys; ++j) {
      const __m256 pj = _mm256_set1_ps(p[j]);
      const float* vj = v + j * ldv + c;
      for (int u = 0; u < 8; ++u) acc[u] = madd(acc[u], pj, _mm256_loadu_ps(vj + 8 * u));
    }
    for (int u = 0; u < 8; ++u) _mm256_storeu_ps(out + c + 8 * u, acc[u]);
  }
  for (; c + 8 <= hd; c += 8) {
    __m256 acc = _mm256_loadu_ps(out + c);
    for (int64_t j = 0; j < n_keys; ++j) acc = madd(acc, _mm256_set1_ps(p[j]), _mm256_loadu_ps(v + j * ldv + c));
    _mm256_storeu_ps(out + c, acc);
  }
  if (c < hd) {
    for (int64_t j = 0; j < n_keys; ++j)
      for (int64_t i = c; i < hd; ++i) out[i] += p[j] * v[j * ldv + i];
  }
}

void attention_f16_rows_f16c(const uint16_t* src, int64_t ld_src, int64_t n_rows, int64_t hd, float* dst) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const uint16_t* s = src + r * ld_src;
    float* d = dst + r * hd;
    int64_t i = 0;
    for (; i + 8 <= hd; i += 8)
      _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
    if (i < hd) attention_f16_rows_scalar(s + i, 0, 1, hd - i, d + i);
  }
}

}  // namespace tern::kernels
