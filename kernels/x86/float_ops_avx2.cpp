// AVX2 + FMA + F16C head GEMM (the tied F16/BF16 embedding as lm_head): float32
// accumulation with fused multiply-add.
//
// Decode reads the whole head from DRAM once per token, so the access pattern decides the
// speed. One row at a time is ONE sequential stream, which the hardware prefetcher follows
// at the read bandwidth of a plain loop; 4 rows per pass (4 interleaved streams) were
// clearly slower, with or without software prefetch of the next block (figures:
// bench/README.md, "lm_head: the F16 head at read bandwidth"). The activations (10 KB at K = 2560) stay in
// L1 across rows. Several tokens (prefill with all logits, batched sessions) share each
// converted weight vector, two tokens per pass.
//
// Every (row, token) dot has one fixed arithmetic: four accumulators over 32-element steps
// (element c goes to accumulator (c / 8) % 4), then one 16-element step into accumulators
// 0 and 1, one 8-element step into accumulator 0, ((a0 + a1) + (a2 + a3)), a horizontal
// sum, then the scalar tail in order. It does not depend on which rows or tokens run
// together, so neither the thread count nor the batch changes a result.
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/float_ops.h"
#include "kernels/float_ops_impls.h"
#include "kernels/impl_counter.h"

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

// One row `w` against NT tokens x[t * k ..], out[t] = the dot of token t.
template <int NT, __m256 (*Cvt)(const uint16_t*), float (*Scalar)(uint16_t)>
inline void row_dot(const uint16_t* w, int64_t k, const float* x, float* out) {
  __m256 acc[NT][4];
  for (auto& a : acc)
    for (auto& v : a) v = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 32 <= k; c += 32) {
    const __m256 w0 = Cvt(w + c), w1 = Cvt(w + c + 8), w2 = Cvt(w + c + 16), w3 = Cvt(w + c + 24);
    for (int t = 0; t < NT; ++t) {
      const float* xt = x + t * k + c;
      acc[t][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xt), acc[t][0]);
      acc[t][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xt + 8), acc[t][1]);
      acc[t][2] = _mm256_fmadd_ps(w2, _mm256_loadu_ps(xt + 16), acc[t][2]);
      acc[t][3] = _mm256_fmadd_ps(w3, _mm256_loadu_ps(xt + 24), acc[t][3]);
    }
  }
  if (c + 16 <= k) {
    const __m256 w0 = Cvt(w + c), w1 = Cvt(w + c + 8);
    for (int t = 0; t < NT; ++t) {
      acc[t][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + t * k + c), acc[t][0]);
      acc[t][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + t * k + c + 8), acc[t][1]);
    }
    c += 16;
  }
  if (c + 8 <= k) {
    const __m256 w0 = Cvt(w + c);
    for (int t = 0; t < NT; ++t) acc[t][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + t * k + c), acc[t][0]);
    c += 8;
  }
  for (int t = 0; t < NT; ++t) {
    float s = hsum(_mm256_add_ps(_mm256_add_ps(acc[t][0], acc[t][1]), _mm256_add_ps(acc[t][2], acc[t][3])));
    for (int64_t j = c; j < k; ++j) s += Scalar(w[j]) * x[t * k + j];
    out[t] = s;
  }
}

// x as the row loop should read it: 32-byte aligned. x is re-read for every weight row
// (once per vocabulary entry per token), and from an address 16 bytes past a 32-byte
// boundary every other 32-byte load straddles two cache lines. That alone made the head
// read measurably slower in the model than in isolation (bench/README.md, "Read-bandwidth
// probe"): a large std::vector's data sits 16 bytes into its mmapped chunk,
// so the session's scratch rows always do. A misaligned x is copied once per call into a
// per-thread aligned buffer (it grows to the largest call, then is reused); the values
// and the arithmetic are unchanged.
const float* aligned_x(const float* x, int64_t n_floats) {
  if (reinterpret_cast<uintptr_t>(x) % 32 == 0) return x;
  thread_local std::vector<float> buffer;
  const auto need = static_cast<size_t>(n_floats) + 16;
  if (buffer.size() < need) buffer.resize(need);
  const uintptr_t base = reinterpret_cast<uintptr_t>(buffer.data());
  float* out = buffer.data() + (64 - base % 64) % 64 / sizeof(float);
  std::memcpy(out, x, static_cast<size_t>(n_floats) * sizeof(float));
  return out;
}

template <__m256 (*Cvt)(const uint16_t*), float (*Scalar)(uint16_t)>
void gemm_rows(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y, int64_t ldy, int64_t r0,
               int64_t r1) {
  if (r0 >= r1 || n_tokens <= 0) return;
  x = aligned_x(x, n_tokens * k);
  for (int64_t r = r0; r < r1; ++r) {
    const uint16_t* row = w + r * k;
    int64_t t = 0;
    for (; t + 2 <= n_tokens; t += 2) {
      float out[2];
      row_dot<2, Cvt, Scalar>(row, k, x + t * k, out);
      y[t * ldy + r] = out[0];
      y[(t + 1) * ldy + r] = out[1];
    }
    if (t < n_tokens) row_dot<1, Cvt, Scalar>(row, k, x + t * k, &y[t * ldy + r]);
  }
}

}  // namespace

void gemm_f16_f32_rows_avx2(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y, int64_t ldy,
                            int64_t r0, int64_t r1) {
  counters::head_avx2_f16c.bump();
  gemm_rows<cvt_f16, scalar_f16>(w, k, x, n_tokens, y, ldy, r0, r1);
}

void gemm_bf16_f32_rows_avx2(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y, int64_t ldy,
                             int64_t r0, int64_t r1) {
  counters::head_avx2_f16c.bump();
  gemm_rows<cvt_bf16, scalar_bf16>(w, k, x, n_tokens, y, ldy, r0, r1);
}

}  // namespace tern::kernels
