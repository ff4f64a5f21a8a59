#include "hf/quantize_embd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "hf/half_float.h"
#include "kernels/ggml_blocks.h"
#include "tern/error.h"

namespace tern::hf {

namespace {

using gguf::TensorType;

constexpr int kQK8 = 32;   // Q8_0 / Q4_0 block
constexpr int kQK_K = 256;  // Q6_K super-block
constexpr size_t kQ8Bytes = 2 + 32;
constexpr size_t kQ4Bytes = 2 + 16;
constexpr size_t kQ6Bytes = 128 + 64 + 16 + 2;
constexpr float kGroupMaxEps = 1e-15f;

void put_f16(uint8_t* p, float v) {
  const uint16_t h = f32_to_f16(v);
  p[0] = static_cast<uint8_t>(h & 0xff);
  p[1] = static_cast<uint8_t>(h >> 8);
}
float get_f16(const uint8_t* p) { return f16_to_f32(load_u16(p)); }

// ggml's nearest_int: round half to even for the magnitudes used here.
int nearest_int(float v) { return static_cast<int>(std::nearbyint(v)); }

// ggml quantize_row_q8_0_ref: d = absmax/127, q = round(x/d) (half away from zero).
void q8_0_block(const float* x, uint8_t* out) {
  float amax = 0;
  for (int j = 0; j < kQK8; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  put_f16(out, d);
  for (int j = 0; j < kQK8; ++j) out[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x[j] * id)));
}

// ggml quantize_row_q4_0_ref: d = (value of largest magnitude) / -8, q = min(15, (int)(x/d + 8.5)).
void q4_0_block(const float* x, uint8_t* out) {
  float amax = 0, max = 0;
  for (int j = 0; j < kQK8; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  const float d = max / -8.0f;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  put_f16(out, d);
  for (int j = 0; j < kQK8 / 2; ++j) {
    const int x0 = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
    const int x1 = std::min(15, static_cast<int>(static_cast<int8_t>(x[kQK8 / 2 + j] * id + 8.5f)));
    out[2 + j] = static_cast<uint8_t>(x0 | (x1 << 4));
  }
}

// ggml make_qx_quants with rmse_type 1 (weights x^2): the scale of one 16-element group
// minimizing the weighted squared error over 19 candidate inverse scales.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  float iscale = -static_cast<float>(nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l * l);
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * static_cast<float>(l);
      suml2 += w * static_cast<float>(l * l);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        L[i] = static_cast<int8_t>(nmax + std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// ggml quantize_row_q6_K_ref. block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits),
// int8 scales[16] (one per 16 elements), f16 d.
void q6_k_block(const float* x, uint8_t* out) {
  uint8_t* ql = out;
  uint8_t* qh = out + 128;
  auto* sc = reinterpret_cast<int8_t*>(out + 192);
  int8_t L[kQK_K];
  float scales[kQK_K / 16];
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < kQK_K / 16; ++ib) {
    const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
    scales[ib] = scale;
    if (std::fabs(scale) > max_abs_scale) {
      max_abs_scale = std::fabs(scale);
      max_scale = scale;
    }
  }
  if (max_abs_scale < kGroupMaxEps) {
    std::memset(out, 0, kQ6Bytes);
    return;
  }
  const float iscale = -128.0f / max_scale;
  put_f16(out + 208, 1.0f / iscale);
  const float d_all = get_f16(out + 208);
  for (int ib = 0; ib < kQK_K / 16; ++ib) {
    sc[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
  }
  for (int j = 0; j < kQK_K / 16; ++j) {
    const float d = d_all * static_cast<float>(sc[j]);
    if (d == 0) continue;
    for (int ii = 0; ii < 16; ++ii) {
      const int l = std::clamp(nearest_int(x[16 * j + ii] / d), -32, 31);
      L[16 * j + ii] = static_cast<int8_t>(l + 32);
    }
  }
  for (int j = 0; j < kQK_K; j += 128) {
    for (int l = 0; l < 32; ++l) {
      const int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
      ql[l] = static_cast<uint8_t>(q1 | (q3 << 4));
      ql[l + 32] = static_cast<uint8_t>(q2 | (q4 << 4));
      qh[l] = static_cast<uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                                   ((L[j + l + 96] >> 4) << 6));
    }
    ql += 64;
    qh += 32;
  }
}

int block_elems(TensorType type) {
  switch (type) {
    case TensorType::Q8_0:
    case TensorType::Q4_0: return kQK8;
    case TensorType::Q6_K: return kQK_K;
    default: return 1;
  }
}

}  // namespace

bool embd_type_supported(TensorType type) {
  return type == TensorType::F32 || type == TensorType::F16 || type == TensorType::Q8_0 ||
         type == TensorType::Q4_0 || type == TensorType::Q6_K;
}

uint64_t embd_row_bytes(TensorType type, int64_t n, const std::string& what) {
  const int be = block_elems(type);
  if (n <= 0 || n % be != 0) {
    throw Error(what + ": row length " + std::to_string(n) + " is not a multiple of " + std::to_string(be) +
                " as " + gguf::type_name(type) + " needs");
  }
  const auto blocks = static_cast<uint64_t>(n / be);
  switch (type) {
    case TensorType::F32: return blocks * 4;
    case TensorType::F16: return blocks * 2;
    case TensorType::Q8_0: return blocks * kQ8Bytes;
    case TensorType::Q4_0: return blocks * kQ4Bytes;
    case TensorType::Q6_K: return blocks * kQ6Bytes;
    default: throw Error(what + ": " + gguf::type_name(type) + " is not an embedding type");
  }
}

void quantize_embd_row(TensorType type, const float* x, int64_t n, uint8_t* out, EmbdStats* stats) {
  switch (type) {
    case TensorType::F32: std::memcpy(out, x, static_cast<size_t>(n) * 4); break;
    case TensorType::F16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = f32_to_f16(x[i]);
        out[2 * i] = static_cast<uint8_t>(h & 0xff);
        out[2 * i + 1] = static_cast<uint8_t>(h >> 8);
        if (stats) {
          const float back = f16_to_f32(h);
          if (back != x[i] && !(std::isnan(back) && std::isnan(x[i]))) {
            ++stats->inexact;
            if (std::isinf(back) && !std::isinf(x[i])) {
              ++stats->overflow;
            } else {
              stats->max_abs_error = std::max(stats->max_abs_error, std::fabs(static_cast<double>(back) - x[i]));
            }
          }
          if (x[i] != 0 && std::fabs(x[i]) < 6.103515625e-05f) ++stats->subnormal;
        }
      }
      break;
    case TensorType::Q8_0:
      for (int64_t b = 0; b < n / kQK8; ++b) q8_0_block(x + b * kQK8, out + b * kQ8Bytes);
      break;
    case TensorType::Q4_0:
      for (int64_t b = 0; b < n / kQK8; ++b) q4_0_block(x + b * kQK8, out + b * kQ4Bytes);
      break;
    case TensorType::Q6_K:
      for (int64_t b = 0; b < n / kQK_K; ++b) q6_k_block(x + b * kQK_K, out + b * kQ6Bytes);
      break;
    default: throw Error(std::string("quantize_embd_row: unsupported type ") + gguf::type_name(type));
  }
  if (stats) {
    stats->values += static_cast<uint64_t>(n);
    if (type != TensorType::F32 && type != TensorType::F16) {
      std::vector<float> back(static_cast<size_t>(n));
      dequantize_embd_row(type, out, n, back.data());
      for (int64_t i = 0; i < n; ++i) {
        const double e = std::fabs(static_cast<double>(back[static_cast<size_t>(i)]) - x[i]);
        if (e != 0) ++stats->inexact;
        stats->max_abs_error = std::max(stats->max_abs_error, e);
      }
    }
  }
}

void dequantize_embd_row(TensorType type, const uint8_t* in, int64_t n, float* out) {
  switch (type) {
    case TensorType::F32: std::memcpy(out, in, static_cast<size_t>(n) * 4); break;
    case TensorType::F16:
      for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(load_u16(in + 2 * i));
      break;
    case TensorType::Q8_0: kernels::dequantize_q8_0(in, n, out); break;
    case TensorType::Q4_0: kernels::dequantize_q4_0(in, n, out); break;
    case TensorType::Q6_K: kernels::dequantize_q6_k(in, n, out); break;
    default: throw Error(std::string("dequantize_embd_row: unsupported type ") + gguf::type_name(type));
  }
}

}  // namespace tern::hf
