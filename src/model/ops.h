// The few float32 steps of the forward pass that kernels/float_ops.h does not provide:
// the attention dot product and SiLU (llama.cpp's "bitnet" FFN). Everything else (RMSNorm,
// RoPE, softmax, ReLU², residual, the F16 lm_head) comes from kernels/float_ops.h.
#pragma once

#include <cmath>
#include <cstdint>

namespace tern::model::ops {

inline float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) acc[0] += a[i] * b[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// gate <- silu(gate) * up
inline void silu_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

}  // namespace tern::model::ops
