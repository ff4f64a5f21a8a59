// Internal: the kernel objects each ISA file defines, for backend.cpp, dispatch.cpp and the
// tests. Only files compiled for an ISA define its objects; backend.cpp references them under
// the same TERN_ARCH_* macros, and checks Kernel::supported() before any call.
#pragma once

#include "kernels/impl_counter.h"
#include "kernels/ternary.h"

namespace tern::kernels {

// What this CPU runs, for Kernel::supported and the backend table. Defined in backend.cpp,
// the one place that reads runtime/cpu_features to choose.
bool cpu_runs_portable();      // always true
bool cpu_runs_avx2();          // AVX2 (the ternary AVX2 kernels, int8 quantization)
bool cpu_runs_avx2_f16c();     // AVX2 + F16C (attention)
bool cpu_runs_avx2_fma_f16c(); // AVX2 + FMA + F16C (the F16/BF16 and Q8_0 heads)
bool cpu_runs_avx512_vnni();   // AVX-512 F/BW/VL/VNNI with the OS saving ZMM state
bool cpu_runs_avx2_avxvnni();  // AVX2 + AVX-VNNI (VEX vpdpbusd) with the OS saving YMM state
bool cpu_runs_amx_int8();      // AMX-INT8 usable (cpu_features) and AVX-512 VNNI (its small-batch paths)
bool cpu_runs_neon();
bool cpu_runs_dotprod();
bool cpu_runs_dotprod_i8mm();  // NEON dotprod + i8mm (smmla)

extern const Kernel kScalarKernel;
#if defined(TERN_ARCH_X86)
extern const Kernel kAvx2MadKernel;
extern const Kernel kAvx2LutKernel;
extern const Kernel kAvx512VnniKernel;
extern const Kernel kAvxVnniKernel;
extern const Kernel kAmxInt8Kernel;
float quantize_row_i8_avx2(const float* x, int64_t n, int64_t padded_n, int8_t* q);
#endif

// The pieces of quantize_row_i8_scalar the SIMD quantizers reuse for their tails, so the
// scale formula and the rounding rule exist once (quantize_scalar.cpp; no counter bump).
float absmax_from(const float* x, int64_t begin, int64_t n, float absmax);  // max(absmax, |x[begin..n)|)
float absmax_scale(float absmax);                                           // PyTorch's 127/absmax
void quantize_range_i8(const float* x, int64_t begin, int64_t n, int64_t padded_n, float s, int8_t* q);
#if defined(TERN_ARCH_ARM)
extern const Kernel kNeonMadKernel;
extern const Kernel kNeonDotprodKernel;
extern const Kernel kNeonLutKernel;
extern const Kernel kNeonI8mmKernel;
#endif

// kernel_by_name with `origin` starting the error message (dispatch.cpp).
const Kernel& checked_kernel(const std::string& name, const std::string& origin);

// Fills acts.sums (per token: sum of its kp int8 values). Shared by the MAD kernels.
void compute_token_sums(PreparedActs& acts);

// How one TERN_T1 matrix meets its activations (kernels/ternary.h): full 160-element groups,
// slices of the last partial group, and the elements processed, min(kp, t1_padded_k(k)).
struct T1Span {
  int64_t full_groups;
  int tail_slices;
  int64_t covered;
};
inline T1Span t1_span_of(const TernaryMatrix& w, int64_t kp) {
  const int64_t covered = kp < t1_padded_k(w.k) ? kp : t1_padded_k(w.k);
  const int64_t slices = covered / 32;  // both multiples of 32
  return {slices / kT1TritsPerByte, static_cast<int>(slices % kT1TritsPerByte), covered};
}
// q summed over the activation elements no weight covers (zero weights whose q sums[] holds).
inline int32_t t1_uncovered_sum(const int8_t* q, int64_t covered, int64_t kp) {
  int32_t s = 0;
  for (int64_t e = covered; e < kp; ++e) s += q[e];
  return s;
}

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
// The avx512-vnni kernel's TERN_T1 GEMV (one token, rows [r0, r1), y indexed by row;
// kp = acts.kp; only after cpu_runs_avx512_vnni()). avx512_gemv.cpp.
void avx512_gemv_t1(const TernaryMatrix& w, const int8_t* q, int64_t kp, int32_t sum, int32_t* y, int64_t r0,
                    int64_t r1);
#endif
#if defined(TERN_ARCH_ARM)
void neon_matmul_t1(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                    int64_t row_begin, int64_t row_end);
#endif

}  // namespace tern::kernels
