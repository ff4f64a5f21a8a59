#include "hf/ternary_source.h"

#include <cmath>

#include "hf/half_float.h"
#include "tern/error.h"

namespace tern::hf {

namespace {

[[noreturn]] void fail(const StTensor& t, const std::string& what) {
  throw Error((t.file ? *t.file : std::string("checkpoint")) + ": tensor '" + t.name + "': " + what);
}

bool is_float_dtype(Dtype d) { return d == Dtype::BF16 || d == Dtype::F16 || d == Dtype::F32; }

}  // namespace

bool TernaryWeight::all_zero() const {
  for (int8_t v : trits) {
    if (v != 0) return false;
  }
  return true;
}

float load_float_element(const StTensor& t, uint64_t i) {
  switch (t.dtype) {
    case Dtype::BF16: return bf16_to_f32(load_u16(t.data.data() + 2 * i));
    case Dtype::F16: return f16_to_f32(load_u16(t.data.data() + 2 * i));
    case Dtype::F32: return load_f32(t.data.data() + 4 * i);
    default: fail(t, std::string("dtype ") + dtype_name(t.dtype) + " is not a float type");
  }
}

float read_scale_scalar(const StTensor& t) {
  if (!is_float_dtype(t.dtype)) fail(t, std::string("weight_scale must be BF16/F16/F32, got ") + dtype_name(t.dtype));
  if (t.n_elements() != 1 || t.shape.size() > 1) fail(t, "weight_scale must be a scalar ([] or [1]), got " + t.shape_string());
  const float s = load_float_element(t, 0);
  if (!std::isfinite(s) || s <= 0) fail(t, "weight_scale " + std::to_string(s) + " is not a positive finite number");
  return s;
}

TernaryWeight unpack_packed(const StTensor& weight, const StTensor& scale, int64_t out_features,
                            int64_t in_features) {
  if (weight.dtype != Dtype::U8) fail(weight, std::string("packed weight must be U8, got ") + dtype_name(weight.dtype));
  if (out_features % 4 != 0) fail(weight, "out_features " + std::to_string(out_features) + " is not a multiple of 4");
  const auto R = out_features / 4;
  if (weight.shape.size() != 2 || weight.shape[0] != static_cast<uint64_t>(R) ||
      weight.shape[1] != static_cast<uint64_t>(in_features)) {
    fail(weight, "shape " + weight.shape_string() + " disagrees with config.json: expected [" +
                     std::to_string(R) + ", " + std::to_string(in_features) + "] (out/4, in)");
  }
  TernaryWeight w;
  w.rows = out_features;
  w.cols = in_features;
  w.weight_scale = read_scale_scalar(scale);
  w.trits.resize(static_cast<size_t>(out_features * in_features));
  const uint8_t* src = weight.data.data();
  const auto K = static_cast<size_t>(in_features);
  for (int64_t r = 0; r < R; ++r) {
    const uint8_t* row = src + static_cast<size_t>(r) * K;
    for (int i = 0; i < 4; ++i) {
      int8_t* dst = w.trits.data() + static_cast<size_t>(i * R + r) * K;
      for (size_t c = 0; c < K; ++c) {
        const int code = (row[c] >> (2 * i)) & 3;
        if (code == 3) {
          fail(weight, "invalid 2-bit code 3 in byte [" + std::to_string(r) + "][" + std::to_string(c) + "] (row " +
                           std::to_string(i * R + r) + ")");
        }
        dst[c] = static_cast<int8_t>(code - 1);
      }
    }
  }
  return w;
}

TernaryWeight ternarize_master(const StTensor& weight, int64_t out_features, int64_t in_features) {
  if (!is_float_dtype(weight.dtype)) {
    fail(weight, std::string("master weight must be BF16/F16/F32, got ") + dtype_name(weight.dtype));
  }
  if (weight.shape.size() != 2 || weight.shape[0] != static_cast<uint64_t>(out_features) ||
      weight.shape[1] != static_cast<uint64_t>(in_features)) {
    fail(weight, "shape " + weight.shape_string() + " disagrees with config.json: expected [" +
                     std::to_string(out_features) + ", " + std::to_string(in_features) + "] (out, in)");
  }
  const uint64_t n = weight.n_elements();
  // mean|W| in float32 as torch computes it: the float32 sum (torch's cascade sum is within
  // rounding of the exact sum; a double accumulator rounded once is the exact sum rounded),
  // then one float32 division by n.
  double sum = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const float v = load_float_element(weight, i);
    if (!std::isfinite(v)) fail(weight, "non-finite value at element " + std::to_string(i));
    sum += std::fabs(static_cast<double>(v));
  }
  const float mean = static_cast<float>(sum) / static_cast<float>(n);
  const float s_w = 1.0f / std::max(mean, 1e-5f);
  TernaryWeight w;
  w.rows = out_features;
  w.cols = in_features;
  w.weight_scale = s_w;
  w.trits.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    const float q = std::nearbyint(load_float_element(weight, i) * s_w);  // ties to even (default mode)
    w.trits[i] = static_cast<int8_t>(q > 1.0f ? 1 : (q < -1.0f ? -1 : q));
  }
  return w;
}

}  // namespace tern::hf
