// The Q8_0 lm_head's plain C++ reference (q8_head.h): per block, the f16 scale times the
// block's dot in float32 (F32 mode) or its exact int32 dot with the quantized activations
// (Int8 mode), blocks accumulated in order.
#include <cstring>

#include "kernels/float_ops.h"
#include "kernels/impl_counter.h"
#include "kernels/q8_head.h"

namespace tern::kernels {

void gemm_q8_0_rows_scalar(Q8Head mode, const uint8_t* w, int64_t k, const float* x, const uint8_t* acts,
                           int64_t n_tokens, float* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::q8head_scalar.bump();
  const int64_t blocks = k / kQ8Block, row_bytes = blocks * kQ8BlockBytes;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * row_bytes;
    for (int64_t t = 0; t < n_tokens; ++t) {
      float acc = 0.0f;
      for (int64_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = row + b * kQ8BlockBytes;
        uint16_t dh;
        std::memcpy(&dh, blk, 2);
        const float d = f16_to_f32(dh);
        const int8_t* q = reinterpret_cast<const int8_t*>(blk + 2);
        if (mode == Q8Head::F32) {
          const float* xb = x + t * k + b * kQ8Block;
          float s = 0.0f;
          for (int64_t i = 0; i < kQ8Block; ++i) s += static_cast<float>(q[i]) * xb[i];
          acc += d * s;
        } else {
          const uint8_t* at = acts + t * q8_acts_bytes(k);
          const int8_t* qx = reinterpret_cast<const int8_t*>(at) + b * kQ8Block;
          float dx;
          std::memcpy(&dx, at + k + b * 4, 4);
          int32_t s = 0;
          for (int64_t i = 0; i < kQ8Block; ++i) s += int32_t{q[i]} * int32_t{qx[i]};
          acc += (d * dx) * static_cast<float>(s);
        }
      }
      y[t * ldy + r] = acc;
    }
  }
}

}  // namespace tern::kernels
