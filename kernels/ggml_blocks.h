// ggml's block quantization layouts that tern reads as float (quantized embeddings and
// lighter lm_heads): one decoder per layout, used by the converter (src/hf/quantize_embd)
// and the model's dense rows (src/model/dense). The f16 block scales are little-endian.
//   Q8_0: 32 weights in 34 bytes  {f16 d; int8 q[32]}                  x = d * q
//   Q4_0: 32 weights in 18 bytes  {f16 d; u8 qs[16]} low nibbles 0..15,
//                                  high nibbles 16..31                   x = d * (q - 8)
//   Q6_K: 256 weights in 210 bytes {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}
//                                  (ggml block_q6_K)                     x = d * scale * (q - 32)
#pragma once

#include <cstdint>

namespace tern::kernels {

constexpr int64_t kQ8_0BlockElems = 32, kQ8_0BlockBytes = 34;
constexpr int64_t kQ4_0BlockElems = 32, kQ4_0BlockBytes = 18;
constexpr int64_t kQ6_KBlockElems = 256, kQ6_KBlockBytes = 210;

// out[0..n) = the n weights in `blocks` (n a multiple of the layout's block size).
void dequantize_q8_0(const uint8_t* blocks, int64_t n, float* out);
void dequantize_q4_0(const uint8_t* blocks, int64_t n, float* out);
void dequantize_q6_k(const uint8_t* blocks, int64_t n, float* out);

}  // namespace tern::kernels
