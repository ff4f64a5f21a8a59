// The opt-in lighter lm_head in ggml's Q8_0 layout: per row, blocks of {f16 d; int8 q[32]}
// standing for d * q (345 MB instead of 656 MB on the 2B4T shape, so decode reads 0.86 GB
// per token instead of 1.18). Two ways to apply it to float activations x:
//
//  - "exact" (Q8Head::F32): y = sum_b d_b * sum_i q_bi * x_bi in float32, the dequantized
//    matrix times x; its only error is the weights' own quantization.
//  - "int8" (Q8Head::Int8): x is also quantized per 32-element block (dx = absmax / 127,
//    round to nearest even), the block dots are exact int32 and y = sum_b (d_b * dx_b) *
//    isum_b. Cheaper per block (maddubs instead of converting 32 int8 to float), at the
//    price of x's rounding: |error| <= sum_i |w_i| * dx_b(i) / 2 on top of the weights'.
//
// Each row's arithmetic is fixed (it does not depend on which rows or tokens run
// together), so results do not depend on the thread count or on the batch.
#pragma once

#include <cstdint>

namespace tern::kernels {

enum class Q8Head { F32, Int8 };

constexpr int64_t kQ8Block = 32;
constexpr int64_t kQ8BlockBytes = 34;

// Bytes of one quantized activation row of k elements (int8 q[k] then float dx[k / 32]).
int64_t q8_acts_bytes(int64_t k);
// Quantizes n_tokens rows of k floats (k a multiple of 32) into `out` (n_tokens *
// q8_acts_bytes(k) bytes).
void quantize_q8_acts(const float* x, int64_t k, int64_t n_tokens, uint8_t* out);

// y[t * ldy + r] for rows [r0, r1), tokens [0, n_tokens); w is rows x (k / 32) blocks, k a
// multiple of 32. `acts` is x prepared by quantize_q8_acts (Int8 only; ignored by F32).
// The best implementation this CPU runs (best_backend(), backend.h): tests and tools. The
// model runs its Backend's q8head entry.
void gemm_q8_0_rows(Q8Head mode, const uint8_t* w, int64_t k, const float* x, const uint8_t* acts,
                    int64_t n_tokens, float* y, int64_t ldy, int64_t r0, int64_t r1);

// The implementations (the q8head entry): the portable reference, and AVX2.
void gemm_q8_0_rows_scalar(Q8Head mode, const uint8_t* w, int64_t k, const float* x, const uint8_t* acts,
                           int64_t n_tokens, float* y, int64_t ldy, int64_t r0, int64_t r1);
#if defined(TERN_ARCH_X86)
// Needs AVX2 + FMA + F16C.
void gemm_q8_0_rows_avx2(Q8Head mode, const uint8_t* w, int64_t k, const float* x, const uint8_t* acts,
                         int64_t n_tokens, float* y, int64_t ldy, int64_t r0, int64_t r1);
#endif

}  // namespace tern::kernels
