// ggml's block quantization layouts that tern reads as float (quantized embeddings and
// lighter lm_heads): one decoder per layout, used by the converter (src/hf/quantize_embd)
// and the model's dense rows (src/model/dense). The f16 block scales are little-endian.
//   Q8_0: 32 weights in 34 bytes  {f16 d; int8 q[32]}                  x = d * q
//   Q4_0: 32 weights in 18 bytes  {f16 d; u8 qs[16]} low nibbles 0..15,
//                                  high nibbles 16..31                   x = d * (q - 8)
//   Q6_K: 256 weights in 210 bytes {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}
//                                  (ggml block_q6_K)                     x = d * scale * (q - 32)
//   Q4_K: 256 weights in 144 bytes {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}
//                                  (ggml block_q4_K) 8 sub-blocks of 32 with 6-bit scale sc_j
//                                  and min m_j packed in scales[12] (get_scale_min_k4 below);
//                                  sub-blocks 2i and 2i+1 are the low / high nibbles of
//                                  qs[32i..32i+32)                       x = (d*sc_j) * q - (dmin*m_j)
//   IQ4_NL: 32 weights in 18 bytes {f16 d; u8 qs[16]} low nibbles 0..15, high nibbles 16..31,
//                                  each an index into kIq4nlValues       x = d * kIq4nlValues[q]
// Sources: llama.cpp ggml/src/ggml-common.h (block structs, kvalues_iq4nl) and
// ggml/src/ggml-quants.c (dequantize_row_*); ik_llama.cpp's IQ4_NL and Q6_K are the same.
// The float operations and their order are ggml's, so the values are bit-identical to its
// dequantize_row_* (tern builds with -ffp-contract=off, so no product is fused into an FMA).
#pragma once

#include <cstdint>

namespace tern::kernels {

constexpr int64_t kQ8_0BlockElems = 32, kQ8_0BlockBytes = 34;
constexpr int64_t kQ4_0BlockElems = 32, kQ4_0BlockBytes = 18;
constexpr int64_t kQ6_KBlockElems = 256, kQ6_KBlockBytes = 210;
constexpr int64_t kQ4_KBlockElems = 256, kQ4_KBlockBytes = 144;
constexpr int64_t kIQ4_NLBlockElems = 32, kIQ4_NLBlockBytes = 18;

// IQ4_NL's 16 levels (ggml's kvalues_iq4nl).
inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

// out[0..n) = the n weights in `blocks` (n a multiple of the layout's block size).
void dequantize_q8_0(const uint8_t* blocks, int64_t n, float* out);
void dequantize_q4_0(const uint8_t* blocks, int64_t n, float* out);
void dequantize_q6_k(const uint8_t* blocks, int64_t n, float* out);
void dequantize_q4_k(const uint8_t* blocks, int64_t n, float* out);
void dequantize_iq4_nl(const uint8_t* blocks, int64_t n, float* out);

}  // namespace tern::kernels
