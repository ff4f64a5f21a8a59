// Per-token int8 absmax quantization: the scalar specification (the quantize entry's scalar
// implementation; backend.cpp chooses between it and quantize_row_i8_avx2).
#include <cmath>
#include <cstring>

#include "kernels/kernel_impls.h"

namespace tern::kernels {

float absmax_from(const float* x, int64_t begin, int64_t n, float absmax) {
  for (int64_t i = begin; i < n; ++i) {
    const float a = std::fabs(x[i]);
    if (a > absmax) absmax = a;  // NaN never wins (same as the SIMD max operand order)
  }
  return absmax;
}

float absmax_scale(float absmax) {
  // PyTorch evaluates HF's `127 / absmax` (python scalar / tensor) as
  // absmax.reciprocal() * 127: two float32 roundings, which tern follows bit for bit.
  return 127.0f * (1.0f / std::fmax(absmax, 1e-5f));
}

void quantize_range_i8(const float* x, int64_t begin, int64_t n, int64_t padded_n, float s, int8_t* q) {
  for (int64_t i = begin; i < n; ++i) {
    // nearbyint = round half to even in the default rounding mode (torch.round); the
    // clamp comes after rounding and also sends NaN to -128 (fmax returns the non-NaN).
    float v = std::nearbyint(x[i] * s);
    v = std::fmin(std::fmax(v, -128.0f), 127.0f);
    q[i] = static_cast<int8_t>(static_cast<int>(v));
  }
  if (padded_n > n) std::memset(q + n, 0, static_cast<size_t>(padded_n - n));
}

float quantize_row_i8_scalar(const float* x, int64_t n, int64_t padded_n, int8_t* q) {
  counters::quantize_scalar.bump();
  const float s = absmax_scale(absmax_from(x, 0, n, 0.0f));
  quantize_range_i8(x, 0, n, padded_n, s, q);
  return s;
}

}  // namespace tern::kernels
