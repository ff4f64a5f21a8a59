// Q8_0 lm_head (q8_head.h): activation quantization (shared by every path, so the int8
// path's inputs are the same bytes on every ISA), the scalar reference and the dispatch.
#include "kernels/q8_head.h"

#include <cmath>
#include <cstring>

#include "kernels/float_ops.h"
#include "kernels/float_ops_impls.h"

namespace tern::kernels {

int64_t q8_acts_bytes(int64_t k) { return k + k / kQ8Block * 4; }

// Round to nearest even for |v| < 2^22 by adding and subtracting 1.5 * 2^23 (exact float
// steps under the default rounding mode; no libm call, vectorizable, the same on every ISA).
inline float round_even(float v) {
  constexpr float kMagic = 12582912.0f;
  return (v + kMagic) - kMagic;
}

void quantize_q8_acts(const float* x, int64_t k, int64_t n_tokens, uint8_t* out) {
  const int64_t blocks = k / kQ8Block;
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* xt = x + t * k;
    uint8_t* o = out + t * q8_acts_bytes(k);
    int8_t* q = reinterpret_cast<int8_t*>(o);
    for (int64_t b = 0; b < blocks; ++b) {
      const float* xb = xt + b * kQ8Block;
      float amax = 0.0f;
      for (int64_t i = 0; i < kQ8Block; ++i) {
        const float a = std::fabs(xb[i]);
        amax = a > amax ? a : amax;
      }
      const float d = amax / 127.0f;
      const float id = d > 0.0f ? 1.0f / d : 0.0f;  // also 0 for NaN input: q = 0
      for (int64_t i = 0; i < kQ8Block; ++i) {
        // |x * id| <= 127 up to one rounding; clamp so a rounding up never wraps.
        float v = round_even(xb[i] * id);
        v = v > 127.0f ? 127.0f : v;
        v = v < -127.0f ? -127.0f : v;
        q[b * kQ8Block + i] = static_cast<int8_t>(v);
      }
      std::memcpy(o + k + b * 4, &d, 4);
    }
  }
}

void gemm_q8_0_rows_scalar(Q8Head mode, const uint8_t* w, int64_t k, const float* x, const uint8_t* acts,
                           int64_t n_tokens, float* y, int64_t ldy, int64_t r0, int64_t r1) {
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

const char* q8_head_impl() { return use_avx2_float_kernels() ? "avx2" : "scalar"; }

void gemm_q8_0_rows(Q8Head mode, const uint8_t* w, int64_t k, const float* x, const uint8_t* acts,
                    int64_t n_tokens, float* y, int64_t ldy, int64_t r0, int64_t r1) {
#if defined(TERN_ARCH_X86)
  if (use_avx2_float_kernels()) return gemm_q8_0_rows_avx2(mode, w, k, x, acts, n_tokens, y, ldy, r0, r1);
#endif
  gemm_q8_0_rows_scalar(mode, w, k, x, acts, n_tokens, y, ldy, r0, r1);
}

}  // namespace tern::kernels
