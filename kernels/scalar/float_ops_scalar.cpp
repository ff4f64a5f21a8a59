// The float ops in plain C++: the "scalar" implementation of the backend's float and head
// entries, with the operations and their order of the xsimd ones (float_ops.cpp) so the
// results are the same bits: where xsimd keeps kFloatLanes partial sums, so does this, and
// folds them in the same order. Also the plain functions every
// implementation shares (rope_adjacent, softmax, silu_mul).
#include <cmath>
#include <cstring>

#include "kernels/float_ops.h"
#include "kernels/float_ops_impls.h"
#include "kernels/impl_counter.h"

namespace tern::kernels {
namespace {

static_assert(kFloatLanes == 4, "fold_lanes below is written for four lanes");
float fold_lanes(const float l[kFloatLanes]) { return (l[0] + l[2]) + (l[1] + l[3]); }

}  // namespace

void rmsnorm_scalar(const float* x, const float* w, int64_t n, float eps, float* y) {
  counters::float_scalar.bump();
  float acc[kFloatLanes] = {0.0f, 0.0f, 0.0f, 0.0f};
  int64_t i = 0;
  for (; i + kFloatLanes <= n; i += kFloatLanes)
    for (int64_t l = 0; l < kFloatLanes; ++l) acc[l] = acc[l] + x[i + l] * x[i + l];
  float sum = fold_lanes(acc);
  for (; i < n; ++i) sum += x[i] * x[i];
  const float r = 1.0f / std::sqrt(sum / static_cast<float>(n) + eps);
  for (i = 0; i < n; ++i) y[i] = w[i] * (x[i] * r);
}

void rope_neox_scalar(float* x, int64_t n_heads, int64_t head_dim, const float* cos_row, const float* sin_row) {
  counters::float_scalar.bump();
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t j = 0; j < half; ++j) {  // rotate_half: element j pairs with -x[j + d/2]
      const float a = v[j], b = v[j + half];
      const float pa = a * cos_row[j], qa = b * sin_row[j];
      const float pb = b * cos_row[j + half], qb = a * sin_row[j + half];
      v[j] = pa - qa;
      v[j + half] = pb + qb;
    }
  }
}

void rope_adjacent(float* x, int64_t n_heads, int64_t head_dim, const float* cos_row, const float* sin_row) {
  counters::float_scalar.bump();
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t j = 0; j < half; ++j) {  // scalar everywhere: RoPE is a few hundred flops per row
      const float a = v[2 * j], b = v[2 * j + 1];
      const float pa = a * cos_row[j], qa = b * sin_row[j];
      const float pb = b * cos_row[j + half], qb = a * sin_row[j + half];
      v[2 * j] = pa - qa;
      v[2 * j + 1] = pb + qb;
    }
  }
}

void relu2_mul_scalar(const float* gate, const float* up, float* out, int64_t n) {
  counters::float_scalar.bump();
  for (int64_t i = 0; i < n; ++i) {
    const float r = gate[i] > 0.0f ? gate[i] : 0.0f;  // also 0 for NaN, as SSE2's maxps(g, 0)
    out[i] = (r * r) * up[i];
  }
}

void silu_mul(float* gate, const float* up, int64_t n) {
  counters::float_scalar.bump();
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

void add_inplace_scalar(float* y, const float* x, int64_t n) {
  counters::float_scalar.bump();
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void softmax(float* x, int64_t n) {
  if (n <= 0) return;
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    // exp in double, rounded: the same float on every ISA (see rope_tables). Below -104 the
    // float result is exactly 0 (e^-104 < half the smallest subnormal): skip the call.
    const float d = x[i] - mx;
    x[i] = d < -104.0f ? 0.0f : static_cast<float>(std::exp(static_cast<double>(d)));
    sum += x[i];
  }
  // A plain IEEE division per element: xsimd's batch division gave results an ulp away from
  // IEEE division on aarch64 (qemu -cpu max), x86 did not.
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] / sum;
}

namespace {

// The head's xsimd accumulation as each baseline ISA does it: aarch64's xsimd::fma is one
// fused multiply-add and its hadd adds neighbours ((l0 + l1) + (l2 + l3)); SSE2 has no FMA
// (a product, then an add) and its hadd folds halves, as fold_lanes.
#if defined(__aarch64__)
float head_madd(float w, float x, float acc) { return std::fma(w, x, acc); }
float head_hadd(const float l[kFloatLanes]) { return (l[0] + l[1]) + (l[2] + l[3]); }
#else
float head_madd(float w, float x, float acc) { return w * x + acc; }
float head_hadd(const float l[kFloatLanes]) { return fold_lanes(l); }
#endif

// One (row, token) dot as gemm_rows_generic computes it: lane c % kFloatLanes over the
// whole-lane body, head_hadd, then the tail in order. Rows convert exactly to float.
template <float (*Convert)(uint16_t)>
void gemm_rows_scalar(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y, int64_t ldy,
                      int64_t r0, int64_t r1) {
  counters::head_scalar.bump();
  const int64_t body = k / kFloatLanes * kFloatLanes;
  for (int64_t r = r0; r < r1; ++r) {
    const uint16_t* row = w + r * k;
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* xt = x + t * k;
      float acc[kFloatLanes] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (int64_t c = 0; c < body; c += kFloatLanes)
        for (int64_t l = 0; l < kFloatLanes; ++l) acc[l] = head_madd(Convert(row[c + l]), xt[c + l], acc[l]);
      float s = head_hadd(acc);
      for (int64_t c = body; c < k; ++c) s += Convert(row[c]) * xt[c];
      y[t * ldy + r] = s;
    }
  }
}

}  // namespace

void gemm_f16_f32_rows_scalar(const uint16_t* w, int64_t k, const float* x, int64_t n, float* y, int64_t ldy,
                              int64_t r0, int64_t r1) { gemm_rows_scalar<f16_to_f32>(w, k, x, n, y, ldy, r0, r1); }
void gemm_bf16_f32_rows_scalar(const uint16_t* w, int64_t k, const float* x, int64_t n, float* y, int64_t ldy,
                               int64_t r0, int64_t r1) { gemm_rows_scalar<bf16_to_f32>(w, k, x, n, y, ldy, r0, r1); }

}  // namespace tern::kernels
