// The float32 steps of the forward pass, written exactly as the golden reference computes
// them (../shared/golden/README.md): a different association or a double-precision sum
// moves a near-tie int8 activation and shows up as a 0.1-0.4 logit jump.
// TODO(kernels): switch to kernels/float_ops.h once it provides these with the same
// formulas (RMSNorm with a float32 sum and 1.0f/sqrtf, rotate-half RoPE, softmax).
#pragma once

#include <cmath>
#include <cstdint>

namespace tern::model::ops {

// y = w * (x * (1 / sqrt(sum(x^2) / n + eps))), float32 sum, two IEEE roundings for 1/sqrt.
inline void rmsnorm(const float* x, const float* w, float* y, int64_t n, float eps) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += x[i + j] * x[i + j];
  for (; i < n; ++i) acc[0] += x[i] * x[i];
  const float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  const float mean = sum / static_cast<float>(n);
  const float r = 1.0f / std::sqrt(mean + eps);
  for (int64_t j = 0; j < n; ++j) y[j] = w[j] * (x[j] * r);
}

// Rotate-half RoPE on one head of d values: element j pairs with j + d/2.
//   x'[j]       = x[j] * cos[j] - x[j + d/2] * sin[j]
//   x'[j + d/2] = x[j + d/2] * cos[j] + x[j] * sin[j]
inline void rope_rotate_half(float* x, const float* cos, const float* sin, int64_t d) {
  const int64_t h = d / 2;
  for (int64_t j = 0; j < h; ++j) {
    const float a = x[j], b = x[j + h];
    x[j] = a * cos[j] + (-b) * sin[j];
    x[j + h] = b * cos[j] + a * sin[j];
  }
}

inline float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) acc[0] += a[i] * b[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// In-place softmax of x[0..n): exp(x - max) * (1 / sum).
inline void softmax(float* x, int64_t n) {
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

// gate <- relu(gate)^2 * up
inline void relu2_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i] > 0.0f ? gate[i] : 0.0f;
    gate[i] = (g * g) * up[i];
  }
}

// gate <- silu(gate) * up
inline void silu_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

inline void add_inplace(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace tern::model::ops
