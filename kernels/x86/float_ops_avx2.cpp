// AVX2 + FMA + F16C head GEMM (the tied F16/BF16 embedding as lm_head): float32
// accumulation with fused multiply-add. Four rows per pass share each activation load;
// every row's arithmetic (two accumulators over 16-element steps, one 8-element step,
// horizontal sum, scalar tail) is the same whether it runs in a 4-row pass or alone, so
// results do not depend on how rows are split across threads.
#include <immintrin.h>

#include <cstring>

#include "kernels/float_ops.h"
#include "kernels/float_ops_impls.h"

namespace tern::kernels {
namespace {

inline __m256 cvt_f16(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 cvt_bf16(const uint16_t* p) {
  const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}
inline float scalar_f16(uint16_t h) { return f16_to_f32(h); }
inline float scalar_bf16(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <int R, __m256 (*Cvt)(const uint16_t*), float (*Scalar)(uint16_t)>
inline void rows_dot(const uint16_t* w, int64_t k, const float* x, float* out) {
  __m256 a[R], b[R];
  for (int i = 0; i < R; ++i) a[i] = b[i] = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 16 <= k; c += 16) {
    const __m256 x0 = _mm256_loadu_ps(x + c), x1 = _mm256_loadu_ps(x + c + 8);
    for (int i = 0; i < R; ++i) {
      a[i] = _mm256_fmadd_ps(Cvt(w + i * k + c), x0, a[i]);
      b[i] = _mm256_fmadd_ps(Cvt(w + i * k + c + 8), x1, b[i]);
    }
  }
  if (c + 8 <= k) {
    const __m256 x0 = _mm256_loadu_ps(x + c);
    for (int i = 0; i < R; ++i) a[i] = _mm256_fmadd_ps(Cvt(w + i * k + c), x0, a[i]);
    c += 8;
  }
  for (int i = 0; i < R; ++i) {
    float s = hsum(_mm256_add_ps(a[i], b[i]));
    for (int64_t j = c; j < k; ++j) s += Scalar(w[i * k + j]) * x[j];
    out[i] = s;
  }
}

template <__m256 (*Cvt)(const uint16_t*), float (*Scalar)(uint16_t)>
void gemm_rows(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y, int64_t ldy, int64_t r0,
               int64_t r1) {
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    for (int64_t t = 0; t < n_tokens; ++t) {
      float out[4];
      rows_dot<4, Cvt, Scalar>(w + r * k, k, x + t * k, out);
      for (int i = 0; i < 4; ++i) y[t * ldy + r + i] = out[i];
    }
  }
  for (; r < r1; ++r) {
    for (int64_t t = 0; t < n_tokens; ++t) rows_dot<1, Cvt, Scalar>(w + r * k, k, x + t * k, &y[t * ldy + r]);
  }
}

}  // namespace

void gemm_f16_f32_rows_avx2(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y, int64_t ldy,
                            int64_t r0, int64_t r1) {
  gemm_rows<cvt_f16, scalar_f16>(w, k, x, n_tokens, y, ldy, r0, r1);
}

void gemm_bf16_f32_rows_avx2(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y, int64_t ldy,
                             int64_t r0, int64_t r1) {
  gemm_rows<cvt_bf16, scalar_bf16>(w, k, x, n_tokens, y, ldy, r0, r1);
}

}  // namespace tern::kernels
