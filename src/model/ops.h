// The float32 step of the forward pass that kernels/float_ops.h does not provide: SiLU
// (llama.cpp's "bitnet" FFN). Everything else (RMSNorm, RoPE, softmax, ReLU², residual, the
// F16 lm_head) comes from kernels/float_ops.h, attention from kernels/attention.h.
#pragma once

#include <cmath>
#include <cstdint>

namespace tern::model::ops {

// gate <- silu(gate) * up
inline void silu_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

}  // namespace tern::model::ops
