// Internal: per-ISA variants of the float ops (kernels/float_ops.h), for dispatch and tests.
#pragma once

#include <cstdint>

namespace tern::kernels {

// Whether this CPU runs the x86 float kernels (the F16/BF16 head GEMM, the Q8_0 head):
// AVX2 + FMA + F16C, checked once. Always false off x86.
bool use_avx2_float_kernels();

// Portable (xsimd baseline) row-range head GEMMs.
void gemm_f16_f32_rows_generic(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                               int64_t ldy, int64_t r0, int64_t r1);
void gemm_bf16_f32_rows_generic(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                                int64_t ldy, int64_t r0, int64_t r1);
#if defined(TERN_ARCH_X86)
// Need AVX2 + FMA + F16C.
void gemm_f16_f32_rows_avx2(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                            int64_t ldy, int64_t r0, int64_t r1);
void gemm_bf16_f32_rows_avx2(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                             int64_t ldy, int64_t r0, int64_t r1);
#endif

}  // namespace tern::kernels
