// Internal: per-ISA variants of the float ops (kernels/float_ops.h) and of the F16/BF16 head
// GEMM, for backend.cpp and the tests.
#pragma once

#include <cstdint>

namespace tern::kernels {

// The float lanes of xsimd's baseline batch (SSE2 on x86-64, NEON on aarch64), which the
// scalar implementations emulate to give the same bits (float_ops.cpp checks it).
constexpr int64_t kFloatLanes = 4;

// Plain C++ (kernels/scalar/float_ops_scalar.cpp): the same operations in the same order as
// the xsimd rmsnorm, rope_neox, relu2_mul and add_inplace of float_ops.h, bit for bit.
void rmsnorm_scalar(const float* x, const float* w, int64_t n, float eps, float* y);
void rope_neox_scalar(float* x, int64_t n_heads, int64_t head_dim, const float* cos_row, const float* sin_row);
void relu2_mul_scalar(const float* gate, const float* up, float* out, int64_t n);
void add_inplace_scalar(float* y, const float* x, int64_t n);

// Head GEMM rows (float_ops.h contract). _scalar gives the bits of _generic (xsimd): the
// same kFloatLanes lane sums, multiply-adds and fold as the baseline ISA's.
void gemm_f16_f32_rows_scalar(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                              int64_t ldy, int64_t r0, int64_t r1);
void gemm_bf16_f32_rows_scalar(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                               int64_t ldy, int64_t r0, int64_t r1);
void gemm_f16_f32_rows_generic(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                               int64_t ldy, int64_t r0, int64_t r1);
void gemm_bf16_f32_rows_generic(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                                int64_t ldy, int64_t r0, int64_t r1);
#if defined(TERN_ARCH_X86)
// Need AVX2 + FMA + F16C. Fused multiply-adds in another order: within float rounding of
// the others, not bit-identical.
void gemm_f16_f32_rows_avx2(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                            int64_t ldy, int64_t r0, int64_t r1);
void gemm_bf16_f32_rows_avx2(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y,
                             int64_t ldy, int64_t r0, int64_t r1);
#endif

}  // namespace tern::kernels
