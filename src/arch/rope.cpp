#include "arch/rope.h"

#include "kernels/float_ops.h"

#include <cmath>
#include <numbers>
#include <string>

namespace tern::arch {

namespace {

std::vector<float> plain_inv_freq(int64_t head_dim, double theta) {
  std::vector<float> inv(static_cast<size_t>(head_dim / 2));
  kernels::rope_inv_freq(head_dim, theta, inv.data());
  return inv;
}

}  // namespace

std::string llama3_rope_problem(const Llama3RopeScaling& s) {
  if (!(s.factor >= 1 && std::isfinite(s.factor))) return "factor must be a finite number >= 1";
  if (!(s.low_freq_factor > 0 && std::isfinite(s.low_freq_factor))) return "low_freq_factor must be positive";
  if (!(s.high_freq_factor > s.low_freq_factor && std::isfinite(s.high_freq_factor))) {
    return "high_freq_factor must be greater than low_freq_factor";
  }
  if (s.original_context <= 0) return "original_max_position_embeddings must be positive";
  return "";
}

std::vector<float> rope_inv_freq(int64_t head_dim, double theta, const std::optional<Llama3RopeScaling>& llama3) {
  std::vector<float> inv = plain_inv_freq(head_dim, theta);
  if (!llama3) return inv;
  // HF, with python-scalar operands (float64 in Python, cast to float32 by torch) and
  // `scalar / tensor` evaluated as tensor.reciprocal() * scalar:
  //   wavelen = 2*pi / inv
  //   inv_l   = where(wavelen > old/low, inv / factor, inv)
  //   smooth  = (old / wavelen - low) / (high - low)
  //   smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
  //   result  = where(!(wavelen < old/high) and !(wavelen > old/low), smoothed, inv_l)
  const auto f32 = [](double v) { return static_cast<float>(v); };
  const float factor = f32(llama3->factor), low = f32(llama3->low_freq_factor);
  const double old = static_cast<double>(llama3->original_context);
  const float low_wavelen = f32(old / llama3->low_freq_factor);
  const float high_wavelen = f32(old / llama3->high_freq_factor);
  const float two_pi = f32(2 * std::numbers::pi);
  const float high_minus_low = f32(llama3->high_freq_factor - llama3->low_freq_factor);
  for (float& v : inv) {
    const float wavelen = (1.0f / v) * two_pi;
    const float inv_l = wavelen > low_wavelen ? v / factor : v;
    const float smooth = ((1.0f / wavelen) * f32(old) - low) / high_minus_low;
    const float smoothed = (1.0f - smooth) * inv_l / factor + smooth * inv_l;
    const bool medium = !(wavelen < high_wavelen) && !(wavelen > low_wavelen);
    v = medium ? smoothed : inv_l;
  }
  return inv;
}

std::vector<float> llama3_rope_divisors(int64_t head_dim, double theta, const Llama3RopeScaling& s) {
  std::vector<float> out(static_cast<size_t>(head_dim / 2));
  const double old = static_cast<double>(s.original_context);
  const double low_wavelen = old / s.low_freq_factor, high_wavelen = old / s.high_freq_factor;
  for (size_t j = 0; j < out.size(); ++j) {
    const double freq = 1.0 / std::pow(theta, static_cast<double>(2 * j) / static_cast<double>(head_dim));
    const double wavelen = 2 * std::numbers::pi / freq;
    double d = 1.0;
    if (wavelen > low_wavelen) {
      d = s.factor;
    } else if (!(wavelen < high_wavelen)) {
      const double smooth = (old / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      d = 1.0 / ((1 - smooth) / s.factor + smooth);
    }
    out[j] = static_cast<float>(d);
  }
  return out;
}

}  // namespace tern::arch
