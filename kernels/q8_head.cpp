// Q8_0 lm_head (q8_head.h): activation quantization (shared by every path, so the int8
// path's inputs are the same bytes on every ISA). The implementations of the q8head entry:
// scalar/q8_head_scalar.cpp and x86/q8_head_avx2.cpp.
#include "kernels/q8_head.h"

#include <cmath>
#include <cstring>

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

}  // namespace tern::kernels
