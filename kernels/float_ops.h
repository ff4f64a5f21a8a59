// Float32 operations of the forward pass, with the exact float32 semantics of the golden
// reference (../shared/golden/README.md). Each function computes every output row the
// same way however rows are split across threads, so results never depend on the thread
// count. The functions below that have SIMD (rmsnorm, rope_neox, relu2_mul, add_inplace)
// are the xsimd implementation (baseline ISA) of the backend's "float" entry; the scalar
// one (float_ops_impls.h) gives the same bits. The forward pass calls them through its
// Backend (backend.h), never directly.
#pragma once

#include <cstdint>

namespace tern::kernels {

// y[i] = w[i] * (x[i] * r),  r = 1.0f / sqrtf(sum(x^2) / n + eps)   (sum in float32; no rsqrt
// approximation). y may alias x.
void rmsnorm(const float* x, const float* w, int64_t n, float eps, float* y);

// HF default RoPE inverse frequencies: inv[j] = 1 / theta^((2j)/d), j < d/2 (a model's
// scaled frequencies are built on these in src/arch/rope.cpp).
void rope_inv_freq(int64_t head_dim, double theta, float* inv);

// RoPE tables in float32 from inv_freq[d/2]: angle = float(p) * inv_freq[j], cos/sin rows of
// width d = [cos a, cos a] / [sin a, sin a], for positions p in [0, n_pos). cos and sin are
// n_pos x head_dim.
void rope_tables(int64_t head_dim, const float* inv_freq, int64_t n_pos, float* cos, float* sin);

// rotate_half (NEOX) RoPE in place on n_heads consecutive heads of one position:
// x' = x * cos + rotate_half(x) * sin, rotate_half(x) = concat(-x[d/2:], x[:d/2]);
// two float32 products then one add (no fused multiply-add), as HF computes it.
void rope_neox(float* x, int64_t n_heads, int64_t head_dim, const float* cos_row, const float* sin_row);

// Adjacent-pair (llama.cpp NORM) RoPE: element 2j pairs with 2j+1 at angle j, the same
// products as rope_neox on a head whose rows were permuted (j -> 2j, j + d/2 -> 2j+1), which
// is how the converters lay out Q/K for the "llama" GGUF arch. Same tables as rope_neox.
void rope_adjacent(float* x, int64_t n_heads, int64_t head_dim, const float* cos_row, const float* sin_row);

// In place, float32: e_i = expf(x_i - max), x_i = e_i / sum(e). Plain C++ (exp is the cost),
// shared by every attention implementation.
void softmax(float* x, int64_t n);

// out[i] = relu(gate[i])^2 * up[i]  (BitNet's relu2 gated MLP). out may alias gate or up.
void relu2_mul(const float* gate, const float* up, float* out, int64_t n);

// gate[i] = silu(gate[i]) * up[i] = (g / (1 + exp(-g))) * up[i]  (llama.cpp's "bitnet" FFN).
// Plain C++ (exp is the cost), shared by every float implementation.
void silu_mul(float* gate, const float* up, int64_t n);

// y[i] += x[i] (residual).
void add_inplace(float* y, const float* x, int64_t n);

// IEEE half and bfloat16 <-> float32: the one implementation every module uses (hf
// checkpoints and converter, model loader and KV cache, kernels). Upcasts are exact;
// downcasts round to nearest, ties to even, overflowing to +-inf; a NaN stays a NaN with the
// quiet bit set and its top payload bits kept, as F16C's vcvtps2ph does (float_ops_test
// checks every value against it). Defined out of line in float_ops.cpp, a file without ISA
// flags: an inline copy instantiated in an AVX2 file could be the one the linker keeps.
void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n);
void f32_to_f16_row(const float* src, uint16_t* dst, int64_t n);
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);
void bf16_to_f32_row(const uint16_t* src, float* dst, int64_t n);

// The tied lm_head's contract (the backend's "head" entry, HeadKernels in backend.h):
// y[t * ldy + r] = sum_i float(w[r * k + i]) * x[t * k + i] for rows [row_begin, row_end) and
// n_tokens tokens, float32 accumulation, w F16 (or BF16) row-major rows x k. The
// implementations are in float_ops_impls.h.

}  // namespace tern::kernels
