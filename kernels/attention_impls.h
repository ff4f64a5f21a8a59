// Internal: the attention loops of each implementation (kernels/attention.h), for dispatch,
// tests and benchmarks.
#pragma once

#include <cstdint>

namespace tern::kernels {

// Reference (kernels/scalar/attention_scalar.cpp).
float attention_dot_scalar(const float* a, const float* b, int64_t n);
void attention_qk_scalar(const float* q, const float* k, int64_t ldk, int64_t n_keys, int64_t hd, float scale,
                         float* scores);
void attention_pv_scalar(const float* p, const float* v, int64_t ldv, int64_t n_keys, int64_t hd, float* out);
void attention_f16_rows_scalar(const uint16_t* src, int64_t ld_src, int64_t n_rows, int64_t hd, float* dst);

// xsimd at the baseline ISA (SSE2 on x86-64, NEON on aarch64): kernels/attention_xsimd.cpp.
void attention_qk_xsimd(const float* q, const float* k, int64_t ldk, int64_t n_keys, int64_t hd, float scale,
                        float* scores);
void attention_pv_xsimd(const float* p, const float* v, int64_t ldv, int64_t n_keys, int64_t hd, float* out);
#if defined(__aarch64__)
void attention_f16_rows_neon(const uint16_t* src, int64_t ld_src, int64_t n_rows, int64_t hd, float* dst);
#endif

#if defined(TERN_ARCH_X86)
// AVX2 (+ F16C for the conversion): kernels/x86/attention_avx2.cpp. Need avx2 and f16c.
void attention_qk_avx2(const float* q, const float* k, int64_t ldk, int64_t n_keys, int64_t hd, float scale,
                       float* scores);
void attention_pv_avx2(const float* p, const float* v, int64_t ldv, int64_t n_keys, int64_t hd, float* out);
void attention_f16_rows_f16c(const uint16_t* src, int64_t ld_src, int64_t n_rows, int64_t hd, float* dst);
#endif

}  // namespace tern::kernels
