// Internal: the kernel objects each ISA file defines, for dispatch.cpp and the tests.
// Only files compiled for an ISA define its objects; dispatch.cpp references them under
// the same TERN_ARCH_* macros, and checks Kernel::supported() before any call.
#pragma once

#include "kernels/ternary.h"

namespace tern::kernels {

extern const Kernel kScalarKernel;
#if defined(TERN_ARCH_X86)
extern const Kernel kAvx2MadKernel;
extern const Kernel kAvx2LutKernel;
extern const Kernel kAvx512VnniKernel;
float quantize_row_i8_avx2(const float* x, int64_t n, int64_t padded_n, int8_t* q);
#endif
#if defined(TERN_ARCH_ARM)
extern const Kernel kNeonMadKernel;
extern const Kernel kNeonDotprodKernel;
extern const Kernel kNeonLutKernel;
#endif

// Fills acts.sums (per token: sum of its kp int8 values). Shared by the MAD kernels.
void compute_token_sums(PreparedActs& acts);

// TERN_T1 matmuls (Kernel::matmul_t1). They read only acts.q and acts.sums, which every
// kernel's prepare() fills, so any of them can serve activations prepared by any kernel.
void scalar_matmul_t1(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                      int64_t row_begin, int64_t row_end);
#if defined(TERN_ARCH_X86)
void avx2_matmul_t1(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                    int64_t row_begin, int64_t row_end);
// The GEMMs' unpack step: rows [r, r + 4) of w (T2 / T1) as codes c = t+1, one byte per
// element, codes[i * kp + e]; rows at or past `rows` become code 0 (contributes nothing),
// T1 elements past the weights code 1 (weight 0, cancelled by sums[]). kp = acts.kp.
void avx2_unpack_t2_rows(const TernaryMatrix& w, int64_t r, int64_t rows, int64_t kp, uint8_t* codes);
void avx2_unpack_t1_rows(const TernaryMatrix& w, int64_t r, int64_t rows, int64_t kp, uint8_t* codes);
#endif
#if defined(TERN_ARCH_ARM)
void neon_matmul_t1(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                    int64_t row_begin, int64_t row_end);
#endif

}  // namespace tern::kernels
