// AVX2 Q8_0 lm_head (q8_head.h). One row at a time: one sequential stream from DRAM (see
// float_ops_avx2.cpp for why), the activations stay in L1. Per row and token: four 8-lane
// float accumulators (block b goes to accumulator b % 4, so four fused multiply-adds are in
// flight instead of one 4-cycle chain per block), ((a0 + a1) + (a2 + a3)), a horizontal
// sum; the same whatever rows or tokens run together.
//
//  F32:  the 32 int8 of a block become 4 x 8 floats (sign-extend, convert), a product chain
//        with x gives the block's 8 partial sums, scaled by d into the accumulator.
//  Int8: |w| (maddubs wants one unsigned operand) times x's int8 with w's sign, pairs added
//        in int16 (at most 2 * 128 * 127 = 32512: no saturation), then madd to int32,
//        converted (exact: |sum| <= 32 * 128 * 127) and scaled by d * dx.
#include <immintrin.h>

#include <cstring>

#include "kernels/impl_counter.h"
#include "kernels/q8_head.h"

namespace tern::kernels {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256 block_scale(const uint8_t* blk) {
  uint16_t dh;
  std::memcpy(&dh, blk, 2);
  return _mm256_set1_ps(_cvtsh_ss(dh));
}

inline __m256 i8x8_to_ps(const uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// Block b of the row into accumulator `acc` (F32 mode).
inline __m256 block_f32(const uint8_t* blk, const float* xb, __m256 acc) {
  __m256 s = _mm256_mul_ps(i8x8_to_ps(blk + 2), _mm256_loadu_ps(xb));
  s = _mm256_fmadd_ps(i8x8_to_ps(blk + 10), _mm256_loadu_ps(xb + 8), s);
  s = _mm256_fmadd_ps(i8x8_to_ps(blk + 18), _mm256_loadu_ps(xb + 16), s);
  s = _mm256_fmadd_ps(i8x8_to_ps(blk + 26), _mm256_loadu_ps(xb + 24), s);
  return _mm256_fmadd_ps(s, block_scale(blk), acc);
}

// Block b into `acc` (Int8 mode): xq = x's int8 of the block, dx its scale.
inline __m256 block_int8(const uint8_t* blk, const uint8_t* xq_p, float dx, __m256 acc) {
  const __m256i wq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
  const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq_p));
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(xq, wq));
  const __m256 s = _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
  return _mm256_fmadd_ps(s, _mm256_mul_ps(block_scale(blk), _mm256_set1_ps(dx)), acc);
}

// Blocks go round-robin to four accumulators (named, so they stay in registers).
template <class Block>
float dot_blocks(int64_t blocks, Block block) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t b = 0;
  for (; b + 4 <= blocks; b += 4) {
    a0 = block(b, a0);
    a1 = block(b + 1, a1);
    a2 = block(b + 2, a2);
    a3 = block(b + 3, a3);
  }
  if (b < blocks) a0 = block(b++, a0);
  if (b < blocks) a1 = block(b++, a1);
  if (b < blocks) a2 = block(b++, a2);
  return hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

float dot_f32(const uint8_t* row, int64_t blocks, const float* x) {
  return dot_blocks(blocks, [&](int64_t b, __m256 acc) {
    return block_f32(row + b * kQ8BlockBytes, x + b * kQ8Block, acc);
  });
}

float dot_int8(const uint8_t* row, int64_t blocks, const uint8_t* acts, int64_t k) {
  return dot_blocks(blocks, [&](int64_t b, __m256 acc) {
    float dx;
    std::memcpy(&dx, acts + k + b * 4, 4);
    return block_int8(row + b * kQ8BlockBytes, acts + b * kQ8Block, dx, acc);
  });
}

}  // namespace

void gemm_q8_0_rows_avx2(Q8Head mode, const uint8_t* w, int64_t k, const float* x, const uint8_t* acts,
                         int64_t n_tokens, float* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::q8head_avx2.bump();
  const int64_t blocks = k / kQ8Block, row_bytes = blocks * kQ8BlockBytes;
  const int64_t acts_bytes = q8_acts_bytes(k);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * row_bytes;
    for (int64_t t = 0; t < n_tokens; ++t) {
      y[t * ldy + r] = mode == Q8Head::F32 ? dot_f32(row, blocks, x + t * k)
                                           : dot_int8(row, blocks, acts + t * acts_bytes, k);
    }
  }
}

}  // namespace tern::kernels
