// The reference attention loops (kernels/attention.h): plain C++, the order of every float
// operation spelled out. The SIMD implementations must match these bit for bit.
#include "kernels/attention_impls.h"
#include "kernels/float_ops.h"

namespace tern::kernels {

float attention_dot_scalar(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += a[i + l] * b[i + l];
  for (; i < n; ++i) acc[0] += a[i] * b[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

void attention_qk_scalar(const float* q, const float* k, int64_t ldk, int64_t n_keys, int64_t hd, float scale,
                         float* scores) {
  for (int64_t j = 0; j < n_keys; ++j) scores[j] = attention_dot_scalar(q, k + j * ldk, hd) * scale;
}

void attention_pv_scalar(const float* p, const float* v, int64_t ldv, int64_t n_keys, int64_t hd, float* out) {
  for (int64_t j = 0; j < n_keys; ++j) {
    const float pj = p[j];
    const float* vj = v + j * ldv;
    for (int64_t i = 0; i < hd; ++i) out[i] += pj * vj[i];
  }
}

void attention_f16_rows_scalar(const uint16_t* src, int64_t ld_src, int64_t n_rows, int64_t hd, float* dst) {
  for (int64_t r = 0; r < n_rows; ++r) f16_to_f32_row(src + r * ld_src, dst + r * hd, hd);
}

}  // namespace tern::kernels
